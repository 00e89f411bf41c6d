// libFuzzer target: .npy and .npz bytes (quant/tensor_io.hpp: parse_npy, parse_npz), see docs/reliability.md.
// Every input goes to both readers. Documented error: TensorFileError. Anything else escaping (or a sanitizer
// report) is a finding.
#include <cstdint>
#include <string>

#include "quant/tensor_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dlasim::quant;
  try {
    const NpyArray a = parse_npy(data, size, "fuzz.npy");
    (void)a.to_float();
  } catch (const TensorFileError&) {
  }
  try {
    for (const auto& [key, a] : parse_npz(data, size, "fuzz.npz")) (void)a.to_float();
  } catch (const TensorFileError&) {
  }
  return 0;
}
