// The DLA's waveform (hw/trace/recording.hpp, docs/waveforms.md): on a memory-bound configuration with every
// stall cause, the VCD's intervals are those the counters count, the levels stay in range, and recording does
// not change the timing; a window in the middle of a run reads like the same cycles of a whole-run window.
// Each TEST_CASE elaborates one simulation (ctest runs every case in its own process).
#include <unistd.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "hw/ctrl/tiling.hpp"
#include "hw/reference.hpp"
#include "hw/timing.hpp"
#include "hw/top/dla.hpp"
#include "hw/top/simulation.hpp"
#include "hw/trace/waveform.hpp"
#include "quant/quantize.hpp"
#include "tests/support/vcd_reader.hpp"

using namespace dlasim;

namespace {

namespace fs = std::filesystem;

// Layers with seeded normal operands; tensors live in deques so the jobs' pointers stay valid.
struct Fixture {
  hw::ArchParams arch;
  std::deque<quant::QTensor> tensors;
  std::deque<std::vector<float>> biases;
  std::vector<hw::LayerJob> jobs;
  quant::QuantSpec ws = quant::int_spec(4, quant::Granularity::per_vector, 4, 8);
  quant::QuantSpec as = quant::int_spec(4, quant::Granularity::per_vector, 6, 8);

  // Memory-bound: a narrow DRAM channel with latency, a slow global buffer and PE-buffer write port, and a
  // single collector bank, so that every stall cause occurs. 800 MHz: 1250 ps per cycle.
  Fixture() {
    arch.clock_mhz = 800.0;
    arch.pes = 2;
    arch.lanes = 4;
    arch.vector_size = 8;
    arch.collector_depth = 5;
    arch.collector_banks = 1;
    arch.weight_bits = ws.bits();
    arch.act_bits = as.bits();
    arch.weight_scale_bits = ws.scale_bits;
    arch.act_scale_bits = as.scale_bits;
    arch.dram_bytes_per_cycle = 3.0;
    arch.dram_latency_cycles = 20;
    arch.gbuf_banks = 1;
    arch.gbuf_bank_bytes_per_cycle = 2;
    arch.buffer_write_entries_per_cycle = 1;
    add("conv", {6, 6, 20, 12, 3, 3, 1, 1}, 0.05f, 7);
    add("fc", {1, 1, 64, 24, 1, 1, 1, 0}, 0.1f, 8);
    add("conv_s2", {7, 7, 16, 10, 3, 3, 2, 1}, 0.05f, 9);
  }

  void add(const std::string& name, const hw::ConvShape& sh, float out_scale, uint32_t seed) {
    std::mt19937 gen(seed);
    std::normal_distribution<float> nd;
    std::vector<float> w(sh.out_c * sh.taps() * sh.group_in_c()), a(sh.in_h * sh.in_w * sh.in_c);
    for (float& x : w) x = nd(gen);
    for (float& x : a) x = nd(gen);
    tensors.push_back(quant::quantize(w.data(), sh.weight_matrix(), ws));
    const quant::QTensor* wt = &tensors.back();
    tensors.push_back(quant::quantize(a.data(), sh.input_matrix(), as));
    biases.emplace_back(sh.out_c, 0.125f);
    hw::LayerJob job;
    job.name = name;
    job.shape = sh;
    job.relu = true;
    job.weights = wt;
    job.input = &tensors.back();
    job.bias = &biases.back();
    job.output = {as, out_scale};
    jobs.push_back(job);
  }
};

// Counter totals over the whole run.
uint64_t total(const hw::Dla& dla, const std::string& name) {
  const auto& decls = dla.counters().decls();
  for (std::size_t i = 0; i < decls.size(); ++i) {
    if (decls[i].name == name) return dla.counters().values()[i];
  }
  FAIL("no counter named " << name);
  return 0;
}

uint64_t total_cycles(const hw::Dla& dla) {
  uint64_t cycles = 0;
  for (const hw::LayerResult& r : dla.results()) cycles += r.cycles;
  return cycles;
}

// Writes `waves` into a fresh temporary file and returns the parsed VCD.
test::ParsedVcd write_and_parse(const hw::WaveformRecorder& waves, double clock_mhz) {
  const fs::path path = fs::temp_directory_path() / ("dlasim_dla_waveform_" + std::to_string(::getpid()) + ".vcd");
  waves.write(path.string(), clock_mhz, "dlasim test");
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  fs::remove(path);
  return test::parse_vcd(text);
}

uint64_t cycles_nonzero(const std::vector<uint64_t>& v) {
  return uint64_t(std::count_if(v.begin(), v.end(), [](uint64_t x) { return x != 0; }));
}

const char* const kSignals[] = {
    "controller.layer",   "controller.passes_issued",     "dram.read_busy",          "dram.write_busy",
    "dram.read_bytes",    "dram.write_bytes",             "gbuf.transfer_busy",      "pe_buffers.slots_full",
    "pe_buffers.fill_busy", "mac_array.active_lanes",     "mac_array.stall_dram",    "mac_array.stall_gbuf",
    "mac_array.stall_collector_full", "collector.banks_busy", "ppu.busy"};

}  // namespace

