// Layer-table parsing: shapes, and errors that name the line and column.
#include <catch2/catch.hpp>

#include "sim/input_error.hpp"
#include "sim/workload/layer_table.hpp"

using namespace dlasim;

namespace {
const std::string kHeader = "name,type,in_h,in_w,in_c,out_c,kernel_h,kernel_w,stride,pad,relu\n";
const std::string kGroupsHeader = "name,type,in_h,in_w,in_c,out_c,kernel_h,kernel_w,stride,pad,relu,groups\n";
}

TEST_CASE("layer table: conv and fc rows give the shapes and output sizes") {
  const auto layers = sim::parse_layer_table(
      "# comment\n\n" + kHeader + "c1,conv,16,16,16,32,3,3,2,1,1\nfc,fc,1,1,1024,100,1,1,1,0,0\n", "t.csv");
  REQUIRE(layers.size() == 2);
  CHECK(layers[0].shape.out_h() == 8);  // (16 + 2 - 3) / 2 + 1
  CHECK(layers[0].shape.out_w() == 8);
  CHECK(layers[0].shape.macs() == 8 * 8 * 32 * 9 * 16);
  CHECK(layers[0].relu);
  CHECK(layers[1].shape.macs() == 1024 * 100);
  CHECK_FALSE(layers[1].relu);
}

TEST_CASE("layer table: the optional groups column, its defaults and the dwconv type") {
  const auto layers = sim::parse_layer_table(kGroupsHeader +
                                                 "g4,conv,8,8,32,64,3,3,1,1,1,4\n"
                                                 "plain,conv,8,8,32,64,3,3,1,1,1\n"
                                                 "empty,conv,8,8,32,64,3,3,1,1,1,\n"
                                                 "dw,dwconv,8,8,32,32,3,3,2,1,1\n"
                                                 "dw_given,dwconv,8,8,32,32,3,3,1,1,0,32\n"
                                                 "fc,fc,1,1,64,16,1,1,1,0,0,2\n",
                                             "t.csv");
  REQUIRE(layers.size() == 6);
  CHECK(layers[0].shape.groups == 4);
  CHECK(layers[0].shape.group_in_c() == 8);
  CHECK(layers[0].shape.group_out_c() == 16);
  CHECK(layers[0].shape.macs() == 8 * 8 * 64 * 9 * 8);
  CHECK(layers[1].shape.groups == 1);  // row without the cell
  CHECK(layers[2].shape.groups == 1);  // empty cell
  CHECK(layers[3].type == "dwconv");
  CHECK(layers[3].shape.groups == 32);
  CHECK(layers[3].shape.group_in_c() == 1);
  CHECK(layers[3].shape.macs() == 4 * 4 * 32 * 9);
  CHECK(layers[4].shape.groups == 32);
  CHECK(layers[5].shape.groups == 2);
  CHECK(layers[5].shape.macs() == 16 * 32);
  // Without the groups column in the header: dwconv still means groups = in_c, conv means 1.
  const auto plain = sim::parse_layer_table(kHeader + "dw,dwconv,4,4,8,8,3,3,1,1,1\nc,conv,4,4,8,8,1,1,1,0,1\n", "t.csv");
  CHECK(plain[0].shape.groups == 8);
  CHECK(plain[1].shape.groups == 1);
}

