#include "model/reap_plan.hpp"

#include <fmt/format.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace ss {

void AddressBook::add(const LocalAddress& a) {
  for (auto& e : entries_)
    if (e.ifindex == a.ifindex && e.address.same_address(a.address)) {
      e = a;
      return;
    }
  entries_.push_back(a);
}

std::optional<LocalAddress> AddressBook::remove(int ifindex, const IpPrefix& address) {
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const LocalAddress& e) {
    return e.ifindex == ifindex && e.address.same_address(address);
  });
  if (it == entries_.end()) return std::nullopt;
  LocalAddress gone = *it;
  entries_.erase(it);
  return gone;
}

std::vector<LocalAddress> AddressBook::remove_link(int ifindex) {
  std::vector<LocalAddress> gone;
  std::erase_if(entries_, [&](const LocalAddress& e) {
    if (e.ifindex != ifindex) return false;
    gone.push_back(e);
    return true;
  });
  return gone;
}

std::vector<LocalAddress> AddressBook::replace_all(const std::vector<LocalAddress>& now) {
  std::vector<LocalAddress> gone;
  for (const auto& e : entries_) {
    const bool kept = std::any_of(now.begin(), now.end(), [&](const LocalAddress& n) {
      return n.ifindex == e.ifindex && n.address.same_address(e.address);
    });
    if (!kept) gone.push_back(e);
  }
  entries_ = now;
  return gone;
}

bool AddressBook::has(const IpPrefix& address) const {
  return !holder(address).empty();
}

std::string AddressBook::holder(const IpPrefix& address) const {
  for (const auto& e : entries_)
    if (e.address.same_address(address)) return e.ifname.empty() ? "?" : e.ifname;
  return "";
}

std::optional<std::string> reap_skip_reason(const LocalAddress& removed, const ReapPolicy& policy,
                                            const AddressBook& after) {
  const auto& ifs = policy.interfaces;
  if (!ifs.empty() && std::find(ifs.begin(), ifs.end(), removed.ifname) == ifs.end())
    return fmt::format("{} is not one of the --interface names", removed.ifname);
  const std::string holder = after.holder(removed.address);
  if (!holder.empty()) return fmt::format("the address is still present on {}", holder);
  return std::nullopt;
}

bool bound_to(const ReapSocket& s, const IpPrefix& address) {
  if (s.family == address.family)
    return std::memcmp(s.local.data(), address.addr.data(), address.family == AF_INET ? 4 : 16) ==
           0;
  if (s.family == AF_INET6 && address.family == AF_INET) {
    static constexpr uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::memcmp(s.local.data(), mapped, 12) == 0 &&
           std::memcmp(s.local.data() + 12, address.addr.data(), 4) == 0;
  }
  return false;
}

bool reapable(const ReapSocket& s, const ReapPolicy& policy) {
  const auto& ports = policy.peer_ports;
  if (!ports.empty() && std::find(ports.begin(), ports.end(), s.peer_port) == ports.end())
    return false;
  if (s.proto == ReapSocket::Proto::tcp) return s.state != kTcpTimeWait;
  return policy.udp && s.state == kTcpEstablished && s.peer_port != 0;
}

std::vector<size_t> reap_victims(const IpPrefix& address, const ReapPolicy& policy,
                                 const std::vector<ReapSocket>& sockets) {
  std::vector<size_t> out;
  for (size_t i = 0; i < sockets.size(); ++i)
    if (bound_to(sockets[i], address) && reapable(sockets[i], policy)) out.push_back(i);
  return out;
}

}  // namespace ss
