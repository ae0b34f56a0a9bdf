#pragma once
// rtnetlink messages (links, addresses, routes, policy rules) turned into timeline events, and the
// socket that receives them from one namespace.
#include <linux/netlink.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/record.hpp"
#include "sys/fd.hpp"

struct mnl_socket;

namespace ss::observe {

// Turns rtnetlink messages into events. Keeps the ifindex->name map (routes and addresses
// name their device by index, and a deleted link's index must still be named) and each
// link's last flags, to report "up"/"down" rather than every change.
class RtnlDecoder {
 public:
  // Returns the event for one message (without its time), or nothing for messages that
  // change nothing a user would see.
  std::optional<Event> decode(const nlmsghdr* nlh);
  std::string ifname(int index) const;

 private:
  std::map<int, std::string> names_;
  std::map<int, unsigned> flags_;
};

class NetlinkMonitor {
 public:
  // Subscribes to link, address and route changes in the namespace behind netns_fd (-1: the
  // caller's own), with a large receive buffer; seeds the decoder with the current links.
  // After an overrun (ENOBUFS) the route tables are dumped again, as after a link event.
  explicit NetlinkMonitor(int netns_fd);
  ~NetlinkMonitor();
  NetlinkMonitor(const NetlinkMonitor&) = delete;
  NetlinkMonitor& operator=(const NetlinkMonitor&) = delete;

  int fd() const;
  // Reads what is queued; appends (mono_ns, event). ENOBUFS (the kernel dropped messages)
  // is counted in overruns(), never ignored.
  void drain(int64_t now_ns, std::vector<std::pair<int64_t, Event>>& out);
  int64_t overruns() const { return overruns_; }
  // Dumps made after overruns. The kernel drops every notification while the socket's queue
  // is not empty again after an overrun, so the dump waits until it is (EAGAIN).
  int64_t overrun_resyncs() const { return overrun_resyncs_; }

 private:
  // The kernel does not announce the IPv4 routes it flushes with a link that goes down or
  // away. After such a link event the table is dumped and compared with what was known;
  // routes gone without notice are reported with "notified": false.
  void resync_routes(int64_t now_ns, std::vector<std::pair<int64_t, Event>>& out);
  std::map<std::string, Event> dump_routes();
  static std::string route_key(const Event& e);

  mnl_socket* sock_ = nullptr;
  mnl_socket* dump_sock_ = nullptr;
  unsigned dump_seq_ = 100;
  std::map<std::string, Event> routes_;
  std::set<std::string> reported_unnotified_;
  RtnlDecoder decoder_;
  int64_t overruns_ = 0;
  int64_t overrun_resyncs_ = 0;
  bool resync_pending_ = false;
};

}  // namespace ss::observe
