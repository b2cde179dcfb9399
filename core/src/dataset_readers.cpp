// SPDX-License-Identifier: MIT
// readDataset(), detectFormat() and formatIds(): which files to read and how, per format, and
// the item metadata readers. The interaction files themselves go through parseTriplets()
// (reader_triplets.cpp), which reads in parallel.
//
// Decisions:
//  - User rows and item columns are in order of first appearance in the interaction file(s)
//    (for lines-count: user k is line k). Original id texts are kept.
//  - Text (ids, titles, genre names) is kept when it is valid UTF-8 and otherwise read as
//    Latin-1 (converted), one field at a time, so that no string handed on is invalid UTF-8.
//  - Malformed lines fail the read with "file:line: expected ..., found ..." or, with
//    ReadOptions::skipBadLines, are left out and counted in Dataset::readReport; so are lines
//    over ReadOptions::maxLineBytes, which are never copied or split.
//  - Before reading, the memory it takes is estimated from the file sizes (estimateFor) and
//    the read refused when over the limit.
//  - Genre names: u.genre for ML-100K (its fixed list when missing); for the other MovieLens
//    files, in order of first appearance in the movies file.
//  - A header line is skipped when the rating column of the first line is not a number (or,
//    without a rating column, when the user column is not a number but that of line 2 is).
#include <algorithm>
#include <cctype>
#include <limits>
#include <optional>
#include <unordered_map>

#include "archive_input.h"
#include "reader_text.h"
#include "reader_triplets.h"
#include "vaecf/dataset.h"
#include "vaecf/error.h"
#include "vaecf/model.h"
#include "vaecf/split.h"
#include "vaecf/system.h"

