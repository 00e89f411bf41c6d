// ONNX -> Model (quant/onnx_import.hpp). One pass over the nodes in file order:
//   - every input must be the graph input, an initializer, a Constant or an earlier node's output;
//   - each supported node becomes one Op, or folds into an earlier one (BatchNormalization into Conv, a bias
//     Add into a MatMul-made `linear`), or becomes a constant (Constant; elementwise ops on constants only),
//     or an alias (Identity, Dropout);
//   - every new op runs once on zero-valued inputs (run_op), so shape errors surface at the node that has them
//     and later folding decisions know each value's dims.
#include "quant/onnx_import.hpp"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <new>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <cstring>
#include <cerrno>

#include "quant/onnx_proto_read.hpp"

namespace dlasim::quant {
namespace {

using onnx_read::Constant;
using onnx_read::fail;

constexpr const char* kSupportedOps =
    "Conv, Gemm, MatMul, Relu, Clip, MaxPool, AveragePool, GlobalAveragePool, Add, Sub, Mul, Div, Erf, Sqrt, "
    "Flatten, Reshape, Transpose, BatchNormalization, Softmax, LayerNormalization, ReduceMean, Constant, "
    "Dropout, Identity";

constexpr int64_t kMaxInputElements = int64_t{1} << 28;  // a sanity bound on one input (1 GiB of float)

class Importer {
 public:
  Importer(const onnx::ModelProto& proto, std::string file) : proto_(proto), graph_(proto.graph()), file_(std::move(file)) {}

  Model run() {
    model_.path = file_;
    read_opset();
    for (const onnx::TensorProto& t : graph_.initializer()) initializers_[t.name()] = &t;
    read_graph_input();
    count_consumers();
    for (int i = 0; i < graph_.node_size(); ++i) {
      node_index_ = i;
      import_node(graph_.node(i));
    }
    finish();
    return std::move(model_);
  }

 private:
  const onnx::ModelProto& proto_;
  const onnx::GraphProto& graph_;
  std::string file_;
  Model model_;
  int64_t opset_ = 17;
  int node_index_ = 0;
  std::map<std::string, const onnx::TensorProto*> initializers_;
  std::map<std::string, Constant> constants_;       // converted initializers and Constant outputs
  std::map<std::string, std::string> aliases_;     // Identity/Dropout output -> the value it stands for
  std::map<std::string, Tensor> shapes_;             // activations computed on a zero input (for dims)
  std::map<std::string, std::size_t> producer_;      // activation -> index in model_.ops
  std::map<std::string, int> consumer_count_;        // ONNX-level readers of a value (+1 for graph outputs)
  std::set<std::size_t> bias_fusable_;               // ops made from a MatMul whose bias is still free

  // ---- node context ----

  const onnx::NodeProto* node_ = nullptr;
  std::string where_;  // "m.onnx: node 'c1' (Conv)"

  [[noreturn]] void node_fail(const std::string& what) const { fail(where_, what); }

  void read_opset() {
    for (const onnx::OperatorSetIdProto& o : proto_.opset_import())
      if (o.domain().empty() || o.domain() == "ai.onnx") opset_ = o.version();
  }

