#include "probe/probe.h"

#include <librdkafka/rdkafka.h>

#include <spdlog/spdlog.h>
#include <chrono>

#include <algorithm>
#include <charconv>
#include <random>
#include <set>

#include "common/clock.h"
#include "oauth/token_provider.h"

namespace kse::probe {

using common::unix_now;

namespace {

constexpr auto kTopologyEvery = std::chrono::seconds(10);
constexpr int kAdminTimeoutMs = 10000;
// The topology read blocks the probe's thread, and so a stop: kept short (it is retried
// at the next topology check).
constexpr int kMetadataTimeoutMs = 3000;

// Loss timeout: well past librdkafka's own delivery timeout, so a message is
// either failed by the producer or lost after being acknowledged.
std::chrono::milliseconds loss_timeout(std::chrono::milliseconds interval) {
  return std::max<std::chrono::milliseconds>(10 * interval, std::chrono::seconds(15));
}

std::string random_instance() {
  std::random_device device;
  std::mt19937_64 engine(device());
  return std::to_string(engine() % 1000000000000ULL);
}

void set(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  char error[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK) {
    throw ProbeError("probe: librdkafka setting " + key + ": " + error);
  }
}

// Payload: "<instance> <sequence>".
std::string payload(const std::string& instance, uint64_t sequence) {
  return instance + " " + std::to_string(sequence);
}

std::optional<uint64_t> parse_payload(const std::string& instance, const char* data, size_t size) {
  std::string_view text(data, size);
  if (text.size() <= instance.size() + 1 || text.substr(0, instance.size()) != instance ||
      text[instance.size()] != ' ') {
    return std::nullopt;
  }
  text.remove_prefix(instance.size() + 1);
  uint64_t sequence = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), sequence);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return sequence;
}

struct DeliveryTag {
  int32_t partition;
  uint64_t sequence;
};

}  // namespace

