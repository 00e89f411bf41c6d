// The post-training methods on the committed Fashion-MNIST reference models (traces/models): equalization leaves
// the float network unchanged, multipoint adds DLA output channels, MCQ and bias correction change what they
// should, and an INT8 design agrees with FP32. Calibration and test inputs are real Fashion-MNIST images.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "quant/onnx_import.hpp"
#include "sim/eval/dataset.hpp"
#include "sim/eval/equalize_model.hpp"
#include "sim/eval/quantized_model.hpp"

namespace {

using namespace dlasim;

const std::string kModels = std::string(DLASIM_SOURCE_DIR) + "/traces/models/";

std::vector<quant::Tensor> images(sim::Split split, int64_t first, int64_t count) {
  static const sim::ImageSet train = sim::load_image_set(sim::kDefaultFashionMnistDir, sim::Split::train);
  static const sim::ImageSet test = sim::load_image_set(sim::kDefaultFashionMnistDir, sim::Split::test);
  const sim::ImageSet& set = split == sim::Split::train ? train : test;
  std::vector<quant::Tensor> out;
  for (int64_t i = first; i < first + count; ++i) {
    quant::Tensor t;
    t.dims = std::vector<int64_t>{1, 1, set.rows, set.cols};
    t.data = sim::preprocess(set, i, 0.2860, 0.3530);
    out.push_back(std::move(t));
  }
  return out;
}

double max_abs_diff(const quant::Tensor& a, const quant::Tensor& b) {
  double d = 0.0;
  for (std::size_t i = 0; i < a.data.size(); ++i) d = std::max(d, std::fabs(double(a.data[i]) - b.data[i]));
  return d;
}

double max_abs(const quant::Tensor& a) {
  double m = 0.0;
  for (float v : a.data) m = std::max(m, std::fabs(double(v)));
  return m;
}

sim::ModelQuant int_formats(int w_bits, int a_bits, const std::string& method = "none") {
  sim::ModelQuant mq;
  mq.formats.weights = quant::int_spec(w_bits, quant::Granularity::per_channel);
  mq.formats.activations = quant::int_spec(a_bits, quant::Granularity::per_tensor);
  mq.host = quant::int_spec(8, quant::Granularity::per_tensor);
  mq.method.name = method;
  return mq;
}

hw::ArchParams int_arch(int w_bits, int a_bits) {
  hw::ArchParams a;
  a.weight_bits = w_bits;
  a.act_bits = a_bits;
  return a;
}

}  // namespace

TEST_CASE("equalization leaves both reference models' float outputs unchanged", "[model_methods]") {
  const std::vector<quant::Tensor> calib = images(sim::Split::train, 0, 16), test = images(sim::Split::test, 0, 8);
  for (const char* file : {"fmnist_resnet.onnx", "fmnist_vit.onnx"}) {
    for (const char* rule : {"dfq", "meller_one_step", "meller_two_step"}) {
      INFO(file << " " << rule);
      const quant::Model model = quant::load_onnx(kModels + file);
      quant::Model eq = model;
      const std::size_t pairs = sim::equalize_model(eq, rule, calib);
      if (std::string(file) == "fmnist_resnet.onnx") {
        CHECK(pairs >= 3);  // the first convolution of every residual block against the second
      } else {
        CHECK(pairs == 0);  // LayerNorm, GELU and residual adds break every pair
      }
      bool changed = false;
      for (std::size_t i = 0; i < model.ops.size(); ++i) changed |= model.ops[i].weights.data != eq.ops[i].weights.data;
      CHECK(changed == (pairs > 0));
      for (const quant::Tensor& x : test) {
        const quant::Tensor y0 = quant::run_float(model, x), y1 = quant::run_float(eq, x);
        CHECK(max_abs_diff(y0, y1) <= 1e-4 * std::max(1.0, max_abs(y0)));
      }
    }
  }
}

TEST_CASE("an INT8 design agrees with FP32 on the reference models", "[model_methods]") {
  const std::vector<quant::Tensor> calib = images(sim::Split::train, 0, 32), test = images(sim::Split::test, 0, 50);
  for (const char* file : {"fmnist_resnet.onnx", "fmnist_vit.onnx"}) {
    INFO(file);
    const quant::Model model = quant::load_onnx(kModels + file);
    const sim::QuantizedModel q(model, int_formats(8, 8), int_arch(8, 8), calib);
    int agree = 0;
    for (const quant::Tensor& x : test) {
      const quant::Tensor f = quant::run_float(model, x), y = q.infer(x);
      agree += std::max_element(f.data.begin(), f.data.end()) - f.data.begin() ==
               std::max_element(y.data.begin(), y.data.end()) - y.data.begin();
    }
    CHECK(agree >= 48);
  }
}

