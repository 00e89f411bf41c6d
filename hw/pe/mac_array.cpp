#include "hw/pe/mac_array.hpp"

#include <algorithm>

#include "hw/arith.hpp"
#include "hw/element_fixed.hpp"
#include "hw/pe/lane_dots.hpp"
#include <fmt/format.h>

#include "hw/timing.hpp"

namespace dlasim::hw {

MacArray::MacArray(sc_core::sc_module_name name, const ArchParams& arch, Counters& counters,
                   WaveformRecorder* waves, SharedLevel* slots_in_use, SharedLevel* banks_in_use,
                   Progress* progress)
    : sc_module(name), arch_(arch), counters_(counters), period_(clock_period(arch.clock_mhz)),
      zero_codes_(arch.vector_size, 0), zero_fixed_(arch.vector_size, 0),
      zero_mask_((arch.vector_size + 63) / 64, 0), waves_(waves), slots_in_use_(slots_in_use),
      banks_in_use_(banks_in_use), progress_(progress) {
  dot_ = counters.add("pe.mac_lane.dot");
  multiply_ = counters.add("pe.mac_lane.multiply");
  lane_steps_ = counters.add("pe.activity.lane_steps");
  zero_vector_steps_ = counters.add("pe.activity.zero_vector_steps");
  wbuf_read_bits_ = counters.add("pe.wbuf.read_bits");
  ibuf_read_bits_ = counters.add("pe.ibuf.read_bits");
  busy_cycles_ = counters.add("pe.mac_array.issue_cycles");
  lane_cycles_ = counters.add("pe.control.lane_cycles");
  stall_collector_full_ = counters.add("stall.collector_full");
  stall_dram_ = counters.add("stall.dram");
  stall_gbuf_ = counters.add("stall.gbuf");
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
    waiting_for_ = "a pass from the PE buffers";
    layer_ = -1;
    WavePtr w = wave_in.read();
    layer_ = int64_t(w->layer);
    // Idle time from the end of the previous pass (or the pass's issue) to its operands, split by cause.
    const sc_core::sc_time idle = std::max(idle_since_, w->issued_at);
    const sc_core::sc_time dram_done = std::max(idle, std::min(w->dram_ready_at, w->operands_ready_at));
    counters_.inc(stall_dram_, to_cycles(dram_done - idle, period_));
    if (w->operands_ready_at > dram_done) counters_.inc(stall_gbuf_, to_cycles(w->operands_ready_at - dram_done, period_));
    if (waves_ != nullptr) {
      record_interval(*waves_, signals_.stall_dram, idle, dram_done, period_);
      record_interval(*waves_, signals_.stall_gbuf, dram_done, w->operands_ready_at, period_);
    }
    waiting_for_ = "its operands (stall.dram / stall.gbuf)";
    wait_until(w->operands_ready_at);
    if (w->first_pass) {
      waiting_for_ = "a free collector bank (stall.collector_full)";
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
    counters_.inc(lane_cycles_, uint64_t(arch_.pes) * arch_.lanes * w->issue_cycles);
    if (waves_ != nullptr) {
      int64_t lanes = 0;
      for (const Tile& t : w->tiles) lanes += t.k_count;
      const sc_core::sc_time now = sc_core::sc_time_stamp();
      record_interval(*waves_, signals_.active_lanes, now, now + issue * period_, period_, uint64_t(lanes));
    }
    mark_progress(progress_, w->ready_at);
    waiting_for_ = "room downstream for its dot products (scale unit / collector)";
    dots_out.write(std::move(w));
    mark_progress(progress_, sc_core::sc_time_stamp() + issue * period_);
    waiting_for_ = "the end of its issue cycles";
    wait(issue * period_);
    ++passes_;
    idle_since_ = sc_core::sc_time_stamp();
    if (slots_in_use_ != nullptr) slots_in_use_->add(-1);
    waiting_for_ = "the controller to take the freed PE-buffer slot";
    slot_free_out.write(slot);
  }
}

std::string MacArray::state() const {
  return fmt::format("mac_array: passes issued {}, pass in flight {}, collector bank {}, waiting for {}", passes_,
                     layer_ < 0 ? std::string("none") : fmt::format("of layer {}", layer_), bank_, waiting_for_);
}

void MacArray::compute(Wave& wave) {
  const LayerJob& job = *wave.job;
  if (codes_are_values(job.weights->spec.element) && codes_are_values(job.input->spec.element)) {
    compute_dots(wave, job.weights->row_codes(0), job.input->row_codes(0), zero_codes_.data());
  } else {
    if (decoded_job_ != &job) {  // aligned significands of both operands, once per layer
      decoded_weights_ = fixed_codes(*job.weights);
      decoded_input_ = fixed_codes(*job.input);
      decoded_job_ = &job;
    }
    compute_dots(wave, decoded_weights_.data(), decoded_input_.data(), zero_fixed_.data());
  }
}

template <class T>
void MacArray::compute_dots(Wave& wave, const T* weights, const T* input, const T* zero) {
  const LayerJob& job = *wave.job;
  const ConvShape& sh = job.shape;
  const quant::QTensor& wt = *job.weights;
  const quant::QTensor& in = *job.input;
  const int v = arch_.vector_size, lanes = arch_.lanes;
  const int64_t nv = wt.vectors_per_row, depth = wave.depth, steps = wave.steps, jn = wave.j1 - wave.j0;
  const int64_t w_stride = wt.padded_cols(), a_stride = in.padded_cols();
  const bool int_scales = arch_.has_scale_unit() && !arch_.float_scales, float_scales = arch_.float_scales;
  const bool w_pv = !wt.vector_scale_codes.empty(), a_pv = !in.vector_scale_codes.empty();
  // Buffer reads move the layer's vectors (its element and scale bits); a layer wider than the lanes takes
  // precision_steps lane dot products per step.
  const uint64_t wvec_bits = uint64_t(v) * wt.spec.bits() + wt.spec.vector_scale_storage_bits();
  const uint64_t avec_bits = uint64_t(v) * in.spec.bits() + in.spec.vector_scale_storage_bits();
  const int64_t sub_steps = precision_steps(job, arch_);
  const auto dots_of = lane::lane_kernel<T>(v);
  if (masked_job_ != &job) {  // the vectors' nonzero elements, once per layer
    weight_masks_ = VectorMasks(weights, wt.shape.rows, w_stride, nv, v);
    input_masks_ = VectorMasks(input, in.shape.rows, a_stride, nv, v);
    masked_job_ = &job;
  }
  // Gating::lane holds a lane-step whose weight or activation vector is all zero or whose scale product (codes
  // travel with the vectors; the short scale-code multiply decides before the lane) is zero.
  const bool lane_gating = arch_.gates_lane();
  const bool code_gating = lane_gating && int_scales && layer_arch(job, arch_).has_scale_unit();

  const std::size_t tiles = wave.tiles.size();
  wave.dots.resize(tiles * steps * lanes);  // every element written below: idle lanes and steps get 0
  if (int_scales) {
    wave.weight_scale.resize(tiles * jn * lanes);
    wave.act_scale.resize(tiles * steps);
  }
  if (float_scales) {
    wave.weight_scale_f.resize(tiles * jn * lanes);
    wave.act_scale_f.resize(tiles * steps);
  }
  std::vector<const T*> lane_weights(lanes);
  std::vector<const uint64_t*> lane_masks(lanes);
  std::vector<char> lane_zero(lanes);  // the lane's weight vector is all zero
  uint64_t dots = 0, wbits = 0, abits = 0, zero_vector_steps = 0, switched_dots = 0, nonzero_products = 0;
  for (std::size_t pe = 0; pe < tiles; ++pe) {
    const Tile& t = wave.tiles[pe];
    const int64_t g = sh.group_of(t.k0);
    for (int64_t j = wave.j0; j < wave.j1; ++j) {
      const int64_t tap = j / nv, i = j % nv, r = tap / sh.kernel_w, s = tap % sh.kernel_w;
      // Each lane loads its weight vector once and holds it for `depth` cycles.
      const std::size_t wbase = (pe * jn + (j - wave.j0)) * lanes;
      for (int64_t l = 0; l < t.k_count; ++l) {
        const int64_t wrow = sh.weight_row(t.k0 + l, r, s);
        lane_weights[l] = weights + wrow * w_stride + i * v;
        lane_masks[l] = weight_masks_.of(wrow, i);
        lane_zero[l] = weight_masks_.zero(lane_masks[l]);
        if (int_scales) wave.weight_scale[wbase + l] = w_pv ? wt.vector_scale_codes[wrow * nv + i] : 1;
        if (float_scales) wave.weight_scale_f[wbase + l] = vector_scale_value(wt, wrow, i);
      }
      if (int_scales) std::fill(&wave.weight_scale[wbase + t.k_count], &wave.weight_scale[wbase] + lanes, 0);
      if (float_scales) std::fill(&wave.weight_scale_f[wbase + t.k_count], &wave.weight_scale_f[wbase] + lanes, 0.0f);
      wbits += t.k_count * wvec_bits;
      int64_t zero_weight_lanes = 0;
      for (int64_t l = 0; l < t.k_count; ++l) zero_weight_lanes += lane_zero[l];
      for (int64_t d = 0; d < depth; ++d) {
        const int64_t step = (j - wave.j0) * depth + d;
        int32_t* out = &wave.dots[(pe * steps + step) * lanes];
        if (d >= t.p_count) {  // idle collector entry of a shorter tile: gated, outputs 0
          std::fill(out, out + lanes, 0);
          if (int_scales) wave.act_scale[pe * steps + step] = 0;
          if (float_scales) wave.act_scale_f[pe * steps + step] = 0.0f;
          continue;
        }
        const int64_t p = t.p0 + d, oh = p / sh.out_w(), ow = p % sh.out_w();
        const int64_t ih = oh * sh.stride - sh.pad + r, iw = ow * sh.stride - sh.pad + s;
        const bool inside = ih >= 0 && ih < sh.in_h && iw >= 0 && iw < sh.in_w;
        const int64_t arow = inside ? sh.input_row(ih, iw, g) : 0;
        if (int_scales) wave.act_scale[pe * steps + step] = !a_pv ? 1 : inside ? in.vector_scale_codes[arow * nv + i] : 0;
        if (float_scales) wave.act_scale_f[pe * steps + step] = inside ? vector_scale_value(in, arow, i) : 0.0f;
        dots_of(lane_weights.data(), t.k_count, inside ? input + arow * a_stride + i * v : zero, v, out);
        std::fill(out + t.k_count, out + lanes, 0);  // unused lanes
        const uint64_t* amask = inside ? input_masks_.of(arow, i) : zero_mask_.data();
        const bool zero_input = input_masks_.zero(amask);
        zero_vector_steps += zero_input ? t.k_count : zero_weight_lanes;
        if (lane_gating && !zero_input) {
          count_switched_lanes(wave, wbase, pe * steps + step, lane_masks.data(), lane_zero.data(), t.k_count, amask,
                               code_gating, switched_dots, nonzero_products);
        }
      }
      abits += t.p_count * avec_bits;
      dots += t.k_count * t.p_count * sub_steps;
    }
  }
  // dots = busy lane-steps × sub_steps; gating changes what switches, not the values.
  const uint64_t lane_steps = dots / uint64_t(sub_steps);
  wave.zero_vector_steps = zero_vector_steps;
  counters_.inc(lane_steps_, lane_steps);
  counters_.inc(zero_vector_steps_, zero_vector_steps);
  if (lane_gating) {
    counters_.inc(dot_, switched_dots * sub_steps);
    counters_.inc(multiply_, nonzero_products * sub_steps);
  } else {
    counters_.inc(dot_, dots);
    counters_.inc(multiply_, dots * uint64_t(v));
  }
  counters_.inc(wbuf_read_bits_, wbits);
  counters_.inc(ibuf_read_bits_, abits);
}

}  // namespace dlasim::hw

namespace dlasim::hw {

void MacArray::count_switched_lanes(const Wave& wave, std::size_t wbase, std::size_t astep,
                                    const uint64_t* const* lane_masks, const char* lane_zero, int64_t lanes,
                                    const uint64_t* amask, bool code_gating, uint64_t& switched,
                                    uint64_t& nonzero_products) const {
  const int shift = arch_.scale_product_shift(), width = arch_.scale_product_width();
  for (int64_t l = 0; l < lanes; ++l) {
    if (lane_zero[l]) continue;
    if (code_gating && scale_product(wave.weight_scale[wbase + l], wave.act_scale[astep], shift, width) == 0) continue;
    if (arch_.float_scales && (wave.weight_scale_f[wbase + l] == 0.0f || wave.act_scale_f[astep] == 0.0f)) continue;
    ++switched;
    nonzero_products += input_masks_.both_nonzero(lane_masks[l], amask);
  }
}

}  // namespace dlasim::hw
