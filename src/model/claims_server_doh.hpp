#pragma once
// Two of the article's claims, derived from records (registered in claims.cpp's
// evaluate_claims): DoH never falls back to plaintext, and what the server sees of a
// disconnect (a reset, or a half-open socket).
#include "model/claims.hpp"

namespace ss {

// "doh-partial": from the clean run's doh probe (plaintext_dns_after_t0,
// new_connections_after, bootstrap, old_connection).
ClaimResult doh_claim(const ClaimRuns& runs);

// "server-view": from each run's server_sockets and the server agents' close/error lines.
ClaimResult server_view_claim(const ClaimRuns& runs);

}  // namespace ss
