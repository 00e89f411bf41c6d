// Checked reading of ONNX TensorProto and AttributeProto (see quant/onnx_proto_read.hpp).
#include "quant/onnx_proto_read.hpp"

#include <algorithm>
#include <cstring>

namespace dlasim::quant::onnx_read {
namespace {

constexpr int64_t kMaxElements = int64_t{1} << 31;  // 8 GiB of float: far beyond any model dlasim runs

std::string type_name(int32_t data_type) {
  if (onnx::TensorProto_DataType_IsValid(data_type))
    return onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(data_type));
  return "data type " + std::to_string(data_type);
}

const char* attribute_type_name(onnx::AttributeProto_AttributeType t) {
  switch (t) {
    case onnx::AttributeProto::FLOAT: return "FLOAT";
    case onnx::AttributeProto::INT: return "INT";
    case onnx::AttributeProto::STRING: return "STRING";
    case onnx::AttributeProto::TENSOR: return "TENSOR";
    case onnx::AttributeProto::FLOATS: return "FLOATS";
    case onnx::AttributeProto::INTS: return "INTS";
    default: return "another type";
  }
}

const onnx::AttributeProto* typed(const onnx::NodeProto& node, const std::string& name,
                                  onnx::AttributeProto_AttributeType type, const std::string& where) {
  const onnx::AttributeProto* a = find_attribute(node, name);
  if (a && a->type() != type)
    fail(where, "attribute '" + name + "' has type " + attribute_type_name(a->type()) + " (expected " +
                    attribute_type_name(type) + ")");
  return a;
}

}  // namespace

void fail(const std::string& where, const std::string& what) { throw ModelFileError(where + ": " + what); }

Constant read_tensor(const onnx::TensorProto& t, const std::string& where) {
  const std::string label = "tensor '" + t.name() + "'";
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    fail(where, label + " uses external data (expected the data inside the .onnx file)");
  Constant c;
  int64_t n = 1;
  for (int64_t d : t.dims()) {
    if (d < 0) fail(where, label + " has a negative dim " + std::to_string(d));
    if (d > 0 && n > kMaxElements / d) fail(where, label + " has more than 2^31 elements");
    c.values.dims.push_back(d);
    n *= d;
  }
  const auto count_error = [&](int64_t have) {
    fail(where, label + " holds " + std::to_string(have) + " values but its dims need " + std::to_string(n) +
                    " (truncated or inconsistent tensor)");
  };
  const std::string& raw = t.raw_data();
  if (t.data_type() == onnx::TensorProto::FLOAT) {
    if (t.has_raw_data()) {
      if (raw.size() != static_cast<std::size_t>(n) * 4) count_error(static_cast<int64_t>(raw.size() / 4));
      c.values.data.resize(static_cast<std::size_t>(n));
      std::memcpy(c.values.data.data(), raw.data(), raw.size());  // little-endian host (x86-64, ARM)
    } else {
      if (t.float_data_size() != n) count_error(t.float_data_size());
      c.values.data.resize(static_cast<std::size_t>(n));
      std::copy(t.float_data().begin(), t.float_data().end(), c.values.data.begin());
    }
  } else if (t.data_type() == onnx::TensorProto::INT64) {
    c.is_int64 = true;
    if (t.has_raw_data()) {
      if (raw.size() != static_cast<std::size_t>(n) * 8) count_error(static_cast<int64_t>(raw.size() / 8));
      c.ints.resize(static_cast<std::size_t>(n));
      std::memcpy(c.ints.data(), raw.data(), raw.size());
    } else {
      if (t.int64_data_size() != n) count_error(t.int64_data_size());
      c.ints.resize(static_cast<std::size_t>(n));
      std::copy(t.int64_data().begin(), t.int64_data().end(), c.ints.begin());
    }
    c.values.data.assign(c.ints.begin(), c.ints.end());
  } else {
    fail(where, label + " has data type " + type_name(t.data_type()) +
                    " (expected FLOAT, or INT64 for shapes and axes)");
  }
  return c;
}

const onnx::AttributeProto* find_attribute(const onnx::NodeProto& node, const std::string& name) {
  for (const onnx::AttributeProto& a : node.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

int64_t attr_int(const onnx::NodeProto& node, const std::string& name, int64_t fallback, const std::string& where) {
  const onnx::AttributeProto* a = typed(node, name, onnx::AttributeProto::INT, where);
  return a ? a->i() : fallback;
}

float attr_float(const onnx::NodeProto& node, const std::string& name, float fallback, const std::string& where) {
  const onnx::AttributeProto* a = typed(node, name, onnx::AttributeProto::FLOAT, where);
  return a ? a->f() : fallback;
}

std::string attr_string(const onnx::NodeProto& node, const std::string& name, const std::string& fallback,
                        const std::string& where) {
  const onnx::AttributeProto* a = typed(node, name, onnx::AttributeProto::STRING, where);
  return a ? a->s() : fallback;
}

std::vector<int64_t> attr_ints(const onnx::NodeProto& node, const std::string& name,
                               const std::vector<int64_t>& fallback, int count, const std::string& where) {
  const onnx::AttributeProto* a = typed(node, name, onnx::AttributeProto::INTS, where);
  if (!a) return fallback;
  std::vector<int64_t> v(a->ints().begin(), a->ints().end());
  if (count >= 0 && static_cast<int>(v.size()) != count)
    fail(where, "attribute '" + name + "' has " + std::to_string(v.size()) + " values (expected " +
                    std::to_string(count) + ")");
  return v;
}

void check_known_attributes(const onnx::NodeProto& node, const std::vector<std::string>& known,
                            const std::string& where) {
  for (const onnx::AttributeProto& a : node.attribute())
    if (std::find(known.begin(), known.end(), a.name()) == known.end()) {
      std::string list;
      for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
      fail(where, "attribute '" + a.name() + "' is not supported (known: " + (list.empty() ? "none" : list) + ")");
    }
}

}  // namespace dlasim::quant::onnx_read
