#!/usr/bin/python3
"""Generates the small ONNX test models for tests/unit/quant/test_onnx_import.cpp and test_model_float.cpp.

Run with Debian's interpreter (it has python3-onnx and numpy):  /usr/bin/python3 make_onnx_tests.py
Writes, next to this script:
  <name>.onnx            a model (opset 17)
  <name>.npz             numpy.savez (uncompressed, float32): 'input', 'output' and, under their ONNX value
                         names, intermediate values the C++ test compares too; expected values come from the
                         plain-numpy references below (float64 math, rounded to float32)
  err_<what>.onnx        models the importer must reject with a message naming the file, node and op
Deterministic (fixed seed): rerunning gives the same files.
"""
import math
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261124)


def rand(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def save(name, nodes, inputs, output, initializers, expected, check=True):
    """inputs: [(name, shape)]; output: (name, shape or None = expected['output'].shape); expected: dict of
    arrays (saved as float32)."""
    if output[1] is None:
        output = (output[0], list(np.shape(expected["output"])) if expected is not None else [])
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
        [helper.make_tensor_value_info(output[0], TensorProto.FLOAT, output[1])],
        initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="dlasim tests")
    model.ir_version = 8
    if check:
        onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, name + ".onnx"))
    if expected is not None:
        np.savez(os.path.join(HERE, name + ".npz"), **{k: np.ascontiguousarray(v, dtype=np.float32) for k, v in expected.items()})


# ---- numpy references (NCHW, batch 1, float64) ----

def conv_ref(x, w, b, pads, strides, dilations, group):
    x = x.astype(np.float64)
    w = w.astype(np.float64)
    n, c, h, wd = x.shape
    k, cg, r, s = w.shape
    pt, pl, pb, pr = pads
    xp = np.zeros((n, c, h + pt + pb, wd + pl + pr))
    xp[:, :, pt:pt + h, pl:pl + wd] = x
    oh = (h + pt + pb - dilations[0] * (r - 1) - 1) // strides[0] + 1
    ow = (wd + pl + pr - dilations[1] * (s - 1) - 1) // strides[1] + 1
    y = np.zeros((n, k, oh, ow))
    kg = k // group
    for o in range(k):
        g = o // kg
        for i in range(oh):
            for j in range(ow):
                patch = xp[0, g * cg:(g + 1) * cg,
                           i * strides[0]: i * strides[0] + dilations[0] * (r - 1) + 1: dilations[0],
                           j * strides[1]: j * strides[1] + dilations[1] * (s - 1) + 1: dilations[1]]
                y[0, o, i, j] = np.sum(patch * w[o]) + (b[o] if b is not None else 0.0)
    return y


def pool_ref(x, kind, kernel, strides, pads, count_include_pad=False):
    n, c, h, w = x.shape
    pt, pl, pb, pr = pads
    oh = (h + pt + pb - kernel[0]) // strides[0] + 1
    ow = (w + pl + pr - kernel[1]) // strides[1] + 1
    y = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            h0, w0 = i * strides[0] - pt, j * strides[1] - pl
            h1, w1 = h0 + kernel[0], w0 + kernel[1]
            win = x[:, :, max(h0, 0):min(h1, h), max(w0, 0):min(w1, w)].astype(np.float64)
            if kind == "max":
                y[:, :, i, j] = win.max(axis=(2, 3))
            else:
                div = kernel[0] * kernel[1] if count_include_pad else win.shape[2] * win.shape[3]
                y[:, :, i, j] = win.sum(axis=(2, 3)) / div
    return y


