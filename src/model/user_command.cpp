#include "model/user_command.hpp"

#include <sys/wait.h>

#include <cmath>
#include <map>
#include <unordered_map>

namespace ss {
namespace {

// Each snapshot's sockets by key, built once: a socket is looked up in every later snapshot.
using SnapshotIndex = std::vector<std::unordered_map<std::string, const SocketObs*>>;

SnapshotIndex index_of(const std::vector<SocketSnapshot>& snaps) {
  SnapshotIndex index(snaps.size());
  for (size_t i = 0; i < snaps.size(); ++i) {
    for (const auto& o : snaps[i].sockets) {
      index[i].emplace(o.key, &o);
    }
  }
  return index;
}

const SocketObs* find(const SnapshotIndex& index, size_t i, const std::string& key) {
  auto it = index[i].find(key);
  return it == index[i].end() ? nullptr : it->second;
}

// The state as a change names it: the kernel's state, "+closed" once the command let go.
std::string shown_state(const SocketObs* o) {
  if (!o) {
    return "gone";
  }
  return o->held ? o->state : o->state + "+closed";
}

SocketFate follow(const std::vector<SocketSnapshot>& snaps, const SnapshotIndex& index,
                  size_t first, const SocketObs& obs) {
  SocketFate f;
  f.key = obs.key;
  f.proto = obs.proto;
  f.local = obs.local;
  f.peer = obs.peer;
  f.first_seen_us = snaps[first].t_us;
  std::string prev = shown_state(&obs);
  const SocketObs* last = &obs;
  for (size_t i = first; i < snaps.size(); ++i) {
    const SocketObs* o = find(index, i, obs.key);
    if (o) {
      last = o;
      f.peer = o->peer;  // a connect after the first snapshot fills it in
      f.local = o->local;
    }
    const std::string now = shown_state(o);
    if (i > first && now != prev) {
      f.changes.push_back({snaps[i].t_us, snaps[i - 1].t_us, prev, now});
      if (!o && !f.vanished_us) {
        f.vanished_us = snaps[i].t_us;
      }
    }
    prev = now;
    if (!snaps[i].label.empty()) {
      f.points.push_back({snaps[i].label, snaps[i].t_us, o ? *o : std::optional<SocketObs>()});
    }
  }
  f.last_seen = *last;
  f.end_state = last->state;
  const SocketObs* at_end = find(index, snaps.size() - 1, obs.key);
  f.outcome = !at_end ? "gone" : at_end->held ? "open" : "closed";
  return f;
}

nlohmann::json obs_json(const SocketObs& o) {
  nlohmann::json j = {{"state", o.state},           {"held", o.held},
                      {"local", o.local},           {"peer", o.peer},
                      {"send_queue", o.send_queue}, {"recv_queue", o.recv_queue}};
  if (o.unacked) {
    j["unacked"] = *o.unacked;
  }
  if (o.retransmits) {
    j["retransmits"] = *o.retransmits;
  }
  if (o.total_retrans) {
    j["total_retrans"] = *o.total_retrans;
  }
  if (o.rto_ms) {
    j["rto_ms"] = *o.rto_ms;
  }
  if (o.last_data_recv_ms) {
    j["last_data_recv_ms"] = *o.last_data_recv_ms;
  }
  return j;
}

SocketObs obs_from(const nlohmann::json& j) {
  SocketObs o;
  o.state = j.value("state", "");
  o.held = j.value("held", false);
  o.local = j.value("local", "");
  o.peer = j.value("peer", "");
  o.send_queue = j.value("send_queue", 0u);
  o.recv_queue = j.value("recv_queue", 0u);
  auto opt = [&](const char* k, std::optional<uint32_t>& v) {
    if (j.contains(k)) {
      v = j[k].get<uint32_t>();
    }
  };
  opt("unacked", o.unacked);
  opt("retransmits", o.retransmits);
  opt("total_retrans", o.total_retrans);
  opt("rto_ms", o.rto_ms);
  opt("last_data_recv_ms", o.last_data_recv_ms);
  return o;
}

nlohmann::json exit_json(const CommandExit& e) {
  nlohmann::json j = {{"started", e.started}, {"exited", e.exited}};
  auto put = [&](const char* k, const auto& v) {
    j[k] = v ? nlohmann::json(*v) : nlohmann::json();
  };
  put("start_error", e.start_error);
  put("code", e.code);
  put("signal", e.signal);
  if (e.at_us) {
    j["at_ms"] = static_cast<double>(*e.at_us) / 1000.0;
  }
  put("ended_by", e.ended_by);
  return j;
}

CommandExit exit_from(const nlohmann::json& j) {
  CommandExit e;
  e.started = j.value("started", false);
  e.exited = j.value("exited", false);
  if (j.contains("start_error") && j["start_error"].is_string()) {
    e.start_error = j["start_error"].get<std::string>();
  }
  if (j.contains("code") && j["code"].is_number()) {
    e.code = j["code"].get<int>();
  }
  if (j.contains("signal") && j["signal"].is_number()) {
    e.signal = j["signal"].get<int>();
  }
  if (j.contains("at_ms")) {
    e.at_us = std::llround(j["at_ms"].get<double>() * 1000.0);
  }
  if (j.contains("ended_by") && j["ended_by"].is_string()) {
    e.ended_by = j["ended_by"].get<std::string>();
  }
  return e;
}

double ms(int64_t us) {
  return static_cast<double>(us) / 1000.0;
}

int64_t us_of(const nlohmann::json& j, const char* key) {
  return std::llround(j.value(key, 0.0) * 1000.0);
}

}  // namespace

std::vector<SocketFate> socket_fates(const std::vector<SocketSnapshot>& snapshots) {
  std::vector<SocketFate> out;
  const SnapshotIndex index = index_of(snapshots);
  std::map<std::string, bool> followed;
  for (size_t i = 0; i < snapshots.size(); ++i) {
    for (const auto& o : snapshots[i].sockets) {
      // Only what the command held is its own; an unheld socket is followed once it was.
      if (!o.held || followed[o.key]) {
        continue;
      }
      followed[o.key] = true;
      out.push_back(follow(snapshots, index, i, o));
    }
  }
  return out;
}

CommandExit exit_from_status(int wait_status, int64_t at_us) {
  CommandExit e;
  e.started = true;
  e.exited = true;
  e.at_us = at_us;
  if (WIFEXITED(wait_status)) {
    e.code = WEXITSTATUS(wait_status);
  }
  if (WIFSIGNALED(wait_status)) {
    e.signal = WTERMSIG(wait_status);
  }
  return e;
}

nlohmann::json user_command_json(const UserCommandRun& u) {
  nlohmann::json lines = nlohmann::json::array();
  for (const auto& l : u.lines) {
    lines.push_back({{"t_ms", ms(l.t_us)}, {"who", l.who}, {"stream", l.stream}, {"text", l.text}});
  }
  nlohmann::json sockets = nlohmann::json::array();
  for (const auto& f : u.sockets) {
    nlohmann::json points = nlohmann::json::array();
    for (const auto& p : f.points) {
      nlohmann::json pj = {{"at", p.at}, {"t_ms", ms(p.t_us)}};
      pj["socket"] = p.seen ? obs_json(*p.seen) : nlohmann::json();
      points.push_back(std::move(pj));
    }
    nlohmann::json changes = nlohmann::json::array();
    for (const auto& c : f.changes) {
      changes.push_back(
          {{"t_ms", ms(c.t_us)}, {"after_ms", ms(c.after_us)}, {"from", c.from}, {"to", c.to}});
    }
    nlohmann::json fj = {{"key", f.key},
                         {"proto", f.proto},
                         {"local", f.local},
                         {"peer", f.peer},
                         {"first_seen_ms", ms(f.first_seen_us)},
                         {"outcome", f.outcome},
                         {"end_state", f.end_state},
                         {"points", points},
                         {"changes", changes}};
    fj["vanished_ms"] = f.vanished_us ? nlohmann::json(ms(*f.vanished_us)) : nlohmann::json();
    fj["last_seen"] = f.last_seen ? obs_json(*f.last_seen) : nlohmann::json();
    sockets.push_back(std::move(fj));
  }
  nlohmann::json j = {{"argv", u.argv},
                      {"server_cmd", u.server_cmd},
                      {"env", u.env},
                      {"started_ms", ms(u.started_us)},
                      {"exit", exit_json(u.exit)},
                      {"lines", lines},
                      {"lines_dropped", u.lines_dropped},
                      {"sockets", sockets},
                      {"notes", u.notes}};
  if (!u.server_cmd.empty()) {
    j["server_exit"] = exit_json(u.server_exit);
  }
  if (u.server_listening) {
    j["server_listening"] = *u.server_listening;
  }
  return j;
}

UserCommandRun user_command_from_json(const nlohmann::json& j) {
  UserCommandRun u;
  u.argv = j.value("argv", std::vector<std::string>{});
  u.server_cmd = j.value("server_cmd", "");
  u.env = j.value("env", std::vector<std::string>{});
  u.started_us = us_of(j, "started_ms");
  if (j.contains("exit")) {
    u.exit = exit_from(j["exit"]);
  }
  if (j.contains("server_exit")) {
    u.server_exit = exit_from(j["server_exit"]);
  }
  for (const auto& l : j.value("lines", nlohmann::json::array())) {
    u.lines.push_back(
        {us_of(l, "t_ms"), l.value("who", ""), l.value("stream", ""), l.value("text", "")});
  }
  u.lines_dropped = j.value("lines_dropped", int64_t{0});
  for (const auto& fj : j.value("sockets", nlohmann::json::array())) {
    SocketFate f;
    f.key = fj.value("key", "");
    f.proto = fj.value("proto", "");
    f.local = fj.value("local", "");
    f.peer = fj.value("peer", "");
    f.first_seen_us = us_of(fj, "first_seen_ms");
    f.outcome = fj.value("outcome", "");
    f.end_state = fj.value("end_state", "");
    for (const auto& p : fj.value("points", nlohmann::json::array())) {
      SocketPoint pt{p.value("at", ""), us_of(p, "t_ms"), {}};
      if (p.contains("socket") && p["socket"].is_object()) {
        pt.seen = obs_from(p["socket"]);
      }
      f.points.push_back(std::move(pt));
    }
    for (const auto& c : fj.value("changes", nlohmann::json::array())) {
      f.changes.push_back(
          {us_of(c, "t_ms"), us_of(c, "after_ms"), c.value("from", ""), c.value("to", "")});
    }
    if (fj.contains("vanished_ms") && fj["vanished_ms"].is_number()) {
      f.vanished_us = us_of(fj, "vanished_ms");
    }
    if (fj.contains("last_seen") && fj["last_seen"].is_object()) {
      f.last_seen = obs_from(fj["last_seen"]);
    }
    u.sockets.push_back(std::move(f));
  }
  if (j.contains("server_listening") && j["server_listening"].is_string()) {
    u.server_listening = j["server_listening"].get<std::string>();
  }
  u.notes = j.value("notes", std::vector<std::string>{});
  return u;
}

}  // namespace ss
