#include "hw/ctrl/controller.hpp"

#include "hw/timing.hpp"

namespace dlasim::hw {

Controller::Controller(sc_core::sc_module_name name, const ArchParams& arch, const std::vector<LayerJob>& jobs,
                       const std::vector<TilingPlan>& plans, std::vector<LayerResult>& results, Counters& counters,
                       WaveformRecorder* waves, SharedLevel* slots_in_use)
    : sc_module(name), arch_(arch), jobs_(jobs), plans_(plans), results_(results), counters_(counters),
      period_(clock_period(arch.clock_mhz)), waves_(waves), slots_in_use_(slots_in_use) {
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
    for (WavePtr& w : plan_waves(jobs_[l], l, arch_, plans_[l])) {
      w->slot = slot_in.read();
      w->issued_at = sc_core::sc_time_stamp();
      if (slots_in_use_ != nullptr) slots_in_use_->add(1);
      if (waves_ != nullptr) waves_->set(passes_signal_, to_cycles(w->issued_at, period_), ++passes_issued_);
      fetch_out.write(std::move(w));
    }
    done_in.read();
    LayerResult& res = results_[l];
    res.cycles = to_cycles(sc_core::sc_time_stamp() - start, period_);
    res.counters.resize(before.size());
    for (std::size_t i = 0; i < before.size(); ++i) res.counters[i] = counters_.values()[i] - before[i];
  }
}

}  // namespace dlasim::hw
