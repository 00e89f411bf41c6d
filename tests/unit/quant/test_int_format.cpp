// Tests of the integer element formats (reference.md §1.2: narrow symmetric signed range).
#include <catch2/catch.hpp>

#include <stdexcept>

#include "quant/int_format.hpp"

using dlasim::quant::int_format;
using dlasim::quant::IntFormat;

TEST_CASE("int_format returns qmax = 2^(N-1)-1 and the name for every supported width",
          "[quant][int_format]") {
  // Hand table: N -> 2^(N-1)-1.
  const struct {
    int bits;
    int qmax;
    const char* name;
  } expected[] = {{2, 1, "int2"},  {3, 3, "int3"},  {4, 7, "int4"},  {5, 15, "int5"},
                  {6, 31, "int6"}, {7, 63, "int7"}, {8, 127, "int8"}};
  for (const auto& e : expected) {
    const IntFormat& f = int_format(e.bits);
    CHECK(f.bits == e.bits);
    CHECK(f.qmax == e.qmax);
    CHECK(f.name == e.name);
  }
}

TEST_CASE("int_format rejects widths outside 2..8 with invalid_argument naming the width",
          "[quant][int_format]") {
  for (int bits : {-1, 0, 1, 9, 16, 32}) {
    CHECK_THROWS_AS(int_format(bits), std::invalid_argument);
  }
  CHECK_THROWS_WITH(int_format(9), Catch::Contains("9") && Catch::Contains("2..8"));
  CHECK_THROWS_WITH(int_format(1), Catch::Contains("1") && Catch::Contains("bit width"));
}
