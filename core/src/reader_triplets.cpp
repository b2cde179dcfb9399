// SPDX-License-Identifier: MIT
#include "reader_triplets.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <deque>
#include <limits>
#include <mutex>
#include <unordered_set>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "vaecf/error.h"

namespace vaecf::core::detail {

namespace {

constexpr std::uint32_t kInherit = std::numeric_limits<std::uint32_t>::max();

inline std::uint64_t hashBytes(const char* p, std::size_t n) {
    std::uint64_t h = 0x243F6A8885A308D3ull ^ (n * 0x9E3779B97F4A7C15ull);
    while (n >= 8) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
        p += 8;
        n -= 8;
    }
    std::uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (h ^ w) * 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 29;
    return h;
}

// Ids in order of first appearance, as integers or as text, with an open-addressing table.
class IdTable {
public:
    explicit IdTable(bool text = false) : m_text(text) { rehash(1u << 10); }
    bool text() const { return m_text; }
    std::size_t size() const { return m_text ? m_str.size() : m_num.size(); }
    const std::vector<std::uint64_t>& numbers() const { return m_num; }
    const std::vector<std::string_view>& texts() const { return m_str; }

    std::uint32_t add(std::uint64_t key) {
        if (m_haveLast && key == m_lastKey) return m_lastId;
        // Small integer ids (the common case) index an array directly.
        if (key < m_direct.size() || growDirect(key)) {
            std::uint32_t& slot = m_direct[key];
            if (slot == 0) {
                m_num.push_back(key);
                slot = static_cast<std::uint32_t>(m_num.size());
            }
            return remember(key, slot - 1);
        }
        std::size_t s = slotOf(key);
        for (;;) {
            Slot& slot = m_slots[s];
            if (slot.id == 0) {
                const auto id = static_cast<std::uint32_t>(m_num.size());
                m_num.push_back(key);
                slot = {key, id + 1};
                if (++m_used * 2 > m_slots.size()) rehash(m_slots.size() * 2);
                return remember(key, id);
            }
            if (slot.key == key) return remember(key, slot.id - 1);
            s = (s + 1) & m_mask;
        }
    }

    std::uint32_t add(std::string_view key) {
        const std::uint64_t h = hashBytes(key.data(), key.size());
        if (m_haveLast && h == m_lastKey && m_str[m_lastId] == key) return m_lastId;
        std::size_t s = slotOf(h);
        for (;;) {
            Slot& slot = m_slots[s];
            if (slot.id == 0) {
                const auto id = static_cast<std::uint32_t>(m_str.size());
                m_str.push_back(key);
                slot = {h, id + 1};
                if (++m_used * 2 > m_slots.size()) rehash(m_slots.size() * 2);
                return remember(h, id);
            }
            if (slot.key == h && m_str[slot.id - 1] == key) return remember(h, slot.id - 1);
            s = (s + 1) & m_mask;
        }
    }

private:
    struct Slot {
        std::uint64_t key = 0;
        std::uint32_t id = 0;  // index + 1; 0: empty
    };
    // Makes the direct array cover `key` when it stays dense enough; false otherwise.
    bool growDirect(std::uint64_t key) {
        constexpr std::uint64_t kMax = std::uint64_t(1) << 22;
        if (key >= kMax || key >= 16 * (m_num.size() + 4096)) return false;
        const std::size_t size = static_cast<std::size_t>(
            std::min<std::uint64_t>(kMax, std::max<std::uint64_t>(key + 1, 2 * m_direct.size())));
        m_direct.resize(size, 0);
        // Ids already in the hash table that the array now covers move over.
        for (std::size_t k = 0; k < m_num.size(); ++k)
            if (m_num[k] < size && m_direct[m_num[k]] == 0)
                m_direct[m_num[k]] = static_cast<std::uint32_t>(k + 1);
        return true;
    }

    std::size_t slotOf(std::uint64_t key) const {
        return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> m_shift);
    }
    std::uint32_t remember(std::uint64_t key, std::uint32_t id) {
        m_haveLast = true;
        m_lastKey = key;
        m_lastId = id;
        return id;
    }
    void rehash(std::size_t n) {
        std::vector<Slot> old = std::move(m_slots);
        m_slots.assign(n, Slot{});
        m_mask = n - 1;
        int bits = 0;
        while ((std::size_t(1) << bits) < n) ++bits;
        m_shift = 64 - bits;
        for (const Slot& o : old) {
            if (o.id == 0) continue;
            std::size_t s = slotOf(o.key);
            while (m_slots[s].id != 0) s = (s + 1) & m_mask;
            m_slots[s] = o;
        }
    }

