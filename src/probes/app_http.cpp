#include "probes/app_http.hpp"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cmath>
#include <memory>

#include "probes/app_asio.hpp"
#include "probes/app_ipseen.hpp"
#include "probes/emit.hpp"
#include "sys/event_loop.hpp"

namespace ss::probes {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using app::tcp;
using net::awaitable;

constexpr int kSetupFailed = 4;

auto with(beast::error_code& ec) {
  return net::redirect_error(net::use_awaitable, ec);
}

double ms_since(int64_t start_ns) {
  return std::round(static_cast<double>(sys::mono_ns() - start_ns) / 1e3) / 1e3;
}

// Client: one GET per interval, sequentially; a request still running when the next tick is
// due delays it (ticks are not queued). Each request is bounded by `timeout`.
class HttpClient {
 public:
  HttpClient(net::io_context& io, const HttpClientOptions& o)
      : io_(io), o_(o), target_(app::to_asio(o.server)) {}

  awaitable<void> run() {
    signals_.async_wait([this](beast::error_code ec, int) {
      if (!ec) stop();
    });
    duration_.expires_after(o_.duration);
    duration_.async_wait([this](beast::error_code ec) {
      if (!ec) stop();
    });
    const int64_t setup_start = sys::mono_ns();
    beast::error_code ec;
    co_await open(ec);
    if (ec) {
      emit(agent_, "setup_failed", {{"error", app::label(ec)}, {"op", "connect"}});
      exit_ = kSetupFailed;
      finish();
      co_return;
    }
    emit(agent_, "ready",
         {{"local", app::local_text(stream_->socket())}, {"remote", app::text(target_)}});
    auto next = std::chrono::steady_clock::now();
    bool fresh = true;
    int64_t started = setup_start;
    while (!stopping_) {
      if (stream_ || co_await reopen()) co_await request(fresh, started);
      next = std::max(next + o_.interval, std::chrono::steady_clock::now());
      tick_.expires_at(next);
      co_await tick_.async_wait(with(ec));
      started = sys::mono_ns();
      fresh = !stream_;
    }
    emit(agent_, "summary",
         {{"requests", requests_},
          {"responses", responses_},
          {"errors", errors_},
          {"connections", connections_}});
    finish();
  }

  int exit_code() const { return exit_; }

 private:
  awaitable<void> open(beast::error_code& ec) {
    stream_ = std::make_unique<beast::tcp_stream>(io_);
    buffer_.clear();
    stream_->expires_after(o_.timeout);
    co_await stream_->async_connect(target_, with(ec));
    if (!ec) ++connections_;
  }

  awaitable<bool> reopen() {
    beast::error_code ec;
    co_await open(ec);
    if (!ec) co_return true;
    ++requests_;
    fail(ec, "connect", true);
    co_return false;
  }

  // One GET on the current connection; `started` includes its connect when it is fresh.
  awaitable<void> request(bool fresh, int64_t started) {
    ++requests_;
    http::request<http::empty_body> req{http::verb::get, o_.path, 11};
    req.set(http::field::host, app::text(target_));
    req.set(http::field::user_agent, "splitsecond");
    req.keep_alive(!o_.new_connection_each);
    beast::error_code ec;
    stream_->expires_after(o_.timeout);
    co_await http::async_write(*stream_, req, with(ec));
    if (ec) co_return fail(ec, "write", fresh);
    http::response<http::string_body> res;
    co_await http::async_read(*stream_, buffer_, res, with(ec));
    if (ec) co_return fail(ec, "read", fresh);
    ++responses_;
    auto seen = parse_seen_as(res.body());
    emit(agent_, "response",
         {{"seen_as", seen ? nlohmann::json(*seen) : nlohmann::json(nullptr)},
          {"status", res.result_int()},
          {"ms", ms_since(started)},
          {"new_connection", fresh},
          {"local", app::local_text(stream_->socket())}});
    if (!res.keep_alive() || o_.new_connection_each) close();
  }

