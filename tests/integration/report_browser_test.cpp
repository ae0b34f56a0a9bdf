// The HTML report in a real browser: the built binary renders stored records, Debian's
// chromium opens the page headless (no network: a resolver that fails every name, and the
// page's own policy), dumps the DOM after its script ran and takes a screenshot. The DOM must
// hold every lane, action marker and survival row, the script's ready marker, no script
// error and no resource loaded. The same check is shown to catch a page that breaks the rules.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kData = fs::path(__FILE__).parent_path().parent_path() / "data";

struct Result {
  int status = -1;  // exit code, or -1 when it had to be killed
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Runs a program in its own process group, stdout and stderr to files; waits for it to exit
// (bounded), else ends its group (ids we created) and says so.
Result run(const std::vector<std::string>& argv, const fs::path& dir, std::chrono::seconds limit) {
  const fs::path out = dir / "stdout", err = dir / "stderr";
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    const int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(o, 1);
    dup2(e, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  setpgid(pid, pid);
  Result r;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  for (;;) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      r.err = "timed out after " + std::to_string(limit.count()) + " s\n";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  r.out = slurp(out);
  r.err += slurp(err);
  return r;
}

bool on_path(const std::string& program) {
  return run({"sh", "-c", "command -v " + program}, fs::temp_directory_path(),
             std::chrono::seconds(10))
             .status == 0;
}

class ReportBrowser : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ss-browser-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ASSERT_TRUE(on_path("chromium")) << "Debian's chromium is needed (scripts/deps.sh)";
  }
  void TearDown() override {
    if (!dir_.empty() && !::testing::Test::HasFailure()) fs::remove_all(dir_);
    if (::testing::Test::HasFailure()) std::cerr << "kept for a look: " << dir_ << "\n";
  }

  // `what`: "--dump-dom" or "--screenshot=FILE". A fresh profile each time.
  Result chromium(const std::string& url, const std::string& what, int run_no) {
    const fs::path profile = dir_ / ("profile-" + std::to_string(run_no));
    return run({"chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--hide-scrollbars", "--user-data-dir=" + profile.string(),
                "--host-resolver-rules=MAP * ~NOTFOUND", "--window-size=1440,2200", what, url},
               dir_, std::chrono::seconds(90));
  }

  fs::path dir_;
};

