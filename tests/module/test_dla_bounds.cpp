// Randomised designs and layers in one elaboration: every layer is bit-exact, never faster than
// max(compute bound, DRAM bound), and its MAC issue and stall cycles never exceed its cycles.
#include <catch2/catch.hpp>

#include <cmath>
#include <deque>
#include <memory>
#include <random>

#include "hw/ctrl/tiling.hpp"
#include "hw/reference.hpp"
#include "hw/top/dla.hpp"
#include "hw/top/simulation.hpp"
#include "quant/quantize.hpp"

using namespace dlasim;

namespace {

struct Case {
  hw::ArchParams arch;
  quant::QTensor weights, input;
  std::vector<float> bias;
  std::vector<hw::LayerJob> jobs;
  std::unique_ptr<hw::Dla> dla;
};

uint64_t counter(const hw::Dla& dla, const std::string& name) {
  const auto& decls = dla.counters().decls();
  for (std::size_t i = 0; i < decls.size(); ++i) {
    if (decls[i].name == name) return dla.results()[0].counters[i];
  }
  FAIL("no counter named " << name);
  return 0;
}

}  // namespace

TEST_CASE("dla bounds: random designs and layers stay bit-exact and above max(compute, DRAM) bounds",
          "[module][dla][memory]") {
  std::mt19937 rng(2024);
  auto pick = [&](std::initializer_list<int> xs) { return *(xs.begin() + rng() % xs.size()); };
  std::deque<Case> cases;
  for (int n = 0; n < 24; ++n) {
    Case& c = cases.emplace_back();
    hw::ArchParams& a = c.arch;
    a.pes = pick({1, 2, 3, 4});
    a.lanes = pick({2, 4, 8});
    a.vector_size = pick({8, 16});
    a.collector_depth = pick({1, 3, 8});
    a.collector_banks = pick({1, 2, 3});
    const bool int8 = rng() % 2;
    a.weight_bits = a.act_bits = int8 ? 8 : 4;
    a.weight_scale_bits = int8 ? 0 : 4;
    a.act_scale_bits = int8 ? 0 : 6;
    a.acc_bits = pick({16, 32});
    a.dram_bytes_per_cycle = pick({0, 1, 4, 16, 64}) / (rng() % 2 ? 1.0 : 2.0);
    a.dram_latency_cycles = pick({0, 7, 150});
    a.gbuf_kib = pick({1, 1024});
    a.gbuf_bank_bytes_per_cycle = pick({0, 2, 16});
    a.buffer_write_entries_per_cycle = pick({0, 1, 4});
    a.double_buffering = rng() % 2;
    a.weight_buffer_kib = pick({1, 32});
    a.input_buffer_kib = pick({1, 32});
    a.ppu_outputs_per_cycle = pick({1, 16});
    const hw::ConvShape sh{pick({3, 7}), pick({4, 5}), pick({8, 20, 48}), pick({5, 16}), pick({1, 3}), pick({1, 3}),
                           pick({1, 2}), 0, 1};
    hw::ConvShape s = sh;
    s.pad = s.kernel_h / 2;
    const quant::QuantSpec ws = int8 ? quant::int_spec(8, quant::Granularity::per_channel, 0, a.vector_size)
                                     : quant::int_spec(4, quant::Granularity::per_vector, 4, a.vector_size);
    const quant::QuantSpec as = int8 ? quant::int_spec(8, quant::Granularity::per_tensor, 0, a.vector_size)
                                     : quant::int_spec(4, quant::Granularity::per_vector, 6, a.vector_size);
    std::normal_distribution<float> nd;
    std::vector<float> w(s.out_c * s.taps() * s.group_in_c()), x(s.in_h * s.in_w * s.in_c);
    for (float& v : w) v = nd(rng);
    for (float& v : x) v = nd(rng);
    c.weights = quant::quantize(w.data(), s.weight_matrix(), ws);
    c.input = quant::quantize(x.data(), s.input_matrix(), as);
    c.bias.assign(s.out_c, 0.5f);
    hw::LayerJob job;
    job.name = "case" + std::to_string(n);
    job.shape = s;
    job.relu = true;
    job.weights = &c.weights;
    job.input = &c.input;
    job.bias = &c.bias;
    job.output = {as, int8 ? 0.05f : 0.02f};
    c.jobs.push_back(job);
    c.dla = std::make_unique<hw::Dla>(("dla" + std::to_string(n)).c_str(), c.arch, c.jobs);
  }
  dlasim::hw::simulate();
  for (const Case& c : cases) {
    const hw::LayerJob& job = c.jobs[0];
    const hw::Dla& dla = *c.dla;
    INFO(job.name << ": pes " << c.arch.pes << " lanes " << c.arch.lanes << " V " << c.arch.vector_size << " depth "
                  << c.arch.collector_depth << " DRAM " << c.arch.dram_bytes_per_cycle << " B/cycle, latency "
                  << c.arch.dram_latency_cycles << ", passes " << dla.plans()[0].passes());
    const uint64_t cycles = dla.results()[0].cycles;
    const uint64_t compute = (job.shape.macs() + c.arch.peak_macs_per_cycle() - 1) / c.arch.peak_macs_per_cycle();
    CHECK(cycles >= compute);
    if (c.arch.dram_bytes_per_cycle > 0.0) {
      const double bytes = std::ceil(double(hw::min_dram_bits(dla.plans()[0])) / 8.0);
      CHECK(double(cycles) >= bytes / c.arch.dram_bytes_per_cycle);
      // Every byte the plan moves crosses the channel: the channel was busy at least that long.
      const double moved = std::ceil(double(counter(dla, "dram.read_bits") + counter(dla, "dram.write_bits")) / 8.0);
      CHECK(double(counter(dla, "dram.busy_cycles")) >= moved / c.arch.dram_bytes_per_cycle - 1e-9);
      CHECK(counter(dla, "dram.read_bits") + counter(dla, "dram.write_bits") >= hw::min_dram_bits(dla.plans()[0]));
    }
    CHECK(counter(dla, "pe.mac_array.issue_cycles") + counter(dla, "stall.dram") + counter(dla, "stall.gbuf") +
              counter(dla, "stall.collector_full") <=
          cycles);
    const hw::ReferenceResult ref = hw::reference_layer(job, c.arch);
    REQUIRE_NOTHROW(hw::check_bit_exact(job.name, dla.results()[0].output, ref.output));
    CHECK(counter(dla, "pe.collector.saturations") == uint64_t(ref.saturations));
  }
}
