#pragma once
// One QUIC connection driven by ngtcp2: packets and the current time go in, packets come out
// through a PacketSender, and expiry() says when it next needs to run. All of QUIC (handshake,
// loss recovery, path validation, idle timeout) is ngtcp2's; this class keeps the echo streams'
// bytes and turns ngtcp2's callbacks into calls of the hooks below.
//
//   handshaking --handshake done--> open --close()/error--> closing --3 PTO--> closed
//        |                           |                                         ^
//        +------peer's CONNECTION_CLOSE / idle timeout-------> draining -------+
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "probes/quic_stream.hpp"
#include "probes/quic_tls.hpp"

namespace ss::probes::quic {

class PacketSender {
 public:
  virtual ~PacketSender() = default;
  virtual void send(std::span<const uint8_t> packet, const ngtcp2_path& path) = 0;
};

// "idle timeout", "peer closed: application error 0", "transport error 0x1 (reason)".
std::string describe_close(const ngtcp2_connection_close_error& ccerr, bool by_peer);

// A random connection ID of length len (gnutls's RNG).
ngtcp2_cid random_cid(size_t len);

class QuicConnection {
 public:
  enum class State { handshaking, open, closing, draining, closed };

  virtual ~QuicConnection();
  QuicConnection(const QuicConnection&) = delete;
  QuicConnection& operator=(const QuicConnection&) = delete;

  State state() const { return state_; }
  // Why it ended (or is ending); empty while it lives.
  const std::string& close_reason() const { return close_reason_; }
  const ngtcp2_path* path() const { return ngtcp2_conn_get_path(conn_); }

  // One received datagram on path.
  void on_datagram(const ngtcp2_path& path, std::span<const uint8_t> data, uint64_t now);
  // Sends whatever ngtcp2 has to send now (stream data, ACKs, probes, path challenges).
  void flush(uint64_t now);
  uint64_t expiry() const;
  void on_expiry(uint64_t now);
  // Closes with an application error 0 (a normal end), sending CONNECTION_CLOSE.
  void close(uint64_t now);

 protected:
  explicit QuicConnection(PacketSender& sender) : sender_(sender) {}
  // Called by the subclass's constructor once ngtcp2 made the connection: takes it over and
  // gives it a TLS session (server or client side).
  void attach(ngtcp2_conn* conn, const TlsCredentials& cred, bool server);
  static ngtcp2_callbacks common_callbacks();
  static ngtcp2_settings settings(uint64_t now, uint64_t handshake_timeout_ns);
  static ngtcp2_transport_params transport_params(uint64_t idle_timeout_ns);
  ngtcp2_conn* conn() const { return conn_; }
  const TlsSession& tls() const { return *tls_; }
  SendBuffer& send_buffer(int64_t stream_id) { return streams_[stream_id].out; }
  // The reason close_reason() gives when a hook fails the connection.
  void set_failure_reason(std::string reason) { close_reason_ = std::move(reason); }

  // Hooks. A hook returning false fails the connection (the library call returns an error).
  virtual bool on_handshake_completed(uint64_t now) = 0;
  virtual void on_stream_data(int64_t stream_id, std::string_view data, uint64_t now) = 0;
  virtual void on_path_validation(const ngtcp2_path& path, bool success, uint64_t now) = 0;
  virtual void on_new_cid(const ngtcp2_cid&) {}
  virtual void on_retired_cid(const ngtcp2_cid&) {}
  // The connection ended (state closing/draining/closed); close_reason() says why.
  virtual void on_closed(uint64_t now) = 0;

 private:
  struct Stream {
    SendBuffer out;
  };
  void fail(int liberr, uint64_t now);
  void send_close(const ngtcp2_connection_close_error& ccerr, uint64_t now);
  void end(State state, std::string reason, uint64_t now);
  int write_streams(uint64_t now);
  int64_t next_stream_to_write(const std::map<int64_t, bool>& blocked) const;

  static int recv_stream_data_cb(ngtcp2_conn*, uint32_t, int64_t, uint64_t, const uint8_t*, size_t,
                                 void*, void*);
  static int acked_stream_data_offset_cb(ngtcp2_conn*, int64_t, uint64_t, uint64_t, void*, void*);
  static int stream_close_cb(ngtcp2_conn*, uint32_t, int64_t, uint64_t, void*, void*);
  static int handshake_completed_cb(ngtcp2_conn*, void*);
  static int path_validation_cb(ngtcp2_conn*, uint32_t, const ngtcp2_path*,
                                ngtcp2_path_validation_result, void*);
  static int get_new_connection_id_cb(ngtcp2_conn*, ngtcp2_cid*, uint8_t*, size_t, void*);
  static int remove_connection_id_cb(ngtcp2_conn*, const ngtcp2_cid*, void*);
  static ngtcp2_conn* get_conn_cb(ngtcp2_crypto_conn_ref* ref);

  PacketSender& sender_;
  std::optional<TlsSession> tls_;
  ngtcp2_crypto_conn_ref conn_ref_{};
  ngtcp2_conn* conn_ = nullptr;
  std::map<int64_t, Stream> streams_;
  State state_ = State::handshaking;
  std::string close_reason_;
  uint64_t now_ = 0;           // the time of the call that is running ngtcp2's callbacks
  uint64_t end_deadline_ = 0;  // when a closing/draining connection is forgotten
  std::string close_packet_;   // resent to a peer that keeps talking while we close
};

}  // namespace ss::probes::quic
