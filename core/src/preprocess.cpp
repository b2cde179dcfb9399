// SPDX-License-Identifier: MIT
// preprocess(): Liang et al.'s filter_triplets on a loaded dataset. The threshold applies first;
// item counts are taken once on the thresholded data and items below minItemInteractions are
// dropped; user counts are then taken once on what is left and users below
// minUserInteractions are dropped (no iteration to a fixed point, as in the notebook). Users
// and items left without interactions are dropped; the rest keep their relative order.
#include <cmath>

#include "vaecf/dataset.h"
#include "vaecf/error.h"

namespace vaecf::core {

Dataset preprocess(const Dataset& in, const PreprocessOptions& options, PreprocessReport* report) {
    const CsrMatrix& m = in.interactions;
    const std::size_t rows = static_cast<std::size_t>(m.rows);
    const std::size_t cols = static_cast<std::size_t>(m.cols);
    const bool threshold = !std::isnan(options.ratingThreshold) &&
                           (in.feedback == Feedback::Ratings ||
                            (in.feedback == Feedback::Counts && options.applyThresholdToCounts));
    const double thrD = options.ratingThreshold;
    auto passes = [&](float v) { return !threshold || static_cast<double>(v) > thrD; };

    PreprocessReport r;
    r.usersIn = m.rows;
    r.itemsIn = m.cols;
    r.interactionsIn = m.nnz();

    // Item counts on the thresholded data.
    std::vector<std::int64_t> itemCount(cols, 0);
    for (std::size_t k = 0; k < m.indices.size(); ++k) {
        if (passes(m.values[k]))
            ++itemCount[static_cast<std::size_t>(m.indices[k])];
        else
            ++r.belowThreshold;
    }
    const std::int64_t minItem = std::max(1, options.minItemInteractions);
    const std::int64_t minUser = std::max(1, options.minUserInteractions);
    std::vector<char> itemOk(cols);
    for (std::size_t c = 0; c < cols; ++c) itemOk[c] = itemCount[c] >= minItem;

    // User counts after the item filter.
    std::vector<char> userOk(rows, 0);
    std::vector<char> itemUsed(cols, 0);
    for (std::size_t u = 0; u < rows; ++u) {
        std::int64_t n = 0;
        for (std::int64_t k = m.indptr[u]; k < m.indptr[u + 1]; ++k)
            if (passes(m.values[k]) && itemOk[static_cast<std::size_t>(m.indices[k])]) ++n;
        if (n < minUser) continue;
        userOk[u] = 1;
        for (std::int64_t k = m.indptr[u]; k < m.indptr[u + 1]; ++k)
            if (passes(m.values[k]) && itemOk[static_cast<std::size_t>(m.indices[k])])
                itemUsed[static_cast<std::size_t>(m.indices[k])] = 1;
    }

    std::vector<std::int32_t> newItem(cols, -1);
    Dataset out;
    out.name = in.name;
    out.source = in.source;
    out.format = in.format;
    out.feedback = options.binarize ? Feedback::Binary : in.feedback;
    out.readReport = in.readReport;  // how the source was read stays known
    out.genreNames = in.genreNames;
    for (std::size_t c = 0; c < cols; ++c) {
        if (!itemUsed[c]) continue;
        newItem[c] = static_cast<std::int32_t>(out.itemIds.size());
        out.itemIds.push_back(in.itemIds[c]);
        if (in.hasMetadata()) out.items.push_back(in.items[c]);
    }
    CsrMatrix& o = out.interactions;
    o.cols = static_cast<std::int64_t>(out.itemIds.size());
    o.indptr.assign(1, 0);
    for (std::size_t u = 0; u < rows; ++u) {
        if (!userOk[u]) continue;
        out.userIds.push_back(in.userIds[u]);
        for (std::int64_t k = m.indptr[u]; k < m.indptr[u + 1]; ++k) {
            const auto c = static_cast<std::size_t>(m.indices[k]);
            if (!passes(m.values[k]) || newItem[c] < 0) continue;
            o.indices.push_back(newItem[c]);
            o.values.push_back(options.binarize ? 1.0f : m.values[k]);
        }
        o.indptr.push_back(static_cast<std::int64_t>(o.indices.size()));
    }
    o.rows = static_cast<std::int64_t>(out.userIds.size());

    // The file order follows the renumbering; pairs of dropped users or items go (pairs that
    // failed the threshold stay: the split skips pairs the matrix lacks).
    if (!in.fileOrder.users.empty()) {
        std::vector<std::int64_t> newUser(rows, -1);
        std::int64_t next = 0;
        for (std::size_t u = 0; u < rows; ++u)
            if (userOk[u]) newUser[u] = next++;
        auto& fo = out.fileOrder;
        for (std::size_t k = 0; k < in.fileOrder.users.size(); ++k) {
            const std::int64_t nu = newUser[static_cast<std::size_t>(in.fileOrder.users[k])];
            const std::int32_t ni = newItem[static_cast<std::size_t>(in.fileOrder.items[k])];
            if (nu < 0 || ni < 0) continue;
            fo.users.push_back(nu);
            fo.items.push_back(ni);
        }
    }

    r.usersOut = o.rows;
    r.itemsOut = o.cols;
    r.interactionsOut = o.nnz();
    r.usersDropped = r.usersIn - r.usersOut;
    r.itemsDropped = r.itemsIn - r.itemsOut;
    if (report) *report = r;
    return out;
}

}  // namespace vaecf::core
