// SPDX-License-Identifier: MIT
// Shared by the fuzz harnesses: the input read as a few control bytes then one or more files,
// a private scratch folder in memory (/dev/shm) to write them to, and invariant checks that
// abort (a finding) when a reader returns something inconsistent instead of failing.
#pragma once

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "vaecf/csr.h"
#include "vaecf/dataset.h"
#include "vaecf/split.h"

namespace vaecf::fuzz {

namespace fs = std::filesystem;

// Separates the files of a multi-file input (each target's dictionary holds it).
inline constexpr std::string_view kFileSeparator = "\n%%\n";

class Input {
public:
    Input(const std::uint8_t* data, std::size_t size)
        : m_rest(reinterpret_cast<const char*>(data), size) {}

    // The next control byte (0 once the input is used up).
    std::uint8_t byte() {
        if (m_rest.empty()) return 0;
        const auto b = static_cast<std::uint8_t>(m_rest.front());
        m_rest.remove_prefix(1);
        return b;
    }
    std::string_view rest() const { return m_rest; }

    // The rest cut at each separator into at most maxParts files (the last keeps any further
    // separators); always at least one part.
    std::vector<std::string_view> parts(std::size_t maxParts) const {
        std::vector<std::string_view> out;
        std::string_view s = m_rest;
        while (out.size() + 1 < maxParts) {
            const auto at = s.find(kFileSeparator);
            if (at == std::string_view::npos) break;
            out.push_back(s.substr(0, at));
            s.remove_prefix(at + kFileSeparator.size());
        }
        out.push_back(s);
        return out;
    }

private:
    std::string_view m_rest;
};

[[noreturn]] inline void broken(const std::string& what) {
    std::fprintf(stderr, "fuzz: invariant broken: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

inline void check(bool ok, const char* what) {
    if (!ok) broken(what);
}

// A reader refused the input with Error, as it should: its message must say something.
// VAECF_FUZZ_VERBOSE=1 prints it (to see what a regression input gives).
inline void refused(const std::exception& e) {
    static const bool verbose = std::getenv("VAECF_FUZZ_VERBOSE") != nullptr;
    if (verbose) std::fprintf(stderr, "refused: %s\n", e.what());
    check(std::strlen(e.what()) > 0, "error messages are not empty");
}

// This process's scratch folder: in memory where /dev/shm exists. The process id is padded
// to a fixed width: paths of one length whatever the id, so that the same input takes the
// same branches in every process (campaign.py --late compares replays).
inline const fs::path& scratchRoot() {
    static const fs::path root = [] {
        std::error_code ec;
        const fs::path base = fs::is_directory("/dev/shm", ec) ? fs::path("/dev/shm")
                                                               : fs::temp_directory_path();
        char name[32];
        std::snprintf(name, sizeof name, "vaecf-fuzz-%010ld", static_cast<long>(::getpid()));
        return base / name;
    }();
    return root;
}

// The scratch folder of one input: empty at first, removed when the input is done (libFuzzer
// leaves with _Exit, so nothing at exit would run).
class Scratch {
public:
    Scratch() {
        std::error_code ec;
        fs::remove_all(scratchRoot(), ec);
        fs::create_directories(scratchRoot(), ec);
        if (ec) broken("cannot create the scratch folder " + scratchRoot().string() + ": " +
                       ec.message());
    }
    ~Scratch() {
        std::error_code ec;
        fs::remove_all(scratchRoot(), ec);
    }
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    const fs::path& path() const { return scratchRoot(); }
    fs::path operator/(const std::string& name) const { return scratchRoot() / name; }
};

inline void writeFile(const fs::path& path, std::string_view bytes) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) broken("cannot write " + path.string());
}

// Overwrites the last 4 bytes with the CRC-32 of the others, as model files end, so that
// mutations reach the parser behind the checksum.
inline std::string withCrc(std::string_view bytes) {
    std::string out(bytes);
    if (out.size() < 4) return out;
    const uLong c = crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(out.data()),
                          static_cast<uInt>(out.size() - 4));
    const auto v = static_cast<std::uint32_t>(c);
    std::memcpy(out.data() + out.size() - 4, &v, 4);  // little-endian hosts only, as the format
    return out;
}

