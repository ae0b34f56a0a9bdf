#pragma once
// The detect table (model/detect.hpp) in words: the terminal's and the HTML report's. Both
// are "" for a record without detect probes.
#include <string>
#include <vector>

#include "model/detect.hpp"

namespace ss::report {

// One row's cells, as both reports show them.
struct DetectCells {
  std::string method, after, after_t0, how, versus_default;
};
std::vector<DetectCells> detect_cells(const DetectTable& t);

std::string render_detect(const RunRecord& r);     // terminal
std::string detect_card_html(const RunRecord& r);  // a <section> for the HTML page

}  // namespace ss::report
