#include "lab/lab.hpp"

#include <fmt/format.h>
#include <nftables/libnftables.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "sys/netns.hpp"
#include "sys/syserror.hpp"

namespace fs = std::filesystem;

namespace ss::lab {

Lab::Lab(const std::string& prefix) : names_(prefix), ledger_(prefix) {}

Lab::~Lab() {
  teardown();
}

std::vector<std::string> Lab::teardown() {
  // Our own sockets and fds would keep the namespaces alive: close them first.
  netlinks_.clear();
  fds_.clear();
  return ledger_.teardown();
}

int Lab::netns_fd(const std::string& ns) {
  auto it = fds_.find(ns);
  if (it == fds_.end()) it = fds_.emplace(ns, sys::netns_open(ns)).first;
  return it->second.get();
}

sys::Netlink& Lab::netlink(const std::string& ns) {
  auto& nl = netlinks_[ns];
  if (!nl) nl = std::make_unique<sys::Netlink>(netns_fd(ns));
  return *nl;
}

void Lab::apply(const std::vector<Step>& steps) {
  for (const auto& step : steps) {
    try {
      apply_one(step);
    } catch (const sys::SysError& e) {
      throw std::runtime_error(fmt::format("building the lab: {}: {}", describe(step), e.what()));
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

sys::Child& Lab::spawn(const std::string& ns, const std::string& label,
                       std::vector<std::string> argv, bool capture_stdout,
                       std::vector<std::string> tmpfs) {
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
  spec.env = {"LC_ALL=C.UTF-8"};
  return ledger_.process(label, sys::spawn(spec));
}

void apply_nft(int netns_fd, const std::string& ruleset) {
  sys::NetnsGuard in(netns_fd);
  nft_ctx* ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  if (!ctx) throw std::runtime_error("nft_ctx_new failed");
  nft_ctx_buffer_error(ctx);
  int rc = nft_run_cmd_from_buffer(ctx, ruleset.c_str());
  std::string err = nft_ctx_get_error_buffer(ctx);
  nft_ctx_free(ctx);
  if (rc != 0) throw std::runtime_error("nftables rejected the ruleset: " + err);
}

}  // namespace ss::lab
