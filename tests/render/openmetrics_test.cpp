#include "render/openmetrics.h"

#include <gtest/gtest.h>

#include <fstream>
#include <limits>
#include <sstream>

#include "render/exposition.h"
#include "support/test_support.h"

namespace kse::render {
namespace {

using metrics::Family;
using metrics::MetricType;
using metrics::Sample;

Sample sample(std::vector<std::string> values, double value, std::string suffix = "",
              std::vector<metrics::Label> extra = {}) {
  Sample s;
  s.label_values = std::move(values);
  s.value = value;
  s.suffix = std::move(suffix);
  s.extra_labels = std::move(extra);
  return s;
}

// The families of the golden page: every type, escapes, and a counter named without _total.
std::vector<Family> golden_families() {
  return {
      {"kafka_brokers", "Brokers in the \"cluster\" metadata.", MetricType::kGauge, {}, {sample({}, 3)}},
      {"kafka_sidecar_requests_total",
       "Requests sent, by API.\nSecond \\ line",
       MetricType::kCounter,
       {"api"},
       {sample({"Metadata"}, 42), sample({"we\"ird\\api\n"}, 0)}},
      {"kafka_sidecar_reconnects",
       "Reconnections (a counter named without _total).",
       MetricType::kCounter,
       {"broker"},
       {sample({"1"}, 7)}},
      {"kafka_sidecar_cycle_seconds",
       "Cycle duration.",
       MetricType::kHistogram,
       {},
       {sample({}, 1, "_bucket", {{"le", "0.5"}}), sample({}, 2, "_bucket", {{"le", "+Inf"}}),
        sample({}, 1.25, "_sum"), sample({}, 2, "_count")}},
      {"kafka_sidecar_odd", "Untyped.", MetricType::kUntyped, {}, {sample({}, 0.5)}},
      {"kafka_sidecar_not_a_number",
       "Not a number.",
       MetricType::kGauge,
       {},
       {sample({}, std::numeric_limits<double>::quiet_NaN())}},
  };
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(OpenMetricsTest, MatchesGoldenFile) {
  const std::string golden = test::source_dir() + "/tests/render/data/openmetrics.golden";
  EXPECT_EQ(openmetrics_from_text(render_text(golden_families())), read(golden));
}

TEST(OpenMetricsTest, TheTextFormatIsUnchanged) {
  const std::string golden = test::source_dir() + "/tests/render/data/text-0.0.4.golden";
  EXPECT_EQ(render_text(golden_families()), read(golden));
}

TEST(OpenMetricsTest, EmptyPageIsJustEof) { EXPECT_EQ(openmetrics_from_text(""), "# EOF\n"); }

// prometheus_client's OpenMetrics parser (Debian's python3-prometheus-client) reads the page.
TEST(OpenMetricsTest, PrometheusClientParserAcceptsThePage) {
  const std::string page = testing::TempDir() + "/openmetrics_page.txt";
  std::ofstream(page) << openmetrics_from_text(render_text(golden_families()));
  const auto result = test::run_command(
      "/usr/bin/python3 -c 'import sys\n"
      "from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse\n"
      "for f in parse(open(sys.argv[1]).read()): print(f.name, f.type, len(f.samples))' " +
      page);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("kafka_sidecar_requests counter 2"), std::string::npos) << result.output;
  // A counter without _total keeps its name (as unknown): the series Prometheus stores are
  // named as on the 0.0.4 page, which the dashboards and rules query.
  EXPECT_NE(result.output.find("kafka_sidecar_reconnects unknown 1"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("kafka_brokers gauge 1"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("kafka_sidecar_cycle_seconds histogram 4"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("kafka_sidecar_odd unknown 1"), std::string::npos) << result.output;
}

TEST(FilterFamiliesTest, KeepsOnlyTheNamedFamiliesWhole) {
  const std::string text = render_text(golden_families());
  const std::string kept = filter_families(text, {"kafka_brokers", "kafka_sidecar_requests_total", "absent"});
  EXPECT_EQ(kept,
            "# HELP kafka_brokers Brokers in the \"cluster\" metadata.\n"
            "# TYPE kafka_brokers gauge\n"
            "kafka_brokers 3\n"
            "# HELP kafka_sidecar_requests_total Requests sent, by API.\\nSecond \\\\ line\n"
            "# TYPE kafka_sidecar_requests_total counter\n"
            "kafka_sidecar_requests_total{api=\"Metadata\"} 42\n"
            "kafka_sidecar_requests_total{api=\"we\\\"ird\\\\api\\n\"} 0\n");
  EXPECT_EQ(filter_families(text, {"kafka_sidecar"}), "");
}

}  // namespace
}  // namespace kse::render
