// The aligned-significand integers of hw/element_fixed.hpp: the tables written out by hand for FP4, FP6,
// MXINT8 and INT/UINT elements, the FP8 rejection, and for every supported element pair and every code pair
// that fixed_w · fixed_a · 2^-(F_w + F_a) is exactly the product of the two quant::element_value()s (so a
// lane's integer dot product carries the FP products exactly).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "hw/arith.hpp"
#include "hw/element_fixed.hpp"
#include "quant/format.hpp"
#include "quant/qtensor.hpp"

using namespace dlasim;
using quant::ElementId;

namespace {

quant::QuantSpec spec_of(ElementId e) {
  quant::QuantSpec s;
  s.element = e;
  s.granularity = quant::Granularity::per_tensor;
  return s;
}

// Every code byte a QTensor of this element may hold: signed integers sign-extended from -2^(N-1) to
// 2^(N-1)-1 (the code of -2^(N-1) is never produced but decodes), unsigned integers 0..2^N-1, minifloats
// every bit pattern of N bits.
std::vector<uint8_t> code_bytes(ElementId e) {
  const quant::ElementFormat& f = quant::element_format(e);
  std::vector<uint8_t> out;
  if (f.kind == quant::ElementKind::integer && f.is_signed) {
    for (int v = -(1 << (f.bits - 1)); v < (1 << (f.bits - 1)); ++v) out.push_back(static_cast<uint8_t>(int8_t(v)));
  } else {
    for (int c = 0; c < (1 << f.bits); ++c) out.push_back(static_cast<uint8_t>(c));
  }
  return out;
}

bool lanes_take(ElementId e) { return e != ElementId::fp8_e4m3 && e != ElementId::fp8_e5m2; }

std::vector<ElementId> supported_elements() {
  std::vector<ElementId> out;
  for (int i = 0; i < static_cast<int>(ElementId::count); ++i) {
    if (lanes_take(static_cast<ElementId>(i))) out.push_back(static_cast<ElementId>(i));
  }
  return out;
}

}  // namespace

TEST_CASE("element fixed: FP4 E2M1 is F = 1 with codes 0..7 -> 0, 1, 2, 3, 4, 6, 8, 12 and the sign bit negating",
          "[element_fixed]") {
  const hw::FixedElements fx = hw::fixed_elements(ElementId::fp4_e2m1);
  // Smallest subnormal of E2M1 is 2^(1 - bias - man_bits) = 2^(1 - 1 - 1) = 0.5 → F = 1.
  CHECK(fx.frac_bits == 1);
  // Values 0, 0.5, 1, 1.5, 2, 3, 4, 6 times 2^1.
  const int16_t positive[8] = {0, 1, 2, 3, 4, 6, 8, 12};
  for (int c = 0; c < 8; ++c) {
    INFO("code " << c);
    CHECK(fx.fixed[c] == positive[c]);
    CHECK(fx.fixed[c | 0x8] == -positive[c]);  // sign bit 3; code 0x8 is -0 → 0
  }
  CHECK(fx.max_magnitude == 12);  // 6 · 2
  for (int c = 16; c < 256; ++c) CHECK(fx.fixed[c] == 0);  // no other code byte is used
  CHECK_FALSE(hw::codes_are_values(ElementId::fp4_e2m1));
}

