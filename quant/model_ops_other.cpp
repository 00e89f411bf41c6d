// fp32 kernels for the non-MAC ops: ONNX semantics (opset 13-17) for batch-1 inference. Reductions (means,
// variances, softmax sums) accumulate in double and round once to float.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "quant/model_ops.hpp"

namespace dlasim::quant::ops {
namespace {

// A negative axis counts from the end (ONNX); the result is in [0, rank).
int64_t normalized_axis(const Op& op, int64_t axis, std::size_t rank, const char* what) {
  const int64_t r = static_cast<int64_t>(rank);
  const int64_t a = axis < 0 ? axis + r : axis;
  if (a < 0 || a >= r)
    bad_shape(op, std::string(what) + " " + std::to_string(axis) + " is out of range for rank " +
                      std::to_string(rank));
  return a;
}

int64_t product(const std::vector<int64_t>& dims, std::size_t from, std::size_t to) {
  int64_t p = 1;
  for (std::size_t i = from; i < to; ++i) p *= dims[i];
  return p;
}

// Row-major strides of `dims`.
std::vector<int64_t> strides_of(const std::vector<int64_t>& dims) {
  std::vector<int64_t> s(dims.size(), 1);
  for (std::size_t i = dims.size(); i-- > 1;) s[i - 1] = s[i] * dims[i];
  return s;
}

}  // namespace

Tensor unary(const Op& op, const Tensor& x) {
  Tensor y = x;
  switch (op.kind) {
    case OpKind::relu:
      for (float& v : y.data) v = v > 0.0f ? v : 0.0f;
      break;
    case OpKind::clip:
      for (float& v : y.data) v = std::min(std::max(v, op.min_value), op.max_value);
      break;
    case OpKind::erf:
      for (float& v : y.data) v = std::erf(v);
      break;
    case OpKind::sqrt:
      for (float& v : y.data) v = std::sqrt(v);
      break;
    default:
      bad_shape(op, "not an elementwise unary op");
  }
  return y;
}

Tensor binary(const Op& op, const Tensor& a, const Tensor& b) {
  auto apply = [&op](float u, float v) {
    switch (op.kind) {
      case OpKind::add: return u + v;
      case OpKind::sub: return u - v;
      case OpKind::mul: return u * v;
      default: return u / v;
    }
  };
  if (op.kind != OpKind::add && op.kind != OpKind::sub && op.kind != OpKind::mul && op.kind != OpKind::div)
    bad_shape(op, "not an elementwise binary op");
  Tensor y;
  if (a.dims == b.dims) {
    y.dims = a.dims;
    y.data.resize(a.data.size());
    for (std::size_t i = 0; i < a.data.size(); ++i) y.data[i] = apply(a.data[i], b.data[i]);
    return y;
  }
  // numpy broadcasting: align trailing dims; a dim of 1 stretches (stride 0).
  const std::size_t rank = std::max(a.dims.size(), b.dims.size());
  std::vector<int64_t> sa(rank, 0), sb(rank, 0);
  y.dims.assign(rank, 1);
  const std::vector<int64_t> stra = strides_of(a.dims), strb = strides_of(b.dims);
  for (std::size_t i = 0; i < rank; ++i) {
    const std::size_t j = rank - 1 - i;
    const bool ha = i < a.dims.size(), hb = i < b.dims.size();
    const int64_t da = ha ? a.dims[a.dims.size() - 1 - i] : 1, db = hb ? b.dims[b.dims.size() - 1 - i] : 1;
    if (da != db && da != 1 && db != 1)
      bad_shape(op, "shapes " + dims_text(a.dims) + " and " + dims_text(b.dims) + " do not broadcast");
    y.dims[j] = da == 1 ? db : da;
    sa[j] = (ha && da != 1) ? stra[a.dims.size() - 1 - i] : 0;
    sb[j] = (hb && db != 1) ? strb[b.dims.size() - 1 - i] : 0;
  }
  const int64_t n = y.numel();
  y.data.resize(static_cast<std::size_t>(n));
  if (n == 0) return y;
  // Innermost dim as a tight loop; outer dims by an index counter.
  const int64_t inner = rank ? y.dims[rank - 1] : 1;
  const int64_t ia = rank ? sa[rank - 1] : 0, ib = rank ? sb[rank - 1] : 0;
  std::vector<int64_t> idx(rank, 0);
  for (int64_t base = 0; base < n; base += inner) {
    int64_t oa = 0, ob = 0;
    for (std::size_t i = 0; i + 1 < rank; ++i) {
      oa += idx[i] * sa[i];
      ob += idx[i] * sb[i];
    }
    for (int64_t t = 0; t < inner; ++t)
      y.data[static_cast<std::size_t>(base + t)] =
          apply(a.data[static_cast<std::size_t>(oa + t * ia)], b.data[static_cast<std::size_t>(ob + t * ib)]);
    for (std::size_t i = rank - 1; i-- > 0;) {
      if (++idx[i] < y.dims[i]) break;
      idx[i] = 0;
    }
  }
  return y;
}

Tensor pool(const Op& op, const Tensor& x) {
  if (x.dims.size() != 4) bad_shape(op, "input " + dims_text(x.dims) + " is not NCHW (expected 4 dims)");
  const int64_t N = x.dims[0], C = x.dims[1], H = x.dims[2], W = x.dims[3];
  Tensor y;
  if (op.kind == OpKind::global_average_pool) {
    y.dims = {N, C, 1, 1};
    y.data.resize(static_cast<std::size_t>(N * C));
    for (int64_t i = 0; i < N * C; ++i) {
      double sum = 0.0;
      const float* p = &x.data[static_cast<std::size_t>(i * H * W)];
      for (int64_t j = 0; j < H * W; ++j) sum += p[j];
      y.data[static_cast<std::size_t>(i)] = static_cast<float>(sum / static_cast<double>(H * W));
    }
    return y;
  }
  if (op.kernel.size() != 2 || op.strides.size() != 2 || op.pads.size() != 4 || op.dilations.size() != 2)
    bad_shape(op, "kernel/strides/pads/dilations need 2/2/4/2 values");
  const int64_t R = op.kernel[0], S = op.kernel[1], sh = op.strides[0], sw = op.strides[1];
  const int64_t dh = op.dilations[0], dw = op.dilations[1];
  const int64_t pt = op.pads[0], pl = op.pads[1], pb = op.pads[2], pr = op.pads[3];
  if (R < 1 || S < 1 || sh < 1 || sw < 1 || dh < 1 || dw < 1 || pt < 0 || pl < 0 || pb < 0 || pr < 0)
    bad_shape(op, "kernel, strides and dilations must be >= 1 and pads >= 0");
  const int64_t span_h = dh * (R - 1) + 1, span_w = dw * (S - 1) + 1;
  if (H + pt + pb < span_h || W + pl + pr < span_w)
    bad_shape(op, "input " + dims_text(x.dims) + " with pads is smaller than the kernel");
  const int64_t OH = (H + pt + pb - span_h) / sh + 1, OW = (W + pl + pr - span_w) / sw + 1;
  if (OH * OW > (int64_t{1} << 28) / std::max<int64_t>(1, N * C))
    bad_shape(op, "output " + dims_text({N, C, OH, OW}) + " is too large (more than 2^28 values)");
  y.dims = {N, C, OH, OW};
  y.data.resize(static_cast<std::size_t>(N * C * OH * OW));
  const bool is_max = op.kind == OpKind::max_pool;
  if (!is_max && op.kind != OpKind::average_pool) bad_shape(op, "not a pooling op");
  for (int64_t i = 0; i < N * C; ++i) {
    const float* src = &x.data[static_cast<std::size_t>(i * H * W)];
    float* dst = &y.data[static_cast<std::size_t>(i * OH * OW)];
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        float best = -std::numeric_limits<float>::infinity();
        double sum = 0.0;
        int64_t count = 0;
        for (int64_t r = 0; r < R; ++r) {
          const int64_t ih = oh * sh - pt + r * dh;
          if (ih < 0 || ih >= H) continue;
          for (int64_t s = 0; s < S; ++s) {
            const int64_t iw = ow * sw - pl + s * dw;
            if (iw < 0 || iw >= W) continue;
            const float v = src[ih * W + iw];
            best = std::max(best, v);
            sum += v;
            ++count;
          }
        }
        float out;
        if (is_max) {
          out = best;
        } else {
          // count_include_pad: the divisor is the whole kernel window (ceil_mode is not supported, so every
          // window lies inside the padded input).
          const int64_t divisor = op.count_include_pad ? R * S : count;
          out = divisor ? static_cast<float>(sum / static_cast<double>(divisor)) : 0.0f;
        }
        dst[oh * OW + ow] = out;
      }
  }
  return y;
}

