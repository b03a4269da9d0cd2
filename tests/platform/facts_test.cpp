#include "platform/facts.h"

#include <gtest/gtest.h>

namespace kse::platform {
namespace {

// GET /connectors?expand=status&expand=info of a Kafka 4.4 group: a sink whose task failed.
constexpr std::string_view kConnectors = R"({
  "file-sink": {
    "info": {"name": "file-sink", "type": "sink", "tasks": [{"connector": "file-sink", "task": 0}],
             "config": {"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
                        "topics": "testing", "tasks.max": "2", "file": "/nowhere/out.txt"}},
    "status": {"name": "file-sink", "type": "sink",
               "connector": {"state": "RUNNING", "worker_id": "127.0.0.1:8083"},
               "tasks": [{"id": 1, "state": "RUNNING", "worker_id": "127.0.0.1:8084"},
                         {"id": 0, "state": "FAILED", "worker_id": "127.0.0.1:8083",
                          "trace": "org.apache.kafka.connect.errors.ConnectException: java.nio.file.NoSuchFileException"}]}
  },
  "mm2-source": {
    "info": {"name": "mm2-source", "type": "source", "tasks": [],
             "config": {"connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector",
                        "source.cluster.alias": "backup", "target.cluster.alias": "primary",
                        "source.cluster.bootstrap.servers": "127.0.0.1:29092", "tasks.max": 1}},
    "status": {"name": "mm2-source", "type": "source",
               "connector": {"state": "UNASSIGNED", "worker_id": "127.0.0.1:8084"}, "tasks": []}
  }
})";

TEST(ConnectRestTest, ReadsConnectorsTasksAndTheirWorkers) {
  const auto connectors = parse_connectors(kConnectors);
  ASSERT_EQ(connectors.size(), 2u);
  const auto& sink = connectors[0];
  EXPECT_EQ(sink.name, "file-sink");
  EXPECT_EQ(sink.type, "sink");
  EXPECT_EQ(sink.connector_class, "org.apache.kafka.connect.file.FileStreamSinkConnector");
  EXPECT_EQ(sink.state, "RUNNING");
  EXPECT_EQ(sink.worker, "127.0.0.1:8083");
  EXPECT_FALSE(sink.trace);
  ASSERT_EQ(sink.tasks.size(), 2u);
  EXPECT_EQ(sink.tasks[0].id, 0);  // ordered by id
  EXPECT_EQ(sink.tasks[0].state, "FAILED");
  EXPECT_TRUE(sink.tasks[0].trace);
  EXPECT_EQ(sink.tasks[1].worker, "127.0.0.1:8084");
  EXPECT_FALSE(sink.tasks[1].trace);
  const auto& mirror = connectors[1];
  EXPECT_TRUE(is_mirror_source(mirror));
  EXPECT_FALSE(is_mirror_heartbeat(mirror));
  EXPECT_EQ(mirror.config.at("source.cluster.bootstrap.servers"), "127.0.0.1:29092");
  EXPECT_EQ(mirror.config.at("tasks.max"), "1");  // a number written back as text
  EXPECT_TRUE(mirror.tasks.empty());
}

TEST(ConnectRestTest, RefusesWhatIsNotConnectsAnswer) {
  EXPECT_THROW(parse_connectors("not json"), ParseError);
  EXPECT_THROW(parse_connectors("[]"), ParseError);
  // Connect before 2.3 answers a list of names: no status to read.
  EXPECT_THROW(parse_connectors(R"({"a": {"info": {}}})"), ParseError);
  EXPECT_THROW(parse_connectors(R"({"a": {"status": {"connector": {}}}})"), ParseError);
  EXPECT_TRUE(parse_connectors("{}").empty());
}

TEST(ConnectRestTest, ReadsAMirrorsCopiedOffsets) {
  const auto offsets = parse_mirror_offsets(R"({"offsets": [
      {"partition": {"cluster": "backup", "partition": 1, "topic": "mirrored"}, "offset": {"offset": 41}},
      {"partition": {"cluster": "backup", "partition": 0, "topic": "mirrored"}, "offset": {"offset": 99}},
      {"partition": {"cluster": "backup", "partition": 2, "topic": "mirrored"}, "offset": null}]})");
  ASSERT_EQ(offsets.size(), 2u);  // a reset offset (null) is no copied offset
  EXPECT_EQ(offsets[0].partition, 0);
  EXPECT_EQ(offsets[0].last_copied, 99);
  EXPECT_EQ(offsets[0].source_cluster, "backup");
  EXPECT_EQ(offsets[1].last_copied, 41);
  EXPECT_THROW(
      parse_mirror_offsets(R"({"offsets": [{"partition": {"file": "x"}, "offset": {"position": 3}}]})"),
      ParseError);
  EXPECT_THROW(parse_mirror_offsets(R"({"error_code": 404})"), ParseError);
}

