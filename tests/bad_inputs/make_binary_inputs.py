#!/usr/bin/env python3
"""Writes the binary inputs of the bad-input corpus (tests/bad_inputs/cases.cmake): .npy/.npz files for
`dlasim quant --in`, damaged ONNX models for `dlasim eval --model` (byte-edited or truncated copies of the
models in tests/data/onnx) and Fashion-MNIST IDX directories for `dlasim eval --data-dir`.

Standard library only; the output is deterministic (fixed zip and gzip timestamps). Re-run after editing:
    python3 tests/bad_inputs/make_binary_inputs.py
"""
import gzip
import io
import os
import struct
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ONNX_SRC = os.path.join(HERE, "..", "data", "onnx")


def write(rel, data):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def npy(descr, shape, data, fortran=False, magic=b"\x93NUMPY", version=(1, 0), header=None):
    """An .npy file: magic, version, little-endian header length, the dict header padded to 64 bytes, data."""
    if header is None:
        dims = "".join(f"{d}, " for d in shape) if len(shape) == 1 else ", ".join(str(d) for d in shape)
        header = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': ({dims}), }}"
    h = header.encode("latin1")
    pad = 64 - (len(magic) + 2 + 2 + len(h) + 1) % 64
    h = h + b" " * pad + b"\n"
    return magic + bytes(version) + struct.pack("<H", len(h)) + h + data


def f32(values):
    return struct.pack(f"<{len(values)}f", *values)


