#include "app/app.h"

#include <malloc.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "app/cycle_stats.h"
#include "app/page_plan.h"
#include "app/pages.h"
#include "app/port_plan.h"
#include "collector/collector.h"
#include "common/clock.h"
#include "common/credential_watch.h"
#include "http/server.h"
#include "jmx/jolokia/bridge.h"
#include "kafka/client/kafka_client.h"
#include "kafka/protocol.h"
#include "kse/version.h"
#include "model/catalogue.h"
#include "model/derived.h"
#include "model/model.h"
#include "oauth/token_provider.h"
#include "platform/runner.h"
#include "probe/leader_repair.h"
#include "probe/probe.h"
#include "status/status_page.h"

#include "peer_check.h"

namespace kse::app {

using common::unix_now;

namespace asio = boost::asio;
using metrics::Family;

namespace {

// OAUTHBEARER: one provider, so one token, for the exporter's connections and the probe; a
// new one when rotated secret files change the credentials.
std::shared_ptr<oauth::TokenProvider> token_provider(const config::Config& config) {
  if (config.kafka.sasl.mechanism != "OAUTHBEARER") return nullptr;
  const auto& settings = config.kafka.sasl.oauthbearer;
  oauth::ClientCredentials credentials;
  credentials.token_endpoint_url = settings.token_endpoint_url;
  credentials.client_id = settings.client_id;
  credentials.client_secret = settings.client_secret;
  credentials.private_key_file = settings.private_key_file;
  credentials.key_id = settings.private_key_id;
  credentials.scope = settings.scope;
  credentials.ca_file = settings.ca_file;
  credentials.timeout = config.kafka.connect_timeout;
  static std::mutex mutex;
  static std::shared_ptr<oauth::TokenProvider> shared;
  std::lock_guard lock(mutex);
  if (!shared || !(shared->credentials() == credentials)) {
    shared = std::make_shared<oauth::TokenProvider>(std::move(credentials));
  }
  return shared;
}

kafka::ClientConfig client_config(const config::Config& config) {
  kafka::ClientConfig client;
  client.bootstrap_servers = config.kafka.bootstrap_servers;
  client.client_id = config.kafka.client_id;
  client.request_timeout = config.kafka.request_timeout;
  client.connect_timeout = config.kafka.connect_timeout;
  client.tls = {config.kafka.tls.enabled, config.kafka.tls.ca_file, config.kafka.tls.cert_file,
                config.kafka.tls.key_file, config.kafka.tls.verify_hostname};
  client.sasl.mechanism = config.kafka.sasl.mechanism;
  client.sasl.username = config.kafka.sasl.username;
  client.sasl.password = config.kafka.sasl.password;
  client.sasl.kerberos_service_name = config.kafka.sasl.kerberos.service_name;
  client.sasl.kerberos_principal = config.kafka.sasl.kerberos.principal;
  client.sasl.kerberos_keytab = config.kafka.sasl.kerberos.keytab;
  client.sasl.token_provider = token_provider(config);
  return client;
}

// GSSAPI: the krb5.conf of the configuration for every Kerberos library of the process, and
// for the probe (librdkafka runs kinit, its Cyrus SASL reads the default cache) a ticket cache
// in a directory of its own, removed at exit, so the user's default cache is left alone. Set
// before any thread starts; the exporter's own logins use private in-memory caches.
class KerberosEnvironment {
 public:
  explicit KerberosEnvironment(const config::Config& config) {
    const auto& sasl = config.kafka.sasl;
    if (sasl.mechanism != "GSSAPI") return;
    if (!sasl.kerberos.config.empty()) ::setenv("KRB5_CONFIG", sasl.kerberos.config.c_str(), 1);
    if (!config.probe.enabled) return;
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/kse-exporter-krb5-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("cannot create a directory for the probe's Kerberos ticket cache in " +
                               pattern + ": " + std::strerror(errno));
    }
    directory_ = pattern;
    ::setenv("KRB5CCNAME", ("FILE:" + directory_ + "/ccache").c_str(), 1);
  }
  ~KerberosEnvironment() {
    if (directory_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }
  KerberosEnvironment(const KerberosEnvironment&) = delete;
  KerberosEnvironment& operator=(const KerberosEnvironment&) = delete;

 private:
  std::string directory_;
};

std::unique_ptr<probe::Probe> make_probe(const config::Config& config) {
  if (!config.probe.enabled) return nullptr;
  probe::ProbeOptions options;
  options.bootstrap_servers = fmt::format("{}", fmt::join(config.kafka.bootstrap_servers, ","));
  const auto& tls = config.kafka.tls;
  const auto& sasl = config.kafka.sasl;
  const bool with_sasl = sasl.mechanism != "none";
  options.security["security.protocol"] =
      tls.enabled ? (with_sasl ? "SASL_SSL" : "SSL") : (with_sasl ? "SASL_PLAINTEXT" : "PLAINTEXT");
  if (tls.enabled) {
    if (!tls.ca_file.empty()) options.security["ssl.ca.location"] = tls.ca_file;
    if (!tls.cert_file.empty()) options.security["ssl.certificate.location"] = tls.cert_file;
    if (!tls.key_file.empty()) options.security["ssl.key.location"] = tls.key_file;
    options.security["ssl.endpoint.identification.algorithm"] = tls.verify_hostname ? "https" : "none";
  }
  if (sasl.mechanism == "GSSAPI") {
    options.security["sasl.mechanisms"] = sasl.mechanism;
    options.security["sasl.kerberos.service.name"] = sasl.kerberos.service_name;
    options.security["sasl.kerberos.principal"] = sasl.kerberos.principal;
    options.security["sasl.kerberos.keytab"] = sasl.kerberos.keytab;
  } else if (sasl.mechanism == "OAUTHBEARER") {
    // Debian's librdkafka has no OIDC of its own (no libcurl): the exporter's provider feeds it.
    options.security["sasl.mechanisms"] = sasl.mechanism;
    options.token_provider = token_provider(config);
  } else if (with_sasl) {
    options.security["sasl.mechanisms"] = sasl.mechanism;
    options.security["sasl.username"] = sasl.username;
    options.security["sasl.password"] = sasl.password;
  }
  options.topic = config.probe.topic;
  options.group = config.probe.group;
  options.interval = config.probe.interval;
  options.retention = config.probe.retention;
  options.replication_factor = config.probe.replication_factor;
  options.client_id = "kse-probe";
  if (config.serve.broker_id) {
    // Each sidecar measures its own broker, in its own group.
    options.only_broker = *config.serve.broker_id;
    options.group += "-" + std::to_string(*config.serve.broker_id);
    options.client_id += "-" + std::to_string(*config.serve.broker_id);
  }
  return std::make_unique<probe::Probe>(std::move(options));
}

// A Jolokia agent at `url`, read with the `jmx.*` credentials and timeout.
jmx::BridgeConfig jolokia_bridge(const config::Config& config, const std::string& url) {
  jmx::BridgeConfig bridge;
  bridge.url = url;
  bridge.username = config.jmx.username;
  bridge.password = config.jmx.password;
  bridge.ca_file = config.jmx.ca_file;
  bridge.read_timeout = config.jmx.timeout;
  bridge.connect_timeout = std::min(config.jmx.timeout, std::chrono::milliseconds(2000));
  return bridge;
}

// Broker internals: one Jolokia bridge per configured broker (a sidecar: its own only).
std::unique_ptr<jmx::BridgeRunner> make_jmx(const config::Config& config) {
  if (!config.jmx.enabled) return nullptr;
  std::vector<jmx::BridgeConfig> bridges;
  for (const auto& [id, url] : config.jmx.brokers) {
    if (config.serve.broker_id && *config.serve.broker_id != id) continue;
    jmx::BridgeConfig bridge = jolokia_bridge(config, url);
    bridge.broker_id = id;
    bridges.push_back(std::move(bridge));
  }
  return std::make_unique<jmx::BridgeRunner>(bridges, jmx::RuleSet::load_file(config.jmx.rules_file),
                                             config.collect.interval);
}

// Kafka Connect workers' internals: a bridge per worker, its series on the cluster port with a
// connect_worker label, read with the brokers' Jolokia credentials.
std::unique_ptr<jmx::BridgeRunner> make_connect_jmx(const config::Config& config) {
  if (config.connect.jolokia_urls.empty()) return nullptr;
  std::vector<jmx::BridgeConfig> bridges;
  for (const auto& url : config.connect.jolokia_urls) {
    jmx::BridgeConfig bridge = jolokia_bridge(config, url);
    bridge.connect_worker = jmx::connect_worker_name(url);
    bridges.push_back(std::move(bridge));
  }
  return std::make_unique<jmx::BridgeRunner>(bridges, jmx::RuleSet::load_file(config.connect.rules_file),
                                             config.collect.interval);
}

// Kafka Connect (with the MirrorMaker 2 connectors on it) and a Schema Registry, when configured.
std::unique_ptr<platform::PlatformRunner> make_platform(const config::Config& config) {
  const auto rest = [](const std::vector<std::string>& urls, const std::string& username,
                       const std::string& password, const std::string& ca_file, config::Duration timeout) {
    platform::RestOptions options;
    options.urls = urls;
    options.http.username = username;
    options.http.password = password;
    options.http.ca_file = ca_file;
    options.http.read_timeout = timeout;
    options.http.connect_timeout = std::min(timeout, std::chrono::milliseconds(2000));
    options.http.max_body_bytes = 64u << 20;
    return options;
  };
  std::optional<platform::ConnectOptions> connect;
  if (!config.connect.urls.empty()) {
    const auto& c = config.connect;
    connect.emplace();
    connect->rest = rest(c.urls, c.username, c.password, c.ca_file, c.timeout);
    connect->mirror_lag = c.mirror_lag;
    connect->kafka = client_config(config);
    connect->kafka_timeout = c.timeout;
  }
  std::optional<platform::RegistryOptions> registry;
  if (!config.schema_registry.url.empty()) {
    const auto& r = config.schema_registry;
    registry.emplace();
    registry->rest = rest({r.url}, r.username, r.password, r.ca_file, r.timeout);
    registry->metrics_url = r.metrics_url;
  }
  if (!connect && !registry) return nullptr;
  return std::make_unique<platform::PlatformRunner>(std::move(connect), std::move(registry),
                                                    config.collect.interval);
}

class Exporter {
 public:
  Exporter(const config::Config& config, asio::io_context& io, http::HttpServer& server,
           const jmx::BridgeRunner* jmx, const jmx::BridgeRunner* connect_jmx,
           const platform::PlatformRunner* platform)
      : config_(config),
        io_(io),
        server_(server),
        jmx_(jmx),
        connect_jmx_(connect_jmx),
        platform_(platform),
        client_(io, client_config(config)),
        collector_(client_, collector_options(config)),
        probe_(make_probe(config)) {
    if (probe_) {
      leader_repair_.emplace(probe_->topic(), config.serve.broker_id, config.kafka.request_timeout);
    }
    derived_.max_points = static_cast<size_t>(config.collect.lag_history_points);
    derived_.status_window = static_cast<size_t>(config.collect.lag_status_window);
    stats_.version = kVersion;
    options_.partition_metrics = config.limits.partition_metrics && !config.limits.lean();
    options_.group_partition_metrics = config.limits.group_partition_metrics && !config.limits.lean();
  }

