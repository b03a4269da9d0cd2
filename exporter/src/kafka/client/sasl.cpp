#include "kafka/client/sasl.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <map>
#include <stdexcept>

#include "common/base64.h"

namespace kse::kafka {

namespace {

const EVP_MD* digest_for(const std::string& mechanism) {
  if (mechanism == "SCRAM-SHA-256") return EVP_sha256();
  if (mechanism == "SCRAM-SHA-512") return EVP_sha512();
  throw std::invalid_argument("unsupported SCRAM mechanism " + mechanism);
}

std::string hmac(const EVP_MD* md, const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &length);
  return std::string(reinterpret_cast<char*>(out), length);
}

std::string hash(const EVP_MD* md, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), out, &length, md, nullptr);
  return std::string(reinterpret_cast<char*>(out), length);
}

std::string sasl_name(const std::string& name) {
  std::string escaped;
  for (char c : name) {
    if (c == '=') {
      escaped += "=3D";
    } else if (c == ',') {
      escaped += "=2C";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

std::map<char, std::string> attributes(const std::string& message) {
  std::map<char, std::string> out;
  size_t start = 0;
  while (start <= message.size()) {
    size_t end = message.find(',', start);
    if (end == std::string::npos) end = message.size();
    const std::string part = message.substr(start, end - start);
    if (part.size() >= 2 && part[1] == '=') out[part[0]] = part.substr(2);
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string plain_token(const std::string& username, const std::string& password) {
  return std::string("\0", 1) + username + std::string("\0", 1) + password;
}

std::string oauthbearer_initial_response(const std::string& token) {
  const std::string separator(1, '\x01');  // "\x01auth" in one literal would be byte 0x1a, then "uth"
  return "n,," + separator + "auth=Bearer " + token + separator + separator;
}

ScramClient::ScramClient(std::string mechanism, std::string username, std::string password, std::string nonce)
    : mechanism_(std::move(mechanism)),
      username_(std::move(username)),
      password_(std::move(password)),
      nonce_(std::move(nonce)) {
  digest_for(mechanism_);
  if (nonce_.empty()) {
    unsigned char random[24];
    RAND_bytes(random, sizeof random);
    nonce_ = common::base64_encode(std::string(reinterpret_cast<char*>(random), sizeof random));
  }
}

std::string ScramClient::client_first() {
  client_first_bare_ = "n=" + sasl_name(username_) + ",r=" + nonce_;
  return "n,," + client_first_bare_;
}

std::string ScramClient::client_final(const std::string& server_first) {
  const EVP_MD* md = digest_for(mechanism_);
  auto attrs = attributes(server_first);
  if (attrs.count('e')) throw std::runtime_error("server refused: " + attrs['e']);
  const std::string& nonce = attrs['r'];
  if (nonce.rfind(nonce_, 0) != 0 || nonce.size() <= nonce_.size()) {
    throw std::runtime_error("server nonce does not extend the client nonce");
  }
  auto salt = common::base64_decode(attrs['s']);
  if (!salt || salt->empty()) throw std::runtime_error("server sent no valid salt");
  int iterations = 0;
  try {
    iterations = std::stoi(attrs['i']);
  } catch (const std::exception&) {
    throw std::runtime_error("server sent no iteration count");
  }
  if (iterations < 4096 || iterations > 1'000'000) {
    throw std::runtime_error("server asked for " + std::to_string(iterations) + " iterations");
  }
  salted_password_.resize(static_cast<size_t>(EVP_MD_size(md)));
  PKCS5_PBKDF2_HMAC(password_.data(), static_cast<int>(password_.size()),
                    reinterpret_cast<const unsigned char*>(salt->data()), static_cast<int>(salt->size()),
                    iterations, md, static_cast<int>(salted_password_.size()),
                    reinterpret_cast<unsigned char*>(salted_password_.data()));
  const std::string client_key = hmac(md, salted_password_, "Client Key");
  const std::string stored_key = hash(md, client_key);
  const std::string without_proof = "c=biws,r=" + nonce;
  auth_message_ = client_first_bare_ + "," + server_first + "," + without_proof;
  const std::string signature = hmac(md, stored_key, auth_message_);
  std::string proof = client_key;
  for (size_t i = 0; i < proof.size(); ++i) proof[i] = static_cast<char>(proof[i] ^ signature[i]);
  return without_proof + ",p=" + common::base64_encode(proof);
}

void ScramClient::verify_server_final(const std::string& server_final) const {
  const EVP_MD* md = digest_for(mechanism_);
  auto attrs = attributes(server_final);
  if (attrs.count('e')) throw std::runtime_error("server refused: " + attrs['e']);
  const std::string server_key = hmac(md, salted_password_, "Server Key");
  const std::string expected = common::base64_encode(hmac(md, server_key, auth_message_));
  if (attrs['v'] != expected) throw std::runtime_error("server signature does not match");
}

}  // namespace kse::kafka
