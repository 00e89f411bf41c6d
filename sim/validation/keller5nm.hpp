// Calibration target of the energy model (reference.md §3, Keller et al., JSSC 2023, Table II): the 5 nm
// per-vector-scaled chip — 16 lanes, V = 32 INT8 / 64 INT4, 24-bit saturating accumulators, 8-bit per-vector
// scales with the scale product rounded to 8 bits, A (per-lane, stationary 16 cycles) and B (broadcast)
// buffers of 264-bit rows — simulated in INT8, INT4 and INT4-VSQ on one ResNet-50 layer, and its energy split
// into Table II's categories normalised to the INT4 datapath energy (same layer, same ops).
#pragma once

#include <array>
#include <string>
#include <vector>

#include "sim/energy/tech.hpp"

namespace dlasim::sim {

// Table II's categories and what dlasim counts in each:
//   datapath = pe.mac_lane + pe.scale_unit, A buffer = pe.wbuf, B buffer = pe.ibuf,
//   accumulation collector = pe.collector, other = pe.control + ppu.
// The global buffer and DRAM are outside Table II (the chip's SRAM is its A and B buffers) and are left out.
// Fraction of zero activations the tables were obtained at: Table II "30 % sparse data", Table III "50 % input
// density".
constexpr double kTable2Sparsity = 0.3, kTable3Sparsity = 0.5;

inline const std::array<std::string, 5> kTable2Categories = {"datapath", "A buffer", "B buffer",
                                                             "accumulation collector", "other"};

struct Table2Row {
  std::string format;                // INT8, INT4, INT4-VSQ
  std::array<double, 5> paper{};     // Table II, normalised to the INT4 datapath
  std::array<double, 5> model{};     // dlasim, normalised to its INT4 datapath
  double paper_tops_per_w = 0.0;     // Table III at Vmin, 50 % input density
  double model_fj_per_op = 0.0;      // dlasim at kTable3Sparsity: the five categories + leakage / ops (1 MAC = 2 ops)
  double model_static_share = 0.0;   // dlasim: leakage's share of that energy
  double model_core_um2 = 0.0;       // dlasim: area without the global buffer (the chip has none)
};

// Simulates the three designs, each on the Table II and on the Table III operands, in one SystemC elaboration
// (call once per process) and prices their counters with `tech`. Throws like hw::Dla and EnergyModel do.
std::vector<Table2Row> keller_table2(const Tech& tech);

// The rows side by side with each model/paper ratio, then the absolute figures, as Markdown tables.
std::string table2_markdown(const std::vector<Table2Row>& rows);

}  // namespace dlasim::sim
