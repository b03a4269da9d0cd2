#include "model/filters.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdexcept>

namespace kse::model {

namespace {
struct Pattern {
  pcre2_code* code = nullptr;
  pcre2_match_data* match = nullptr;

  explicit Pattern(const std::string& text) {
    int error_code = 0;
    PCRE2_SIZE offset = 0;
    // Anchored at both ends: "position" must not match "position-tx".
    const std::string anchored = "^(?:" + text + ")$";
    code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(anchored.c_str()), anchored.size(), 0, &error_code,
                         &offset, nullptr);
    if (code == nullptr) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(error_code, message, sizeof message);
      throw std::invalid_argument("invalid regular expression '" + text +
                                  "': " + reinterpret_cast<const char*>(message));
    }
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    match = pcre2_match_data_create_from_pattern(code, nullptr);
  }
  ~Pattern() {
    pcre2_match_data_free(match);
    pcre2_code_free(code);
  }
  bool matches(std::string_view name) const {
    return pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(name.data()), name.size(), 0, 0, match, nullptr) >=
           0;
  }
};
}  // namespace

struct NameFilter::Impl {
  Pattern include;
  Pattern exclude;
  Impl(const std::string& in, const std::string& ex) : include(in), exclude(ex) {}
};

NameFilter::NameFilter(const std::string& include, const std::string& exclude)
    : impl_(std::make_unique<Impl>(include, exclude)) {}
NameFilter::~NameFilter() = default;
NameFilter::NameFilter(NameFilter&&) noexcept = default;
NameFilter& NameFilter::operator=(NameFilter&&) noexcept = default;

bool NameFilter::accepts(std::string_view name) const {
  return impl_->include.matches(name) && !impl_->exclude.matches(name);
}

}  // namespace kse::model
