#include "config/web_config.h"

#include <cctype>
#include <fstream>
#include <sstream>

#include "config/config.h"

#include "schema.h"

namespace kse::config {
namespace {

using schema::fail;
using schema::Origin;
using schema::origin_of;

const char* const kClientAuthTypes[] = {"NoClientCert", "RequestClientCert", "RequireAnyClientCert",
                                        "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"};
const char* const kTlsVersions[] = {"TLS10", "TLS11", "TLS12", "TLS13"};

std::string scalar(const YAML::Node& node, const Origin& origin, const std::string& key,
                   const std::string& allowed) {
  if (!node.IsScalar()) fail(origin, key, schema::describe(node), allowed);
  return node.Scalar();
}

std::string file(const YAML::Node& node, const Origin& origin, const std::string& key) {
  if (node.IsNull()) return "";
  const std::string path = scalar(node, origin, key, "a readable file");
  if (!path.empty() && !std::ifstream(path).good()) {
    fail(origin, key, "'" + path + "' (cannot be read)", "a readable file");
  }
  return path;
}

template <size_t N>
std::string one_of(const YAML::Node& node, const Origin& origin, const std::string& key,
                   const char* const (&choices)[N]) {
  std::string allowed = "one of";
  for (const char* choice : choices) allowed += std::string(" ") + choice;
  const std::string text = scalar(node, origin, key, allowed);
  for (const char* choice : choices) {
    if (text == choice) return text;
  }
  fail(origin, key, "'" + text + "'", allowed);
}

// "$2a$", "$2b$" or "$2y$", a two-digit cost, "$", 53 characters of salt and hash.
bool looks_like_bcrypt(const std::string& hash) {
  if (hash.size() != 60 || hash[0] != '$' || hash[1] != '2' || hash[3] != '$' || hash[6] != '$') {
    return false;
  }
  if (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') return false;
  if (!std::isdigit(static_cast<unsigned char>(hash[4])) ||
      !std::isdigit(static_cast<unsigned char>(hash[5]))) {
    return false;
  }
  const int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
  if (cost < 4 || cost > 31) return false;
  for (size_t i = 7; i < hash.size(); ++i) {
    const char c = hash[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '/') return false;
  }
  return true;
}

void read_tls(const YAML::Node& node, const std::string& source, WebTlsConfig& tls) {
  const Origin at = origin_of(source, node);
  if (!node.IsMap()) fail(at, "tls_server_config", schema::describe(node), "a mapping");
  for (const auto& entry : node) {
    const Origin origin = origin_of(source, entry.first);
    const std::string name = entry.first.Scalar();
    const std::string key = "tls_server_config." + name;
    if (name == "cert_file") {
      tls.cert_file = file(entry.second, origin, key);
    } else if (name == "key_file") {
      tls.key_file = file(entry.second, origin, key);
      if (!tls.key_file.empty()) schema::refuse_if_others_can_read(origin, key, tls.key_file);
    } else if (name == "client_auth_type") {
      tls.client_auth_type = one_of(entry.second, origin, key, kClientAuthTypes);
    } else if (name == "client_ca_file") {
      tls.client_ca_file = file(entry.second, origin, key);
    } else if (name == "min_version") {
      tls.min_version = one_of(entry.second, origin, key, kTlsVersions);
    } else if (name == "max_version") {
      tls.max_version = one_of(entry.second, origin, key, kTlsVersions);
    } else {
      fail(origin, key, "an unknown key",
           "cert_file, key_file, client_auth_type, client_ca_file, min_version, max_version");
    }
  }
  if (tls.cert_file.empty() || tls.key_file.empty()) {
    fail(at, "tls_server_config", "cert_file or key_file missing", "both cert_file and key_file");
  }
  if (tls.client_auth_type != "NoClientCert" && tls.client_auth_type != "RequestClientCert" &&
      tls.client_auth_type != "RequireAnyClientCert" && tls.client_ca_file.empty()) {
    fail(at, "tls_server_config.client_ca_file", "nothing",
         "a CA file when client_auth_type is " + tls.client_auth_type);
  }
  if (!tls.max_version.empty() && tls.max_version < tls.min_version) {
    fail(at, "tls_server_config.max_version", "'" + tls.max_version + "'",
         "a version not older than min_version " + tls.min_version);
  }
}

}  // namespace

WebConfig parse_web_config(const std::string& text, const std::string& source_name) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& error) {
    throw ConfigError(source_name + ":" + std::to_string(error.mark.line + 1) +
                      ": not valid YAML: " + error.msg);
  }
  WebConfig web;
  if (root.IsNull()) return web;
  if (!root.IsMap()) {
    fail({source_name, source_name}, "(top level)", schema::describe(root), "a mapping");
  }
  for (const auto& entry : root) {
    const Origin origin = origin_of(source_name, entry.first);
    const std::string name = entry.first.Scalar();
    if (name == "tls_server_config") {
      read_tls(entry.second, source_name, web.tls);
    } else if (name == "basic_auth_users") {
      if (entry.second.IsNull()) continue;
      if (!entry.second.IsMap()) {
        fail(origin, name, schema::describe(entry.second), "a mapping of user to bcrypt hash");
      }
      for (const auto& user : entry.second) {
        const Origin user_origin = origin_of(source_name, user.first);
        const std::string key = name + "." + user.first.Scalar();
        const std::string allowed = "a bcrypt hash ($2a$, $2b$ or $2y$, as htpasswd -B makes)";
        const std::string hash = scalar(user.second, user_origin, key, allowed);
        if (user.first.Scalar().empty() || user.first.Scalar().find(':') != std::string::npos) {
          fail(user_origin, key, "a user name that is empty or has ':'", "a user name without ':'");
        }
        // Never quoted: what is there instead of a hash is often the password itself.
        if (!looks_like_bcrypt(hash)) {
          fail(user_origin, key, "a value that is not a bcrypt hash (a plain-text password?)", allowed);
        }
        web.basic_auth_users[user.first.Scalar()] = hash;
      }
    } else if (name == "http_server_config") {
      fail(origin, name, "a key this exporter does not implement", "tls_server_config, basic_auth_users");
    } else {
      fail(origin, name, "an unknown key", "tls_server_config, basic_auth_users");
    }
  }
  return web;
}

WebConfig load_web_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot read the web configuration file");
  std::stringstream text;
  text << in.rdbuf();
  return parse_web_config(text.str(), path);
}

}  // namespace kse::config
