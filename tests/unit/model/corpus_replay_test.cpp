// The fuzz targets' checks (tests/fuzz/fuzz_targets.hpp) on a deterministic corpus: inputs
// mutated from the stored files by a seeded generator, bounded in count. This runs with any
// compiler, so the sanitizer build in CI exercises the decoders even without libFuzzer.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "../../fuzz/fuzz_targets.hpp"

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

namespace {

const fs::path kData = SS_TEST_DATA;
const fs::path kCorpus = kData / ".." / "fuzz" / "corpus";

Bytes slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), {});
}

std::vector<Bytes> seeds_in(const fs::path& dir) {
  std::vector<fs::path> paths;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file()) paths.push_back(e.path());
  std::sort(paths.begin(), paths.end());  // the same order everywhere: a deterministic corpus
  std::vector<Bytes> out;
  for (const auto& p : paths) out.push_back(slurp(p));
  return out;
}

// Byte-level mutations in the manner of libFuzzer's: flips, interesting values, inserts,
// erases, truncation, duplication, splicing with another seed.
class Mutator {
 public:
  Mutator(uint32_t seed, std::vector<Bytes> seeds, std::vector<std::string> dictionary = {})
      : rng_(seed), seeds_(std::move(seeds)), dict_(std::move(dictionary)) {}

  Bytes next() {
    Bytes b = seeds_[pick(seeds_.size())];
    const size_t rounds = 1 + pick(4);
    for (size_t i = 0; i < rounds; ++i) mutate(b);
    return b;
  }

 private:
  size_t pick(size_t n) { return n ? std::uniform_int_distribution<size_t>(0, n - 1)(rng_) : 0; }

  void mutate(Bytes& b) {
    const size_t at = pick(b.size() + 1);
    static const uint8_t interesting[] = {0, 1, 0x7f, 0x80, 0xff, 0x3f, 0x40, 0xc0, '"', '[', '='};
    switch (pick(dict_.empty() ? 8 : 9)) {
      case 0:
        if (at < b.size()) b[at] ^= uint8_t(1u << pick(8));
        break;
      case 1:
        if (at < b.size()) b[at] = interesting[pick(sizeof interesting)];
        break;
      case 2:
        if (at < b.size()) b[at] = uint8_t(pick(256));
        break;
      case 3:
        b.insert(b.begin() + at, 1 + pick(8), uint8_t(pick(256)));
        break;
      case 4:
        b.erase(b.begin() + at, b.begin() + std::min(b.size(), at + 1 + pick(16)));
        break;
      case 5:
        b.resize(at);
        break;
      case 6: {  // duplicate a chunk
        const size_t from = pick(b.size() + 1), len = std::min(b.size() - from, pick(32));
        Bytes chunk(b.begin() + from, b.begin() + from + len);
        b.insert(b.begin() + at, chunk.begin(), chunk.end());
        break;
      }
      case 7: {  // splice with another seed
        const Bytes& other = seeds_[pick(seeds_.size())];
        const size_t from = pick(other.size() + 1);
        b.resize(at);
        b.insert(b.end(), other.begin() + from, other.end());
        break;
      }
      case 8: {
        const std::string& word = dict_[pick(dict_.size())];
        b.insert(b.begin() + at, word.begin(), word.end());
        break;
      }
    }
  }

  std::mt19937 rng_;
  std::vector<Bytes> seeds_;
  std::vector<std::string> dict_;
};

// Runs one check over `count` mutated inputs (plus the seeds themselves); stops at the first
// problem, showing the input.
template <class Check>
void replay(Check check, const std::vector<Bytes>& seeds, Mutator mutator, int count) {
  ASSERT_FALSE(seeds.empty());
  auto run = [&](const Bytes& input, int index) {
    std::string problem;
    try {
      problem = check(std::span<const uint8_t>(input));
    } catch (const std::exception& e) {
      problem = std::string("undocumented exception: ") + e.what();
    }
    if (!problem.empty()) {
      ADD_FAILURE() << "input " << index << ": " << problem << "\n"
                    << std::string(input.begin(), input.end());
      return false;
    }
    return true;
  };
  for (size_t i = 0; i < seeds.size(); ++i)
    if (!run(seeds[i], -1 - static_cast<int>(i))) return;
  for (int i = 0; i < count; ++i)
    if (!run(mutator.next(), i)) return;
}

// Structural mutations of a record: a few events kept, values replaced by other types, keys
// dropped; then dumped. Keeps each input small so that many fit in the test's time.
class RecordMutator {
 public:
  RecordMutator(uint32_t seed, const std::vector<nlohmann::json>& records) : rng_(seed) {
    for (nlohmann::json r : records) {  // the events apart: copying whole records is slow
      for (auto& e : r["events"]) events_.push_back(std::move(e));
      r["events"] = nlohmann::json::array();
      records_.push_back(std::move(r));
    }
  }

