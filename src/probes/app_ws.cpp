#include "probes/app_ws.hpp"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <map>
#include <memory>
#include <random>

#include "probes/app_asio.hpp"
#include "probes/emit.hpp"
#include "sys/event_loop.hpp"

namespace ss::probes {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using app::tcp;
using net::awaitable;
using Ws = websocket::stream<beast::tcp_stream>;
using WsPtr = std::shared_ptr<Ws>;

constexpr int kSetupFailed = 4;
constexpr auto kCloseGrace = std::chrono::seconds(1);      // our close frame, then the socket goes
constexpr auto kHandshakeLimit = std::chrono::seconds(5);  // server side, per connection

auto with(beast::error_code& ec) {
  return net::redirect_error(net::use_awaitable, ec);
}

uint64_t seq_of(const std::string& message) {
  return std::strtoull(message.c_str(), nullptr, 10);
}

std::string close_reason(const Ws& ws) {
  return std::string(ws.reason().reason.c_str());
}

// Client. One connection at a time; `gen_` names the current one, so the loops of a connection
// that has ended exit without touching its successor. First error of a connection wins.
class WsClient {
 public:
  WsClient(net::io_context& io, const WsClientOptions& o)
      : io_(io), o_(o), target_(app::to_asio(o.server)), rng_(std::random_device{}()) {}

  awaitable<void> run() {
    signals_.async_wait([this](beast::error_code ec, int) {
      if (!ec) stop();
    });
    duration_.expires_after(o_.duration);
    duration_.async_wait([this](beast::error_code ec) {
      if (!ec) stop();
    });
    auto [ec, op] = co_await connect();
    if (ec) {
      emit(agent_, "setup_failed", {{"error", app::label(ec)}, {"op", op}});
      exit_ = kSetupFailed;
      finish();
      co_return;
    }
    emit(agent_, "ready", {{"local", app::local_text(socket())}, {"remote", app::text(target_)}});
    while (!stopping_) {
      start_connection();
      co_await read_loop(ws_, gen_);
      if (stopping_) break;
      if (o_.reconnect.kind == ReconnectPolicy::Kind::none || !co_await reconnect())
        co_await wait_for_stop();
    }
    emit(agent_, "summary",
         {{"sent", sent_},
          {"echoed", echoed_},
          {"errors", errors_},
          {"reconnects", reconnects_},
          {"fate", fate_}});
    finish();
  }

  int exit_code() const { return exit_; }

 private:
  struct Attempt {
    beast::error_code ec;
    std::string op;
  };

  tcp::socket& socket() { return beast::get_lowest_layer(*ws_).socket(); }

  // TCP connect (kernel-chosen source address) and the WebSocket handshake, bounded in time.
  awaitable<Attempt> connect() {
    ws_ = std::make_shared<Ws>(io_);
    auto& tcp_stream = beast::get_lowest_layer(*ws_);
    tcp_stream.expires_after(o_.connect_timeout);
    beast::error_code ec;
    co_await tcp_stream.async_connect(target_, with(ec));
    if (ec) co_return Attempt{ec, "connect"};
    co_await ws_->async_handshake(app::text(target_), "/", with(ec));
    if (ec) co_return Attempt{ec, "handshake"};
    tcp_stream.expires_never();  // from here on, only TCP and the peer end the connection
    co_return Attempt{};
  }

  void start_connection() {
    ++gen_;
    up_ = true;
    fate_ = "open";
    net::co_spawn(io_, write_loop(ws_, gen_), net::detached);
  }

  awaitable<void> write_loop(WsPtr ws, uint64_t gen) {
    auto next = std::chrono::steady_clock::now();
    for (;;) {
      beast::error_code ec;
      send_timer_.expires_at(next);
      co_await send_timer_.async_wait(with(ec));
      if (stopping_ || gen != gen_ || !up_) co_return;
      next += o_.interval;
      std::string message = std::to_string(++seq_);
      sent_at_[seq_] = sys::mono_ns();
      ws->text(true);
      co_await ws->async_write(net::buffer(message), with(ec));
      if (ec) co_return lost(ws, gen, ec, "write");
      ++sent_;
    }
  }

  awaitable<void> read_loop(WsPtr ws, uint64_t gen) {
    beast::flat_buffer buffer;
    for (;;) {
      beast::error_code ec;
      co_await ws->async_read(buffer, with(ec));
      if (ec) co_return lost(ws, gen, ec, "read");
      uint64_t seq = seq_of(beast::buffers_to_string(buffer.data()));
      buffer.consume(buffer.size());
      auto it = sent_at_.find(seq);
      int64_t rtt_us = it == sent_at_.end() ? -1 : (sys::mono_ns() - it->second) / 1000;
      if (it != sent_at_.end()) sent_at_.erase(sent_at_.begin(), std::next(it));
      ++echoed_;
      emit(agent_, "echo", {{"seq", seq}, {"rtt_us", rtt_us}});
    }
  }

  // The connection `gen` ended with `ec` during `op`: report it once, drop the socket.
  void lost(const WsPtr& ws, uint64_t gen, const beast::error_code& ec, const char* op) {
    if (gen != gen_ || !up_) return;
    up_ = false;
    send_timer_.cancel();
    if (!stopping_) {
      if (ec == websocket::error::closed) {
        fate_ = "closed";
        emit(agent_, "closed",
             {{"code", static_cast<int>(ws->reason().code)},
              {"reason", close_reason(*ws)},
              {"op", op}});
      } else {
        fate_ = "error";
        ++errors_;
        emit(agent_, "error", {{"error", app::label(ec)}, {"op", op}});
      }
    }
    beast::error_code ignored;
    beast::get_lowest_layer(*ws).socket().close(ignored);
  }

