#include "http/server.hpp"

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <csignal>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "http/connection_table.hpp"
#include "http/downloads.hpp"
#include "http/router.hpp"
#include "store/migrations.hpp"
#include "util/error.hpp"

namespace seedline::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using beast_http::status;

// Each worker thread's own read-only connection (a Database is one-thread-only); sessions
// handle requests on whichever worker runs them and use that worker's connection.
thread_local store::Database* t_db = nullptr;

// After an error response that closes the connection, unread request bytes are discarded for
// up to this long (and this many bytes) before closing, so the client sees the response
// rather than a reset.
constexpr auto kDrainTime = std::chrono::seconds(1);
constexpr size_t kDrainBytes = size_t{4} << 20;
// How long a half-received request may still take once a stop was requested.
constexpr auto kStopGrace = std::chrono::seconds(2);
// A connection waiting this long for a complete request header may be closed to make room for
// a new connection when a connection limit is reached. Short enough that slow or silent
// clients cannot hold the slots, long enough that a client sending its request now is not
// cut off by the next one to connect.
constexpr auto kEvictAfter = std::chrono::seconds(1);

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class Session;

struct ServerCore {
  explicit ServerCore(ServerOptions o)
      : options(std::move(o)),
        io(options.threads),
        acceptor(asio::make_strand(io)),
        accept_retry(acceptor.get_executor()),
        web(options.web_files),
        cache(options.genome_cache_bytes),
        downloads(options.max_download_bytes),
        rebuild_pool(std::max(1, options.threads)),
        connections(options.max_connections, options.max_connections_per_client, kEvictAfter) {}

  void accept();
  void on_accept(error_code ec, tcp::socket socket);
  void remove(Session* session);
  void stop();
  void worker();

  ServerOptions options;
  asio::io_context io;
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry;  // on the acceptor's strand
  std::optional<asio::signal_set> signals;
  StaticFiles web;
  lineage::GenotypeCache cache;
  Downloads downloads;
  runner::ThreadPool rebuild_pool;  // genome downloads split their replay over it
  uint16_t port = 0;
  std::atomic<bool> stopping{false};

