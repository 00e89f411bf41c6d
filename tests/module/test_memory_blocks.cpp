// Module testbench of the memory hierarchy: hw::DramInterface alone, and hw::DramInterface → hw::GlobalBuffer
// → hw::PeBuffers wired as hw::Dla wires them (fifos of depth 1, output writes through a fifo of depth 2).
//
// A read driver issues the waves hw::plan_waves plans for two real layers (one whose operands stay resident in
// the global buffer, so many passes read nothing from DRAM, and one whose weights stream), a write driver
// issues synthetic output writes of several layers, both with random gaps; a sink takes the waves with random
// hold times (back-pressure through every fifo) and a second sink takes LayerDone. A monitor samples
// dram.write_bits in the middle of every cycle, which shows when each write's transfer ended.
//
// After sc_start() the test replays the recorded gaps and holds through a closed-form model of the documented
// rules, written here without the blocks' code:
//   DRAM (hw/memory/dram_interface.hpp): one channel, requests in arrival order (a read arrives when the
//     interface takes it from its fifo, a write likewise); an access of B bytes occupies the channel for
//     ceil(B / bandwidth) cycles from max(arrival, end of the previous access); read data ready `latency`
//     cycles after the transfer ends (at arrival when the pass reads nothing); reads forwarded at once; the
//     write process holds each write for its transfer and LayerDone comes `latency` cycles after the layer's
//     last transfer ends. Bandwidth 0: transfers take no cycles.
//   Global buffer (hw/memory/global_buffer.hpp): store and forward; a pass's transfer starts when the pass
//     is handed to the PE buffers (fill_out, "at the start of the transfer"), which is once its DRAM data has
//     arrived and the previous transfer is done; it takes ceil(bytes / (banks · bank bytes per cycle)) cycles.
//   PE buffers (hw/buffer/pe_buffers.hpp): rows written from when they take the pass, at
//     buffer_write_entries_per_cycle rows per cycle of the busiest PE; operands ready at the later of that and
//     the global buffer's transfer end; the write port is busy until then.
// Each block is one process that takes a pass from its input fifo when it is done with the previous one and
// blocks while its output fifo is full; the model follows the passes through the same fifos.
//
// Each TEST_CASE elaborates one simulation and calls sc_start() once (ctest runs each in its own process).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <systemc>

#include "hw/arch_params.hpp"
#include "hw/buffer/pe_buffers.hpp"
#include "hw/counters.hpp"
#include "hw/ctrl/tiling.hpp"
#include "hw/layer.hpp"
#include "hw/memory/dram_interface.hpp"
#include "hw/memory/global_buffer.hpp"
#include "hw/timing.hpp"
#include "hw/top/simulation.hpp"
#include "hw/wave.hpp"
#include "quant/qtensor.hpp"
#include "quant/quantize.hpp"

namespace {

using namespace dlasim;
using hw::ArchParams;
using hw::OutputWrite;
using hw::WavePtr;
using sc_core::sc_time;

// ---------------------------------------------------------------------------------------------------------
// Traffic

// One conv layer with seeded INT4 two-level operands (V = 8); the job points into the object.
struct Layer {
  quant::QTensor weights, input;
  std::vector<float> bias;
  hw::LayerJob job;

