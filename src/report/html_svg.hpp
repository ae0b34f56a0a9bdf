#pragma once
// The timeline as an SVG element (report/html_lanes.hpp placed on one time axis). Every mark
// carries its time (data-t, data-t2, in microseconds from t=0) so that the page's script can
// zoom and pan; the positions written here are those of the default view, so the picture is
// complete without the script (and as a standalone .svg file).
#include <string>

#include "report/html_lanes.hpp"

namespace ss::report {

// `id`: unique on the page (it prefixes the clip path and patterns).
std::string timeline_svg_element(const Timeline& t, const std::string& id);

// Time on the axis in words: "0", "+1.5 ms", "-10 ms", "+2 s", "+250 us".
std::string axis_time(double t_us);

}  // namespace ss::report