  std::mutex mutex;
  bool stop_requested = false;           // guarded by mutex
  ConnectionTable<Session> connections;  // guarded by mutex
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, ServerCore& core) : stream_(std::move(socket)), core_(core) {}
  ~Session() { core_.remove(this); }

  void start() {
    asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::do_read, shared_from_this()));
  }
  void request_stop() {
    asio::post(stream_.get_executor(), beast::bind_front_handler(&Session::on_stop, shared_from_this()));
  }
  // Closes the connection if it is still waiting for a request header (see kEvictAfter).
  void evict() {
    evicting_ = true;
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->waiting_since_ != 0) {
        self->stream_.cancel();  // on_read sees operation_aborted and closes
      } else {
        self->evicting_ = false;  // a request arrived meanwhile: it is served
      }
    });
  }
  // Since when (steady_ns) this connection has waited for a request header; 0 when it is not.
  int64_t waiting_since() const { return evicting_ ? 0 : waiting_since_.load(); }

 private:
  enum class State { kReading, kWriting, kClosing };

  void do_read() {
    state_ = State::kReading;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(core_.options.max_header_bytes));
    parser_->body_limit(core_.options.max_body_bytes);
    header_bytes_ = 0;
    waiting_since_ = steady_ns();
    stream_.expires_after(std::min(core_.options.header_timeout, core_.options.timeout));
    read_header();
  }

  // Beast's header_limit bounds only the part of the header not yet parsed (complete field
  // lines are consumed as they arrive), so the header is read piecewise and its total counted.
  void read_header() {
    beast_http::async_read_some(stream_, buffer_, *parser_,
                                beast::bind_front_handler(&Session::on_header_part, shared_from_this()));
  }

  void on_header_part(error_code ec, size_t consumed) {
    header_bytes_ += consumed;
    if (!ec && header_bytes_ > core_.options.max_header_bytes) ec = beast_http::error::header_limit;
    if (ec || parser_->is_done()) return on_read(ec, 0);
    if (!parser_->is_header_done()) return read_header();
    // The header is complete: the body may take the (longer) request timeout.
    waiting_since_ = 0;
    stream_.expires_after(core_.options.timeout);
    beast_http::async_read(stream_, buffer_, *parser_,
                           beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(error_code ec, size_t /*bytes*/) {
    waiting_since_ = 0;
    if (ec == beast_http::error::body_limit) {
      return fail(status::payload_too_large, "payload_too_large",
                  "request body larger than " + std::to_string(core_.options.max_body_bytes) + " bytes");
    }
    if (ec == beast_http::error::header_limit) {
      return fail(status::request_header_fields_too_large, "headers_too_large",
                  "request headers larger than " + std::to_string(core_.options.max_header_bytes) + " bytes");
    }
    if (ec == beast_http::error::end_of_stream || ec == asio::error::operation_aborted || ec == beast::error::timeout) {
      return close();
    }
    if (ec) {
      // A malformed request gets a 400; a broken connection is just closed.
      if (parser_->got_some() && ec.category() == beast_http::make_error_code(beast_http::error::bad_method).category()) {
        return fail(status::bad_request, "bad_request", "malformed HTTP request: " + ec.message());
      }
      return close();
    }
    const Request request = parser_->release();
    Reply reply = respond(request);
    if (core_.stopping || stop_requested_) reply.message.keep_alive(false);
    send(std::move(reply), request.method() == beast_http::verb::head);
  }

  Reply respond(const Request& request) {
    if (request.version() >= 11 && request.find(beast_http::field::host) == request.end()) {
      // RFC 9112 section 3.2: an HTTP/1.1 request without Host is answered 400.
      return {error_response(status::bad_request, "bad_request", "HTTP/1.1 request without a Host header",
                             request.version(), request.keep_alive()),
              nullptr};
    }
    if (t_db == nullptr) {
      return {error_response(status::internal_server_error, "internal", "this worker has no database connection",
                             request.version()),
              nullptr};
    }
    RouterContext context{*t_db,           core_.options.token, core_.web, &core_.cache, &core_.downloads,
                          &core_.rebuild_pool};
    return route_request(request, context);
  }

  void send(Reply&& reply, bool head) {
    state_ = State::kWriting;
    const bool close_after = !reply.message.keep_alive();
    stream_.expires_after(core_.options.timeout);
    auto self = shared_from_this();
    if (head) {
      // HEAD: the same header (Content-Length included) without the body.
      auto message = std::make_shared<beast_http::response<beast_http::empty_body>>();
      message->base() = reply.message.base();
      beast_http::async_write(stream_, *message, [self, message, close_after](error_code e, size_t) {
        self->on_write(e, close_after);
      });
      return;
    }
    if (reply.body != nullptr) {
      auto message = std::make_shared<beast_http::response<SharedFileBody>>();
      message->base() = reply.message.base();
      message->body() = std::move(reply.body);
      message->prepare_payload();
      beast_http::async_write(stream_, *message, [self, message, close_after](error_code e, size_t) {
        self->on_write(e, close_after);
      });
      return;
    }
    auto message = std::make_shared<Response>(std::move(reply.message));
    beast_http::async_write(stream_, *message, [self, message, close_after](error_code e, size_t) {
      self->on_write(e, close_after);
    });
  }

  void on_write(error_code ec, bool close_after) {
    if (ec || close_after || core_.stopping || stop_requested_) return close();
    do_read();
  }

  // Answers an unreadable request and closes the connection.
  void fail(status s, std::string_view code, const std::string& message) {
    drain_ = true;
    send(Reply{error_response(s, code, message, 11, false), nullptr}, false);
  }

  void close() {
    state_ = State::kClosing;
    error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (!drain_ || ec) {
      stream_.close();
      return;
    }
    stream_.expires_after(kDrainTime);
    drain();
  }

  void drain() {
    stream_.async_read_some(asio::buffer(discard_), [self = shared_from_this()](error_code ec, size_t n) {
      self->drained_ += n;
      if (ec || self->drained_ > kDrainBytes) {
        self->stream_.close();
        return;
      }
      self->drain();
    });
  }

  void on_stop() {
    stop_requested_ = true;
    if (state_ != State::kReading) return;  // a response is being written; on_write closes
    if (buffer_.size() == 0 && (!parser_ || !parser_->got_some())) {
      stream_.cancel();  // idle between requests: on_read sees operation_aborted and closes
    } else if (core_.options.timeout > kStopGrace) {
      stream_.expires_after(kStopGrace);
    }
  }

  beast::tcp_stream stream_;
  ServerCore& core_;
  beast::flat_buffer buffer_;
  std::optional<beast_http::request_parser<beast_http::string_body>> parser_;
  State state_ = State::kReading;
  bool stop_requested_ = false;
  bool drain_ = false;
  size_t drained_ = 0;
  size_t header_bytes_ = 0;
  std::array<char, 16384> discard_{};
  std::atomic<int64_t> waiting_since_{0};  // read by the acceptor (ConnectionTable::admit)
  std::atomic<bool> evicting_{false};
};

void ServerCore::accept() {
  acceptor.async_accept(asio::make_strand(io), [this](error_code ec, tcp::socket socket) {
    on_accept(ec, std::move(socket));
  });
}

void ServerCore::on_accept(error_code ec, tcp::socket socket) {
  if (!acceptor.is_open() || ec == asio::error::operation_aborted) return;
  if (ec) {
    // E.g. out of file descriptors: retry shortly rather than spinning on the error.
    std::cerr << "seedline serve: accept failed: " << ec.message() << '\n';
    accept_retry.expires_after(std::chrono::milliseconds(100));
    accept_retry.async_wait([this](error_code e) {
      if (!e && !stopping) accept();
    });
    return;
  }
  error_code peer_ec;
  const std::string client = socket.remote_endpoint(peer_ec).address().to_string();
  std::shared_ptr<Session> session;
  ConnectionTable<Session>::Admission admission;
  {
    std::lock_guard lock(mutex);
    if (stop_requested) return;  // the socket closes as it goes out of scope
    admission = connections.admit(client, steady_ns());
    if (admission.admitted) {
      session = std::make_shared<Session>(std::move(socket), *this);
      connections.add(session, client);
    }
  }
  if (!admission.admitted) {
    // Over a connection limit with nobody to evict: a short 503 written synchronously (it
    // fits any socket buffer), then close; the listener never blocks on a client.
    auto res = error_response(status::service_unavailable, "unavailable", admission.refusal);
    res.set(beast_http::field::retry_after, "1");
    error_code write_ec;
    beast_http::write(socket, res, write_ec);
    socket.shutdown(tcp::socket::shutdown_both, write_ec);
  } else {
    if (admission.evict) admission.evict->evict();
    session->start();
  }
  accept();
}

void ServerCore::remove(Session* session) {
  std::lock_guard lock(mutex);
  connections.remove(session);
}

void ServerCore::stop() {
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(mutex);
    if (stop_requested) return;
    stop_requested = true;
    stopping = true;
    live = connections.live();
  }
  asio::post(acceptor.get_executor(), [this] {
    error_code ec;
    acceptor.close(ec);
    accept_retry.cancel();
  });
  if (signals) {
    asio::post(signals->get_executor(), [this] {
      error_code ec;
      signals->cancel(ec);
    });
  }
  for (auto& s : live) s->request_stop();
}

