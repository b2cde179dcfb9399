// SPDX-License-Identifier: MIT
#include "vaecf/error.h"

namespace vaecf::core {

std::string locate(const std::string& path, std::int64_t line, const std::string& message) {
    if (line > 0) return path + ":" + std::to_string(line) + ": " + message;
    return path + ": " + message;
}

void fail(const std::string& message) { throw Error(message); }

void failAt(const std::string& path, std::int64_t line, const std::string& message) {
    throw Error(locate(path, line, message));
}

}  // namespace vaecf::core
