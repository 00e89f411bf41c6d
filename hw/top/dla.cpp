#include "hw/top/dla.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "hw/element_fixed.hpp"
#include "hw/timing.hpp"
#include "hw/top/simulation.hpp"

namespace dlasim::hw {

std::string lanes_refusal(const quant::QuantSpec& ws, const quant::QuantSpec& as, const ArchParams& arch) {
  // Integer-scale lanes multiply integer elements (F = 0), signed or unsigned (a signed weight times an unsigned
  // post-ReLU activation code up to 2^N - 1: mixed-sign N_w × N_a multipliers, the same N_w + N_a + log2 V
  // dot-product width); they also take wider signed integer elements, in precision_steps sub-steps
  // (hw/arith.hpp). Floating-scale lanes take their own element widths only.
  const auto integer = [](quant::ElementId e) {
    const quant::ElementFormat& f = quant::element_format(e);
    return f.kind == quant::ElementKind::integer && f.frac_bits == 0;
  };
  const bool integer_lanes = !arch.float_scales && integer(ws.element) && integer(as.element);
  const bool scalable = integer_lanes && codes_are_values(ws.element) && codes_are_values(as.element);
  if (!scalable && (ws.bits() != arch.weight_bits || as.bits() != arch.act_bits)) {
    return fmt::format("operands of {} x {} bits, the MAC lanes take {} x {}", ws.bits(), as.bits(), arch.weight_bits,
                       arch.act_bits);
  }
  if ((ws.float_vector_scales() || as.float_vector_scales()) != arch.float_scales) {
    return fmt::format("operands {} x {} need a scale unit with {} scales; the lanes' scale unit is {}",
                       quant::format_name(ws), quant::format_name(as), arch.float_scales ? "integer" : "floating",
                       arch.float_scales ? "floating" : "integer");
  }
  if (ws.vector_size != arch.vector_size || as.vector_size != arch.vector_size) {
    return fmt::format("operand codes are cut into vectors of {} x {} elements, the MAC lanes take V = {}",
                       ws.vector_size, as.vector_size, arch.vector_size);
  }
  const auto codes_bits = [](const quant::QuantSpec& s) {
    return s.granularity == quant::Granularity::per_vector ? s.scale_bits : 0;
  };
  const int mw = codes_bits(ws), ma = codes_bits(as);
  if (!arch.float_scales && ((mw && mw != arch.weight_scale_bits) || (ma && ma != arch.act_scale_bits))) {
    return fmt::format("per-vector scale codes of {} x {} bits; the scale unit takes {} x {}-bit per-vector scale codes",
                       mw, ma, arch.weight_scale_bits, arch.act_scale_bits);
  }
  if (!arch.float_scales && !integer_lanes) {
    return fmt::format("operands {} x {}: the integer-scale datapath multiplies integer codes only; MXINT8 and "
                       "minifloat elements need floating per-vector scales",
                       quant::format_name(ws), quant::format_name(as));
  }
  const double bound = double(fixed_elements(ws.element).max_magnitude) * fixed_elements(as.element).max_magnitude *
                       arch.vector_size;
  if (bound >= 2147483648.0) {
    return fmt::format("a {}-element dot product of {} x {} significands can exceed the 32-bit adder tree",
                       arch.vector_size, ws.format().name, as.format().name);
  }
  return "";
}

namespace {

// Fails naming the layer when lanes_refusal rejects its operands.
void check_formats(const LayerJob& job, const ArchParams& arch) {
  const std::string why = lanes_refusal(job.weights->spec, job.input->spec, arch);
  if (!why.empty()) throw std::invalid_argument(fmt::format("layer '{}': {}", job.name, why));
}

}  // namespace

std::vector<TilingPlan> Dla::plan_all(const ArchParams& arch, const std::vector<LayerJob>& jobs) {
  std::vector<TilingPlan> plans;
  for (const LayerJob& job : jobs) {
    check_job(job);
    check_formats(job, arch);
    plans.push_back(plan_tiling(job, arch));
  }
  return plans;
}

Dla::Dla(sc_core::sc_module_name name, const ArchParams& arch, const std::vector<LayerJob>& jobs,
         WaveformRecorder* waves)
    : sc_module(name),
      arch_(arch),
      results_(jobs.size()),
      plans_(plan_all(arch, jobs)),
      fetches_("fetches", 1),
      fills_("fills", 1),
      operands_("operands", 1),
      waves_("waves", 1),
      dots_("dots", arch.collector_banks + 1),
      psums_("psums", arch.collector_banks + 1),
      sums_("sums", arch.collector_banks + 1),
      free_slots_("free_slots", arch.buffer_slots()),
      free_banks_("free_banks", arch.collector_banks),
      writes_("writes", 2),
      done_("done", 1),
      controller_("controller", arch, jobs, plans_, results_, counters_, waves, &slots_in_use_, &progress_),
      dram_("dram", arch, counters_, waves, &progress_),
      gbuf_("gbuf", arch, counters_, waves, &progress_),
      pe_buffers_("pe_buffers", arch, counters_, waves, &slots_in_use_, &progress_),
      mac_array_("mac_array", arch, counters_, waves, &slots_in_use_, &banks_in_use_, &progress_),
      scale_unit_(arch.has_scale_unit() ? std::make_unique<ScaleUnit>("scale_unit", arch, counters_, &progress_)
                                        : nullptr),
      collector_("collector", arch, counters_, waves, &banks_in_use_, &progress_),
      ppu_("ppu", arch, results_, counters_, waves, &banks_in_use_, &progress_) {
  for (int s = 0; s < arch.buffer_slots(); ++s) free_slots_.nb_write(s);
  controller_.slot_in(free_slots_);
  controller_.fetch_out(fetches_);
  controller_.done_in(done_);
  dram_.read_in(fetches_);
  dram_.read_out(fills_);
  dram_.write_in(writes_);
  dram_.done_out(done_);
  gbuf_.fill_in(fills_);
  gbuf_.fill_out(operands_);
  pe_buffers_.fill_in(operands_);
  pe_buffers_.operands_out(waves_);
  mac_array_.wave_in(waves_);
  mac_array_.free_bank_in(free_banks_);
  mac_array_.dots_out(dots_);
  mac_array_.slot_free_out(free_slots_);
  if (scale_unit_) {
    scale_unit_->dots_in(dots_);
    scale_unit_->psums_out(psums_);
    collector_.psums_in(psums_);
  } else {
    collector_.psums_in(dots_);
  }
  collector_.sums_out(sums_);
  ppu_.sums_in(sums_);
  ppu_.free_bank_out(free_banks_);
  ppu_.write_out(writes_);
  if (arch.watchdog_cycles > 0) {
    SC_HAS_PROCESS(Dla);
    SC_THREAD(watchdog);
  }
}

void Dla::watchdog() {
  const sc_core::sc_time period = clock_period(arch_.clock_mhz);
  const sc_core::sc_time limit = static_cast<double>(arch_.watchdog_cycles) * period;
  while (!controller_.finished()) {
    const sc_core::sc_time now = sc_core::sc_time_stamp(), deadline = progress_.latest + limit;
    if (now < deadline) {
      wait(deadline - now, controller_.finished_event());
      continue;
    }
    watchdog_error_ = fmt::format("watchdog: no progress for {} cycles at cycle {} ({})\n{}",
                                  to_cycles(now - progress_.latest, period), to_cycles(now, period), name(),
                                  block_states());
    // sc_stop() reports "Simulation stopped by user" on stdout as an info; the error is the caller's to show.
    sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    stop_simulation();
    return;
  }
}

std::string Dla::block_states() const {
  const int slots = arch_.buffer_slots() - free_slots_.num_available();
  const int banks = arch_.collector_banks - free_banks_.num_available();
  std::string lines = controller_.state() + "\n" + dram_.state() + "\n" + gbuf_.state() + "\n" +
                      pe_buffers_.state(slots) + "\n" + mac_array_.state() + "\n" +
                      (scale_unit_ ? scale_unit_->state() + "\n" : std::string()) + collector_.state(banks) + "\n" +
                      ppu_.state();
  std::string out;
  std::size_t start = 0;
  while (start < lines.size()) {
    const std::size_t end = std::min(lines.find('\n', start), lines.size());
    out += fmt::format("  {}.{}{}", name(), lines.substr(start, end - start), end < lines.size() ? "\n" : "");
    start = end + 1;
  }
  return out;
}

void check_finished(std::initializer_list<const Dla*> dlas) {
  for (const Dla* dla : dlas) {
    if (!dla->watchdog_error().empty()) throw std::runtime_error(dla->watchdog_error());
  }
  for (const Dla* dla : dlas) {
    for (const LayerResult& r : dla->results()) {
      if (r.output.codes.empty()) {
        throw std::runtime_error(fmt::format("simulation ended before every layer of the {} finished", dla->name()));
      }
    }
  }
}

}  // namespace dlasim::hw