using Config = std::map<std::string, std::string>;

TEST(MirroredTopicsTest, FollowsTheConnectorsTopicSettings) {
  // MirrorSourceConnector's defaults: every topic but internal ones and those from the target.
  const MirroredTopics every(Config{{"target.cluster.alias", "primary"}});
  EXPECT_TRUE(every.contains("mirrored"));
  EXPECT_TRUE(every.contains("heartbeats"));
  EXPECT_FALSE(every.contains("__consumer_offsets"));
  EXPECT_FALSE(every.contains("mm2-offset-syncs.primary.internal"));
  EXPECT_FALSE(every.contains("backup.checkpoints.internal"));
  EXPECT_FALSE(every.contains("orders.replica"));
  EXPECT_FALSE(every.contains("primary.mirrored"));  // came from the target: never copied back
  const MirroredTopics listed(Config{{"topics", "mirrored, orders-.*"}, {"topics.exclude", "orders-test"}});
  EXPECT_TRUE(listed.contains("mirrored"));
  EXPECT_TRUE(listed.contains("orders-eu"));
  EXPECT_FALSE(listed.contains("orders-test"));
  EXPECT_FALSE(listed.contains("mirrored2"));  // a whole name matches, as Java's matches()
  EXPECT_FALSE(MirroredTopics(Config{{"topics.blacklist", "mirrored"}}).contains("mirrored"));
  EXPECT_THROW(MirroredTopics(Config{{"topics", "orders-("}}), ParseError);
}

TEST(RegistryRestTest, ReadsSubjectsVersionsAndLevels) {
  EXPECT_EQ(parse_subjects(R"(["b-value", "a-value"])"), (std::vector<std::string>{"a-value", "b-value"}));
  EXPECT_EQ(parse_versions("[2, 1, 3]"), (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(parse_compatibility(R"({"compatibilityLevel": "BACKWARD"})"), "BACKWARD");
  EXPECT_EQ(parse_compatibility(R"({"compatibility": "FULL"})"), "FULL");
  EXPECT_THROW(parse_compatibility(R"({"error_code": 40408})"), ParseError);
  EXPECT_THROW(parse_subjects(R"([1])"), ParseError);
  EXPECT_THROW(parse_versions(R"(["1"])"), ParseError);
}

TEST(PrometheusTextTest, SumsTheSamplesThatMatch) {
  constexpr std::string_view kPage =
      "# TYPE http_server_requests_seconds summary\n"
      "http_server_requests_seconds_count{method=\"POST\",outcome=\"CLIENT_ERROR\",status=\"409\","
      "uri=\"/apis/ccompat/v7/subjects/a-value/versions\"} 2.0\n"
      "http_server_requests_seconds_count{method=\"POST\",outcome=\"CLIENT_ERROR\",status=\"409\","
      "uri=\"/apis/ccompat/v7/subjects/b-value/versions\"} 1.0\n"
      "http_server_requests_seconds_count{method=\"POST\",outcome=\"SUCCESS\",status=\"200\",uri=\"/x\"} "
      "7.0\n"
      "http_server_requests_seconds_count_other{method=\"POST\",status=\"409\"} 100\n"
      "http_server_requests_seconds_sum{method=\"POST\",status=\"409\"} 0.5\n";
  EXPECT_EQ(sum_samples(kPage, "http_server_requests_seconds_count", {{"method", "POST"}, {"status", "409"}}),
            3.0);
  EXPECT_EQ(sum_samples(kPage, "http_server_requests_seconds_count", {{"status", "200"}}), 7.0);
  EXPECT_FALSE(sum_samples(kPage, "http_server_requests_seconds_count", {{"status", "500"}}));
  EXPECT_FALSE(sum_samples("garbage{\n", "garbage", {}));
}

}  // namespace
}  // namespace kse::platform