TEST_CASE("element fixed: FP6 E2M3 is F = 3 with max 60, E3M2 is F = 4 with max 448", "[element_fixed]") {
  const hw::FixedElements e23 = hw::fixed_elements(ElementId::fp6_e2m3);
  // E2M3: bias 1, subnormal step 2^(1-1-3) = 1/8 → F = 3; max 7.5 · 8 = 60.
  CHECK(e23.frac_bits == 3);
  CHECK(e23.max_magnitude == 60);
  // Subnormals 0..7 are the mantissa itself (m/8 · 8 = m); code 0b01000 = 1.0 → 8; 0b01001 = 1.125 → 9;
  // 0b11111 = 1.875 · 4 = 7.5 → 60; sign bit 0x20.
  for (int m = 0; m < 8; ++m) CHECK(e23.fixed[m] == m);
  CHECK(e23.fixed[0x08] == 8);
  CHECK(e23.fixed[0x09] == 9);
  CHECK(e23.fixed[0x10] == 16);  // 2.0
  CHECK(e23.fixed[0x1F] == 60);
  CHECK(e23.fixed[0x3F] == -60);
  CHECK(e23.fixed[0x21] == -1);  // -1/8

  const hw::FixedElements e32 = hw::fixed_elements(ElementId::fp6_e3m2);
  // E3M2: bias 3, subnormal step 2^(1-3-2) = 1/16 → F = 4; max 1.75 · 2^4 = 28 → 448.
  CHECK(e32.frac_bits == 4);
  CHECK(e32.max_magnitude == 448);
  for (int m = 0; m < 4; ++m) CHECK(e32.fixed[m] == m);  // subnormals m/16
  CHECK(e32.fixed[0x04] == 4);    // 2^-2 = 0.25 → 4
  CHECK(e32.fixed[0x0C] == 16);   // exponent field 3 → 2^0 = 1 → 16
  CHECK(e32.fixed[0x0D] == 20);   // 1.25 → 20
  CHECK(e32.fixed[0x1F] == 448);  // 1.75 · 2^4
  CHECK(e32.fixed[0x3F] == -448);
  CHECK(e32.fixed[0x20] == 0);    // -0
}

TEST_CASE("element fixed: MXINT8 is F = 6 with the sign-extended code as its value; INT and UINT are F = 0",
          "[element_fixed]") {
  const hw::FixedElements q6 = hw::fixed_elements(ElementId::mxint8);
  CHECK(q6.frac_bits == 6);
  for (int b = 0; b < 256; ++b) CHECK(q6.fixed[b] == int8_t(uint8_t(b)));
  CHECK(q6.fixed[0x7F] == 127);  // 127/64 · 2^6
  CHECK(q6.fixed[0x81] == -127);
  CHECK(q6.max_magnitude == 128);  // the byte 0x80 (-128) decodes, though the quantizer never writes it
  CHECK_FALSE(hw::codes_are_values(ElementId::mxint8));  // values are codes · 2^-6, not the codes

  const hw::FixedElements i4 = hw::fixed_elements(ElementId::int4);
  CHECK(i4.frac_bits == 0);
  CHECK(i4.fixed[0xF9] == -7);  // sign-extended code byte of -7
  CHECK(i4.fixed[0x07] == 7);
  CHECK(i4.fixed[0x09] == 0);   // 0x09 is not an int4 code byte (codes are sign-extended)
  CHECK(i4.max_magnitude == 8);
  CHECK(hw::codes_are_values(ElementId::int4));
  CHECK(hw::codes_are_values(ElementId::int8));

  const hw::FixedElements u4 = hw::fixed_elements(ElementId::uint4);
  CHECK(u4.frac_bits == 0);
  CHECK(u4.fixed[15] == 15);  // not sign-extended: 15, not -1
  CHECK(u4.fixed[8] == 8);
  CHECK(u4.max_magnitude == 15);
  CHECK_FALSE(hw::codes_are_values(ElementId::uint4));
  const hw::FixedElements u8 = hw::fixed_elements(ElementId::uint8);
  CHECK(u8.fixed[255] == 255);
  CHECK(u8.max_magnitude == 255);
}

TEST_CASE("element fixed: FP8 E4M3 and E5M2 are rejected naming the element", "[element_fixed]") {
  for (const ElementId e : {ElementId::fp8_e4m3, ElementId::fp8_e5m2}) {
    const std::string name(quant::element_format(e).name);
    INFO(name);
    try {
      hw::fixed_elements(e);
      FAIL("fixed_elements accepted " << name);
    } catch (const std::invalid_argument& ex) {
      const std::string what = ex.what();
      CHECK(what.find("element " + name) != std::string::npos);
      CHECK(what.find("16-bit") != std::string::npos);
    }
  }
}

