// The fp32 interpreter (run_float / run_op) against numpy: each model from tests/data/onnx/make_onnx_tests.py
// is imported and run on its stored input; the output and every stored intermediate value (npz keys other than
// 'input' and 'output' are ONNX value names) must match within 1e-5 relative.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "onnx_test_support.hpp"
#include "quant/model.hpp"
#include "quant/onnx_import.hpp"
#include "quant/tensor_io.hpp"

using namespace dlasim::quant;
using Catch::Contains;

namespace {

void check_against_numpy(const std::string& name) {
  const Model model = load_onnx(onnx_test::data_path(name + ".onnx"));
  const auto expected = read_npz(onnx_test::data_path(name + ".npz"));
  REQUIRE(expected.count("input"));
  REQUIRE(expected.count("output"));
  Values values;
  const Tensor out = run_float(model, onnx_test::to_tensor(expected.at("input")), &values);
  onnx_test::require_close(out, onnx_test::to_tensor(expected.at("output")), name + ": output");
  for (const auto& [key, array] : expected) {
    if (key == "input" || key == "output") continue;
    INFO(name << ": value '" << key << "'");
    REQUIRE(values.count(key));
    onnx_test::require_close(values.at(key), onnx_test::to_tensor(array), name + ": " + key);
  }
}

}  // namespace

TEST_CASE("onnx float: grouped conv with asymmetric pads, strides and dilations matches numpy", "[onnx][float]") {
  check_against_numpy("conv_groups");
}

TEST_CASE("onnx float: BatchNormalization folded into Conv equals the unfolded math", "[onnx][float]") {
  check_against_numpy("bn_fold");
}

TEST_CASE("onnx float: Gemm with transB, alpha and beta, and Flatten", "[onnx][float]") {
  check_against_numpy("gemm");
}

TEST_CASE("onnx float: MatMul + Add of a constant vector as linear with bias", "[onnx][float]") {
  check_against_numpy("matmul_add");
}

TEST_CASE("onnx float: matmul of two activations with batch dims, Transpose, Div and Softmax", "[onnx][float]") {
  check_against_numpy("attention");
}

TEST_CASE("onnx float: LayerNormalization, erf GELU, Sqrt, ReduceMean and Sub", "[onnx][float]") {
  check_against_numpy("layernorm_gelu");
}

TEST_CASE("onnx float: MaxPool, AveragePool with and without count_include_pad, GlobalAveragePool",
          "[onnx][float]") {
  check_against_numpy("pools");
}

TEST_CASE("onnx float: Flatten, Reshape, Transpose, Clip, ReduceMean, Identity and Dropout", "[onnx][float]") {
  check_against_numpy("shapes");
}

TEST_CASE("onnx float: elementwise ops broadcast like numpy", "[onnx][float]") {
  Op add;
  add.kind = OpKind::add;
  add.name = "a";
  Tensor a{{2, 1, 3}, {1, 2, 3, 4, 5, 6}};
  Tensor b{{2, 1}, {10, 20}};
  const Tensor y = run_op(add, {&a, &b});
  REQUIRE(y.dims == std::vector<int64_t>{2, 2, 3});
  REQUIRE(y.data == std::vector<float>{11, 12, 13, 21, 22, 23, 14, 15, 16, 24, 25, 26});
  Op sub = add;
  sub.kind = OpKind::sub;
  Tensor s{{}, {1}};
  REQUIRE(run_op(sub, {&s, &b}).data == std::vector<float>{-9, -19});
}

TEST_CASE("onnx float: shape errors throw invalid_argument naming the op", "[onnx][float]") {
  Op conv;
  conv.kind = OpKind::conv;
  conv.name = "c1";
  conv.onnx_op = "Conv";
  conv.weights = Tensor{{2, 3, 1, 1}, std::vector<float>(6, 1.0f)};
  Tensor x{{1, 2, 4, 4}, std::vector<float>(32, 0.0f)};
  REQUIRE_THROWS_WITH(run_op(conv, {&x}), Contains("node 'c1' (Conv)") && Contains("2 channels"));

  Op add;
  add.kind = OpKind::add;
  add.name = "plus";
  Tensor a{{3}, {1, 2, 3}}, b{{2}, {1, 2}};
  REQUIRE_THROWS_AS(run_op(add, {&a, &b}), std::invalid_argument);
  REQUIRE_THROWS_WITH(run_op(add, {&a, &b}), Contains("node 'plus' (Add)") && Contains("broadcast"));

  Op reshape;
  reshape.kind = OpKind::reshape;
  reshape.name = "r";
  reshape.shape = {5, -1};
  REQUIRE_THROWS_WITH(run_op(reshape, {&a}), Contains("node 'r' (Reshape)"));
  // Found by fuzz/fuzz_onnx: a target shape whose product overflows int64 was undefined behaviour.
  reshape.shape = {4295013121, 288230376151711746, -1};
  Tensor six{{2, 3}, std::vector<float>(6, 0.0f)};
  REQUIRE_THROWS_WITH(run_op(reshape, {&six}), Contains("node 'r' (Reshape)") && Contains("more elements"));
  reshape.shape = {int64_t{1} << 62, 4, 0};
  REQUIRE_THROWS_AS(run_op(reshape, {&six}), std::invalid_argument);

  Op transpose;
  transpose.kind = OpKind::transpose;
  transpose.name = "t";
  transpose.perm = {0, 0};
  Tensor m{{2, 2}, {1, 2, 3, 4}};
  REQUIRE_THROWS_WITH(run_op(transpose, {&m}), Contains("node 't' (Transpose)") && Contains("perm"));

  Tensor bad{{2, 3}, {1, 2}};  // dims do not match the data
  REQUIRE_THROWS_WITH(run_op(transpose, {&bad}), Contains("node 't' (Transpose)"));
}

TEST_CASE("onnx float: run_float checks the input dims", "[onnx][float]") {
  const Model model = load_onnx(onnx_test::data_path("pools.onnx"));
  Tensor wrong{{1, 2, 6, 6}, std::vector<float>(72, 0.0f)};
  REQUIRE_THROWS_AS(run_float(model, wrong), std::invalid_argument);
}