  // Between cycles, the probe's series are rendered again every probe interval.
  asio::awaitable<void> run_probe_pages() {
    asio::steady_timer timer(io_);
    for (;;) {
      // Half the interval, so a broker going down shows within two intervals.
      timer.expires_after(config_.probe.interval / 2);
      co_await timer.async_wait(asio::use_awaitable);
      publish_pages();
    }
  }

  bool probing() const { return probe_ != nullptr; }

  asio::awaitable<void> run() {
    asio::steady_timer timer(io_);
    for (;;) {
      const auto started = std::chrono::steady_clock::now();
      co_await cycle();
      hand_back_memory();
      timer.expires_at(started + config_.collect.interval);
      co_await timer.async_wait(asio::use_awaitable);
    }
  }

 private:
  asio::awaitable<void> cycle() {
    use_rotated_credentials();
    model::ClusterSnapshot snapshot;
    try {
      snapshot = co_await collector_.collect();
    } catch (const std::exception& error) {
      spdlog::error("collection cycle failed: {}", error.what());
      // Nothing of the cycle stands: no collector worked.
      for (auto id : model::kCollectorIds) snapshot.collectors[id] = {false, error.what(), "exception"};
    }
    if (config_.serve.broker_id) co_await check_lower_sidecars(snapshot);
    publish(snapshot);
    if (leader_repair_) co_await leader_repair_->run(client_, snapshot);
  }

