// sim/eval/mac_mapping: a MAC op of an imported model computed on the DLA's operand matrices (layouts, pads,
// dilation, groups, matmul as a grouped convolution) equals the model op itself (quant::run_op).
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "sim/eval/mac_mapping.hpp"

namespace {

using namespace dlasim;

quant::Tensor random_tensor(std::vector<int64_t> dims, uint64_t seed) {
  quant::Tensor t;
  t.dims = std::move(dims);
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> n(0.0f, 1.0f);
  t.data.resize(t.numel());
  for (float& v : t.data) v = n(rng);
  return t;
}

// The DLA's convolution on its own matrices, in double (input [H][W][C], weights [K][R][S][Cg], output
// [OH·OW][K]): an independent loop over hw::ConvShape.
std::vector<float> dla_conv(const hw::ConvShape& s, const std::vector<float>& x, const std::vector<float>& w,
                            const std::vector<float>& bias) {
  std::vector<float> y(s.out_pixels() * s.out_c);
  const int64_t cg = s.group_in_c();
  for (int64_t oh = 0; oh < s.out_h(); ++oh)
    for (int64_t ow = 0; ow < s.out_w(); ++ow)
      for (int64_t k = 0; k < s.out_c; ++k) {
        double acc = bias.empty() ? 0.0 : bias[k];
        const int64_t g = s.group_of(k);
        for (int64_t r = 0; r < s.kernel_h; ++r)
          for (int64_t t = 0; t < s.kernel_w; ++t) {
            const int64_t ih = oh * s.stride - s.pad + r, iw = ow * s.stride - s.pad + t;
            if (ih < 0 || iw < 0 || ih >= s.in_h || iw >= s.in_w) continue;
            for (int64_t c = 0; c < cg; ++c) {
              acc += double(w[s.weight_row(k, r, t) * cg + c]) * x[(ih * s.in_w + iw) * s.in_c + g * cg + c];
            }
          }
        y[(oh * s.out_w() + ow) * s.out_c + k] = float(acc);
      }
  return y;
}

void check_close(const quant::Tensor& got, const quant::Tensor& want) {
  REQUIRE(got.dims == want.dims);
  for (std::size_t i = 0; i < want.data.size(); ++i) {
    INFO("element " << i);
    REQUIRE(got.data[i] == Approx(want.data[i]).margin(1e-4).epsilon(1e-4));
  }
}

}  // namespace

TEST_CASE("a grouped, dilated conv with asymmetric pads on the DLA's matrices equals the model op", "[mac_mapping]") {
  quant::Op op;
  op.kind = quant::OpKind::conv;
  op.name = "c";
  op.onnx_op = "Conv";
  op.groups = 2;
  op.weights = random_tensor({6, 2, 3, 2}, 1);
  op.bias = random_tensor({6}, 2);
  op.kernel = {3, 2};
  op.strides = {2, 2};
  op.pads = {1, 0, 2, 1};
  op.dilations = {2, 1};
  const quant::Tensor x = random_tensor({1, 4, 9, 7}, 3);
  const sim::MacMapping m = sim::map_mac(op, x.dims);
  CHECK(m.shape.pad == 0);                 // asymmetric: padded by the host
  CHECK(m.shape.in_h == 9 + 1 + 2);
  CHECK(m.shape.in_w == 7 + 0 + 1);
  CHECK(m.shape.kernel_h == 5);            // (3 - 1) · 2 + 1 zero-expanded taps
  CHECK(m.shape.groups == 2);
  const std::vector<float> y = dla_conv(m.shape, sim::dla_input(m, x), sim::dla_weights(op, m), op.bias.data);
  check_close(sim::model_output(m, y.data()), quant::run_op(op, {&x}));
}

TEST_CASE("symmetric pads stay on the DLA and a linear op over tokens is one row per token", "[mac_mapping]") {
  quant::Op conv;
  conv.kind = quant::OpKind::conv;
  conv.name = "c";
  conv.onnx_op = "Conv";
  conv.weights = random_tensor({5, 3, 3, 3}, 4);
  conv.bias = random_tensor({5}, 5);
  conv.kernel = {3, 3};
  conv.pads = {1, 1, 1, 1};
  const quant::Tensor x = random_tensor({1, 3, 6, 6}, 6);
  const sim::MacMapping mc = sim::map_mac(conv, x.dims);
  CHECK(mc.shape.pad == 1);
  const std::vector<float> yc = dla_conv(mc.shape, sim::dla_input(mc, x), sim::dla_weights(conv, mc), conv.bias.data);
  check_close(sim::model_output(mc, yc.data()), quant::run_op(conv, {&x}));

  quant::Op fc;
  fc.kind = quant::OpKind::linear;
  fc.name = "fc";
  fc.onnx_op = "MatMul";
  fc.weights = random_tensor({7, 10}, 7);
  fc.bias = random_tensor({7}, 8);
  const quant::Tensor t = random_tensor({1, 5, 10}, 9);
  const sim::MacMapping ml = sim::map_mac(fc, t.dims);
  CHECK(ml.shape.in_h == 5);
  CHECK(ml.shape.out_c == 7);
  const std::vector<float> yl = dla_conv(ml.shape, sim::dla_input(ml, t), sim::dla_weights(fc, ml), fc.bias.data);
  check_close(sim::model_output(ml, yl.data()), quant::run_op(fc, {&t}));
}

TEST_CASE("a batched matmul of two activations is a grouped 1x1 convolution", "[mac_mapping]") {
  quant::Op op;
  op.kind = quant::OpKind::matmul;
  op.name = "scores";
  op.onnx_op = "MatMul";
  const quant::Tensor a = random_tensor({1, 3, 5, 4}, 10), b = random_tensor({1, 3, 4, 6}, 11);
  const sim::MacMapping m = sim::map_mac(op, a.dims, b.dims);
  CHECK(m.weights_are_activations);
  CHECK(m.shape.groups == 3);
  CHECK(m.shape.in_c == 12);
  CHECK(m.shape.out_c == 18);
  const std::vector<float> y = dla_conv(m.shape, sim::dla_input(m, a), sim::dla_weights(op, m, &b), {});
  check_close(sim::model_output(m, y.data()), quant::run_op(op, {&a, &b}));
}

TEST_CASE("ops the DLA cannot run are refused naming the node", "[mac_mapping]") {
  quant::Op op;
  op.kind = quant::OpKind::conv;
  op.name = "odd";
  op.onnx_op = "Conv";
  op.weights = random_tensor({2, 1, 3, 3}, 12);
  op.bias = random_tensor({2}, 13);
  op.kernel = {3, 3};
  op.strides = {1, 2};
  CHECK_THROWS_WITH(sim::map_mac(op, {1, 1, 8, 8}), Catch::Contains("node 'odd' (Conv)") && Catch::Contains("one stride"));
  quant::Op mm;
  mm.kind = quant::OpKind::matmul;
  mm.name = "mm";
  mm.onnx_op = "MatMul";
  CHECK_THROWS_WITH(sim::map_mac(mm, {2, 3, 4}, {3, 4, 5}), Catch::Contains("node 'mm'"));
}