struct Probe::Handles {
  rd_kafka_t* producer = nullptr;
  rd_kafka_t* consumer = nullptr;
  // Stopping takes a few seconds at most, even with a hung coordinator or leader: the group
  // is left if the coordinator answers in time, else the session timeout ends the member.
  ~Handles() {
    if (consumer) {
      rd_kafka_queue_t* queue = rd_kafka_queue_new(consumer);
      if (rd_kafka_error_t* error = rd_kafka_consumer_close_queue(consumer, queue))
        rd_kafka_error_destroy(error);
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      while (!rd_kafka_consumer_closed(consumer) && std::chrono::steady_clock::now() < deadline) {
        if (rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 100)) rd_kafka_event_destroy(event);
      }
      rd_kafka_queue_destroy(queue);
      rd_kafka_destroy_flags(consumer,
                             rd_kafka_consumer_closed(consumer) ? 0 : RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    }
    if (producer) {
      rd_kafka_flush(producer, 2000);
      rd_kafka_purge(producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      rd_kafka_destroy(producer);
    }
  }
};

namespace {

void delivery_callback(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* tag = static_cast<DeliveryTag*>(message->_private);
  if (tag == nullptr) return;
  static_cast<Probe*>(opaque)->on_delivery(tag->partition, tag->sequence,
                                           message->err == RD_KAFKA_RESP_ERR_NO_ERROR,
                                           rd_kafka_message_broker_id(message));
  delete tag;
}

// librdkafka's own log lines go to ours.
void log_callback(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  const auto spd = level <= 3   ? spdlog::level::err
                   : level <= 4 ? spdlog::level::warn
                   : level <= 6 ? spdlog::level::info
                                : spdlog::level::debug;
  spdlog::log(spd, "probe: {} {}: {}", rd_kafka_name(rk), facility, message);
}

// OAUTHBEARER: librdkafka asks for a token at start and again at 80% of its lifetime.
void token_refresh_callback(rd_kafka_t* client, const char*, void* opaque) {
  static_cast<Probe*>(opaque)->on_token_refresh(client);
}

void commit_callback(rd_kafka_t*, rd_kafka_resp_err_t error, rd_kafka_topic_partition_list_t*, void* opaque) {
  if (error == RD_KAFKA_RESP_ERR__NO_OFFSET) return;  // nothing new to commit
  static_cast<Probe*>(opaque)->on_commit(error == RD_KAFKA_RESP_ERR_NO_ERROR);
}

}  // namespace

Probe::Probe(ProbeOptions options)
    : options_(std::move(options)),
      instance_(random_instance()),
      handles_(std::make_unique<Handles>()),
      ledger_(options_.interval, loss_timeout(options_.interval)) {
  const auto stats_interval = std::to_string(std::max<int64_t>(options_.interval.count(), 1000) * 5);
  handles_->producer = new_client(
      RD_KAFKA_PRODUCER, {{"client.id", options_.client_id + "-producer"},
                          {"acks", "all"},
                          {"linger.ms", "0"},
                          {"message.timeout.ms", std::to_string(loss_timeout(options_.interval).count() / 2)},
                          {"statistics.interval.ms", stats_interval}});
  handles_->consumer = new_client(RD_KAFKA_CONSUMER, {{"client.id", options_.client_id + "-consumer"},
                                                      {"group.id", options_.group},
                                                      {"enable.auto.commit", "false"},
                                                      {"fetch.wait.max.ms", "100"},
                                                      {"statistics.interval.ms", stats_interval}});
  // Commit results and statistics arrive on the main queue; consumer_poll serves it only when redirected.
  rd_kafka_poll_set_consumer(handles_->consumer);
  thread_ = std::thread([this] { run(); });
}

rd_kafka_t* Probe::new_client(rd_kafka_type_t type, const std::map<std::string, std::string>& settings) {
  const bool producer = type == RD_KAFKA_PRODUCER;
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  try {
    set(conf, "bootstrap.servers", options_.bootstrap_servers);
    set(conf, "socket.timeout.ms", "10000");
    for (const auto& [key, value] : options_.security) set(conf, key, value);
    for (const auto& [key, value] : settings) set(conf, key, value);
  } catch (...) {
    rd_kafka_conf_destroy(conf);
    throw;
  }
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_log_cb(conf, log_callback);
  if (producer) {
    rd_kafka_conf_set_dr_msg_cb(conf, delivery_callback);
    rd_kafka_conf_set_stats_cb(conf, [](rd_kafka_t*, char* json, size_t length, void* opaque) {
      static_cast<Probe*>(opaque)->producer_stats_.update({json, length});
      return 0;
    });
  } else {
    rd_kafka_conf_set_offset_commit_cb(conf, commit_callback);
    rd_kafka_conf_set_stats_cb(conf, [](rd_kafka_t*, char* json, size_t length, void* opaque) {
      static_cast<Probe*>(opaque)->consumer_stats_.update({json, length});
      return 0;
    });
  }
  if (options_.token_provider) {
    rd_kafka_conf_set_oauthbearer_token_refresh_cb(conf, token_refresh_callback);
    rd_kafka_conf_enable_sasl_queue(conf, 1);  // served by the background thread enabled below
  }
  char error[512];
  rd_kafka_t* client = rd_kafka_new(type, conf, error, sizeof error);
  if (!client) {
    rd_kafka_conf_destroy(conf);  // kept by the caller when creation fails
    throw ProbeError(std::string("probe: cannot create ") + (producer ? "producer: " : "consumer: ") + error);
  }
  if (options_.token_provider) {
    // On librdkafka's own thread: the first connect must not wait for the probe thread to poll.
    if (rd_kafka_error_t* failure = rd_kafka_sasl_background_callbacks_enable(client)) {
      const std::string reason = rd_kafka_error_string(failure);
      rd_kafka_error_destroy(failure);
      rd_kafka_destroy(client);
      throw ProbeError("probe: OAUTHBEARER token callbacks: " + reason);
    }
  }
  return client;
}

void Probe::on_token_refresh(rd_kafka_t* client) {
  try {
    const oauth::AccessToken token = options_.token_provider->token();
    const int64_t expires_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(token.expires_at.time_since_epoch()).count();
    char error[512];
    if (rd_kafka_oauthbearer_set_token(client, token.value.c_str(), expires_ms, token.principal.c_str(),
                                       nullptr, 0, error, sizeof error) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_oauthbearer_set_token_failure(client, error);
    }
  } catch (const oauth::TokenError& error) {
    rd_kafka_oauthbearer_set_token_failure(client, error.what());
  }
}

Probe::~Probe() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  handles_.reset();
}

void Probe::follow_coordinator(const std::vector<model::GroupState>& groups) {
  for (const auto& group : groups) {
    if (group.group_id == options_.group) coordinator_ = group.coordinator;
  }
}

