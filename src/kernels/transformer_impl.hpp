// The language model's kernels (attention and the fused output projection + log-softmax +
// target pick), written once over `Vec` like the rest of kernels_impl.hpp, which includes this
// file inside each path's anonymous namespace after its exp, gemm and gemv sections (it uses
// exp_nonpositive_vec, lane_max, lanes_below and gemm_impl). kernels.hpp states the arithmetic
// of attention_head and loss_rows; every path performs it in the same order.
//
// Thread-safety: pure functions over the caller's buffers.

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

// log-sum-exp pieces of one row of V logits: returns the max, *sum the fixed-order sum.
inline float row_max_sumexp(const float* row, int64_t V, float* sum) {
  Vec vm = Vec::set1(-__builtin_inff());
  int64_t i = 0;
  for (; i + Vec::W <= V; i += Vec::W) vm = Vec::max(vm, Vec::load(row + i));
  float m = lane_max(vm, -__builtin_inff());
  for (; i < V; ++i) m = m > row[i] ? m : row[i];
  const Vec vmax = Vec::set1(m);
  Vec part[kGroups];
  for (int g = 0; g < kGroups; ++g) part[g] = Vec::set1(0.0f);
  int64_t v0 = 0;
  for (; v0 + kPad <= V; v0 += kPad) {
    for (int g = 0; g < kGroups; ++g) {
      part[g] = part[g] + exp_nonpositive_vec(Vec::load(row + v0 + g * Vec::W) - vmax);
    }
  }
  for (int g = 0; g < kGroups; ++g) {
    const int64_t n = V - v0 - g * Vec::W;
    if (n <= 0) break;
    if (n >= Vec::W) {
      part[g] = part[g] + exp_nonpositive_vec(Vec::load(row + v0 + g * Vec::W) - vmax);
    } else {
      const int rest = static_cast<int>(n);
      const Vec e = exp_nonpositive_vec(Vec::load_partial(row + v0 + g * Vec::W, rest, 0.0f) - vmax);
      part[g] = part[g] + Vec::select(lanes_below(rest), e, Vec::set1(0.0f));
    }
  }
  float p[kPad];
  for (int g = 0; g < kGroups; ++g) part[g].store(p + g * Vec::W);
  for (int w = static_cast<int>(kPad) / 2; w >= 1; w /= 2) {
    for (int l = 0; l < w; ++l) p[l] = p[l] + p[l + w];
  }
  *sum = p[0];
  return m;
}

void loss_rows_impl(const float* x, int64_t ldx, int64_t rows, int64_t C, const float* wt, int64_t ldw, int64_t V,
                    const float* bias, const int32_t* targets, float* tile, double* loss) {
  for (int64_t r0 = 0; r0 < rows; r0 += kLossRows) {
    const int64_t n = rows - r0 < kLossRows ? rows - r0 : kLossRows;
    gemm_impl(x + r0 * ldx, ldx, n, C, wt, ldw, V, bias, tile, ldw);
    for (int64_t r = 0; r < n; ++r) {
      const int32_t target = targets[r0 + r];
      if (target < 0) {
        loss[r0 + r] = 0.0;
        continue;
      }
      const float* row = tile + r * ldw;
      float sum = 0;
      const float m = row_max_sumexp(row, V, &sum);
      loss[r0 + r] = static_cast<double>(m) + log_fixed(static_cast<double>(sum)) - static_cast<double>(row[target]);
    }
  }
}

