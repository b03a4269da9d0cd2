#include "client_stats/client_stats.h"

#include <simdjson.h>

#include <map>
#include <optional>

#include "client_stats/catalogue.h"

namespace kse::client_stats {

namespace {

using simdjson::dom::element;
using simdjson::dom::object;

constexpr double kMicro = 1e-6;
constexpr double kMilli = 1e-3;

// The families of one document, created empty in catalogue order.
class Builder {
 public:
  Builder(std::string client_id, std::string client_type)
      : client_id_(std::move(client_id)), client_type_(std::move(client_type)) {
    for (const auto& spec : catalogue()) {
      index_[spec.name] = families_.size();
      families_.push_back(catalogue().make_family(spec));
    }
  }

  size_t index(std::string_view name) const { return index_.at(name); }

  void add(std::string_view name, const std::vector<std::string>& labels, double value,
           int32_t owner = metrics::kClusterOwner, std::string_view suffix = "",
           std::vector<metrics::Label> extra = {}) {
    add(index(name), labels, value, owner, suffix, std::move(extra));
  }

  // Built in place: a consumer of a thousand partitions makes four thousand samples
  // a document, and each copy of a label list is an allocation.
  void add(size_t family, const std::vector<std::string>& labels, double value,
           int32_t owner = metrics::kClusterOwner, std::string_view suffix = "",
           std::vector<metrics::Label> extra = {}) {
    metrics::Sample& sample = families_[family].samples.emplace_back();
    sample.suffix = suffix;
    std::vector<std::string_view> values;
    values.reserve(labels.size() + 2);
    values.push_back(client_id_);
    values.push_back(client_type_);
    values.insert(values.end(), labels.begin(), labels.end());
    sample.label_values = metrics::LabelValues(values);
    sample.extra_labels = std::move(extra);
    sample.value = value;
    sample.owner = owner;
  }

  void reserve(size_t family, size_t samples) { families_[family].samples.reserve(samples); }

  std::vector<metrics::Family> take() {
    std::vector<metrics::Family> out;
    for (auto& family : families_) {
      if (!family.samples.empty()) out.push_back(std::move(family));
    }
    return out;
  }

 private:
  std::string client_id_;
  std::string client_type_;
  std::map<std::string_view, size_t> index_;
  std::vector<metrics::Family> families_;
};

// Field access that tells a missing field (skipped) from a wrong one (an error).
class Fields {
 public:
  Fields(object object, std::string path) : object_(object), path_(std::move(path)) {}

  std::optional<double> number(std::string_view key) const {
    element value;
    if (object_[key].get(value) != simdjson::SUCCESS) return std::nullopt;
    switch (value.type()) {
      case simdjson::dom::element_type::INT64: return static_cast<double>(int64_t(value));
      case simdjson::dom::element_type::UINT64: return static_cast<double>(uint64_t(value));
      case simdjson::dom::element_type::DOUBLE: return double(value);
      default: throw StatsParseError("librdkafka stats: " + where(key) + " is not a number");
    }
  }
  std::optional<std::string> string(std::string_view key) const {
    element value;
    if (object_[key].get(value) != simdjson::SUCCESS) return std::nullopt;
    std::string_view text;
    if (value.get(text) != simdjson::SUCCESS)
      throw StatsParseError("librdkafka stats: " + where(key) + " is not a string");
    return std::string(text);
  }
  std::optional<object> child(std::string_view key) const {
    element value;
    if (object_[key].get(value) != simdjson::SUCCESS) return std::nullopt;
    object out;
    if (value.get(out) != simdjson::SUCCESS)
      throw StatsParseError("librdkafka stats: " + where(key) + " is not an object");
    return out;
  }
  std::string where(std::string_view key) const { return path_ + "." + std::string(key); }
  const std::string& path() const { return path_; }

