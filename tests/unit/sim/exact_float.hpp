// Test helpers: correctly rounded fp32 results of exact products, computed with 128-bit integer arithmetic
// only (independent of the double-precision code under test).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace dlasim::test {

// A finite double as m · 2^e with an integer m (|m| < 2^53); 0 gives m = 0.
struct Dyadic {
  int64_t m = 0;
  int e = 0;
};

inline Dyadic dyadic(double x) {
  if (x == 0.0) return {};
  int e = 0;
  const double fr = std::frexp(x, &e);  // x = fr · 2^e, 0.5 <= |fr| < 1
  return {static_cast<int64_t>(std::ldexp(fr, 53)), e - 53};
}

// n · 2^e rounded once to fp32, ties to even, with gradual underflow (subnormals down to 2^-149) and the
// sign of n kept on a zero result. |n| < 2^127; the result must not overflow.
inline float round_to_float(__int128 n, int e) {
  if (n == 0) return 0.0f;
  const bool negative = n < 0;
  unsigned __int128 m = negative ? static_cast<unsigned __int128>(-n) : static_cast<unsigned __int128>(n);
  int len = 0;
  for (unsigned __int128 t = m; t != 0; t >>= 1) ++len;
  // Keep 24 significant bits, but no bit below 2^-149.
  const int drop = std::max(len - 24, -149 - e);
  if (drop > len) {
    m = 0;  // below half the smallest subnormal
  } else if (drop > 0) {
    const unsigned __int128 q = m >> drop, rem = m - (q << drop), half = static_cast<unsigned __int128>(1) << (drop - 1);
    m = q + ((rem > half || (rem == half && (q & 1) != 0)) ? 1 : 0);
    e += drop;
  }
  // m ≤ 2^24 and m · 2^e is a float: both conversions below are exact.
  const float r = static_cast<float>(std::ldexp(static_cast<double>(static_cast<uint64_t>(m)), e));
  return negative ? -r : r;
}

// Correctly rounded fp32 of x · a · b · 2^-frac_bits for a finite double x and floats a, b.
// A zero factor gives a zero with the IEEE sign of the product.
inline float rounded_product(double x, float a, float b, int frac_bits) {
  if (x == 0.0 || a == 0.0f || b == 0.0f) {
    return (std::signbit(x) != std::signbit(a)) != std::signbit(b) ? -0.0f : 0.0f;
  }
  const Dyadic dx = dyadic(x), da = dyadic(a), db = dyadic(b);
  // |m| < 2^53 each, but a float has at most 24 significant bits: strip trailing zeros to stay below 2^127.
  const auto strip = [](Dyadic d) {
    while (d.m != 0 && (d.m & 1) == 0) d.m /= 2, ++d.e;
    return d;
  };
  const Dyadic sx = strip(dx), sa = strip(da), sb = strip(db);
  const __int128 n = static_cast<__int128>(sx.m) * sa.m * sb.m;
  return round_to_float(n, sx.e + sa.e + sb.e - frac_bits);
}

}  // namespace dlasim::test