Tensor flatten(const Op& op, const Tensor& x) {
  const int64_t rank = static_cast<int64_t>(x.dims.size());
  const int64_t a = op.axis < 0 ? op.axis + rank : op.axis;
  if (a < 0 || a > rank)
    bad_shape(op, "axis " + std::to_string(op.axis) + " is out of range for " + dims_text(x.dims));
  Tensor y = x;
  y.dims = {product(x.dims, 0, static_cast<std::size_t>(a)),
            product(x.dims, static_cast<std::size_t>(a), x.dims.size())};
  return y;
}

Tensor reshape(const Op& op, const Tensor& x) {
  std::vector<int64_t> dims = op.shape;
  int64_t known = 1;
  int inferred = -1;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 0) {
      if (i >= x.dims.size())
        bad_shape(op, "shape " + dims_text(op.shape) + " copies dim " + std::to_string(i) + " of input " +
                          dims_text(x.dims) + ", which has no such dim");
      dims[i] = x.dims[i];
    }
    if (dims[i] == -1) {
      if (inferred >= 0) bad_shape(op, "shape " + dims_text(op.shape) + " has more than one -1");
      inferred = static_cast<int>(i);
    } else if (dims[i] < 0) {
      bad_shape(op, "shape " + dims_text(op.shape) + " has a negative dim");
    } else {
      // A product beyond int64 cannot match any input (found by fuzz_onnx: it overflowed).
      if (dims[i] != 0 && known > std::numeric_limits<int64_t>::max() / dims[i])
        bad_shape(op, "shape " + dims_text(op.shape) + " has more elements than int64 can count");
      known *= dims[i];
    }
  }
  const int64_t n = x.numel();
  if (inferred >= 0) {
    if (known == 0 || n % known != 0)
      bad_shape(op, "input " + dims_text(x.dims) + " cannot be reshaped to " + dims_text(op.shape));
    dims[static_cast<std::size_t>(inferred)] = n / known;
  } else if (known != n) {
    bad_shape(op, "input " + dims_text(x.dims) + " has " + std::to_string(n) + " elements, shape " +
                      dims_text(op.shape) + " has " + std::to_string(known));
  }
  Tensor y = x;
  y.dims = dims;
  return y;
}

