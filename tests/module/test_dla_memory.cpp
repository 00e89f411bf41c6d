// The DLA with its memory system: DRAM latency and bandwidth, global-buffer bandwidth, PE-buffer slots and
// reduction passes, against closed forms, the DRAM bound and the reference.
// Each TEST_CASE elaborates one simulation (ctest runs every case in its own process).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <deque>
#include <random>
#include <string>

#include "hw/ctrl/tiling.hpp"
#include "hw/reference.hpp"
#include "hw/top/dla.hpp"
#include "hw/top/simulation.hpp"
#include "quant/quantize.hpp"

using namespace dlasim;

namespace {

// Layers with seeded normal operands; tensors live in deques so the jobs' pointers stay valid.
struct Fixture {
  hw::ArchParams arch;
  std::deque<quant::QTensor> tensors;
  std::deque<std::vector<float>> biases;
  std::vector<hw::LayerJob> jobs;

  Fixture(const quant::QuantSpec& ws, const quant::QuantSpec& as) : ws_(ws), as_(as) {
    arch.pes = 2;
    arch.lanes = 4;
    arch.vector_size = ws.vector_size;
    arch.collector_depth = 5;
    arch.weight_bits = ws.bits();
    arch.act_bits = as.bits();
    arch.weight_scale_bits = ws.granularity == quant::Granularity::per_vector ? ws.scale_bits : 0;
    arch.act_scale_bits = as.granularity == quant::Granularity::per_vector ? as.scale_bits : 0;
  }

  void add(const std::string& name, const hw::ConvShape& sh, float out_scale, uint32_t seed) {
    std::mt19937 gen(seed);
    std::normal_distribution<float> nd;
    std::vector<float> w(sh.out_c * sh.taps() * sh.group_in_c()), a(sh.in_h * sh.in_w * sh.in_c);
    for (float& x : w) x = nd(gen);
    for (float& x : a) x = nd(gen);
    tensors.push_back(quant::quantize(w.data(), sh.weight_matrix(), ws_));
    const quant::QTensor* wt = &tensors.back();
    tensors.push_back(quant::quantize(a.data(), sh.input_matrix(), as_));
    biases.emplace_back(sh.out_c, 0.125f);
    hw::LayerJob job;
    job.name = name;
    job.shape = sh;
    job.relu = true;
    job.weights = wt;
    job.input = &tensors.back();
    job.bias = &biases.back();
    job.output = {as_, out_scale};
    jobs.push_back(job);
  }

 private:
  quant::QuantSpec ws_, as_;
};

uint64_t counter(const hw::Dla& dla, std::size_t layer, const std::string& name) {
  const auto& decls = dla.counters().decls();
  for (std::size_t i = 0; i < decls.size(); ++i) {
    if (decls[i].name == name) return dla.results()[layer].counters[i];
  }
  FAIL("no counter named " << name);
  return 0;
}

void check_bit_exact(const Fixture& f, const hw::Dla& dla) {
  for (std::size_t l = 0; l < f.jobs.size(); ++l) {
    const hw::ReferenceResult ref = hw::reference_layer(f.jobs[l], f.arch);
    REQUIRE_NOTHROW(hw::check_bit_exact(f.jobs[l].name, dla.results()[l].output, ref.output));
    CHECK(counter(dla, l, "pe.collector.saturations") == uint64_t(ref.saturations));
  }
}

uint64_t latencies(const hw::ArchParams& a) {
  return a.mac_latency_cycles + (a.has_scale_unit() ? a.scale_latency_cycles : 0) + a.collector_latency_cycles;
}

// Cycles of a layer on an ideal memory system with enough collector banks (the PPU never back-pressures):
// passes back to back, then the pipeline latencies, the last wave's PPU cycles and the PPU latency.
uint64_t ideal_cycles(const hw::LayerJob& job, const hw::ArchParams& a) {
  uint64_t cycles = 0, last_ppu = 0;
  for (const hw::WavePtr& w : hw::plan_waves(job, 0, a, hw::plan_tiling(job, a))) {
    int64_t busiest = 0;
    for (const hw::Tile& t : w->tiles) busiest = std::max(busiest, t.k_count * t.p_count);
    last_ppu = (busiest + a.ppu_outputs_per_cycle - 1) / a.ppu_outputs_per_cycle;
    cycles += w->issue_cycles;
  }
  return cycles + latencies(a) + last_ppu + a.ppu_latency_cycles;
}

uint64_t memory_bound(const hw::LayerJob& job, const hw::ArchParams& a) {
  const uint64_t bytes = (hw::min_dram_bits(hw::plan_tiling(job, a)) + 7) / 8;
  return uint64_t(std::ceil(double(bytes) / a.dram_bytes_per_cycle));
}

const quant::QuantSpec kW4 = quant::int_spec(4, quant::Granularity::per_vector, 4, 8);
const quant::QuantSpec kA4 = quant::int_spec(4, quant::Granularity::per_vector, 6, 8);
const quant::QuantSpec kW8 = quant::int_spec(8, quant::Granularity::per_channel, 0, 16);
const quant::QuantSpec kA8 = quant::int_spec(8, quant::Granularity::per_tensor, 0, 16);

}  // namespace

