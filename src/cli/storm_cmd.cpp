// `splitsecond storm sim ...` and `splitsecond storm real ...`: parse, call ss_storm, print.
#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "cli/commands.hpp"
#include "model/duration.hpp"
#include "model/errors.hpp"
#include "storm/output.hpp"
#include "storm/real.hpp"
#include "storm/reference.hpp"
#include "storm/simulator.hpp"
#include "storm/target.hpp"
#include "sys/event_loop.hpp"

namespace ss::cli {
namespace {

using namespace ss::storm;

// What both storms take, as the user wrote it.
struct CommonArgs {
  std::string policy = "full-jitter", base = "100ms", cap = "30s", attempt_timeout = "0s";
  double capacity = 0, rate_limit = 0, burst = 0;
  uint64_t backlog = 4096;
  std::string limit_action = "reject", handshake_cost = "0s", bucket = "100ms", max_time;
  uint64_t seed = 1;
  std::string json_path, csv_path, plot_path;
};

struct SimArgs : CommonArgs {
  uint64_t clients = 100'000, max_events = 4'000'000'000;
  std::string disconnect = "all", flap_interval = "1s", outage = "0s", rtt = "1ms", policies;
  uint32_t flaps = 1;
  bool compare = false, reference = false;
  uint32_t trials = 100;
};

struct RealArgs : CommonArgs {
  uint32_t clients = 1000, sources = 8;
  uint64_t max_attempts = 0;
  std::string server, sim_rtt = "0us", connect_time = "30s";
  bool compare_sim = false;
  bool ws_given = false, ws_echo = false;  // --ws [URL]
  std::string ws;
  std::vector<std::string> allow_networks;
  std::string disconnect = "all", flap_interval = "1s", outage = "0s";
  uint32_t flaps = 1;
  int listen_backlog = 65535;
};

int64_t ns(const std::string& text, const char* option) {
  auto d = parse_duration(text);
  if (!d)
    throw UsageError(
        fmt::format("{} {}: expected a duration with a unit, e.g. 200ms or 2s", option, text));
  return d->count() * 1000;
}

PolicyKind policy_kind(const std::string& name) {
  if (auto k = parse_policy_kind(name)) return *k;
  std::string known;
  for (PolicyKind k : all_policies())
    known += fmt::format("{}{}", known.empty() ? "" : ", ", policy_name(k));
  throw UsageError(fmt::format("--policy {}: unknown policy (known: {})", name, known));
}

Policy make_policy(const CommonArgs& a) {
  return Policy{policy_kind(a.policy), ns(a.base, "--base"), ns(a.cap, "--cap"),
                ns(a.attempt_timeout, "--attempt-timeout")};
}

ServerParams make_server(const CommonArgs& a) {
  ServerParams s{a.capacity, a.backlog,           a.rate_limit,
                 a.burst,    LimitAction::reject, ns(a.handshake_cost, "--handshake-cost")};
  if (a.limit_action == "drop") {
    s.action = LimitAction::drop;
  } else if (a.limit_action != "reject") {
    throw UsageError(fmt::format("--limit-action {}: expected reject or drop", a.limit_action));
  }
  return s;
}

template <typename Args>
DisconnectParams make_disconnect(const Args& a) {
  DisconnectParams d;
  d.flaps = a.flaps;
  d.flap_interval_ns = ns(a.flap_interval, "--flap-interval");
  d.outage_ns = ns(a.outage, "--outage");
  if (a.disconnect == "all") return d;
  auto colon = a.disconnect.find(':');
  std::string kind = a.disconnect.substr(0, colon);
  if (colon == std::string::npos || (kind != "uniform" && kind != "exponential")) {
    throw UsageError(fmt::format(
        "--disconnect {}: expected all, uniform:DURATION or exponential:DURATION", a.disconnect));
  }
  d.spread = kind == "uniform" ? Spread::uniform : Spread::exponential;
  d.spread_ns = ns(a.disconnect.substr(colon + 1), "--disconnect");
  return d;
}

void check_writable(const std::string& path, const char* option) {
  if (path.empty() || path == "-") return;
  std::ofstream f(path, std::ios::app);
  if (!f) throw UsageError(fmt::format("{} {}: cannot write there", option, path));
}

void write_file(const std::string& path, const std::string& text) {
  if (path == "-") {
    fmt::print("{}", text);
    return;
  }
  std::ofstream f(path, std::ios::trunc);
  f << text;
  if (!f) throw std::runtime_error("could not write " + path);
}

void check_outputs(const CommonArgs& a) {
  check_writable(a.json_path, "--json");
  check_writable(a.csv_path, "--csv");
  check_writable(a.plot_path, "--plot");
}

// Prints a progress line to stderr now and then on long runs.
class Progress {
 public:
  void line(const std::string& text) {
    int64_t now = sys::mono_ns();
    if (now - start_ < 1'000'000'000 || now - last_ < 500'000'000) return;
    last_ = now;
    shown_ = true;
    if (tty_) {
      fmt::print(stderr, "\r{:<78}", text);
    } else {
      fmt::print(stderr, "{}\n", text);
    }
  }
  ~Progress() {
    if (shown_ && tty_) fmt::print(stderr, "\n");
  }

 private:
  int64_t start_ = sys::mono_ns(), last_ = 0;
  bool tty_ = ::isatty(2) != 0, shown_ = false;
};

void write_outputs(const CommonArgs& a, const std::vector<RunResult>& runs,
                   const nlohmann::json& json, const std::vector<std::string>& labels,
                   const std::string& title) {
  if (!a.json_path.empty()) write_file(a.json_path, json.dump(2) + "\n");
  if (!a.csv_path.empty()) write_file(a.csv_path, render_csv(runs));
  if (!a.plot_path.empty()) write_file(a.plot_path, render_svg(runs, labels, title));
}

void run_reference(const SimArgs& a) {
  if (a.trials == 0 || a.trials > 10'000) throw UsageError("--trials: expected 1 to 10000");
  auto results = run_occ_experiment(a.trials, a.seed);
  fmt::print(
      "Backoff reference: clients updating one row with optimistic concurrency; network\n"
      "delay |normal(10ms, sd 2ms)|, base 5ms, cap 2s, {} trials each.\n\n{}",
      a.trials, render_occ_table(results));
  if (!a.json_path.empty()) write_file(a.json_path, occ_to_json(results).dump(2) + "\n");
}

void run_sim(const SimArgs& a) {
  check_outputs(a);
  if (a.reference) return run_reference(a);
  SimParams p;
  p.clients = a.clients;
  p.policy = make_policy(a);
  p.server = make_server(a);
  p.disconnect = make_disconnect(a);
  p.rtt_ns = ns(a.rtt, "--rtt");
  p.seed = a.seed;
  p.bucket_ns = ns(a.bucket, "--bucket");
  if (!a.max_time.empty()) p.max_time_ns = ns(a.max_time, "--max-time");
  p.max_events = a.max_events;
  std::vector<PolicyKind> kinds{p.policy.kind};
  if (a.compare) {
    kinds.assign(all_policies().begin(), all_policies().end());
    if (!a.policies.empty()) {
      kinds.clear();
      std::stringstream list(a.policies);
      for (std::string name; std::getline(list, name, ',');) kinds.push_back(policy_kind(name));
    }
  }
  for (PolicyKind k : kinds) {  // every run's parameters are checked before any runs
    p.policy.kind = k;
    validate(p);
  }
  std::vector<RunResult> runs;
  std::vector<Summary> summaries;
  std::vector<std::string> labels;
  for (PolicyKind k : kinds) {
    p.policy.kind = k;
    Progress progress;
    runs.push_back(simulate(p, [&](int64_t t, uint64_t back, uint64_t events) {
      progress.line(fmt::format("{}: t={:.1f}s back {}/{} events {}", policy_name(k),
                                static_cast<double>(t) / 1e9, back, p.clients, events));
    }));
    summaries.push_back(runs.back().summary);
    labels.emplace_back(policy_name(k));
  }
  fmt::print("{}", render_table(summaries));
  for (const Summary& s : summaries) {
    if (!s.complete)
      fmt::print("{}: not every client was back within the run's limits\n", s.policy);
  }
  nlohmann::json json;
  if (a.compare) {
    json["runs"] = nlohmann::json::array();
    for (const Summary& s : summaries) json["runs"].push_back(to_json(s));
  } else {
    json = to_json(summaries.front());
  }
  write_outputs(a, runs, json, labels,
                fmt::format("Reconnect rate, {} clients (simulated)", p.clients));
}

// --ws URL: a user's own WebSocket server, which must be on this machine unless its network
// is named with --allow-network.
WsUrl checked_ws_target(const RealArgs& a) {
  WsUrl u = parse_ws_url(a.ws, "--ws");
  std::vector<Network> allowed;
  for (const auto& n : a.allow_networks) allowed.push_back(parse_network(n));
  std::string why =
      target_refusal(ntohl(u.address.sin_addr.s_addr), local_ipv4_addresses(), allowed);
  if (!why.empty()) throw UsageError(fmt::format("--ws {}: {}", a.ws, why));
  return u;
}

std::string signed_count(int64_t v) {
  return fmt::format("{}{}", v > 0 ? "+" : "", v);
}

// What the kernel of the storm's namespace counted, beside the storm's figures.
void print_kernel(const RealResult& r) {
  if (!r.kernel_before || !r.kernel_after) return;
  KernelCounters d = counter_delta(*r.kernel_before, *r.kernel_after);
  fmt::print(
      "server's kernel (this network namespace, shared with whatever else runs in it), during "
      "the storm: ListenOverflows {}, ListenDrops {}, SYN cookies sent {}, resets sent {}\n",
      signed_count(d.listen_overflows), signed_count(d.listen_drops),
      signed_count(d.syncookies_sent), signed_count(d.out_rsts));
  if (r.sockets_at_end) {
    const PortSockets& s = *r.sockets_at_end;
    fmt::print(
        "sockets on the server's port {} at the end: established {}, SYN_RECV (half-open) {}, "
        "CLOSE_WAIT {}, other {}\n",
        r.server_port, s.established, s.syn_recv, s.close_wait, s.other);
  }
  if (d.listen_overflows > 0)
    fmt::print("the accept queue overflowed: the kernel dropped {} connection(s) at the listener\n",
               d.listen_overflows);
}

nlohmann::json kernel_json(const RealResult& r) {
  if (!r.kernel_before || !r.kernel_after) return nullptr;
  KernelCounters d = counter_delta(*r.kernel_before, *r.kernel_after);
  nlohmann::json j = {{"before", to_json(*r.kernel_before)},
                      {"after", to_json(*r.kernel_after)},
                      {"delta", to_json(d)},
                      {"accept_queue_overflowed", d.listen_overflows > 0},
                      {"server_port", r.server_port}};
  if (r.sockets_at_end) j["server_sockets_at_end"] = to_json(*r.sockets_at_end);
  return j;
}

void run_real_cmd(const RealArgs& a) {
  check_outputs(a);
  RealParams p;
  p.clients = a.clients;
  p.policy = make_policy(a);
  p.server = make_server(a);
  if (!a.server.empty()) p.target = parse_loopback_endpoint(a.server);
  p.websocket = a.ws_given;
  if (a.ws_given && !a.server.empty())
    throw UsageError("--server and --ws: give your WebSocket server as --ws ws://HOST:PORT/PATH");
  if (a.ws_given && !a.ws.empty()) p.ws_target = checked_ws_target(a);
  if (!a.allow_networks.empty() && !p.ws_target)
    throw UsageError("--allow-network: only with --ws URL (your own server)");
  p.echo = a.ws_echo;
  p.disconnect = make_disconnect(a);
  p.listen_backlog = a.listen_backlog;
  p.sources = a.sources;
  p.seed = a.seed;
  p.bucket_ns = ns(a.bucket, "--bucket");
  p.max_time_ns = a.max_time.empty() ? 60'000'000'000 : ns(a.max_time, "--max-time");
  p.connect_time_ns = ns(a.connect_time, "--connect-time");
  p.max_attempts = a.max_attempts;
  int64_t sim_rtt = ns(a.sim_rtt, "--sim-rtt");
  validate(p);
  RealResult real;
  {
    Progress progress;
    real = run_real(p, [&](int64_t t, uint64_t back, uint64_t attempts) {
      progress.line(fmt::format("real: t={:.1f}s back {}/{} attempts {}",
                                static_cast<double>(t) / 1e9, back, p.clients, attempts));
    });
  }
  const Summary& rs = real.run.summary;
  double secs = rs.time_to_all_ms.value_or(rs.duration_ms) / 1e3;
  fmt::print("{}", render_table({rs}));
  fmt::print("attempts per second over the recovery: {:.0f}\n",
             secs > 0 ? static_cast<double>(rs.attempts) / secs : 0);
  print_kernel(real);
  if (real.server) {
    const ServerStats& s = *real.server;
    fmt::print(
        "reference server: accepted {}, served {}, rate-limited {} (dropped {}), backlog full {}, "
        "abandoned {}\n",
        s.accepted, s.served, s.rejected, s.dropped, s.overflowed, s.abandoned);
  }
  if (!rs.complete) fmt::print("not every client was back within --max-time / --max-attempts\n");
  std::vector<RunResult> runs{real.run};
  std::vector<std::string> labels{"real " + rs.policy};
  nlohmann::json json = to_json(rs);
  json["kernel"] = kernel_json(real);
  json["protocol"] = p.websocket ? "websocket" : "tcp";
  if (a.compare_sim) {
    RunResult sim = simulate(sim_params_for(p, sim_rtt));
    fmt::print("\n{}", render_comparison(rs, sim.summary));
    json = {{"real", json}, {"sim", to_json(sim.summary)}};
    runs.push_back(sim);
    labels.push_back("sim " + rs.policy);
  }
  write_outputs(a, runs, json, labels, fmt::format("Reconnect rate, {} real clients", p.clients));
}

void add_common(CLI::App* cmd, CommonArgs& a) {
  cmd->add_option("--policy", a.policy,
                  "immediate, fixed, exponential, full-jitter, equal-jitter, decorrelated")
      ->capture_default_str();
  cmd->add_option("--base", a.base, "backoff base delay")->capture_default_str();
  cmd->add_option("--cap", a.cap, "backoff cap")->capture_default_str();
  cmd->add_option("--attempt-timeout", a.attempt_timeout,
                  "give up an attempt after this long (0s: never)")
      ->capture_default_str();
  cmd->add_option("--capacity", a.capacity, "server: connections served per second (0: unlimited)")
      ->capture_default_str();
  cmd->add_option("--backlog", a.backlog, "server: connections waiting to be served, at most")
      ->capture_default_str();
  cmd->add_option("--rate-limit", a.rate_limit,
                  "server: token bucket, new connections per second (0: none)")
      ->capture_default_str();
  cmd->add_option("--burst", a.burst,
                  "server: token bucket size (default: one second of --rate-limit)");
  cmd->add_option("--limit-action", a.limit_action, "server: reject (reset) or drop (never answer)")
      ->capture_default_str();
  cmd->add_option("--handshake-cost", a.handshake_cost,
                  "server: extra time per connection, e.g. TLS")
      ->capture_default_str();
  cmd->add_option("--seed", a.seed, "random seed: the same seed gives the same run")
      ->capture_default_str();
  cmd->add_option("--bucket", a.bucket, "time bucket for rates and --csv")->capture_default_str();
  cmd->add_option("--max-time", a.max_time, "stop after this much (simulated) time");
  cmd->add_option("--json", a.json_path, "write the summary as JSON to FILE");
  cmd->add_option("--csv", a.csv_path, "write per-bucket counts as CSV to FILE ('-': stdout)");
  cmd->add_option("--plot", a.plot_path, "write an SVG plot of the reconnect rate to FILE");
}

}  // namespace

void add_storm_commands(CLI::App& app) {
  auto* storm = app.add_subcommand("storm", "reconnect storms: simulated and real");
  storm->require_subcommand(1);

  auto sa = std::make_shared<SimArgs>();
  auto* sim = storm->add_subcommand("sim", "simulate N clients reconnecting after a disconnect");
  sim->add_option("-n,--clients", sa->clients, "clients")->capture_default_str();
  add_common(sim, *sa);
  sim->add_option("--disconnect", sa->disconnect, "all, uniform:DURATION or exponential:DURATION")
      ->capture_default_str();
  sim->add_option("--flaps", sa->flaps, "disconnects in a flicker train")->capture_default_str();
  sim->add_option("--flap-interval", sa->flap_interval, "time between flaps")
      ->capture_default_str();
  sim->add_option("--outage", sa->outage, "network down this long after each flap")
      ->capture_default_str();
  sim->add_option("--rtt", sa->rtt, "client-server round trip")->capture_default_str();
  sim->add_option("--max-events", sa->max_events, "stop after this many events")
      ->capture_default_str();
  sim->add_flag("--compare", sa->compare, "run several policies side by side (all, or --policies)");
  sim->add_option("--policies", sa->policies, "with --compare: a comma-separated list of policies");
  sim->add_flag("--reference", sa->reference,
                "run the built-in backoff reference experiment (OCC)");
  sim->add_option("--trials", sa->trials, "with --reference: trials per point")
      ->capture_default_str();
  sim->callback([sa] { run_sim(*sa); });

  auto ra = std::make_shared<RealArgs>();
  auto* real = storm->add_subcommand(
      "real", "a real storm: K TCP clients on loopback lose and regain their connection");
  real->add_option("-n,--clients", ra->clients, "real clients")->capture_default_str();
  add_common(real, *ra);
  real->add_option("--server", ra->server,
                   "your own server, ADDRESS:PORT on loopback (default: the built-in one)");
  real->add_option("--sources", ra->sources, "loopback source addresses 127.0.0.1..N")
      ->capture_default_str();
  real->add_option("--max-attempts", ra->max_attempts,
                   "stop after this many attempts (default 1000 per client)");
  real->add_option("--connect-time", ra->connect_time, "time allowed to connect every client first")
      ->capture_default_str();
  real->add_flag("--compare-sim", ra->compare_sim, "also simulate the same storm and show both");
  auto* ws = real->add_option("--ws", ra->ws,
                              "WebSocket clients; alone: against the built-in server (WebSocket "
                              "too), or ws://HOST:PORT/PATH: your own server")
                 ->expected(0, 1);
  real->add_flag("--ws-echo", ra->ws_echo,
                 "with --ws: a client is back when a first message echoes, not at the upgrade");
  real->add_option("--allow-network", ra->allow_networks,
                   "with --ws URL: let the storm go to this network (CIDR), off this machine");
  real->add_option("--disconnect", ra->disconnect,
                   "with --ws: all, uniform:DURATION or exponential:DURATION")
      ->capture_default_str();
  real->add_option("--flaps", ra->flaps, "with --ws: disconnects in a flicker train")
      ->capture_default_str();
  real->add_option("--flap-interval", ra->flap_interval, "with --ws: time between flaps")
      ->capture_default_str();
  real->add_option("--outage", ra->outage, "with --ws: network down this long after each flap")
      ->capture_default_str();
  real->add_option("--listen-backlog", ra->listen_backlog,
                   "the built-in server's listen(2) backlog (the kernel's accept queue)")
      ->capture_default_str();
  real->add_option("--sim-rtt", ra->sim_rtt,
                   "with --compare-sim: the round trip the simulator assumes")
      ->capture_default_str();
  real->callback([ra, ws] {
    ra->ws_given = ws->count() > 0;
    run_real_cmd(*ra);
  });
}

}  // namespace ss::cli
