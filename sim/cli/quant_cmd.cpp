#include "sim/cli/quant_cmd.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "quant/calibrate.hpp"
#include "quant/format.hpp"
#include "quant/qtensor_io.hpp"
#include "quant/quantize.hpp"
#include "quant/stats.hpp"
#include "quant/tensor_io.hpp"
#include "quant/tensor_view.hpp"
#include "sim/input_error.hpp"
#include "sim/workload/synthetic.hpp"

namespace dlasim::sim {

namespace {

using quant::NpyArray;

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The float array of a .npy file or of one .npz member.
NpyArray read_tensor(const std::string& path, const std::string& key) {
  if (!ends_with(path, ".npz")) {
    if (!key.empty()) throw InputError(path + ": --key applies only to .npz files");
    return quant::read_npy(path);
  }
  std::map<std::string, NpyArray> members = quant::read_npz(path);
  std::string names;
  for (const auto& [name, a] : members) names += (names.empty() ? "" : ", ") + name;
  if (key.empty()) {
    if (members.size() == 1) return members.begin()->second;
    throw InputError(path + ": holds " + std::to_string(members.size()) + " arrays (" + names +
                     "); choose one with --key");
  }
  const auto it = members.find(key);
  if (it == members.end()) {
    throw InputError(path + ": no member '" + key + "' (" + (names.empty() ? "it holds no arrays" : "it holds " + names) + ")");
  }
  return it->second;
}

// Parses "64x32x3x3".
std::vector<int64_t> parse_shape(const std::string& text) {
  std::vector<int64_t> shape;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t x = std::min(text.find('x', pos), text.size());
    const std::string part = text.substr(pos, x - pos);
    if (part.empty() || part.size() > 9 || part.find_first_not_of("0123456789") != std::string::npos ||
        std::stoll(part) == 0) {
      throw InputError("--shape \"" + text + "\": expected positive dimensions separated by 'x', e.g. 1024x256");
    }
    shape.push_back(std::stoll(part));
    pos = x + 1;
  }
  double elements = 1.0;
  for (int64_t d : shape) elements *= double(d);
  if (elements > 2147483648.0) {
    throw InputError("--shape \"" + text + "\": more than 2^31 elements (the synthetic tensor would not fit in memory)");
  }
  return shape;
}

double parse_positive(const std::string& text, const std::string& what) {
  try {
    std::size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size() && v > 0.0 && std::isfinite(v)) return v;
  } catch (const std::exception&) {
  }
  throw InputError("--synthetic: " + what + " must be a positive number, got \"" + text + "\"");
}

// A seeded float32 tensor: normal:SIGMA, laplace:B (density exp(-|x|/B)/2B) or student_t:DOF[:SCALE].
NpyArray synthetic_tensor(const QuantArgs& a) {
  const std::vector<int64_t> shape = parse_shape(a.shape);
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<std::string> parts;
  for (std::size_t pos = 0;;) {
    const std::size_t c = a.synthetic.find(':', pos);
    parts.push_back(a.synthetic.substr(pos, c - pos));
    if (c == std::string::npos) break;
    pos = c + 1;
  }
  const std::string& dist = parts[0];
  const bool t = dist == "student_t";
  if (!((dist == "normal" || dist == "laplace") && parts.size() == 2) && !(t && (parts.size() == 2 || parts.size() == 3))) {
    throw InputError("--synthetic \"" + a.synthetic + "\": expected normal:SIGMA, laplace:B or student_t:DOF[:SCALE]");
  }
  const double p = parse_positive(parts[1], t ? "DOF" : "the scale");
  const double scale = t && parts.size() == 3 ? parse_positive(parts[2], "SCALE") : 1.0;
  Rng rng(stream_seed(a.seed, 0, 0));
  std::vector<float> v(static_cast<std::size_t>(n));
  for (float& x : v) {
    if (dist == "normal") {
      x = static_cast<float>(p * rng.normal());
    } else if (dist == "laplace") {
      const double u = rng.uniform_open() - 0.5;
      x = static_cast<float>(-p * std::copysign(1.0, u) * std::log1p(-2.0 * std::fabs(u)));
    } else {
      const double chi2 = 2.0 * rng.gamma(p / 2.0);
      x = static_cast<float>(scale * rng.normal() / std::sqrt(chi2 / p));
    }
  }
  return NpyArray::from_float(v, shape);
}

