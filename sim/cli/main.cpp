// Entry point: silences the SystemC banner (it must be set before the kernel starts), keeps freed memory
// in the process, then hands over to sc_main through the SystemC kernel.
#include <cstdlib>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <systemc>

#include "sim/cli/cli.hpp"

int sc_main(int argc, char* argv[]) { return dlasim::sim::run_cli(argc, argv); }

int main(int argc, char* argv[]) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
#if defined(__GLIBC__)
  // Every pass allocates its MAC-array and scale-unit arrays (up to tens of MiB) and frees them a few
  // cycles later; glibc would map and unmap them each time (page faults were ~15 % of a ResNet-50 run).
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
  return sc_core::sc_elab_and_sim(argc, argv);
}
