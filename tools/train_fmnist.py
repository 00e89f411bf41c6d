#!/usr/bin/python3
"""Offline training of two small Fashion-MNIST reference models, exported to ONNX.

Run ONLY with Debian's interpreter (the one that sees torch 1.13 / onnx 1.12):

    /usr/bin/python3 tools/train_fmnist.py --out traces/models [--model {resnet,vit,both}]
                                           [--epochs-resnet N] [--epochs-vit N]

Data: /usr/share/datasets/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz
(IDX format, gzip), read with gzip + numpy. Nothing is downloaded.

Preprocessing (exactly what the C++ side must reproduce), per pixel p in 0..255:

    x = (p / 255.0 - 0.2860) / 0.3530        (float32; MEAN = 0.2860, STD = 0.3530)

Input tensor: [1, 1, 28, 28] float32, NCHW, row-major image as stored in the IDX file.
Labels: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt,
7 Sneaker, 8 Bag, 9 Ankle boot.

Training-only augmentation: random horizontal flip and random crop with 2-pixel zero
padding (padding value = preprocessed value of a black pixel, i.e. pad before normalising).
Evaluation / export / golden data use no augmentation.

Models:
  fmnist_resnet : stem Conv3x3 1->16 + BN + ReLU @28x28, BasicBlock(16) @28x28,
                  BasicBlock(16->32, stride 2, 1x1 stride-2 projection conv+BN) @14x14,
                  BasicBlock(32->64, stride 2, projection) @7x7, GlobalAveragePool,
                  Flatten, Linear(64->10).
  fmnist_vit    : Conv4x4/4 1->64 patch embedding (49 tokens), reshape+transpose to
                  [1,49,64], + learned positional embedding, 2 pre-norm transformer
                  blocks (4 heads x 16, separate q/k/v Linear(64->64), scale 0.25 as a
                  Mul, Softmax, out-proj, MLP 64->128->64 with exact-erf GELU),
                  final LayerNorm, mean over tokens, Linear(64->10).

Export: torch.onnx.export(opset 17, do_constant_folding=True, fixed batch 1,
input "image", output "logits"). The CNN is exported with
training=TrainingMode.PRESERVE on a model in eval() mode: this skips torch's
eval-mode Conv+BN fusion peephole, so BatchNormalization nodes (inference form,
1 output) are kept in the graph for the C++ importer to fold.

After export the script checks the model (onnx.checker), asserts the op set is within
the allowed list, and runs the graph through a small numpy reference interpreter
(below) to verify it numerically matches PyTorch on the golden images.
"""
import argparse
import gzip
import math
import os
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = 0.2860
STD = 0.3530
DATA_DIR = "/usr/share/datasets/fashion-mnist"
LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
          "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
ALLOWED_OPS = {"Conv", "BatchNormalization", "Gemm", "MatMul", "Relu", "Add", "Mul",
               "Div", "Erf", "Sub", "Sqrt", "Flatten", "Reshape", "Transpose",
               "Softmax", "LayerNormalization", "GlobalAveragePool", "ReduceMean",
               "MaxPool", "AveragePool", "Constant", "Identity"}
SEED = 20240601
CROP = False

LOG = None


def log(*a):
    s = " ".join(str(x) for x in a)
    print(s, flush=True)
    if LOG is not None:
        LOG.write(s + "\n")
        LOG.flush()


# ----------------------------------------------------------------------------- data
def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    ndim = magic & 0xFF
    assert (magic >> 8) == 0x08, "expected unsigned byte IDX"
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    off = 4 + 4 * ndim
    arr = np.frombuffer(data, dtype=np.uint8, count=int(np.prod(dims)), offset=off)
    return arr.reshape(dims)


def load_split(name):
    imgs = read_idx(os.path.join(DATA_DIR, f"{name}-images-idx3-ubyte.gz"))
    labs = read_idx(os.path.join(DATA_DIR, f"{name}-labels-idx1-ubyte.gz"))
    return imgs, labs


