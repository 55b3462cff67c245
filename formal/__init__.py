"""Formal verification of the bus blocks: SymbiYosys harnesses, the register-map generator, the runner."""
