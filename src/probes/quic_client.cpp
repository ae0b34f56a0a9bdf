#include "probes/quic_client.hpp"

#include <fmt/format.h>

#include <array>
#include <fstream>
#include <map>
#include <sstream>

#include "model/errors.hpp"
#include "probes/quic_conn.hpp"
#include "probes/quic_loop.hpp"
#include "probes/quic_udp.hpp"
#include "sys/syserror.hpp"

namespace ss::probes::quic {

namespace {

constexpr size_t kScidLen = 16;
constexpr size_t kDcidLen = 18;
constexpr size_t kMaxDatagramsPerWakeup = 256;

uint64_t to_ns(Micros d) {
  return static_cast<uint64_t>(d.count()) * 1000;
}

std::string read_pinned_certificate(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw UsageError(fmt::format("--pin-cert '{}': cannot read the file", path));
  std::stringstream text;
  text << in.rdbuf();
  return pem_certificate_to_der(text.str(), "--pin-cert '" + path + "'");
}

// The connection's side of the probe: the numbered messages, their echoes, and their timing.
class ClientConn : public QuicConnection {
 public:
  ClientConn(PacketSender& sender, const TlsCredentials& cred, const ClientOptions& opts,
             const ngtcp2_path& path, std::string pinned_der, EventSink& events, uint64_t now);

  void send_next(uint64_t now);
  uint64_t sent() const { return next_seq_; }
  uint64_t echoed() const { return echoed_; }
  std::optional<uint64_t> last_echo_ns() const { return last_echo_ns_; }

 protected:
  bool on_handshake_completed(uint64_t now) override;
  void on_stream_data(int64_t stream_id, std::string_view data, uint64_t now) override;
  void on_path_validation(const ngtcp2_path& path, bool success, uint64_t now) override;
  void on_closed(uint64_t) override {}  // the agent reports it, with the set-up state in view

 private:
  EventSink& events_;
  std::string pinned_der_;
  int64_t stream_id_ = -1;
  LineSplitter lines_;
  std::map<uint64_t, uint64_t> sent_at_;  // seq -> send time, until its echo arrives
  uint64_t next_seq_ = 0;
  uint64_t echoed_ = 0;
  std::optional<uint64_t> last_echo_ns_;
};

ClientConn::ClientConn(PacketSender& sender, const TlsCredentials& cred, const ClientOptions& opts,
                       const ngtcp2_path& path, std::string pinned_der, EventSink& events,
                       uint64_t now)
    : QuicConnection(sender), events_(events), pinned_der_(std::move(pinned_der)) {
  ngtcp2_cid dcid = random_cid(kDcidLen);
  ngtcp2_cid scid = random_cid(kScidLen);
  ngtcp2_callbacks cb = common_callbacks();
  cb.client_initial = ngtcp2_crypto_client_initial_cb;
  cb.recv_retry = ngtcp2_crypto_recv_retry_cb;
  ngtcp2_settings s = settings(now, to_ns(opts.connect_timeout));
  ngtcp2_transport_params params = transport_params(to_ns(opts.idle_timeout));
  ngtcp2_conn* conn = nullptr;
  int rv = ngtcp2_conn_client_new(&conn, &dcid, &scid, &path, NGTCP2_PROTO_VER_V1, &cb, &s, &params,
                                  nullptr, this);
  if (rv != 0) {
    throw std::runtime_error(fmt::format("ngtcp2_conn_client_new: {}", ngtcp2_strerror(rv)));
  }
  attach(conn, cred, false);
}

bool ClientConn::on_handshake_completed(uint64_t) {
  if (!pinned_der_.empty() && tls().peer_certificate_der() != pinned_der_) {
    set_failure_reason("server certificate differs from --pin-cert");
    return false;
  }
  int rv = ngtcp2_conn_open_bidi_stream(conn(), &stream_id_, nullptr);
  if (rv != 0) {
    set_failure_reason(fmt::format("ngtcp2_conn_open_bidi_stream: {}", ngtcp2_strerror(rv)));
    return false;
  }
  return true;
}

void ClientConn::send_next(uint64_t now) {
  if (state() != State::open || stream_id_ < 0) return;
  uint64_t seq = next_seq_++;
  send_buffer(stream_id_).append(format_message(seq));
  sent_at_[seq] = now;
}

void ClientConn::on_stream_data(int64_t, std::string_view data, uint64_t now) {
  for (const auto& line : lines_.feed(data)) {
    auto seq = parse_message(line);
    auto it = seq ? sent_at_.find(*seq) : sent_at_.end();
    if (it == sent_at_.end()) continue;  // not a message of ours, or echoed twice
    uint64_t rtt_us = (now - it->second) / 1000;
    events_.emit(now, "echo", {{"seq", *seq}, {"rtt_us", rtt_us}, {"sent_t_ns", it->second}});
    sent_at_.erase(it);
    ++echoed_;
    last_echo_ns_ = now;
  }
}

void ClientConn::on_path_validation(const ngtcp2_path& path, bool success, uint64_t now) {
  events_.emit(
      now, "path_validation",
      {{"result", success ? "success" : "failure"}, {"addr", format_endpoint(path.remote.addr)}});
}

// The agent: the socket, the loop, the schedule, and the events about them.
class Client : public PacketSender {
 public:
  Client(const ClientOptions& opts, EventSink& events);
  int run();
  void send(std::span<const uint8_t> packet, const ngtcp2_path& path) override;

