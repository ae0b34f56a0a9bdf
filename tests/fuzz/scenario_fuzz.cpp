// libFuzzer target: see fuzz_targets.hpp for what is checked. Build with -DSPLITSECOND_FUZZ=ON
// (clang), run e.g. `scenario_fuzz corpus/scenario`.
#include <cstdio>
#include <cstdlib>

#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string problem = ss::fuzz::check_scenario({data, size});
  if (!problem.empty()) {
    std::fprintf(stderr, "scenario_fuzz: %s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
