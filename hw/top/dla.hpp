// The DLA: controller → DRAM interface → global buffer → PE buffers → vector MAC lanes → per-vector scale
// unit (when present) → accumulation collector → PPU → DRAM interface, connected by sc_fifo channels of
// waves (hw/wave.hpp). Runs its list of layer jobs once simulate() (hw/top/simulation.hpp) is called; several
// Dla instances (the design and its 8-bit baseline) can share one elaboration.
//
// Watchdog (ArchParams::watchdog_cycles > 0): every block marks the completions it schedules
// (hw/progress.hpp); a process sleeps until watchdog_cycles after the latest mark (re-arming when marks
// moved on) and ends when the controller has finished every job, so it neither wakes per cycle nor extends
// the simulation. When the deadline passes with jobs left, it stops the simulation (hw/top/simulation.hpp
// stop_simulation: every thread unwound, then sc_stop) and keeps a message, watchdog_error(): "watchdog: no
// progress for N cycles at cycle C (<dla>)" and one line per block with its state (queues, slots and banks
// occupied, what it waits for). The caller of simulate() must check it (check_finished below throws it).
//
// Waveforms: given a WaveformRecorder, every block registers its signals under "<dla name>.<block>"
// (e.g. "design.mac_array.stall_dram") and records them as it runs; the list with units is in
// docs/waveforms.md. Recording does not change the timing; without a recorder it costs a pointer test per
// wave and block.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "hw/arch_params.hpp"
#include "hw/buffer/pe_buffers.hpp"
#include "hw/counters.hpp"
#include "hw/ctrl/controller.hpp"
#include "hw/ctrl/tiling.hpp"
#include "hw/layer.hpp"
#include "hw/memory/dram_interface.hpp"
#include "hw/memory/global_buffer.hpp"
#include "hw/pe/accumulation_collector.hpp"
#include "hw/pe/mac_array.hpp"
#include "hw/ppu/ppu.hpp"
#include "hw/progress.hpp"
#include "hw/scale/scale_unit.hpp"
#include "hw/trace/recording.hpp"
#include "hw/trace/waveform.hpp"

namespace dlasim::hw {

// Why the MAC lanes of `arch` cannot take operands of formats `weights` × `input`, or "" when they can. The
// vector size and the kind of per-vector scales (integer or floating) must be the lanes'. Integer lanes take
// signed integer elements of any width up to 8 bits (wider than the lanes in sub-steps, hw/arith.hpp
// precision_steps) and unsigned integer elements of the lanes' width (post-ReLU activations, codes up to
// 2^N - 1), with per-vector scale codes of the scale unit's widths or none (the unit is then bypassed);
// floating-scale lanes take their own element widths only. A dot product of V aligned significands
// (hw/element_fixed.hpp) must fit the lanes' 32-bit adder tree.
std::string lanes_refusal(const quant::QuantSpec& weights, const quant::QuantSpec& input, const ArchParams& arch);

class Dla : public sc_core::sc_module {
 public:
  // `arch` and `jobs` (and the tensors the jobs point to) must outlive the simulation. Throws
  // std::invalid_argument naming the layer when a job fails check_job (hw/layer.hpp), its operands do not fit
  // the lanes (element bits, vector size, integer or floating scales), or it cannot be tiled to the buffers
  // (hw/ctrl/tiling.hpp). `waves` (nullptr = no recording) must outlive the simulation; it may be shared by
  // several Dla instances of different names.
  Dla(sc_core::sc_module_name name, const ArchParams& arch, const std::vector<LayerJob>& jobs,
      WaveformRecorder* waves = nullptr);

  const std::vector<LayerResult>& results() const { return results_; }
  const std::vector<TilingPlan>& plans() const { return plans_; }
  const Counters& counters() const { return counters_; }
  // Empty unless the watchdog stopped the simulation: then its message (header line + one line per block).
  const std::string& watchdog_error() const { return watchdog_error_; }
  // The blocks' states, one line each, prefixed "<dla>.": what the watchdog reports.
  std::string block_states() const;

 private:
  static std::vector<TilingPlan> plan_all(const ArchParams& arch, const std::vector<LayerJob>& jobs);
  void watchdog();

  const ArchParams& arch_;
  std::string watchdog_error_;
  Progress progress_;
  std::vector<LayerResult> results_;
  std::vector<TilingPlan> plans_;
  Counters counters_;
  sc_core::sc_fifo<WavePtr> fetches_, fills_, operands_, waves_, dots_, psums_, sums_;
  sc_core::sc_fifo<int> free_slots_, free_banks_;
  sc_core::sc_fifo<OutputWrite> writes_;
  sc_core::sc_fifo<LayerDone> done_;
  SharedLevel slots_in_use_;  // waveform pe_buffers.slots_full: controller claims, MAC array frees
  SharedLevel banks_in_use_;  // waveform collector.banks_busy: MAC array claims, PPU frees
  Controller controller_;
  DramInterface dram_;
  GlobalBuffer gbuf_;
  PeBuffers pe_buffers_;
  MacArray mac_array_;
  std::unique_ptr<ScaleUnit> scale_unit_;
  AccumulationCollector collector_;
  Ppu ppu_;
};

// After the one simulation of `dlas`: throws std::runtime_error with the first watchdog message when a watchdog
// stopped it (its stop leaves every DLA unfinished, so it comes first), else "simulation ended before every
// layer of the <dla> finished" when a job of one of them has no output.
void check_finished(std::initializer_list<const Dla*> dlas);

}  // namespace dlasim::hw
