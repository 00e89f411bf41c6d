// Config loading, validation, overrides, resolved YAML and the generated reference (docs/config.md).
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "sim/config/load.hpp"
#include "sim/config/params.hpp"

namespace {

using namespace dlasim::sim;
namespace fs = std::filesystem;

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

using Messages = std::vector<std::string>;

// Sets every key to a value different from its default, except quant.activations.granularity: with
// both operands off per_vector, arch.scale_product_bits could only keep its default 0.
const char* const kFullConfig = R"(# every key, none at its default
run:
  name: full-run.1
  seed: 42
workload:
  layers: traces/resnet50.csv
  weight_dist: laplace
  act_dist: normal
  student_t_dof: 2.5
  bias_rel_std: 0.25
arch:
  clock_mhz: 800
  pes: 8
  lanes: 32
  vector_size: 32
  collector_depth: 64
  collector_banks: 4
  acc_bits: 24
  gating: lane
  scale_product_bits: 6
  mac_latency_cycles: 3
  scale_latency_cycles: 2
  collector_latency_cycles: 0
  ppu_outputs_per_cycle: 8
  ppu_latency_cycles: 5
  weight_buffer_kib: 64
  input_buffer_kib: 16.5
  weight_buffer_entry_bits: 256
  input_buffer_entry_bits: 64
  weight_buffer_ports: 4
  input_buffer_ports: 2
  buffer_write_entries_per_cycle: 0
  double_buffering: false
  buffer_sizing: vectors
  gbuf_kib: 2048
  gbuf_banks: 16
  gbuf_bank_bytes_per_cycle: 32
  dram_bytes_per_cycle: 12.5
  dram_latency_cycles: 0
  watchdog_cycles: 50000
quant:
  weights:
    bits: 3
    granularity: per_channel
    scale_bits: 2
    format: int3-pc
  activations:
    bits: 6
    granularity: per_vector
    scale_bits: 8
    format: int6-v32-s8-ct
    calibrator: percentile:99.9
    unsigned_after_relu: true
  host_format: int6
  method:
    name: multipoint
    bias_correction: true
    mcq_sampling_amount: 2.5
    mcq_jitter: false
    mcq_sort: true
    mcq_activations: true
    equalization: meller_two_step
    multipoint_max_points: 3
    multipoint_budget: 0.5
eval:
  model: models/m.onnx
  data_dir: data/fmnist
  input_mean: 0.5
  input_std: 0.25
  calib_images: 64
  limit: 100
  simulate: 2
tech: tech/other.yaml
)";

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("config: the declaration table is consistent", "[config]") {
  std::set<std::string> keys;
  std::map<std::string, std::vector<size_t>> rows_of_section;  // section -> indices of its keys
  for (size_t i = 0; i < param_decls().size(); ++i) {
    const ParamDecl& d = param_decls()[i];
    INFO(d.key);
    CHECK(keys.insert(d.key).second);
    CHECK(find_param(d.key) == &d);
    CHECK_FALSE(d.unit.empty());
    CHECK_FALSE(d.description.empty());
    for (size_t dot = d.key.find('.'); dot != std::string::npos; dot = d.key.find('.', dot + 1)) {
      rows_of_section[d.key.substr(0, dot)].push_back(i);
    }
  }
  for (const auto& [section, rows] : rows_of_section) {  // each section is one contiguous run of rows
    INFO(section);
    CHECK(rows.back() - rows.front() + 1 == rows.size());
  }
  CHECK(is_param_section("quant"));
  CHECK(is_param_section("quant.weights"));
  CHECK_FALSE(is_param_section("arch.pes"));
  CHECK_FALSE(is_param_section("tech"));
  CHECK(find_param("arch.pex") == nullptr);
  CHECK(validate_config(Config{}).empty());  // the defaults are valid
}

