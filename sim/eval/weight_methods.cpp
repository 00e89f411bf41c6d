#include "sim/eval/weight_methods.hpp"

#include <algorithm>
#include <stdexcept>

#include "quant/bias_correction.hpp"
#include "quant/mcq.hpp"
#include "quant/multipoint.hpp"
#include "quant/quantize.hpp"

namespace dlasim::sim {

namespace {

double zero_fraction(const quant::QTensor& t) {
  int64_t zeros = 0;
  for (int64_t r = 0; r < t.shape.rows; ++r) {
    const int8_t* c = t.row_codes(r);
    for (int64_t j = 0; j < t.shape.cols; ++j) zeros += c[j] == 0;
  }
  return double(zeros) / double(t.shape.rows * t.shape.cols);
}

StoredWeights store_mcq(const std::vector<float>& w, const hw::ConvShape& sh, const quant::QuantSpec& spec,
                        const MethodConfig& m, uint64_t seed) {
  const int64_t n = sh.taps() * sh.group_in_c();
  quant::McqOptions o;
  o.sampling_amount = m.mcq_sampling_amount;
  o.jitter = m.mcq_jitter;
  o.sort = m.mcq_sort;
  o.seed = seed;
  const quant::McqResult r = quant::mcq_quantize(w.data(), sh.out_c, n, o);
  StoredWeights s;
  s.weights = quant::mcq_to_qtensor(r, sh.out_c, n, spec.bits(), sh.taps(), spec.vector_size, &s.clipped);
  s.weight_bits = r.mean_bits + 32.0 / double(n);
  s.sparsity = r.sparsity;
  s.mcq_bits = r.bits;
  return s;
}

// Codes of one DLA channel's weights [R][S][Cg] into rows of `t` starting at channel `row_channel`.
void put_channel(quant::QTensor& t, int64_t row_channel, int64_t taps, int64_t cg, const std::vector<int8_t>& codes) {
  for (int64_t tap = 0; tap < taps; ++tap) {
    int8_t* row = reinterpret_cast<int8_t*>(t.codes.data()) + (row_channel * taps + tap) * t.padded_cols();
    std::copy(codes.begin() + tap * cg, codes.begin() + (tap + 1) * cg, row);
  }
}

StoredWeights store_multipoint(const std::vector<float>& w, const hw::ConvShape& sh, const quant::QuantSpec& spec,
                               const MethodConfig& m, const LayerCalibration& calib) {
  const int64_t n = sh.taps() * sh.group_in_c(), kg = sh.group_out_c();
  quant::MultipointOptions o;
  o.bits = spec.bits();
  o.max_points = m.multipoint_max_points;
  // Extra points of a grouped layer would break the group structure of its output channels: one point each.
  o.budget = sh.groups == 1 ? m.multipoint_budget : 0.0;
  std::vector<quant::MultipointVector> channels;
  for (int64_t g = 0; g < sh.groups; ++g) {
    const std::vector<float>& x = calib.patch_rows.at(g);
    const quant::MultipointLayer layer =
        quant::multipoint_quantize(w.data() + g * kg * n, kg, n, x.data(), int64_t(x.size()) / n, o);
    channels.insert(channels.end(), layer.channels.begin(), layer.channels.end());
  }
  StoredWeights s;
  for (int64_t k = 0; k < sh.out_c; ++k) s.channel_of.push_back(k);
  for (int64_t k = 0; k < sh.out_c; ++k)
    for (std::size_t t = 1; t < channels[k].a.size(); ++t) s.channel_of.push_back(k);
  s.dla_shape = sh;
  s.dla_shape.out_c = int64_t(s.channel_of.size());

  quant::QuantSpec ps = spec;
  ps.granularity = quant::Granularity::per_channel;
  s.weights = quant::make_qtensor(ps, s.dla_shape.weight_matrix());
  std::vector<std::size_t> next_point(sh.out_c, 1);
  for (int64_t d = 0; d < s.dla_shape.out_c; ++d) {
    const int64_t k = s.channel_of[d];
    const std::size_t t = d < sh.out_c ? 0 : next_point[k]++;
    put_channel(s.weights, d, sh.taps(), sh.group_in_c(), channels[k].codes[t]);
    s.weights.coarse_scales[d] = channels[k].a[t];
  }
  s.weight_bits = s.weights.bits_per_element() * double(s.dla_shape.out_c) / double(sh.out_c);
  s.sparsity = zero_fraction(s.weights);
  s.mean_points = double(s.dla_shape.out_c) / double(sh.out_c);
  return s;
}

// The dequantized weights per real channel [K][R][S][Cg] (a multipoint channel's points summed).
std::vector<float> effective_weights(const StoredWeights& s, const hw::ConvShape& sh) {
  const std::vector<float> deq = s.weights.dequantize();
  const int64_t n = sh.taps() * sh.group_in_c();
  if (s.channel_of.empty()) return deq;
  std::vector<float> w(sh.out_c * n, 0.0f);
  for (std::size_t d = 0; d < s.channel_of.size(); ++d)
    for (int64_t j = 0; j < n; ++j) w[s.channel_of[d] * n + j] += deq[d * n + j];
  return w;
}

}  // namespace

StoredWeights store_weights(const std::vector<float>& w, const std::vector<float>& bias, const hw::ConvShape& shape,
                            const quant::QuantSpec& spec, const MethodConfig& method, uint64_t seed,
                            const LayerCalibration& calib) {
  StoredWeights s;
  if (method.name == "mcq") {
    s = store_mcq(w, shape, spec, method, seed);
  } else if (method.name == "multipoint") {
    s = store_multipoint(w, shape, spec, method, calib);
  } else {
    s.weights = quant::quantize(w.data(), shape.weight_matrix(), spec);
    s.weight_bits = s.weights.bits_per_element();
    s.sparsity = zero_fraction(s.weights);
  }
  if (s.channel_of.empty()) s.dla_shape = shape;
  s.bias.assign(s.dla_shape.out_c, 0.0f);
  std::copy(bias.begin(), bias.end(), s.bias.begin());
  if (method.bias_correction && calib.patches > 0) {
    const std::vector<float> wq = effective_weights(s, shape);
    const int64_t n = shape.taps() * shape.group_in_c(), kg = shape.group_out_c();
    for (int64_t g = 0; g < shape.groups; ++g) {
      std::vector<float> mean(n);
      for (int64_t j = 0; j < n; ++j) mean[j] = float(calib.patch_sum.at(g)[j] / double(calib.patches));
      quant::correct_bias(w.data() + g * kg * n, wq.data() + g * kg * n, kg, n, mean, s.bias.data() + g * kg);
    }
  }
  return s;
}

}  // namespace dlasim::sim
