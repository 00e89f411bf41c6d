// ONNX import (quant/onnx_import.hpp): the normalized structure (folding, fusion, removed ops), the error
// messages for files dlasim rejects (each names the file, and for graph problems the node and op), and, when
// the trained Fashion-MNIST models are present in traces/models/, their float logits against PyTorch's.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "onnx_test_support.hpp"
#include "quant/model.hpp"
#include "quant/onnx_import.hpp"
#include "quant/tensor_io.hpp"

using namespace dlasim::quant;
using Catch::Contains;

namespace {

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Loading `file` must throw ModelFileError whose message contains each of `parts`.
void require_rejected(const std::string& file, const std::vector<std::string>& parts) {
  try {
    load_onnx(onnx_test::data_path(file));
    FAIL("expected ModelFileError for " << file);
  } catch (const ModelFileError& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK(msg.rfind(onnx_test::data_path(file) + ": ", 0) == 0);  // starts with the file
    for (const std::string& p : parts) CHECK_THAT(msg, Contains(p));
  }
}

}  // namespace

TEST_CASE("onnx import: Conv keeps groups, pads, strides, dilations and its bias", "[onnx][import]") {
  const Model m = load_onnx(onnx_test::data_path("conv_groups.onnx"));
  REQUIRE(m.input == "x");
  REQUIRE(m.input_dims == std::vector<int64_t>{1, 4, 9, 8});
  REQUIRE(m.output == "y");
  REQUIRE(m.ops.size() == 2);
  const Op& c = m.ops[0];
  CHECK(c.kind == OpKind::conv);
  CHECK(c.name == "conv_g");
  CHECK(c.onnx_op == "Conv");
  CHECK(c.groups == 2);
  CHECK(c.pads == std::vector<int64_t>{1, 0, 2, 1});
  CHECK(c.strides == std::vector<int64_t>{2, 1});
  CHECK(c.dilations == std::vector<int64_t>{1, 2});
  CHECK(c.kernel == std::vector<int64_t>{3, 2});
  CHECK(c.weights.dims == std::vector<int64_t>{6, 2, 3, 2});
  CHECK(c.bias.dims == std::vector<int64_t>{6});
  CHECK(m.ops[1].kind == OpKind::relu);
  CHECK(m.consumers("conv_out") == std::vector<std::size_t>{1});
  CHECK(m.producer("y") == 1);
  CHECK_THROWS_AS(m.producer("x"), std::out_of_range);
  CHECK(std::string(op_kind_name(OpKind::layer_norm)) == "LayerNormalization");
}

TEST_CASE("onnx import: BatchNormalization folds into the preceding Conv", "[onnx][import]") {
  const Model m = load_onnx(onnx_test::data_path("bn_fold.onnx"));
  REQUIRE(m.ops.size() == 2);
  CHECK(m.ops[0].kind == OpKind::conv);
  CHECK(m.ops[0].output == "bn");  // the folded conv writes the BN's output
  CHECK(m.ops[0].bias.data.size() == 5);
  CHECK(m.ops[1].kind == OpKind::relu);
  CHECK(m.constants.empty());
}

TEST_CASE("onnx import: Gemm and MatMul+Add become linear ops with weights [N][K]", "[onnx][import]") {
  const Model g = load_onnx(onnx_test::data_path("gemm.onnx"));
  REQUIRE(g.ops.size() == 3);
  CHECK(g.ops[0].kind == OpKind::flatten);
  CHECK(g.ops[1].kind == OpKind::linear);
  CHECK(g.ops[1].weights.dims == std::vector<int64_t>{5, 12});
  CHECK(g.ops[2].kind == OpKind::linear);
  CHECK(g.ops[2].weights.dims == std::vector<int64_t>{4, 5});

  const Model m = load_onnx(onnx_test::data_path("matmul_add.onnx"));
  REQUIRE(m.ops.size() == 1);
  CHECK(m.ops[0].kind == OpKind::linear);
  CHECK(m.ops[0].onnx_op == "MatMul");
  CHECK(m.ops[0].output == "y");
  CHECK(m.ops[0].weights.dims == std::vector<int64_t>{4, 6});
  CHECK(m.ops[0].bias.dims == std::vector<int64_t>{4});
  CHECK(m.constants.empty());
}

