#pragma once
// For scenario tests: the message of the UsageError that parsing `text` as file `origin` gives,
// or `accepted` when it parses.
#include <string>

#include "model/errors.hpp"
#include "model/scenario.hpp"

namespace ss::test {

inline std::string scenario_error(const std::string& text, const std::string& origin,
                                  const std::string& accepted = "") {
  try {
    ss::parse_scenario(text, origin);
  } catch (const ss::UsageError& e) {
    return e.what();
  }
  return accepted;
}

}  // namespace ss::test
