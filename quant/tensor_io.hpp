// NumPy .npy and .npz tensor files (format version 1.0/2.0/3.0 headers; .npz = zip of .npy members,
// stored or deflated). Supported dtypes: float32, float16, int8, uint8, int32, little-endian, C order.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace dlasim::quant {

enum class DType { float32, float16, int8, uint8, int32 };

// "float32", "float16", "int8", "uint8", "int32".
const char* dtype_name(DType t);
std::size_t dtype_size(DType t);

// An n-dimensional array as stored: raw little-endian element bytes in C (row-major) order.
struct NpyArray {
  DType dtype = DType::float32;
  std::vector<int64_t> shape;  // empty = 0-d scalar (one element)
  std::vector<uint8_t> data;   // element_count() · dtype_size(dtype) bytes

  int64_t element_count() const;
  // Elements converted to float32 (float16 decoded exactly; integers converted).
  std::vector<float> to_float() const;
  static NpyArray from_float(const std::vector<float>& values, std::vector<int64_t> shape);
  static NpyArray from_int8(const std::vector<int8_t>& values, std::vector<int64_t> shape);
  static NpyArray from_uint8(const std::vector<uint8_t>& values, std::vector<int64_t> shape);
  static NpyArray from_int32(const std::vector<int32_t>& values, std::vector<int64_t> shape);
};

// Malformed, truncated or unsupported input. what() names the file (and the .npz member) and says what was
// expected, e.g. "w.npy: unsupported dtype '<f8' (expected float32, float16, int8, uint8 or int32)".
struct TensorFileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Reads one .npy file. Throws TensorFileError (bad magic, header, dtype, Fortran order, big-endian, shape,
// truncated data) or on I/O errors.
NpyArray read_npy(const std::string& path);
// Parses .npy bytes; `name` is used in error messages. Bytes after the array data are an error, not ignored.
NpyArray parse_npy(const uint8_t* bytes, std::size_t size, const std::string& name);
// Serializes to .npy bytes (version 1.0 header, padded to a multiple of 64 bytes).
std::vector<uint8_t> serialize_npy(const NpyArray& a);

// Reads every member of an .npz archive; keys are member names without the ".npy" suffix.
std::map<std::string, NpyArray> read_npz(const std::string& path);
// Parses .npz bytes (the whole archive); `name` stands for the file in error messages. Throws TensorFileError.
std::map<std::string, NpyArray> parse_npz(const uint8_t* bytes, std::size_t size, const std::string& name);

// Writes atomically: to "<path>.tmp.<pid>" first, then renames over `path`; on any failure the temp file is
// removed and an existing `path` is untouched. .npz members are stored uncompressed (like numpy.savez).
void write_npy(const std::string& path, const NpyArray& a);
void write_npz(const std::string& path, const std::map<std::string, NpyArray>& members);

}  // namespace dlasim::quant