TEST_CASE("multipoint runs extra points as extra DLA output channels and lowers the layer error", "[model_methods]") {
  const std::vector<quant::Tensor> calib = images(sim::Split::train, 0, 16), test = images(sim::Split::test, 0, 4);
  const quant::Model model = quant::load_onnx(kModels + "fmnist_resnet.onnx");
  sim::ModelQuant mq = int_formats(4, 8, "multipoint");
  mq.method.multipoint_budget = 0.5;
  const sim::QuantizedModel plain(model, int_formats(4, 8), int_arch(4, 8), calib);
  const sim::QuantizedModel multi(model, mq, int_arch(4, 8), calib);
  REQUIRE(plain.macs().size() == multi.macs().size());
  for (std::size_t j = 0; j < multi.macs().size(); ++j) {
    const sim::PreparedMac& m = multi.macs()[j];
    INFO(m.info.name);
    const int64_t k = m.map.shape.out_c;
    CHECK(m.dla_shape.out_c >= k);
    CHECK(m.dla_shape.out_c <= k + int64_t(0.5 * double(k)));
    CHECK(m.info.dla_macs == m.dla_shape.macs());
    CHECK(m.info.mean_points == Approx(double(m.dla_shape.out_c) / double(k)));
    CHECK(int64_t(m.channel_of.size()) == m.dla_shape.out_c);
  }
  CHECK(multi.macs()[1].dla_shape.out_c > multi.macs()[1].map.shape.out_c);
  // The logits move closer to FP32 with the extra points.
  double err_plain = 0.0, err_multi = 0.0;
  for (const quant::Tensor& x : test) {
    const quant::Tensor f = quant::run_float(model, x);
    err_plain += max_abs_diff(f, plain.infer(x));
    err_multi += max_abs_diff(f, multi.infer(x));
  }
  CHECK(err_multi < err_plain);
  // The jobs of one inference carry the expanded shapes.
  sim::InferenceJobs jobs;
  multi.infer(test[0], nullptr, &jobs);
  REQUIRE(jobs.jobs.size() == multi.macs().size());
  CHECK(jobs.jobs[1].shape.out_c == multi.macs()[1].dla_shape.out_c);
}

TEST_CASE("MCQ weights are sampled counts; bias correction moves the biases", "[model_methods]") {
  const std::vector<quant::Tensor> calib = images(sim::Split::train, 0, 16);
  const quant::Model model = quant::load_onnx(kModels + "fmnist_resnet.onnx");
  sim::ModelQuant mq = int_formats(8, 8, "mcq");
  mq.method.mcq_sampling_amount = 0.5;
  const sim::QuantizedModel mcq(model, mq, int_arch(8, 8), calib);
  for (const sim::PreparedMac& m : mcq.macs()) {
    INFO(m.info.name);
    CHECK(m.info.sparsity > 0.2);      // half a sample per weight leaves many weights unsampled
    CHECK(m.info.mcq_bits >= 2);
    CHECK(m.info.weight_bits < 8.0);
  }
  sim::ModelQuant bc = int_formats(4, 8);
  bc.method.bias_correction = true;
  const sim::QuantizedModel plain(model, int_formats(4, 8), int_arch(4, 8), calib);
  const sim::QuantizedModel corrected(model, bc, int_arch(4, 8), calib);
  int moved = 0;
  for (std::size_t j = 0; j < plain.macs().size(); ++j) moved += plain.macs()[j].bias != corrected.macs()[j].bias;
  CHECK(moved == int(plain.macs().size()));
}

TEST_CASE("an op the DLA cannot map is refused naming the node", "[model_methods]") {
  quant::Model m;
  m.path = "strided.onnx";
  m.input = "x";
  m.input_dims = std::vector<int64_t>{1, 1, 8, 8};
  m.output = "y";
  quant::Op op;
  op.kind = quant::OpKind::conv;
  op.name = "odd_stride";
  op.onnx_op = "Conv";
  op.inputs.push_back("x");
  op.output = "y";
  op.weights.dims = std::vector<int64_t>{2, 1, 3, 3};
  op.weights.data.assign(18, 0.5f);
  op.bias.dims.assign(1, 2);
  op.bias.data.assign(2, 0.0f);
  op.kernel.assign(2, 3);
  op.strides[1] = 2;  // unequal strides
  m.ops.push_back(op);
  quant::Tensor x;
  x.dims = m.input_dims;
  x.data.assign(64, 1.0f);
  CHECK_THROWS_WITH(sim::QuantizedModel(m, int_formats(8, 8), int_arch(8, 8), {x}),
                    Catch::Contains("node 'odd_stride' (Conv)") && Catch::Contains("one stride"));
}
