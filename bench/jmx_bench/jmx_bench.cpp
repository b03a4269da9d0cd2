// Scrape cost of broker internals: our bridge (collect in the background, serve a
// page pre-rendered by the daemon's renderer from the daemon's HTTP server) against the JMX exporter agent
// (walk the MBeans on each scrape), on the same broker with the same rules. Also broker CPU per minute for
// each.
//
//   jmx_bench run  --jolokia URL --agent URL --rules FILE [--rounds N] [--cpu-window S]
//   jmx_bench dump --jolokia URL --rules FILE [--broker N]   (our page, to stdout)
#include <unistd.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <numeric>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "http/server.h"
#include "http_client/http_post.h"
#include "jmx/jolokia/bridge.h"
#include "render/exposition.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// GET url, returns the body size; throws on failure.
size_t http_get(const kse::http_client::HttpTarget& target) {
  asio::io_context io;
  tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  stream.connect(resolver.resolve(target.host, target.port));
  http::request<http::empty_body> request{http::verb::get, target.path, 11};
  request.set(http::field::host, target.host);
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1ull << 31);
  http::read(stream, buffer, parser);
  if (parser.get().result_int() != 200) {
    throw std::runtime_error("HTTP " + std::to_string(parser.get().result_int()));
  }
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return parser.get().body().size();
}

