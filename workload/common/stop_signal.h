#pragma once

#include <atomic>
#include <chrono>

// SIGINT / SIGTERM ask a tool to finish cleanly: flush, commit, leave the group.
namespace kse::workload {

void install_stop_signal_handlers();
bool stop_requested();
void request_stop();

// Sleeps up to `duration`, waking early when a stop is requested.
void sleep_unless_stopped(std::chrono::milliseconds duration);

}  // namespace kse::workload