TEST_CASE("dla memory: DRAM latency with unlimited bandwidth adds it once before the first pass and once after "
          "the last write", "[module][dla][memory]") {
  Fixture f(kW4, kA4);
  f.arch = hw::with_ideal_memory(f.arch);
  f.arch.collector_banks = 8;
  f.arch.dram_latency_cycles = 50;  // below one pass (9 taps × 3 vectors × 5 = 135 cycles): prefetch hides it
  f.add("conv", {6, 6, 20, 12, 3, 3, 1, 1}, 0.05f, 7);
  hw::Dla dla("dla", f.arch, f.jobs);
  dlasim::hw::simulate();
  const uint64_t ideal = ideal_cycles(f.jobs[0], f.arch);
  CHECK(ideal == 12 * 135 + 4 + 2 + 4);
  CHECK(dla.results()[0].cycles == ideal + 2 * 50);
  CHECK(counter(dla, 0, "stall.dram") == 50);
  CHECK(counter(dla, 0, "stall.gbuf") == 0);
  // Every byte crosses the DRAM interface once (weights and input both fit the global buffer).
  const hw::TilingPlan& plan = dla.plans()[0];
  CHECK(plan.weights_resident);
  CHECK(plan.input_resident);
  CHECK(counter(dla, 0, "dram.read_bits") == plan.weight_bits + plan.input_bits);
  CHECK(counter(dla, 0, "dram.write_bits") == plan.output_bits);
  // The MAC array issued for 12 × 135 cycles and waited 50: the rest is the drain (latencies, PPU, write
  // acknowledge).
  CHECK(counter(dla, 0, "pe.mac_array.issue_cycles") == 12 * 135);
  check_bit_exact(f, dla);
}

TEST_CASE("dla memory: a memory-bound fully connected layer runs at the DRAM bandwidth, and halving it doubles "
          "the cycles", "[module][dla][memory]") {
  // FC 1024 -> 256, INT8 baseline: 256 KiB of weights used once each; compute is 256 cycles on 1024 MACs/cycle.
  const hw::ConvShape fc{1, 1, 1024, 256, 1, 1, 1, 0};
  uint64_t cycles[2] = {0, 0};
  Fixture f(kW8, kA8);
  f.arch.pes = 4;
  f.arch.lanes = 16;
  f.arch.collector_depth = 16;
  f.add("fc", fc, 0.5f, 11);
  f.add("fc_half_bandwidth", fc, 0.5f, 11);
  // Two DLAs in one elaboration: 16 and 8 bytes/cycle.
  hw::ArchParams half = f.arch;
  f.arch.dram_bytes_per_cycle = 16.0;
  half.dram_bytes_per_cycle = 8.0;
  const std::vector<hw::LayerJob> job_full{f.jobs[0]}, job_half{f.jobs[1]};
  hw::Dla full_dla("full", f.arch, job_full);
  hw::Dla half_dla("half", half, job_half);
  dlasim::hw::simulate();
  cycles[0] = full_dla.results()[0].cycles;
  cycles[1] = half_dla.results()[0].cycles;
  const uint64_t bound_full = memory_bound(job_full[0], f.arch), bound_half = memory_bound(job_half[0], half);
  INFO("cycles " << cycles[0] << " / " << cycles[1] << ", DRAM bounds " << bound_full << " / " << bound_half);
  CHECK(bound_full > 16 * 256);  // memory-bound by far
  CHECK(cycles[0] >= bound_full);
  CHECK(cycles[1] >= bound_half);
  CHECK(double(cycles[0]) <= 1.08 * double(bound_full));
  CHECK(double(cycles[1]) <= 1.05 * double(bound_half));
  const double ratio = double(cycles[1]) / double(cycles[0]);
  CHECK(ratio >= 1.9);
  CHECK(ratio <= 2.0);
  // The MAC array mostly waits for DRAM, and that is where its idle time is booked.
  CHECK(counter(full_dla, 0, "stall.dram") > 0.85 * double(cycles[0]));
  CHECK(counter(half_dla, 0, "stall.dram") > counter(full_dla, 0, "stall.dram"));
  for (const hw::Dla* d : {&full_dla, &half_dla}) {
    const hw::ReferenceResult ref = hw::reference_layer(d == &full_dla ? job_full[0] : job_half[0], f.arch);
    REQUIRE_NOTHROW(hw::check_bit_exact("fc", d->results()[0].output, ref.output));
  }
}

