// SPDX-License-Identifier: MIT
// Private to the readers: the fast path shared by every line-oriented format. The input is cut
// into chunks at line ends and parsed in parallel (oneTBB); each chunk numbers its own users
// and items in order of first appearance, and the chunks are then merged in file order, so the
// result is exactly what a sequential read gives: user rows and item columns in order of first
// appearance, duplicate (user, item) pairs keeping their first value.
//
// Ids stay text in the result, but while parsing a column whose ids are all canonical
// unsigned integers ("0", "17"; no sign, no leading zero) they are hashed as integers; the
// first id that is not makes that column start over as text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "archive_input.h"
#include "reader_text.h"
#include "vaecf/csr.h"
#include "vaecf/dataset.h"

namespace vaecf::core::detail {

struct LineFormat {
    enum class Kind {
        Fields,      // one interaction per line: user, item [, value] in fixed columns
        Netflix,     // "MovieID:" lines, then "CustomerID,Rating,Date" lines
        Lines,       // "user item item ...", whitespace separated
        LinesCount,  // line k is user k: "count item item ..."
    };
    Kind kind = Kind::Fields;
    Delim delim;
    int fieldCount = 3;  // Fields: the exact number of fields of every line
    int userCol = 0;
    int itemCol = 1;
    int valueCol = -1;   // -1: implicit, every value is 1
    std::string valueName = "rating";
    std::string fieldNames;  // Fields: what the fields are, for messages ("user, item, rating")
    bool textUsers = false;  // ids known not to be numbers (start as text)
    bool textItems = false;
};

// Part of one file to parse: data (a header already skipped) whose first line is firstLine.
struct Segment {
    std::string display;  // file name for messages
    std::string_view data;
    std::int64_t firstLine = 1;
};

struct Triplets {
    std::vector<std::string> userIds;
    std::vector<std::string> itemIds;
    CsrMatrix matrix;
    std::int64_t records = 0;  // interactions read, duplicates included
    InteractionOrder order;    // (row, col) in file order, when asked for
    std::int64_t duplicates = 0;  // repeated (user, item) pairs dropped (the first kept)
    std::int64_t skipped = 0;     // malformed lines left out (skipBadLines)
    std::vector<std::string> firstSkipped;  // "file:line: message" of the first few, in file order
};

struct ParseLimits {
    bool skipBadLines = false;  // leave malformed lines out (counted) instead of failing
    std::size_t maxLineBytes = std::size_t(64) << 20;  // longer lines are malformed
    std::size_t minChunkBytes = std::size_t(256) << 10;  // see ReadOptions::minChunkBytes
};

// Parses all segments as one stream of interactions (Netflix: each segment is one file and
// starts with a "MovieID:" line). Throws Error "file:line: message" for the first malformed
// line in file order (unless limits.skipBadLines), or "file: cancelled" when progress returns
// false. Ids that are not valid UTF-8 are read as Latin-1.
Triplets parseTriplets(const std::vector<Segment>& segments, const LineFormat& format,
                       const ProgressFn& progress, int threads, bool keepOrder = false,
                       const ParseLimits& limits = {});

}  // namespace vaecf::core::detail
