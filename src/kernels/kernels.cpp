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

void gemm_accumulate(const float* x, int64_t ldx, int64_t n, int64_t k, const float* wt, int64_t ldw, int64_t m,
                     float* y, int64_t ldy) {
  table_for(active_path()).gemm_accumulate(x, ldx, n, k, wt, ldw, m, y, ldy);
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

void gemm_accumulate_with(Path path, const float* x, int64_t ldx, int64_t n, int64_t k, const float* wt, int64_t ldw,
                          int64_t m, float* y, int64_t ldy) {
  table_for(path).gemm_accumulate(x, ldx, n, k, wt, ldw, m, y, ldy);
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

void conv_gather(const float* in, const int64_t* pos, int64_t n, const int32_t* koff, int64_t k, const float* wt,
                 int64_t ldw, int64_t m, const float* bias, float* y, int64_t ldy) {
  table_for(active_path()).conv_gather(in, pos, n, koff, k, wt, ldw, m, bias, y, ldy);
}

void conv_gather_with(Path path, const float* in, const int64_t* pos, int64_t n, const int32_t* koff, int64_t k,
                      const float* wt, int64_t ldw, int64_t m, const float* bias, float* y, int64_t ldy) {
  table_for(path).conv_gather(in, pos, n, koff, k, wt, ldw, m, bias, y, ldy);
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

double exp_fixed(double x) {
  if (x != x) return x;
  if (x > 709.0) return __builtin_inf();
  if (x < -745.0) return 0.0;
  // n = rint(x / ln 2) by the 1.5 * 2^52 trick (exact for |n| < 2^51), r = x - n ln 2 with ln 2
  // split so that n * kLn2Hi is exact; |r| <= 0.347.
  constexpr double kLn2Hi = 6.93147180369123816490e-01;
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  constexpr double kInvLn2 = 1.44269504088896338700e+00;
  constexpr double kMagic = 6755399441055744.0;  // 1.5 * 2^52
  const double n = (x * kInvLn2 + kMagic) - kMagic;
  const double r = (x - n * kLn2Hi) - n * kLn2Lo;
  // e^r by its Taylor series to r^17 (truncation below 1e-22 relative), Horner.
  double p = 1.0 / 355687428096000.0;  // 1/17!
  double f = 355687428096000.0;
  for (int k = 17; k >= 1; --k) {
    f /= static_cast<double>(k);  // (k-1)!, exact: every factorial up to 16! is an integer < 2^53
    p = p * r + 1.0 / f;
  }
  // p * 2^n in two exact steps, so that n down to -1074 (subnormal results) stays exact.
  const int e = static_cast<int>(n);
  const int e1 = e / 2, e2 = e - e1;
  const auto pow2 = [](int k) { return std::bit_cast<double>(static_cast<uint64_t>(k + 1023) << 52); };
  return p * pow2(e1) * pow2(e2);
}

void sincos_fixed(double x, double* sin_out, double* cos_out) {
  // q = rint(x * 2 / pi); r = x - q pi/2 with pi/2 in three parts of 33 bits, each product
  // exact for |q| < 2^20 (|x| < 1.6e6; beyond it r loses accuracy but stays deterministic).
  constexpr double kTwoOverPi = 6.36619772367581382433e-01;
  constexpr double kPio2_1 = 1.57079632673412561417e+00;   // the first 33 bits of pi/2
  constexpr double kPio2_2 = 6.07710050630396597660e-11;   // the next 33 bits
  constexpr double kPio2_3 = 2.02226624871116645580e-21;   // the next 33 bits
  constexpr double kMagic = 6755399441055744.0;            // 1.5 * 2^52
  const double q = (x * kTwoOverPi + kMagic) - kMagic;
  const double r = ((x - q * kPio2_1) - q * kPio2_2) - q * kPio2_3;  // |r| <= pi/4 (+ rounding)
  const double r2 = r * r;
  // Taylor series: sin to r^19, cos to r^20 (truncation below 1e-19 on [-pi/4, pi/4]).
  double ps = 0.0, pc = 0.0, fs = 1.0, fc = 1.0;
  double sc[10], cc[11];
  for (int k = 0; k < 10; ++k) {  // 1/(2k+1)!, with signs
    if (k > 0) fs *= static_cast<double>(2 * k) * static_cast<double>(2 * k + 1);
    sc[k] = (k % 2 ? -1.0 : 1.0) / fs;
  }
  for (int k = 0; k < 11; ++k) {  // 1/(2k)!, with signs
    if (k > 0) fc *= static_cast<double>(2 * k - 1) * static_cast<double>(2 * k);
    cc[k] = (k % 2 ? -1.0 : 1.0) / fc;
  }
  for (int k = 9; k >= 0; --k) ps = ps * r2 + sc[k];
  for (int k = 10; k >= 0; --k) pc = pc * r2 + cc[k];
  const double s = r * ps, c = pc;
  const int64_t quadrant = static_cast<int64_t>(q) & 3;  // two's complement: -1 & 3 == 3
  switch (quadrant) {
    case 0: *sin_out = s, *cos_out = c; break;
    case 1: *sin_out = c, *cos_out = -s; break;
    case 2: *sin_out = -s, *cos_out = -c; break;
    default: *sin_out = -c, *cos_out = s; break;
  }
}

}  // namespace seedline::kernels