def preprocess(u8):
    """uint8 [N,28,28] -> float32 [N,1,28,28]: (p/255 - MEAN)/STD."""
    x = u8.astype(np.float32) / np.float32(255.0)
    x = (x - np.float32(MEAN)) / np.float32(STD)
    return x[:, None, :, :].astype(np.float32)


def augment(xb, gen):
    """Random h-flip + random crop (pad 2 with the normalised black value)."""
    B = xb.shape[0]
    flip = torch.rand(B, generator=gen) < 0.5
    xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
    if not CROP:
        return xb
    pad_val = (0.0 - MEAN) / STD
    xp = F.pad(xb, (2, 2, 2, 2), value=pad_val)
    oy = torch.randint(0, 5, (B,), generator=gen)
    ox = torch.randint(0, 5, (B,), generator=gen)
    ar = torch.arange(28)
    rows = (oy[:, None] + ar[None, :])[:, :, None]
    cols = (ox[:, None] + ar[None, :])[:, None, :]
    out = xp[torch.arange(B)[:, None, None], 0, rows, cols]
    return out[:, None]


# --------------------------------------------------------------------------- models
class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.proj = None
        if stride != 1 or cin != cout:
            self.proj = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False),
                                      nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        s = x if self.proj is None else self.proj(x)
        return F.relu(y + s)


class FmnistResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 16, 3, 1, 1, bias=False)
        self.stem_bn = nn.BatchNorm2d(16)
        self.layer1 = BasicBlock(16, 16, 1)
        self.layer2 = BasicBlock(16, 32, 2)
        self.layer3 = BasicBlock(32, 64, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.stem_bn(self.stem(x)))
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.pool(x)
        x = torch.flatten(x, 1)
        return self.fc(x)


D, H, HD, T, MLP = 64, 4, 16, 49, 128
EXPORTING = False


class Lin(nn.Linear):
    """nn.Linear whose training/eval-time forward runs as a 1x1 convolution.

    Debian's torch links the netlib reference BLAS; F.linear on [B,49,64] is ~4x
    slower than the equivalent conv2d. Mathematically identical; for golden data
    and ONNX export (EXPORTING=True) the plain F.linear path is used so the graph
    contains MatMul+Add (or Gemm) exactly as for nn.Linear.
    """

    def forward(self, x):
        if EXPORTING:
            return F.linear(x, self.weight, self.bias)
        shp = x.shape
        y = F.conv2d(x.reshape(-1, self.in_features, 1, 1),
                     self.weight[:, :, None, None], self.bias)
        return y.reshape(*shp[:-1], self.out_features)


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.q = Lin(D, D)
        self.k = Lin(D, D)
        self.v = Lin(D, D)
        self.proj = Lin(D, D)

    def forward(self, x):                      # x [B,49,64]
        q = self.q(x).reshape(-1, T, H, HD).transpose(1, 2)            # [B,4,49,16]
        k = self.k(x).reshape(-1, T, H, HD).permute(0, 2, 3, 1)        # [B,4,16,49]
        v = self.v(x).reshape(-1, T, H, HD).transpose(1, 2)            # [B,4,49,16]
        a = torch.matmul(q, k) * 0.25                                  # [B,4,49,49]
        a = torch.softmax(a, dim=-1)
        c = torch.matmul(a, v)                                         # [B,4,49,16]
        c = c.transpose(1, 2).reshape(-1, T, D)                        # [B,49,64]
        return self.proj(c)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(D)
        self.attn = Attention()
        self.ln2 = nn.LayerNorm(D)
        self.fc1 = Lin(D, MLP)
        self.act = nn.GELU()
        self.fc2 = Lin(MLP, D)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        x = x + self.fc2(self.act(self.fc1(self.ln2(x))))
        return x


