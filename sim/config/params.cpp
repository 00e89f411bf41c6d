#include "sim/config/params.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "hw/element_fixed.hpp"
#include "quant/calibrate.hpp"
#include "sim/config/operand_format.hpp"

namespace dlasim::sim {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

const std::vector<std::string> kDists = {"student_t", "laplace", "normal"};
constexpr int kMaxLatency = 1000;
constexpr double kMaxBufferKib = 1048576.0;  // 1 GiB

// The table. Keys of one section must stay contiguous (resolved_yaml and the docs rely on it).
std::vector<ParamDecl> make_decls() {
  return {
      // run
      {"run.name", "-", "Run name; names the output directory `out/<run.name>/`.",
       StringParam{[](Config& c) -> std::string& { return c.run.name; }, true}},
      {"run.seed", "-", "Seed of all synthetic tensors; the same seed gives byte-identical outputs.",
       Uint64Param{[](Config& c) -> uint64_t& { return c.run.seed; }}},
      // workload
      {"workload.layers", "path", "Layer table (CSV), relative to the config file's directory.",
       StringParam{[](Config& c) -> std::string& { return c.workload.layers; }, false}},
      {"workload.weight_dist", "-", "Distribution of synthetic weights.",
       EnumParam{[](Config& c) -> std::string& { return c.workload.weight_dist; }, kDists}},
      {"workload.act_dist", "-", "Distribution of synthetic input activations.",
       EnumParam{[](Config& c) -> std::string& { return c.workload.act_dist; }, kDists}},
      {"workload.student_t_dof", "-",
       "Degrees of freedom of the `student_t` distributions (lower = heavier tails).",
       RealParam{[](Config& c) -> double& { return c.workload.student_t_dof; }, 1.0, 1000.0, false}},
      {"workload.bias_rel_std", "-",
       "Bias standard deviation relative to the expected pre-activation standard deviation.",
       RealParam{[](Config& c) -> double& { return c.workload.bias_rel_std; }, 0.0, 10.0, false}},
      // arch
      {"arch.clock_mhz", "MHz", "Clock frequency; converts cycles to time and energy to power.",
       RealParam{[](Config& c) -> double& { return c.arch.clock_mhz; }, 0.0, 100000.0, true}},
      {"arch.pes", "PEs", "Number of processing elements.",
       IntParam{[](Config& c) -> int& { return c.arch.pes; }, 1, 4096}},
      {"arch.lanes", "lanes",
       "Vector MAC lanes per PE; each lane holds its own weight vector, the input vector is broadcast.",
       IntParam{[](Config& c) -> int& { return c.arch.lanes; }, 1, 1024}},
      {"arch.vector_size", "elements",
       "Elements V of one lane's dot product per cycle; also the block size of per-vector scaling.",
       IntParam{[](Config& c) -> int& { return c.arch.vector_size; }, 1, 1024}},
      {"arch.collector_depth", "entries", "Accumulation collector entries per lane.",
       IntParam{[](Config& c) -> int& { return c.arch.collector_depth; }, 1, 65536}},
      {"arch.collector_banks", "banks", "Banks of the accumulation collector.",
       IntParam{[](Config& c) -> int& { return c.arch.collector_banks; }, 1, 16}},
      {"arch.acc_bits", "bits",
       "Width of the saturating accumulators. `auto` sizes them for the design so that no workload layer can "
       "overflow: dot-product bits (N_w + N_a + ceil(log2 V)) + scale-product bits + ceil(log2 of the longest "
       "reduction in vectors), taken over the workload's layers (docs/architecture.md, \"Accumulator width\"); a "
       "number fixes the width (e.g. 24 on the 5 nm chip) and saturation is modelled and counted.",
       IntParam{[](Config& c) -> int& { return c.arch.acc_bits; }, 8, 62, true}},
      {"arch.gating", "-",
       "Data gating of the datapath (docs/architecture.md, \"Gating\"). `none`: every issued lane-step pays its "
       "dot product, scale multiplies and accumulate. `accumulate`: zero detectors on each lane's scale product, "
       "dot product and partial sum; a zero input isolates the dot x scale multiplier and a zero partial sum skips "
       "the accumulator read-modify-write. `lane`: `accumulate` plus a zero flag per buffered vector and operand "
       "isolation on every multiplier: a lane-step with an all-zero weight or activation vector holds the whole "
       "lane (dot product and scale-code multiply), and a multiplier with a zero element does not switch.",
       EnumParam{[](Config& c) -> std::string& { return c.arch.gating_policy; },
                 {hw::gating_name(hw::Gating::none), hw::gating_name(hw::Gating::accumulate),
                  hw::gating_name(hw::Gating::lane)}}},
      {"arch.scale_product_bits", "bits",
       "Width the per-vector scale product is rounded to; 0 keeps the full "
       "`quant.weights.scale_bits + quant.activations.scale_bits` width. At most that sum.",
       IntParam{[](Config& c) -> int& { return c.arch.scale_product_bits; }, 0, 32}},
      {"arch.mac_latency_cycles", "cycles", "Pipeline latency of a vector MAC lane.",
       IntParam{[](Config& c) -> int& { return c.arch.mac_latency_cycles; }, 1, kMaxLatency}},
      {"arch.scale_latency_cycles", "cycles", "Pipeline latency of the per-vector scale unit.",
       IntParam{[](Config& c) -> int& { return c.arch.scale_latency_cycles; }, 0, kMaxLatency}},
      {"arch.collector_latency_cycles", "cycles", "Read-modify-write latency of the accumulation collector.",
       IntParam{[](Config& c) -> int& { return c.arch.collector_latency_cycles; }, 0, kMaxLatency}},
      {"arch.ppu_outputs_per_cycle", "outputs/cycle", "Outputs the post-processing unit finishes per cycle.",
       IntParam{[](Config& c) -> int& { return c.arch.ppu_outputs_per_cycle; }, 1, 65536}},
      {"arch.ppu_latency_cycles", "cycles", "Pipeline latency of the post-processing unit.",
       IntParam{[](Config& c) -> int& { return c.arch.ppu_latency_cycles; }, 0, kMaxLatency}},
      {"arch.weight_buffer_kib", "KiB", "Weight buffer capacity per PE.",
       RealParam{[](Config& c) -> double& { return c.arch.weight_buffer_kib; }, 0.0, kMaxBufferKib, true}},
      {"arch.input_buffer_kib", "KiB", "Input activation buffer capacity per PE.",
       RealParam{[](Config& c) -> double& { return c.arch.input_buffer_kib; }, 0.0, kMaxBufferKib, true}},
      {"arch.weight_buffer_entry_bits", "bits",
       "Data bits of one weight-buffer row; a row holds `entry_bits / element bits` elements (per-vector scale "
       "codes sit in a side column).",
       IntParam{[](Config& c) -> int& { return c.arch.weight_buffer_entry_bits; }, 8, 8192}},
      {"arch.input_buffer_entry_bits", "bits", "Data bits of one input-buffer row (packing as for weights).",
       IntParam{[](Config& c) -> int& { return c.arch.input_buffer_entry_bits; }, 8, 8192}},
      {"arch.weight_buffer_ports", "rows/cycle",
       "Weight-buffer rows a PE reads per cycle to load its lanes' weight vectors.",
       IntParam{[](Config& c) -> int& { return c.arch.weight_buffer_ports; }, 1, 1024}},
      {"arch.input_buffer_ports", "rows/cycle",
       "Input-buffer rows a PE reads per cycle for the input vector it broadcasts to its lanes.",
       IntParam{[](Config& c) -> int& { return c.arch.input_buffer_ports; }, 1, 1024}},
      {"arch.buffer_write_entries_per_cycle", "rows/cycle",
       "Rows each PE buffer accepts per cycle while it is filled from the global buffer; 0 = unlimited.",
       IntParam{[](Config& c) -> int& { return c.arch.buffer_write_entries_per_cycle; }, 0, 65536}},
      {"arch.double_buffering", "-",
       "PE buffers hold two tile slots, so the next pass loads while one computes; `false`: one slot (the whole "
       "buffer), so a pass loads only after the previous one has issued.",
       BoolParam{[](Config& c) -> bool& { return c.arch.double_buffering; }}},
      {"arch.buffer_sizing", "-",
       "`bytes`: every design's PE buffers have `*_buffer_kib` and `*_buffer_entry_bits`. `vectors`: those sizes "
       "are the 8-bit baseline's, and a design with N-bit elements gets buffers of the same number of vectors, "
       "i.e. capacity and row width × N/8 (the iso-entries sizing of VS-Quant's comparisons; scale side columns "
       "are added to the area in both cases).",
       EnumParam{[](Config& c) -> std::string& { return c.arch.buffer_sizing; }, {"bytes", "vectors"}}},
      {"arch.gbuf_kib", "KiB",
       "Global buffer capacity; a layer's weights and/or input stay on chip when they fit, else they stream "
       "from DRAM per pass.",
       RealParam{[](Config& c) -> double& { return c.arch.gbuf_kib; }, 0.0, kMaxBufferKib, false}},
      {"arch.gbuf_banks", "banks", "Banks of the global buffer.",
       IntParam{[](Config& c) -> int& { return c.arch.gbuf_banks; }, 1, 1024}},
      {"arch.gbuf_bank_bytes_per_cycle", "B/cycle",
       "Read bandwidth of one global-buffer bank towards the PE buffers; 0 = unlimited.",
       IntParam{[](Config& c) -> int& { return c.arch.gbuf_bank_bytes_per_cycle; }, 0, 65536}},
      {"arch.dram_bytes_per_cycle", "B/cycle", "DRAM bandwidth shared by reads and writes; 0 = unlimited.",
       RealParam{[](Config& c) -> double& { return c.arch.dram_bytes_per_cycle; }, 0.0, 1.0e6, false}},
      {"arch.dram_latency_cycles", "cycles", "DRAM access latency (request to data, write to acknowledge).",
       IntParam{[](Config& c) -> int& { return c.arch.dram_latency_cycles; }, 0, 100000}},
      {"arch.watchdog_cycles", "cycles",
       "Watchdog: a run whose DLA has unfinished layers and completes nothing (no transfer, pass, partial sum, "
       "output write or layer, counting completions already scheduled) for this many cycles stops with an "
       "error listing every block's state (docs/reliability.md); 0 = off. Must exceed "
       "`arch.dram_latency_cycles` + 64.",
       IntParam{[](Config& c) -> int& { return c.arch.watchdog_cycles; }, 0, 2000000000}},
      // quant
      {"quant.weights.bits", "bits",
       "Weight element bits N_w; signed, narrow symmetric range [-(2^(N_w-1)-1), 2^(N_w-1)-1].",
       IntParam{[](Config& c) -> int& { return c.quant.weights.bits; }, 2, 8}},
      {"quant.weights.granularity", "-",
       "`per_channel`: one fp32 scale per output channel; `per_vector`: an integer scale code per "
       "vector of `arch.vector_size` elements times a per-channel fp32 scale (VS-Quant).",
       EnumParam{[](Config& c) -> std::string& { return c.quant.weights.granularity; },
                 {"per_channel", "per_vector"}}},
      {"quant.weights.scale_bits", "bits",
       "Bits M_w of the per-vector weight scale code; must be in [1, 16] for `per_vector`, unused otherwise.",
       IntParam{[](Config& c) -> int& { return c.quant.weights.scale_bits; }, 0, 16}},
      {"quant.weights.format", "-",
       "`auto` builds the weight format from `bits`, `granularity` and `scale_bits`; otherwise a format name "
       "of docs/quant.md that replaces them: block formats `mxint8`, `mxfp6_e3m2`, `mxfp6_e2m3`, `mxfp4`, "
       "`nvfp4` (their block size must equal `arch.vector_size`), or e.g. `int4-v16` (fp32 per-vector scales). FP8 elements "
       "do not fit the MAC lanes.",
       StringParam{[](Config& c) -> std::string& { return c.quant.weights.format; }, true}},
      {"quant.activations.bits", "bits",
       "Activation element bits N_a; signed, narrow symmetric range [-(2^(N_a-1)-1), 2^(N_a-1)-1].",
       IntParam{[](Config& c) -> int& { return c.quant.activations.bits; }, 2, 8}},
      {"quant.activations.granularity", "-",
       "`per_tensor`: one fp32 scale per layer input; `per_vector`: an integer scale code per vector "
       "of `arch.vector_size` elements times a per-tensor fp32 scale (VS-Quant).",
       EnumParam{[](Config& c) -> std::string& { return c.quant.activations.granularity; },
                 {"per_tensor", "per_vector"}}},
      {"quant.activations.scale_bits", "bits",
       "Bits M_a of the per-vector activation scale code; must be in [1, 16] for `per_vector`, unused "
       "otherwise.",
       IntParam{[](Config& c) -> int& { return c.quant.activations.scale_bits; }, 0, 16}},
      {"quant.activations.format", "-",
       "`auto`, or a format name replacing `bits`, `granularity` and `scale_bits` of the activations (and of "
       "the layer outputs the PPU writes); see `quant.weights.format`.",
       StringParam{[](Config& c) -> std::string& { return c.quant.activations.format; }, true}},
      {"quant.activations.calibrator", "-",
       "How per-tensor activation scales are calibrated: a model's static scales (`dlasim eval`), and in `dlasim "
       "run` each layer's input and output scale on its synthetic tensors: `max`, `percentile` (99.99), "
       "`percentile:P`, `mse` or `entropy` (docs/quant.md, calibrators). Per-vector and block scales are always "
       "max; the 8-bit baseline uses max.",
       StringParam{[](Config& c) -> std::string& { return c.quant.activations.calibrator; }, false}},
      {"quant.activations.unsigned_after_relu", "-",
       "`dlasim run`: the design's activations that are a ReLU's output (the input of a layer after a relu = 1 "
       "layer, chained or seeded post-ReLU, and the outputs of fused-ReLU layers) use unsigned N_a-bit codes "
       "[0, 2^N_a - 1] (the pytorch-quantization range, reference.md §1.2) instead of the signed range; the MAC "
       "lanes multiply signed weights by them. Needs signed integer activation elements. The 8-bit baseline "
       "stays signed; `dlasim eval` ignores it.",
       BoolParam{[](Config& c) -> bool& { return c.quant.activations.unsigned_after_relu; }}},
      {"quant.host_format", "-",
       "Format the PPU writes a model's MAC outputs in when host ops read them (residual Add, Softmax, "
       "LayerNorm, GELU, the logits); outputs read only by MAC layers use the activation format "
       "(docs/models.md).",
       StringParam{[](Config& c) -> std::string& { return c.quant.host_format; }, true}},
      {"quant.method.name", "-",
       "Post-training method applied to a model's weights (`dlasim eval`): `none`, `mcq` (Monte Carlo "
       "sampling), `equalization` (per `quant.method.equalization`) or `multipoint` (docs/models.md).",
       EnumParam{[](Config& c) -> std::string& { return c.quant.method.name; },
                 {"none", "mcq", "equalization", "multipoint"}}},
      {"quant.method.bias_correction", "-",
       "Correct each MAC layer's bias by the mean output error of its quantized weights on the calibration "
       "images (any method).",
       BoolParam{[](Config& c) -> bool& { return c.quant.method.bias_correction; }}},
      {"quant.method.mcq_sampling_amount", "-",
       "MCQ sampling amount K: round(K · n) samples per output channel of n weights; fewer samples give "
       "more zeros and smaller integers.",
       RealParam{[](Config& c) -> double& { return c.quant.method.mcq_sampling_amount; }, 0.0, 1000.0, true}},
      {"quant.method.mcq_jitter", "-",
       "MCQ: one uniformly jittered sample per stratum (else the stratum midpoints, deterministic).",
       BoolParam{[](Config& c) -> bool& { return c.quant.method.mcq_jitter; }}},
      {"quant.method.mcq_sort", "-", "MCQ: build the CDF over the weights sorted by magnitude.",
       BoolParam{[](Config& c) -> bool& { return c.quant.method.mcq_sort; }}},
      {"quant.method.mcq_activations", "-",
       "MCQ: also sample each MAC input at run time (one unit per tensor; per_tensor activations only).",
       BoolParam{[](Config& c) -> bool& { return c.quant.method.mcq_activations; }}},
      {"quant.method.equalization", "-",
       "Equalization rule: `dfq` (Nagel et al. cross-layer, data-free, iterated), `meller_one_step` or "
       "`meller_two_step` (Meller et al., calibration ranges).",
       EnumParam{[](Config& c) -> std::string& { return c.quant.method.equalization; },
                 {"dfq", "meller_one_step", "meller_two_step"}}},
      {"quant.method.multipoint_max_points", "-", "Multipoint: low-bit points per output channel at most.",
       IntParam{[](Config& c) -> int& { return c.quant.method.multipoint_max_points; }, 1, 8}},
      {"quant.method.multipoint_budget", "-",
       "Multipoint: extra points a layer may add, as a fraction of its output channels; each runs as one "
       "more output channel on the DLA.",
       RealParam{[](Config& c) -> double& { return c.quant.method.multipoint_budget; }, 0.0, 7.0, false}},
      // eval
      {"eval.model", "path",
       "ONNX model `dlasim eval` evaluates, relative to the config file (`none`: give `--model`).",
       StringParam{[](Config& c) -> std::string& { return c.eval.model; }, false}},
      {"eval.data_dir", "path",
       "Directory of the Fashion-MNIST IDX files (`*-images-idx3-ubyte.gz`, `*-labels-idx1-ubyte.gz`); the "
       "default is where Debian's dataset-fashion-mnist installs them.",
       StringParam{[](Config& c) -> std::string& { return c.eval.data_dir; }, false}},
      {"eval.input_mean", "-", "Preprocessing: input = (pixel / 255 - input_mean) / input_std.",
       RealParam{[](Config& c) -> double& { return c.eval.input_mean; }, -1000.0, 1000.0, false}},
      {"eval.input_std", "-", "Preprocessing divisor, see `eval.input_mean`.",
       RealParam{[](Config& c) -> double& { return c.eval.input_std; }, 0.0, 1000.0, true}},
      {"eval.calib_images", "images",
       "Training images that calibrate the static scales and the data-dependent methods.",
       IntParam{[](Config& c) -> int& { return c.eval.calib_images; }, 1, 60000}},
      {"eval.limit", "images", "Test images evaluated; 0 = all of them.",
       IntParam{[](Config& c) -> int& { return c.eval.limit; }, 0, 1000000}},
      {"eval.simulate", "images",
       "Test images also run through the SystemC DLA and its 8-bit baseline (outputs checked bit-exactly "
       "against the reference; cycles, energy and area per inference).",
       IntParam{[](Config& c) -> int& { return c.eval.simulate; }, 0, 10000}},
      // tech
      {"tech", "path",
       "Technology file (per-action energy and per-instance area), relative to the config file's directory.",
       StringParam{[](Config& c) -> std::string& { return c.tech; }, false}},
  };
}

// One line under each top-level section's heading in docs/config.md.
struct SectionDoc {
  const char* name;
  const char* text;
};
const SectionDoc kSectionDocs[] = {
    {"run", "Identity and seed of the run."},
    {"workload", "What is run: the layer table and the distributions of the synthetic tensors."},
    {"arch", "The DLA template: PE array, scale unit, accumulation collector, PPU and buffers."},
    {"quant", "Number formats of the operands the architecture is evaluated with, and post-training methods."},
    {"eval", "Accuracy evaluation of an imported model on labeled images (`dlasim eval`)."},
    {"tech", "Energy and area tables."},
};

std::string section_doc(const std::string& name) {
  for (const auto& s : kSectionDocs) {
    if (name == s.name) return s.text;
  }
  return "";
}

std::string quoted(std::string_view text) {
  return fmt::format("\"{}\"", text);
}

// Shortest round-trip form, with ".0" added to whole numbers so they read as reals ("1000.0").
std::string real_text(double v) {
  std::string text = fmt::format("{}", v);
  if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
  return text;
}

std::string real_interval(const RealParam& p) {
  return fmt::format("{}{}, {}]", p.min_exclusive ? "(" : "[", real_text(p.min), real_text(p.max));
}

std::string join(const std::vector<std::string>& items, std::string_view sep, std::string_view wrap = "") {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    out += fmt::format("{}{}{}{}", i ? sep : "", wrap, items[i], wrap);
  }
  return out;
}

