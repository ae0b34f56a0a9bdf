#pragma once
// The MPTCP probe: the kernel's MPTCP with in-kernel path-manager endpoints on the client's
// physical interface and on the tunnel, a client in the client namespace talking through the
// tunnel to an echo server in the server namespace (docs/mptcp.md).
#include <memory>

#include "lab/probe.hpp"

namespace ss::lab {

std::unique_ptr<Probe> make_mptcp_probe(const ProbeSpec& spec);

}  // namespace ss::lab
