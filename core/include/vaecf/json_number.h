// SPDX-License-Identifier: MIT
// Whole numbers read from JSON files without undefined behaviour. nlohmann's get<int>() turns
// a JSON float into an integer with a plain cast, which is undefined when the value does not
// fit ("epochs": 1e300); these helpers check the range first and refuse with a message.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

#include "vaecf/error.h"

namespace vaecf::core {

// The value of `v` as a T when it is a whole number (a JSON integer, or a float with a whole
// value) that T holds; false otherwise.
template <class T>
bool jsonWholeNumber(const nlohmann::json& v, T& out) {
    static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>);
    constexpr T lo = std::numeric_limits<T>::min();
    constexpr T hi = std::numeric_limits<T>::max();
    if (v.is_number_unsigned()) {
        const auto u = v.get<std::uint64_t>();
        if (!std::cmp_less_equal(u, hi)) return false;
        out = static_cast<T>(u);
        return true;
    }
    if (v.is_number_integer()) {
        const auto s = v.get<std::int64_t>();
        if (!std::in_range<T>(s)) return false;
        out = static_cast<T>(s);
        return true;
    }
    if (v.is_number_float()) {
        const double d = v.get<double>();
        // hi + 1.0 is a power of two, exact as a double, so the bound is exact too.
        if (!(d == std::floor(d) && d >= static_cast<double>(lo) &&
              d < static_cast<double>(hi) + 1.0))
            return false;
        out = static_cast<T>(d);
        return true;
    }
    return false;
}

// The same, or Error "<field> must be a whole number from <min> to <max>, got <value>";
// callers put the file in front.
template <class T>
T jsonInteger(const nlohmann::json& v, const std::string& field) {
    T out{};
    if (!jsonWholeNumber(v, out)) {
        std::string shown = v.dump();
        if (shown.size() > 40) shown = shown.substr(0, 40) + "...";
        fail(field + " must be a whole number from " +
             std::to_string(std::numeric_limits<T>::min()) + " to " +
             std::to_string(std::numeric_limits<T>::max()) + ", got " + shown);
    }
    return out;
}

}  // namespace vaecf::core