// Leading '+' is accepted only before a digit; from_chars does not take it.
std::string_view strip_plus(std::string_view t) {
  if (t.size() > 1 && t[0] == '+' && t[1] >= '0' && t[1] <= '9') t.remove_prefix(1);
  return t;
}

// Whole-text decimal parse; nullopt on any trailing character or overflow.
template <class T>
std::optional<T> parse_number(std::string_view text) {
  text = strip_plus(text);
  T value{};
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return value;
}

bool is_name_char(char ch) {
  return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' ||
         ch == '_' || ch == '-';
}

}  // namespace

std::string ParamDecl::type_name() const {
  return std::visit(
      Overloaded{[](const IntParam&) { return "int"; }, [](const Uint64Param&) { return "uint64"; },
                 [](const RealParam&) { return "double"; }, [](const StringParam&) { return "string"; },
                 [](const EnumParam&) { return "enum"; }, [](const BoolParam&) { return "bool"; }},
      kind);
}

std::string ParamDecl::expected() const {
  return std::visit(
      Overloaded{[](const IntParam& p) {
                   return fmt::format("{}an integer in [{}, {}]", p.allows_auto ? "`auto` or " : "", p.min, p.max);
                 },
                 [](const Uint64Param&) {
                   return fmt::format("an unsigned integer in [0, {}]", std::numeric_limits<uint64_t>::max());
                 },
                 [](const RealParam& p) { return "a number in " + real_interval(p); },
                 [](const StringParam& p) {
                   return std::string(p.name_chars ? "a non-empty string of [A-Za-z0-9._-]"
                                                   : "a non-empty string");
                 },
                 [](const EnumParam& p) { return "one of " + join(p.choices, ", "); },
                 [](const BoolParam&) { return std::string("true or false"); }},
      kind);
}

