#include "storm/results.hpp"

#include <algorithm>
#include <cmath>

namespace ss::storm {
namespace {

uint64_t share(uint64_t n, double fraction) {
  return std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(static_cast<double>(n) * fraction)));
}

std::optional<double> to_ms(std::optional<int64_t> ns) {
  if (!ns) return std::nullopt;
  return static_cast<double>(*ns) / 1e6;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t idx = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size()))) - 1;
  return v[std::min(idx, v.size() - 1)];
}

}  // namespace

Recorder::Recorder(uint64_t clients, int64_t bucket_ns, int64_t max_time_ns)
    : clients_(clients),
      bucket_ns_(bucket_ns),
      max_buckets_(static_cast<size_t>(max_time_ns / bucket_ns) + 1),
      connected_(clients),
      target50_(share(clients, 0.5)),
      target99_(share(clients, 0.99)) {}

Bucket& Recorder::at(int64_t t) {
  size_t i = std::min(static_cast<size_t>(std::max<int64_t>(t, 0) / bucket_ns_), max_buckets_ - 1);
  if (i >= buckets_.size()) {
    Bucket fill;
    fill.connected = connected_;
    buckets_.resize(i + 1, fill);
  }
  return buckets_[i];
}

void Recorder::disconnect(int64_t t) {
  Bucket& b = at(t);
  --connected_;
  b.connected = connected_;
}

void Recorder::connect(int64_t t, bool final) {
  Bucket& b = at(t);
  ++b.connects;
  ++connected_;
  b.connected = connected_;
  if (!final) return;
  ++final_back_;
  if (final_back_ == target50_) t50_ = t;
  if (final_back_ == target99_) t99_ = t;
  if (final_back_ == clients_) tall_ = t;
}

void Recorder::busy(int64_t from, int64_t to) {
  while (from < to) {
    int64_t edge = (from / bucket_ns_ + 1) * bucket_ns_;
    int64_t end = std::min(edge, to);
    at(from).busy_ns += end - from;
    from = end;
  }
}

RunResult Recorder::finish(std::string policy, uint64_t seed, int64_t end_ns, uint64_t events) {
  at(end_ns);  // the buckets cover the whole run
  RunResult r;
  r.bucket_ns = bucket_ns_;
  Summary& s = r.summary;
  s.policy = std::move(policy);
  s.clients = clients_;
  s.seed = seed;
  s.time_to_50_ms = to_ms(t50_);
  s.time_to_99_ms = to_ms(t99_);
  s.time_to_all_ms = to_ms(tall_);
  s.complete = tall_.has_value();
  s.back = connected_;
  s.events = events;
  s.duration_ms = static_cast<double>(end_ns) / 1e6;
  // Rates are taken over the recovery: from the disconnect until everyone is back.
  size_t last = buckets_.size() - 1;
  if (tall_)
    last = std::min(last, static_cast<size_t>(std::max<int64_t>(*tall_ - 1, 0) / bucket_ns_));
  std::vector<double> rates;
  double per_s = 1e9 / static_cast<double>(bucket_ns_);
  int64_t busy = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    const Bucket& b = buckets_[i];
    s.attempts += b.attempts;
    s.rejected += b.rejected;
    s.dropped += b.dropped;
    s.timeouts += b.timeouts;
    s.failed += b.failed;
    s.peak_rate_per_s = std::max(s.peak_rate_per_s, static_cast<double>(b.connects) * per_s);
    if (i <= last) {
      rates.push_back(static_cast<double>(b.connects) * per_s);
      busy += b.busy_ns;
    }
  }
  uint64_t connects = 0;
  for (const Bucket& b : buckets_) connects += b.connects;
  s.wasted = s.attempts - std::min(s.attempts, connects);
  s.rate_p50_per_s = percentile(rates, 0.50);
  s.rate_p90_per_s = percentile(rates, 0.90);
  s.rate_p99_per_s = percentile(rates, 0.99);
  s.mean_utilisation = static_cast<double>(busy) /
                       (static_cast<double>(rates.size()) * static_cast<double>(bucket_ns_));
  r.buckets = std::move(buckets_);
  return r;
}

}  // namespace ss::storm
