#include "platform/families.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace kse::platform {
namespace {

const metrics::Family* find(const std::vector<metrics::Family>& families, std::string_view name) {
  auto it = std::find_if(families.begin(), families.end(), [name](const auto& f) { return f.name == name; });
  return it == families.end() ? nullptr : &*it;
}

// The value of the sample whose labels are `labels`; NaN when there is none.
double value(const std::vector<metrics::Family>& families, std::string_view name,
             const std::vector<std::string>& labels) {
  const auto* family = find(families, name);
  if (!family) return std::nan("");
  for (const auto& sample : family->samples) {
    if (sample.label_values == labels) return sample.value;
  }
  return std::nan("");
}

ConnectFacts two_connectors() {
  ConnectFacts facts;
  facts.up = true;
  ConnectorStatus sink;
  sink.name = "file-sink";
  sink.type = "sink";
  sink.connector_class = "FileStreamSinkConnector";
  sink.state = "RUNNING";
  sink.worker = "w1";
  sink.tasks = {{0, "FAILED", "w1", true}, {1, "RUNNING", "w2", false}};
  ConnectorStatus mirror;
  mirror.name = "mm2";
  mirror.type = "source";
  mirror.connector_class = "org.apache.kafka.connect.mirror.MirrorSourceConnector";
  mirror.state = "RUNNING";
  mirror.worker = "w2";
  facts.connectors = {sink, mirror};
  Mirror copied;
  copied.connector = "mm2";
  copied.kind = "source";
  copied.source_cluster = "backup";
  copied.offsets_read = true;
  copied.partitions = {{"mirrored", 0, 100, 130}, {"mirrored", 1, 50, std::nullopt}, {"other", 0, 9, 5}};
  Mirror heartbeat;
  heartbeat.connector = "mm2-heartbeat";
  heartbeat.kind = "heartbeat";
  heartbeat.source_cluster = "backup";
  heartbeat.target_cluster = "primary";
  heartbeat.newest_record = 990.0;
  facts.mirrors = {copied, heartbeat};
  facts.task_restarts[{"file-sink", 1}] = 2;
  return facts;
}

TEST(ConnectFamiliesTest, StatesAreOneHotAndTasksCountedPerState) {
  const auto families = connect_families(two_connectors(), true, 1000.0);
  EXPECT_EQ(value(families, "kafka_connect_up", {}), 1);
  EXPECT_EQ(value(families, "kafka_connect_connectors", {}), 2);
  EXPECT_EQ(value(families, "kafka_connect_connector_state", {"file-sink", "w1", "RUNNING"}), 1);
  EXPECT_EQ(value(families, "kafka_connect_connector_state", {"file-sink", "w1", "FAILED"}), 0);
  EXPECT_EQ(value(families, "kafka_connect_connector_tasks", {"file-sink", "FAILED"}), 1);
  EXPECT_EQ(value(families, "kafka_connect_connector_tasks", {"file-sink", "RUNNING"}), 1);
  EXPECT_EQ(value(families, "kafka_connect_connector_tasks", {"mm2", "RUNNING"}), 0);
  EXPECT_EQ(value(families, "kafka_connect_task_state", {"file-sink", "0", "w1", "FAILED"}), 1);
  EXPECT_EQ(value(families, "kafka_connect_task_state", {"file-sink", "0", "w1", "RUNNING"}), 0);
  EXPECT_EQ(value(families, "kafka_connect_task_trace_present", {"file-sink", "0"}), 1);
  EXPECT_EQ(value(families, "kafka_connect_task_trace_present", {"file-sink", "1"}), 0);
  EXPECT_EQ(value(families, "kafka_connect_task_restarts_total", {"file-sink", "1"}), 2);
  EXPECT_EQ(value(families, "kafka_connect_task_restarts_total", {"file-sink", "0"}), 0);
  EXPECT_EQ(value(families, "kafka_sidecar_collector_up", {"connect"}), 1);
  EXPECT_EQ(value(families, "kafka_sidecar_collector_up", {"mirrors"}), 1);
}

TEST(ConnectFamiliesTest, MirrorLagIsSourceEndMinusCopiedAndNeverAPartialSum) {
  const auto families = connect_families(two_connectors(), true, 1000.0);
  EXPECT_EQ(value(families, "kafka_mirror_partition_lag", {"mm2", "backup", "mirrored", "0"}), 30);
  EXPECT_EQ(value(families, "kafka_mirror_partition_copied_offset", {"mm2", "backup", "mirrored", "1"}), 50);
  // The source end of partition 1 is unknown: no lag for it, and none for its topic.
  EXPECT_TRUE(std::isnan(value(families, "kafka_mirror_partition_lag", {"mm2", "backup", "mirrored", "1"})));
  EXPECT_TRUE(std::isnan(value(families, "kafka_mirror_topic_lag", {"mm2", "backup", "mirrored"})));
  // A source log end below the copied offset (a truncated source) is lag 0, not negative.
  EXPECT_EQ(value(families, "kafka_mirror_partition_lag", {"mm2", "backup", "other", "0"}), 0);
  EXPECT_EQ(value(families, "kafka_mirror_topic_lag", {"mm2", "backup", "other"}), 0);
  EXPECT_EQ(value(families, "kafka_mirror_heartbeat_age_seconds", {"mm2-heartbeat", "backup", "primary"}),
            10);
}

TEST(ConnectFamiliesTest, ADownGroupIsReportedDownNeverAsZeros) {
  ConnectFacts facts;
  facts.error = "connecting to 127.0.0.1:8083: Connection refused";
  const auto families = connect_families(facts, true, 1000.0);
  EXPECT_EQ(value(families, "kafka_connect_up", {}), 0);
  EXPECT_EQ(value(families, "kafka_sidecar_collector_up", {"connect"}), 0);
  EXPECT_EQ(find(families, "kafka_connect_connectors"), nullptr);
  EXPECT_EQ(find(families, "kafka_connect_connector_state"), nullptr);
  for (const auto& family : families) {
    for (const auto& sample : family.samples) EXPECT_EQ(sample.owner, metrics::kClusterOwner) << family.name;
  }
}

TEST(ConnectFamiliesTest, AMirrorThatCouldNotBeReadSaysSo) {
  ConnectFacts facts = two_connectors();
  facts.mirror_error = "mirror mm2: HTTP 404";
  facts.mirror_reason = "http";
  const auto families = connect_families(facts, true, 1000.0);
  EXPECT_EQ(value(families, "kafka_sidecar_collector_up", {"mirrors"}), 0);
  EXPECT_EQ(value(families, "kafka_sidecar_collector_error_info", {"mirrors", "http"}), 1);
}

TEST(RegistryFamiliesTest, SubjectsVersionsAndEffectiveLevels) {
  RegistryFacts facts;
  facts.up = true;
  facts.global_compatibility = "BACKWARD";
  facts.subjects = {{"a-value", {1, 2, 4}, ""}, {"b-value", {1}, "NONE"}};
  facts.refused_registrations = 3;
  const auto families = registry_families(facts, true);
  EXPECT_EQ(value(families, "kafka_schema_registry_up", {}), 1);
  EXPECT_EQ(value(families, "kafka_schema_registry_subjects", {}), 2);
  EXPECT_EQ(value(families, "kafka_schema_registry_subject_versions", {"a-value"}), 3);
  EXPECT_EQ(value(families, "kafka_schema_registry_subject_latest_version", {"a-value"}), 4);
  EXPECT_EQ(value(families, "kafka_schema_registry_subject_compatibility", {"a-value", "BACKWARD"}), 1);
  EXPECT_EQ(value(families, "kafka_schema_registry_subject_compatibility", {"b-value", "NONE"}), 1);
  EXPECT_EQ(value(families, "kafka_schema_registry_global_compatibility", {"BACKWARD"}), 1);
  EXPECT_EQ(value(families, "kafka_schema_registry_refused_registrations_total", {}), 3);
  // Not configured to count refusals: absent, not 0.
  EXPECT_EQ(find(registry_families(facts, false), "kafka_schema_registry_refused_registrations_total"),
            nullptr);
  const auto down = registry_families(RegistryFacts{}, true);
  EXPECT_EQ(value(down, "kafka_schema_registry_up", {}), 0);
  EXPECT_EQ(find(down, "kafka_schema_registry_subjects"), nullptr);
}

}  // namespace
}  // namespace kse::platform
