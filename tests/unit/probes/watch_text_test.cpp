// The watch agents' pure parts: sanitized output text, --env checks, exit descriptions, gaps,
// the program's environment.
#include <gtest/gtest.h>
#include <signal.h>

#include "model/errors.hpp"
#include "probes/watch_child.hpp"
#include "probes/watch_text.hpp"

namespace ss::probes {
namespace {

TEST(SanitizeOutput, KeepsPrintableTextNewlinesAndTabs) {
  EXPECT_EQ(sanitize_output("1712345678.123456789\n\tx"), "1712345678.123456789\n\tx");
}

TEST(SanitizeOutput, DropsCsiSequencesAndCarriageReturns) {
  EXPECT_EQ(sanitize_output("\x1b[?1049h\x1b[1;24r\x1b[23;1H17123\x1b[0m45\r\n"), "1712345\n");
}

TEST(SanitizeOutput, DropsOscTitleEndedByBelOrSt) {
  EXPECT_EQ(sanitize_output("\x1b]0;mosh title\x07"
                            "a\x1b]2;t\x1b\\b"),
            "ab");
}

TEST(SanitizeOutput, DropsCharsetAndTwoByteEscapes) {
  EXPECT_EQ(sanitize_output("\x1b(Ba\x1b"
                            "7b\x1b"
                            "8c\x1b=d"),
            "abcd");
}

TEST(SanitizeOutput, ShowsControlAndNonAsciiBytesAsDots) {
  EXPECT_EQ(sanitize_output("a\x01\x7f\xe2\x94\x80z"), "a.....z");
}

TEST(SanitizeOutput, CutsAfterStrippingNotBefore) {
  std::string raw = std::string(300, '\x07');  // BEL bytes become dots, counted
  EXPECT_EQ(sanitize_output(raw).size(), 200u);
  std::string escapes;
  for (int i = 0; i < 100; ++i) escapes += "\x1b[0m";
  EXPECT_EQ(sanitize_output(escapes + "visible", 10), "visible");
  EXPECT_EQ(sanitize_output("abcdef", 3), "abc");
}

TEST(SanitizeOutput, TruncatedEscapeAtTheEndIsDropped) {
  EXPECT_EQ(sanitize_output("ok\x1b"), "ok");
  EXPECT_EQ(sanitize_output("ok\x1b[12;3"), "ok");
  EXPECT_EQ(sanitize_output("ok\x1b]0;unterminated title"), "ok");
}

TEST(SanitizeOutput, ResultIsValidForJson) {
  std::string raw;
  for (int b = 0; b < 256; ++b) raw.push_back(static_cast<char>(b));
  nlohmann::json j = {{"text", sanitize_output(raw, 1000)}};
  EXPECT_NO_THROW(j.dump());
}

TEST(CheckEnvAssignment, AcceptsNameEqualsValue) {
  EXPECT_NO_THROW(check_env_assignment("MOSH_KEY=abc/+=", "--env"));
  EXPECT_NO_THROW(check_env_assignment("EMPTY=", "--env"));
  EXPECT_NO_THROW(check_env_assignment("_x1=y", "--env"));
}

TEST(CheckEnvAssignment, RejectsWhatIsNotAnAssignment) {
  for (const char* bad : {"NOEQUALS", "=value", "1ABC=x", "A-B=x", "A B=x"}) {
    try {
      check_env_assignment(bad, "--env");
      ADD_FAILURE() << bad;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("--env"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

TEST(DescribeWaitStatus, ExitStatusAndSignalName) {
  EXPECT_EQ(describe_wait_status(255 << 8), nlohmann::json({{"status", 255}}));
  EXPECT_EQ(describe_wait_status(0), nlohmann::json({{"status", 0}}));
  EXPECT_EQ(describe_wait_status(SIGTERM), nlohmann::json({{"signal", "SIGTERM"}}));
  EXPECT_EQ(describe_wait_status(SIGKILL | 0x80),
            nlohmann::json({{"signal", "SIGKILL"}}));  // core flag
}

TEST(GapTracker, LongestSilenceBetweenChunks) {
  GapTracker g;
  EXPECT_EQ(g.longest_gap_ns(), 0);
  g.chunk(1'000);
  EXPECT_EQ(g.longest_gap_ns(), 0);  // one chunk: no gap yet
  g.chunk(1'100);
  g.chunk(5'100);
  g.chunk(5'200);
  EXPECT_EQ(g.longest_gap_ns(), 4'000);
  EXPECT_EQ(g.chunks(), 4);
  EXPECT_EQ(g.last_ns(), 5'200);
}

TEST(MergedEnvironment, OverridesReplaceAndAppend) {
  const char* base[] = {"PATH=/bin", "TERM=dumb", "LC_ALL=POSIX", nullptr};
  auto env =
      merged_environment(const_cast<char**>(base), {"TERM=xterm", "LC_ALL=C.UTF-8", "MOSH_KEY=k"});
  EXPECT_EQ(env,
            (std::vector<std::string>{"PATH=/bin", "TERM=xterm", "LC_ALL=C.UTF-8", "MOSH_KEY=k"}));
}

TEST(MergedEnvironment, LaterOverrideWinsAndPrefixesAreDistinct) {
  const char* base[] = {"TERMINFO=/x", nullptr};
  auto env = merged_environment(const_cast<char**>(base), {"TERM=xterm", "TERM=vt100"});
  EXPECT_EQ(env, (std::vector<std::string>{"TERMINFO=/x", "TERM=vt100"}));
}

}  // namespace
}  // namespace ss::probes
