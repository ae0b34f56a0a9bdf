#pragma once
// The remote-shell probes' fates (ssh under exec-watch, mosh-client under pty-watch), from the
// watch agents' lines (docs/remote-probes.md). Pure: nothing here expects an outcome.
#include <cstdint>
#include <optional>
#include <string_view>

#include "model/duration.hpp"
#include "model/fate.hpp"

namespace ss {

// Whether a sanitized screen update shows the clock command's output (a `date +%s.%N` stamp)
// and is not one of mosh-client's own notices ("mosh: Last contact ...").
bool shows_clock_output(std::string_view text);

// When the server printed the output in `text`, on CLOCK_MONOTONIC: the latest `date +%s.%N`
// stamp in it (CLOCK_REALTIME), moved onto the monotonic clock by the line's own pair of
// readings (t_ns, wall_ns). A stamp cut short by a screen redraw (mosh sends only the changed
// cells: ".233594005", "8.233594005") is completed with the latest seconds at or before wall_ns
// that end in the digits shown. Nothing when the text holds no stamp with nine decimals.
std::optional<int64_t> clock_stamp_sent_ns(std::string_view text, int64_t t_ns, int64_t wall_ns);

// The fates, judged by judge_stream (model/survival_rule.hpp): each chunk of the server's output
// is data back, sent when its stamp says. Extra fields as well: gap_at_t0_ms and resumed_at_ms
// (the silence around t=0 and the first output after it), gap_ms and gap_started_ms (the
// longest silence reaching past t=0), recovered_ms (output back after a gap longer than two
// intervals), frozen_since_ms (no output in the last max(10 intervals, 1 s) of the window).
ProbeFate ssh_fate(const AgentLines& client, const Window& w, Micros interval,
                   int64_t silence_bound_ns);
ProbeFate mosh_fate(const AgentLines& client, const Window& w, Micros interval,
                    int64_t silence_bound_ns);

}  // namespace ss
