#pragma once
// The simulator's event queue: a radix heap over 64-bit times. Discrete-event simulation only
// ever schedules at or after the time it is at, so the queue may be monotone, and a radix
// heap then costs O(1) per push and amortised O(log range) per pop, with flat 16-byte entries
// and no allocation once its buckets have grown. Events with equal times come out in an
// order fixed by the sequence of pushes and pops (not FIFO).
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace ss::storm {

struct Event {
  uint64_t time;  // ns
  uint32_t who;   // a client index, or another small payload
  uint32_t tag;   // the kind of event and whatever it needs to recognise a stale event
};

class EventQueue {
 public:
  // Schedules `e`; its time must be >= the time of the last event popped.
  void push(const Event& e) {
    if (e.time < last_) throw std::logic_error("EventQueue: event scheduled in the past");
    put(e);
    ++size_;
  }
  // Removes and returns the earliest event. The queue must not be empty.
  Event pop() {
    if (buckets_[0].empty()) refill();
    Event e = buckets_[0].back();
    buckets_[0].pop_back();
    --size_;
    return e;
  }
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  uint64_t now() const { return last_; }
  // Bytes the buckets hold now, and the most they ever held at once (capacity, not contents).
  size_t memory_bytes() const { return sizeof(*this) + capacity_ * sizeof(Event); }
  size_t peak_memory_bytes() const { return sizeof(*this) + peak_capacity_ * sizeof(Event); }

 private:
  void put(const Event& e) {
    auto& b = buckets_[bucket_of(e.time)];
    if (b.size() == b.capacity()) grow(b);
    b.push_back(e);
  }
  // Doubling, with the queue's total capacity tracked (rare: once per doubling).
  void grow(std::vector<Event>& b) {
    size_t before = b.capacity();
    b.reserve(before ? 2 * before : 64);
    capacity_ += b.capacity() - before;
    peak_capacity_ = capacity_ > peak_capacity_ ? capacity_ : peak_capacity_;
  }
  size_t bucket_of(uint64_t t) const {
    return t == last_ ? 0 : static_cast<size_t>(64 - std::countl_zero(t ^ last_));
  }
  void refill();

  std::array<std::vector<Event>, 65> buckets_;
  uint64_t last_ = 0;
  size_t size_ = 0;
  size_t capacity_ = 0, peak_capacity_ = 0;
  static constexpr size_t kKeepCapacity = 4096;  // drained buckets larger than this are freed
};

inline void EventQueue::refill() {
  if (size_ == 0) throw std::logic_error("EventQueue: pop from an empty queue");
  size_t i = 1;
  while (buckets_[i].empty()) ++i;
  auto& from = buckets_[i];
  uint64_t lo = from.front().time;
  for (const Event& e : from) lo = e.time < lo ? e.time : lo;
  last_ = lo;
  // Every event of bucket i lands in a lower bucket relative to the new minimum.
  for (const Event& e : from) put(e);
  from.clear();
  // A storm's first wave passes through the high buckets once; give their memory back.
  if (from.capacity() > kKeepCapacity) {
    capacity_ -= from.capacity();
    std::vector<Event>().swap(from);
  }
}

}  // namespace ss::storm
