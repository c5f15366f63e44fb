// The version-2 kernels written once over a vector type `Vec` (simd_*.hpp), included by each
// path's translation unit (path_*.cpp) inside an anonymous namespace after it defines Vec,
// kRows and kColVecs (its register blocking). Nothing here may depend on Vec::W except which
// outputs share a vector: every output sees the same operations in the same order on every
// path (kernels.hpp states each function's arithmetic). Internal linkage only, so no function
// compiled with one path's instruction set can be picked by the linker for another.
//
// Vec provides: W, Mask, load, load_partial(p, n, fill), store, store_partial(p, n), set1,
// iota(base) (lane l = base + l), + - * / (IEEE, rounded once), fma(a, b, c) = a*b+c rounded
// once, max(a, b) = a > b ? a : b, le(a, b) (ordered a <= b), select(m, a, b) = m ? a : b,
// pow2_from_magic(t) = the float 2^n for t = 1.5 * 2^23 + n (bits (bits(t) + 127) << 23).
//
// The language model's attention and loss kernels are in transformer_impl.hpp, included below.
//
// Thread-safety: pure functions (gemm packs large weight blocks into a thread_local buffer).

static_assert(kPad % Vec::W == 0, "a padded row holds whole vectors");
constexpr int kGroups = static_cast<int>(kPad) / Vec::W;  // vectors per 16 fixed partial sums

// ---- exp ----------------------------------------------------------------------------------

constexpr float kMagic = 12582912.0f;          // 1.5 * 2^23
constexpr float kLog2e = 1.44269502162933349609375f;
constexpr float kLn2Hi = 0.693145751953125f;   // 0x3F317200: n * kLn2Hi is exact for |n| < 2^8
constexpr float kLn2Lo = 1.428606765330187e-06f;
constexpr float kExpFloor = -87.0f;            // 2^n stays a normal float

inline Vec exp_nonpositive_vec(Vec x) {
  x = Vec::max(Vec::set1(kExpFloor), x);  // NaN passes through (max returns its second operand)
  const Vec t = Vec::fma(x, Vec::set1(kLog2e), Vec::set1(kMagic));
  const Vec n = t - Vec::set1(kMagic);
  Vec r = Vec::fma(n, Vec::set1(-kLn2Hi), x);
  r = Vec::fma(n, Vec::set1(-kLn2Lo), r);
  Vec p = Vec::set1(1.0f / 5040.0f);
  p = Vec::fma(p, r, Vec::set1(1.0f / 720.0f));
  p = Vec::fma(p, r, Vec::set1(1.0f / 120.0f));
  p = Vec::fma(p, r, Vec::set1(1.0f / 24.0f));
  p = Vec::fma(p, r, Vec::set1(1.0f / 6.0f));
  p = Vec::fma(p, r, Vec::set1(0.5f));
  p = Vec::fma(p, r, Vec::set1(1.0f));
  p = Vec::fma(p, r, Vec::set1(1.0f));
  return p * Vec::pow2_from_magic(t);
}

void exp_nonpositive_impl(const float* x, int64_t n, float* out) {
  int64_t i = 0;
  for (; i + Vec::W <= n; i += Vec::W) exp_nonpositive_vec(Vec::load(x + i)).store(out + i);
  if (i < n) {
    const int rest = static_cast<int>(n - i);
    exp_nonpositive_vec(Vec::load_partial(x + i, rest, 0.0f)).store_partial(out + i, rest);
  }
}

// Lanes [0, n) set.
inline typename Vec::Mask lanes_below(int n) {
  return Vec::le(Vec::iota(0.0f), Vec::set1(static_cast<float>(n - 1)));
}

// The x86 maxps rule over the lanes of v in lane order (the max is exact; the order only
// matters for NaN, which makes the loss non-finite anyway).
inline float lane_max(Vec v, float m) {
  float lanes[Vec::W];
  v.store(lanes);
  for (int l = 0; l < Vec::W; ++l) m = m > lanes[l] ? m : lanes[l];
  return m;
}

// ---- gemm ---------------------------------------------------------------------------------

// The left operand of a product: row r's entry kk. A dense row-major matrix (gemm) ...
struct DenseRows {
  const float* x;
  int64_t ldx;
  float at(int r, int64_t kk) const { return x[r * ldx + kk]; }
  DenseRows from(int64_t row, int64_t k0) const { return {x + row * ldx + k0, ldx}; }
};
// ... or an implicit im2col (conv_gather): row r's entry kk is in[pos[r] + koff[kk]].
struct GatheredRows {
  const float* in;
  const int64_t* pos;
  const int32_t* koff;
  float at(int r, int64_t kk) const { return in[pos[r] + koff[kk]]; }
  GatheredRows from(int64_t row, int64_t k0) const { return {in, pos + row, koff + k0}; }
};

