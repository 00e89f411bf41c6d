// Error statistics of a quantized tensor against its float original.
#pragma once

#include <cstdint>

namespace dlasim::quant {

struct ErrorStats {
  double mse = 0.0;          // mean squared error
  double sqnr_db = 0.0;      // 10·log10(Σ ref² / Σ (ref - q)²); +inf when the error is 0
  double max_abs_error = 0.0;
  double signal_energy = 0.0;  // Σ ref², for SQNR over several tensors
  double error_energy = 0.0;   // Σ (ref - q)²
  int64_t count = 0;
};

// Statistics of approximation `q` of reference `ref`, both of length n.
ErrorStats error_stats(const float* ref, const float* q, int64_t n);

}  // namespace dlasim::quant
