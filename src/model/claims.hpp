#pragma once
// The article's claims, each checked against records of real runs. The claims are stated in
// our own words; a verdict is derived from what was measured, never written in advance.
#include <map>
#include <string>
#include <vector>

#include "model/record.hpp"

namespace ss {

// One client's verdict on a claim about what a VPN client does.
struct ClientVerdict {
  std::string client;     // vpn.client of the runs: reference, wg-quick, openvpn
  std::string verdict;    // confirmed | contradicted | depends | not measured
  std::string measured;   // what that client's runs recorded (or why not measured)
  std::string condition;  // with "depends": which run gave which
};

struct ClaimResult {
  std::string id;
  std::string claim;      // the article's claim, in short
  std::string measured;   // what the runs recorded
  std::string verdict;    // confirmed | contradicted | depends | not measured
  std::string condition;  // with "depends": which condition gives which outcome
  // Claims whose outcome the VPN client decides: one verdict per client that ran (empty for
  // the others); the overall verdict is "depends" naming which client gives which when they
  // differ.
  std::vector<ClientVerdict> by_client = {};
};

// The runs the claims are checked against, by the variant that produced them:
//   "clean", "crash", "keep-interface" (disconnect modes), "user-timeout" (TCP_USER_TIMEOUT set
//   on the in-flight probe), "no-migration" (the QUIC server refuses address changes),
//   "no-physical-subflow" (the MPTCP connection has no subflow endpoint on the physical link).
//   "flicker", "flicker-new-ip" (the built-in scenarios: a 200 ms carrier loss, the second with
//   another tunnel address on reconnection).
// A run of another client than the one that ran the plain variant is keyed "VARIANT@CLIENT"
// (e.g. "crash@wg-quick"); a plain key's client is its record's vpn.client. The claims whose
// outcome the client decides are evaluated once per client over that client's runs.
// A claim whose input a record lacks (an older record, a probe that failed to set up) is
// "not measured", naming what is missing: a missing figure is never read as zero.
using ClaimRuns = std::map<std::string, RunRecord>;

std::vector<ClaimResult> evaluate_claims(const ClaimRuns& runs);
// Only these clients' verdicts (in this order) for the client-dependent claims; empty: every
// client that has runs (reference, wg-quick, openvpn first, then any other by name).
std::vector<ClaimResult> evaluate_claims(const ClaimRuns& runs,
                                         const std::vector<std::string>& clients);

// The key of a client's run of a variant: "VARIANT@CLIENT".
std::string client_run_key(const std::string& variant, const std::string& client);
// The runs one client made, keyed by variant ("crash@wg-quick" becomes "crash"; a plain key
// is kept when its record's vpn.client is this client and no keyed run replaces it).
ClaimRuns runs_of_client(const ClaimRuns& runs, const std::string& client);

// Linux's lower bound on the time until ETIMEDOUT for data that is never acknowledged:
// retransmissions at RTO 200 ms doubling to 120 s, tcp_retries2 of them.
double retries2_timeout_s(int tcp_retries2);

nlohmann::json claims_to_json(const std::vector<ClaimResult>& claims);
std::string render_claims(const std::vector<ClaimResult>& claims);

}  // namespace ss
