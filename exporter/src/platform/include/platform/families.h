#pragma once

#include <vector>

#include "metrics/family.h"
#include "platform/facts.h"

// The platform's facts as families, every sample on the cluster port (docs/metrics.md,
// "Kafka Connect, MirrorMaker 2 and Schema Registry"). A part that could not be read is absent,
// never zero; kafka_connect_up and kafka_schema_registry_up say it was down, and
// kafka_sidecar_collector_up{collector="connect"|"mirrors"|"schema_registry"} says why.
namespace kse::platform {

std::vector<metrics::Family> connect_families(const ConnectFacts& facts, bool mirror_lag, double now_unix);
std::vector<metrics::Family> registry_families(const RegistryFacts& facts, bool count_refusals);

}  // namespace kse::platform
