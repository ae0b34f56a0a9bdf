#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/report_cmd.hpp"
#include "lab/claims_runner.hpp"
#include "lab/experiment.hpp"
#include "lab/ledger.hpp"
#include "lab/probe_storm.hpp"
#include "lab/user_command.hpp"
#include "model/claims.hpp"
#include "model/errors.hpp"
#include "model/scenario.hpp"
#include "model/sweep.hpp"
#include "model/vpn_variants.hpp"
#include "report/progress.hpp"
#include "report/timeline.hpp"
#include "report/user_command.hpp"
#include "storm/output.hpp"
#include "storm/policy.hpp"

namespace ss::cli {
namespace {

struct RunArgs {
  std::string scenario = "disconnect";
  std::string json_path, pcap_path, window;
  std::string vpn, client;  // override the scenario's vpn.kind / vpn.client
  std::string killswitch;   // overrides the scenario's killswitch
  std::string carrier_gap;  // hidden, for gap-sweep's labs: the carrier-up moved to this gap
  ReportFiles report;       // --html, --trace (cli/report_cmd.hpp)
  bool verbose = false;
  bool reap = false;   // --reap: `splitsecond reap` in the client namespace (every socket)
  uint32_t storm = 0;  // --storm N: the storm probe with N clients
  std::string storm_policy = "full-jitter";
  lab::UserCommandSpec user;  // `run SCENARIO -- CMD`, --server-cmd (docs/run-cmd.md)
  std::string lead;           // --lead: start CMD this long before t=0 (the scenario's before)
};

// --storm N adds the storm probe (lab/probe_storm.hpp) with N clients and the policy.
void apply_storm(Scenario& s, uint32_t clients, const std::string& policy) {
  if (clients == 0) return;
  if (clients > 20'000)
    throw UsageError(fmt::format("--storm {}: expected 1 to 20000 clients", clients));
  if (!storm::parse_policy_kind(policy))
    throw UsageError(fmt::format("--storm-policy {}: unknown policy", policy));
  lab::StormProbeOptions o = lab::storm_probe_options();
  o.clients = clients;
  o.policy = policy;
  lab::set_storm_probe_options(o);
  for (const auto& p : s.probes)
    if (p.name == "storm") return;
  for (const auto& k : known_probes())
    if (k.name == "storm") s.probes.push_back(k);
}

// Checks that an output file can be written before anything is built.
void check_writable(const std::string& path, const char* option) {
  if (path.empty()) return;
  std::ofstream f(path, std::ios::app);
  if (!f) throw UsageError(fmt::format("{} {}: cannot write there", option, path));
}

}  // namespace

// --vpn KIND and --client NAME replace the scenario's vpn.kind and vpn.client; --vpn alone
// takes that kind's first client (model/vpn_variants.cpp). Checked as a file's would be.
void apply_vpn_overrides(Scenario& s, const std::string& vpn, const std::string& client) {
  if (vpn.empty() && client.empty()) return;
  if (!vpn.empty() && vpn != s.vpn.kind) {
    s.vpn.kind = vpn;
    for (const auto& v : known_vpn_variants())
      if (v.kind == vpn) {
        s.vpn.client = v.client;
        break;
      }
  }
  if (!client.empty()) s.vpn.client = client;
  check_vpn_variant(s, !client.empty() ? "--client " + client : "--vpn " + vpn);
}

namespace {

void run(const RunArgs& a) {
  lab::check_user_command(a.user);         // a command that does not exist: exit 2, nothing built
  Scenario s = load_scenario(a.scenario);  // bad input is rejected before anything exists
  if (!a.lead.empty()) {
    s.before = duration_option(a.lead, "--lead");
    if (s.before > Micros(10'000'000))
      throw UsageError(fmt::format("--lead {}: expected at most 10s", a.lead));
  }
  apply_vpn_overrides(s, a.vpn, a.client);
  apply_storm(s, a.storm, a.storm_policy);
  override_killswitch(s, a.killswitch);  // --killswitch, checked with the client
  if (a.reap && !s.reap) s.reap = ReapSpec{};
  // gap-sweep's labs: the carrier-up moved to the gap, the window grown with it (model/sweep.hpp)
  if (!a.carrier_gap.empty())
    s = with_carrier_gap(std::move(s), duration_option(a.carrier_gap, "--carrier-gap"));
  lab::RunOptions o;
  o.pcap_path = a.pcap_path;
  o.verbose = a.verbose;
  o.user = a.user;
  if (!a.window.empty()) {
    auto w = parse_duration(a.window);
    if (!w || *w < Micros(100'000) || *w > Micros(60'000'000))
      throw UsageError(
          fmt::format("--window {}: expected a duration from 100ms to 60s, e.g. 3s", a.window));
    o.window = *w;
  }
  check_writable(a.json_path, "--json");
  check_writable(a.pcap_path, "--pcap");
  check_report_files(a.report);
  lab::preflight(s);
  RunRecord r = lab::run_experiment(s, o);
  fmt::print("{}", report::render_run(r));
  for (const auto& p : r.probes)  // run --storm: the storm as the server saw it
    if (p.extra.contains("storm")) fmt::print("\n{}", storm::render_lab_storm(p.extra["storm"]));
  if (r.killswitch) fmt::print("{}", render_killswitch(*r.killswitch));
  if (r.user_command) fmt::print("{}", report::render_user_command(*r.user_command));
  if (!a.json_path.empty()) {
    std::ofstream f(a.json_path, std::ios::trunc);
    f << to_json(r).dump(2) << '\n';
    if (!f) throw std::runtime_error("could not write " + a.json_path);
  }
  write_report_files(r, a.report);
}

// `run SCENARIO [options] -- CMD [ARGS...]` and --server-cmd (lab/user_command.hpp).
void add_user_command_options(CLI::App& run_cmd, RunArgs& args) {
  run_cmd.add_option("command", args.user.argv,
                     "after --: your command, run in the client namespace (as `ip netns exec` "
                     "would) from `before` ahead of t=0 to the end of the window; its output goes "
                     "on the timeline, its TCP/UDP sockets are followed through sock_diag");
  run_cmd.add_option("--server-cmd", args.user.server_cmd,
                     "a shell command (sh -c) run in the server namespace before CMD; CMD starts "
                     "once it listens (or after 10 s)");
  run_cmd.add_option("--lead", args.lead,
                     "start CMD this long before t=0 (the scenario's `before`, default 500ms)");
  run_cmd.footer(
      "Both commands get: SPLITSECOND_SERVER_IP, SPLITSECOND_SERVER_IP6 (the app server), "
      "SPLITSECOND_CLIENT_IP, SPLITSECOND_CLIENT_IP6 (the client's physical addresses), "
      "SPLITSECOND_TUNNEL_IP, SPLITSECOND_TUNNEL_IF, SPLITSECOND_PHYSICAL_IF, "
      "SPLITSECOND_T0_IN_MS (t=0 comes this long after CMD starts), SPLITSECOND_WINDOW_MS, "
      "SPLITSECOND_NETNS (the namespace it runs in). Example: splitsecond run disconnect "
      "--server-cmd 'iperf3 -s -B $SPLITSECOND_SERVER_IP' -- sh -c 'iperf3 -c "
      "$SPLITSECOND_SERVER_IP -t 5 --forceflush' (single quotes: the variables are the lab's, "
      "expanded inside it). See docs/run-cmd.md.");
}

}  // namespace

void add_lab_commands(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  auto* run_cmd =
      app.add_subcommand("run", "build the lab, disconnect the VPN, record the split second");
  run_cmd
      ->add_option("scenario", args->scenario,
                   "a built-in scenario (see `splitsecond scenarios`) or a TOML file")
      ->capture_default_str();
  run_cmd->add_option("--json", args->json_path,
                      "write the record (schema splitsecond.run/1) to FILE");
  run_cmd->add_option("--pcap", args->pcap_path,
                      "keep the capture of the client's physical interface (pcap, ns timestamps)");
  run_cmd->add_option("--window", args->window,
                      "observation window after the disconnect (default: the scenario's, 3s)");
  run_cmd->add_option("--vpn", args->vpn,
                      "the VPN kind instead of the scenario's vpn.kind (e.g. wireguard)");
  run_cmd->add_option("--client", args->client,
                      "the VPN client instead of the scenario's vpn.client (reference, wg-quick)");
  run_cmd->add_flag("-v,--verbose", args->verbose, "print each phase");
  run_cmd->add_option("--storm", args->storm,
                      "add a reconnect storm: N WebSocket clients through the tunnel");
  run_cmd
      ->add_option("--storm-policy", args->storm_policy,
                   "the storm clients' backoff policy (see storm sim)")
      ->capture_default_str();
  run_cmd
      ->add_option("--killswitch", args->killswitch,
                   "the kill switch instead of the scenario's: ours (the default when given "
                   "alone), wg-quick-recipe, none")
      ->expected(0, 1)
      ->default_str("ours");
  run_cmd->add_flag("--reap", args->reap,
                    "run `splitsecond reap` in the client namespace: the sockets of an address "
                    "that goes away are destroyed (a scenario's [reap] table does it too)");
  add_user_command_options(*run_cmd, *args);
  add_report_options(*run_cmd, args->report);
  run_cmd->add_option("--carrier-gap", args->carrier_gap)->group("");  // gap-sweep's labs
  run_cmd->callback([args] { run(*args); });  // errors (and Interrupted) are mapped in main

  auto claims_json = std::make_shared<std::string>();
  auto claims_files = std::make_shared<ReportFiles>();
  auto claims_clients = std::make_shared<std::vector<std::string>>();
  auto* claims = app.add_subcommand(
      "claims", "test each claim of the article on this kernel and give a verdict");
  claims->add_option("--json", *claims_json,
                     "write the verdicts (schema splitsecond.claims/1) to FILE");
  claims
      ->add_option("--clients,--client", *claims_clients,
                   "the VPN clients whose client-dependent claims are measured, comma-separated "
                   "(default: reference,wg-quick,openvpn)")
      ->delimiter(',');
  auto claims_per_client = std::make_shared<bool>(false);
  claims->add_flag("--per-client-only", *claims_per_client,
                   "run only the variants the client-dependent claims read (the others are then "
                   "not measured)");
  add_report_options(*claims, *claims_files);
  claims->callback([claims_json, claims_files, claims_clients, claims_per_client] {
    check_writable(*claims_json, "--json");
    check_report_files(*claims_files);
    std::vector<std::string> clients;
    for (const auto& c : *claims_clients) {
      if (c.empty()) throw UsageError("--clients: an empty client name");
      if (std::find(clients.begin(), clients.end(), c) == clients.end()) clients.push_back(c);
    }
    // Progress on a terminal only (what runs now, i of n, the time left); quiet when piped.
    const bool tty = ::isatty(STDOUT_FILENO) == 1;
    const auto started = std::chrono::steady_clock::now();
    auto runs = lab::run_claim_experiments(
        {}, clients, *claims_per_client,
        [tty, started](size_t done, size_t total, const std::string& what) {
          if (!tty) return;
          const double s =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
          fmt::print(stderr, "splitsecond: claims {}\n",
                     report::progress_line(done, total, what, s));
        });
    auto results = evaluate_claims(runs, clients.empty() ? lab::claim_clients() : clients);
    fmt::print("{}", render_claims(results));
    if (!claims_json->empty()) {
      std::ofstream f(*claims_json, std::ios::trunc);
      f << claims_to_json(results).dump(2) << '\n';
      if (!f) throw std::runtime_error("could not write " + *claims_json);
    }
    write_report_files(results, runs, *claims_files);
  });

  auto* list = app.add_subcommand("scenarios", "list the built-in scenarios");
  list->callback([] {
    size_t width = 0;
    for (const auto& [name, summary] : builtin_scenarios()) width = std::max(width, name.size());
    for (const auto& [name, summary] : builtin_scenarios())
      fmt::print("{:<{}} {}\n", name, width, summary);
  });

  auto prefixes = std::make_shared<std::vector<std::string>>();
  auto* cleanup = app.add_subcommand(
      "cleanup", "remove what killed runs left behind (namespaces, processes, files)");
  cleanup->add_option("prefix", *prefixes,
                      "run prefixes (ss-xxxxxx); default: every run whose process is gone");
  cleanup->callback([prefixes] {
    if (::geteuid() != 0) throw EnvironmentError("cleanup removes namespaces and needs root");
    auto lines = lab::cleanup_leftovers(*prefixes);
    for (const auto& l : lines) fmt::print("{}\n", l);
    if (lines.empty()) fmt::print("nothing to clean up\n");
  });
}

}  // namespace ss::cli
