#include "storm/simulator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "model/errors.hpp"
#include "storm/event_queue.hpp"
#include "storm/rng.hpp"
#include "storm/token_bucket.hpp"

namespace ss::storm {
namespace {

enum Kind : uint32_t { kFlap, kDisconnect, kAttempt, kArrive, kServerDone, kBack, kFail, kTimeout };
enum State : uint8_t { kConnected, kWaiting, kInFlight };
constexpr uint32_t kEpochMask = (1u << 29) - 1;

uint32_t tag(Kind k, uint32_t epoch) {
  return k | ((epoch & kEpochMask) << 3);
}

// A fixed-capacity FIFO of (client, epoch): the server's backlog.
class Backlog {
 public:
  explicit Backlog(size_t capacity) : slots_(std::max<size_t>(capacity, 1)), cap_(capacity) {}
  bool full() const { return size_ >= cap_; }
  bool empty() const { return size_ == 0; }
  void push(uint32_t who, uint32_t epoch) {
    slots_[(head_ + size_++) % slots_.size()] = (uint64_t{epoch} << 32) | who;
  }
  uint64_t front() const { return slots_[head_]; }
  void pop() {
    head_ = (head_ + 1) % slots_.size();
    --size_;
  }
  size_t memory_bytes() const { return slots_.capacity() * sizeof(uint64_t); }

 private:
  std::vector<uint64_t> slots_;
  size_t cap_, head_ = 0, size_ = 0;
};

class Simulator {
 public:
  explicit Simulator(const SimParams& p);
  RunResult run(const SimProgress& progress);
  size_t memory_bytes() const;

 private:
  void handle(const Event& e);
  void flap(uint32_t k);
  void disconnect(uint32_t i, uint32_t k);
  void schedule_attempt(uint32_t i);
  void attempt(uint32_t i);
  void arrive(uint32_t i, uint32_t epoch);
  void serve_next();
  void server_done();
  void back(uint32_t i, uint32_t epoch);
  void retry(uint32_t i, uint32_t epoch, bool timed_out);
  bool in_flight(uint32_t i, uint32_t epoch) const {
    return state_[i] == kInFlight && (epoch_[i] & kEpochMask) == (epoch & kEpochMask);
  }
  bool network_down() const;
  // Runs `k` now when `delay` is 0 (saves a queue round trip), otherwise schedules it.
  void after(int64_t delay, uint32_t who, Kind k, uint32_t epoch);

