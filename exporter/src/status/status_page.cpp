#include "status/status_page.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <set>

namespace kse::status {

namespace {

using metrics::Family;

constexpr size_t kTopGroups = 10;

const Family* find_family(const FamilySets& sets, std::string_view name) {
  for (const auto* set : sets) {
    if (set == nullptr) continue;
    for (const auto& family : *set) {
      if (family.name == name) return &family;
    }
  }
  return nullptr;
}

std::optional<size_t> label_index(const Family& family, std::string_view label) {
  for (size_t i = 0; i < family.label_names.size(); ++i) {
    if (family.label_names[i] == label) return i;
  }
  return std::nullopt;
}

// The value of a family without labels; absent when the model did not serve it.
std::optional<double> single_value(const FamilySets& sets, std::string_view name) {
  const Family* family = find_family(sets, name);
  if (family == nullptr || family->samples.empty()) return std::nullopt;
  return family->samples.front().value;
}

// Calls use(label value, sample) for every sample of `name` with `suffix`.
template <typename Use>
void each_sample(const FamilySets& sets, std::string_view name, std::string_view label,
                 std::string_view suffix, Use use) {
  const Family* family = find_family(sets, name);
  if (family == nullptr) return;
  const auto index = label_index(*family, label);
  if (!index) return;
  for (const auto& sample : family->samples) {
    if (std::string_view(sample.suffix) == suffix) use(std::string(sample.label_values[*index]), sample);
  }
}

std::string or_unknown(const std::optional<double>& value, const char* format = "{:.0f}") {
  return value ? fmt::format(fmt::runtime(format), *value) : std::string(kUnknown);
}

std::string seconds_text(const std::optional<double>& seconds) {
  if (!seconds) return std::string(kUnknown);
  if (*seconds < 120) return fmt::format("{:.1f} s", *seconds);
  if (*seconds < 7200) return fmt::format("{:.0f} s ({:.0f} min)", *seconds, *seconds / 60);
  return fmt::format("{:.0f} s ({:.1f} h)", *seconds, *seconds / 3600);
}

std::string utc_text(model::Clock::time_point at) {
  const std::time_t seconds = model::Clock::to_time_t(at);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &utc);
  return text;
}

struct GroupLag {
  std::string group;
  std::optional<double> records;
  std::optional<double> seconds;
};

// Per group, its lag summed over its topics and the oldest unconsumed record's age: each
// known only when every topic the group committed on has it.
std::vector<GroupLag> group_lags(const FamilySets& sets) {
  std::map<std::string, std::set<std::string>> topics;
  std::map<std::string, std::map<std::string, double>> lag;
  std::map<std::string, std::map<std::string, double>> seconds;
  const auto collect = [&](std::string_view name, auto& into) {
    const Family* family = find_family(sets, name);
    if (family == nullptr) return;
    const auto group = label_index(*family, "consumergroup");
    const auto topic = label_index(*family, "topic");
    if (!group || !topic) return;
    for (const auto& sample : family->samples) {
      into[std::string(sample.label_values[*group])][std::string(sample.label_values[*topic])] = sample.value;
    }
  };
  std::map<std::string, std::map<std::string, double>> offsets;
  collect("kafka_consumergroup_current_offset_sum", offsets);
  collect("kafka_consumergroup_lag_sum", lag);
  collect("kafka_consumergroup_lag_seconds_max", seconds);
  std::vector<GroupLag> lags;
  for (const auto& [group, committed] : offsets) {
    GroupLag entry{group, 0.0, 0.0};
    for (const auto& [topic, offset] : committed) {
      const auto records = lag[group].find(topic);
      if (records == lag[group].end()) {
        entry.records.reset();
      } else if (entry.records) {
        *entry.records += records->second;
      }
      const auto age = seconds[group].find(topic);
      if (age == seconds[group].end()) {
        entry.seconds.reset();
      } else if (entry.seconds) {
        entry.seconds = std::max(*entry.seconds, age->second);
      }
    }
    lags.push_back(std::move(entry));
  }
  // Most records behind first, then the oldest; what could not be read after what could.
  std::sort(lags.begin(), lags.end(), [](const GroupLag& a, const GroupLag& b) {
    if (a.records.has_value() != b.records.has_value()) return a.records.has_value();
    if (a.records != b.records) return *a.records > *b.records;
    if (a.seconds.has_value() != b.seconds.has_value()) return a.seconds.has_value();
    if (a.seconds != b.seconds) return *a.seconds > *b.seconds;
    return a.group < b.group;
  });
  return lags;
}

struct BrokerState {
  const char* text;
  bool up;
};

BrokerState broker_state(const model::BrokerInfo& broker) {
  if (!broker.registered) return {"gone (not in the metadata)", false};
  if (broker.fenced.value_or(false)) return {"down (fenced)", false};
  if (!broker.reachable) return {"down (not reachable)", false};
  return {"up", true};
}

std::string metrics_link(const PageContext& context, int port) {
  const std::string url = fmt::format("//{}:{}/metrics", html_escape(context.link_host), port);
  return fmt::format("<a href=\"{}\">:{}/metrics</a>", url, port);
}

void append_header(std::string& out, const model::ClusterSnapshot& snapshot,
                   const model::ExporterStats& stats, const PageContext& context) {
  out += fmt::format(
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta http-equiv=\"refresh\" content=\"{}\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>Kafka cluster status</title><style>"
      "body{{font-family:sans-serif;margin:1.5em;color:#222}}"
      "table{{border-collapse:collapse;margin-bottom:1.5em}}"
      "th,td{{border:1px solid #ccc;padding:.25em .6em;text-align:left}}"
      "th{{background:#f2f2f2}}td.num{{text-align:right}}"
      ".up{{color:#176f2c;font-weight:bold}}.down{{color:#b00020;font-weight:bold}}"
      ".unknown{{color:#777}}"
      "</style></head><body>\n",
      std::max(1, context.refresh_seconds));
  out += "<h1>Kafka cluster status</h1>\n<p>";
  out += fmt::format("Cluster id <code>{}</code>, as collected at {} (the cycle took {:.2f} s{}). ",
                     snapshot.cluster_id.empty() ? std::string(kUnknown) : html_escape(snapshot.cluster_id),
                     utc_text(snapshot.taken_at), snapshot.cycle_duration.count(),
                     snapshot.complete ? "" : ", some parts could not be read");
  out += fmt::format("kafka-sidecar-exporter {}; this page refreshes every {} s.</p>\n",
                     html_escape(stats.version), std::max(1, context.refresh_seconds));
}

void append_brokers(std::string& out, const model::ClusterSnapshot& snapshot, const PageContext& context) {
  out += "<h2>Brokers</h2>\n";
  if (!snapshot.collectors.up(model::CollectorId::kMetadata)) {
    out +=
        "<p class=\"down\">The metadata could not be read this cycle: the brokers are those last seen.</p>\n";
  }
  out +=
      "<table id=\"brokers\"><tr><th>Broker</th><th>State</th><th>Kafka address</th><th>Rack</th>"
      "<th>Exporter port</th></tr>\n";
  for (const auto& broker : snapshot.brokers) {
    const BrokerState state = broker_state(broker);
    const auto port = context.broker_ports.find(broker.id);
    out += fmt::format(
        "<tr id=\"broker-{}\"><td>{}{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
        broker.id, broker.id, broker.id == snapshot.controller_id ? " (controller)" : "",
        state.up ? "up" : "down", state.text,
        broker.host.empty() ? std::string(kUnknown)
                            : html_escape(broker.host) + ":" + std::to_string(broker.port),
        broker.rack ? html_escape(*broker.rack) : "",
        port == context.broker_ports.end() ? std::string("not served here")
                                           : metrics_link(context, port->second));
  }
  if (snapshot.brokers.empty())
    out += "<tr><td colspan=\"5\" class=\"unknown\">no broker known yet</td></tr>\n";
  out += "</table>\n";
}

void append_partitions(std::string& out, const FamilySets& cluster) {
  out += "<h2>Partition health</h2>\n<table id=\"partitions\">\n";
  const std::pair<const char*, const char*> rows[] = {
      {"Partitions", "kafka_cluster_partitions"},
      {"Under-replicated", "kafka_cluster_under_replicated_partitions"},
      {"Under min ISR", "kafka_cluster_under_min_isr_partitions"},
      {"Offline", "kafka_cluster_offline_partitions"},
      {"Reassigning", "kafka_cluster_reassigning_partitions"},
  };
  for (const auto& [label, family] : rows) {
    const auto value = single_value(cluster, family);
    const bool bad = value && *value > 0 && std::string_view(family) != "kafka_cluster_partitions";
    out += fmt::format("<tr><th>{}</th><td class=\"num{}\">{}</td></tr>\n", label,
                       !value ? " unknown" : (bad ? " down" : ""), or_unknown(value));
  }
  out += "</table>\n";
}

void append_groups(std::string& out, const FamilySets& cluster) {
  const std::vector<GroupLag> lags = group_lags(cluster);
  out += "<h2>Most lagging consumer groups</h2>\n";
  if (lags.empty()) {
    out += "<p>No consumer group has committed offsets.</p>\n";
    return;
  }
  out += fmt::format("<p>The {} most behind of {} groups with committed offsets.</p>\n",
                     std::min(kTopGroups, lags.size()), lags.size());
  out += "<table id=\"groups\"><tr><th>Group</th><th>Lag (records)</th><th>Lag (seconds)</th></tr>\n";
  for (size_t i = 0; i < lags.size() && i < kTopGroups; ++i) {
    const GroupLag& lag = lags[i];
    out += fmt::format("<tr><td>{}</td><td class=\"num{}\">{}</td><td class=\"num{}\">{}</td></tr>\n",
                       html_escape(lag.group), lag.records ? "" : " unknown", or_unknown(lag.records),
                       lag.seconds ? "" : " unknown", seconds_text(lag.seconds));
  }
  out += "</table>\n";
}

// The mean of a probe histogram since the exporter started, in milliseconds.
std::map<std::string, double> mean_milliseconds(const FamilySets& probe, std::string_view name) {
  std::map<std::string, double> sums;
  std::map<std::string, double> counts;
  each_sample(probe, name, "broker", "_sum",
              [&](const std::string& broker, const metrics::Sample& sample) { sums[broker] = sample.value; });
  each_sample(probe, name, "broker", "_count", [&](const std::string& broker, const metrics::Sample& sample) {
    counts[broker] = sample.value;
  });
  std::map<std::string, double> means;
  for (const auto& [broker, count] : counts) {
    if (count > 0 && sums.count(broker)) means[broker] = sums[broker] / count * 1000.0;
  }
  return means;
}

void append_probe(std::string& out, const FamilySets& probe, const PageContext& context) {
  out += "<h2>Probe</h2>\n";
  if (!context.probe_enabled) {
    out += "<p id=\"probe-off\">The probe is off (probe.enabled: false): no latency is measured.</p>\n";
    return;
  }
  std::map<std::string, double> up;
  each_sample(probe, "kafka_probe_up", "broker", "",
              [&](const std::string& broker, const metrics::Sample& sample) { up[broker] = sample.value; });
  if (up.empty()) {
    out += "<p class=\"unknown\">The probe has not measured any broker yet.</p>\n";
    return;
  }
  const auto produce = mean_milliseconds(probe, "kafka_probe_produce_latency_seconds");
  const auto end_to_end = mean_milliseconds(probe, "kafka_probe_end_to_end_latency_seconds");
  const auto mean = [](const std::map<std::string, double>& means, const std::string& broker) {
    const auto it = means.find(broker);
    return it == means.end() ? std::optional<double>() : std::optional<double>(it->second);
  };
  out +=
      "<p>Mean latency since the exporter started.</p>\n<table id=\"probe\"><tr><th>Broker</th><th>Probe</th>"
      "<th>Produce</th><th>End to end</th></tr>\n";
  for (const auto& [broker, value] : up) {
    const auto produce_ms = mean(produce, broker);
    const auto end_to_end_ms = mean(end_to_end, broker);
    out += fmt::format(
        "<tr><td>{}</td><td class=\"{}\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
        html_escape(broker), value > 0 ? "up" : "down", value > 0 ? "up" : "down",
        produce_ms ? fmt::format("{:.1f} ms", *produce_ms) : std::string(kUnknown),
        end_to_end_ms ? fmt::format("{:.1f} ms", *end_to_end_ms) : std::string(kUnknown));
  }
  out += "</table>\n";
}

void append_collectors(std::string& out, const model::ClusterSnapshot& snapshot) {
  out +=
      "<h2>Collectors</h2>\n<table id=\"collectors\"><tr><th>Collector</th><th>State</th><th>Reason</th>"
      "<th>Last error</th></tr>\n";
  for (const auto id : model::kCollectorIds) {
    const model::CollectorStatus& status = snapshot.collectors[id];
    out += fmt::format("<tr><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td></tr>\n",
                       model::collector_name(id), status.up ? "up" : "down", status.up ? "up" : "down",
                       html_escape(status.reason), html_escape(status.error));
  }
  out += "</table>\n";
}

void append_links(std::string& out, const PageContext& context) {
  out += "<h2>Metrics</h2>\n<ul id=\"links\">\n";
  if (context.cluster_port) {
    out += fmt::format("<li>cluster: {}</li>\n", metrics_link(context, *context.cluster_port));
  }
  for (const auto& [broker, port] : context.broker_ports) {
    out += fmt::format("<li>broker {}: {}</li>\n", broker, metrics_link(context, port));
  }
  out +=
      "<li>this port: <a href=\"/metrics\">/metrics</a>, <a href=\"/healthz\">/healthz</a>, "
      "<a href=\"/ready\">/ready</a></li>\n</ul>\n";
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string render_status_page(const model::ClusterSnapshot& snapshot, const FamilySets& cluster,
                               const FamilySets& probe, const model::ExporterStats& stats,
                               const PageContext& context) {
  std::string out;
  append_header(out, snapshot, stats, context);
  append_brokers(out, snapshot, context);
  append_partitions(out, cluster);
  append_groups(out, cluster);
  append_probe(out, probe, context);
  append_collectors(out, snapshot);
  append_links(out, context);
  out += "</body></html>\n";
  return out;
}

}  // namespace kse::status
