// `splitsecond killswitch on|off|status`: the kill switch of model/killswitch.hpp on a real
// host (or whatever network namespace this process runs in). It owns one nftables table and
// changes nothing else: `on` replaces that table in one transaction (idempotent), `off`
// deletes it, `status` shows its state and counters.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <net/if.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "cli/commands.hpp"
#include "lab/experiment.hpp"
#include "lab/killswitch_lab.hpp"
#include "model/errors.hpp"
#include "model/killswitch.hpp"
#include "model/killswitch_run.hpp"
#include "model/vpn_variants.hpp"
#include "probes/emit.hpp"
#include "sys/event_loop.hpp"
#include "sys/nftables.hpp"
#include "sys/syserror.hpp"

namespace ss::cli {
namespace {

struct KillSwitchArgs {
  std::string state = "connected";
  std::vector<std::string> endpoints, dns, tunnel_addrs;
  std::string tunnel;
  bool allow_lan = false, no_ipv6 = false, drop = false, dry_run = false;
};

bool valid_ifname(const std::string& n) {
  return !n.empty() && n.size() < IFNAMSIZ && n.find_first_of("/ \t\n\"") == std::string::npos;
}

KillSwitchSpec spec_from(const KillSwitchArgs& a) {
  KillSwitchSpec s;
  auto state = tunnel_state_from(a.state);
  if (!state)
    throw UsageError(fmt::format(
        "--state {}: expected one of connecting, connected, disconnecting, blocked", a.state));
  s.state = *state;
  for (const auto& e : a.endpoints) {
    auto ep = parse_endpoint(e);
    if (!ep)
      throw UsageError(
          fmt::format("--endpoint {}: expected ADDR:PORT[/udp|/tcp], e.g. 198.51.100.1:51820 or "
                      "[2001:db8::1]:51820/udp",
                      e));
    s.endpoints.push_back(*ep);
  }
  auto addresses = [](const std::vector<std::string>& in, const char* option) {
    std::vector<IpPrefix> out;
    for (const auto& text : in) {
      auto p = IpPrefix::parse(text);
      if (!p || text.find('/') != std::string::npos)
        throw UsageError(fmt::format("{} {}: expected an IP address", option, text));
      out.push_back(*p);
    }
    return out;
  };
  s.tunnel_dns = addresses(a.dns, "--dns");
  s.tunnel_addrs = addresses(a.tunnel_addrs, "--tunnel-addr");
  if (!a.tunnel.empty() && !valid_ifname(a.tunnel))
    throw UsageError(fmt::format("--tunnel {}: not a valid interface name", a.tunnel));
  s.tunnel_if = a.tunnel;
  if ((s.state == TunnelState::connecting || s.state == TunnelState::connected) &&
      s.endpoints.empty())
    throw UsageError(
        fmt::format("--state {} needs --endpoint ADDR:PORT (the VPN server)", a.state));
  if (s.state == TunnelState::connected) {
    if (s.tunnel_if.empty()) throw UsageError("--state connected needs --tunnel IFACE");
    // Matched by name, so the rules hold for a tunnel created later; but a connected state
    // names a tunnel that is up now: a typo here would block everything.
    if (::if_nametoindex(s.tunnel_if.c_str()) == 0)
      throw UsageError(fmt::format(
          "--tunnel {}: no such interface here (use --state connecting until the tunnel "
          "exists)",
          s.tunnel_if));
  }
  s.allow_lan = a.allow_lan;
  s.ipv6 = !a.no_ipv6;
  s.reject = !a.drop;
  return s;
}

// Runs a batch here; an nftables that is missing or refuses is this machine's limit (exit 3).
std::string run_batch(const std::string& batch) {
  const sys::NftResult r = sys::nft_run(batch);
  if (!r.ok)
    throw EnvironmentError(fmt::format(
        "nftables refused the kill switch (libnftables): {}; this needs root (CAP_NET_ADMIN) "
        "and a kernel with nf_tables, its inet family and the reject expression",
        r.error));
  return r.output;
}

bool table_exists(const std::string& table) {
  const sys::NftResult r = sys::nft_run("list tables inet");
  if (!r.ok) run_batch("list tables inet");  // throws with the reason
  return r.output.find("table inet " + table + "\n") != std::string::npos;
}

// ---- the app agent: what an application gets when it is blocked (issue 9, item 5) ----

std::optional<sockaddr_in> ipv4_endpoint(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  if (::inet_pton(AF_INET, text.substr(0, colon).c_str(), &a.sin_addr) != 1) return std::nullopt;
  const std::string port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  a.sin_port = htons(static_cast<uint16_t>(std::stoi(port)));
  return a;
}

std::string gai_name(int rc) {
  switch (rc) {
    case EAI_AGAIN:
      return "EAI_AGAIN";
    case EAI_FAIL:
      return "EAI_FAIL";
    case EAI_NONAME:
      return "EAI_NONAME";
    case EAI_NODATA:
      return "EAI_NODATA";
    case EAI_SYSTEM:
      return "EAI_SYSTEM (" + sys::errno_name(errno) + ")";
    default:
      return fmt::format("EAI {}", rc);
  }
}

double since_ms(int64_t start_ns) {
  return static_cast<double>(sys::mono_ns() - start_ns) / 1e6;
}

// One operation's outcome so far; the agent prints it when the operation ends or the bound does.
struct Outcome {
  std::string op, error, detail;
  std::optional<double> after_ms;
  bool done = false;
};

// A TCP connect: the error (SO_ERROR) or success, and when; unset after_ms when it hung.
void try_connect(const sockaddr_in& to, int bound_ms, Outcome& o) {
  const int64_t start = sys::mono_ns();
  sys::Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0) {
    o.after_ms = since_ms(start);
    return;
  }
  if (errno != EINPROGRESS) {
    o.error = sys::errno_name(errno), o.after_ms = since_ms(start);
    return;
  }
  pollfd p{fd.get(), POLLOUT, 0};
  if (::poll(&p, 1, bound_ms) <= 0) return;  // hung until the bound
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
  o.after_ms = since_ms(start);
  if (err) o.error = sys::errno_name(err);
}

// A UDP send on a connected socket: its own error, then whatever error the network sends back
// (an ICMP error surfaces on the socket) within the bound.
void try_send(const sockaddr_in& to, int bound_ms, Outcome& o) {
  const int64_t start = sys::mono_ns();
  sys::Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to) < 0) {
    o.error = "connect: " + sys::errno_name(errno), o.after_ms = since_ms(start);
    return;
  }
  const char msg[] = "splitsecond";
  if (::send(fd.get(), msg, sizeof msg, 0) < 0) o.error = sys::errno_name(errno);
  o.after_ms = since_ms(start);
  pollfd p{fd.get(), POLLIN | POLLERR, 0};
  if (::poll(&p, 1, bound_ms) <= 0) {
    o.detail = fmt::format("then nothing within {} ms", bound_ms);
    return;
  }
  char buf[64];
  if (::recv(fd.get(), buf, sizeof buf, MSG_DONTWAIT) < 0)
    o.detail = fmt::format("then {} after {:.1f} ms", sys::errno_name(errno), since_ms(start));
  else
    o.detail = fmt::format("then an answer after {:.1f} ms", since_ms(start));
}