  void read_graph_input() {
    const onnx::ValueInfoProto* input = nullptr;
    for (const onnx::ValueInfoProto& v : graph_.input()) {
      if (initializers_.count(v.name())) continue;  // IR < 4 lists initializers as inputs too
      if (input) fail(file_, "graph has more than one input ('" + input->name() + "', '" + v.name() +
                                 "'; expected one image or sequence input)");
      input = &v;
    }
    if (!input) fail(file_, "graph has no input (expected one float tensor input)");
    const std::string where = file_ + ": graph input '" + input->name() + "'";
    if (!input->type().has_tensor_type()) fail(where, "is not a tensor");
    const onnx::TypeProto_Tensor& tt = input->type().tensor_type();
    if (tt.elem_type() != onnx::TensorProto::FLOAT) fail(where, "element type is not FLOAT");
    if (!tt.has_shape()) fail(where, "has no shape (expected static dims after the batch dim)");
    int64_t input_elements = 1;
    for (int d = 0; d < tt.shape().dim_size(); ++d) {
      const onnx::TensorShapeProto_Dimension& dim = tt.shape().dim(d);
      if (d == 0) {
        if (dim.has_dim_value() && dim.dim_value() != 1)
          fail(where, "batch dim is " + std::to_string(dim.dim_value()) + " (expected 1 or symbolic)");
        model_.input_dims.push_back(1);
      } else {
        if (!dim.has_dim_value() || dim.dim_value() <= 0)
          fail(where, "dim " + std::to_string(d) + " is symbolic or not positive (expected a fixed size > 0)");
        model_.input_dims.push_back(dim.dim_value());
      }
      if (model_.input_dims.back() > kMaxInputElements / input_elements)
        fail(where, "has more than 2^28 elements (expected one image or sequence)");
      input_elements *= model_.input_dims.back();
    }
    model_.input = input->name();
    Tensor zero;
    zero.dims = model_.input_dims;
    zero.data.assign(static_cast<std::size_t>(zero.numel()), 0.0f);
    shapes_[model_.input] = std::move(zero);
    if (graph_.output_size() != 1)
      fail(file_, "graph has " + std::to_string(graph_.output_size()) + " outputs (expected 1)");
  }

  void count_consumers() {
    for (const onnx::NodeProto& n : graph_.node())
      for (const std::string& in : n.input())
        if (!in.empty()) ++consumer_count_[in];
    for (const onnx::ValueInfoProto& o : graph_.output()) ++consumer_count_[o.name()];
  }

  // ---- values ----

  std::string resolve(const std::string& name) const {
    auto a = aliases_.find(name);
    return a == aliases_.end() ? name : a->second;
  }

  bool is_activation(const std::string& name) const { return shapes_.count(resolve(name)) > 0; }

  // The constant `name`, converting an initializer on first use; nullptr when `name` is an activation.
  // Errors when it is neither (missing, or produced by a later node).
  const Constant* constant_or_null(const std::string& raw_name) {
    const std::string name = resolve(raw_name);
    if (shapes_.count(name)) return nullptr;
    auto c = constants_.find(name);
    if (c != constants_.end()) return &c->second;
    auto init = initializers_.find(name);
    if (init != initializers_.end())
      return &(constants_[name] = onnx_read::read_tensor(*init->second, where_ + ": initializer"));
    for (int j = node_index_ + 1; j < graph_.node_size(); ++j)
      for (const std::string& out : graph_.node(j).output())
        if (out == name)
          node_fail("input '" + name + "' is produced by the later node '" + node_label(j) +
                    "' (nodes are not in topological order)");
    node_fail("input '" + name + "' is neither an initializer, a Constant nor an earlier node's output "
              "(missing initializer?)");
  }

  const Constant& constant(const std::string& name, const char* role) {
    const Constant* c = constant_or_null(name);
    if (!c) node_fail(std::string(role) + " '" + name + "' must be a constant (initializer or Constant)");
    return *c;
  }
  const Tensor& float_constant(const std::string& name, const char* role) {
    const Constant& c = constant(name, role);
    if (c.is_int64) node_fail(std::string(role) + " '" + name + "' is INT64 (expected FLOAT)");
    return c.values;
  }
  const std::vector<int64_t>& int_constant(const std::string& name, const char* role) {
    const Constant& c = constant(name, role);
    if (!c.is_int64) node_fail(std::string(role) + " '" + name + "' is FLOAT (expected INT64)");
    return c.ints;
  }
  // Input `i` that must be computed (not a constant).
  std::string activation(int i, const char* role) {
    const std::string name = input(i);
    if (constant_or_null(name)) node_fail(std::string(role) + " '" + name + "' must be computed, not a constant");
    return resolve(name);
  }

  std::string input(int i) const { return i < node_->input_size() ? node_->input(i) : std::string(); }
  bool has_input(int i) const { return !input(i).empty(); }

  std::string node_label(int j) const {
    const onnx::NodeProto& n = graph_.node(j);
    return n.name().empty() ? n.op_type() + "_" + std::to_string(j) : n.name();
  }

