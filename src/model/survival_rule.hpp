#pragma once
// The one rule that says whether a stream probe's connection kept working: at least one
// round trip of data sent after the disconnect completed, and no silence longer than a
// stated bound from then to the end of the window. Pure: times are passed in.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/record.hpp"

namespace ss {

// t=0 (the trigger started), the trigger's end (the disconnect completed) and the window's end,
// on CLOCK_MONOTONIC.
struct Window {
  int64_t t0_ns = 0;
  int64_t trigger_end_ns = 0;
  int64_t end_ns = 0;
};

// Data that came back: when it arrived and when what it answers was sent (unknown: nullopt,
// e.g. a bulk echo, or a screen update without a readable stamp).
struct Answer {
  int64_t at_ns = 0;
  std::optional<int64_t> sent_ns;
};

struct StreamTrace {
  std::vector<Answer> answers;
  // The first error (or end of the connection) at or after t=0: when, and what.
  std::optional<int64_t> error_ns;
  int64_t silence_bound_ns = 0;
  // Silence is counted from max(trigger end, this): a client that sends nothing until a set
  // time (tcp-idle's late send) is not silent before it sends.
  int64_t quiet_until_ns = 0;
};

enum class Outcome { yes, partial, no };
const char* outcome_name(Outcome o);

struct Survival {
  Outcome outcome = Outcome::no;
  std::optional<int64_t> round_trip_ns;  // arrival of the first answer to data sent after the
                                         // trigger's end
  int64_t longest_silence_ns = 0;        // longest stretch without data back, in the watched span
  int64_t silence_from_ns = 0;           // when that stretch began
  bool silence_to_end = false;           // it lasted to the end of the window
};

// yes: a round trip of data sent after the trigger's end, no error, no silence over the bound;
// partial: such a round trip, but an error at or after t=0 or a silence over the bound;
// no: no such round trip.
Survival judge_stream(const StreamTrace& trace, const Window& w);

// Writes the verdict into a fate: survived (only for "yes"), extra outcome, silence_bound_ms,
// longest_silence_ms, silence_started_ms (since t=0), silence_to_end, round_trip_after_ms,
// trigger_end_ms, and extra state ("alive" for yes, "interrupted" for partial, else "failed"
// with an error or "hanging").
void apply_survival(ProbeFate& f, const Survival& s, const StreamTrace& trace, const Window& w);

// The two together.
void judge_into(ProbeFate& f, const StreamTrace& trace, const Window& w);

// When the disconnect completed, and how that is known: "call" (the trigger's call returned:
// clean, keep-interface), "link-removed" (crash: the first removal of the tunnel link the
// recorder read in [t0, end]), "window-end" (crash, and the link never went).
struct TriggerEnd {
  int64_t at_ns = 0;
  const char* by = "call";
};
// `events`: what the recorder read, each with its CLOCK_MONOTONIC time.
TriggerEnd trigger_end(bool crash, const std::vector<std::pair<int64_t, Event>>& events,
                       const std::string& tunnel_if, int64_t t0_ns, int64_t call_done_ns,
                       int64_t end_ns);

}  // namespace ss
