"""romformer's Python models: checkpoint I/O, float reference, integer golden model (the RTL's
contract, docs/arithmetic.md), quantizer, compiler, sampler, static schedule, register map and
chip-level protocol model. Command line: python -m sim_models --help."""