class FmnistViT(nn.Module):
    def __init__(self, depth=2):
        super().__init__()
        self.patch = nn.Conv2d(1, D, 4, 4)
        self.pos = nn.Parameter(torch.zeros(1, T, D))
        nn.init.trunc_normal_(self.pos, std=0.02)
        self.blocks = nn.ModuleList([Block() for _ in range(depth)])
        self.norm = nn.LayerNorm(D)
        self.head = nn.Linear(D, 10)

    def forward(self, x):
        x = self.patch(x)                        # [B,64,7,7]
        x = x.reshape(-1, D, T).transpose(1, 2)  # [B,49,64]
        x = x + self.pos
        for b in self.blocks:
            x = b(x)
        x = self.norm(x)
        x = x.mean(dim=1)                        # [B,64]
        return self.head(x)


def count_macs(model):
    """MACs per image for Conv2d / Linear / attention matmuls (hooks on a 1-image pass)."""
    macs = [0]
    hooks = []

    def conv_hook(m, i, o):
        macs[0] += o.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def lin_hook(m, i, o):
        macs[0] += o.numel() * m.in_features

    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(lin_hook))
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 1, 28, 28))
    for h in hooks:
        h.remove()
    if isinstance(model, FmnistViT):
        macs[0] += len(model.blocks) * 2 * H * T * T * HD  # q@kT and attn@v
    return macs[0]


# ------------------------------------------------------------------------- training
def evaluate(model, x, y, bs=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, x.shape[0], bs):
            correct += (model(x[i:i + bs]).argmax(1) == y[i:i + bs]).sum().item()
    return correct / x.shape[0]


