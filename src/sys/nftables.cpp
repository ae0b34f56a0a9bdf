#include "sys/nftables.hpp"

#include <nftables/libnftables.h>

#include <memory>
#include <stdexcept>

namespace ss::sys {

NftResult nft_run(const std::string& batch) {
  std::unique_ptr<nft_ctx, void (*)(nft_ctx*)> ctx(nft_ctx_new(NFT_CTX_DEFAULT), nft_ctx_free);
  if (!ctx) throw std::runtime_error("nft_ctx_new failed (out of memory?)");
  nft_ctx_buffer_output(ctx.get());
  nft_ctx_buffer_error(ctx.get());
  NftResult r;
  r.ok = nft_run_cmd_from_buffer(ctx.get(), batch.c_str()) == 0;
  if (const char* out = nft_ctx_get_output_buffer(ctx.get())) r.output = out;
  if (const char* err = nft_ctx_get_error_buffer(ctx.get())) r.error = err;
  return r;
}

}  // namespace ss::sys
