#include "probes/doh_client.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fmt/format.h>
#include <poll.h>

#include <cmath>
#include <memory>
#include <vector>

#include "model/errors.hpp"
#include "probes/doh_wire.hpp"
#include "probes/emit.hpp"
#include "sys/event_loop.hpp"
#include "sys/syserror.hpp"

namespace ss::probes {
namespace {

constexpr int kSetupFailed = 4;
constexpr int64_t kWaitingAfterNs = 500'000'000;  // a lookup this old gets a `waiting` line
const std::string kAgent = "doh-client";

struct CurlDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct MultiDeleter {
  void operator()(CURLM* m) const { curl_multi_cleanup(m); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

size_t append_body(char* data, size_t size, size_t count, void* user) {
  auto* body = static_cast<std::vector<uint8_t>*>(user);
  body->insert(body->end(), data, data + size * count);
  return size * count;
}

std::string address_of(CURL* h, CURLINFO ip_info, CURLINFO port_info) {
  char* ip = nullptr;
  long port = 0;
  if (curl_easy_getinfo(h, ip_info, &ip) != CURLE_OK || !ip || !*ip) return {};
  curl_easy_getinfo(h, port_info, &port);
  std::string text(ip);
  return text.find(':') == std::string::npos ? fmt::format("{}:{}", text, port)
                                             : fmt::format("[{}]:{}", text, port);
}

// What one lookup went through, filled in by libcurl's callbacks while it runs.
struct LookupProgress {
  std::string host;
  int64_t start_ns = 0;
  int resolutions = 0;  // name resolutions libcurl started (its DNS cache had no entry)
  int new_sockets = 0;  // connections it opened
  bool waiting_reported = false;
};

// libcurl calls this before each name resolution it starts (not for cache hits).
int on_resolver_start(void*, void*, void* user) {
  auto* p = static_cast<LookupProgress*>(user);
  ++p->resolutions;
  emit(kAgent, "resolve", {{"name", p->host}});
  return 0;
}

int on_new_socket(void* user, curl_socket_t, curlsocktype purpose) {
  if (purpose == CURLSOCKTYPE_IPCXN) ++static_cast<LookupProgress*>(user)->new_sockets;
  return CURL_SOCKOPT_OK;
}

// A lookup still waiting after 500 ms says so once, and on which connection.
void report_waiting(LookupProgress& p) {
  const int64_t waited = sys::mono_ns() - p.start_ns;
  if (p.waiting_reported || waited < kWaitingAfterNs) return;
  p.waiting_reported = true;
  emit(kAgent, "waiting",
       {{"since_ms", waited / 1'000'000},
        {"on", p.new_sockets > 0 ? "new connection" : "old connection"}});
}

// One easy handle, set up once: connection reuse across lookups is libcurl's own.
class DohSession {
 public:
  explicit DohSession(const DohClientOptions& o) : o_(o), query_(make_dns_query(o.name)) {
    progress_.host = doh_url_host(o.url);
    handle_.reset(curl_easy_init());
    if (!handle_ || !multi_) throw std::runtime_error("curl_easy_init/curl_multi_init failed");
    headers_.reset(curl_slist_append(nullptr, "Content-Type: application/dns-message"));
    headers_.reset(curl_slist_append(headers_.release(), "Accept: application/dns-message"));
    CURL* h = handle_.get();
    curl_easy_setopt(h, CURLOPT_URL, o.url.c_str());
    curl_easy_setopt(h, CURLOPT_NOPROXY,
                     "*");  // straight to the resolver, whatever the environment says
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers_.get());
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, query_.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(query_.size()));
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, append_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body_);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf_);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(o.timeout.count() / 1000));
    curl_easy_setopt(h, CURLOPT_DNS_CACHE_TIMEOUT,
                     static_cast<long>(o.dns_cache.count() / 1'000'000));
    curl_easy_setopt(h, CURLOPT_RESOLVER_START_FUNCTION, on_resolver_start);
    curl_easy_setopt(h, CURLOPT_RESOLVER_START_DATA, &progress_);
    curl_easy_setopt(h, CURLOPT_SOCKOPTFUNCTION, on_new_socket);
    curl_easy_setopt(h, CURLOPT_SOCKOPTDATA, &progress_);
    if (!o.cacert.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, o.cacert.c_str());
    if (o.insecure) {
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
  }

  // One lookup; its event fields. fields["ok"] says whether a NOERROR answer came back.
  nlohmann::json lookup() {
    body_.clear();
    errbuf_[0] = '\0';
    CURL* h = handle_.get();
    const int64_t start = sys::mono_ns();
    progress_ = {progress_.host, start, 0, 0, false};
    CURLcode rc = perform(h);
    const double ms = std::round(static_cast<double>(sys::mono_ns() - start) / 1e3) / 1e3;
    long connects = 0, status = 0, os_errno = 0;
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
    nlohmann::json f = {{"name", o_.name},
                        {"ms", ms},
                        {"new_connection", connects > 0},
                        {"resolved", progress_.resolutions > 0},
                        {"remote", address_of(h, CURLINFO_PRIMARY_IP, CURLINFO_PRIMARY_PORT)},
                        {"local", address_of(h, CURLINFO_LOCAL_IP, CURLINFO_LOCAL_PORT)}};
    if (rc != CURLE_OK) {
      std::string detail = errbuf_[0] ? errbuf_ : curl_easy_strerror(rc);
      f["ok"] = false;
      f["error"] = os_errno != 0 ? sys::errno_name(static_cast<int>(os_errno)) : detail;
      f["curl_error"] = detail;
      return f;
    }
    long version = 0;
    curl_easy_getinfo(h, CURLINFO_HTTP_VERSION, &version);
    f["http_status"] = status;
    f["http_version"] = version == CURL_HTTP_VERSION_2_0   ? "2"
                        : version == CURL_HTTP_VERSION_1_1 ? "1.1"
                                                           : "1.0";
    auto answer = parse_dns_answer(body_);
    if (status != 200 || !answer) {
      f["ok"] = false;
      f["error"] = status != 200 ? fmt::format("HTTP {}", status) : "not a DNS message";
      return f;
    }
    f["ok"] = answer->rcode == 0;
    f["rcode"] = rcode_name(answer->rcode);
    f["addresses"] = answer->addresses;
    if (answer->rcode != 0) f["error"] = rcode_name(answer->rcode);
    return f;
  }