TEST_CASE("dla memory: without double buffering each pass loads, then computes; with it loads overlap compute",
          "[module][dla][memory]") {
  Fixture f(kW4, kA4);
  f.arch = hw::with_ideal_memory(f.arch);
  f.arch.collector_banks = 8;
  f.arch.gbuf_banks = 1;
  f.arch.gbuf_bank_bytes_per_cycle = 1;  // the global buffer feeds the PEs at 1 B/cycle
  f.add("conv", {6, 6, 20, 12, 3, 3, 1, 1}, 0.05f, 7);
  hw::ArchParams single = f.arch;
  single.double_buffering = false;
  hw::Dla double_dla("double", f.arch, f.jobs);
  hw::Dla single_dla("single", single, f.jobs);
  dlasim::hw::simulate();
  // Single slot: pass k's transfer starts when pass k-1 has issued: Σ (transfer + issue) + drain.
  uint64_t serial = 0, transfers = 0;
  for (const hw::WavePtr& w : hw::plan_waves(f.jobs[0], 0, single, hw::plan_tiling(f.jobs[0], single))) {
    const uint64_t t = (w->gbuf_read_bits + 7) / 8;  // 1 B/cycle
    transfers += t;
    serial += t + w->issue_cycles;
  }
  const uint64_t drain = latencies(f.arch) + 1 + f.arch.ppu_latency_cycles;
  CHECK(single_dla.results()[0].cycles == serial + drain);
  CHECK(counter(single_dla, 0, "stall.gbuf") == transfers);
  CHECK(double_dla.results()[0].cycles < single_dla.results()[0].cycles);
  CHECK(counter(double_dla, 0, "stall.gbuf") < transfers);
  check_bit_exact(f, double_dla);
  check_bit_exact(f, single_dla);
}

TEST_CASE("dla memory: a small weight buffer cuts the reduction into passes that stay bit-exact, saturation "
          "included", "[module][dla][memory]") {
  Fixture f(kW4, kA4);
  f.arch.acc_bits = 14;                // narrow: sums clip, so the accumulation order matters
  f.arch.weight_buffer_kib = 0.125;    // 1024 bits = 8 rows of 128 bits: 4 lanes × 2 rows × 4 vectors
  f.arch.scale_product_bits = 8;
  f.add("conv", {6, 6, 40, 12, 3, 3, 1, 1}, 0.05f, 3);  // 9 taps × 5 vectors = 45 steps
  hw::Dla dla("dla", f.arch, f.jobs);
  dlasim::hw::simulate();
  const hw::TilingPlan& plan = dla.plans()[0];
  // Slot = half of 8 rows = 4 rows = 1 row per lane = 4 vectors of 4 × 8 + 4 bits (2 per 128-bit row... of
  // 32 elements = 4 vectors of 8).
  CHECK(plan.weight_slot_entries == 4);
  CHECK(plan.pass_steps == 4);
  CHECK(plan.passes() == 12);
  check_bit_exact(f, dla);
  CHECK(counter(dla, 0, "pe.collector.saturations") > 0);
  CHECK(dla.results()[0].cycles >= uint64_t((f.jobs[0].shape.macs() + f.arch.peak_macs_per_cycle() - 1) /
                                            f.arch.peak_macs_per_cycle()));
}
