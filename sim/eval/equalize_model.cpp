#include "sim/eval/equalize_model.hpp"

#include <algorithm>
#include <cmath>

#include "quant/equalization.hpp"

namespace dlasim::sim {

namespace {

using quant::OpKind;

bool has_constant_weights(const quant::Op& op) { return op.kind == OpKind::conv || op.kind == OpKind::linear; }

int64_t channels_out(const quant::Op& op) { return op.weights.dims[0]; }
int64_t per_out_channel(const quant::Op& op) { return op.weights.numel() / op.weights.dims[0]; }

// The consumer's weights in the [K][C/groups][spatial] view of quant/equalization.hpp: conv [K][C/g][R][S],
// linear [N][C·features] (a Flatten's H·W features per producer channel).
struct ConsumerView {
  int64_t k, c_per_group, spatial, groups;
};
ConsumerView consumer_view(const quant::Op& C, const EqualizationPair& p) {
  const std::vector<int64_t>& d = C.weights.dims;
  if (C.kind == OpKind::linear) return {d[0], d[1] / p.features_per_channel, p.features_per_channel, 1};
  return {d[0], d[1], d[2] * d[3], C.groups};
}

std::vector<float> producer_ranges(const quant::Op& P) {
  return quant::output_channel_ranges(P.weights.data.data(), channels_out(P), per_out_channel(P));
}

std::vector<float> consumer_ranges(const quant::Op& C, const EqualizationPair& p) {
  const ConsumerView v = consumer_view(C, p);
  return quant::input_channel_ranges(C.weights.data.data(), v.k, v.c_per_group, v.spatial, v.groups);
}

// Producer channel c multiplied by s_c, consumer input channel c divided by it: the function is unchanged.
void rescale(quant::Op& P, quant::Op& C, const EqualizationPair& p, const std::vector<float>& s) {
  quant::scale_output_channels(P.weights.data.data(), channels_out(P), per_out_channel(P), P.bias.data.data(), s, true);
  const ConsumerView v = consumer_view(C, p);
  quant::scale_input_channels(C.weights.data.data(), v.k, v.c_per_group, v.spatial, v.groups, s, false);
}

// One DFQ sweep over the pairs; returns max |s - 1|.
double dfq_sweep(quant::Model& m, const std::vector<EqualizationPair>& pairs) {
  double change = 0.0;
  for (const EqualizationPair& p : pairs) {
    quant::Op &P = m.ops[p.producer], &C = m.ops[p.consumer];
    // dfq_scales gives the divisor of the producer (PyTorch convention); rescale multiplies.
    std::vector<float> s = quant::dfq_scales(producer_ranges(P), consumer_ranges(C, p));
    for (float& v : s) {
      change = std::max(change, std::fabs(double(v) - 1.0));
      v = 1.0f / v;
    }
    rescale(P, C, p, s);
  }
  return change;
}

void meller(quant::Model& m, const std::vector<EqualizationPair>& pairs, bool two_step,
            const std::vector<quant::Tensor>& calib_inputs) {
  // Per-channel ranges of every pair's producer, from the float model before any rescaling (rescaling an earlier
  // pair leaves a later producer's output unchanged).
  std::vector<std::vector<float>> act_max(pairs.size()), preact_min(pairs.size());
  const std::size_t images = std::min<std::size_t>(calib_inputs.size(), 64);
  for (std::size_t i = 0; i < images; ++i) {
    quant::Values v;
    quant::run_float(m, calib_inputs[i], &v);
    for (std::size_t p = 0; p < pairs.size(); ++p) {
      const int64_t k = channels_out(m.ops[pairs[p].producer]);
      const quant::Tensor &pre = v.at(pairs[p].pre_activation), &post = v.at(pairs[p].post_activation);
      act_max[p].resize(k, 0.0f);
      preact_min[p].resize(k, 0.0f);
      // conv outputs are [1][K][H][W] (channel-major), linear outputs [..., K] (channel innermost).
      const bool innermost = m.ops[pairs[p].producer].kind == OpKind::linear;
      const auto channel = [&](int64_t index, int64_t count) { return innermost ? index % k : index / (count / k); };
      for (int64_t j = 0; j < pre.numel(); ++j) {
        float& lo = preact_min[p][channel(j, pre.numel())];
        lo = std::min(lo, pre.data[j]);
      }
      for (int64_t j = 0; j < post.numel(); ++j) {
        float& hi = act_max[p][channel(j, post.numel())];
        hi = std::max(hi, std::fabs(post.data[j]));
      }
    }
  }
  for (std::size_t p = 0; p < pairs.size(); ++p) {
    quant::Op &P = m.ops[pairs[p].producer], &C = m.ops[pairs[p].consumer];
    const std::vector<float> kernel_max = producer_ranges(P);
    const std::vector<float> norm = quant::meller_successor_norm({consumer_ranges(C, pairs[p])});
    const std::vector<float> s = quant::meller_scales(act_max[p], preact_min[p], kernel_max, two_step ? &norm : nullptr);
    rescale(P, C, pairs[p], s);
  }
}

}  // namespace

std::vector<EqualizationPair> equalization_pairs(const quant::Model& model, const quant::Values& dims) {
  std::vector<EqualizationPair> pairs;
  for (std::size_t i = 0; i < model.ops.size(); ++i) {
    const quant::Op& P = model.ops[i];
    if (!has_constant_weights(P)) continue;
    EqualizationPair pair;
    pair.producer = i;
    pair.pre_activation = pair.post_activation = P.output;
    std::string value = P.output;
    bool relu_seen = false, found = false;
    for (;;) {
      if (value == model.output) break;
      const std::vector<std::size_t> readers = model.consumers(value);
      if (readers.size() != 1) break;
      const quant::Op& r = model.ops[readers[0]];
      if (has_constant_weights(r) && r.inputs[0] == value) {
        pair.consumer = readers[0];
        found = r.weights.dims.size() == 2 ? r.weights.dims[1] == channels_out(P) * pair.features_per_channel
                                           : r.weights.dims[1] * r.groups == channels_out(P);
        break;
      }
      if (r.kind == OpKind::relu && !relu_seen) {
        relu_seen = true;
        pair.post_activation = r.output;
      } else if (r.kind == OpKind::flatten) {
        const quant::Tensor& in = dims.at(value);
        if (in.dims.size() < 2 || in.dims[0] != 1) break;
        pair.features_per_channel = in.numel() / in.dims[1];
      } else if (r.kind != OpKind::max_pool && r.kind != OpKind::average_pool &&
                 r.kind != OpKind::global_average_pool) {
        break;
      }
      value = r.output;
    }
    if (found) pairs.push_back(pair);
  }
  return pairs;
}

std::size_t equalize_model(quant::Model& model, const std::string& rule, const std::vector<quant::Tensor>& calib_inputs) {
  quant::Values dims;
  quant::run_float(model, calib_inputs.at(0), &dims);
  const std::vector<EqualizationPair> pairs = equalization_pairs(model, dims);
  if (rule == "dfq") {
    for (int sweep = 0; sweep < 100 && dfq_sweep(model, pairs) > 1e-4; ++sweep) {
    }
  } else {
    meller(model, pairs, rule == "meller_two_step", calib_inputs);
  }
  return pairs.size();
}

}  // namespace dlasim::sim