TEST_CASE("config: validate_config checks a Config built in code", "[config]") {
  Config c;
  c.arch.pes = 0;
  c.quant.weights.scale_bits = 0;
  const auto issues = validate_config(c);
  REQUIRE(issues.size() == 2);
  CHECK(issues[0].key == "arch.pes");
  CHECK(issues[0].message == "expected an integer in [1, 4096], got \"0\"");
  CHECK(issues[1].key == "quant.weights.scale_bits");
  CHECK(issues[1].message == "per_vector granularity needs scale_bits in [1, 16], got 0");
}

TEST_CASE("config: an empty file gives the defaults", "[config]") {
  for (const char* text : {"", "# only a comment\n", "arch:\nquant:\n  weights:\n"}) {
    INFO(text);
    const Config c = load(text);
    CHECK(resolved_yaml(c) == resolved_yaml(Config{}));
    CHECK(c.config_dir == "/cfg");
  }
}

TEST_CASE("config: a full valid file sets every value", "[config]") {
  const Config c = load(kFullConfig);
  const Config defaults;
  for (const auto& d : param_decls()) {  // the text above covers every key
    INFO(d.key);
    if (d.key != "quant.activations.granularity") CHECK(d.format(c) != d.format(defaults));
  }
  CHECK(c.run.name == "full-run.1");
  CHECK(c.run.seed == 42);
  CHECK(c.workload.layers == "traces/resnet50.csv");
  CHECK(c.workload.weight_dist == "laplace");
  CHECK(c.workload.act_dist == "normal");
  CHECK(c.workload.student_t_dof == 2.5);
  CHECK(c.workload.bias_rel_std == 0.25);
  CHECK(c.arch.clock_mhz == 800.0);
  CHECK(c.arch.pes == 8);
  CHECK(c.arch.lanes == 32);
  CHECK(c.arch.vector_size == 32);
  CHECK(c.arch.collector_depth == 64);
  CHECK(c.arch.collector_banks == 4);
  CHECK(c.arch.acc_bits == 24);
  CHECK(c.arch.scale_product_bits == 6);
  CHECK(c.arch.mac_latency_cycles == 3);
  CHECK(c.arch.scale_latency_cycles == 2);
  CHECK(c.arch.collector_latency_cycles == 0);
  CHECK(c.arch.ppu_outputs_per_cycle == 8);
  CHECK(c.arch.ppu_latency_cycles == 5);
  CHECK(c.arch.weight_buffer_kib == 64.0);
  CHECK(c.arch.input_buffer_kib == 16.5);
  CHECK(c.quant.weights.bits == 3);
  CHECK(c.quant.weights.granularity == "per_channel");
  CHECK(c.quant.weights.scale_bits == 2);
  CHECK(c.quant.activations.bits == 6);
  CHECK(c.quant.activations.granularity == "per_vector");
  CHECK(c.quant.activations.scale_bits == 8);
  CHECK(c.tech == "tech/other.yaml");
}

TEST_CASE("config: unknown keys are errors that name the key and suggest one", "[config]") {
  CHECK(errors_of("arch:\n  pex: 4\n") ==
        Messages{"test.yaml:2:3: arch.pex: unknown key (did you mean arch.pes?)"});
  CHECK(errors_of("pes: 4\n") == Messages{"test.yaml:1:1: pes: unknown key (did you mean arch.pes?)"});
  CHECK(errors_of("qaunt:\n  weights: {bits: 4}\n") ==
        Messages{"test.yaml:1:1: qaunt: unknown key (did you mean quant?)"});
  CHECK(errors_of("zzz: 1\n") == Messages{"test.yaml:1:1: zzz: unknown key"});
  CHECK(errors_of("arch:\n  pes: 4\n  pes: 5\n") == Messages{"test.yaml:3:3: arch.pes: duplicate key"});
}

TEST_CASE("config: a very long unknown key is reported at once, without a suggestion", "[config]") {
  // Found by fuzz/fuzz_config: the suggestion compared the key with every parameter name by edit distance,
  // O(key length · names) each, so a 20 kB key took seconds and a 200 kB one minutes.
  const std::string key(200000, 'k');
  CHECK(errors_of("? " + key + "\n: 1\n") == Messages{"test.yaml:1:3: " + key + ": unknown key"});
  CHECK(errors_of("arch:\n  ? " + key + "\n  : 1\n") ==
        Messages{"test.yaml:2:5: arch." + key + ": unknown key"});
}

