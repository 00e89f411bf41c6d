// Plain configuration structs of one dlasim run. Defaults live here, in the member initializers; the
// key names, units, ranges and descriptions live once in params.cpp (the declaration table), from which
// loading, validation and docs/config.md are all derived.
#pragma once

#include <cstdint>
#include <string>

#include "hw/arch_params.hpp"

namespace dlasim::sim {

// Quantization of one operand. Elements are signed INT `bits` with the narrow symmetric range
// [-(2^(bits-1)-1), 2^(bits-1)-1]; per_vector means VS-Quant two-level scales (reference.md §1.4):
// an unsigned `scale_bits`-bit code per vector of arch.vector_size elements times an fp32 coarse scale.
struct OperandQuantConfig {
  int bits = 8;                          // element bits N
  std::string granularity = "per_channel";  // weights: per_channel|per_vector; activations: per_tensor|per_vector
  int scale_bits = 0;                    // M, per-vector scale code bits (per_vector only)
  std::string format = "auto";           // a quant format name (mxfp4, nvfp4, ...) overriding the three above
  std::string calibrator = "max";        // activations only (quant.activations.calibrator): static calibration of a
                                         // model's coarse scales (quant::parse_calib); weights use their own max
  bool unsigned_after_relu = false;      // activations only: post-ReLU inputs and fused-ReLU outputs of `dlasim
                                         // run` use unsigned codes [0, 2^N - 1] (reference.md §1.2)
};

// Post-training method applied to a model's weights before quantization (reference.md §4–6; docs/models.md).
struct MethodConfig {
  std::string name = "none";             // none|mcq|equalization|multipoint
  bool bias_correction = false;          // correct each MAC layer's bias for the mean error of its weights
  double mcq_sampling_amount = 1.0;      // K: samples = round(K · weights) per output channel
  bool mcq_jitter = true;                // stratified samples jittered inside their strata (else midpoints)
  bool mcq_sort = false;                 // CDF over |w| sorted descending instead of index order
  bool mcq_activations = false;          // also sample the MAC inputs at run time (per tensor)
  std::string equalization = "dfq";      // dfq|meller_one_step|meller_two_step
  int multipoint_max_points = 4;         // points per output channel at most
  double multipoint_budget = 0.25;       // extra points allowed, as a fraction of the output channels
};

struct QuantConfig {
  OperandQuantConfig weights{4, "per_vector", 4};
  OperandQuantConfig activations{4, "per_vector", 6};
  // Format of MAC outputs that host ops (residual Add, Softmax, LayerNorm, GELU, the logits) read; outputs
  // read only by MAC layers use the activation format.
  std::string host_format = "int8";
  MethodConfig method;
};

// The DLA template as configured (the arch.* keys of docs/config.md): the hardware parameter struct itself, whose
// fields the declaration table (params.cpp) points into, so each parameter is declared once, with the defaults of
// hw::ArchParams. Not keys: the operand widths (weight_bits, act_bits, *_scale_bits, float_scales), which each
// design derives from its formats, and the test-only fault injection. design_arch (sim/run.hpp) resolves the rest:
// acc_bits 0 = `auto`, the gating policy named by `gating_policy`, and `buffer_sizing`.
struct ArchConfig : hw::ArchParams {
  ArchConfig() { acc_bits = 0; }
  std::string gating_policy = "accumulate";  // key arch.gating: none | accumulate | lane (ArchParams::gating)
  std::string buffer_sizing = "bytes";       // bytes | vectors (PE buffers scale with the element bits)
};

struct WorkloadConfig {
  std::string layers = "../traces/tiny_cnn.csv";  // layer table, relative to the config file
  std::string weight_dist = "student_t";          // student_t|laplace|normal
  std::string act_dist = "student_t";
  double student_t_dof = 4.0;
  double bias_rel_std = 0.1;  // bias std relative to the expected pre-activation std
};

// Accuracy evaluation of an imported model (dlasim eval; docs/models.md).
struct EvalConfig {
  std::string model = "none";            // ONNX file, relative to the config file ("none": eval needs --model)
  std::string data_dir = "/usr/share/datasets/fashion-mnist";  // IDX files of the labeled images
  double input_mean = 0.2860;            // preprocessing: (pixel / 255 - mean) / std
  double input_std = 0.3530;
  int calib_images = 256;                // training images that calibrate the static scales and the methods
  int limit = 0;                         // test images evaluated; 0 = all
  int simulate = 0;                      // test images also run through the SystemC DLA (and the baseline)
};

struct RunConfig {
  std::string name = "default";
  uint64_t seed = 1;
};

struct Config {
  RunConfig run;
  WorkloadConfig workload;
  ArchConfig arch;
  QuantConfig quant;
  EvalConfig eval;
  std::string tech = "tech/horowitz_45nm.yaml";  // tech file, relative to the config file
  std::string config_dir = ".";                  // directory of the loaded file (not a key)
};

}  // namespace dlasim::sim