 private:
  DohClientOptions o_;
  std::vector<uint8_t> query_;
  std::vector<uint8_t> body_;
  // Runs the transfer on the multi handle (which keeps the connections and the DNS cache
  // across lookups), waking every 20 ms to say when a lookup has waited 500 ms.
  CURLcode perform(CURL* h) {
    CURLM* m = multi_.get();
    if (curl_multi_add_handle(m, h) != CURLM_OK) return CURLE_FAILED_INIT;
    CURLcode rc = CURLE_OK;
    for (int running = 1; running;) {
      if (curl_multi_perform(m, &running) != CURLM_OK) {
        rc = CURLE_FAILED_INIT;
        break;
      }
      report_waiting(progress_);
      if (running) curl_multi_poll(m, nullptr, 0, 20, nullptr);
    }
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(m, &left))
      if (msg->msg == CURLMSG_DONE && msg->easy_handle == h) rc = msg->data.result;
    curl_multi_remove_handle(m, h);
    return rc;
  }

  std::unique_ptr<CURLM, MultiDeleter> multi_{curl_multi_init()};
  std::unique_ptr<CURL, CurlDeleter> handle_;
  std::unique_ptr<curl_slist, SlistDeleter> headers_;
  LookupProgress progress_;  // libcurl's callbacks hold its address: the session does not move
  char errbuf_[CURL_ERROR_SIZE] = {};
};

// Sleeps until `until_ns` (CLOCK_MONOTONIC) or a stop signal, whichever comes first.
void sleep_until(int64_t until_ns) {
  while (!stop_requested()) {
    int64_t left = until_ns - sys::mono_ns();
    if (left <= 0) return;
    ::poll(nullptr, 0, static_cast<int>((left + 999'999) / 1'000'000));
  }
}

}  // namespace

void check_doh_url(const std::string& url) {
  if (url.rfind("https://", 0) != 0 || url.size() <= 8)
    throw UsageError(fmt::format("--url: '{}' is not an https:// URL (DoH runs over HTTPS)", url));
}

std::string doh_url_host(const std::string& url) {
  CURLU* u = curl_url();
  if (!u) return {};
  std::string host;
  char* part = nullptr;
  if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_HOST, &part, 0) == CURLUE_OK) {
    host = part;
    curl_free(part);
  }
  curl_url_cleanup(u);
  return host;
}

int run_doh_client(const DohClientOptions& o) {
  check_doh_url(o.url);
  install_stop_handlers();
  curl_global_init(CURL_GLOBAL_DEFAULT);
  DohSession session(o);
  const int64_t start = sys::mono_ns();
  const int64_t end = start + o.duration.count() * 1000;
  nlohmann::json first = session.lookup();
  if (!first.value("ok", false) && !first.contains("rcode")) {
    first["op"] = "first lookup";
    emit(kAgent, "setup_failed", first);
    return kSetupFailed;
  }
  // The name a bootstrap resolves: none when the URL names the resolver by address.
  const std::string host = doh_url_host(o.url);
  in6_addr scratch{};
  const bool literal =
      host.empty() || host.front() == '[' || ::inet_pton(AF_INET, host.c_str(), &scratch) == 1;
  emit(kAgent, "ready",
       {{"url", o.url},
        {"remote", first["remote"]},
        {"local", first["local"]},
        {"name", o.name},
        {"bootstrap_name", literal ? nlohmann::json(nullptr) : nlohmann::json(host)},
        {"dns_cache_s", o.dns_cache.count() / 1'000'000}});
  emit(kAgent, "lookup", first);
  uint64_t lookups = 1, ok = first["ok"].get<bool>() ? 1 : 0,
           connections = first["new_connection"].get<bool>() ? 1 : 0;
  for (int64_t next = start;;) {
    next = std::max(next + o.interval.count() * 1000,
                    sys::mono_ns());  // a slow lookup delays, never bursts
    if (next >= end || stop_requested()) break;
    sleep_until(next);
    if (stop_requested()) break;
    nlohmann::json f = session.lookup();
    ++lookups;
    ok += f["ok"].get<bool>() ? 1 : 0;
    connections += f["new_connection"].get<bool>() ? 1 : 0;
    emit(kAgent, "lookup", f);
  }
  emit(kAgent, "summary",
       {{"lookups", lookups}, {"ok", ok}, {"failed", lookups - ok}, {"connections", connections}});
  curl_global_cleanup();
  return 0;
}

}  // namespace ss::probes
