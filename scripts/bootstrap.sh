#!/usr/bin/env bash
# Bootstrap everything `make` needs: system tools (apt-get when root, else a clear
# message naming what is missing) and .venv with the pinned requirements.
# Idempotent and quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
STAMP=$VENV/.requirements.sha256
PY=${PYTHON:-python3}

# tool-to-check  debian-package
SYSTEM_TOOLS=(
  "python3:python3"
  "iverilog:iverilog"
  "/usr/include/lz4.h:liblz4-dev"
  "g++:g++"
  "make:make"
)

# Optional: installed when root, named when missing, never required. gtkwave and xvfb for
# waves (make waves, the GTKWave checks of tests/test_waves.py); yosys for the same-logic
# netlist check (tests/test_same_logic.py); lcov's genhtml for the code-coverage HTML report
# (make coverage; without it the report is text and lcov info only). The tests that need them skip without them.
OPTIONAL_TOOLS=(
  "gtkwave:gtkwave"
  "xvfb-run:xvfb"
  "yosys:yosys"
  "genhtml:lcov"
)

missing_packages=()
for entry in "${SYSTEM_TOOLS[@]}"; do
  tool=${entry%%:*}; pkg=${entry##*:}
  if [[ $tool == /* ]]; then [[ -e $tool ]] && continue
  else command -v "$tool" >/dev/null 2>&1 && continue; fi
  missing_packages+=("$pkg")
done
if ! "$PY" -c "import venv, ensurepip" >/dev/null 2>&1; then
  missing_packages+=("python3-venv")
fi

if ((${#missing_packages[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: installing ${missing_packages[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing_packages[@]}" >/dev/null
  else
    echo "bootstrap: missing system packages: ${missing_packages[*]}" >&2
    echo "bootstrap: install them with: sudo apt-get install ${missing_packages[*]}" >&2
    exit 1
  fi
fi

missing_optional=()
for entry in "${OPTIONAL_TOOLS[@]}"; do
  tool=${entry%%:*}; pkg=${entry##*:}
  command -v "$tool" >/dev/null 2>&1 || missing_optional+=("$pkg")
done
if ((${#missing_optional[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: installing optional tools ${missing_optional[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing_optional[@]}" >/dev/null; } ||
      echo "bootstrap: could not install ${missing_optional[*]} (optional: waves and the netlist check need them)" >&2
  else
    echo "bootstrap: optional (waves viewer, netlist check): sudo apt-get install ${missing_optional[*]}" >&2
  fi
fi

want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [[ ! -x $VENV/bin/python || ! -f $STAMP || $(cat "$STAMP") != "$want" ]]; then
  echo "bootstrap: creating $VENV from requirements.txt"
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt
  echo "$want" > "$STAMP"
fi
