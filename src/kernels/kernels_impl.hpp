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

// ---- attention ----------------------------------------------------------------------------

// Passes 2 and 3 of attention_head_impl fused for a head of D dimensions: for each key j in
// order, e = exp(s - M) (0 for a masked key), sum += e, acc[c] = fma(e, v[j][c], acc[c]);
// out = acc * (1 / sum). The same operations as the separate passes.
template <int D>
inline void weigh_values(const float* scratch, Vec m, const float* v, int64_t t0, int64_t end, Vec tpos, float* out,
                         int64_t ldo, int valid) {
  constexpr int64_t W = Vec::W;
  const Vec zero = Vec::set1(0.0f);
  Vec sum = zero;
  Vec acc[D];
  for (int c = 0; c < D; ++c) acc[c] = zero;
  const int64_t diag = t0 + 1 < end ? t0 + 1 : end;  // keys j <= t0 reach every query of the block
  for (int64_t j = 0; j < diag; ++j) {
    const Vec e = exp_nonpositive_vec(Vec::load(scratch + j * W) - m);
    const float* vj = v + j * D;
    sum = sum + e;
    for (int c = 0; c < D; ++c) acc[c] = Vec::fma(e, Vec::set1(vj[c]), acc[c]);
  }
  for (int64_t j = diag; j < end; ++j) {
    const auto live = Vec::le(Vec::set1(static_cast<float>(j)), tpos);
    const Vec e = Vec::select(live, exp_nonpositive_vec(Vec::load(scratch + j * W) - m), zero);
    const float* vj = v + j * D;
    sum = sum + e;
    for (int c = 0; c < D; ++c) acc[c] = Vec::select(live, Vec::fma(e, Vec::set1(vj[c]), acc[c]), acc[c]);
  }
  const Vec inv = Vec::set1(1.0f) / sum;
  for (int c = 0; c < D; ++c) {
    float lanes[Vec::W];
    (acc[c] * inv).store(lanes);
    for (int l = 0; l < valid; ++l) out[(t0 + l) * ldo + c] = lanes[l];
  }
}