void ServerCore::worker() {
  std::optional<store::Database> db;
  try {
    db.emplace(store::open_database(options.db_path, store::OpenPurpose::kRead));
  } catch (const std::exception& e) {
    std::cerr << "seedline serve: a worker could not open the database: " << e.what() << '\n';
  }
  t_db = db ? &*db : nullptr;
  for (;;) {
    try {
      io.run();
      break;
    } catch (const std::exception& e) {
      // Handlers do not throw (the router catches everything); this is a last resort that
      // keeps the worker serving.
      std::cerr << "seedline serve: internal error: " << e.what() << '\n';
    }
  }
  t_db = nullptr;
}

}  // namespace

std::optional<std::string> token_problem(std::string_view token) {
  if (token.empty()) return "must not be empty";
  for (const char c : token) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) {
      return "must be printable ASCII (a header cannot carry other bytes reliably)";
    }
  }
  if (token.front() == ' ' || token.back() == ' ') {
    return "must not begin or end with a space (it could never match: a client's surrounding spaces are "
           "not part of the token)";
  }
  return std::nullopt;
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost") return true;
  error_code ec;
  const auto address = asio::ip::make_address(std::string(host), ec);
  if (ec) invalid_argument("host must be an IP address or 'localhost' (got '" + std::string(host) + "')");
  if (address.is_v4()) return address.to_v4().is_loopback();
  const auto v6 = address.to_v6();
  if (v6.is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).is_loopback();
  return v6.is_loopback();
}