  // Certificates, keys and secret files rotated while running are read again: every
  // connection to Kafka, the probe's too, opens again with them, and the metrics ports' new
  // HTTPS connections use their new certificate. Files that cannot be used (a key
  // that does not match its certificate, a world-readable secret) leave the previous ones
  // in use until the files change again.
  void use_rotated_credentials() {
    if (auto served = server_.reload_tls_if_changed()) {
      if (served->empty()) {
        ++stats_.credential_reloads_ok;
        spdlog::info("the HTTPS certificate files changed: new connections to the ports use them");
      } else {
        ++stats_.credential_reloads_failed;
        spdlog::error(
            "the HTTPS certificate files changed but cannot be used; the previous ones stay in use: {}",
            *served);
      }
    }
    if (!credentials_.changed()) return;
    config::Config fresh = config_;
    try {
      config::reread_secret_files(fresh);
      const kafka::ClientConfig client = client_config(fresh);
      client_.reload_credentials(client.tls, client.sasl);
    } catch (const std::exception& error) {
      ++stats_.credential_reloads_failed;
      spdlog::error("the login files changed but cannot be used; the previous ones stay in use: {}",
                    error.what());
      return;
    }
    ++stats_.credential_reloads_ok;
    spdlog::info("the login files changed: every connection to Kafka opens again with them");
    if (probe_) {
      probe_.reset();  // its clients leave before the new ones join the probe's group
      probe_ = make_probe(fresh);
    }
  }

