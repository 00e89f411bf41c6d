// A model as one design runs it (docs/models.md): the post-training method applied, the static scales
// calibrated on training images, and one inference = the MAC ops through the bit-exact integer reference of the
// DLA (hw/reference.hpp) with every other op in fp32 on the host. The jobs of an inference can be kept and run
// through the SystemC DLA, whose outputs must equal the reference's.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "hw/arch_params.hpp"
#include "hw/layer.hpp"
#include "quant/calibrate.hpp"
#include "quant/model.hpp"
#include "quant/qtensor.hpp"
#include "sim/config/config.hpp"
#include "sim/eval/mac_mapping.hpp"
#include "sim/run.hpp"

namespace dlasim::sim {

// How a design quantizes a model.
struct ModelQuant {
  DesignQuant formats;          // weights, activations
  quant::QuantSpec host;        // MAC outputs that host ops read
  quant::CalibSpec calib;       // static activation scales
  MethodConfig method;
  uint64_t seed = 1;
};

// The quantization of a design from its config (formats, host format, calibrator, method, seed).
ModelQuant model_quant(const Config& c);
// The 8-bit baseline's: INT8 per-channel weights, INT8 per-tensor activations, max calibration, no method.
ModelQuant baseline_model_quant(const Config& c);

// What the report says about one MAC layer.
struct MacLayerInfo {
  std::string name, op;
  int64_t macs = 0;             // useful MACs of the model op
  int64_t dla_macs = 0;         // MACs the DLA runs (multipoint points and dilation zeros included)
  int64_t weights = 0;          // constant weights (0 for an activation × activation matmul)
  double weight_bits = 0.0;     // stored bits per weight: elements, per-vector and coarse scales, points
  double sparsity = 0.0;        // fraction of zero weight codes
  double mean_points = 1.0;     // multipoint: low-bit points per output channel
  int mcq_bits = 0;             // MCQ: sign-magnitude bits the largest count needs
  int64_t clipped = 0;          // MCQ: counts clipped to the element range
};

// One MAC op, prepared once: mapping, quantized constant weights, bias, static scales, output format.
struct PreparedMac {
  std::size_t op = 0;                   // index into Model::ops
  MacMapping map;                       // the model op's mapping (K real output channels)
  hw::ConvShape dla_shape;              // what the DLA runs (K' ≥ K output channels with multipoint)
  quant::QTensor weights;               // conv/linear; empty for matmul (B is quantized per inference)
  std::vector<float> bias;              // K' entries
  std::vector<float> input_amax, b_amax;  // static α of the input and of matmul's B (empty: no coarse scale)
  hw::OutputQuant output;
  bool relu_fused = false;              // the op's only consumer is a Relu the PPU applies
  std::string out_value;                // the value the job defines (the Relu's output when fused)
  std::vector<int64_t> channel_of;      // multipoint: real output channel of each DLA channel (empty: identity)
  bool host_relu = false;               // multipoint: Relu after the points are summed
  MacLayerInfo info;
};

// The jobs of one inference and the tensors they point to (addresses stable).
struct InferenceJobs {
  std::deque<quant::QTensor> tensors;
  std::vector<hw::LayerJob> jobs;
  std::vector<quant::QTensor> reference_outputs;  // one per job
  int64_t saturations = 0;
};

// Overflow events of inferences per MAC layer (index into QuantizedModel::macs()), summed over inferences:
// accumulator saturations of the reference, and per-vector scale codes 0 (vectors dequantized to 0) in the
// layer's weights, input and output (constant weights count once per inference).
struct OverflowCounts {
  std::vector<int64_t> saturations, zeroed_vectors;
};

class QuantizedModel {
 public:
  // Applies the method to `model` (a copy), calibrates on `calib_inputs` and quantizes the weights. Throws
  // std::invalid_argument naming the node when an op cannot run on the DLA with these formats.
  QuantizedModel(quant::Model model, const ModelQuant& mq, const hw::ArchParams& arch,
                 const std::vector<quant::Tensor>& calib_inputs);

  // One inference; returns the graph output. `values` (optional) receives every value by name; `jobs`
  // (optional) the DLA jobs with their operands and the reference outputs.
  // `overflow` (optional) accumulates the inference's overflow events.
  quant::Tensor infer(const quant::Tensor& input, quant::Values* values = nullptr, InferenceJobs* jobs = nullptr,
                      OverflowCounts* overflow = nullptr) const;

  const quant::Model& model() const { return model_; }
  const std::vector<PreparedMac>& macs() const { return macs_; }
  const hw::ArchParams& arch() const { return arch_; }

 private:
  // The MAC input as the DLA receives it: quantized with its static scale, or (MCQ activations) sampled as one
  // unit per tensor. `x` is the DLA input matrix, `op_index` seeds the sampling.
  quant::QTensor quantize_input(const PreparedMac& pm, const std::vector<float>& x, std::size_t op_index) const;

  quant::Model model_;
  ModelQuant mq_;
  hw::ArchParams arch_;
  std::vector<PreparedMac> macs_;
  std::vector<int> mac_of_op_;      // op index -> index into macs_, or -1
  std::vector<bool> skipped_op_;    // Relus applied with their MAC op (PPU, or host after multipoint)
};

}  // namespace dlasim::sim
