// Whole-DLA timing against closed forms, and its outputs against the reference.
// Each TEST_CASE elaborates one simulation (ctest runs every case in its own process).
#include <catch2/catch.hpp>

#include <random>

#include "hw/reference.hpp"
#include "hw/top/dla.hpp"
#include "hw/top/simulation.hpp"
#include "quant/quantize.hpp"

using namespace dlasim;

namespace {

// A 6x6x20 -> 12 channel 3x3 conv (stride 1, pad 1) with per-vector INT4 operands, V = 8.
struct Fixture {
  hw::ArchParams arch;
  std::vector<float> bias;
  quant::QTensor weights, input;
  std::vector<hw::LayerJob> jobs;

  explicit Fixture(int banks, int ppu_outputs_per_cycle) {
    arch = hw::with_ideal_memory(arch);
    arch.pes = 2;
    arch.lanes = 4;
    arch.vector_size = 8;
    arch.collector_depth = 5;
    arch.collector_banks = banks;
    arch.weight_bits = 4;
    arch.act_bits = 4;
    arch.weight_scale_bits = 4;
    arch.act_scale_bits = 6;
    arch.ppu_outputs_per_cycle = ppu_outputs_per_cycle;
    hw::LayerJob job;
    job.name = "conv";
    job.shape = {6, 6, 20, 12, 3, 3, 1, 1};
    job.relu = true;
    std::mt19937 gen(7);
    std::normal_distribution<float> nd;
    std::vector<float> w(12 * 9 * 20), a(36 * 20);
    for (float& x : w) x = nd(gen);
    for (float& x : a) x = nd(gen);
    bias.assign(12, 0.25f);
    const quant::QuantSpec ws = quant::int_spec(4, quant::Granularity::per_vector, 4, 8),
                          as = quant::int_spec(4, quant::Granularity::per_vector, 6, 8);
    weights = quant::quantize(w.data(), {12 * 9, 20, 9}, ws);
    input = quant::quantize(a.data(), {36, 20, 36}, as);
    job.weights = &weights;
    job.input = &input;
    job.bias = &bias;
    job.output = {as, 0.02f};
    jobs.push_back(job);
  }
};

// Closed form of the wave structure of Fixture: 3 channel blocks × 8 pixel blocks (7 × 5 + 1 pixels) =
// 24 tiles, paired into 12 waves of depth 5; steps per wave = 9 taps × 3 vectors × 5 = 135.
constexpr uint64_t kWaves = 12, kSteps = 9 * 3 * 5;
constexpr uint64_t kLatencies = 2 + 1 + 1;  // MAC, scale unit, collector (ArchParams defaults)
constexpr uint64_t kPpuLatency = 4;

}  // namespace

TEST_CASE("dla timing: ideal pipeline equals the closed form including fill and drain") {
  Fixture f(/*banks=*/8, /*ppu_outputs_per_cycle=*/1024);
  hw::Dla dla("dla", f.arch, f.jobs);
  dlasim::hw::simulate();
  // Waves stream back to back; the last one drains through the latencies, one PPU cycle and its latency.
  const uint64_t expected = kWaves * kSteps + kLatencies + 1 + kPpuLatency;
  REQUIRE(dla.results()[0].cycles == expected);
  const hw::ReferenceResult ref = hw::reference_layer(f.jobs[0], f.arch);
  REQUIRE_NOTHROW(hw::check_bit_exact("conv", dla.results()[0].output, ref.output));
  REQUIRE(int64_t(dla.results()[0].cycles) >= (f.jobs[0].shape.macs() + f.arch.peak_macs_per_cycle() - 1) /
                                         f.arch.peak_macs_per_cycle());
}

TEST_CASE("dla timing: one collector bank serialises waves and the stall cycles are counted") {
  Fixture f(/*banks=*/1, /*ppu_outputs_per_cycle=*/4);
  hw::Dla dla("dla", f.arch, f.jobs);
  dlasim::hw::simulate();
  // Each wave waits until the PPU has drained the previous one: steps + latencies + PPU busy cycles,
  // with PPU busy = ceil(4 lanes × 5 pixels / 4 per cycle) = 5.
  const uint64_t ppu_busy = 5;
  const uint64_t expected = kWaves * (kSteps + kLatencies + ppu_busy) + kPpuLatency;
  REQUIRE(dla.results()[0].cycles == expected);
  const auto& decls = dla.counters().decls();
  uint64_t stalls = 0;
  for (std::size_t i = 0; i < decls.size(); ++i) {
    if (decls[i].name == "stall.collector_full") stalls = dla.results()[0].counters[i];
  }
  REQUIRE(stalls == (kWaves - 1) * (kLatencies + ppu_busy));
  const hw::ReferenceResult ref = hw::reference_layer(f.jobs[0], f.arch);
  REQUIRE_NOTHROW(hw::check_bit_exact("conv", dla.results()[0].output, ref.output));
}

TEST_CASE("dla bit-exact check: a single differing code is reported with layer, position and values") {
  Fixture f(2, 16);
  const hw::ReferenceResult ref = hw::reference_layer(f.jobs[0], f.arch);
  quant::QTensor corrupted = ref.output;
  const int64_t row = 7, col = 3;
  corrupted.codes[row * corrupted.padded_cols() + col] += 1;
  try {
    hw::check_bit_exact("conv", corrupted, ref.output);
    FAIL("no mismatch reported");
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    CHECK(msg.find("layer 'conv'") != std::string::npos);
    CHECK(msg.find("row 7, col 3") != std::string::npos);
  }
}