  // The cycle's snapshot and families are freed: the allocator hands their pages back to
  // the system, so the resident size is the steady state and not the peak of a cycle, and
  // says what it still holds (served with the next cycle).
  // The allocator's statistics walk every free chunk (3% of the CPU at 100,000 partitions):
  // they are read every tenth cycle.
  void hand_back_memory() {
    malloc_trim(0);
    if (trims_++ % 10 != 0) return;
    const struct mallinfo2 heap = mallinfo2();
    stats_.cost.heap = model::HeapBytes{heap.uordblks + heap.hblkhd, heap.fordblks};
  }
  uint64_t trims_ = 0;

  static collector::CollectorOptions collector_options(const config::Config& config) {
    collector::CollectorOptions options;
    options.cycle_timeout = config.collect.timeout;
    options.request_timeout = std::min(config.kafka.request_timeout, config.collect.timeout);
    options.topic_include = config.filters.topic_include;
    options.topic_exclude = config.filters.topic_exclude;
    options.group_include = config.filters.group_include;
    options.group_exclude = config.filters.group_exclude;
    options.record_reads_per_broker = static_cast<size_t>(config.collect.lag_record_reads_per_broker);
    options.zookeeper_servers = config.zookeeper.servers;
    options.zookeeper_timeout = config.zookeeper.timeout;
    return options;
  }