// A DNS lookup as applications make it: getaddrinfo, through the namespace's resolv.conf.
void try_lookup(const std::string& name, Outcome& o) {
  const int64_t start = sys::mono_ns();
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(name.c_str(), "80", &hints, &res);
  o.after_ms = since_ms(start);
  if (rc != 0) o.error = gai_name(rc);
  if (res) ::freeaddrinfo(res);
}

struct AppAgentArgs {
  std::string connect, udp, name, bound = "3s";
};

void run_app_agent(const AppAgentArgs& a) {
  const auto bound = parse_duration(a.bound);
  const auto tcp = ipv4_endpoint(a.connect), udp = ipv4_endpoint(a.udp);
  if (!bound || !tcp || !udp)
    throw UsageError("ks-app: expected --connect IP:PORT --udp IP:PORT --bound DURATION");
  const int bound_ms = static_cast<int>(bound->count() / 1000);
  // Shared with threads that may outlive this function (a lookup stuck in the resolver):
  // they are detached and hold the state by shared_ptr.
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    Outcome ops[3];
  };
  auto st = std::make_shared<State>();
  st->ops[0].op = "connect", st->ops[1].op = "send", st->ops[2].op = "dns";
  auto run = [st](int i, const std::function<void(Outcome&)>& f) {
    std::thread([st, i, f] {
      Outcome o;
      o.op = st->ops[i].op;
      f(o);
      o.done = true;
      std::lock_guard<std::mutex> lock(st->mu);
      st->ops[i] = o;
      st->cv.notify_all();
    }).detach();
  };
  run(0, [bound_ms, to = *tcp](Outcome& o) { try_connect(to, bound_ms, o); });
  run(1, [bound_ms, to = *udp](Outcome& o) { try_send(to, bound_ms, o); });
  run(2, [name = a.name](Outcome& o) { try_lookup(name, o); });
  std::unique_lock<std::mutex> lock(st->mu);
  st->cv.wait_for(lock, std::chrono::milliseconds(bound_ms + 500),
                  [&] { return st->ops[0].done && st->ops[1].done && st->ops[2].done; });
  for (const auto& o : st->ops)
    probes::emit("ks-app", "outcome",
                 {{"op", o.op},
                  {"error", o.done ? o.error : ""},
                  {"after_ms", o.done && o.after_ms ? nlohmann::json(*o.after_ms) : nullptr},
                  {"bound_ms", bound_ms},
                  {"detail", o.detail}});
  std::fflush(stdout);
}

