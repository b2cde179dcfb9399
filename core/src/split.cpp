// SPDX-License-Identifier: MIT
// Liang et al.'s strong-generalization split: making it (bit-exact with the reference
// scripts, see SplitRecipe), reading and writing the folder layout, and its fingerprint.
#include "vaecf/split.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <functional>
#include <numeric>
#include <optional>
#include <sstream>
#include <string_view>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "numpy_random.h"
#include "reader_text.h"
#include "vaecf/error.h"
#include "vaecf/model.h"
#include "vaecf/system.h"

namespace vaecf::core {

namespace {

using i64 = std::int64_t;
using i32 = std::int32_t;

std::string formatNumber(double v) {
    std::ostringstream s;
    s << v;
    return s.str();
}

// ---------------------------------------------------------------------------------------------
// Making the split

// Users with at least one interaction, in ascending original-id order: numeric when every id
// is an integer (pandas sorts an int column numerically), else byte-wise (str column).
std::vector<i64> usersInIdOrder(const Dataset& data) {
    const CsrMatrix& m = data.interactions;
    std::vector<i64> users;
    users.reserve(static_cast<std::size_t>(m.rows));
    for (i64 u = 0; u < m.rows; ++u)
        if (m.rowNnz(u) > 0) users.push_back(u);
    std::vector<i64> numeric(static_cast<std::size_t>(m.rows), 0);
    bool allNumeric = true;
    for (i64 u : users) {
        const std::string& id = data.userIds[static_cast<std::size_t>(u)];
        const char* end = id.data() + id.size();
        auto [p, ec] = std::from_chars(id.data(), end, numeric[static_cast<std::size_t>(u)]);
        if (ec != std::errc() || p != end || id.empty()) {
            allNumeric = false;
            break;
        }
    }
    const auto& ids = data.userIds;
    if (allNumeric) {
        std::stable_sort(users.begin(), users.end(), [&](i64 a, i64 b) {
            return numeric[static_cast<std::size_t>(a)] < numeric[static_cast<std::size_t>(b)];
        });
    } else {
        std::stable_sort(users.begin(), users.end(), [&](i64 a, i64 b) {
            return ids[static_cast<std::size_t>(a)] < ids[static_cast<std::size_t>(b)];
        });
    }
    return users;
}

// Positions (into m.indices) of the stored entries in source order.
std::vector<i64> sourceSequence(const CsrMatrix& m, const InteractionOrder* order) {
    std::vector<i64> seq;
    if (!order) {
        seq.resize(static_cast<std::size_t>(m.nnz()));
        std::iota(seq.begin(), seq.end(), i64{0});
        return seq;
    }
    if (order->users.size() != order->items.size())
        fail("source order: " + std::to_string(order->users.size()) + " users but " +
             std::to_string(order->items.size()) + " items");
    seq.reserve(static_cast<std::size_t>(m.nnz()));
    std::vector<char> seen(static_cast<std::size_t>(m.nnz()), 0);
    for (std::size_t k = 0; k < order->users.size(); ++k) {
        const i64 u = order->users[k];
        const i32 item = order->items[k];
        if (u < 0 || u >= m.rows || item < 0 || item >= m.cols)
            fail("source order: interaction " + std::to_string(k) + " (user row " +
                 std::to_string(u) + ", item column " + std::to_string(item) +
                 ") lies outside the dataset (" + std::to_string(m.rows) + " x " +
                 std::to_string(m.cols) + ")");
        const auto row = m.rowIndices(u);
        const auto it = std::lower_bound(row.begin(), row.end(), item);
        if (it == row.end() || *it != item) continue;  // filtered out
        const i64 pos = m.indptr[static_cast<std::size_t>(u)] + (it - row.begin());
        if (seen[static_cast<std::size_t>(pos)]) continue;
        seen[static_cast<std::size_t>(pos)] = 1;
        seq.push_back(pos);
    }
    for (i64 pos = 0; pos < m.nnz(); ++pos)
        if (!seen[static_cast<std::size_t>(pos)]) seq.push_back(pos);
    return seq;
}

CsrMatrix rowsToCsr(const std::vector<std::vector<i32>>& rows, i64 cols) {
    CsrMatrix m;
    m.rows = static_cast<i64>(rows.size());
    m.cols = cols;
    m.indptr.assign(rows.size() + 1, 0);
    std::size_t total = 0;
    for (const auto& r : rows) total += r.size();
    m.indices.reserve(total);
    for (std::size_t r = 0; r < rows.size(); ++r) {
        m.indices.insert(m.indices.end(), rows[r].begin(), rows[r].end());
        std::sort(m.indices.begin() + m.indptr[r], m.indices.end());
        m.indptr[r + 1] = static_cast<i64>(m.indices.size());
    }
    m.values.assign(m.indices.size(), 1.0f);
    return m;
}

i64 heldOutCount(i64 users, const SplitOptions& o) {
    if (o.heldOutUsers < 0)
        fail("held-out users must be a positive count (or 0 to use the fraction), got " +
             std::to_string(o.heldOutUsers));
    i64 h = o.heldOutUsers;
    if (h == 0) {
        if (!(o.heldOutFraction > 0 && o.heldOutFraction < 0.5))
            fail(
                "held-out fraction must lie between 0 and 0.5 (each of validation and test), "
                "got " +
                formatNumber(o.heldOutFraction));
        h = std::min<i64>(10000, static_cast<i64>(o.heldOutFraction * static_cast<double>(users)));
        if (h < 1)
            fail("held-out users: " + formatNumber(o.heldOutFraction * 100) + " % of " +
                 std::to_string(users) + " users is less than one user; give a count instead");
    }
    if (users - 2 * h <= 0)
        fail("held-out users (H=" + std::to_string(h) +
             " for validation and again for test) leave no training users: the dataset has " +
             std::to_string(users) + " users");
    return h;
}

Split makeSplit(const Dataset& data, const SplitOptions& o, const InteractionOrder* order) {
    const CsrMatrix& m = data.interactions;
    if (static_cast<i64>(data.userIds.size()) != m.rows ||
        static_cast<i64>(data.itemIds.size()) != m.cols)
        fail("internal: the dataset has " + std::to_string(data.userIds.size()) + " user ids and " +
             std::to_string(data.itemIds.size()) + " item ids for a " + std::to_string(m.rows) +
             " x " + std::to_string(m.cols) + " matrix");
    if (!(o.testProportion > 0 && o.testProportion < 1))
        fail("test proportion must lie between 0 and 1, got " + formatNumber(o.testProportion));
    if (o.minItemsToSplit < 1)
        fail("minimum items to split a held-out user must be at least 1, got " +
             std::to_string(o.minItemsToSplit));

    const std::vector<i64> sorted = usersInIdOrder(data);
    const i64 n = static_cast<i64>(sorted.size());
    if (n == 0) fail("the dataset has no interactions to split");
    const i64 h = heldOutCount(n, o);
    const i64 t = n - 2 * h;

    // perm[k]: rank (in ascending id order) of the user at shuffled position k.
    std::vector<i64> perm;
    if (o.recipe == SplitRecipe::LiangNotebook) {
        perm = NumpyRandomState(o.seed).permutation(n);
    } else {
        perm.resize(static_cast<std::size_t>(n));
        std::iota(perm.begin(), perm.end(), i64{0});
        PythonRandom(o.seed).shuffle(std::span<i64>(perm));
    }
    std::vector<i64> up(static_cast<std::size_t>(n));  // user row at shuffled position k
    std::vector<i64> posOf(static_cast<std::size_t>(m.rows), -1);
    for (i64 k = 0; k < n; ++k) {
        up[static_cast<std::size_t>(k)] = sorted[static_cast<std::size_t>(perm[k])];
        posOf[static_cast<std::size_t>(up[static_cast<std::size_t>(k)])] = k;
    }

    // Each user's items in source order: ordered[indptr[u] .. indptr[u + 1]).
    const std::vector<i64> seq = sourceSequence(m, order);
    std::vector<i64> entryUser(static_cast<std::size_t>(m.nnz()));
    for (i64 u = 0; u < m.rows; ++u)
        std::fill(entryUser.begin() + m.indptr[u], entryUser.begin() + m.indptr[u + 1], u);
    std::vector<i32> ordered(static_cast<std::size_t>(m.nnz()));
    {
        std::vector<i64> cursor(m.indptr.begin(), m.indptr.end() - 1);
        for (i64 pos : seq) {
            const i64 u = entryUser[static_cast<std::size_t>(pos)];
            ordered[static_cast<std::size_t>(cursor[static_cast<std::size_t>(u)]++)] =
                m.indices[static_cast<std::size_t>(pos)];
        }
    }
    auto itemsOf = [&](i64 u) {
        return std::span<const i32>(ordered.data() + m.indptr[u],
                                    static_cast<std::size_t>(m.rowNnz(u)));
    };

    // Item vocabulary: first appearance among the training users' interactions.
    std::vector<i32> sidOf(static_cast<std::size_t>(m.cols), -1);
    std::vector<i32> colOf;
    auto see = [&](i32 col) {
        if (sidOf[static_cast<std::size_t>(col)] < 0) {
            sidOf[static_cast<std::size_t>(col)] = static_cast<i32>(colOf.size());
            colOf.push_back(col);
        }
    };
    if (o.recipe == SplitRecipe::LiangNotebook) {
        for (i64 pos : seq) {
            const i64 u = entryUser[static_cast<std::size_t>(pos)];
            if (posOf[static_cast<std::size_t>(u)] < t)
                see(m.indices[static_cast<std::size_t>(pos)]);
        }
    } else {
        for (i64 k = 0; k < t; ++k)
            for (i32 col : itemsOf(up[static_cast<std::size_t>(k)])) see(col);
    }
    const i64 numItems = static_cast<i64>(colOf.size());

    Split s;
    s.datasetName = data.name;
    {
        std::vector<std::vector<i32>> rows(static_cast<std::size_t>(t));
        s.trainUserIds.resize(static_cast<std::size_t>(t));
        for (i64 k = 0; k < t; ++k) {
            const i64 u = up[static_cast<std::size_t>(k)];
            for (i32 col : itemsOf(u))
                rows[static_cast<std::size_t>(k)].push_back(sidOf[static_cast<std::size_t>(col)]);
            s.trainUserIds[static_cast<std::size_t>(k)] = data.userIds[static_cast<std::size_t>(u)];
        }
        s.train = rowsToCsr(rows, numItems);
    }

    // Held-out parts. draw(count, size): indices (into the user's items) to hold out.
    std::optional<PythonRandom> py;
    if (o.recipe == SplitRecipe::PythonRandom) py.emplace(o.seed);
    auto makePart = [&](i64 lo, i64 hi) {
        std::optional<NumpyRandomState> np;
        if (o.recipe == SplitRecipe::LiangNotebook) np.emplace(o.seed);
        std::vector<i64> visit(static_cast<std::size_t>(hi - lo));
        std::iota(visit.begin(), visit.end(), lo);
        if (np)  // ascending original-id order = ascending rank
            std::sort(visit.begin(), visit.end(), [&](i64 a, i64 b) { return perm[a] < perm[b]; });
        std::vector<std::vector<i32>> tr(static_cast<std::size_t>(hi - lo));
        std::vector<std::vector<i32>> te(static_cast<std::size_t>(hi - lo));
        std::vector<i32> sids;
        std::vector<char> pick;
        for (i64 k : visit) {
            sids.clear();
            for (i32 col : itemsOf(up[static_cast<std::size_t>(k)]))
                if (sidOf[static_cast<std::size_t>(col)] >= 0)
                    sids.push_back(sidOf[static_cast<std::size_t>(col)]);
            const i64 cnt = static_cast<i64>(sids.size());
            if (cnt == 0) continue;  // no rows in the script's frame: no draws either
            auto& rowTr = tr[static_cast<std::size_t>(k - lo)];
            auto& rowTe = te[static_cast<std::size_t>(k - lo)];
            if (cnt < o.minItemsToSplit) {
                rowTr = sids;
                continue;
            }
            const i64 size = static_cast<i64>(o.testProportion * static_cast<double>(cnt));
            const std::vector<i64> chosen =
                np ? np->choiceWithoutReplacement(cnt, size) : py->sample(cnt, size);
            pick.assign(static_cast<std::size_t>(cnt), 0);
            for (i64 j : chosen) pick[static_cast<std::size_t>(j)] = 1;
            for (i64 j = 0; j < cnt; ++j)
                (pick[static_cast<std::size_t>(j)] ? rowTe : rowTr)
                    .push_back(sids[static_cast<std::size_t>(j)]);
        }
        HeldOut part;
        part.foldIn = rowsToCsr(tr, numItems);
        part.heldOut = rowsToCsr(te, numItems);
        for (i64 k = lo; k < hi; ++k)
            part.userIds.push_back(
                data.userIds[static_cast<std::size_t>(up[static_cast<std::size_t>(k)])]);
        return part;
    };
    if (py) py->reseed(o.seed);
    s.validation = makePart(t, t + h);
    s.test = makePart(t + h, n);

    s.itemIds.reserve(colOf.size());
    for (i32 col : colOf) s.itemIds.push_back(data.itemIds[static_cast<std::size_t>(col)]);
    if (data.hasMetadata()) {
        s.items.reserve(colOf.size());
        for (i32 col : colOf) s.items.push_back(data.items[static_cast<std::size_t>(col)]);
        s.genreNames = data.genreNames;
    }
    return s;
}

// ---------------------------------------------------------------------------------------------
// Reading

std::string readWholeFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        failAt(path.string(), 0,
               "cannot open the file (a Liang split folder holds train.csv, validation_tr.csv, "
               "validation_te.csv, test_tr.csv, test_te.csv and unique_sid.txt)");
    std::string text;
    in.seekg(0, std::ios::end);
    const auto size = in.tellg();
    if (size > 0) {
        text.resize(static_cast<std::size_t>(size));
        in.seekg(0);
        in.read(text.data(), size);
    }
    if (!in) failAt(path.string(), 0, "cannot read the file");
    return text;
}

std::string_view trim(std::string_view s) {
    const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return s;
}

// At most 40 characters of a line, valid UTF-8 (see detail::excerpt).
std::string shown(std::string_view line) { return detail::excerpt(line); }

// Calls f(line number, trimmed line) for every line of text ("\n" or "\r\n"; a UTF-8
// byte-order mark at the start is skipped).
template <typename F>
void forEachLine(std::string_view text, F&& f) {
    i64 number = 0;
    std::size_t start = text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        f(++number, trim(text.substr(start, end - start)));
        start = end + 1;
    }
}

