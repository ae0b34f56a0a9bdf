#include "probes/quic_stream.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace ss::probes::quic;

std::string as_string(std::span<const uint8_t> s) {
  return std::string(reinterpret_cast<const char*>(s.data()), s.size());
}

TEST(SendBuffer, HandsOutUnsentBytesInOrder) {
  SendBuffer b;
  EXPECT_TRUE(b.unsent().empty());
  b.append("1\n");
  b.append("2\n");
  EXPECT_EQ(as_string(b.unsent()), "1\n");
  b.mark_sent(1);
  EXPECT_EQ(as_string(b.unsent()), "\n");
  b.mark_sent(1);
  EXPECT_EQ(as_string(b.unsent()), "2\n");
  b.mark_sent(2);
  EXPECT_TRUE(b.unsent().empty());
  EXPECT_EQ(b.sent_offset(), 4u);
}

TEST(SendBuffer, KeepsBytesUntilAcknowledgedAndStable) {
  SendBuffer b;
  b.append("first\n");
  const uint8_t* first = b.unsent().data();
  b.mark_sent(6);
  for (int i = 0; i < 1000; ++i) b.append("more\n");  // growing must not move sent bytes
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(first), 6), "first\n");
  EXPECT_EQ(b.held_chunks(), 1001u);
  b.acknowledge(0, 3);  // part of a chunk: still held
  EXPECT_EQ(b.held_chunks(), 1001u);
  b.acknowledge(3, 3);
  EXPECT_EQ(b.held_chunks(), 1000u);
  EXPECT_EQ(b.acked_offset(), 6u);
}

TEST(SendBuffer, AckPastAGapOrPastWhatWasSentFreesNothing) {
  SendBuffer b;
  b.append("aaaa");
  b.append("bbbb");
  b.mark_sent(8);
  b.acknowledge(4, 4);  // the first chunk is not acknowledged yet
  EXPECT_EQ(b.held_chunks(), 2u);
  EXPECT_EQ(b.acked_offset(), 0u);
  b.acknowledge(0, 100);  // never beyond what was sent
  EXPECT_EQ(b.acked_offset(), 8u);
  EXPECT_EQ(b.held_chunks(), 0u);
}

TEST(LineSplitter, JoinsPiecesAndSplitsBatches) {
  LineSplitter s;
  EXPECT_TRUE(s.feed("1").empty());
  EXPECT_EQ(s.feed("2\n3\n4"), (std::vector<std::string>{"12", "3"}));
  EXPECT_EQ(s.feed("\n"), (std::vector<std::string>{"4"}));
}

TEST(LineSplitter, DropsOverlongLines) {
  LineSplitter s(4);
  EXPECT_TRUE(s.feed("123456789\n").empty());
  EXPECT_EQ(s.dropped(), 1u);
  EXPECT_EQ(s.feed("12\n"), (std::vector<std::string>{"12"}));
}

TEST(Message, RoundTripsAndRejectsOtherText) {
  EXPECT_EQ(format_message(42), "42\n");
  EXPECT_EQ(parse_message("42"), 42u);
  EXPECT_FALSE(parse_message(""));
  EXPECT_FALSE(parse_message("4x"));
  EXPECT_FALSE(parse_message("-1"));
}

}  // namespace
