// The DLA's watchdog (hw/top/dla.hpp): a DLA that stops progressing is stopped with a message naming every
// block's state; a DLA that progresses, even through DRAM gaps longer than the watchdog, is never stopped
// and its timing is unchanged.
// Each TEST_CASE elaborates one simulation (ctest runs every case in its own process).
#include <catch2/catch.hpp>

#include <deque>
#include <random>
#include <string>
#include <vector>

#include "hw/reference.hpp"
#include "hw/timing.hpp"
#include "hw/top/dla.hpp"
#include "hw/top/simulation.hpp"
#include "quant/quantize.hpp"

using namespace dlasim;

namespace {

const quant::QuantSpec kW4 = quant::int_spec(4, quant::Granularity::per_vector, 4, 8);
const quant::QuantSpec kA4 = quant::int_spec(4, quant::Granularity::per_vector, 6, 8);

// One 3x3 conv layer (12 passes of 135 cycles on 2 PEs x 4 lanes, V = 8) with seeded normal operands.
struct Fixture {
  hw::ArchParams arch;
  std::deque<quant::QTensor> tensors;
  std::vector<float> bias;
  std::vector<hw::LayerJob> jobs;

  Fixture() {
    arch.pes = 2;
    arch.lanes = 4;
    arch.vector_size = 8;
    arch.collector_depth = 5;
    arch.weight_bits = 4;
    arch.act_bits = 4;
    arch.weight_scale_bits = 4;
    arch.act_scale_bits = 6;
    const hw::ConvShape sh{6, 6, 20, 12, 3, 3, 1, 1};
    std::mt19937 gen(11);
    std::normal_distribution<float> nd;
    std::vector<float> w(sh.out_c * sh.taps() * sh.group_in_c()), a(sh.in_h * sh.in_w * sh.in_c);
    for (float& x : w) x = nd(gen);
    for (float& x : a) x = nd(gen);
    tensors.push_back(quant::quantize(w.data(), sh.weight_matrix(), kW4));
    tensors.push_back(quant::quantize(a.data(), sh.input_matrix(), kA4));
    bias.assign(sh.out_c, 0.125f);
    for (int l = 0; l < 2; ++l) {
      hw::LayerJob job;
      job.name = "conv" + std::to_string(l);
      job.shape = sh;
      job.relu = true;
      job.weights = &tensors[0];
      job.input = &tensors[1];
      job.bias = &bias;
      job.output = {kA4, 0.05f};
      jobs.push_back(job);
    }
  }
};

// The names of the thread processes under `objects` that have not terminated.
void live_threads(const std::vector<sc_core::sc_object*>& objects, std::vector<std::string>& names) {
  for (sc_core::sc_object* object : objects) {
    const sc_core::sc_process_handle process(object);
    if (process.valid() && process.proc_kind() == sc_core::SC_THREAD_PROC_ && !process.terminated()) {
      names.push_back(object->name());
    }
    live_threads(object->get_child_objects(), names);
  }
}

uint64_t now_cycles(const hw::ArchParams& a) { return hw::to_cycles(sc_core::sc_time_stamp(), hw::clock_period(a.clock_mhz)); }

}  // namespace

