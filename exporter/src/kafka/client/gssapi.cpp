#include "kafka/client/gssapi.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5/krb5.h>

#include <unistd.h>
#include <atomic>
#include <cerrno>

namespace kse::kafka {

namespace {

// RFC 4752: bit 1 of the offer's first byte is "no security layer".
constexpr unsigned char kNoSecurityLayer = 0x01;

std::string status_text(OM_uint32 status, int type) {
  std::string text;
  OM_uint32 context = 0;
  do {
    OM_uint32 minor = 0;
    gss_buffer_desc message = GSS_C_EMPTY_BUFFER;
    if (gss_display_status(&minor, status, type, GSS_C_NO_OID, &context, &message) != GSS_S_COMPLETE) break;
    text += (text.empty() ? "" : "; ") + std::string(static_cast<const char*>(message.value), message.length);
    gss_release_buffer(&minor, &message);
  } while (context != 0);
  return text;
}

struct Buffer {
  gss_buffer_desc value = GSS_C_EMPTY_BUFFER;
  ~Buffer() {
    OM_uint32 minor = 0;
    gss_release_buffer(&minor, &value);
  }
  std::string text() const { return std::string(static_cast<const char*>(value.value), value.length); }
};

gss_buffer_desc borrow(const std::string& text) { return {text.size(), const_cast<char*>(text.data())}; }

}  // namespace

std::string gssapi_security_layer_reply(const std::string& offer, const std::string& authzid) {
  if (offer.size() != 4) {
    throw GssapiError("the broker's security-layer offer has " + std::to_string(offer.size()) +
                      " bytes, not 4 (RFC 4752)");
  }
  if ((static_cast<unsigned char>(offer[0]) & kNoSecurityLayer) == 0) {
    throw GssapiError(
        "the broker requires a SASL security layer (integrity or confidentiality), which the "
        "exporter does not offer; use TLS for protection on the wire");
  }
  // Layer "none" and a maximum message size of 0, as no layer wraps any later message.
  return std::string{static_cast<char>(kNoSecurityLayer), '\0', '\0', '\0'} + authzid;
}

struct GssapiClient::State {
  std::string service;
  std::string host;
  std::string principal;
  std::string keytab;
  std::string ccache;
  gss_cred_id_t credential = GSS_C_NO_CREDENTIAL;
  gss_ctx_id_t context = GSS_C_NO_CONTEXT;
  gss_name_t target = GSS_C_NO_NAME;
  bool established = false;