def train(model, name, xtr, ytr, xte, yte, epochs, opt, lr_max, warmup_frac, bs=128,
          label_smoothing=0.0, clip=None):
    gen = torch.Generator().manual_seed(SEED + 1)
    n = xtr.shape[0]
    steps_per_epoch = (n + bs - 1) // bs
    total = epochs * steps_per_epoch
    warm = max(1, int(warmup_frac * total))

    def lr_at(step):
        if step < warm:
            return lr_max * (step + 1) / warm
        p = (step - warm) / max(1, total - warm)
        return lr_max * 0.5 * (1 + math.cos(math.pi * p))

    step = 0
    t0 = time.time()
    acc = 0.0
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(n, generator=gen)
        tl, tc, te0 = 0.0, 0, time.time()
        for i in range(0, n, bs):
            idx = perm[i:i + bs]
            xb = augment(xtr[idx], gen)
            yb = ytr[idx]
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            out = model(xb)
            loss = F.cross_entropy(out, yb, label_smoothing=label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if clip:
                nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            step += 1
            tl += loss.item() * xb.shape[0]
            tc += (out.argmax(1) == yb).sum().item()
        acc = evaluate(model, xte, yte)
        log(f"[{name}] epoch {ep + 1}/{epochs} lr_end {lr_at(step - 1):.2e} "
            f"train_loss {tl / n:.4f} train_acc {tc / n:.4f} test_acc {acc:.4f} "
            f"epoch_time {time.time() - te0:.1f}s")
    log(f"[{name}] training wall time {time.time() - t0:.1f}s")
    return acc


# ------------------------------------------------------------------- numpy ref ONNX
def _erf(x):
    v = np.vectorize(math.erf, otypes=[np.float64])
    return v(x.astype(np.float64)).astype(np.float32)


def _conv(x, w, b, strides, pads, dil, group):
    assert group == 1 and tuple(dil) == (1, 1)
    N, C, Hh, W = x.shape
    M, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (xp.shape[2] - kh) // strides[0] + 1
    ow = (xp.shape[3] - kw) // strides[1] + 1
    cols = np.empty((N, C, kh, kw, oh, ow), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = xp[:, :, i:i + strides[0] * oh:strides[0],
                                  j:j + strides[1] * ow:strides[1]]
    y = np.einsum("nckloq,mckl->nmoq", cols, w.astype(np.float64))
    if b is not None:
        y += b[None, :, None, None]
    return y.astype(np.float32)


def numpy_run_onnx(mp, x):
    """Tiny reference interpreter for the allowed op set (float32, batch 1)."""
    from onnx import numpy_helper
    env = {t.name: numpy_helper.to_array(t) for t in mp.graph.initializer}
    env[mp.graph.input[0].name] = x
    for nd in mp.graph.node:
        a = {at.name: __import__("onnx").helper.get_attribute_value(at) for at in nd.attribute}
        ins = [env[i] if i else None for i in nd.input]
        op = nd.op_type
        if op == "Conv":
            k = ins[1].shape[2:]
            y = _conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None,
                      a.get("strides", [1, 1]), a.get("pads", [0, 0, 0, 0]),
                      a.get("dilations", [1, 1]), a.get("group", 1))
        elif op == "BatchNormalization":
            xx, s, bb, m, v = ins
            eps = a.get("epsilon", 1e-5)
            sh = (1, -1, 1, 1)
            y = (xx - m.reshape(sh)) / np.sqrt(v.reshape(sh) + eps) * s.reshape(sh) + bb.reshape(sh)
        elif op == "Gemm":
            A, B = ins[0], ins[1]
            if a.get("transA", 0):
                A = A.T
            if a.get("transB", 0):
                B = B.T
            y = a.get("alpha", 1.0) * (A @ B)
            if len(ins) > 2 and ins[2] is not None:
                y = y + a.get("beta", 1.0) * ins[2]
        elif op == "MatMul":
            y = np.matmul(ins[0], ins[1])
        elif op == "Relu":
            y = np.maximum(ins[0], 0)
        elif op == "Add":
            y = ins[0] + ins[1]
        elif op == "Sub":
            y = ins[0] - ins[1]
        elif op == "Mul":
            y = ins[0] * ins[1]
        elif op == "Div":
            y = ins[0] / ins[1]
        elif op == "Erf":
            y = _erf(ins[0])
        elif op == "Sqrt":
            y = np.sqrt(ins[0])
        elif op == "Flatten":
            ax = a.get("axis", 1)
            y = ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)
        elif op == "Reshape":
            shp = [int(s) for s in ins[1]]
            shp = [ins[0].shape[i] if s == 0 else s for i, s in enumerate(shp)]
            y = ins[0].reshape(shp)
        elif op == "Transpose":
            y = np.transpose(ins[0], a["perm"])
        elif op == "Softmax":
            ax = a.get("axis", -1)
            e = np.exp(ins[0] - ins[0].max(axis=ax, keepdims=True))
            y = e / e.sum(axis=ax, keepdims=True)
        elif op == "LayerNormalization":
            ax = a.get("axis", -1)
            eps = a.get("epsilon", 1e-5)
            axes = tuple(range(ax % ins[0].ndim, ins[0].ndim))
            mu = ins[0].mean(axis=axes, keepdims=True)
            var = ((ins[0] - mu) ** 2).mean(axis=axes, keepdims=True)
            y = (ins[0] - mu) / np.sqrt(var + eps) * ins[1]
            if len(ins) > 2 and ins[2] is not None:
                y = y + ins[2]
        elif op == "GlobalAveragePool":
            y = ins[0].mean(axis=(2, 3), keepdims=True)
        elif op == "ReduceMean":
            y = ins[0].mean(axis=tuple(a["axes"]), keepdims=bool(a.get("keepdims", 1)))
        elif op == "Constant":
            y = numpy_helper.to_array(a["value"])
        elif op == "Identity":
            y = ins[0]
        else:
            raise RuntimeError(f"numpy ref: unsupported op {op}")
        env[nd.output[0]] = np.asarray(y, dtype=np.float32) if np.asarray(y).dtype.kind == "f" else np.asarray(y)
    return env[mp.graph.output[0].name]


