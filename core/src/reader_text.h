// SPDX-License-Identifier: MIT
// Private to the readers: small text helpers (lines, fields, numbers, encodings).
#pragma once

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <fast_float/fast_float.h>

namespace vaecf::core::detail {

inline bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

inline std::string_view trim(std::string_view s) {
    while (!s.empty() && isBlank(s.front())) s.remove_prefix(1);
    while (!s.empty() && isBlank(s.back())) s.remove_suffix(1);
    return s;
}

inline std::string_view stripCr(std::string_view s) {
    if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
    return s;
}

// Iterates the lines of a buffer ("\n" or "\r\n"); the line number of the last line
// returned is line(). A UTF-8 byte-order mark at the start is skipped.
class LineCursor {
public:
    explicit LineCursor(std::string_view data) : m_data(data) {
        if (m_data.size() >= 3 && std::memcmp(m_data.data(), "\xEF\xBB\xBF", 3) == 0)
            m_pos = 3;
    }
    bool next(std::string_view& line) {
        if (m_pos >= m_data.size()) return false;
        const char* begin = m_data.data() + m_pos;
        const void* nl = std::memchr(begin, '\n', m_data.size() - m_pos);
        const std::size_t len = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - begin)
                                   : m_data.size() - m_pos;
        line = stripCr(std::string_view(begin, len));
        m_pos += len + 1;
        ++m_line;
        return true;
    }
    std::int64_t line() const { return m_line; }
    std::size_t position() const { return m_pos; }

private:
    std::string_view m_data;
    std::size_t m_pos = 0;
    std::int64_t m_line = 0;
};

// How fields are separated.
struct Delim {
    enum class Kind { Char, DoubleColon, Whitespace };
    Kind kind = Kind::Char;
    char c = ',';
    static Delim ch(char c) {
        return c == ' ' ? Delim{Kind::Whitespace, ' '} : Delim{Kind::Char, c};
    }
    static Delim doubleColon() { return {Kind::DoubleColon, ':'}; }
    // For messages: "','", "tab", "'::'", "spaces".
    std::string describe() const {
        switch (kind) {
        case Kind::DoubleColon: return "'::'";
        case Kind::Whitespace: return "spaces";
        case Kind::Char: break;
        }
        if (c == '\t') return "tab";
        const auto u = static_cast<unsigned char>(c);
        // A control byte or half of a UTF-8 character would garble the message (and make it
        // invalid UTF-8 in the GUI's log): name it by its value instead.
        if (u < 0x20 || u >= 0x7f) {
            static const char hex[] = "0123456789ABCDEF";
            return std::string("the byte 0x") + hex[u >> 4] + hex[u & 15];
        }
        return std::string("'") + c + "'";
    }
};

// Splits `line` into fields; stores at most maxOut of them in out and returns how many there
// are. Quotes are not special here (see splitCsv).
inline int splitFields(std::string_view line, const Delim& d, std::string_view* out, int maxOut) {
    int n = 0;
    auto put = [&](std::string_view f) {
        if (n < maxOut) out[n] = f;
        if (n < INT_MAX) ++n;  // saturates: a multi-gigabyte line of delimiters cannot overflow
    };
    const char* p = line.data();
    const char* end = p + line.size();
    switch (d.kind) {
    case Delim::Kind::Char:
        for (;;) {
            const void* hit = std::memchr(p, d.c, static_cast<std::size_t>(end - p));
            if (!hit) {
                put(std::string_view(p, static_cast<std::size_t>(end - p)));
                return n;
            }
            const char* h = static_cast<const char*>(hit);
            put(std::string_view(p, static_cast<std::size_t>(h - p)));
            p = h + 1;
        }
    case Delim::Kind::DoubleColon:
        for (;;) {
            const char* h = p;
            while (h + 1 < end && !(h[0] == ':' && h[1] == ':')) ++h;
            if (h + 1 >= end) {
                put(std::string_view(p, static_cast<std::size_t>(end - p)));
                return n;
            }
            put(std::string_view(p, static_cast<std::size_t>(h - p)));
            p = h + 2;
        }
    case Delim::Kind::Whitespace:
        while (p < end) {
            while (p < end && isBlank(*p)) ++p;
            if (p == end) break;
            const char* s = p;
            while (p < end && !isBlank(*p)) ++p;
            put(std::string_view(s, static_cast<std::size_t>(p - s)));
        }
        return n;
    }
    return n;
}

