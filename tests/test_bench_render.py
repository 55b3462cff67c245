"""scripts/bench.py: a full run rewrites docs/results.md but keeps the hand-maintained sections."""
from __future__ import annotations

import importlib.util

from conftest import ROOT

spec = importlib.util.spec_from_file_location("bench", ROOT / "scripts" / "bench.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def test_full_bench_keeps_hand_sections() -> None:
    old = "\n".join(["# Results", "", "## Quality: float vs integer", "old quality", "",
                     "## Verification regression (sign-off)", "621 runs", "", bench.FORMATS_BEGIN,
                     "## Weight formats (issue 9)", "old formats", bench.FORMATS_END, "",
                     "## Synthesis (issue 11)", "LUT4 table", ""])
    new = "\n".join(["# Results", "", "## Quality: float vs integer (teacher-forced)", "new quality", "",
                     bench.FORMATS_BEGIN, "## Weight formats (issue 9)", "new formats", bench.FORMATS_END, ""])
    out = bench.keep_hand_sections(old, new)
    assert out.startswith(new.rstrip("\n"))
    assert "old quality" not in out and "old formats" not in out          # generated: replaced
    assert out.count(bench.FORMATS_BEGIN) == 1 and out.count("## Weight formats") == 1
    assert out.index("621 runs") < out.index("LUT4 table")                  # hand sections, in order
    assert "## Verification regression (sign-off)" in out and "## Synthesis (issue 11)" in out
    assert bench.keep_hand_sections(new, new) == new


def format_row(model: str, stem: str, fmt: str, act: str | None, gap: float, rom: int, cycles: int) -> dict:
    row = {"model": model, "stem": stem, "format": fmt, "rom_bits": rom, "weight_rom_bits": rom - 100, "weights": 1000,
           "nominal_bpw": 8 if fmt == "int8" else 4.125, "cycles0": cycles, "util0": 0.8, "vs_reference": None,
           "quality": {"float_loss": 1.2, "int_loss": 1.2 + gap, "gap": gap, "agreement": 0.9}}
    if act is not None:                 # rows measured before the activation column have no "act": static
        row["act"] = act
    return row


def test_formats_table_has_the_activation_column() -> None:
    m = "austen_byte (embedded)"
    rows = [format_row(m, "austen_byte", "int8", None, 0.0037, 1000, 7000),
            format_row(m, "austen_byte", "int8", "mx B32", 0.0010, 1000, 7021),
            format_row(m, "austen_byte", "int4", "static", 0.0311, 600, 7000),
            format_row(m, "austen_byte", "int4", "mx B32", 0.0284, 600, 7021)]
    run = {"match": True, "cycles_match": True, "cycles_per_token": [7100]}
    rtl = {("verilator", "int4", "mx B32", "embedded", 32): run, ("icarus", "int4", "mx B32", "embedded", 8): run,
           ("icarus", "int4", "static", "unshared", 16): dict(run, match=False)}
    text = bench.render_formats(rows, {"int8": 0, "int4": 2336}, rtl)
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("| model |"))
    assert header.split(" | ")[:3] == ["| model", "format", "activations"]
    table = [line for line in lines if line.startswith(f"| {m} |")]
    assert [line.split(" | ")[2] for line in table] == ["static", "mx B32", "static", "mx B32"]
    assert all(line.count("|") == header.count("|") for line in table)
    # the RTL cell per (format, activations): measured and equal for int4 mx, `-` where not run
    assert "| 7,021 (7,100 =) |" in table[3] and "| 7,000 (-) |" in table[2] and "| 7,021 (-) |" in table[1]
    # ratios to int8 static; decode cells per weight format
    assert "| 500 (55.6%) | 600 (60.0%) |" in table[3] and table[3].endswith("| 2336 |")
    assert f"Cycles per token of `mx` against `static` at LANES 32, position 0: {m}: +21 (+0.30%)." in lines
    # the RTL summary: per weight format, activation format and simulator
    assert "| int4 | static | icarus | 1 | 0 | 16 | unshared |" in lines
    assert "| int4 | mx B32 | icarus | 1 | 1 | 8 | embedded |" in lines
    assert "| int4 | mx B32 | verilator | 1 | 1 | 32 | embedded |" in lines


def test_merge_rows_replaces_by_model_format_activations() -> None:
    a, s = "austen_byte (embedded)", "stories260K (external)"
    old = [format_row(s, "stories260K", "int8", "static", 0.2, 1, 1), format_row(a, "austen_byte", "int4", None, 0.03, 1, 1)]
    new = [format_row(a, "austen_byte", "int4", "static", 0.02, 1, 1), format_row(a, "austen_byte", "int4", "mx B32", 0.01, 1, 1),
           format_row(a, "austen_byte", "int8", "mx B32", 0.001, 1, 1)]
    merged = bench.merge_rows(old, new, [a, s])
    assert [bench.row_key(r) for r in merged] == [(a, "int8", "mx B32"), (a, "int4", "static"), (a, "int4", "mx B32"),
                                                  (s, "int8", "static")]
    assert merged[1]["quality"]["gap"] == 0.02          # the new measurement replaces the old row


