// `dlasim eval`: accuracy of a design on an imported model and a labeled test set, computed by the same
// integer arithmetic the DLA runs (docs/models.md), with optional SystemC simulation of some inferences for
// cycles, energy and area against the 8-bit baseline.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/config/config.hpp"
#include "sim/energy/energy_model.hpp"
#include "sim/eval/quantized_model.hpp"

namespace dlasim::sim {

struct EvalOptions {
  std::string model;       // ONNX path; empty = eval.model resolved against the config file
  std::string dataset = "fashion-mnist";
};

struct LayerAccuracy {
  MacLayerInfo info;
  double sqnr_db = 0.0;    // quantized vs float value of the layer's output over the evaluated images
  int64_t saturations = 0;     // accumulator saturations over the evaluated images
  int64_t zeroed_vectors = 0;  // per-vector scale codes 0 in weights + input + output, over the evaluated images
};

// Per-inference figures of the simulated images (design and 8-bit baseline).
struct SimulatedFigures {
  int64_t images = 0;
  int64_t jobs = 0;                    // MAC layers simulated (all images, design)
  double cycles = 0.0, baseline_cycles = 0.0;          // per inference
  double energy_pj = 0.0, baseline_energy_pj = 0.0;    // per inference
  double area_um2 = 0.0, baseline_area_um2 = 0.0;
  Breakdown energy_breakdown;                          // design, per inference
  int64_t saturations = 0;                             // design accumulator saturations, all images
};

struct EvalResult {
  std::string model, dataset, design, method;
  int64_t images = 0, calib_images = 0;
  double fp32_top1 = 0.0, top1 = 0.0;  // fractions of the evaluated images
  double agreement = 0.0;              // fraction where the quantized and float top-1 agree
  double logits_sqnr_db = 0.0;
  double weight_bits = 0.0;            // stored bits per weight, averaged over the model's weights
  double weight_sparsity = 0.0;
  std::vector<LayerAccuracy> layers;
  int64_t saturations = 0, zeroed_vectors = 0;  // totals over the layers (overflow policy, docs/reliability.md)
  std::optional<SimulatedFigures> simulated;
  double seconds = 0.0;
};

// Throws InputError for a missing/bad model or dataset, ConfigError-free inputs assumed (load_config checked),
// std::runtime_error when a simulated output differs from the reference.
EvalResult evaluate_model(const Config& c, const EvalOptions& options);

// Writes eval.json and layers.csv into `dir` (each atomically) and returns their paths.
std::vector<std::string> write_eval(const EvalResult& r, const Config& c, const std::string& dir);
// The human-readable report.
std::string format_eval(const EvalResult& r);

}  // namespace dlasim::sim