// Lines of a one-id-per-line file (unique_sid.txt / unique_uid.txt); blank lines only at the end.
// Every id must read back the same from the files exportLiangSplit writes, where any of them
// can become line 1.
std::vector<std::string> readIdLines(const std::filesystem::path& path, bool unique) {
    const std::string text = readWholeFile(path);
    std::vector<std::string> ids;
    i64 blankAt = 0;
    std::unordered_set<std::string> seen;
    forEachLine(text, [&](i64 number, std::string_view line) {
        if (line.empty()) {
            if (!blankAt) blankAt = number;
            return;
        }
        if (blankAt)
            failAt(path.string(), blankAt, "empty line (line k holds the id of index k - 1)");
        std::string id = detail::toUtf8(line);  // Latin-1 when not UTF-8: ids go into JSON
        // forEachLine skips a byte-order mark at the start of the file only; one opening an id
        // (a later line, or a second mark on line 1) would be taken for the file's own mark
        // when that id is written back as line 1, and the id would change.
        if (id.starts_with("\xEF\xBB\xBF"))
            failAt(path.string(), number,
                   "id starts with a UTF-8 byte-order mark (U+FEFF), expected one only at the "
                   "start of the file");
        // Compared as read (UTF-8): "\xE9" in Latin-1 and "\xC3\xA9" are the same id.
        if (unique && !seen.insert(id).second)
            failAt(path.string(), number, "id \"" + shown(line) + "\" appears twice");
        ids.push_back(std::move(id));
    });
    if (ids.empty()) failAt(path.string(), 0, "the file lists no ids");
    return ids;
}