TEST_CASE("element fixed: every table entry is element_value · 2^F exactly and fits 16 bits", "[element_fixed]") {
  for (const ElementId e : supported_elements()) {
    const quant::QuantSpec spec = spec_of(e);
    const hw::FixedElements fx = hw::fixed_elements(e);
    INFO(spec.format().name);
    int32_t max = 0;
    for (const uint8_t c : code_bytes(e)) {
      INFO("code byte " << int(c));
      const double v = quant::element_value(spec, c);
      CHECK(double(fx.fixed[c]) == std::ldexp(v, fx.frac_bits));
      max = std::max<int32_t>(max, std::abs(int32_t{fx.fixed[c]}));
    }
    CHECK(fx.max_magnitude == max);
    CHECK(std::ldexp(spec.format().max_value, fx.frac_bits) <= 32767.0);
  }
}

TEST_CASE("element fixed: for every element pair and every code pair the aligned product is the FP product",
          "[element_fixed]") {
  const std::vector<ElementId> elements = supported_elements();
  REQUIRE(elements.size() == 18);  // 7 INT, 7 UINT, MXINT8, FP6 × 2, FP4
  uint64_t pairs = 0;
  for (const ElementId we : elements) {
    const hw::FixedElements fw = hw::fixed_elements(we);
    const quant::QuantSpec ws = spec_of(we);
    const std::vector<uint8_t> wcodes = code_bytes(we);
    for (const ElementId ae : elements) {
      const hw::FixedElements fa = hw::fixed_elements(ae);
      const quant::QuantSpec as = spec_of(ae);
      const std::vector<uint8_t> acodes = code_bytes(ae);
      const int frac = fw.frac_bits + fa.frac_bits;
      uint64_t mismatches = 0;
      for (const uint8_t cw : wcodes) {
        const double vw = quant::element_value(ws, cw);
        for (const uint8_t ca : acodes) {
          const double fp = vw * double(quant::element_value(as, ca));  // exact: ≤ 8 + 8 significant bits
          const double aligned = std::ldexp(double(int32_t{fw.fixed[cw]} * int32_t{fa.fixed[ca]}), -frac);
          mismatches += fp != aligned;
          ++pairs;
        }
      }
      INFO(ws.format().name << " x " << as.format().name);
      CHECK(mismatches == 0);
    }
  }
  // Σ over ordered element pairs of |codes_w| · |codes_a| = (Σ |codes|)^2, Σ |codes| = 508 + 508 + 256 + 64 + 64 + 16.
  CHECK(pairs == uint64_t{1416} * 1416);
}

TEST_CASE("element fixed: a lane's int16 dot product of aligned significands is the exact FP dot product",
          "[element_fixed]") {
  // E2M1 × E3M2, V = 4: (6)(-28) + (0.5)(0.0625) + (-1.5)(1.25) + (4)(0.1875)
  //                   = -168 + 0.03125 - 1.875 + 0.75 = -169.09375.
  // Aligned: F = 1 + 4 = 5; fixed E2M1: 12, 1, -3, 8; fixed E3M2: -448, 1, 20, 3;
  // Σ = -5376 + 1 - 60 + 24 = -5411; -5411 / 32 = -169.09375.
  const hw::FixedElements fw = hw::fixed_elements(ElementId::fp4_e2m1);
  const hw::FixedElements fa = hw::fixed_elements(ElementId::fp6_e3m2);
  const uint8_t wc[4] = {0x7, 0x1, 0x8 | 0x3, 0x6};      // 6, 0.5, -1.5, 4
  const uint8_t ac[4] = {0x20 | 0x1F, 0x01, 0x0D, 0x03};  // -28, 1/16, 1.25, 3/16
  int16_t w[4], a[4];
  for (int i = 0; i < 4; ++i) w[i] = fw.fixed[wc[i]], a[i] = fa.fixed[ac[i]];
  CHECK(std::vector<int16_t>(w, w + 4) == std::vector<int16_t>{12, 1, -3, 8});
  CHECK(std::vector<int16_t>(a, a + 4) == std::vector<int16_t>{-448, 1, 20, 3});
  const int64_t dot = hw::vector_dot(w, a, 4);
  CHECK(dot == -5411);
  CHECK(std::ldexp(double(dot), -(fw.frac_bits + fa.frac_bits)) == -169.09375);
  // The widest lanes the DLA accepts: E3M2 × E3M2 at V = 64: 64 · 448² = 12845056 < 2^31, exact in int64.
  const std::vector<int16_t> big(64, 448);
  CHECK(hw::vector_dot(big.data(), big.data(), 64) == 12845056);
}
