#include "probes/quic_events.hpp"

#include <gtest/gtest.h>
#include <ngtcp2/ngtcp2.h>

#include <cstdio>

#include "probes/quic_conn.hpp"

namespace {

using namespace ss::probes::quic;
using nlohmann::json;

TEST(QuicEvents, CommonFieldsFirstThenTheEventsOwn) {
  EXPECT_EQ(
      format_event("quic-server", 123, "client_address", {{"conn", 1}, {"addr", "10.0.0.2:5000"}}),
      R"({"t_ns":123,"agent":"quic-server","kind":"client_address",)"
      R"("addr":"10.0.0.2:5000","conn":1})");
  EXPECT_EQ(format_event("quic-client", 5, "ready", {}),
            R"({"t_ns":5,"agent":"quic-client","kind":"ready"})");
}

TEST(QuicEvents, SinkWritesOneFlushedLinePerEvent) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  EventSink sink("quic-client", f);
  sink.emit(1, "echo", {{"seq", 0}});
  sink.emit(2, "summary", {{"sent", 1}});
  std::rewind(f);
  char line[256];
  ASSERT_NE(std::fgets(line, sizeof(line), f), nullptr);
  EXPECT_EQ(json::parse(line)["seq"], 0);
  ASSERT_NE(std::fgets(line, sizeof(line), f), nullptr);
  EXPECT_EQ(json::parse(line)["kind"], "summary");
  std::fclose(f);
}

TEST(QuicEvents, MonotonicClockMovesForward) {
  uint64_t a = monotonic_ns();
  uint64_t b = monotonic_ns();
  EXPECT_GT(a, 0u);
  EXPECT_GE(b, a);
}

TEST(QuicClose, DescribesWhoClosedAndWhy) {
  ngtcp2_connection_close_error e;
  ngtcp2_connection_close_error_set_application_error(&e, 0, nullptr, 0);
  EXPECT_EQ(describe_close(e, true), "peer closed: application error 0x0");
  uint8_t reason[] = {'b', 'y', 'e'};
  ngtcp2_connection_close_error_set_transport_error(&e, NGTCP2_PROTOCOL_VIOLATION, reason, 3);
  EXPECT_EQ(describe_close(e, false), "transport error 0xa (bye)");
  e.type = NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_TRANSPORT_IDLE_CLOSE;
  EXPECT_EQ(describe_close(e, true), "idle timeout");
}

TEST(QuicCid, RandomOfTheAskedLength) {
  auto a = random_cid(16);
  auto b = random_cid(16);
  EXPECT_EQ(a.datalen, 16u);
  EXPECT_FALSE(ngtcp2_cid_eq(&a, &b));
}

}  // namespace
