#pragma once
// The article's claims, each checked against records of real runs. The claims are stated in
// our own words; a verdict is derived from what was measured, never written in advance.
#include <map>
#include <string>
#include <vector>

#include "model/record.hpp"

namespace ss {

struct ClaimResult {
  std::string id;
  std::string claim;      // the article's claim, in short
  std::string measured;   // what the runs recorded
  std::string verdict;    // confirmed | contradicted | depends | not measured
  std::string condition;  // with "depends": which condition gives which outcome
};

// The runs the claims are checked against, by the variant that produced them:
//   "clean", "crash", "keep-interface" (disconnect modes), "user-timeout" (TCP_USER_TIMEOUT set
//   on the in-flight probe), "no-migration" (the QUIC server refuses address changes),
//   "no-physical-subflow" (the MPTCP connection has no subflow endpoint on the physical link).
// A claim whose input a record lacks (an older record, a probe that failed to set up) is
// "not measured", naming what is missing: a missing figure is never read as zero.
using ClaimRuns = std::map<std::string, RunRecord>;

std::vector<ClaimResult> evaluate_claims(const ClaimRuns& runs);

// Linux's lower bound on the time until ETIMEDOUT for data that is never acknowledged:
// retransmissions at RTO 200 ms doubling to 120 s, tcp_retries2 of them.
double retries2_timeout_s(int tcp_retries2);

nlohmann::json claims_to_json(const std::vector<ClaimResult>& claims);
std::string render_claims(const std::vector<ClaimResult>& claims);

}  // namespace ss