  // ---- emitting ----

  Op new_op(OpKind kind) const {
    Op op;
    op.kind = kind;
    op.name = node_label(node_index_);
    op.onnx_op = node_->op_type();
    op.output = node_->output(0);
    return op;
  }

  // Appends `op`, computing its output on the zero-valued inputs (shape check).
  void emit(Op op) {
    std::vector<const Tensor*> args;
    for (const std::string& in : op.inputs) {
      auto s = shapes_.find(in);
      if (s != shapes_.end()) {
        args.push_back(&s->second);
      } else {
        args.push_back(&float_constant(in, "input"));
        model_.constants[in] = constants_.at(in).values;
      }
    }
    Tensor out;
    try {
      out = run_op(op, args);
    } catch (const std::invalid_argument& e) {
      fail(file_, e.what());
    } catch (const std::bad_alloc&) {
      node_fail("output is too large to compute");
    }
    shapes_[op.output] = std::move(out);
    producer_[op.output] = model_.ops.size();
    model_.ops.push_back(std::move(op));
  }

  // Renames op `index`'s output to the current node's output (after folding the node into it).
  void take_over_output(std::size_t index) {
    Op& op = model_.ops[index];
    Tensor value = std::move(shapes_.at(op.output));
    shapes_.erase(op.output);
    producer_.erase(op.output);
    op.output = node_->output(0);
    shapes_[op.output] = std::move(value);
    producer_[op.output] = index;
  }

  // True when only the current node reads `value` (and it is not the graph output).
  bool single_consumer(const std::string& value) const {
    auto c = consumer_count_.find(value);
    return c != consumer_count_.end() && c->second == 1;
  }

  void expect_inputs(int min, int max) const {
    int n = node_->input_size();
    while (n > min && node_->input(n - 1).empty()) --n;  // trailing optional inputs left empty
    if (n < min || n > max)
      node_fail("has " + std::to_string(node_->input_size()) + " inputs (expected " +
                (min == max ? std::to_string(min) : std::to_string(min) + " to " + std::to_string(max)) + ")");
    for (int i = 0; i < min; ++i)
      if (node_->input(i).empty()) node_fail("required input " + std::to_string(i) + " is empty");
  }

  int64_t attr_int(const char* name, int64_t fallback) const { return onnx_read::attr_int(*node_, name, fallback, where_); }
  float attr_float(const char* name, float fallback) const { return onnx_read::attr_float(*node_, name, fallback, where_); }
  std::vector<int64_t> attr_ints(const char* name, std::vector<int64_t> fallback, int count) const {
    return onnx_read::attr_ints(*node_, name, fallback, count, where_);
  }
  void known(const std::vector<std::string>& names) const { onnx_read::check_known_attributes(*node_, names, where_); }
  void expect_int(const char* name, int64_t fallback, int64_t expected) const {
    const int64_t v = attr_int(name, fallback);
    if (v != expected)
      node_fail("attribute '" + std::string(name) + "' = " + std::to_string(v) + " is not supported (expected " +
                std::to_string(expected) + ")");
  }
  void expect_notset_auto_pad() const {
    const std::string v = onnx_read::attr_string(*node_, "auto_pad", "NOTSET", where_);
    if (v != "NOTSET") node_fail("attribute 'auto_pad' = " + v + " is not supported (expected NOTSET)");
  }
  // Kernel, stride, dilation and pad values: in [min, 65536] (the upper bound keeps size arithmetic exact).
  void expect_positive(const char* name, const std::vector<int64_t>& v, int64_t min) const {
    for (int64_t x : v)
      if (x < min || x > 65536)
        node_fail("attribute '" + std::string(name) + "' has value " + std::to_string(x) + " (expected " +
                  std::to_string(min) + " to 65536)");
  }

  // ---- per op ----

