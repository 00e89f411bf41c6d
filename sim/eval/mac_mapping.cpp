#include "sim/eval/mac_mapping.hpp"

#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace dlasim::sim {

namespace {

[[noreturn]] void refuse(const quant::Op& op, const std::string& why) {
  throw std::invalid_argument(fmt::format("node '{}' ({}): {}", op.name, op.onnx_op, why));
}

int64_t product(const std::vector<int64_t>& d, std::size_t from, std::size_t to) {
  int64_t p = 1;
  for (std::size_t i = from; i < to; ++i) p *= d[i];
  return p;
}

MacMapping map_conv(const quant::Op& op, const std::vector<int64_t>& a) {
  const std::vector<int64_t>& w = op.weights.dims;
  if (a.size() != 4 || a[0] != 1) refuse(op, fmt::format("input dims [{}], expected [1, C, H, W]", fmt::join(a, ", ")));
  if (w.size() != 4 || op.kernel.size() != 2 || op.strides.size() != 2 || op.pads.size() != 4 || op.dilations.size() != 2) {
    refuse(op, "expected a 2-D convolution");
  }
  if (op.strides[0] != op.strides[1]) {
    refuse(op, fmt::format("strides {}x{}: the DLA takes one stride for both axes", op.strides[0], op.strides[1]));
  }
  MacMapping m;
  m.kind = quant::OpKind::conv;
  m.dilation_h = op.dilations[0];
  m.dilation_w = op.dilations[1];
  hw::ConvShape& s = m.shape;
  s.in_c = a[1];
  s.in_h = a[2];
  s.in_w = a[3];
  s.out_c = w[0];
  s.groups = op.groups;
  s.kernel_h = (w[2] - 1) * m.dilation_h + 1;
  s.kernel_w = (w[3] - 1) * m.dilation_w + 1;
  s.stride = op.strides[0];
  const std::vector<int64_t>& p = op.pads;
  if (p[0] == p[1] && p[1] == p[2] && p[2] == p[3]) {
    s.pad = p[0];
  } else {
    m.host_pads = p;
    s.in_h += p[0] + p[2];
    s.in_w += p[1] + p[3];
  }
  if (w[1] * s.groups != s.in_c) {
    refuse(op, fmt::format("weights have {} input channels per group × {} groups, the input has {}", w[1], s.groups,
                           s.in_c));
  }
  try {
    hw::check_shape(s);
  } catch (const std::invalid_argument& e) {
    refuse(op, e.what());
  }
  m.out_dims = {1, s.out_c, s.out_h(), s.out_w()};
  return m;
}

MacMapping map_linear(const quant::Op& op, const std::vector<int64_t>& a) {
  const std::vector<int64_t>& w = op.weights.dims;
  if (a.empty() || w.size() != 2 || a.back() != w[1]) {
    refuse(op, fmt::format("input dims [{}] do not end in the weights' {} input features", fmt::join(a, ", "),
                           w.size() == 2 ? w[1] : -1));
  }
  MacMapping m;
  m.kind = quant::OpKind::linear;
  m.shape.in_h = product(a, 0, a.size() - 1);
  m.shape.in_c = w[1];
  m.shape.out_c = w[0];
  m.out_dims = a;
  m.out_dims.back() = w[0];
  return m;
}

MacMapping map_matmul(const quant::Op& op, const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  if (a.size() < 2 || a.size() != b.size() || a[a.size() - 1] != b[b.size() - 2] ||
      !std::equal(a.begin(), a.end() - 2, b.begin())) {
    refuse(op, fmt::format("operands [{}] x [{}]: expected [..., M, K] x [..., K, N] with equal leading dims",
                           fmt::join(a, ", "), fmt::join(b, ", ")));
  }
  const int64_t g = product(a, 0, a.size() - 2), rows = a[a.size() - 2], k = a.back(), n = b.back();
  MacMapping m;
  m.kind = quant::OpKind::matmul;
  m.weights_are_activations = true;
  m.shape.in_h = rows;
  m.shape.in_c = g * k;
  m.shape.out_c = g * n;
  m.shape.groups = g;
  m.out_dims = a;
  m.out_dims.back() = n;
  return m;
}

}  // namespace

MacMapping map_mac(const quant::Op& op, const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  switch (op.kind) {
    case quant::OpKind::conv: return map_conv(op, a);
    case quant::OpKind::linear: return map_linear(op, a);
    case quant::OpKind::matmul: return map_matmul(op, a, b);
    default: refuse(op, "not a MAC op");
  }
}

