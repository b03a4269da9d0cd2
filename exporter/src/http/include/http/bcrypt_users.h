#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

// Basic auth users with bcrypt hashes (the exporter-toolkit's basic_auth_users).
namespace kse::http {

// True when `password` hashes to `hash` under the system's crypt (libxcrypt: $2a$, $2b$, $2y$).
bool bcrypt_matches(std::string_view password, const std::string& hash);

class BcryptUsers {
 public:
  explicit BcryptUsers(std::map<std::string, std::string> hashes);

  bool empty() const { return hashes_.empty(); }
  // A bcrypt costs tens of milliseconds, so a pair that matched once is remembered,
  // keyed by user and SHA-256 of the password, never the password itself.
  bool verify(const std::string& user, std::string_view password);

 private:
  std::map<std::string, std::string> hashes_;
  std::mutex mutex_;
  std::set<std::string> verified_;
};

}  // namespace kse::http