TEST_CASE("config: values of the wrong type or form are rejected", "[config]") {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"arch:\n  pes: abc\n", "test.yaml:2:8: arch.pes: expected an integer in [1, 4096], got \"abc\""},
      {"arch:\n  pes: 3.5\n", "test.yaml:2:8: arch.pes: expected an integer in [1, 4096], got \"3.5\""},
      {"arch:\n  pes: 12abc\n", "test.yaml:2:8: arch.pes: expected an integer in [1, 4096], got \"12abc\""},
      {"arch:\n  pes: 99999999999\n",
       "test.yaml:2:8: arch.pes: expected an integer in [1, 4096], got \"99999999999\""},
      {"arch:\n  pes: {a: 1}\n", "test.yaml:2:8: arch.pes: expected an integer in [1, 4096], got a map"},
      {"arch:\n  pes: [1, 2]\n", "test.yaml:2:8: arch.pes: expected an integer in [1, 4096], got a sequence"},
      {"arch:\n  pes:\n", "test.yaml:2:3: arch.pes: expected an integer in [1, 4096], got nothing"},
      {"arch: 5\n", "test.yaml:1:7: arch: expected a map, got \"5\""},
      {"- 1\n", "test.yaml:1:1: expected a map of sections at the top level, got a sequence"},
      {"arch:\n  clock_mhz: 0\n",
       "test.yaml:2:14: arch.clock_mhz: expected a number in (0.0, 100000.0], got \"0\""},
      {"arch:\n  clock_mhz: .nan\n",
       "test.yaml:2:14: arch.clock_mhz: expected a number in (0.0, 100000.0], got \".nan\""},
      {"arch:\n  clock_mhz: inf\n",
       "test.yaml:2:14: arch.clock_mhz: expected a number in (0.0, 100000.0], got \"inf\""},
      {"run:\n  seed: -1\n",
       "test.yaml:2:9: run.seed: expected an unsigned integer in [0, 18446744073709551615], got \"-1\""},
      {"run:\n  seed: 18446744073709551616\n",
       "test.yaml:2:9: run.seed: expected an unsigned integer in [0, 18446744073709551615], got "
       "\"18446744073709551616\""},
      {"run:\n  name: my run\n",
       "test.yaml:2:9: run.name: expected a non-empty string of [A-Za-z0-9._-], got \"my run\""},
      {"tech: ''\n", "test.yaml:1:7: tech: expected a non-empty string, got \"\""},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(errors_of(c.text) == Messages{c.message});
  }
  CHECK(load("run:\n  seed: 18446744073709551615\n").run.seed == 18446744073709551615ull);
  CHECK(load("arch:\n  pes: +12\n  clock_mhz: 1.5e3\n").arch.pes == 12);
  CHECK(load("run:\n  name: '123'\n").run.name == "123");
}

TEST_CASE("config: element bits outside [2, 8] are rejected", "[config]") {
  const int bits = GENERATE(1, 9);
  const std::string operand = GENERATE(std::string("weights"), std::string("activations"));
  const auto errors = errors_of("quant:\n  " + operand + ":\n    bits: " + std::to_string(bits) + "\n");
  CHECK(errors == Messages{"test.yaml:3:11: quant." + operand +
                           ".bits: expected an integer in [2, 8], got \"" + std::to_string(bits) + "\""});
  CHECK_NOTHROW(load("quant:\n  " + operand + ":\n    bits: 2\n"));
  CHECK_NOTHROW(load("quant:\n  " + operand + ":\n    bits: 8\n"));
}

TEST_CASE("config: enum values must be one of the choices", "[config]") {
  CHECK(errors_of("quant:\n  weights:\n    granularity: per_tensor\n") ==
        Messages{"test.yaml:3:18: quant.weights.granularity: expected one of per_channel, per_vector, "
                 "got \"per_tensor\""});
  CHECK(errors_of("workload:\n  act_dist: gauss\n") ==
        Messages{
            "test.yaml:2:13: workload.act_dist: expected one of student_t, laplace, normal, got \"gauss\""});
}

