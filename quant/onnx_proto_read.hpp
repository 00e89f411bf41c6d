// Internal to dlasim_quant: reading ONNX protobuf pieces (tensors, attributes) with checked sizes. Every
// failure is a ModelFileError whose message starts with the `where` prefix the caller passes
// ("m.onnx: node 'c1' (Conv)" or "m.onnx").
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

#include "quant/model.hpp"
#include "quant/onnx_import.hpp"

namespace dlasim::quant::onnx_read {

[[noreturn]] void fail(const std::string& where, const std::string& what);

// A constant as read: float32 (`values`) or int64 (`ints`); dims in both cases.
struct Constant {
  bool is_int64 = false;
  Tensor values;              // float32 data (dims set for both kinds)
  std::vector<int64_t> ints;  // int64 data
};

// Converts a TensorProto (initializer or Constant value). Checks dims >= 0, element count limits and that the
// stored data has exactly that many elements. Other dtypes and external data are errors naming the tensor.
Constant read_tensor(const onnx::TensorProto& t, const std::string& where);

// Attribute access. Missing attributes give the default; a present attribute of the wrong type is an error.
const onnx::AttributeProto* find_attribute(const onnx::NodeProto& node, const std::string& name);
int64_t attr_int(const onnx::NodeProto& node, const std::string& name, int64_t fallback, const std::string& where);
float attr_float(const onnx::NodeProto& node, const std::string& name, float fallback, const std::string& where);
std::string attr_string(const onnx::NodeProto& node, const std::string& name, const std::string& fallback,
                        const std::string& where);
// `count` >= 0 requires exactly that many values when present.
std::vector<int64_t> attr_ints(const onnx::NodeProto& node, const std::string& name,
                               const std::vector<int64_t>& fallback, int count, const std::string& where);
// Errors on any attribute not in `known` (so nothing the file says is silently ignored).
void check_known_attributes(const onnx::NodeProto& node, const std::vector<std::string>& known,
                            const std::string& where);

}  // namespace dlasim::quant::onnx_read