  Bytes next() {
    nlohmann::json j = records_[pick(records_.size())];
    for (size_t n = pick(12); n > 0; --n) j["events"].push_back(events_[pick(events_.size())]);
    for (size_t n = 1 + pick(3); n > 0; --n) mutate(j);
    std::string text = j.dump();
    if (pick(8) == 0 && !text.empty()) text.resize(pick(text.size()));  // truncated file
    return Bytes(text.begin(), text.end());
  }

 private:
  size_t pick(size_t n) { return n ? std::uniform_int_distribution<size_t>(0, n - 1)(rng_) : 0; }

  nlohmann::json value() {
    switch (pick(10)) {
      case 0:
        return nullptr;
      case 1:
        return true;
      case 2:
        return -1;
      case 3:
        return 1e300;
      case 4:
        return 18446744073709551615ull;
      case 5:
        return "";
      case 6:
        return "kernel";
      case 7:
        return nlohmann::json::array({1, "x"});
      case 8:
        return nlohmann::json::object();
      default:
        return 2.5;
    }
  }

  // Walks down from the root to a random node, then replaces, erases or adds there.
  void mutate(nlohmann::json& root) {
    nlohmann::json* node = &root;
    for (int depth = 0; depth < 4 && (node->is_object() || node->is_array()) && !node->empty();
         ++depth) {
      if (pick(3) == 0) break;
      auto it = node->begin();
      std::advance(it, static_cast<long>(pick(node->size())));
      node = &*it;
    }
    if (node->is_object() && !node->empty() && pick(2) == 0) {
      auto it = node->begin();
      std::advance(it, static_cast<long>(pick(node->size())));
      const std::string key = it.key();
      if (pick(2))
        node->erase(key);
      else
        (*node)[key] = value();
    } else if (node->is_object()) {
      (*node)["extra_" + std::to_string(pick(3))] = value();
    } else {
      *node = value();
    }
  }

  std::mt19937 rng_;
  std::vector<nlohmann::json> records_;
  std::vector<nlohmann::json> events_;
};

std::vector<nlohmann::json> stored_records() {
  std::vector<nlohmann::json> out;
  for (const char* name : {"disconnect-record.json", "crash-record.json"}) {
    std::ifstream f(kData / name);
    out.push_back(nlohmann::json::parse(f));
  }
  return out;
}

}  // namespace

TEST(CorpusReplay, SeedCorporaArePresent) {
  EXPECT_GE(seeds_in(kCorpus / "scenario").size(), 4u);
  EXPECT_GE(seeds_in(kCorpus / "packet").size(), 9u);
}

TEST(CorpusReplay, ScenarioParser) {
  const auto seeds = seeds_in(kCorpus / "scenario");
  const std::vector<std::string> dict = {"\"3h\"",
                                         "\"-1s\"",
                                         "\"200\"",
                                         "\"8.8.8.8/24\"",
                                         "\"2001:db8::1/129\"",
                                         "[vpn]",
                                         "[probes.tcp]",
                                         "[[probes]]",
                                         "{ }",
                                         "= 1e999",
                                         "= -9223372036854775808",
                                         "'''",
                                         "\"\"\"",
                                         "\n",
                                         "#",
                                         ".",
                                         "\\u0000",
                                         "= [1, \"a\"]",
                                         "= 1979-05-27T07:32:00Z",
                                         "\"abcdefghijklmnop\""};
  replay(ss::fuzz::check_scenario, seeds, Mutator(0x5ce1a210, seeds, dict), 20'000);
}

TEST(CorpusReplay, EthernetAndDnsDecoders) {
  const auto seeds = seeds_in(kCorpus / "packet");
  replay(ss::fuzz::check_packet, seeds, Mutator(0xe7e7, seeds), 20'000);
}

TEST(CorpusReplay, RecordFromJsonByteMutations) {
  // Byte mutations of whole records mostly give invalid JSON: checks the rejection path.
  std::vector<Bytes> seeds;
  for (const auto& j : stored_records()) {
    const std::string text = j.dump();
    seeds.emplace_back(text.begin(), text.end());
  }
  replay([](std::span<const uint8_t> d) { return ss::fuzz::check_record(d); }, seeds,
         Mutator(0x4ec0, seeds, {"null", "1e300", "\"layer\":\"x\""}), 300);
}

TEST(CorpusReplay, RecordFromJsonStructuralMutations) {
  RecordMutator mutator(0x2ec02d, stored_records());
  int read_back = 0;
  for (int i = 0; i < 20'000; ++i) {
    const Bytes input = mutator.next();
    std::string problem;
    bool was_read = false;
    try {
      problem = ss::fuzz::check_record(input, &was_read);
    } catch (const std::exception& e) {
      problem = std::string("undocumented exception: ") + e.what();
    }
    ASSERT_EQ(problem, "") << "input " << i << ": " << std::string(input.begin(), input.end());
    read_back += was_read;
  }
  // Both paths are exercised: some mutants are still records, most are rejected.
  EXPECT_GT(read_back, 100);
  EXPECT_LT(read_back, 19'000);
}