  Layer(const hw::ConvShape& sh, uint32_t seed) {
    std::mt19937 gen(seed);
    std::normal_distribution<float> nd;
    std::vector<float> w(sh.out_c * sh.taps() * sh.group_in_c()), a(sh.in_h * sh.in_w * sh.in_c);
    for (float& x : w) x = nd(gen);
    for (float& x : a) x = nd(gen);
    weights = quant::quantize(w.data(), sh.weight_matrix(), quant::int_spec(4, quant::Granularity::per_vector, 4, 8));
    input = quant::quantize(a.data(), sh.input_matrix(), quant::int_spec(4, quant::Granularity::per_vector, 6, 8));
    bias.assign(sh.out_c, 0.0f);
    job.name = "conv";
    job.shape = sh;
    job.weights = &weights;
    job.input = &input;
    job.bias = &bias;
    job.output = {quant::int_spec(4, quant::Granularity::per_vector, 6, 8), 0.1f};
  }
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;
};

// The PE array of the traffic: 2 PEs × 4 lanes, V = 8, INT4 with 4/6-bit scale codes. A 2 KiB global buffer
// holds layer A (resident) but not layer B (input resident, weights streamed); a 0.25 KiB weight buffer
// (8 rows per slot) cuts the reduction into passes of 8 steps.
ArchParams traffic_arch() {
  ArchParams a;
  a.pes = 2;
  a.lanes = 4;
  a.vector_size = 8;
  a.collector_depth = 4;
  a.weight_bits = a.act_bits = 4;
  a.weight_scale_bits = 4;
  a.act_scale_bits = 6;
  a.weight_buffer_kib = 0.25;
  a.gbuf_kib = 2.0;
  return a;
}

// Waves of layer A (6×6×16 → 8, 3×3, pad 1) then layer B (8×8×32 → 12, 3×3, pad 1), in issue order.
std::vector<WavePtr> planned_waves(const Layer& a, const Layer& b, const ArchParams& arch) {
  const hw::TilingPlan pa = hw::plan_tiling(a.job, arch), pb = hw::plan_tiling(b.job, arch);
  REQUIRE(pa.weights_resident);
  REQUIRE(pa.input_resident);
  REQUIRE_FALSE(pb.weights_resident);
  REQUIRE(pb.input_resident);
  REQUIRE(pa.passes() == 3);  // 18 steps in passes of 8, 8, 2
  REQUIRE(pb.passes() == 5);  // 36 steps in passes of 8
  std::vector<WavePtr> waves = hw::plan_waves(a.job, 0, arch, pa);
  for (WavePtr& w : hw::plan_waves(b.job, 1, arch, pb)) waves.push_back(std::move(w));
  return waves;
}

// Synthetic output writes of `layers` layers (bits 1..6000, not byte multiples), the last of each flagged.
std::vector<OutputWrite> synthetic_writes(int layers, int per_layer, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> bits(1, 6000);
  std::vector<OutputWrite> writes;
  for (int l = 0; l < layers; ++l) {
    for (int i = 0; i < per_layer; ++i) writes.push_back({std::size_t(l), uint64_t(bits(rng)), i == per_layer - 1});
  }
  return writes;
}

// Bandwidth in bytes per cycle as num / den (num 0: unlimited), so the model can round up exactly.
struct Bandwidth {
  int64_t num = 0, den = 1;
  double value() const { return double(num) / double(den); }
};

// ceil(ceil(bits / 8) / bandwidth) cycles, in integers.
int64_t transfer_cycles(uint64_t bits, Bandwidth bw) {
  if (bw.num == 0) return 0;
  const int64_t bytes = int64_t((bits + 7) / 8);
  return (bytes * bw.den + bw.num - 1) / bw.num;
}

// ---------------------------------------------------------------------------------------------------------
// Testbench

struct Stalls {
  int read_gap_max = 0;      // read driver: random gap 0..this before each wave ...
  int write_gap_max = 0;     // write driver: ... before each write
  int hold_max = 0;          // wave sink: random hold 0..this before it takes the next wave
  int long_every = 0;        // when > 0, each gap or hold gets, with probability 1/this, an extra ...
  int long_max = 0;          // ... 0..this cycles (lets queues drain, or builds back-pressure)
};

class MemoryBench : public sc_core::sc_module {
 public:
  MemoryBench(sc_core::sc_module_name name, const ArchParams& arch, std::vector<WavePtr> waves,
              std::vector<OutputWrite> writes, bool chain, uint32_t seed, const Stalls& stalls)
      : sc_module(name), arch(arch), waves(std::move(waves)), writes(std::move(writes)), chain(chain),
        period(hw::clock_period(arch.clock_mhz)), stalls_(stalls), read_rng_(seed), write_rng_(seed + 1),
        hold_rng_(seed + 2), read_in_f_("read_in_f", 1), fills_f_("fills_f", 1), operands_f_("operands_f", 1),
        out_f_("out_f", 1), writes_f_("writes_f", 2), done_f_("done_f", 1), dram_("dram", arch, counters) {
    dram_.read_in(read_in_f_);
    dram_.write_in(writes_f_);
    dram_.done_out(done_f_);
    if (chain) {
      gbuf_ = std::make_unique<hw::GlobalBuffer>("gbuf", arch, counters);
      pe_ = std::make_unique<hw::PeBuffers>("pe_buffers", arch, counters);
      dram_.read_out(fills_f_);
      gbuf_->fill_in(fills_f_);
      gbuf_->fill_out(operands_f_);
      pe_->fill_in(operands_f_);
      pe_->operands_out(out_f_);
    } else {
      dram_.read_out(out_f_);
    }
    for (const OutputWrite& w : this->writes) layers_done_expected_ += w.last_of_layer;
    SC_HAS_PROCESS(MemoryBench);
    SC_THREAD(read_driver);
    SC_THREAD(write_driver);
    SC_THREAD(wave_sink);
    SC_THREAD(done_sink);
    SC_THREAD(monitor);
  }