TEST_CASE("layer table: bad groups are errors naming file, line and column") {
  using Catch::Contains;
  CHECK_THROWS_WITH(sim::parse_layer_table(kGroupsHeader + "c,conv,8,8,32,64,3,3,1,1,1,4\ng,conv,8,8,30,64,3,3,1,1,1,4\n", "t.csv"),
                    Contains("t.csv:3: column 'groups': 4 groups must divide in_c = 30 and out_c = 64"));
  CHECK_THROWS_WITH(sim::parse_layer_table(kGroupsHeader + "g,conv,8,8,32,36,3,3,1,1,1,8\n", "t.csv"),
                    Contains("t.csv:2: column 'groups': 8 groups must divide in_c = 32 and out_c = 36"));
  CHECK_THROWS_WITH(sim::parse_layer_table(kGroupsHeader + "g,conv,8,8,32,32,3,3,1,1,1,0\n", "t.csv"),
                    Contains("t.csv:2: column 'groups': expected an integer in [1, 1048576], got \"0\""));
  CHECK_THROWS_WITH(sim::parse_layer_table(kGroupsHeader + "g,conv,8,8,32,32,3,3,1,1,1,two\n", "t.csv"),
                    Contains("t.csv:2: column 'groups': expected an integer"));
  CHECK_THROWS_WITH(sim::parse_layer_table(kGroupsHeader + "d,dwconv,8,8,32,64,3,3,1,1,1\n", "t.csv"),
                    Contains("t.csv:2: column 'out_c': a dwconv layer needs out_c = in_c = 32, got 64"));
  CHECK_THROWS_WITH(sim::parse_layer_table(kGroupsHeader + "d,dwconv,8,8,32,32,3,3,1,1,1,4\n", "t.csv"),
                    Contains("t.csv:2: column 'groups': a dwconv layer has groups = in_c = 32, got 4"));
  // A groups cell needs the groups column in the header; a row may not have more cells than the header.
  CHECK_THROWS_WITH(sim::parse_layer_table(kHeader + "g,conv,8,8,32,32,3,3,1,1,1,4\n", "t.csv"),
                    Contains("t.csv:2: expected 11 columns, got 12"));
  CHECK_THROWS_WITH(sim::parse_layer_table(kGroupsHeader + "g,conv,8,8,32,32,3,3,1,1,1,4,1\n", "t.csv"),
                    Contains("t.csv:2: expected 11 or 12 columns, got 13"));
  CHECK_THROWS_WITH(sim::parse_layer_table(kGroupsHeader + "g,conv,8,8,32,32,3,3,1,1\n", "t.csv"),
                    Contains("t.csv:2: expected 11 or 12 columns, got 10"));
  CHECK_THROWS_WITH(sim::parse_layer_table("name,type,in_h,in_w,in_c,out_c,kernel_h,kernel_w,stride,pad,relu,group\n",
                                           "t.csv"),
                    Contains("t.csv:1: expected the header"));
}

TEST_CASE("layer table: malformed rows are errors naming file, line and column") {
  using Catch::Contains;
  CHECK_THROWS_WITH(sim::parse_layer_table(kHeader + "c1,conv,16,16,0,32,3,3,1,1,1\n", "t.csv"),
                    Contains("t.csv:2: column 'in_c': expected an integer in [1, 1048576], got \"0\""));
  CHECK_THROWS_WITH(sim::parse_layer_table(kHeader + "c1,pool,16,16,8,32,3,3,1,1,1\n", "t.csv"),
                    Contains("t.csv:2: column 'type': expected conv, dwconv, fc, gemm, attn_qk or attn_pv, got \"pool\""));
  CHECK_THROWS_WITH(sim::parse_layer_table(kHeader + "c1,conv,16,16,8,32,3,3,1,1\n", "t.csv"),
                    Contains("t.csv:2: expected 11 columns, got 10"));
  CHECK_THROWS_WITH(sim::parse_layer_table(kHeader + "c1,conv,2,2,8,32,5,5,1,0,1\n", "t.csv"),
                    Contains("kernel does not fit"));
  CHECK_THROWS_WITH(sim::parse_layer_table(kHeader + "f,fc,2,1,8,32,1,1,1,0,0\n", "t.csv"),
                    Contains("an fc layer needs"));
  CHECK_THROWS_WITH(sim::parse_layer_table(kHeader + "a,conv,4,4,8,8,1,1,1,0,1\na,conv,4,4,8,8,1,1,1,0,1\n", "t.csv"),
                    Contains("t.csv:3: column 'name': layer \"a\" appears twice"));
  CHECK_THROWS_WITH(sim::parse_layer_table("name,type\n", "t.csv"), Contains("t.csv:1: expected the header"));
  CHECK_THROWS_WITH(sim::parse_layer_table("", "t.csv"), Contains("empty layer table"));
  CHECK_THROWS_WITH(sim::parse_layer_table(kHeader, "t.csv"), Contains("no layers"));
  CHECK_THROWS_AS(sim::load_layer_table("/no/such/file.csv"), sim::InputError);
}