MacMapping map_mac(const quant::Op& op, const quant::Values& values) {
  const std::vector<int64_t>& a = values.at(op.inputs.at(0)).dims;
  return op.kind == quant::OpKind::matmul ? map_mac(op, a, values.at(op.inputs.at(1)).dims) : map_mac(op, a);
}

int64_t fused_relu(const quant::Model& m, const quant::Op& op) {
  if (op.output == m.output) return -1;
  const std::vector<std::size_t> readers = m.consumers(op.output);
  return readers.size() == 1 && m.ops[readers[0]].kind == quant::OpKind::relu ? int64_t(readers[0]) : -1;
}

std::vector<float> dla_input(const MacMapping& m, const quant::Tensor& a) {
  const hw::ConvShape& s = m.shape;
  std::vector<float> x(s.in_h * s.in_w * s.in_c, 0.0f);
  if (m.kind == quant::OpKind::conv) {  // conv: NCHW -> (padded) HWC
    const int64_t c_n = a.dims[1], h_n = a.dims[2], w_n = a.dims[3], top = m.host_pads[0], left = m.host_pads[1];
    for (int64_t c = 0; c < c_n; ++c)
      for (int64_t h = 0; h < h_n; ++h)
        for (int64_t w = 0; w < w_n; ++w) x[((h + top) * s.in_w + w + left) * c_n + c] = a.data[(c * h_n + h) * w_n + w];
    return x;
  }
  if (m.kind == quant::OpKind::linear) return a.data;  // linear: [M][K] as stored
  const int64_t g_n = s.groups, rows = s.in_h, k_n = s.group_in_c();  // matmul: [G][M][K] -> [M][G][K]
  for (int64_t g = 0; g < g_n; ++g)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t k = 0; k < k_n; ++k) x[(r * g_n + g) * k_n + k] = a.data[(g * rows + r) * k_n + k];
  return x;
}

std::vector<float> dla_weights(const quant::Op& op, const MacMapping& m, const quant::Tensor* b) {
  const hw::ConvShape& s = m.shape;
  const int64_t cg = s.group_in_c();
  std::vector<float> w(s.out_c * s.taps() * cg, 0.0f);
  if (op.kind == quant::OpKind::conv) {  // [K][Cg][R][S] -> [K][R'][S'][Cg], dilation as zero taps
    const int64_t r_n = op.weights.dims[2], s_n = op.weights.dims[3];
    for (int64_t k = 0; k < s.out_c; ++k)
      for (int64_t c = 0; c < cg; ++c)
        for (int64_t r = 0; r < r_n; ++r)
          for (int64_t t = 0; t < s_n; ++t) {
            w[s.weight_row(k, r * m.dilation_h, t * m.dilation_w) * cg + c] = op.weights.data[((k * cg + c) * r_n + r) * s_n + t];
          }
    return w;
  }
  if (op.kind == quant::OpKind::linear) return op.weights.data;
  const int64_t g_n = s.groups, n_n = s.group_out_c();  // matmul: B [G][K][N] -> [G·N][K]
  for (int64_t g = 0; g < g_n; ++g)
    for (int64_t k = 0; k < cg; ++k)
      for (int64_t n = 0; n < n_n; ++n) w[(g * n_n + n) * cg + k] = b->data[(g * cg + k) * n_n + n];
  return w;
}

quant::Tensor model_output(const MacMapping& m, const float* y) {
  const hw::ConvShape& s = m.shape;
  quant::Tensor t;
  t.dims = m.out_dims;
  t.data.resize(s.out_pixels() * s.out_c);
  if (m.kind == quant::OpKind::matmul) {  // [M][G·N] -> [G][M][N]
    const int64_t g_n = s.groups, rows = s.in_h, n_n = s.group_out_c();
    for (int64_t g = 0; g < g_n; ++g)
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t n = 0; n < n_n; ++n) t.data[(g * rows + r) * n_n + n] = y[r * s.out_c + g * n_n + n];
  } else if (m.kind == quant::OpKind::conv) {  // conv: [OH·OW][K] -> [1][K][OH][OW]
    const int64_t pixels = s.out_pixels();
    for (int64_t p = 0; p < pixels; ++p)
      for (int64_t k = 0; k < s.out_c; ++k) t.data[k * pixels + p] = y[p * s.out_c + k];
  } else {
    std::copy(y, y + t.data.size(), t.data.begin());
  }
  return t;
}

}  // namespace dlasim::sim