  const ArchParams& arch;
  const std::vector<WavePtr> waves;
  const std::vector<OutputWrite> writes;
  const bool chain;
  const sc_time period;
  hw::Counters counters;  // declared before the blocks that register into it

  // Recorded by the threads (cycles), replayed by the model after sc_start().
  std::vector<int64_t> read_gap, read_wrote;    // gap before wave j; its write into read_in completed
  std::vector<int64_t> write_gap, write_wrote;  // the same for output write k
  std::vector<int64_t> hold, got;               // sink hold before taking wave j; the time it got it
  std::vector<std::pair<std::size_t, int64_t>> done;        // LayerDone (layer, cycle)
  std::vector<std::pair<int64_t, uint64_t>> write_trace;    // (cycle, dram.write_bits) at every change
  std::vector<std::string> errors;

 private:
  int64_t now() {
    const sc_time t = sc_core::sc_time_stamp();
    if (t.value() % period.value() != 0) errors.push_back("event off the cycle grid at " + t.to_string());
    return int64_t(t.value() / period.value());
  }
  int draw(std::mt19937& rng, int max) {
    int c = std::uniform_int_distribution<int>(0, max)(rng);
    if (stalls_.long_every > 0 && std::uniform_int_distribution<int>(0, stalls_.long_every - 1)(rng) == 0) {
      c += std::uniform_int_distribution<int>(0, stalls_.long_max)(rng);
    }
    return c;
  }

  void read_driver() {
    for (const WavePtr& w : waves) {
      const int gap = draw(read_rng_, stalls_.read_gap_max);
      read_gap.push_back(gap);
      wait(double(gap) * period);
      read_in_f_.write(w);
      read_wrote.push_back(now());
    }
  }

  void write_driver() {
    for (const OutputWrite& w : writes) {
      const int gap = draw(write_rng_, stalls_.write_gap_max);
      write_gap.push_back(gap);
      wait(double(gap) * period);
      writes_f_.write(w);
      write_wrote.push_back(now());
    }
  }

  void wave_sink() {
    for (std::size_t j = 0; j < waves.size(); ++j) {
      const int h = draw(hold_rng_, stalls_.hold_max);
      hold.push_back(h);
      wait(double(h) * period);
      const WavePtr w = out_f_.read();
      got.push_back(now());
      if (w != waves[j]) errors.push_back("wave " + std::to_string(j) + " arrived out of order");
    }
  }

  void done_sink() {
    while (true) {
      const hw::LayerDone d = done_f_.read();
      done.emplace_back(d.layer, now());
    }
  }

  // Samples dram.write_bits half a cycle after every cycle boundary (all block events are on the boundary,
  // so the sample sees everything of that cycle) until all traffic is through, or a hard limit.
  void monitor() {
    std::size_t id = 0;
    while (counters.decls()[id].name != "dram.write_bits") ++id;
    uint64_t last = 0;
    wait(0.5 * period);
    for (int64_t cycle = 0; cycle < 5'000'000; ++cycle) {
      const uint64_t v = counters.values()[id];
      if (v != last) write_trace.emplace_back(cycle, v);
      last = v;
      if (got.size() == waves.size() && done.size() == layers_done_expected_ && write_wrote.size() == writes.size() &&
          v == total_write_bits()) {
        break;
      }
      wait(period);
    }
  }

