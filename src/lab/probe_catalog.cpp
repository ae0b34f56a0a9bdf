// The probes the lab can run, each a real client against a real server. The servers run in
// the `server` namespace; the clients in the `client` namespace, through the tunnel.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <fstream>
#include <map>
#include <stdexcept>

#include "lab/probe.hpp"
#include "lab/probe_detect.hpp"
#include "lab/probe_mptcp.hpp"
#include "lab/probe_remote.hpp"
#include "lab/probe_storm.hpp"
#include "lab/vpn.hpp"
#include "model/duration.hpp"
#include "probes/doh_dnsdist.hpp"
#include "probes/tls_identity.hpp"
#include "sys/netns.hpp"
#include "sys/syserror.hpp"

namespace ss::lab {
namespace {

std::string endpoint(ProbeEnv& env, int port) {
  return fmt::format("{}:{}", env.server_ip(), port);
}

// The app server's native IPv6 address: beside a tunnel that carries only IPv4, traffic to it
// leaves the physical link.
std::string endpoint6(ProbeEnv& env, int port) {
  return fmt::format("[{}]:{}", ip_of(env.scenario().topology.server_ip6), port);
}

// The four ways the article has a TCP connection meet the disconnect, and a stream to the
// server's IPv6 address (tcp6: what each client does with IPv6 on a dual-stack network).
class TcpProbe final : public Probe {
 public:
  explicit TcpProbe(ProbeSpec spec) : spec_(std::move(spec)) {}
  std::string name() const override { return spec_.name; }
  std::string proto() const override { return "tcp"; }
  bool signal_at_t0() const override { return spec_.name == "tcp-send-now"; }
  bool signal_before_t0() const override { return spec_.name == "tcp-inflight"; }
  std::optional<Micros> late_send_after(Micros window) const override {
    if (!sends_late()) return std::nullopt;
    return late_send_at(spec_, window);
  }

  void start_server(ProbeEnv& env) override {
    // The TCP probes share one echo server per port.
    if (!env.lab().ledger().has_label("tcp-server-" + std::to_string(spec_.port)))
      env.start_server_agent("tcp-server-" + std::to_string(spec_.port),
                             {"tcp-server", "--listen", server(env)});
  }
  std::vector<std::string> client_args(ProbeEnv& env, const std::string& run_for) override {
    const char* mode = spec_.name == "tcp-send-now"   ? "send-on-signal"
                       : spec_.name == "tcp-idle"     ? "idle"
                       : spec_.name == "tcp-inflight" ? "burst"
                                                      : "stream";
    std::vector<std::string> args = {"tcp-client",
                                     "--server",
                                     server(env),
                                     "--mode",
                                     mode,
                                     "--interval",
                                     format_duration(spec_.interval),
                                     "--duration",
                                     run_for};
    if (spec_.user_timeout.count() > 0)
      args.insert(args.end(), {"--user-timeout", format_duration(spec_.user_timeout)});
    return args;
  }
  ProbeFate fate(const AgentLines& client, const AgentLines&, const Window& w) const override {
    return stream_fate(spec_.name, "tcp", client, w,
                       {silence_bound(spec_).count() * 1000, sends_late()});
  }

 private:
  std::string server(ProbeEnv& env) const {
    return spec_.name == "tcp6" ? endpoint6(env, spec_.port) : endpoint(env, spec_.port);
  }
  // The clients that send nothing after t=0 until told to.
  bool sends_late() const { return spec_.name == "tcp-idle" || spec_.name == "tcp-inflight"; }
  ProbeSpec spec_;
};

class DnsProbe final : public Probe {
 public:
  explicit DnsProbe(ProbeSpec spec) : spec_(std::move(spec)) {}
  std::string name() const override { return "dns"; }
  std::string proto() const override { return "dns"; }
  void start_server(ProbeEnv&) override {}  // the resolvers are the lab's own dnsmasq
  std::vector<std::string> client_args(ProbeEnv&, const std::string& run_for) override {
    return {"dns-client", "--interval", format_duration(spec_.interval), "--duration", run_for};
  }
  ProbeFate fate(const AgentLines& client, const AgentLines&, const Window& w) const override {
    return dns_fate(client, w.t0_ns, w.end_ns);
  }

 private:
  ProbeSpec spec_;
};

class WebSocketProbe final : public Probe {
 public:
  explicit WebSocketProbe(ProbeSpec spec) : spec_(std::move(spec)) {}
  std::string name() const override { return "websocket"; }
  std::string proto() const override { return "websocket"; }
  void start_server(ProbeEnv& env) override {
    env.start_server_agent("ws-server", {"ws-server", "--listen", endpoint(env, spec_.port)});
  }
  std::vector<std::string> client_args(ProbeEnv& env, const std::string& run_for) override {
    return {"ws-client",
            "--server",
            endpoint(env, spec_.port),
            "--interval",
            format_duration(spec_.interval),
            "--duration",
            run_for,
            "--reconnect",
            spec_.reconnect ? "backoff" : "none"};
  }
  ProbeFate fate(const AgentLines& client, const AgentLines&, const Window& w) const override {
    return stream_fate("websocket", "websocket", client, w,
                       {silence_bound(spec_).count() * 1000, false});
  }

