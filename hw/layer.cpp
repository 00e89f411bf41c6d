#include "hw/layer.hpp"

#include <stdexcept>

#include <fmt/format.h>

namespace dlasim::hw {

namespace {

bool same(const quant::MatrixShape& a, const quant::MatrixShape& b) {
  return a.rows == b.rows && a.cols == b.cols && a.rows_per_channel == b.rows_per_channel;
}

std::string text(const quant::MatrixShape& m) {
  return fmt::format("{{rows {}, cols {}, rows_per_channel {}}}", m.rows, m.cols, m.rows_per_channel);
}

}  // namespace

void check_shape(const ConvShape& sh) {
  const auto positive = [](int64_t v, const char* field) {
    if (v < 1) throw std::invalid_argument(fmt::format("conv shape: {} must be positive, got {}", field, v));
  };
  positive(sh.in_h, "in_h");
  positive(sh.in_w, "in_w");
  positive(sh.in_c, "in_c");
  positive(sh.out_c, "out_c");
  positive(sh.kernel_h, "kernel_h");
  positive(sh.kernel_w, "kernel_w");
  positive(sh.stride, "stride");
  positive(sh.groups, "groups");
  if (sh.pad < 0) throw std::invalid_argument(fmt::format("conv shape: pad must be >= 0, got {}", sh.pad));
  if (sh.in_c % sh.groups != 0 || sh.out_c % sh.groups != 0) {
    throw std::invalid_argument(fmt::format("conv shape: groups = {} must divide in_c = {} and out_c = {}", sh.groups,
                                            sh.in_c, sh.out_c));
  }
  if (sh.in_h + 2 * sh.pad < sh.kernel_h || sh.in_w + 2 * sh.pad < sh.kernel_w) {
    throw std::invalid_argument(fmt::format("conv shape: the {}x{} kernel does not fit the padded {}x{} input",
                                            sh.kernel_h, sh.kernel_w, sh.in_h + 2 * sh.pad, sh.in_w + 2 * sh.pad));
  }
}

void check_job(const LayerJob& job) {
  const auto fail = [&](const std::string& what) {
    throw std::invalid_argument(fmt::format("layer '{}': {}", job.name, what));
  };
  try {
    check_shape(job.shape);
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
  if (job.weights == nullptr || job.input == nullptr || job.bias == nullptr) fail("weights, input or bias missing");
  if (!same(job.weights->shape, job.shape.weight_matrix())) {
    fail(fmt::format("weights are {}, the shape needs {}", text(job.weights->shape), text(job.shape.weight_matrix())));
  }
  if (!same(job.input->shape, job.shape.input_matrix())) {
    fail(fmt::format("input is {}, the shape needs {}", text(job.input->shape), text(job.shape.input_matrix())));
  }
  if (job.weights->spec.vector_size != job.input->spec.vector_size) {
    fail(fmt::format("weight vectors of {} and input vectors of {} elements do not line up",
                     job.weights->spec.vector_size, job.input->spec.vector_size));
  }
  if (job.weights_are_activations && job.weights->spec.coarse_level() == quant::CoarseLevel::per_channel) {
    fail("the weights operand is an activation (weights_are_activations) and cannot have per-channel coarse scales");
  }
  if (int64_t(job.bias->size()) != job.shape.out_c) {
    fail(fmt::format("{} bias entries for {} output channels", job.bias->size(), job.shape.out_c));
  }
}

}  // namespace dlasim::hw
