#pragma once
// A storm's results as people and programs read them: a terminal table, CSV per time bucket,
// a JSON summary, and an SVG plot of the reconnect rate over time. Pure: strings out.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "storm/reference.hpp"
#include "storm/results.hpp"

namespace ss::storm {

std::string render_table(const std::vector<Summary>& runs);
// One row per run and bucket: run,t_ms,attempts,connects,... (header included).
std::string render_csv(const std::vector<RunResult>& runs);
// The summary object: clients, policy, seed, time_to_50_ms, time_to_99_ms, time_to_all_ms
// (null when never reached), attempts, rejected, peak_rate_per_s, and more.
nlohmann::json to_json(const Summary& s);
// Side by side: each key's real value, simulated value and difference.
std::string render_comparison(const Summary& real, const Summary& sim);
// Connect rate (per second) over time, one line per run, labelled by `labels`.
std::string render_svg(const std::vector<RunResult>& runs, const std::vector<std::string>& labels,
                       const std::string& title);
std::string render_occ_table(const std::vector<OccResult>& results);
// A lab run's storm section (the record's probes[].storm, model/storm_figures.hpp) as lines
// for the run's summary; says so when the server's accept queue overflowed.
std::string render_lab_storm(const nlohmann::json& storm);
nlohmann::json occ_to_json(const std::vector<OccResult>& results);

}  // namespace ss::storm