TEST_CASE("dla waveform: the VCD's stall and issue intervals are the counters' cycles, and recording does not "
          "change the timing", "[module][dla][waveform]") {
  Fixture f;
  constexpr uint64_t kLast = 1'000'000;
  hw::WaveformRecorder waves(0, kLast);
  hw::Dla recorded("recorded", f.arch, f.jobs, &waves);
  hw::Dla plain("plain", f.arch, f.jobs);
  dlasim::hw::simulate();

  // Same timing and counters with and without the recorder; outputs still bit-exact.
  for (std::size_t l = 0; l < f.jobs.size(); ++l) {
    INFO("layer " << f.jobs[l].name);
    CHECK(recorded.results()[l].cycles == plain.results()[l].cycles);
    CHECK(recorded.results()[l].counters == plain.results()[l].counters);
    REQUIRE_NOTHROW(hw::check_bit_exact(f.jobs[l].name, recorded.results()[l].output,
                                        hw::reference_layer(f.jobs[l], f.arch).output));
  }
  const uint64_t run_cycles = total_cycles(recorded);
  REQUIRE(run_cycles < kLast);

  const uint64_t period = hw::clock_period(f.arch.clock_mhz).value();
  REQUIRE(period == 1250);
  const test::ParsedVcd vcd = write_and_parse(waves, f.arch.clock_mhz);
  CHECK(vcd.first_time == 0);
  CHECK(vcd.end_time == (kLast + 1) * period);
  CHECK(vcd.name_of_id.size() == std::size(kSignals));  // the plain DLA records nothing
  const auto values = test::values_by_cycle(vcd, period);
  auto signal = [&](const std::string& name) -> const std::vector<uint64_t>& {
    INFO("signal recorded." << name);
    REQUIRE(values.count("recorded." + name) == 1);
    return values.at("recorded." + name);
  };
  for (const char* name : kSignals) CHECK(signal(name).size() == kLast + 1);

  // Every stall cause occurs, and each stall signal is high exactly as many cycles as its counter counts.
  const std::vector<uint64_t>& stall_dram = signal("mac_array.stall_dram");
  const std::vector<uint64_t>& stall_gbuf = signal("mac_array.stall_gbuf");
  const std::vector<uint64_t>& stall_bank = signal("mac_array.stall_collector_full");
  const std::vector<uint64_t>& active = signal("mac_array.active_lanes");
  CHECK(total(recorded, "stall.dram") > 0);
  CHECK(total(recorded, "stall.gbuf") > 0);
  CHECK(total(recorded, "stall.collector_full") > 0);
  CHECK(cycles_nonzero(stall_dram) == total(recorded, "stall.dram"));
  CHECK(cycles_nonzero(stall_gbuf) == total(recorded, "stall.gbuf"));
  CHECK(cycles_nonzero(stall_bank) == total(recorded, "stall.collector_full"));
  // active_lanes is nonzero exactly while the MAC array issues: never during a stall, as many cycles as
  // pe.mac_array.issue_cycles, at most every lane.
  CHECK(cycles_nonzero(active) == total(recorded, "pe.mac_array.issue_cycles"));
  CHECK(*std::max_element(active.begin(), active.end()) == uint64_t(f.arch.pes) * f.arch.lanes);
  for (uint64_t c = 0; c <= kLast; ++c) {
    const int high = (stall_dram[c] != 0) + (stall_gbuf[c] != 0) + (stall_bank[c] != 0) + (active[c] != 0);
    INFO("cycle " << c);
    REQUIRE(high <= 1);
  }

  // DRAM: reads and writes share one channel; together they are busy for dram.busy_cycles. The byte counts
  // round each access up to whole bytes.
  const std::vector<uint64_t>& read_busy = signal("dram.read_busy");
  const std::vector<uint64_t>& write_busy = signal("dram.write_busy");
  for (uint64_t c = 0; c <= kLast; ++c) REQUIRE((read_busy[c] & write_busy[c]) == 0);
  CHECK(cycles_nonzero(read_busy) + cycles_nonzero(write_busy) == total(recorded, "dram.busy_cycles"));
  int64_t passes = 0;
  for (std::size_t l = 0; l < f.jobs.size(); ++l) {
    passes += int64_t(hw::plan_waves(f.jobs[l], l, f.arch, recorded.plans()[l]).size());
  }
  const uint64_t read_bits = total(recorded, "dram.read_bits"), write_bits = total(recorded, "dram.write_bits");
  CHECK(signal("dram.read_bytes").back() >= (read_bits + 7) / 8);
  CHECK(signal("dram.read_bytes").back() <= read_bits / 8 + uint64_t(passes));
  CHECK(signal("dram.write_bytes").back() >= (write_bits + 7) / 8);
  CHECK(signal("dram.write_bytes").back() <= write_bits / 8 + uint64_t(passes));
  CHECK(signal("dram.read_bytes")[run_cycles] == signal("dram.read_bytes").back());

  // Controller: every pass counted; the layer index changes when the previous layer is done.
  CHECK(signal("controller.passes_issued").back() == uint64_t(passes));
  const std::vector<uint64_t>& layer = signal("controller.layer");
  uint64_t start = 0;
  for (std::size_t l = 0; l < f.jobs.size(); ++l) {
    INFO("layer " << l << " starts at cycle " << start);
    CHECK(layer[start] == l);
    if (start > 0) CHECK(layer[start - 1] == l - 1);
    start += recorded.results()[l].cycles;
  }

  // Levels stay within the hardware's slots and banks and are 0 once the run is over.
  const std::vector<uint64_t>& slots = signal("pe_buffers.slots_full");
  const std::vector<uint64_t>& banks = signal("collector.banks_busy");
  CHECK(*std::max_element(slots.begin(), slots.end()) == uint64_t(f.arch.buffer_slots()));
  CHECK(*std::max_element(banks.begin(), banks.end()) == uint64_t(f.arch.collector_banks));
  CHECK(slots[run_cycles] == 0);
  CHECK(banks[run_cycles] == 0);
  // A pass issues only while it holds its slot and its tile set's bank.
  for (uint64_t c = 0; c <= kLast; ++c) {
    if (active[c] != 0) REQUIRE((slots[c] >= 1 && banks[c] >= 1));
  }
  CHECK(cycles_nonzero(signal("gbuf.transfer_busy")) > 0);
  CHECK(cycles_nonzero(signal("pe_buffers.fill_busy")) > 0);
  CHECK(cycles_nonzero(signal("ppu.busy")) > 0);
}