  uint64_t total_write_bits() const {
    uint64_t s = 0;
    for (const OutputWrite& w : writes) s += w.bits;
    return s;
  }

  Stalls stalls_;
  std::mt19937 read_rng_, write_rng_, hold_rng_;
  std::size_t layers_done_expected_ = 0;
  sc_core::sc_fifo<WavePtr> read_in_f_, fills_f_, operands_f_, out_f_;
  sc_core::sc_fifo<OutputWrite> writes_f_;
  sc_core::sc_fifo<hw::LayerDone> done_f_;
  hw::DramInterface dram_;
  std::unique_ptr<hw::GlobalBuffer> gbuf_;
  std::unique_ptr<hw::PeBuffers> pe_;
};

uint64_t counter(const hw::Counters& c, const std::string& name) {
  for (std::size_t i = 0; i < c.decls().size(); ++i) {
    if (c.decls()[i].name == name) return c.values()[i];
  }
  FAIL("no counter named " << name);
  return 0;
}

int64_t cycles_of(const sc_time& t, const sc_time& period) {
  REQUIRE(t.value() % period.value() == 0);
  return int64_t(t.value() / period.value());
}

// ---------------------------------------------------------------------------------------------------------
// Closed-form model

struct Model {
  // Reads (per wave): driver's write done, DRAM arrival, DRAM ready, global-buffer transfer start and end,
  // PE-buffer write start, operands ready, sink took it.
  std::vector<int64_t> read_wrote, arrival, dram_ready, gbuf_start, gbuf_end, pe_start, operands_ready, got;
  // Writes: driver's write done, arrival at the write process, end of the transfer.
  std::vector<int64_t> write_wrote, write_arrival, write_end;
  std::vector<std::pair<std::size_t, int64_t>> done;
  std::vector<std::pair<int64_t, uint64_t>> write_trace;
  uint64_t busy_cycles = 0;
  // Coverage of the run (documents what the seeds exercised).
  int ties = 0;                 // a read and a write arrived in the same cycle
  int reads_queued = 0;         // a read found the channel busy
  int writes_queued = 0;        // a write found the channel busy
  int reads_without_dram = 0;   // passes with nothing to fetch
  int dram_blocked = 0;         // the DRAM interface could not forward a read at once (its output fifo full)
  int gbuf_blocked = 0;         // the global buffer waited for the PE buffers to take a pass
  int gbuf_bound = 0;           // operands ready at the global buffer's transfer end (after the PE writes)
  int pe_bound = 0;             // operands ready at the PE buffers' write end (after the transfer)
};

// Replays the bench's recorded gaps and holds. `observed_ready` (each wave's dram_ready_at, cycles) only
// decides ties: when a read and a write arrive in the same cycle either may take the channel first ("arrival
// order" does not order them); the model takes the order under which the read's observed time is right, so
// the observed times of both must then match.
Model replay(const MemoryBench& b, Bandwidth dram_bw, Bandwidth gbuf_bw, const std::vector<int64_t>& observed_ready) {
  const ArchParams& a = b.arch;
  const std::size_t n = b.waves.size(), m = b.writes.size();
  const int64_t latency = a.dram_latency_cycles, per_cycle = a.buffer_write_entries_per_cycle;
  constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
  Model md;
  md.read_wrote.assign(n, 0);
  md.arrival = md.dram_ready = md.gbuf_start = md.gbuf_end = md.pe_start = md.operands_ready = md.got = md.read_wrote;
  md.write_wrote.assign(m, 0);
  md.write_arrival = md.write_end = md.write_wrote;
  // Per-wave stage times of the fifo hand-overs: the DRAM interface forwarded it, the global buffer took it
  // and is free again, the PE buffers forwarded it and are free again.
  std::vector<int64_t> dram_fwd(n, 0), gbuf_take(n, 0), gbuf_free(n, 0), pe_fwd(n, 0), pe_free(n, 0);
  std::vector<int64_t> write_free(m, 0);
  int64_t channel_free = 0;

  const auto prev = [](const std::vector<int64_t>& v, std::size_t j) { return j > 0 ? v[j - 1] : int64_t{0}; };
  // Read j: the driver's write into read_in (depth 1) completes once the interface took read j-1; the
  // interface takes read j once the write is done and it has forwarded read j-1.
  const auto read_arrival = [&](std::size_t j) {
    const int64_t intent = prev(md.read_wrote, j) + b.read_gap[j];
    md.read_wrote[j] = std::max(intent, prev(md.arrival, j));
    return std::max(md.read_wrote[j], prev(dram_fwd, j));
  };
  // Write k: the driver's write into write_in (depth 2) completes once the interface took write k-2; the
  // interface takes it once it is done with write k-1 (its transfer, plus the latency for a layer's last).
  const auto write_arrival = [&](std::size_t k) {
    const int64_t intent = prev(md.write_wrote, k) + b.write_gap[k];
    md.write_wrote[k] = std::max(intent, k >= 2 ? md.write_arrival[k - 2] : int64_t{0});
    return std::max(md.write_wrote[k], prev(write_free, k));
  };
  const auto serve_write = [&](std::size_t k, int64_t at) {
    const OutputWrite& w = b.writes[k];
    const int64_t cycles = transfer_cycles(w.bits, dram_bw);
    md.writes_queued += channel_free > at;
    md.write_arrival[k] = at;
    md.write_end[k] = std::max(at, channel_free) + cycles;
    channel_free = md.write_end[k];
    md.busy_cycles += cycles;
    write_free[k] = md.write_end[k] + (w.last_of_layer ? latency : 0);
    if (w.last_of_layer) md.done.emplace_back(w.layer, write_free[k]);
  };
  // Read j through the DRAM interface, then (chain) the global buffer and the PE buffers, then the sink.
  const auto serve_read = [&](std::size_t j, int64_t at) {
    const hw::Wave& w = *b.waves[j];
    md.arrival[j] = at;
    if (w.dram_read_bits > 0) {
      const int64_t cycles = transfer_cycles(w.dram_read_bits, dram_bw);
      md.reads_queued += channel_free > at;
      channel_free = std::max(at, channel_free) + cycles;
      md.busy_cycles += cycles;
      md.dram_ready[j] = channel_free + latency;
    } else {
      ++md.reads_without_dram;
      md.dram_ready[j] = at;  // nothing to fetch: no access, no latency
    }
    const int64_t asked = prev(md.got, j) + b.hold[j];  // the sink asks `hold` cycles after its previous take
    if (!b.chain) {
      dram_fwd[j] = std::max(at, prev(md.got, j));      // read_out (depth 1) frees when the sink took j-1
      md.dram_blocked += dram_fwd[j] > at;
      md.got[j] = std::max(asked, dram_fwd[j]);
      return;
    }
    dram_fwd[j] = std::max(at, prev(gbuf_take, j));     // fills (depth 1) frees when the buffer took j-1
    md.dram_blocked += dram_fwd[j] > at;
    // Global buffer: takes j when free; the transfer starts when it holds j, j's DRAM data is in, and the PE
    // buffers have room for j (operands fifo, depth 1: they took j-1).
    gbuf_take[j] = std::max(dram_fwd[j], prev(gbuf_free, j));
    const int64_t holds_data = std::max(gbuf_take[j], md.dram_ready[j]);
    md.gbuf_start[j] = std::max(holds_data, prev(md.pe_start, j));
    md.gbuf_blocked += md.gbuf_start[j] > holds_data;
    md.gbuf_end[j] = md.gbuf_start[j] + transfer_cycles(w.gbuf_read_bits, gbuf_bw);
    gbuf_free[j] = md.gbuf_end[j];
    // PE buffers: take j when their write port is free; busiest PE's rows at `per_cycle` rows per cycle.
    md.pe_start[j] = std::max(md.gbuf_start[j], prev(pe_free, j));
    const int64_t written = md.pe_start[j] + (per_cycle > 0 ? (w.fill_entries + per_cycle - 1) / per_cycle : 0);
    md.operands_ready[j] = std::max(md.gbuf_end[j], written);
    md.gbuf_bound += md.gbuf_end[j] > written;
    md.pe_bound += written > md.gbuf_end[j];
    pe_fwd[j] = std::max(md.pe_start[j], prev(md.got, j));  // operands_out (depth 1) frees when the sink took j-1
    pe_free[j] = std::max(pe_fwd[j], md.operands_ready[j]);
    md.got[j] = std::max(asked, pe_fwd[j]);
  };

  std::size_t j = 0, k = 0;
  while (j < n || k < m) {
    const int64_t ra = j < n ? read_arrival(j) : kNever;
    const int64_t wa = k < m ? write_arrival(k) : kNever;
    bool read_first = ra < wa;
    if (ra == wa && b.waves[j]->dram_read_bits == 0) read_first = true;  // the read does not use the channel
    if (ra == wa && b.waves[j]->dram_read_bits > 0) {
      ++md.ties;
      const int64_t start = std::max(ra, channel_free);
      const int64_t if_first = start + transfer_cycles(b.waves[j]->dram_read_bits, dram_bw) + latency;
      read_first = observed_ready[j] == if_first;
    }
    if (read_first) {
      serve_read(j++, ra);
    } else {
      serve_write(k++, wa);
    }
  }
  // dram.write_bits over time: each write's bits count from the cycle its transfer ends.
  std::vector<std::pair<int64_t, uint64_t>> ends;
  for (std::size_t i = 0; i < m; ++i) ends.emplace_back(md.write_end[i], b.writes[i].bits);
  std::sort(ends.begin(), ends.end());
  uint64_t total = 0;
  for (const auto& [cycle, bits] : ends) {
    total += bits;
    if (!md.write_trace.empty() && md.write_trace.back().first == cycle) {
      md.write_trace.back().second = total;
    } else {
      md.write_trace.emplace_back(cycle, total);
    }
  }
  return md;
}

// Runs the model and checks every recorded time, annotation and counter against it. Returns the model.
Model check_run(const MemoryBench& b, Bandwidth dram_bw, Bandwidth gbuf_bw) {
  const std::size_t n = b.waves.size(), m = b.writes.size();
  for (const std::string& e : b.errors) FAIL_CHECK(e);
  REQUIRE(b.got.size() == n);
  REQUIRE(b.write_wrote.size() == m);
  std::vector<int64_t> ready(n);
  for (std::size_t j = 0; j < n; ++j) ready[j] = cycles_of(b.waves[j]->dram_ready_at, b.period);
  const Model md = replay(b, dram_bw, gbuf_bw, ready);

  for (std::size_t j = 0; j < n; ++j) {
    const hw::Wave& w = *b.waves[j];
    INFO("wave " << j << " (layer " << w.layer << ", dram " << w.dram_read_bits << " bits, gbuf " << w.gbuf_read_bits
                 << " bits, fill " << w.fill_entries << " rows): model arrival " << md.arrival[j] << ", dram ready "
                 << md.dram_ready[j] << ", gbuf " << md.gbuf_start[j] << ".." << md.gbuf_end[j] << ", PE writes from "
                 << md.pe_start[j] << ", operands ready " << md.operands_ready[j] << ", sink got " << md.got[j]);
    REQUIRE(b.read_wrote[j] == md.read_wrote[j]);  // the interface took reads when the model says
    REQUIRE(ready[j] == md.dram_ready[j]);
    if (b.chain) REQUIRE(cycles_of(w.operands_ready_at, b.period) == md.operands_ready[j]);
    REQUIRE(b.got[j] == md.got[j]);                // forwarded at once, back-pressure as modelled
  }
  for (std::size_t k = 0; k < m; ++k) {
    INFO("write " << k << " (" << b.writes[k].bits << " bits): model arrival " << md.write_arrival[k] << ", end "
                  << md.write_end[k]);
    REQUIRE(b.write_wrote[k] == md.write_wrote[k]);
  }
  // Every write's transfer ended when the model says: dram.write_bits steps up exactly then.
  CHECK(b.write_trace == md.write_trace);
  // LayerDone of every layer, in order, latency cycles after its last write's transfer.
  CHECK(b.done == md.done);

  uint64_t read_bits = 0, write_bits = 0, gbuf_read = 0, wbuf = 0, ibuf = 0;
  for (const WavePtr& w : b.waves) {
    read_bits += w->dram_read_bits;
    gbuf_read += w->gbuf_read_bits;
    wbuf += w->wbuf_write_bits;
    ibuf += w->ibuf_write_bits;
  }
  for (const OutputWrite& w : b.writes) write_bits += w.bits;
  CHECK(counter(b.counters, "dram.read_bits") == read_bits);
  CHECK(counter(b.counters, "dram.write_bits") == write_bits);
  CHECK(counter(b.counters, "dram.busy_cycles") == md.busy_cycles);
  if (b.chain) {
    CHECK(counter(b.counters, "gbuf.read_bits") == gbuf_read);
    CHECK(counter(b.counters, "gbuf.write_bits") == read_bits);  // what DRAM delivered is written once
    CHECK(counter(b.counters, "pe.wbuf.write_bits") == wbuf);
    CHECK(counter(b.counters, "pe.ibuf.write_bits") == ibuf);
  }
  return md;
}

}  // namespace