struct Pairs {
    std::vector<i64> uid;
    std::vector<i32> sid;
};

// Malformed lines of the pair files: fail, or (skipping) count them in the report.
struct LineErrors {
    bool skip = false;
    ReadReport* report = nullptr;
    void bad(const std::string& file, i64 line, const std::string& message) {
        if (!skip) failAt(file, line, message);
        ++report->skippedLines;
        if (report->firstSkipped.size() < static_cast<std::size_t>(ReadReport::kExamples))
            report->firstSkipped.push_back(locate(file, line, message));
    }
};

Pairs readPairs(const std::filesystem::path& path, i64 numItems, i64 numUsers,
                LineErrors& errors) {
    const std::string file = path.string();
    const std::string text = readWholeFile(path);
    Pairs p;
    p.uid.reserve(text.size() / 8);
    p.sid.reserve(text.size() / 8);
    int uidColumn = -1;
    forEachLine(text, [&](i64 number, std::string_view line) {
        if (number == 1) {
            const auto comma = line.find(',');
            const auto a = trim(line.substr(0, comma));
            const auto b =
                comma == std::string_view::npos ? std::string_view{} : trim(line.substr(comma + 1));
            if (a == "uid" && b == "sid")
                uidColumn = 0;
            else if (a == "sid" && b == "uid")
                uidColumn = 1;
            else
                failAt(file, 1, "expected the header \"uid,sid\", found \"" + shown(line) + "\"");
            return;
        }
        if (line.empty()) return;  // pandas skips blank lines
        i64 v[2];
        const char* c = line.data();
        const char* end = line.data() + line.size();
        for (int f = 0; f < 2; ++f) {
            while (c < end && *c == ' ') ++c;
            auto [q, ec] = std::from_chars(c, end, v[f]);
            c = q;
            while (c < end && *c == ' ') ++c;
            if (ec != std::errc() || (f == 0 ? (c == end || *c != ',') : c != end))
                return errors.bad(file, number,
                                  "expected two integers \"uid,sid\", found \"" + shown(line) +
                                      "\"");
            ++c;
        }
        const i64 uid = v[uidColumn], sid = v[1 - uidColumn];
        if (sid < 0 || sid >= numItems)
            return errors.bad(file, number,
                              "item index " + std::to_string(sid) + " is outside unique_sid.txt (" +
                                  std::to_string(numItems) + " items)");
        if (uid < 0) return errors.bad(file, number, "negative user index " + std::to_string(uid));
        if (numUsers >= 0 && uid >= numUsers)
            return errors.bad(file, number,
                              "user index " + std::to_string(uid) +
                                  " is outside unique_uid.txt (" + std::to_string(numUsers) +
                                  " users)");
        p.uid.push_back(uid);
        p.sid.push_back(static_cast<i32>(sid));
    });
    if (uidColumn < 0) failAt(file, 1, "empty file: expected the header \"uid,sid\"");
    return p;
}

