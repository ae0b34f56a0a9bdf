#include "probes/quic_conn.hpp"

#include <fmt/format.h>
#include <gnutls/crypto.h>

#include <array>
#include <vector>

namespace ss::probes::quic {

namespace {

constexpr size_t kMaxWritesPerFlush = 1024;  // bounds one flush; the next expiry resumes it
constexpr uint64_t kStreamWindow = 1 << 20;

// The secret stateless reset tokens are derived from: one per process, never written down.
const std::array<uint8_t, 32>& reset_secret() {
  static const std::array<uint8_t, 32> secret = [] {
    std::array<uint8_t, 32> s{};
    gnutls_rnd(GNUTLS_RND_RANDOM, s.data(), s.size());
    return s;
  }();
  return secret;
}

void rand_cb(uint8_t* dest, size_t len, const ngtcp2_rand_ctx*) {
  gnutls_rnd(GNUTLS_RND_NONCE, dest, len);
}

QuicConnection* self(void* user_data) {
  return static_cast<QuicConnection*>(user_data);
}

}  // namespace

std::string describe_close(const ngtcp2_connection_close_error& ccerr, bool by_peer) {
  if (ccerr.type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_TRANSPORT_IDLE_CLOSE) {
    return "idle timeout";
  }
  std::string kind = ccerr.type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_APPLICATION
                         ? "application error"
                         : "transport error";
  std::string text =
      fmt::format("{}{} {:#x}", by_peer ? "peer closed: " : "", kind, ccerr.error_code);
  if (ccerr.reason && ccerr.reasonlen > 0) {
    text += fmt::format(
        " ({})", std::string_view(reinterpret_cast<const char*>(ccerr.reason), ccerr.reasonlen));
  }
  return text;
}

ngtcp2_cid random_cid(size_t len) {
  std::array<uint8_t, NGTCP2_MAX_CIDLEN> bytes{};
  len = std::min(len, bytes.size());
  gnutls_rnd(GNUTLS_RND_NONCE, bytes.data(), len);
  ngtcp2_cid cid;
  ngtcp2_cid_init(&cid, bytes.data(), len);
  return cid;
}

QuicConnection::~QuicConnection() {
  if (conn_) ngtcp2_conn_del(conn_);
}

void QuicConnection::attach(ngtcp2_conn* conn, const TlsCredentials& cred, bool server) {
  conn_ = conn;
  conn_ref_.get_conn = get_conn_cb;
  conn_ref_.user_data = this;
  tls_.emplace(server ? TlsSession::server(cred, &conn_ref_)
                      : TlsSession::client(cred, &conn_ref_));
  ngtcp2_conn_set_tls_native_handle(conn_, tls_->get());
}

ngtcp2_callbacks QuicConnection::common_callbacks() {
  ngtcp2_callbacks cb{};
  cb.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
  cb.encrypt = ngtcp2_crypto_encrypt_cb;
  cb.decrypt = ngtcp2_crypto_decrypt_cb;
  cb.hp_mask = ngtcp2_crypto_hp_mask_cb;
  cb.update_key = ngtcp2_crypto_update_key_cb;
  cb.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
  cb.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
  cb.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
  cb.version_negotiation = ngtcp2_crypto_version_negotiation_cb;
  cb.rand = rand_cb;
  cb.recv_stream_data = recv_stream_data_cb;
  cb.acked_stream_data_offset = acked_stream_data_offset_cb;
  cb.stream_close = stream_close_cb;
  cb.handshake_completed = handshake_completed_cb;
  cb.path_validation = path_validation_cb;
  cb.get_new_connection_id = get_new_connection_id_cb;
  cb.remove_connection_id = remove_connection_id_cb;
  return cb;
}

ngtcp2_settings QuicConnection::settings(uint64_t now, uint64_t handshake_timeout_ns) {
  ngtcp2_settings s;
  ngtcp2_settings_default(&s);
  s.initial_ts = now;
  s.handshake_timeout = handshake_timeout_ns;
  return s;
}

ngtcp2_transport_params QuicConnection::transport_params(uint64_t idle_timeout_ns) {
  ngtcp2_transport_params p;
  ngtcp2_transport_params_default(&p);
  p.initial_max_stream_data_bidi_local = kStreamWindow;
  p.initial_max_stream_data_bidi_remote = kStreamWindow;
  p.initial_max_data = 4 * kStreamWindow;
  p.initial_max_streams_bidi = 4;
  p.max_idle_timeout = idle_timeout_ns;
  p.active_connection_id_limit = 4;
  return p;
}

void QuicConnection::on_datagram(const ngtcp2_path& path, std::span<const uint8_t> data,
                                 uint64_t now) {
  now_ = now;
  if (state_ == State::closing) {
    // RFC 9000 10.2.1: a closing endpoint answers with its CONNECTION_CLOSE again.
    auto* p = reinterpret_cast<const uint8_t*>(close_packet_.data());
    if (!close_packet_.empty()) sender_.send({p, close_packet_.size()}, path);
    return;
  }
  if (state_ == State::draining || state_ == State::closed) return;
  ngtcp2_pkt_info pi{};
  int rv = ngtcp2_conn_read_pkt(conn_, &path, &pi, data.data(), data.size(), now);
  if (rv != 0) fail(rv, now);
}

void QuicConnection::flush(uint64_t now) {
  now_ = now;
  if (state_ != State::handshaking && state_ != State::open) return;
  int rv = write_streams(now);
  if (rv != 0) fail(rv, now);
}

uint64_t QuicConnection::expiry() const {
  if (state_ == State::closing || state_ == State::draining) return end_deadline_;
  if (state_ == State::closed) return UINT64_MAX;
  return ngtcp2_conn_get_expiry(conn_);
}

void QuicConnection::on_expiry(uint64_t now) {
  now_ = now;
  if (state_ == State::closing || state_ == State::draining) {
    if (now >= end_deadline_) state_ = State::closed;
    return;
  }
  if (state_ == State::closed) return;
  int rv = ngtcp2_conn_handle_expiry(conn_, now);
  if (rv != 0) {
    fail(rv, now);
    return;
  }
  flush(now);
}

void QuicConnection::close(uint64_t now) {
  if (state_ != State::handshaking && state_ != State::open) return;
  ngtcp2_connection_close_error ccerr;
  ngtcp2_connection_close_error_set_application_error(&ccerr, 0, nullptr, 0);
  send_close(ccerr, now);
  end(State::closing, "local close", now);
}

void QuicConnection::fail(int liberr, uint64_t now) {
  ngtcp2_connection_close_error ccerr;
  switch (liberr) {
    case NGTCP2_ERR_DRAINING:  // the peer sent CONNECTION_CLOSE
      ngtcp2_conn_get_connection_close_error(conn_, &ccerr);
      end(State::draining, describe_close(ccerr, true), now);
      return;
    case NGTCP2_ERR_IDLE_CLOSE:  // silently, as RFC 9000 10.1 says
      end(State::closed, "idle timeout", now);
      return;
    case NGTCP2_ERR_HANDSHAKE_TIMEOUT:
      end(State::closed, "handshake timeout", now);
      return;
    case NGTCP2_ERR_DROP_CONN:
    case NGTCP2_ERR_RETRY:
      end(State::closed, ngtcp2_strerror(liberr), now);
      return;
    case NGTCP2_ERR_CRYPTO:
      ngtcp2_connection_close_error_set_transport_error_tls_alert(
          &ccerr, ngtcp2_conn_get_tls_alert(conn_), nullptr, 0);
      break;
    default:
      ngtcp2_connection_close_error_set_transport_error_liberr(&ccerr, liberr, nullptr, 0);
  }
  send_close(ccerr, now);
  std::string reason = close_reason_.empty() ? ngtcp2_strerror(liberr) : close_reason_;
  end(State::closing, reason, now);
}

void QuicConnection::send_close(const ngtcp2_connection_close_error& ccerr, uint64_t now) {
  if (ngtcp2_conn_is_in_closing_period(conn_) || ngtcp2_conn_is_in_draining_period(conn_)) return;
  std::vector<uint8_t> buf(NGTCP2_MAX_UDP_PAYLOAD_SIZE);
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_pkt_info pi{};
  auto n =
      ngtcp2_conn_write_connection_close(conn_, &ps.path, &pi, buf.data(), buf.size(), &ccerr, now);
  if (n <= 0) return;
  close_packet_.assign(reinterpret_cast<const char*>(buf.data()), static_cast<size_t>(n));
  sender_.send({buf.data(), static_cast<size_t>(n)}, ps.path);
}

void QuicConnection::end(State state, std::string reason, uint64_t now) {
  bool was_alive = state_ == State::handshaking || state_ == State::open;
  state_ = state;
  if (close_reason_.empty()) close_reason_ = std::move(reason);
  end_deadline_ = now + 3 * ngtcp2_conn_get_pto(conn_);
  if (was_alive) on_closed(now);
}

int64_t QuicConnection::next_stream_to_write(const std::map<int64_t, bool>& blocked) const {
  for (const auto& [id, stream] : streams_) {
    if (!stream.out.unsent().empty() && !blocked.contains(id)) return id;
  }
  return -1;
}

int QuicConnection::write_streams(uint64_t now) {
  std::vector<uint8_t> buf(ngtcp2_conn_get_max_tx_udp_payload_size(conn_));
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  std::map<int64_t, bool> blocked;
  for (size_t i = 0; i < kMaxWritesPerFlush; ++i) {
    int64_t id = next_stream_to_write(blocked);
    ngtcp2_vec vec{};
    size_t vcnt = 0;
    if (id >= 0) {
      auto unsent = streams_.at(id).out.unsent();
      vec = {const_cast<uint8_t*>(unsent.data()), unsent.size()};
      vcnt = 1;
    }
    ngtcp2_ssize accepted = -1;
    ngtcp2_pkt_info pi{};
    auto n = ngtcp2_conn_writev_stream(conn_, &ps.path, &pi, buf.data(), buf.size(), &accepted,
                                       NGTCP2_WRITE_STREAM_FLAG_MORE, id, vcnt ? &vec : nullptr,
                                       vcnt, now);
    if (accepted > 0) streams_.at(id).out.mark_sent(static_cast<size_t>(accepted));
    if (n == NGTCP2_ERR_WRITE_MORE) continue;  // the packet has room for more
    if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED || n == NGTCP2_ERR_STREAM_SHUT_WR) {
      blocked[id] = true;
      continue;
    }
    if (n < 0) return static_cast<int>(n);
    if (n == 0) break;
    sender_.send({buf.data(), static_cast<size_t>(n)}, ps.path);
  }
  ngtcp2_conn_update_pkt_tx_time(conn_, now);
  return 0;
}

