// tcp-client's --keepalive IDLE/INTVL/CNT: what the kernel takes (whole seconds, 1 to 127
// probes) is accepted, anything else is a usage error naming the option.
#include <gtest/gtest.h>

#include <string>

#include "model/errors.hpp"
#include "probes/tcp_probe.hpp"

using ss::probes::parse_keepalive;
using ss::probes::TcpClientOptions;

TEST(KeepaliveOption, IdleIntervalAndCount) {
  TcpClientOptions o;
  parse_keepalive("1s/2s/3", o);
  EXPECT_EQ(o.keepalive_idle, ss::Micros(1'000'000));
  EXPECT_EQ(o.keepalive_intvl, ss::Micros(2'000'000));
  EXPECT_EQ(o.keepalive_cnt, 3);
  parse_keepalive("7200s/75s/9", o);  // the kernel's defaults
  EXPECT_EQ(o.keepalive_cnt, 9);
}

TEST(KeepaliveOption, WhatTheKernelCannotTakeIsAUsageError) {
  for (const char* bad : {"", "1s", "1s/1s", "1s/1s/", "1s/1s/0", "1s/1s/128", "500ms/1s/3",
                          "1s/1500ms/3", "1s/1s/3x", "x/1s/3", "0s/1s/3"}) {
    TcpClientOptions o;
    try {
      parse_keepalive(bad, o);
      ADD_FAILURE() << "'" << bad << "' was accepted";
    } catch (const ss::UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("--keepalive"), std::string::npos) << e.what();
    }
    EXPECT_EQ(o.keepalive_cnt, 0) << bad;
  }
}