// Two query blocks at once, [t0, t0 + W) and [t1, t1 + W) with t1 = t0 + W < T, for a head of
// D <= 4 dimensions: every query's scores, max, exp, sum and weighted values are the same
// operations in the same key order as one block at a time (pass 1 below, weigh_values); the
// two blocks share each key's broadcasts and their independent chains overlap in the pipeline.
// Block A's scores go to scratch, block B's to scratch + T * W (scratch holds T * kPad >= 2 T W).
template <int D>
void attention_pair(const float* qt, int64_t ldq, const float* k, const float* v, int64_t T, int64_t t0, Vec vscale,
                    float* scratch, float* out, int64_t ldo) {
  constexpr int64_t W = Vec::W;
  const int64_t t1 = t0 + W;
  const int64_t end_a = t1;                         // keys reaching some query of block A
  const int64_t end_b = t1 + W < T ? t1 + W : T;    // ... of block B
  float* sa = scratch;
  float* sb = scratch + T * W;
  const Vec tpos_a = Vec::iota(static_cast<float>(t0)), tpos_b = Vec::iota(static_cast<float>(t1));
  const Vec minus_inf = Vec::set1(-__builtin_inff()), zero = Vec::set1(0.0f);
  Vec qa[D], qb[D];
  for (int i = 0; i < D; ++i) {
    qa[i] = Vec::load(qt + i * ldq + t0);
    qb[i] = Vec::load(qt + i * ldq + t1);
  }
  // Pass 1: scores (key j > t masked to -inf) and their max per query.
  Vec ma = minus_inf, mb = minus_inf;
  for (int64_t j = 0; j < end_a; ++j) {
    const float* kj = k + j * D;
    Vec key = Vec::set1(kj[0]);
    Vec s_a = qa[0] * key, s_b = qb[0] * key;
    for (int i = 1; i < D; ++i) {
      key = Vec::set1(kj[i]);
      s_a = Vec::fma(qa[i], key, s_a);
      s_b = Vec::fma(qb[i], key, s_b);
    }
    s_a = s_a * vscale;
    s_b = s_b * vscale;  // j < t1: no query of block B is masked
    if (j > t0) s_a = Vec::select(Vec::le(Vec::set1(static_cast<float>(j)), tpos_a), s_a, minus_inf);
    s_a.store(sa + j * W);
    s_b.store(sb + j * W);
    ma = Vec::max(ma, s_a);
    mb = Vec::max(mb, s_b);
  }
  for (int64_t j = end_a; j < end_b; ++j) {
    const float* kj = k + j * D;
    Vec s_b = qb[0] * Vec::set1(kj[0]);
    for (int i = 1; i < D; ++i) s_b = Vec::fma(qb[i], Vec::set1(kj[i]), s_b);
    s_b = s_b * vscale;
    if (j > t1) s_b = Vec::select(Vec::le(Vec::set1(static_cast<float>(j)), tpos_b), s_b, minus_inf);
    s_b.store(sb + j * W);
    mb = Vec::max(mb, s_b);
  }
  // Pass 2 (weigh_values' operations, in two sweeps): e = exp(s - M), 0 for a masked key, and
  // its sum in key order, e stored over the scores; keys [0, diag_a) reach every query of both
  // blocks, [diag_a, end_a) some of A's and all of B's, [end_a, diag_b) all of B's,
  // [diag_b, end_b) some of B's. Fused with pass 3 the two blocks' exp constants, sums and
  // weighted values need 24 registers of 16 and the compiler kept accumulators in memory.
  const int64_t diag_a = t0 + 1 < end_a ? t0 + 1 : end_a;
  const int64_t diag_b = t1 + 1 < end_b ? t1 + 1 : end_b;
  Vec sum_a = zero, sum_b = zero;
  for (int64_t j = 0; j < end_a; ++j) {
    Vec e_a = exp_nonpositive_vec(Vec::load(sa + j * W) - ma);
    const Vec e_b = exp_nonpositive_vec(Vec::load(sb + j * W) - mb);
    if (j >= diag_a) e_a = Vec::select(Vec::le(Vec::set1(static_cast<float>(j)), tpos_a), e_a, zero);
    e_a.store(sa + j * W);
    e_b.store(sb + j * W);
    sum_a = sum_a + e_a;
    sum_b = sum_b + e_b;
  }
  for (int64_t j = end_a; j < end_b; ++j) {
    Vec e_b = exp_nonpositive_vec(Vec::load(sb + j * W) - mb);
    if (j >= diag_b) e_b = Vec::select(Vec::le(Vec::set1(static_cast<float>(j)), tpos_b), e_b, zero);
    e_b.store(sb + j * W);
    sum_b = sum_b + e_b;
  }
  // Pass 3: the weighted values in key order (a masked key leaves its query's values as they are).
  Vec acc_a[D], acc_b[D];
  for (int c = 0; c < D; ++c) acc_a[c] = acc_b[c] = zero;
  for (int64_t j = 0; j < diag_a; ++j) {
    const Vec e_a = Vec::load(sa + j * W), e_b = Vec::load(sb + j * W);
    const float* vj = v + j * D;
    for (int c = 0; c < D; ++c) {
      const Vec value = Vec::set1(vj[c]);
      acc_a[c] = Vec::fma(e_a, value, acc_a[c]);
      acc_b[c] = Vec::fma(e_b, value, acc_b[c]);
    }
  }
  for (int64_t j = diag_a; j < end_a; ++j) {
    const auto live = Vec::le(Vec::set1(static_cast<float>(j)), tpos_a);
    const Vec e_a = Vec::load(sa + j * W), e_b = Vec::load(sb + j * W);
    const float* vj = v + j * D;
    for (int c = 0; c < D; ++c) {
      const Vec value = Vec::set1(vj[c]);
      acc_a[c] = Vec::select(live, Vec::fma(e_a, value, acc_a[c]), acc_a[c]);
      acc_b[c] = Vec::fma(e_b, value, acc_b[c]);
    }
  }
  for (int64_t j = end_a; j < diag_b; ++j) {
    const Vec e_b = Vec::load(sb + j * W);
    const float* vj = v + j * D;
    for (int c = 0; c < D; ++c) acc_b[c] = Vec::fma(e_b, Vec::set1(vj[c]), acc_b[c]);
  }
  for (int64_t j = diag_b; j < end_b; ++j) {
    const auto live = Vec::le(Vec::set1(static_cast<float>(j)), tpos_b);
    const Vec e_b = Vec::load(sb + j * W);
    const float* vj = v + j * D;
    for (int c = 0; c < D; ++c) acc_b[c] = Vec::select(live, Vec::fma(e_b, Vec::set1(vj[c]), acc_b[c]), acc_b[c]);
  }
  const Vec one = Vec::set1(1.0f);
  const Vec inv_a = one / sum_a, inv_b = one / sum_b;
  const int valid_b = static_cast<int>(end_b - t1);
  for (int c = 0; c < D; ++c) {
    float lanes[Vec::W];
    (acc_a[c] * inv_a).store(lanes);
    for (int l = 0; l < static_cast<int>(W); ++l) out[(t0 + l) * ldo + c] = lanes[l];
    (acc_b[c] * inv_b).store(lanes);
    for (int l = 0; l < valid_b; ++l) out[(t1 + l) * ldo + c] = lanes[l];
  }
}