std::string ParamDecl::range_text() const {
  return std::visit(
      Overloaded{[](const IntParam& p) { return fmt::format("{}[{}, {}]", p.allows_auto ? "`auto`, " : "", p.min, p.max); },
                 [](const Uint64Param&) { return std::string("any uint64"); },
                 [](const RealParam& p) { return real_interval(p); },
                 [](const StringParam& p) {
                   return std::string(p.name_chars ? "non-empty, only `A-Z a-z 0-9 . _ -`" : "non-empty");
                 },
                 [](const EnumParam& p) { return join(p.choices, ", ", "`"); },
                 [](const BoolParam&) { return std::string("`true`, `false`"); }},
      kind);
}

std::string ParamDecl::format(const Config& c) const {
  Config m = c;  // the accessors take a mutable Config
  return std::visit(Overloaded{[&](const IntParam& p) {
                                 return p.allows_auto && p.field(m) == 0 ? std::string("auto") : std::to_string(p.field(m));
                               },
                               [&](const Uint64Param& p) { return std::to_string(p.field(m)); },
                               [&](const RealParam& p) { return real_text(p.field(m)); },
                               [&](const StringParam& p) { return p.field(m); },
                               [&](const EnumParam& p) { return p.field(m); },
                               [&](const BoolParam& p) { return std::string(p.field(m) ? "true" : "false"); }},
                    kind);
}

