#pragma once
// A socket the kernel destroyed, as sock_diag announces it to the SKNLGRP_INET*_DESTROY
// multicast groups (what `ss -E` prints). Pure: the message's bytes in, the socket out; every
// length is checked.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>

namespace ss {

struct DestroyedSocket {
  std::string family;  // "inet" or "inet6"
  std::string proto;   // "tcp", "udp", or "proto N" (from INET_DIAG_PROTOCOL; "" when absent)
  std::string state;   // TCP state name at destruction ("ESTABLISHED", "CLOSE", ...)
  std::string src, dst;
  uint16_t sport = 0, dport = 0;
  uint32_t ifindex = 0, uid = 0, inode = 0;
  uint32_t rqueue = 0, wqueue = 0;  // bytes still queued (receive, send)
  uint64_t cookie = 0;
};

// Parses the payload of one SOCK_DIAG_BY_FAMILY message (after the nlmsghdr): an
// inet_diag_msg and its attributes. Nothing for a payload too short or of another family.
std::optional<DestroyedSocket> parse_destroyed(std::span<const uint8_t> payload);

nlohmann::json to_json(const DestroyedSocket& s);

}  // namespace ss