  void import_node(const onnx::NodeProto& node) {
    node_ = &node;
    const std::string& type = node.op_type();
    where_ = file_ + ": node '" + node_label(node_index_) + "' (" + type + ")";
    if (!node.domain().empty() && node.domain() != "ai.onnx")
      node_fail("domain '" + node.domain() + "' is not supported (expected the default ONNX domain)");
    if (node.output_size() < 1 || node.output(0).empty()) node_fail("has no output");
    for (const std::string& out : node.output())
      if (!out.empty() && (shapes_.count(out) || constants_.count(out) || aliases_.count(out) || initializers_.count(out)))
        node_fail("output '" + out + "' is already defined (values must be assigned once)");
    // Every input must exist already (constant_or_null errors on missing or later-produced values).
    for (const std::string& in : node.input())
      if (!in.empty()) constant_or_null(in);

    if (type == "Conv") return import_conv();
    if (type == "Gemm") return import_gemm();
    if (type == "MatMul") return import_matmul();
    if (type == "Relu") return import_unary(OpKind::relu);
    if (type == "Erf") return import_unary(OpKind::erf);
    if (type == "Sqrt") return import_unary(OpKind::sqrt);
    if (type == "Clip") return import_clip();
    if (type == "MaxPool" || type == "AveragePool") return import_pool();
    if (type == "GlobalAveragePool") return import_global_pool();
    if (type == "Add") return import_binary(OpKind::add);
    if (type == "Sub") return import_binary(OpKind::sub);
    if (type == "Mul") return import_binary(OpKind::mul);
    if (type == "Div") return import_binary(OpKind::div);
    if (type == "Flatten") return import_flatten();
    if (type == "Reshape") return import_reshape();
    if (type == "Transpose") return import_transpose();
    if (type == "BatchNormalization") return import_batch_norm();
    if (type == "Softmax") return import_softmax();
    if (type == "LayerNormalization") return import_layer_norm();
    if (type == "ReduceMean") return import_reduce_mean();
    if (type == "Constant") return import_constant();
    if (type == "Dropout" || type == "Identity") return import_alias();
    node_fail(std::string("unsupported op (supported: ") + kSupportedOps + ")");
  }

  void import_conv() {
    known({"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"});
    expect_inputs(2, 3);
    expect_notset_auto_pad();
    Op op = new_op(OpKind::conv);
    op.inputs = {activation(0, "input X")};
    op.weights = float_constant(input(1), "weights");
    const std::vector<int64_t>& wd = op.weights.dims;
    if (wd.size() != 4)
      node_fail("weights '" + input(1) + "' have " + std::to_string(wd.size()) +
                " dims (expected 4: [K][C/group][R][S]; only 2-D convolution is supported)");
    op.kernel = attr_ints("kernel_shape", {wd[2], wd[3]}, 2);
    if (op.kernel[0] != wd[2] || op.kernel[1] != wd[3])
      node_fail("attribute 'kernel_shape' differs from the weights' [R][S] = [" + std::to_string(wd[2]) + ", " +
                std::to_string(wd[3]) + "]");
    op.strides = attr_ints("strides", {1, 1}, 2);
    op.dilations = attr_ints("dilations", {1, 1}, 2);
    op.pads = attr_ints("pads", {0, 0, 0, 0}, 4);
    op.groups = attr_int("group", 1);
    expect_positive("strides", op.strides, 1);
    expect_positive("dilations", op.dilations, 1);
    expect_positive("pads", op.pads, 0);
    if (op.groups < 1 || wd[0] % op.groups != 0)
      node_fail("attribute 'group' = " + std::to_string(op.groups) + " does not divide the " +
                std::to_string(wd[0]) + " output channels");
    if (has_input(2)) {
      op.bias = float_constant(input(2), "bias");
      if (op.bias.dims.size() != 1 || op.bias.dims[0] != wd[0])
        node_fail("bias '" + input(2) + "' must have dims [" + std::to_string(wd[0]) + "]");
    } else {
      op.bias.dims = {wd[0]};
      op.bias.data.assign(static_cast<std::size_t>(wd[0]), 0.0f);
    }
    emit(std::move(op));
  }