// One RFC 4180 record starting at data[pos] (quoted fields may hold the delimiter, doubled
// quotes and newlines). Advances pos past the record's line end and counts the lines it spans.
// *unterminated (optional) tells whether the data ended inside a quoted field.
inline void splitCsv(std::string_view data, std::size_t& pos, char delim,
                     std::vector<std::string>& fields, std::int64_t& lines,
                     bool* unterminated = nullptr) {
    fields.clear();
    std::string field;
    bool quoted = false;
    bool wasQuoted = false;
    ++lines;
    while (pos < data.size()) {
        const char ch = data[pos++];
        if (quoted) {
            if (ch == '"') {
                if (pos < data.size() && data[pos] == '"') {
                    field += '"';
                    ++pos;
                } else {
                    quoted = false;
                }
            } else {
                if (ch == '\n') ++lines;
                field += ch;
            }
            continue;
        }
        if (ch == '"' && !wasQuoted && trim(field).empty()) {
            field.clear();
            quoted = wasQuoted = true;
        } else if (ch == delim) {
            fields.push_back(std::move(field));
            field.clear();
            wasQuoted = false;
        } else if (ch == '\n') {
            break;
        } else if (ch != '\r' || (pos < data.size() && data[pos] != '\n')) {
            field += ch;
        }
    }
    if (unterminated) *unterminated = quoted;
    fields.push_back(std::move(field));
}

// A whole unsigned decimal written the canonical way ("0" or no leading zero), up to 18
// digits, so that the number turns back into the same text.
inline bool parseCanonicalId(std::string_view s, std::uint64_t& out) {
    if (s.empty() || s.size() > 18) return false;
    if (s[0] == '0' && s.size() > 1) return false;
    std::uint64_t v = 0;
    for (char c : s) {
        const unsigned d = static_cast<unsigned char>(c) - '0';
        if (d > 9) return false;
        v = v * 10 + d;
    }
    out = v;
    return true;
}

inline bool parseFloat(std::string_view s, float& out) {
    if (s.empty()) return false;
    const char* b = s.data();
    const char* e = b + s.size();
    if (*b == '+') ++b;  // from_chars refuses a leading '+'
    const auto r = fast_float::from_chars(b, e, out);
    return r.ec == std::errc() && r.ptr == e && std::isfinite(out);
}

inline bool isNumber(std::string_view s) {
    float f;
    return parseFloat(trim(s), f);
}

// True when `s` (trimmed) is written as a number, finite or not ("nan", "-inf", "1e39"). Used to
// tell a header from data: a first row of such values is data, and is then refused as such with
// its line, rather than skipped as a header without a word.
inline bool looksNumeric(std::string_view s) {
    s = trim(s);
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    if (s.empty()) return false;
    double v;
    const auto r = fast_float::from_chars(s.data(), s.data() + s.size(), v);
    return r.ptr == s.data() + s.size() &&
           (r.ec == std::errc() || r.ec == std::errc::result_out_of_range);
}

