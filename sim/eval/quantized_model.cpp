#include "sim/eval/quantized_model.hpp"

#include <algorithm>
#include <random>
#include <stdexcept>

#include <fmt/format.h>

#include "hw/reference.hpp"
#include "quant/mcq.hpp"
#include "quant/quantize.hpp"
#include "sim/eval/equalize_model.hpp"
#include "sim/eval/weight_methods.hpp"

namespace dlasim::sim {

namespace {

using quant::OpKind;

// Ops that only move or pool values: a value read through them by MAC ops alone is an activation operand.
bool is_passthrough(OpKind k) {
  return k == OpKind::max_pool || k == OpKind::average_pool || k == OpKind::global_average_pool ||
         k == OpKind::flatten || k == OpKind::reshape || k == OpKind::transpose;
}

// True when every reader of `value` (through pass-through ops) is a MAC op, so the PPU can write it in the
// activation format; false when a host op or the graph output reads it.
bool read_by_macs_only(const quant::Model& m, const std::string& value) {
  if (value == m.output) return false;
  for (std::size_t c : m.consumers(value)) {
    const quant::Op& op = m.ops[c];
    if (quant::is_mac(op.kind)) continue;
    if (!is_passthrough(op.kind) || !read_by_macs_only(m, op.output)) return false;
  }
  return true;
}

// α list for a static coarse scale: one entry, or none when the format has no coarse level (MX, fp32 per vector).
std::vector<float> static_amax(const quant::Calibrator& cal, const quant::QuantSpec& spec) {
  if (spec.coarse_level() == quant::CoarseLevel::none) return {};
  return {float(cal.compute_amax(quant::calib_target(spec)))};
}

const quant::Tensor& value_of(const quant::Values& v, const std::string& name, const quant::Op& op) {
  const auto it = v.find(name);
  if (it == v.end()) throw std::logic_error(fmt::format("node '{}': value '{}' not computed", op.name, name));
  return it->second;
}

// Calibration state of one MAC op while the float model runs on the calibration images.
struct MacCalibration {
  quant::Calibrator input, b, output;
  LayerCalibration layer;
  explicit MacCalibration(const quant::CalibSpec& spec) : input(spec), b(spec), output(spec) {}
};

// Adds the patches of one DLA input matrix `x` (shape `sh`) to `lc`: their element sums per group and, when
// `sample_rows` > 0, that many patches drawn with `rng`.
void add_patches(const hw::ConvShape& sh, const std::vector<float>& x, int sample_rows, std::mt19937_64& rng,
                 LayerCalibration& lc) {
  const int64_t cg = sh.group_in_c(), n = sh.taps() * cg;
  if (lc.patch_sum.empty()) {
    lc.patch_sum.assign(sh.groups, std::vector<double>(n, 0.0));
    lc.patch_rows.assign(sh.groups, {});
  }
  const auto patch_element = [&](int64_t oh, int64_t ow, int64_t g, int64_t j) -> float {
    const int64_t c = j % cg, tap = j / cg, r = tap / sh.kernel_w, s = tap % sh.kernel_w;
    const int64_t ih = oh * sh.stride - sh.pad + r, iw = ow * sh.stride - sh.pad + s;
    if (ih < 0 || iw < 0 || ih >= sh.in_h || iw >= sh.in_w) return 0.0f;
    return x[(ih * sh.in_w + iw) * sh.in_c + g * cg + c];
  };
  for (int64_t g = 0; g < sh.groups; ++g) {
    std::vector<double>& sum = lc.patch_sum[g];
    for (int64_t oh = 0; oh < sh.out_h(); ++oh)
      for (int64_t ow = 0; ow < sh.out_w(); ++ow)
        for (int64_t j = 0; j < n; ++j) sum[j] += patch_element(oh, ow, g, j);
    for (int i = 0; i < sample_rows; ++i) {
      const int64_t p = int64_t(rng() % uint64_t(sh.out_pixels()));
      for (int64_t j = 0; j < n; ++j) lc.patch_rows[g].push_back(patch_element(p / sh.out_w(), p % sh.out_w(), g, j));
    }
  }
  lc.patches += sh.out_pixels();
}

// Each real output channel's multipoint outputs added: DLA output [pixels][K'] -> [pixels][K].
std::vector<float> sum_points(const PreparedMac& pm, const std::vector<float>& y) {
  const int64_t k_dla = pm.dla_shape.out_c, k = pm.map.shape.out_c, pixels = pm.dla_shape.out_pixels();
  std::vector<float> sum(pixels * k, 0.0f);
  for (int64_t p = 0; p < pixels; ++p)
    for (int64_t d = 0; d < k_dla; ++d) sum[p * k + pm.channel_of[d]] += y[p * k_dla + d];
  return sum;
}

}  // namespace

ModelQuant model_quant(const Config& c) {
  ModelQuant mq;
  mq.formats = design_quant(c);
  mq.host = quant::parse_format(c.quant.host_format);
  mq.host.vector_size = c.arch.vector_size;
  mq.calib = quant::parse_calib(c.quant.activations.calibrator);
  mq.method = c.quant.method;
  mq.seed = c.run.seed;
  return mq;
}

ModelQuant baseline_model_quant(const Config& c) {
  ModelQuant mq = model_quant(c);
  mq.formats = baseline_quant(c);
  mq.calib = quant::CalibSpec{};
  mq.method = MethodConfig{};
  return mq;
}

QuantizedModel::QuantizedModel(quant::Model model, const ModelQuant& mq, const hw::ArchParams& arch,
                               const std::vector<quant::Tensor>& calib_inputs)
    : model_(std::move(model)), mq_(mq), arch_(arch) {
  if (calib_inputs.empty()) throw std::invalid_argument("no calibration images");
  if (mq_.method.name == "equalization") equalize_model(model_, mq_.method.equalization, calib_inputs);
  const std::size_t n_ops = model_.ops.size();
  mac_of_op_.assign(n_ops, -1);
  skipped_op_.assign(n_ops, false);
  const bool multipoint = mq_.method.name == "multipoint";

  // Mapping, relu fusion and output format of every MAC op, from the value dims of one float run.
  quant::Values first;
  quant::run_float(model_, calib_inputs[0], &first);
  for (std::size_t i = 0; i < n_ops; ++i) {
    const quant::Op& op = model_.ops[i];
    if (!quant::is_mac(op.kind)) continue;
    PreparedMac pm;
    pm.op = i;
    pm.map = map_mac(op, first);
    pm.out_value = op.output;
    const int64_t relu = fused_relu(model_, op);
    if (relu >= 0) {
      // The PPU applies it, or with multipoint the host after adding a channel's points.
      pm.host_relu = multipoint && op.kind != OpKind::matmul;
      pm.relu_fused = !pm.host_relu;
      skipped_op_[relu] = true;
      pm.out_value = model_.ops[relu].output;
    }
    pm.output.spec = read_by_macs_only(model_, pm.out_value) ? mq_.formats.activations : mq_.host;
    pm.info.name = op.name;
    pm.info.op = op.onnx_op;
    pm.info.macs = pm.map.shape.macs();
    mac_of_op_[i] = int(macs_.size());
    macs_.push_back(std::move(pm));
  }

  // Static scales and the methods' statistics from the float model on the calibration images.
  std::vector<MacCalibration> cal(macs_.size(), MacCalibration(mq_.calib));
  const bool patches = mq_.method.bias_correction || multipoint;
  const int rows_per_image = multipoint ? std::max(1, 2048 / int(calib_inputs.size())) : 0;
  std::mt19937_64 rng(mq_.seed);
  for (const quant::Tensor& x : calib_inputs) {
    quant::Values v;
    quant::run_float(model_, x, &v);
    for (std::size_t j = 0; j < macs_.size(); ++j) {
      const PreparedMac& pm = macs_[j];
      const quant::Op& op = model_.ops[pm.op];
      const quant::Tensor& a = value_of(v, op.inputs[0], op);
      cal[j].input.collect(a.data.data(), a.numel());
      if (op.kind == OpKind::matmul) {
        const quant::Tensor& b = value_of(v, op.inputs[1], op);
        cal[j].b.collect(b.data.data(), b.numel());
      }
      const quant::Tensor& y = value_of(v, pm.out_value, op);
      cal[j].output.collect(y.data.data(), y.numel());
      if (patches && op.kind != OpKind::matmul) {
        add_patches(pm.map.shape, dla_input(pm.map, a), rows_per_image, rng, cal[j].layer);
      }
    }
  }

  for (std::size_t j = 0; j < macs_.size(); ++j) {
    PreparedMac& pm = macs_[j];
    const quant::Op& op = model_.ops[pm.op];
    pm.input_amax = static_amax(cal[j].input, mq_.formats.activations);
    pm.dla_shape = pm.map.shape;
    if (op.kind == OpKind::matmul) {
      pm.b_amax = static_amax(cal[j].b, activation_weight_spec(mq_.formats.weights));
      pm.bias.assign(pm.map.shape.out_c, 0.0f);
      pm.info.dla_macs = pm.info.macs;
    } else {
      StoredWeights s = store_weights(dla_weights(op, pm.map), op.bias.data, pm.map.shape, mq_.formats.weights,
                                      mq_.method, mq_.seed + j, cal[j].layer);
      pm.weights = std::move(s.weights);
      pm.dla_shape = s.dla_shape;
      pm.bias = std::move(s.bias);
      pm.channel_of = std::move(s.channel_of);
      pm.info.weights = op.weights.numel();
      pm.info.weight_bits = s.weight_bits;
      pm.info.sparsity = s.sparsity;
      pm.info.mean_points = s.mean_points;
      pm.info.mcq_bits = s.mcq_bits;
      pm.info.clipped = s.clipped;
      pm.info.dla_macs = pm.dla_shape.macs();
    }
    if (!pm.channel_of.empty() && pm.dla_shape.out_c != pm.map.shape.out_c) {
      // Extra points: fp32 per-vector output scales keep each point's small partial outputs exact enough.
      pm.output.spec = quant::parse_format(fmt::format("int8-v{}", arch_.vector_size));
    }
    const std::vector<float> out_amax = static_amax(cal[j].output, pm.output.spec);
    pm.output.coarse_scale = out_amax.empty() ? 1.0f : quant::coarse_scale_for(pm.output.spec, out_amax[0]);
  }
}

quant::QTensor QuantizedModel::quantize_input(const PreparedMac& pm, const std::vector<float>& x,
                                              std::size_t op_index) const {
  const quant::QuantSpec& spec = mq_.formats.activations;
  if (mq_.method.name == "mcq" && mq_.method.mcq_activations) {
    quant::McqOptions o;
    o.sampling_amount = mq_.method.mcq_sampling_amount;
    o.jitter = mq_.method.mcq_jitter;
    o.sort = mq_.method.mcq_sort;
    o.seed = mq_.seed + op_index;
    const int64_t n = int64_t(x.size()), rows = pm.map.shape.input_matrix().rows;
    quant::QTensor t = quant::mcq_to_qtensor(quant::mcq_quantize(x.data(), 1, n, o), 1, n, spec.bits(), rows,
                                             spec.vector_size);  // counts beyond the element range saturate
    t.spec.granularity = quant::Granularity::per_tensor;       // one unit: the tensor's one coarse scale
    return t;
  }
  quant::QuantOptions options;
  if (!pm.input_amax.empty()) options.static_amax = &pm.input_amax;
  return quant::quantize(x.data(), pm.map.shape.input_matrix(), spec, options);
}

quant::Tensor QuantizedModel::infer(const quant::Tensor& input, quant::Values* values, InferenceJobs* jobs,
                                    OverflowCounts* overflow) const {
  quant::Values local;
  quant::Values& v = values ? *values : local;
  v[model_.input] = input;
  const quant::QuantSpec b_spec = activation_weight_spec(mq_.formats.weights);
  for (std::size_t i = 0; i < model_.ops.size(); ++i) {
    if (skipped_op_[i]) continue;
    const quant::Op& op = model_.ops[i];
    if (mac_of_op_[i] < 0) {
      std::vector<const quant::Tensor*> in;
      for (const std::string& name : op.inputs) {
        const auto c = model_.constants.find(name);
        in.push_back(c != model_.constants.end() ? &c->second : &value_of(v, name, op));
      }
      v[op.output] = quant::run_op(op, in);
      continue;
    }
    const PreparedMac& pm = macs_[mac_of_op_[i]];
    const quant::Tensor& a = value_of(v, op.inputs[0], op);
    quant::QTensor input_q = quantize_input(pm, dla_input(pm.map, a), i);
    quant::QTensor b_q;
    if (op.kind == OpKind::matmul) {
      quant::QuantOptions b_opts;
      if (!pm.b_amax.empty()) b_opts.static_amax = &pm.b_amax;
      const std::vector<float> bw = dla_weights(op, pm.map, &value_of(v, op.inputs[1], op));
      b_q = quant::quantize(bw.data(), pm.map.shape.weight_matrix(), b_spec, b_opts);
    }
    hw::LayerJob job;
    job.name = op.name;
    job.shape = pm.dla_shape;
    job.relu = pm.relu_fused;
    job.bias = &pm.bias;
    job.output = pm.output;
    job.weights_are_activations = op.kind == OpKind::matmul;
    job.input = &input_q;
    job.weights = op.kind == OpKind::matmul ? &b_q : &pm.weights;
    hw::ReferenceResult ref = hw::reference_layer(job, arch_);
    if (overflow) {
      overflow->saturations.resize(macs_.size());
      overflow->zeroed_vectors.resize(macs_.size());
      overflow->saturations[mac_of_op_[i]] += ref.saturations;
      overflow->zeroed_vectors[mac_of_op_[i]] +=
          job.weights->zeroed_vectors() + job.input->zeroed_vectors() + ref.output.zeroed_vectors();
    }
    std::vector<float> y = ref.output.dequantize();
    if (!pm.channel_of.empty() && pm.dla_shape.out_c != pm.map.shape.out_c) y = sum_points(pm, y);
    if (pm.host_relu) {
      for (float& e : y) e = std::max(e, 0.0f);
    }
    v[pm.out_value] = model_output(pm.map, y.data());
    if (jobs) {
      jobs->saturations += ref.saturations;
      jobs->tensors.push_back(std::move(input_q));
      job.input = &jobs->tensors.back();
      if (op.kind == OpKind::matmul) {
        jobs->tensors.push_back(std::move(b_q));
        job.weights = &jobs->tensors.back();
      }
      jobs->jobs.push_back(job);
      jobs->reference_outputs.push_back(std::move(ref.output));
    }
  }
  return value_of(v, model_.output, model_.ops.back());
}

}  // namespace dlasim::sim