TEST_CASE("layer table: traces/resnet50.csv is ResNet-50 v1.5 at 224x224 (54 layers, 4.089 G MACs)") {
  const std::vector<sim::LayerSpec> layers = sim::load_layer_table(std::string(DLASIM_SOURCE_DIR) + "/traces/resnet50.csv");
  REQUIRE(layers.size() == 54);  // conv1, 16 bottlenecks x 3 convs, 4 projections, fc
  int64_t macs = 0;
  for (const sim::LayerSpec& l : layers) macs += l.shape.macs();
  CHECK(macs == 4089184256);  // 4.09 G MACs, the usual "4.1 GFLOPs" (multiply-adds) of ResNet-50
  CHECK(layers.front().shape.out_h() == 112);
  CHECK(layers[layers.size() - 2].shape.out_h() == 7);  // layer4.2.conv3 at 7x7
  CHECK(layers.back().shape.in_c == 2048);
  CHECK(layers.back().shape.out_c == 1000);
}

TEST_CASE("layer table: traces/mobilenet_block.csv is a MobileNetV2 stride-2 block plus a ResNeXt grouped conv") {
  const std::vector<sim::LayerSpec> layers =
      sim::load_layer_table(std::string(DLASIM_SOURCE_DIR) + "/traces/mobilenet_block.csv");
  REQUIRE(layers.size() == 4);
  CHECK(layers[0].shape.macs() == int64_t{112} * 112 * 96 * 16);  // 1x1 expand 16 -> 96
  CHECK(layers[1].type == "dwconv");
  CHECK(layers[1].shape.groups == 96);
  CHECK(layers[1].shape.out_h() == 56);
  CHECK(layers[1].shape.macs() == int64_t{56} * 56 * 96 * 9);      // 3x3 depthwise, stride 2
  CHECK(layers[2].shape.macs() == int64_t{56} * 56 * 24 * 96);     // 1x1 project 96 -> 24
  CHECK(layers[3].shape.groups == 32);
  CHECK(layers[3].shape.group_in_c() == 4);
  CHECK(layers[3].shape.macs() == int64_t{56} * 56 * 128 * 9 * 4);  // 3x3, 32 groups of 4 channels
}

