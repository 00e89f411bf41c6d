// Internal to dlasim_quant: the fp32 kernels behind run_op (quant/model.hpp), one function per op family.
// Each takes the op (for attributes and messages) and its input tensors, checks their shapes, and throws
// std::invalid_argument("node '<name>' (<OnnxOp>): ...") when they do not fit.
#pragma once

#include <string>
#include <vector>

#include "quant/model.hpp"

namespace dlasim::quant::ops {

// "node 'conv3' (Conv)": the prefix of every message about `op`.
std::string describe(const Op& op);
[[noreturn]] void bad_shape(const Op& op, const std::string& what);
// "[1, 3, 28, 28]".
std::string dims_text(const std::vector<int64_t>& dims);

// MAC ops (model_ops_mac.cpp).
Tensor conv(const Op& op, const Tensor& x);
Tensor linear(const Op& op, const Tensor& x);
Tensor matmul(const Op& op, const Tensor& a, const Tensor& b);

// Everything else (model_ops_other.cpp).
Tensor unary(const Op& op, const Tensor& x);  // relu, clip, erf, sqrt
Tensor binary(const Op& op, const Tensor& a, const Tensor& b);  // add, sub, mul, div with numpy broadcasting
Tensor pool(const Op& op, const Tensor& x);  // max_pool, average_pool, global_average_pool
Tensor flatten(const Op& op, const Tensor& x);
Tensor reshape(const Op& op, const Tensor& x);
Tensor transpose(const Op& op, const Tensor& x);
Tensor softmax(const Op& op, const Tensor& x);
Tensor layer_norm(const Op& op, const Tensor& x);
Tensor reduce_mean(const Op& op, const Tensor& x);

}  // namespace dlasim::quant::ops
