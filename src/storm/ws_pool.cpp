#include "storm/ws_pool.hpp"

#include <sys/resource.h>

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <optional>

#include "storm/rng.hpp"
#include "sys/event_loop.hpp"
#include "sys/syserror.hpp"

namespace ss::storm {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using net::awaitable;
using Ws = websocket::stream<tcp::socket>;

auto with(beast::error_code& ec) {
  return net::redirect_error(net::use_awaitable, ec);
}

std::string label(const beast::error_code& ec) {
  if (ec.category() == boost::system::system_category() ||
      ec.category() == boost::system::generic_category())
    return sys::errno_name(ec.value());
  if (ec == net::error::eof || ec == beast::http::error::end_of_stream) return "EOF";
  if (ec == beast::error::timeout) return "timeout";
  return ec.message();
}

bool refused(const beast::error_code& ec) {
  return ec == net::error::connection_refused || ec == net::error::connection_reset ||
         ec == net::error::eof || ec == net::error::broken_pipe ||
         ec == beast::http::error::end_of_stream || ec == websocket::error::upgrade_declined ||
         ec == websocket::error::closed;
}

struct Attempt {
  bool ok = false;
  AttemptEnd why = AttemptEnd::failed;
  std::string error;
  const char* op = "";
};

}  // namespace

struct WsPool::Impl {
  struct Client {
    explicit Client(net::io_context& io) : wait(io), deadline(io) {}
    std::shared_ptr<Ws> ws;
    net::steady_timer wait, deadline;
    uint32_t attempt = 0, epoch = 0;
    int64_t sleep_ns = 0;
    bool up = false, broken = false, timed_out = false;
  };

  Impl(const WsPoolParams& p, WsPoolEvents e) : p_(p), events_(std::move(e)), rng_(p.seed) {
    clients_.reserve(p.clients);
    for (uint32_t i = 0; i < p.clients; ++i) {
      clients_.emplace_back(io_);
      clients_.back().sleep_ns = p.policy.base_ns;
    }
  }

  awaitable<void> pause(Client& cl, int64_t ns) {
    beast::error_code ec;
    cl.wait.expires_after(std::chrono::nanoseconds(ns));
    co_await cl.wait.async_wait(with(ec));
  }

  int64_t next_delay(Client& cl) {
    if (!storming_) return p_.first_connect_retry_ns;
    return backoff_delay(p_.policy, cl.attempt++, cl.sleep_ns, rng_);
  }

  void close(Client& cl) {
    if (!cl.ws) return;
    beast::error_code ignored;
    auto& s = cl.ws->next_layer();
    if (p_.reset_on_close && s.is_open()) s.set_option(net::socket_base::linger(true, 0), ignored);
    s.close(ignored);
  }