quant::TensorView view_of(const std::vector<int64_t>& shape, const QuantArgs& a) {
  std::optional<int> channel;
  const bool none = a.channel_axis == "none";
  if (!a.channel_axis.empty() && !none) {
    try {
      std::size_t used = 0;
      channel = std::stoi(a.channel_axis, &used);
      if (used != a.channel_axis.size()) throw std::invalid_argument("trailing text");
    } catch (const std::exception&) {
      throw InputError("--channel-axis: expected an integer axis or 'none', got \"" + a.channel_axis + "\"");
    }
  }
  return quant::make_view(shape, a.axis, channel, none);
}

// view_of for the array read from `source`: a shape the quantizer refuses is an InputError naming the file.
quant::TensorView view_of(const std::vector<int64_t>& shape, const QuantArgs& a, const std::string& source) {
  try {
    return view_of(shape, a);
  } catch (const std::invalid_argument& e) {
    throw InputError(source + ": shape " + shape_text(shape) + ": " + e.what());
  }
}

// One row of the report.
struct FormatResult {
  quant::QuantSpec spec;
  std::string calibration;  // what chose the coarse scales
  quant::QuantStats stats;
  quant::QTensor tensor;
};

FormatResult quantize_one(const std::string& name, const std::vector<float>& m, const quant::TensorView& view,
                          const QuantArgs& a, const quant::CalibSpec& calib, const std::vector<float>* batch,
                          const quant::TensorView* batch_view) {
  FormatResult r;
  r.spec = quant::parse_format(name);
  quant::QuantOptions options;
  std::vector<float> static_amax;
  const bool has_coarse = r.spec.coarse_level() != quant::CoarseLevel::none;
  if (!has_coarse && (calib.method != quant::CalibMethod::max || batch != nullptr) && a.compare.empty()) {
    throw InputError("format " + name + " has no coarse scale: --calib and --calib-data do not apply "
                     "(its scales come from each block's max)");
  }
  if (has_coarse) {
    options.calib = calib;
    if (batch != nullptr) {
      // quantize() rejects a batch whose channel count differs from the input's, naming both counts.
      static_amax = quant::calibrate_amax(batch->data(), batch_view->matrix, r.spec, calib);
      options.static_amax = &static_amax;
    }
    r.calibration = quant::calib_name(calib) + (batch != nullptr ? " (static)" : " (dynamic)");
  } else {
    r.calibration = "block max (dynamic)";
  }
  r.tensor = quant::quantize(m.data(), view.matrix, r.spec, options);
  r.stats = quant::quant_stats(m.data(), r.tensor);
  return r;
}

void print_table(std::ostream& out, const std::vector<FormatResult>& rows) {
  out << fmt::format("{:<22} {:>9} {:>9} {:>11} {:>11} {:>9}  {}\n", "format", "bits/elem", "SQNR dB", "MSE",
                     "max |err|", "zeroed %", "calibration");
  for (const FormatResult& r : rows) {
    const std::string zeroed = r.stats.vectors > 0 ? fmt::format("{:.3f}", 100.0 * r.stats.zeroed_fraction) : "-";
    out << fmt::format("{:<22} {:>9.4f} {:>9.2f} {:>11.4e} {:>11.4e} {:>9}  {}\n", quant::format_name(r.spec),
                       r.stats.bits_per_element, r.stats.error.sqnr_db, r.stats.error.mse, r.stats.error.max_abs_error,
                       zeroed, r.calibration);
  }
}

nlohmann::json json_of(const FormatResult& r) {
  return {{"format", quant::format_name(r.spec)},
          {"bits_per_element", r.stats.bits_per_element},
          {"sqnr_db", r.stats.error.sqnr_db},
          {"mse", r.stats.error.mse},
          {"max_abs_error", r.stats.error.max_abs_error},
          {"vectors", r.stats.vectors},
          {"zeroed_vectors", r.stats.zeroed_vectors},
          {"zeroed_fraction", r.stats.zeroed_fraction},
          {"calibration", r.calibration}};
}

void write_result(const std::string& path, const FormatResult& r, const quant::TensorView& view) {
  const std::vector<float> deq = r.tensor.dequantize();
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  quant::write_qtensor(path, r.tensor, {{"dequantized", NpyArray::from_float(quant::from_matrix(deq.data(), view), view.tensor_shape)}});
}