// A loopback port nothing listens on, for our HTTP server.
int free_port() {
  asio::io_context io;
  tcp::acceptor probe(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return probe.local_endpoint().port();
}

// utime + stime of a process, in seconds.
double process_cpu_seconds(long pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(file, line);
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nan("");
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int index = 3; fields >> field; ++index) {
    if (index == 14) utime = std::atof(field.c_str());
    if (index == 15) {
      stime = std::atof(field.c_str());
      break;
    }
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct Stats {
  double min = 0, median = 0, mean = 0;
};
Stats stats_of(std::vector<double> values) {
  Stats s;
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  s.min = values.front();
  s.median = values[values.size() / 2];
  s.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  return s;
}

std::string ms(double seconds) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3f ms", seconds * 1000);
  return buffer;
}

std::map<std::string, std::string> parse_args(int argc, char** argv, int first) {
  std::map<std::string, std::string> args;
  for (int i = first; i + 1 < argc; i += 2) args[argv[i]] = argv[i + 1];
  return args;
}

std::string arg(const std::map<std::string, std::string>& args, const std::string& key,
                const std::string& fallback = "") {
  const auto it = args.find(key);
  if (it != args.end()) return it->second;
  if (fallback.empty()) throw std::runtime_error("missing " + key);
  return fallback;
}

// The broker's pid as its JVM reports it.
long broker_pid(const std::string& jolokia_url) {
  const auto response = kse::http_client::http_post(
      kse::http_client::parse_http_url(jolokia_url),
      R"({"type":"read","mbean":"java.lang:type=Runtime","attribute":"Pid"})", {});
  const size_t at = response.body.find("\"value\":");
  return at == std::string::npos ? -1 : std::atol(response.body.c_str() + at + 8);
}

int run(const std::map<std::string, std::string>& args) {
  const std::string jolokia = arg(args, "--jolokia");
  const auto agent = kse::http_client::parse_http_url(arg(args, "--agent"));
  const int rounds = std::stoi(arg(args, "--rounds", "5"));
  const int cpu_window = std::stoi(arg(args, "--cpu-window", "60"));
  const int interval = std::stoi(arg(args, "--interval", "15"));
  const std::string label = arg(args, "--label", "broker 1");

  kse::jmx::BridgeConfig config;
  config.broker_id = std::stoi(arg(args, "--broker", "1"));
  config.url = jolokia;
  config.read_timeout = std::chrono::milliseconds(120000);
  kse::jmx::JolokiaBridge bridge(config, kse::jmx::RuleSet::load_file(arg(args, "--rules")));

  auto start = Clock::now();
  bridge.collect_once();
  const double cold_cycle = seconds_since(start);
  if (!bridge.status().up) {
    std::cerr << "bridge failed: " << bridge.status().last_error << "\n";
    return 1;
  }
  // The daemon's own renderer and HTTP server, as a broker port serves the page.
  kse::http::ServerOptions options;
  options.listen_address = "127.0.0.1";
  kse::http::HttpServer server(options);
  const int port = free_port();
  server.ensure_port(port, "broker " + std::to_string(config.broker_id));
  server.set_ready(true, "");
  std::vector<double> cycles, renders, ours, theirs;
  size_t our_bytes = 0, their_bytes = 0;
  for (int i = 0; i < rounds; ++i) {
    start = Clock::now();
    bridge.collect_once();
    cycles.push_back(seconds_since(start));
    start = Clock::now();
    auto page = std::make_shared<kse::render::RenderedPage>();
    page->text = kse::render::render_text(*bridge.shared_families());  // the daemon's own, uncopied
    renders.push_back(seconds_since(start));
    server.publish(port, page);
    const kse::http_client::HttpTarget ours_target{false, "127.0.0.1", std::to_string(port), "/metrics"};
    start = Clock::now();
    our_bytes = http_get(ours_target);
    ours.push_back(seconds_since(start));
    start = Clock::now();
    their_bytes = http_get(agent);
    theirs.push_back(seconds_since(start));
  }
  const auto status = bridge.status();
  const Stats cycle = stats_of(cycles), rendered = stats_of(renders), our = stats_of(ours),
              their = stats_of(theirs);
  std::printf("== %s: %zu beans, %zu attributes, %zu samples, %zu POSTs/cycle, %.1f MB JSON/cycle\n",
              label.c_str(), status.beans, status.attributes, status.samples, status.posts,
              static_cast<double>(status.response_bytes) / 1e6);
  std::printf("bridge cycle (background):  first %s, then median %s (min %s), cache hits %zu\n",
              ms(cold_cycle).c_str(), ms(cycle.median).c_str(), ms(cycle.min).c_str(), status.cache_hits);
  std::printf("  of which Jolokia answering: %s in the last cycle\n", ms(status.jolokia_seconds).c_str());
  std::printf("render page once per cycle: median %s\n", ms(rendered.median).c_str());
  std::printf("scrape of our port:         median %s (min %s), %zu bytes\n", ms(our.median).c_str(),
              ms(our.min).c_str(), our_bytes);
  std::printf("scrape of the JMX agent:    median %s (min %s), %zu bytes\n", ms(their.median).c_str(),
              ms(their.min).c_str(), their_bytes);
  std::printf("scrape ratio agent/ours:    %.0fx (target >= 50x)\n", their.median / our.median);

  if (cpu_window > 0) {
    const long pid = args.count("--pid") ? std::stol(args.at("--pid")) : broker_pid(jolokia);
    const auto window = [&](const char* what, const std::function<void()>& scrape) {
      const double before = process_cpu_seconds(pid);
      const auto begin = Clock::now();
      for (int elapsed = 0; elapsed < cpu_window; elapsed += interval) {
        const auto tick = Clock::now();
        if (scrape) scrape();
        std::this_thread::sleep_until(tick + std::chrono::seconds(interval));
      }
      const double used = process_cpu_seconds(pid) - before;
      const double per_minute = used * 60.0 / seconds_since(begin);
      std::printf("broker CPU, %-28s %.2f s per minute\n", what, per_minute);
      return per_minute;
    };
    const double idle = window("no scraping:", nullptr);
    const double with_ours = window("bridge every 15 s:", [&] { bridge.collect_once(); });
    const double with_agent = window("agent scraped every 15 s:", [&] { http_get(agent); });
    std::printf("broker CPU over idle:       ours %.2f s/min, agent %.2f s/min\n", with_ours - idle,
                with_agent - idle);
  }
  return 0;
}

int dump(const std::map<std::string, std::string>& args) {
  kse::jmx::BridgeConfig config;
  config.broker_id = std::stoi(arg(args, "--broker", "1"));
  config.url = arg(args, "--jolokia");
  config.read_timeout = std::chrono::milliseconds(120000);
  kse::jmx::JolokiaBridge bridge(config, kse::jmx::RuleSet::load_file(arg(args, "--rules")));
  bridge.collect_once();
  std::cout << kse::render::render_text(bridge.families());
  return bridge.status().up ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string mode = argc > 1 ? argv[1] : "";
    const auto args = parse_args(argc, argv, 2);
    if (mode == "run") return run(args);
    if (mode == "dump") return dump(args);
    std::cerr << "usage: jmx_bench run --jolokia URL --agent URL --rules FILE [--rounds N]"
                 " [--cpu-window S] [--interval S] [--pid PID] [--label TEXT]\n"
                 "       jmx_bench dump --jolokia URL --rules FILE [--broker N]\n";
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "jmx_bench: " << error.what() << "\n";
    return 1;
  }
}