  void publish(const model::ClusterSnapshot& snapshot) {
    const auto modelling = std::chrono::steady_clock::now();
    const bool metadata_up = snapshot.collectors.up(model::CollectorId::kMetadata);
    if (metadata_up) model::advance(derived_, snapshot);
    if (probe_) probe_->follow_coordinator(snapshot.groups);
    record_cycle(stats_, snapshot, unix_now());
    stats_.requests = collector_.request_stats();
    stats_.record_reads = collector_.record_read_stats();

    const PortPlan plan = roles_.next(snapshot.brokers, metadata_up, silent_sidecars_);
    const std::set<int> open = open_ports(plan);

    // Families: the cluster's, the broker internals', then the exporter's own.
    std::vector<Family> cluster = model::build_cluster_families(snapshot, derived_, options_);
    limit_series(cluster);
    record_cost(std::chrono::steady_clock::now() - modelling);
    std::vector<std::shared_ptr<const std::vector<Family>>> internals;
    if (jmx_) internals = jmx_->families();
    if (connect_jmx_) {
      for (auto& set : connect_jmx_->families()) internals.push_back(std::move(set));
    }
    if (platform_) {
      for (auto& set : platform_->families()) internals.push_back(std::move(set));
    }
    const std::vector<Family> own = model::build_exporter_families(stats_, plan.exporter_owner);
    FamilySets sets = {&cluster};
    for (const auto& set : internals) {
      if (set) sets.push_back(set.get());
    }
    sets.push_back(&own);
    pages_.render_heads(plan_pages(plan, open), sets);
    publish_pages();
    publish_status_page(snapshot, plan, open, cluster);
    update_readiness(snapshot);
  }

  // The cluster port's `/`, for a person: rendered once per cycle like the pages.
  void publish_status_page(const model::ClusterSnapshot& snapshot, const PortPlan& plan,
                           const std::set<int>& open, const std::vector<Family>& cluster) {
    if (!plan.cluster_port || !open.count(*plan.cluster_port)) return;
    status::PageContext context;
    context.cluster_port = plan.cluster_port;
    for (const auto& [broker, port] : plan.broker_ports) {
      if (open.count(port)) context.broker_ports[broker] = port;
    }
    context.link_host = std::string(http::kRequestHostToken);
    context.refresh_seconds =
        static_cast<int>(std::chrono::ceil<std::chrono::seconds>(config_.collect.interval).count());
    context.probe_enabled = probe_ != nullptr;
    std::vector<std::shared_ptr<const std::vector<Family>>> probe_families;
    if (probe_) probe_families = probe_->families();
    status::FamilySets probe;
    for (const auto& set : probe_families) probe.push_back(set.get());
    server_.publish_status_page(
        *plan.cluster_port, std::make_shared<const std::string>(
                                status::render_status_page(snapshot, {&cluster}, probe, stats_, context)));
  }

  // What this cycle's model took, what the client's answers cost so far, and what the
  // last render took (its own cost is known only once it is done: the next cycle says it).
  void record_cost(std::chrono::steady_clock::duration modelling) {
    model::ProcessCost& cost = stats_.cost;
    cost.responses.clear();
    for (const auto& [api, spent] : client_.response_costs()) {
      cost.responses.push_back({api, spent.bytes, spent.decode_seconds});
    }
    cost.stage_seconds["model"] = std::chrono::duration<double>(modelling).count();
    if (const auto& render = pages_.last_cost()) {
      cost.stage_seconds["render"] = render->render_seconds;
      cost.stage_seconds["gzip"] = render->gzip_seconds;
      cost.pages = render->pages;
    }
  }

  // The cluster port, when this process has it (else closed), and every broker port.
  std::set<int> open_ports(const PortPlan& plan) {
    std::set<int> open;
    if (plan.cluster_port) {
      if (open_port(*plan.cluster_port, "cluster")) open.insert(*plan.cluster_port);
    } else if (cluster_port_open_) {
      spdlog::info("no longer serving the cluster port {}: the sidecar of a lower broker id answers",
                   config_.serve.cluster_port);
      server_.remove_port(config_.serve.cluster_port);
      cluster_port_open_ = false;
    }
    for (const auto& [broker, port] : plan.broker_ports) {
      if (open_port(port, "broker " + std::to_string(broker))) open.insert(port);
    }
    return open;
  }

