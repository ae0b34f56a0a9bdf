#pragma once
// Events shaped as the recorder records them (observe/rtnl.cpp, docs/schema.md), for the watch's
// unit tests: links with their kind, addresses, routes and wg-quick's policy rules.
#include <string>

#include "model/record.hpp"

namespace watchtest {

inline ss::Event link(const std::string& kind, const std::string& name,
                      const std::string& link_kind, bool up, bool ptp = false, int type = 65534) {
  ss::Event e;
  e.layer = ss::Layer::link;
  e.kind = kind;
  e.detail = {{"ifname", name},         {"index", 7},        {"up", up},          {"lower_up", up},
              {"link_kind", link_kind}, {"link_type", type}, {"pointopoint", ptp}};
  return e;
}

inline ss::Event en0() {
  return link("added", "en0", "veth", true, false, 1);
}

inline ss::Event addr(const std::string& kind, const std::string& address, const std::string& dev) {
  ss::Event e;
  e.layer = ss::Layer::addr;
  e.kind = kind;
  e.detail = {{"address", address}, {"dev", dev}, {"family", "inet"}};
  return e;
}

inline ss::Event route(const std::string& kind, const std::string& dst, const std::string& dev,
                       const nlohmann::json& table = "main",
                       const nlohmann::json& gateway = nullptr) {
  ss::Event e;
  e.layer = ss::Layer::route;
  e.kind = kind;
  e.detail = {
      {"dst", dst},        {"dev", dev},
      {"table", table},    {"gateway", gateway},
      {"type", "unicast"}, {"family", dst.find(':') == std::string::npos ? "inet" : "inet6"}};
  return e;
}

// wg-quick: `not fwmark 51820 table 51820` (invert) and `table main suppress_prefixlength 0`.
inline ss::Event rule(const std::string& kind, const nlohmann::json& table,
                      const nlohmann::json& fwmark, bool invert, const nlohmann::json& suppress) {
  ss::Event e;
  e.layer = ss::Layer::route;
  e.kind = kind;
  e.detail = {{"dst", "0.0.0.0/0"}, {"family", "inet"},
              {"type", "rule"},     {"dev", ""},
              {"gateway", nullptr}, {"invert", invert},
              {"table", table},     {"priority", 32764},
              {"fwmark", fwmark},   {"suppress_prefixlength", suppress}};
  return e;
}

}  // namespace watchtest
