#include "probes/mptcp_subflows.hpp"

#include <fmt/format.h>
#include <linux/mptcp.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "probes/emit.hpp"
#include "sys/syserror.hpp"

namespace ss::probes {
namespace {

constexpr size_t kMaxSubflows = 8;

struct Header {
  mptcp_subflow_data head{};
  size_t elements = 0;  // how many whole elements the buffer holds
};

// The header of a mptcp_subflow_data buffer and how many elements follow it.
bool read_header(const uint8_t* buf, size_t len, Header& h) {
  if (!buf || len < sizeof(mptcp_subflow_data)) return false;
  std::memcpy(&h.head, buf, sizeof h.head);
  if (h.head.size_subflow_data < sizeof(mptcp_subflow_data) || h.head.size_subflow_data > len ||
      h.head.size_user == 0)
    return false;
  h.elements =
      std::min<size_t>(h.head.num_subflows, (len - h.head.size_subflow_data) / h.head.size_user);
  return true;
}

// Element i, copied into a zeroed T (the kernel's element may be shorter or longer than ours).
template <typename T>
T element(const uint8_t* buf, const Header& h, size_t i) {
  T out{};
  std::memcpy(&out, buf + h.head.size_subflow_data + i * h.head.size_user,
              std::min<size_t>(sizeof out, h.head.size_user));
  return out;
}

void fill_from(Subflow& s, const tcp_info& t) {
  s.state = tcp_state_name(t.tcpi_state);
  s.rtt_us = t.tcpi_rtt;
  s.retransmits = t.tcpi_retransmits;
  s.total_retrans = t.tcpi_total_retrans;
  s.probes = t.tcpi_probes;
  s.backoff = t.tcpi_backoff;
  s.unacked = t.tcpi_unacked;
}

}  // namespace

SubflowView decode_subflows(const uint8_t* addrs, size_t addrs_len, const uint8_t* tcpinfo,
                            size_t tcpinfo_len) {
  SubflowView v;
  Header ha, ht;
  if (!read_header(addrs, addrs_len, ha)) return v;
  v.count = ha.head.num_subflows;
  const bool with_info = read_header(tcpinfo, tcpinfo_len, ht);
  for (size_t i = 0; i < ha.elements; ++i) {
    auto a = element<mptcp_subflow_addrs>(addrs, ha, i);
    Subflow s;
    s.local = sockaddr_text(&a.ss_local);
    s.remote = sockaddr_text(&a.ss_remote);
    if (with_info && i < ht.elements) {
      fill_from(s, element<tcp_info>(tcpinfo, ht, i));
    }
    v.subflows.push_back(std::move(s));
  }
  return v;
}

std::string path_text(const Subflow& s) {
  return s.local + "->" + s.remote;
}

std::string tcp_state_name(int state) {
  static constexpr std::array<const char*, 13> names = {
      "",      "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",   "TIME_WAIT",
      "CLOSE", "CLOSE_WAIT",  "LAST_ACK", "LISTEN",   "CLOSING",   "NEW_SYN_RECV"};
  if (state > 0 && state < static_cast<int>(names.size())) return names[static_cast<size_t>(state)];
  return fmt::format("STATE{}", state);
}

std::string view_key(const SubflowView& v) {
  std::string key = fmt::format("{}|{}|{}", v.fallback, v.error, v.count);
  for (const auto& s : v.subflows)
    key += fmt::format("|{} {} retransmits={} probes={}", path_text(s), s.state, s.retransmits,
                       s.probes);
  return key;
}

nlohmann::json view_fields(const SubflowView& v) {
  nlohmann::json list = nlohmann::json::array(), detail = nlohmann::json::array();
  for (const auto& s : v.subflows) {
    list.push_back(path_text(s));
    detail.push_back({{"local", s.local},
                      {"remote", s.remote},
                      {"state", s.state},
                      {"rtt_us", s.rtt_us},
                      {"retransmits", s.retransmits},
                      {"total_retrans", s.total_retrans},
                      {"probes", s.probes},
                      {"backoff", s.backoff},
                      {"unacked", s.unacked}});
  }
  nlohmann::json f = {
      {"count", v.count}, {"list", list}, {"detail", detail}, {"fallback", v.fallback}};
  if (!v.error.empty()) f["error"] = v.error;
  return f;
}

namespace {

// A mptcp_subflow_data buffer with room for kMaxSubflows elements of T.
template <typename T>
socklen_t get_subflow_list(int fd, int optname, std::vector<uint8_t>& buf, int& err) {
  buf.assign(sizeof(mptcp_subflow_data) + kMaxSubflows * sizeof(T), 0);
  mptcp_subflow_data head{};
  head.size_subflow_data = sizeof head;
  head.size_user = sizeof(T);
  std::memcpy(buf.data(), &head, sizeof head);
  socklen_t len = static_cast<socklen_t>(buf.size());
  if (::getsockopt(fd, SOL_MPTCP, optname, buf.data(), &len) < 0) {
    err = errno;
    return 0;
  }
  return len;
}

// A connection that fell back to TCP answers SOL_MPTCP with an error: report its one flow.
SubflowView fallback_view(int fd, int err) {
  SubflowView v;
  v.fallback = true;
  if (err) v.error = sys::errno_name(err);
  sockaddr_storage local{}, remote{};
  socklen_t l1 = sizeof local, l2 = sizeof remote;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &l1) == 0 &&
      ::getpeername(fd, reinterpret_cast<sockaddr*>(&remote), &l2) == 0) {
    Subflow s;
    s.local = sockaddr_text(&local);
    s.remote = sockaddr_text(&remote);
    tcp_info t{};
    socklen_t lt = sizeof t;
    if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &t, &lt) == 0) fill_from(s, t);
    v.subflows.push_back(s);
    v.count = 1;
  }
  return v;
}

}  // namespace

SubflowView read_subflows(int fd) {
  mptcp_info info{};
  socklen_t ilen = sizeof info;
  if (::getsockopt(fd, SOL_MPTCP, MPTCP_INFO, &info, &ilen) < 0) return fallback_view(fd, errno);
  if (info.mptcpi_flags & MPTCP_INFO_FLAG_FALLBACK) return fallback_view(fd, 0);
  std::vector<uint8_t> addrs, tcpinfo;
  int err = 0;
  socklen_t alen = get_subflow_list<mptcp_subflow_addrs>(fd, MPTCP_SUBFLOW_ADDRS, addrs, err);
  if (err) {
    SubflowView v;
    v.error = sys::errno_name(err);
    return v;
  }
  socklen_t tlen = get_subflow_list<tcp_info>(fd, MPTCP_TCPINFO, tcpinfo, err);
  return decode_subflows(addrs.data(), alen, tcpinfo.data(), tlen);
}

}  // namespace ss::probes