// ---- killswitch-compare: none, the wg-quick recipe and ours, side by side ----

// --client NAME as `run --client` takes it, with OpenVPN's own kind, program and port.
void use_client(Scenario& s, const std::string& client) {
  if (client == "openvpn") {
    s.vpn.kind = "openvpn", s.vpn.client = "openvpn", s.vpn.implementation = "openvpn";
    if (s.vpn.port == 51820) s.vpn.port = 1194;
  } else {
    if (s.vpn.kind == "openvpn") s.vpn.implementation = "wireguard-go";
    if (s.vpn.kind == "openvpn" && s.vpn.port == 1194) s.vpn.port = 51820;
    s.vpn.kind = "wireguard", s.vpn.client = client;
  }
  check_vpn_variant(s, "--client " + client);
}

std::string leak_window(const ActionLeaks& a) {
  if (a.count == 0) return fmt::format("{}: none", a.action);
  return fmt::format("{}: {} from {:.1f} to {:.1f} ms", a.action, a.count, a.first_ms.value_or(0),
                     a.last_ms.value_or(0));
}

std::string compare_row(const std::string& scenario, const std::string& client,
                        const std::string& ks, const RunRecord& r) {
  const LeakDetail d = r.leaks.detail.value_or(LeakDetail{});
  auto both = [](const LeakCount& c) { return c.ipv4 + c.ipv6; };
  const int total = both(d.dns) + both(d.tcp) + both(d.udp) + both(d.icmp) + both(d.other);
  std::string windows;
  for (const auto& a : d.per_action) windows += (windows.empty() ? "" : "; ") + leak_window(a);
  return fmt::format("{:<11} {:<9} {:<16} {:>6} {:>5} {:>5} {:>5} {:>5} {:>5} {:>5}  {}\n",
                     scenario, client, ks, total, both(d.dns), both(d.tcp), both(d.udp),
                     both(d.icmp), both(d.other), d.ipv6_total(), windows);
}

struct CompareArgs {
  std::vector<std::string> scenarios, clients;
  std::string json_path;
  bool verbose = false;
};