  // The one line an operator reads: what is wrong in their terms, then GSS-API's own words.
  [[noreturn]] void fail(const std::string& step, OM_uint32 major, OM_uint32 minor) const {
    const std::string service_principal = service + "/" + host;
    std::string reason;
    switch (static_cast<krb5_error_code>(minor)) {
      case KRB5_KDC_UNREACH:
        reason =
            "the KDC of the principal's realm is unreachable (is it running, and is it the KDC "
            "that krb5.conf names?)";
        break;
      case KRB5_REALM_UNKNOWN:
      case KRB5_REALM_CANT_RESOLVE:
        reason = "no KDC is known for the principal's realm (check [realms] in krb5.conf)";
        break;
      case KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN:
        reason = "principal " + principal + " is not known to the KDC";
        break;
      case KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN:
        reason = "the broker's principal " + service_principal +
                 " is not known to the KDC (check kafka.sasl.kerberos.service_name and the broker's "
                 "host name in bootstrap_servers / advertised.listeners)";
        break;
      // The private cache is empty, so MIT looks there only when the keytab has no key.
      case KRB5_KT_NOTFOUND:
      case KRB5_FCC_NOFILE:
      case KRB5_CC_NOTFOUND: reason = "keytab " + keytab + " has no key for " + principal; break;
      case KRB5KDC_ERR_PREAUTH_FAILED:
      case KRB5KRB_AP_ERR_BAD_INTEGRITY:
        reason = "the key in keytab " + keytab + " for " + principal +
                 " is not the KDC's (an old keytab, from before the key was changed?)";
        break;
      case KRB5KRB_AP_ERR_SKEW: reason = "this host's clock differs too much from the KDC's"; break;
      case KRB5KDC_ERR_CLIENT_REVOKED: reason = "principal " + principal + " is locked or expired"; break;
      case ENOENT: reason = "keytab " + keytab + " does not exist"; break;
      case EACCES: reason = "keytab " + keytab + " cannot be read by the exporter"; break;
      default: break;
    }
    std::string detail = status_text(major, GSS_C_GSS_CODE);
    const std::string mechanism = status_text(minor, GSS_C_MECH_CODE);
    if (!mechanism.empty()) detail += ": " + mechanism;
    throw GssapiError(step + ": " + (reason.empty() ? detail : reason + " (" + detail + ")"));
  }
};

GssapiClient::GssapiClient(std::string service, std::string host, std::string principal, std::string keytab)
    : state_(std::make_unique<State>()) {
  static std::atomic<uint64_t> next_cache{1};
  state_->service = std::move(service);
  state_->host = std::move(host);
  state_->principal = std::move(principal);
  state_->keytab = std::move(keytab);
  // A cache of this login's own: the user's default cache is never read or written, and a
  // new connection always logs in afresh.
  state_->ccache = "MEMORY:kse-exporter-" + std::to_string(::getpid()) + "-" + std::to_string(next_cache++);
}

GssapiClient::~GssapiClient() {
  OM_uint32 minor = 0;
  if (state_->context != GSS_C_NO_CONTEXT) gss_delete_sec_context(&minor, &state_->context, GSS_C_NO_BUFFER);
  if (state_->credential != GSS_C_NO_CREDENTIAL) gss_release_cred(&minor, &state_->credential);
  if (state_->target != GSS_C_NO_NAME) gss_release_name(&minor, &state_->target);
  // A memory cache lives until destroyed, not until its last handle closes.
  krb5_context kerberos = nullptr;
  if (krb5_init_context(&kerberos) == 0) {
    krb5_ccache cache = nullptr;
    if (krb5_cc_resolve(kerberos, state_->ccache.c_str(), &cache) == 0) krb5_cc_destroy(kerberos, cache);
    krb5_free_context(kerberos);
  }
}

std::string GssapiClient::step(const std::string& server_token) {
  State& s = *state_;
  OM_uint32 minor = 0;
  OM_uint32 major = 0;
  if (s.credential == GSS_C_NO_CREDENTIAL) {
    gss_name_t name = GSS_C_NO_NAME;
    gss_buffer_desc principal = borrow(s.principal);
    major = gss_import_name(&minor, &principal, GSS_KRB5_NT_PRINCIPAL_NAME, &name);
    if (GSS_ERROR(major)) s.fail("principal '" + s.principal + "'", major, minor);
    gss_key_value_element_desc elements[] = {{"client_keytab", s.keytab.c_str()},
                                             {"ccache", s.ccache.c_str()}};
    gss_key_value_set_desc store = {2, elements};
    gss_OID_set_desc mechanisms = {1, const_cast<gss_OID>(gss_mech_krb5)};
    major = gss_acquire_cred_from(&minor, name, GSS_C_INDEFINITE, &mechanisms, GSS_C_INITIATE, &store,
                                  &s.credential, nullptr, nullptr);
    OM_uint32 ignored = 0;
    gss_release_name(&ignored, &name);
    if (GSS_ERROR(major)) s.fail("credentials of " + s.principal + " from " + s.keytab, major, minor);
    const std::string target = s.service + "@" + s.host;
    gss_buffer_desc target_buffer = borrow(target);
    major = gss_import_name(&minor, &target_buffer, GSS_C_NT_HOSTBASED_SERVICE, &s.target);
    if (GSS_ERROR(major)) s.fail("service name '" + target + "'", major, minor);
  }
  gss_buffer_desc input = borrow(server_token);
  Buffer output;
  major = gss_init_sec_context(&minor, s.credential, &s.context, s.target, const_cast<gss_OID>(gss_mech_krb5),
                               GSS_C_MUTUAL_FLAG | GSS_C_SEQUENCE_FLAG, GSS_C_INDEFINITE,
                               GSS_C_NO_CHANNEL_BINDINGS, server_token.empty() ? GSS_C_NO_BUFFER : &input,
                               nullptr, &output.value, nullptr, nullptr);
  if (GSS_ERROR(major)) {
    s.fail("login of " + s.principal + " to " + s.service + "/" + s.host, major, minor);
  }
  s.established = major == GSS_S_COMPLETE;
  return output.text();
}

bool GssapiClient::established() const { return state_->established; }

std::string GssapiClient::security_layer(const std::string& wrapped_offer) {
  State& s = *state_;
  OM_uint32 minor = 0;
  gss_buffer_desc input = borrow(wrapped_offer);
  Buffer offer;
  OM_uint32 major = gss_unwrap(&minor, s.context, &input, &offer.value, nullptr, nullptr);
  if (GSS_ERROR(major)) s.fail("the broker's security-layer offer", major, minor);
  // The authorization id is the name the KDC vouched for, realm included, as the broker
  // compares it with the authenticated one.
  gss_name_t source = GSS_C_NO_NAME;
  major =
      gss_inquire_context(&minor, s.context, &source, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
  if (GSS_ERROR(major)) s.fail("the security context", major, minor);
  Buffer name;
  major = gss_display_name(&minor, source, &name.value, nullptr);
  OM_uint32 ignored = 0;
  gss_release_name(&ignored, &source);
  if (GSS_ERROR(major)) s.fail("the client's name", major, minor);
  const std::string reply = gssapi_security_layer_reply(offer.text(), name.text());
  gss_buffer_desc plain = borrow(reply);
  Buffer wrapped;
  major = gss_wrap(&minor, s.context, 0, GSS_C_QOP_DEFAULT, &plain, nullptr, &wrapped.value);
  if (GSS_ERROR(major)) s.fail("the security-layer reply", major, minor);
  return wrapped.text();
}

}  // namespace kse::kafka
