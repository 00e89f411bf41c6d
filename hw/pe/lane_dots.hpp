// The MAC lanes' inner kernel: one input vector against every lane's weight vector, V-element integer dot
// products (exact; the same integer sums in another order). SSE2 for int8 codes at V = 8, 16, 32 (the
// input vector widened once, four lanes reduced together), portable loops otherwise.
#pragma once

#include <cstdint>
#include <type_traits>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "hw/arith.hpp"

namespace dlasim::hw::lane {

// Dot products of one input vector `a` with the lanes' weight vectors, V known at compile time when
// it is one of the common sizes (the loop then unrolls and vectorises).
template <int V, class T>
void lane_dots(const T* const* w, int64_t lanes, const T* a, int v, int32_t* out) {
  for (int64_t l = 0; l < lanes; ++l) out[l] = static_cast<int32_t>(vector_dot(w[l], a, V > 0 ? V : v));
}

#if defined(__SSE2__)
// Sign-extended int16 halves of 16 int8 codes.
inline void widen(__m128i x, __m128i* lo, __m128i* hi) {
  *lo = _mm_srai_epi16(_mm_unpacklo_epi8(x, x), 8);
  *hi = _mm_srai_epi16(_mm_unpackhi_epi8(x, x), 8);
}

// Four int32 partial sums of lane l's dot product with the widened input chunks (V = 8, 16 or 32).
template <int V>
inline __m128i lane_partial(const int8_t* w, const __m128i* a) {
  __m128i lo, hi;
  if (V == 8) {
    widen(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(w)), &lo, &hi);
    return _mm_madd_epi16(a[0], lo);
  }
  widen(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w)), &lo, &hi);
  __m128i s = _mm_add_epi32(_mm_madd_epi16(a[0], lo), _mm_madd_epi16(a[1], hi));
  if (V == 32) {
    widen(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 16)), &lo, &hi);
    s = _mm_add_epi32(s, _mm_add_epi32(_mm_madd_epi16(a[2], lo), _mm_madd_epi16(a[3], hi)));
  }
  return s;
}

// The four lanes' dot products from their partial sums (a 4×4 transpose-add).
inline __m128i sum4(__m128i s0, __m128i s1, __m128i s2, __m128i s3) {
  const __m128i t0 = _mm_add_epi32(_mm_unpacklo_epi32(s0, s1), _mm_unpackhi_epi32(s0, s1));
  const __m128i t1 = _mm_add_epi32(_mm_unpacklo_epi32(s2, s3), _mm_unpackhi_epi32(s2, s3));
  return _mm_add_epi32(_mm_unpacklo_epi64(t0, t1), _mm_unpackhi_epi64(t0, t1));
}

// lane_dots for int8 codes: the input vector is widened once, four lanes are summed at a time. Exact: the
// same integer sums in another order.
template <int V>
void lane_dots_sse2(const int8_t* const* w, int64_t lanes, const int8_t* a, int, int32_t* out) {
  __m128i aw[4];
  if (V == 8) {
    __m128i unused;
    widen(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(a)), &aw[0], &unused);
  } else {
    for (int c = 0; c < V / 16; ++c) widen(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + 16 * c)), &aw[2 * c], &aw[2 * c + 1]);
  }
  int64_t l = 0;
  for (; l + 4 <= lanes; l += 4) {
    const __m128i d = sum4(lane_partial<V>(w[l], aw), lane_partial<V>(w[l + 1], aw), lane_partial<V>(w[l + 2], aw),
                           lane_partial<V>(w[l + 3], aw));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + l), d);
  }
  for (; l < lanes; ++l) out[l] = vector_dot(w[l], a, V);
}
#endif

// The lane kernel for codes of type T and vector size v.
template <class T>
auto lane_kernel(int v) {
#if defined(__SSE2__)
  if constexpr (std::is_same_v<T, int8_t>) {
    if (v == 16) return &lane_dots_sse2<16>;
    if (v == 32) return &lane_dots_sse2<32>;
    if (v == 8) return &lane_dots_sse2<8>;
  }
#endif
  return v == 16 ? &lane_dots<16, T> : v == 32 ? &lane_dots<32, T> : v == 8 ? &lane_dots<8, T> : &lane_dots<0, T>;
}

}  // namespace dlasim::hw::lane