  // Bounded attempts with full-jitter backoff; true once a new connection is up.
  awaitable<bool> reconnect() {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    for (int attempt = 1; attempt <= o_.reconnect.max_attempts && !stopping_; ++attempt) {
      Micros delay = backoff_delay(o_.reconnect, attempt, unit(rng_));
      beast::error_code ec;
      wake_.expires_after(delay);
      co_await wake_.async_wait(with(ec));
      if (stopping_) co_return false;
      auto [err, op] = co_await connect();
      nlohmann::json fields = {
          {"attempt", attempt}, {"ok", !err}, {"delay_ms", delay.count() / 1000}};
      if (err) {
        fields["error"] = app::label(err);
        fields["op"] = op;
      } else {
        fields["local"] = app::local_text(socket());
        fields["remote"] = app::text(target_);
      }
      emit(agent_, "reconnect", fields);
      if (!err) {
        ++reconnects_;
        co_return true;
      }
    }
    fate_ = "gave_up";
    co_return false;
  }

  awaitable<void> wait_for_stop() {
    if (stopping_) co_return;
    beast::error_code ec;
    wake_.expires_at(net::steady_timer::time_point::max());
    co_await wake_.async_wait(with(ec));
  }

  // Duration over or signalled: say goodbye with a close frame (bounded), then stop.
  void stop() {
    if (stopping_) return;
    stopping_ = true;
    duration_.cancel();
    wake_.cancel();
    send_timer_.cancel();
    if (up_ && ws_) net::co_spawn(io_, close_gracefully(ws_), net::detached);
    hard_stop_.expires_after(std::chrono::seconds(2));
    hard_stop_.async_wait([this](beast::error_code ec) {
      if (!ec) io_.stop();
    });
  }

  awaitable<void> close_gracefully(WsPtr ws) {
    beast::error_code ec;
    beast::get_lowest_layer(*ws).expires_after(kCloseGrace);
    co_await ws->async_close(websocket::close_code::normal, with(ec));
    if (ec) beast::get_lowest_layer(*ws).socket().close(ec);
  }

  void finish() {
    beast::error_code ignored;
    signals_.cancel(ignored);
    duration_.cancel();
    wake_.cancel();
    send_timer_.cancel();
    hard_stop_.cancel();
  }

  const std::string agent_ = "ws-client";
  net::io_context& io_;
  WsClientOptions o_;
  tcp::endpoint target_;
  std::mt19937_64 rng_;
  net::signal_set signals_{io_, SIGTERM, SIGINT};
  net::steady_timer duration_{io_}, wake_{io_}, send_timer_{io_}, hard_stop_{io_};
  WsPtr ws_;
  uint64_t gen_ = 0;
  bool up_ = false, stopping_ = false;
  std::map<uint64_t, int64_t> sent_at_;  // seq -> mono ns, until echoed
  uint64_t seq_ = 0, sent_ = 0, echoed_ = 0, errors_ = 0, reconnects_ = 0;
  std::string fate_ = "connecting";
  int exit_ = 0;
};

// Server: echoes every message on every connection until signalled.
class WsServer {
 public:
  explicit WsServer(net::io_context& io) : io_(io) {}

  bool listen(const tcp::endpoint& at, beast::error_code& ec) {
    return app::listen_on(acceptor_, at, ec);
  }

  awaitable<void> accept_loop() {
    signals_.async_wait([this](beast::error_code ec, int) {
      if (ec) return;
      emit(agent_, "summary", {{"accepted", accepted_}, {"open", open_}});
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
    Ws ws(std::move(socket));
    beast::error_code ec;
    beast::get_lowest_layer(ws).expires_after(kHandshakeLimit);
    co_await ws.async_accept(with(ec));
    if (ec) {
      emit(agent_, "close", {{"peer", peer}, {"error", app::label(ec)}, {"op", "handshake"}});
      co_return;
    }
    beast::get_lowest_layer(ws).expires_never();
    ++open_;
    beast::flat_buffer buffer;
    const char* op = "read";
    for (;;) {
      co_await ws.async_read(buffer, with(ec));
      if (ec) break;
      emit(agent_, "recv",
           {{"peer", peer}, {"seq", seq_of(beast::buffers_to_string(buffer.data()))}});
      ws.text(ws.got_text());
      co_await ws.async_write(buffer.data(), with(ec));
      if (ec) {
        op = "write";
        break;
      }
      buffer.consume(buffer.size());
    }
    --open_;
    nlohmann::json fields = {{"peer", peer}, {"op", op}};
    if (ec == websocket::error::closed) {
      fields["error"] = nullptr;
      fields["code"] = static_cast<int>(ws.reason().code);
    } else {
      fields["error"] = app::label(ec);
    }
    emit(agent_, "close", fields);
  }

  const std::string agent_ = "ws-server";
  net::io_context& io_;
  tcp::acceptor acceptor_{io_};
  net::signal_set signals_{io_, SIGTERM, SIGINT};
  uint64_t accepted_ = 0, open_ = 0;
};

}  // namespace

int run_ws_client(const WsClientOptions& o) {
  net::io_context io(1);
  WsClient client(io, o);
  net::co_spawn(io, client.run(), net::detached);
  io.run();
  return client.exit_code();
}

int run_ws_server(const Endpoint& listen) {
  net::io_context io(1);
  WsServer server(io);
  beast::error_code ec;
  auto at = app::to_asio(listen);
  if (!server.listen(at, ec)) {
    emit("ws-server", "setup_failed", {{"error", app::label(ec)}, {"listen", app::text(at)}});
    return kSetupFailed;
  }
  emit("ws-server", "ready", {{"listen", app::text(at)}});
  net::co_spawn(io, server.accept_loop(), net::detached);
  io.run();
  return 0;
}

}  // namespace ss::probes
