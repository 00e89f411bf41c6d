// ONNX model import: reads an .onnx file (onnx::ModelProto, via libonnx/protobuf) into dlasim's own
// representation (quant/model.hpp), folding BatchNormalization into Conv and MatMul/Gemm (+ bias Add) into
// `linear`. No ONNX header is visible from here; callers see only Model.
//
// Supported ONNX ops (default domain, opset 11-17; Softmax needs opset >= 13 unless its axis is the last):
//   Conv (2-D, auto_pad NOTSET), Gemm (transA 0), MatMul, Relu, Clip, MaxPool, AveragePool (ceil_mode 0),
//   GlobalAveragePool, Add, Sub, Mul, Div, Erf, Sqrt, Flatten, Reshape (constant shape), Transpose,
//   BatchNormalization (after a Conv only), Softmax, LayerNormalization, ReduceMean, Constant,
//   Dropout and Identity (removed).
// Initializers and Constant tensors: float32 (raw_data or float_data) and int64 (shapes, axes).
// The graph has one float input (batch dim 1 or symbolic, fixed to 1) and one output.
#pragma once

#include <stdexcept>
#include <string>

#include "quant/model.hpp"

namespace dlasim::quant {

// Anything in the file dlasim cannot import. what() always starts with the file name and, for graph problems,
// names the node and its op type, e.g.
//   "m.onnx: node 'conv3' (Conv): attribute 'auto_pad' = SAME_UPPER is not supported (expected NOTSET)".
struct ModelFileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Reads and imports `path`. Throws ModelFileError (cannot open, cannot parse, unsupported or inconsistent
// graph, including shape errors found by running every op once on a zero input).
Model load_onnx(const std::string& path);

// Imports serialized ModelProto bytes; `name` stands for the file in messages and becomes Model::path.
Model parse_onnx(const std::string& bytes, const std::string& name);

}  // namespace dlasim::quant
