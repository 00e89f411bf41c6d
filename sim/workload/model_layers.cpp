#include "sim/workload/model_layers.hpp"

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

std::vector<LayerSpec> load_model_layers(const std::string& path) {
  const quant::Model model = load_model(path);
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
      l.relu = !matmul && fused_relu(model, op) >= 0;
      layers.push_back(l);
    }
  } catch (const std::invalid_argument& e) {
    throw InputError(fmt::format("{}: {}", path, e.what()));
  }
  if (layers.empty()) throw InputError(fmt::format("{}: the model has no Conv, Gemm or MatMul to run", path));
  return layers;
}

}  // namespace dlasim::sim