  void import_gemm() {
    known({"alpha", "beta", "transA", "transB"});
    expect_inputs(2, 3);
    expect_int("transA", 0, 0);
    const int64_t trans_b = attr_int("transB", 0);
    if (trans_b != 0 && trans_b != 1) node_fail("attribute 'transB' = " + std::to_string(trans_b) + " (expected 0 or 1)");
    const float alpha = attr_float("alpha", 1.0f), beta = attr_float("beta", 1.0f);
    Op op = new_op(OpKind::linear);
    op.inputs = {activation(0, "input A")};
    const Tensor& b = float_constant(input(1), "input B");
    if (b.dims.size() != 2) node_fail("input B '" + input(1) + "' must be 2-D");
    const int64_t N = trans_b ? b.dims[0] : b.dims[1], K = trans_b ? b.dims[1] : b.dims[0];
    op.weights.dims = {N, K};
    op.weights.data.resize(static_cast<std::size_t>(N * K));
    for (int64_t n = 0; n < N; ++n)
      for (int64_t k = 0; k < K; ++k)
        op.weights.data[static_cast<std::size_t>(n * K + k)] =
            alpha * b.data[static_cast<std::size_t>(trans_b ? n * K + k : k * N + n)];
    op.bias.dims = {N};
    op.bias.data.assign(static_cast<std::size_t>(N), 0.0f);
    if (has_input(2)) {
      const Tensor& c = float_constant(input(2), "input C");
      const int64_t cn = c.numel();
      bool ok = cn == 1 || (cn == N && !c.dims.empty() && c.dims.back() == N);
      if (!ok) node_fail("input C '" + input(2) + "' must broadcast as a [" + std::to_string(N) + "] bias (batch 1)");
      for (int64_t n = 0; n < N; ++n)
        op.bias.data[static_cast<std::size_t>(n)] = beta * c.data[static_cast<std::size_t>(cn == 1 ? 0 : n)];
    }
    emit(std::move(op));
  }

  void import_matmul() {
    known({});
    expect_inputs(2, 2);
    const Constant* b = constant_or_null(input(1));
    if (b && !constant_or_null(input(0))) {
      // Constant B [K][N] -> linear with weights [N][K].
      const Tensor& bt = float_constant(input(1), "input B");
      if (bt.dims.size() != 2) node_fail("constant input B '" + input(1) + "' must be 2-D [K][N]");
      const int64_t K = bt.dims[0], N = bt.dims[1];
      Op op = new_op(OpKind::linear);
      op.inputs = {resolve(input(0))};
      op.weights.dims = {N, K};
      op.weights.data.resize(static_cast<std::size_t>(N * K));
      for (int64_t k = 0; k < K; ++k)
        for (int64_t n = 0; n < N; ++n)
          op.weights.data[static_cast<std::size_t>(n * K + k)] = bt.data[static_cast<std::size_t>(k * N + n)];
      op.bias.dims = {N};
      op.bias.data.assign(static_cast<std::size_t>(N), 0.0f);
      bias_fusable_.insert(model_.ops.size());
      emit(std::move(op));
      return;
    }
    if (b) node_fail("both inputs are constants (constant folding of MatMul is not supported)");
    Op op = new_op(OpKind::matmul);
    op.inputs = {resolve(input(0)), resolve(input(1))};
    emit(std::move(op));
  }

  void import_unary(OpKind kind) {
    known({});
    expect_inputs(1, 1);
    Op op = new_op(kind);
    op.inputs = {activation(0, "input")};
    emit(std::move(op));
  }

  float scalar_constant(int i, const char* role) {
    const Tensor& t = float_constant(input(i), role);
    if (t.data.size() != 1) node_fail(std::string(role) + " '" + input(i) + "' must hold one value");
    return t.data[0];
  }

  void import_clip() {
    Op op = new_op(OpKind::clip);
    if (opset_ < 11) {
      known({"min", "max"});
      expect_inputs(1, 1);
      op.min_value = attr_float("min", op.min_value);
      op.max_value = attr_float("max", op.max_value);
    } else {
      known({});
      expect_inputs(1, 3);
      if (has_input(1)) op.min_value = scalar_constant(1, "min");
      if (has_input(2)) op.max_value = scalar_constant(2, "max");
    }
    op.inputs = {activation(0, "input")};
    emit(std::move(op));
  }

