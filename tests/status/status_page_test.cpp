#include "status/status_page.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/catalogue.h"
#include "model/derived.h"
#include "model/model.h"

namespace kse::status {
namespace {

using metrics::Family;
using model::Clock;
using model::ClusterSnapshot;

// Topic "orders", one partition with its log end at 1000, and one group per entry of
// `lags`, each committed `lag` records behind.
ClusterSnapshot snapshot_with(const std::vector<std::pair<std::string, int64_t>>& lags) {
  ClusterSnapshot s;
  s.taken_at = Clock::time_point(std::chrono::seconds(1'000'000));
  s.cluster_id = "abc";
  s.controller_id = 1;
  s.brokers = {{1, "kafka-1.example", 9092, std::nullopt, true, true, false},
               {2, "kafka-2.example", 9192, std::string("r2"), true, false, std::nullopt},
               {3, "kafka-3.example", 9292, std::nullopt, true, true, false}};
  model::TopicState orders;
  orders.name = "orders";
  orders.min_insync_replicas = 2;
  model::PartitionState p;
  p.partition = 0;
  p.leader = 1;
  p.replicas = {1, 2, 3};
  p.isr = {1, 3};
  p.latest_offset = 1000;
  orders.partitions.push_back(p);
  s.topics.push_back(orders);
  for (const auto& [group, lag] : lags) {
    model::GroupState g;
    g.group_id = group;
    g.state = "Stable";
    g.offsets_known = true;
    g.committed[{"orders", 0}] = 1000 - lag;
    // The oldest unconsumed record is `lag` seconds old.
    if (lag > 0) s.record_timestamps[{{"orders", 0}, 1000 - lag}] = (1'000'000 - lag) * 1000;
    s.groups.push_back(g);
  }
  std::sort(s.groups.begin(), s.groups.end(),
            [](const auto& a, const auto& b) { return a.group_id < b.group_id; });
  return s;
}

struct Rendered {
  std::vector<Family> families;
  std::string html;
};

Rendered render(const ClusterSnapshot& snapshot, const FamilySets& probe = {}, bool probe_enabled = false) {
  Rendered out;
  model::DerivedState derived;
  model::advance(derived, snapshot);
  out.families = model::build_cluster_families(snapshot, derived, {});
  PageContext context;
  context.cluster_port = 9308;
  context.broker_ports = {{1, 9401}, {2, 9402}, {3, 9403}};
  context.link_host = "exporter.example";
  context.refresh_seconds = 15;
  context.probe_enabled = probe_enabled;
  model::ExporterStats stats;
  stats.version = "1.2.3";
  out.html = render_status_page(snapshot, {&out.families}, probe, stats, context);
  return out;
}

// The text of the row that starts at `marker`, up to its end.
std::string row(const std::string& html, const std::string& marker) {
  const size_t start = html.find(marker);
  if (start == std::string::npos) return "";
  return html.substr(start, html.find("</tr>", start) - start);
}

// The text of the element with `id`, up to the end of its table or list.
std::string section(const std::string& html, const std::string& id) {
  const size_t start = html.find("id=\"" + id + "\"");
  if (start == std::string::npos) return "";
  const size_t end = html.find("</table>", start);
  return html.substr(start, (end == std::string::npos ? html.find("</ul>", start) : end) - start);
}

TEST(StatusPageTest, RefreshesItselfWithoutScript) {
  const auto page = render(snapshot_with({{"billing", 5}})).html;
  EXPECT_NE(page.find("<meta http-equiv=\"refresh\" content=\"15\">"), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos);
}

TEST(StatusPageTest, DownBrokerShownDownWithItsPorts) {
  const auto page = render(snapshot_with({})).html;
  const std::string down = row(page, "<tr id=\"broker-2\">");
  EXPECT_NE(down.find("class=\"down\">down (not reachable)"), std::string::npos) << down;
  EXPECT_NE(down.find("kafka-2.example:9192"), std::string::npos) << down;
  EXPECT_NE(down.find("href=\"//exporter.example:9402/metrics\""), std::string::npos) << down;
  const std::string up = row(page, "<tr id=\"broker-1\">");
  EXPECT_NE(up.find("class=\"up\">up"), std::string::npos) << up;
  EXPECT_NE(up.find("(controller)"), std::string::npos) << up;
}

TEST(StatusPageTest, FencedAndGoneBrokersAreDown) {
  auto snapshot = snapshot_with({});
  snapshot.brokers[0].fenced = true;
  snapshot.brokers[2].registered = false;
  const auto page = render(snapshot).html;
  EXPECT_NE(row(page, "<tr id=\"broker-1\">").find("down (fenced)"), std::string::npos);
  EXPECT_NE(row(page, "<tr id=\"broker-3\">").find("class=\"down\">gone"), std::string::npos);
}

TEST(StatusPageTest, PartitionCounts) {
  const auto page = render(snapshot_with({})).html;
  const std::string partitions = section(page, "partitions");
  EXPECT_NE(partitions.find("<th>Partitions</th><td class=\"num\">1</td>"), std::string::npos) << partitions;
  EXPECT_NE(partitions.find("<th>Under-replicated</th><td class=\"num down\">1</td>"), std::string::npos)
      << partitions;
  EXPECT_NE(partitions.find("<th>Under min ISR</th><td class=\"num\">0</td>"), std::string::npos)
      << partitions;
  EXPECT_NE(partitions.find("<th>Offline</th><td class=\"num\">0</td>"), std::string::npos) << partitions;
  EXPECT_NE(partitions.find("<th>Reassigning</th><td class=\"num\">0</td>"), std::string::npos) << partitions;
}

TEST(StatusPageTest, UnreadValuesShownUnknownNotZero) {
  auto snapshot = snapshot_with({{"billing", 5}});
  // Reassignments unread: neither their count nor the short ISR's meaning is known.
  snapshot.collectors[model::CollectorId::kReassignments] = {false, "broker 1: timed out", "timeout"};
  // The log end unread: the group's lag is unknown.
  snapshot.topics[0].partitions[0].latest_offset.reset();
  const auto page = render(snapshot).html;
  const std::string unknown = "<td class=\"num unknown\">\u2014</td>";
  const std::string partitions = section(page, "partitions");
  EXPECT_NE(partitions.find("<th>Reassigning</th>" + unknown), std::string::npos) << partitions;
  EXPECT_NE(partitions.find("<th>Under-replicated</th>" + unknown), std::string::npos) << partitions;
  const std::string groups = row(page, "<tr><td>billing</td>");
  EXPECT_EQ(groups, "<tr><td>billing</td>" + unknown + unknown) << groups;
  EXPECT_NE(page.find("id=\"probe-off\""), std::string::npos);
  const std::string collectors = row(page, "<tr><td>reassignments</td>");
  EXPECT_NE(collectors.find("class=\"down\">down"), std::string::npos) << collectors;
  EXPECT_NE(collectors.find("broker 1: timed out"), std::string::npos) << collectors;
}

TEST(StatusPageTest, WithoutMetadataCountsAreUnknown) {
  auto snapshot = snapshot_with({});
  snapshot.collectors[model::CollectorId::kMetadata] = {false, "no broker answered", "timeout"};
  const auto page = render(snapshot).html;
  const std::string partitions = section(page, "partitions");
  EXPECT_EQ(partitions.find(">0<"), std::string::npos) << partitions;
  EXPECT_NE(partitions.find("<th>Offline</th><td class=\"num unknown\">\u2014</td>"), std::string::npos);
  EXPECT_NE(page.find("the brokers are those last seen"), std::string::npos);
}

TEST(StatusPageTest, NamesFromKafkaAreEscaped) {
  auto snapshot = snapshot_with({{"<script>alert('x')</script>", 3}});
  snapshot.brokers[0].host = "\"><b>host";
  const auto page = render(snapshot).html;
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_NE(page.find("<td>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</td>"), std::string::npos);
  EXPECT_NE(page.find("&quot;&gt;&lt;b&gt;host:9092"), std::string::npos);
  EXPECT_EQ(page.find("<b>host"), std::string::npos);
}

TEST(StatusPageTest, MostLaggingGroupsFirstTopTen) {
  std::vector<std::pair<std::string, int64_t>> lags = {{"small", 5}, {"large", 500}, {"middle", 50}};
  for (int i = 0; i < 10; ++i) lags.emplace_back("idle-" + std::to_string(i), 0);
  const auto page = render(snapshot_with(lags)).html;
  const std::string groups = section(page, "groups");
  const size_t large = groups.find("<td>large</td>");
  const size_t middle = groups.find("<td>middle</td>");
  const size_t small = groups.find("<td>small</td>");
  ASSERT_NE(large, std::string::npos) << groups;
  EXPECT_LT(large, middle);
  EXPECT_LT(middle, small);
  EXPECT_NE(row(groups, "<tr><td>large</td>").find(">500</td><td class=\"num\">500 s (8 min)</td>"),
            std::string::npos)
      << groups;
  EXPECT_NE(row(groups, "<tr><td>small</td>").find(">5</td><td class=\"num\">5.0 s</td>"), std::string::npos);
  // 13 groups: the 10 most behind, so three idle ones are left out.
  size_t rows = 0;
  for (size_t at = groups.find("<tr><td>"); at != std::string::npos; at = groups.find("<tr><td>", at + 1))
    ++rows;
  EXPECT_EQ(rows, 10U);
  EXPECT_NE(page.find("The 10 most behind of 13 groups"), std::string::npos);
}

TEST(StatusPageTest, ProbeLatencyPerBroker) {
  std::vector<Family> probe = {model::make_family("kafka_probe_up"),
                               model::make_family("kafka_probe_produce_latency_seconds"),
                               model::make_family("kafka_probe_end_to_end_latency_seconds")};
  probe[0].samples.push_back({"", {"1"}, {}, 1, 1});
  probe[0].samples.push_back({"", {"2"}, {}, 0, 2});
  probe[1].samples.push_back({"_sum", {"1"}, {}, 0.5, 1});
  probe[1].samples.push_back({"_count", {"1"}, {}, 100, 1});
  probe[2].samples.push_back({"_sum", {"1"}, {}, 1.2, 1});
  probe[2].samples.push_back({"_count", {"1"}, {}, 100, 1});
  const auto page = render(snapshot_with({}), {&probe}, true).html;
  const std::string table = section(page, "probe");
  EXPECT_NE(table.find("<tr><td>1</td><td class=\"up\">up</td><td class=\"num\">5.0 ms</td>"
                       "<td class=\"num\">12.0 ms</td>"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("<tr><td>2</td><td class=\"down\">down</td><td class=\"num\">\u2014</td>"),
            std::string::npos)
      << table;
  EXPECT_EQ(page.find("probe-off"), std::string::npos);
}

TEST(StatusPageTest, LinksToEveryPortsMetrics) {
  const std::string links = section(render(snapshot_with({})).html, "links");
  for (int port : {9308, 9401, 9402, 9403}) {
    EXPECT_NE(links.find("href=\"//exporter.example:" + std::to_string(port) + "/metrics\""),
              std::string::npos)
        << links;
  }
  // And its own port's endpoints by path, as every port's index has them.
  for (const char* link : {"href=\"/metrics\"", "href=\"/healthz\"", "href=\"/ready\""}) {
    EXPECT_NE(links.find(link), std::string::npos) << links;
  }
}

}  // namespace
}  // namespace kse::status
