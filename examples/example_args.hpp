#pragma once
// A tiny `--name value` parser shared by the example programs (not part of the library).

#include <gancraft/error.hpp>

#include <cstdlib>
#include <map>
#include <set>
#include <string>

namespace examples {

/// Parses `--key value` pairs and bare `--flag`s; unknown names are an error that lists the
/// known ones.
class Args {
 public:
  Args(int argc, char** argv, std::map<std::string, std::string> defaults,
       std::set<std::string> flags = {})
      : values_(std::move(defaults)), flags_(std::move(flags)) {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (a == "--help" || a == "-h") {
        help_ = true;
        continue;
      }
      if (a.rfind("--", 0) != 0) throw gancraft::OptionError("unexpected argument '" + a + "'");
      std::string key = a.substr(2);
      if (flags_.count(key)) {
        set_.insert(key);
        continue;
      }
      if (!values_.count(key)) throw gancraft::OptionError("unknown option --" + key + "; known: " + known());
      if (i + 1 >= argc) throw gancraft::OptionError("--" + key + " needs a value");
      values_[key] = argv[++i];
    }
  }
  bool help() const { return help_; }
  bool flag(const std::string& k) const { return set_.count(k) > 0; }
  std::string str(const std::string& k) const { return values_.at(k); }
  long long integer(const std::string& k) const {
    const std::string& v = values_.at(k);
    char* end = nullptr;
    long long x = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0') throw gancraft::OptionError("--" + k + " needs an integer, got '" + v + "'");
    return x;
  }
  std::string known() const {
    std::string s;
    for (auto& [k, v] : values_) s += " --" + k + " (" + (v.empty() ? "unset" : v) + ")";
    for (auto& f : flags_) s += " --" + f;
    return s;
  }

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_, set_;
  bool help_ = false;
};

}  // namespace examples
