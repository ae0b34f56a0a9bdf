// Classification of the real captures from the lab (tests/data/*.pcap, nanosecond pcap), checked
// against what tshark shows of them and against the records the lab wrote from them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pcap/pcap.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "model/packet.hpp"
#include "model/record.hpp"

using ss::PacketClass;
using ss::PacketInfo;

namespace {

const ss::TunnelEndpoint kEndpoint{"198.51.100.1", 51820};

struct Frame {
  int64_t t_ns = 0;
  std::vector<uint8_t> bytes;
};

std::vector<Frame> read_pcap(const std::string& name) {
  const std::string path = std::string(SS_TEST_DATA) + "/" + name;
  char err[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<pcap_t, decltype(&pcap_close)> p(
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err),
      pcap_close);
  EXPECT_TRUE(p) << path << ": " << err;
  std::vector<Frame> out;
  if (!p) return out;
  EXPECT_EQ(pcap_datalink(p.get()), DLT_EN10MB);
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  for (int rc; (rc = pcap_next_ex(p.get(), &h, &data)) == 1;) {
    EXPECT_EQ(h->caplen, h->len) << "frames are captured whole";
    out.push_back(
        {int64_t(h->ts.tv_sec) * 1'000'000'000 + h->ts.tv_usec, {data, data + h->caplen}});
  }
  return out;
}

struct Classified {
  PacketInfo info;
  PacketClass cls;
};

std::vector<Classified> classify_all(const std::vector<Frame>& frames) {
  std::vector<Classified> out;
  for (const auto& f : frames) {
    PacketInfo p = ss::decode_ethernet(f.bytes);
    out.push_back({p, ss::classify(p, kEndpoint)});
  }
  return out;
}

int count(const std::vector<Classified>& all, PacketClass c) {
  int n = 0;
  for (const auto& x : all) n += x.cls == c;
  return n;
}

ss::RunRecord record(const std::string& name) {
  std::ifstream f(std::string(SS_TEST_DATA) + "/" + name);
  return ss::record_from_json(nlohmann::json::parse(f));
}

// The record's packet events hold each captured frame in order; compare one by one.
void expect_matches_record(const std::vector<Frame>& frames, const ss::RunRecord& r) {
  std::vector<const ss::Event*> packets;
  for (const auto& e : r.events)
    if (e.layer == ss::Layer::packet) packets.push_back(&e);
  ASSERT_EQ(packets.size(), frames.size());
  const auto all = classify_all(frames);
  for (size_t i = 0; i < frames.size(); ++i) {
    SCOPED_TRACE("frame " + std::to_string(i + 1));
    const auto& d = packets[i]->detail;
    EXPECT_EQ(packets[i]->kind, ss::packet_class_name(all[i].cls));
    EXPECT_EQ(d["src"], all[i].info.src);
    EXPECT_EQ(d["dst"], all[i].info.dst);
    EXPECT_EQ(d["proto"], all[i].info.proto);
    EXPECT_EQ(d["sport"], all[i].info.sport);
    EXPECT_EQ(d["dport"], all[i].info.dport);
    if (i > 0) {  // the same spacing, to the microsecond the record keeps
      const int64_t pcap_us = (frames[i].t_ns - frames[0].t_ns) / 1000;
      const int64_t rec_us = packets[i]->t_us - packets[0]->t_us;
      EXPECT_NEAR(static_cast<double>(rec_us), static_cast<double>(pcap_us), 1.0);
    }
  }
}

}  // namespace

TEST(ClassifyPcap, DisconnectCaptureClasses) {
  const auto frames = read_pcap("disconnect.pcap");
  ASSERT_EQ(frames.size(), 166u);
  const auto all = classify_all(frames);
  int wg = 0, queries = 0, answers = 0, nd = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    const auto& [p, cls] = all[i];
    SCOPED_TRACE("frame " + std::to_string(i + 1));
    if (p.proto == IPPROTO_UDP && (p.dport == 51820 || p.sport == 51820)) {
      ++wg;
      EXPECT_EQ(cls, PacketClass::tunnel);
      EXPECT_TRUE((p.src == "192.168.1.100" && p.dst == "198.51.100.1") ||
                  (p.src == "198.51.100.1" && p.dst == "192.168.1.100"));
    }
    if (p.proto == IPPROTO_UDP && p.dst == "192.168.1.1" && p.dport == 53) {
      ++queries;
      EXPECT_EQ(cls, PacketClass::dns_plaintext);
      ASSERT_TRUE(p.dns);
      EXPECT_EQ(p.dns->qname, "whoami.splitsecond.test");
      EXPECT_EQ(p.dns->qtype, 16);  // TXT
      EXPECT_FALSE(p.dns->response);
    }
    if (p.proto == IPPROTO_UDP && p.src == "192.168.1.1" && p.sport == 53) {
      ++answers;
      EXPECT_EQ(cls, PacketClass::dns_plaintext);
      ASSERT_TRUE(p.dns);
      EXPECT_TRUE(p.dns->response);
      EXPECT_EQ(p.dns->qname, "whoami.splitsecond.test");
    }
    if (p.l3 == PacketInfo::L3::ipv6) {
      ++nd;
      EXPECT_EQ(cls, PacketClass::link_control) << p.src << " -> " << p.dst;
      EXPECT_TRUE(p.link_local_or_multicast);
    }
  }
  // As tshark reads the capture: 35 WireGuard, 60 queries and 60 answers, 11 ICMPv6 (MLD, ND, RS).
  EXPECT_EQ(wg, 35);
  EXPECT_EQ(queries, 60);
  EXPECT_EQ(answers, 60);
  EXPECT_EQ(nd, 11);
  EXPECT_EQ(count(all, PacketClass::bypass), 0);
  // The first DNS query, as tshark shows it: id 0xa341.
  ASSERT_TRUE(all[37].info.dns);
  EXPECT_EQ(all[37].info.dns->id, 0xa341);
}

TEST(ClassifyPcap, CrashCaptureClasses) {
  const auto frames = read_pcap("crash.pcap");
  ASSERT_EQ(frames.size(), 50u);
  const auto all = classify_all(frames);
  EXPECT_EQ(count(all, PacketClass::tunnel), 35);
  // The queries to the VPN's resolver go out on the physical link once the tunnel is gone.
  EXPECT_EQ(count(all, PacketClass::dns_plaintext), 3);
  for (int i : {36, 38, 40}) {
    SCOPED_TRACE(i + 1);
    EXPECT_EQ(all[i].cls, PacketClass::dns_plaintext);
    EXPECT_EQ(all[i].info.dst, "10.8.0.1");
    EXPECT_EQ(all[i].info.dport, 53);
    ASSERT_TRUE(all[i].info.dns);
    EXPECT_EQ(all[i].info.dns->qname, "whoami.splitsecond.test");
  }
  // The ICMP "network unreachable" from the internet router is outside the tunnel.
  for (int i : {37, 39}) {
    EXPECT_EQ(all[i].cls, PacketClass::bypass);
    EXPECT_EQ(all[i].info.src, "203.0.113.1");
    EXPECT_EQ(all[i].info.proto, IPPROTO_ICMP);
  }
  EXPECT_EQ(count(all, PacketClass::link_control), 10);
}

TEST(ClassifyPcap, NanosecondTimestampsAreRead) {
  const auto frames = read_pcap("disconnect.pcap");
  ASSERT_GE(frames.size(), 2u);
  // tshark: frame 2 at 0.000429053 s after frame 1.
  EXPECT_EQ(frames[1].t_ns - frames[0].t_ns, 429053);
}

TEST(ClassifyPcap, MatchesTheRecordsWrittenFromTheCaptures) {
  {
    SCOPED_TRACE("disconnect");
    expect_matches_record(read_pcap("disconnect.pcap"), record("disconnect-record.json"));
  }
  {
    SCOPED_TRACE("crash");
    expect_matches_record(read_pcap("crash.pcap"), record("crash-record.json"));
  }
}
