// SPDX-License-Identifier: MIT
// Ranking metrics with Liang et al.'s definitions (models.md §2).
//
// For a user with n held-out items and the top-k list of the model (fold-in items excluded
// from the ranking, i.e. scored -inf):
//   NDCG@k      = DCG@k / IDCG, DCG = Σ_{r=1..k} hit(r) / log2(r + 1),
//                 IDCG = Σ_{r=1..min(n,k)} 1 / log2(r + 1)
//   Recall@k    = hits@k / min(k, n)                (Liang's normalized recall)
//   Precision@k = hits@k / k
//   HitRate@k   = 1 if hits@k > 0 else 0
//   MRR@k       = 1 / rank of the first hit within the top k (0 when none)
//   Coverage@k  = share of all items that appear in at least one user's top k
// Per-user values are averaged over the users that have at least one held-out item; users
// without held-out items (possible under Liang's under-5 rule) are left out of every mean and
// counted in MetricReport::usersWithoutHeldOut. This matches the reference's effective
// behaviour on ML-20M and avoids the 0/0 = NaN of the notebook.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "vaecf/csr.h"

namespace vaecf::core {

struct MetricOptions {
    int ndcgK = 100;
    std::vector<int> recallKs{20, 50};
    int precisionK = 20;
    int mrrK = 100;
    int hitK = 20;
    int coverageK = 20;
};

struct MetricReport {
    // name ("ndcg@100", "recall@20", ...) -> mean over scored users
    std::map<std::string, double> mean;
    // name -> standard error std/sqrt(N) (population std, as the notebook prints)
    std::map<std::string, double> stdError;
    std::int64_t usersScored = 0;
    std::int64_t usersWithoutHeldOut = 0;
    double get(const std::string& name) const;
};

// Per-user values of one user (for per-user tables and tests).
struct UserMetrics {
    double ndcg = 0, recallA = 0, recallB = 0, precision = 0, hit = 0, mrr = 0;
};

// Indices of the k highest scores in descending order of score (ties: lower index first).
// Entries equal to -inf are never returned; fewer than k come back when fewer are finite.
std::vector<std::int32_t> topK(std::span<const float> scores, int k);

// Metrics of one user given its ranked list and its held-out items (sorted ascending).
double ndcgAt(std::span<const std::int32_t> ranked, std::span<const std::int32_t> heldOut, int k);
double recallAt(std::span<const std::int32_t> ranked, std::span<const std::int32_t> heldOut, int k);
double precisionAt(std::span<const std::int32_t> ranked, std::span<const std::int32_t> heldOut,
                   int k);
double mrrAt(std::span<const std::int32_t> ranked, std::span<const std::int32_t> heldOut, int k);

// Scores `rows` users at a time with `scoreRows(begin, end, out)` (out: (end-begin) x numItems,
// row-major), masks fold-in items, ranks and averages. Parallel with oneTBB over users;
// the result does not depend on the thread count.
using ScoreFn = std::function<void(std::int64_t begin, std::int64_t end, float* out)>;
MetricReport evaluateRanking(const CsrMatrix& foldIn, const CsrMatrix& heldOut,
                             const ScoreFn& scoreRows, const MetricOptions& options = {},
                             std::int64_t batchRows = 2000,
                             std::vector<UserMetrics>* perUser = nullptr);

}  // namespace vaecf::core