void attention_head_impl(const float* qt, int64_t ldq, const float* k, const float* v, int64_t T, int64_t HD,
                         float scale, float* scratch, float* out, int64_t ldo) {
  constexpr int64_t W = Vec::W;
  constexpr int kChunk = 8;  // head dimensions accumulated per pass over the keys
  const Vec vscale = Vec::set1(scale);
  const Vec minus_inf = Vec::set1(-__builtin_inff());
  for (int64_t t0 = 0; t0 < T; t0 += W) {
    // A long sequence's attention is quadratic (seconds per head at 100,000 tokens): a stop
    // (util/stop_check.hpp) gets in every 64 query blocks. Polling touches no arithmetic.
    if ((t0 / W) % 64 == 0) ::seedline::poll_stop();
    // A head of at most 4 dimensions takes two query blocks at a time where the scratch holds
    // both (kPad >= 2 W: the avx2 and portable paths); the same bits as one at a time.
    if constexpr (2 * W <= kPad) {
      if (HD <= 4 && t0 + W < T) {
        switch (HD) {
          case 1: attention_pair<1>(qt, ldq, k, v, T, t0, vscale, scratch, out, ldo); break;
          case 2: attention_pair<2>(qt, ldq, k, v, T, t0, vscale, scratch, out, ldo); break;
          case 3: attention_pair<3>(qt, ldq, k, v, T, t0, vscale, scratch, out, ldo); break;
          default: attention_pair<4>(qt, ldq, k, v, T, t0, vscale, scratch, out, ldo); break;
        }
        t0 += W;  // the loop adds the other W
        continue;
      }
    }
    const int64_t end = t0 + W < T ? t0 + W : T;  // keys [0, end) reach some query of the block
    const Vec tpos = Vec::iota(static_cast<float>(t0));
    // Pass 1: scores and their max per query (key j > t masked to -inf).
    Vec m = minus_inf;
    for (int64_t j = 0; j < end; ++j) {
      const float* kj = k + j * HD;
      Vec s = Vec::load(qt + t0) * Vec::set1(kj[0]);
      for (int64_t i = 1; i < HD; ++i) s = Vec::fma(Vec::load(qt + i * ldq + t0), Vec::set1(kj[i]), s);
      s = s * vscale;
      if (j > t0) s = Vec::select(Vec::le(Vec::set1(static_cast<float>(j)), tpos), s, minus_inf);
      s.store(scratch + j * W);
      m = Vec::max(m, s);
    }
    Vec sum = Vec::set1(0.0f);
    const Vec zero = Vec::set1(0.0f);
    const int valid = static_cast<int>(end - t0);
    if (HD <= 8) {
      // Passes 2 and 3 in one sweep over the keys (a head of at most 8 dimensions): e, its sum
      // and the weighted values are the same operations in the same key order as below,
      // without storing e and reading it back.
      switch (HD) {
        case 1: weigh_values<1>(scratch, m, v, t0, end, tpos, out, ldo, valid); break;
        case 2: weigh_values<2>(scratch, m, v, t0, end, tpos, out, ldo, valid); break;
        case 3: weigh_values<3>(scratch, m, v, t0, end, tpos, out, ldo, valid); break;
        case 4: weigh_values<4>(scratch, m, v, t0, end, tpos, out, ldo, valid); break;
        case 5: weigh_values<5>(scratch, m, v, t0, end, tpos, out, ldo, valid); break;
        case 6: weigh_values<6>(scratch, m, v, t0, end, tpos, out, ldo, valid); break;
        case 7: weigh_values<7>(scratch, m, v, t0, end, tpos, out, ldo, valid); break;
        default: weigh_values<8>(scratch, m, v, t0, end, tpos, out, ldo, valid); break;
      }
      continue;
    }
    // Pass 2: e = exp(s - M) (0 for masked keys) and its sum in key order.
    for (int64_t j = 0; j < end; ++j) {
      Vec e = exp_nonpositive_vec(Vec::load(scratch + j * W) - m);
      if (j > t0) e = Vec::select(Vec::le(Vec::set1(static_cast<float>(j)), tpos), e, zero);
      e.store(scratch + j * W);
      sum = sum + e;
    }
    const Vec inv = Vec::set1(1.0f) / sum;
    // Pass 3: the weighted values, kChunk head dimensions at a time.
    for (int64_t i0 = 0; i0 < HD; i0 += kChunk) {
      const int dims = static_cast<int>(HD - i0 < kChunk ? HD - i0 : kChunk);
      Vec acc[kChunk];
      for (int c = 0; c < kChunk; ++c) acc[c] = zero;
      for (int64_t j = 0; j < end; ++j) {
        const Vec e = Vec::load(scratch + j * W);
        const float* vj = v + j * HD + i0;
        if (j <= t0) {
          for (int c = 0; c < dims; ++c) acc[c] = Vec::fma(e, Vec::set1(vj[c]), acc[c]);
        } else {
          const auto live = Vec::le(Vec::set1(static_cast<float>(j)), tpos);
          for (int c = 0; c < dims; ++c) acc[c] = Vec::select(live, Vec::fma(e, Vec::set1(vj[c]), acc[c]), acc[c]);
        }
      }
      for (int c = 0; c < dims; ++c) {
        float lanes[Vec::W];
        (acc[c] * inv).store(lanes);
        for (int l = 0; l < valid; ++l) out[(t0 + l) * ldo + i0 + c] = lanes[l];
      }
    }
  }
}

