// Sweep files: parsing, axis expansion (product and zip, order), point ids, validation errors, merge tables.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "sim/input_error.hpp"
#include "sim/sweep/sweep_run.hpp"
#include "sim/sweep/sweep_spec.hpp"

namespace {

using namespace dlasim::sim;

SweepSpec parse(const std::string& text) { return parse_sweep_text(text, "s.yaml", "/sweeps"); }

std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const InputError& e) {
    return e.what();
  }
  FAIL("expected an InputError for:\n" << text);
  return "";
}

std::vector<std::string> ids(const std::vector<SweepPoint>& points) {
  std::vector<std::string> out;
  for (const SweepPoint& p : points) out.push_back(p.id);
  return out;
}

}  // namespace

TEST_CASE("sweep: the product of the axes in file order, the last axis fastest") {
  const SweepSpec s = parse("name: t\nbase: ../default.yaml\naxes:\n  arch.lanes: [8, 16]\n  quant.weights.bits: [4, 6, 8]\n");
  CHECK(s.name == "t");
  CHECK(s.base == "/default.yaml");
  CHECK(s.keys == std::vector<std::string>{"arch.lanes", "quant.weights.bits"});
  const auto points = expand_points(s);
  CHECK(ids(points) == std::vector<std::string>{"p000-8_4", "p001-8_6", "p002-8_8", "p003-16_4", "p004-16_6",
                                                "p005-16_8"});
  CHECK(points[4].overrides() == std::vector<std::string>{"arch.lanes=16", "quant.weights.bits=6"});
  CHECK(points[4].index == 4);
}

TEST_CASE("sweep: a zip group advances its keys together and counts as one axis at its first key") {
  const SweepSpec s = parse(
      "base: b.yaml\naxes:\n  quant.weights.bits: [4, 8]\n  arch.lanes: [8, 16, 32]\n  quant.activations.bits: [5, 7]\n"
      "zip:\n  - [quant.weights.bits, quant.activations.bits]\n");
  CHECK(s.name == "s");
  REQUIRE(s.axes.size() == 2);
  CHECK(s.axes[0].keys == std::vector<std::string>{"quant.weights.bits", "quant.activations.bits"});
  const auto points = expand_points(s);
  CHECK(ids(points) == std::vector<std::string>{"p000-4_8_5", "p001-4_16_5", "p002-4_32_5", "p003-8_8_7",
                                                "p004-8_16_7", "p005-8_32_7"});
  CHECK(points[3].overrides() ==
        std::vector<std::string>{"quant.weights.bits=8", "arch.lanes=8", "quant.activations.bits=7"});
}

TEST_CASE("sweep: point ids pad the index to the largest index and sanitize values") {
  CHECK(point_id(7, 100, {"int4-v16", "a b/c"}) == "p007-int4-v16_a-b-c");
  CHECK(point_id(7, 1001, {"x"}) == "p0007-x");
  CHECK(point_id(0, 1, {std::string(80, 'v')}).size() == 5 + 60);
}

TEST_CASE("sweep: bad sweep files name the file, line and problem") {
  CHECK_THAT(error_of("axes:\n  arch.lanes: [8]\n"), Catch::Contains("s.yaml: base: missing"));
  CHECK_THAT(error_of("base: b.yaml\n"), Catch::Contains("s.yaml: axes: missing"));
  CHECK_THAT(error_of("base: b.yaml\naxes:\n  arch.lane: [8]\n"),
             Catch::Contains("s.yaml:3:3: axes.arch.lane: unknown key (did you mean arch.lanes?)"));
  CHECK_THAT(error_of("base: b.yaml\naxes:\n  arch.lanes: []\n"),
             Catch::Contains("axes.arch.lanes: expected a non-empty list"));
  CHECK_THAT(error_of("base: b.yaml\naxes:\n  arch.lanes: [8, 8]\n"), Catch::Contains("listed twice"));
  CHECK_THAT(error_of("base: b.yaml\naxes:\n  arch.lanes: [8, 8]\n  arch.pes: [2, 2]\nzip:\n  - [arch.lanes, arch.pes]\n"),
             Catch::Contains("point 1 of the group repeats an earlier point"));
  CHECK(parse_sweep_text("base: b.yaml\naxes:\n  arch.lanes: [8, 8]\n  arch.pes: [2, 4]\nzip:\n  - [arch.lanes, arch.pes]\n",
                         "s.yaml", ".").axes.at(0).values.size() == 2);  // a zipped key may repeat a value
  CHECK_THAT(error_of("base: b.yaml\naxes:\n  arch.lanes: [8, 16]\n  arch.pes: [1, 2, 4]\nzip:\n  - [arch.lanes, arch.pes]\n"),
             Catch::Contains("s.yaml:6:5: zip: axes.arch.pes has 3 values but axes.arch.lanes has 2"));
  CHECK_THAT(error_of("base: b.yaml\naxes:\n  arch.lanes: [8]\nzip:\n  - [arch.lanes, arch.pes]\n"),
             Catch::Contains("zip: \"arch.pes\" is not a key of axes"));
  CHECK_THAT(error_of("base: b.yaml\naxes:\n  arch.lanes: [8]\nbogus: 1\n"),
             Catch::Contains("s.yaml:4:1: bogus: unknown key"));
}

TEST_CASE("sweep: an invalid value is reported with the sweep file, axis and value before anything runs") {
  SweepSpec s = parse_sweep_text("base: ../configs/default.yaml\naxes:\n  arch.lanes: [8, 16]\n  quant.weights.bits: [4, 9]\n",
                                 "sw.yaml", DLASIM_SOURCE_DIR "/tests");
  try {
    validate_points(s, expand_points(s));
    FAIL("expected an InputError");
  } catch (const InputError& e) {
    const std::string m = e.what();
    CHECK(m == "sw.yaml:4:27: axis quant.weights.bits value 9: quant.weights.bits: expected an integer in [2, 8], got \"9\"");
  }
}

TEST_CASE("sweep: merged table rows in point order with empty results for failed points") {
  const SweepSpec s = parse("base: b.yaml\naxes:\n  arch.lanes: [8, 16]\n");
  const auto points = expand_points(s);
  std::vector<PointRecord> records(2);
  records[0].status = "failed";
  records[0].exit_code = 1;
  records[1].status = "failed";
  records[1].signal = 11;
  const std::string csv = sweep_csv(s, points, records, "/nonexistent");
  CHECK_THAT(csv, Catch::StartsWith("index,id,arch.lanes,status,exit_code,design_label,design_cycles,"));
  CHECK_THAT(csv, Catch::EndsWith("\n0,p000-8,8,failed,1,,,,,,,,,,,,,,,,\n1,p001-16,16,failed,,,,,,,,,,,,,,,,,\n"));
}