def test_matrix_result_names_carry_the_activation_format() -> None:
    m = bench.MATRIX_RESULT.match("fmtx-int4-mx-b32-embedded-L8")
    assert m and m.groups() == ("int4", "mx-b32", "embedded", "8")
    m = bench.MATRIX_RESULT.match("fmtx-nvfp4-stories260K-L64")
    assert m and m.groups() == ("nvfp4", None, "stories260K", "64")


def test_bench_reads_every_matrix_run_by_its_name(tmp_path) -> None:
    from test_formats_rtl import ACTS, MATRIX, matrix_run_name
    for fmt, act, sim, model, lanes in MATRIX:
        path = tmp_path / sim / f"{matrix_run_name(fmt, act, model, lanes)}.json"
        path.parent.mkdir(exist_ok=True)
        path.write_text('{"match": true}')
    found = bench.rtl_matrix_results(tmp_path)
    assert sorted(found) == sorted((sim, fmt, ACTS[act].label, model, lanes) for fmt, act, sim, model, lanes in MATRIX)
    assert {k[2] for k in found} == {"static", "mx B32"}


def test_formats_table_names_the_rows_not_measured() -> None:
    rows = [format_row("stories260K (external)", "stories260K", fmt, act, 0.1, 1000, 9000)
            for fmt in bench.FORMAT_NAMES for act in ("static", "mx B32")]
    rows += [format_row("austen_byte (embedded)", "austen_byte", "int8", "static", 0.004, 1000, 7000)]
    missing = bench.missing_rows(rows)
    assert "stories260K (external)" not in missing
    assert missing["austen_byte (embedded)"][:2] == ["int8 mx B32", "int4 static"]
    assert missing["austen_int4 (int4-trained)"] == ["int8 static", "int8 mx B32", "int4 static", "int4 mx B32"]
    text = bench.render_formats(rows, {}, {})
    assert "Not measured here" in text and "austen_int4 (int4-trained): int8 static, int8 mx B32, int4 static" in text


def test_format_rows_are_what_sim_models_eval_reports(tmp_path, capsys) -> None:
    """A row per weight format x activation format: its loss and agreement are `python -m sim_models eval
    --act A`'s on the same windows (rounded as it reports them), its cycles the schedule's for that act."""
    import json

    from conftest import SHAPES
    from sim_models.__main__ import main as sim_models_main
    from sim_models.checkpoint import random_checkpoint, write_checkpoint
    from sim_models.schedule import Schedule
    path = tmp_path / "gqa.bin"
    write_checkpoint(random_checkpoint(SHAPES["gqa"], seed=5), path)
    rows = bench.format_rows(path, "gqa", None, ["int8"], acts=tuple(bench.FORMAT_ACTS.values()))
    assert [bench.row_key(r) for r in rows] == [("gqa", "int8", "static"), ("gqa", "int8", "mx B32")]
    for row, act in zip(rows, bench.FORMAT_ACTS.values()):
        capsys.readouterr()
        assert sim_models_main(["eval", str(path), "--act", act.name, "--json"]) == 0
        cli = json.loads(capsys.readouterr().out)
        assert cli["act"]["name"] == act.name
        assert {k: cli[k] for k in row["quality"]} == row["quality"]
        assert row["cycles0"] == Schedule(SHAPES["gqa"], 32, act=act).cycles(0)
    assert rows[1]["cycles0"] > rows[0]["cycles0"]                   # mx: one more matvec cycle per matrix phase


def test_bad_acts_and_models_are_named() -> None:
    import subprocess
    import sys
    for option, value, message in (("--acts", "static,fp8", "--acts: unknown activation format 'fp8'"),
                                   ("--formats-models", "embedded,nope", "--formats-models: unknown model 'nope'")):
        r = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench.py"), "--formats-only", option, value],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert r.returncode == 2 and message in r.stderr, r.stderr


def test_cycles_only_splices_the_cycles_table() -> None:
    """--cycles-only rewrites the cycles table (heading to its last plot link) and nothing around it; the RTL
    column says whether every token's cycles equalled the schedule's."""
    models = [{"name": "m", "cycles": {8: (1000, 1200, 900.0, 0.9, 0.75)}}]
    runs = {"m": {8: {"cycles_per_token": [1010, 1020], "predicted_cycles_per_token": [1010, 1021],
                      "prompt_tokens": [1, 2, 3]}}}
    section = bench.render_cycles(models, runs)
    assert "| m | 8 | 900 | 1,000 | 90.0% | 1,200 | 75.0% | 1,010 (2) | NO |" in section
    old = "\n".join(["# Results", "", "## ROM", "rom table", "", bench.CYCLES_HEAD, "old table", "", bench.CYCLES_END,
                     "", "## Cycle breakdown", "kept", ""])
    out = bench.splice_cycles(old, section)
    assert "old table" not in out and out.count(bench.CYCLES_HEAD) == 1 and out.count(bench.CYCLES_END) == 1
    assert out.startswith("# Results\n\n## ROM\nrom table\n\n") and out.endswith("\n\n## Cycle breakdown\nkept\n")
    try:
        bench.splice_cycles("# Results\n", section)
    except SystemExit as e:
        assert "--cycles-only needs an existing" in str(e)
    else:
        raise AssertionError("a results file without the cycles section must be refused")