  void import_pool() {
    const bool is_max = node_->op_type() == "MaxPool";
    if (is_max)
      known({"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"});
    else
      known({"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads", "strides"});
    expect_inputs(1, 1);
    if (node_->output_size() > 1 && !node_->output(1).empty() && consumer_count_.count(node_->output(1)))
      node_fail("output 'Indices' is read by another node (not supported)");
    expect_notset_auto_pad();
    expect_int("ceil_mode", 0, 0);
    if (is_max) expect_int("storage_order", 0, 0);
    Op op = new_op(is_max ? OpKind::max_pool : OpKind::average_pool);
    op.inputs = {activation(0, "input X")};
    if (!find_attribute("kernel_shape")) node_fail("attribute 'kernel_shape' is missing");
    op.kernel = attr_ints("kernel_shape", {}, 2);
    op.strides = attr_ints("strides", {1, 1}, 2);
    op.pads = attr_ints("pads", {0, 0, 0, 0}, 4);
    op.dilations = is_max ? attr_ints("dilations", {1, 1}, 2) : std::vector<int64_t>{1, 1};
    expect_positive("kernel_shape", op.kernel, 1);
    expect_positive("strides", op.strides, 1);
    expect_positive("dilations", op.dilations, 1);
    expect_positive("pads", op.pads, 0);
    if (!is_max) {
      const int64_t cip = attr_int("count_include_pad", 0);
      if (cip != 0 && cip != 1) node_fail("attribute 'count_include_pad' = " + std::to_string(cip) + " (expected 0 or 1)");
      op.count_include_pad = cip == 1;
    }
    emit(std::move(op));
  }

  const onnx::AttributeProto* find_attribute(const char* name) const { return onnx_read::find_attribute(*node_, name); }

  void import_global_pool() {
    known({});
    expect_inputs(1, 1);
    Op op = new_op(OpKind::global_average_pool);
    op.inputs = {activation(0, "input X")};
    emit(std::move(op));
  }

  void import_binary(OpKind kind) {
    known({});
    expect_inputs(2, 2);
    const Constant* a = constant_or_null(input(0));
    const Constant* b = constant_or_null(input(1));
    if (a && b) {  // fold: both operands are constants
      if (a->is_int64 || b->is_int64) node_fail("INT64 arithmetic is not supported (expected FLOAT constants)");
      Op op = new_op(kind);
      Constant c;
      try {
        c.values = run_op(op, {&a->values, &b->values});
      } catch (const std::invalid_argument& e) {
        fail(file_, e.what());
      }
      constants_[node_->output(0)] = std::move(c);
      return;
    }
    // A bias Add right after a MatMul with constant B folds into that linear op.
    if (kind == OpKind::add && (a || b)) {
      const std::string act = resolve(input(a ? 1 : 0));
      auto p = producer_.find(act);
      if (p != producer_.end() && bias_fusable_.count(p->second) && single_consumer(act) && !(a ? a : b)->is_int64) {
        const Tensor& bias = (a ? a : b)->values;
        Op& mm = model_.ops[p->second];
        const int64_t N = mm.weights.dims[0];
        const std::size_t out_rank = shapes_.at(act).dims.size();
        bool fits = !bias.dims.empty() && bias.dims.back() == N && bias.dims.size() <= out_rank;
        for (std::size_t i = 0; fits && i + 1 < bias.dims.size(); ++i) fits = bias.dims[i] == 1;
        if (fits) {
          mm.bias.data = bias.data;
          mm.bias.dims = {N};
          bias_fusable_.erase(p->second);
          take_over_output(p->second);
          return;
        }
      }
    }
    Op op = new_op(kind);
    op.inputs = {resolve(input(0)), resolve(input(1))};
    emit(std::move(op));
  }

  void import_flatten() {
    known({"axis"});
    expect_inputs(1, 1);
    Op op = new_op(OpKind::flatten);
    op.axis = attr_int("axis", 1);
    op.inputs = {activation(0, "input")};
    emit(std::move(op));
  }

