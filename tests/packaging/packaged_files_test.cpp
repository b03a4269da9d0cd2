// What the Debian package ships beside the binary stays true to the binary: the default
// configuration passes --check-config and the manual page documents every flag.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "support/test_support.h"

namespace kse::test {
namespace {

std::string binary() { return build_dir() + "/exporter/kafka-sidecar-exporter"; }

std::string read_file(const std::string& path) {
  std::ifstream stream(path);
  std::stringstream buffer;
  buffer << stream.rdbuf();
  return buffer.str();
}

TEST(PackagedFilesTest, DefaultConfigurationPassesCheckConfig) {
  // The packaged file names the rules where the package installs them; here they are in the tree.
  std::string config = read_file(source_dir() + "/packaging/deb/exporter.yml");
  ASSERT_FALSE(config.empty());
  const std::string installed = "/etc/kafka-sidecar-exporter/kafka-broker-rules.yml";
  ASSERT_NE(config.find(installed), std::string::npos) << config;
  config.replace(config.find(installed), installed.size(), source_dir() + "/exporter/kafka-broker-rules.yml");
  const std::string path = "/tmp/kse-packaged-exporter-test.yml";
  std::ofstream(path) << config;
  auto result = run_command(binary() + " --check-config -c " + path);
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST(PackagedFilesTest, ManualPageNamesEveryFlagOfHelp) {
  auto help = run_command(binary() + " --help");
  ASSERT_EQ(help.exit_code, 0);
  const std::string manual = read_file(source_dir() + "/packaging/deb/kafka-sidecar-exporter.1");
  ASSERT_FALSE(manual.empty());
  const std::regex flag("--[a-z][a-z.-]*[a-z]");
  std::set<std::string> flags;
  for (std::sregex_iterator it(help.output.begin(), help.output.end(), flag), end; it != end; ++it) {
    flags.insert(it->str());
  }
  EXPECT_GE(flags.size(), 10u) << help.output;
  for (const auto& name : flags) {
    // roff writes a hyphen as \-.
    std::string roff;
    for (char c : name) roff += (c == '-') ? std::string("\\-") : std::string(1, c);
    EXPECT_NE(manual.find(roff), std::string::npos) << name << " is not in the manual page";
  }
}

}  // namespace
}  // namespace kse::test