// Rows [0, R) x column vectors [0, CV) starting at column `col`; `last` valid lanes in the
// last vector (W when full). With from_y the chains continue from the values y holds (a later
// block of k), else they start at the bias (0 without one): kRowBias: bias[r] starts every
// output of row r (gemm_bias_rows); else bias[column] (gemm). Either way one value, then the
// same fma chain.
template <int R, int CV, bool kRowBias, class X>
inline void gemm_block(X x, int64_t k, const float* wt, int64_t ldw, const float* bias, bool from_y, int last,
                       float* y, int64_t ldy) {
  Vec acc[R][CV];
  if (from_y) {
    for (int r = 0; r < R; ++r) {
      for (int c = 0; c < CV; ++c) {
        acc[r][c] = c + 1 < CV || last == Vec::W ? Vec::load(y + r * ldy + c * Vec::W)
                                                 : Vec::load_partial(y + r * ldy + c * Vec::W, last, 0.0f);
      }
    }
  } else if constexpr (kRowBias) {
    for (int r = 0; r < R; ++r) {
      const Vec b = Vec::set1(bias != nullptr ? bias[r] : 0.0f);
      for (int c = 0; c < CV; ++c) acc[r][c] = b;
    }
  } else {
    for (int c = 0; c < CV; ++c) {
      const Vec b = bias != nullptr ? Vec::load(bias + c * Vec::W) : Vec::set1(0.0f);
      for (int r = 0; r < R; ++r) acc[r][c] = b;
    }
  }
  for (int64_t kk = 0; kk < k; ++kk) {
    Vec w[CV];
    for (int c = 0; c < CV; ++c) w[c] = Vec::load(wt + kk * ldw + c * Vec::W);
    for (int r = 0; r < R; ++r) {
      const Vec a = Vec::set1(x.at(r, kk));
      for (int c = 0; c < CV; ++c) acc[r][c] = Vec::fma(a, w[c], acc[r][c]);
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int c = 0; c < CV; ++c) {
      if (c + 1 < CV || last == Vec::W) {
        acc[r][c].store(y + r * ldy + c * Vec::W);
      } else {
        acc[r][c].store_partial(y + r * ldy + c * Vec::W, last);
      }
    }
  }
}

// gemm_block<rows, CV> for rows <= R.
template <int R, int CV, bool kRowBias, class X>
inline void gemm_rows(int rows, X x, int64_t k, const float* wt, int64_t ldw, const float* bias, bool from_y,
                      int last, float* y, int64_t ldy) {
  if constexpr (R > 1) {
    if (rows < R) return gemm_rows<R - 1, CV, kRowBias>(rows, x, k, wt, ldw, bias, from_y, last, y, ldy);
  }
  gemm_block<R, CV, kRowBias>(x, k, wt, ldw, bias, from_y, last, y, ldy);
}

// Rows per microkernel call for CV column vectors: the accumulators of kRows x kColVecs
// outputs, so narrow outputs (a rank-4 factor, 16 attention columns) keep as many registers
// busy as wide ones.
template <int CV>
constexpr int rows_for() {
  return kRows * kColVecs / CV;
}

template <int CV, bool kRowBias, class X>
inline void gemm_cols(int cvs, int rows, X x, int64_t k, const float* wt, int64_t ldw, const float* bias,
                      bool from_y, int last, float* y, int64_t ldy) {
  if constexpr (CV > 1) {
    if (cvs < CV) return gemm_cols<CV - 1, kRowBias>(cvs, rows, x, k, wt, ldw, bias, from_y, last, y, ldy);
  }
  gemm_rows<rows_for<CV>(), CV, kRowBias>(rows, x, k, wt, ldw, bias, from_y, last, y, ldy);
}

// Column vectors of the next block when `remaining` are left: kColVecs, except that a
// remainder of one more vector than a multiple of kColVecs is split into two blocks of two
// (3 + 1 becomes 2 + 2), so no wide output runs through a one-vector microkernel.
inline int next_block_vectors(int remaining) {
  if (remaining <= kColVecs) return remaining;
  if (kColVecs == 3 && remaining == 4) return 2;
  return kColVecs;
}

// Cache blocking: panels of kRowPanel rows, and the input dimension in blocks of kKBlock;
// each block of k continues the chains from the floats y holds (a float accumulator stored
// and reloaded is the same float), so a large product is the same fma chain per output as a
// small one. A panel's rows of x (kRowPanel x kKBlock floats) stay in L2 and one block of
// weight columns (kKBlock x kColVecs vectors) in L1 while the panel's rows pass over it.
constexpr int64_t kRowPanel = 192;  // a multiple of every rows_for<CV>()
constexpr int64_t kKBlock = 256;
// A weight operand whose rows lie more than kPackStride floats apart, in a k block of more
// than kPackRows rows (each row on its own page: the first-level TLB, the cache sets and the
// prefetchers run out), is first copied, up to kGroupVecs vectors of the block's rows at a
// time, each row's stretch read in order, into a buffer laid out microkernel block by block,
// when several row blocks will read it. Only a copy: the same values meet the same fma chains.
// (The language model's output projection, 32 rows of 2,064 floats, reads faster in place:
// packing it cost 8 % of a pass.)
constexpr int64_t kPackStride = 1024;
constexpr int64_t kPackRows = 64;
constexpr int kGroupVecs = 8 * kColVecs;

