#include <gtest/gtest.h>

#include <set>

#include "collector/collector.h"
#include "support/test_support.h"

namespace kse::collector {
namespace {

using model::CollectorId;

// docs/architecture.md carries the collector table verbatim; regenerate it with
// `kafka-sidecar-exporter --print-collectors` when a row changes.
TEST(CollectorTableTest, DocumentationMatchesTheTable) {
  const auto documented = kse::test::generated_section("docs/architecture.md", "collectors");
  ASSERT_TRUE(documented) << "docs/architecture.md lacks the generated section";
  EXPECT_EQ(*documented, table_markdown())
      << "docs/architecture.md disagrees with the code; regenerate the collector table";
}

TEST(CollectorTableTest, EachIdHasItsRow) {
  const auto& table = Collector::table();
  for (CollectorId id : model::kCollectorIds) {
    const auto& row = table[static_cast<size_t>(id)];
    EXPECT_EQ(row.id, id) << model::collector_name(id);
    EXPECT_NE(row.run, nullptr) << model::collector_name(id);
    EXPECT_FALSE(row.requests.empty()) << model::collector_name(id);
    EXPECT_FALSE(row.series_owner.empty()) << model::collector_name(id);
  }
}

// Metadata starts the cycle; every other row but the ZooKeeper ensemble's (which does not ask
// Kafka, and runs beside it) is reached from it by its `after` chain.
TEST(CollectorTableTest, EveryRowRunsAfterMetadataWithoutACycle) {
  const auto& table = Collector::table();
  EXPECT_FALSE(table[static_cast<size_t>(CollectorId::kMetadata)].after.has_value());
  EXPECT_FALSE(table[static_cast<size_t>(CollectorId::kZooKeeper)].after.has_value());
  for (const auto& row : table) {
    if (row.id == CollectorId::kMetadata || row.id == CollectorId::kZooKeeper) continue;
    std::set<CollectorId> seen{row.id};
    CollectorId at = row.id;
    while (at != CollectorId::kMetadata) {
      const auto& after = table[static_cast<size_t>(at)].after;
      ASSERT_TRUE(after.has_value()) << model::collector_name(row.id) << " never runs";
      ASSERT_TRUE(seen.insert(*after).second) << model::collector_name(row.id) << " runs after itself";
      at = *after;
    }
  }
}

// Committed offsets are read before log ends, so lag is never negative; the records at
// committed offsets are read once both are known.
TEST(CollectorTableTest, OffsetsFollowGroupsAndRecordTimesFollowOffsets) {
  const auto& table = Collector::table();
  EXPECT_EQ(table[static_cast<size_t>(CollectorId::kOffsets)].after, CollectorId::kGroups);
  EXPECT_EQ(table[static_cast<size_t>(CollectorId::kRecordTimes)].after, CollectorId::kOffsets);
}

TEST(CollectorTableTest, NamesAreTheServedLabelValues) {
  std::set<std::string_view> names;
  for (CollectorId id : model::kCollectorIds) names.insert(model::collector_name(id));
  EXPECT_EQ(names, (std::set<std::string_view>{"metadata", "groups", "offsets", "record_times", "log_dirs",
                                               "topic_configs", "quorum", "reassignments", "transactions",
                                               "zookeeper", "quotas", "registrations"}));
}

}  // namespace
}  // namespace kse::collector