inline bool parseInt(std::string_view s, std::int64_t& out) {
    s = trim(s);
    if (s.empty()) return false;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// True when `s` is valid UTF-8 (no overlongs, no surrogates).
inline bool isValidUtf8(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        const unsigned c = *p;
        if (c < 0x80) {
            ++p;
            continue;
        }
        int n;
        unsigned min;
        unsigned cp;
        if ((c & 0xE0) == 0xC0) { n = 1; min = 0x80; cp = c & 0x1F; }
        else if ((c & 0xF0) == 0xE0) { n = 2; min = 0x800; cp = c & 0x0F; }
        else if ((c & 0xF8) == 0xF0) { n = 3; min = 0x10000; cp = c & 0x07; }
        else return false;
        if (end - p <= n) return false;
        for (int k = 1; k <= n; ++k) {
            if ((p[k] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (p[k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        p += n + 1;
    }
    return true;
}

inline std::string latin1ToUtf8(std::string_view s) {
    std::string out;
    out.reserve(s.size() + s.size() / 8);
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x80) {
            out += ch;
        } else {
            out += static_cast<char>(0xC0 | (c >> 6));
            out += static_cast<char>(0x80 | (c & 0x3F));
        }
    }
    return out;
}

// The text as UTF-8: kept when it already is valid UTF-8, otherwise read as Latin-1.
inline std::string toUtf8(std::string_view s) {
    return isValidUtf8(s) ? std::string(s) : latin1ToUtf8(s);
}

// Year from a title ending in "(1995)" (trailing blanks ignored); 0 when none.
inline std::int32_t yearFromTitle(std::string_view title) {
    title = trim(title);
    if (title.size() < 6 || title.back() != ')') return 0;
    const std::string_view y = title.substr(title.size() - 5, 4);
    if (title[title.size() - 6] != '(') return 0;
    std::int32_t year = 0;
    for (char c : y) {
        if (c < '0' || c > '9') return 0;
        year = year * 10 + (c - '0');
    }
    return year;
}

// Printable excerpt of a field for messages: at most 40 characters, always valid UTF-8 (bytes
// that are not UTF-8 are read as Latin-1), control characters shown as '?'.
inline std::string excerpt(std::string_view s) {
    std::size_t cut = std::min<std::size_t>(s.size(), 160);
    // Do not cut inside a UTF-8 sequence.
    for (int k = 0; k < 3 && cut < s.size() && cut > 0 &&
                    (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80;
         ++k)
        --cut;
    const std::string text = toUtf8(s.substr(0, cut));
    std::string out;
    std::size_t chars = 0, k = 0;
    for (; k < text.size() && chars < 40; ++chars) {
        const auto u = static_cast<unsigned char>(text[k]);
        const std::size_t len = u < 0x80 ? 1 : u >= 0xF0 ? 4 : u >= 0xE0 ? 3 : 2;
        if (u < 0x20 || u == 0x7F) out += '?';
        else out.append(text, k, len);
        k += len;
    }
    if (k < text.size() || cut < s.size()) out += "...";
    return out;
}

// A UTF-16 byte-order mark at the start: such files are refused with a clear message.
inline bool startsWithUtf16Bom(std::string_view data) {
    return data.size() >= 2 && ((static_cast<unsigned char>(data[0]) == 0xFF &&
                                 static_cast<unsigned char>(data[1]) == 0xFE) ||
                                (static_cast<unsigned char>(data[0]) == 0xFE &&
                                 static_cast<unsigned char>(data[1]) == 0xFF));
}

inline std::string_view skipUtf8Bom(std::string_view data) {
    if (data.size() >= 3 && std::memcmp(data.data(), "\xEF\xBB\xBF", 3) == 0) data.remove_prefix(3);
    return data;
}

// "64 MiB", "1.5 MiB", "512 KiB", "100 bytes": sizes of limits in messages.
inline std::string binarySize(std::uint64_t bytes) {
    char buf[32];
    if (bytes >= (std::uint64_t(1) << 20)) {
        const double mib = static_cast<double>(bytes) / double(1 << 20);
        std::snprintf(buf, sizeof buf, mib == std::floor(mib) ? "%.0f MiB" : "%.1f MiB", mib);
    } else if (bytes >= 1024 && bytes % 1024 == 0) {
        std::snprintf(buf, sizeof buf, "%llu KiB", static_cast<unsigned long long>(bytes / 1024));
    } else {
        std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
    }
    return buf;
}

}  // namespace vaecf::core::detail