def npz(members, compression=zipfile.ZIP_STORED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = compression
            z.writestr(info, data)
    return buf.getvalue()


# --- .npy / .npz ------------------------------------------------------------------------------------------
good = npy("<f4", (2, 3), f32([0.5, -1.0, 2.0, 0.25, -0.75, 1.5]))
write("npy/dtype_complex.npy", npy("<c8", (2,), b"\0" * 16))
write("npy/dtype_bool.npy", npy("|b1", (4,), b"\1\0\1\0"))
write("npy/dtype_object.npy", npy("|O", (1,), b"\0" * 8))
write("npy/dtype_structured.npy",
      npy("", (2,), b"\0" * 16, header="{'descr': [('a', '<f4'), ('b', '<f4')], 'fortran_order': False, 'shape': (2,), }"))
write("npy/shape_not_tuple.npy", npy("<f4", (), f32([1.0]), header="{'descr': '<f4', 'fortran_order': False, 'shape': 6, }"))
write("npy/shape_text.npy", npy("<f4", (), f32([1.0]), header="{'descr': '<f4', 'fortran_order': False, 'shape': (two, 3), }"))
write("npy/shape_overflow.npy", npy("<f4", (2**40, 2**40), f32([1.0])))
write("npy/shape_zero.npy", npy("<f4", (0, 3), b""))
write("npy/header_not_dict.npy", npy("<f4", (2, 3), f32([0.0] * 6), header="['<f4', False, (2, 3)]"))
write("npy/header_missing_descr.npy", npy("<f4", (2,), f32([0.0] * 2), header="{'fortran_order': False, 'shape': (2,), }"))
write("npy/header_len_too_long.npy", good[:8] + struct.pack("<H", 60000) + good[10:])
write("npy/bad_version.npy", npy("<f4", (2, 3), f32([0.0] * 6), version=(9, 0)))
write("npy/fortran_3d.npy", npy("<f4", (2, 2, 2), f32([0.0] * 8), fortran=True))
write("npy/truncated_data_f32.npy", good[:-5])
write("npy/empty.npy", b"")
write("npy/text_file.npy", b"0.5,1.0,2.0\n")
write("npz/missing_member.npz", npz({"w.npy": good, "b.npy": npy("<f4", (3,), f32([1, 2, 3]))}))
full = npz({"w.npy": good})
write("npz/truncated_zip.npz", full[: len(full) // 2])
# A deflated member whose compressed stream is damaged in the middle (the zip directory stays intact).
deflated = npz({"w.npy": npy("<f4", (32, 32), f32([((i * 7919) % 1000) / 100.0 - 5.0 for i in range(1024)]))},
               zipfile.ZIP_DEFLATED)
mid = len(deflated) // 3
write("npz/corrupt_deflate.npz", deflated[:mid] + b"\xff" * 32 + deflated[mid + 32:])
write("npz/truncated_member.npz", deflated[:mid])
write("npz/not_a_zip.npz", b"PK\x03\x04this is not really a zip file at all")
write("npz/member_not_npy.npz", npz({"w.npy": b"hello, not an array"}))
write("npz/member_bad_dtype.npz", npz({"w.npy": npy("<c16", (1,), b"\0" * 16)}))
write("npz/empty_zip.npz", npz({}))

# --- ONNX -------------------------------------------------------------------------------------------------
with open(os.path.join(ONNX_SRC, "gemm.onnx"), "rb") as f:
    gemm = f.read()
with open(os.path.join(ONNX_SRC, "conv_groups.onnx"), "rb") as f:
    conv = f.read()
write("onnx/truncated_header.onnx", gemm[:7])
write("onnx/truncated_half.onnx", conv[: len(conv) // 2])
write("onnx/truncated_last_byte.onnx", conv[:-1])
write("onnx/empty.onnx", b"")
write("onnx/garbage.onnx", bytes((i * 37 + 11) % 256 for i in range(512)))
write("onnx/text.onnx", b"ir_version: 8\ngraph { node { op_type: 'Conv' } }\n")
# Byte edits of conv_groups.onnx: rename the op of node 'conv_g' (Conv -> Cpnv), the initializer it reads (w -> q)
# and the data type of that initializer (FLOAT = 1 -> INT64 = 7, its float payload then has the wrong size).
op = conv.replace(b"\x22\x04Conv", b"\x22\x04Cpnv", 1)  # NodeProto.op_type: field 4
assert op != conv, "op_type Conv not found"
write("onnx/unknown_op.onnx", op)
idx = conv.find(b"\x42\x01w")  # TensorProto field 8 (name), length 1, "w"
assert idx >= 0, "initializer name w not found"
write("onnx/missing_initializer.onnx", conv[:idx] + b"\x42\x01q" + conv[idx + 3:])
# TensorProto fields in order: dims (1), data_type (2, tag 0x10) = 1 (FLOAT), name (8), raw_data (9).
t = conv.find(b"\x10\x01\x42\x01w")
assert t >= 0, "initializer data_type not found"
write("onnx/int64_initializer.onnx", conv[:t] + b"\x10\x07" + conv[t + 2:])
write("onnx/double_initializer.onnx", conv[:t] + b"\x10\x0b" + conv[t + 2:])  # DOUBLE = 11

# --- Fashion-MNIST IDX directories ------------------------------------------------------------------------
def gz(data):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as g:
        g.write(data)
    return buf.getvalue()


def idx_images(n, rows=28, cols=28, magic=0x803):
    return struct.pack(">IIII", magic, n, rows, cols) + bytes((i * 7) % 256 for i in range(n * rows * cols))


def idx_labels(n, magic=0x801, labels=None):
    return struct.pack(">II", magic, n) + bytes(labels if labels is not None else [i % 10 for i in range(n)])


def dataset(name, train_images=None, train_labels=None, test_images=None, test_labels=None):
    files = {
        "train-images-idx3-ubyte.gz": gz(idx_images(4)) if train_images is None else train_images,
        "train-labels-idx1-ubyte.gz": gz(idx_labels(4)) if train_labels is None else train_labels,
        "t10k-images-idx3-ubyte.gz": gz(idx_images(2)) if test_images is None else test_images,
        "t10k-labels-idx1-ubyte.gz": gz(idx_labels(2)) if test_labels is None else test_labels,
    }
    for f, data in files.items():
        if data is not False:
            write(f"dataset/{name}/{f}", data)


imgs = gz(idx_images(4))
dataset("truncated_gzip", train_images=imgs[: len(imgs) // 2])
dataset("not_gzip", train_images=b"this is neither gzip nor IDX data\n" * 4)
dataset("truncated_idx", test_images=gz(idx_images(2)[:-100]))
dataset("bad_magic", train_labels=gz(idx_labels(4, magic=0x802)))
dataset("label_count", test_labels=gz(idx_labels(3)))
dataset("label_range", train_labels=gz(idx_labels(4, labels=[1, 2, 42, 3])))
dataset("missing_labels", test_labels=False)
dataset("corrupt_gzip_crc", train_labels=gz(idx_labels(4))[:-8] + b"\xde\xad\xbe\xef" + gz(idx_labels(4))[-4:])
dataset("image_size", train_images=gz(idx_images(4, rows=5, cols=5)), test_images=gz(idx_images(2, rows=5, cols=5)))
dataset("no_images", train_images=gz(idx_images(0)), train_labels=gz(idx_labels(0)), test_images=gz(idx_images(0)),
        test_labels=gz(idx_labels(0)))
print("wrote the binary inputs under", HERE)
