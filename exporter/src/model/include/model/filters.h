#pragma once

#include <memory>
#include <string>
#include <string_view>

// Topic and group include / exclude filters (PCRE2, matched against the whole name).
namespace kse::model {

class NameFilter {
 public:
  // Throws std::invalid_argument naming the pattern when one does not compile.
  NameFilter(const std::string& include, const std::string& exclude);
  ~NameFilter();
  NameFilter(NameFilter&&) noexcept;
  NameFilter& operator=(NameFilter&&) noexcept;

  bool accepts(std::string_view name) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kse::model