int run_quant_checked(const QuantArgs& a, std::ostream& out) {
  if (a.format.empty() == a.compare.empty()) throw InputError("dlasim quant: give exactly one of --format or --compare");
  if (!a.out.empty() && a.format.empty()) throw InputError("--out writes one format: use it with --format");
  if (!a.out.empty() && !ends_with(a.out, ".npz")) throw InputError("--out " + a.out + ": expected a .npz path");
  if (a.in.empty() == a.synthetic.empty()) throw InputError("dlasim quant: give exactly one of --in or --synthetic");
  const NpyArray x = a.in.empty() ? synthetic_tensor(a) : read_tensor(a.in, a.key);
  const std::string source = a.in.empty() ? a.synthetic + " seed " + std::to_string(a.seed) : a.in;
  const quant::TensorView view = view_of(x.shape, a, source);
  const std::vector<float> flat = x.to_float();
  const std::vector<float> m = quant::to_matrix(flat.data(), view);
  const quant::CalibSpec calib = quant::parse_calib(a.calib);

  std::vector<float> batch;
  quant::TensorView batch_view;
  if (!a.calib_data.empty()) {
    const NpyArray b = read_tensor(a.calib_data, "");
    batch_view = view_of(b.shape, a, a.calib_data);
    const std::vector<float> bflat = b.to_float();
    batch = quant::to_matrix(bflat.data(), batch_view);
  }
  std::vector<FormatResult> results;
  const std::vector<std::string> names = a.compare.empty() ? std::vector<std::string>{a.format} : a.compare;
  for (const std::string& name : names) {
    results.push_back(quantize_one(name, m, view, a, calib, a.calib_data.empty() ? nullptr : &batch, &batch_view));
  }
  if (!a.out.empty()) write_result(a.out, results.front(), view);

  const auto& mv = view.matrix;
  if (a.json) {
    nlohmann::json j = {{"input", source}, {"shape", x.shape}, {"dtype", quant::dtype_name(x.dtype)},
                        {"rows", mv.rows}, {"cols", mv.cols}, {"channels", mv.channels()},
                        {"results", nlohmann::json::array()}};
    for (const FormatResult& r : results) j["results"].push_back(json_of(r));
    out << j.dump(2) << "\n";
    return 0;
  }
  out << fmt::format("input {} {} {}: matrix {} x {} (reduction axis {}), {} channel{}\n", source, shape_text(x.shape),
                     quant::dtype_name(x.dtype), mv.rows, mv.cols, view.reduction_axis, mv.channels(),
                     mv.channels() == 1 ? "" : "s");
  print_table(out, results);
  if (!a.out.empty()) out << "wrote " << a.out << "\n";
  return 0;
}

}  // namespace

int run_quant(const QuantArgs& a, std::ostream& out) {
  try {
    return run_quant_checked(a, out);
  } catch (const quant::TensorFileError& e) {
    throw InputError(e.what());
  } catch (const std::invalid_argument& e) {
    throw InputError(e.what());
  }
}

void print_formats(std::ostream& out) {
  out << fmt::format("{:<12} {:>4} {:>6} {:>10} {:>6} {:>12} {:>9}  {}\n", "name", "bits", "signed", "max", "block",
                     "scale", "bits/elem", "description");
  for (const quant::NamedFormat& nf : quant::named_formats()) {
    const quant::QuantSpec s = quant::parse_format(nf.name);
    const bool pv = s.granularity == quant::Granularity::per_vector;
    const std::string scale = !pv ? "fp32/tensor"
                              : s.vector_scale == quant::VectorScale::e8m0 ? "E8M0"
                              : s.coarse == quant::CoarseLevel::per_tensor ? "E4M3+fp32"
                                                                           : "E4M3";
    const double bits = s.bits() + (pv ? static_cast<double>(s.vector_scale_storage_bits()) / s.vector_size : 0.0);
    out << fmt::format("{:<12} {:>4} {:>6} {:>10.6g} {:>6} {:>12} {:>9.4g}  {}\n", nf.name, s.bits(),
                       s.format().is_signed ? "yes" : "no", s.elem_max(), pv ? std::to_string(s.vector_size) : "-",
                       scale, bits, nf.description);
  }
  out << "\nModifiers (name-mod-mod...): pt | pc  per-tensor / per-channel scale;  v<V>  per-vector, V elements,\n"
         "fp32 scale;  s<M>  two-level M-bit integer scale x fp32 coarse (cc per channel, ct per tensor);\n"
         "td  top-down two-level;  cn  no coarse scale (nvfp4);  rne | rna  ties to even / away;\n"
         "up  unsigned range [0, 2^(N-1)-1].  Examples: int4-pc  int4-v16-s4  int4-v16  uint8-pt  mxfp4  nvfp4\n";
}

}  // namespace dlasim::sim