def softmax_ref(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def layer_norm_ref(x, scale, bias, eps):
    x = x.astype(np.float64)
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * scale + bias


erf = np.vectorize(math.erf)

# ---- models compared with numpy ----

# Grouped conv with asymmetric pads, strides and dilations, then Relu.
x = rand(1, 4, 9, 8)
w = rand(6, 2, 3, 2, scale=0.5)
b = rand(6)
pads, strides, dil = [1, 0, 2, 1], [2, 1], [1, 2]
y = conv_ref(x, w, b, pads, strides, dil, 2)
save("conv_groups",
     [helper.make_node("Conv", ["x", "w", "b"], ["conv_out"], name="conv_g", group=2, pads=pads, strides=strides,
                       dilations=dil, kernel_shape=[3, 2]),
      helper.make_node("Relu", ["conv_out"], ["y"], name="relu")],
     [("x", [1, 4, 9, 8])], ("y", None), [init("w", w), init("b", b)],
     {"input": x, "conv_out": y, "output": np.maximum(y, 0)})

# Conv (no bias) -> BatchNormalization -> Relu: BN folds into the conv; expected from the unfolded math.
x = rand(1, 3, 6, 6)
w = rand(5, 3, 3, 3, scale=0.4)
scale, bias, mean, var = rand(5), rand(5), rand(5, scale=0.1), (rng.random(5) + 0.5).astype(np.float32)
c = conv_ref(x, w, None, [1, 1, 1, 1], [1, 1], [1, 1], 1)
bn = (c - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-3) * scale[None, :, None, None] \
    + bias[None, :, None, None]
save("bn_fold",
     [helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
      helper.make_node("BatchNormalization", ["c", "s", "bb", "m", "v"], ["bn"], name="bn", epsilon=1e-3),
      helper.make_node("Relu", ["bn"], ["y"], name="relu")],
     [("x", [1, 3, 6, 6])], ("y", None),
     [init("w", w), init("s", scale), init("bb", bias), init("m", mean), init("v", var)],
     {"input": x, "bn": bn, "output": np.maximum(bn, 0)})

# Flatten -> Gemm(transB=1, alpha, beta, C [N]) -> Gemm(transB=0, C [1, N]).
x = rand(1, 2, 3, 2)
b1, c1 = rand(5, 12, scale=0.3), rand(5)
b2, c2 = rand(5, 4, scale=0.3), rand(1, 4)
f = x.reshape(1, 12).astype(np.float64)
g1 = 0.5 * f @ b1.T + 2.0 * c1
g2 = g1 @ b2 + c2
save("gemm",
     [helper.make_node("Flatten", ["x"], ["f"], name="flat"),
      helper.make_node("Gemm", ["f", "b1", "c1"], ["g1"], name="gemm_t", transB=1, alpha=0.5, beta=2.0),
      helper.make_node("Gemm", ["g1", "b2", "c2"], ["y"], name="gemm_n")],
     [("x", [1, 2, 3, 2])], ("y", None), [init("b1", b1), init("c1", c1), init("b2", b2), init("c2", c2)],
     {"input": x, "f": f, "g1": g1, "output": g2})

# MatMul with a constant B followed by Add of a constant [N] -> one linear op with bias.
x = rand(1, 5, 6)
wm, bm = rand(6, 4, scale=0.4), rand(4)
save("matmul_add",
     [helper.make_node("MatMul", ["x", "wm"], ["mm"], name="fc"),
      helper.make_node("Add", ["mm", "bm"], ["y"], name="fc_bias")],
     [("x", [1, 5, 6])], ("y", None), [init("wm", wm), init("bm", bm)],
     {"input": x, "output": x.astype(np.float64) @ wm + bm})

# Attention-like block over two activations with batch dims: softmax(x·xᵀ / 2)·x, Transpose for xᵀ.
x = rand(1, 2, 3, 4)
xt = np.transpose(x, (0, 1, 3, 2)).astype(np.float64)
s = (x.astype(np.float64) @ xt) / 2.0
p = softmax_ref(s, -1)
save("attention",
     [helper.make_node("Transpose", ["x"], ["xt"], name="tr", perm=[0, 1, 3, 2]),
      helper.make_node("MatMul", ["x", "xt"], ["s0"], name="scores"),
      helper.make_node("Div", ["s0", "two"], ["s"], name="scale"),
      helper.make_node("Softmax", ["s"], ["p"], name="softmax", axis=-1),
      helper.make_node("MatMul", ["p", "x"], ["y"], name="context")],
     [("x", [1, 2, 3, 4])], ("y", None), [init("two", np.array(2.0, dtype=np.float32))],
     {"input": x, "xt": xt, "s": s, "p": p, "output": p @ x})

# LayerNormalization -> erf-form GELU (x·0.5·(1 + erf(x/√2))) -> Sqrt(y² + 1) - ReduceMean over the last axis.
x = rand(1, 3, 8)
lscale, lbias = rand(8), rand(8)
ln = layer_norm_ref(x, lscale, lbias, 1e-5)
gelu = ln * 0.5 * (1.0 + erf(ln / math.sqrt(2.0)))
z = np.sqrt(gelu * gelu + 1.0)
out = z - z.mean(axis=-1, keepdims=True)
save("layernorm_gelu",
     [helper.make_node("LayerNormalization", ["x", "ls", "lb"], ["ln"], name="ln", axis=-1, epsilon=1e-5),
      helper.make_node("Constant", [], ["sqrt2"], name="k_sqrt2",
                       value=helper.make_tensor("sqrt2_value", TensorProto.FLOAT, [], [math.sqrt(2.0)])),
      helper.make_node("Div", ["ln", "sqrt2"], ["d"], name="gelu_div"),
      helper.make_node("Erf", ["d"], ["e"], name="gelu_erf"),
      helper.make_node("Add", ["e", "one"], ["e1"], name="gelu_add"),
      helper.make_node("Mul", ["ln", "e1"], ["m"], name="gelu_mul"),
      helper.make_node("Mul", ["m", "half"], ["gelu"], name="gelu_half"),
      helper.make_node("Mul", ["gelu", "gelu"], ["sq"], name="square"),
      helper.make_node("Add", ["sq", "one"], ["sq1"], name="plus_one"),
      helper.make_node("Sqrt", ["sq1"], ["z"], name="sqrt"),
      helper.make_node("ReduceMean", ["z"], ["zm"], name="mean", axes=[-1], keepdims=1),
      helper.make_node("Sub", ["z", "zm"], ["y"], name="center")],
     [("x", [1, 3, 8])], ("y", None),
     [init("ls", lscale), init("lb", lbias), init("one", np.array([1.0], dtype=np.float32)),
      init("half", np.array(0.5, dtype=np.float32))],
     {"input": x, "ln": ln, "gelu": gelu, "z": z, "output": out})

# MaxPool (pads, stride) -> AveragePool (pads, count_include_pad 0) -> AveragePool (asymmetric pads,
# count_include_pad 1) -> GlobalAveragePool.
x = rand(1, 2, 7, 7)
mp = pool_ref(x, "max", [3, 3], [2, 2], [1, 1, 1, 1])
ap0 = pool_ref(mp, "avg", [3, 3], [1, 1], [1, 1, 1, 1], False)
ap1 = pool_ref(ap0, "avg", [2, 2], [2, 2], [0, 0, 1, 1], True)
save("pools",
     [helper.make_node("MaxPool", ["x"], ["mp"], name="maxpool", kernel_shape=[3, 3], strides=[2, 2],
                       pads=[1, 1, 1, 1]),
      helper.make_node("AveragePool", ["mp"], ["ap0"], name="avgpool_excl", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
      helper.make_node("AveragePool", ["ap0"], ["ap1"], name="avgpool_incl", kernel_shape=[2, 2], strides=[2, 2],
                       pads=[0, 0, 1, 1], count_include_pad=1),
      helper.make_node("GlobalAveragePool", ["ap1"], ["y"], name="gap")],
     [("x", [1, 2, 7, 7])], ("y", None), [],
     {"input": x, "mp": mp, "ap0": ap0, "ap1": ap1, "output": ap1.mean(axis=(2, 3), keepdims=True)})

# Flatten(axis 2) -> Reshape([1, -1, 2]) -> Transpose([2, 0, 1]) -> Clip(-0.5, 0.7) -> Identity ->
# ReduceMean(axes [1], keepdims 0) -> Dropout.
x = rand(1, 2, 3, 4)
fl = x.reshape(2, 12)
rs = fl.reshape(1, 12, 2)
tr = np.transpose(rs, (2, 0, 1))
cl = np.clip(tr, -0.5, 0.7)
rm = cl.astype(np.float64).mean(axis=1)
save("shapes",
     [helper.make_node("Flatten", ["x"], ["fl"], name="flatten", axis=2),
      helper.make_node("Reshape", ["fl", "shape"], ["rs"], name="reshape"),
      helper.make_node("Transpose", ["rs"], ["tr"], name="transpose", perm=[2, 0, 1]),
      helper.make_node("Clip", ["tr", "lo", "hi"], ["cl"], name="clip"),
      helper.make_node("Identity", ["cl"], ["cl_id"], name="identity"),
      helper.make_node("ReduceMean", ["cl_id"], ["rm"], name="reduce", axes=[1], keepdims=0),
      helper.make_node("Dropout", ["rm"], ["y"], name="dropout")],
     [("x", [1, 2, 3, 4])], ("y", None),
     [init("shape", np.array([1, -1, 2], dtype=np.int64)), init("lo", np.array(-0.5, dtype=np.float32)),
      init("hi", np.array(0.7, dtype=np.float32))],
     {"input": x, "fl": fl, "rs": rs, "tr": tr, "cl": cl, "output": rm})

# ---- models the importer must reject ----

w_ok = rand(2, 1, 3, 3)


def conv_model(name, conv_attrs, initializers, weight="w"):
    save(name, [helper.make_node("Conv", ["x", weight], ["y"], name="conv1", **conv_attrs)],
         [("x", [1, 1, 5, 5])], ("y", None), initializers, None, check=False)


conv_model("err_missing_initializer", {}, [], weight="w_missing")
conv_model("err_int_initializer", {}, [init("w", w_ok.astype(np.int32))])
conv_model("err_auto_pad", {"auto_pad": "SAME_UPPER"}, [init("w", w_ok)])
conv_model("err_bad_attribute", {"strides": [1, 1, 1]}, [init("w", w_ok)])
conv_model("err_channels", {}, [init("w", rand(2, 3, 3, 3))])
save("err_unsupported_op",
     [helper.make_node("Relu", ["x"], ["r"], name="relu"),
      helper.make_node("Resize", ["r", "", "scales"], ["y"], name="upsample", mode="nearest")],
     [("x", [1, 1, 4, 4])], ("y", None), [init("scales", np.array([1, 1, 2, 2], dtype=np.float32))], None, check=False)
save("err_not_topological",
     [helper.make_node("Relu", ["r"], ["y"], name="second"), helper.make_node("Relu", ["x"], ["r"], name="first")],
     [("x", [1, 4])], ("y", None), [], None, check=False)
save("err_gemm_trans_a",
     [helper.make_node("Gemm", ["x", "b"], ["y"], name="fc", transA=1)],
     [("x", [1, 4])], ("y", None), [init("b", rand(4, 3))], None, check=False)
save("err_bn_without_conv",
     [helper.make_node("BatchNormalization", ["x", "s", "s", "s", "s"], ["y"], name="bn")],
     [("x", [1, 2, 3, 3])], ("y", None), [init("s", np.ones(2, dtype=np.float32))], None, check=False)
print("wrote", sorted(f for f in os.listdir(HERE) if f.endswith((".onnx", ".npz"))))