// Rows = uid - lo over [lo, hi]; ids from unique_uid.txt (or the numbers). Checked twice: on
// the pairs read, before the rows are allocated, and on the distinct pairs once the matrices
// hold them (`what` = "distinct interactions"), so that repeated lines cannot stretch a part:
// exportLiangSplit writes each pair once, and its folder must load back.
void checkRange(const std::filesystem::path& path, i64 lo, i64 hi, std::size_t count,
                const char* what = "interactions") {
    // hi - lo cannot overflow (0 <= lo <= hi); hi - lo + 1 could.
    if (hi - lo >= 4 * static_cast<i64>(count) + 1000)
        failAt(path.string(), 0,
               "user indices run from " + std::to_string(lo) + " to " + std::to_string(hi) +
                   " for only " + std::to_string(count) + " " + what +
                   ": uids must be contiguous within a part");
}

std::vector<std::string> rowIds(i64 lo, i64 rows, const std::vector<std::string>& uniqueUid) {
    std::vector<std::string> ids(static_cast<std::size_t>(rows));
    for (i64 r = 0; r < rows; ++r)
        ids[static_cast<std::size_t>(r)] = uniqueUid.empty()
                                               ? std::to_string(lo + r)
                                               : uniqueUid[static_cast<std::size_t>(lo + r)];
    return ids;
}

