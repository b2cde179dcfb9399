// SPDX-License-Identifier: MIT
// Interaction datasets: users and items with their original ids and dense indices, the
// interactions as a CSR matrix (users x items), and optional item metadata.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "vaecf/csr.h"

namespace vaecf::core {

struct ItemMeta {
    std::string title;              // empty when unknown
    std::vector<std::int32_t> genres;  // indices into Dataset::genreNames
    std::int32_t year = 0;          // 0 when unknown
};

enum class Feedback {
    Ratings,  // explicit stars: values are ratings
    Counts,   // play or click counts: values are counts
    Binary,   // implicit 0/1: values are 1
};

// The order of the interactions in the source file, as (user row, item column) pairs of the
// dataset. The split depends on it twice: the item vocabulary is numbered in order of first
// appearance, and each held-out user's items are drawn from in this order. A Dataset keeps
// only the CSR (items sorted by column within a user), so by default the "source order" is
// that CSR order: users by row, items by column. Pairs that the dataset lacks (filtered out)
// are skipped, repeats keep their first position, and stored pairs missing here follow at
// the end in CSR order.
struct InteractionOrder {
    std::vector<std::int64_t> users;  // user row of each interaction, in file order
    std::vector<std::int32_t> items;  // item column, same length
};

// What reading found besides the interactions: lines left out, repeated pairs, the memory
// estimate made before reading. Filled by readDataset().
struct ReadReport {
    static constexpr int kExamples = 5;     // messages kept of the skipped lines
    std::int64_t records = 0;               // interaction records read, repeats included
    std::int64_t skippedLines = 0;          // malformed lines left out (ReadOptions::skipBadLines)
    std::vector<std::string> firstSkipped;  // "file:line: reason" of the first kExamples of them
    std::int64_t duplicates = 0;            // repeated (user, item) pairs; the first of each kept
    double memoryEstimate = 0;              // bytes reading was estimated to need (0: unknown)

    // "skipped 3 malformed lines (first: u.data:17: rating 'x' is not a number)", or "" when
    // none was skipped.
    std::string skippedSummary() const;
    // "2 repeated (user, item) pairs: the first of each kept", or "" when there are none.
    std::string duplicatesSummary() const;
};

struct Dataset {
    std::string name;                 // e.g. "MovieLens 100K" or the file name
    std::string source;               // the path it was read from
    std::string format;               // id of the reader that read it (see formatIds())
    Feedback feedback = Feedback::Binary;
    std::vector<std::string> userIds; // original id of user row u
    std::vector<std::string> itemIds; // original id of item column i
    CsrMatrix interactions;           // users x items; duplicate pairs keep the first occurrence
    std::vector<std::string> genreNames;
    std::vector<ItemMeta> items;      // empty, or one entry per item column
    // The interactions in file order, duplicates included (only with
    // ReadOptions::keepFileOrder; preprocess() keeps it in step with the rows and columns).
    InteractionOrder fileOrder;
    ReadReport readReport;            // skipped lines, repeated pairs, memory estimate

