#include "sim/operands.hpp"

namespace dlasim::sim {

namespace {

bool same_activation_shape(const hw::ConvShape& out, const hw::ConvShape& in) {
  return out.out_h() == in.in_h && out.out_w() == in.in_w && out.out_c == in.in_c;
}

}  // namespace

std::vector<OperandOrigin> operand_origins(const std::vector<LayerSpec>& layers,
                                           const std::vector<ModelOperands>& model) {
  std::vector<OperandOrigin> origins(layers.size());
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const LayerSpec& l = layers[i];
    OperandOrigin& o = origins[i];
    o.model_weights = i < model.size() && !model[i].weights.empty();
    if (l.is_attention()) continue;
    const int64_t from = l.graph_known ? l.input_row : int64_t(i) - 1;
    o.post_relu = l.graph_known ? l.input_post_relu : (i > 0 && layers[i - 1].relu);
    if (from < 0 || from >= int64_t(i)) continue;
    const LayerSpec& up = layers[std::size_t(from)];
    if (!up.is_attention() && same_activation_shape(up.shape, l.shape)) {
      o.chained_from = from;
      o.post_relu = up.relu;
    }
  }
  return origins;
}

std::string operand_label(const OperandOrigin& o, bool codes_chained) {
  std::string s = o.chained_from >= 0 ? (codes_chained ? "chained" : "chained_float")
                                      : (o.post_relu ? "post_relu" : "synthetic");
  if (o.model_weights) s += "+model_weights";
  return s;
}

}  // namespace dlasim::sim