Tensor transpose(const Op& op, const Tensor& x) {
  const std::size_t rank = x.dims.size();
  std::vector<int64_t> perm = op.perm;
  if (perm.empty()) {  // ONNX default: reverse the dims
    perm.resize(rank);
    for (std::size_t i = 0; i < rank; ++i) perm[i] = static_cast<int64_t>(rank - 1 - i);
  }
  std::vector<bool> seen(rank, false);
  bool valid = perm.size() == rank;
  for (int64_t p : perm) {
    if (!valid || p < 0 || p >= static_cast<int64_t>(rank) || seen[static_cast<std::size_t>(p)]) {
      valid = false;
      break;
    }
    seen[static_cast<std::size_t>(p)] = true;
  }
  if (!valid) bad_shape(op, "perm " + dims_text(perm) + " is not a permutation of the dims of " + dims_text(x.dims));
  const std::vector<int64_t> in_strides = strides_of(x.dims);
  Tensor y;
  y.dims.resize(rank);
  std::vector<int64_t> src_stride(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    y.dims[i] = x.dims[static_cast<std::size_t>(perm[i])];
    src_stride[i] = in_strides[static_cast<std::size_t>(perm[i])];
  }
  const int64_t n = x.numel();
  y.data.resize(static_cast<std::size_t>(n));
  std::vector<int64_t> idx(rank, 0);
  int64_t src = 0;
  for (int64_t i = 0; i < n; ++i) {
    y.data[static_cast<std::size_t>(i)] = x.data[static_cast<std::size_t>(src)];
    for (std::size_t d = rank; d-- > 0;) {
      src += src_stride[d];
      if (++idx[d] < y.dims[d]) break;
      src -= src_stride[d] * y.dims[d];
      idx[d] = 0;
    }
  }
  return y;
}

Tensor softmax(const Op& op, const Tensor& x) {
  const int64_t a = normalized_axis(op, op.axis, x.dims.size(), "axis");
  const int64_t outer = product(x.dims, 0, static_cast<std::size_t>(a)), len = x.dims[static_cast<std::size_t>(a)];
  const int64_t inner = product(x.dims, static_cast<std::size_t>(a) + 1, x.dims.size());
  Tensor y = x;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      float* p = &y.data[static_cast<std::size_t>(o * len * inner + i)];
      float m = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < len; ++j) m = std::max(m, p[j * inner]);
      double sum = 0.0;
      for (int64_t j = 0; j < len; ++j) {
        p[j * inner] = std::exp(p[j * inner] - m);
        sum += p[j * inner];
      }
      for (int64_t j = 0; j < len; ++j) p[j * inner] = static_cast<float>(p[j * inner] / sum);
    }
  return y;
}