    std::int64_t numUsers() const { return interactions.rows; }
    std::int64_t numItems() const { return interactions.cols; }
    std::int64_t numInteractions() const { return interactions.nnz(); }
    bool hasMetadata() const { return !items.empty(); }
};

// Known formats. "auto" detects from the path (folder content, file names, first lines).
//   ml100k     u.data (+ u.item, u.genre beside it)
//   ml1m       ratings.dat (+ movies.dat), "::"-separated, Latin-1 (MovieLens 1M/10M)
//   mlcsv      ratings.csv (+ movies.csv) with header (MovieLens 20M/25M/latest)
//   netflix    combined_data_N.txt files ("MovieID:" lines, then CustomerID,Rating,Date)
//              (+ movie_titles.csv)
//   msd        Million Song Dataset taste profile: user<TAB>song<TAB>count
//   lines      one line per user: "user item item ..."
//   lines-count  CiteULike variant: line k is user k: "count item item ..."
//   delimited  generic delimited file (see ReadOptions)
//   liang      a Liang split folder: read it with loadLiangSplit() (split.h) instead
std::vector<std::string> formatIds();

// What reading a dataset is estimated to take, from the sizes of its files (an archive's
// uncompressed sizes where it records them), before anything is read.
struct MemoryEstimate {
    std::string format;             // the format the estimate assumed
    std::uint64_t inputBytes = 0;   // bytes of the interaction files, uncompressed
    bool inputSizeKnown = true;     // false: compressed without a recorded size (guessed)
    bool inputInMemory = false;     // decompressed into memory (archives, compressed files)
    std::int64_t interactions = 0;  // estimated interaction records
    double bytes = 0;               // estimated peak memory of reading
    double machine = 0;             // physical memory of this machine (0: unknown)
    double limit = 0;               // ReadOptions::memoryLimit, or 90 % of `machine` (0: none)
    // "about 1.2 GB of memory (this machine has 16.0 GB)".
    std::string describe() const;
    bool exceedsLimit() const { return limit > 0 && bytes > limit; }
};

struct ReadOptions {
    std::string format = "auto";
    // Generic delimited files.
    char delimiter = 0;         // 0: detect (tab, comma, semicolon, '|', "::", space)
    std::optional<bool> header; // unset: detect
    int userColumn = 0;         // 0-based column indices
    int itemColumn = 1;
    int ratingColumn = 2;       // -1: none (implicit)
    int timeColumn = -1;        // -1: none
    // Called now and then with (bytes read, total bytes or 0 when unknown); return false
    // to cancel (the reader then fails with "cancelled").
    std::function<bool(std::uint64_t, std::uint64_t)> progress;
    int threads = 0;            // 0: all
    // Keep the interactions' file order in Dataset::fileOrder (12 bytes per interaction):
    // the Liang split depends on it (item numbering, each user's items for the held-out draw).
    bool keepFileOrder = false;
    // Leave malformed lines out (counted, with the first messages, in Dataset::readReport)
    // instead of failing at the first one. Applies to the interaction files and the metadata
    // files of every line-based format.
    bool skipBadLines = false;
    // Lines longer than this are malformed ("line longer than 64 MiB"); they are never copied.
    std::size_t maxLineBytes = std::size_t(64) << 20;
    // The interaction files are parsed in chunks (cut at line ends) of at least this many
    // bytes, spread over the threads. The result is the same for any size; small values only
    // let tests and fuzzers reach chunk boundaries with small files.
    std::size_t minChunkBytes = std::size_t(256) << 10;
    // Memory that reading may take, in bytes; 0: 90 % of this machine's physical memory.
    // readDataset() refuses, before reading, a dataset estimated to need more.
    double memoryLimit = 0;
    // Called once with the estimate, before it is checked and before anything is read.
    std::function<void(const MemoryEstimate&)> onEstimate;
};

// Estimates the memory readDataset(path, options) needs, reading only archive listings and
// the first 64 KiB of the interaction file (to detect the format). Throws Error like
// readDataset() when the path cannot be read.
MemoryEstimate estimateDatasetMemory(const std::filesystem::path& path,
                                     const ReadOptions& options = {});

// Reads a file, a folder or an archive (.zip, .gz, .xz, .bz2, .tar.*) in any known format.
// Throws Error naming the file and line of the first malformed record ("u.data:17: expected
// 4 fields separated by tab (user, item, rating, timestamp), found 3"; members of archives as
// "archive.zip:ml-100k/u.data"), "the file is empty", or, before reading anything, "needs
// about X of memory, more than this machine's Y" when the estimate exceeds the limit.
// Text read from the files (ids, titles, genres) is valid UTF-8: bytes that are not are read
// as Latin-1. A UTF-8 byte-order mark and CRLF line ends are accepted everywhere.
Dataset readDataset(const std::filesystem::path& path, const ReadOptions& options = {});

// The format id "auto" would pick for this path, or throws Error saying why none fits.
std::string detectFormat(const std::filesystem::path& path);

struct PreprocessOptions {
    // Keep interactions whose value is > ratingThreshold (Liang: > 3.5). Applied to Ratings
    // only unless applyThresholdToCounts; NaN keeps every interaction.
    double ratingThreshold = 3.5;
    bool applyThresholdToCounts = false;
    int minUserInteractions = 5;   // users with fewer (after the threshold) are dropped
    int minItemInteractions = 0;   // items with fewer are dropped (before the user filter)
    bool binarize = true;          // values become 1
};

struct PreprocessReport {
    std::int64_t usersIn = 0, itemsIn = 0, interactionsIn = 0;
    std::int64_t belowThreshold = 0, usersDropped = 0, itemsDropped = 0;
    std::int64_t usersOut = 0, itemsOut = 0, interactionsOut = 0;
};

// Threshold, item filter then user filter, as Liang's filter_triplets (min_sc then min_uc).
// Users and items keep their relative order; metadata follows its items.
Dataset preprocess(const Dataset& in, const PreprocessOptions& options,
                   PreprocessReport* report = nullptr);

}  // namespace vaecf::core