std::optional<std::string> ParamDecl::parse_into(Config& c, std::string_view text) const {
  const bool ok = std::visit(Overloaded{[&](const IntParam& p) {
                                          if (p.allows_auto && text == "auto") {
                                            p.field(c) = 0;
                                            return true;
                                          }
                                          auto v = parse_number<int64_t>(text);
                                          if (!v || *v < p.min || *v > p.max) return false;
                                          p.field(c) = static_cast<int>(*v);
                                          return true;
                                        },
                                        [&](const Uint64Param& p) {
                                          auto v = parse_number<uint64_t>(text);
                                          if (!v) return false;
                                          p.field(c) = *v;
                                          return true;
                                        },
                                        [&](const RealParam& p) {
                                          auto v = parse_number<double>(text);
                                          if (!v || !std::isfinite(*v) || *v > p.max) return false;
                                          if (p.min_exclusive ? *v <= p.min : *v < p.min) return false;
                                          p.field(c) = *v;
                                          return true;
                                        },
                                        [&](const StringParam& p) {
                                          if (text.empty()) return false;
                                          for (char ch : text) {
                                            if (p.name_chars && !is_name_char(ch)) return false;
                                          }
                                          p.field(c) = std::string(text);
                                          return true;
                                        },
                                        [&](const EnumParam& p) {
                                          for (const auto& choice : p.choices) {
                                            if (text == choice) {
                                              p.field(c) = choice;
                                              return true;
                                            }
                                          }
                                          return false;
                                        },
                                        [&](const BoolParam& p) {
                                          if (text != "true" && text != "false") return false;
                                          p.field(c) = text == "true";
                                          return true;
                                        }},
                             kind);
  if (ok) return std::nullopt;
  return fmt::format("expected {}, got {}", expected(), quoted(text));
}

