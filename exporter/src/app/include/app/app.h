#pragma once

#include "config/config.h"
#include "config/web_config.h"

namespace kse::app {

// Runs the exporter until SIGINT or SIGTERM. Returns the process exit code
// (0 after a clean stop, 1 when a port cannot be opened or Kafka settings are unusable).
// `web` is the loaded serve.web_config_file, if any.
int run(const config::Config& config, const config::WebConfig& web = {});

}  // namespace kse::app
