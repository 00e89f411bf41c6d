#include "sim/eval/evaluate.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <systemc>

#include "hw/reference.hpp"
#include "hw/top/dla.hpp"
#include "hw/top/simulation.hpp"
#include "sim/energy/tech.hpp"
#include "sim/eval/dataset.hpp"
#include "sim/input_error.hpp"
#include "sim/report/report.hpp"
#include "sim/workload/model_layers.hpp"

namespace dlasim::sim {

namespace {

int64_t argmax(const quant::Tensor& t) {
  return int64_t(std::max_element(t.data.begin(), t.data.end()) - t.data.begin());
}

quant::Tensor image_tensor(const ImageSet& set, int64_t i, const Config& c) {
  quant::Tensor t;
  t.dims = {1, 1, set.rows, set.cols};
  t.data = preprocess(set, i, c.eval.input_mean, c.eval.input_std);
  return t;
}

// Signal and error energy of a quantized value against its float value.
struct Energy {
  double signal = 0.0, error = 0.0;
  void add(const quant::Tensor& f, const quant::Tensor& q) {
    for (std::size_t j = 0; j < f.data.size(); ++j) {
      const double d = double(q.data[j]) - f.data[j];
      signal += double(f.data[j]) * f.data[j];
      error += d * d;
    }
  }
  double sqnr_db() const { return error > 0.0 ? 10.0 * std::log10(signal / error) : INFINITY; }
};

// Cycles and energy of the jobs of one DLA, after a finished simulation (hw::check_finished); checks every
// output against the reference.
void collect(const hw::Dla& dla, const InferenceJobs& jobs, const EnergyModel& model, double& cycles, double& energy,
             Breakdown* breakdown) {
  const auto& decls = dla.counters().decls();
  for (std::size_t j = 0; j < jobs.jobs.size(); ++j) {
    const hw::LayerResult& r = dla.results()[j];
    hw::check_bit_exact(jobs.jobs[j].name, r.output, jobs.reference_outputs[j]);
    cycles += double(r.cycles);
    const Breakdown e = model.energy(decls, r.counters, r.cycles);
    energy += e.total;
    if (breakdown) {
      for (const auto& [component, pj] : e.by_component) breakdown->by_component[component] += pj;
      breakdown->total += e.total;
    }
  }
}

SimulatedFigures simulate(const Config& c, const std::string& model_path, const QuantizedModel& design,
                          const QuantizedModel& baseline, const ImageSet& test, int64_t images) {
  InferenceJobs dj, bj;
  for (int64_t i = 0; i < images; ++i) {
    const quant::Tensor x = image_tensor(test, i, c);
    design.infer(x, nullptr, &dj);
    baseline.infer(x, nullptr, &bj);
  }
  check_tiling(model_path, "design", design.arch(), dj.jobs);
  check_tiling(model_path, "baseline", baseline.arch(), bj.jobs);
  hw::Dla design_dla("design", design.arch(), dj.jobs, nullptr);
  hw::Dla baseline_dla("baseline", baseline.arch(), bj.jobs, nullptr);
  hw::simulate();
  hw::check_finished({&design_dla, &baseline_dla});
  const Tech tech = load_tech(config_file(c, "tech", c.tech));
  const EnergyModel dm(tech, design.arch()), bm(tech, baseline.arch());
  SimulatedFigures f;
  f.images = images;
  f.jobs = int64_t(dj.jobs.size());
  collect(design_dla, dj, dm, f.cycles, f.energy_pj, &f.energy_breakdown);
  collect(baseline_dla, bj, bm, f.baseline_cycles, f.baseline_energy_pj, nullptr);
  const double n = double(images);
  f.cycles /= n;
  f.baseline_cycles /= n;
  f.energy_pj /= n;
  f.baseline_energy_pj /= n;
  for (auto& [component, pj] : f.energy_breakdown.by_component) pj /= n;
  f.energy_breakdown.total /= n;
  f.area_um2 = dm.area().total;
  f.baseline_area_um2 = bm.area().total;
  f.saturations = dj.saturations;
  return f;
}

// A model op the DLA cannot run with these formats is a bad input (exit 2), named with the file.
QuantizedModel prepare_model(const quant::Model& model, const std::string& path, const ModelQuant& mq,
                             const hw::ArchParams& arch, const std::vector<quant::Tensor>& calib) {
  try {
    return QuantizedModel(model, mq, arch, calib);
  } catch (const std::invalid_argument& e) {
    throw InputError(fmt::format("{}: {}", path, e.what()));
  }
}

}  // namespace

EvalResult evaluate_model(const Config& c, const EvalOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  if (o.dataset != "fashion-mnist") {
    throw InputError(fmt::format("--data {}: unknown dataset (expected fashion-mnist)", o.dataset));
  }
  std::string model_path = o.model;
  if (model_path.empty()) {
    if (c.eval.model == "none") throw InputError("no model: give --model FILE.onnx or set eval.model");
    model_path = resolve_config_path(c, c.eval.model);
  }
  const quant::Model model = load_model(model_path);
  const std::string data_dir = resolve_config_path(c, c.eval.data_dir);
  const ImageSet train = load_image_set(data_dir, Split::train);
  const ImageSet test = load_image_set(data_dir, Split::test);

  std::vector<quant::Tensor> calib;
  for (int64_t i = 0; i < std::min<int64_t>(c.eval.calib_images, train.count); ++i) calib.push_back(image_tensor(train, i, c));
  if (!calib.empty() && calib.front().dims != model.input_dims) {  // before the MAC layers are mapped
    throw InputError(fmt::format("{}: input dims [{}] differ from the model's [{}]", model_path,
                                 fmt::join(calib.front().dims, ", "), fmt::join(model.input_dims, ", ")));
  }
  const std::vector<LayerSpec> mac_layers = load_model_layers(model_path);  // sizes acc_bits: auto
  QuantizedModel design = prepare_model(model, model_path, model_quant(c), design_arch(c, mac_layers), calib);

  EvalResult r;
  r.model = model_path;
  r.dataset = o.dataset;
  r.design = design_label(design_quant(c));
  r.method = c.quant.method.name == "equalization" ? "equalization:" + c.quant.method.equalization : c.quant.method.name;
  if (c.quant.method.bias_correction) r.method += "+bias_correction";
  r.calib_images = int64_t(calib.size());
  r.images = c.eval.limit > 0 ? std::min<int64_t>(c.eval.limit, test.count) : test.count;

  const bool transformed = c.quant.method.name == "equalization";
  std::vector<Energy> layer_energy(design.macs().size());
  Energy logits;
  int64_t fp32_correct = 0, correct = 0, agree = 0;
  OverflowCounts overflow;
  for (int64_t i = 0; i < r.images; ++i) {
    const quant::Tensor x = image_tensor(test, i, c);
    quant::Values fv, qv;
    const quant::Tensor fy = quant::run_float(design.model(), x, &fv);
    const quant::Tensor qy = design.infer(x, &qv, nullptr, &overflow);
    const int64_t f_class = transformed ? argmax(quant::run_float(model, x)) : argmax(fy), q_class = argmax(qy);
    fp32_correct += f_class == test.labels[i];
    correct += q_class == test.labels[i];
    agree += f_class == q_class;
    logits.add(fy, qy);
    for (std::size_t j = 0; j < design.macs().size(); ++j) {
      const std::string& name = design.macs()[j].out_value;
      layer_energy[j].add(fv.at(name), qv.at(name));
    }
  }
  r.fp32_top1 = double(fp32_correct) / double(r.images);
  r.top1 = double(correct) / double(r.images);
  r.agreement = double(agree) / double(r.images);
  r.logits_sqnr_db = logits.sqnr_db();
  double bits = 0.0, zeros = 0.0, weights = 0.0;
  for (std::size_t j = 0; j < design.macs().size(); ++j) {
    const MacLayerInfo& info = design.macs()[j].info;
    const int64_t sat = j < overflow.saturations.size() ? overflow.saturations[j] : 0;
    const int64_t zeroed = j < overflow.zeroed_vectors.size() ? overflow.zeroed_vectors[j] : 0;
    r.layers.push_back({info, layer_energy[j].sqnr_db(), sat, zeroed});
    r.saturations += sat;
    r.zeroed_vectors += zeroed;
    bits += info.weight_bits * double(info.weights);
    zeros += info.sparsity * double(info.weights);
    weights += double(info.weights);
  }
  r.weight_bits = weights > 0.0 ? bits / weights : 0.0;
  r.weight_sparsity = weights > 0.0 ? zeros / weights : 0.0;

  if (c.eval.simulate > 0) {
    const QuantizedModel baseline = prepare_model(model, model_path, baseline_model_quant(c), baseline_arch(c, mac_layers), calib);
    r.simulated = simulate(c, model_path, design, baseline, test, std::min<int64_t>(c.eval.simulate, test.count));
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

std::vector<std::string> write_eval(const EvalResult& r, const Config& c, const std::string& dir) {
  std::filesystem::create_directories(dir);
  nlohmann::ordered_json j;
  j["model"] = r.model;
  j["dataset"] = r.dataset;
  j["design"] = r.design;
  j["method"] = r.method;
  j["run_name"] = c.run.name;
  j["images"] = r.images;
  j["calib_images"] = r.calib_images;
  j["fp32_top1"] = r.fp32_top1;
  j["top1"] = r.top1;
  j["top1_drop_pt"] = 100.0 * (r.fp32_top1 - r.top1);
  j["agreement"] = r.agreement;
  j["logits_sqnr_db"] = r.logits_sqnr_db;
  j["weight_bits"] = r.weight_bits;
  j["weight_sparsity"] = r.weight_sparsity;
  j["saturations"] = r.saturations;
  j["zeroed_vectors"] = r.zeroed_vectors;
  if (r.simulated) {
    const SimulatedFigures& s = *r.simulated;
    j["simulated"] = {{"images", s.images},
                      {"cycles_per_inference", s.cycles},
                      {"baseline_cycles_per_inference", s.baseline_cycles},
                      {"energy_pj_per_inference", s.energy_pj},
                      {"baseline_energy_pj_per_inference", s.baseline_energy_pj},
                      {"energy_ratio", s.energy_pj / s.baseline_energy_pj},
                      {"area_um2", s.area_um2},
                      {"baseline_area_um2", s.baseline_area_um2},
                      {"area_ratio", s.area_um2 / s.baseline_area_um2},
                      {"saturations", s.saturations}};
    j["simulated"]["energy_breakdown_pj"] = s.energy_breakdown.by_component;
  }
  std::string csv =
      "layer,op,macs,dla_macs,weights,weight_bits,sparsity,mean_points,mcq_bits,clipped,sqnr_db,saturations,"
      "zeroed_vectors\n";
  for (const LayerAccuracy& l : r.layers) {
    const MacLayerInfo& i = l.info;
    j["layers"].push_back({{"name", i.name}, {"op", i.op}, {"macs", i.macs}, {"dla_macs", i.dla_macs},
                           {"weights", i.weights}, {"weight_bits", i.weight_bits}, {"sparsity", i.sparsity},
                           {"mean_points", i.mean_points}, {"mcq_bits", i.mcq_bits}, {"clipped", i.clipped},
                           {"sqnr_db", l.sqnr_db}, {"saturations", l.saturations},
                           {"zeroed_vectors", l.zeroed_vectors}});
    csv += fmt::format("{},{},{},{},{},{:.4f},{:.4f},{:.3f},{},{},{:.2f},{},{}\n", i.name, i.op, i.macs, i.dla_macs,
                       i.weights, i.weight_bits, i.sparsity, i.mean_points, i.mcq_bits, i.clipped, l.sqnr_db,
                       l.saturations, l.zeroed_vectors);
  }
  const std::string json_path = (std::filesystem::path(dir) / "eval.json").string();
  const std::string csv_path = (std::filesystem::path(dir) / "layers.csv").string();
  write_file_atomic(json_path, j.dump(2) + "\n");
  write_file_atomic(csv_path, csv);
  return {json_path, csv_path};
}

namespace {

// Overflow policy (docs/reliability.md): the totals, and a warning naming the layers when non-zero.
std::string eval_overflow(const EvalResult& r) {
  std::vector<std::string> saturated, zeroed;
  for (const LayerAccuracy& l : r.layers) {
    if (l.saturations > 0) saturated.push_back(l.info.name);
    if (l.zeroed_vectors > 0) zeroed.push_back(l.info.name);
  }
  std::string s = fmt::format("overflow: {} accumulator saturations, {} vectors zeroed (per-vector scale code 0) over "
                              "the {} images\n", r.saturations, r.zeroed_vectors, r.images);
  if (r.saturations > 0) {
    s += fmt::format("warning: {} accumulator saturations in layers {} (see layers.csv)\n", r.saturations,
                     fmt::join(saturated, ", "));
  }
  if (r.zeroed_vectors > 0) {
    s += fmt::format("warning: {} per-vector scale codes underflowed to 0 (vectors zeroed) in layers {} (see "
                     "layers.csv)\n", r.zeroed_vectors, fmt::join(zeroed, ", "));
  }
  return s;
}

}  // namespace

std::string format_eval(const EvalResult& r) {
  std::string s = fmt::format("model {}  ({} test images, {} calibration images)\ndesign {}  method {}\n", r.model,
                              r.images, r.calib_images, r.design, r.method);
  s += fmt::format("{:<28} {:>10} {:>10} {:>9} {:>8} {:>7} {:>9}\n", "layer", "MACs", "DLA MACs", "w bits", "sparsity",
                   "points", "SQNR dB");
  for (const LayerAccuracy& l : r.layers) {
    const MacLayerInfo& i = l.info;
    s += fmt::format("{:<28} {:>10} {:>10} {:>9.3f} {:>8.3f} {:>7.2f} {:>9.2f}\n", i.name, i.macs, i.dla_macs,
                     i.weight_bits, i.sparsity, i.mean_points, l.sqnr_db);
  }
  s += fmt::format("top-1 accuracy: FP32 {:.2f} %, quantized {:.2f} % ({:+.2f} pt); top-1 agreement {:.2f} %\n",
                   100 * r.fp32_top1, 100 * r.top1, 100 * (r.top1 - r.fp32_top1), 100 * r.agreement);
  s += fmt::format("logits SQNR {:.2f} dB; weights {:.3f} bits stored per weight, {:.1f} % zero\n", r.logits_sqnr_db,
                   r.weight_bits, 100 * r.weight_sparsity);
  s += eval_overflow(r);
  if (r.simulated) {
    const SimulatedFigures& f = *r.simulated;
    s += fmt::format("simulated {} inference(s) on the SystemC DLA: all {} layer outputs bit-exact with the reference\n",
                     f.images, f.jobs);
    s += fmt::format("{:<26} {:>14} {:>14} {:>8}\n", "per inference", "design", "baseline", "ratio");
    s += fmt::format("{:<26} {:>14.0f} {:>14.0f} {:>8.3f}\n", "cycles", f.cycles, f.baseline_cycles,
                     f.cycles / f.baseline_cycles);
    s += fmt::format("{:<26} {:>14.1f} {:>14.1f} {:>8.3f}\n", "energy (nJ)", f.energy_pj / 1e3,
                     f.baseline_energy_pj / 1e3, f.energy_pj / f.baseline_energy_pj);
    s += fmt::format("{:<26} {:>14.4f} {:>14.4f} {:>8.3f}\n", "area (mm2)", f.area_um2 / 1e6, f.baseline_area_um2 / 1e6,
                     f.area_um2 / f.baseline_area_um2);
  }
  s += fmt::format("wall time {:.1f} s\n", r.seconds);
  return s;
}

}  // namespace dlasim::sim
