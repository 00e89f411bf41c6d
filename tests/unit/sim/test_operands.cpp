// Operands like real ones (sim/operands.hpp): post-ReLU inputs, chained layers whose quantized input is the
// upstream layer's reference output, and the weights of an ONNX workload taken from the model. Each TEST_CASE
// runs at most one simulation.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <string>

#include "quant/onnx_import.hpp"
#include "quant/quantize.hpp"
#include "sim/config/load.hpp"
#include "sim/operand_cache.hpp"
#include "sim/operands.hpp"
#include "sim/run.hpp"

using namespace dlasim;

namespace {

const std::string kSource = DLASIM_SOURCE_DIR;

sim::Config tiny_config() {
  return sim::load_config(kSource + "/tests/golden/tiny.yaml", {});
}

std::vector<sim::LayerSpec> tiny_cnn() {
  return sim::load_layer_table(kSource + "/traces/tiny_cnn.csv");
}

double zero_fraction(const std::vector<float>& x) {
  return double(std::count(x.begin(), x.end(), 0.0f)) / double(x.size());
}

}  // namespace

TEST_CASE(
    "operands: tiny_cnn chains conv1 -> conv2 -> conv3_1x1; later rows after a ReLU get rectified inputs",
    "[operands]") {
  const std::vector<sim::LayerSpec> layers = tiny_cnn();
  const std::vector<sim::OperandOrigin> o = sim::operand_origins(layers, {});
  REQUIRE(o.size() == 5);
  CHECK(o[0].chained_from == -1);
  CHECK_FALSE(o[0].post_relu);
  CHECK(o[1].chained_from == 0);
  CHECK(o[2].chained_from == 1);
  CHECK(o[1].post_relu);
  CHECK(o[3].chained_from == -1);  // conv3_1x1 writes 8x8x64, conv4_tail reads 8x8x24
  CHECK(o[3].post_relu);
  CHECK(o[4].chained_from == -1);
  CHECK(o[4].post_relu);
  CHECK(sim::operand_label(o[0], false) == "synthetic");
  CHECK(sim::operand_label(o[1], true) == "chained");
  CHECK(sim::operand_label(o[1], false) == "chained_float");
  CHECK(sim::operand_label(o[3], false) == "post_relu");
}

TEST_CASE("operands: post-ReLU inputs are non-negative with about half zeros, the network input is signed",
          "[operands]") {
  const sim::Config c;
  const std::vector<sim::LayerSpec> layers = tiny_cnn();
  const sim::FloatLayer first = sim::make_float_layer(c, layers[0], 0, false);
  CHECK(std::any_of(first.input.begin(), first.input.end(), [](float x) { return x < 0.0f; }));
  CHECK(zero_fraction(first.input) < 0.01);
  const sim::FloatLayer rect = sim::make_float_layer(c, layers[3], 3, true);
  CHECK(std::all_of(rect.input.begin(), rect.input.end(), [](float x) { return x >= 0.0f; }));
  const double zeros = zero_fraction(rect.input);
  CHECK(zeros > 0.40);
  CHECK(zeros < 0.60);
  // He scaling: sqrt(2) times the weights of the same layer with a signed input (same stream).
  const sim::FloatLayer signed_in = sim::make_float_layer(c, layers[3], 3, false);
  for (std::size_t i = 0; i < 16; ++i)
    CHECK(rect.weights[i] == Approx(signed_in.weights[i] * std::sqrt(2.0)));
  // Chained: the input is the given upstream output, unchanged.
  const sim::FloatLayer up = sim::make_float_layer(c, layers[0], 0, false);
  const sim::FloatLayer chained = sim::make_float_layer(c, layers[1], 1, true, &up.output);
  CHECK(chained.input == up.output);
  CHECK(zero_fraction(chained.input) > 0.3);
  const std::vector<float> wrong(7, 0.0f);
  CHECK_THROWS_AS(sim::make_float_layer(c, layers[1], 1, true, &wrong), std::invalid_argument);
}

TEST_CASE("operands: a chained layer's quantized input is the upstream layer's reference output, bit for bit",
          "[operands]") {
  const sim::Config c = tiny_config();
  const std::vector<sim::LayerSpec> layers = tiny_cnn();
  const std::vector<sim::OperandOrigin> o = sim::operand_origins(layers, {});
  const std::vector<sim::FloatLayer> fl = sim::make_float_layers(c, layers, {}, o);
  CHECK(fl[2].input == fl[1].output);
  for (const bool design : {true, false}) {
    const auto d = design ? sim::prepare_design("d", "design", "tiny", sim::design_arch(c),
                                                sim::design_quant(c), layers, fl, o, true)
                          : sim::prepare_design("b", "baseline", "tiny", sim::baseline_arch(c),
                                                sim::baseline_quant(c), layers, fl, o, false);
    for (std::size_t i : {1, 2}) {
      // An independent reference of the upstream job gives the same codes and scales as the layer's input.
      const hw::ReferenceResult up =
          hw::reference_layer(d->jobs[i - 1], d->result.arch, hw::ReferencePath::exact);
      hw::check_bit_exact(layers[i].name, d->inputs[i], up.output);
      CHECK(d->inputs[i].codes == up.output.codes);
      CHECK(d->inputs[i].coarse_scales == up.output.coarse_scales);
      CHECK(d->operands[i] == "chained");
    }
    CHECK(d->operands[0] == "synthetic");
    CHECK(d->operands[3] == "post_relu");
  }
}

