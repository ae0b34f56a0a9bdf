#pragma once
// Progress of long work (claims, sweeps): one line saying what runs now, how many of how many,
// and the time left, estimated from the time the finished items took. Pure: time passed in.
#include <cstddef>
#include <string>

namespace ss::report {

// `done` items finished out of `total` in `elapsed_s`; `what` is what runs now (empty: none).
// "[3/16] running 'crash@wg-quick'; about 52 s left" (no estimate before the first finishes).
std::string progress_line(size_t done, size_t total, const std::string& what, double elapsed_s);

}  // namespace ss::report