const std::vector<ParamDecl>& param_decls() {
  static const std::vector<ParamDecl> decls = make_decls();
  return decls;
}

const ParamDecl* find_param(std::string_view key) {
  for (const auto& d : param_decls()) {
    if (d.key == key) return &d;
  }
  return nullptr;
}

bool is_param_section(std::string_view path) {
  for (const auto& d : param_decls()) {
    if (d.key.size() > path.size() && d.key.compare(0, path.size(), path) == 0 && d.key[path.size()] == '.') {
      return true;
    }
  }
  return false;
}

std::vector<std::string> split_dotted(std::string_view key) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot; (dot = key.find('.', start)) != std::string_view::npos; start = dot + 1) {
    parts.emplace_back(key.substr(start, dot - start));
  }
  parts.emplace_back(key.substr(start));
  return parts;
}

namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// Every key and section name ("arch", "arch.pes", ...) in table order, each once, with its last component.
const std::vector<std::pair<std::string, std::string>>& suggestion_candidates() {
  static const std::vector<std::pair<std::string, std::string>> candidates = [] {
    std::vector<std::pair<std::string, std::string>> out;
    std::set<std::string> seen;
    const auto add = [&](std::string c) {
      if (seen.insert(c).second) out.emplace_back(c, split_dotted(c).back());
    };
    for (const auto& d : param_decls()) {
      for (size_t dot = d.key.find('.'); dot != std::string::npos; dot = d.key.find('.', dot + 1)) {
        add(d.key.substr(0, dot));
      }
      add(d.key);
    }
    return out;
  }();
  return candidates;
}

}  // namespace

