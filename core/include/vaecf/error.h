// SPDX-License-Identifier: MIT
// The one exception type of the core. Messages are written for the user and name the file and
// line, or the field, that is wrong. Callers at the boundary (CLI, UI worker) catch it.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace vaecf::core {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// "path:line: message" (line 0 is omitted: "path: message").
std::string locate(const std::string& path, std::int64_t line, const std::string& message);

[[noreturn]] void fail(const std::string& message);
[[noreturn]] void failAt(const std::string& path, std::int64_t line, const std::string& message);

}  // namespace vaecf::core
