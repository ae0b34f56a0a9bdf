// The epoll loop: a handler may remove its own fd (an agent's pipe at EOF) while the loop
// dispatches, and it is not called again; the other fds go on being served.
#include "sys/event_loop.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <stdexcept>

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

// The handler goes on using its captures after removing itself: its closure must still exist
// (the sanitizer build catches a use after free if the loop destroyed it at once).
TEST(EventLoop, AHandlerThatRemovesItselfMayStillUseItsCaptures) {
  EventLoop loop;
  Pipe ended;
  ended.w.reset();
  int calls = 0, after_remove = 0;
  loop.add(ended.r.get(), [&loop, &ended, &calls, &after_remove] {
    ++calls;
    loop.remove(ended.r.get());
    ++after_remove;  // through the closure's captured reference
    loop.stop();
  });
  loop.run_until(mono_ns() + 2'000'000'000);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(after_remove, 1);
}

// Removed during a pass and added again in the same pass: the new handler is kept.
TEST(EventLoop, AnFdAddedAgainInThePassThatRemovedItKeepsItsNewHandler) {
  EventLoop loop;
  Pipe ended;
  ended.w.reset();
  int old_calls = 0, new_calls = 0;
  loop.add(ended.r.get(), [&] {
    ++old_calls;
    loop.remove(ended.r.get());
    loop.add(ended.r.get(), [&] {
      if (++new_calls == 2) loop.stop();
    });
  });
  loop.run_until(mono_ns() + 2'000'000'000);
  EXPECT_EQ(old_calls, 1);
  EXPECT_EQ(new_calls, 2);
}

TEST(EventLoop, AHandlerThatThrowsEndsThePassAndRemovalsStillHappen) {
  EventLoop loop;
  Pipe a;
  a.w.reset();
  loop.add(a.r.get(), [&] {
    loop.remove(a.r.get());
    throw std::runtime_error("handler failed");
  });
  EXPECT_THROW(loop.run_until(mono_ns() + 2'000'000'000), std::runtime_error);
  // Not dispatching any more: a removal now is immediate, and the removed fd is gone.
  Pipe b;
  b.w.reset();
  int calls = 0;
  loop.add(b.r.get(), [&] {
    if (++calls == 3) loop.stop();
  });
  loop.run_until(mono_ns() + 2'000'000'000);
  EXPECT_EQ(calls, 3);
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