# --------------------------------------------------------------------------- export
def atomic_path(final):
    d = os.path.dirname(os.path.abspath(final))
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp_", suffix=os.path.basename(final))
    os.close(fd)
    return tmp


def export_onnx(model, path, keep_bn):
    import onnx
    model.eval()
    tmp = atomic_path(path)
    kw = {}
    if keep_bn:
        kw["training"] = torch.onnx.TrainingMode.PRESERVE
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), tmp, opset_version=17,
                      do_constant_folding=True, input_names=["image"],
                      output_names=["logits"], **kw)
    mp = onnx.load(tmp)
    onnx.checker.check_model(mp)
    ops = sorted({n.op_type for n in mp.graph.node})
    bad = set(ops) - ALLOWED_OPS
    assert not bad, f"{path}: disallowed ops {bad}"
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    counts = {}
    for n in mp.graph.node:
        counts[n.op_type] = counts.get(n.op_type, 0) + 1
    log(f"exported {path}: {os.path.getsize(path)} bytes, {len(mp.graph.node)} nodes, "
        f"ops {ops}")
    log(f"  op counts {counts}")
    log(f"  initializers: " + ", ".join(f"{t.name}{list(t.dims)}" for t in mp.graph.initializer))
    log("  nodes: " + "; ".join(f"{n.op_type}({','.join(n.input)})->{','.join(n.output)}"
                                for n in mp.graph.node))
    return mp


