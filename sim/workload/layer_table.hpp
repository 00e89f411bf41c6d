// Layer tables (traces/*.csv): one layer per line.
//
//   name,type,in_h,in_w,in_c,out_c,kernel_h,kernel_w,stride,pad,relu[,groups]
//   conv1,conv,16,16,16,32,3,3,2,1,1
//   dw1,dwconv,8,8,32,32,3,3,1,1,1
//   gconv,conv,8,8,32,64,3,3,1,1,1,4
//   fc,fc,1,1,1024,100,1,1,1,0,0
//   q_proj,gemm,128,1,768,768,1,1,1,0,0
//   scores,attn_qk,128,1,768,1536,1,1,1,0,0,12
//   context,attn_pv,128,1,1536,768,1,1,1,0,0,12
//
// type is conv, dwconv, fc, gemm, attn_qk or attn_pv; relu is 0 or 1; pad is symmetric zero padding in
// pixels. An fc layer must have in_h = in_w = kernel_h = kernel_w = stride = 1, pad = 0. groups
// (hw::ConvShape) is optional: the header may end with it or not; with it, each row has 11 or 12 cells, and
// a row without the cell (or with it empty) has groups = 1, except dwconv, which means groups = in_c = out_c
// (a given groups cell must equal in_c). groups must divide in_c and out_c. Blank lines and lines starting
// with '#' are ignored; the first other line must be exactly one of the three headers (the third adds
// ",weights_format,act_format" after groups).
//
// Per-layer format overrides (weights_format, act_format; either cell may be empty or absent = the design's
// quant.weights / quant.activations format): a format name of docs/quant.md (int4-v16, int8-pc, mxfp4, ...),
// checked here by name. The design DLA has one set of lanes (element bits, vector size, scale kind and scale
// bits, derived from quant.*); run.cpp refuses an override that needs other lanes (InputError naming the
// table, layer and what the lanes take), so e.g. INT8 layers on an INT4 design are an error, not an emulation.
// The 8-bit baseline ignores overrides.
//
// Matrix products are 1×1 convolutions over an M×1 "image" (docs/architecture.md, "Attention GEMMs"); their
// rows must have in_w = kernel_h = kernel_w = stride = 1 and pad = 0 (each checked, naming its column):
//   gemm     Y[M][N] = X[M][K]·W[N][K]ᵀ with weights:   in_h = M, in_c = K, out_c = N, groups 1 (or empty).
//   attn_qk  per head h, S_h = Q_h·K_hᵀ (H heads, M queries, N keys, head dim d):
//            in_h = M, in_c = H·d, out_c = H·N, groups = H (required), relu = 0.
//   attn_pv  per head h, O_h = P_h·V_h:  in_h = M, in_c = H·N, out_c = H·d, groups = H (required), relu = 0.
// The attention types need the groups column (the number of heads); their "weights" operand (K, or Vᵀ) is
// an activation produced at run time (hw::LayerJob::weights_are_activations). Softmax is not modelled.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hw/layer.hpp"

namespace dlasim::sim {

// Dimensions of an attention GEMM row: H heads, M queries, N keys, head dimension d.
struct AttentionDims {
  int64_t heads = 0, queries = 0, keys = 0, head_dim = 0;
};

struct LayerSpec {
  std::string name;
  std::string type;  // conv | dwconv | fc | gemm | attn_qk | attn_pv
  hw::ConvShape shape;
  bool relu = false;
  std::string weights_format, act_format;  // per-layer format overrides; empty = the design's
  // Where the row's input comes from, set by loaders that know the graph (ONNX models, graph_known true):
  // input_row is the row whose output (after its fused ReLU) is this row's input unchanged, -1 when no row
  // writes it as is (the network input, a pool, a residual add); input_post_relu tells whether the input is
  // a ReLU's output. A layer table leaves graph_known false and sim/operands.hpp applies the table rule
  // (the previous row).
  bool graph_known = false;
  int64_t input_row = -1;
  bool input_post_relu = false;

  // attn_qk and attn_pv: both operands are activations (the second one sits on the weight port).
  bool is_attention() const { return type == "attn_qk" || type == "attn_pv"; }
  // H, M, N, d of an attention row (attn_qk: d = Cg, N = Kg; attn_pv: N = Cg, d = Kg); zeros otherwise.
  AttentionDims attention() const;
};

// Refuses, with an InputError naming `where` (file:line), a layer whose weights, input or output has more than
// 2^31 elements: its synthetic fp32 operands would not fit in memory.
void check_layer_size(const LayerSpec& l, const std::string& where);

// Reads a dlasim layer table, the MAC layers of an ONNX model when the path ends in .onnx
// (sim/workload/model_layers.hpp), or, when its first line is a SCALE-Sim header ("Layer name, ..." or
// "Layer, M, N, K,"), a SCALE-Sim topology (sim/workload/scalesim_topology.hpp). Throws InputError naming
// the file, line and column on any malformed entry.
std::vector<LayerSpec> load_layer_table(const std::string& path);
std::vector<LayerSpec> parse_layer_table(const std::string& text, const std::string& source);

}  // namespace dlasim::sim
