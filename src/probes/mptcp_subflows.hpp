#pragma once
// What an MPTCP socket's subflows are, as the kernel reports them (getsockopt SOL_MPTCP:
// MPTCP_INFO, MPTCP_SUBFLOW_ADDRS, MPTCP_TCPINFO), and how the agents print it. Decoding the
// kernel's buffers is pure and tested without a kernel.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ss::probes {

struct Subflow {
  std::string local, remote;  // "ip:port"
  std::string state;          // TCP state name ("ESTABLISHED", "CLOSE", ...); empty if unknown
  uint32_t rtt_us = 0;
  uint32_t retransmits = 0;  // RTO backoffs of the segment at the head of the queue, now
  uint32_t total_retrans = 0;
  uint32_t probes = 0;   // unanswered probes (a segment that could not be sent is probed, not
                         // retransmitted: e.g. when its source address is gone)
  uint32_t backoff = 0;  // exponential backoff of the retransmission or probe timer
  uint32_t unacked = 0;  // segments sent and not acknowledged
};

struct SubflowView {
  bool fallback = false;  // the connection fell back to plain TCP (SOL_MPTCP refused)
  std::string error;      // errno name when the kernel refused to say
  uint32_t count = 0;     // subflows the kernel counted (may exceed subflows.size())
  std::vector<Subflow> subflows;
};

// Decodes the buffers MPTCP_SUBFLOW_ADDRS and MPTCP_TCPINFO filled (struct mptcp_subflow_data
// followed by elements of size_user bytes); `*_len` is what getsockopt returned in optlen.
// tcpinfo may be empty. Subflows are paired by position: both lists walk the same kernel list.
SubflowView decode_subflows(const uint8_t* addrs, size_t addrs_len, const uint8_t* tcpinfo,
                            size_t tcpinfo_len);

std::string path_text(const Subflow& s);  // "10.8.0.42:40000->198.51.100.10:7005"
std::string tcp_state_name(int state);    // "ESTABLISHED"; "STATE<n>" when unknown
// What a `subflows` event reports: a change in any of these is printed, an RTT change is not.
std::string view_key(const SubflowView& v);
// The `subflows` event's fields: count, list (of local->remote), detail, fallback, error.
nlohmann::json view_fields(const SubflowView& v);

// Reads the socket's subflows now (the kernel; never throws).
SubflowView read_subflows(int fd);

}  // namespace ss::probes