TEST_CASE("onnx import: activations × activations stay matmul; constants are kept by name", "[onnx][import]") {
  const Model m = load_onnx(onnx_test::data_path("attention.onnx"));
  REQUIRE(m.ops.size() == 5);
  CHECK(m.ops[1].kind == OpKind::matmul);
  CHECK(m.ops[2].kind == OpKind::div);
  CHECK(m.ops[3].kind == OpKind::softmax);
  CHECK(m.ops[4].kind == OpKind::matmul);
  REQUIRE(m.constants.count("two"));
  CHECK(m.constants.at("two").data == std::vector<float>{2.0f});
}

TEST_CASE("onnx import: Identity and Dropout are removed, Constant nodes become constants", "[onnx][import]") {
  const Model s = load_onnx(onnx_test::data_path("shapes.onnx"));
  for (const Op& op : s.ops) CHECK(op.onnx_op != "Identity");
  CHECK(s.ops.back().kind == OpKind::reduce_mean);
  CHECK(s.output == "rm");  // Dropout's output resolves to its input
  CHECK(s.ops[1].shape == std::vector<int64_t>{1, -1, 2});
  CHECK(s.ops[3].min_value == -0.5f);
  CHECK(s.ops[3].max_value == 0.7f);

  const Model l = load_onnx(onnx_test::data_path("layernorm_gelu.onnx"));
  CHECK(l.constants.count("sqrt2"));
  CHECK(l.ops[0].kind == OpKind::layer_norm);
  CHECK(l.ops[0].weights.data.size() == 8);
}

TEST_CASE("onnx import: read_npz reads the generated expectation files", "[onnx][import]") {
  const auto npz = read_npz(onnx_test::data_path("conv_groups.npz"));
  REQUIRE(npz.count("input"));
  CHECK(npz.at("input").dtype == DType::float32);
  CHECK(npz.at("input").shape == std::vector<int64_t>{1, 4, 9, 8});
  CHECK(npz.at("output").shape == std::vector<int64_t>{1, 6, 5, 7});
}

TEST_CASE("onnx import errors: truncated or non-ONNX bytes, missing file", "[onnx][errors]") {
  const std::string bytes = file_bytes(onnx_test::data_path("conv_groups.onnx"));
  REQUIRE_THROWS_WITH(parse_onnx(bytes.substr(0, bytes.size() / 2), "half.onnx"),
                      Contains("half.onnx: cannot parse (truncated or not an ONNX ModelProto)"));
  REQUIRE_THROWS_AS(parse_onnx("this is not protobuf", "text.onnx"), ModelFileError);
  REQUIRE_THROWS_WITH(parse_onnx("", "empty.onnx"), Contains("empty.onnx: cannot parse"));
  REQUIRE_THROWS_WITH(load_onnx("no/such/model.onnx"), Contains("no/such/model.onnx: cannot open"));
}

TEST_CASE("onnx import errors: unsupported op names the node and the supported list", "[onnx][errors]") {
  require_rejected("err_unsupported_op.onnx", {"node 'upsample' (Resize): unsupported op (supported: Conv,"});
}

TEST_CASE("onnx import errors: missing initializer", "[onnx][errors]") {
  require_rejected("err_missing_initializer.onnx",
                   {"node 'conv1' (Conv): input 'w_missing' is neither an initializer, a Constant nor an earlier "
                    "node's output (missing initializer?)"});
}

TEST_CASE("onnx import errors: non-float initializer names the tensor and its type", "[onnx][errors]") {
  require_rejected("err_int_initializer.onnx", {"node 'conv1' (Conv)", "tensor 'w'", "INT32"});
}

TEST_CASE("onnx import errors: auto_pad SAME_UPPER", "[onnx][errors]") {
  require_rejected("err_auto_pad.onnx",
                   {"node 'conv1' (Conv): attribute 'auto_pad' = SAME_UPPER is not supported (expected NOTSET)"});
}

TEST_CASE("onnx import errors: bad attributes", "[onnx][errors]") {
  require_rejected("err_bad_attribute.onnx", {"node 'conv1' (Conv): attribute 'strides' has 3 values (expected 2)"});
  require_rejected("err_gemm_trans_a.onnx", {"node 'fc' (Gemm): attribute 'transA' = 1 is not supported (expected 0)"});
}

