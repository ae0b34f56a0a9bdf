#pragma once
// Option values shared by the subcommands.
#include <fmt/format.h>

#include <string>

#include "model/duration.hpp"
#include "model/errors.hpp"

namespace ss::cli {

// A positive duration written as users write it ("100ms", "3s"); UsageError naming the option.
inline Micros duration_option(const std::string& text, const char* option) {
  auto d = parse_duration(text);
  if (!d || d->count() == 0)
    throw UsageError(fmt::format("{}: '{}' is not a duration such as 100ms or 3s", option, text));
  return *d;
}

}  // namespace ss::cli