// Repeated pairs keep the first; `report` counts the pairs read and the repeats.
CsrMatrix pairsToCsr(const Pairs& p, i64 lo, i64 rows, i64 cols, ReadReport& report) {
    std::vector<i64> r(p.uid.size());
    for (std::size_t k = 0; k < r.size(); ++k) r[k] = p.uid[k] - lo;
    CsrMatrix m = CsrMatrix::fromTriplets(rows, cols, r, p.sid, {});
    report.records += static_cast<i64>(p.uid.size());
    report.duplicates += static_cast<i64>(p.uid.size()) - m.nnz();
    return m;
}

// ---------------------------------------------------------------------------------------------
// Writing

void writeAtomically(const std::filesystem::path& path, const std::string& text) {
    const std::filesystem::path tmp =
        path.parent_path() / ("." + path.filename().string() + ".tmp");
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out)
            failAt(tmp.string(), 0, std::string("cannot write the file: ") + std::strerror(errno));
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        out.close();
        if (!out)
            failAt(tmp.string(), 0, std::string("cannot write the file: ") + std::strerror(errno));
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::filesystem::remove(tmp, ec);
        failAt(path.string(), 0, "cannot replace the file: " + ec.message());
    }
}

void appendNumber(std::string& out, i64 v) {
    char buf[24];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, p);
}

