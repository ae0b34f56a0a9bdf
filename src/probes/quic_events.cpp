#include "probes/quic_events.hpp"

#include <time.h>

namespace ss::probes::quic {

std::string format_event(std::string_view agent, uint64_t t_ns, std::string_view kind,
                         const nlohmann::json& fields) {
  nlohmann::ordered_json line;
  line["t_ns"] = t_ns;
  line["agent"] = agent;
  line["kind"] = kind;
  if (fields.is_object()) {
    for (const auto& [key, value] : fields.items()) line[key] = value;
  }
  return line.dump();
}

uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

void EventSink::emit(uint64_t t_ns, std::string_view kind, const nlohmann::json& fields) {
  std::string line = format_event(agent_, t_ns, kind, fields);
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace ss::probes::quic
