// `splitsecond gap-sweep` and `splitsecond merge` (docs/sweep.md). Each lab of a sweep is a
// separate `splitsecond run SCENARIO --carrier-gap GAP --json FILE` process, so that labs never
// share a signal mask, threads or netlink sockets; this process only schedules them, bounds
// them in time and aggregates their records (model/sweep.hpp).
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <list>
#include <sstream>
#include <thread>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/report_cmd.hpp"
#include "lab/experiment.hpp"
#include "model/errors.hpp"
#include "model/scenario.hpp"
#include "model/sweep.hpp"
#include "report/progress.hpp"
#include "report/survival.hpp"
#include "report/sweep_svg.hpp"
#include "report/sweep_table.hpp"
#include "sys/fd.hpp"
#include "sys/process.hpp"
#include "sys/syserror.hpp"

namespace ss::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// A lab ended by SIGTERM tears itself down; this is how long it is given before SIGKILL.
constexpr std::chrono::seconds kTeardownGrace{30};

struct SweepArgs {
  std::string scenario = "flicker";
  std::string gaps, vpn, client, shard, json_path, svg_path, html_path, records_dir, lab_limit;
  int reps = 1;
  int jobs = 0;          // 0: the number of cores
  bool verbose = false;  // each lab prints its phases into its log
};

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream text;
  text << f.rdbuf();
  return text.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::trunc);
  f << text;
  if (!f) {
    throw std::runtime_error("could not write " + path);
  }
}

void check_writable(const std::string& path, const char* option) {
  if (path.empty()) {
    return;
  }
  std::ofstream f(path, std::ios::app);
  if (!f) {
    throw UsageError(fmt::format("{} {}: cannot write there", option, path));
  }
}

std::string last_line(const std::string& text) {
  std::istringstream in(text);
  std::string line, last;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) {
      last = line;
    }
  }
  return last;
}

std::string self_exe() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) {
    throw sys::SysError("readlink", "/proc/self/exe", ec.value());
  }
  return p.string();
}

// SIGINT/SIGTERM/SIGHUP blocked while labs run, read from a signalfd (the children start with
// an empty mask: sys::spawn clears it).
class BlockedSignals {
 public:
  BlockedSignals() {
    sigemptyset(&set_);
    for (int s : {SIGINT, SIGTERM, SIGHUP}) {
      sigaddset(&set_, s);
    }
    sys::check(::sigprocmask(SIG_BLOCK, &set_, &old_), "sigprocmask", "SIGINT/SIGTERM/SIGHUP");
    fd_.reset(static_cast<int>(
        sys::check(::signalfd(-1, &set_, SFD_NONBLOCK | SFD_CLOEXEC), "signalfd", "sweep")));
  }
  ~BlockedSignals() {
    fd_.reset();
    timespec zero{};
    while (::sigtimedwait(&set_, nullptr, &zero) > 0) {
    }
    ::sigprocmask(SIG_SETMASK, &old_, nullptr);
  }
  BlockedSignals(const BlockedSignals&) = delete;
  BlockedSignals& operator=(const BlockedSignals&) = delete;
  int fd() const { return fd_.get(); }
  int received() {
    signalfd_siginfo si{};
    return ::read(fd_.get(), &si, sizeof si) == sizeof si ? static_cast<int>(si.ssi_signo) : 0;
  }

 private:
  sigset_t set_{}, old_{};
  sys::Fd fd_;
};

