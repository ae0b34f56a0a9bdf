#pragma once
// nftables through libnftables, in the calling thread's network namespace: a batch in `nft -f`
// syntax runs as one kernel transaction (all of it or none of it).
#include <string>

namespace ss::sys {

struct NftResult {
  bool ok = false;
  std::string output;  // what `nft` would print (listings)
  std::string error;   // libnftables' error text when !ok
};

NftResult nft_run(const std::string& batch);

}  // namespace ss::sys