std::vector<std::shared_ptr<const std::vector<metrics::Family>>> Probe::families() const {
  std::vector<std::shared_ptr<const std::vector<metrics::Family>>> out;
  {
    std::lock_guard lock(mutex_);
    out.push_back(std::make_shared<const std::vector<metrics::Family>>(ledger_.families(Clock::now())));
  }
  out.push_back(producer_stats_.families());
  out.push_back(consumer_stats_.families());
  return out;
}

void Probe::on_delivery(int32_t partition, uint64_t sequence, bool ok, int32_t broker) {
  std::lock_guard lock(mutex_);
  if (ok) {
    ledger_.acknowledged(partition, sequence, Clock::now(), broker);
  } else {
    ledger_.delivery_failed(partition, sequence);
  }
}

void Probe::on_commit(bool ok) {
  if (!commit_started_) return;
  const auto took = Clock::now() - *commit_started_;
  commit_started_.reset();
  std::lock_guard lock(mutex_);
  ledger_.commit_finished(coordinator_.load(), took, ok);
}

void Probe::run() {
  spdlog::info("probe: topic {}, group {}, every {} ms", options_.topic, options_.group,
               options_.interval.count());
  // librdkafka before 2.6.1 builds a SCRAM proof that Kafka 4 brokers reject
  // (librdkafka#4895); say so once instead of leaving only authentication errors.
  const auto mechanism = options_.security.find("sasl.mechanisms");
  if (mechanism != options_.security.end() && mechanism->second.starts_with("SCRAM") &&
      rd_kafka_version() < 0x020601ff) {
    spdlog::warn(
        "probe: librdkafka {} cannot log in with {} to Kafka 4 brokers (fixed in librdkafka 2.6.1); "
        "on Kafka 4 the probe's produce and consume checks will fail",
        rd_kafka_version_str(), mechanism->second);
  }
  auto tick = Clock::now();
  while (!stopping_) {
    if (Clock::now() >= next_topology_) {
      next_topology_ = Clock::now() + kTopologyEvery;
      refresh_topology();  // may ask for an earlier look after changing the topic
    }
    produce_round();
    tick += options_.interval;
    if (tick < Clock::now()) tick = Clock::now();  // fell behind: no burst to catch up
    consume_until(tick);
    commit_round();
    std::lock_guard lock(mutex_);
    ledger_.expire(Clock::now());
  }
}