    bool m_text;
    std::vector<std::uint64_t> m_num;
    std::vector<std::string_view> m_str;
    std::vector<std::uint32_t> m_direct;  // integer id -> index + 1 (0: absent)
    std::vector<Slot> m_slots;
    std::size_t m_mask = 0;
    int m_shift = 64;
    std::size_t m_used = 0;
    bool m_haveLast = false;
    std::uint64_t m_lastKey = 0;
    std::uint32_t m_lastId = 0;
};

struct Chunk {
    std::size_t segment = 0;
    const char* begin = nullptr;
    const char* end = nullptr;
    bool segmentStart = false;
    bool overlong = false;  // the chunk ends inside a line longer than the limit

    std::vector<std::uint32_t> u, i;
    std::vector<float> v;
    IdTable users, items;
    std::deque<std::string> owned;  // ids unquoted from "..." fields
    std::int64_t lines = 0;
    std::int64_t lastNonBlank = 0;  // LinesCount: local line (1-based) of the last non-blank
    std::int64_t errorLine = 0;     // local, 1-based; 0: none
    std::string error;
    // Skipping bad lines: how many, and (local line, message) of the first few.
    std::int64_t skipped = 0;
    std::vector<std::pair<std::int64_t, std::string>> skips;
    bool userNotNumber = false, itemNotNumber = false;
    // Netflix
    bool hasMovie = false;
    std::uint32_t lastMovie = 0;     // local id of the last "MovieID:" of the chunk
    std::int64_t inheritCount = 0;   // rating lines before the chunk's first MovieID line
    std::vector<std::int64_t> inheritLines;  // local lines of the first kExamples of them
};

constexpr std::size_t kExamples = static_cast<std::size_t>(ReadReport::kExamples);

class ChunkParser {
public:
    ChunkParser(Chunk& chunk, const LineFormat& f, bool textUsers, bool textItems,
                const ParseLimits& limits)
        : m_c(chunk), m_f(f), m_textUsers(textUsers), m_textItems(textItems),
          m_skip(limits.skipBadLines), m_maxLine(limits.maxLineBytes) {
        // The common layout "user<d>item[<d>value]<d>..." with integer ids gets a fused
        // scanner; anything it does not expect goes to the general code.
        m_fast = f.kind == LineFormat::Kind::Fields && f.delim.kind == Delim::Kind::Char &&
                 !textUsers && !textItems && f.userCol == 0 && f.itemCol == 1 &&
                 (f.valueCol == 2 || (f.valueCol == -1 && f.fieldCount >= 2)) &&
                 f.delim.c != '.' && f.delim.c != '-' && !(f.delim.c >= '0' && f.delim.c <= '9');
        if (m_fast) initDecimals();
    }