// ---- loss ---------------------------------------------------------------------------------

// log-sum-exp pieces of R rows of V logits each (R = 1 or 2; two rows interleave their
// independent chains): m[r] the row's max, sum[r] the fixed-order sum of exp(row - m[r]) (kPad
// partial sums, lane l of group g takes the columns = l + g W mod kPad, then halved pairwise).
// The max runs over two vector chains per row: the max of finite (or infinite) values is exact
// in any order, so only a NaN logit, which makes the loss NaN anyway, could see the order.
template <int R>
inline void rows_max_sumexp(const float* const* rows, int64_t V, float* m, float* sum) {
  const Vec lowest = Vec::set1(-__builtin_inff());
  Vec vm[R][2];
  for (int r = 0; r < R; ++r) vm[r][0] = vm[r][1] = lowest;
  int64_t i = 0;
  for (; i + 2 * Vec::W <= V; i += 2 * Vec::W) {
    for (int r = 0; r < R; ++r) {
      vm[r][0] = Vec::max(vm[r][0], Vec::load(rows[r] + i));
      vm[r][1] = Vec::max(vm[r][1], Vec::load(rows[r] + i + Vec::W));
    }
  }
  Vec vmax[R];
  for (int r = 0; r < R; ++r) {
    if (i + Vec::W <= V) vm[r][0] = Vec::max(vm[r][0], Vec::load(rows[r] + i));
    float mr = lane_max(Vec::max(vm[r][0], vm[r][1]), -__builtin_inff());
    for (int64_t j = i + (i + Vec::W <= V ? Vec::W : 0); j < V; ++j) mr = mr > rows[r][j] ? mr : rows[r][j];
    m[r] = mr;
    vmax[r] = Vec::set1(mr);
  }
  Vec part[R][kGroups];
  for (int r = 0; r < R; ++r) {
    for (int g = 0; g < kGroups; ++g) part[r][g] = Vec::set1(0.0f);
  }
  int64_t v0 = 0;
  for (; v0 + kPad <= V; v0 += kPad) {
    for (int g = 0; g < kGroups; ++g) {
      for (int r = 0; r < R; ++r) {
        part[r][g] = part[r][g] + exp_nonpositive_vec(Vec::load(rows[r] + v0 + g * Vec::W) - vmax[r]);
      }
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int g = 0; g < kGroups; ++g) {
      const int64_t n = V - v0 - g * Vec::W;
      if (n <= 0) break;
      if (n >= Vec::W) {
        part[r][g] = part[r][g] + exp_nonpositive_vec(Vec::load(rows[r] + v0 + g * Vec::W) - vmax[r]);
      } else {
        const int rest = static_cast<int>(n);
        const Vec e = exp_nonpositive_vec(Vec::load_partial(rows[r] + v0 + g * Vec::W, rest, 0.0f) - vmax[r]);
        part[r][g] = part[r][g] + Vec::select(lanes_below(rest), e, Vec::set1(0.0f));
      }
    }
    float p[kPad];
    for (int g = 0; g < kGroups; ++g) part[r][g].store(p + g * Vec::W);
    for (int w = static_cast<int>(kPad) / 2; w >= 1; w /= 2) {
      for (int l = 0; l < w; ++l) p[l] = p[l] + p[l + w];
    }
    sum[r] = p[0];
  }
}

