// The layer table of an ONNX model (workload.layers = FILE.onnx): one row per MAC op, mapped as
// `dlasim eval` runs it (sim/eval/mac_mapping.hpp). conv -> conv (dwconv when depthwise), linear -> fc (one
// row) or gemm, matmul -> attn_pv when its first operand comes from a Softmax, else attn_qk; relu set when
// the op's only reader is a Relu. `dlasim run` takes the weights and bias of conv and linear rows from the
// model (ModelOperands) and keeps the inputs synthetic or chained (sim/operands.hpp); matmul rows (two
// activations) stay synthetic. A run gives the model's cycles, energy and area; `dlasim eval` its accuracy on
// real data. The rows carry the graph links (LayerSpec::graph_known): input_row when the op reads another
// row's output (after that row's fused ReLU) unchanged, input_post_relu when its input is written by a Relu,
// a Clip with a lower bound >= 0, or a MaxPool of either.
#pragma once

#include <string>
#include <vector>

#include "quant/model.hpp"
#include "sim/workload/layer_table.hpp"

namespace dlasim::sim {

// The model's float operands of one row in the DLA's layouts (hw/layer.hpp): weights [K][R][S][Cg] (dilation
// expanded with zero taps) and bias [K] from the initializers, BatchNormalization folded. Both empty for a
// matmul row.
struct ModelOperands {
  std::vector<float> weights, bias;
};

// Throws InputError naming the file (and node) when the model cannot be read or an op cannot run on the DLA.
// When `operands` is not null it receives one entry per returned row.
std::vector<LayerSpec> load_model_layers(const std::string& path,
                                         std::vector<ModelOperands>* operands = nullptr);

// True when `path` names an ONNX model (ends in .onnx): load_layer_table reads it with load_model_layers.
bool is_model_file(const std::string& path);

// quant::load_onnx with its ModelFileError as an InputError (bad input, exit 2).
quant::Model load_model(const std::string& path);

}  // namespace dlasim::sim
