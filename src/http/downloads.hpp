// Genome download bodies: built once, shared by every response that sends the same file, and
// bounded in total, so clients that never read their downloads cannot pin unbounded memory.
//
// A body lives while a response holds it (the session writes it in chunks straight from the
// shared bytes; nothing is copied per connection). Identical downloads in flight at the same
// time (same individual, format and content) share one body, which is safe because an
// individual's genome never changes once stored. Distinct bodies in flight are bounded by
// `max_bytes`: beyond it a new download is refused (503, retry later) until responses finish
// or their connections time out.
//
// SharedFileBody is the Beast body type that writes such a file.
//
// Thread-safety: acquire() may be called from any thread; bodies are immutable.
// Failure: acquire() rethrows what `make` throws; it returns nullptr when over the bound.
#pragma once

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/optional.hpp>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "http/api.hpp"

namespace seedline::http {

class Downloads {
 public:
  explicit Downloads(size_t max_bytes) : max_bytes_(max_bytes) {}

  // The body for `key`: the one in flight if any, else make()'s bytes if they fit under the
  // bound, else nullptr.
  std::shared_ptr<const GenomeFile> acquire(const std::string& key, const std::function<GenomeFile()>& make);

  size_t bytes_in_flight() const;
  size_t max_bytes() const { return max_bytes_; }

 private:
  struct State {
    std::mutex mutex;
    size_t bytes = 0;                                              // guarded by mutex
    std::map<std::string, std::weak_ptr<const GenomeFile>> live;  // guarded by mutex
  };
  size_t max_bytes_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

// Genome bodies are handed to the socket in pieces of this size.
inline constexpr size_t kChunkBytes = 64 * 1024;

// A Beast body over a shared, immutable GenomeFile: written in kChunkBytes pieces straight
// from the shared bytes, so a download costs no copy per connection.
struct SharedFileBody {
  using value_type = std::shared_ptr<const GenomeFile>;
  static std::uint64_t size(const value_type& v) { return v ? v->bytes.size() : 0; }

  class writer {
   public:
    using const_buffers_type = boost::asio::const_buffer;
    template <bool isRequest, class Fields>
    writer(const boost::beast::http::header<isRequest, Fields>&, const value_type& v) : file_(v) {}
    void init(boost::system::error_code& ec) { ec = {}; }
    boost::optional<std::pair<const_buffers_type, bool>> get(boost::system::error_code& ec) {
      ec = {};
      if (!file_ || at_ >= file_->bytes.size()) return boost::none;
      const size_t n = std::min(kChunkBytes, file_->bytes.size() - at_);
      const boost::asio::const_buffer piece(file_->bytes.data() + at_, n);
      at_ += n;
      return std::make_pair(piece, at_ < file_->bytes.size());
    }

   private:
    const value_type& file_;
    size_t at_ = 0;
  };
};

}  // namespace seedline::http
