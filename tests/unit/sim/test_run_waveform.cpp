// run_workload's waveform options (sim/run.hpp RunOptions): the VCD of both DLAs, and its errors as
// InputError (exit code 2 in the CLI). Each TEST_CASE runs at most one simulation.
#include <unistd.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <nlohmann/json.hpp>

#include "sim/config/load.hpp"
#include "sim/input_error.hpp"
#include "sim/run.hpp"
#include "tests/support/vcd_reader.hpp"

using Catch::Contains;
using namespace dlasim::sim;

namespace {

Config tiny_config() { return load_config(std::string(DLASIM_SOURCE_DIR) + "/tests/golden/tiny.yaml", {}); }

}  // namespace

TEST_CASE("run waveform: the VCD holds both DLAs' scopes and the cycles are those of the golden run without it",
          "[run][waveform]") {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("dlasim_run_waveform_" + std::to_string(::getpid()) + ".vcd");
  RunOptions options;
  options.vcd_path = path.string();
  options.vcd_last_cycle = 499;
  const RunResult r = run_workload(tiny_config(), options);
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(path);
  const dlasim::test::ParsedVcd vcd = dlasim::test::parse_vcd(text);
  CHECK(vcd.first_time == 0);
  CHECK(vcd.end_time == 500 * 1000);  // 1000 MHz
  CHECK(vcd.width.at("design.mac_array.stall_dram") == 1);
  CHECK(vcd.width.at("baseline.mac_array.active_lanes") == 7);  // 4 PEs × 16 lanes
  CHECK(vcd.dumpvars.size() == 2 * 15);  // 15 signals per DLA
  // tests/golden/tiny.summary.json was written by a run without --vcd.
  std::ifstream golden(std::string(DLASIM_SOURCE_DIR) + "/tests/golden/tiny.summary.json");
  const nlohmann::json expected = nlohmann::json::parse(golden);
  CHECK(r.design.cycles == expected.at("design").at("cycles").get<uint64_t>());
  CHECK(r.baseline.cycles == expected.at("baseline").at("cycles").get<uint64_t>());
  CHECK(r.simulated_cycles == std::max(r.design.cycles, r.baseline.cycles));
  CHECK(Contains("$version dlasim ").match(text));
}

TEST_CASE("run waveform: a VCD that cannot be written is an InputError naming --vcd and the path",
          "[run][waveform]") {
  RunOptions options;
  options.vcd_path = "/nonexistent_dlasim_dir/w.vcd";
  try {
    run_workload(tiny_config(), options);  // one simulation per process: no second call
    FAIL("run_workload did not throw");
  } catch (const InputError& e) {
    CHECK_THAT(e.what(), Contains("--vcd: cannot write the waveform: /nonexistent_dlasim_dir/w.vcd: cannot create "
                                  "temporary file"));
  }
}

TEST_CASE("run waveform: a window beyond the VCD time range or reversed is an InputError before simulating",
          "[run][waveform]") {
  RunOptions options;
  options.vcd_path = "unused.vcd";
  options.vcd_last_cycle = 18446744073709551ULL;  // (last + 1) · 1000 ps > 2^64 ps
  CHECK_THROWS_WITH(run_workload(tiny_config(), options),
                    Contains("--vcd-window: last cycle 18446744073709551 is beyond the VCD time range"));
  options.vcd_last_cycle = 18446744073709550ULL;
  options.vcd_first_cycle = options.vcd_last_cycle + 1;
  CHECK_THROWS_WITH(run_workload(tiny_config(), options),
                    Contains("--vcd-window: first cycle 18446744073709551 is after last cycle 18446744073709550"));
  CHECK_FALSE(std::filesystem::exists("unused.vcd"));
}