TEST_CASE("layer table: gemm, attn_qk and attn_pv rows are 1x1 convolutions over M rows", "[attention]") {
  // gemm 8x32 · (32 -> 24); attn_qk H = 2, M = 8, N = 6, d = 16; attn_pv H = 2, M = 8, N = 6, d = 16.
  const auto layers = sim::parse_layer_table(kGroupsHeader +
                                                 "proj,gemm,8,1,32,24,1,1,1,0,1\n"
                                                 "proj_g1,gemm,8,1,32,24,1,1,1,0,0,1\n"
                                                 "qk,attn_qk,8,1,32,12,1,1,1,0,0,2\n"
                                                 "pv,attn_pv,8,1,12,32,1,1,1,0,0,2\n",
                                             "t.csv");
  REQUIRE(layers.size() == 4);
  const hw::ConvShape& g = layers[0].shape;
  CHECK(g.out_pixels() == 8);  // M rows
  CHECK(g.groups == 1);
  CHECK(g.macs() == 8 * 32 * 24);  // M·K·N
  CHECK(layers[0].relu);
  CHECK_FALSE(layers[0].is_attention());
  CHECK(layers[0].attention().heads == 0);
  CHECK(layers[1].shape.groups == 1);

  const sim::LayerSpec& qk = layers[2];
  CHECK(qk.is_attention());
  CHECK_FALSE(qk.relu);
  const sim::AttentionDims q = qk.attention();
  CHECK((q.heads == 2 && q.queries == 8 && q.keys == 6 && q.head_dim == 16));
  CHECK(qk.shape.group_in_c() == 16);   // reduction over d
  CHECK(qk.shape.group_out_c() == 6);   // one output channel per key
  CHECK(qk.shape.out_pixels() == 8);
  CHECK(qk.shape.macs() == q.heads * q.queries * q.keys * q.head_dim);  // H·M·N·d

  const sim::LayerSpec& pv = layers[3];
  const sim::AttentionDims p = pv.attention();
  CHECK((p.heads == 2 && p.queries == 8 && p.keys == 6 && p.head_dim == 16));
  CHECK(pv.shape.group_in_c() == 6);    // reduction over the keys
  CHECK(pv.shape.group_out_c() == 16);  // one output channel per head dimension
  CHECK(pv.shape.macs() == p.heads * p.queries * p.keys * p.head_dim);

  // gemm needs no groups column.
  const auto plain = sim::parse_layer_table(kHeader + "y,gemm,128,1,768,3072,1,1,1,0,1\n", "t.csv");
  CHECK(plain[0].shape.macs() == int64_t{128} * 768 * 3072);
}

