// Model lookups and the fp32 interpreter (quant/model.hpp): run_op dispatches to the kernels in
// model_ops_mac.cpp / model_ops_other.cpp; run_float walks the ops in order over a map of named values.
#include "quant/model.hpp"

#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "quant/model_ops.hpp"

namespace dlasim::quant {

const char* op_kind_name(OpKind kind) {
  switch (kind) {
    case OpKind::conv: return "Conv";
    case OpKind::linear: return "Gemm/MatMul";
    case OpKind::matmul: return "MatMul";
    case OpKind::relu: return "Relu";
    case OpKind::clip: return "Clip";
    case OpKind::max_pool: return "MaxPool";
    case OpKind::average_pool: return "AveragePool";
    case OpKind::global_average_pool: return "GlobalAveragePool";
    case OpKind::add: return "Add";
    case OpKind::sub: return "Sub";
    case OpKind::mul: return "Mul";
    case OpKind::div: return "Div";
    case OpKind::erf: return "Erf";
    case OpKind::sqrt: return "Sqrt";
    case OpKind::flatten: return "Flatten";
    case OpKind::reshape: return "Reshape";
    case OpKind::transpose: return "Transpose";
    case OpKind::softmax: return "Softmax";
    case OpKind::layer_norm: return "LayerNormalization";
    case OpKind::reduce_mean: return "ReduceMean";
  }
  return "?";
}

std::vector<std::size_t> Model::consumers(const std::string& name) const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < ops.size(); ++i)
    for (const std::string& in : ops[i].inputs)
      if (in == name) {
        out.push_back(i);
        break;
      }
  return out;
}

std::size_t Model::producer(const std::string& name) const {
  for (std::size_t i = 0; i < ops.size(); ++i)
    if (ops[i].output == name) return i;
  throw std::out_of_range("model " + path + ": value '" + name + "' is not produced by any op");
}

namespace ops {

std::string describe(const Op& op) {
  return "node '" + op.name + "' (" + (op.onnx_op.empty() ? op_kind_name(op.kind) : op.onnx_op) + ")";
}

void bad_shape(const Op& op, const std::string& what) { throw std::invalid_argument(describe(op) + ": " + what); }

std::string dims_text(const std::vector<int64_t>& dims) {
  std::ostringstream s;
  s << '[';
  for (std::size_t i = 0; i < dims.size(); ++i) s << (i ? ", " : "") << dims[i];
  s << ']';
  return s.str();
}

}  // namespace ops

Tensor run_op(const Op& op, const std::vector<const Tensor*>& inputs) {
  const std::size_t want = op.kind == OpKind::matmul || op.kind == OpKind::add || op.kind == OpKind::sub ||
                                   op.kind == OpKind::mul || op.kind == OpKind::div
                               ? 2
                               : 1;
  if (inputs.size() != want)
    ops::bad_shape(op, "got " + std::to_string(inputs.size()) + " inputs (expected " + std::to_string(want) + ")");
  for (const Tensor* t : inputs) {
    if (!t) ops::bad_shape(op, "an input is missing");
    int64_t n = 1;
    for (int64_t d : t->dims) {
      if (d < 0) ops::bad_shape(op, "input dims " + ops::dims_text(t->dims) + " are negative");
      n *= d;
    }
    if (n != static_cast<int64_t>(t->data.size()))
      ops::bad_shape(op, "input dims " + ops::dims_text(t->dims) + " do not match its " +
                             std::to_string(t->data.size()) + " values");
  }
  const Tensor& x = *inputs[0];
  switch (op.kind) {
    case OpKind::conv: return ops::conv(op, x);
    case OpKind::linear: return ops::linear(op, x);
    case OpKind::matmul: return ops::matmul(op, x, *inputs[1]);
    case OpKind::relu:
    case OpKind::clip:
    case OpKind::erf:
    case OpKind::sqrt: return ops::unary(op, x);
    case OpKind::add:
    case OpKind::sub:
    case OpKind::mul:
    case OpKind::div: return ops::binary(op, x, *inputs[1]);
    case OpKind::max_pool:
    case OpKind::average_pool:
    case OpKind::global_average_pool: return ops::pool(op, x);
    case OpKind::flatten: return ops::flatten(op, x);
    case OpKind::reshape: return ops::reshape(op, x);
    case OpKind::transpose: return ops::transpose(op, x);
    case OpKind::softmax: return ops::softmax(op, x);
    case OpKind::layer_norm: return ops::layer_norm(op, x);
    case OpKind::reduce_mean: return ops::reduce_mean(op, x);
  }
  ops::bad_shape(op, "unknown op kind");
}

Tensor run_float(const Model& model, const Tensor& input, Values* values) {
  if (input.dims != model.input_dims)
    throw std::invalid_argument("model " + model.path + ": input dims " + ops::dims_text(input.dims) +
                                " differ from the model's " + ops::dims_text(model.input_dims));
  // Without `values`, a value is dropped after its last reader so peak memory stays at a few activations.
  std::unordered_map<std::string, std::size_t> last_use;
  if (!values)
    for (std::size_t i = 0; i < model.ops.size(); ++i)
      for (const std::string& in : model.ops[i].inputs) last_use[in] = i;
  Values local;
  Values& live = values ? *values : local;
  live[model.input] = input;
  std::vector<const Tensor*> args;
  for (std::size_t i = 0; i < model.ops.size(); ++i) {
    const Op& op = model.ops[i];
    args.clear();
    for (const std::string& in : op.inputs) {
      auto v = live.find(in);
      if (v != live.end()) {
        args.push_back(&v->second);
        continue;
      }
      auto c = model.constants.find(in);
      if (c == model.constants.end())
        ops::bad_shape(op, "input '" + in + "' is neither computed yet nor a constant");
      args.push_back(&c->second);
    }
    Tensor out = run_op(op, args);
    if (!values)
      for (const std::string& in : op.inputs) {
        auto lu = last_use.find(in);
        if (lu != last_use.end() && lu->second == i && in != model.output) live.erase(in);
      }
    live[op.output] = std::move(out);
  }
  auto result = live.find(model.output);
  if (result == live.end())
    throw std::invalid_argument("model " + model.path + ": output '" + model.output + "' is never computed");
  return result->second;
}

}  // namespace dlasim::quant