  // limits.max_series on the cluster port (a sidecar has none); what it leaves out is logged
  // when that changes and counted in the exporter's own series.
  void limit_series(std::vector<Family>& cluster) {
    auto dropped =
        model::apply_series_limit(cluster, config_.serve.broker_id ? 0 : config_.limits.max_series);
    if (dropped == stats_.dropped_families) return;
    for (const auto& name : dropped) {
      spdlog::warn("limits.max_series ({}) reached: family {} left out", config_.limits.max_series, name);
    }
    stats_.dropped_families = std::move(dropped);
  }

  // Ready once the cluster's metadata was read: an exporter started during an incident
  // (a broker down, so some offsets unreadable) serves what it can and must not stay unready.
  void update_readiness(const model::ClusterSnapshot& snapshot) {
    if (ready_) return;
    const auto& metadata = snapshot.collectors[model::CollectorId::kMetadata];
    if (!metadata.up) {
      server_.set_ready(false, "Kafka metadata could not be read: " + metadata.error);
      return;
    }
    ready_ = true;
    server_.set_ready(true, "");
    spdlog::info("first collection: {} brokers, {} topics, {} groups in {:.3f} s{}", roles_.live_count(),
                 snapshot.topics.size(), snapshot.groups.size(), snapshot.cycle_duration.count(),
                 snapshot.complete ? "" : " (some parts failed; see below)");
  }

  // Sidecar mode: asks the sidecars of the live brokers below this one whether they run.
  asio::awaitable<void> check_lower_sidecars(const model::ClusterSnapshot& snapshot) {
    const int32_t self = *config_.serve.broker_id;
    std::set<int32_t> silent;
    // In id order, up to the first that answers: that one serves the cluster port.
    for (const auto& broker : snapshot.brokers) {
      if (broker.id >= self || !broker.registered || broker.host.empty()) continue;
      const int port = static_cast<int>(config::broker_port(config_.serve, broker.id));
      if (co_await sidecar_answers(broker.host, port, kSidecarCheckTimeout)) break;
      silent.insert(broker.id);
    }
    for (int32_t id : silent) {
      if (!silent_sidecars_.count(id)) spdlog::warn("sidecar of broker {} does not answer", id);
    }
    silent_sidecars_ = std::move(silent);
  }

  // Each port's page: the cycle's head plus the probe's series as of now.
  void publish_pages() {
    std::vector<std::shared_ptr<const std::vector<Family>>> probe_families;
    if (probe_) probe_families = probe_->families();
    FamilySets tail;
    for (const auto& set : probe_families) {
      if (set) tail.push_back(set.get());
    }
    stats_.series_per_port.clear();
    for (auto& [port, page] : pages_.with_tail(tail, std::chrono::system_clock::now())) {
      stats_.series_per_port[port] = page->series;
      server_.publish(port, std::move(page));
    }
  }

  // Retried every cycle (the port may free up); the failure is logged once.
  bool open_port(int port, const std::string& role) {
    try {
      if (!server_.serves(port)) spdlog::info("serving {} on port {}", role, port);
      server_.ensure_port(port, role);
      if (port == config_.serve.cluster_port) cluster_port_open_ = true;
      failed_ports_.erase(port);
      return true;
    } catch (const http::ServerError& error) {
      if (failed_ports_.insert(port).second) spdlog::error("{}", error.what());
      return false;
    }
  }

