#include "kernels/kernels.hpp"

#include <bit>
#include <cstdint>

namespace seedline::kernels {

const Table& table_for(Path path) {
  switch (path) {
    case Path::kAvx512:
      return table_avx512();
    case Path::kAvx2:
      return table_avx2();
    case Path::kPortable:
      break;
  }
  return table_portable();
}

void gemm(const float* x, int64_t ldx, int64_t n, int64_t k, const float* wt, int64_t ldw, int64_t m,
          const float* bias, float* y, int64_t ldy) {
  table_for(active_path()).gemm(x, ldx, n, k, wt, ldw, m, bias, y, ldy);
}

void attention_head(const float* qt, int64_t ldq, const float* k, const float* v, int64_t T, int64_t HD, float scale,
                    float* scratch, float* out, int64_t ldo) {
  table_for(active_path()).attention_head(qt, ldq, k, v, T, HD, scale, scratch, out, ldo);
}

void loss_rows(const float* x, int64_t ldx, int64_t rows, int64_t C, const float* wt, int64_t ldw, int64_t V,
               const float* bias, const int32_t* targets, float* tile, double* loss) {
  table_for(active_path()).loss_rows(x, ldx, rows, C, wt, ldw, V, bias, targets, tile, loss);
}

void exp_nonpositive(const float* x, int64_t n, float* out) { table_for(active_path()).exp_nonpositive(x, n, out); }

void gemm_with(Path path, const float* x, int64_t ldx, int64_t n, int64_t k, const float* wt, int64_t ldw, int64_t m,
               const float* bias, float* y, int64_t ldy) {
  table_for(path).gemm(x, ldx, n, k, wt, ldw, m, bias, y, ldy);
}

void gemm_bias_rows(const float* x, int64_t ldx, int64_t n, int64_t k, const float* wt, int64_t ldw, int64_t m,
                    const float* bias, float* y, int64_t ldy) {
  table_for(active_path()).gemm_bias_rows(x, ldx, n, k, wt, ldw, m, bias, y, ldy);
}

void gemv(const float* x, int64_t k, const float* wt, int64_t ldw, int64_t m, const float* bias, float* y) {
  table_for(active_path()).gemv(x, k, wt, ldw, m, bias, y);
}

void gemm_bias_rows_with(Path path, const float* x, int64_t ldx, int64_t n, int64_t k, const float* wt, int64_t ldw,
                         int64_t m, const float* bias, float* y, int64_t ldy) {
  table_for(path).gemm_bias_rows(x, ldx, n, k, wt, ldw, m, bias, y, ldy);
}

void gemv_with(Path path, const float* x, int64_t k, const float* wt, int64_t ldw, int64_t m, const float* bias,
               float* y) {
  table_for(path).gemv(x, k, wt, ldw, m, bias, y);
}

void exp_nonpositive_with(Path path, const float* x, int64_t n, float* out) {
  table_for(path).exp_nonpositive(x, n, out);
}

double log_fixed(double x) {
  // NaN, +inf: themselves; 0 and negatives: NaN (the loss then makes the fitness -inf).
  if (!(x > 0.0) || x == __builtin_inf()) return x > 0.0 ? x : __builtin_nan("");
  // x = m * 2^e with m in [sqrt(1/2), sqrt(2)); subnormals are scaled up first (exactly).
  int e = 0;
  if (x < 0x1p-1022) {
    x *= 0x1p54;
    e = -54;
  }
  uint64_t bits = std::bit_cast<uint64_t>(x);
  e += static_cast<int>(bits >> 52) - 1023;
  bits = (bits & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull;  // m in [1, 2)
  if (bits > 0x3FF6A09E667F3BCCull) {  // m > sqrt(2) (rounded down): halve it
    bits -= 0x0010000000000000ull;
    e += 1;
  }
  const double m = std::bit_cast<double>(bits);
  // ln m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716: the odd series to s^27
  // (truncation below 1e-22 relative).
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  double p = 2.0 / 27.0;
  for (int k = 25; k >= 1; k -= 2) p = p * s2 + 2.0 / static_cast<double>(k);
  const double ln_m = s * p;
  // ln 2 split so that e * kLn2Hi is exact (|e| < 2^11).
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // 0x3FE62E42FEE00000
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  const double k = static_cast<double>(e);
  return k * kLn2Hi + (k * kLn2Lo + ln_m);
}

}  // namespace seedline::kernels