namespace vaecf::core {

using namespace detail;

namespace {

const std::vector<std::string>& knownFormats() {
    static const std::vector<std::string> ids = {"auto",  "ml100k",      "ml1m",      "mlcsv",
                                                 "netflix", "msd",       "lines",     "lines-count",
                                                 "delimited", "lastfm",  "liang"};
    return ids;
}

void checkFormatId(const std::string& id) {
    const auto& ids = knownFormats();
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) return;
    std::string list;
    for (const auto& k : ids) list += (list.empty() ? "" : ", ") + k;
    fail("unknown format '" + id + "' (known formats: " + list + ")");
}

std::string lower(std::string s) {
    for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
}

int depthOf(const std::string& name) {
    return static_cast<int>(std::count(name.begin(), name.end(), '/'));
}

// The shallowest member whose base name is `base` (then the first in name order).
std::optional<std::string> findByName(const Container& c, const std::string& base) {
    std::optional<std::string> best;
    for (const auto& n : c.names())
        if (baseName(n) == base && (!best || depthOf(n) < depthOf(*best))) best = n;
    return best;
}

bool startsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool endsWith(std::string_view s, std::string_view p) {
    return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// "combined_data_3.txt" -> 3; "mv_0000012.txt" -> 12; -1 otherwise.
std::int64_t netflixNumber(const std::string& base) {
    std::string_view s = base;
    if (startsWith(s, "combined_data_")) s.remove_prefix(14);
    else if (startsWith(s, "mv_")) s.remove_prefix(3);
    else return -1;
    if (!endsWith(s, ".txt")) return -1;
    s.remove_suffix(4);
    std::int64_t n;
    return parseInt(s, n) ? n : -1;
}

std::vector<std::string> netflixFiles(const Container& c) {
    std::vector<std::pair<std::int64_t, std::string>> combined, movies;
    for (const auto& n : c.names()) {
        const std::string base = baseName(n);
        const auto k = netflixNumber(base);
        if (k < 0) continue;
        (startsWith(base, "combined_data_") ? combined : movies).emplace_back(k, n);
    }
    auto& pick = combined.empty() ? movies : combined;
    std::sort(pick.begin(), pick.end());
    std::vector<std::string> out;
    for (auto& p : pick) out.push_back(p.second);
    return out;
}

bool isDocument(const std::string& name) {
    const std::string base = lower(baseName(name));
    static const char* exts[] = {".md", ".pdf", ".html", ".htm", ".py", ".sh", ".json", ".yaml",
                                 ".yml", ".ipynb", ".r", ".m", ".sha256", ".md5", ".png", ".jpg"};
    for (const char* e : exts)
        if (endsWith(base, e)) return true;
    return startsWith(base, "readme") || startsWith(base, "license") ||
           startsWith(base, "licence") || startsWith(base, "copying") || base == "u.info";
}

// Refuses what cannot be a text file of records: no bytes at all, or UTF-16 text.
void checkStart(const std::string& display, std::string_view data) {
    if (data.empty()) failAt(display, 0, "the file is empty");
    if (startsWithUtf16Bom(data))
        failAt(display, 0, "the file is UTF-16 text; save it as UTF-8 (or Latin-1)");
}

// Sample lines (up to 200 non-blank) of the first 64 KiB of a member.
struct Sample {
    std::vector<std::string> lines;
    bool longFirstLine = false;  // no line end in the whole sample
};

Sample sampleOf(const Container& c, const std::string& name) {
    constexpr std::size_t kBytes = 64 << 10;
    const Blob blob = c.read(name, kBytes);
    checkStart(c.display(name), blob.view());
    std::string_view data = blob.view().substr(0, kBytes);
    const bool truncated = blob.size() > kBytes || (data.size() == kBytes && data.back() != '\n');
    LineCursor cursor(data);
    std::string_view line;
    Sample s;
    std::vector<std::string> all;
    while (cursor.next(line)) all.emplace_back(line);
    if (truncated && all.size() == 1) s.longFirstLine = true;
    if (truncated && !all.empty()) all.pop_back();
    for (auto& l : all) {
        if (trim(l).empty()) continue;
        s.lines.push_back(std::move(l));
        if (s.lines.size() >= 200) break;
    }
    return s;
}

int fieldCount(std::string_view line, const Delim& d) {
    if (d.kind == Delim::Kind::Char && line.find('"') != std::string_view::npos) {
        std::vector<std::string> parts;  // quoted fields may hold the delimiter
        std::size_t pos = 0;
        std::int64_t spanned = 0;
        splitCsv(line, pos, d.c, parts, spanned);
        return static_cast<int>(parts.size());
    }
    std::string_view dummy[1];
    return splitFields(line, d, dummy, 0);
}

// The fields of a line, at most maxStored of them (so that a line of a million delimiters
// does not allocate a million fields); fieldCount() counts them all.
std::vector<std::string_view> fieldsOf(std::string_view line, const Delim& d,
                                       int maxStored = std::numeric_limits<int>::max()) {
    std::string_view dummy[1];
    const int n = std::min(splitFields(line, d, dummy, 0), maxStored);
    std::vector<std::string_view> out(static_cast<std::size_t>(n));
    if (!out.empty()) splitFields(line, d, out.data(), static_cast<int>(out.size()));
    return out;
}

// The first candidate delimiter that splits the first sample line into n0 >= 2 fields and
// at least tenths / 10 of the sample lines into n0 too.
std::optional<Delim> delimiterSplitting(const std::vector<std::string>& lines, bool allowSpace,
                                        std::size_t tenths) {
    if (lines.empty()) return std::nullopt;
    std::vector<Delim> candidates = {Delim::doubleColon(), Delim::ch('\t'), Delim::ch(','),
                                     Delim::ch(';'), Delim::ch('|')};
    if (allowSpace) candidates.push_back(Delim::ch(' '));
    for (const Delim& d : candidates) {
        if (d.kind == Delim::Kind::DoubleColon && lines[0].find("::") == std::string::npos)
            continue;
        const int n0 = fieldCount(lines[0], d);
        if (n0 < 2) continue;
        std::size_t agree = 0;
        for (const auto& l : lines) agree += fieldCount(l, d) == n0;
        if (10 * agree >= tenths * lines.size()) return d;
    }
    return std::nullopt;
}

// The delimiter that splits every sample line into the same number (>= 2) of fields.
std::optional<Delim> detectDelimiter(const std::vector<std::string>& lines, bool allowSpace) {
    return delimiterSplitting(lines, allowSpace, 10);
}

// For sample lines that do not all agree: 90 % of them split alike. A file with a few odd
// lines is then read as delimited, and the parser names each odd line with its number (or
// skips it with skipBadLines), instead of detection failing as if the lines held a single field.
std::optional<Delim> mostlyDelimiter(const std::vector<std::string>& lines, bool allowSpace) {
    if (lines.size() < 2) return std::nullopt;
    return delimiterSplitting(lines, allowSpace, 9);
}

// Why no delimiter fits: the first candidate that splits the first line, and the first sample
// line it splits otherwise.
std::string delimiterDisagreement(const std::vector<std::string>& lines) {
    for (const Delim& d : {Delim::ch('\t'), Delim::ch(','), Delim::ch(';'), Delim::ch('|')}) {
        const int n0 = fieldCount(lines[0], d);
        if (n0 < 2) continue;
        for (const auto& l : lines)
            if (const int n = fieldCount(l, d); n != n0)
                return "split by " + d.describe() + ", the first line has " +
                       std::to_string(n0) + " fields but \"" + excerpt(trim(l)) + "\" has " +
                       std::to_string(n) + ", and too many lines differ to take them for bad "
                       "lines; pick a format";
    }
    return "the first lines hold a single field; pick a format";
}

bool linesCountRule(const std::vector<std::string>& lines) {
    for (const auto& l : lines) {
        const auto f = fieldsOf(l, Delim::ch(' '));
        std::int64_t n;
        if (f.empty() || !parseInt(f[0], n) || n != static_cast<std::int64_t>(f.size()) - 1)
            return false;
    }
    return !lines.empty();
}

bool isHex40(std::string_view s) {
    if (s.size() != 40) return false;
    for (char ch : s)
        if (!std::isxdigit(static_cast<unsigned char>(ch))) return false;
    return true;
}

// Format of one file from its name, then its first lines; throws when none fits. A delimiter
// given with format auto makes any file not known by its name a delimited one.
std::string detectFile(const Container& c, const std::string& name, char delimiter) {
    const std::string base = baseName(name);
    const std::string lbase = lower(base);
    const bool ml100kSplit = base.size() == 7 && startsWith(base, "u") &&
                             (endsWith(base, ".base") || endsWith(base, ".test"));  // u1.base
    if (base == "u.data" || ml100kSplit) return "ml100k";
    if (lbase == "ratings.dat") return "ml1m";
    if (lbase == "ratings.csv") return "mlcsv";
    if (netflixNumber(base) >= 0) return "netflix";
    if (lbase == "user_artists.dat") return "lastfm";
    if (lbase == "train_triplets.txt") return "msd";
    if (delimiter != 0) return "delimited";

    const Sample s = sampleOf(c, name);
    if (s.longFirstLine)
        failAt(c.display(name), 1,
               "the line is longer than 64 KiB, so the format cannot be told from the first "
               "lines; pick the format");
    if (s.lines.empty()) failAt(c.display(name), 0, "contains no interactions");
    const std::string_view first = trim(s.lines[0]);
    if (first.size() >= 2 && first.back() == ':') {
        std::uint64_t id;
        if (parseCanonicalId(trim(first.substr(0, first.size() - 1)), id)) return "netflix";
    }
    if (startsWith(first, "userId,movieId,rating")) return "mlcsv";
    if (startsWith(first, "userID\tartistID\tweight")) return "lastfm";
    if (first.find("::") != std::string_view::npos) {
        const auto f = fieldsOf(first, Delim::doubleColon());
        if (f.size() == 4 && std::all_of(f.begin(), f.end(), [](auto x) { return isNumber(x); }))
            return "ml1m";
    }
    {
        bool msd = true;
        for (const auto& l : s.lines) {
            const auto f = fieldsOf(l, Delim::ch('\t'));
            std::int64_t n;
            if (f.size() != 3 || !isHex40(f[0]) || !parseInt(f[2], n)) {
                msd = false;
                break;
            }
        }
        if (msd) return "msd";
    }
    if (detectDelimiter(s.lines, false)) return "delimited";
    bool constant = true;
    const int n0 = fieldCount(s.lines[0], Delim::ch(' '));
    for (const auto& l : s.lines)
        if (fieldCount(l, Delim::ch(' ')) != n0) constant = false;
    if (constant && n0 >= 2) {
        if (lbase == "users.dat" && linesCountRule(s.lines)) return "lines-count";
        return "delimited";
    }
    if (!constant) return linesCountRule(s.lines) ? "lines-count" : "lines";
    if (mostlyDelimiter(s.lines, false)) return "delimited";
    failAt(c.display(name), 0, "cannot tell the format: " + delimiterDisagreement(s.lines));
}

struct Plan {
    std::string format;
    std::vector<std::string> files;  // members holding the interactions, in reading order
};

std::string singleDataFile(const Container& c) {
    std::vector<std::string> data;
    for (const auto& n : c.names())
        if (!isDocument(n)) data.push_back(n);
    if (data.size() == 1) return data[0];
    if (data.empty()) failAt(c.path().string(), 0, "holds no data file");
    std::string list;
    for (std::size_t k = 0; k < data.size() && k < 6; ++k)
        list += (k ? ", " : "") + data[k];
    if (data.size() > 6) list += ", ...";
    failAt(c.path().string(), 0,
           "cannot tell which file holds the interactions (found " + list +
               "); name the file to read");
}

Plan makePlan(const Container& c, const std::string& format, char delimiter) {
    if (format == "liang")
        failAt(c.path().string(), 0,
               "is a Liang split; load it as a split (loadLiangSplit), not as a dataset");
    if (!c.primary().empty()) {
        const std::string& p = c.primary();
        if (c.kind() == Container::Kind::Folder && c.sizeOf(p) == 0)
            failAt(c.display(p), 0, "the file is empty");
        return {format == "auto" ? detectFile(c, p, delimiter) : format, {p}};
    }
    const auto require = [&](const std::string& base, const std::string& fmt) -> Plan {
        auto found = findByName(c, base);
        if (!found) failAt(c.path().string(), 0, "missing " + base);
        return {fmt, {*found}};
    };
    if (format == "auto") {
        static const std::pair<const char*, const char*> byName[] = {
            {"u.data", "ml100k"},        {"ratings.dat", "ml1m"},
            {"ratings.csv", "mlcsv"},    {"user_artists.dat", "lastfm"},
            {"train_triplets.txt", "msd"}};
        for (const auto& [base, fmt] : byName)
            if (auto found = findByName(c, base)) return {fmt, {*found}};
        if (auto files = netflixFiles(c); !files.empty()) return {"netflix", files};
        if (findByName(c, "train.csv") && findByName(c, "unique_sid.txt")) return {"liang", {}};
        for (const char* base : {"users.dat", "ratings.txt"})
            if (auto found = findByName(c, base)) return {detectFile(c, *found, delimiter), {*found}};
        const std::string one = singleDataFile(c);
        return {detectFile(c, one, delimiter), {one}};
    }
    if (format == "ml100k") return require("u.data", format);
    if (format == "ml1m") return require("ratings.dat", format);
    if (format == "mlcsv") return require("ratings.csv", format);
    if (format == "lastfm") return require("user_artists.dat", format);
    if (format == "netflix") {
        auto files = netflixFiles(c);
        if (files.empty()) failAt(c.path().string(), 0, "missing combined_data_1.txt");
        return {format, files};
    }
    if (format == "msd")
        if (auto found = findByName(c, "train_triplets.txt")) return {format, {*found}};
    if (format == "lines-count")
        if (auto found = findByName(c, "users.dat")) return {format, {*found}};
    return {format, {singleDataFile(c)}};
}

// ---------------------------------------------------------------------------------------------
// Interaction files

std::string tooLong(std::size_t maxLine) {
    return "the line is longer than " + binarySize(maxLine) + "; expected one record per line";
}

Segment segmentOf(const std::string& display, std::string_view data, bool skipHeader,
                  std::size_t maxLine) {
    data = skipUtf8Bom(data);
    if (!skipHeader) return {display, data, 1};
    const auto nl = data.find('\n');
    // A header too long to be one is refused, not skipped unread.
    if ((nl == std::string_view::npos ? data.size() : nl) > maxLine)
        failAt(display, 1, tooLong(maxLine));
    return {display, nl == std::string_view::npos ? std::string_view() : data.substr(nl + 1), 2};
}

// The first non-blank line (refused when longer than the line limit). Blank lines before it
// are passed over however many there are: each is checked against the limit on its own.
std::string_view firstNonBlankLine(const std::string& display, std::string_view data,
                                   std::size_t maxLine) {
    LineCursor cursor(data);
    std::string_view line;
    while (cursor.next(line)) {
        if (line.size() > maxLine) failAt(display, cursor.line(), tooLong(maxLine));
        if (!trim(line).empty()) return line;
    }
    return {};
}

// The first fields of a line as the parser sees them: quoted fields (RFC 4180) unquoted.
std::vector<std::string> leadingFields(std::string_view line, const Delim& d) {
    constexpr int kColumns = 64;  // every column index is below 32
    std::vector<std::string> out;
    if (d.kind == Delim::Kind::Char && line.find('"') != std::string_view::npos) {
        std::size_t pos = 0;
        std::int64_t spanned = 0;
        splitCsv(line, pos, d.c, out, spanned);
        if (out.size() > static_cast<std::size_t>(kColumns)) out.resize(kColumns);
        return out;
    }
    for (auto f : fieldsOf(line, d, kColumns)) out.emplace_back(f);
    return out;
}

bool firstLineIsHeader(std::string_view data, const Delim& d, int valueCol, int userCol,
                       std::size_t maxLine) {
    LineCursor cursor(data.substr(0, std::min(data.size(), 2 * maxLine + 2)));
    std::string_view l1, l2;
    if (!cursor.next(l1)) return false;
    const auto f1 = leadingFields(l1, d);
    // A rating of "nan" or "1e39" is data (refused with its line), not a column name.
    if (valueCol >= 0) return valueCol < static_cast<int>(f1.size()) && !looksNumeric(f1[valueCol]);
    if (userCol >= static_cast<int>(f1.size())) return false;
    const std::string u = lower(std::string(trim(f1[userCol])));
    if (u == "user" || u == "userid" || u == "user_id" || u == "uid") return true;
    if (isNumber(f1[userCol]) || !cursor.next(l2)) return false;
    const auto f2 = leadingFields(l2, d);
    return userCol < static_cast<int>(f2.size()) && isNumber(f2[userCol]);
}

Delim delimFromOption(char c) {
    if (c == ':') return Delim::doubleColon();
    return Delim::ch(c);
}

std::string columnName(int which) {
    switch (which) {
    case 0: return "user";
    case 1: return "item";
    case 2: return "rating";
    default: return "time";
    }
}

// ---------------------------------------------------------------------------------------------
// Metadata

struct Meta {
    std::unordered_map<std::string, ItemMeta> items;
    std::vector<std::string> genreNames;
    std::unordered_map<std::string, std::int32_t> genreIndex;
    // How malformed lines are treated (ReadOptions::skipBadLines, maxLineBytes).
    bool skip = false;
    std::size_t maxLine = SIZE_MAX;
    double memoryLimit = 0;  // ReadOptions::memoryLimit: also caps a compressed metadata file
    ReadReport* report = nullptr;

    std::int32_t genre(const std::string& name) {
        auto [it, added] = genreIndex.emplace(name, static_cast<std::int32_t>(genreNames.size()));
        if (added) genreNames.push_back(name);
        return it->second;
    }
    // A malformed line: fails, or, skipping bad lines, counts it (the caller goes on).
    void bad(const std::string& display, std::int64_t line, const std::string& message) {
        if (!skip) failAt(display, line, message);
        ++report->skippedLines;
        if (report->firstSkipped.size() < static_cast<std::size_t>(ReadReport::kExamples))
            report->firstSkipped.push_back(locate(display, line, message));
    }
    // False (after bad()) for a line over the limit.
    bool lengthOk(const std::string& display, std::int64_t line, std::string_view text) {
        if (text.size() <= maxLine) return true;
        bad(display, line, tooLong(maxLine));
        return false;
    }
    // Keeps the first record of an id (as for interactions).
    void add(const std::string& id, ItemMeta m) { items.emplace(id, std::move(m)); }
};

const std::vector<std::string>& ml100kGenres() {
    static const std::vector<std::string> names = {
        "unknown", "Action",  "Adventure", "Animation", "Children's", "Comedy",  "Crime",
        "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror",    "Musical", "Mystery",
        "Romance", "Sci-Fi",  "Thriller",  "War",       "Western"};
    return names;
}

// The bytes of a metadata file; text in it is converted field by field (toUtf8).
Blob readMetaFile(const Container& c, const std::string& file, const Meta& meta) {
    Blob blob = c.read(file, SIZE_MAX, {}, meta.memoryLimit);
    if (startsWithUtf16Bom(blob.view()))
        failAt(c.display(file), 0, "the file is UTF-16 text; save it as UTF-8 (or Latin-1)");
    return blob;
}

void readMl100kMeta(const Container& c, const std::string& dir, Meta& meta) {
    const std::string genreFile = joinName(dir, "u.genre");
    if (c.exists(genreFile)) {
        const std::string display = c.display(genreFile);
        const Blob blob = readMetaFile(c, genreFile, meta);
        LineCursor cursor(blob.view());
        std::string_view line;
        while (cursor.next(line)) {
            if (trim(line).empty() || !meta.lengthOk(display, cursor.line(), line)) continue;
            const auto f = fieldsOf(line, Delim::ch('|'), 3);
            if (f.size() != 2) {
                meta.bad(display, cursor.line(),
                         "expected 2 fields separated by '|' (genre name, index), found " +
                             std::to_string(fieldCount(line, Delim::ch('|'))));
                continue;
            }
            std::int64_t index;
            if (!parseInt(f[1], index) || index < 0 || index > 1000) {
                meta.bad(display, cursor.line(),
                         "genre index '" + excerpt(trim(f[1])) +
                             "' is not a whole number from 0 to 1000");
                continue;
            }
            if (meta.genreNames.size() <= static_cast<std::size_t>(index))
                meta.genreNames.resize(static_cast<std::size_t>(index) + 1);
            meta.genreNames[static_cast<std::size_t>(index)] = toUtf8(trim(f[0]));
        }
    }
    if (meta.genreNames.empty()) meta.genreNames = ml100kGenres();
    const std::string itemFile = joinName(dir, "u.item");
    if (!c.exists(itemFile)) return;
    const std::string display = c.display(itemFile);
    const Blob blob = readMetaFile(c, itemFile, meta);
    const std::size_t genres = meta.genreNames.size();
    const std::string expected = "expected " + std::to_string(5 + genres) +
                                 " fields separated by '|' (movie id, title, release date, video "
                                 "release date, IMDb URL and " +
                                 std::to_string(genres) + " genre flags), found ";
    LineCursor cursor(blob.view());
    std::string_view line;
    while (cursor.next(line)) {
        if (trim(line).empty() || !meta.lengthOk(display, cursor.line(), line)) continue;
        const int n = splitFields(line, Delim::ch('|'), nullptr, 0);
        if (n < 5 || static_cast<std::size_t>(n) > 5 + genres) {
            meta.bad(display, cursor.line(), expected + std::to_string(n));
            continue;
        }
        const auto f = fieldsOf(line, Delim::ch('|'));
        const std::string id(trim(f[0]));
        if (id.empty()) {
            meta.bad(display, cursor.line(), "movie id is empty");
            continue;
        }
        ItemMeta m;
        m.title = toUtf8(trim(f[1]));
        m.year = yearFromTitle(m.title);
        const std::string_view date = trim(f[2]);
        if (m.year == 0 && date.size() >= 4) {
            std::int64_t y;
            if (parseInt(date.substr(date.size() - 4), y) && y > 0 && y < 10000)
                m.year = static_cast<std::int32_t>(y);
        }
        for (std::size_t k = 5; k < f.size(); ++k)
            if (trim(f[k]) == "1") m.genres.push_back(static_cast<std::int32_t>(k - 5));
        meta.add(toUtf8(id), std::move(m));
    }
}

void addGenres(Meta& meta, ItemMeta& m, std::string_view genres) {
    genres = trim(genres);
    if (genres.empty() || genres == "(no genres listed)") return;
    for (auto g : fieldsOf(genres, Delim::ch('|'))) {
        g = trim(g);
        if (!g.empty()) m.genres.push_back(meta.genre(toUtf8(g)));
    }
}

void readMoviesDat(const Container& c, const std::string& file, Meta& meta) {
    const std::string display = c.display(file);
    const Blob blob = readMetaFile(c, file, meta);
    LineCursor cursor(blob.view());
    std::string_view line;
    while (cursor.next(line)) {
        if (trim(line).empty() || !meta.lengthOk(display, cursor.line(), line)) continue;
        // Titles may hold "::": the title is what lies between the first and the last.
        const auto a = line.find("::");
        const auto b = line.rfind("::");
        if (a == std::string_view::npos || a == b) {
            meta.bad(display, cursor.line(),
                     "expected 3 fields separated by '::' (MovieID::Title::Genres), found " +
                         std::to_string(a == std::string_view::npos ? 1 : 2));
            continue;
        }
        const std::string id(trim(line.substr(0, a)));
        if (id.empty()) {
            meta.bad(display, cursor.line(), "movie id is empty");
            continue;
        }
        ItemMeta m;
        m.title = toUtf8(trim(line.substr(a + 2, b - a - 2)));
        m.year = yearFromTitle(m.title);
        addGenres(meta, m, line.substr(b + 2));
        meta.add(toUtf8(id), std::move(m));
    }
}

void readMoviesCsv(const Container& c, const std::string& file, Meta& meta) {
    const std::string display = c.display(file);
    const Blob blob = readMetaFile(c, file, meta);
    const std::string_view text = blob.view();
    std::size_t pos = text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
    std::int64_t line = 0;
    std::vector<std::string> f;
    bool first = true;
    while (pos < text.size()) {
        const std::int64_t at = line + 1;
        const std::size_t start = pos;
        bool unterminated = false;
        splitCsv(text, pos, ',', f, line, &unterminated);
        if (unterminated) {
            // The rest of the file went into one field: nothing after can be trusted.
            meta.bad(display, at, "a quoted field is not closed (expected a closing '\"')");
            break;
        }
        if (pos - start > meta.maxLine) {
            meta.bad(display, at, tooLong(meta.maxLine));
            continue;
        }
        if (f.size() == 1 && trim(f[0]).empty()) continue;
        if (first) {
            first = false;
            if (!f.empty() && !isNumber(f[0])) continue;  // header movieId,title,genres
        }
        if (f.size() != 3) {
            meta.bad(display, at,
                     "expected 3 fields separated by ',' (movieId,title,genres), found " +
                         std::to_string(f.size()));
            continue;
        }
        const std::string id(trim(f[0]));
        if (id.empty()) {
            meta.bad(display, at, "movie id is empty");
            continue;
        }
        ItemMeta m;
        m.title = toUtf8(trim(f[1]));
        m.year = yearFromTitle(m.title);
        addGenres(meta, m, f[2]);
        meta.add(toUtf8(id), std::move(m));
    }
}

void readNetflixTitles(const Container& c, const std::string& file, Meta& meta) {
    const std::string display = c.display(file);
    const Blob blob = readMetaFile(c, file, meta);
    LineCursor cursor(blob.view());
    std::string_view line;
    while (cursor.next(line)) {
        if (trim(line).empty() || !meta.lengthOk(display, cursor.line(), line)) continue;
        // Titles may hold commas: the title is everything after the second.
        const auto a = line.find(',');
        const auto b = a == std::string_view::npos ? a : line.find(',', a + 1);
        if (b == std::string_view::npos) {
            meta.bad(display, cursor.line(),
                     "expected 3 fields separated by ',' (MovieID,YearOfRelease,Title), found " +
                         std::to_string(a == std::string_view::npos ? 1 : 2));
            continue;
        }
        const std::string id(trim(line.substr(0, a)));
        if (id.empty()) {
            meta.bad(display, cursor.line(), "movie id is empty");
            continue;
        }
        ItemMeta m;
        std::int64_t year;
        if (parseInt(line.substr(a + 1, b - a - 1), year) && year > 0 && year < 10000)
            m.year = static_cast<std::int32_t>(year);
        std::string_view title = trim(line.substr(b + 1));
        if (title.size() >= 2 && title.front() == '"' && title.back() == '"') {
            // A quoted title (RFC 4180): unquote it, doubled quotes become one.
            std::vector<std::string> parts;
            std::size_t pos = 0;
            std::int64_t spanned = 0;
            splitCsv(title, pos, '\0', parts, spanned);
            m.title = toUtf8(parts.empty() ? std::string_view() : std::string_view(parts[0]));
        } else {
            m.title = toUtf8(title);
        }
        meta.add(toUtf8(id), std::move(m));
    }
}

void readArtists(const Container& c, const std::string& file, Meta& meta) {
    const std::string display = c.display(file);
    const Blob blob = readMetaFile(c, file, meta);
    LineCursor cursor(blob.view());
    std::string_view line;
    bool first = true;
    while (cursor.next(line)) {
        if (trim(line).empty() || !meta.lengthOk(display, cursor.line(), line)) continue;
        const auto f = fieldsOf(line, Delim::ch('\t'), 4);
        if (first) {
            first = false;
            if (!f.empty() && !isNumber(f[0])) continue;  // header id name url pictureURL
        }
        if (f.size() < 2) {
            meta.bad(display, cursor.line(),
                     "expected at least 2 fields separated by tab (id, name, url, pictureURL), "
                     "found " + std::to_string(f.size()));
            continue;
        }
        ItemMeta m;
        m.title = toUtf8(trim(f[1]));
        meta.add(toUtf8(trim(f[0])), std::move(m));
    }
}

void attachMeta(Dataset& ds, Meta& meta) {
    ds.genreNames = std::move(meta.genreNames);
    ds.items.assign(ds.itemIds.size(), ItemMeta{});
    for (std::size_t k = 0; k < ds.itemIds.size(); ++k) {
        auto it = meta.items.find(ds.itemIds[k]);
        if (it != meta.items.end()) ds.items[k] = std::move(it->second);
    }
}

std::string datasetName(const std::string& format, const Container& c, const std::string& file) {
    if (format == "ml100k") return "MovieLens 100K";
    if (format == "netflix") return "Netflix Prize";
    if (format == "msd") return "Million Song Dataset taste profile";
    if (format == "lastfm") return "Last.fm HetRec 2011";
    if (format == "ml1m" || format == "mlcsv") {
        // The folder (or archive) name tells which release it is: ml-1m, ml-10M100K, ml-20m...
        std::string stem;
        const std::string dir = dirName(file);
        if (!dir.empty()) stem = baseName(dir);
        else if (c.kind() == Container::Kind::Folder) stem = c.path().filename().string();
        else stem = c.path().stem().string();
        if (endsWith(stem, ".tar")) stem.resize(stem.size() - 4);
        const std::string s = lower(stem);
        static const std::pair<const char*, const char*> known[] = {
            {"ml-1m", "MovieLens 1M"},     {"ml-10m100k", "MovieLens 10M"},
            {"ml-10m", "MovieLens 10M"},   {"ml-20m", "MovieLens 20M"},
            {"ml-25m", "MovieLens 25M"},   {"ml-32m", "MovieLens 32M"},
            {"ml-latest-small", "MovieLens latest (small)"},
            {"ml-latest", "MovieLens latest"}};
        for (const auto& [k, v] : known)
            if (s == k) return v;
        return stem.empty() ? "MovieLens" : "MovieLens (" + stem + ")";
    }
    return baseName(file);
}

// Typical bytes of text per interaction record, per format (from the real files: ML-100K
// u.data 19.8, ML-1M 24.6, ML-20M ratings.csv 26.6, Netflix about 21, MSD triplets 60,
// Last.fm 14, CiteULike users.dat 5.3, FilmTrust 10.6).
double bytesPerRecord(const std::string& format) {
    if (format == "ml100k") return 20;
    if (format == "ml1m") return 24;
    if (format == "mlcsv") return 26;
    if (format == "netflix") return 21;
    if (format == "msd") return 60;
    if (format == "lastfm") return 14;
    if (format == "lines" || format == "lines-count") return 5;
    return 10;  // delimited
}

// Compressed text of unknown size is guessed to be this many times larger.
constexpr double kGuessedRatio = 4;

MemoryEstimate estimateFor(const Container& c, const Plan& plan, const ReadOptions& o) {
    MemoryEstimate e;
    e.format = plan.format;
    e.inputInMemory = c.kind() != Container::Kind::Folder;  // plain files are mapped
    std::uint64_t packed = 0;
    if (e.inputInMemory) {
        std::error_code ec;
        packed = std::filesystem::file_size(c.path(), ec);
        if (ec) packed = 0;
    }
    for (const auto& file : plan.files) {
        std::uint64_t size = c.kind() == Container::Kind::Compressed ? 0 : c.sizeOf(file);
        if (size == 0 && e.inputInMemory) {
            size = static_cast<std::uint64_t>(static_cast<double>(packed) * kGuessedRatio /
                                              static_cast<double>(plan.files.size()));
            e.inputSizeKnown = false;
        }
        e.inputBytes += size;
    }
    const double records = static_cast<double>(e.inputBytes) / bytesPerRecord(plan.format);
    e.interactions = static_cast<std::int64_t>(records);
    // While parsing: user, item (and value) per record in the chunks; then the CSR's column
    // and value (the chunks are freed as it fills); the file order when kept.
    const bool values = plan.format != "lines" && plan.format != "lines-count";
    const double perRecord = (values ? 12.0 : 8.0) + 8.0 + (o.keepFileOrder ? 12.0 : 0.0);
    e.bytes = (e.inputInMemory ? static_cast<double>(e.inputBytes) : 0.0) + records * perRecord;
    e.machine = physicalMemoryBytes();
    e.limit = o.memoryLimit > 0 ? o.memoryLimit : 0.9 * e.machine;
    return e;
}

[[noreturn]] void refuseMemory(const std::string& display, const MemoryEstimate& e,
                               const ReadOptions& o) {
    std::string message = "needs about " + formatBytes(e.bytes) + " of memory to read (estimated from " +
                          (e.inputSizeKnown ? "its size" : "its compressed size") + "); ";
    if (o.memoryLimit > 0) message += "the memory limit is " + formatBytes(o.memoryLimit);
    else message += "this machine has " + formatBytes(e.machine);
    failAt(display, 0, message);
}

}  // namespace

std::string ReadReport::skippedSummary() const {
    if (skippedLines == 0) return {};
    std::string s = "skipped " + std::to_string(skippedLines) + " malformed line" +
                    (skippedLines == 1 ? "" : "s");
    if (!firstSkipped.empty()) s += " (first: " + firstSkipped.front() + ")";
    return s;
}

std::string ReadReport::duplicatesSummary() const {
    if (duplicates == 0) return {};
    return std::to_string(duplicates) + " repeated (user, item) pair" +
           (duplicates == 1 ? "" : "s") + ": the first of each kept";
}

std::string MemoryEstimate::describe() const {
    std::string s = "about " + formatBytes(bytes) + " of memory";
    if (machine > 0) s += " (this machine has " + formatBytes(machine) + ")";
    return s;
}

std::vector<std::string> formatIds() { return knownFormats(); }

MemoryEstimate estimateDatasetMemory(const std::filesystem::path& path, const ReadOptions& options) {
    checkFormatId(options.format);
    if (options.format == "liang" || (options.format == "auto" && isLiangSplitFolder(path))) {
        MemoryEstimate e = estimateLiangSplitMemory(path);
        if (options.memoryLimit > 0) e.limit = options.memoryLimit;
        return e;
    }
    const Container c = Container::open(path);
    const Plan plan = makePlan(c, options.format, options.delimiter);
    if (plan.format == "liang" || plan.files.empty()) {
        MemoryEstimate e = estimateLiangSplitMemory(path);
        if (options.memoryLimit > 0) e.limit = options.memoryLimit;
        return e;
    }
    return estimateFor(c, plan, options);
}

std::string detectFormat(const std::filesystem::path& path) {
    const Container c = Container::open(path);
    return makePlan(c, "auto", 0).format;
}

Dataset readDataset(const std::filesystem::path& path, const ReadOptions& options) {
    checkFormatId(options.format);
    const Container c = Container::open(path);
    const Plan plan = makePlan(c, options.format, options.delimiter);
    if (plan.format == "liang" || plan.files.empty())
        failAt(path.string(), 0,
               "is a Liang split; load it as a split (loadLiangSplit), not as a dataset");
    const std::string& main = plan.files.front();
    const std::string mainDisplay = c.display(main);
    const std::size_t maxLine = std::max<std::size_t>(options.maxLineBytes, 1);

    // Before anything is read: will it fit?
    const MemoryEstimate estimate = estimateFor(c, plan, options);
    if (options.onEstimate) options.onEstimate(estimate);
    if (estimate.exceedsLimit())
        refuseMemory(c.kind() == Container::Kind::Folder ? mainDisplay : path.string(), estimate,
                     options);

    Dataset ds;
    ds.source = path.string();
    ds.format = plan.format;
    ds.name = toUtf8(datasetName(plan.format, c, main));
    ds.readReport.memoryEstimate = estimate.bytes;

    std::vector<Blob> blobs;
    if (plan.files.size() == 1)
        blobs.push_back(c.read(main, SIZE_MAX, options.progress, options.memoryLimit));
    else
        blobs = c.readMany(plan.files, options.memoryLimit);
    for (std::size_t k = 0; k < blobs.size(); ++k) checkStart(c.display(plan.files[k]), blobs[k].view());

    LineFormat lf;
    std::vector<Segment> segments;
    const std::string_view data = blobs.front().view();
    const std::string& f = plan.format;
    if (f == "ml100k" || f == "ml1m" || f == "mlcsv" || f == "lastfm" || f == "msd") {
        lf.kind = LineFormat::Kind::Fields;
        lf.userCol = 0;
        lf.itemCol = 1;
        lf.valueCol = 2;
        if (f == "ml100k") {
            lf.delim = Delim::ch('\t');
            lf.fieldCount = 4;
            lf.fieldNames = "user, item, rating, timestamp";
        } else if (f == "ml1m") {
            lf.delim = Delim::doubleColon();
            lf.fieldCount = 4;
            lf.fieldNames = "UserID::MovieID::Rating::Timestamp";
        } else if (f == "mlcsv") {
            lf.delim = Delim::ch(',');
            lf.fieldCount = 4;
            lf.fieldNames = "userId,movieId,rating,timestamp";
        } else {
            lf.delim = Delim::ch('\t');
            lf.fieldCount = 3;
            lf.valueName = f == "msd" ? "count" : "weight";
            lf.fieldNames = f == "msd" ? "user, song, count" : "userID, artistID, weight";
            lf.textUsers = lf.textItems = f == "msd";
        }
        ds.feedback = (f == "lastfm" || f == "msd") ? Feedback::Counts : Feedback::Ratings;
        // u.data and ratings.dat never have a header; ratings.csv and user_artists.dat do.
        const bool header = (f == "mlcsv" || f == "lastfm" || f == "msd") &&
                            firstLineIsHeader(data, lf.delim, 2, 0, maxLine);
        segments.push_back(segmentOf(mainDisplay, data, header, maxLine));
    } else if (f == "netflix") {
        lf.kind = LineFormat::Kind::Netflix;
        ds.feedback = Feedback::Ratings;
        for (std::size_t k = 0; k < blobs.size(); ++k)
            segments.push_back(
                segmentOf(c.display(plan.files[k]), blobs[k].view(), false, maxLine));
    } else if (f == "lines" || f == "lines-count") {
        lf.kind = f == "lines" ? LineFormat::Kind::Lines : LineFormat::Kind::LinesCount;
        ds.feedback = Feedback::Binary;
        segments.push_back(segmentOf(mainDisplay, data, false, maxLine));
    } else {  // delimited
        lf.kind = LineFormat::Kind::Fields;
        lf.fieldNames = "as on the first line";
        const std::string_view first = firstNonBlankLine(mainDisplay, data, maxLine);
        if (trim(first).empty()) failAt(mainDisplay, 0, "contains no interactions");
        if (options.delimiter != 0) {
            lf.delim = delimFromOption(options.delimiter);
        } else {
            LineCursor cursor(data.substr(0, std::min<std::size_t>(data.size(), 64 << 10)));
            std::string_view line;
            std::vector<std::string> lines;
            while (cursor.next(line) && lines.size() < 201)
                if (!trim(line).empty()) lines.emplace_back(line);
            if (lines.size() > 1 && data.size() > (64 << 10)) lines.pop_back();  // may be cut
            auto d = detectDelimiter(lines, true);
            if (!d) d = mostlyDelimiter(lines, true);
            if (!d) failAt(mainDisplay, 0,
                           "cannot find the field delimiter (tried tab, ',', ';', '|', '::' "
                           "and spaces); set it");
            lf.delim = *d;
        }
        lf.userCol = options.userColumn;
        lf.itemCol = options.itemColumn;
        lf.valueCol = options.ratingColumn;
        lf.fieldCount = fieldCount(first, lf.delim);
        const int cols[] = {options.userColumn, options.itemColumn, options.ratingColumn,
                            options.timeColumn};
        for (int k = 0; k < 4; ++k) {
            // Options, not file content, but named with the file they were meant for: opening a
            // project reads them from project.json and the message must say which data it was.
            if (cols[k] < (k >= 2 ? -1 : 0) || cols[k] >= 32)
                failAt(mainDisplay, 0,
                       "the " + columnName(k) + " column is " + std::to_string(cols[k]) +
                           "; expected " + (k >= 2 ? "-1 (none) to 31" : "0 to 31") +
                           " (counting from 0)");
            if (cols[k] >= lf.fieldCount)
                failAt(mainDisplay, 1,
                       "the " + columnName(k) + " column is " + std::to_string(cols[k]) +
                           " (counting from 0) but the line has " +
                           std::to_string(lf.fieldCount) + " fields separated by " +
                           lf.delim.describe());
        }
        if (lf.userCol == lf.itemCol)
            failAt(mainDisplay, 0,
                   "the user and item columns are both " + std::to_string(lf.userCol) +
                       "; they must differ");
        const bool header =
            options.header.has_value()
                ? *options.header
                : firstLineIsHeader(data, lf.delim, lf.valueCol, lf.userCol, maxLine);
        ds.feedback = lf.valueCol >= 0 ? Feedback::Ratings : Feedback::Binary;
        segments.push_back(segmentOf(mainDisplay, data, header, maxLine));
    }

    ParseLimits limits;
    limits.skipBadLines = options.skipBadLines;
    limits.maxLineBytes = maxLine;
    limits.minChunkBytes = options.minChunkBytes;
    Triplets t = parseTriplets(segments, lf, options.progress, options.threads,
                               options.keepFileOrder, limits);
    ReadReport& report = ds.readReport;
    report.records = t.records;
    report.skippedLines = t.skipped;
    report.firstSkipped = std::move(t.firstSkipped);
    report.duplicates = t.duplicates;
    if (t.records == 0)
        failAt(mainDisplay, 0,
               "contains no interactions" +
                   (report.skippedLines > 0 ? ": " + report.skippedSummary() : std::string()));
    ds.userIds = std::move(t.userIds);
    ds.itemIds = std::move(t.itemIds);
    ds.interactions = std::move(t.matrix);
    ds.fileOrder = std::move(t.order);
    blobs.clear();

    // Item metadata beside the interaction file.
    const std::string dir = dirName(main);
    Meta meta;
    meta.skip = options.skipBadLines;
    meta.maxLine = maxLine;
    meta.memoryLimit = options.memoryLimit;
    meta.report = &report;
    bool haveMeta = false;
    auto metaFile = [&](const std::string& base) -> std::optional<std::string> {
        const std::string name = joinName(dir, base);
        if (c.kind() != Container::Kind::Compressed && c.exists(name)) return name;
        return std::nullopt;
    };
    if (f == "ml100k") {
        if (metaFile("u.item")) {
            readMl100kMeta(c, dir, meta);
            haveMeta = true;
        }
    } else if (f == "ml1m") {
        if (auto file = metaFile("movies.dat")) {
            readMoviesDat(c, *file, meta);
            haveMeta = true;
        }
    } else if (f == "mlcsv") {
        if (auto file = metaFile("movies.csv")) {
            readMoviesCsv(c, *file, meta);
            haveMeta = true;
        }
    } else if (f == "netflix") {
        std::optional<std::string> file = metaFile("movie_titles.csv");
        if (!file && !dir.empty() && c.kind() != Container::Kind::Compressed) {
            const std::string up = joinName(dirName(dir), "movie_titles.csv");
            if (c.exists(up)) file = up;
        }
        if (file) {
            readNetflixTitles(c, *file, meta);
            haveMeta = true;
        }
    } else if (f == "lastfm") {
        if (auto file = metaFile("artists.dat")) {
            readArtists(c, *file, meta);
            haveMeta = true;
        }
    }
    if (haveMeta) attachMeta(ds, meta);
    return ds;
}

}  // namespace vaecf::core