TEST_CASE("dla waveform: a window in the middle of a run starts with the values at its first cycle and holds the "
          "changes inside it", "[module][dla][waveform]") {
  Fixture f;
  constexpr uint64_t kFirst = 700, kLast = 1900;
  hw::WaveformRecorder whole_waves(0, 100'000), window_waves(kFirst, kLast);
  hw::Dla whole("whole", f.arch, f.jobs, &whole_waves);
  hw::Dla window("window", f.arch, f.jobs, &window_waves);
  dlasim::hw::simulate();
  REQUIRE(total_cycles(whole) > kLast + 100);
  REQUIRE(total_cycles(window) == total_cycles(whole));

  const uint64_t period = hw::clock_period(f.arch.clock_mhz).value();
  const test::ParsedVcd part = write_and_parse(window_waves, f.arch.clock_mhz);
  CHECK(part.first_time == kFirst * period);
  CHECK(part.end_time == (kLast + 1) * period);
  const auto in_window = test::values_by_cycle(part, period);
  const auto everything = test::values_by_cycle(write_and_parse(whole_waves, f.arch.clock_mhz), period);
  int changes_inside = 0;
  for (const char* name : kSignals) {
    INFO("signal " << name);
    const std::vector<uint64_t>& w = in_window.at(std::string("window.") + name);
    const std::vector<uint64_t>& all = everything.at(std::string("whole.") + name);
    REQUIRE(w.size() == kLast - kFirst + 1);
    CHECK(part.dumpvars.at(std::string("window.") + name) == all[kFirst]);
    for (uint64_t c = kFirst; c <= kLast; ++c) {
      INFO("cycle " << c);
      REQUIRE(w[c - kFirst] == all[c]);
      changes_inside += c > kFirst && all[c] != all[c - 1];
    }
  }
  CHECK(changes_inside > 0);
  CHECK(int(part.changes.size()) == changes_inside);
}
