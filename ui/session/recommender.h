// SPDX-License-Identifier: MIT
// Recommendation helpers behind the Recommendations panel: top-N lists for one user of the
// split or for a brand-new user, per-user metrics of a held-out part (in the background),
// and the CSV exports. Everything here is thread-safe on immutable inputs: models are frozen
// snapshots and DataState never changes once built.
#pragma once

#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <vector>

#include <QFuture>
#include <QString>

#include "session/project.h"

namespace vaecf::ui {

// One entry of a top-N list.
struct Recommendation {
    std::int32_t item = -1;  // item column of the split
    float score = 0;         // the model's raw score (higher is better)
    bool hit = false;        // one of the user's held-out items
};

// Cut-offs of the per-user metrics the panel shows (Liang's defaults).
inline constexpr int kNdcgK = 100;
inline constexpr int kRecallKA = 20;
inline constexpr int kRecallKB = 50;

// Scores of every item for row `row` of `rows` (fold-in items not masked). Throws core::Error
// when the model and the matrix disagree on the number of items.
std::vector<float> scoreRow(const core::Model& model, const core::CsrMatrix& rows,
                            std::int64_t row);

// The top `n` items of row `row` of `rows`, the row's own (seen) items excluded. Items in
// `heldOut` (sorted ascending) are marked as hits.
std::vector<Recommendation> recommendForRow(const core::Model& model, const core::CsrMatrix& rows,
                                            std::int64_t row, int n,
                                            std::span<const std::int32_t> heldOut = {});

// A brand-new user who likes `items` (columns, any order, duplicates ignored) as a 1-row matrix.
core::CsrMatrix foldInRow(std::int64_t numItems, std::span<const std::int32_t> items);

// The top `n` items for a brand-new user who likes `items`, those items excluded.
std::vector<Recommendation> recommendForItems(const core::Model& model,
                                              std::span<const std::int32_t> items, int n);

// Everything the panel shows about one user of the split.
struct UserEvaluation {
    std::vector<Recommendation> top;   // top-n, seen items excluded, hits marked
    std::vector<std::int32_t> missed;  // held-out items not in the top-n (ascending)
    int heldOutCount = 0;
    int hits = 0;  // held-out items in the top-n
    // NaN for train users and held-out users without held-out items.
    double ndcg = std::numeric_limits<double>::quiet_NaN();     // NDCG@kNdcgK
    double recallA = std::numeric_limits<double>::quiet_NaN();  // Recall@kRecallKA
    double recallB = std::numeric_limits<double>::quiet_NaN();  // Recall@kRecallKB
};
// Throws core::Error (bad row, model/data mismatch).
UserEvaluation evaluateUser(const core::Model& model, const DataState& data, UserRef user, int n);

// Per-user metrics of one user of a held-out part; NaN when it has no held-out items.
struct PartUserMetrics {
    double ndcg = std::numeric_limits<double>::quiet_NaN();     // NDCG@100
    double recallA = std::numeric_limits<double>::quiet_NaN();  // Recall@20
    double recallB = std::numeric_limits<double>::quiet_NaN();  // Recall@50
    bool valid() const { return !std::isnan(ndcg); }
};

// Metrics of every user of `part` (Validation or Test; Train gives an empty vector). Checks
// `cancel` between batches of users and returns what it has (possibly partial) when it is
// set. Throws core::Error.
std::vector<PartUserMetrics> computePartMetrics(const core::Model& model, const DataState& data,
                                                Part part,
                                                const std::atomic<bool>* cancel = nullptr);

// The outcome of a background computePartMetrics.
struct PartMetricsResult {
    Part part = Part::Test;
    std::vector<PartUserMetrics> users;
    QString error;  // non-empty when the computation failed
    bool cancelled = false;
};

// Runs computePartMetrics on Qt's global thread pool. The shared pointers keep the model and
// data alive for the job; the future never throws (errors land in PartMetricsResult::error).
QFuture<PartMetricsResult> computePartMetricsAsync(std::shared_ptr<const core::Model> model,
                                                   std::shared_ptr<const DataState> data, Part part,
                                                   std::shared_ptr<std::atomic<bool>> cancel);

// Items present in both lists.
int overlapCount(const std::vector<Recommendation>& a, const std::vector<Recommendation>& b);

// Recommendations as CSV (RFC 4180, "\n" line ends). Header, exactly:
//   rank,item_id,title,score,hit
// rank is 1-based; item_id the original item id; score with 6 significant digits; hit 1 or 0.
QString recommendationsCsv(const DataState& data, const std::vector<Recommendation>& recs);

// Per-user metrics of a part as CSV (RFC 4180, "\n" line ends). Header, exactly:
//   user_id,activity,ndcg@100,recall@20,recall@50
// activity is the user's number of fold-in items; the metric cells are empty for users
// without held-out items. One line per user, in the part's row order.
QString partMetricsCsv(const DataState& data, Part part, const std::vector<PartUserMetrics>& users);

// Quotes a CSV field when it needs it (comma, quote, newline).
QString csvField(const QString& text);

}  // namespace vaecf::ui
