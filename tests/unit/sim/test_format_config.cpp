// The quant.*.format config key (sim/config/params.cpp cross_field_issues, sim/config/operand_format.hpp):
// formats the lanes cannot take, vector sizes that do not match the lanes, integer and floating per-vector
// scales mixed, a rounded scale product with floating scales, malformed names; and the specs the run builds
// from the key (code padding of per-tensor/per-channel formats follows arch.vector_size).
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "quant/format.hpp"
#include "sim/config/load.hpp"
#include "sim/config/operand_format.hpp"
#include "sim/config/params.hpp"

using namespace dlasim;
using namespace dlasim::sim;

namespace {

Config load(const std::string& text, const std::vector<std::string>& sets = {}) {
  return load_config_text(text, "test.yaml", "/cfg", sets);
}

// The messages of the ConfigError that loading `text` must throw.
std::vector<std::string> errors_of(const std::string& text, const std::vector<std::string>& sets = {}) {
  try {
    load(text, sets);
  } catch (const ConfigError& e) {
    return e.messages();
  }
  FAIL("expected a ConfigError for:\n" << text);
  return {};
}

// The cross-field issues of a Config with the two formats and arch.vector_size set.
std::vector<ConfigIssue> issues_of(const std::string& weights, const std::string& activations, int vector_size,
                                   int scale_product_bits = 0) {
  Config c;
  c.quant.weights.format = weights;
  c.quant.activations.format = activations;
  c.arch.vector_size = vector_size;
  c.arch.scale_product_bits = scale_product_bits;
  return validate_config(c);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("format config: block and floating-scale formats that fit the lanes are valid", "[config][formats]") {
  CHECK(issues_of("mxfp4", "mxfp4", 32).empty());
  CHECK(issues_of("mxfp6_e3m2", "mxfp6_e2m3", 32).empty());
  CHECK(issues_of("mxint8", "mxint8", 32).empty());
  CHECK(issues_of("nvfp4", "nvfp4", 16).empty());
  CHECK(issues_of("int4-v16", "int4-v16", 16).empty());
  // A floating per-vector operand with a per-channel / per-tensor one: the scale unit is floating.
  CHECK(issues_of("int8-pc", "mxfp4", 32).empty());
  CHECK(issues_of("mxfp4", "int8", 32).empty());
  // The YAML form.
  const Config c = load("arch:\n  vector_size: 32\nquant:\n  weights:\n    format: mxfp4\n  activations:\n    format: mxfp4\n");
  CHECK(c.quant.weights.format == "mxfp4");
}

TEST_CASE("format config: an FP8 element is an issue on its format key mentioning the lanes", "[config][formats]") {
  for (const char* name : {"mxfp8_e4m3", "mxfp8_e5m2", "fp8_e4m3-pc"}) {
    INFO(name);
    const auto issues = issues_of(name, "mxfp4", 32);
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].key == "quant.weights.format");
    CHECK(contains(issues[0].message, "MAC lanes"));
    CHECK(contains(issues[0].message, "fp8_e"));
  }
  const auto act = issues_of("mxfp4", "mxfp8_e4m3", 32);
  REQUIRE(act.size() == 1);
  CHECK(act[0].key == "quant.activations.format");
  // Through the loader: file, line and column of the key.
  const auto errors = errors_of("arch:\n  vector_size: 32\nquant:\n  weights:\n    format: mxfp8_e4m3\n");
  REQUIRE(errors.size() == 1);
  CHECK(contains(errors[0], "test.yaml:5:13: quant.weights.format: element fp8_e4m3: the MAC lanes multiply "
                            "16-bit aligned significands"));
}

TEST_CASE("format config: a format's vector size other than arch.vector_size is an issue naming both",
          "[config][formats]") {
  const auto issues = issues_of("mxfp4", "mxfp4", 16);
  REQUIRE(issues.size() == 2);
  CHECK(issues[0].key == "quant.weights.format");
  CHECK(issues[0].related_keys == std::vector<std::string>{"arch.vector_size"});
  CHECK(issues[0].message == "format mxfp4 scales vectors of 32 elements; the MAC lanes take arch.vector_size = 16");
  CHECK(issues[1].key == "quant.activations.format");
  // An explicit v<V> counts too, on either operand.
  const auto v8 = issues_of("nvfp4", "int4-v8", 16);
  REQUIRE(v8.size() == 1);
  CHECK(v8[0].key == "quant.activations.format");
  CHECK(v8[0].message == "format int4-v8 scales vectors of 8 elements; the MAC lanes take arch.vector_size = 16");
  CHECK(issues_of("mxfp4-v16", "mxfp4-v16", 16).empty());
}

