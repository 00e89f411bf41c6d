#include "hw/pe/mac_array.hpp"

#include <algorithm>

#include "hw/arith.hpp"
#include "hw/timing.hpp"

namespace dlasim::hw {

MacArray::MacArray(sc_core::sc_module_name name, const ArchParams& arch, Counters& counters,
                   WaveformRecorder* waves, SharedLevel* slots_in_use, SharedLevel* banks_in_use)
    : sc_module(name), arch_(arch), counters_(counters), period_(clock_period(arch.clock_mhz)),
      zero_vector_(arch.vector_size, 0), waves_(waves), slots_in_use_(slots_in_use), banks_in_use_(banks_in_use) {
  dot_ = counters.add("pe.mac_lane.dot", "dot products",
                      "V-element vector dot products computed by the MAC lanes (zero padding included)",
                      CounterKind::action);
  wbuf_read_bits_ = counters.add("pe.wbuf.read_bits", "bits",
                                 "weight-buffer bits read into the lanes (vector codes + per-vector scale)",
                                 CounterKind::action);
  ibuf_read_bits_ = counters.add("pe.ibuf.read_bits", "bits",
                                 "input-buffer bits read and broadcast to a PE's lanes (vector codes + scale)",
                                 CounterKind::action);
  busy_cycles_ = counters.add("pe.mac_array.issue_cycles", "cycles", "cycles the MAC array spent issuing steps",
                              CounterKind::event);
  stall_collector_full_ = counters.add("stall.collector_full", "cycles",
                                       "cycles the MAC array waited for a free accumulation-collector bank",
                                       CounterKind::event);
  stall_dram_ = counters.add("stall.dram", "cycles", "cycles the MAC array waited for operands still coming from DRAM",
                             CounterKind::event);
  stall_gbuf_ = counters.add("stall.gbuf", "cycles",
                             "cycles the MAC array waited for the global buffer to fill the PE buffers",
                             CounterKind::event);
  if (waves_ != nullptr) {
    const char* scope = this->name();
    signals_.active_lanes = waves_->add_signal(
        scope, "active_lanes", bits_for(uint64_t(arch.pes) * arch.lanes),
        "lanes busy summed over the PEs while a pass issues (count; the pass's peak, sum of its tiles' k_count)");
    signals_.stall_dram = waves_->add_signal(scope, "stall_dram", 1,
                                             "1 while stall.dram counts (operands still coming from DRAM)");
    signals_.stall_gbuf = waves_->add_signal(
        scope, "stall_gbuf", 1, "1 while stall.gbuf counts (the global buffer still filling the PE buffers)");
    signals_.stall_collector_full = waves_->add_signal(
        scope, "stall_collector_full", 1, "1 while stall.collector_full counts (no free collector bank)");
  }
  SC_HAS_PROCESS(MacArray);
  SC_THREAD(run);
}

void MacArray::run() {
  while (true) {
    WavePtr w = wave_in.read();
    // Idle time from the end of the previous pass (or the pass's issue) to its operands, split by cause.
    const sc_core::sc_time idle = std::max(idle_since_, w->issued_at);
    const sc_core::sc_time dram_done = std::max(idle, std::min(w->dram_ready_at, w->operands_ready_at));
    counters_.inc(stall_dram_, to_cycles(dram_done - idle, period_));
    if (w->operands_ready_at > dram_done) counters_.inc(stall_gbuf_, to_cycles(w->operands_ready_at - dram_done, period_));
    if (waves_ != nullptr) {
      record_interval(*waves_, signals_.stall_dram, idle, dram_done, period_);
      record_interval(*waves_, signals_.stall_gbuf, dram_done, w->operands_ready_at, period_);
    }
    wait_until(w->operands_ready_at);
    if (w->first_pass) {
      const sc_core::sc_time asked = sc_core::sc_time_stamp();
      bank_ = free_bank_in.read();
      if (banks_in_use_ != nullptr) banks_in_use_->add(1);
      counters_.inc(stall_collector_full_, to_cycles(sc_core::sc_time_stamp() - asked, period_));
      if (waves_ != nullptr) {
        record_interval(*waves_, signals_.stall_collector_full, asked, sc_core::sc_time_stamp(), period_);
      }
    }
    w->bank = bank_;
    compute(*w);
    w->ready_at = sc_core::sc_time_stamp() + arch_.mac_latency_cycles * period_;
    const int slot = w->slot;
    const double issue = static_cast<double>(w->issue_cycles);
    counters_.inc(busy_cycles_, w->issue_cycles);
    if (waves_ != nullptr) {
      int64_t lanes = 0;
      for (const Tile& t : w->tiles) lanes += t.k_count;
      const sc_core::sc_time now = sc_core::sc_time_stamp();
      record_interval(*waves_, signals_.active_lanes, now, now + issue * period_, period_, uint64_t(lanes));
    }
    dots_out.write(std::move(w));
    wait(issue * period_);
    idle_since_ = sc_core::sc_time_stamp();
    if (slots_in_use_ != nullptr) slots_in_use_->add(-1);
    slot_free_out.write(slot);
  }
}

void MacArray::compute(Wave& wave) {
  const LayerJob& job = *wave.job;
  const ConvShape& sh = job.shape;
  const quant::QTensor& wt = *job.weights;
  const quant::QTensor& in = *job.input;
  const int v = arch_.vector_size, lanes = arch_.lanes;
  const int64_t nv = wt.vectors_per_row, depth = wave.depth, steps = wave.steps;
  const bool scaled = arch_.has_scale_unit();
  const bool w_pv = !wt.vector_scale_codes.empty(), a_pv = !in.vector_scale_codes.empty();
  const uint64_t wvec_bits = uint64_t(v) * arch_.weight_bits + arch_.weight_scale_bits;
  const uint64_t avec_bits = uint64_t(v) * arch_.act_bits + arch_.act_scale_bits;

  const std::size_t n = wave.tiles.size() * steps * lanes;
  wave.dots.assign(n, 0);
  if (scaled) {
    wave.weight_scale.assign(n, 0);
    wave.act_scale.assign(wave.tiles.size() * steps, 0);
  }
  uint64_t dots = 0, wbits = 0, abits = 0;
  for (std::size_t pe = 0; pe < wave.tiles.size(); ++pe) {
    const Tile& t = wave.tiles[pe];
    const int64_t g = sh.group_of(t.k0);
    for (int64_t j = wave.j0; j < wave.j1; ++j) {
      const int64_t tap = j / nv, i = j % nv, r = tap / sh.kernel_w, s = tap % sh.kernel_w;
      wbits += t.k_count * wvec_bits;  // each lane loads its weight vector once, holds it `depth` cycles
      for (int64_t d = 0; d < t.p_count; ++d) {
        const int64_t step = (j - wave.j0) * depth + d;
        const int64_t p = t.p0 + d, oh = p / sh.out_w(), ow = p % sh.out_w();
        const int64_t ih = oh * sh.stride - sh.pad + r, iw = ow * sh.stride - sh.pad + s;
        const bool inside = ih >= 0 && ih < sh.in_h && iw >= 0 && iw < sh.in_w;
        const int64_t arow = inside ? sh.input_row(ih, iw, g) : 0;
        const int8_t* a = inside ? in.row_codes(arow) + i * v : zero_vector_.data();
        abits += avec_bits;
        const std::size_t base = (pe * steps + step) * lanes;
        if (scaled) wave.act_scale[pe * steps + step] = !a_pv ? 1 : inside ? in.vector_scale_codes[arow * nv + i] : 0;
        for (int64_t l = 0; l < t.k_count; ++l) {
          const int64_t wrow = sh.weight_row(t.k0 + l, r, s);
          wave.dots[base + l] = vector_dot(wt.row_codes(wrow) + i * v, a, v);
          if (scaled) wave.weight_scale[base + l] = w_pv ? wt.vector_scale_codes[wrow * nv + i] : 1;
        }
        dots += t.k_count;
      }
    }
  }
  counters_.inc(dot_, dots);
  counters_.inc(wbuf_read_bits_, wbits);
  counters_.inc(ibuf_read_bits_, abits);
}

}  // namespace dlasim::hw