void compare(const CompareArgs& a) {
  std::vector<std::string> scenarios = a.scenarios;
  if (scenarios.empty()) scenarios = {"disconnect", "crash", "flicker", "reconnect"};
  std::vector<std::pair<Scenario, std::string>> runs;  // checked before anything is built
  for (const auto& name : scenarios) {
    const Scenario base = load_scenario(name);
    std::vector<std::string> clients = a.clients;
    if (clients.empty()) clients = {base.vpn.client};
    for (const auto& client : clients) {
      Scenario s = base;
      use_client(s, client);
      for (auto k : {KillSwitchKind::none, KillSwitchKind::wg_quick_recipe, KillSwitchKind::ours}) {
        if (!killswitch_client_problem(k, s.vpn.client).empty()) continue;
        Scenario v = s;
        v.killswitch = killswitch_kind_name(k);
        runs.emplace_back(v, name);
      }
    }
  }
  if (!a.json_path.empty()) {
    std::ofstream f(a.json_path, std::ios::app);
    if (!f) throw UsageError(fmt::format("--json {}: cannot write there", a.json_path));
  }
  for (const auto& [s, name] : runs) lab::preflight(s), lab::killswitch_preflight(s);
  std::string table =
      fmt::format("{:<11} {:<9} {:<16} {:>6} {:>5} {:>5} {:>5} {:>5} {:>5} {:>5}  {}\n", "scenario",
                  "client", "kill switch", "leaked", "dns", "tcp", "udp", "icmp", "other", "ipv6",
                  "leak window per action");
  nlohmann::json records = nlohmann::json::array();
  for (const auto& [s, name] : runs) {
    fmt::print(stderr, "splitsecond: {} with {}, kill switch {}\n", name, s.vpn.client,
               s.killswitch);
    lab::RunOptions o;
    o.verbose = a.verbose;
    const RunRecord r = lab::run_experiment(s, o);
    table += compare_row(name, s.vpn.client, s.killswitch, r);
    records.push_back(to_json(r));
  }
  fmt::print("{}", table);
  if (!a.json_path.empty()) {
    std::ofstream f(a.json_path, std::ios::trunc);
    f << records.dump(2) << '\n';
    if (!f) throw std::runtime_error("could not write " + a.json_path);
  }
}

}  // namespace

void add_killswitch_agents(CLI::App& agent) {
  auto a = std::make_shared<AppAgentArgs>();
  auto* app = agent.add_subcommand(
      "ks-app", "a TCP connect, a UDP send and a DNS lookup: what each got, and when");
  app->add_option("--connect", a->connect, "IP:PORT to connect to (TCP)")->required();
  app->add_option("--udp", a->udp, "IP:PORT to send one datagram to")->required();
  app->add_option("--name", a->name, "the name to look up")->required();
  app->add_option("--bound", a->bound, "how long to wait for each")->capture_default_str();
  app->callback([a] { run_app_agent(*a); });
}