// Any blocking gives the same bits: every output is its own bias-then-fma chain over k
// (continuing from y's values when `accumulate`).
template <bool kRowBias, class X>
void gemm_run(X x, int64_t n, int64_t k, const float* wt, int64_t ldw, int64_t m, const float* bias, bool accumulate,
              float* y, int64_t ldy) {
  const int total = static_cast<int>((m + Vec::W - 1) / Vec::W);
  thread_local std::vector<float> packed;  // a packed group: kKBlock x kGroupVecs vectors at most
  for (int64_t r0 = 0; r0 < n; r0 += kRowPanel) {
    const int64_t panel = n - r0 < kRowPanel ? n - r0 : kRowPanel;
    for (int64_t k0 = 0; k0 < k || k0 == 0; k0 += kKBlock) {
      const int64_t kc = k - k0 < kKBlock ? k - k0 : kKBlock;
      const bool pack = ldw > kPackStride && kc > kPackRows && panel > rows_for<kColVecs>();
      const bool from_y = accumulate || k0 > 0;
      for (int done = 0; done < total;) {
        // A group of consecutive column blocks: [done, group_end) vectors.
        int group_end = done;
        do {
          group_end += next_block_vectors(total - group_end);
        } while (group_end < total && group_end - done + kColVecs <= kGroupVecs);
        const int group_vecs = group_end - done;
        if (pack) {
          // Whole vectors: the padded weight rows hold them (a block's last vector ends by
          // padded(m) <= ldw). Block b of the group starts at packed + kc * (its first vector
          // - done) * W, its row kk cvs vectors long.
          if (packed.size() < static_cast<size_t>(kKBlock * kGroupVecs * Vec::W)) {
            packed.resize(static_cast<size_t>(kKBlock * kGroupVecs * Vec::W));
          }
          for (int64_t kk = 0; kk < kc; ++kk) {
            const float* from = wt + (k0 + kk) * ldw + static_cast<int64_t>(done) * Vec::W;
            for (int v0 = 0; v0 < group_vecs;) {
              const int cvs = next_block_vectors(total - done - v0);
              float* to = packed.data() + (kc * v0 + kk * cvs) * Vec::W;
              for (int c = 0; c < cvs; ++c) Vec::load(from + (v0 + c) * Vec::W).store(to + c * Vec::W);
              v0 += cvs;
            }
          }
        }
        for (int v0 = 0; v0 < group_vecs;) {
          const int cvs = next_block_vectors(total - done - v0);
          const int64_t col = static_cast<int64_t>(done + v0) * Vec::W;
          const int64_t width =
              m - col < static_cast<int64_t>(cvs) * Vec::W ? m - col : static_cast<int64_t>(cvs) * Vec::W;
          const int last = static_cast<int>(width - static_cast<int64_t>(cvs - 1) * Vec::W);
          const int64_t block_rows = cvs == 1 ? rows_for<1>() : cvs == 2 ? rows_for<2>() : rows_for<kColVecs>();
          const float* wblock = pack ? packed.data() + kc * v0 * Vec::W : wt + k0 * ldw + col;
          const int64_t wld = pack ? static_cast<int64_t>(cvs) * Vec::W : ldw;
          for (int64_t row = r0; row < r0 + panel; row += block_rows) {
            const int rows = static_cast<int>(r0 + panel - row < block_rows ? r0 + panel - row : block_rows);
            const float* b = bias == nullptr ? nullptr : kRowBias ? bias + row : bias + col;
            gemm_cols<kColVecs, kRowBias>(cvs, rows, x.from(row, k0), kc, wblock, wld, b, from_y, last,
                                          y + row * ldy + col, ldy);
          }
          v0 += cvs;
        }
        done = group_end;
      }
    }
  }
}

void gemm_impl(const float* x, int64_t ldx, int64_t n, int64_t k, const float* wt, int64_t ldw, int64_t m,
               const float* bias, float* y, int64_t ldy) {
  gemm_run<false>(DenseRows{x, ldx}, n, k, wt, ldw, m, bias, false, y, ldy);
}

