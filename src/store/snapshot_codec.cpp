#include "store/snapshot_codec.hpp"

#include <zstd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <bit>
#include <cstring>
#include <memory>
#include <new>

#include "util/error.hpp"

namespace seedline::store {
namespace {

struct FreeDCtx {
  void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); }
};
struct FreeCCtx {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};

// One decompression context and one plane buffer per thread, kept between snapshots: a
// rebuild decodes 16 frames per million values, and fresh 256 KiB buffers would cost page
// faults each time.
ZSTD_DCtx* thread_dctx() {
  thread_local std::unique_ptr<ZSTD_DCtx, FreeDCtx> ctx(ZSTD_createDCtx());
  if (!ctx) throw std::bad_alloc();
  return ctx.get();
}
std::vector<std::byte>& thread_scratch() {
  thread_local std::vector<std::byte> scratch;
  return scratch;
}

// Byte b of value i goes to planes[b * n + i] (little-endian order whatever the host).
void to_planes(std::span<const float> values, std::byte* planes) {
  const size_t n = values.size();
  for (size_t i = 0; i < n; ++i) {
    const auto bits = std::bit_cast<uint32_t>(values[i]);
    planes[i] = static_cast<std::byte>(bits & 0xff);
    planes[n + i] = static_cast<std::byte>((bits >> 8) & 0xff);
    planes[2 * n + i] = static_cast<std::byte>((bits >> 16) & 0xff);
    planes[3 * n + i] = static_cast<std::byte>(bits >> 24);
  }
}

void from_planes(const std::byte* planes, std::span<float> out) {
  const size_t n = out.size();
  const auto* b0 = reinterpret_cast<const uint8_t*>(planes);
  const uint8_t *b1 = b0 + n, *b2 = b0 + 2 * n, *b3 = b0 + 3 * n;
  size_t i = 0;
#if defined(__SSE2__)
  auto* dst = reinterpret_cast<uint32_t*>(out.data());
  static_assert(sizeof(float) == sizeof(uint32_t));
  // 16 values per round: interleave bytes 0/1 and 2/3 into 16-bit halves, then the halves
  // into 32-bit values (on a little-endian host, where SSE2 lives).
  for (; i + 16 <= n; i += 16) {
    const __m128i v0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b0 + i));
    const __m128i v1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b1 + i));
    const __m128i v2 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b2 + i));
    const __m128i v3 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b3 + i));
    const __m128i lo_a = _mm_unpacklo_epi8(v0, v1), lo_b = _mm_unpackhi_epi8(v0, v1);
    const __m128i hi_a = _mm_unpacklo_epi8(v2, v3), hi_b = _mm_unpackhi_epi8(v2, v3);
    auto* d = reinterpret_cast<__m128i*>(dst + i);
    _mm_storeu_si128(d, _mm_unpacklo_epi16(lo_a, hi_a));
    _mm_storeu_si128(d + 1, _mm_unpackhi_epi16(lo_a, hi_a));
    _mm_storeu_si128(d + 2, _mm_unpacklo_epi16(lo_b, hi_b));
    _mm_storeu_si128(d + 3, _mm_unpackhi_epi16(lo_b, hi_b));
  }
#endif
  for (; i < n; ++i) {
    const uint32_t bits =
        uint32_t{b0[i]} | (uint32_t{b1[i]} << 8) | (uint32_t{b2[i]} << 16) | (uint32_t{b3[i]} << 24);
    out[i] = std::bit_cast<float>(bits);
  }
}

}  // namespace