void add_killswitch_commands(CLI::App& app) {
  auto* ks = app.add_subcommand("killswitch",
                                "a firewall kill switch (nftables): only the VPN leaves; on, off, "
                                "status (docs/killswitch.md)");
  ks->require_subcommand(1);
  auto a = std::make_shared<KillSwitchArgs>();

  auto* on = ks->add_subcommand("on", "apply (or replace) the kill switch table, in one batch");
  on->add_option("--state", a->state, "connecting, connected, disconnecting or blocked")
      ->capture_default_str();
  on->add_option("--endpoint", a->endpoints, "the VPN server, ADDR:PORT[/udp|/tcp] (repeatable)");
  on->add_option("--tunnel", a->tunnel, "the tunnel interface's name, e.g. wg0 or tun0");
  on->add_option("--tunnel-addr", a->tunnel_addrs,
                 "the tunnel's own address (repeatable): unreachable from other interfaces");
  on->add_option("--dns", a->dns, "the tunnel's resolver, the only DNS allowed (repeatable)");
  on->add_flag("--allow-lan", a->allow_lan, "let private and link-local networks through");
  on->add_flag("--no-ipv6", a->no_ipv6, "nothing but link housekeeping over IPv6");
  on->add_flag("--drop", a->drop, "drop blocked packets instead of rejecting them");
  on->add_flag("--dry-run", a->dry_run, "print the ruleset and change nothing");
  on->callback([a] {
    const std::string batch = killswitch_ruleset(spec_from(*a));
    if (a->dry_run) {
      fmt::print("{}", batch);
      return;
    }
    run_batch(batch);
    fmt::print("splitsecond: kill switch on ({}), table inet {}\n", a->state,
               KillSwitchSpec{}.table);
  });

  auto off_dry = std::make_shared<bool>(false);
  auto* off = ks->add_subcommand("off", "remove the kill switch table (and nothing else)");
  off->add_flag("--dry-run", *off_dry, "print the batch and change nothing");
  off->callback([off_dry] {
    const std::string table = KillSwitchSpec{}.table;
    if (*off_dry) {
      fmt::print("{}", killswitch_off(table));
      return;
    }
    const bool was_on = table_exists(table);
    run_batch(killswitch_off(table));
    fmt::print("splitsecond: kill switch {}\n", was_on ? "off" : "was not on; nothing changed");
  });

  auto* status = ks->add_subcommand("status", "the kill switch's state and rule counters");
  status->callback([] {
    const std::string table = KillSwitchSpec{}.table;
    if (!table_exists(table)) {
      fmt::print("kill switch: off (no table inet {})\n", table);
      return;
    }
    const std::string listing = run_batch("list table inet " + table);
    // The state is in the table's comment ("splitsecond kill switch: STATE").
    const std::string mark = "splitsecond kill switch: ";
    const auto at = listing.find(mark);
    const std::string state =
        at == std::string::npos
            ? "unknown"
            : listing.substr(at + mark.size(),
                             listing.find('"', at + mark.size()) - at - mark.size());
    fmt::print("kill switch: {} (table inet {})\n{}", state, table, listing);
  });

  auto c = std::make_shared<CompareArgs>();
  auto* cmp = app.add_subcommand(
      "killswitch-compare",
      "run scenarios with no kill switch, wg-quick's recipe (wg-quick only) and ours; print the "
      "leaked packets and leak windows side by side");
  cmp->add_option("scenario", c->scenarios,
                  "built-in scenarios or TOML files (default: disconnect crash flicker reconnect)");
  cmp->add_option("--client", c->clients,
                  "VPN clients to run each with (reference, wg-quick, openvpn; repeatable; "
                  "default: the scenario's)");
  cmp->add_option("--json", c->json_path, "write every run's record (a JSON array) to FILE");
  cmp->add_flag("-v,--verbose", c->verbose, "print each run's phases");
  cmp->callback([c] { compare(*c); });

  auto apps_bound = std::make_shared<std::string>("3s");
  auto apps_json = std::make_shared<std::string>();
  auto* apps = app.add_subcommand(
      "killswitch-apps",
      "what applications get when the kill switch blocks them: a TCP connect, a UDP send and a "
      "DNS lookup without a kill switch, and under ours rejecting and dropping");
  apps->add_option("--bound", *apps_bound, "how long each operation may wait")
      ->capture_default_str();
  apps->add_option("--json", *apps_json, "write the outcomes to FILE");
  auto apps_verbose = std::make_shared<bool>(false);
  apps->add_flag("-v,--verbose", *apps_verbose, "print each phase");
  apps->callback([apps_bound, apps_json, apps_verbose] {
    const auto bound = parse_duration(*apps_bound);
    if (!bound || *bound < Micros(100'000) || *bound > Micros(30'000'000))
      throw UsageError(
          fmt::format("--bound {}: expected a duration from 100ms to 30s, e.g. 3s", *apps_bound));
    if (!apps_json->empty() && !std::ofstream(*apps_json, std::ios::app))
      throw UsageError(fmt::format("--json {}: cannot write there", *apps_json));
    const Scenario s = load_scenario("disconnect");
    lab::preflight(s);
    const auto views = lab::measure_app_views(s, *bound, *apps_verbose);
    fmt::print("{}", render_app_views(views));
    if (!apps_json->empty()) {
      std::ofstream f(*apps_json, std::ios::trunc);
      f << app_views_json(views).dump(2) << '\n';
      if (!f) throw std::runtime_error("could not write " + *apps_json);
    }
  });
}

}  // namespace ss::cli