TEST_CASE("config: cross-field rules on scale bits", "[config]") {
  SECTION("per_vector needs scale_bits in [1, 16]") {
    CHECK(errors_of("quant:\n  weights:\n    scale_bits: 0\n") ==
          Messages{"test.yaml:3:17: quant.weights.scale_bits: per_vector granularity needs scale_bits in "
                   "[1, 16], got 0"});
    // Reported where the granularity was set when scale_bits is not in the file.
    CHECK(errors_of("quant:\n  weights: {granularity: per_vector}\n", {"quant.weights.scale_bits=0"}) ==
          Messages{"--set quant.weights.scale_bits=0: quant.weights.scale_bits: per_vector granularity needs "
                   "scale_bits in [1, 16], got 0"});
    CHECK(load("quant:\n  weights:\n    granularity: per_channel\n    scale_bits: 0\n")
              .quant.weights.scale_bits == 0);
  }
  SECTION("scale_product_bits is 0 or at most the sum of the per_vector scale bits") {
    CHECK(load("arch:\n  scale_product_bits: 10\n").arch.scale_product_bits == 10);  // 4 + 6
    CHECK(errors_of("arch:\n  scale_product_bits: 11\n") ==
          Messages{"test.yaml:2:23: arch.scale_product_bits: expected 0 (keep full width) or at most 10 = "
                   "quant.weights.scale_bits (4) + quant.activations.scale_bits (6), got 11"});
    CHECK(errors_of("arch:\n  scale_product_bits: 5\nquant:\n  activations: {granularity: per_tensor}\n") ==
          Messages{"test.yaml:2:23: arch.scale_product_bits: expected 0 (keep full width) or at most 4 = "
                   "quant.weights.scale_bits (4) + 0 (quant.activations.granularity is per_tensor), got 5"});
  }
  SECTION("a key with its own error is not reported again by a cross-field rule") {
    CHECK(errors_of("quant:\n  weights:\n    scale_bits: 99\n").size() == 1);
  }
}

TEST_CASE("config: --set overrides win over the file and create missing keys", "[config]") {
  const Config c = load("run:\n  name: from_file\narch:\n  pes: 8\n  lanes: 8\n",
                        {"arch.pes=16", "quant.activations.bits=3", "run.name=first", "run.name=second",
                         "workload.layers = 'a b.csv'"});
  CHECK(c.arch.pes == 16);
  CHECK(c.arch.lanes == 8);  // untouched keys keep the file's value
  CHECK(c.quant.activations.bits == 3);
  CHECK(c.quant.weights.bits == Config{}.quant.weights.bits);
  CHECK(c.run.name == "second");  // the last --set wins
  CHECK(c.workload.layers == "a b.csv");
  // An override replaces a bad value of the file, and fills an empty section.
  CHECK(load("arch:\n  pes: abc\n", {"arch.pes=2"}).arch.pes == 2);
  CHECK(load("arch:\n", {"arch.pes=2"}).arch.pes == 2);
}

TEST_CASE("config: bad --set arguments are reported with the argument", "[config]") {
  CHECK(errors_of("", {"arch.pex=3"}) ==
        Messages{"--set arch.pex=3: arch.pex: unknown key (did you mean arch.pes?)"});
  CHECK(errors_of("", {"foo.bar=1"}) == Messages{"--set foo.bar=1: foo: unknown key"});
  CHECK(errors_of("", {"arch.pes=abc"}) ==
        Messages{"--set arch.pes=abc: arch.pes: expected an integer in [1, 4096], got \"abc\""});
  CHECK(errors_of("", {"arch.pes="}) ==
        Messages{"--set arch.pes=: arch.pes: expected an integer in [1, 4096], got nothing"});
  CHECK(errors_of("", {"arch.pes=[1, 2]"}) ==
        Messages{"--set arch.pes=[1, 2]: arch.pes: expected a scalar value, got a sequence"});
  CHECK(errors_of("", {"arch.pes"}) == Messages{"--set arch.pes: expected key=value"});
  CHECK(errors_of("", {"arch..pes=3"}) == Messages{"--set arch..pes=3: invalid key \"arch..pes\""});
  CHECK(errors_of("", {"arch=4"}) == Messages{"--set arch=4: arch: expected a map, got \"4\""});
}

