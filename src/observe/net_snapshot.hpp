#pragma once
// The links, addresses, routes and policy rules of one namespace as they are now, dumped over
// rtnetlink and decoded by the monitor's own decoder into "added" events: what a live watcher
// starts from, and rebuilds from after an overrun lost notifications.
#include <vector>

#include "model/record.hpp"

namespace ss::observe {

// netns_fd -1: the caller's own namespace. Throws SysError.
std::vector<Event> snapshot_network(int netns_fd);

}  // namespace ss::observe