struct Server::Impl : ServerCore {
  using ServerCore::ServerCore;
};

Server::Server(ServerOptions options) {
  const bool loopback = is_loopback_host(options.host);
  if (!loopback && options.token.empty()) {
    invalid_argument("refusing to serve on " + options.host +
                     ", which is not a loopback address, without a token: pass --token TOKEN or set "
                     "$SEEDLINE_TOKEN (clients then send 'Authorization: Bearer TOKEN')");
  }
  if (!options.token.empty()) {
    if (const auto problem = token_problem(options.token)) invalid_argument("token " + *problem);
  }
  if (options.threads < 1 || options.threads > 256) {
    invalid_argument("threads must be between 1 and 256 (got " + std::to_string(options.threads) + ")");
  }
  if (options.max_connections < 1) invalid_argument("max_connections must be at least 1");
  if (options.max_connections_per_client < 1) invalid_argument("max_connections_per_client must be at least 1");
  if (options.header_timeout.count() <= 0) invalid_argument("header_timeout must be positive");
  if (options.max_header_bytes < 1024) invalid_argument("max_header_bytes must be at least 1024");
  if (options.timeout.count() <= 0) invalid_argument("timeout must be positive");
  // Fails now, with the database's own message, rather than in every worker.
  store::open_database(options.db_path, store::OpenPurpose::kRead);

  impl_ = std::make_shared<Impl>(std::move(options));
  auto& core = *impl_;
  const std::string host = core.options.host == "localhost" ? "127.0.0.1" : core.options.host;
  const tcp::endpoint endpoint(asio::ip::make_address(host), core.options.port);
  const std::string where = host + ":" + std::to_string(core.options.port);
  error_code ec;
  core.acceptor.open(endpoint.protocol(), ec);
  if (!ec) core.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) core.acceptor.bind(endpoint, ec);
  if (!ec) core.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) io_error("cannot listen on " + where + ": " + ec.message());
  core.port = core.acceptor.local_endpoint().port();
  if (core.options.stop_on_signals) {
    core.signals.emplace(asio::make_strand(core.io), SIGINT, SIGTERM);
    core.signals->async_wait([&core](error_code e, int) {
      if (!e) core.stop();
    });
  }
}

Server::~Server() = default;

uint16_t Server::port() const { return impl_->port; }

std::string Server::url() const {
  std::string host = impl_->options.host == "localhost" ? "127.0.0.1" : impl_->options.host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(impl_->port) + "/";
}

void Server::run() {
  auto& core = *impl_;
  asio::post(core.acceptor.get_executor(), [&core] {
    if (!core.stopping) core.accept();
  });
  std::vector<std::thread> threads;
  for (int i = 0; i < core.options.threads; ++i) threads.emplace_back([&core] { core.worker(); });
  for (auto& t : threads) t.join();
}

void Server::stop() { impl_->stop(); }

}  // namespace seedline::http
