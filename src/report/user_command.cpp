#include "report/user_command.hpp"

#include <fmt/format.h>

namespace ss::report {
namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    out += (out.empty() ? "" : " ") + s;
  }
  return out;
}

std::string obs_text(const SocketObs& o) {
  std::string s = o.state;
  if (!o.held) {
    s += " (no longer held by the command)";
  }
  if (o.proto == "tcp" || o.unacked) {
    s += fmt::format(", {} B unacknowledged in the send queue", o.send_queue);
  }
  if (o.unacked) {
    s += fmt::format(", {} segments unacknowledged", *o.unacked);
  }
  if (o.retransmits && *o.retransmits) {
    s += fmt::format(", {} retransmissions in a row (RTO {} ms)", *o.retransmits,
                     o.rto_ms.value_or(0));
  }
  if (o.total_retrans && *o.total_retrans) {
    s += fmt::format(", {} retransmitted in all", *o.total_retrans);
  }
  if (o.recv_queue) {
    s += fmt::format(", {} B received and unread", o.recv_queue);
  }
  return s;
}

std::string ms_text(int64_t us) {
  return fmt::format("{:+.1f} ms", static_cast<double>(us) / 1000.0);
}

}  // namespace

std::string exit_text(const CommandExit& e) {
  if (e.start_error) {
    return "did not start: " + *e.start_error;
  }
  if (!e.started) {
    return "not started";
  }
  std::string how = e.code     ? fmt::format("exit code {}", *e.code)
                    : e.signal ? fmt::format("ended by signal {}", *e.signal)
                               : "status unknown";
  if (e.ended_by) {
    return fmt::format("still running at the end of the window: ended by {} ({})", *e.ended_by,
                       how);
  }
  return e.at_us ? fmt::format("{} at {}", how, ms_text(*e.at_us)) : how;
}

std::string render_user_command(const UserCommandRun& u) {
  std::string out = "\nYour command (in the client namespace)\n";
  if (!u.argv.empty()) {
    out += fmt::format("  {}: started at {}, {}\n", join(u.argv), ms_text(u.started_us),
                       exit_text(u.exit));
  }
  if (!u.server_cmd.empty()) {
    out += fmt::format("  server: sh -c '{}': {}", u.server_cmd, exit_text(u.server_exit));
    out += u.server_listening ? fmt::format(", listening on {}\n", *u.server_listening) : "\n";
  }
  out += fmt::format("  {} output lines (on the timeline above, and in --json){}\n", u.lines.size(),
                     u.lines_dropped ? fmt::format(", {} more dropped", u.lines_dropped) : "");
  if (u.sockets.empty() && !u.argv.empty()) {
    out += "  sockets: the command held no TCP or UDP socket at any snapshot\n";
  }
  for (const auto& f : u.sockets) {
    out += fmt::format("  {} {} -> {} (first seen {}): {}", f.proto, f.local, f.peer,
                       ms_text(f.first_seen_us), f.outcome);
    if (f.outcome == "gone" && f.vanished_us) {
      out += fmt::format(", gone by {}", ms_text(*f.vanished_us));
    } else {
      out += ", " + f.end_state;
    }
    out += "\n";
    for (const auto& p : f.points) {
      out += fmt::format("      at {} ({}): {}\n", p.at, ms_text(p.t_us),
                         p.seen ? obs_text(*p.seen) : "gone");
    }
    for (const auto& c : f.changes) {
      out += fmt::format("      changed {} -> {} between {} and {}\n", c.from, c.to,
                         ms_text(c.after_us), ms_text(c.t_us));
    }
    if (f.outcome == "gone" && f.last_seen) {
      out += fmt::format("      last seen: {}\n", obs_text(*f.last_seen));
    }
  }
  if (!u.sockets.empty()) {
    out +=
        "  (the error a call returned is not in sock_diag: the states above and the command's own "
        "output say what is known)\n";
  }
  for (const auto& n : u.notes) {
    out += "  note: " + n + "\n";
  }
  return out;
}

}  // namespace ss::report