TEST_CASE("format config: floating per-vector scales on one operand and two-level integer scales on the other "
          "are an issue", "[config][formats]") {
  const std::string expected = "one operand has floating per-vector scales (fp32, MX or NVFP4) and the other integer "
                               "two-level scale codes; the scale unit handles one kind";
  for (const auto& [w, a] : std::vector<std::pair<std::string, std::string>>{
           {"mxfp4", "int4-v32-s6"}, {"int4-v32-s4", "mxfp4"}, {"int4-v32", "int4-v32-s4"}}) {
    INFO(w << " x " << a);
    const auto issues = issues_of(w, a, 32);
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].key == "quant.weights.format");
    CHECK(issues[0].related_keys == std::vector<std::string>{"quant.activations.format"});
    CHECK(issues[0].message == expected);
  }
  // `auto` activations of the default config are two-level per-vector (4 bits, scale_bits 6).
  const auto errors = errors_of("arch:\n  vector_size: 32\nquant:\n  weights:\n    format: mxfp4\n");
  REQUIRE(errors.size() == 1);
  CHECK(contains(errors[0], expected));
}

TEST_CASE("format config: scale_product_bits other than 0 with floating scales is an issue", "[config][formats]") {
  const auto issues = issues_of("mxfp4", "mxfp4", 32, 4);
  REQUIRE_FALSE(issues.empty());
  CHECK(issues[0].key == "arch.scale_product_bits");
  CHECK(issues[0].message == "expected 0 with floating per-vector scales (the scale product is not rounded), got 4");
  for (const ConfigIssue& i : issues) CHECK(i.key == "arch.scale_product_bits");
  // One floating operand is enough.
  const auto one = issues_of("int8-pc", "int4-v16", 16, 2);
  REQUIRE_FALSE(one.empty());
  CHECK(one[0].message == "expected 0 with floating per-vector scales (the scale product is not rounded), got 2");
}

TEST_CASE("format config: a malformed format name is an issue with the parser's message", "[config][formats]") {
  for (const char* name : {"mxfp5", "int4-v16-zz", "int4-s4", "int9", "mxfp4-pc"}) {
    INFO(name);
    std::string parser_message;
    try {
      quant::parse_format(name);
    } catch (const std::invalid_argument& e) {
      parser_message = e.what();
    }
    REQUIRE_FALSE(parser_message.empty());
    const auto issues = issues_of(name, "int8", 16);
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].key == "quant.weights.format");
    CHECK(issues[0].message == parser_message);
    CHECK(contains(issues[0].message, std::string("format '") + name + "'"));
  }
}

TEST_CASE("format config: operand_spec pads per-tensor and per-channel formats to arch.vector_size",
          "[config][formats]") {
  // The lanes step through the codes V = arch.vector_size at a time, so a format without per-vector scales
  // must be padded to that V (its vector_size is only the code padding of its QTensor).
  for (const char* name : {"int8-pc", "int8", "int4-pc", "fp4_e2m1", "int8_q6-pc"}) {
    INFO(name);
    OperandQuantConfig q;
    q.format = name;
    for (const int v : {8, 16, 32, 64}) {
      const quant::QuantSpec s = operand_spec(q, v);
      CHECK(s.vector_size == v);
      quant::QuantSpec parsed = quant::parse_format(name);
      CHECK(s == parsed);  // the same format otherwise
    }
  }
  // Per-vector formats keep their own V (a mismatch is a config issue, above).
  OperandQuantConfig mx;
  mx.format = "mxfp4";
  CHECK(operand_spec(mx, 16).vector_size == 32);
  OperandQuantConfig fp32;
  fp32.format = "int4-v16";
  CHECK(operand_spec(fp32, 32).vector_size == 16);
  // `auto` builds the spec from bits/granularity/scale_bits with V = arch.vector_size.
  OperandQuantConfig automatic{4, "per_vector", 6, "auto"};
  const quant::QuantSpec a = operand_spec(automatic, 32);
  CHECK(a.vector_size == 32);
  CHECK(a.scale_bits == 6);
  CHECK(operand_spec(mx, 32).float_vector_scales());
  CHECK_FALSE(a.float_vector_scales());
}

TEST_CASE("format config: unsigned_after_relu needs signed integer activation elements", "[config][formats]") {
  const auto errors = errors_of(
      "arch:\n  vector_size: 32\n  scale_product_bits: 0\nquant:\n  weights:\n    format: mxfp4\n  activations:\n"
      "    format: mxfp4\n    unsigned_after_relu: true\n");
  REQUIRE(errors.size() == 1);
  CHECK(contains(errors[0], "quant.activations.unsigned_after_relu: true needs signed integer activation elements"));
  CHECK(contains(errors[0], "got mxfp4"));
}