std::string pairsText(const CsrMatrix& a, i64 uidOffset, const CsrMatrix* b = nullptr) {
    std::string out = "uid,sid\n";
    out.reserve(static_cast<std::size_t>(a.nnz()) * 12 + 16);
    auto emit = [&](const CsrMatrix& m) {
        for (i64 r = 0; r < m.rows; ++r)
            for (i32 c : m.rowIndices(r)) {
                appendNumber(out, uidOffset + r);
                out += ',';
                appendNumber(out, c);
                out += '\n';
            }
    };
    emit(a);
    if (b) emit(*b);
    return out;
}

// ---------------------------------------------------------------------------------------------
// Fingerprint: a murmur3-style 64-bit mix over values (not bytes), so endianness-independent.

class Hasher {
public:
    void add(std::uint64_t w) {
        w *= 0x87c37b91114253d5ull;
        w = std::rotl(w, 31);
        w *= 0x4cf5ad432745937full;
        m_h ^= w;
        m_h = std::rotl(m_h, 27) * 5 + 0x52dce729ull;
        ++m_count;
    }
    void add(std::string_view s) {
        add(static_cast<std::uint64_t>(s.size()));
        std::uint64_t w = 0;
        int k = 0;
        for (unsigned char c : s) {
            w |= static_cast<std::uint64_t>(c) << (8 * k);
            if (++k == 8) {
                add(w);
                w = 0;
                k = 0;
            }
        }
        if (k) add(w);
    }
    void add(const CsrMatrix& m) {
        add(static_cast<std::uint64_t>(m.rows));
        add(static_cast<std::uint64_t>(m.cols));
        for (i64 p : m.indptr) add(static_cast<std::uint64_t>(p));
        const std::size_t n = m.indices.size();
        std::size_t k = 0;
        for (; k + 1 < n; k += 2)
            add(static_cast<std::uint32_t>(m.indices[k]) |
                (static_cast<std::uint64_t>(static_cast<std::uint32_t>(m.indices[k + 1])) << 32));
        if (k < n) add(static_cast<std::uint64_t>(static_cast<std::uint32_t>(m.indices[k])));
        for (k = 0; k + 1 < m.values.size(); k += 2)
            add(std::bit_cast<std::uint32_t>(m.values[k]) |
                (static_cast<std::uint64_t>(std::bit_cast<std::uint32_t>(m.values[k + 1])) << 32));
        if (k < m.values.size())
            add(static_cast<std::uint64_t>(std::bit_cast<std::uint32_t>(m.values[k])));
    }
    std::uint64_t finish() const {
        std::uint64_t h = m_h ^ m_count;
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53ull;
        h ^= h >> 33;
        return h;
    }

private:
    std::uint64_t m_h = 0x9e3779b97f4a7c15ull;
    std::uint64_t m_count = 0;
};

}  // namespace

std::uint64_t Split::fingerprint() const {
    Hasher h;
    h.add(std::string_view("vaecf-liang-split-1"));
    h.add(static_cast<std::uint64_t>(itemIds.size()));
    for (const auto& id : itemIds) h.add(id);
    for (const CsrMatrix* m :
         {&train, &validation.foldIn, &validation.heldOut, &test.foldIn, &test.heldOut})
        h.add(*m);
    return h.finish();
}

std::string Split::fingerprintHex() const {
    static const char* digits = "0123456789abcdef";
    std::string s(16, '0');
    std::uint64_t v = fingerprint();
    for (int k = 15; k >= 0; --k, v >>= 4) s[static_cast<std::size_t>(k)] = digits[v & 15];
    return s;
}

Split makeLiangSplit(const Dataset& data, const SplitOptions& options) {
    return makeSplit(data, options, nullptr);
}

Split makeLiangSplit(const Dataset& data, const SplitOptions& options,
                     const InteractionOrder& sourceOrder) {
    return makeSplit(data, options, &sourceOrder);
}

namespace {

const char* const kLiangPairFiles[] = {"train.csv", "validation_tr.csv", "validation_te.csv",
                                       "test_tr.csv", "test_te.csv"};

}  // namespace

bool isLiangSplitFolder(const std::filesystem::path& folder) {
    std::error_code ec;
    return std::filesystem::is_directory(folder, ec) &&
           std::filesystem::is_regular_file(folder / "train.csv", ec) &&
           std::filesystem::is_regular_file(folder / "unique_sid.txt", ec);
}

