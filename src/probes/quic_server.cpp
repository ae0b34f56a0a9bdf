#include "probes/quic_server.hpp"

#include <fmt/format.h>

#include <array>
#include <fstream>
#include <map>
#include <set>
#include <unordered_map>

#include "model/errors.hpp"
#include "probes/quic_conn.hpp"
#include "probes/quic_loop.hpp"
#include "probes/quic_udp.hpp"
#include "probes/tls_identity.hpp"
#include "sys/syserror.hpp"

namespace ss::probes::quic {

namespace {

constexpr size_t kCidLen = 16;
constexpr size_t kMaxDatagramsPerWakeup = 256;
constexpr uint64_t kHandshakeTimeoutNs = 10'000'000'000;

std::string cid_key(const uint8_t* data, size_t len) {
  return std::string(reinterpret_cast<const char*>(data), len);
}

ngtcp2_path make_path(const SockAddr& local, const SockAddr& remote) {
  ngtcp2_path p{};
  p.local.addr = const_cast<sockaddr*>(local.get());
  p.local.addrlen = local.len;
  p.remote.addr = const_cast<sockaddr*>(remote.get());
  p.remote.addrlen = remote.len;
  return p;
}

class Server;

void write_certificate(const std::string& path, const std::string& pem) {
  std::ofstream out(path, std::ios::trunc);
  out << pem;
  out.close();
  if (!out) throw UsageError(fmt::format("--cert-out '{}': cannot write the certificate", path));
}

// One accepted connection; its events carry `conn`, a number counted from 1 per server.
class ServerConn : public QuicConnection {
 public:
  ServerConn(Server& server, uint64_t id, const ngtcp2_pkt_hd& hd, const ngtcp2_path& path,
             uint64_t now);
  uint64_t id() const { return id_; }
  std::set<std::string>& cids() { return cids_; }
  // Reports the peer address if ngtcp2 now uses a different one than last reported.
  void report_address_change(uint64_t now);
  // The address the datagram being processed came from (for `recv` events).
  void set_current_from(std::string from) { current_from_ = std::move(from); }

 protected:
  bool on_handshake_completed(uint64_t) override { return true; }
  void on_stream_data(int64_t stream_id, std::string_view data, uint64_t now) override;
  void on_path_validation(const ngtcp2_path& path, bool success, uint64_t now) override;
  void on_new_cid(const ngtcp2_cid& cid) override;
  void on_retired_cid(const ngtcp2_cid& cid) override;
  void on_closed(uint64_t now) override;

 private:
  Server& server_;
  uint64_t id_;
  std::set<std::string> cids_;
  std::map<int64_t, LineSplitter> lines_;
  std::string reported_remote_;
  std::string current_from_;
};

class Server : public PacketSender {
 public:
  Server(const ServerOptions& options, EventSink& events);
  int run();

  void send(std::span<const uint8_t> packet, const ngtcp2_path& path) override;
  EventSink& events() { return events_; }
  const ServerOptions& options() const { return options_; }
  const TlsCredentials& credentials() const { return cred_; }
  void register_cid(ServerConn& conn, const std::string& key);
  void retire_cid(ServerConn& conn, const std::string& key);
  void count_echo() { ++echoed_; }

 private:
  void on_datagram(const Datagram& d, std::span<const uint8_t> data, uint64_t now);
  ServerConn* accept(std::span<const uint8_t> data, const ngtcp2_path& path, uint64_t now);
  void drain_socket(uint64_t now);
  void handle_expiries(uint64_t now);
  void forget_closed();
  uint64_t next_deadline() const;

