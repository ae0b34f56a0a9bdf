#include "probes/storm_server.hpp"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <sys/resource.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <fstream>
#include <sstream>

#include "model/storm_figures.hpp"
#include "probes/app_asio.hpp"
#include "probes/emit.hpp"
#include "sys/event_loop.hpp"
#include "sys/sock_diag.hpp"

namespace ss::probes {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using app::tcp;
using net::awaitable;

constexpr int kSetupFailed = 4;
constexpr const char* kAgent = "storm-server";

auto with(beast::error_code& ec) {
  return net::redirect_error(net::use_awaitable, ec);
}

std::string read_file(const char* path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Read from inside the namespace: /proc/self/net is the reading process's namespace.
nlohmann::json counters_now() {
  return to_json(
      parse_kernel_counters(read_file("/proc/self/net/netstat"), read_file("/proc/self/net/snmp")));
}

nlohmann::json sockets_now(uint16_t port) {
  PortSockets s;
  for (const auto& d : sys::dump_tcp_sockets(-1)) {
    if (d.local_port != port || d.state == "LISTEN") continue;
    if (d.state == "ESTABLISHED")
      ++s.established;
    else if (d.state == "SYN_RECV" || d.state == "NEW_SYN_RECV")
      ++s.syn_recv;
    else if (d.state == "CLOSE_WAIT")
      ++s.close_wait;
    else
      ++s.other;
  }
  return to_json(s);
}

void raise_nofile() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= 65536) return;
  lim.rlim_cur = lim.rlim_max == RLIM_INFINITY ? 65536 : std::min<rlim_t>(65536, lim.rlim_max);
  ::setrlimit(RLIMIT_NOFILE, &lim);
}

// Lines on stdout without ever blocking the loop: until the lab reads this agent's pipe (it
// waits for the clients' ready first), a full pipe must not stall the server, or its clients
// would time out for a reason that is not the network's.
class Output {
 public:
  explicit Output(net::io_context& io) : io_(io), fd_(io, ::dup(1)) { fd_.non_blocking(true); }
  void line(const std::string& kind, nlohmann::json fields) {
    fields["t_ns"] = sys::mono_ns();
    fields["agent"] = kAgent;
    fields["kind"] = kind;
    queue_.push_back(fields.dump() + "\n");
    if (!writing_) write_next();
  }
  // Stops the loop once everything queued is written (bounded: 2 s).
  void stop_when_written() {
    stopping_ = true;
    if (!writing_) return io_.stop();
    bound_.expires_after(std::chrono::seconds(2));
    bound_.async_wait([this](beast::error_code ec) {
      if (!ec) io_.stop();
    });
  }

 private:
  void write_next() {
    if (queue_.empty()) {
      writing_ = false;
      if (stopping_) io_.stop();
      return;
    }
    writing_ = true;
    net::async_write(fd_, net::buffer(queue_.front()), [this](beast::error_code ec, size_t) {
      queue_.pop_front();
      if (ec) queue_.clear();
      write_next();
    });
  }
  net::io_context& io_;
  net::posix::stream_descriptor fd_;
  net::steady_timer bound_{io_};
  std::deque<std::string> queue_;
  bool writing_ = false, stopping_ = false;
};

class StormServer {
 public:
  StormServer(net::io_context& io, const StormServerOptions& o) : io_(io), o_(o) {}