TEST_CASE("config: all errors are reported at once", "[config]") {
  try {
    load("arch:\n  pes: 0\n  lanes: x\nquant:\n  weights:\n    bits: 9\n", {"run.seed=-3"});
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    const Messages expected = {
        "test.yaml:2:8: arch.pes: expected an integer in [1, 4096], got \"0\"",
        "test.yaml:3:10: arch.lanes: expected an integer in [1, 1024], got \"x\"",
        "test.yaml:6:11: quant.weights.bits: expected an integer in [2, 8], got \"9\"",
        "--set run.seed=-3: run.seed: expected an unsigned integer in [0, 18446744073709551615], got \"-3\"",
    };
    CHECK_THAT(e.messages(), Catch::Matchers::UnorderedEquals(expected));
    const std::string what = e.what();
    CHECK(what.find(expected[0] + "\n") != std::string::npos);
    CHECK(std::count(what.begin(), what.end(), '\n') == 3);  // what() joins the four messages
  }
}

TEST_CASE("config: load_config names the file and line, and sets config_dir", "[config]") {
  const fs::path dir = fs::temp_directory_path() / "dlasim_test_config_files";
  fs::create_directories(dir);
  const fs::path good = dir / "good.yaml", bad = dir / "bad.yaml", broken = dir / "broken.yaml";
  std::ofstream(good) << "arch:\n  pes: 2\n";
  std::ofstream(bad) << "run:\n  seed: 1\narch:\n  pes: lots\n";
  std::ofstream(broken) << "arch:\n  pes: [1,\n";

  const Config c = load_config(good.string(), {});
  CHECK(c.arch.pes == 2);
  CHECK(c.config_dir == dir.string());

  CHECK_THROWS_WITH(load_config(bad.string(), {}),
                    bad.string() + ":4:8: arch.pes: expected an integer in [1, 4096], got \"lots\"");
  CHECK_THROWS_WITH(load_config(broken.string(), {}),
                    Catch::Matchers::StartsWith(broken.string() + ":3:1: YAML syntax error: "));
  CHECK_THROWS_WITH(load_config((dir / "missing.yaml").string(), {}),
                    (dir / "missing.yaml").string() + ": cannot read config file: No such file or directory");
  fs::remove_all(dir);
}

TEST_CASE("config: resolved_yaml round-trips", "[config]") {
  Config c = load(kFullConfig);
  c.workload.bias_rel_std = 0.1 + 0.2;  // needs all 17 digits
  c.workload.layers = "dir with: colon #hash/x.csv";
  c.run.name = "1e3";
  c.run.seed = 18446744073709551615ull;
  for (const Config& original : {Config{}, c}) {
    const std::string text = resolved_yaml(original);
    INFO(text);
    const Config back = load(text);
    CHECK(resolved_yaml(back) == text);
    CHECK(back.workload.bias_rel_std == original.workload.bias_rel_std);
    CHECK(back.workload.layers == original.workload.layers);
    CHECK(back.run.name == original.run.name);
  }
  const std::string text = resolved_yaml(Config{});
  CHECK(text.rfind("run:\n  name: default\n  seed: 1\nworkload:\n", 0) == 0);
  CHECK(text.find("quant:\n  weights:\n    bits: 4\n") != std::string::npos);
}

TEST_CASE("config: docs/config.md is generated from the declarations", "[config]") {
  const fs::path doc = fs::path(DLASIM_SOURCE_DIR) / "docs" / "config.md";
  INFO("regenerate it: build/sim/dlasim config --reference > docs/config.md");
  CHECK(read_file(doc) == config_reference_markdown());
}

