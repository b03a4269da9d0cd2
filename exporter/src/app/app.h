#pragma once

#include "config/config.h"

namespace kse::app {

// Runs the exporter until SIGINT or SIGTERM. Returns the process exit code
// (0 after a clean stop, 1 when a port cannot be opened or Kafka settings are unusable).
int run(const config::Config& config);

}  // namespace kse::app
