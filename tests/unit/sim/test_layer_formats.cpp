// Per-layer format overrides (weights_format, act_format columns of the layer table): parsing, and the
// check that an override fits the design's MAC lanes.
#include <catch2/catch.hpp>

#include "sim/input_error.hpp"
#include "sim/run.hpp"
#include "sim/workload/layer_table.hpp"

using namespace dlasim;
using Catch::Contains;

namespace {
const std::string kHeader =
    "name,type,in_h,in_w,in_c,out_c,kernel_h,kernel_w,stride,pad,relu,groups,weights_format,act_format\n";
}

TEST_CASE("layer formats: the optional weights_format and act_format columns") {
  const auto layers = sim::parse_layer_table(kHeader +
                                                 "a,conv,8,8,16,16,3,3,1,1,1,1,int8-pc,int8\n"
                                                 "b,conv,8,8,16,16,3,3,1,1,1,1,,int4-v16-s6-ct\n"
                                                 "c,conv,8,8,16,16,3,3,1,1,1\n"
                                                 "d,conv,8,8,16,16,3,3,1,1,1,\n"
                                                 "e,conv,8,8,16,16,3,3,1,1,1,1,,\n",
                                             "t.csv");
  REQUIRE(layers.size() == 5);
  CHECK(layers[0].weights_format == "int8-pc");
  CHECK(layers[0].act_format == "int8");
  CHECK(layers[1].weights_format.empty());
  CHECK(layers[1].act_format == "int4-v16-s6-ct");
  for (int i : {2, 3, 4}) CHECK((layers[i].weights_format.empty() && layers[i].act_format.empty()));
  CHECK_THROWS_WITH(sim::parse_layer_table(kHeader + "a,conv,8,8,16,16,3,3,1,1,1,1,int9-pc,\n", "t.csv"),
                    Contains("t.csv:2: column 'weights_format': "));
  CHECK_THROWS_WITH(sim::parse_layer_table(kHeader + "a,conv,8,8,16,16,3,3,1,1,1,1,int8-pc\n", "t.csv"),
                    Contains("t.csv:2: expected 11, 12 or 14 columns, got 13"));
  // The format columns need the groups column before them.
  CHECK_THROWS_WITH(sim::parse_layer_table("name,type,in_h,in_w,in_c,out_c,kernel_h,kernel_w,stride,pad,relu,"
                                           "weights_format,act_format\n",
                                           "t.csv"),
                    Contains("t.csv:1: expected the header"));
}

TEST_CASE("layer formats: an override must fit the design's lanes (wider INT layers in sub-steps), else an error") {
  sim::Config c;  // default design: INT4 per-vector weights (4-bit scales) and activations (6-bit), V = 16
  c.workload.layers = "/t/layers.csv";
  const auto fits = sim::parse_layer_table(kHeader + "a,conv,8,8,16,16,3,3,1,1,1,1,int4-v16-s4-ct,\n", "t.csv");
  CHECK_NOTHROW(sim::check_layer_formats(c, fits));
  const sim::DesignQuant q = sim::layer_quant(sim::design_quant(c), fits[0], c.arch.vector_size);
  CHECK(quant::format_name(q.weights) == "int4-v16-s4-ct");
  CHECK(q.activations == sim::design_quant(c).activations);
  // INT8 per-channel / per-tensor first and last layers run on the INT4 lanes in 2 x 2 sub-steps, bypassing
  // the scale unit (hw/arith.hpp precision_steps, layer_arch).
  const auto int8 = sim::parse_layer_table(kHeader + "first,conv,8,8,16,16,3,3,1,1,1,1,int8-pc,int8\n", "t.csv");
  CHECK_NOTHROW(sim::check_layer_formats(c, int8));
  const auto scale = sim::parse_layer_table(kHeader + "s,conv,8,8,16,16,3,3,1,1,1,1,int4-v16-s6,\n", "t.csv");
  CHECK_THROWS_WITH(sim::check_layer_formats(c, scale),  // 6-bit weight scale codes on a 4-bit scale unit
                    Contains("/t/layers.csv: layer 's': formats W:int4-v16-s6/A:") &&
                        Contains("the scale unit takes 4 x 6-bit per-vector scale codes"));
  const auto mx = sim::parse_layer_table(kHeader + "m,conv,8,8,32,16,3,3,1,1,1,1,mxfp4,mxfp4\n", "t.csv");
  CHECK_THROWS_WITH(sim::check_layer_formats(c, mx), Contains("the lanes' scale unit is integer"));
  // An 8-bit design takes INT8 per-channel / per-tensor overrides.
  c.quant.weights = {8, "per_channel", 0, "auto"};
  c.quant.activations = {8, "per_tensor", 0, "auto"};
  CHECK_NOTHROW(sim::check_layer_formats(c, int8));
}
