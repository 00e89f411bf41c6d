// Catch2 runner for test binaries that link SystemC: libsystemc defines main() and calls sc_main
// (declared extern "C" by <systemc>).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <systemc>

int sc_main(int argc, char* argv[]) { return Catch::Session().run(argc, argv); }
