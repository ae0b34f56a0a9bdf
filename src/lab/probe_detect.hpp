#pragma once
// The detect probes (docs/detect.md): one TCP client each, through the tunnel to its own echo
// server port, each learning of its connection's death in its own way; the fate is
// model/detect.hpp's.
#include <memory>

#include "lab/probe.hpp"

namespace ss::lab {

std::unique_ptr<Probe> make_detect_probe(const ProbeSpec& spec);

}  // namespace ss::lab
