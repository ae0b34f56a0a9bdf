#include "sys/proc.hpp"

#include <dirent.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace ss::sys {

std::optional<ProcStat> proc_stat(pid_t pid) {
  std::ifstream f(fmt::format("/proc/{}/stat", pid));
  std::string stat;
  std::getline(f, stat);
  const auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return std::nullopt;
  std::istringstream rest(stat.substr(close + 2));  // from field 3
  ProcStat s;
  if (!(rest >> s.state >> s.ppid)) return std::nullopt;
  std::string field;
  for (int i = 5; i <= 22 && rest >> field; ++i) {
    if (i == 22) s.start_time = field;
  }
  return s;
}

std::vector<pid_t> all_pids() {
  std::vector<pid_t> pids;
  DIR* proc = ::opendir("/proc");
  if (!proc) return pids;
  while (dirent* e = ::readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (*end == '\0' && pid > 0) pids.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(proc);
  return pids;
}

ino_t netns_inode_of(pid_t pid) {
  struct stat st {};
  return ::stat(fmt::format("/proc/{}/ns/net", pid).c_str(), &st) == 0 ? st.st_ino : 0;
}

}  // namespace ss::sys