// Where the labs' records and logs go: the user's directory, or a private one removed at the
// end on every path.
class RecordsDir {
 public:
  explicit RecordsDir(const std::string& keep) {
    if (!keep.empty()) {
      std::error_code ec;
      fs::create_directories(keep, ec);
      if (ec || !fs::is_directory(keep)) {
        throw UsageError(fmt::format("--records {}: cannot create that directory", keep));
      }
      path_ = keep;
      return;
    }
    std::string tmpl = "/tmp/splitsecond-sweep-XXXXXX";
    if (!::mkdtemp(tmpl.data())) {
      throw sys::SysError("mkdtemp", tmpl, errno);
    }
    path_ = tmpl;
    owned_ = true;
  }
  ~RecordsDir() {
    std::error_code ec;
    if (owned_) {
      fs::remove_all(path_, ec);
    }
  }
  RecordsDir(const RecordsDir&) = delete;
  RecordsDir& operator=(const RecordsDir&) = delete;
  std::string file(const SweepItem& it, const char* ext) const {
    return fmt::format("{}/item-{:04}.{}", path_, it.index, ext);
  }

 private:
  std::string path_;
  bool owned_ = false;
};

struct LabProcess {
  SweepItem item;
  sys::Child child;
  Clock::time_point started, deadline;
  std::optional<Clock::time_point> kill_at;  // set once it overran and got SIGTERM
};

// Runs the items as concurrent `splitsecond run` processes, at most `jobs` at a time, the
// longest gaps first (they bound the sweep's length).
class LabPool {
 public:
  LabPool(const SweepArgs& a, const Scenario& s, const RecordsDir& dir)
      : a_(a), scenario_(s), dir_(dir), exe_(self_exe()) {}

  std::vector<ItemResult> run(std::vector<SweepItem> items, int jobs) {
    std::stable_sort(items.begin(), items.end(),
                     [](const SweepItem& x, const SweepItem& y) { return x.gap > y.gap; });
    total_ = items.size();
    std::vector<ItemResult> results;
    auto next = items.begin();
    while (next != items.end() || !running_.empty()) {
      while (next != items.end() && static_cast<int>(running_.size()) < jobs) {
        start(*next++);
      }
      wait_for_change();
      for (auto it = running_.begin(); it != running_.end();) {
        if (auto status = it->child.poll_exit()) {
          results.push_back(finish(*it, *status));
          it = running_.erase(it);
        } else {
          enforce_limit(*it);
          ++it;
        }
      }
    }
    std::sort(results.begin(), results.end(),
              [](const ItemResult& x, const ItemResult& y) { return x.item.index < y.item.index; });
    return results;
  }

 private:
  Micros limit_for(const SweepItem& it) const {
    if (!a_.lab_limit.empty()) {
      return duration_option(a_.lab_limit, "--lab-limit");
    }
    const Scenario s = with_carrier_gap(scenario_, it.gap);
    return s.before + s.window + Micros(120'000'000);  // set-up and teardown: far below this
  }

  void start(const SweepItem& it) {
    std::vector<std::string> argv = {exe_,
                                     "run",
                                     a_.scenario,
                                     "--carrier-gap",
                                     format_duration(it.gap),
                                     "--json",
                                     dir_.file(it, "json")};
    if (!a_.vpn.empty()) {
      argv.insert(argv.end(), {"--vpn", a_.vpn});
    }
    if (!a_.client.empty()) {
      argv.insert(argv.end(), {"--client", a_.client});
    }
    if (a_.verbose) {
      argv.push_back("--verbose");
    }
    sys::SpawnSpec spec;
    spec.argv = argv;
    spec.stderr_path = dir_.file(it, "log");  // stdout (the run's report) goes there too
    LabProcess p{it, sys::spawn(spec), Clock::now(), {}, std::nullopt};
    p.deadline = p.started + limit_for(it);
    running_.push_back(std::move(p));
  }

