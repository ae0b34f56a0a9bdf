// The epoll loop: a handler may remove its own fd (an agent's pipe at EOF) while the loop
// dispatches, and it is not called again; the other fds go on being served.
#include "sys/event_loop.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

namespace ss::sys {
namespace {

struct Pipe {
  Pipe() {
    int p[2];
    EXPECT_EQ(::pipe(p), 0);
    r.reset(p[0]);
    w.reset(p[1]);
  }
  Fd r, w;
};

TEST(EventLoop, AHandlerRemovesItsOwnFdAtEofAndIsNotCalledAgain) {
  EventLoop loop;
  Pipe ended, live;
  ended.w.reset();  // EOF: readable for ever
  int ended_calls = 0, live_calls = 0;
  loop.add(ended.r.get(), [&] {
    ++ended_calls;
    char c;
    if (::read(ended.r.get(), &c, 1) == 0) loop.remove(ended.r.get());
  });
  loop.add(live.r.get(), [&] {
    char c;
    if (::read(live.r.get(), &c, 1) == 1) ++live_calls;
    if (live_calls == 3) loop.stop();
  });
  for (int i = 0; i < 3; ++i) ASSERT_EQ(::write(live.w.get(), "x", 1), 1);
  loop.run_until(mono_ns() + 2'000'000'000);
  EXPECT_EQ(ended_calls, 1);
  EXPECT_EQ(live_calls, 3);
}

TEST(EventLoop, WithoutRemovingAnEofPipeIsCalledOnEveryPass) {
  EventLoop loop;
  Pipe ended;
  ended.w.reset();
  int calls = 0;
  loop.add(ended.r.get(), [&] {
    if (++calls == 50) loop.stop();
  });
  loop.run_until(mono_ns() + 2'000'000'000);
  EXPECT_EQ(calls, 50);  // the spin the removal above prevents
}

}  // namespace
}  // namespace ss::sys