 private:
  ProbeSpec spec_;
};

// What the server saw as the client's address, before and after.
class IpSeenProbe final : public Probe {
 public:
  explicit IpSeenProbe(ProbeSpec spec) : spec_(std::move(spec)) {}
  std::string name() const override { return "ip-seen"; }
  std::string proto() const override { return "http"; }
  void start_server(ProbeEnv& env) override {
    env.start_server_agent("http-ipseen", {"http-ipseen", "--listen", endpoint(env, spec_.port)});
  }
  std::vector<std::string> client_args(ProbeEnv& env, const std::string& run_for) override {
    return {"http-client",
            "--server",
            endpoint(env, spec_.port),
            "--interval",
            format_duration(spec_.interval),
            "--duration",
            run_for};
  }
  ProbeFate fate(const AgentLines& client, const AgentLines& server,
                 const Window& w) const override {
    return ip_seen_fate(client, server, w.t0_ns, w.end_ns);
  }

 private:
  ProbeSpec spec_;
};

// Waits (bounded) until `program` accepts TCP connections on ip:port, tried from inside the
// server namespace; a ProbeSetupError with its log's end when it exits or never does.
void wait_accepting(ProbeEnv& env, sys::Child& program, const std::string& label, int port) {
  Lab& lab = env.lab();
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, env.server_ip().c_str(), &a.sin_addr);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!program.running())
      throw ProbeSetupError(fmt::format("{} exited during set-up: {}", label, lab.log_tail(label)));
    sys::Fd s;
    int err = 0;
    {
      sys::NetnsGuard in(lab.netns_fd(lab.names().server));
      s.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
      err = errno;  // before leaving the namespace (setns) can change it
    }
    if (!s) throw sys::SysError("socket", label + " readiness check", err);
    if (::connect(s.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0) return;
    ::poll(nullptr, 0, 20);
  }
  throw ProbeSetupError(fmt::format("{} did not accept connections on {}:{} within 5 s: {}", label,
                                    env.server_ip(), port, lab.log_tail(label)));
}

// DNS over HTTPS to a real resolver (dnsdist in front of dnsmasq) in the server namespace.
constexpr const char* kDohLookupName = "doh-probe.splitsecond.test";
class DohProbe final : public Probe {
 public:
  explicit DohProbe(ProbeSpec spec) : spec_(std::move(spec)) {}
  std::string name() const override { return "doh"; }
  std::string proto() const override { return "doh"; }
  void start_server(ProbeEnv& env) override {
    const std::string dir = env.lab().ledger().run_dir();
    // Valid for the name the client is given (resolved through the lab's resolvers) and the
    // address.
    auto id = probes::make_self_signed(kDohName, {kDohName, env.server_ip()});
    cert_ = dir + "/doh-cert.pem";
    std::ofstream(cert_) << id.cert_pem;
    std::ofstream(dir + "/doh-key.pem") << id.key_pem;
    const std::string backend = env.server_ip() + ":5353";
    auto& backend_dns = env.start_server_program(
        "dnsmasq-doh-backend",
        {"dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
         "--pid-file=", "--user=root", "--group=root", "--bind-interfaces",
         "--listen-address=" + env.server_ip(), "--port=5353",
         "--address=/server.splitsecond.test/" + env.server_ip(),
         std::string("--address=/") + kDohLookupName + "/" + env.server_ip()});
    wait_accepting(env, backend_dns, "dnsmasq-doh-backend", 5353);  // dnsmasq serves TCP too
    probes::DnsdistConfig c;
    c.listen = endpoint(env, spec_.port);
    c.cert_file = cert_;
    c.key_file = dir + "/doh-key.pem";
    c.backend = backend;
    c.check_name = "server.splitsecond.test";
    c.acl = {"0.0.0.0/0", "::/0"};  // the lab's clients arrive NATed from anywhere in it
    std::ofstream(dir + "/dnsdist.conf") << probes::dnsdist_config(c);
    auto& dnsdist = env.start_server_program(
        "dnsdist", {"dnsdist", "--supervised", "--disable-syslog", "-C", dir + "/dnsdist.conf"});
    // The client's first lookup is its set-up: dnsdist must listen before the client starts.
    wait_accepting(env, dnsdist, "dnsdist", spec_.port);
  }
  std::vector<std::string> client_args(ProbeEnv&, const std::string& run_for) override {
    // The resolver by name, as a DoH client is configured: the client resolves it through
    // the system resolver first (the bootstrap). Both names are asked by no other probe, so
    // a plaintext packet carrying either one is this client's.
    return {"doh-client",
            "--url",
            fmt::format("https://{}:{}/dns-query", kDohName, spec_.port),
            "--name",
            kDohLookupName,
            "--interval",
            format_duration(spec_.interval),
            "--duration",
            run_for,
            "--cacert",
            cert_};
  }
  ProbeFate fate(const AgentLines& client, const AgentLines&, const Window& w) const override {
    return doh_fate(client, w.t0_ns, w.end_ns);
  }

