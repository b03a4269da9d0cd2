#include "app/pages.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "app/cycle_stats.h"

namespace kse::app {
namespace {

metrics::Family gauge(const std::string& name, std::vector<std::pair<int32_t, double>> samples) {
  metrics::Family family{name, "A gauge.", metrics::MetricType::kGauge, {}, {}};
  for (const auto& [owner, value] : samples) {
    metrics::Sample sample;
    sample.value = value;
    sample.owner = owner;
    family.samples.push_back(sample);
  }
  return family;
}

// What a scraper reads: the text, and the gzip body as the system's gzip expands it.
std::string text_of(const render::RenderedPage& page) { return render::page_text(page); }
std::string gunzip(const render::RenderedPage& page) {
  const std::string path = ::testing::TempDir() + "/page.gz";
  std::ofstream(path, std::ios::binary) << *page.gzip_head << page.gzip;
  FILE* pipe = popen(("gzip -dc " + path).c_str(), "r");
  std::string out;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
  EXPECT_EQ(pclose(pipe), 0) << "gzip rejects the page";
  return out;
}

PagePlan three_ports() {
  PortPlan ports;
  ports.cluster_port = 9308;
  ports.broker_ports = {{1, 7071}, {2, 7072}};
  return plan_pages(ports, {9308, 7071, 7072});
}

TEST(PagesTest, EachPortGetsItsOwnersSeriesHeadThenTail) {
  const std::vector<metrics::Family> cycle = {gauge("kafka_a", {{-1, 1}, {1, 2}, {2, 3}})};
  const std::vector<metrics::Family> probe = {gauge("kafka_probe_up", {{2, 1}})};
  Pages pages;
  pages.render_heads(three_ports(), {&cycle});
  const auto served = pages.with_tail({&probe}, std::chrono::system_clock::now());
  ASSERT_EQ(served.size(), 3u);
  EXPECT_EQ(served[0].port, 9308);
  EXPECT_EQ(text_of(*served[0].page), "# HELP kafka_a A gauge.\n# TYPE kafka_a gauge\nkafka_a 1\n");
  EXPECT_EQ(served[1].port, 7071);
  EXPECT_EQ(served[1].page->series, 1u);
  EXPECT_EQ(served[2].port, 7072);
  EXPECT_EQ(text_of(*served[2].page),
            "# HELP kafka_a A gauge.\n# TYPE kafka_a gauge\nkafka_a 3\n"
            "# HELP kafka_probe_up A gauge.\n# TYPE kafka_probe_up gauge\nkafka_probe_up 1\n");
  EXPECT_EQ(served[2].page->series, 2u);
  for (const auto& [port, page] : served) EXPECT_EQ(gunzip(*page), text_of(*page)) << port;
}

TEST(PagesTest, TheLastRenderSaysEachHeadsSizes) {
  Pages pages;
  EXPECT_FALSE(pages.last_cost());
  const std::vector<metrics::Family> cycle = {gauge("kafka_a", {{-1, 1}, {1, 2}, {2, 3}})};
  pages.render_heads(three_ports(), {&cycle});
  const auto served = pages.with_tail({}, std::chrono::system_clock::now());
  ASSERT_TRUE(pages.last_cost());
  const auto& cost = *pages.last_cost();
  ASSERT_EQ(cost.pages.size(), 3u);
  for (const auto& [port, page] : served) {
    EXPECT_EQ(cost.pages.at(port).text, text_of(*page).size()) << port;
    EXPECT_EQ(cost.pages.at(port).gzip, page->gzip_head->size()) << port;
  }
  EXPECT_GE(cost.render_seconds, 0);
  EXPECT_GE(cost.gzip_seconds, 0);
}

TEST(PagesTest, ANewTailKeepsTheCyclesHeadAndStaysOneGzipBody) {
  const std::vector<metrics::Family> cycle = {gauge("kafka_a", {{2, 3}})};
  Pages pages;
  pages.render_heads(three_ports(), {&cycle});
  const auto first = pages.with_tail({}, std::chrono::system_clock::now());
  const std::vector<metrics::Family> probe = {gauge("kafka_probe_up", {{2, 0}})};
  const auto second = pages.with_tail({&probe}, std::chrono::system_clock::now());
  // The head is shared, not rendered again (only its gzip is kept: RenderedPage has no text head).
  EXPECT_EQ(first[2].page->gzip_head, second[2].page->gzip_head);
  EXPECT_EQ(text_of(*second[2].page), text_of(*first[2].page) +
                                          "# HELP kafka_probe_up A gauge.\n# TYPE kafka_probe_up gauge\n"
                                          "kafka_probe_up 0\n");
  EXPECT_EQ(gunzip(*second[2].page), text_of(*second[2].page));
}

TEST(CycleStatsTest, CyclesAreOkPartialOrFailed) {
  model::CollectorStatuses collectors;
  EXPECT_EQ(classify_cycle(collectors), CycleResult::kOk);
  collectors[model::CollectorId::kGroups] = {false, "broker 2: timed out", "timeout"};
  EXPECT_EQ(classify_cycle(collectors), CycleResult::kPartial);
  collectors[model::CollectorId::kMetadata] = {false, "no broker answered", "connection"};
  EXPECT_EQ(classify_cycle(collectors), CycleResult::kFailed);
}

TEST(CycleStatsTest, OnlyACompleteCycleMovesTheLastSuccess) {
  model::ExporterStats stats;
  model::ClusterSnapshot snapshot;
  snapshot.complete = true;
  snapshot.cycle_duration = std::chrono::duration<double>(0.25);
  record_cycle(stats, snapshot, 1000);
  snapshot.complete = false;
  snapshot.collectors[model::CollectorId::kOffsets] = {false, "broker 2: timed out", "timeout"};
  record_cycle(stats, snapshot, 1015);
  EXPECT_EQ(stats.cycles_ok, 1u);
  EXPECT_EQ(stats.cycles_partial, 1u);
  EXPECT_EQ(stats.cycles_failed, 0u);
  EXPECT_EQ(stats.last_collect_unix, 1015);
  EXPECT_EQ(stats.last_success_unix, 1000);
  EXPECT_EQ(stats.last_cycle_seconds, 0.25);
  EXPECT_FALSE(stats.collectors.up(model::CollectorId::kOffsets));
}

}  // namespace
}  // namespace kse::app