void Probe::refresh_topology() {
  rd_kafka_topic_t* topic = rd_kafka_topic_new(handles_->producer, options_.topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  const auto error = rd_kafka_metadata(handles_->producer, 0, topic, &metadata, kMetadataTimeoutMs);
  rd_kafka_topic_destroy(topic);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    spdlog::warn("probe: metadata: {}", rd_kafka_err2str(error));
    return;
  }
  std::vector<int32_t> brokers;
  for (int i = 0; i < metadata->broker_cnt; ++i) brokers.push_back(metadata->brokers[i].id);
  std::sort(brokers.begin(), brokers.end());
  std::map<int32_t, std::vector<int32_t>> replicas;  // partition -> replicas
  std::map<int32_t, int32_t> leaders;
  bool topic_missing = true;
  for (int t = 0; t < metadata->topic_cnt; ++t) {
    const auto& md = metadata->topics[t];
    if (options_.topic != md.topic || md.err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    topic_missing = false;
    for (int p = 0; p < md.partition_cnt; ++p) {
      const auto& partition = md.partitions[p];
      replicas[partition.id].assign(partition.replicas, partition.replicas + partition.replica_cnt);
      leaders[partition.id] = partition.leader;
    }
  }
  rd_kafka_metadata_destroy(metadata);
  {
    std::lock_guard lock(mutex_);
    for (int32_t broker : brokers) {
      if (!options_.only_broker || *options_.only_broker == broker) ledger_.track_broker(broker);
    }
  }
  if (topic_missing) replicas.clear();
  if (!ensure_topic(brokers, replicas)) return;

  leader_of_partition_.clear();
  std::vector<int32_t> unassigned;
  for (const auto& [partition, leader] : leaders) {
    if (leader < 0) continue;
    if (options_.only_broker && *options_.only_broker != leader) continue;
    leader_of_partition_[partition] = leader;
  }
  for (const auto& [partition, replica_list] : replicas) {
    if (std::find(assigned_.begin(), assigned_.end(), partition) == assigned_.end())
      unassigned.push_back(partition);
  }
  if (!unassigned.empty()) assign_new_partitions(unassigned);
}

// Creates the topic with one partition whose preferred leader is each broker, or
// adds partitions for brokers that have none. Returns true when nothing had to change.
bool Probe::ensure_topic(const std::vector<int32_t>& brokers,
                         const std::map<int32_t, std::vector<int32_t>>& replicas) {
  if (brokers.empty()) return false;
  std::set<int32_t> preferred;
  for (const auto& [partition, list] : replicas) {
    if (!list.empty()) preferred.insert(list.front());
  }
  std::vector<int32_t> missing;
  for (int32_t broker : brokers) {
    if (!preferred.count(broker)) missing.push_back(broker);
  }
  if (missing.empty()) return true;
  const size_t factor =
      std::min<size_t>(static_cast<size_t>(std::max(options_.replication_factor, 1)), brokers.size());
  auto assignment_for = [&](int32_t leader) {
    std::vector<int32_t> list = {leader};
    const auto at = std::find(brokers.begin(), brokers.end(), leader) - brokers.begin();
    for (size_t i = 1; i < factor; ++i)
      list.push_back(brokers[(static_cast<size_t>(at) + i) % brokers.size()]);
    return list;
  };
  char error[512];
  rd_kafka_queue_t* queue = rd_kafka_queue_new(handles_->producer);
  rd_kafka_AdminOptions_t* admin = rd_kafka_AdminOptions_new(handles_->producer, RD_KAFKA_ADMIN_OP_ANY);
  rd_kafka_AdminOptions_set_request_timeout(admin, kAdminTimeoutMs, error, sizeof error);
  std::string action;
  if (replicas.empty()) {
    action = "create";
    rd_kafka_NewTopic_t* topic = rd_kafka_NewTopic_new(options_.topic.c_str(), -1, -1, error, sizeof error);
    for (size_t i = 0; i < missing.size(); ++i) {
      auto list = assignment_for(missing[i]);
      rd_kafka_NewTopic_set_replica_assignment(topic, static_cast<int32_t>(i), list.data(), list.size(),
                                               error, sizeof error);
    }
    rd_kafka_NewTopic_set_config(topic, "retention.ms", std::to_string(options_.retention.count()).c_str());
    rd_kafka_NewTopic_set_config(topic, "cleanup.policy", "delete");
    rd_kafka_CreateTopics(handles_->producer, &topic, 1, admin, queue);
    rd_kafka_NewTopic_destroy(topic);
  } else {
    action = "add partitions to";
    rd_kafka_NewPartitions_t* partitions = rd_kafka_NewPartitions_new(
        options_.topic.c_str(), replicas.size() + missing.size(), error, sizeof error);
    for (size_t i = 0; i < missing.size(); ++i) {
      auto list = assignment_for(missing[i]);
      rd_kafka_NewPartitions_set_replica_assignment(partitions, static_cast<int32_t>(i), list.data(),
                                                    list.size(), error, sizeof error);
    }
    rd_kafka_CreatePartitions(handles_->producer, &partitions, 1, admin, queue);
    rd_kafka_NewPartitions_destroy(partitions);
  }
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, kAdminTimeoutMs + 2000);
  std::string problem;
  if (event == nullptr) {
    problem = "no answer";
  } else if (rd_kafka_event_error(event)) {
    problem = rd_kafka_event_error_string(event);
  } else {
    const rd_kafka_topic_result_t* const* results = nullptr;
    size_t count = 0;
    if (rd_kafka_event_type(event) == RD_KAFKA_EVENT_CREATETOPICS_RESULT) {
      results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
    } else {
      results =
          rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(event), &count);
    }
    for (size_t i = 0; i < count; ++i) {
      const auto code = rd_kafka_topic_result_error(results[i]);
      // Another exporter (a sibling sidecar) may have done it first.
      if (code != RD_KAFKA_RESP_ERR_NO_ERROR && code != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS &&
          code != RD_KAFKA_RESP_ERR_INVALID_PARTITIONS) {
        problem = rd_kafka_topic_result_error_string(results[i])
                      ? rd_kafka_topic_result_error_string(results[i])
                      : rd_kafka_err2str(code);
      }
    }
  }
  if (event) rd_kafka_event_destroy(event);
  rd_kafka_AdminOptions_destroy(admin);
  rd_kafka_queue_destroy(queue);
  if (problem.empty()) {
    spdlog::info("probe: {} topic {} for broker(s) {}", action, options_.topic, fmt::join(missing, ","));
  } else if (problem != last_problem_) {
    spdlog::warn("probe: cannot {} topic {}: {}", action, options_.topic, problem);
  }
  last_problem_ = problem;
  next_topology_ = Clock::now() + std::chrono::seconds(1);  // read the result back soon
  return false;
}