TEST_CASE("layer table: bad gemm and attention rows are errors naming file, line and column", "[attention]") {
  using Catch::Contains;
  const auto err = [](const std::string& rows) {
    try {
      sim::parse_layer_table(kGroupsHeader + rows, "a.csv");
    } catch (const sim::InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  // The fixed geometry columns, each named.
  CHECK_THAT(err("y,gemm,8,2,32,24,1,1,1,0,0\n"),
             Contains("a.csv:2: column 'in_w': a gemm layer needs in_w = 1 (the M rows are in in_h), got 2"));
  CHECK_THAT(err("y,gemm,8,1,32,24,1,1,1,0,0\ns,attn_qk,8,1,32,12,3,1,1,0,0,2\n"),
             Contains("a.csv:3: column 'kernel_h': an attn_qk layer needs kernel_h = 1"));
  CHECK_THAT(err("s,attn_qk,8,1,32,12,1,3,1,0,0,2\n"), Contains("a.csv:2: column 'kernel_w'"));
  CHECK_THAT(err("s,attn_pv,8,1,12,32,1,1,2,0,0,2\n"), Contains("a.csv:2: column 'stride': an attn_pv layer needs stride = 1"));
  CHECK_THAT(err("s,attn_pv,8,1,12,32,1,1,1,1,0,2\n"), Contains("a.csv:2: column 'pad': an attn_pv layer needs pad = 0"));
  // No activation on the attention GEMMs.
  CHECK_THAT(err("s,attn_qk,8,1,32,12,1,1,1,0,1,2\n"),
             Contains("a.csv:2: column 'relu': an attn_qk layer has relu = 0 (no activation; softmax is not modelled)"));
  // Heads: required, and they must divide H·d and H·N.
  CHECK_THAT(err("s,attn_qk,8,1,32,12,1,1,1,0,0\n"),
             Contains("a.csv:2: column 'groups': an attn_qk layer needs the number of heads H in the groups column"));
  CHECK_THAT(err("s,attn_pv,8,1,12,32,1,1,1,0,0,\n"), Contains("a.csv:2: column 'groups': an attn_pv layer needs"));
  CHECK_THAT(err("s,attn_qk,8,1,32,12,1,1,1,0,0,3\n"),
             Contains("a.csv:2: column 'groups': H = 3 heads must divide in_c = H·d = 32 and out_c = H·N = 12"));
  CHECK_THAT(err("s,attn_pv,8,1,12,30,1,1,1,0,0,4\n"),
             Contains("a.csv:2: column 'groups': H = 4 heads must divide in_c = H·N = 12 and out_c = H·d = 30"));
  CHECK_THAT(err("s,attn_pv,8,1,12,32,1,1,1,0,0,0\n"), Contains("a.csv:2: column 'groups': expected an integer in [1,"));
  CHECK_THAT(err("y,gemm,8,1,32,24,1,1,1,0,0,2\n"), Contains("a.csv:2: column 'groups': a gemm layer has groups = 1, got 2"));
  CHECK_THAT(err("y,gemm,0,1,32,24,1,1,1,0,0\n"), Contains("a.csv:2: column 'in_h': expected an integer in [1,"));
  // Without the groups column in the header an attention row cannot name its heads.
  CHECK_THROWS_WITH(sim::parse_layer_table(kHeader + "s,attn_qk,8,1,32,12,1,1,1,0,0\n", "a.csv"),
                    Contains("a.csv:2: column 'groups': an attn_qk layer needs the number of heads"));
}

TEST_CASE("layer table: traces/tiny_attention.csv has the documented shapes and closed-form MACs", "[attention]") {
  const std::vector<sim::LayerSpec> layers =
      sim::load_layer_table(std::string(DLASIM_SOURCE_DIR) + "/traces/tiny_attention.csv");
  REQUIRE(layers.size() == 6);
  const sim::AttentionDims self = layers[1].attention(), self_pv = layers[2].attention();
  CHECK((self.heads == 2 && self.queries == 8 && self.keys == 8 && self.head_dim == 16));
  CHECK((self_pv.heads == 2 && self_pv.queries == 8 && self_pv.keys == 8 && self_pv.head_dim == 16));
  CHECK(layers[1].type == "attn_qk");
  CHECK(layers[2].type == "attn_pv");
  CHECK(layers[3].attention().keys == 24);
  CHECK(layers[4].attention().keys == 24);
  for (const sim::LayerSpec& l : layers) {
    if (!l.is_attention()) continue;
    const sim::AttentionDims a = l.attention();
    CHECK(l.shape.macs() == a.heads * a.queries * a.keys * a.head_dim);
  }
  CHECK(layers[0].shape.macs() == 8 * 32 * 32);
  CHECK(layers[5].shape.macs() == 8 * 32 * 64);
  CHECK(layers[5].relu);
}

TEST_CASE("layer table: traces/bert_base_encoder.csv is one BERT-base encoder layer at 128 tokens (931 M MACs)",
          "[attention]") {
  const std::vector<sim::LayerSpec> layers =
      sim::load_layer_table(std::string(DLASIM_SOURCE_DIR) + "/traces/bert_base_encoder.csv");
  REQUIRE(layers.size() == 8);
  const int64_t L = 128, hidden = 768, H = 12, d = 64, ffn = 3072;
  const int64_t proj = L * hidden * hidden;
  const int64_t expected[] = {proj, proj, proj, H * L * L * d, H * L * L * d, proj, L * hidden * ffn, L * ffn * hidden};
  int64_t macs = 0;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    CHECK(layers[i].shape.macs() == expected[i]);
    macs += layers[i].shape.macs();
  }
  CHECK(macs == 931135488);  // 4·L·h² + 2·L²·h + 2·L·h·ffn
  CHECK(macs == 4 * L * hidden * hidden + 2 * L * L * hidden + 2 * L * hidden * ffn);
  for (int i : {3, 4}) {
    const sim::AttentionDims a = layers[i].attention();
    CHECK((a.heads == H && a.queries == L && a.keys == L && a.head_dim == d));
  }
  CHECK(layers[3].type == "attn_qk");
  CHECK(layers[4].type == "attn_pv");
  CHECK(layers[6].relu);  // GELU modelled as ReLU
  CHECK_FALSE(layers[7].relu);
}