  const ServerOptions& options_;
  EventSink& events_;
  TlsIdentity identity_;
  TlsCredentials cred_;
  UdpSocket socket_;
  std::map<uint64_t, std::unique_ptr<ServerConn>> conns_;
  std::unordered_map<std::string, ServerConn*> by_cid_;
  uint64_t next_id_ = 1;
  uint64_t echoed_ = 0;
  std::array<uint8_t, 65536> buf_{};
};

ServerConn::ServerConn(Server& server, uint64_t id, const ngtcp2_pkt_hd& hd,
                       const ngtcp2_path& path, uint64_t now)
    : QuicConnection(server), server_(server), id_(id) {
  const auto& opts = server.options();
  uint64_t idle_ns = static_cast<uint64_t>(opts.idle_timeout.count()) * 1000;
  ngtcp2_cid scid = random_cid(kCidLen);
  ngtcp2_transport_params params = transport_params(idle_ns);
  params.original_dcid = hd.dcid;
  params.disable_active_migration = opts.disable_migration ? 1 : 0;
  ngtcp2_callbacks cb = common_callbacks();
  cb.recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
  ngtcp2_settings s = settings(now, kHandshakeTimeoutNs);
  ngtcp2_conn* conn = nullptr;
  int rv = ngtcp2_conn_server_new(&conn, &hd.scid, &scid, &path, hd.version, &cb, &s, &params,
                                  nullptr, this);
  if (rv != 0)
    throw std::runtime_error(fmt::format("ngtcp2_conn_server_new: {}", ngtcp2_strerror(rv)));
  attach(conn, server.credentials(), true);
  server.register_cid(*this, cid_key(scid.data, scid.datalen));
  // Until the client learns our CID, its packets still carry the one it chose.
  server.register_cid(*this, cid_key(hd.dcid.data, hd.dcid.datalen));
}

void ServerConn::report_address_change(uint64_t now) {
  if (state() != State::handshaking && state() != State::open) return;
  std::string remote = format_endpoint(path()->remote.addr);
  if (remote == reported_remote_) return;
  nlohmann::json fields{{"conn", id_}, {"addr", remote}};
  if (!reported_remote_.empty()) fields["previous"] = reported_remote_;
  server_.events().emit(now, "client_address", fields);
  reported_remote_ = remote;
}

void ServerConn::on_stream_data(int64_t stream_id, std::string_view data, uint64_t now) {
  send_buffer(stream_id).append(data);  // the echo
  for (const auto& line : lines_[stream_id].feed(data)) {
    auto seq = parse_message(line);
    if (!seq) continue;
    server_.count_echo();
    server_.events().emit(now, "recv", {{"conn", id_}, {"seq", *seq}, {"from", current_from_}});
  }
}

void ServerConn::on_path_validation(const ngtcp2_path& path, bool success, uint64_t now) {
  server_.events().emit(now, "path_validation",
                        {{"conn", id_},
                         {"result", success ? "success" : "failure"},
                         {"addr", format_endpoint(path.remote.addr)}});
}

void ServerConn::on_new_cid(const ngtcp2_cid& cid) {
  server_.register_cid(*this, cid_key(cid.data, cid.datalen));
}

void ServerConn::on_retired_cid(const ngtcp2_cid& cid) {
  server_.retire_cid(*this, cid_key(cid.data, cid.datalen));
}

void ServerConn::on_closed(uint64_t now) {
  server_.events().emit(now, "closed", {{"conn", id_}, {"error", close_reason()}});
}

Server::Server(const ServerOptions& options, EventSink& events)
    : options_(options),
      events_(events),
      identity_(make_self_signed("splitsecond-quic-server", {format_ip(options.listen.get())})),
      cred_(TlsCredentials::for_server(identity_)),
      socket_(UdpSocket::bind_to(options.listen)) {
  if (!options.cert_out.empty()) write_certificate(options.cert_out, identity_.cert_pem);
}

void Server::send(std::span<const uint8_t> packet, const ngtcp2_path& path) {
  SockAddr to = from_sockaddr(path.remote.addr, path.remote.addrlen);
  int err = socket_.send_to(packet, to);
  if (err != 0) {
    fmt::print(stderr, "quic-server: sendto({}): {}\n", format_endpoint(to), sys::errno_name(err));
  }
}

void Server::register_cid(ServerConn& conn, const std::string& key) {
  by_cid_[key] = &conn;
  conn.cids().insert(key);
}

void Server::retire_cid(ServerConn& conn, const std::string& key) {
  by_cid_.erase(key);
  conn.cids().erase(key);
}

ServerConn* Server::accept(std::span<const uint8_t> data, const ngtcp2_path& path, uint64_t now) {
  ngtcp2_pkt_hd hd;
  if (ngtcp2_accept(&hd, data.data(), data.size()) != 0) return nullptr;
  std::unique_ptr<ServerConn> conn;
  try {
    conn = std::make_unique<ServerConn>(*this, next_id_, hd, path, now);
  } catch (const std::exception& e) {  // one client's bad Initial must not stop the server
    fmt::print(stderr, "quic-server: cannot accept from {}: {}\n",
               format_endpoint(path.remote.addr), e.what());
    return nullptr;
  }
  uint64_t id = next_id_++;
  ServerConn* raw = conn.get();
  conns_.emplace(id, std::move(conn));
  return raw;
}

void Server::on_datagram(const Datagram& d, std::span<const uint8_t> data, uint64_t now) {
  ngtcp2_version_cid vc;
  if (ngtcp2_pkt_decode_version_cid(&vc, data.data(), data.size(), kCidLen) != 0) return;
  ngtcp2_path path = make_path(socket_.local(), d.from);
  auto it = by_cid_.find(cid_key(vc.dcid, vc.dcidlen));
  ServerConn* conn = it != by_cid_.end() ? it->second : accept(data, path, now);
  if (!conn) return;
  conn->set_current_from(format_endpoint(d.from));
  conn->on_datagram(path, data, now);
  conn->flush(now);
  conn->report_address_change(now);
}

void Server::drain_socket(uint64_t now) {
  for (size_t i = 0; i < kMaxDatagramsPerWakeup; ++i) {
    auto d = socket_.receive(buf_);
    if (!d) return;
    on_datagram(*d, {buf_.data(), d->len}, now);
  }
}

void Server::handle_expiries(uint64_t now) {
  for (auto& [id, conn] : conns_) {
    if (conn->expiry() <= now) conn->on_expiry(now);
    conn->report_address_change(now);
  }
}

void Server::forget_closed() {
  for (auto it = conns_.begin(); it != conns_.end();) {
    if (it->second->state() != QuicConnection::State::closed) {
      ++it;
      continue;
    }
    for (const auto& key : it->second->cids()) by_cid_.erase(key);
    it = conns_.erase(it);
  }
}

uint64_t Server::next_deadline() const {
  uint64_t deadline = kNever;
  for (const auto& [id, conn] : conns_) deadline = std::min(deadline, conn->expiry());
  return deadline;
}

int Server::run() {
  EventLoop loop;
  loop.watch(socket_.fd());
  events_.emit(monotonic_ns(), "ready", {{"listen", format_endpoint(socket_.local())}});
  for (;;) {
    auto wake = loop.wait_until(next_deadline());
    uint64_t now = monotonic_ns();
    if (wake.signalled) break;
    if (!wake.readable.empty()) drain_socket(now);
    handle_expiries(now);
    forget_closed();
  }
  uint64_t now = monotonic_ns();
  for (auto& [id, conn] : conns_) conn->close(now);
  events_.emit(now, "summary", {{"connections", next_id_ - 1}, {"echoed", echoed_}});
  return 0;
}

}  // namespace

int run_quic_server(const ServerOptions& options, EventSink& events) {
  std::unique_ptr<Server> server;
  try {
    server = std::make_unique<Server>(options, events);
  } catch (const sys::SysError& e) {
    events.emit(monotonic_ns(), "setup_failed",
                {{"error", sys::errno_name(e.error())}, {"detail", e.what()}});
    return 4;
  }
  return server->run();
}

}  // namespace ss::probes::quic
