// fp32 conv, linear and matmul. Accumulation order (documented contract of run_op):
//   conv:   each output starts at 0, adds w·x over the taps in (r, s, c) order (r outermost, c innermost,
//           within the op's group), then adds the bias. Padding taps add 0·w.
//   linear: each output starts at 0, adds x[k]·w[n][k] for k = 0..K-1, then adds bias[n].
//   matmul: each output starts at 0, adds a[m][k]·b[k][n] for k = 0..K-1.
// Speed: the order per output is sequential, so the vectorized loop runs across outputs instead
// (conv: across the output pixels of one channel, over an im2col buffer; linear/matmul: across n).
#include <algorithm>
#include <vector>

#include "quant/model_ops.hpp"

namespace dlasim::quant::ops {
namespace {

int64_t checked_out_size(const Op& op, int64_t in, int64_t pad_begin, int64_t pad_end, int64_t kernel,
                         int64_t stride, int64_t dilation, const char* axis) {
  const int64_t span = dilation * (kernel - 1) + 1;
  const int64_t padded = in + pad_begin + pad_end;
  if (padded < span)
    bad_shape(op, std::string("input ") + axis + " " + std::to_string(in) + " + pads " +
                      std::to_string(pad_begin + pad_end) + " is smaller than the dilated kernel " +
                      std::to_string(span));
  return (padded - span) / stride + 1;
}

// y[n][:] += a · x[:], the vectorized inner loop.
inline void axpy(float* __restrict y, const float* __restrict x, float a, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

}  // namespace

Tensor conv(const Op& op, const Tensor& x) {
  const Tensor& w = op.weights;
  if (x.dims.size() != 4) bad_shape(op, "input " + dims_text(x.dims) + " is not NCHW (expected 4 dims)");
  if (w.dims.size() != 4 || w.numel() != static_cast<int64_t>(w.data.size()))
    bad_shape(op, "weights " + dims_text(w.dims) + " are not [K][C/groups][R][S]");
  if (op.strides.size() != 2 || op.pads.size() != 4 || op.dilations.size() != 2)
    bad_shape(op, "strides/pads/dilations need 2/4/2 values");
  const int64_t N = x.dims[0], C = x.dims[1], H = x.dims[2], W = x.dims[3];
  const int64_t K = w.dims[0], Cg = w.dims[1], R = w.dims[2], S = w.dims[3];
  const int64_t G = op.groups;
  if (G < 1 || K % G != 0 || Cg * G != C)
    bad_shape(op, "input has " + std::to_string(C) + " channels but weights " + dims_text(w.dims) +
                      " with groups " + std::to_string(G) + " expect " + std::to_string(Cg * G));
  if (!op.bias.data.empty() && static_cast<int64_t>(op.bias.data.size()) != K)
    bad_shape(op, "bias has " + std::to_string(op.bias.data.size()) + " values (expected " +
                      std::to_string(K) + ")");
  const int64_t sh = op.strides[0], sw = op.strides[1], dh = op.dilations[0], dw = op.dilations[1];
  if (sh < 1 || sw < 1 || dh < 1 || dw < 1) bad_shape(op, "strides and dilations must be >= 1");
  const int64_t pt = op.pads[0], pl = op.pads[1], pb = op.pads[2], pr = op.pads[3];
  if (pt < 0 || pl < 0 || pb < 0 || pr < 0) bad_shape(op, "pads must be >= 0");
  const int64_t OH = checked_out_size(op, H, pt, pb, R, sh, dh, "height");
  const int64_t OW = checked_out_size(op, W, pl, pr, S, sw, dw, "width");
  const int64_t P = OH * OW, taps = R * S * Cg, Kg = K / G;
  if (P > (int64_t{1} << 28) / std::max<int64_t>(1, N * std::max(K, taps)))
    bad_shape(op, "output " + dims_text({N, K, OH, OW}) + " is too large (more than 2^28 values per buffer)");

  Tensor y;
  y.dims = {N, K, OH, OW};
  y.data.assign(static_cast<std::size_t>(N * K * P), 0.0f);
  // col[(r·S + s)·Cg + c][p]: the input value under tap (r, s, c) for output pixel p (0 in the padding).
  std::vector<float> col(static_cast<std::size_t>(taps * P));
  // wt[k][(r·S + s)·Cg + c]: the weights repacked in tap order.
  std::vector<float> wt(static_cast<std::size_t>(Kg * taps));
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t g = 0; g < G; ++g) {
      for (int64_t r = 0; r < R; ++r)
        for (int64_t s = 0; s < S; ++s)
          for (int64_t c = 0; c < Cg; ++c) {
            float* dst = &col[static_cast<std::size_t>(((r * S + s) * Cg + c) * P)];
            const float* src = &x.data[static_cast<std::size_t>(((n * C) + g * Cg + c) * H * W)];
            for (int64_t oh = 0; oh < OH; ++oh) {
              const int64_t ih = oh * sh - pt + r * dh;
              float* row = dst + oh * OW;
              if (ih < 0 || ih >= H) {
                std::fill(row, row + OW, 0.0f);
                continue;
              }
              const float* in_row = src + ih * W;
              for (int64_t ow = 0; ow < OW; ++ow) {
                const int64_t iw = ow * sw - pl + s * dw;
                row[ow] = (iw >= 0 && iw < W) ? in_row[iw] : 0.0f;
              }
            }
          }
      for (int64_t k = 0; k < Kg; ++k)
        for (int64_t c = 0; c < Cg; ++c)
          for (int64_t r = 0; r < R; ++r)
            for (int64_t s = 0; s < S; ++s)
              wt[static_cast<std::size_t>(k * taps + (r * S + s) * Cg + c)] =
                  w.data[static_cast<std::size_t>((((g * Kg + k) * Cg + c) * R + r) * S + s)];
      // Four output channels per pass over col: each col row loaded once feeds four accumulator rows.
      int64_t k = 0;
      for (; k + 4 <= Kg; k += 4) {
        float* y0 = &y.data[static_cast<std::size_t>((n * K + g * Kg + k) * P)];
        float* y1 = y0 + P;
        float* y2 = y1 + P;
        float* y3 = y2 + P;
        const float* w0 = &wt[static_cast<std::size_t>(k * taps)];
        for (int64_t t = 0; t < taps; ++t) {
          const float* cr = &col[static_cast<std::size_t>(t * P)];
          const float a0 = w0[t], a1 = w0[taps + t], a2 = w0[2 * taps + t], a3 = w0[3 * taps + t];
          for (int64_t p = 0; p < P; ++p) {
            const float v = cr[p];
            y0[p] += a0 * v;
            y1[p] += a1 * v;
            y2[p] += a2 * v;
            y3[p] += a3 * v;
          }
        }
      }
      for (; k < Kg; ++k) {
        float* yk = &y.data[static_cast<std::size_t>((n * K + g * Kg + k) * P)];
        for (int64_t t = 0; t < taps; ++t)
          axpy(yk, &col[static_cast<std::size_t>(t * P)], wt[static_cast<std::size_t>(k * taps + t)], P);
      }
    }
    if (!op.bias.data.empty())
      for (int64_t k = 0; k < K; ++k) {
        float* yk = &y.data[static_cast<std::size_t>((n * K + k) * P)];
        const float b = op.bias.data[static_cast<std::size_t>(k)];
        for (int64_t p = 0; p < P; ++p) yk[p] += b;
      }
  }
  return y;
}

