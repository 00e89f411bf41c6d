// The constant weights of one MAC layer as a design stores them, per post-training method (docs/models.md):
//   none / equalization : quant::quantize with the weight format (equalization has already rescaled the model);
//   mcq                 : Monte Carlo counts (quant/mcq.hpp), one unit per output channel, as signed INT codes of the
//                         weight format with the unit's scale as the per-channel coarse scale; counts beyond the
//                         element range are clipped and counted;
//   multipoint          : each output channel a sum of low-bit points (quant/multipoint.hpp; grouped layers keep one
//                         point per channel); every point is one
//                         more DLA output channel with its own coarse scale, K real channels first, then the extra
//                         points. The host adds a channel's points.
// Bias correction then subtracts the mean output error Σ_j (w̃ − w)_kj · E[x_j] from every bias.
#pragma once

#include <cstdint>
#include <vector>

#include "hw/layer.hpp"
#include "quant/qtensor.hpp"
#include "sim/config/config.hpp"

namespace dlasim::sim {

// Calibration data one layer's methods use, in the DLA's patch layout [R][S][Cg] per group.
struct LayerCalibration {
  std::vector<std::vector<double>> patch_sum;   // per group: Σ of every patch element over the calibration patches
  int64_t patches = 0;                          // patches summed (per group)
  std::vector<std::vector<float>> patch_rows;   // per group: sampled patches, rows of R·S·Cg (multipoint)
};

struct StoredWeights {
  quant::QTensor weights;          // dla_shape.weight_matrix()
  hw::ConvShape dla_shape;         // out_c = K + extra points
  std::vector<float> bias;         // dla_shape.out_c entries (extra points: 0)
  std::vector<int64_t> channel_of; // multipoint: the real channel of each DLA channel; empty otherwise
  double weight_bits = 0.0;        // stored bits per real weight
  double sparsity = 0.0;
  double mean_points = 1.0;
  int mcq_bits = 0;
  int64_t clipped = 0;
};

// `w` in the DLA layout [K][R][S][Cg] of `shape`; `bias` K entries. `seed` makes MCQ reproducible per layer.
StoredWeights store_weights(const std::vector<float>& w, const std::vector<float>& bias, const hw::ConvShape& shape,
                            const quant::QuantSpec& spec, const MethodConfig& method, uint64_t seed,
                            const LayerCalibration& calib);

}  // namespace dlasim::sim