 private:
  object object_;
  std::string path_;
};

void add_number(Builder& out, const Fields& fields, std::string_view key, std::string_view family,
                const std::vector<std::string>& labels = {}, int32_t owner = metrics::kClusterOwner,
                double scale = 1) {
  if (auto value = fields.number(key)) out.add(family, labels, *value * scale, owner);
}

// A librdkafka window ({p50, p90, p99, sum, cnt, ...}) as a summary.
void add_window(Builder& out, const Fields& parent, std::string_view key, std::string_view family,
                const std::vector<std::string>& labels, int32_t owner, double scale) {
  auto window = parent.child(key);
  if (!window) return;
  Fields fields(*window, parent.where(key));
  const auto count = fields.number("cnt");
  if (!count || *count <= 0) return;
  for (const auto& [quantile, field] : {std::pair{"0.5", "p50"}, {"0.9", "p90"}, {"0.99", "p99"}}) {
    if (auto value = fields.number(field))
      out.add(family, labels, *value * scale, owner, "", {{"quantile", quantile}});
  }
  out.add(family, labels, fields.number("sum").value_or(0) * scale, owner, "_sum");
  out.add(family, labels, *count, owner, "_count");
}

void parse_brokers(Builder& out, const Fields& root) {
  auto brokers = root.child("brokers");
  if (!brokers) return;
  for (auto [name, value] : *brokers) {
    object broker_object;
    if (value.get(broker_object) != simdjson::SUCCESS) {
      throw StatsParseError("librdkafka stats: brokers." + std::string(name) + " is not an object");
    }
    Fields broker(broker_object, "brokers." + std::string(name));
    const auto node = broker.number("nodeid");
    if (!node || *node < 0) continue;  // a bootstrap address not yet known as a broker
    // The group / transaction coordinator handles repeat a real broker's id.
    if (broker.string("source").value_or("") == "logical") continue;
    const auto id = static_cast<int32_t>(*node);
    const std::vector<std::string> labels = {std::to_string(id)};
    if (auto state = broker.string("state"))
      out.add("kafka_client_broker_up", labels, *state == "UP" ? 1 : 0, id);
    add_number(out, broker, "connects", "kafka_client_broker_connects_total", labels, id);
    add_number(out, broker, "disconnects", "kafka_client_broker_disconnects_total", labels, id);
    add_number(out, broker, "tx", "kafka_client_broker_requests_sent_total", labels, id);
    add_number(out, broker, "txerrs", "kafka_client_broker_request_errors_total", labels, id);
    add_number(out, broker, "txretries", "kafka_client_broker_request_retries_total", labels, id);
    add_number(out, broker, "rx", "kafka_client_broker_responses_received_total", labels, id);
    add_number(out, broker, "rxerrs", "kafka_client_broker_response_errors_total", labels, id);
    add_number(out, broker, "req_timeouts", "kafka_client_broker_request_timeouts_total", labels, id);
    add_number(out, broker, "waitresp_cnt", "kafka_client_broker_requests_in_flight", labels, id);
    add_number(out, broker, "outbuf_cnt", "kafka_client_broker_outbuf_requests", labels, id);
    add_window(out, broker, "rtt", "kafka_client_broker_rtt_seconds", labels, id, kMicro);
    add_window(out, broker, "throttle", "kafka_client_broker_throttle_seconds", labels, id, kMilli);
    add_window(out, broker, "int_latency", "kafka_client_broker_internal_latency_seconds", labels, id,
               kMicro);
    add_window(out, broker, "outbuf_latency", "kafka_client_broker_outbuf_latency_seconds", labels, id,
               kMicro);
  }
}

// Family indices used once per partition, looked up once per document.
struct PartitionFamilies {
  explicit PartitionFamilies(const Builder& out)
      : sent(out.index("kafka_client_partition_messages_sent_total")),
        received(out.index("kafka_client_partition_messages_received_total")),
        queue(out.index("kafka_client_partition_queue_messages")),
        lag(out.index("kafka_client_partition_consumer_lag")),
        committed(out.index("kafka_client_partition_committed_offset")),
        fetch_state(out.index("kafka_client_partition_fetch_state")) {}
  size_t sent, received, queue, lag, committed, fetch_state;
};

std::optional<double> as_number(element value) {
  switch (value.type()) {
    case simdjson::dom::element_type::INT64: return static_cast<double>(int64_t(value));
    case simdjson::dom::element_type::UINT64: return static_cast<double>(uint64_t(value));
    case simdjson::dom::element_type::DOUBLE: return double(value);
    default: return std::nullopt;
  }
}

// One pass over a partition's fields: a thousand partitions make most of a
// consumer's document, and looking each key up would scan the object each time.
// A producer's partitions report what it sends, a consumer's what it reads.
template <typename Where>
void parse_partition(Builder& out, const PartitionFamilies& families, const std::string& topic, object fields,
                     bool consumer, Where where) {
  std::optional<double> partition, leader, txmsgs, rxmsgs, queued, transmit, lag, committed;
  std::optional<std::string_view> fetch_state;
  for (auto field : fields) {
    const std::string_view key = field.key;
    std::optional<double>* target = nullptr;
    if (key == "partition")
      target = &partition;
    else if (key == "leader")
      target = &leader;
    else if (key == "txmsgs")
      target = &txmsgs;
    else if (key == "rxmsgs")
      target = &rxmsgs;
    else if (key == "msgq_cnt")
      target = &queued;
    else if (key == "xmit_msgq_cnt")
      target = &transmit;
    else if (key == "consumer_lag")
      target = &lag;
    else if (key == "committed_offset")
      target = &committed;
    else if (key == "fetch_state") {
      std::string_view text;
      if (field.value.get(text) != simdjson::SUCCESS)
        throw StatsParseError("librdkafka stats: " + where(key) + " is not a string");
      fetch_state = text;
      continue;
    } else {
      continue;
    }
    *target = as_number(field.value);
    if (!*target) throw StatsParseError("librdkafka stats: " + where(key) + " is not a number");
  }
  if (!partition || *partition < 0) return;  // the unassigned (UA) pseudo-partition
  const int32_t owner = leader && *leader >= 0 ? static_cast<int32_t>(*leader) : metrics::kClusterOwner;
  std::vector<std::string> labels = {topic, std::to_string(static_cast<int64_t>(*partition))};
  if (!consumer) {
    if (txmsgs) out.add(families.sent, labels, *txmsgs, owner);
    if (queued || transmit) out.add(families.queue, labels, queued.value_or(0) + transmit.value_or(0), owner);
    return;
  }
  if (rxmsgs) out.add(families.received, labels, *rxmsgs, owner);
  if (lag && *lag >= 0) out.add(families.lag, labels, *lag, owner);
  if (committed && *committed >= 0) out.add(families.committed, labels, *committed, owner);
  if (fetch_state && *fetch_state != "none") {
    labels.emplace_back(*fetch_state);
    out.add(families.fetch_state, labels, 1, owner);
  }
}

void parse_topics(Builder& out, const Fields& root, bool consumer) {
  auto topics = root.child("topics");
  if (!topics) return;
  const PartitionFamilies families(out);
  for (auto [name, value] : *topics) {
    object topic_object;
    if (value.get(topic_object) != simdjson::SUCCESS) {
      throw StatsParseError("librdkafka stats: topics." + std::string(name) + " is not an object");
    }
    const std::string topic_name(name);
    Fields topic(topic_object, "topics." + topic_name);
    add_window(out, topic, "batchsize", "kafka_client_topic_batch_size_bytes", {topic_name},
               metrics::kClusterOwner, 1);
    add_window(out, topic, "batchcnt", "kafka_client_topic_batch_count_messages", {topic_name},
               metrics::kClusterOwner, 1);
    auto partitions = topic.child("partitions");
    if (!partitions) continue;
    // Room for one sample a partition in the families this kind of client fills.
    const size_t count = partitions->size();
    if (consumer) {
      for (size_t family : {families.received, families.lag, families.committed, families.fetch_state}) {
        out.reserve(family, count);
      }
    } else {
      for (size_t family : {families.sent, families.queue}) out.reserve(family, count);
    }
    for (auto [id, partition_value] : *partitions) {
      object partition_object;
      if (partition_value.get(partition_object) != simdjson::SUCCESS) {
        throw StatsParseError("librdkafka stats: " + topic.path() + ".partitions." + std::string(id) +
                              " is not an object");
      }
      parse_partition(out, families, topic_name, partition_object, consumer, [&](std::string_view key) {
        return topic.path() + ".partitions." + std::string(id) + "." + std::string(key);
      });
    }
  }
}

void parse_group(Builder& out, const Fields& root) {
  auto group = root.child("cgrp");
  if (!group) return;
  Fields fields(*group, "cgrp");
  add_number(out, fields, "rebalance_cnt", "kafka_client_group_rebalances_total");
  add_number(out, fields, "rebalance_age", "kafka_client_group_rebalance_age_seconds", {},
             metrics::kClusterOwner, kMilli);
  add_number(out, fields, "assignment_size", "kafka_client_group_assignment_partitions");
  auto state = fields.string("state");
  auto join_state = fields.string("join_state");
  if (state || join_state) {
    out.add("kafka_client_group_state", {state.value_or(""), join_state.value_or("")}, 1);
  }
}

void parse_eos(Builder& out, const Fields& root) {
  auto eos = root.child("eos");
  if (!eos) return;
  Fields fields(*eos, "eos");
  auto idempotence = fields.string("idemp_state");
  auto transaction = fields.string("txn_state");
  if (idempotence || transaction) {
    out.add("kafka_client_transaction_state", {idempotence.value_or(""), transaction.value_or("")}, 1);
  }
  if (auto id = fields.number("producer_id"); id && *id >= 0) out.add("kafka_client_producer_id", {}, *id);
  if (auto epoch = fields.number("producer_epoch"); epoch && *epoch >= 0)
    out.add("kafka_client_producer_epoch", {}, *epoch);
}

}  // namespace

std::vector<metrics::Family> parse_stats(std::string_view json) {
  // One parser per thread: stats callbacks of several clients may run at once.
  thread_local simdjson::dom::parser parser;
  element root;
  if (auto error = parser.parse(json.data(), json.size()).get(root)) {
    throw StatsParseError(std::string("librdkafka stats: not valid JSON (") + simdjson::error_message(error) +
                          ")");
  }
  object root_object;
  if (root.get(root_object) != simdjson::SUCCESS)
    throw StatsParseError("librdkafka stats: the document is not an object");
  Fields fields(root_object, "");
  const auto client_id = fields.string("client_id");
  const auto type = fields.string("type");
  if (!client_id || !type) throw StatsParseError("librdkafka stats: client_id or type missing");
  Builder out(*client_id, *type);
  add_number(out, fields, "txmsgs", "kafka_client_messages_sent_total");
  add_number(out, fields, "txmsg_bytes", "kafka_client_message_bytes_sent_total");
  add_number(out, fields, "rxmsgs", "kafka_client_messages_received_total");
  add_number(out, fields, "rxmsg_bytes", "kafka_client_message_bytes_received_total");
  add_number(out, fields, "tx", "kafka_client_requests_sent_total");
  add_number(out, fields, "tx_bytes", "kafka_client_request_bytes_sent_total");
  add_number(out, fields, "rx", "kafka_client_responses_received_total");
  add_number(out, fields, "rx_bytes", "kafka_client_response_bytes_received_total");
  add_number(out, fields, "msg_cnt", "kafka_client_queue_messages");
  add_number(out, fields, "msg_size", "kafka_client_queue_bytes");
  add_number(out, fields, "msg_max", "kafka_client_queue_max_messages");
  add_number(out, fields, "replyq", "kafka_client_reply_queue_events");
  add_number(out, fields, "metadata_cache_cnt", "kafka_client_metadata_cache_topics");
  add_number(out, fields, "age", "kafka_client_age_seconds", {}, metrics::kClusterOwner, kMicro);
  parse_brokers(out, fields);
  parse_topics(out, fields, *type == "consumer");
  parse_group(out, fields);
  parse_eos(out, fields);
  return out.take();
}

bool ClientStats::update(std::string_view json) {
  std::vector<metrics::Family> families;
  std::string error;
  try {
    families = parse_stats(json);
  } catch (const StatsParseError& e) {
    error = e.what();
  }
  const bool accepted = error.empty();
  std::lock_guard lock(mutex_);
  ++documents_;
  if (!accepted) {
    ++parse_errors_;
    last_error_ = std::move(error);
  } else {
    // Remember who we are, to label our own counters.
    for (const auto& family : families) {
      if (!family.samples.empty() && family.samples.front().label_values.size() >= 2) {
        client_id_ = std::string(family.samples.front().label_values[0]);
        client_type_ = std::string(family.samples.front().label_values[1]);
        break;
      }
    }
    last_good_ = std::make_shared<const std::vector<metrics::Family>>(std::move(families));
  }
  publish();
  return accepted;
}

// The served set, rebuilt on each document so that families() costs no copy.
void ClientStats::publish() {
  auto out = last_good_ ? std::make_shared<std::vector<metrics::Family>>(*last_good_)
                        : std::make_shared<std::vector<metrics::Family>>();
  for (const auto& [name, value] : {std::pair{"kafka_client_stats_documents_total", documents_},
                                    {"kafka_client_stats_parse_errors_total", parse_errors_}}) {
    metrics::Family family = catalogue().make_family(name);
    family.samples.push_back(
        {"", {client_id_, client_type_}, {}, static_cast<double>(value), metrics::kClusterOwner});
    out->push_back(std::move(family));
  }
  published_ = std::move(out);
}

std::shared_ptr<const std::vector<metrics::Family>> ClientStats::families() const {
  std::lock_guard lock(mutex_);
  if (published_) return published_;
  return std::make_shared<const std::vector<metrics::Family>>();
}

uint64_t ClientStats::parse_errors() const {
  std::lock_guard lock(mutex_);
  return parse_errors_;
}

std::string ClientStats::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

void ClientStats::attach(rd_kafka_conf_t* conf, int interval_ms) {
  char error[256];
  if (rd_kafka_conf_set(conf, "statistics.interval.ms", std::to_string(interval_ms).c_str(), error,
                        sizeof error) != RD_KAFKA_CONF_OK) {
    throw std::invalid_argument(std::string("statistics.interval.ms: ") + error);
  }
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_stats_cb(conf, librdkafka_stats_callback);
}

int librdkafka_stats_callback(rd_kafka_t*, char* json, size_t json_len, void* opaque) {
  if (opaque != nullptr) static_cast<ClientStats*>(opaque)->update({json, json_len});
  return 0;
}

}  // namespace kse::client_stats