  void import_reshape() {
    known({"allowzero"});
    expect_inputs(2, 2);
    expect_int("allowzero", 0, 0);
    Op op = new_op(OpKind::reshape);
    op.inputs = {activation(0, "data")};
    op.shape = int_constant(input(1), "shape");
    int minus_ones = 0;
    for (int64_t d : op.shape) {
      if (d < -1) node_fail("shape '" + input(1) + "' has the value " + std::to_string(d) + " (expected >= -1)");
      minus_ones += d == -1;
    }
    if (minus_ones > 1) node_fail("shape '" + input(1) + "' has more than one -1");
    emit(std::move(op));
  }

  void import_transpose() {
    known({"perm"});
    expect_inputs(1, 1);
    Op op = new_op(OpKind::transpose);
    op.perm = attr_ints("perm", {}, -1);
    std::vector<bool> seen(op.perm.size(), false);
    for (int64_t p : op.perm) {
      if (p < 0 || p >= static_cast<int64_t>(op.perm.size()) || seen[static_cast<std::size_t>(p)])
        node_fail("attribute 'perm' is not a permutation of 0.." + std::to_string(op.perm.size()) + "-1");
      seen[static_cast<std::size_t>(p)] = true;
    }
    op.inputs = {activation(0, "data")};
    emit(std::move(op));
  }

  void import_batch_norm() {
    known({"epsilon", "momentum", "training_mode"});
    expect_inputs(5, 5);
    expect_int("training_mode", 0, 0);
    const std::string x = activation(0, "input X");
    auto p = producer_.find(x);
    if (p == producer_.end() || model_.ops[p->second].kind != OpKind::conv || !single_consumer(x))
      node_fail("input '" + x + "' is not the output of a Conv read only by this node (only BatchNormalization "
                "folded into the preceding Conv is supported)");
    Op& conv = model_.ops[p->second];
    const int64_t K = conv.weights.dims[0];
    const Tensor* params[4];
    const char* roles[4] = {"scale", "B", "mean", "var"};
    for (int i = 0; i < 4; ++i) {
      params[i] = &float_constant(input(i + 1), roles[i]);
      if (params[i]->numel() != K)
        node_fail(std::string(roles[i]) + " '" + input(i + 1) + "' has " + std::to_string(params[i]->numel()) +
                  " values (expected " + std::to_string(K) + ", the Conv's output channels)");
    }
    const double eps = attr_float("epsilon", 1e-5f);
    const int64_t per_k = conv.weights.numel() / K;
    for (int64_t k = 0; k < K; ++k) {
      const std::size_t i = static_cast<std::size_t>(k);
      const double var = params[3]->data[i];
      if (var + eps <= 0) node_fail("var + epsilon is not positive for channel " + std::to_string(k));
      const double g = params[0]->data[i] / std::sqrt(var + eps);
      for (int64_t j = 0; j < per_k; ++j) {
        float& w = conv.weights.data[static_cast<std::size_t>(k * per_k + j)];
        w = static_cast<float>(w * g);
      }
      conv.bias.data[i] = static_cast<float>((conv.bias.data[i] - params[2]->data[i]) * g + params[1]->data[i]);
    }
    take_over_output(p->second);
  }

  void import_softmax() {
    known({"axis"});
    expect_inputs(1, 1);
    Op op = new_op(OpKind::softmax);
    op.inputs = {activation(0, "input")};
    const int64_t rank = static_cast<int64_t>(shapes_.at(op.inputs[0]).dims.size());
    op.axis = attr_int("axis", opset_ >= 13 ? -1 : 1);
    if (opset_ < 13) {  // older Softmax flattens from `axis`: the same only when axis is the last dim
      const int64_t a = op.axis < 0 ? op.axis + rank : op.axis;
      if (a != rank - 1) node_fail("opset " + std::to_string(opset_) + " Softmax over axes " + std::to_string(a) +
                                   ".. of a rank-" + std::to_string(rank) + " input is not supported (expected opset >= 13 or the last axis)");
    }
    emit(std::move(op));
  }

