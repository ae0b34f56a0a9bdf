// The path library through its example client (examples/reconnect_client.c) in a namespace
// pair: the client's connection leaves from the "tunnel" address; that address is removed;
// the library's callback fires and the client reconnects over the path that is left. The
// reaction times are printed (not asserted).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "reap_lab.hpp"
#include "sys/netlink.hpp"

namespace {

using reaplab::kServerAddr;
using reaplab::kTunnelAddr;
using reaplab::mono_ns;

nlohmann::json event_line(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.value("event", "") == name) return j;
  }
  return {};
}

TEST(PathLibrary, ExampleClientReconnectsOverTheNewPathWhenItsSourceAddressGoes) {
  REQUIRE_ROOT();
  reaplab::NsPair lab;
  ASSERT_TRUE(lab.ok) << lab.error;
  // The server is reached from the tunnel address while it exists; the /32 route goes with
  // the address, and the connected /24 (source 192.0.2.2) is the path that is left.
  ASSERT_EQ(labtest::sh("ip -n " + lab.client + " route add 192.0.2.1/32 dev c0 src " +
                        std::string(kTunnelAddr))
                .status,
            0);
  uint16_t port = 0;
  ss::sys::Fd listener = reaplab::listen_in(lab.server_fd.get(), kServerAddr, &port);
  ASSERT_TRUE(listener);

  ss::sys::SpawnSpec spec;
  spec.argv = {SS_RECONNECT_CLIENT, kServerAddr, std::to_string(port), "1"};
  spec.netns_fd = lab.client_fd.get();
  spec.capture_stdout = true;
  spec.stderr_path = labtest::temp_path("reconnect.err");
  ss::sys::Child client = ss::sys::spawn(spec);
  reaplab::Output out(client.stdout_fd());

  std::string first_peer, second_peer;
  ss::sys::Fd first = reaplab::accept_within(listener.get(), 5000, &first_peer);
  ASSERT_TRUE(first);
  EXPECT_EQ(first_peer, kTunnelAddr);
  ASSERT_TRUE(out.wait_for("\"connected\"", 5000)) << out.text;

  ss::sys::Netlink nl(lab.client_fd.get());
  const int64_t before = mono_ns();
  nl.delete_address("d0", ss::sys::Prefix::parse(std::string(kTunnelAddr) + "/32"));
  const int64_t after = mono_ns();

  ss::sys::Fd second = reaplab::accept_within(listener.get(), 5000, &second_peer);
  ASSERT_TRUE(second) << out.text;
  EXPECT_EQ(second_peer, reaplab::kClientAddr);
  ASSERT_TRUE(out.wait_for("\"reconnected\"", 5000)) << out.text;
  EXPECT_EQ(client.stop(std::chrono::milliseconds(2000)), 0) << out.text;

  const auto lost = event_line(out.text, "source_lost");
  const auto again = event_line(out.text, "reconnected");
  ASSERT_FALSE(lost.empty()) << out.text;
  EXPECT_EQ(lost["address"], kTunnelAddr);
  EXPECT_EQ(lost["ifname"], "d0");
  EXPECT_EQ(again["local"].get<std::string>().rfind(std::string(reaplab::kClientAddr) + ":", 0), 0u)
      << out.text;
  const double detect_ms = static_cast<double>(lost["detected_ns"].get<int64_t>() - before) / 1e6;
  const double reconnect_ms = static_cast<double>(again["t_ns"].get<int64_t>() - before) / 1e6;
  std::printf(
      "path library: callback %.3f ms and reconnected %.3f ms after the address removal "
      "was called (the removal call took %.3f ms)\n",
      detect_ms, reconnect_ms, static_cast<double>(after - before) / 1e6);
  RecordProperty("callback_after_removal_us", static_cast<int>(detect_ms * 1000));
  RecordProperty("reconnected_after_removal_us", static_cast<int>(reconnect_ms * 1000));
}

}  // namespace
