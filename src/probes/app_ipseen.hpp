#pragma once
// The ip-seen exchange, as plain data: what the server answers (the client address it saw)
// and how the client reads it back.
#include <optional>
#include <string>

namespace ss::probes {

// The response body: {"seen_as":"ip:port","path":"/..."}.
std::string ipseen_body(const std::string& peer, const std::string& path);
// The address in such a body; nullopt if the body is not one.
std::optional<std::string> parse_seen_as(const std::string& body);

}  // namespace ss::probes