TEST_CASE("memory module: DRAM interface alone serves planned reads and output writes on one channel in arrival "
          "order", "[module][memory][dram]") {
  Layer la({6, 6, 16, 8, 3, 3, 1, 1}, 1), lb({8, 8, 32, 12, 3, 3, 1, 1}, 2);
  ArchParams a = traffic_arch();
  a.clock_mhz = 800.0;  // 1.25 ns period
  a.dram_bytes_per_cycle = 12.0;
  a.dram_latency_cycles = 37;
  std::vector<WavePtr> waves = planned_waves(la, lb, a);
  REQUIRE(waves.size() == 27 + 120);
  Stalls st;
  st.read_gap_max = 30;
  st.write_gap_max = 90;
  st.hold_max = 40;
  st.long_every = 8;
  st.long_max = 400;
  MemoryBench bench("bench", a, waves, synthetic_writes(3, 15, 5), false, 101u, st);
  dlasim::hw::simulate();

  const Model md = check_run(bench, {12, 1}, {});
  // What the seeds exercised: a queue at the channel both ways, reads with nothing to fetch, the sink's
  // back-pressure on the interface's output, and at least one read/write arriving in the same cycle.
  CHECK(md.reads_queued > 10);
  CHECK(md.writes_queued > 5);
  CHECK(md.reads_without_dram > 10);
  CHECK(md.dram_blocked > 10);
  CHECK(md.ties > 0);
  CHECK(bench.done.size() == 3);
}

