// Entry point: silences the SystemC banner (it must be set before the kernel starts), then hands over to
// sc_main through the SystemC kernel.
#include <cstdlib>

#include <systemc>

#include "sim/cli/cli.hpp"

int sc_main(int argc, char* argv[]) { return dlasim::sim::run_cli(argc, argv); }

int main(int argc, char* argv[]) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  return sc_core::sc_elab_and_sim(argc, argv);
}