int QuicConnection::recv_stream_data_cb(ngtcp2_conn* conn, uint32_t, int64_t stream_id, uint64_t,
                                        const uint8_t* data, size_t len, void* user_data, void*) {
  auto* c = self(user_data);
  c->streams_[stream_id];  // a peer-opened stream is first seen here
  c->on_stream_data(stream_id, {reinterpret_cast<const char*>(data), len}, c->now_);
  // The bytes are consumed at once: give the peer its flow-control credit back.
  ngtcp2_conn_extend_max_stream_offset(conn, stream_id, len);
  ngtcp2_conn_extend_max_offset(conn, len);
  return 0;
}

int QuicConnection::acked_stream_data_offset_cb(ngtcp2_conn*, int64_t stream_id, uint64_t offset,
                                                uint64_t len, void* user_data, void*) {
  auto* c = self(user_data);
  auto it = c->streams_.find(stream_id);
  if (it != c->streams_.end()) it->second.out.acknowledge(offset, len);
  return 0;
}

int QuicConnection::stream_close_cb(ngtcp2_conn*, uint32_t, int64_t stream_id, uint64_t,
                                    void* user_data, void*) {
  self(user_data)->streams_.erase(stream_id);
  return 0;
}

int QuicConnection::handshake_completed_cb(ngtcp2_conn*, void* user_data) {
  auto* c = self(user_data);
  c->state_ = State::open;
  return c->on_handshake_completed(c->now_) ? 0 : NGTCP2_ERR_CALLBACK_FAILURE;
}

