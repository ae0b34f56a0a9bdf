#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <signal.h>
#include <time.h>

#include <cstring>

#include "probes/emit.hpp"
#include "probes/tcp_probe.hpp"
#include "sys/event_loop.hpp"

namespace ss::probes {
namespace {

const char* h_errno_name(int e) {
  switch (e) {
    case HOST_NOT_FOUND:
      return "HOST_NOT_FOUND";
    case TRY_AGAIN:
      return "TRY_AGAIN";  // includes "no answer from any server in time"
    case NO_RECOVERY:
      return "NO_RECOVERY";
    case NO_DATA:
      return "NO_DATA";
    default:
      return "RESOLVER_ERROR";
  }
}

// The first TXT string of the answer section, or "".
std::string first_txt(const unsigned char* msg, int len) {
  ns_msg handle;
  if (ns_initparse(msg, len, &handle) < 0) return {};
  for (int i = 0; i < ns_msg_count(handle, ns_s_an); ++i) {
    ns_rr rr;
    if (ns_parserr(&handle, ns_s_an, i, &rr) < 0 || ns_rr_type(rr) != ns_t_txt ||
        ns_rr_rdlen(rr) < 1)
      continue;
    const unsigned char* rd = ns_rr_rdata(rr);
    size_t n = std::min<size_t>(rd[0], ns_rr_rdlen(rr) - 1);
    return std::string(reinterpret_cast<const char*>(rd + 1), n);
  }
  return {};
}

void sleep_until(int64_t t_ns) {
  timespec ts{static_cast<time_t>(t_ns / 1'000'000'000), static_cast<long>(t_ns % 1'000'000'000)};
  ::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
}

}  // namespace

int run_dns_client(const DnsClientOptions& o) {
  const std::string agent = "dns-client";
  // No stop handler: glibc's resolver retries its poll on EINTR, so a lookup stuck on a dead
  // resolver would hold the agent for seconds. SIGTERM ends it at once; its lines are flushed.
  ::signal(SIGPIPE, SIG_IGN);
  const int64_t start = sys::mono_ns();
  const int64_t end = start + o.duration.count() * 1000;
  emit(agent, "ready", {{"name", o.name}});
  int64_t next = start;
  int ok = 0, failed = 0;
  for (int i = 0; i < 1'000'000 && sys::mono_ns() < end; ++i) {
    sleep_until(next);
    next += o.interval.count() * 1000;
    struct __res_state st {};
    if (res_ninit(&st) != 0) {
      emit(agent, "lookup", {{"ok", false}, {"error", "res_ninit failed"}});
      ++failed;
      continue;
    }
    char server[INET6_ADDRSTRLEN] = "";
    if (st.nscount > 0) ::inet_ntop(AF_INET, &st.nsaddr_list[0].sin_addr, server, sizeof server);
    unsigned char answer[4096];
    const int64_t t0 = sys::mono_ns();
    int len = res_nquery(&st, o.name.c_str(), ns_c_in, ns_t_txt, answer, sizeof answer);
    const int64_t t1 = sys::mono_ns();
    nlohmann::json ev = {{"start_ns", t0}, {"ms", (t1 - t0) / 1e6}, {"resolver", server}};
    if (len >= 0) {
      ev["ok"] = true;
      ev["answered_by"] = first_txt(answer, len);
      ++ok;
    } else {
      ev["ok"] = false;
      ev["error"] = h_errno_name(st.res_h_errno);
      ++failed;
    }
    res_nclose(&st);
    emit(agent, "lookup", ev);
    if (next < sys::mono_ns())
      next = sys::mono_ns();  // a slow lookup delays the next, as in an app
  }
  emit(agent, "summary", {{"ok", ok}, {"failed", failed}});
  return 0;
}

}  // namespace ss::probes