  void fail(const beast::error_code& ec, const char* op, bool fresh) {
    if (!stopping_) {
      ++errors_;
      emit(agent_, "error", {{"error", app::label(ec)}, {"op", op}, {"new_connection", fresh}});
    }
    close();
  }

  void close() {
    if (!stream_) return;
    beast::error_code ignored;
    stream_->socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_->socket().close(ignored);
    stream_.reset();
  }

  void stop() {
    if (stopping_) return;
    stopping_ = true;
    tick_.cancel();
    if (stream_) stream_->cancel();
  }

  void finish() {
    beast::error_code ignored;
    signals_.cancel(ignored);
    duration_.cancel();
    tick_.cancel();
    close();
  }

  const std::string agent_ = "http-client";
  net::io_context& io_;
  HttpClientOptions o_;
  tcp::endpoint target_;
  net::signal_set signals_{io_, SIGTERM, SIGINT};
  net::steady_timer duration_{io_}, tick_{io_};
  std::unique_ptr<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  bool stopping_ = false;
  uint64_t requests_ = 0, responses_ = 0, errors_ = 0, connections_ = 0;
  int exit_ = 0;
};

// Server: answers every request with the address it came from, until signalled.
class IpSeenServer {
 public:
  explicit IpSeenServer(net::io_context& io) : io_(io) {}

  bool listen(const tcp::endpoint& at, beast::error_code& ec) {
    return app::listen_on(acceptor_, at, ec);
  }

  awaitable<void> accept_loop() {
    signals_.async_wait([this](beast::error_code ec, int) {
      if (ec) return;
      emit(agent_, "summary", {{"accepted", accepted_}, {"requests", requests_}});
      io_.stop();
    });
    for (;;) {
      beast::error_code ec;
      tcp::socket socket = co_await acceptor_.async_accept(with(ec));
      if (ec) {
        emit(agent_, "error", {{"error", app::label(ec)}, {"op", "accept"}});
        continue;
      }
      ++accepted_;
      net::co_spawn(io_, session(std::move(socket)), net::detached);
    }
  }

 private:
  awaitable<void> session(tcp::socket socket) {
    const std::string peer = app::remote_text(socket);
    emit(agent_, "accept", {{"peer", peer}});
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    beast::error_code ec;
    for (;;) {
      http::request<http::string_body> req;
      co_await http::async_read(stream, buffer, req, with(ec));
      if (ec) break;
      ++requests_;
      std::string path(req.target());
      emit(agent_, "request", {{"peer", peer}, {"path", path}});
      http::response<http::string_body> res{http::status::ok, req.version()};
      res.set(http::field::content_type, "application/json");
      res.body() = ipseen_body(peer, path);
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      co_await http::async_write(stream, res, with(ec));
      if (ec || !res.keep_alive()) break;
    }
    bool clean = !ec || ec == http::error::end_of_stream;
    emit(agent_, "close",
         {{"peer", peer},
          {"error", clean ? nlohmann::json(nullptr) : nlohmann::json(app::label(ec))}});
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  const std::string agent_ = "http-ipseen";
  net::io_context& io_;
  tcp::acceptor acceptor_{io_};
  net::signal_set signals_{io_, SIGTERM, SIGINT};
  uint64_t accepted_ = 0, requests_ = 0;
};

}  // namespace

int run_http_client(const HttpClientOptions& o) {
  net::io_context io(1);
  HttpClient client(io, o);
  net::co_spawn(io, client.run(), net::detached);
  io.run();
  return client.exit_code();
}

int run_http_ipseen(const Endpoint& listen) {
  net::io_context io(1);
  IpSeenServer server(io);
  beast::error_code ec;
  auto at = app::to_asio(listen);
  if (!server.listen(at, ec)) {
    emit("http-ipseen", "setup_failed", {{"error", app::label(ec)}, {"listen", app::text(at)}});
    return kSetupFailed;
  }
  emit("http-ipseen", "ready", {{"listen", app::text(at)}});
  net::co_spawn(io, server.accept_loop(), net::detached);
  io.run();
  return 0;
}

}  // namespace ss::probes
