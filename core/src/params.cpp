// SPDX-License-Identifier: MIT
#include "vaecf/params.h"

#include <charconv>
#include <cmath>
#include <sstream>

#include "vaecf/error.h"

namespace vaecf::core {

namespace {

std::string describe(const ParamSpec& s) {
    return s.symbol.empty() ? "'" + s.name + "'" : "'" + s.name + "' (" + s.symbol + ")";
}

std::string num(double v) {
    std::ostringstream o;
    o << v;
    return o.str();
}

void checkRange(const ParamSpec& s, double v, const std::string& owner) {
    if (!std::isfinite(v) || v < s.min || v > s.max)
        fail(owner + ": hyperparameter " + describe(s) + " must be in [" + num(s.min) + ", " +
             num(s.max) + "], got " + num(v));
}

nlohmann::json checked(const ParamSpec& s, const nlohmann::json& v, const std::string& owner) {
    const std::string where = owner + ": hyperparameter " + describe(s);
    switch (s.kind) {
        case ParamKind::Int: {
            if (!v.is_number()) fail(where + " must be an integer, got " + v.dump());
            const double d = v.get<double>();
            if (d != std::floor(d)) fail(where + " must be an integer, got " + v.dump());
            checkRange(s, d, owner);
            return static_cast<std::int64_t>(d);
        }
        case ParamKind::Real: {
            if (!v.is_number()) fail(where + " must be a number, got " + v.dump());
            checkRange(s, v.get<double>(), owner);
            return v.get<double>();
        }
        case ParamKind::Bool:
            if (!v.is_boolean()) fail(where + " must be true or false, got " + v.dump());
            return v;
        case ParamKind::Choice: {
            if (v.is_string())
                for (const auto& c : s.choices)
                    if (c == v.get<std::string>()) return v;
            std::string list;
            for (const auto& c : s.choices) list += (list.empty() ? "" : ", ") + c;
            fail(where + " must be one of " + list + ", got " + v.dump());
        }
        case ParamKind::IntList: {
            if (!v.is_array()) fail(where + " must be a list of integers, got " + v.dump());
            if (static_cast<int>(v.size()) > s.maxListLength)
                fail(where + " has " + std::to_string(v.size()) + " entries, at most " +
                     std::to_string(s.maxListLength) + " are allowed");
            nlohmann::json out = nlohmann::json::array();
            for (const auto& e : v) {
                if (!e.is_number() || e.get<double>() != std::floor(e.get<double>()))
                    fail(where + " must be a list of integers, got " + v.dump());
                checkRange(s, e.get<double>(), owner);
                out.push_back(e.get<std::int64_t>());
            }
            return out;
        }
    }
    return v;
}

}  // namespace

Config defaultConfig(const ParamSpecs& specs) {
    Config c = Config::object();
    for (const auto& s : specs) c[s.name] = s.defaultValue;
    return c;
}

const ParamSpec* findSpec(const ParamSpecs& specs, const std::string& name) {
    for (const auto& s : specs)
        if (s.name == name) return &s;
    return nullptr;
}

Config validateConfig(const ParamSpecs& specs, const Config& given, const std::string& owner) {
    if (!given.is_null() && !given.is_object())
        fail(owner + ": hyperparameters must be given as an object of name: value pairs");
    Config out = defaultConfig(specs);
    if (given.is_object())
        for (const auto& [name, value] : given.items()) {
            const ParamSpec* s = findSpec(specs, name);
            if (!s) {
                std::string known;
                for (const auto& sp : specs) known += (known.empty() ? "" : ", ") + sp.name;
                fail(owner + ": unknown hyperparameter '" + name + "' (known: " +
                     (known.empty() ? "none" : known) + ")");
            }
            out[name] = checked(*s, value, owner);
        }
    return out;
}

nlohmann::json parseParamValue(const ParamSpec& s, const std::string& text) {
    const std::string where = "hyperparameter " + describe(s);
    auto parseNumber = [&](const std::string& t) -> double {
        double v = 0;
        const char* b = t.data();
        const char* e = t.data() + t.size();
        while (b < e && *b == ' ') ++b;
        while (e > b && e[-1] == ' ') --e;
        auto [p, ec] = std::from_chars(b, e, v);
        if (ec != std::errc() || p != e || b == e)
            fail(where + ": '" + text + "' is not a number");
        return v;
    };
    switch (s.kind) {
        case ParamKind::Int: {
            const double v = parseNumber(text);
            if (v != std::floor(v)) fail(where + ": '" + text + "' is not an integer");
            return static_cast<std::int64_t>(v);
        }
        case ParamKind::Real: return parseNumber(text);
        case ParamKind::Bool:
            if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
            if (text == "false" || text == "0" || text == "no" || text == "off") return false;
            fail(where + ": '" + text + "' is not true or false");
        case ParamKind::Choice: return text;
        case ParamKind::IntList: {
            std::string t = text;
            if (!t.empty() && t.front() == '[') t.erase(0, 1);
            if (!t.empty() && t.back() == ']') t.pop_back();
            nlohmann::json out = nlohmann::json::array();
            std::size_t start = 0;
            if (t.find_first_not_of(' ') == std::string::npos) return out;
            while (start <= t.size()) {
                const std::size_t comma = t.find(',', start);
                const std::string part =
                    t.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
                const double v = parseNumber(part);
                if (v != std::floor(v)) fail(where + ": '" + part + "' is not an integer");
                out.push_back(static_cast<std::int64_t>(v));
                if (comma == std::string::npos) break;
                start = comma + 1;
            }
            return out;
        }
    }
    return text;
}

std::string formatParamValue(const nlohmann::json& value) {
    if (value.is_array()) {
        std::string s;
        for (const auto& e : value) s += (s.empty() ? "" : ",") + formatParamValue(e);
        return s;
    }
    if (value.is_string()) return value.get<std::string>();
    if (value.is_number_float()) return num(value.get<double>());
    return value.dump();
}

}  // namespace vaecf::core