TEST_CASE("onnx import errors: graph structure and shapes", "[onnx][errors]") {
  require_rejected("err_not_topological.onnx",
                   {"node 'second' (Relu): input 'r' is produced by the later node 'first'", "topological"});
  require_rejected("err_bn_without_conv.onnx", {"node 'bn' (BatchNormalization)", "not the output of a Conv"});
  require_rejected("err_channels.onnx", {"node 'conv1' (Conv)", "1 channels"});
  // Found by fuzz/fuzz_onnx (shapes.onnx with one bit flipped, not made by make_onnx_tests.py): a Reshape
  // whose constant shape multiplies past int64 was undefined behaviour, now a shape error.
  require_rejected("err_reshape_overflow.onnx", {"(Reshape)", "more elements than int64 can count"});
}

// Trained Fashion-MNIST models (made and committed by the training scripts): when present, run_float must
// reproduce PyTorch's logits for the 8 golden images within 1e-4 absolute.
TEST_CASE("onnx import: Fashion-MNIST ResNet and ViT reproduce the golden logits", "[onnx][fmnist]") {
  namespace fs = std::filesystem;
  const std::string dir = std::string(DLASIM_SOURCE_DIR) + "/traces/models/";
  if (!fs::exists(dir + "fmnist_golden.npz")) {
    WARN("skipped: " << dir << "fmnist_golden.npz is absent");
    return;
  }
  const auto golden = read_npz(dir + "fmnist_golden.npz");
  REQUIRE(golden.count("images"));
  const std::vector<float> images = golden.at("images").to_float();
  for (const char* name : {"resnet", "vit"}) {
    const std::string path = dir + "fmnist_" + name + ".onnx";
    const std::string key = std::string(name) + "_logits";
    if (!fs::exists(path) || !golden.count(key)) {
      WARN("skipped " << name << ": " << path << " or '" << key << "' is absent");
      continue;
    }
    const Model model = load_onnx(path);
    const std::vector<float> logits = golden.at(key).to_float();
    Tensor x;
    x.dims = model.input_dims;
    const std::size_t per_image = static_cast<std::size_t>(x.numel());
    const std::size_t count = images.size() / per_image;
    REQUIRE(count >= 1);
    const std::size_t classes = logits.size() / count;
    for (std::size_t i = 0; i < count; ++i) {
      x.data.assign(images.begin() + i * per_image, images.begin() + (i + 1) * per_image);
      const Tensor y = run_float(model, x);
      REQUIRE(static_cast<std::size_t>(y.numel()) == classes);
      for (std::size_t c = 0; c < classes; ++c) {
        INFO(name << " image " << i << " class " << c);
        CHECK(std::abs(y.data[c] - logits[i * classes + c]) <= 1e-4f);
      }
    }
  }
}

// Robustness: every prefix of every valid test model, and copies with one byte changed, either import (and
// then run) or throw ModelFileError; never another exception or a crash.
TEST_CASE("onnx import errors: truncated and corrupted files fail cleanly", "[onnx][errors]") {
  const char* names[] = {"conv_groups", "bn_fold", "gemm", "matmul_add", "attention", "layernorm_gelu", "pools",
                         "shapes"};
  std::size_t imported = 0, rejected = 0;
  auto attempt = [&](const std::string& bytes) {
    try {
      const Model m = parse_onnx(bytes, "fuzz.onnx");
      Tensor x;
      x.dims = m.input_dims;
      x.data.assign(static_cast<std::size_t>(x.numel()), 0.25f);
      run_float(m, x);
      ++imported;
    } catch (const ModelFileError& e) {
      REQUIRE_THAT(std::string(e.what()), Catch::StartsWith("fuzz.onnx: "));
      ++rejected;
    }
  };
  uint32_t seed = 12345;
  for (const char* name : names) {
    const std::string bytes = file_bytes(onnx_test::data_path(std::string(name) + ".onnx"));
    for (std::size_t n = 0; n < bytes.size(); n += 7) attempt(bytes.substr(0, n));
    for (int i = 0; i < 200; ++i) {
      std::string copy = bytes;
      seed = seed * 1664525u + 1013904223u;
      copy[(seed >> 8) % copy.size()] = static_cast<char>(seed >> 24);
      attempt(copy);
    }
  }
  CHECK(rejected > 0);
  CHECK(imported > 0);
}
