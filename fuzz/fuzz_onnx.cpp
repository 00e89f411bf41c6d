// libFuzzer target: ONNX model bytes (quant/onnx_import.hpp: parse_onnx), then quant::run_float on a zero
// input of the model's input dims when the import succeeds and the input has at most 2^16 elements; see
// docs/reliability.md. Documented error: ModelFileError from parse_onnx. run_float documents
// std::invalid_argument for inputs that do not fit, but parse_onnx already ran every op once on a zero
// input, so on an imported model it must not throw at all: any exception there is a finding.
#include <cstdint>
#include <string>

#include "quant/model.hpp"
#include "quant/onnx_import.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dlasim::quant;
  Model model;
  try {
    model = parse_onnx(std::string(reinterpret_cast<const char*>(data), size), "fuzz.onnx");
  } catch (const ModelFileError&) {
    return 0;
  }
  constexpr int64_t kMaxElements = int64_t{1} << 16;
  int64_t n = 1;
  for (int64_t d : model.input_dims) {
    if (d < 0 || (d > 0 && n > kMaxElements / d)) return 0;
    n *= d;
  }
  if (n > kMaxElements) return 0;
  Tensor input;
  input.dims = model.input_dims;
  input.data.assign(static_cast<std::size_t>(n), 0.0f);
  (void)run_float(model, input);
  return 0;
}
