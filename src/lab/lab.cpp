#include "lab/lab.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sys/netns.hpp"
#include "sys/nftables.hpp"
#include "sys/syserror.hpp"

namespace fs = std::filesystem;

namespace ss::lab {

LabError::LabError(const std::string& context, const sys::SysError& e, const std::string& advice)
    : EnvironmentError(fmt::format("{}: {} ({}){}{}", context, e.what(), sys::errno_name(e.error()),
                                   advice.empty() ? "" : "; ", advice)),
      call_(e.call()),
      err_(e.error()) {}

Lab::Lab(const std::string& prefix) : names_(prefix), ledger_(prefix) {}

Lab::~Lab() {
  teardown();
}

std::vector<std::string> Lab::teardown() {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  // Our own sockets and fds would keep the namespaces alive: close them first.
  netlinks_.clear();
  fds_.clear();
  return ledger_.teardown();
}

int Lab::netns_fd(const std::string& ns) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  auto it = fds_.find(ns);
  if (it == fds_.end()) it = fds_.emplace(ns, sys::netns_open(ns)).first;
  return it->second.get();
}

sys::Netlink& Lab::netlink(const std::string& ns) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  auto& nl = netlinks_[{ns, std::this_thread::get_id()}];
  if (!nl) nl = std::make_unique<sys::Netlink>(netns_fd(ns));
  return *nl;
}

void Lab::apply(const std::vector<Step>& steps) {
  for (const auto& step : steps) {
    try {
      apply_one(step);
    } catch (const sys::SysError& e) {
      throw LabError(fmt::format("building the lab: {}", describe(step)), e,
                     "the kernel refused it: check that this kernel has network namespaces, "
                     "veth and nftables, and run `splitsecond cleanup` if a killed run left "
                     "its namespaces");
    }
  }
}

void Lab::apply_one(const Step& step) {
  if (auto* s = std::get_if<CreateNetns>(&step)) {
    sys::netns_create(s->ns);
    ledger_.netns(s->ns);
  } else if (auto* s = std::get_if<AddVeth>(&step)) {
    netlink(s->ns).add_veth(s->name, s->peer, netns_fd(s->peer_ns));
  } else if (auto* s = std::get_if<AddAddress>(&step)) {
    netlink(s->ns).add_address(s->ifname, sys::Prefix::parse(s->cidr));
  } else if (auto* s = std::get_if<LinkUp>(&step)) {
    netlink(s->ns).set_up(s->ifname);
  } else if (auto* s = std::get_if<AddRoute>(&step)) {
    netlink(s->ns).add_route(sys::Prefix::parse(s->dst), s->gateway, s->dev);
  } else if (auto* s = std::get_if<Sysctl>(&step)) {
    sys::write_sysctl(netns_fd(s->ns), s->key, s->value);
  } else if (auto* s = std::get_if<Nft>(&step)) {
    apply_nft(netns_fd(s->ns), s->ruleset);
  } else if (auto* s = std::get_if<WriteFile>(&step)) {
    fs::path p(s->path);
    if (p.parent_path().parent_path() != "/etc/netns")
      throw std::logic_error("lab files live in /etc/netns/<ns>/: " + s->path);
    ledger_.shared_dir("/etc/netns");
    if (!fs::exists(p.parent_path())) {
      fs::create_directory(p.parent_path());
      ledger_.path(p.parent_path());
    }
    std::ofstream f(p);
    f << s->content;
    if (!f.flush()) throw sys::SysError("write", s->path, errno);
  }
}

std::string Lab::log_path(const std::string& label) const {
  return ledger_.run_dir() + "/" + label + ".log";
}

std::string Lab::log_tail(const std::string& label, size_t max_chars) const {
  std::ifstream f(log_path(label));
  std::string text;
  // Lines of a box drawn around a banner (wireguard-go's about kernel support) say nothing.
  for (std::string line; std::getline(f, line);)
    if (line.rfind("\u2502", 0) != 0 && line.rfind("\u250c", 0) != 0 &&
        line.rfind("\u2514", 0) != 0)
      text += line + '\n';
  if (text.size() > max_chars) {
    text = text.substr(text.size() - max_chars);
    text = "..." + text.substr(std::min(text.find('\n') + 1, text.size()));
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text.empty() ? "(empty)" : text;
}

std::string Lab::kept_dir() const {
  return "/tmp/splitsecond-logs-" + ledger_.prefix();
}

std::string Lab::keep_log(const std::string& label) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  if (kept_logs_.empty()) {
    // Undo actions run after the processes have ended and before the run's files go.
    ledger_.undo("keep the logs an error named", [this] {
      std::error_code ec;
      fs::create_directories(kept_dir(), ec);
      for (const auto& l : kept_logs_)
        fs::copy_file(log_path(l), kept_dir() + "/" + l + ".log",
                      fs::copy_options::overwrite_existing, ec);
    });
  }
  if (std::find(kept_logs_.begin(), kept_logs_.end(), label) == kept_logs_.end())
    kept_logs_.push_back(label);
  return kept_dir() + "/" + label + ".log";
}

sys::Child& Lab::spawn(const std::string& ns, const std::string& label,
                       std::vector<std::string> argv, bool capture_stdout,
                       std::vector<std::string> tmpfs, std::vector<std::string> env,
                       int stderr_fd) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  sys::SpawnSpec spec;
  spec.argv = std::move(argv);
  spec.netns_fd = netns_fd(ns);
  spec.private_mounts = true;
  spec.netns_name = ns;
  const fs::path etc = "/etc/netns/" + ns;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(etc, ec))
    spec.binds.emplace_back(e.path(), "/etc/" / e.path().filename());
  spec.tmpfs = std::move(tmpfs);
  spec.capture_stdout = capture_stdout;
  spec.stderr_path = log_path(label);
  spec.stderr_fd = stderr_fd;
  spec.env = std::move(env);
  spec.env.push_back("LC_ALL=C.UTF-8");
  return ledger_.process(label, sys::spawn(spec));
}

void apply_nft(int netns_fd, const std::string& ruleset) {
  sys::NetnsGuard in(netns_fd);
  const sys::NftResult r = sys::nft_run(ruleset);
  if (!r.ok)
    throw EnvironmentError(
        "nftables rejected a lab ruleset (libnftables): " + r.error +
        "; check that this kernel has nf_tables with NAT and the fib/reject expressions");
}

}  // namespace ss::lab
