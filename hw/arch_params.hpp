// Hardware parameters of one DLA instance, as the SystemC model and the reference consume them.
// Units: cycles for latencies, elements for vector sizes, bits for widths.
#pragma once

#include <cstdint>
#include <string>

namespace dlasim::hw {

// Data gating of the datapath (sim/config: arch.gating; docs/architecture.md, "Gating"). Values never change;
// only which actions switch, and so what is counted and priced.
enum class Gating {
  none,        // every busy lane-step switches its dot product, scale multiplies and accumulate
  accumulate,  // zero detectors per lane: a zero dot or scale product isolates the dot × scale multiplier, a zero
               // partial sum skips the accumulator read-modify-write
  lane,        // accumulate + a zero flag per buffered vector and operand isolation of every multiplier: an
               // all-zero weight or activation vector or a zero scale product holds the lane, a zero element holds
               // its multiplier
};

// The config name of a gating policy (arch.gating), and the policy of a name (none for an unknown one; the config
// validation accepts only these three).
inline const char* gating_name(Gating g) {
  return g == Gating::lane ? "lane" : g == Gating::accumulate ? "accumulate" : "none";
}
inline Gating gating_of(const std::string& name) {
  for (Gating g : {Gating::accumulate, Gating::lane}) {
    if (name == gating_name(g)) return g;
  }
  return Gating::none;
}

// ⌈log2 n⌉ for n ≥ 1: the bits a sum of n terms grows by.
inline int ceil_log2(int64_t n) {
  int bits = 0;
  while ((int64_t{1} << bits) < n) ++bits;
  return bits;
}

struct ArchParams {
  double clock_mhz = 1000.0;       // MHz; sets the simulated clock period
  int pes = 4;                     // processing elements (each works on its own tile)
  int lanes = 16;                  // vector MAC lanes per PE (one output channel each)
  int vector_size = 16;            // V: elements per vector dot product
  int collector_depth = 16;        // accumulators per lane (output pixels per tile)
  int collector_banks = 2;         // collector banks (one accumulating while others drain to the PPU)
  int acc_bits = 32;               // saturating accumulator width, two's complement (resolved: never `auto`)
  Gating gating = Gating::none;
  int weight_bits = 8;             // N_w
  int act_bits = 8;                // N_a
  int weight_scale_bits = 0;       // M_w; 0 = weights not per-vector scaled
  int act_scale_bits = 0;          // M_a; 0 = activations not per-vector scaled
  int scale_product_bits = 0;      // R: scale product rounded to R bits; 0 = keep M_w + M_a bits
  // Floating per-vector scales (fp32 single-level, MX E8M0, NVFP4 E4M3): the scale unit forms fp32 partial
  // sums and the collector accumulates in fp32; weight/act_scale_bits are then the stored scale widths.
  // false: VS-Quant integer scale codes, integer scale products, acc_bits integer accumulation.
  bool float_scales = false;
  int mac_latency_cycles = 2;      // multipliers + adder tree pipeline depth
  int scale_latency_cycles = 1;    // scale product and dot × scale multiplier depth
  int collector_latency_cycles = 1;
  int ppu_outputs_per_cycle = 16;  // PPU throughput per PE
  int ppu_latency_cycles = 4;
  // Memory hierarchy (hw/memory, hw/buffer). A bandwidth of 0 means unlimited (the ideal case).
  double weight_buffer_kib = 32.0;  // per PE, data bits only (per-vector scale codes sit in a side column)
  double input_buffer_kib = 32.0;   // per PE, data bits only
  int weight_buffer_entry_bits = 128;  // bits of one weight-buffer row (data part)
  int input_buffer_entry_bits = 128;   // bits of one input-buffer row (data part)
  int weight_buffer_ports = 16;     // weight-buffer rows read per cycle per PE (lane weight loads)
  int input_buffer_ports = 1;       // input-buffer rows read per cycle per PE (broadcast input vectors)
  int buffer_write_entries_per_cycle = 4;  // rows each PE buffer accepts per cycle when filled; 0 = unlimited
  bool double_buffering = true;     // PE buffers hold two tile slots: the next tile loads while one computes
  double gbuf_kib = 1024.0;         // global buffer capacity (shared by all PEs)
  int gbuf_banks = 8;
  int gbuf_bank_bytes_per_cycle = 16;  // read bandwidth of one bank towards the PEs; 0 = unlimited
  double dram_bytes_per_cycle = 32.0;  // DRAM interface bandwidth (reads and writes share it); 0 = unlimited
  int dram_latency_cycles = 100;    // request to first data (reads) / to write acknowledged (writes)
  // Watchdog (hw/top/dla.hpp): the simulation stops with an error when a DLA with unfinished jobs marks no
  // progress (hw/progress.hpp) for this many cycles; 0 = off.
  int watchdog_cycles = 1000000;
  // Testing only (fault injection, never set from a config): when > 0, the DRAM interface stops serving reads
  // for good once it has read at least this many bytes, so the DLA stalls and the watchdog must fire.
  uint64_t fault_stall_dram_after_bytes = 0;

  // A per-vector scale unit exists when either operand carries per-vector scale codes.
  bool has_scale_unit() const { return float_scales || weight_scale_bits > 0 || act_scale_bits > 0; }
  // Width of the raw scale product M_w + M_a (an operand without per-vector scales contributes 0 bits).
  int raw_scale_product_bits() const { return weight_scale_bits + act_scale_bits; }
  // Bits dropped by rounding the scale product (folded into the PPU scale as 2^shift).
  int scale_product_shift() const {
    const int raw = raw_scale_product_bits();
    return (!float_scales && scale_product_bits > 0 && scale_product_bits < raw) ? raw - scale_product_bits : 0;
  }
  int scale_product_width() const { return raw_scale_product_bits() - scale_product_shift(); }
  // Dot-product width of one vector MAC: N_w + N_a + ceil(log2 V) (reference.md §2).
  int dot_bits() const { return weight_bits + act_bits + ceil_log2(vector_size); }
  // Bits of a partial sum entering the collector: the dot product times the (rounded) integer scale product.
  int psum_bits() const { return dot_bits() + (has_scale_unit() && !float_scales ? scale_product_width() : 0); }
  // Zero detectors on scale product, dot product and partial sum (Gating::accumulate and Gating::lane).
  bool gates_accumulate() const { return gating != Gating::none; }
  // Zero vector flags and operand isolation of the lane's multipliers (Gating::lane).
  bool gates_lane() const { return gating == Gating::lane; }
  int64_t peak_macs_per_cycle() const { return int64_t{pes} * lanes * vector_size; }
  // Global-buffer read bandwidth towards the PE buffers in bytes/cycle (0 = unlimited).
  double gbuf_bytes_per_cycle() const { return double(gbuf_banks) * gbuf_bank_bytes_per_cycle; }
  int buffer_slots() const { return double_buffering ? 2 : 1; }
};

// `a` with the ideal memory system of the closed-form cycle counts (design.md §3): unlimited DRAM,
// global-buffer and PE-buffer-write bandwidth and no DRAM latency; buffer capacities are unchanged.
inline ArchParams with_ideal_memory(ArchParams a) {
  a.dram_bytes_per_cycle = 0.0;
  a.dram_latency_cycles = 0;
  a.gbuf_bank_bytes_per_cycle = 0;
  a.buffer_write_entries_per_cycle = 0;
  return a;
}

}  // namespace dlasim::hw