 private:
  void drain_socket(uint64_t now);
  void note_local_address(const Datagram& d, uint64_t now);
  void rebind(uint64_t now);
  uint64_t next_deadline() const;
  bool alive() const;
  // local_cause: why the client itself closed ("end of --duration", "signal"), or "" when
  // the connection had already ended by itself (peer's close, idle timeout).
  void report_end(uint64_t now, const std::string& local_cause);

  const ClientOptions& opts_;
  EventSink& events_;
  TlsCredentials cred_ = TlsCredentials::for_client();
  EventLoop loop_;
  UdpSocket socket_;
  SockAddr path_local_;  // what ngtcp2 is told: the wildcard address; the kernel picks the source
  std::unique_ptr<ClientConn> conn_;
  bool ready_ = false;
  bool closed_reported_ = false;
  std::string local_addr_;  // the address the server's packets arrive at, as last seen
  int last_send_error_ = 0;
  uint64_t start_ = 0;
  uint64_t next_send_ = kNever;
  uint64_t rebind_at_ = kNever;
  std::array<uint8_t, 65536> buf_{};
};

Client::Client(const ClientOptions& opts, EventSink& events)
    : opts_(opts), events_(events), socket_(UdpSocket::bind_to(wildcard(opts.server.family()))) {
  path_local_ = socket_.local();
  loop_.watch(socket_.fd());
  start_ = monotonic_ns();
  if (opts.rebind_after) rebind_at_ = start_ + to_ns(*opts.rebind_after);
  std::string pinned = opts.pin_cert.empty() ? "" : read_pinned_certificate(opts.pin_cert);
  ngtcp2_path path{};
  path.local = {path_local_.get(), path_local_.len};
  path.remote = {const_cast<sockaddr*>(opts.server.get()), opts.server.len};
  conn_ = std::make_unique<ClientConn>(*this, cred_, opts, path, pinned, events, start_);
}

void Client::send(std::span<const uint8_t> packet, const ngtcp2_path& path) {
  int err = socket_.send_to(packet, from_sockaddr(path.remote.addr, path.remote.addrlen));
  if (err != 0 && err != last_send_error_) {
    events_.emit(monotonic_ns(), "error", {{"error", sys::errno_name(err)}, {"call", "sendto"}});
  }
  last_send_error_ = err;
}

void Client::note_local_address(const Datagram& d, uint64_t now) {
  if (!d.to) return;
  SockAddr local = *d.to;
  local.set_port(socket_.local().port());
  std::string addr = format_endpoint(local);
  if (addr == local_addr_) return;
  local_addr_ = addr;
  if (ready_) events_.emit(now, "local_address", {{"addr", addr}});
}

void Client::drain_socket(uint64_t now) {
  for (size_t i = 0; i < kMaxDatagramsPerWakeup; ++i) {
    auto d = socket_.receive(buf_);
    if (!d) return;
    note_local_address(*d, now);
    ngtcp2_path path{};
    path.local = {path_local_.get(), path_local_.len};
    path.remote = {d->from.get(), d->from.len};
    conn_->on_datagram(path, {buf_.data(), d->len}, now);
  }
}

// Test-only: a new socket on another local address under the same connection, which ngtcp2 on
// the client is not told about: to the server it is exactly a NAT rebinding.
void Client::rebind(uint64_t now) {
  rebind_at_ = kNever;
  UdpSocket fresh = UdpSocket::bind_to(*opts_.rebind_to);
  loop_.unwatch(socket_.fd());
  socket_ = std::move(fresh);
  loop_.watch(socket_.fd());
  events_.emit(now, "rebind", {{"local", format_endpoint(socket_.local())}});
}

bool Client::alive() const {
  auto s = conn_->state();
  return s == QuicConnection::State::handshaking || s == QuicConnection::State::open;
}

uint64_t Client::next_deadline() const {
  uint64_t end = start_ + to_ns(opts_.duration);
  uint64_t setup = ready_ ? kNever : start_ + to_ns(opts_.connect_timeout);
  return std::min({conn_->expiry(), next_send_, rebind_at_, end, setup});
}

void Client::report_end(uint64_t now, const std::string& local_cause) {
  if (!closed_reported_) {
    closed_reported_ = true;
    std::string why = conn_->close_reason();
    if (!local_cause.empty()) why += " (" + local_cause + ")";
    events_.emit(now, "closed", {{"error", why}});
  }
  auto last = conn_->last_echo_ns();
  events_.emit(now, "summary",
               {{"sent", conn_->sent()},
                {"echoed", conn_->echoed()},
                {"last_echo_t_ns", last ? nlohmann::json(*last) : nlohmann::json(nullptr)}});
}

int Client::run() {
  conn_->flush(start_);
  uint64_t end = start_ + to_ns(opts_.duration);
  uint64_t setup_deadline = start_ + to_ns(opts_.connect_timeout);
  std::string local_cause;  // set when the client ends the connection itself
  for (;;) {
    auto wake = loop_.wait_until(next_deadline());
    uint64_t now = monotonic_ns();
    if (wake.signalled || now >= end) {
      local_cause = wake.signalled ? "signal" : "end of --duration";
      break;
    }
    if (!wake.readable.empty()) drain_socket(now);
    if (conn_->expiry() <= now) conn_->on_expiry(now);
    if (!ready_ && conn_->state() == QuicConnection::State::open) {
      ready_ = true;
      events_.emit(now, "ready",
                   {{"local", local_addr_}, {"remote", format_endpoint(opts_.server)}});
      next_send_ = now;
    }
    if (!ready_ && (!alive() || now >= setup_deadline)) {
      std::string why = alive() ? "no handshake before --connect-timeout" : conn_->close_reason();
      events_.emit(now, "setup_failed", {{"error", why}});
      return 4;
    }
    if (!alive()) break;
    if (now >= next_send_) {
      conn_->send_next(now);
      next_send_ += to_ns(opts_.interval);
      if (next_send_ <= now) next_send_ = now + to_ns(opts_.interval);  // late: no catch-up burst
    }
    if (now >= rebind_at_) rebind(now);
    conn_->flush(now);
  }
  uint64_t now = monotonic_ns();
  if (!ready_) {
    events_.emit(now, "setup_failed", {{"error", "stopped before the handshake completed"}});
    return 4;
  }
  if (!alive()) local_cause.clear();  // it had ended before: its reason stands alone
  conn_->close(now);
  report_end(now, local_cause);
  return 0;
}

}  // namespace

int run_quic_client(const ClientOptions& options, EventSink& events) {
  std::unique_ptr<Client> client;
  try {
    client = std::make_unique<Client>(options, events);
  } catch (const sys::SysError& e) {
    events.emit(monotonic_ns(), "setup_failed",
                {{"error", sys::errno_name(e.error())}, {"detail", e.what()}});
    return 4;
  }
  return client->run();
}

}  // namespace ss::probes::quic