int QuicConnection::path_validation_cb(ngtcp2_conn*, uint32_t, const ngtcp2_path* path,
                                       ngtcp2_path_validation_result res, void* user_data) {
  auto* c = self(user_data);
  c->on_path_validation(*path, res == NGTCP2_PATH_VALIDATION_RESULT_SUCCESS, c->now_);
  return 0;
}

int QuicConnection::get_new_connection_id_cb(ngtcp2_conn*, ngtcp2_cid* cid, uint8_t* token,
                                             size_t cidlen, void* user_data) {
  *cid = random_cid(cidlen);
  const auto& secret = reset_secret();
  if (ngtcp2_crypto_generate_stateless_reset_token(token, secret.data(), secret.size(), cid) != 0) {
    return NGTCP2_ERR_CALLBACK_FAILURE;
  }
  self(user_data)->on_new_cid(*cid);
  return 0;
}

int QuicConnection::remove_connection_id_cb(ngtcp2_conn*, const ngtcp2_cid* cid, void* user_data) {
  self(user_data)->on_retired_cid(*cid);
  return 0;
}

ngtcp2_conn* QuicConnection::get_conn_cb(ngtcp2_crypto_conn_ref* ref) {
  return static_cast<QuicConnection*>(ref->user_data)->conn_;
}

}  // namespace ss::probes::quic