TEST_CASE("memory module: DRAM interface alone at a fractional bandwidth of 2.5 bytes per cycle",
          "[module][memory][dram]") {
  // ceil(bytes / 2.5) = ceil(2 · bytes / 5): the half-byte-per-cycle rounding of every access.
  Layer la({6, 6, 16, 8, 3, 3, 1, 1}, 3), lb({8, 8, 32, 12, 3, 3, 1, 1}, 4);
  ArchParams a = traffic_arch();
  a.dram_bytes_per_cycle = 2.5;
  a.dram_latency_cycles = 9;
  std::vector<WavePtr> waves = planned_waves(la, lb, a);
  Stalls st;
  st.read_gap_max = 60;
  st.write_gap_max = 100;
  st.hold_max = 20;
  st.long_every = 10;
  st.long_max = 2000;
  MemoryBench bench("bench", a, waves, synthetic_writes(2, 20, 6), false, 202u, st);
  dlasim::hw::simulate();

  const Model md = check_run(bench, {5, 2}, {});
  CHECK(md.reads_queued > 10);
  CHECK(md.writes_queued > 5);
}

TEST_CASE("memory module: DRAM interface alone with unlimited bandwidth (0): no channel time, latency only",
          "[module][memory][dram]") {
  Layer la({6, 6, 16, 8, 3, 3, 1, 1}, 5), lb({8, 8, 32, 12, 3, 3, 1, 1}, 6);
  ArchParams a = traffic_arch();
  a.dram_bytes_per_cycle = 0.0;
  a.dram_latency_cycles = 25;
  std::vector<WavePtr> waves = planned_waves(la, lb, a);
  Stalls st;
  st.read_gap_max = 6;
  st.write_gap_max = 6;
  st.hold_max = 6;
  MemoryBench bench("bench", a, waves, synthetic_writes(3, 10, 7), false, 303u, st);
  dlasim::hw::simulate();

  const Model md = check_run(bench, {}, {});
  CHECK(md.busy_cycles == 0);
  CHECK(counter(bench.counters, "dram.busy_cycles") == 0);
  // Closed form without a channel: a read's data is `latency` after it arrives (none for an empty pass) ...
  for (std::size_t j = 0; j < waves.size(); ++j) {
    const int64_t expected = md.arrival[j] + (waves[j]->dram_read_bits > 0 ? 25 : 0);
    CHECK(cycles_of(waves[j]->dram_ready_at, bench.period) == expected);
  }
  // ... a write ends when it arrives, and LayerDone is `latency` after the layer's last write arrived.
  for (std::size_t k = 0; k < bench.writes.size(); ++k) CHECK(md.write_end[k] == md.write_arrival[k]);
  REQUIRE(bench.done.size() == 3);
  for (std::size_t k = 0, l = 0; k < bench.writes.size(); ++k) {
    if (bench.writes[k].last_of_layer) CHECK(bench.done[l++].second == md.write_arrival[k] + 25);
  }
}