Tensor linear(const Op& op, const Tensor& x) {
  const Tensor& w = op.weights;
  if (w.dims.size() != 2 || w.numel() != static_cast<int64_t>(w.data.size()))
    bad_shape(op, "weights " + dims_text(w.dims) + " are not [N][K]");
  const int64_t N = w.dims[0], K = w.dims[1];
  if (x.dims.empty() || x.dims.back() != K)
    bad_shape(op, "input " + dims_text(x.dims) + " does not end in K = " + std::to_string(K) +
                      " (weights " + dims_text(w.dims) + ")");
  if (!op.bias.data.empty() && static_cast<int64_t>(op.bias.data.size()) != N)
    bad_shape(op, "bias has " + std::to_string(op.bias.data.size()) + " values (expected " +
                      std::to_string(N) + ")");
  const int64_t M = K == 0 ? 0 : x.numel() / K;
  Tensor y;
  y.dims = x.dims;
  y.dims.back() = N;
  y.data.assign(static_cast<std::size_t>(M * N), 0.0f);
  if (M == 1) {
    // One row: plain dot products (same k order as the transposed path, so identical results).
    for (int64_t n = 0; n < N; ++n) {
      const float* wn = &w.data[static_cast<std::size_t>(n * K)];
      float acc = 0.0f;
      for (int64_t k = 0; k < K; ++k) acc += x.data[static_cast<std::size_t>(k)] * wn[k];
      y.data[static_cast<std::size_t>(n)] = acc;
    }
  } else if (M > 1) {
    std::vector<float> wt(static_cast<std::size_t>(K * N));  // wt[k][n]
    for (int64_t n = 0; n < N; ++n)
      for (int64_t k = 0; k < K; ++k)
        wt[static_cast<std::size_t>(k * N + n)] = w.data[static_cast<std::size_t>(n * K + k)];
    for (int64_t m = 0; m < M; ++m) {
      float* ym = &y.data[static_cast<std::size_t>(m * N)];
      const float* xm = &x.data[static_cast<std::size_t>(m * K)];
      for (int64_t k = 0; k < K; ++k) axpy(ym, &wt[static_cast<std::size_t>(k * N)], xm[k], N);
    }
  }
  if (!op.bias.data.empty())
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n)
        y.data[static_cast<std::size_t>(m * N + n)] += op.bias.data[static_cast<std::size_t>(n)];
  return y;
}

