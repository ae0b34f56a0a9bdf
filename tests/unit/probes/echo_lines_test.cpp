#include "probes/echo_lines.hpp"

#include <gtest/gtest.h>

using ss::probes::EchoLines;

TEST(EchoLines, NumbersLinesAndMeasuresTheRoundTrip) {
  EchoLines e;
  EXPECT_EQ(e.next(1'000'000), "1\n");
  EXPECT_EQ(e.next(2'000'000), "2\n");
  auto echoes = e.receive("1\n2", 3'000'000);
  ASSERT_EQ(echoes.size(), 1u);
  EXPECT_EQ(echoes[0].seq, 1u);
  EXPECT_EQ(echoes[0].rtt_us, 2000);
  echoes = e.receive("\n", 5'000'000);  // the rest of a line split across reads
  ASSERT_EQ(echoes.size(), 1u);
  EXPECT_EQ(echoes[0].seq, 2u);
  EXPECT_EQ(echoes[0].rtt_us, 3000);
  EXPECT_EQ(e.sent(), 2u);
}

TEST(EchoLines, AnUnknownOrRepeatedLineHasNoRoundTrip) {
  EchoLines e;
  e.next(0);
  e.next(0);
  auto echoes = e.receive("2\n1\n7\n", 1000);
  ASSERT_EQ(echoes.size(), 3u);
  EXPECT_EQ(echoes[0].rtt_us, 1);
  EXPECT_EQ(echoes[1].rtt_us, -1);  // forgotten once a later line came back
  EXPECT_EQ(echoes[2].rtt_us, -1);  // never sent
}