std::vector<std::byte> encode_snapshot(std::string_view codec, std::span<const float> genotype, int level) {
  const std::unique_ptr<ZSTD_CCtx, FreeCCtx> ctx(ZSTD_createCCtx());
  if (!ctx) throw std::bad_alloc();
  const auto compress_into = [&](std::vector<std::byte>& out, std::span<const std::byte> raw) {
    const size_t at = out.size();
    out.resize(at + ZSTD_compressBound(raw.size()));
    const size_t n = ZSTD_compressCCtx(ctx.get(), out.data() + at, out.size() - at, raw.data(), raw.size(), level);
    if (ZSTD_isError(n)) fail(ErrorCode::kInternal, std::string("zstd compression failed: ") + ZSTD_getErrorName(n));
    out.resize(at + n);
  };
  std::vector<std::byte> out;
  if (codec == kSnapshotCodecZstd) {
    std::vector<std::byte> raw(genotype.size() * 4);
    for (size_t i = 0; i < genotype.size(); ++i) {
      const auto bits = std::bit_cast<uint32_t>(genotype[i]);
      for (int b = 0; b < 4; ++b) raw[i * 4 + b] = static_cast<std::byte>((bits >> (8 * b)) & 0xff);
    }
    compress_into(out, raw);
    return out;
  }
  if (codec != kSnapshotCodecPlanes) invalid_argument("unknown snapshot codec '" + std::string(codec) + "'");
  out.reserve(ZSTD_compressBound(genotype.size() * 4));
  std::vector<std::byte> planes;
  size_t at = 0;
  do {  // an empty genotype is one piece of two empty frames
    const size_t n = std::min(kSnapshotPieceValues, genotype.size() - at);
    planes.resize(n * 4);
    to_planes(genotype.subspan(at, n), planes.data());
    compress_into(out, std::span<const std::byte>(planes).first(3 * n));
    compress_into(out, std::span<const std::byte>(planes).subspan(3 * n));
    at += n;
  } while (at < genotype.size());
  return out;
}

SnapshotPieces::SnapshotPieces(int64_t individual_id, std::string codec, int64_t raw_bytes,
                               std::span<const std::byte> blob)
    : id_(individual_id), codec_(std::move(codec)), blob_(blob) {
  if (codec_ != kSnapshotCodecZstd && codec_ != kSnapshotCodecPlanes) {
    fail(ErrorCode::kUnimplemented, "snapshot of individual " + std::to_string(id_) + " uses codec '" + codec_ +
                                        "', which this seedline cannot read");
  }
  if (raw_bytes < 0 || raw_bytes % 4 != 0) {
    corrupt("raw size " + std::to_string(raw_bytes) + " is not a whole number of float32 values");
  }
  values_ = static_cast<size_t>(raw_bytes) / 4;
  if (codec_ == kSnapshotCodecZstd) {
    index_single_frame();
  } else {
    index_planes();
  }
}

void SnapshotPieces::corrupt(const std::string& why) const {
  corruption("snapshot of individual " + std::to_string(id_) + " is corrupt: " + why);
}

void SnapshotPieces::index_single_frame() {
  const unsigned long long content = ZSTD_getFrameContentSize(blob_.data(), blob_.size());
  if (content == ZSTD_CONTENTSIZE_ERROR) corrupt("not a zstd frame");
  if (content == ZSTD_CONTENTSIZE_UNKNOWN) corrupt("zstd frame does not record its size");
  if (content != values_ * 4) {
    corrupt("zstd frame holds " + std::to_string(content) + " bytes, row says " + std::to_string(values_ * 4));
  }
  const size_t frame = ZSTD_findFrameCompressedSize(blob_.data(), blob_.size());
  if (ZSTD_isError(frame)) corrupt(std::string("truncated zstd frame (") + ZSTD_getErrorName(frame) + ")");
  if (frame != blob_.size()) corrupt(std::to_string(blob_.size() - frame) + " trailing bytes after the zstd frame");
  piece_values_ = values_;
  pieces_.push_back({values_, {{0, frame}, {0, 0}}});
}

// The zstd frame at `offset` (the blob's frame number `index`, for errors): its place and the
// bytes it holds. A frame must record its size and be complete.
SnapshotPieces::Frame SnapshotPieces::frame_at(size_t offset, size_t index, unsigned long long& content) const {
  const std::string frame = "zstd frame " + std::to_string(index);
  const std::byte* at = blob_.data() + offset;
  const size_t left = blob_.size() - offset;
  content = ZSTD_getFrameContentSize(at, left);
  if (content == ZSTD_CONTENTSIZE_ERROR) corrupt(frame + " (at byte " + std::to_string(offset) + ") is not a zstd frame");
  if (content == ZSTD_CONTENTSIZE_UNKNOWN) corrupt(frame + " does not record its size");
  const size_t size = ZSTD_findFrameCompressedSize(at, left);
  if (ZSTD_isError(size)) corrupt("truncated " + frame + " (" + ZSTD_getErrorName(size) + ")");
  return {offset, size};
}