Tensor layer_norm(const Op& op, const Tensor& x) {
  const int64_t a = normalized_axis(op, op.axis, x.dims.size(), "axis");
  const int64_t outer = product(x.dims, 0, static_cast<std::size_t>(a));
  const int64_t len = product(x.dims, static_cast<std::size_t>(a), x.dims.size());
  const int64_t ns = static_cast<int64_t>(op.weights.data.size()), nb = static_cast<int64_t>(op.bias.data.size());
  if ((ns != len && ns != 1) || (nb != len && nb != 1 && nb != 0))
    bad_shape(op, "scale/bias have " + std::to_string(ns) + "/" + std::to_string(nb) +
                      " values but the normalized size of " + dims_text(x.dims) + " from axis " +
                      std::to_string(op.axis) + " is " + std::to_string(len));
  Tensor y = x;
  for (int64_t o = 0; o < outer; ++o) {
    float* p = &y.data[static_cast<std::size_t>(o * len)];
    double sum = 0.0;
    for (int64_t j = 0; j < len; ++j) sum += p[j];
    const double mean = sum / static_cast<double>(len);
    double sq = 0.0;
    for (int64_t j = 0; j < len; ++j) sq += (p[j] - mean) * (p[j] - mean);
    const double inv = 1.0 / std::sqrt(sq / static_cast<double>(len) + static_cast<double>(op.epsilon));
    for (int64_t j = 0; j < len; ++j) {
      const float scale = op.weights.data[static_cast<std::size_t>(ns == 1 ? 0 : j)];
      const float bias = nb == 0 ? 0.0f : op.bias.data[static_cast<std::size_t>(nb == 1 ? 0 : j)];
      p[j] = static_cast<float>((p[j] - mean) * inv) * scale + bias;
    }
  }
  return y;
}

Tensor reduce_mean(const Op& op, const Tensor& x) {
  const std::size_t rank = x.dims.size();
  std::vector<bool> reduced(rank, op.axes.empty());  // no axes = all axes (ONNX default)
  for (int64_t ax : op.axes) {
    const int64_t a = normalized_axis(op, ax, rank, "axis");
    if (reduced[static_cast<std::size_t>(a)]) bad_shape(op, "axes " + dims_text(op.axes) + " repeat an axis");
    reduced[static_cast<std::size_t>(a)] = true;
  }
  std::vector<int64_t> kept_dims(rank);  // output dims with keepdims
  int64_t count = 1;
  for (std::size_t i = 0; i < rank; ++i) {
    kept_dims[i] = reduced[i] ? 1 : x.dims[i];
    if (reduced[i]) count *= x.dims[i];
  }
  const std::vector<int64_t> out_strides = strides_of(kept_dims);
  int64_t out_n = 1;
  for (int64_t d : kept_dims) out_n *= d;
  std::vector<double> sums(static_cast<std::size_t>(out_n), 0.0);
  std::vector<int64_t> idx(rank, 0);
  const int64_t n = x.numel();
  for (int64_t i = 0; i < n; ++i) {
    int64_t o = 0;
    for (std::size_t d = 0; d < rank; ++d) o += reduced[d] ? 0 : idx[d] * out_strides[d];
    sums[static_cast<std::size_t>(o)] += x.data[static_cast<std::size_t>(i)];
    for (std::size_t d = rank; d-- > 0;) {
      if (++idx[d] < x.dims[d]) break;
      idx[d] = 0;
    }
  }
  Tensor y;
  for (std::size_t i = 0; i < rank; ++i)
    if (op.keepdims || !reduced[i]) y.dims.push_back(kept_dims[i]);
  y.data.resize(static_cast<std::size_t>(out_n));
  for (int64_t i = 0; i < out_n; ++i)
    y.data[static_cast<std::size_t>(i)] =
        count ? static_cast<float>(sums[static_cast<std::size_t>(i)] / static_cast<double>(count))
              : std::numeric_limits<float>::quiet_NaN();
  return y;
}

}  // namespace dlasim::quant::ops
