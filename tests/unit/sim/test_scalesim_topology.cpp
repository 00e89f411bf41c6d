// SCALE-Sim topology import: both forms, the v3 Sparsity column, trailing commas and spaces, the header
// sniff in load_layer_table, and errors naming file, line and column.
#include <catch2/catch.hpp>

#include "sim/input_error.hpp"
#include "sim/workload/layer_table.hpp"
#include "sim/workload/scalesim_topology.hpp"

using namespace dlasim;
using Catch::Contains;

namespace {
std::string data(const std::string& name) { return std::string(DLASIM_SOURCE_DIR) + "/tests/data/scalesim/" + name; }
const std::string kConvHeader =
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n";
}  // namespace

TEST_CASE("scalesim: the conv form becomes conv rows with pad 0 on the pre-padded IFMAP and relu 0") {
  const auto layers = sim::load_layer_table(data("conv.csv"));  // sniffed from the header
  REQUIRE(layers.size() == 4);
  const sim::LayerSpec& c1 = layers[0];
  CHECK(c1.name == "Conv1");
  CHECK(c1.type == "conv");
  CHECK((c1.shape.in_h == 18 && c1.shape.in_w == 18 && c1.shape.in_c == 16 && c1.shape.out_c == 32));
  CHECK((c1.shape.kernel_h == 3 && c1.shape.kernel_w == 3 && c1.shape.stride == 2 && c1.shape.pad == 0));
  CHECK_FALSE(c1.relu);
  // floor((18 - 3) / 2) + 1 = 8; SCALE-Sim's ceil((18 - 3 + 2) / 2) = 9 counts one more partial window.
  CHECK(c1.shape.out_h() == 8);
  CHECK(c1.shape.macs() == 8 * 8 * 32 * 9 * 16);
  CHECK(layers[1].name == "Conv2");  // spaces around cells are trimmed
  CHECK(layers[1].shape.out_h() == 8);
  // "DP" in the name: SCALE-Sim's depthwise layer, one single-channel conv per channel.
  CHECK(layers[2].type == "dwconv");
  CHECK(layers[2].shape.groups == 24);
  CHECK(layers[2].shape.out_c == 24);
  CHECK(layers[2].shape.macs() == 8 * 8 * 24 * 9);
  CHECK(layers[3].shape.macs() == 256 * 40);
}

TEST_CASE("scalesim: the GEMM form M, N, K is a gemm with M rows, N outputs, reduction over K") {
  const auto layers = sim::load_layer_table(data("gemm.csv"));
  REQUIRE(layers.size() == 2);
  CHECK(layers[0].type == "gemm");
  CHECK((layers[0].shape.in_h == 16 && layers[0].shape.in_c == 32 && layers[0].shape.out_c == 96));
  CHECK(layers[0].shape.out_h() == 16);
  CHECK(layers[0].shape.macs() == 16 * 96 * 32);
  CHECK(layers[1].shape.macs() == 8 * 64 * 48);  // no trailing comma on the last row
  CHECK_FALSE(layers[1].relu);
}

TEST_CASE("scalesim: two stride columns and the v3 Sparsity column (read, checked, ignored)") {
  const auto layers = sim::load_layer_table(data("conv_v3.csv"));
  REQUIRE(layers.size() == 3);
  CHECK(layers[0].shape.stride == 2);
  CHECK(layers[0].shape.out_h() == 4);
  CHECK(layers[0].shape.macs() == 4 * 4 * 16 * 9 * 8);  // dense: 2:4 sparsity does not change the MACs
  CHECK(layers[2].shape.macs() == 7 * 7 * 8 * 16);
  const auto g = sim::parse_scalesim_topology("Layer, M, N, K, Sparsity,\ng, 4, 8, 16, 1:2,\nh, 4, 8, 16,\n", "s.csv");
  CHECK(g.size() == 2);
}

TEST_CASE("scalesim: the header sniff tells the two formats apart") {
  CHECK(sim::is_scalesim_topology("# c\n\nLayer name, IFMAP Height\n"));
  CHECK(sim::is_scalesim_topology("Layer, M, N, K,\n"));
  CHECK(sim::is_scalesim_topology("layer,m,n,k\n"));
  CHECK_FALSE(sim::is_scalesim_topology("name,type,in_h,in_w,in_c,out_c,kernel_h,kernel_w,stride,pad,relu\n"));
  CHECK_FALSE(sim::is_scalesim_topology(""));
}

TEST_CASE("scalesim: bad rows are errors naming file, line, column number and name") {
  CHECK_THROWS_WITH(sim::load_layer_table(data("bad_conv.csv")),
                    Contains("bad_conv.csv:3:3: column 'IFMAP Width': expected an integer in [1, 1048576], got \"ten\""));
  CHECK_THROWS_WITH(sim::parse_scalesim_topology(kConvHeader + "c, 8, 8, 3, 3, 4, 0, 1,\n", "s.csv"),
                    Contains("s.csv:2:7: column 'Num Filter': expected an integer in [1, 1048576], got \"0\""));
  CHECK_THROWS_WITH(sim::parse_scalesim_topology(kConvHeader + "c, 2, 8, 3, 3, 4, 4, 1,\n", "s.csv"),
                    Contains("s.csv:2:4: column 'Filter Height': the filter height 3 exceeds the IFMAP height 2"));
  CHECK_THROWS_WITH(sim::parse_scalesim_topology(kConvHeader + "c, 8, 8, 3, 3, 4, 4,\n", "s.csv"),
                    Contains("s.csv:2: expected 8 columns, got 7"));
  CHECK_THROWS_WITH(sim::parse_scalesim_topology(kConvHeader + "c, 8, 8, 3, 3, 4, 4, 1,\nc, 8, 8, 3, 3, 4, 4, 1,\n", "s.csv"),
                    Contains("s.csv:3:1: column 'Layer name': layer \"c\" appears twice"));
  CHECK_THROWS_WITH(sim::parse_scalesim_topology(kConvHeader + ", 8, 8, 3, 3, 4, 4, 1,\n", "s.csv"),
                    Contains("s.csv:2:1: column 'Layer name': expected a non-empty name"));
  CHECK_THROWS_WITH(
      sim::parse_scalesim_topology("Layer name,IFMAP height,IFMAP width,Filter height,Filter width,Channels,Num filter,"
                                   "Stride height,Stride width,\nc,8,8,3,3,4,4,1,2,\n",
                                   "s.csv"),
      Contains("s.csv:2:9: column 'Stride width': dlasim has one stride for both axes"));
  CHECK_THROWS_WITH(sim::parse_scalesim_topology("Layer, M, N, K, Sparsity,\ng, 4, 8, 16, 3:2,\n", "s.csv"),
                    Contains("s.csv:2:5: column 'Sparsity': expected N:M with N <= M (or empty), got \"3:2\""));
  CHECK_THROWS_WITH(sim::parse_scalesim_topology("Layer, M, N, K,\ng, 4, 8, -16,\n", "s.csv"),
                    Contains("s.csv:2:4: column 'K': expected an integer"));
  CHECK_THROWS_WITH(sim::parse_scalesim_topology("Layer, M, N,\n", "s.csv"),
                    Contains("s.csv:1: not a SCALE-Sim topology header"));
  CHECK_THROWS_WITH(sim::parse_scalesim_topology("Layer, M, N, K,\n", "s.csv"), Contains("header but no layers"));
  CHECK_THROWS_WITH(sim::parse_scalesim_topology("", "s.csv"), Contains("empty SCALE-Sim topology"));
}
