#include "common/stop_signal.h"

#include <csignal>
#include <thread>

namespace kse::workload {

namespace {

volatile std::sig_atomic_t stop_signal_received = 0;
std::atomic<bool> stop_flag{false};

void on_stop_signal(int) { stop_signal_received = 1; }

}  // namespace

void install_stop_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool stop_requested() { return stop_signal_received != 0 || stop_flag.load(); }

void request_stop() { stop_flag = true; }

void sleep_unless_stopped(std::chrono::milliseconds duration) {
  const auto deadline = std::chrono::steady_clock::now() + duration;
  while (!stop_requested()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(deadline - now, std::chrono::milliseconds(50)));
  }
}

}  // namespace kse::workload
