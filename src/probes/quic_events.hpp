#pragma once
// Agent events as docs/agents.md describes them: one JSON object per line, flushed at once.
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace ss::probes::quic {

// {"t_ns":..,"agent":..,"kind":..,<fields>}: the line without its newline.
std::string format_event(std::string_view agent, uint64_t t_ns, std::string_view kind,
                         const nlohmann::json& fields);

// CLOCK_MONOTONIC in nanoseconds: the clock of events, of ngtcp2 and of the lab's recorder.
uint64_t monotonic_ns();

class EventSink {
 public:
  EventSink(std::string agent, std::FILE* out) : agent_(std::move(agent)), out_(out) {}
  void emit(uint64_t t_ns, std::string_view kind, const nlohmann::json& fields = {});

 private:
  std::string agent_;
  std::FILE* out_;
};

}  // namespace ss::probes::quic
