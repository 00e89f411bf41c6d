// Helpers shared by the ONNX import and float interpreter tests: paths of the models made by
// tests/data/onnx/make_onnx_tests.py and comparison of computed values with the numpy expectations.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "quant/model.hpp"
#include "quant/tensor_io.hpp"

#ifndef DLASIM_SOURCE_DIR
#error "DLASIM_SOURCE_DIR must be defined as a string literal naming the repository root"
#endif

namespace onnx_test {

inline std::string data_path(const std::string& file) {
  return std::string(DLASIM_SOURCE_DIR) + "/tests/data/onnx/" + file;
}

inline dlasim::quant::Tensor to_tensor(const dlasim::quant::NpyArray& a) {
  dlasim::quant::Tensor t;
  t.dims = a.shape;
  t.data = a.to_float();
  return t;
}

// |got - want| <= rel · max(|want|, 1) elementwise (relative, absolute below magnitude 1); equal dims.
inline void require_close(const dlasim::quant::Tensor& got, const dlasim::quant::Tensor& want,
                          const std::string& what, double rel = 1e-5) {
  INFO(what);
  REQUIRE(got.dims == want.dims);
  REQUIRE(got.data.size() == want.data.size());
  double worst = 0.0;
  std::size_t worst_at = 0;
  for (std::size_t i = 0; i < got.data.size(); ++i) {
    const double err = std::abs(double(got.data[i]) - double(want.data[i])) /
                       std::max(1.0, std::abs(double(want.data[i])));
    if (!(err <= worst)) {  // also catches NaN
      worst = std::isnan(err) ? INFINITY : err;
      worst_at = i;
    }
  }
  INFO("worst relative error " << worst << " at element " << worst_at);
  REQUIRE(worst <= rel);
}

}  // namespace onnx_test