MemoryEstimate estimateLiangSplitMemory(const std::filesystem::path& folder) {
    MemoryEstimate e;
    e.format = "liang";
    e.inputInMemory = true;  // each file is read whole
    auto sizeOf = [&](const char* name) -> double {
        std::error_code ec;
        const auto n = std::filesystem::file_size(folder / name, ec);
        return ec ? 0.0 : static_cast<double>(n);
    };
    double largest = 0, pairs = 0;
    for (const char* name : kLiangPairFiles) {
        const double n = sizeOf(name);
        largest = std::max(largest, n);
        pairs += n;
    }
    const double ids = sizeOf("unique_sid.txt") + sizeOf("unique_uid.txt");
    e.inputBytes = static_cast<std::uint64_t>(pairs + ids);
    // "uid,sid" lines take about 10 bytes. The largest file is held as text while its pairs
    // (reserved at 1.5 bytes per byte) and their matrix (24 bytes a pair while built) are made;
    // the finished matrices keep 8 bytes a pair; ids about 4 bytes per byte of their files.
    e.interactions = static_cast<std::int64_t>(pairs / 10);
    e.bytes = 2.5 * largest + 24 * (largest / 10) + 8 * (pairs / 10) + 4 * ids;
    e.machine = physicalMemoryBytes();
    e.limit = 0.9 * e.machine;
    return e;
}

Split loadLiangSplit(const std::filesystem::path& folder) {
    return loadLiangSplit(folder, false, nullptr);
}

Split loadLiangSplit(const std::filesystem::path& folder, bool skipBadLines, ReadReport* report) {
    ReadReport local;
    LineErrors errors{skipBadLines, report ? report : &local};
    *errors.report = {};
    if (!std::filesystem::is_directory(folder))
        failAt(folder.string(), 0, "not a folder (a Liang split is a folder of CSV files)");
    const MemoryEstimate e = estimateLiangSplitMemory(folder);
    if (e.exceedsLimit())
        failAt(folder.string(), 0,
               "needs about " + formatBytes(e.bytes) +
                   " of memory to read (estimated from its size); this machine has " +
                   formatBytes(e.machine));
    errors.report->memoryEstimate = e.bytes;
    Split s;
    s.itemIds = readIdLines(folder / "unique_sid.txt", true);
    std::vector<std::string> uniqueUid;
    if (std::filesystem::exists(folder / "unique_uid.txt"))
        uniqueUid = readIdLines(folder / "unique_uid.txt", false);
    const i64 numItems = static_cast<i64>(s.itemIds.size());
    const i64 numUsers = uniqueUid.empty() ? -1 : static_cast<i64>(uniqueUid.size());

    {
        const auto path = folder / "train.csv";
        const Pairs p = readPairs(path, numItems, numUsers, errors);
        if (p.uid.empty()) failAt(path.string(), 0, "no interactions");
        const auto [lo, hi] = std::minmax_element(p.uid.begin(), p.uid.end());
        checkRange(path, *lo, *hi, p.uid.size());
        s.train = pairsToCsr(p, *lo, *hi - *lo + 1, numItems, *errors.report);
        checkRange(path, *lo, *hi, static_cast<std::size_t>(s.train.nnz()),
                   "distinct interactions");
        s.trainUserIds = rowIds(*lo, *hi - *lo + 1, uniqueUid);
    }
    auto part = [&](const std::string& prefix) {
        const auto trPath = folder / (prefix + "_tr.csv");
        const auto tePath = folder / (prefix + "_te.csv");
        const Pairs tr = readPairs(trPath, numItems, numUsers, errors);
        const Pairs te = readPairs(tePath, numItems, numUsers, errors);
        if (tr.uid.empty() && te.uid.empty())
            failAt(trPath.string(), 0, "no interactions in this file nor in " + prefix + "_te.csv");
        i64 lo = std::numeric_limits<i64>::max(), hi = std::numeric_limits<i64>::min();
        for (const Pairs* p : {&tr, &te})
            for (i64 u : p->uid) {
                lo = std::min(lo, u);
                hi = std::max(hi, u);
            }
        checkRange(trPath, lo, hi, tr.uid.size() + te.uid.size());
        HeldOut h;
        h.foldIn = pairsToCsr(tr, lo, hi - lo + 1, numItems, *errors.report);
        h.heldOut = pairsToCsr(te, lo, hi - lo + 1, numItems, *errors.report);
        checkRange(trPath, lo, hi, static_cast<std::size_t>(h.foldIn.nnz() + h.heldOut.nnz()),
                   "distinct interactions");
        h.userIds = rowIds(lo, hi - lo + 1, uniqueUid);
        return h;
    };
    s.validation = part("validation");
    s.test = part("test");
    std::filesystem::path name = folder.filename();
    if (name.empty()) name = folder.parent_path().filename();
    s.datasetName = detail::toUtf8(name.string());
    return s;
}