  void import_layer_norm() {
    known({"axis", "epsilon", "stash_type"});
    expect_inputs(2, 3);
    for (int i = 1; i < node_->output_size(); ++i)
      if (!node_->output(i).empty() && consumer_count_.count(node_->output(i)))
        node_fail("output '" + node_->output(i) + "' (Mean/InvStdDev) is read by another node (not supported)");
    Op op = new_op(OpKind::layer_norm);
    op.inputs = {activation(0, "input X")};
    op.axis = attr_int("axis", -1);
    op.epsilon = attr_float("epsilon", 1e-5f);
    op.weights = float_constant(input(1), "Scale");
    if (has_input(2)) op.bias = float_constant(input(2), "B");
    emit(std::move(op));
  }

  void import_reduce_mean() {
    known({"axes", "keepdims", "noop_with_empty_axes"});
    expect_inputs(1, 2);
    expect_int("noop_with_empty_axes", 0, 0);
    Op op = new_op(OpKind::reduce_mean);
    op.inputs = {activation(0, "data")};
    op.axes = attr_ints("axes", {}, -1);
    if (has_input(1)) {
      if (find_attribute("axes")) node_fail("axes given both as attribute and as input");
      op.axes = int_constant(input(1), "axes");
    }
    const int64_t keep = attr_int("keepdims", 1);
    if (keep != 0 && keep != 1) node_fail("attribute 'keepdims' = " + std::to_string(keep) + " (expected 0 or 1)");
    op.keepdims = keep == 1;
    emit(std::move(op));
  }

  void import_constant() {
    known({"value", "value_float", "value_floats", "value_int", "value_ints"});
    expect_inputs(0, 0);
    if (node_->attribute_size() != 1) node_fail("needs exactly one value attribute");
    const onnx::AttributeProto& a = node_->attribute(0);
    Constant c;
    if (a.name() == "value") {
      if (a.type() != onnx::AttributeProto::TENSOR) node_fail("attribute 'value' is not a TENSOR");
      c = onnx_read::read_tensor(a.t(), where_);
    } else if (a.name() == "value_float" || a.name() == "value_floats") {
      const std::vector<float> v = a.name() == "value_float" ? std::vector<float>{attr_float("value_float", 0)}
                                                           : std::vector<float>(a.floats().begin(), a.floats().end());
      if (a.name() == "value_floats") c.values.dims = {static_cast<int64_t>(v.size())};
      c.values.data = v;
    } else {
      c.is_int64 = true;
      c.ints = a.name() == "value_int" ? std::vector<int64_t>{attr_int("value_int", 0)}
                                       : std::vector<int64_t>(a.ints().begin(), a.ints().end());
      if (a.name() == "value_ints") c.values.dims = {static_cast<int64_t>(c.ints.size())};
      c.values.data.assign(c.ints.begin(), c.ints.end());
    }
    constants_[node_->output(0)] = std::move(c);
  }

  void import_alias() {
    const bool dropout = node_->op_type() == "Dropout";
    known(dropout ? std::vector<std::string>{"seed", "ratio"} : std::vector<std::string>{});
    expect_inputs(1, dropout ? 3 : 1);
    if (dropout && node_->output_size() > 1 && !node_->output(1).empty() && consumer_count_.count(node_->output(1)))
      node_fail("output 'mask' is read by another node (not supported)");
    aliases_[node_->output(0)] = resolve(input(0));
  }

  void finish() {
    const std::string out = resolve(graph_.output(0).name());
    if (!producer_.count(out))
      fail(file_, "graph output '" + graph_.output(0).name() + "' is not computed by any supported node");
    model_.output = out;
    if (out == model_.input) fail(file_, "graph output is the graph input (no ops)");
  }
};

}  // namespace

Model parse_onnx(const std::string& bytes, const std::string& name) {
  onnx::ModelProto proto;
  if (bytes.empty() || !proto.ParseFromString(bytes) || !proto.has_graph())
    throw ModelFileError(name + ": cannot parse (truncated or not an ONNX ModelProto)");
  return Importer(proto, name).run();
}

Model load_onnx(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ModelFileError(path + ": cannot open (" + std::strerror(errno) + ")");
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) throw ModelFileError(path + ": read error");
  return parse_onnx(buf.str(), path);
}

}  // namespace dlasim::quant