void loss_rows_impl(const float* x, int64_t ldx, int64_t rows, int64_t C, const float* wt, int64_t ldw, int64_t V,
                    const float* bias, const int32_t* targets, float* tile, double* loss) {
  for (int64_t r0 = 0; r0 < rows; r0 += kLossRows) {
    const int64_t n = rows - r0 < kLossRows ? rows - r0 : kLossRows;
    gemm_impl(x + r0 * ldx, ldx, n, C, wt, ldw, V, bias, tile, ldw);
    // The rows with a target, two at a time.
    int64_t live[kLossRows];
    int count = 0;
    for (int64_t r = 0; r < n; ++r) {
      if (targets[r0 + r] < 0) {
        loss[r0 + r] = 0.0;
      } else {
        live[count++] = r;
      }
    }
    for (int i = 0; i < count;) {
      const int take = count - i >= 2 ? 2 : 1;
      const float* row_of[2] = {tile + live[i] * ldw, tile + live[i + take - 1] * ldw};
      float m[2], sum[2];
      if (take == 2) {
        rows_max_sumexp<2>(row_of, V, m, sum);
      } else {
        rows_max_sumexp<1>(row_of, V, m, sum);
      }
      for (int t = 0; t < take; ++t) {
        const int64_t r = live[i + t];
        const float* row = tile + r * ldw;
        loss[r0 + r] = static_cast<double>(m[t]) + log_fixed(static_cast<double>(sum[t])) -
                       static_cast<double>(row[targets[r0 + r]]);
      }
      i += take;
    }
  }
}

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
