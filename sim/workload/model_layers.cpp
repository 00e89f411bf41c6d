#include "sim/workload/model_layers.hpp"

#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "quant/onnx_import.hpp"
#include "sim/eval/mac_mapping.hpp"
#include "sim/input_error.hpp"

namespace dlasim::sim {

quant::Model load_model(const std::string& path) {
  try {
    return quant::load_onnx(path);
  } catch (const quant::ModelFileError& e) {
    throw InputError(e.what());
  }
}

bool is_model_file(const std::string& path) {
  return path.size() > 5 && path.compare(path.size() - 5, 5, ".onnx") == 0;
}

namespace {

// True when value `name` is non-negative by construction: written by a Relu, a Clip whose lower bound is >=
// 0, or a MaxPool of such a value.
bool rectified(const quant::Model& model, const std::string& name) {
  std::size_t p = 0;
  try {
    p = model.producer(name);
  } catch (const std::out_of_range&) {
    return false;  // the graph input or a constant
  }
  const quant::Op& op = model.ops[p];
  if (op.kind == quant::OpKind::relu) return true;
  if (op.kind == quant::OpKind::clip) return op.min_value >= 0.0f;
  return op.kind == quant::OpKind::max_pool && rectified(model, op.inputs.at(0));
}

}  // namespace

std::vector<LayerSpec> load_model_layers(const std::string& path, std::vector<ModelOperands>* operands) {
  const quant::Model model = load_model(path);
  std::map<std::string, int64_t> row_of_value;  // the value each row writes (after its fused ReLU)
  quant::Tensor zeros;
  zeros.dims = model.input_dims;
  zeros.data.assign(zeros.numel(), 0.0f);
  quant::Values v;
  std::vector<LayerSpec> layers;
  try {
    quant::run_float(model, zeros, &v);
    for (const quant::Op& op : model.ops) {
      if (!quant::is_mac(op.kind)) continue;
      const bool matmul = op.kind == quant::OpKind::matmul;
      const MacMapping m = map_mac(op, v);
      LayerSpec l;
      l.name = op.name;
      l.shape = m.shape;
      if (op.kind == quant::OpKind::conv) {
        l.type = m.shape.groups > 1 && m.shape.groups == m.shape.in_c && m.shape.groups == m.shape.out_c ? "dwconv"
                                                                                                           : "conv";
      } else if (op.kind == quant::OpKind::linear) {
        l.type = m.shape.in_h == 1 ? "fc" : "gemm";
      } else {
        bool from_softmax = false;
        try {
          from_softmax = model.ops[model.producer(op.inputs[0])].kind == quant::OpKind::softmax;
        } catch (const std::out_of_range&) {
        }
        l.type = from_softmax ? "attn_pv" : "attn_qk";
      }
      const int64_t relu = matmul ? -1 : fused_relu(model, op);
      l.relu = relu >= 0;
      l.graph_known = true;
      const auto from = row_of_value.find(op.inputs.at(0));
      l.input_row = from == row_of_value.end() ? -1 : from->second;
      l.input_post_relu = rectified(model, op.inputs.at(0));
      row_of_value[l.relu ? model.ops[relu].output : op.output] = int64_t(layers.size());
      if (operands) {
        ModelOperands o;
        if (!matmul) {
          o.weights = dla_weights(op, m);
          o.bias = op.bias.data;  // [K]: the import gives every conv and linear op one (zeros when absent)
        }
        operands->push_back(std::move(o));
      }
      layers.push_back(l);
    }
  } catch (const std::invalid_argument& e) {
    throw InputError(fmt::format("{}: {}", path, e.what()));
  }
  if (layers.empty()) throw InputError(fmt::format("{}: the model has no Conv, Gemm or MatMul to run", path));
  return layers;
}

}  // namespace dlasim::sim