def main():
    global LOG, EXPORTING
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="traces/models")
    ap.add_argument("--epochs-resnet", type=int, default=8)
    ap.add_argument("--epochs-vit", type=int, default=10)
    ap.add_argument("--model", choices=["resnet", "vit", "both"], default="both")
    ap.add_argument("--log-name", default="train.log")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--crop", type=int, default=0, help="1: random crop (pad 2) augmentation")
    ap.add_argument("--train-limit", type=int, default=0, help="smoke tests: use first N train images")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    LOG = open(os.path.join(args.out, args.log_name), "a")

    torch.set_num_threads(args.threads)
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    # torch.use_deterministic_algorithms(True) is NOT used: on this CPU-only build it
    # made training ~30% slower and the CPU kernels used here are deterministic anyway.
    global CROP
    CROP = bool(args.crop)

    t_start = time.time()
    log("=" * 78)
    log(f"train_fmnist.py start {time.strftime('%Y-%m-%d %H:%M:%S')} argv {sys.argv[1:]}")
    log(f"torch {torch.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}, "
        f"threads {torch.get_num_threads()}, seed {SEED}, crop-augment {CROP}, h-flip augment on")
    blas = sorted({l.split()[-1] for l in open("/proc/self/maps") if "blas" in l.lower()})
    log(f"BLAS libraries loaded: {blas}")
    log(f"preprocess: x = (p/255.0 - {MEAN}) / {STD}  (float32, input [1,1,28,28] NCHW)")
    log(f"labels: {LABELS}")

    tri, trl = load_split("train")
    tei, tel = load_split("t10k")
    xtr = torch.from_numpy(preprocess(tri))
    ytr = torch.from_numpy(trl.astype(np.int64))
    xte = torch.from_numpy(preprocess(tei))
    yte = torch.from_numpy(tel.astype(np.int64))
    if args.train_limit:
        xtr, ytr = xtr[:args.train_limit], ytr[:args.train_limit]
    log(f"data: train {tuple(xtr.shape)}, test {tuple(xte.shape)}")

    golden_path = os.path.join(args.out, "fmnist_golden.npz")
    golden = {}
    if os.path.exists(golden_path):
        with np.load(golden_path) as g:
            golden = {k: g[k] for k in g.files}
    golden["images"] = xte[:8].numpy().astype(np.float32)
    golden["labels"] = tel[:8].astype(np.float32)

    todo = ["resnet", "vit"] if args.model == "both" else [args.model]
    for which in todo:
        torch.manual_seed(SEED)
        if which == "resnet":
            model = FmnistResNet()
            opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9,
                                  weight_decay=5e-4, nesterov=True)
            epochs, lr_max, warm, ls, clip = args.epochs_resnet, 0.1, 0.03, 0.0, None
        else:
            model = FmnistViT()
            decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and n != "pos"]
            nodecay = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and n != "pos")]
            opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05},
                                     {"params": nodecay, "weight_decay": 0.0}],
                                    lr=1e-3, betas=(0.9, 0.999))
            epochs, lr_max, warm, ls, clip = args.epochs_vit, 1e-3, 0.05, 0.0, 1.0
        EXPORTING = False
        name = f"fmnist_{which}"
        nparams = sum(p.numel() for p in model.parameters())
        macs = count_macs(model)
        log("-" * 78)
        log(f"[{name}] params {nparams}, MACs/image {macs} ({macs / 1e6:.3f} M), "
            f"optimizer {type(opt).__name__} lr_max {lr_max} warmup {warm} cosine, "
            f"batch 128, epochs {epochs}, label_smoothing {ls}, grad_clip {clip}")
        log(f"[{name}] layers:")
        for n, p in model.named_parameters():
            log(f"    {n:32s} {list(p.shape)}")
        for n, b in model.named_buffers():
            if not n.endswith("num_batches_tracked"):
                log(f"    {n:32s} {list(b.shape)} (buffer)")
        log(repr(model))
        acc = train(model, name, xtr, ytr, xte, yte, epochs, opt, lr_max, warm,
                    label_smoothing=ls, clip=clip)
        acc = evaluate(model, xte, yte)
        log(f"[{name}] FINAL FP32 test accuracy on 10000 test images: {acc:.4f}")

        EXPORTING = True
        acc2 = evaluate(model, xte, yte)
        log(f"[{name}] FP32 test accuracy with plain F.linear (export path): {acc2:.4f}")
        model.eval()
        with torch.no_grad():
            ref = model(xte[:8]).numpy().astype(np.float32)
            ref1 = np.concatenate([model(xte[i:i + 1]).numpy() for i in range(8)])
        log(f"[{name}] golden batch-8 vs batch-1 max|diff| {np.abs(ref - ref1).max():.3e}")
        golden[f"{which}_logits"] = ref

        path = os.path.join(args.out, f"{name}.onnx")
        mp = export_onnx(model, path, keep_bn=(which == "resnet"))
        maxd = 0.0
        for i in range(8):
            o = numpy_run_onnx(mp, golden["images"][i:i + 1])
            maxd = max(maxd, float(np.abs(o - ref[i:i + 1]).max()))
        log(f"[{name}] numpy reference run of exported ONNX vs PyTorch on 8 golden images: "
            f"max|diff| {maxd:.3e}")
        assert maxd < 1e-3, "ONNX graph does not match the PyTorch model"
        log(f"[{name}] golden argmax {ref.argmax(1).tolist()} labels {tel[:8].tolist()}")

        if os.path.exists(golden_path):  # re-read: another run may have added its logits
            with np.load(golden_path) as g:
                old = {k: g[k] for k in g.files}
            mine = {k: golden[k] for k in ["images", "labels", f"{which}_logits"]}
            golden = dict(old, **mine)
        tmp = atomic_path(golden_path)
        with open(tmp, "wb") as f:
            np.savez(f, **{k: np.asarray(v, dtype=np.float32) for k, v in golden.items()})
        os.chmod(tmp, 0o644)
        os.replace(tmp, golden_path)
        log(f"wrote {golden_path}: " + ", ".join(f"{k}{list(v.shape)}" for k, v in golden.items()))

    log(f"total wall time {time.time() - t_start:.1f}s")
    LOG.close()


if __name__ == "__main__":
    main()