 private:
  ProbeSpec spec_;
  std::string cert_;
};

// Added to the QUIC client's --duration (see QuicProbe::client_args).
constexpr Micros kQuicBackstop{30'000'000};

// QUIC through ngtcp2: the client's UDP socket is not bound to the tunnel address, so the
// kernel picks the source of each datagram; the server records every address change.
class QuicProbe final : public Probe {
 public:
  explicit QuicProbe(ProbeSpec spec) : spec_(std::move(spec)) {}
  std::string name() const override { return "quic"; }
  std::string proto() const override { return "quic"; }
  void start_server(ProbeEnv& env) override {
    cert_ = env.lab().ledger().run_dir() + "/quic-cert.pem";
    std::vector<std::string> args = {"quic-server", "--listen", endpoint(env, spec_.port),
                                     "--cert-out", cert_};
    if (!spec_.server_migration) args.push_back("--disable-migration");
    env.start_server_agent("quic-server", std::move(args));
  }
  std::vector<std::string> client_args(ProbeEnv& env, const std::string& run_for) override {
    // The teardown ends the client (SIGTERM, by pid) after the window; its --duration is only
    // a backstop and must never end the connection inside the window. run_for allows 5 s from
    // the client's start to the recording, but the wait for every client's `ready` (up to
    // 5 s) plus the recorder's set-up can take longer: the client then closed the connection
    // itself ("local close") inside the window (measured: 5 runs in 26, ready 5.5-6.0 s
    // before t=0, closed at +4.45 to +5.0 s). kQuicBackstop covers that set-up time.
    const auto run = parse_duration(run_for);
    if (!run) throw std::logic_error("QuicProbe: run_for '" + run_for + "' is not a duration");
    return {"quic-client",
            "--server",
            endpoint(env, spec_.port),
            "--interval",
            format_duration(spec_.interval),
            "--duration",
            format_duration(*run + kQuicBackstop),
            "--pin-cert",
            cert_};
  }
  ProbeFate fate(const AgentLines& client, const AgentLines& server,
                 const Window& w) const override {
    return quic_fate(client, server, w, silence_bound(spec_).count() * 1000,
                     spec_.server_migration);
  }

 private:
  ProbeSpec spec_;
  std::string cert_;
};

template <typename P>
std::unique_ptr<Probe> make(const ProbeSpec& spec) {
  return std::make_unique<P>(spec);
}

// The registry: one line per probe name of model's known_probes(); probes in their own files
// register their factory here.
using ProbeFactory = std::unique_ptr<Probe> (*)(const ProbeSpec&);
const std::map<std::string, ProbeFactory>& probe_registry() {
  static const std::map<std::string, ProbeFactory> registry = {
      {"tcp", make<TcpProbe>},
      {"tcp-send-now", make<TcpProbe>},
      {"tcp-idle", make<TcpProbe>},
      {"tcp-inflight", make<TcpProbe>},
      {"tcp6", make<TcpProbe>},
      {"dns", make<DnsProbe>},
      {"websocket", make<WebSocketProbe>},
      {"ip-seen", make<IpSeenProbe>},
      {"doh", make<DohProbe>},
      {"quic", make<QuicProbe>},
      {"mptcp", make_mptcp_probe},
      {"ssh", make_ssh_probe},
      {"mosh", make_mosh_probe},
      {"storm", make_storm_probe},
      {"detect-default", make_detect_probe},
      {"detect-keepalive", make_detect_probe},
      {"detect-keepalive-inflight", make_detect_probe},
      {"detect-user-timeout", make_detect_probe},
      {"detect-reap", make_detect_probe},
      {"detect-library", make_detect_probe},
  };
  return registry;
}

}  // namespace

std::unique_ptr<Probe> make_probe(const ProbeSpec& spec) {
  const auto& registry = probe_registry();
  const auto it = registry.find(spec.name);
  return it == registry.end() ? nullptr : it->second(spec);
}

std::vector<std::string> probe_names() {
  std::vector<std::string> names;
  for (const auto& p : known_probes())
    if (make_probe(p)) names.push_back(p.name);
  return names;
}

}  // namespace ss::lab
