#include "probes/app_ipseen.hpp"

#include <nlohmann/json.hpp>

namespace ss::probes {

std::string ipseen_body(const std::string& peer, const std::string& path) {
  return nlohmann::json{{"seen_as", peer}, {"path", path}}.dump() + "\n";
}

std::optional<std::string> parse_seen_as(const std::string& body) {
  auto doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("seen_as") || !doc["seen_as"].is_string())
    return std::nullopt;
  return doc["seen_as"].get<std::string>();
}

}  // namespace ss::probes
