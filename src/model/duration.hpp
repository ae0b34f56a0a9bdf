#pragma once
// Durations as users write them: "200ms", "3s", "1.5s", "250us", "2m".
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace ss {

using Micros = std::chrono::microseconds;

// Returns nullopt for anything that is not a non-negative number followed by a unit
// (ns, us, ms, s, m). A bare number is rejected: a unit must always be written.
std::optional<Micros> parse_duration(std::string_view text);

// "200ms", "3s", "1.5s": the shortest exact form for printing.
std::string format_duration(Micros d);

}  // namespace ss