TEST_CASE(
    "operands: a run of tiny_cnn with chained layers passes its bit-exact checks and reports the origins",
    "[operands]") {
  const sim::RunResult r = sim::run_workload(tiny_config());
  const std::vector<std::string> expected = {"synthetic", "chained", "chained", "post_relu", "post_relu"};
  REQUIRE(r.design.layers.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CHECK(r.design.layers[i].operands == expected[i]);
    CHECK(r.baseline.layers[i].operands == expected[i]);
  }
}

TEST_CASE("operands: an ONNX workload takes each conv and linear row's weights and bias from the model",
          "[operands]") {
  const std::string path = kSource + "/traces/models/fmnist_resnet.onnx";
  std::vector<sim::ModelOperands> model;
  const std::vector<sim::LayerSpec> layers = sim::load_model_layers(path, &model);
  REQUIRE(model.size() == layers.size());
  const quant::Model m = quant::load_onnx(path);
  const sim::Config c;
  const std::vector<sim::OperandOrigin> o = sim::operand_origins(layers, model);
  std::size_t row = 0, convs = 0;
  for (const quant::Op& op : m.ops) {
    if (!quant::is_mac(op.kind)) continue;
    const sim::LayerSpec& l = layers[row];
    CHECK(o[row].model_weights == (op.kind != quant::OpKind::matmul));
    const sim::FloatLayer f = sim::make_float_layer(c, l, row, o[row].post_relu, nullptr, &model[row]);
    CHECK(f.bias == op.bias.data);
    if (op.kind == quant::OpKind::conv && op.dilations == std::vector<int64_t>{1, 1}) {
      // ONNX [K][Cg][R][S] -> DLA [K][R][S][Cg], value for value.
      const int64_t cg = l.shape.group_in_c(), rn = op.weights.dims[2], sn = op.weights.dims[3];
      bool equal = true;
      for (int64_t k = 0; k < l.shape.out_c; ++k)
        for (int64_t r = 0; r < rn; ++r)
          for (int64_t s = 0; s < sn; ++s)
            for (int64_t ch = 0; ch < cg; ++ch) {
              equal = equal && f.weights[l.shape.weight_row(k, r, s) * cg + ch] ==
                                   op.weights.data[((k * cg + ch) * rn + r) * sn + s];
            }
      CHECK(equal);
      ++convs;
    } else if (op.kind == quant::OpKind::linear) {
      CHECK(f.weights == op.weights.data);  // [N][K] as stored
    }
    ++row;
  }
  CHECK(convs > 0);
  // Graph links: layer1's conv1 reads the stem's ReLU output; layer2's conv1 reads the ReLU after a residual add.
  REQUIRE(layers[3].name == "/layer2/conv1/Conv");
  CHECK(o[1].chained_from == 0);
  CHECK(o[1].post_relu);
  CHECK(o[3].chained_from == -1);
  CHECK(o[3].post_relu);
  CHECK(sim::operand_label(o[0], false) == "synthetic+model_weights");
  // The model's weights are part of the operand cache key.
  sim::ModelOperands other = model[0];
  other.weights[0] += 1.0f;
  CHECK(sim::operand_key(c, layers[0], 0, o[0], "", &model[0]) !=
        sim::operand_key(c, layers[0], 0, o[0], "", &other));
}

TEST_CASE("operands: per-tensor activation scales follow quant.activations.calibrator in the design, max in the baseline",
          "[operands]") {
  sim::Config c = tiny_config();
  c.quant.activations = {4, "per_tensor", 0};
  c.quant.activations.calibrator = "percentile:99";
  const std::vector<sim::LayerSpec> layers = tiny_cnn();
  const std::vector<sim::OperandOrigin> o = sim::operand_origins(layers, {});
  const std::vector<sim::FloatLayer> fl = sim::make_float_layers(c, layers, {}, o);
  const auto d = sim::prepare_design("d", "design", "tiny", sim::design_arch(c), sim::design_quant(c), layers, fl, o, true);
  const auto b =
      sim::prepare_design("b", "baseline", "tiny", sim::baseline_arch(c), sim::baseline_quant(c), layers, fl, o, false);
  const quant::CalibSpec p99 = quant::parse_calib("percentile:99");
  const hw::ConvShape& sh0 = layers[0].shape;
  // The first layer's input (not chained) and every layer's PPU output scale.
  CHECK(d->inputs[0].coarse_scales ==
        quant::calibrate_coarse_scales(fl[0].input.data(), sh0.input_matrix(), d->inputs[0].spec, p99));
  CHECK(b->inputs[0].coarse_scales ==
        quant::calibrate_coarse_scales(fl[0].input.data(), sh0.input_matrix(), b->inputs[0].spec));
  CHECK(d->inputs[0].coarse_scales != quant::calibrate_coarse_scales(fl[0].input.data(), sh0.input_matrix(),
                                                                     d->inputs[0].spec));
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const hw::ConvShape& sh = layers[i].shape;
    const std::vector<float> expected = quant::calibrate_coarse_scales(
        fl[i].output.data(), {sh.out_pixels(), sh.out_c, sh.out_pixels()}, d->jobs[i].output.spec, p99);
    CHECK(d->jobs[i].output.coarse_scale == expected[0]);
  }
}