// The opening tag of <html> as the browser left it (attributes the script set).
std::string html_tag(const std::string& dom) {
  const auto at = dom.find("<html");
  return at == std::string::npos ? "" : dom.substr(at, dom.find('>', at) - at + 1);
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_F(ReportBrowser, EveryLaneActionAndSurvivalRowIsRenderedWithoutErrorsOrRequests) {
  int n = 0;
  for (const char* name : {"survival-latest-record.json", "crash-record.json"}) {
    SCOPED_TRACE(name);
    const json record = json::parse(slurp(kData / name));
    const fs::path html = dir_ / (std::string(name) + ".html");
    const Result rendered =
        run({SPLITSECOND_BIN, "report", (kData / name).string(), "--html", html.string()}, dir_,
            std::chrono::seconds(60));
    ASSERT_EQ(rendered.status, 0) << rendered.err;
    const std::string page = slurp(html);
    EXPECT_FALSE(std::regex_search(
        page, std::regex(R"(\s(src|srcset|href|action|formaction|poster|data)\s*=\s*["'])")));

    const Result dom = chromium("file://" + html.string(), "--dump-dom", ++n);
    ASSERT_EQ(dom.status, 0) << dom.err;
    const std::string root = html_tag(dom.out);
    EXPECT_NE(root.find("data-report-ready=\"ok\""), std::string::npos) << root;
    EXPECT_EQ(root.find("data-script-errors"), std::string::npos) << root;
    EXPECT_NE(root.find("data-resources=\"0\""), std::string::npos) << root;
    EXPECT_NE(root.find("data-timelines=\"1\""), std::string::npos) << root;
    EXPECT_NE(dom.out.find("<pre id=\"script-errors\" hidden=\"\"></pre>"), std::string::npos);

    for (const char* lane :
         {"actions", "link", "addr", "route", "dns", "packet-tunnel", "packet-dns_plaintext",
          "packet-bypass", "packet-link_control", "leaks"})
      EXPECT_NE(dom.out.find("data-lane=\"" + std::string(lane) + "\""), std::string::npos) << lane;
    for (const auto& p : record["probes"]) {
      const std::string probe = p["name"];
      EXPECT_NE(dom.out.find("data-lane=\"probe-" + probe + "\""), std::string::npos) << probe;
      EXPECT_NE(dom.out.find("<tr data-probe=\"" + probe + "\">"), std::string::npos) << probe;
    }
    const size_t actions = record.contains("triggers") ? record["triggers"].size() : 1;
    EXPECT_EQ(count(dom.out, " data-action=\""), actions);
    // The script ran over the marks: each one's details moved from <title> to data-tip, and
    // it drew the axis again (tick labels in the browser's DOM).
    EXPECT_GT(count(dom.out, " data-tip=\""), record["events"].size());
    EXPECT_NE(dom.out.find("data-view=\"log:"), std::string::npos);
    EXPECT_NE(dom.out.find("class=\"tick\""), std::string::npos);

    const fs::path png = dir_ / (std::string(name) + ".png");
    const Result shot = chromium("file://" + html.string(), "--screenshot=" + png.string(), ++n);
    ASSERT_EQ(shot.status, 0) << shot.err;
    const std::string image = slurp(png);
    EXPECT_EQ(image.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
    EXPECT_GT(image.size(), 50'000u) << "a real picture, not a blank page";
  }
}

// Zoom around t=0 in a real browser: the page opened at its "first 1 ms" view lays the
// timeline out linearly over -100 us to +1 ms, with axis ticks every 100 us (those at the very
// edges left out, as they would be cut).
TEST_F(ReportBrowser, TheFirstMillisecondViewInTheBrowser) {
  const fs::path html = dir_ / "zoom.html";
  ASSERT_EQ(run({SPLITSECOND_BIN, "report", (kData / "survival-latest-record.json").string(),
                 "--html", html.string()},
                dir_, std::chrono::seconds(60))
                .status,
            0);
  const Result dom = chromium("file://" + html.string() + "#view=1ms", "--dump-dom", 1);
  ASSERT_EQ(dom.status, 0) << dom.err;
  EXPECT_NE(dom.out.find("data-view=\"linear:-100:1000\""), std::string::npos);
  for (const char* tick : {">0</text>", ">+100 us</text>", ">+500 us</text>", ">+900 us</text>"})
    EXPECT_NE(dom.out.find(tick), std::string::npos) << tick;
  EXPECT_EQ(html_tag(dom.out).find("data-script-errors"), std::string::npos);
  const Result shot = chromium("file://" + html.string() + "#view=1ms",
                               "--screenshot=" + (dir_ / "zoom.png").string(), 2);
  EXPECT_EQ(shot.status, 0) << shot.err;
}

// The check catches what it is meant to catch: a script error and a request for a resource
// (blocked by the page's policy and by the resolver rules) are reported in the DOM.
TEST_F(ReportBrowser, AScriptErrorAndARequestAreCaught) {
  const fs::path html = dir_ / "broken.html";
  ASSERT_EQ(run({SPLITSECOND_BIN, "report", (kData / "crash-record.json").string(), "--html",
                 html.string()},
                dir_, std::chrono::seconds(60))
                .status,
            0);
  std::string page = slurp(html);
  const auto body_end = page.rfind("</body>");
  ASSERT_NE(body_end, std::string::npos);
  page.insert(body_end,
              "<img src=\"https://example.invalid/x.png\"><script>undefinedFunction();</script>");
  std::ofstream(html) << page;
  const Result dom = chromium("file://" + html.string(), "--dump-dom", 1);
  ASSERT_EQ(dom.status, 0) << dom.err;
  EXPECT_NE(html_tag(dom.out).find("data-script-errors=\"2\""), std::string::npos)
      << html_tag(dom.out);
  EXPECT_NE(dom.out.find("undefinedFunction is not defined"), std::string::npos);
  EXPECT_NE(dom.out.find("request blocked by the page policy"), std::string::npos);
}
