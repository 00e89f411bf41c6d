// One run: a workload on the configured design and on its 8-bit baseline, simulated in one SystemC
// elaboration, every output checked bit-exactly against the reference, then energy, area and SQNR.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hw/arch_params.hpp"
#include "hw/layer.hpp"
#include "hw/reference.hpp"
#include "quant/calibrate.hpp"
#include "quant/qtensor.hpp"
#include "sim/config/config.hpp"
#include "sim/energy/energy_model.hpp"
#include "sim/operands.hpp"
#include "sim/workload/layer_table.hpp"
#include "sim/workload/model_layers.hpp"

namespace dlasim::sim {

// Per-operand quantization of one design (weights, activations; outputs use the activation format).
// unsigned_after_relu (quant.activations.unsigned_after_relu): activations that are a ReLU's output use
// unsigned_spec(activations) (post-ReLU inputs, outputs of fused-ReLU layers; not attention rows).
struct DesignQuant {
  quant::QuantSpec weights;
  quant::QuantSpec activations;
  bool unsigned_after_relu = false;
  // Calibrator of per-tensor activation scales (layer inputs and the PPU's output scale): the design's
  // quant.activations.calibrator, max for the baseline (as dlasim eval does). Per-vector and block scales are max.
  quant::CalibSpec act_calib;
};

// The unsigned variant of a signed integer element spec (intN -> uintN, range [0, 2^N - 1]); other specs as
// they are.
quant::QuantSpec unsigned_spec(const quant::QuantSpec& s);

struct LayerStats {
  std::string name;
  int64_t macs = 0;
  int64_t outputs = 0;           // output elements (pixels × channels)
  uint64_t cycles = 0;
  uint64_t bound_cycles = 0;     // max(compute_bound_cycles, memory_bound_cycles): the simulation never beats it
  uint64_t compute_bound_cycles = 0;  // ceil(MACs / peak MACs per cycle)
  uint64_t memory_bound_cycles = 0;   // ceil(minimal DRAM bytes / DRAM bytes per cycle); 0 when unlimited
  uint64_t min_dram_bytes = 0;   // every weight and input byte read once, every output byte written once
  uint64_t dram_bytes = 0;       // bytes the simulated tiling moved (reads + writes)
  int64_t passes = 0;            // reduction passes per tile set (hw/ctrl/tiling.hpp)
  uint64_t stall_dram = 0, stall_gbuf = 0, stall_collector_full = 0;  // MAC array stall cycles by cause
  double utilisation = 0.0;      // MACs / (cycles · peak)
  double energy_pj = 0.0;        // dynamic + static
  std::map<std::string, double> energy_by_component;  // pJ; kStaticComponent is the leakage over `cycles`
  // Activity (hw/counter_catalogue.hpp, pe.activity.*): busy lane-steps and those with an all-zero operand
  // vector, a zero scale product, a zero partial sum; and the lane-steps the gating policy held
  // (dot products not switched) and the accumulates it skipped.
  uint64_t lane_steps = 0, zero_vector_steps = 0, zero_scale_products = 0, zero_psums = 0;
  uint64_t gated_dots = 0, gated_accumulates = 0;
  double sqnr_db = 0.0;          // dequantized output vs the float layer on the float operands
  uint64_t saturations = 0;
  int64_t zeroed_vectors = 0;    // per-vector scale codes 0 in weights + input + output
  std::string operands;          // where the operands came from: sim/operands.hpp operand_label
};

struct DesignResult {
  std::string label;             // W/A/ws/as, '-' for coarse scaling (VS-Quant notation)
  hw::ArchParams arch;
  DesignQuant quant;
  std::vector<LayerStats> layers;
  uint64_t cycles = 0;
  int64_t macs = 0;
  Breakdown energy_pj;
  Breakdown area_um2;
  std::map<std::string, uint64_t> counters;  // totals over the workload
  double sqnr_db = 0.0;          // SQNR over all layers' outputs together
};

// Wall-clock seconds of the phases of one run (for benchmarks; not part of the written results).
struct RunTiming {
  double generate_s = 0.0;   // float operands (sim/operands.hpp) and the float reference layers
  double quantize_s = 0.0;   // both designs' quantized operands and plain C++ reference layers (a chained
                             // layer's input codes are the upstream reference output)
  double simulate_s = 0.0;   // SystemC simulation of both DLAs
  double check_s = 0.0;      // bit-exact checks against the references, statistics
};

// Outputs of a run that are not design parameters (so not in the Config).
struct RunOptions {
  // When non-empty, both DLAs are recorded and a VCD of cycles [vcd_first_cycle, vcd_last_cycle] (inclusive,
  // absolute simulation cycles from time 0) is written here after the simulation (docs/waveforms.md).
  std::string vcd_path;
  uint64_t vcd_first_cycle = 0;
  uint64_t vcd_last_cycle = 9999;
  // false (benchmarks only): the baseline is not prepared, simulated or checked; RunResult::baseline stays
  // empty and the timing is the design's alone.
  bool with_baseline = true;
  // When non-empty, a directory of cached float operands (sim/operand_cache.hpp): layers found there are
  // not sampled again, new ones are stored. Sweeps share one across their points.
  std::string operand_cache;
  // Path of the plain reference every output is checked against (both give the same results; `exact` is
  // the defining saturating loop, for benchmarks and cross-checks).
  hw::ReferencePath reference_path = hw::ReferencePath::fastest;
};

struct RunResult {
  std::string out_dir;
  uint64_t simulated_cycles = 0;  // simulation end time in cycles (both DLAs; layers back to back)
  RunTiming timing;
  std::string tech_name;
  DesignResult design;
  DesignResult baseline;
};

// The hardware parameters and quantization of the configured design and of its baseline
// (INT8 per-channel weights, INT8 per-tensor activations, no scale unit, same array, clock and gating).
// arch.acc_bits = auto sizes each design's accumulators for the longest reduction of `layers` (the workload);
// the overloads without layers read the layer table of workload.layers.
hw::ArchParams design_arch(const Config& c, const std::vector<LayerSpec>& layers);
hw::ArchParams baseline_arch(const Config& c, const std::vector<LayerSpec>& layers);
hw::ArchParams design_arch(const Config& c);
DesignQuant design_quant(const Config& c);
// The design's formats for one layer: the layer table's weights_format / act_format overrides, else `design`.
DesignQuant layer_quant(const DesignQuant& design, const LayerSpec& l, int vector_size);
// Throws InputError naming the layer table and layer when an override needs MAC lanes other than the
// design's (element bits, vector size, integer or floating scales, scale bits): one DLA has one set of lanes.
void check_layer_formats(const Config& c, const std::vector<LayerSpec>& layers);
hw::ArchParams baseline_arch(const Config& c);
DesignQuant baseline_quant(const Config& c);

// VS-Quant label of a design's quantization, W<bits>/A<bits>/<weight scale bits>/<act scale bits> with '-' for
// coarse scaling (W4/A4/4/6, W8/A8/-/-); other formats as W:<format>/A:<format>.
std::string design_label(const DesignQuant& q);

// A path from the config (workload.layers, tech) resolved against the config file's directory, unless absolute.
std::string resolve_config_path(const Config& c, const std::string& path);

// Format of an attention GEMM's B operand (hw::LayerJob::weights_are_activations): the weight port's element
// bits and per-vector scale bits (so the scale unit's M_w × M_a product is unchanged), but one coarse scale
// per tensor: per_channel becomes per_tensor, a two-level per-vector format gets its γ per tensor.
quant::QuantSpec activation_weight_spec(const quant::QuantSpec& weights);

// Float operands of layer `index` and the float layer on them (double accumulation): the SQNR reference and
// the calibration data of the output scale (origins: sim/operands.hpp). Weights [K][R][S][Cg]: model->weights
// when `model` is given, else seeded from workload.weight_dist with std 1/sqrt(fan-in), sqrt(2/fan-in) when
// `post_relu`. Input [H][W][C]: *input when given (a chained layer's upstream float output), else seeded from
// workload.act_dist at unit variance, rectified as max(0, x + b_c) with per-channel b_c ~ N(0, bias_rel_std²)
// when `post_relu`. Bias: model->bias, else normal (bias_rel_std). Attention GEMMs (LayerSpec::is_attention)
// ignore post_relu, input and model: both operands from act_dist at unit scale, the attn_pv input P softmax
// rows (nonnegative, summing to 1 per query and head), zero bias. Throws std::invalid_argument when a given
// input or model tensor does not have the layer's size.
struct FloatLayer {
  std::vector<float> weights, input, bias, output;
};
FloatLayer make_float_layer(const Config& c, const LayerSpec& l, uint64_t index, bool post_relu = false,
                            const std::vector<float>* input = nullptr, const ModelOperands* model = nullptr);

// Float operands of every layer in table order (sim/operands.hpp); `model` is empty for a layer table, else
// one entry per row; `cache` is RunOptions::operand_cache.
std::vector<FloatLayer> make_float_layers(const Config& c, const std::vector<LayerSpec>& layers,
                                          const std::vector<ModelOperands>& model,
                                          const std::vector<OperandOrigin>& origins,
                                          const std::string& cache = "");

// Quantized operands, jobs and reference outputs of one design. weights and inputs are reserved to the layer
// count up front, so the jobs' pointers into them stay valid; the jobs' bias pointers point into the
// FloatLayers.
struct PreparedDesign {
  DesignResult result;
  std::vector<quant::QTensor> weights, inputs;
  std::vector<hw::LayerJob> jobs;
  std::vector<hw::ReferenceResult> references;  // the plain reference of each job: what the DLA must write
  std::vector<std::string> operands;            // operand_label of each layer
};

// Layer by layer: quantizes the operands, plans the tiling (an InputError naming `source` and `design` when
// the PE buffers cannot hold a layer) and computes the reference on `path`. A chained layer
// (origins[i].chained_from >= 0) takes the upstream reference output as its quantized input when that
// tensor's matrix shape and format are the layer's input_matrix() and activation format, else it quantizes
// its float input. `overrides`: the design applies the layer table's per-layer formats (layer_quant); the
// baseline does not.
std::unique_ptr<PreparedDesign> prepare_design(const std::string& label, const std::string& design,
                                               const std::string& source, const hw::ArchParams& arch,
                                               const DesignQuant& dq, const std::vector<LayerSpec>& layers,
                                               const std::vector<FloatLayer>& fl,
                                               const std::vector<OperandOrigin>& origins, bool overrides,
                                               hw::ReferencePath path = hw::ReferencePath::fastest);

// Runs the workload; throws InputError for bad workload/tech files, a VCD window beyond the VCD time range
// (2^64 ps) or a VCD that cannot be written, and std::runtime_error on a bit-exact mismatch (naming layer
// and index). The VCD is written before the bit-exact checks, so a failing run leaves its waveform.
RunResult run_workload(const Config& config, const RunOptions& options = {});

// The file a path key (`workload.layers`, `tech`) names, resolved against the config directory; a missing file is
// an InputError naming the path, the key and its value.
std::string config_file(const Config& c, const std::string& key, const std::string& value);

// Plans the tiling of every job on `arch` before a DLA is elaborated; a layer the PE buffers cannot hold is bad
// input: an InputError naming `source` (layer table or model), the design, the layer and the arch.* keys.
void check_tiling(const std::string& source, const std::string& design, const hw::ArchParams& arch,
                  const std::vector<hw::LayerJob>& jobs);

}  // namespace dlasim::sim
