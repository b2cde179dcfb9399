// SPDX-License-Identifier: MIT
#include "vaecf/side_features.h"

#include <string_view>
#include <unordered_map>

#include "archive_input.h"
#include "reader_text.h"
#include "vaecf/error.h"
#include "vaecf/model.h"
#include "vaecf/system.h"

namespace vaecf::core {

namespace {

detail::Delim detectDelimiter(std::string_view firstLine) {
    if (firstLine.find('\t') != std::string_view::npos) return detail::Delim::ch('\t');
    if (firstLine.find(',') != std::string_view::npos) return detail::Delim::ch(',');
    return detail::Delim::ch(' ');
}

constexpr int kMaxFeatures = 1000000;

std::string plural(std::int64_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

Tensor readSideFeatures(const std::string& path, const std::vector<std::string>& ids,
                        std::string* report) {
    const detail::Blob blob = detail::Blob::mapFile(path);
    detail::LineCursor cursor(blob.view());
    std::unordered_map<std::string_view, std::int64_t> rowOf;
    rowOf.reserve(ids.size());
    for (std::size_t r = 0; r < ids.size(); ++r)
        rowOf.emplace(std::string_view(ids[r]), static_cast<std::int64_t>(r));

    Tensor out;
    out.rows = static_cast<std::int64_t>(ids.size());
    detail::Delim delim;
    std::int64_t fields = 0;  // id + features, fixed by the first line
    std::vector<std::string_view> f;
    std::unordered_map<std::string, std::int64_t> lineOfId;  // every id seen: its line
    std::int64_t dataRows = 0, matched = 0;
    std::string_view line;
    while (cursor.next(line)) {
        if (detail::trim(line).empty()) continue;
        const std::int64_t lineNo = cursor.line();
        if (fields == 0) {
            delim = detectDelimiter(line);
            const int n = detail::splitFields(line, delim, nullptr, 0);
            if (n < 2)
                failAt(path, lineNo,
                       "expected an id and at least one feature separated by commas, tabs or "
                       "spaces, got 1 field");
            // The first line sizes the tensor: refuse absurd widths before allocating.
            if (n - 1 > kMaxFeatures)
                failAt(path, lineNo,
                       "the line has " + std::to_string(n) + " fields; at most " +
                           std::to_string(kMaxFeatures) + " features (plus the id) are read");
            const double bytes = 4.0 * static_cast<double>(out.rows) * static_cast<double>(n - 1);
            const double machine = physicalMemoryBytes();
            if (machine > 0 && bytes > 0.9 * machine)
                failAt(path, lineNo,
                       std::to_string(n - 1) + " features for " + std::to_string(out.rows) +
                           " ids need about " + formatBytes(bytes) +
                           " of memory; this machine has " + formatBytes(machine));
            fields = n;
            out.cols = fields - 1;
            out.data.assign(static_cast<std::size_t>(out.rows * out.cols), 0.0f);
            f.resize(static_cast<std::size_t>(fields));
            detail::splitFields(line, delim, f.data(), n);
            // A header names every feature; a first row with a stray non-number is data
            // (and is reported below), and so is one of "nan" or "inf" values.
            bool header = true;
            for (int k = 1; k < n; ++k) header = header && !detail::looksNumeric(f[k]);
            if (header) continue;
        }
        const int n = detail::splitFields(line, delim, f.data(), static_cast<int>(fields));
        if (n != fields)
            failAt(path, lineNo,
                   "expected " + std::to_string(fields) + " fields (an id and " +
                       plural(fields - 1, "feature", "features") + ", separated by " +
                       delim.describe() + "), got " + std::to_string(n));
        const std::string id = detail::toUtf8(detail::trim(f[0]));  // as the readers give ids
        if (id.empty()) failAt(path, lineNo, "the id (first field) is empty");
        const auto [seen, fresh] = lineOfId.emplace(id, lineNo);
        if (!fresh)
            failAt(path, lineNo,
                   "id '" + detail::excerpt(id) + "' appears again (first on line " +
                       std::to_string(seen->second) + ")");
        ++dataRows;
        const auto it = rowOf.find(id);
        float* row = it == rowOf.end() ? nullptr : out.data.data() + it->second * out.cols;
        for (std::int64_t k = 1; k < fields; ++k) {
            float v = 0;
            const std::string_view text = detail::trim(f[k]);
            if (!detail::parseFloat(text, v))
                failAt(path, lineNo,
                       "field " + std::to_string(k + 1) + " ('" + detail::excerpt(text) +
                           "') is not a finite number");
            if (row) row[k - 1] = v;
        }
        if (row) ++matched;
    }
    if (fields == 0) failAt(path, 0, "the side-feature file is empty");
    if (dataRows == 0) failAt(path, 0, "the side-feature file has a header but no rows");
    if (matched == 0 && !ids.empty())
        failAt(path, 0,
               "none of the file's " + plural(dataRows, "id", "ids") + " is among the data's " +
                   std::to_string(ids.size()) + " (another kind of id, or the wrong file?)");
    if (report) {
        const auto missing = static_cast<std::int64_t>(ids.size()) - matched;
        *report = plural(out.cols, "feature", "features") + ", " + std::to_string(matched) +
                  " of " + std::to_string(ids.size()) + " ids found";
        if (missing > 0) *report += ", " + std::to_string(missing) + " without features (zeros)";
        if (dataRows > matched)
            *report += ", " + plural(dataRows - matched, "row", "rows") + " for unknown ids ignored";
    }
    return out;
}

}  // namespace vaecf::core