// A well-formed CSR matrix: rows + 1 ascending offsets, columns in range and strictly
// ascending within a row (no duplicates), finite values.
inline void checkCsr(const core::CsrMatrix& m, const std::string& what) {
    if (m.rows < 0 || m.cols < 0) broken(what + ": negative shape");
    if (m.indptr.size() != static_cast<std::size_t>(m.rows) + 1 || m.indptr.front() != 0)
        broken(what + ": indptr does not hold rows + 1 offsets from 0");
    if (static_cast<std::size_t>(m.indptr.back()) != m.indices.size() ||
        m.indices.size() != m.values.size())
        broken(what + ": indptr, indices and values disagree on the count");
    for (std::int64_t r = 0; r < m.rows; ++r) {
        if (m.indptr[r + 1] < m.indptr[r]) broken(what + ": indptr goes down");
        for (std::int64_t k = m.indptr[r]; k < m.indptr[r + 1]; ++k) {
            const auto c = m.indices[static_cast<std::size_t>(k)];
            if (c < 0 || c >= m.cols) broken(what + ": column out of range");
            if (k > m.indptr[r] && c <= m.indices[static_cast<std::size_t>(k - 1)])
                broken(what + ": columns not strictly ascending within a row");
            if (!std::isfinite(m.values[static_cast<std::size_t>(k)]))
                broken(what + ": value not finite");
        }
    }
}

// A dataset readDataset() returned: a well-formed matrix, one non-empty id per user and item,
// metadata for none or every item with genres in range, and, when the file order was kept
// (ReadOptions::keepFileOrder), an order entry for every stored interaction, in range.
inline void checkDataset(const core::Dataset& ds, bool keepOrder) {
    checkCsr(ds.interactions, "interactions");
    check(ds.userIds.size() == static_cast<std::size_t>(ds.numUsers()), "one id per user");
    check(ds.itemIds.size() == static_cast<std::size_t>(ds.numItems()), "one id per item");
    check(ds.numInteractions() > 0, "a dataset read without error has interactions");
    check(ds.items.empty() || ds.items.size() == ds.itemIds.size(),
          "metadata: none or one per item");
    for (const auto& m : ds.items)
        for (auto g : m.genres)
            check(g >= 0 && static_cast<std::size_t>(g) < ds.genreNames.size(),
                  "genre index in range");
    for (const auto& id : ds.itemIds) check(!id.empty(), "item ids are not empty");
    for (const auto& id : ds.userIds) check(!id.empty(), "user ids are not empty");
    if (keepOrder) {
        const auto& o = ds.fileOrder;
        check(o.users.size() == o.items.size(), "file order: as many users as items");
        check(o.users.size() >= static_cast<std::size_t>(ds.numInteractions()),
              "file order: every stored interaction");
        for (std::size_t k = 0; k < o.users.size(); ++k)
            check(o.users[k] >= 0 && o.users[k] < ds.numUsers() && o.items[k] >= 0 &&
                      o.items[k] < ds.numItems(),
                  "file order in range");
    }
}

// The dataset's read report agrees with it: lines skipped only with ReadOptions::skipBadLines,
// the first kExamples of them described, summaries exactly when something was skipped or
// repeated, and every record either stored or counted as a repeated pair.
inline void checkReport(const core::Dataset& ds, bool skipBadLines) {
    const core::ReadReport& r = ds.readReport;
    check(r.skippedLines >= 0 && (skipBadLines || r.skippedLines == 0),
          "lines are skipped only when asked to");
    check(r.firstSkipped.size() ==
              static_cast<std::size_t>(
                  std::min<std::int64_t>(r.skippedLines, core::ReadReport::kExamples)),
          "the first skipped lines are kept, up to kExamples");
    for (const auto& m : r.firstSkipped) check(!m.empty(), "skipped-line messages say something");
    check(r.skippedSummary().empty() == (r.skippedLines == 0), "a summary when lines were skipped");
    check(r.duplicates >= 0 && r.records - r.duplicates == ds.numInteractions(),
          "records = stored interactions + repeated pairs");
    check(r.duplicatesSummary().empty() == (r.duplicates == 0),
          "a summary when pairs were repeated");
}

// A held-out part of a split: fold-in and held-out matrices well formed, of one shape.
inline void checkHeldOut(const core::HeldOut& h, std::int64_t items, const char* what) {
    checkCsr(h.foldIn, std::string(what) + " fold-in");
    checkCsr(h.heldOut, std::string(what) + " held-out");
    check(h.foldIn.rows == h.heldOut.rows, "fold-in and held-out rows agree");
    check(h.foldIn.cols == items && h.heldOut.cols == items, "held-out parts: every item");
    check(h.userIds.size() == static_cast<std::size_t>(h.foldIn.rows), "one id per row");
}

// A split's matrices well formed, with one id per row and every item in each.
inline void checkSplit(const core::Split& s) {
    const auto items = static_cast<std::int64_t>(s.itemIds.size());
    checkCsr(s.train, "train");
    check(s.train.cols == items, "train: every item");
    check(s.trainUserIds.size() == static_cast<std::size_t>(s.train.rows), "one id per train row");
    checkHeldOut(s.validation, items, "validation");
    checkHeldOut(s.test, items, "test");
}

// The entries of a split's five matrices.
inline std::int64_t splitNnz(const core::Split& s) {
    return s.train.nnz() + s.validation.foldIn.nnz() + s.validation.heldOut.nnz() +
           s.test.foldIn.nnz() + s.test.heldOut.nnz();
}

}  // namespace vaecf::fuzz
