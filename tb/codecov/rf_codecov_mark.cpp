// The DPI side of rf_codecov_mark.sv: write the coverage counts so far to `path` (Verilator's own
// coverage.dat format; the run's final counts still go to +verilator+coverage+file+ at the end).
#include "verilated.h"
#include "verilated_cov.h"

extern "C" void rf_codecov_snapshot(const char* path) {
    Verilated::threadContextp()->coveragep()->write(path);
}