  bool listen(beast::error_code& ec) {
    const auto at = app::to_asio(o_.listen);
    acceptor_.open(at.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(at, ec);
    if (!ec) acceptor_.listen(o_.backlog, ec);
    port_ = at.port();
    return !ec;
  }

  void start() {
    out_.line("ready", {{"listen", app::text(app::to_asio(o_.listen))},
                        {"backlog", o_.backlog},
                        {"counters", counters_now()},
                        {"sockets", sockets_now(port_)}});
    signals_.async_wait([this](beast::error_code ec, int) {
      if (ec) return;
      flush();
      out_.line("summary", {{"accepted", accepted_}, {"upgraded", upgraded_}, {"open", open_}});
      out_.stop_when_written();
    });
    net::co_spawn(io_, accept_loop(), net::detached);
    net::co_spawn(io_, batch_loop(), net::detached);
  }

 private:
  awaitable<void> accept_loop() {
    for (;;) {
      beast::error_code ec;
      tcp::socket s = co_await acceptor_.async_accept(with(ec));
      if (ec) {
        // EMFILE and the like: say so once per batch and keep going.
        accept_errors_.push_back({app::label(ec), sys::mono_ns()});
        net::steady_timer pause(io_, std::chrono::milliseconds(5));
        co_await pause.async_wait(with(ec));
        continue;
      }
      ++accepted_;
      net::co_spawn(io_, session(std::move(s)), net::detached);
    }
  }

  awaitable<void> session(tcp::socket socket) {
    const std::string peer = app::remote_text(socket);
    websocket::stream<tcp::socket> ws(std::move(socket));
    beast::error_code ec;
    ws.set_option(websocket::stream_base::timeout{std::chrono::seconds(5),
                                                  websocket::stream_base::none(), false});
    co_await ws.async_accept(with(ec));
    if (ec) {
      closed_.push_back({peer, sys::mono_ns(), app::label(ec)});
      co_return;
    }
    ++upgraded_;
    ++open_;
    upgrades_.push_back({peer, sys::mono_ns()});
    beast::flat_buffer buffer;
    for (;;) {
      co_await ws.async_read(buffer, with(ec));
      if (ec) break;
      ws.text(ws.got_text());
      co_await ws.async_write(buffer.data(), with(ec));
      if (ec) break;
      buffer.consume(buffer.size());
    }
    --open_;
    closed_.push_back({peer, sys::mono_ns(),
                       ec == websocket::error::closed ? std::string("closed") : app::label(ec)});
  }

  awaitable<void> batch_loop() {
    net::steady_timer t(io_);
    for (;;) {
      t.expires_after(o_.every);
      beast::error_code ec;
      co_await t.async_wait(with(ec));
      if (ec) co_return;
      flush();
    }
  }

  // One line: what happened since the last one, and a counters reading taken now.
  void flush() {
    nlohmann::json up = nlohmann::json::array(), closed = nlohmann::json::array();
    for (const auto& [peer, t] : upgrades_) up.push_back({peer, t});
    for (const auto& c : closed_) closed.push_back({c.peer, c.t, c.error});
    nlohmann::json fields = {{"upgraded", up}, {"closed", closed}, {"open", open_}};
    try {
      fields["counters"] = counters_now();
      fields["sockets"] = sockets_now(port_);
    } catch (const std::exception& e) {
      fields["counters_error"] = e.what();
    }
    if (!accept_errors_.empty()) fields["accept_error"] = accept_errors_.back().first;
    out_.line("batch", std::move(fields));
    upgrades_.clear();
    closed_.clear();
    accept_errors_.clear();
  }

  struct Closed {
    std::string peer;
    int64_t t;
    std::string error;
  };
  net::io_context& io_;
  Output out_{io_};
  StormServerOptions o_;
  tcp::acceptor acceptor_{io_};
  net::signal_set signals_{io_, SIGTERM, SIGINT};
  uint16_t port_ = 0;
  uint64_t accepted_ = 0, upgraded_ = 0, open_ = 0;
  std::vector<std::pair<std::string, int64_t>> upgrades_;
  std::vector<Closed> closed_;
  std::vector<std::pair<std::string, int64_t>> accept_errors_;
};

}  // namespace

int run_storm_server(const StormServerOptions& o) {
  raise_nofile();
  net::io_context io(1);
  StormServer server(io, o);
  beast::error_code ec;
  if (!server.listen(ec)) {
    emit(kAgent, "setup_failed", {{"error", app::label(ec)}, {"op", "listen"}});
    return kSetupFailed;
  }
  try {
    server.start();
  } catch (const std::exception& e) {
    emit(kAgent, "setup_failed", {{"error", e.what()}, {"op", "counters"}});
    return kSetupFailed;
  }
  io.run();
  return 0;
}

}  // namespace ss::probes
