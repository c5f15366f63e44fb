#include "evaluator/protocol.hpp"

#include <cstring>

#include "util/utf8.hpp"

namespace seedline::evaluator {
namespace {

// The limits on metrics keep a reply small and a metric name printable in a table.
constexpr uint32_t kMaxMetrics = 64;

void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_f64(std::string& out, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  put_u64(out, bits);
}

// Reads little-endian fields from a payload, refusing to read past its end.
class Cursor {
 public:
  Cursor(std::string_view data, const char* what) : data_(data), what_(what) {}
  uint32_t u32() {
    need(4);
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<unsigned char>(data_[at_ + i])} << (8 * i);
    at_ += 4;
    return v;
  }
  uint64_t u64() {
    need(8);
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t{static_cast<unsigned char>(data_[at_ + i])} << (8 * i);
    at_ += 8;
    return v;
  }
  double f64() {
    const uint64_t bits = u64();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  }
  std::string bytes(size_t n) {
    need(n);
    std::string s(data_.substr(at_, n));
    at_ += n;
    return s;
  }
  std::string_view rest() const { return data_.substr(at_); }
  void finish() const {
    if (at_ != data_.size()) {
      throw ProtocolError(std::string(what_) + " payload has " + std::to_string(data_.size() - at_) +
                          " bytes after its last field");
    }
  }

 private:
  void need(size_t n) const {
    if (data_.size() - at_ < n) {
      throw ProtocolError(std::string(what_) + " payload of " + std::to_string(data_.size()) +
                          " bytes ends in the middle of a field");
    }
  }
  std::string_view data_;
  const char* what_;
  size_t at_ = 0;
};

bool known_type(uint32_t t) { return t >= 1 && t <= 5; }

}  // namespace

std::string encode_frame(FrameType type, std::string_view payload) {
  std::string out;
  out.reserve(kHeaderBytes + payload.size());
  put_u32(out, static_cast<uint32_t>(type));
  put_u32(out, static_cast<uint32_t>(payload.size()));
  out.append(payload);
  return out;
}

std::optional<Frame> FrameReader::next() {
  if (buffer_.size() < kHeaderBytes) return std::nullopt;
  Cursor header(std::string_view(buffer_).substr(0, kHeaderBytes), "header");
  const uint32_t type = header.u32();
  const uint32_t length = header.u32();
  if (!known_type(type)) {
    throw ProtocolError("frame type " + std::to_string(type) + " is not a protocol " +
                        std::to_string(kProtocolVersion) + " frame (first bytes: '" + printable_prefix(buffer_) + "')");
  }
  if (length > kMaxFrameBytes) {
    throw ProtocolError("frame of " + std::to_string(length) + " bytes exceeds the limit of " +
                        std::to_string(kMaxFrameBytes));
  }
  if (buffer_.size() < kHeaderBytes + length) return std::nullopt;
  Frame f{static_cast<FrameType>(type), buffer_.substr(kHeaderBytes, length)};
  buffer_.erase(0, kHeaderBytes + length);
  return f;
}

std::string printable_prefix(std::string_view bytes) {
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < 24; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string encode_eval(const EvalRequest& r) {
  std::string out;
  out.reserve(kEvalBytes);
  put_u64(out, r.item);
  put_u64(out, r.episode_seed);
  put_u32(out, r.member);
  put_u32(out, r.episode);
  put_u64(out, r.weights_serial);
  return out;
}

EvalRequest decode_eval(std::string_view payload) {
  Cursor c(payload, "EVAL");
  EvalRequest r;
  r.item = c.u64();
  r.episode_seed = c.u64();
  r.member = c.u32();
  r.episode = c.u32();
  r.weights_serial = c.u64();
  c.finish();
  return r;
}

std::string encode_result(const EvalResult& r) {
  std::string out;
  put_u64(out, r.item);
  put_f64(out, r.reward);
  put_u64(out, static_cast<uint64_t>(r.steps));
  put_u32(out, static_cast<uint32_t>(r.metrics.size()));
  for (const auto& [name, value] : r.metrics) {
    put_u32(out, static_cast<uint32_t>(name.size()));
    out += name;
    put_f64(out, value);
  }
  return out;
}

EvalResult decode_result(std::string_view payload) {
  Cursor c(payload, "RESULT");
  EvalResult r;
  r.item = c.u64();
  r.reward = c.f64();
  r.steps = static_cast<int64_t>(c.u64());
  const uint32_t n = c.u32();
  if (n > kMaxMetrics) {
    throw ProtocolError("RESULT has " + std::to_string(n) + " metrics, more than the limit of " +
                        std::to_string(kMaxMetrics));
  }
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t len = c.u32();
    if (len == 0 || len > kMaxMetricNameBytes) {
      throw ProtocolError("RESULT metric " + std::to_string(i) + " has a name of " + std::to_string(len) +
                          " bytes (1 to " + std::to_string(kMaxMetricNameBytes) + " allowed)");
    }
    const std::string name = c.bytes(len);
    if (!valid_utf8(name)) {
      throw ProtocolError("RESULT metric " + std::to_string(i) + " has a name that is not valid UTF-8 ('" +
                          sanitize_text(name, kMaxMetricNameBytes) + "')");
    }
    const double value = c.f64();
    // Escaping at most quadruples a name: the cap never cuts one.
    r.metrics.emplace_back(sanitize_text(name, 4 * kMaxMetricNameBytes), value);
  }
  c.finish();
  return r;
}

std::string encode_error(uint64_t item, std::string_view message) {
  std::string out;
  put_u64(out, item);
  out.append(message);
  return out;
}

std::pair<uint64_t, std::string> decode_error(std::string_view payload) {
  Cursor c(payload, "ERROR");
  const uint64_t item = c.u64();
  std::string_view text = c.rest();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) text.remove_suffix(1);
  return {item, sanitize_text(text, kMaxErrorBytes, true)};
}

}  // namespace seedline::evaluator
