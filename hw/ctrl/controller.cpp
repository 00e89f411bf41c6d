#include "hw/ctrl/controller.hpp"

#include "hw/timing.hpp"

namespace dlasim::hw {

Controller::Controller(sc_core::sc_module_name name, const ArchParams& arch, const std::vector<LayerJob>& jobs,
                       const std::vector<TilingPlan>& plans, std::vector<LayerResult>& results, Counters& counters)
    : sc_module(name), arch_(arch), jobs_(jobs), plans_(plans), results_(results), counters_(counters),
      period_(clock_period(arch.clock_mhz)) {
  SC_HAS_PROCESS(Controller);
  SC_THREAD(run);
}

void Controller::run() {
  for (std::size_t l = 0; l < jobs_.size(); ++l) {
    const std::vector<uint64_t> before = counters_.values();
    const sc_core::sc_time start = sc_core::sc_time_stamp();
    for (WavePtr& w : plan_waves(jobs_[l], l, arch_, plans_[l])) {
      w->slot = slot_in.read();
      w->issued_at = sc_core::sc_time_stamp();
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