    void run() {
        const char* p = m_c.begin;
        const char* end = m_c.end;
        if (m_c.segmentStart && end - p >= 3 && std::memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;
        const std::size_t expect = static_cast<std::size_t>(end - p) / 24 + 16;
        if (m_f.kind == LineFormat::Kind::Fields || m_f.kind == LineFormat::Kind::Netflix) {
            m_c.u.reserve(expect);
            m_c.i.reserve(expect);
            if (m_f.valueCol >= 0 || m_f.kind == LineFormat::Kind::Netflix) m_c.v.reserve(expect);
        }
        std::int64_t line = 0;
        while (p < end) {
            const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
            const char* le = nl ? nl : end;
            ++line;
            std::string_view text(p, static_cast<std::size_t>(le - p));
            p = nl ? nl + 1 : end;
            if (text.size() > m_maxLine || (!nl && m_c.overlong)) {
                // Never split or copied: a header of a billion columns costs nothing here.
                if (m_f.kind == LineFormat::Kind::LinesCount) m_c.lastNonBlank = line;  // a user
                if (!error(line, "the line is longer than " + binarySize(m_maxLine) +
                                     "; expected one record per line")) {
                    m_c.lines = line;
                    return;
                }
                continue;
            }
            if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
            bool ok = true;
            if (m_fast) {
                std::uint64_t user, item;
                float value = 1.0f;
                if (fastLine(text, user, item, value)) {
                    m_c.u.push_back(m_c.users.add(user));
                    m_c.i.push_back(m_c.items.add(item));
                    if (m_f.valueCol >= 0) m_c.v.push_back(value);
                    continue;
                }
            }
            switch (m_f.kind) {
            case LineFormat::Kind::Fields: ok = fieldsLine(text, line); break;
            case LineFormat::Kind::Netflix: ok = netflixLine(text, line); break;
            case LineFormat::Kind::Lines: ok = linesLine(text, line, false); break;
            case LineFormat::Kind::LinesCount: ok = linesLine(text, line, true); break;
            }
            if (!ok) {
                m_c.lines = line;
                return;
            }
        }
        m_c.lines = line;
    }

private:
    // Values "d" and "d.d" looked up exactly as from_chars reads them.
    static const float* decimals() {
        static const auto table = [] {
            std::array<float, 110> t{};
            for (int a = 0; a < 10; ++a) {
                for (int b = 0; b < 10; ++b) {
                    const std::string text = std::to_string(a) + "." + std::to_string(b);
                    fast_float::from_chars(text.data(), text.data() + text.size(), t[a * 10 + b]);
                }
                t[100 + a] = static_cast<float>(a);
            }
            return t;
        }();
        return table.data();
    }
    void initDecimals() { m_decimals = decimals(); }

    static bool scanId(const char*& p, const char* end, std::uint64_t& out) {
        const char* s = p;
        std::uint64_t v = 0;
        while (p < end) {
            const unsigned d = static_cast<unsigned char>(*p) - '0';
            if (d > 9) break;
            v = v * 10 + d;
            ++p;
        }
        const auto len = p - s;
        if (len == 0 || len > 18 || (*s == '0' && len > 1)) return false;
        out = v;
        return true;
    }

    // The fused scanner; false sends the line to fieldsLine().
    bool fastLine(std::string_view text, std::uint64_t& user, std::uint64_t& item, float& value) {
        const char d = m_f.delim.c;
        const char* p = text.data();
        const char* end = p + text.size();
        if (!scanId(p, end, user) || p == end || *p != d) return false;
        ++p;
        if (!scanId(p, end, item) || (p != end && *p != d)) return false;
        int fields = 2;
        if (m_f.valueCol == 2) {
            if (p == end || *p != d) return false;
            ++p;
            const char* s = p;
            while (p < end && *p != d) ++p;
            const auto len = p - s;
            // An empty value may end the data: s[0] would read past it.
            const unsigned a =
                len > 0 ? static_cast<unsigned>(static_cast<unsigned char>(s[0]) - '0') : 10u;
            if (len == 3 && a <= 9 && s[1] == '.' &&
                static_cast<unsigned>(static_cast<unsigned char>(s[2]) - '0') <= 9) {
                value = m_decimals[a * 10 + (s[2] - '0')];
            } else if (len == 1 && a <= 9) {
                value = m_decimals[100 + a];
            } else {
                const auto r = fast_float::from_chars(s, p, value);
                if (r.ec != std::errc() || r.ptr != p || !std::isfinite(value)) return false;
            }
            fields = 3;
        }
        for (; p < end; ++p)
            if (*p == d) ++fields;
        return fields == m_f.fieldCount;
    }

    // A malformed line: fails the chunk, or, skipping bad lines, counts it and goes on (true).
    // Callers report before storing anything of the line, so a skipped line leaves nothing.
    bool error(std::int64_t line, std::string msg) {
        if (m_skip) {
            ++m_c.skipped;
            if (m_c.skips.size() < kExamples) m_c.skips.emplace_back(line, std::move(msg));
            return true;
        }
        m_c.errorLine = line;
        m_c.error = std::move(msg);
        return false;
    }

    // Interns a user or item id; false when the column must start over as text.
    bool internUser(std::string_view id, std::uint32_t& out) {
        if (m_textUsers) {
            out = m_c.users.add(id);
            return true;
        }
        std::uint64_t n;
        if (!parseCanonicalId(id, n)) {
            m_c.userNotNumber = true;
            return false;
        }
        out = m_c.users.add(n);
        return true;
    }
    bool internItem(std::string_view id, std::uint32_t& out) {
        if (m_textItems) {
            out = m_c.items.add(id);
            return true;
        }
        std::uint64_t n;
        if (!parseCanonicalId(id, n)) {
            m_c.itemNotNumber = true;
            return false;
        }
        out = m_c.items.add(n);
        return true;
    }

    std::string_view unquote(std::string_view f) {
        if (f.size() >= 2 && f.front() == '"' && f.back() == '"') {
            f = f.substr(1, f.size() - 2);
            if (f.find("\"\"") != std::string_view::npos) {
                std::string s;
                for (std::size_t k = 0; k < f.size(); ++k) {
                    s += f[k];
                    if (f[k] == '"' && k + 1 < f.size() && f[k + 1] == '"') ++k;
                }
                m_c.owned.push_back(std::move(s));
                return m_c.owned.back();
            }
        }
        return f;
    }

    bool fieldsLine(std::string_view text, std::int64_t line) {
        constexpr int kMax = 32;
        std::string_view fields[kMax];
        int n = splitFields(text, m_f.delim, fields, kMax);
        const bool charDelim = m_f.delim.kind == Delim::Kind::Char;
        bool quoted = false;
        if (n == m_f.fieldCount && charDelim) {
            const auto startsQuoted = [](std::string_view f) { return !f.empty() && f[0] == '"'; };
            quoted = startsQuoted(fields[m_f.userCol]) || startsQuoted(fields[m_f.itemCol]);
        }
        if (n != m_f.fieldCount || quoted) {
            if (trim(text).empty()) return true;  // blank line
            if (charDelim && text.find('"') != std::string_view::npos) {
                // Quoted fields (RFC 4180 within the line).
                std::vector<std::string> parts;
                std::size_t pos = 0;
                std::int64_t spanned = 0;
                splitCsv(text, pos, m_f.delim.c, parts, spanned);
                n = static_cast<int>(parts.size());
                if (n == m_f.fieldCount) {
                    for (int k = 0; k < n && k < kMax; ++k) {
                        m_c.owned.push_back(std::move(parts[k]));
                        fields[k] = m_c.owned.back();
                    }
                }
            }
            if (n != m_f.fieldCount)
                return error(line, "expected " + std::to_string(m_f.fieldCount) +
                                       " fields separated by " + m_f.delim.describe() +
                                       (m_f.fieldNames.empty() ? std::string()
                                                               : " (" + m_f.fieldNames + ")") +
                                       ", found " + std::to_string(n));
        }
        std::string_view user = fields[m_f.userCol];
        std::string_view item = fields[m_f.itemCol];
        if (m_f.delim.kind != Delim::Kind::Whitespace) {
            user = unquote(trim(user));
            item = unquote(trim(item));
        }
        if (user.empty()) return error(line, "user id is empty");
        if (item.empty()) return error(line, "item id is empty");
        float value = 1.0f;
        if (m_f.valueCol >= 0) {
            std::string_view raw = fields[m_f.valueCol];
            if (!parseFloat(raw, value)) {
                raw = unquote(trim(raw));
                if (!parseFloat(raw, value)) {
                    if (raw.empty()) return error(line, m_f.valueName + " is empty");
                    return error(line, m_f.valueName + " '" + excerpt(raw) + "' is not a number");
                }
            }
        }
        std::uint32_t uid, iid;
        if (!internUser(user, uid) || !internItem(item, iid)) return false;
        m_c.u.push_back(uid);
        m_c.i.push_back(iid);
        if (m_f.valueCol >= 0) m_c.v.push_back(value);
        return true;
    }

    bool netflixLine(std::string_view text, std::int64_t line) {
        const std::string_view trimmed = trim(text);
        if (trimmed.empty()) return true;
        if (trimmed.back() == ':') {
            std::string_view id = trimmed;
            id.remove_suffix(1);
            id = trim(id);
            if (id.empty()) return error(line, "movie id is empty");
            std::uint32_t iid;
            if (!internItem(id, iid)) return false;
            m_c.hasMovie = true;
            m_c.lastMovie = iid;
            return true;
        }
        std::string_view fields[4];
        const int n = splitFields(text, Delim::ch(','), fields, 4);
        if (n != 3) {
            if (trim(text).empty()) return true;
            return error(line, "expected 3 fields separated by ',' (CustomerID,Rating,Date) "
                               "or a 'MovieID:' line, found " + std::to_string(n) + " fields");
        }
        const std::string_view user = trim(fields[0]);
        if (user.empty()) return error(line, "customer id is empty");
        float value;
        if (!parseFloat(fields[1], value)) {
            const auto raw = trim(fields[1]);
            if (raw.empty()) return error(line, "rating is empty");
            return error(line, "rating '" + excerpt(raw) + "' is not a number");
        }
        std::uint32_t iid = kInherit;
        if (m_c.hasMovie) {
            iid = m_c.lastMovie;
        } else {
            if (m_c.segmentStart) return error(line, "rating line before any 'MovieID:' line");
            ++m_c.inheritCount;
            if (m_c.inheritLines.size() < kExamples) m_c.inheritLines.push_back(line);
        }
        std::uint32_t uid;
        if (!internUser(user, uid)) return false;
        m_c.u.push_back(uid);
        m_c.i.push_back(iid);
        m_c.v.push_back(value);
        return true;
    }

    bool linesLine(std::string_view text, std::int64_t line, bool counted) {
        const char* p = text.data();
        const char* end = p + text.size();
        auto token = [&](std::string_view& out) {
            while (p < end && isBlank(*p)) ++p;
            if (p == end) return false;
            const char* s = p;
            while (p < end && !isBlank(*p)) ++p;
            out = std::string_view(s, static_cast<std::size_t>(p - s));
            return true;
        };
        std::string_view first;
        if (!token(first)) return true;  // blank line
        std::uint32_t uid;
        std::int64_t declared = -1;
        if (counted) {
            m_c.lastNonBlank = line;
            uid = static_cast<std::uint32_t>(line - 1);
            if (!parseInt(first, declared) || declared < 0)
                return error(line, "expected the number of items first, found '" +
                                       excerpt(first) + "'");
            // Count before storing anything, so that a bad line leaves nothing behind; the
            // declared count never sizes anything.
            const char* items = p;
            std::int64_t count = 0;
            std::string_view item;
            while (token(item)) ++count;
            if (count != declared)
                return error(line, "the line starts with count " + std::to_string(declared) +
                                       " but lists " + std::to_string(count) + " items");
            p = items;
        } else if (!internUser(first, uid)) {
            return false;
        }
        std::string_view item;
        while (token(item)) {
            std::uint32_t iid;
            if (!internItem(item, iid)) return false;
            m_c.u.push_back(uid);
            m_c.i.push_back(iid);
        }
        return true;
    }

    Chunk& m_c;
    const LineFormat& m_f;
    bool m_textUsers, m_textItems;
    bool m_skip = false;
    std::size_t m_maxLine = SIZE_MAX;
    bool m_fast = false;
    const float* m_decimals = nullptr;
};

// The ids as text, valid UTF-8: an id that is not is read as Latin-1 (so ids stay usable in
// Qt and JSON). Fails in the unlikely case that this makes two ids the same text.
std::vector<std::string> idStrings(const IdTable& table, const std::string& display,
                                   const char* what) {
    std::vector<std::string> out;
    out.reserve(table.size());
    if (table.text()) {
        bool converted = false;
        for (auto s : table.texts()) {
            if (isValidUtf8(s)) {
                out.emplace_back(s);
            } else {
                out.push_back(latin1ToUtf8(s));
                converted = true;
            }
        }
        if (converted) {
            std::unordered_set<std::string_view> seen;
            seen.reserve(out.size());
            for (const auto& id : out)
                if (!seen.insert(id).second)
                    failAt(display, 0,
                           std::string(what) + " id '" + excerpt(id) +
                               "' is written both in UTF-8 and in Latin-1; save the file in one "
                               "encoding");
        }
    } else {
        for (auto n : table.numbers()) out.push_back(std::to_string(n));
    }
    return out;
}

// Rows of (row, col, value) given per chunk -> CSR with sorted columns, first duplicate kept.
CsrMatrix buildCsr(std::int64_t rows, std::int64_t cols, std::vector<Chunk>& chunks,
                   bool hasValues, InteractionOrder* order, std::int64_t& duplicates) {
    duplicates = 0;
    CsrMatrix m;
    m.rows = rows;
    m.cols = cols;
    m.indptr.assign(static_cast<std::size_t>(rows) + 1, 0);
    std::size_t total = 0;
    for (const Chunk& c : chunks) {
        for (std::uint32_t r : c.u) ++m.indptr[r + 1];
        total += c.u.size();
    }
    for (std::size_t r = 0; r < static_cast<std::size_t>(rows); ++r)
        m.indptr[r + 1] += m.indptr[r];
    m.indices.resize(total);
    m.values.resize(total);
    if (order) {
        order->users.reserve(total);
        order->items.reserve(total);
        for (const Chunk& c : chunks) {
            order->users.insert(order->users.end(), c.u.begin(), c.u.end());
            order->items.insert(order->items.end(), c.i.begin(), c.i.end());
        }
    }
    {
        std::vector<std::int64_t> next(m.indptr.begin(), m.indptr.end() - 1);
        for (Chunk& c : chunks) {
            const std::size_t n = c.u.size();
            for (std::size_t k = 0; k < n; ++k) {
                const std::int64_t pos = next[c.u[k]]++;
                m.indices[pos] = static_cast<std::int32_t>(c.i[k]);
                m.values[pos] = hasValues ? c.v[k] : 1.0f;
            }
            std::vector<std::uint32_t>().swap(c.u);
            std::vector<std::uint32_t>().swap(c.i);
            std::vector<float>().swap(c.v);
        }
    }
    // Sort each row by column (stable: the first of equal columns stays first), then drop
    // the later duplicates.
    std::vector<std::int64_t> kept(static_cast<std::size_t>(rows), 0);
    std::atomic<bool> anyDuplicate{false};
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, rows, 1024),
                      [&](const tbb::blocked_range<std::int64_t>& range) {
        std::vector<std::uint64_t> keys;
        std::vector<float> valCopy;
        for (std::int64_t r = range.begin(); r != range.end(); ++r) {
            const std::int64_t b = m.indptr[r], e = m.indptr[r + 1];
            std::int32_t* idx = m.indices.data() + b;
            float* val = m.values.data() + b;
            const std::int64_t n = e - b;
            bool sorted = true;
            for (std::int64_t k = 1; k < n; ++k)
                if (idx[k] <= idx[k - 1]) {
                    sorted = false;
                    break;
                }
            if (sorted) {
                kept[r] = n;
                continue;
            }
            // (column, position) keys are unique, so an unstable sort keeps equal columns in
            // input order.
            keys.resize(static_cast<std::size_t>(n));
            for (std::int64_t k = 0; k < n; ++k)
                keys[k] = (static_cast<std::uint64_t>(idx[k]) << 32) |
                          static_cast<std::uint64_t>(k);
            std::sort(keys.begin(), keys.end());
            valCopy.assign(val, val + n);
            std::int64_t out = 0;
            for (std::int64_t k = 0; k < n; ++k) {
                const auto col = static_cast<std::int32_t>(keys[k] >> 32);
                if (out > 0 && idx[out - 1] == col) continue;
                idx[out] = col;
                val[out] = valCopy[keys[k] & 0xFFFFFFFFu];
                ++out;
            }
            if (out != n) anyDuplicate = true;
            kept[r] = out;
        }
    });
    if (anyDuplicate) {
        std::int64_t write = 0;
        for (std::int64_t r = 0; r < rows; ++r) {
            const std::int64_t b = m.indptr[r];
            if (write != b) {
                std::copy_n(m.indices.begin() + b, kept[r], m.indices.begin() + write);
                std::copy_n(m.values.begin() + b, kept[r], m.values.begin() + write);
            }
            m.indptr[r] = write;
            write += kept[r];
        }
        m.indptr[rows] = write;
        duplicates = static_cast<std::int64_t>(total) - write;
        m.indices.resize(static_cast<std::size_t>(write));
        m.values.resize(static_cast<std::size_t>(write));
        m.indices.shrink_to_fit();
        m.values.shrink_to_fit();
    }
    return m;
}

}  // namespace