namespace {

// A scratch directory of config files, removed at the end of the test; one name per test case (ctest runs
// the cases in parallel processes).
struct ConfigDir {
  fs::path root;
  explicit ConfigDir(const std::string& name) : root(fs::temp_directory_path() / ("dlasim_test_include_" + name)) {
    fs::remove_all(root);
    fs::create_directories(root);
  }
  ~ConfigDir() { fs::remove_all(root); }
  std::string write(const std::string& name, const std::string& text) const {
    const fs::path p = root / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  std::string operator/(const std::string& name) const { return (root / name).lexically_normal().string(); }
};

std::vector<std::string> load_errors(const std::string& path, const std::vector<std::string>& sets = {}) {
  try {
    load_config(path, sets);
  } catch (const ConfigError& e) {
    return e.messages();
  }
  FAIL("expected a ConfigError for " << path);
  return {};
}

}  // namespace

TEST_CASE("config: include loads files first, in order, and the including file and --set override them",
          "[config][include]") {
  ConfigDir d("order");
  d.write("a.yaml", "arch:\n  pes: 2\n  lanes: 8\n  acc_bits: 20\nrun:\n  name: from_a\n");
  d.write("b.yaml", "arch:\n  lanes: 4\n  collector_depth: 32\n");
  const std::string top = d.write("top.yaml", "include: [a.yaml, b.yaml]\narch:\n  acc_bits: 24\n");
  const Config c = load_config(top, {"run.name=from_set"});
  CHECK(c.arch.pes == 2);              // a only
  CHECK(c.arch.lanes == 4);            // b overrides a
  CHECK(c.arch.collector_depth == 32);  // b only
  CHECK(c.arch.acc_bits == 24);        // the including file overrides both
  CHECK(c.run.name == "from_set");     // --set applies last
  CHECK(c.config_dir == d.root.string());
  // A single file name is an include too; the resolved YAML shows the final values and no include.
  const std::string one = d.write("one.yaml", "include: b.yaml\n");
  const std::string resolved = resolved_yaml(load_config(one, {}));
  CHECK(resolved.find("lanes: 4") != std::string::npos);
  CHECK(resolved.find("include") == std::string::npos);
}

TEST_CASE("config: nested includes resolve against the including file's directory", "[config][include]") {
  ConfigDir d("nested");
  d.write("presets/base.yaml", "arch:\n  pes: 3\n  lanes: 5\n");
  d.write("presets/mid.yaml", "include: base.yaml\narch:\n  lanes: 6\n");
  const std::string top = d.write("runs/top.yaml", "include: ../presets/mid.yaml\n");
  const Config c = load_config(top, {});
  CHECK(c.arch.pes == 3);
  CHECK(c.arch.lanes == 6);
  // A file included twice (not a cycle) is fine.
  const std::string twice = d.write("runs/twice.yaml", "include: [../presets/base.yaml, ../presets/mid.yaml]\n");
  CHECK(load_config(twice, {}).arch.lanes == 6);
}

TEST_CASE("config: include cycles are errors naming the chain", "[config][include]") {
  ConfigDir d("cycle");
  d.write("a.yaml", "include: b.yaml\n");
  d.write("b.yaml", "arch:\n  pes: 2\ninclude: [a.yaml]\n");
  const std::string a = d / "a.yaml", b = d / "b.yaml";
  CHECK(load_errors(a) == Messages{b + ":3:11: include: include cycle: " + a + " -> " + b + " -> " + a});
  const std::string self = d.write("self.yaml", "include: self.yaml\n");
  CHECK(load_errors(self) == Messages{self + ":1:10: include: include cycle: " + self + " -> " + self});
}

TEST_CASE("config: include errors name the including file and line", "[config][include]") {
  ConfigDir d("inc_errors");
  const std::string top = d.write("top.yaml", "arch:\n  pes: 2\ninclude:\n  - missing.yaml\n");
  CHECK(load_errors(top) == Messages{top + ":4:5: include: cannot read config file " + (d / "missing.yaml") +
                                     ": No such file or directory"});
  const std::string map = d.write("map.yaml", "include: {a: 1}\n");
  CHECK(load_errors(map) ==
        Messages{map + ":1:10: include: expected a file path or a list of file paths, got a map"});
  const std::string nested = d.write("nested.yaml", "include: [[a.yaml]]\n");
  CHECK(load_errors(nested) == Messages{nested + ":1:10: include: expected a file path or a list of file paths, "
                                                 "got a sequence with a sequence"});
  CHECK(errors_of("include:\n") ==
        Messages{"test.yaml:1:1: include: expected a file path or a list of file paths, got nothing"});
  CHECK(load("include: []\narch:\n  pes: 3\n").arch.pes == 3);
  CHECK(errors_of("arch:\n  pes: 2\n", {"include=x.yaml"}) ==
        Messages{"--set include=x.yaml: include: allowed only in config files, not in --set"});
  CHECK(errors_of("include: a.yaml\ninclude: b.yaml\n").back() == "test.yaml:2:1: include: duplicate key");
}

TEST_CASE("config: errors inside an included file name that file, line and key", "[config][include]") {
  ConfigDir d("in_file");
  const std::string bad = d.write("sub/bad.yaml", "arch:\n  pex: 4\n  lanes: lots\n");
  d.write("sub/broken.yaml", "arch:\n  pes: [1,\n");
  const std::string top = d.write("top.yaml", "include: sub/bad.yaml\nquant:\n  weights: {bits: 9}\n");
  CHECK(load_errors(top) ==
        Messages{bad + ":2:3: arch.pex: unknown key (did you mean arch.pes?)",
                 bad + ":3:10: arch.lanes: expected an integer in [1, 1024], got \"lots\"",
                 top + ":3:19: quant.weights.bits: expected an integer in [2, 8], got \"9\""});
  const std::string top2 = d.write("top2.yaml", "include: sub/broken.yaml\n");
  const auto broken = load_errors(top2);
  REQUIRE(broken.size() == 1);
  CHECK_THAT(broken[0], Catch::Matchers::StartsWith(d / "sub/broken.yaml" + ":3:1: YAML syntax error: "));
  // A cross-field error is reported where the last file set the key.
  d.write("sub/spb.yaml", "arch:\n  scale_product_bits: 30\n");
  const std::string top3 = d.write("top3.yaml", "include: sub/spb.yaml\n");
  const auto spb = load_errors(top3);
  REQUIRE(spb.size() == 1);
  CHECK_THAT(spb[0], Catch::Matchers::StartsWith(d / "sub/spb.yaml" + ":2:23: arch.scale_product_bits: expected 0"));
}

TEST_CASE("config: relative paths of an included file resolve against its directory", "[config][include]") {
  ConfigDir d("paths");
  d.write("presets/chip.yaml", "tech: ../tech/chip.yaml\nworkload:\n  layers: layers.csv\n");
  d.write("presets/abs.yaml", "tech: /opt/tech.yaml\n");
  const std::string top = d.write("runs/top.yaml", "include: ../presets/chip.yaml\n");
  Config c = load_config(top, {});
  CHECK(c.config_dir == (d.root / "runs").string());
  CHECK(c.tech == "../tech/chip.yaml");  // relative to runs/, i.e. <root>/tech/chip.yaml
  CHECK(c.workload.layers == "../presets/layers.csv");
  // The including file's own paths and --set paths stay relative to its directory; absolute paths stay.
  const std::string own = d.write("runs/own.yaml", "include: ../presets/chip.yaml\ntech: t.yaml\n");
  c = load_config(own, {"workload.layers=w.csv"});
  CHECK(c.tech == "t.yaml");
  CHECK(c.workload.layers == "w.csv");
  const std::string abs = d.write("runs/abs.yaml", "include: ../presets/abs.yaml\n");
  CHECK(load_config(abs, {}).tech == "/opt/tech.yaml");
}

TEST_CASE("config: explain_param describes a key or every key of a section", "[config]") {
  const auto pes = explain_param("arch.pes");
  REQUIRE(pes);
  CHECK(*pes ==
        "arch.pes\n  type:        int\n  default:     4\n  unit:        PEs\n  range:       [1, 4096]\n"
        "  description: Number of processing elements.\n");
  const auto weights = explain_param("quant.weights");
  REQUIRE(weights);
  CHECK(weights->find("quant.weights.bits\n") == 0);
  CHECK(weights->find("\nquant.weights.format\n") != std::string::npos);
  CHECK(weights->find("activations") == std::string::npos);
  CHECK(explain_param("tech"));
  CHECK_FALSE(explain_param("arch.pex"));
  CHECK_FALSE(explain_param("arc"));  // a prefix that is not a whole segment
  CHECK(closest_param("arch.pex") == "arch.pes");
  CHECK(closest_param("zzz").empty());
}

TEST_CASE("config: every preset and example is valid, and so is each quant preset after each arch preset",
          "[config][presets]") {
  const fs::path configs = fs::path(DLASIM_SOURCE_DIR) / "configs";
  std::vector<fs::path> arch, quant;
  for (const char* sub : {"arch", "quant", "examples"}) {
    for (const auto& entry : fs::directory_iterator(configs / sub)) {
      if (entry.path().extension() != ".yaml") continue;
      INFO(entry.path().string());
      CHECK_NOTHROW(load_config(entry.path().string(), {}));
      if (std::string(sub) == "arch") arch.push_back(entry.path());
      if (std::string(sub) == "quant") quant.push_back(entry.path());
      // Every preset starts with a header comment saying what it is and where it comes from.
      CHECK(read_file(entry.path()).rfind("# ", 0) == 0);
    }
  }
  CHECK(arch.size() >= 2);
  CHECK(quant.size() >= 6);
  for (const auto& a : arch) {
    for (const auto& q : quant) {
      const std::string text = fmt::format("include: [arch/{}, quant/{}]\n", a.filename().string(),
                                           q.filename().string());
      INFO(text);
      CHECK_NOTHROW(load_config_text(text, "composed.yaml", configs.string(), {}));
    }
  }
  // What the presets say.
  const Config mx = load_config_text("include: [arch/default.yaml, quant/mxfp4.yaml]\n", "c.yaml",
                                     configs.string(), {});
  CHECK(mx.arch.vector_size == 32);
  CHECK(mx.quant.weights.format == "mxfp4");
  CHECK(mx.quant.activations.format == "mxfp4");
  const Config nv = load_config_text("include: [arch/keller_5nm.yaml, quant/nvfp4.yaml]\n", "c.yaml",
                                     configs.string(), {});
  CHECK(nv.arch.vector_size == 16);
  CHECK(nv.arch.scale_product_bits == 0);
  CHECK(nv.arch.acc_bits == 24);
  CHECK(nv.tech == "tech/keller_5nm.yaml");  // set in arch/ as ../tech/keller_5nm.yaml
  const Config keller = load_config((configs / "arch" / "keller_5nm.yaml").string(), {});
  CHECK(keller.arch.pes == 1);
  CHECK(keller.arch.lanes == 16);
  CHECK(keller.arch.vector_size == 64);
  CHECK(keller.arch.acc_bits == 24);
  CHECK(keller.arch.collector_depth == 16);
  CHECK(keller.arch.scale_product_bits == 8);
  CHECK(keller.arch.weight_buffer_entry_bits == 256);
  CHECK_FALSE(keller.arch.double_buffering);
  CHECK(keller.quant.weights.scale_bits == 8);
  CHECK(keller.quant.activations.scale_bits == 8);
  CHECK(keller.tech == "../tech/keller_5nm.yaml");  // relative to configs/arch, where the file is
  const Config int8 = load_config_text("include: [arch/keller_5nm.yaml, quant/int8_baseline.yaml]\n", "c.yaml",
                                       configs.string(), {});
  CHECK(int8.quant.weights.bits == 8);
  CHECK(int8.quant.weights.granularity == "per_channel");
  CHECK(int8.quant.activations.granularity == "per_tensor");
}