  const config::Config& config_;
  asio::io_context& io_;
  http::HttpServer& server_;
  const jmx::BridgeRunner* jmx_;
  const jmx::BridgeRunner* connect_jmx_;
  const platform::PlatformRunner* platform_;
  kafka::KafkaClient client_;
  collector::Collector collector_;
  model::DerivedState derived_;
  model::ModelOptions options_;
  model::ExporterStats stats_;
  std::unique_ptr<probe::Probe> probe_;
  std::optional<probe::LeaderRepair> leader_repair_;
  common::CredentialWatch credentials_{config::credential_files(config_)};
  PortRoles roles_{config_.serve};
  Pages pages_;
  static constexpr std::chrono::milliseconds kSidecarCheckTimeout{1000};
  std::set<int32_t> silent_sidecars_;  // lower brokers whose sidecar did not answer
  std::set<int> failed_ports_;
  bool ready_ = false;
  bool cluster_port_open_ = false;
};

}  // namespace

// The longest a stop may take once a signal came.
constexpr auto kStopBound = std::chrono::seconds(10);

int run(const config::Config& config, const config::WebConfig& web) {
  spdlog::set_level(spdlog::level::from_str(config.log.level));
  const KerberosEnvironment kerberos(config);
  spdlog::info(
      "kafka-sidecar-exporter {} starting: bootstrap {}, interval {} ms{}", kVersion,
      fmt::join(config.kafka.bootstrap_servers, ","), config.collect.interval.count(),
      config.serve.broker_id ? ", sidecar of broker " + std::to_string(*config.serve.broker_id) : "");
  http::ServerOptions server_options;
  server_options.listen_address = config.serve.listen_address;
  server_options.threads_per_port = config.serve.http_threads;
  server_options.metrics_path = config.serve.metrics_path;
  server_options.tls_cert_file = config.serve.tls.cert_file;
  server_options.tls_key_file = config.serve.tls.key_file;
  server_options.basic_auth_username = config.serve.basic_auth.username;
  server_options.basic_auth_password = config.serve.basic_auth.password;
  if (!web.tls.cert_file.empty()) {
    server_options.tls_cert_file = web.tls.cert_file;
    server_options.tls_key_file = web.tls.key_file;
    server_options.tls_client_auth_type = web.tls.client_auth_type;
    server_options.tls_client_ca_file = web.tls.client_ca_file;
    server_options.tls_min_version = web.tls.min_version;
    server_options.tls_max_version = web.tls.max_version;
  }
  server_options.bcrypt_users = web.basic_auth_users;
  try {
    http::HttpServer server(server_options);
    // The ports known before the first cycle open at once, so a busy port stops us here.
    const PortPlan initial = plan_ports(config.serve, {}, {});
    if (!config.serve.broker_id) server.ensure_port(config.serve.cluster_port, "cluster");
    // Other brokers' ports open when the metadata shows them, so none answers 503 for ever.
    for (const auto& [broker, port] : initial.broker_ports)
      server.ensure_port(port, "broker " + std::to_string(broker));
    const auto jmx = make_jmx(config);
    const auto connect_jmx = make_connect_jmx(config);
    const auto platform = make_platform(config);
    asio::io_context io(1);
    Exporter exporter(config, io, server, jmx.get(), connect_jmx.get(), platform.get());
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& error, int signal) {
      if (!error) spdlog::info("signal {} received, stopping", signal);
      // librdkafka can hold its clients' teardown for a request timeout while a broker
      // hangs; a stop must not wait for that (orchestrators kill after 30 s). Nothing
      // here is durable, so past the bound the process exits without the rest.
      std::thread([] {
        std::this_thread::sleep_for(kStopBound);
        spdlog::warn("stopping took more than {} s (a client waits on a hung broker): exiting now",
                     std::chrono::duration_cast<std::chrono::seconds>(kStopBound).count());
        spdlog::default_logger()->flush();
        std::_Exit(0);
      }).detach();
      io.stop();
    });
    if (exporter.probing()) asio::co_spawn(io, exporter.run_probe_pages(), asio::detached);
    asio::co_spawn(io, exporter.run(), [&](std::exception_ptr error) {
      if (error) {
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          spdlog::critical("collector loop stopped: {}", e.what());
        }
      }
      io.stop();
    });
    io.run();
  } catch (const http::ServerError& error) {
    spdlog::critical("{}", error.what());
    return 1;
  } catch (const std::invalid_argument& error) {
    spdlog::critical("{}", error.what());
    return 1;
  } catch (const std::exception& error) {
    spdlog::critical("cannot start: {}", error.what());
    return 1;
  }
  spdlog::info("stopped");
  return 0;
}

}  // namespace kse::app
