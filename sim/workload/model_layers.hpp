// The layer table of an ONNX model (workload.layers = FILE.onnx): one row per MAC op, mapped as
// `dlasim eval` runs it (sim/eval/mac_mapping.hpp). conv -> conv (dwconv when depthwise), linear -> fc (one
// row) or gemm, matmul -> attn_pv when its first operand comes from a Softmax, else attn_qk; relu set when the
// op's only reader is a Relu. The operands of `dlasim run` stay synthetic: a run gives the model's cycles,
// energy and area; `dlasim eval` its accuracy on real data.
#pragma once

#include <string>
#include <vector>

#include "quant/model.hpp"
#include "sim/workload/layer_table.hpp"

namespace dlasim::sim {

// Throws InputError naming the file (and node) when the model cannot be read or an op cannot run on the DLA.
std::vector<LayerSpec> load_model_layers(const std::string& path);

// quant::load_onnx with its ModelFileError as an InputError (bad input, exit 2).
quant::Model load_model(const std::string& path);

}  // namespace dlasim::sim