  // Waits (bounded by the nearest deadline) for a lab to end or a signal; on a signal every
  // lab is asked to tear down and the sweep ends.
  void wait_for_change() {
    std::vector<pollfd> fds{{signals_.fd(), POLLIN, 0}};
    auto wake = Clock::now() + std::chrono::seconds(1);
    for (auto& p : running_) {
      fds.push_back({p.child.pidfd(), POLLIN, 0});
      wake = std::min(wake, p.kill_at.value_or(p.deadline));
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(wake - Clock::now());
    ::poll(fds.data(), fds.size(), static_cast<int>(std::max<int64_t>(0, ms.count()) + 1));
    if (int sig = signals_.received()) {
      interrupt(sig);
    }
  }

  [[noreturn]] void interrupt(int sig) {
    std::vector<sys::Child*> children;
    for (auto& p : running_) {
      children.push_back(&p.child);
    }
    fmt::print(stderr,
               "splitsecond: signal {}: ending {} running lab(s), each tears its lab down\n", sig,
               children.size());
    sys::stop_all(children, kTeardownGrace);
    int killed = 0;
    for (auto* c : children) {
      const auto st = c->poll_exit().value_or(-1);
      if (st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) {
        ++killed;
      }
    }
    if (killed > 0) {
      throw std::runtime_error(fmt::format(
          "interrupted; {} lab(s) did not end within {} s of SIGTERM and were killed: run "
          "`splitsecond cleanup` to remove what they left",
          killed, kTeardownGrace.count()));
    }
    throw lab::Interrupted(
        fmt::format("interrupted by signal {}; every lab tore itself down", sig));
  }

  // A lab past its limit gets SIGTERM (it tears down), and SIGKILL if it is still there after
  // the grace period.
  void enforce_limit(LabProcess& p) {
    const auto now = Clock::now();
    if (!p.kill_at && now >= p.deadline) {
      p.child.signal(SIGTERM);
      p.kill_at = now + kTeardownGrace;
    } else if (p.kill_at && now >= *p.kill_at) {
      p.child.signal(SIGKILL);
    }
  }

  ItemResult finish(const LabProcess& p, int status) {
    ItemResult r;
    r.item = p.item;
    r.seconds = std::chrono::duration<double>(Clock::now() - p.started).count();
    r.exit_code = status < 0            ? -1
                  : WIFEXITED(status)   ? WEXITSTATUS(status)
                  : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                        : -1;
    const std::string record_path = dir_.file(p.item, "json");
    if (p.kill_at) {
      r.status = "overran";
      r.error = fmt::format("ended after its limit of {:.0f} s",
                            std::chrono::duration<double>(p.deadline - p.started).count());
    } else if (r.exit_code != 0) {
      r.status = "failed";
      r.error = last_line(read_file(dir_.file(p.item, "log")));
      if (r.error.empty()) {
        r.error = fmt::format("exit {} without a message", r.exit_code);
      }
    } else {
      const auto j = nlohmann::json::parse(read_file(record_path), nullptr, false);
      if (j.is_discarded()) {
        r.status = "failed";
        r.error = "exit 0 but no readable record in " + record_path;
      } else {
        const RunRecord rec = record_from_json(j);
        r.carrier_up_at_us = carrier_up_at(rec);
        r.window_ms = rec.window_ms;
        for (const auto& row : report::survival_table(rec)) {
          r.probes.emplace_back(row.probe, row.survived);
        }
      }
    }
    ++done_;
    // A failed lab is always said; progress (i of n, the time left) only on a terminal.
    const std::string lab =
        fmt::format("lab (gap {}, rep {}): {} in {:.1f} s{}", format_duration(p.item.gap),
                    p.item.rep, r.status, r.seconds, r.error.empty() ? "" : ": " + r.error);
    if (r.status != "ok" || tty_)
      fmt::print(
          stderr, "splitsecond: gap-sweep {}\n",
          report::progress_line(done_, total_, "",
                                std::chrono::duration<double>(Clock::now() - started_).count()) +
              " " + lab);
    return r;
  }

  const SweepArgs& a_;
  const Scenario& scenario_;
  const RecordsDir& dir_;
  const std::string exe_;
  BlockedSignals signals_;
  std::list<LabProcess> running_;
  size_t total_ = 0, done_ = 0;
  Clock::time_point started_ = Clock::now();
  bool tty_ = ::isatty(STDOUT_FILENO) == 1;  // progress on a terminal only
};

// A bound on how late a lab may carry out its carrier-up before the sweep says so.
constexpr Micros kLateBound{10'000};

void write_outputs(const SweepRecord& r, const std::string& json_path, const std::string& svg_path,
                   const std::string& html_path = "") {
  const SweepSummary summary = summarize(r);
  fmt::print("{}", report::render_sweep_table(summary));
  if (const auto late = late_carrier_ups(r, kLateBound); late.labs > 0) {
    fmt::print(
        "in {} lab(s) the carrier-up began more than {} after its gap (at most {:.1f} ms late, at "
        "gap {}): each lab's carrier_up_at_us has the gap as carried out; fewer --jobs keep it "
        "closer\n",
        late.labs, format_duration(kLateBound), static_cast<double>(late.max_late_us) / 1000.0,
        format_duration(late.max_late_gap));
  }
  if (!json_path.empty()) {
    write_file(json_path, sweep_to_json(r).dump(2) + "\n");
  }
  if (!svg_path.empty()) {
    const std::string title =
        fmt::format("{}: survival by gap ({}, {}; {} rep{} per gap)", r.def.scenario, r.def.vpn,
                    r.def.client, r.def.reps, r.def.reps == 1 ? "" : "s");
    write_file(svg_path, report::render_sweep_svg(summary, title));
  }
  if (!html_path.empty()) write_report_files(r, ReportFiles{html_path, "", ""});
}

void gap_sweep(const SweepArgs& a) {
  Scenario s = load_scenario(a.scenario);  // bad input is rejected before any lab starts
  apply_vpn_overrides(s, a.vpn, a.client);
  const auto gaps = a.gaps.empty() ? default_gaps() : parse_gaps(a.gaps, "--gaps");
  for (auto g : gaps) {
    with_carrier_gap(s, g);  // the scenario can take every gap
  }
  if (a.reps < 1 || a.reps > 1000) {
    throw UsageError("--reps: expected 1 to 1000 repetitions");
  }
  const int jobs = a.jobs > 0 ? a.jobs : static_cast<int>(std::thread::hardware_concurrency());
  if (a.jobs < 0 || a.jobs > 64) {
    throw UsageError("--jobs: expected 1 to 64 concurrent labs");
  }
  if (!a.lab_limit.empty()) {
    duration_option(a.lab_limit, "--lab-limit");
  }
  const Shard shard = a.shard.empty() ? Shard{} : parse_shard(a.shard, "--shard");
  check_writable(a.json_path, "--json");
  check_writable(a.svg_path, "--svg");
  check_writable(a.html_path, "--html");
  lab::preflight(s);

  SweepRecord r;
  r.def = {a.scenario, s.vpn.kind, s.vpn.client, gaps, a.reps, SPLITSECOND_VERSION};
  r.shards = {shard};
  r.jobs = std::max(1, jobs);
  const auto items = shard_slice(plan_items(gaps, a.reps), shard);
  fmt::print(stderr, "splitsecond: gap-sweep {}: {} lab(s) (slice {}), {} at a time\n", a.scenario,
             items.size(), shard_name(shard), r.jobs);
  const auto started = Clock::now();
  {
    RecordsDir dir(a.records_dir);
    LabPool pool(a, s, dir);
    r.items = pool.run(items, r.jobs);
  }
  r.wall_s = std::chrono::duration<double>(Clock::now() - started).count();
  write_outputs(r, a.json_path, a.svg_path, a.html_path);
  const auto failed = std::count_if(r.items.begin(), r.items.end(),
                                    [](const ItemResult& i) { return i.status != "ok"; });
  fmt::print("{} labs in {:.1f} s with {} job(s): {:.1f} labs per minute\n", r.items.size(),
             r.wall_s, r.jobs,
             r.wall_s > 0 ? 60.0 * static_cast<double>(r.items.size()) / r.wall_s : 0.0);
  if (failed > 0) {
    throw std::runtime_error(fmt::format(
        "{} of {} labs gave no record (see each item's error in the sweep record{})", failed,
        r.items.size(), a.records_dir.empty() ? "" : " and its log in " + a.records_dir));
  }
}

void merge(const std::vector<std::string>& inputs, const std::string& out_path,
           const std::string& svg_path) {
  check_writable(out_path, "-o");
  check_writable(svg_path, "--svg");
  std::vector<std::pair<std::string, SweepRecord>> parts;
  for (const auto& path : inputs) {
    std::ifstream f(path);
    if (!f) {
      throw UsageError(fmt::format("{}: cannot read it", path));
    }
    const auto j = nlohmann::json::parse(read_file(path), nullptr, false);
    if (j.is_discarded()) {
      throw UsageError(fmt::format("{}: not JSON", path));
    }
    parts.emplace_back(path, sweep_from_json(j, path));
  }
  const SweepRecord r = merge_sweeps(parts);
  write_outputs(r, out_path, svg_path);
  if (!r.missing.empty()) {
    std::string list;
    const auto plan = plan_items(r.def.gaps, r.def.reps);
    for (int i : r.missing) {
      list += fmt::format("{}{} (gap {}, rep {})", list.empty() ? "" : ", ", i,
                          format_duration(plan[i].gap), plan[i].rep);
    }
    fmt::print(stderr, "splitsecond: {} of {} items missing from the merged records: {}\n",
               r.missing.size(), plan.size(), list);
  }
}

}  // namespace

void add_sweep_commands(CLI::App& app) {
  auto a = std::make_shared<SweepArgs>();
  auto* sweep = app.add_subcommand(
      "gap-sweep",
      "run a carrier loss at several gaps, N labs each, and plot which probes survive");
  sweep
      ->add_option("scenario", a->scenario,
                   "a built-in scenario or TOML file with a carrier-down then carrier-up")
      ->capture_default_str();
  sweep->add_option("--gaps", a->gaps,
                    "comma-separated gaps (default: 10 from 50ms to 5s, log-spaced)");
  sweep->add_option("--reps", a->reps, "labs per gap")->capture_default_str();
  sweep->add_option("--jobs", a->jobs, "concurrent labs (default: the number of cores)");
  sweep->add_option("--vpn", a->vpn, "the VPN kind instead of the scenario's vpn.kind");
  sweep->add_option("--client", a->client, "the VPN client instead of the scenario's vpn.client");
  sweep->add_option("--shard", a->shard, "run only slice K of N of the sweep's labs (K/N)");
  sweep->add_option("--json", a->json_path,
                    "write the sweep record (schema splitsecond.sweep/1) to FILE");
  sweep->add_option("--svg", a->svg_path, "draw survival by gap to FILE (SVG)");
  sweep->add_option("--html", a->html_path,
                    "write the sweep as one self-contained HTML page (plot, table, every lab)");
  sweep->add_option("--records", a->records_dir,
                    "keep each lab's run record and log in DIR (default: a private temp dir)");
  sweep->add_option("--lab-limit", a->lab_limit,
                    "end a lab that runs longer than this (default: its window + 2 min)");
  sweep->add_flag("-v,--verbose", a->verbose,
                  "each lab prints its phases into its log (see --records)");
  sweep->callback([a] { gap_sweep(*a); });

  auto inputs = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<std::string>();
  auto svg = std::make_shared<std::string>();
  auto* m = app.add_subcommand("merge", "join the sweep records of a sharded gap-sweep");
  m->add_option("records", *inputs, "sweep records (gap-sweep --json)")->required();
  m->add_option("-o,--output", *out, "write the merged record to FILE")->required();
  m->add_option("--svg", *svg, "draw survival by gap to FILE (SVG)");
  m->callback([inputs, out, svg] { merge(*inputs, *out, *svg); });
}

}  // namespace ss::cli
