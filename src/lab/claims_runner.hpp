#pragma once
// Runs the experiments the claims need (the same lab, varied one condition at a time).
#include "lab/experiment.hpp"
#include "model/claims.hpp"

namespace ss::lab {

// The clients `claims` runs by default, in order.
const std::vector<std::string>& claim_clients();

// The scenario of each variant named in model/claims.hpp that the reference client runs once
// (the claims about the kernel and the apps, not about the client).
std::map<std::string, Scenario> claim_variants();

// The variants a client-dependent claim reads, for one client, keyed as model's
// client_run_key ("crash@wg-quick"): a clean and a crash disconnect with a light probe set
// (the reference client's come from claim_variants()) and the flicker and flicker-new-ip
// scenarios. `own_disconnects`: the reference client's clean and crash too (else they are
// claim_variants()'). Throws UsageError naming --clients for a client no VPN variant has.
std::map<std::string, Scenario> client_claim_variants(const std::string& client,
                                                      bool own_disconnects = false);

// Runs every variant (each a full lab run with teardown) for these clients (every one of
// claim_clients() if empty); `per_client_only`: only the variants of client_claim_variants()
// (the claims about the apps and the kernel are then not measured). `progress` is called
// before each run (done so far, total, what runs now) and once at the end (total, total, "").
ClaimRuns run_claim_experiments(
    const RunOptions& o, const std::vector<std::string>& clients, bool per_client_only,
    const std::function<void(size_t done, size_t total, const std::string& what)>& progress);

}  // namespace ss::lab
