#include "probes/openvpn_dns.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "model/errors.hpp"
#include "model/resolv.hpp"

namespace ss::probes {
namespace {

std::string read_all(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw EnvironmentError(fmt::format("openvpn-dns: cannot read {}", path));
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Same inode, new content: a rename would not reach a bind-mounted file.
void write_in_place(const std::string& path, const std::string& text, int create_mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC | (create_mode ? O_CREAT : 0),
                  create_mode);
  if (fd < 0)
    throw EnvironmentError(fmt::format("openvpn-dns: open({}): {}", path, std::strerror(errno)));
  const ssize_t n = ::write(fd, text.data(), text.size());
  const int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size()))
    throw EnvironmentError(fmt::format("openvpn-dns: write({}): {}", path, std::strerror(err)));
}

}  // namespace

std::vector<std::string> pushed_dns(const std::vector<std::string>& env) {
  const std::string prefix = "foreign_option_";
  std::map<int, std::string> by_index;
  for (const auto& kv : env) {
    if (kv.rfind(prefix, 0) != 0) continue;
    const auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    int index = 0;
    try {
      index = std::stoi(kv.substr(prefix.size(), eq - prefix.size()));
    } catch (const std::exception&) {
      continue;
    }
    std::istringstream words(kv.substr(eq + 1));
    std::string option, type, address;
    words >> option >> type >> address;
    if (option == "dhcp-option" && (type == "DNS" || type == "DNS6") && !address.empty())
      by_index[index] = address;
  }
  std::vector<std::string> out;
  for (const auto& [i, a] : by_index) out.push_back(a);
  return out;
}

std::string resolv_conf_for(const std::vector<std::string>& servers) {
  std::string text = "# written by OpenVPN's up script (splitsecond agent openvpn-dns)\n";
  for (const auto& s : servers) text += "nameserver " + s + "\n";
  return text;
}

DnsScriptResult run_dns_script(const std::string& script_type, const std::string& resolv_path,
                               const std::string& save_path, const std::vector<std::string>& env) {
  DnsScriptResult r;
  struct stat st {};
  const bool saved = ::stat(save_path.c_str(), &st) == 0;
  if (script_type == "up") {
    const auto servers = pushed_dns(env);
    if (servers.empty()) {
      r.action = "no-dns-pushed";
    } else {
      if (!saved) write_in_place(save_path, read_all(resolv_path), 0600);
      write_in_place(resolv_path, resolv_conf_for(servers), 0);
      r.action = "applied";
    }
  } else if (script_type == "down") {
    if (!saved) {
      r.action = "nothing-to-restore";
    } else {
      write_in_place(resolv_path, read_all(save_path), 0);
      ::unlink(save_path.c_str());
      r.action = "restored";
    }
  } else {
    throw UsageError(fmt::format(
        "openvpn-dns: script_type '{}' is neither up nor down (run it as OpenVPN's --up and "
        "--down script)",
        script_type));
  }
  r.nameservers = parse_nameservers(read_all(resolv_path));
  return r;
}

}  // namespace ss::probes