TEST_CASE("dla watchdog: a DLA whose DRAM stops serving reads is stopped within watchdog_cycles, naming every "
          "block's state", "[module][dla][watchdog]") {
  Fixture f;
  f.arch.watchdog_cycles = 5000;
  f.arch.fault_stall_dram_after_bytes = 1;  // the first pass's read goes through, the second never does
  hw::Dla dla("dla", f.arch, f.jobs);
  dlasim::hw::simulate();
  const std::string& msg = dla.watchdog_error();
  REQUIRE(!msg.empty());
  // The last completion is the first pass through the pipeline (DRAM latency 100 + transfer + 135 issue
  // cycles + latencies + PPU, well under 1000 cycles); the stop comes exactly watchdog_cycles after it.
  const uint64_t stop = now_cycles(f.arch);
  CHECK(stop >= 5000);
  CHECK(stop <= 5000 + 1000);
  CHECK(msg.rfind("watchdog: no progress for 5000 cycles at cycle " + std::to_string(stop) + " (dla)\n", 0) == 0);
  CAPTURE(msg);
  // One line per block, each with its state.
  CHECK(msg.find("\n  dla.controller: layer 0 'conv0' (1 of 2), passes issued 3/12, layers left 2, waiting for a "
                 "free PE-buffer slot\n") != std::string::npos);
  CHECK(msg.find("\n  dla.dram: read requests queued 1, write requests queued 0, reads accepted 1 (") !=
        std::string::npos);
  CHECK(msg.find("reads stopped by the injected fault") != std::string::npos);
  CHECK(msg.find("\n  dla.gbuf: capacity 1048576 B in 8 banks, pass held 0 B, passes forwarded 1, fill queue 0, "
                 "waiting for a pass from the DRAM interface\n") != std::string::npos);
  CHECK(msg.find("\n  dla.pe_buffers.pe0: weight buffer 2/2 slots occupied, input buffer 2/2 slots occupied\n") !=
        std::string::npos);
  CHECK(msg.find("\n  dla.pe_buffers.pe1: weight buffer 2/2 slots occupied, input buffer 2/2 slots occupied\n") !=
        std::string::npos);
  CHECK(msg.find("\n  dla.pe_buffers: passes written 1,") != std::string::npos);
  CHECK(msg.find("\n  dla.mac_array: passes issued 1, pass in flight none, collector bank 0, waiting for a pass "
                 "from the PE buffers\n") != std::string::npos);
  CHECK(msg.find("\n  dla.scale_unit: passes scaled 1, dot products queued 0, waiting for dot products\n") !=
        std::string::npos);
  // The first pass is a whole tile set: its bank went through the PPU, which staged its 40 outputs.
  CHECK(msg.find("\n  dla.collector: banks in use 0/2, passes accumulated 1, partial sums queued 0, waiting for "
                 "partial sums\n") != std::string::npos);
  CHECK(msg.find("\n  dla.ppu: banks queued 0, outputs staged 40 (layer 0), outputs pending write 0 B, waiting "
                 "for a complete collector bank") != std::string::npos);
  CHECK(dla.results()[0].output.codes.empty());
  // Every thread was killed and unwound before sc_stop (hw::stop_simulation): none is left suspended, holding
  // waves in locals that SystemC would free with its stack without destroying them.
  std::vector<std::string> live;
  live_threads(sc_core::sc_get_top_level_objects(), live);
  CHECK(live == std::vector<std::string>{});
}

TEST_CASE("dla watchdog: DRAM gaps longer than the watchdog are progress, the watchdog never fires and changes "
          "no cycle", "[module][dla][watchdog]") {
  Fixture f;
  f.arch.dram_latency_cycles = 1000;
  f.arch.dram_bytes_per_cycle = 0.25;  // a pass's read takes thousands of cycles
  f.arch.watchdog_cycles = 300;        // shorter than every DRAM access
  hw::ArchParams unwatched = f.arch;
  unwatched.watchdog_cycles = 0;
  hw::Dla watched_dla("watched", f.arch, f.jobs);
  hw::Dla unwatched_dla("unwatched", unwatched, f.jobs);
  dlasim::hw::simulate();
  CHECK(watched_dla.watchdog_error().empty());
  for (std::size_t l = 0; l < f.jobs.size(); ++l) {
    CAPTURE(l);
    const hw::LayerResult& r = watched_dla.results()[l];
    REQUIRE(!r.output.codes.empty());
    CHECK(r.cycles == unwatched_dla.results()[l].cycles);
    CHECK(r.cycles > 2000);
    const hw::ReferenceResult ref = hw::reference_layer(f.jobs[l], f.arch);
    REQUIRE_NOTHROW(hw::check_bit_exact(f.jobs[l].name, r.output, ref.output));
  }
  // The simulation ends with the last layer, not at a later watchdog wake-up.
  uint64_t total = 0;
  for (const hw::LayerResult& r : unwatched_dla.results()) total += r.cycles;
  CHECK(now_cycles(f.arch) == total);
}
