#include "storm/event_queue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

using ss::storm::Event;
using ss::storm::EventQueue;

TEST(EventQueue, PopsInTimeOrder) {
  EventQueue q;
  std::vector<uint64_t> times{50, 3, 1'000'000'000'000, 7, 7, 0, 64, 65, 1ull << 40};
  for (uint32_t i = 0; i < times.size(); ++i) q.push(Event{times[i], i, 0});
  std::vector<uint64_t> out;
  while (!q.empty()) out.push_back(q.pop().time);
  auto sorted = times;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(out, sorted);
}

TEST(EventQueue, InterleavedPushesNeverComeOutOfOrder) {
  EventQueue q;
  std::mt19937_64 rng(1);
  uint64_t last = 0;
  size_t pushed = 0, popped = 0;
  for (int i = 0; i < 1000; ++i)
    q.push(Event{rng() % 1'000'000, static_cast<uint32_t>(pushed++), 0});
  while (!q.empty()) {
    Event e = q.pop();
    ++popped;
    ASSERT_GE(e.time, last);
    last = e.time;
    if (pushed < 200'000) {
      for (int k = 0; k < 2 && pushed < 200'000; ++k) {
        q.push(Event{last + rng() % 5'000'000, static_cast<uint32_t>(pushed++), 0});
      }
    }
  }
  EXPECT_EQ(popped, pushed);
}

TEST(EventQueue, EqualTimesAllComeOutInAReproducibleOrder) {
  auto run = [] {
    EventQueue q;
    std::vector<uint32_t> who;
    for (uint32_t i = 0; i < 100; ++i) q.push(Event{10 + i % 3, i, i});
    while (!q.empty()) who.push_back(q.pop().who);
    return who;
  };
  auto a = run();
  EXPECT_EQ(a, run());
  auto sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (uint32_t i = 0; i < 100; ++i) EXPECT_EQ(sorted[i], i);
}

TEST(EventQueue, KeepsPayloadAndRefusesThePast) {
  EventQueue q;
  q.push(Event{5, 42, 7});
  Event e = q.pop();
  EXPECT_EQ(e.who, 42u);
  EXPECT_EQ(e.tag, 7u);
  EXPECT_EQ(q.now(), 5u);
  EXPECT_THROW(q.push(Event{4, 0, 0}), std::logic_error);
  EXPECT_THROW(q.pop(), std::logic_error);
}