// Walks the frames, two per piece: 3m bytes of low planes, then m bytes of the high plane.
// Every piece but the last holds the first piece's m values, the last 1..that many (an empty
// genotype: one piece of two empty frames), and together exactly the row's raw size.
void SnapshotPieces::index_planes() {
  size_t offset = 0, total = 0;
  do {
    const size_t k = pieces_.size();
    unsigned long long low = 0, high = 0;
    const Frame a = frame_at(offset, 2 * k, low);
    if (a.offset + a.size == blob_.size()) corrupt("zstd frame " + std::to_string(2 * k + 1) + " is missing");
    const Frame b = frame_at(a.offset + a.size, 2 * k + 1, high);
    if (low % 3 != 0 || high != low / 3) {
      corrupt("zstd frames " + std::to_string(2 * k) + " and " + std::to_string(2 * k + 1) + " hold " +
              std::to_string(low) + " and " + std::to_string(high) + " bytes, not 3 low planes and 1 high plane");
    }
    const size_t n = static_cast<size_t>(high);
    if (k == 0) piece_values_ = n;
    if (k > 0 && pieces_.back().values != piece_values_) {
      corrupt("piece " + std::to_string(k - 1) + " holds " + std::to_string(pieces_.back().values) +
              " values, fewer than piece 0's " + std::to_string(piece_values_) + ", but is not the last");
    }
    if (n > piece_values_ || (n == 0 && values_ != 0)) {
      corrupt("piece " + std::to_string(k) + " holds " + std::to_string(n) + " values after pieces of " +
              std::to_string(piece_values_));
    }
    if (n > values_ - total) {
      corrupt("zstd frames hold more than the row's raw size of " + std::to_string(values_ * 4) + " bytes");
    }
    pieces_.push_back({n, {a, b}});
    offset = b.offset + b.size;
    total += n;
  } while (total < values_ && offset < blob_.size());
  if (total != values_) {
    corrupt("zstd frames hold " + std::to_string(total * 4) + " bytes, row says " + std::to_string(values_ * 4));
  }
  if (offset != blob_.size()) {
    corrupt(std::to_string(blob_.size() - offset) + " trailing bytes after the last zstd frame");
  }
}

void SnapshotPieces::decompress(const Frame& f, std::byte* dst, size_t bytes, size_t index) const {
  const size_t got = ZSTD_decompressDCtx(thread_dctx(), dst, bytes, blob_.data() + f.offset, f.size);
  const std::string frame = codec_ == kSnapshotCodecZstd ? "zstd frame" : "zstd frame " + std::to_string(index);
  if (ZSTD_isError(got)) corrupt(frame + ": " + ZSTD_getErrorName(got));
  if (got != bytes) corrupt(frame + " decompressed to " + std::to_string(got) + " bytes, expected " + std::to_string(bytes));
}

void SnapshotPieces::decode_piece(size_t k, std::span<float> out) const {
  if (k >= pieces_.size() || out.size() != pieces_[k].values) {
    fail(ErrorCode::kInternal, "snapshot of individual " + std::to_string(id_) + ": piece " + std::to_string(k) +
                                   " decoded into " + std::to_string(out.size()) + " values");
  }
  const Piece& p = pieces_[k];
  const size_t n = p.values;
  const bool planes = codec_ == kSnapshotCodecPlanes;
  // 'zstd' holds little-endian floats: on such a host they decode straight into `out`.
  if (!planes && std::endian::native == std::endian::little) {
    decompress(p.frames[0], reinterpret_cast<std::byte*>(out.data()), n * 4, 0);
    return;
  }
  auto& scratch = thread_scratch();
  if (scratch.size() < n * 4) scratch.resize(n * 4);
  if (planes) {
    decompress(p.frames[0], scratch.data(), 3 * n, 2 * k);
    decompress(p.frames[1], scratch.data() + 3 * n, n, 2 * k + 1);
    from_planes(scratch.data(), out);
    return;
  }
  decompress(p.frames[0], scratch.data(), n * 4, 0);
  for (size_t i = 0; i < n; ++i) {
    uint32_t bits = 0;
    for (int b = 0; b < 4; ++b) bits |= static_cast<uint32_t>(scratch[i * 4 + b]) << (8 * b);
    out[i] = std::bit_cast<float>(bits);
  }
}

void SnapshotPieces::decode_all(std::span<float> out) const {
  if (out.size() != values_) {
    fail(ErrorCode::kInternal, "snapshot of individual " + std::to_string(id_) + " decoded into " +
                                   std::to_string(out.size()) + " values, it holds " + std::to_string(values_));
  }
  for (size_t k = 0; k < pieces_.size(); ++k) {
    decode_piece(k, out.subspan(k * piece_values_, pieces_[k].values));
  }
}

}  // namespace seedline::store