Tensor matmul(const Op& op, const Tensor& a, const Tensor& b) {
  if (a.dims.size() < 2 || b.dims.size() < 2)
    bad_shape(op, "inputs " + dims_text(a.dims) + " and " + dims_text(b.dims) + " need at least 2 dims");
  const int64_t M = a.dims[a.dims.size() - 2], K = a.dims.back();
  const int64_t K2 = b.dims[b.dims.size() - 2], N = b.dims.back();
  if (K != K2)
    bad_shape(op, "inner dims differ: " + dims_text(a.dims) + " × " + dims_text(b.dims));
  // Leading (batch) dims broadcast like numpy.
  const std::size_t ra = a.dims.size() - 2, rb = b.dims.size() - 2, rank = std::max(ra, rb);
  std::vector<int64_t> batch(rank), sa(rank, 0), sb(rank, 0);
  {
    int64_t stride_a = M * K, stride_b = K * N;
    for (std::size_t i = 0; i < rank; ++i) {
      const std::size_t j = rank - 1 - i;
      const int64_t da = i < ra ? a.dims[ra - 1 - i] : 1, db = i < rb ? b.dims[rb - 1 - i] : 1;
      if (da != db && da != 1 && db != 1)
        bad_shape(op, "batch dims do not broadcast: " + dims_text(a.dims) + " × " + dims_text(b.dims));
      batch[j] = std::max(da, db);
      sa[j] = da == 1 ? 0 : stride_a;
      sb[j] = db == 1 ? 0 : stride_b;
      stride_a *= da;
      stride_b *= db;
    }
  }
  Tensor y;
  y.dims = batch;
  y.dims.push_back(M);
  y.dims.push_back(N);
  int64_t batches = 1;
  for (int64_t d : batch) batches *= d;
  y.data.assign(static_cast<std::size_t>(batches * M * N), 0.0f);
  std::vector<int64_t> idx(rank, 0);
  for (int64_t bi = 0; bi < batches; ++bi) {
    int64_t oa = 0, ob = 0;
    for (std::size_t i = 0; i < rank; ++i) {
      oa += idx[i] * sa[i];
      ob += idx[i] * sb[i];
    }
    float* yb = &y.data[static_cast<std::size_t>(bi * M * N)];
    for (int64_t m = 0; m < M; ++m)
      for (int64_t k = 0; k < K; ++k)
        axpy(yb + m * N, &b.data[static_cast<std::size_t>(ob + k * N)],
             a.data[static_cast<std::size_t>(oa + m * K + k)], N);
    for (std::size_t i = rank; i-- > 0;) {
      if (++idx[i] < batch[i]) break;
      idx[i] = 0;
    }
  }
  return y;
}

}  // namespace dlasim::quant::ops