void gemm_accumulate_impl(const float* x, int64_t ldx, int64_t n, int64_t k, const float* wt, int64_t ldw, int64_t m,
                          float* y, int64_t ldy) {
  gemm_run<false>(DenseRows{x, ldx}, n, k, wt, ldw, m, nullptr, true, y, ldy);
}

void gemm_bias_rows_impl(const float* x, int64_t ldx, int64_t n, int64_t k, const float* wt, int64_t ldw, int64_t m,
                         const float* bias, float* y, int64_t ldy) {
  gemm_run<true>(DenseRows{x, ldx}, n, k, wt, ldw, m, bias, false, y, ldy);
}

void conv_gather_impl(const float* in, const int64_t* pos, int64_t n, const int32_t* koff, int64_t k, const float* wt,
                      int64_t ldw, int64_t m, const float* bias, float* y, int64_t ldy) {
  gemm_run<false>(GatheredRows{in, pos, koff}, n, k, wt, ldw, m, bias, false, y, ldy);
}
// ---- gemv ---------------------------------------------------------------------------------

// One input row: up to kGemvVecs vectors of outputs at once, so a layer of 8 vectors keeps
// 8 independent fma chains in flight (the register-blocked gemm holds only kColVecs for one row).
constexpr int kGemvVecs = 8;

template <int CV>
inline void gemv_block(const float* x, int64_t k, const float* wt, int64_t ldw, const float* bias, int last,
                       float* y) {
  Vec acc[CV];
  for (int c = 0; c < CV; ++c) acc[c] = bias != nullptr ? Vec::load(bias + c * Vec::W) : Vec::set1(0.0f);
  for (int64_t kk = 0; kk < k; ++kk) {
    const Vec a = Vec::set1(x[kk]);
    const float* w = wt + kk * ldw;
    for (int c = 0; c < CV; ++c) acc[c] = Vec::fma(a, Vec::load(w + c * Vec::W), acc[c]);
  }
  for (int c = 0; c < CV; ++c) {
    if (c + 1 < CV || last == Vec::W) {
      acc[c].store(y + c * Vec::W);
    } else {
      acc[c].store_partial(y + c * Vec::W, last);
    }
  }
}

template <int CV>
inline void gemv_cols(int cvs, const float* x, int64_t k, const float* wt, int64_t ldw, const float* bias, int last,
                      float* y) {
  if constexpr (CV > 1) {
    if (cvs < CV) return gemv_cols<CV - 1>(cvs, x, k, wt, ldw, bias, last, y);
  }
  gemv_block<CV>(x, k, wt, ldw, bias, last, y);
}

void gemv_impl(const float* x, int64_t k, const float* wt, int64_t ldw, int64_t m, const float* bias, float* y) {
  constexpr int64_t kBlockCols = static_cast<int64_t>(kGemvVecs) * Vec::W;
  for (int64_t col = 0; col < m; col += kBlockCols) {
    const int64_t width = m - col < kBlockCols ? m - col : kBlockCols;
    const int cvs = static_cast<int>((width + Vec::W - 1) / Vec::W);
    const int last = static_cast<int>(width - static_cast<int64_t>(cvs - 1) * Vec::W);
    gemv_cols<kGemvVecs>(cvs, x, k, wt + col, ldw, bias != nullptr ? bias + col : nullptr, last, y + col);
  }
}

#include "kernels/transformer_impl.hpp"  // attention_head_impl, loss_rows_impl

// ---- peak -----------------------------------------------------------------------------------

// Independent fma chains, `iterations` steps each; returns the FLOPs done (2 per lane per fma).
// The bench programs time it for the FP32 peak the other figures are a fraction of. The chains
// must fit the registers with the two operands: 12 on the 16-register paths (avx2 has 16 ymm
// registers, so 16 chains spill and measured 54 instead of 95 GFLOP/s on a Zen 3 core), 16 on
// avx512's 32 registers; either covers 2 FMA pipes x 4-6 cycles of latency.
int64_t fma_peak_impl(int64_t iterations, float* sink) {
  constexpr int kChains = Vec::W == 16 ? 16 : 12;
  Vec acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = Vec::set1(static_cast<float>(c) * 1e-3f);
  const Vec a = Vec::set1(0.999999f), b = Vec::set1(1e-7f);
  for (int64_t i = 0; i < iterations; ++i) {
    for (int c = 0; c < kChains; ++c) acc[c] = Vec::fma(acc[c], a, b);
  }
  Vec total = acc[0];
  for (int c = 1; c < kChains; ++c) total = total + acc[c];
  total.store_partial(sink, 1);
  return iterations * kChains * Vec::W * 2;
}

const Table kTable = {gemm_impl,       gemm_accumulate_impl, attention_head_impl, loss_rows_impl,
                      exp_nonpositive_impl, fma_peak_impl, gemm_bias_rows_impl, gemv_impl, conv_gather_impl};