std::string closest_param(std::string_view path) {
  const std::string last = split_dotted(path).back();
  const auto& candidates = suggestion_candidates();
  for (const auto& [c, c_last] : candidates) {
    if (c != path && c_last == last) return c;
  }
  std::string best;
  size_t best_distance = std::max<size_t>(2, last.size() / 3) + 1;
  for (const auto& candidate : candidates) {
    const std::string& c = candidate.first;
    // The distance is at least the difference in length: skip hopeless candidates without the O(|path|·|c|)
    // table, so a very long unknown key costs time linear in its length, not a hang (found by fuzz_config).
    const size_t length_gap = path.size() > c.size() ? path.size() - c.size() : c.size() - path.size();
    if (length_gap >= best_distance) continue;
    const size_t d = edit_distance(path, c);
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

std::optional<std::string> explain_param(std::string_view key) {
  const Config defaults;
  std::string out;
  for (const auto& d : param_decls()) {
    const bool under = d.key == key || (d.key.size() > key.size() && d.key.compare(0, key.size(), key) == 0 &&
                                        d.key[key.size()] == '.');
    if (!under) continue;
    out += fmt::format("{}{}\n  type:        {}\n  default:     {}\n  unit:        {}\n  range:       {}\n"
                       "  description: {}\n",
                       out.empty() ? "" : "\n", d.key, d.type_name(), d.format(defaults), d.unit, d.range_text(),
                       d.description);
  }
  if (out.empty()) return std::nullopt;
  return out;
}

// Calibrator and host format names, and what the post-training methods need of the formats.
void method_issues(const Config& c, const std::vector<quant::QuantSpec>& specs, bool formats_ok,
                   std::vector<ConfigIssue>& issues) {
  try {
    quant::parse_calib(c.quant.activations.calibrator);
  } catch (const std::invalid_argument& e) {
    issues.push_back({"quant.activations.calibrator", {}, e.what()});
  }
  try {
    quant::parse_format(c.quant.host_format);
  } catch (const std::invalid_argument& e) {
    issues.push_back({"quant.host_format", {}, e.what()});
  }
  if (!formats_ok) return;
  const std::string& method = c.quant.method.name;
  const quant::QuantSpec& w = specs[0];
  const bool int_per_channel = w.granularity == quant::Granularity::per_channel &&
                               w.format().kind == quant::ElementKind::integer && w.format().is_signed &&
                               w.format().frac_bits == 0;
  if ((method == "mcq" || method == "multipoint") && !int_per_channel) {
    issues.push_back({"quant.method.name", {"quant.weights.granularity", "quant.weights.format"},
                      fmt::format("{} makes signed integer weights with one scale per output channel (per point); "
                                  "expected per_channel signed INT weights, got {}",
                                  method, quant::format_name(w))});
  }
  if (method == "mcq" && c.quant.method.mcq_activations &&
      (specs[1].granularity != quant::Granularity::per_tensor || specs[1].format().kind != quant::ElementKind::integer ||
       !specs[1].format().is_signed)) {
    issues.push_back({"quant.method.mcq_activations", {"quant.activations.granularity", "quant.activations.format"},
                      fmt::format("sampled activations are signed integers with one scale per tensor; expected "
                                  "per_tensor signed INT activations, got {}",
                                  quant::format_name(specs[1]))});
  }
}

std::vector<ConfigIssue> cross_field_issues(const Config& c) {
  std::vector<ConfigIssue> issues;
  struct Operand {
    std::string name;
    const OperandQuantConfig& q;
  };
  const Operand operands[] = {{"quant.weights", c.quant.weights}, {"quant.activations", c.quant.activations}};

  // The watchdog must outlast the longest legitimate gap between completions: a DRAM access plus a margin.
  if (c.arch.watchdog_cycles != 0 && int64_t{c.arch.watchdog_cycles} <= int64_t{c.arch.dram_latency_cycles} + 64) {
    issues.push_back({"arch.watchdog_cycles", {"arch.dram_latency_cycles"},
                      fmt::format("the watchdog must be 0 (off) or exceed arch.dram_latency_cycles + 64 = {} cycles, "
                                  "got {}",
                                  int64_t{c.arch.dram_latency_cycles} + 64, c.arch.watchdog_cycles)});
  }

  // A per_vector operand needs a scale code of 1..16 bits.
  for (const auto& op : operands) {
    if (op.q.format == "auto" && op.q.granularity == "per_vector" && (op.q.scale_bits < 1 || op.q.scale_bits > 16)) {
      issues.push_back(
          {op.name + ".scale_bits",
           {op.name + ".granularity"},
           fmt::format("per_vector granularity needs scale_bits in [1, 16], got {}", op.q.scale_bits)});
    }
  }

  // A format name must parse, fit the lanes and the vector size, and both operands' per-vector scales must
  // be of one kind (the scale unit is either integer or floating).
  bool formats_ok = true;
  std::vector<quant::QuantSpec> specs;
  for (const auto& op : operands) {
    const std::string key = op.name + ".format";
    if (op.q.format == "auto") {
      try {
        specs.push_back(operand_spec(op.q, c.arch.vector_size));
      } catch (const std::invalid_argument&) {
        formats_ok = false;  // bad bits/granularity/scale_bits: reported by their own rules
      }
      continue;
    }
    try {
      const quant::QuantSpec s = operand_spec(op.q, c.arch.vector_size);
      hw::fixed_elements(s.element);
      if (s.granularity == quant::Granularity::per_vector && s.vector_size != c.arch.vector_size) {
        issues.push_back({key, {"arch.vector_size"},
                          fmt::format("format {} scales vectors of {} elements; the MAC lanes take arch.vector_size = {}",
                                      op.q.format, s.vector_size, c.arch.vector_size)});
        formats_ok = false;
      }
      specs.push_back(s);
    } catch (const std::invalid_argument& e) {
      issues.push_back({key, {}, e.what()});
      formats_ok = false;
    }
  }
  if (formats_ok) {
    const bool w_float = specs[0].float_vector_scales(), a_float = specs[1].float_vector_scales();
    const bool w_int = specs[0].granularity == quant::Granularity::per_vector && !w_float;
    const bool a_int = specs[1].granularity == quant::Granularity::per_vector && !a_float;
    if ((w_float && a_int) || (a_float && w_int)) {
      issues.push_back({"quant.weights.format", {"quant.activations.format"},
                        "one operand has floating per-vector scales (fp32, MX or NVFP4) and the other integer "
                        "two-level scale codes; the scale unit handles one kind"});
    }
    if (!w_float && !a_float) {
      for (std::size_t i = 0; i < 2; ++i) {
        if (!hw::codes_are_values(specs[i].element)) {
          issues.push_back({operands[i].name + ".format", {},
                            fmt::format("{} has {} elements, which the lanes multiply only with floating per-vector "
                                        "scales (an MX or NVFP4 format, or fp32 per-vector scales: -v<V>)",
                                        quant::format_name(specs[i]), specs[i].format().name)});
        }
      }
    }
    if (c.quant.activations.unsigned_after_relu && !hw::codes_are_values(specs[1].element)) {
      issues.push_back({"quant.activations.unsigned_after_relu", {"quant.activations.format"},
                        fmt::format("true needs signed integer activation elements (int2..int8, whose unsigned "
                                    "codes are uint2..uint8), got {}",
                                    quant::format_name(specs[1]))});
    }
    if ((w_float || a_float) && c.arch.scale_product_bits != 0) {
      issues.push_back({"arch.scale_product_bits", {"quant.weights.format", "quant.activations.format"},
                        fmt::format("expected 0 with floating per-vector scales (the scale product is not "
                                    "rounded), got {}", c.arch.scale_product_bits)});
    }
  }

  method_issues(c, specs, formats_ok, issues);

  // The scale product can be rounded to at most its full width (an operand without integer per-vector
  // scale codes adds 0 bits).
  if (!formats_ok || specs[0].float_vector_scales() || specs[1].float_vector_scales()) return issues;  // reported above
  int full_width = 0;
  std::vector<std::string> terms;
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& op = operands[i];
    if (specs[i].granularity == quant::Granularity::per_vector && !specs[i].float_vector_scales()) {
      full_width += specs[i].scale_bits;
      terms.push_back(fmt::format("{}.scale_bits ({})", op.name, specs[i].scale_bits));
    } else if (op.q.format == "auto") {
      terms.push_back(fmt::format("0 ({}.granularity is {})", op.name, op.q.granularity));
    } else {
      terms.push_back(fmt::format("0 ({}.format is {})", op.name, op.q.format));
    }
  }
  const int spb = c.arch.scale_product_bits;
  if (spb != 0 && spb > full_width) {
    issues.push_back({"arch.scale_product_bits",
                      {"quant.weights.scale_bits", "quant.activations.scale_bits",
                       "quant.weights.granularity", "quant.activations.granularity"},
                      fmt::format("expected 0 (keep full width) or at most {} = {}, got {}", full_width,
                                  join(terms, " + "), spb)});
  }
  return issues;
}

std::vector<ConfigIssue> validate_config(const Config& c) {
  std::vector<ConfigIssue> issues;
  for (const auto& d : param_decls()) {
    Config scratch = c;
    if (auto err = d.parse_into(scratch, d.format(c))) issues.push_back({d.key, {}, *err});
  }
  for (auto& issue : cross_field_issues(c)) issues.push_back(std::move(issue));
  return issues;
}

std::string config_reference_markdown() {
  std::string md = R"(# Configuration reference

<!-- Generated from the declaration table in sim/config/params.cpp (config_reference_markdown());
     Regenerate with `build/sim/dlasim config --reference > docs/config.md`; a test checks it. -->

A run is configured by one YAML file of nested maps, one map per section, keyed as in the tables below:

```yaml
run:
  name: int4_vsq
arch:
  pes: 8
quant:
  weights:
    bits: 4
    granularity: per_vector
    scale_bits: 4
```

- Keys that are not given keep their defaults; an empty file is a valid configuration.
- `--set key=value` (repeatable) sets one key by its dotted name on top of the file, e.g.
  `--set arch.pes=8 --set quant.weights.bits=3`. The value is read as a YAML scalar.
- Relative paths (`workload.layers`, `tech`) are resolved against the directory of the file that sets
  them (see below); a path given with `--set` against the directory of the config file named on the
  command line.
- Unknown keys, values of the wrong type and values out of range are errors. All errors are reported at
  once, each with its file (or `--set` argument), line:column and dotted key, and dlasim exits with code 2.
- A run writes every key with its final value to `config.resolved.yaml` in its output directory.
- `dlasim config --explain KEY` prints the type, default, unit, range and description of one key, or of
  every key of a section (`--explain arch`, `--explain quant.weights`).

## Composition: `include:` and presets

A config file can be composed of other files with a top-level `include:`, one path or a list of paths,
each relative to the directory of the file that includes it:

```yaml
include: [../arch/default.yaml, ../quant/mxfp4.yaml]
run:
  name: default_mxfp4
workload:
  layers: ../../traces/tiny_cnn.csv
```

- The included files are loaded first, in list order, each one's keys overriding those of the files before
  it; then the including file's own keys override them all, and `--set` applies last. Keys are merged one
  by one: a file that sets `arch.pes` leaves the other `arch` keys of earlier files as they are.
- Included files may include others. Including a file that is already being included (a cycle) is an
  error naming the chain; including the same file twice from different places is not.
- Every file is checked on its own: an error inside an included file names that file, its line:column and
  the dotted key, even when a later file sets the same key. A missing or unreadable included file is
  reported at the `include:` entry of the file that names it. Rules between keys (e.g. scale bits) are
  checked on the final values, at the place the key was last set.
- A relative path value (`workload.layers`, `tech`) in an included file is resolved against that file's
  directory: the loader rewrites it relative to the directory of the top file, and that is the value
  `config.resolved.yaml` shows (e.g. `tech: ../tech/keller_5nm.yaml` of `configs/arch/keller_5nm.yaml`,
  included by a file in `configs/`, becomes `tech/keller_5nm.yaml`). Paths in the top file stay as written.

Presets are partial configs meant to be included; each starts with a comment saying what it is and its
source. `configs/arch/`: `default` (the default template) and `keller_5nm` (the 5 nm chip of Keller et
al., JSSC 2023: arch, its INT4-VSQ quant from `configs/quant/keller_5nm.yaml`, and the 5 nm tech file).
`configs/quant/`: `int8_baseline`, `vsquant_4446`, `vsquant_48610`, `keller_5nm`, `mxint8`, `mxfp4`,
`nvfp4`. A quant preset sets the arch keys its format dictates and no others: the MX presets set
`arch.vector_size: 32` and NVFP4 `16` (their block size must equal the lanes' V), and presets without
integer per-vector scale codes (`int8_baseline` and the MX/NVFP4 ones) set `arch.scale_product_bits: 0`;
so include the quant preset after the arch preset. The INT presets also set `format: auto`, so they
replace a block format of an earlier file. `configs/examples/` shows compositions.
)";
  const Config defaults;
  std::vector<std::string> sections;  // top-level names in table order
  for (const auto& d : param_decls()) {
    std::string top = d.key.substr(0, d.key.find('.'));
    if (sections.empty() || sections.back() != top) sections.push_back(top);
  }
  for (const auto& section : sections) {
    md += fmt::format("\n## `{}`\n\n{}\n\n", section, section_doc(section));
    md += "| key | type | default | unit | range/choices | description |\n";
    md += "|---|---|---|---|---|---|\n";
    for (const auto& d : param_decls()) {
      if (d.key.substr(0, d.key.find('.')) != section) continue;
      md += fmt::format("| `{}` | {} | `{}` | {} | {} | {} |\n", d.key, d.type_name(), d.format(defaults),
                        d.unit, d.range_text(), d.description);
    }
  }
  return md;
}

}  // namespace dlasim::sim