  awaitable<Attempt> attempt(uint32_t c) {
    Client& cl = clients_[c];
    const uint32_t epoch = ++cl.epoch;
    if (events_.attempt) events_.attempt(c);
    if (network_down_ && network_down_())
      co_return Attempt{false, AttemptEnd::failed, "ENETUNREACH", "connect"};
    cl.ws = std::make_shared<Ws>(io_);
    cl.timed_out = false;
    auto ws = cl.ws;
    tcp::socket& s = ws->next_layer();
    beast::error_code ec;
    s.open(tcp::v4(), ec);
    if (ec) co_return Attempt{false, AttemptEnd::failed, label(ec), "socket"};
    if (!p_.sources.empty()) {
      int one = 1;
      ::setsockopt(s.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      s.bind(tcp::endpoint(net::ip::address_v4(p_.sources[c % p_.sources.size()]), 0), ec);
      if (ec) co_return Attempt{false, AttemptEnd::failed, label(ec), "bind"};
    }
    int64_t bound = p_.policy.attempt_timeout_ns > 0 && storming_ ? p_.policy.attempt_timeout_ns
                                                                  : p_.attempt_bound_ns;
    cl.deadline.expires_after(std::chrono::nanoseconds(bound));
    cl.deadline.async_wait([this, c, epoch](beast::error_code e) {
      Client& k = clients_[c];
      if (e || k.epoch != epoch || k.up) return;
      k.timed_out = true;
      close(k);
    });
    auto fail = [&](const beast::error_code& e, const char* op) {
      cl.deadline.cancel();
      close(cl);
      if (cl.timed_out) return Attempt{false, AttemptEnd::timeout, "timeout", op};
      return Attempt{false, refused(e) ? AttemptEnd::rejected : AttemptEnd::failed, label(e), op};
    };
    const tcp::endpoint to(net::ip::address_v4(ntohl(p_.target.sin_addr.s_addr)),
                           ntohs(p_.target.sin_port));
    co_await s.async_connect(to, with(ec));
    if (ec) co_return fail(ec, "connect");
    co_await ws->async_handshake(p_.host, p_.path, with(ec));
    if (ec) co_return fail(ec, "handshake");
    if (p_.echo) {
      ws->text(true);
      co_await ws->async_write(net::buffer(std::string_view("1")), with(ec));
      if (ec) co_return fail(ec, "echo");
      beast::flat_buffer b;
      co_await ws->async_read(b, with(ec));
      if (ec) co_return fail(ec, "echo");
    }
    cl.deadline.cancel();
    co_return Attempt{true, AttemptEnd::failed, "", ""};
  }

  // Holds an upgraded connection until it ends; returns why.
  awaitable<std::string> hold(std::shared_ptr<Ws> ws) {
    if (p_.keepalive_ns > 0) {
      websocket::stream_base::timeout t{};
      t.handshake_timeout = websocket::stream_base::none();
      t.idle_timeout = std::chrono::nanoseconds(p_.keepalive_ns);
      t.keep_alive_pings = true;
      ws->set_option(t);
    }
    beast::flat_buffer b;
    for (;;) {
      beast::error_code ec;
      co_await ws->async_read(b, with(ec));
      if (ec) co_return label(ec);
      b.consume(b.size());
    }
  }

  awaitable<void> run_client(uint32_t c, int64_t first_delay_ns) {
    Client& cl = clients_[c];
    co_await pause(cl, first_delay_ns);
    while (!stopping_) {
      Attempt a = co_await attempt(c);
      if (stopping_) co_return;
      if (a.ok) {
        cl.attempt = 0;
        cl.sleep_ns = p_.policy.base_ns;
        cl.up = true;
        ++connected_;
        if (events_.up) events_.up(c);
        std::string why = co_await hold(cl.ws);
        cl.up = false;
        --connected_;
        close(cl);
        if (stopping_) co_return;
        if (cl.broken) {
          cl.broken = false;
        } else if (events_.lost) {
          events_.lost(c, why);
        }
      } else if (events_.failed) {
        events_.failed(c, a.why, a.error, a.op);
      }
      co_await pause(cl, next_delay(cl));
    }
  }

  net::io_context io_{1};
  WsPoolParams p_;
  WsPoolEvents events_;
  Rng rng_;
  std::vector<Client> clients_;
  std::function<bool()> network_down_;
  uint32_t connected_ = 0;
  bool storming_ = false, stopping_ = false;
};

WsPool::WsPool(const WsPoolParams& p, WsPoolEvents events)
    : impl_(std::make_unique<Impl>(p, std::move(events))) {}

WsPool::~WsPool() {
  try {
    stop();
  } catch (...) {  // closing sockets at the end: nothing left to report it to
  }
}

void WsPool::start(int64_t pacing_ns) {
  for (uint32_t c = 0; c < impl_->p_.clients; ++c)
    net::co_spawn(impl_->io_, impl_->run_client(c, int64_t{c} * pacing_ns), net::detached);
}

void WsPool::storm() {
  impl_->storming_ = true;
}

bool WsPool::break_client(uint32_t c) {
  auto& cl = impl_->clients_[c];
  if (!cl.up || cl.broken) return false;
  cl.broken = true;
  impl_->close(cl);
  return true;
}

void WsPool::set_network_down(std::function<bool()> down) {
  impl_->network_down_ = std::move(down);
}

void WsPool::run_until(int64_t deadline, const std::function<bool()>& done,
                       const std::function<void()>& tick, int64_t tick_ns) {
  auto& io = impl_->io_;
  for (int64_t now = sys::mono_ns(); now < deadline; now = sys::mono_ns()) {
    if (io.stopped()) io.restart();
    io.run_for(std::chrono::nanoseconds(std::min(tick_ns, deadline - now)));
    if (tick) tick();
    if (done && done()) return;
  }
}

uint32_t WsPool::connected() const {
  return impl_->connected_;
}

void WsPool::stop() {
  if (!impl_ || impl_->stopping_) return;
  impl_->stopping_ = true;
  for (auto& cl : impl_->clients_) {
    cl.wait.cancel();
    cl.deadline.cancel();
    impl_->close(cl);
  }
  auto& io = impl_->io_;
  io.restart();
  for (int i = 0; i < 100 && io.poll() > 0; ++i) {
  }
}

uint64_t raise_fd_limit(uint64_t need) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  if (lim.rlim_cur >= need) return lim.rlim_cur;
  lim.rlim_cur = lim.rlim_max == RLIM_INFINITY ? need : std::min<rlim_t>(need, lim.rlim_max);
  ::setrlimit(RLIMIT_NOFILE, &lim);
  ::getrlimit(RLIMIT_NOFILE, &lim);
  return lim.rlim_cur;
}

}  // namespace ss::storm