TEST_CASE("memory module: DRAM → global buffer → PE buffers under random stalls, finite bandwidths everywhere",
          "[module][memory][gbuf][pe_buffers]") {
  Layer la({6, 6, 16, 8, 3, 3, 1, 1}, 7), lb({8, 8, 32, 12, 3, 3, 1, 1}, 8);
  ArchParams a = traffic_arch();
  a.dram_bytes_per_cycle = 16.0;
  a.dram_latency_cycles = 30;
  a.gbuf_banks = 2;
  a.gbuf_bank_bytes_per_cycle = 3;        // 6 bytes per cycle towards the PEs
  a.buffer_write_entries_per_cycle = 3;   // ceil(rows / 3) cycles for the busiest PE
  std::vector<WavePtr> waves = planned_waves(la, lb, a);
  Stalls st;
  st.read_gap_max = 20;
  st.write_gap_max = 80;
  st.hold_max = 60;
  st.long_every = 6;
  st.long_max = 300;
  MemoryBench bench("bench", a, waves, synthetic_writes(2, 20, 8), true, 404u, st);
  dlasim::hw::simulate();

  const Model md = check_run(bench, {16, 1}, {6, 1});
  // Both bounds of the operands (global-buffer transfer, busiest PE's writes) occur, and back-pressure from
  // the sink reaches the global buffer and the DRAM interface.
  CHECK(md.gbuf_bound > 10);
  CHECK(md.pe_bound > 10);
  CHECK(md.gbuf_blocked > 0);
  CHECK(md.dram_blocked > 10);
  CHECK(md.reads_queued > 0);
  CHECK(md.writes_queued > 0);
}

