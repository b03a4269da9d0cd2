#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config.h"

// The table of every key the file, the environment and flags may set: what each key
// accepts, where it lands in Config and what docs/configuration.md says about it.
namespace kse::config::schema {

// Where a value came from, so every error names it: "file.yml:12" or "environment KSE_X".
struct Origin {
  std::string source;
  std::string where;
};

Origin origin_of(const std::string& source, const YAML::Node& node);

// "nothing", "a list", "'text'"...: how an error names what it found.
std::string describe(const YAML::Node& node);

[[noreturn]] void fail(const Origin& origin, const std::string& key, const std::string& found,
                       const std::string& allowed);

std::optional<int64_t> parse_integer(const std::string& text);

// Refuses a secret or private key file that every user of the host may read (mode & 0004);
// group-readable is allowed, as Kubernetes' defaultMode 0440 and systemd credentials are.
void refuse_if_others_can_read(const Origin& origin, const std::string& key, const std::string& path);

enum class Kind {
  kString,           // any text; nothing means empty
  kSecret,           // any text, never printed; its sibling `<key>_file` may hold it instead
  kSecretFile,       // a file holding the secret of the key without `_file`, others may not read
  kPrivateFile,      // a file others may not read that is used as it is (a Kerberos keytab), or nothing
  kName,             // any text, but something must be written; `what` says what it names
  kBool,             // true/false, yes/no, on/off
  kInteger,          // min..max
  kOptionalInteger,  // min..max, or nothing for unset
  kDuration,         // at least min milliseconds
  kChoice,           // one of `choices`
  kRegex,            // compiles with PCRE2
  kReadableFile,     // a path the exporter can read, or nothing
  kPemCertificates,  // a readable PEM file of certificates, or nothing
  kPemPrivateKey,    // a readable PEM private key without a pass phrase, or nothing
  kHostPortList,     // host:port entries
  kBrokerPorts,      // broker id -> port
  kBrokerUrls,       // broker id -> http(s) URL
  kUrl,              // an http(s) URL, or nothing
  kUrlList,          // http(s) URLs
};

struct Type {
  Kind kind;
  int64_t min = 0;
  int64_t max = 0;
  std::vector<std::string> choices = {};
  std::string what = {};
};

// The member of Config a key sets; the alternative must suit the key's Kind.
using Field =
    std::variant<std::string*, bool*, int*, int64_t*, Duration*, std::optional<int32_t>*,
                 std::vector<std::string>*, std::map<int32_t, int>*, std::map<int32_t, std::string>*>;

struct Key {
  std::string_view path;
  Field (*field)(Config&);
  Type type;
  std::string_view meaning;  // one line for docs/configuration.md
};

// Every key, in the order docs/configuration.md lists them.
const std::vector<Key>& keys();

const Key* find_key(const std::string& path);

// Reads `node` as `key` allows and stores it in `config`. Throws ConfigError.
void apply(const Key& key, Config& config, const YAML::Node& node, const Origin& origin);

}  // namespace kse::config::schema
