#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kafka/message.h"

namespace kse::kafka {

struct DescribeConfigsResponse {
  struct Synonym {
    std::string name;
    std::optional<std::string> value;
    int8_t source = 0;
  };
  struct Config {
    std::string name;
    std::optional<std::string> value;  // null for sensitive values
    bool read_only = false;
    int8_t config_source = 0;
    bool is_sensitive = false;
    std::vector<Synonym> synonyms;
    int8_t config_type = 0;
    std::optional<std::string> documentation;
  };
  struct Result {
    int16_t error_code = 0;
    std::optional<std::string> error_message;
    int8_t resource_type = 0;
    std::string resource_name;
    std::vector<Config> configs;
  };
  int32_t throttle_time_ms = 0;
  std::vector<Result> results;

  static DescribeConfigsResponse decode(Reader& r, int16_t) {
    DescribeConfigsResponse out;
    out.throttle_time_ms = r.field("ThrottleTimeMs").int32();
    out.results = read_array<Result>(r.field("Results"), true, 7, [](Reader& in) {
      Result res;
      res.error_code = in.field("Results.ErrorCode").int16();
      res.error_message = in.field("Results.ErrorMessage").nullable_string(true);
      res.resource_type = in.field("Results.ResourceType").int8();
      res.resource_name = in.field("Results.ResourceName").string(true);
      res.configs = read_array<Config>(in.field("Results.Configs"), true, 9, [](Reader& c) {
        Config config;
        config.name = c.field("Results.Configs.Name").string(true);
        config.value = c.field("Results.Configs.Value").nullable_string(true);
        config.read_only = c.field("Results.Configs.ReadOnly").boolean();
        config.config_source = c.field("Results.Configs.ConfigSource").int8();
        config.is_sensitive = c.field("Results.Configs.IsSensitive").boolean();
        config.synonyms = read_array<Synonym>(c.field("Results.Configs.Synonyms"), true, 4, [](Reader& s) {
          Synonym syn;
          syn.name = s.field("Results.Configs.Synonyms.Name").string(true);
          syn.value = s.field("Results.Configs.Synonyms.Value").nullable_string(true);
          syn.source = s.field("Results.Configs.Synonyms.Source").int8();
          s.skip_tags();
          return syn;
        });
        config.config_type = c.field("Results.Configs.ConfigType").int8();
        config.documentation = c.field("Results.Configs.Documentation").nullable_string(true);
        c.skip_tags();
        return config;
      });
      in.skip_tags();
      return res;
    });
    r.skip_tags();
    return out;
  }
};

struct DescribeConfigsRequestResource {
  int8_t resource_type = 2;  // 2 topic, 4 broker, 8 broker logger
  std::string resource_name;
  std::optional<std::vector<std::string>> configuration_keys;  // nullopt = all
};

struct DescribeConfigsRequest {
  static constexpr int16_t kApiKey = 32;
  static constexpr int16_t kMinVersion = 4;
  static constexpr int16_t kMaxVersion = 4;
  static constexpr int16_t kFirstFlexibleVersion = 4;
  static constexpr const char* kName = "DescribeConfigs";
  using Response = DescribeConfigsResponse;

  std::vector<DescribeConfigsRequestResource> resources;
  bool include_synonyms = false;
  bool include_documentation = false;

  void encode(Writer& w, int16_t) const {
    w.array_length(resources.size(), true);
    for (const auto& res : resources) {
      w.int8(res.resource_type);
      w.string(res.resource_name, true);
      if (res.configuration_keys) {
        write_string_array(w, *res.configuration_keys, true);
      } else {
        w.null_array(true);
      }
      w.tags();
    }
    w.boolean(include_synonyms);
    w.boolean(include_documentation);
    w.tags();
  }
};

}  // namespace kse::kafka