  const SimParams& p_;
  Rng rng_;
  EventQueue queue_;
  TokenBucket bucket_;
  Backlog backlog_;
  Recorder rec_;
  int64_t now_ = 0;
  int64_t service_ns_;
  bool server_busy_ = false;
  int64_t busy_since_ = 0;
  uint32_t flaps_done_ = 0;
  uint64_t events_ = 0;
  // Client state, structure of arrays: 12 bytes per client (16 with decorrelated jitter).
  std::unique_ptr<uint8_t[]> state_, flaps_;
  std::unique_ptr<uint16_t[]> attempt_;
  std::unique_ptr<uint32_t[]> epoch_;
  std::unique_ptr<uint32_t[]> sleep_us_;  // decorrelated jitter only
};

double burst_of(const ServerParams& s) {
  return s.burst > 0 ? s.burst : s.rate_limit_per_s;
}

int64_t service_time(const ServerParams& s) {
  int64_t per = s.capacity_per_s > 0 ? static_cast<int64_t>(1e9 / s.capacity_per_s) : 0;
  return per + s.handshake_cost_ns;
}

Simulator::Simulator(const SimParams& p)
    : p_(p),
      rng_(p.seed),
      bucket_(p.server.rate_limit_per_s, burst_of(p.server)),
      backlog_(static_cast<size_t>(std::min<uint64_t>(p.server.backlog, p.clients))),
      rec_(p.clients, p.bucket_ns, p.max_time_ns),
      service_ns_(service_time(p.server)),
      state_(new uint8_t[p.clients]),
      flaps_(new uint8_t[p.clients]),
      attempt_(new uint16_t[p.clients]),
      epoch_(new uint32_t[p.clients]) {
  std::fill_n(state_.get(), p.clients, kConnected);
  std::fill_n(flaps_.get(), p.clients, 0);
  std::fill_n(attempt_.get(), p.clients, 0);
  std::fill_n(epoch_.get(), p.clients, 0);
  if (p.policy.kind == PolicyKind::decorrelated) sleep_us_.reset(new uint32_t[p.clients]);
}

size_t Simulator::memory_bytes() const {
  size_t per_client =
      2 * sizeof(uint8_t) + sizeof(uint16_t) + sizeof(uint32_t) + (sleep_us_ ? 4 : 0);
  return per_client * p_.clients + queue_.peak_memory_bytes() + backlog_.memory_bytes();
}

void Simulator::after(int64_t delay, uint32_t who, Kind k, uint32_t epoch) {
  if (delay == 0) {
    handle(Event{static_cast<uint64_t>(now_), who, tag(k, epoch)});
  } else {
    queue_.push(Event{static_cast<uint64_t>(now_ + delay), who, tag(k, epoch)});
  }
}

bool Simulator::network_down() const {
  const auto& d = p_.disconnect;
  if (d.outage_ns == 0) return false;
  int64_t k = now_ / d.flap_interval_ns;
  return k < d.flaps && now_ - k * d.flap_interval_ns < d.outage_ns;
}

void Simulator::flap(uint32_t k) {
  flaps_done_ = k + 1;
  if (k + 1 < p_.disconnect.flaps) {
    queue_.push(Event{static_cast<uint64_t>(now_ + p_.disconnect.flap_interval_ns), k + 1, kFlap});
  }
  const auto& d = p_.disconnect;
  for (uint32_t i = 0; i < p_.clients; ++i) {
    if (d.spread == Spread::all_at_once) {
      disconnect(i, k);
      continue;
    }
    double off = d.spread == Spread::uniform ? rng_.uniform(0, static_cast<double>(d.spread_ns))
                                             : rng_.exponential(static_cast<double>(d.spread_ns));
    queue_.push(
        Event{static_cast<uint64_t>(now_ + static_cast<int64_t>(off)), i, tag(kDisconnect, k)});
  }
}

void Simulator::disconnect(uint32_t i, uint32_t k) {
  flaps_[i] = static_cast<uint8_t>(k + 1);
  if (state_[i] != kConnected) return;  // still reconnecting from an earlier flap
  rec_.disconnect(now_);
  state_[i] = kWaiting;
  attempt_[i] = 0;
  if (sleep_us_) sleep_us_[i] = static_cast<uint32_t>(p_.policy.base_ns / 1000);
  schedule_attempt(i);
}

void Simulator::schedule_attempt(uint32_t i) {
  int64_t sleep = sleep_us_ ? int64_t{sleep_us_[i]} * 1000 : 0;
  int64_t delay = backoff_delay(p_.policy, attempt_[i], sleep, rng_);
  if (sleep_us_) sleep_us_[i] = static_cast<uint32_t>(sleep / 1000);
  if (attempt_[i] < UINT16_MAX) ++attempt_[i];
  queue_.push(Event{static_cast<uint64_t>(now_ + delay), i, tag(kAttempt, epoch_[i])});
}

void Simulator::attempt(uint32_t i) {
  uint32_t epoch = ++epoch_[i];
  state_[i] = kInFlight;
  rec_.attempt(now_);
  if (p_.policy.attempt_timeout_ns > 0) {
    queue_.push(
        Event{static_cast<uint64_t>(now_ + p_.policy.attempt_timeout_ns), i, tag(kTimeout, epoch)});
  }
  if (network_down()) {
    rec_.fail(now_);
    after(p_.rtt_ns, i, kFail, epoch);
    return;
  }
  after(p_.rtt_ns / 2, i, kArrive, epoch);
}

void Simulator::arrive(uint32_t i, uint32_t epoch) {
  if (!in_flight(i, epoch)) return;  // the client gave up before its request arrived
  if (!bucket_.try_take(now_)) {
    if (p_.server.action == LimitAction::drop) {
      rec_.drop(now_);
      return;  // the client's timeout will fire
    }
    rec_.reject(now_);
    after(p_.rtt_ns / 2, i, kFail, epoch);
    return;
  }
  if (service_ns_ == 0) {
    after(p_.rtt_ns / 2, i, kBack, epoch);
    return;
  }
  if (backlog_.full()) {
    rec_.reject(now_);
    after(p_.rtt_ns / 2, i, kFail, epoch);
    return;
  }
  backlog_.push(i, epoch);
  if (!server_busy_) serve_next();
}

void Simulator::serve_next() {
  // Connections whose client has given up are dropped without cost.
  while (!backlog_.empty()) {
    uint64_t head = backlog_.front();
    if (in_flight(static_cast<uint32_t>(head), static_cast<uint32_t>(head >> 32))) break;
    backlog_.pop();
  }
  server_busy_ = !backlog_.empty();
  if (!server_busy_) return;
  busy_since_ = now_;
  queue_.push(Event{static_cast<uint64_t>(now_ + service_ns_), 0, kServerDone});
}

void Simulator::server_done() {
  rec_.busy(busy_since_, now_);
  uint64_t head = backlog_.front();
  backlog_.pop();
  auto i = static_cast<uint32_t>(head);
  auto epoch = static_cast<uint32_t>(head >> 32);
  server_busy_ = false;
  serve_next();
  if (in_flight(i, epoch)) after(p_.rtt_ns / 2, i, kBack, epoch);
}

void Simulator::back(uint32_t i, uint32_t epoch) {
  if (!in_flight(i, epoch)) return;
  state_[i] = kConnected;
  rec_.connect(now_, flaps_[i] == p_.disconnect.flaps);
}

void Simulator::retry(uint32_t i, uint32_t epoch, bool timed_out) {
  if (!in_flight(i, epoch)) return;
  if (timed_out) rec_.timeout(now_);
  state_[i] = kWaiting;
  schedule_attempt(i);
}

void Simulator::handle(const Event& e) {
  ++events_;
  uint32_t epoch = e.tag >> 3;
  switch (static_cast<Kind>(e.tag & 7)) {
    case kFlap:
      return flap(e.who);
    case kDisconnect:
      return disconnect(e.who, epoch);
    case kAttempt:
      return attempt(e.who);
    case kArrive:
      return arrive(e.who, epoch);
    case kServerDone:
      return server_done();
    case kBack:
      return back(e.who, epoch);
    case kFail:
      return retry(e.who, epoch, false);
    case kTimeout:
      return retry(e.who, epoch, true);
  }
}

RunResult Simulator::run(const SimProgress& progress) {
  queue_.push(Event{0, 0, kFlap});
  const uint64_t all = p_.clients;
  while (!queue_.empty() && events_ < p_.max_events) {
    Event e = queue_.pop();
    if (static_cast<int64_t>(e.time) > p_.max_time_ns) break;
    now_ = static_cast<int64_t>(e.time);
    handle(e);
    if (rec_.final_back() == all && flaps_done_ == p_.disconnect.flaps) break;
    if (progress && (events_ & 0xFFFFF) == 0) progress(now_, rec_.final_back(), events_);
  }
  return rec_.finish(std::string(policy_name(p_.policy.kind)), p_.seed, now_, events_);
}

void require(bool ok, const std::string& what) {
  if (!ok) throw UsageError(what);
}

}  // namespace

void validate(const SimParams& p) {
  require(p.clients > 0 && p.clients <= 100'000'000,
          fmt::format("--clients {}: expected 1 to 100000000", p.clients));
  require(p.policy.base_ns >= 0 && p.policy.cap_ns >= p.policy.base_ns,
          "--base/--cap: expected 0 <= base <= cap");
  require(p.policy.cap_ns <= 3600'000'000'000, "--cap: at most 1h");
  require(p.policy.kind != PolicyKind::decorrelated || p.policy.base_ns >= 1000,
          "--base: decorrelated jitter needs a base of at least 1us");
  require(p.policy.attempt_timeout_ns >= 0, "--attempt-timeout: must not be negative");
  const auto& s = p.server;
  require(s.capacity_per_s >= 0,
          fmt::format("--capacity {}: must not be negative", s.capacity_per_s));
  require(s.capacity_per_s == 0 || s.capacity_per_s <= 1e9, "--capacity: at most 1e9 per second");
  require(s.backlog > 0, "--backlog: must be at least 1");
  require(s.rate_limit_per_s >= 0,
          fmt::format("--rate-limit {}: must not be negative", s.rate_limit_per_s));
  require(s.burst >= 0, fmt::format("--burst {}: must not be negative", s.burst));
  require(s.rate_limit_per_s == 0 || burst_of(s) >= 1, "--burst: must be at least 1 token");
  require(s.handshake_cost_ns >= 0, "--handshake-cost: must not be negative");
  require(s.action != LimitAction::drop || p.policy.attempt_timeout_ns > 0,
          "--limit-action drop: needs --attempt-timeout, or dropped clients would wait forever");
  const auto& d = p.disconnect;
  require(d.flaps >= 1 && d.flaps <= 255, fmt::format("--flaps {}: expected 1 to 255", d.flaps));
  require(d.flap_interval_ns > 0, "--flap-interval: must be positive");
  require(d.outage_ns >= 0 && d.outage_ns <= d.flap_interval_ns,
          "--outage: must be between 0 and the flap interval");
  require(d.spread == Spread::all_at_once || d.spread_ns > 0,
          "--disconnect: the spread must be positive");
  require(p.rtt_ns >= 0, "--rtt: must not be negative");
  require(p.bucket_ns >= 1000, "--bucket: at least 1us");
  require(p.max_time_ns > 0 && p.max_time_ns / p.bucket_ns <= 10'000'000,
          "--max-time/--bucket: at most 10,000,000 buckets");
}

RunResult simulate(const SimParams& p, const SimProgress& progress) {
  validate(p);
  Simulator sim(p);
  return sim.run(progress);
}

double state_bytes_per_client(const SimParams& p) {
  validate(p);
  Simulator sim(p);
  sim.run({});
  return static_cast<double>(sim.memory_bytes()) / static_cast<double>(p.clients);
}

}  // namespace ss::storm
