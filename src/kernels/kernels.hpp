// The evaluation kernels of kernel versions 2 and 3 (docs/kernels.md): the same bits on every instruction path
// (kernels/dispatch.hpp) and every x86-64 machine.
//
// The rule that makes the bits independent of the vector width: vectorize across outputs,
// never across a reduction. Every output is accumulated in an order fixed by the algorithm,
// with explicit fused multiply-adds (one rounding each), and exp/log are seedline's own fixed
// polynomials built from +, -, *, /, fma and exact bit manipulation. The only reduction
// vectorized over its own index (the log-sum-exp over the vocabulary) uses 16 partial sums
// fixed by the algorithm (partial l takes indices = l mod 16 in ascending order) combined by a
// fixed tree, whatever the width of the path.
//
// Layouts: matrices are row-major with explicit row strides. A "column-padded" matrix has its
// row stride a multiple of kPad (16) and zeros in the padding columns; a padded bias likewise.
//
// Thread-safety: pure functions over caller-owned memory; any number of threads may call them
// on disjoint outputs. The path is read once per call (kernels::active_path()).
// Failure: none (shapes are the caller's contract; no allocation).
#pragma once

#include <cstdint>

#include "kernels/dispatch.hpp"

namespace seedline::kernels {

// Column padding of weight layouts, and the fixed partial-sum count of the log-sum-exp.
inline constexpr int64_t kPad = 16;
// Rows of logits one loss_rows call computes at once (its `tile` holds kLossRows x ldw floats).
inline constexpr int64_t kLossRows = 16;

inline int64_t padded(int64_t n) { return (n + kPad - 1) / kPad * kPad; }
// A row stride for a large weight operand: padded(n), plus kPad more when that is a multiple
// of 128 floats. gemm walks a block of columns down k; rows 512 B or a multiple of it apart
// fall into a few sets of the L1 cache and evict each other (a 4096-wide weight ran 35 % slower).
inline int64_t padded_stride(int64_t n) { return padded(n) % 128 == 0 ? padded(n) + kPad : padded(n); }

// y[r][o] (r < n, o < m; row stride ldy) = bias[o] (0 when bias is null), then for kk = 0..k-1
// in order: y = fma(x[r][kk], wt[kk][o], y). wt is (k x ldw) column-padded (ldw >= padded(m)),
// bias padded to ldw. Only columns < m of y are written.
void gemm(const float* x, int64_t ldx, int64_t n, int64_t k, const float* wt, int64_t ldw, int64_t m,
          const float* bias, float* y, int64_t ldy);

// The same chains continued from the values y holds instead of a bias:
// for kk = 0..k-1 in order: y[r][o] = fma(x[r][kk], wt[kk][o], y[r][o]). gemm over k = k1 + k2
// equals gemm over the first k1 followed by gemm_accumulate over the other k2, bit for bit.
void gemm_accumulate(const float* x, int64_t ldx, int64_t n, int64_t k, const float* wt, int64_t ldw, int64_t m,
                     float* y, int64_t ldy);

// gemm with the bias per row instead of per column: y[r][o] = bias[r] (0 when bias is null;
// bias holds n values, no padding), then the same fma chain over kk = 0..k-1 in order. The
// version-3 conv forward (nn/conv.hpp): rows are output channels, columns output positions.
void gemm_bias_rows(const float* x, int64_t ldx, int64_t n, int64_t k, const float* wt, int64_t ldw, int64_t m,
                    const float* bias, float* y, int64_t ldy);

// One row of gemm (n = 1, the version-3 dense forward of one observation): y[o] = bias[o] (0
// when bias is null), then for kk = 0..k-1 in order y = fma(x[kk], wt[kk][o], y); o < m. wt
// and bias padded as for gemm. The same bits as gemm with n = 1, blocked for more fma chains.
void gemv(const float* x, int64_t k, const float* wt, int64_t ldw, int64_t m, const float* bias, float* y);

// gemm whose left operand is gathered (an implicit im2col: the version-3 conv forward without
// padding, nn/conv.hpp): y[r][o] = bias[o] (0 when bias is null; padded as for gemm), then
// for kk = 0..k-1 in order y = fma(in[pos[r] + koff[kk]], wt[kk][o], y); r < n, o < m.
// pos[r] is output position r's offset in `in`, koff[kk] patch entry kk's.
void conv_gather(const float* in, const int64_t* pos, int64_t n, const int32_t* koff, int64_t k, const float* wt,
                 int64_t ldw, int64_t m, const float* bias, float* y, int64_t ldy);

// Causal attention of one head of one sequence of T positions with head size HD:
//   s[t][j] = (q[t].k[j]) * scale for j <= t, the dot as q_0*k_0 then fma over i = 1..HD-1;
//   M_t = max_j s[t][j];  e[t][j] = exp(s[t][j] - M_t);  S_t = sum of e[t][j] over j = 0..t in order;
//   out[t][i] = (sum over j = 0..t in order, by fma, of e[t][j] * v[j][i]) * (1 / S_t).
// qt is q transposed (HD x ldq, ldq >= padded(T), zeros beyond T); k and v are (T x HD);
// scratch holds T * kPad floats; out[t * ldo + i].
void attention_head(const float* qt, int64_t ldq, const float* k, const float* v, int64_t T, int64_t HD, float scale,
                    float* scratch, float* out, int64_t ldo);

// The cross-entropy of each row's target under log-softmax of its logits, without keeping the
// logits: for row r with targets[r] >= 0,
//   l = gemm(x row r, wt, bias) (V logits, as gemm computes them), M = max l,
//   S = the 16 partial sums of exp(l[v] - M) (v = l mod 16, ascending), combined as
//       p[l] += p[l + 8] (l < 8), then += p[l + 4], p[l + 2], p[l + 1];
//   loss[r] = double(M) + log_fixed(double(S)) - double(l[targets[r]]).
// Rows with targets[r] < 0 get loss 0. tile holds kLossRows x ldw floats of scratch.
void loss_rows(const float* x, int64_t ldx, int64_t rows, int64_t C, const float* wt, int64_t ldw, int64_t V,
               const float* bias, const int32_t* targets, float* tile, double* loss);

// exp of each x <= 0 (inputs below -87 are taken as -87): n = rint(x log2 e) by one fma with
// 1.5 * 2^23, r = x - n ln2 (two fmas, ln 2 split in two), a degree-7 Taylor polynomial in r by
// Horner fmas, times 2^n made from bits. What attention and the loss use, exposed for tests.
void exp_nonpositive(const float* x, int64_t n, float* out);
// The natural log of a double x > 0 by atanh series (+, -, *, / only); NaN and +inf pass
// through, x <= 0 gives NaN. Scalar; the same code on every path.
double log_fixed(double x);

// e^x of a double by seedline's own arithmetic (+, -, *, / and exact bit manipulation, the
// same code on every path): x = n ln 2 + r (ln 2 split Cody-Waite style), e^r by its Taylor
// series to r^17, times 2^n from bits. Within 2 ulp of the true value (tested against the C
// library); NaN passes through, overflow gives +inf, x < -745 gives 0.
double exp_fixed(double x);
// sin x and cos x of a double, the same way: x = q pi/2 + r (pi/2 in three 33-bit parts,
// exact products for |x| < 1.6e6), Taylor series in r to r^19 / r^20, the quadrant q mod 4
// picks signs and roles. Within 1e-15 of the C library's for |x| <= 1e5 (tested). What the
// rotary position table of kernel version 3 is made of (docs/kernels.md).
void sincos_fixed(double x, double* sin_out, double* cos_out);

// The functions above through a given path (tests compare the paths' bits with them).
void gemm_with(Path path, const float* x, int64_t ldx, int64_t n, int64_t k, const float* wt, int64_t ldw, int64_t m,
               const float* bias, float* y, int64_t ldy);
void gemm_accumulate_with(Path path, const float* x, int64_t ldx, int64_t n, int64_t k, const float* wt, int64_t ldw,
                          int64_t m, float* y, int64_t ldy);
void exp_nonpositive_with(Path path, const float* x, int64_t n, float* out);
void gemm_bias_rows_with(Path path, const float* x, int64_t ldx, int64_t n, int64_t k, const float* wt, int64_t ldw,
                         int64_t m, const float* bias, float* y, int64_t ldy);
void gemv_with(Path path, const float* x, int64_t k, const float* wt, int64_t ldw, int64_t m, const float* bias,
               float* y);
void conv_gather_with(Path path, const float* in, const int64_t* pos, int64_t n, const int32_t* koff, int64_t k,
                      const float* wt, int64_t ldw, int64_t m, const float* bias, float* y, int64_t ldy);

// One path's implementations (path_*.cpp).
struct Table {
  void (*gemm)(const float*, int64_t, int64_t, int64_t, const float*, int64_t, int64_t, const float*, float*, int64_t);
  void (*gemm_accumulate)(const float*, int64_t, int64_t, int64_t, const float*, int64_t, int64_t, float*, int64_t);
  void (*attention_head)(const float*, int64_t, const float*, const float*, int64_t, int64_t, float, float*, float*,
                         int64_t);
  void (*loss_rows)(const float*, int64_t, int64_t, int64_t, const float*, int64_t, int64_t, const float*,
                    const int32_t*, float*, double*);
  void (*exp_nonpositive)(const float*, int64_t, float*);
  // Benches: independent fma chains (as many as the path's registers hold) of `iterations` steps; returns the FLOPs done.
  int64_t (*fma_peak)(int64_t iterations, float* sink);
  void (*gemm_bias_rows)(const float*, int64_t, int64_t, int64_t, const float*, int64_t, int64_t, const float*,
                         float*, int64_t);
  void (*gemv)(const float*, int64_t, const float*, int64_t, int64_t, const float*, float*);
  void (*conv_gather)(const float*, const int64_t*, int64_t, const int32_t*, int64_t, const float*, int64_t, int64_t,
                      const float*, float*, int64_t);
};
const Table& table_portable();
const Table& table_avx2();
const Table& table_avx512();
const Table& table_for(Path path);

}  // namespace seedline::kernels
