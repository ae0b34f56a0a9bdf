#pragma once
// Helpers for lab tests: run the real binary, snapshot the host's network state.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace labtest {

struct Result {
  int status = -1;  // exit code, or 128+signal
  std::string out, err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline std::string temp_path(const std::string& name) {
  return "/tmp/splitsecond-labtest-" + std::to_string(::getpid()) + "-" + name;
}

// Runs a shell command (bounded by `timeout`), capturing stdout and stderr.
inline Result sh(const std::string& cmd, int timeout_s = 60) {
  static int n = 0;
  const std::string out = temp_path("out" + std::to_string(++n)), err = out + ".err";
  const std::string script = out + ".sh";
  std::ofstream(script) << cmd << '\n';
  const std::string full =
      "timeout -s KILL " + std::to_string(timeout_s) + " bash " + script + " >" + out + " 2>" + err;
  int raw = std::system(full.c_str());
  std::remove(script.c_str());
  Result r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  r.out = slurp(out);
  r.err = slurp(err);
  std::remove(out.c_str());
  std::remove(err.c_str());
  return r;
}

inline std::string bin() {
  return SPLITSECOND_BIN;
}

// Everything about the host that the lab must leave exactly as it found it.
inline std::string host_state() {
  return sh("ip -d link show; ip addr show; ip route show table all; ip -6 route show table all; "
            "ip rule show; ip -6 rule show; nft list ruleset 2>&1; cat /etc/resolv.conf; ip netns "
            "list; "
            "ls -a /etc/netns 2>&1; ls -a /run/splitsecond 2>&1; ls -a /run/wireguard 2>&1; "
            // wg-quick's resolvconf: no resolv.conf.bak or state beside the host's files
            "ls -la --time-style=full-iso /etc/resolv.conf* /etc/resolvconf* 2>&1; "
            "ls -a /run/resolvconf 2>&1; ls -a /etc")
      .out;
}

// Processes of the kinds the lab starts, by pid.
inline std::string lab_processes() {
  return sh("ps -eo pid=,comm= | awk '$2 ~ /^(wireguard-go|dnsmasq|splitsecond)$/ {print $1\" "
            "\"$2}'")
      .out;
}

// A macro, not a function: FAIL() must return from the test body itself. A lab test that
// cannot run is a failure, never a skip (CI treats a skipped test as a failed one).
#define REQUIRE_ROOT()  \
  if (::geteuid() != 0) \
  FAIL() << "lab tests build network namespaces and need root: run them as root"

// Validates a JSON file the binary wrote against docs/schema/ (scripts/validate-json.py);
// the problems found, or "" when it is valid.
inline std::string schema_problems(const std::string& path) {
  Result v = sh("/usr/bin/python3 " SS_SOURCE_DIR "/scripts/validate-json.py " + path);
  return v.status == 0 ? "" : v.out + v.err;
}

inline nlohmann::json run_json(const std::string& args, Result* result = nullptr) {
  const std::string json = temp_path("record.json");
  Result r = sh(bin() + " run " + args + " --json " + json);
  if (result) *result = r;
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(schema_problems(json), "") << "the record of 'run " << args << "' breaks the schema";
  auto j = nlohmann::json::parse(slurp(json), nullptr, false);
  std::remove(json.c_str());
  return j;
}

inline const nlohmann::json* probe(const nlohmann::json& rec, const std::string& name) {
  for (const auto& p : rec["probes"])
    if (p["name"] == name) return &p;
  return nullptr;
}

inline bool has_event(const nlohmann::json& rec, const std::string& layer, const std::string& kind,
                      const std::function<bool(const nlohmann::json&)>& pred) {
  for (const auto& e : rec["events"])
    if (e["layer"] == layer && e["kind"] == kind && pred(e)) return true;
  return false;
}

}  // namespace labtest