void Probe::assign_new_partitions(const std::vector<int32_t>& partitions) {
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size()));
  for (int32_t partition : partitions) {
    int64_t low = 0;
    int64_t high = RD_KAFKA_OFFSET_END;
    // Start exactly at the end, so the first message sent after this is the first read.
    if (rd_kafka_query_watermark_offsets(handles_->consumer, options_.topic.c_str(), partition, &low, &high,
                                         5000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      spdlog::warn("probe: cannot read the end offset of {}-{}; will retry", options_.topic, partition);
      continue;
    }
    rd_kafka_topic_partition_list_add(list, options_.topic.c_str(), partition)->offset = high;
    assigned_.push_back(partition);
  }
  if (list->cnt > 0) {
    rd_kafka_error_t* error = rd_kafka_incremental_assign(handles_->consumer, list);
    if (error) {
      spdlog::warn("probe: assign: {}", rd_kafka_error_string(error));
      for (int i = 0; i < list->cnt; ++i)
        assigned_.erase(std::remove(assigned_.begin(), assigned_.end(), list->elems[i].partition),
                        assigned_.end());
      rd_kafka_error_destroy(error);
    }
  }
  rd_kafka_topic_partition_list_destroy(list);
}

void Probe::produce_round() {
  for (const auto& [partition, leader] : leader_of_partition_) {
    if (std::find(assigned_.begin(), assigned_.end(), partition) == assigned_.end()) continue;
    uint64_t sequence;
    {
      std::lock_guard lock(mutex_);
      sequence = ledger_.sent(partition, leader, Clock::now());
    }
    const std::string value = payload(instance_, sequence);
    auto* tag = new DeliveryTag{partition, sequence};
    const auto error = rd_kafka_producev(
        handles_->producer, RD_KAFKA_V_TOPIC(options_.topic.c_str()), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(tag), RD_KAFKA_V_END);
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      delete tag;
      std::lock_guard lock(mutex_);
      ledger_.delivery_failed(partition, sequence);
    }
  }
  rd_kafka_poll(handles_->producer, 0);
}

void Probe::consume_until(Clock::time_point deadline) {
  while (!stopping_) {
    const auto now = Clock::now();
    if (now >= deadline) break;
    rd_kafka_poll(handles_->producer, 0);
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    rd_kafka_message_t* message =
        rd_kafka_consumer_poll(handles_->consumer, static_cast<int>(std::clamp<int64_t>(wait, 1, 50)));
    if (message == nullptr) continue;
    handle_message(message);
    rd_kafka_message_destroy(message);
  }
}

void Probe::handle_message(const void* raw) {
  const auto* message = static_cast<const rd_kafka_message_t*>(raw);
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      spdlog::debug("probe: consume: {}", rd_kafka_message_errstr(message));
    }
    return;
  }
  auto sequence = parse_payload(instance_, static_cast<const char*>(message->payload), message->len);
  if (!sequence) return;
  const auto at = Clock::now();
  // Acknowledgements that arrived meanwhile first: they name the broker that wrote it.
  rd_kafka_poll(handles_->producer, 0);
  std::lock_guard lock(mutex_);
  ledger_.received(message->partition, *sequence, at, unix_now(), rd_kafka_message_broker_id(message));
}

void Probe::commit_round() {
  if (commit_started_ && Clock::now() - *commit_started_ < loss_timeout(options_.interval)) return;
  if (commit_started_) {
    // The callback never came: count it as a failed commit.
    commit_started_.reset();
    std::lock_guard lock(mutex_);
    ledger_.commit_finished(coordinator_.load(), {}, false);
  }
  commit_started_ = Clock::now();
  const auto error = rd_kafka_commit(handles_->consumer, nullptr, 1);
  if (error == RD_KAFKA_RESP_ERR__NO_OFFSET) {
    commit_started_.reset();
  } else if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    commit_started_.reset();
    std::lock_guard lock(mutex_);
    ledger_.commit_finished(coordinator_.load(), {}, false);
  }
}

}  // namespace kse::probe
