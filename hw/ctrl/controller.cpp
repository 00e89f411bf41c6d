#include "hw/ctrl/controller.hpp"

#include <fmt/format.h>

#include "hw/timing.hpp"

namespace dlasim::hw {

Controller::Controller(sc_core::sc_module_name name, const ArchParams& arch, const std::vector<LayerJob>& jobs,
                       const std::vector<TilingPlan>& plans, std::vector<LayerResult>& results, Counters& counters,
                       WaveformRecorder* waves, SharedLevel* slots_in_use, Progress* progress)
    : sc_module(name), arch_(arch), jobs_(jobs), plans_(plans), results_(results), counters_(counters),
      period_(clock_period(arch.clock_mhz)), waves_(waves), slots_in_use_(slots_in_use), progress_(progress) {
  if (waves_ != nullptr) {
    layer_signal_ = waves_->add_signal(this->name(), "layer", bits_for(jobs.empty() ? 0 : jobs.size() - 1),
                                       "index of the layer being run (from its first pass issued to its LayerDone)");
    passes_signal_ = waves_->add_signal(this->name(), "passes_issued", 64,
                                        "passes issued since time 0 (count; +1 when a pass has its slot)");
  }
  SC_HAS_PROCESS(Controller);
  SC_THREAD(run);
}

void Controller::run() {
  for (std::size_t l = 0; l < jobs_.size(); ++l) {
    const std::vector<uint64_t> before = counters_.values();
    const sc_core::sc_time start = sc_core::sc_time_stamp();
    if (waves_ != nullptr) waves_->set(layer_signal_, to_cycles(start, period_), l);
    std::vector<WavePtr> passes = plan_waves(jobs_[l], l, arch_, plans_[l]);
    layer_passes_ = int64_t(passes.size());
    layer_passes_issued_ = 0;
    for (WavePtr& w : passes) {
      waiting_for_ = "a free PE-buffer slot";
      w->slot = slot_in.read();
      ++layer_passes_issued_;
      mark_progress(progress_, sc_core::sc_time_stamp());
      w->issued_at = sc_core::sc_time_stamp();
      if (slots_in_use_ != nullptr) slots_in_use_->add(1);
      if (waves_ != nullptr) waves_->set(passes_signal_, to_cycles(w->issued_at, period_), ++passes_issued_);
      fetch_out.write(std::move(w));
    }
    waiting_for_ = "the layer's last output written (LayerDone)";
    done_in.read();
    ++layers_done_;
    mark_progress(progress_, sc_core::sc_time_stamp());
    LayerResult& res = results_[l];
    res.cycles = to_cycles(sc_core::sc_time_stamp() - start, period_);
    res.counters.resize(before.size());
    for (std::size_t i = 0; i < before.size(); ++i) res.counters[i] = counters_.values()[i] - before[i];
  }
  waiting_for_ = "nothing (all layers done)";
  finished_event_.notify(sc_core::SC_ZERO_TIME);
}

std::string Controller::state() const {
  if (finished()) return fmt::format("controller: all {} layers done", jobs_.size());
  const LayerJob& job = jobs_[layers_done_];
  return fmt::format("controller: layer {} '{}' ({} of {}), passes issued {}/{}, layers left {}, waiting for {}",
                     layers_done_, job.name, layers_done_ + 1, jobs_.size(), layer_passes_issued_, layer_passes_,
                     jobs_.size() - layers_done_, waiting_for_);
}

}  // namespace dlasim::hw