Triplets parseTriplets(const std::vector<Segment>& segments, const LineFormat& format,
                       const ProgressFn& progress, int threads, bool keepOrder,
                       const ParseLimits& limits) {
    tbb::task_arena arena(threads > 0 ? threads : tbb::task_arena::automatic);
    const int workers = std::max(1, arena.max_concurrency());

    // Cut every segment into chunks that end at a line end.
    std::uint64_t totalBytes = 0;
    for (const auto& s : segments) totalBytes += s.data.size();
    const std::size_t minChunk = std::max<std::size_t>(limits.minChunkBytes, 1);
    const std::size_t target = std::clamp<std::size_t>(
        static_cast<std::size_t>(totalBytes / (8 * static_cast<std::uint64_t>(workers)) + 1),
        minChunk, std::max(minChunk, std::size_t(8) << 20));
    struct Range {
        std::size_t segment;
        const char* begin;
        const char* end;
        bool start;
        bool overlong;
    };
    // A line end is looked for no further than the line limit: a chunk that would end inside
    // a longer line ends at the limit instead (the parser reports that line) and the rest of
    // the line is passed over unread.
    const std::size_t maxLine = std::max<std::size_t>(limits.maxLineBytes, 1);
    std::vector<Range> ranges;
    for (std::size_t s = 0; s < segments.size(); ++s) {
        const char* p = segments[s].data.data();
        const char* end = p + segments[s].data.size();
        bool start = true;
        while (p < end) {
            const char* cut = p + std::min<std::size_t>(target, static_cast<std::size_t>(end - p));
            bool overlong = false;
            const char* next = cut;
            if (cut < end) {
                const std::size_t window =
                    std::min<std::size_t>(maxLine + 1, static_cast<std::size_t>(end - cut));
                const void* nl = std::memchr(cut, '\n', window);
                if (nl) {
                    cut = next = static_cast<const char*>(nl) + 1;
                } else if (cut + window == end) {
                    cut = next = end;
                } else {
                    cut += window;
                    overlong = true;
                    const void* after = std::memchr(cut, '\n', static_cast<std::size_t>(end - cut));
                    next = after ? static_cast<const char*>(after) + 1 : end;
                }
            }
            ranges.push_back({s, p, cut, start, overlong});
            start = false;
            p = next;
        }
    }

    bool textUsers = format.textUsers || format.kind == LineFormat::Kind::LinesCount;
    bool textItems = format.textItems;
    std::vector<Chunk> chunks;
    std::atomic<bool> cancelled{false};
    for (int attempt = 0; attempt < 3; ++attempt) {
        chunks.clear();
        chunks.resize(ranges.size());
        for (std::size_t k = 0; k < ranges.size(); ++k) {
            chunks[k].segment = ranges[k].segment;
            chunks[k].begin = ranges[k].begin;
            chunks[k].end = ranges[k].end;
            chunks[k].segmentStart = ranges[k].start;
            chunks[k].overlong = ranges[k].overlong;
            chunks[k].users = IdTable(textUsers);
            chunks[k].items = IdTable(textItems);
        }
        std::atomic<std::uint64_t> done{0};
        std::mutex progressMutex;
        arena.execute([&] {
            tbb::parallel_for(tbb::blocked_range<std::size_t>(0, chunks.size(), 1),
                              [&](const tbb::blocked_range<std::size_t>& r) {
                for (std::size_t k = r.begin(); k != r.end(); ++k) {
                    if (cancelled.load(std::memory_order_relaxed)) return;
                    ChunkParser(chunks[k], format, textUsers, textItems, limits).run();
                    const auto bytes = static_cast<std::uint64_t>(chunks[k].end - chunks[k].begin);
                    const std::uint64_t now = done.fetch_add(bytes) + bytes;
                    if (progress) {
                        std::lock_guard lock(progressMutex);
                        if (!cancelled && !progress(now, totalBytes)) cancelled = true;
                    }
                }
            });
        });
        if (cancelled)
            failAt(segments.empty() ? std::string("input") : segments.front().display, 0,
                   "cancelled");
        bool redo = false;
        for (const Chunk& c : chunks) {
            if (c.userNotNumber && !textUsers) textUsers = redo = true;
            if (c.itemNotNumber && !textItems) textItems = redo = true;
        }
        if (!redo) break;
    }

    // The first error in file order; skipping bad lines, the skipped ones: (chunk, line within
    // its file, message) of the first few of each chunk, sorted and cut at the end.
    Triplets out;
    struct Skip {
        std::size_t chunk;
        std::int64_t line;
        std::string message;
        bool operator<(const Skip& o) const {
            return chunk != o.chunk ? chunk < o.chunk : line < o.line;
        }
    };
    std::vector<Skip> skips;
    {
        std::size_t seg = SIZE_MAX;
        std::int64_t base = 0;
        for (std::size_t k = 0; k < chunks.size(); ++k) {
            if (chunks[k].segment != seg) {
                seg = chunks[k].segment;
                base = segments[seg].firstLine - 1;
            }
            const Chunk& c = chunks[k];
            if (c.errorLine > 0)
                failAt(segments[seg].display, base + c.errorLine, c.error);
            out.skipped += c.skipped;
            for (const auto& [line, message] : c.skips)
                skips.push_back({k, base + line, locate(segments[seg].display, base + line, message)});
            base += c.lines;
        }
    }

    // Merge the chunks' ids in file order.
    IdTable users(textUsers), items(textItems);
    std::vector<std::vector<std::uint32_t>> userMap(chunks.size()), itemMap(chunks.size());
    std::vector<std::int64_t> lineOffset(chunks.size(), 0);
    std::int64_t usersByLine = 0;  // LinesCount
    {
        std::int64_t lineCount = 0;
        std::int64_t lastNonBlank = 0;
        std::size_t seg = SIZE_MAX;
        std::uint32_t movie = kInherit;  // Netflix: current movie, global id
        std::int64_t segLines = 0;       // lines of the segment before chunk k
        for (std::size_t k = 0; k < chunks.size(); ++k) {
            Chunk& c = chunks[k];
            if (c.segment != seg) {
                seg = c.segment;
                movie = kInherit;
                segLines = 0;
            }
            lineOffset[k] = lineCount;
            if (c.lastNonBlank > 0) lastNonBlank = lineCount + c.lastNonBlank;
            lineCount += c.lines;
            // Netflix, skipping bad lines: the chunk's rating lines before its first movie line
            // have no movie when no earlier chunk of the file had one; they go, and their users
            // are not numbered unless other lines name them.
            bool dropped = false;
            if (format.kind == LineFormat::Kind::Netflix && !c.inheritLines.empty() &&
                movie == kInherit && limits.skipBadLines) {
                std::size_t w = 0;
                for (std::size_t j = 0; j < c.i.size(); ++j) {
                    if (c.i[j] == kInherit) continue;
                    c.u[w] = c.u[j];
                    c.i[w] = c.i[j];
                    c.v[w] = c.v[j];
                    ++w;
                }
                c.u.resize(w);
                c.i.resize(w);
                c.v.resize(w);
                out.skipped += c.inheritCount;
                // Each of the first few is an example (they may come before the chunk's
                // other skipped lines, and a later chunk's).
                for (const std::int64_t local : c.inheritLines) {
                    const std::int64_t line = segments[seg].firstLine - 1 + segLines + local;
                    skips.push_back({k, line,
                                     locate(segments[seg].display, line,
                                            "rating line before any 'MovieID:' line")});
                }
                c.inheritLines.clear();
                dropped = true;
            }
            if (format.kind != LineFormat::Kind::LinesCount) {
                auto& um = userMap[k];
                um.resize(c.users.size());
                std::vector<char> used;
                if (dropped) {
                    used.assign(c.users.size(), 0);
                    for (std::uint32_t x : c.u) used[x] = 1;
                }
                for (std::size_t j = 0; j < um.size(); ++j) {
                    if (dropped && !used[j]) {
                        um[j] = kInherit;  // never looked up
                        continue;
                    }
                    um[j] = textUsers ? users.add(c.users.texts()[j])
                                      : users.add(c.users.numbers()[j]);
                }
            }
            auto& im = itemMap[k];
            im.resize(c.items.size());
            for (std::size_t j = 0; j < im.size(); ++j)
                im[j] = textItems ? items.add(c.items.texts()[j]) : items.add(c.items.numbers()[j]);
            if (format.kind == LineFormat::Kind::Netflix) {
                if (!c.inheritLines.empty()) {
                    if (movie == kInherit)
                        failAt(segments[seg].display,
                               segments[seg].firstLine - 1 + segLines + c.inheritLines.front(),
                               "rating line before any 'MovieID:' line");
                    im.push_back(movie);  // local kInherit is mapped through the table end
                }
                if (c.hasMovie) movie = im[c.lastMovie];
            }
            segLines += c.lines;
            if (users.size() >= std::numeric_limits<std::uint32_t>::max() ||
                (format.kind == LineFormat::Kind::LinesCount &&
                 lineCount >= std::numeric_limits<std::uint32_t>::max()))
                failAt(segments[seg].display, 0, "too many users (more than 2^32)");
        }
        usersByLine = lastNonBlank;
    }
    if (static_cast<std::uint64_t>(items.size()) >
        static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max()))
        fail("too many items (more than 2^31)");
    std::sort(skips.begin(), skips.end());
    for (std::size_t k = 0; k < skips.size() && k < kExamples; ++k)
        out.firstSkipped.push_back(std::move(skips[k].message));

    // Local ids -> global ids, in parallel.
    arena.execute([&] {
        tbb::parallel_for(tbb::blocked_range<std::size_t>(0, chunks.size(), 1),
                          [&](const tbb::blocked_range<std::size_t>& r) {
            for (std::size_t k = r.begin(); k != r.end(); ++k) {
                Chunk& c = chunks[k];
                const auto& im = itemMap[k];
                const std::uint32_t inherit =
                    im.size() > c.items.size() ? im.back() : kInherit;
                for (auto& x : c.i) x = x == kInherit ? inherit : im[x];
                if (format.kind == LineFormat::Kind::LinesCount) {
                    const auto off = static_cast<std::uint32_t>(lineOffset[k]);
                    for (auto& x : c.u) x += off;
                } else {
                    const auto& um = userMap[k];
                    for (auto& x : c.u) x = um[x];
                }
            }
        });
    });

    for (const Chunk& c : chunks) out.records += static_cast<std::int64_t>(c.u.size());
    const std::int64_t rows = format.kind == LineFormat::Kind::LinesCount
                                  ? usersByLine
                                  : static_cast<std::int64_t>(users.size());
    const bool hasValues = format.valueCol >= 0 || format.kind == LineFormat::Kind::Netflix;
    arena.execute([&] {
        out.matrix = buildCsr(rows, static_cast<std::int64_t>(items.size()), chunks, hasValues,
                              keepOrder ? &out.order : nullptr, out.duplicates);
    });
    const std::string& display = segments.empty() ? std::string() : segments.front().display;
    if (format.kind == LineFormat::Kind::LinesCount) {
        out.userIds.reserve(static_cast<std::size_t>(rows));
        for (std::int64_t r = 0; r < rows; ++r) out.userIds.push_back(std::to_string(r));
    } else {
        out.userIds = idStrings(users, display, "user");
    }
    out.itemIds = idStrings(items, display, "item");
    return out;
}

}  // namespace vaecf::core::detail
