#include "storm/ws_ref_server.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <memory>

#include "storm/token_bucket.hpp"
#include "sys/event_loop.hpp"
#include "sys/syserror.hpp"

namespace ss::storm {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using net::awaitable;
using Socket = std::shared_ptr<tcp::socket>;

auto with(beast::error_code& ec) {
  return net::redirect_error(net::use_awaitable, ec);
}

net::steady_timer::time_point at_ns(int64_t ns) {
  return net::steady_timer::time_point(std::chrono::nanoseconds(ns));
}

void write_all(int fd, const void* data, size_t n) {
  sys::check(::write(fd, data, n) == static_cast<ssize_t>(n) ? 0 : -1, "write", "server pipe");
}

void reset(tcp::socket& s) {
  beast::error_code ignored;
  s.set_option(net::socket_base::linger(true, 0), ignored);
  s.close(ignored);
}

// The client gave up (closed or reset) while its connection waited: nothing left to serve.
bool abandoned(tcp::socket& s) {
  char c = 0;
  ssize_t n = ::recv(s.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

class WsServer {
 public:
  WsServer(const ServerParams& p, int control, int reply)
      : p_(p),
        bucket_(p.rate_limit_per_s, p.burst > 0 ? p.burst : p.rate_limit_per_s),
        control_(io_, ::dup(control)),
        reply_(reply),
        service_ns_((p.capacity_per_s > 0 ? static_cast<int64_t>(1e9 / p.capacity_per_s) : 0) +
                    p.handshake_cost_ns) {}

  void run(int listen_backlog, int64_t lifetime_ns) {
    tcp::endpoint at(net::ip::address_v4::loopback(), 0);
    acceptor_.open(at.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(at);
    acceptor_.listen(listen_backlog);
    uint16_t port = acceptor_.local_endpoint().port();
    write_all(reply_, &port, sizeof port);
    net::co_spawn(io_, accept_loop(), net::detached);
    net::co_spawn(io_, control_loop(), net::detached);
    net::co_spawn(io_, worker(), net::detached);
    net::steady_timer end(io_, std::chrono::nanoseconds(lifetime_ns));
    end.async_wait([this](beast::error_code ec) {
      if (!ec) io_.stop();
    });
    io_.run();
  }

 private:
  awaitable<void> control_loop() {
    for (;;) {
      char c = 0;
      beast::error_code ec;
      co_await control_.async_read_some(net::buffer(&c, 1), with(ec));
      if (ec || c == 'E') {
        if (!ec) write_all(reply_, &stats_, sizeof stats_);
        io_.stop();
        co_return;
      }
      if (c == 'S') {
        armed_ = true;
        bucket_.reset(sys::mono_ns());
        stats_ = ServerStats{};
        write_all(reply_, "A", 1);
      }
    }
  }

  awaitable<void> accept_loop() {
    for (;;) {
      beast::error_code ec;
      auto s = std::make_shared<tcp::socket>(io_);
      co_await acceptor_.async_accept(*s, with(ec));
      if (ec) {  // EMFILE until connections close: try again shortly
        net::steady_timer pause(io_, std::chrono::milliseconds(1));
        co_await pause.async_wait(with(ec));
        continue;
      }
      admit(std::move(s));
    }
  }

  void admit(Socket s) {
    ++stats_.accepted;
    if (!armed_) return welcome(s);
    if (!bucket_.try_take(sys::mono_ns())) {
      if (p_.action == LimitAction::drop) {
        ++stats_.dropped;
        dropped_.push_back(std::move(s));  // held open, never answered
        return;
      }
      ++stats_.rejected;
      return reset(*s);
    }
    if (service_ns_ == 0) return welcome(s);
    if (backlog_.size() >= p_.backlog) {
      ++stats_.overflowed;
      return reset(*s);
    }
    backlog_.push_back(std::move(s));
    idle_.cancel();
  }

  // Serves the backlog in order, one connection per service time, back to back while it is
  // not empty (as the simulator and the TCP reference server do).
  awaitable<void> worker() {
    net::steady_timer t(io_);
    bool busy = false;
    int64_t done_at = 0, busy_since = 0;
    for (;;) {
      beast::error_code ec;
      if (backlog_.empty()) {
        busy = false;
        idle_.expires_at(net::steady_timer::time_point::max());
        co_await idle_.async_wait(with(ec));
        continue;
      }
      if (!busy) {
        busy = true;
        busy_since = sys::mono_ns();
        done_at = busy_since + service_ns_;
      }
      t.expires_at(at_ns(done_at));
      co_await t.async_wait(with(ec));
      while (!backlog_.empty() && abandoned(*backlog_.front())) {
        backlog_.pop_front();
        ++stats_.abandoned;
      }
      if (backlog_.empty()) continue;
      Socket s = std::move(backlog_.front());
      backlog_.pop_front();
      welcome(s);
      stats_.busy_ns += done_at - busy_since;
      busy_since = done_at;
      if (backlog_.empty())
        busy = false;
      else
        done_at += service_ns_;
    }
  }

  void welcome(const Socket& s) {
    ++stats_.served;
    net::co_spawn(io_, session(s), net::detached);
  }

  // The upgrade, then echo until the client goes.
  awaitable<void> session(Socket s) {
    websocket::stream<tcp::socket> ws(std::move(*s));
    beast::error_code ec;
    co_await ws.async_accept(with(ec));
    if (ec) co_return;
    beast::flat_buffer b;
    for (;;) {
      co_await ws.async_read(b, with(ec));
      if (ec) co_return;
      ws.text(ws.got_text());
      co_await ws.async_write(b.data(), with(ec));
      if (ec) co_return;
      b.consume(b.size());
    }
  }

  net::io_context io_{1};
  ServerParams p_;
  TokenBucket bucket_;
  net::posix::stream_descriptor control_;
  int reply_;
  int64_t service_ns_;
  tcp::acceptor acceptor_{io_};
  net::steady_timer idle_{io_};
  std::deque<Socket> backlog_;
  std::vector<Socket> dropped_;
  bool armed_ = false;
  ServerStats stats_;
};

}  // namespace

void run_ws_reference_server(const ServerParams& p, int listen_backlog, int control, int reply,
                             int64_t lifetime_ns) {
  WsServer s(p, control, reply);
  s.run(listen_backlog, lifetime_ns);
}

}  // namespace ss::storm