namespace {

// unique_sid.txt and unique_uid.txt hold one id a line, and readIdLines trims each line and
// takes a byte-order mark opening the file for the file's own: an id that is empty, has blanks
// at either end or opens with a mark would come back as another id (or not at all). Such ids
// can come from a dataset (a quoted CSV field, a mark opening a later line); they are refused
// before anything is written, so an earlier export in the folder stays whole.
void checkWritableIds(const std::vector<std::string>& ids, std::size_t first,
                      const std::filesystem::path& file, const char* what) {
    for (std::size_t k = 0; k < ids.size(); ++k) {
        const std::string& id = ids[k];
        const char* why = id.empty()                                  ? "is empty"
                          : trim(id).size() != id.size()              ? "starts or ends with a blank"
                          : id.starts_with("\xEF\xBB\xBF")             ? "starts with a byte-order mark"
                          : id.find('\n') != std::string::npos        ? "holds a line break"
                                                                      : nullptr;
        if (why)
            failAt(file.string(), 0,
                   std::string("cannot export the split: the ") + what + " id \"" + shown(id) +
                       "\" (line " + std::to_string(first + k + 1) + ") " + why +
                       ", and would not read back from a file of one id per line");
    }
}

}  // namespace

void exportLiangSplit(const Split& split, const std::filesystem::path& folder) {
    const i64 t = split.train.rows;
    const i64 hv = split.validation.foldIn.rows;
    const i64 ht = split.test.foldIn.rows;
    if (static_cast<i64>(split.itemIds.size()) != split.train.cols ||
        split.validation.heldOut.rows != hv || split.test.heldOut.rows != ht ||
        static_cast<i64>(split.trainUserIds.size()) != t ||
        static_cast<i64>(split.validation.userIds.size()) != hv ||
        static_cast<i64>(split.test.userIds.size()) != ht)
        fail("internal: inconsistent split (row, id or item counts differ)");
    checkWritableIds(split.itemIds, 0, folder / "unique_sid.txt", "item");
    std::size_t line = 0;
    for (const auto* ids : {&split.trainUserIds, &split.validation.userIds, &split.test.userIds}) {
        checkWritableIds(*ids, line, folder / "unique_uid.txt", "user");
        line += ids->size();
    }
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    if (ec) failAt(folder.string(), 0, "cannot create the folder: " + ec.message());

    writeAtomically(folder / "train.csv", pairsText(split.train, 0));
    writeAtomically(folder / "validation_tr.csv", pairsText(split.validation.foldIn, t));
    writeAtomically(folder / "validation_te.csv", pairsText(split.validation.heldOut, t));
    writeAtomically(folder / "test_tr.csv", pairsText(split.test.foldIn, t + hv));
    writeAtomically(folder / "test_te.csv", pairsText(split.test.heldOut, t + hv));
    std::string sids;
    for (const auto& id : split.itemIds) sids += id + '\n';
    writeAtomically(folder / "unique_sid.txt", sids);
    std::string uids;
    for (const auto* ids : {&split.trainUserIds, &split.validation.userIds, &split.test.userIds})
        for (const auto& id : *ids) uids += id + '\n';
    writeAtomically(folder / "unique_uid.txt", uids);

    nlohmann::ordered_json stats;
    stats["users_total"] = t + hv + ht;
    stats["train_users"] = t;
    stats["heldout"] = hv;
    stats["items"] = split.train.cols;
    stats["train_interactions"] = split.train.nnz();
    stats["validation_foldin"] = split.validation.foldIn.nnz();
    stats["validation_heldout_items"] = split.validation.heldOut.nnz();
    stats["test_foldin"] = split.test.foldIn.nnz();
    stats["test_heldout_items"] = split.test.heldOut.nnz();
    writeAtomically(folder / "stats.json", stats.dump(1));  // as Python's json.dump(indent=1)
}

}  // namespace vaecf::core