TEST_CASE("memory module: DRAM → global buffer → PE buffers with unlimited bandwidths: operands ready at the DRAM "
          "data", "[module][memory][gbuf][pe_buffers]") {
  Layer la({6, 6, 16, 8, 3, 3, 1, 1}, 9), lb({8, 8, 32, 12, 3, 3, 1, 1}, 10);
  ArchParams a = traffic_arch();
  a.dram_bytes_per_cycle = 0.0;
  a.dram_latency_cycles = 12;
  a.gbuf_bank_bytes_per_cycle = 0;
  a.buffer_write_entries_per_cycle = 0;
  std::vector<WavePtr> waves = planned_waves(la, lb, a);
  Stalls st;
  st.read_gap_max = 20;
  st.write_gap_max = 10;
  st.hold_max = 4;
  MemoryBench bench("bench", a, waves, synthetic_writes(1, 10, 9), true, 505u, st);
  dlasim::hw::simulate();

  const Model md = check_run(bench, {}, {});
  // Nothing takes cycles but the latency: the operands are ready when the PE buffers take the pass, which is
  // never before dram_ready_at and exactly then when nothing downstream holds them up.
  int exact = 0;
  for (std::size_t j = 0; j < waves.size(); ++j) {
    CHECK(md.operands_ready[j] == md.pe_start[j]);
    CHECK(waves[j]->operands_ready_at >= waves[j]->dram_ready_at);
    exact += waves[j]->operands_ready_at == waves[j]->dram_ready_at;
  }
  CHECK(exact > 20);
  CHECK(md.busy_cycles == 0);
}
