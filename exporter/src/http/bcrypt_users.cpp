#include "http/bcrypt_users.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cstring>
#include <memory>

namespace kse::http {
namespace {

// A valid hash of a password nobody has, checked for unknown users so their answer
// takes as long as a known user's.
const std::string kNobodyHash = "$2b$10$eXo5PNbId34OYSpHVIqIfem18V6ZINHvYat1UUSmOKvw1F5VLvVdG";
constexpr size_t kMaxRemembered = 4096;

std::string sha256(std::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

}  // namespace

bool bcrypt_matches(std::string_view password, const std::string& hash) {
  // crypt_rn stops at a NUL: a password holding one cannot be what was hashed.
  if (password.find('\0') != std::string_view::npos) return false;
  auto data = std::make_unique<crypt_data>();
  const std::string phrase(password);
  const char* result = crypt_rn(phrase.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
  if (result == nullptr || result[0] == '*') return false;
  const size_t length = std::strlen(result);
  return length == hash.size() && CRYPTO_memcmp(result, hash.data(), length) == 0;
}

BcryptUsers::BcryptUsers(std::map<std::string, std::string> hashes) : hashes_(std::move(hashes)) {}

bool BcryptUsers::verify(const std::string& user, std::string_view password) {
  auto it = hashes_.find(user);
  if (it == hashes_.end()) {
    bcrypt_matches(password, kNobodyHash);
    return false;
  }
  const std::string key = user + '\0' + sha256(password);
  {
    std::lock_guard lock(mutex_);
    if (verified_.count(key) > 0) return true;
  }
  if (!bcrypt_matches(password, it->second)) return false;
  std::lock_guard lock(mutex_);
  if (verified_.size() >= kMaxRemembered) verified_.clear();
  verified_.insert(key);
  return true;
}

}  // namespace kse::http
