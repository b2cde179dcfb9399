// SPDX-License-Identifier: MIT
#include "vaecf/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "vaecf/error.h"

namespace vaecf::core {

double MetricReport::get(const std::string& name) const {
    const auto it = mean.find(name);
    if (it == mean.end()) fail("no metric '" + name + "' in the report");
    return it->second;
}

std::vector<std::int32_t> topK(std::span<const float> scores, int k) {
    std::vector<std::int32_t> idx;
    idx.reserve(scores.size());
    for (std::size_t i = 0; i < scores.size(); ++i)
        if (scores[i] != -std::numeric_limits<float>::infinity() && !std::isnan(scores[i]))
            idx.push_back(static_cast<std::int32_t>(i));
    const auto better = [&](std::int32_t a, std::int32_t b) {
        return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
    };
    const std::size_t kk = std::min<std::size_t>(static_cast<std::size_t>(std::max(k, 0)), idx.size());
    std::nth_element(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(kk), idx.end(), better);
    idx.resize(kk);
    std::sort(idx.begin(), idx.end(), better);
    return idx;
}

namespace {

bool contains(std::span<const std::int32_t> sorted, std::int32_t v) {
    return std::binary_search(sorted.begin(), sorted.end(), v);
}

std::int64_t hits(std::span<const std::int32_t> ranked, std::span<const std::int32_t> heldOut,
                  int k) {
    std::int64_t h = 0;
    const std::size_t n = std::min<std::size_t>(ranked.size(), static_cast<std::size_t>(k));
    for (std::size_t r = 0; r < n; ++r) h += contains(heldOut, ranked[r]);
    return h;
}

}  // namespace

double ndcgAt(std::span<const std::int32_t> ranked, std::span<const std::int32_t> heldOut, int k) {
    if (heldOut.empty()) return std::numeric_limits<double>::quiet_NaN();
    double dcg = 0, idcg = 0;
    const std::size_t n = std::min<std::size_t>(ranked.size(), static_cast<std::size_t>(k));
    for (std::size_t r = 0; r < n; ++r)
        if (contains(heldOut, ranked[r])) dcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
    const std::size_t ideal = std::min<std::size_t>(heldOut.size(), static_cast<std::size_t>(k));
    for (std::size_t r = 0; r < ideal; ++r) idcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
    return dcg / idcg;
}

double recallAt(std::span<const std::int32_t> ranked, std::span<const std::int32_t> heldOut,
                int k) {
    if (heldOut.empty()) return std::numeric_limits<double>::quiet_NaN();
    return static_cast<double>(hits(ranked, heldOut, k)) /
           static_cast<double>(std::min<std::size_t>(static_cast<std::size_t>(k), heldOut.size()));
}

double precisionAt(std::span<const std::int32_t> ranked, std::span<const std::int32_t> heldOut,
                   int k) {
    if (heldOut.empty()) return std::numeric_limits<double>::quiet_NaN();
    return static_cast<double>(hits(ranked, heldOut, k)) / k;
}

double mrrAt(std::span<const std::int32_t> ranked, std::span<const std::int32_t> heldOut, int k) {
    if (heldOut.empty()) return std::numeric_limits<double>::quiet_NaN();
    const std::size_t n = std::min<std::size_t>(ranked.size(), static_cast<std::size_t>(k));
    for (std::size_t r = 0; r < n; ++r)
        if (contains(heldOut, ranked[r])) return 1.0 / static_cast<double>(r + 1);
    return 0.0;
}

MetricReport evaluateRanking(const CsrMatrix& foldIn, const CsrMatrix& heldOut,
                             const ScoreFn& scoreRows, const MetricOptions& o,
                             std::int64_t batchRows, std::vector<UserMetrics>* perUser) {
    if (foldIn.rows != heldOut.rows || foldIn.cols != heldOut.cols)
        fail("evaluate: fold-in (" + std::to_string(foldIn.rows) + " x " +
             std::to_string(foldIn.cols) + ") and held-out (" + std::to_string(heldOut.rows) +
             " x " + std::to_string(heldOut.cols) + ") matrices differ in shape");
    if (o.recallKs.size() != 2) fail("evaluate: exactly two recall cut-offs are expected");
    const std::int64_t U = foldIn.rows, I = foldIn.cols;
    const int kmax = std::max({o.ndcgK, o.recallKs[0], o.recallKs[1], o.precisionK, o.mrrK, o.hitK,
                               o.coverageK});
    std::vector<UserMetrics> um(static_cast<std::size_t>(U));
    std::vector<char> scored(static_cast<std::size_t>(U), 0);
    std::vector<char> covered(static_cast<std::size_t>(I), 0);
    std::vector<float> scores;
    batchRows = std::max<std::int64_t>(1, batchRows);
    for (std::int64_t b0 = 0; b0 < U; b0 += batchRows) {
        const std::int64_t b1 = std::min(U, b0 + batchRows);
        scores.assign(static_cast<std::size_t>((b1 - b0) * I), 0.0f);
        scoreRows(b0, b1, scores.data());
        std::vector<std::vector<std::int32_t>> tops(static_cast<std::size_t>(b1 - b0));
        tbb::parallel_for(tbb::blocked_range<std::int64_t>(b0, b1, 8), [&](const auto& range) {
            for (std::int64_t u = range.begin(); u < range.end(); ++u) {
                float* s = scores.data() + (u - b0) * I;
                for (std::int32_t i : foldIn.rowIndices(u))
                    s[i] = -std::numeric_limits<float>::infinity();
                auto& top = tops[u - b0];
                top = topK({s, static_cast<std::size_t>(I)}, kmax);
                const auto ho = heldOut.rowIndices(u);
                if (ho.empty()) continue;
                scored[u] = 1;
                UserMetrics& m = um[u];
                m.ndcg = ndcgAt(top, ho, o.ndcgK);
                m.recallA = recallAt(top, ho, o.recallKs[0]);
                m.recallB = recallAt(top, ho, o.recallKs[1]);
                m.precision = precisionAt(top, ho, o.precisionK);
                m.hit = hits(top, ho, o.hitK) > 0 ? 1.0 : 0.0;
                m.mrr = mrrAt(top, ho, o.mrrK);
            }
        });
        for (const auto& top : tops)
            for (std::size_t r = 0; r < top.size() && r < static_cast<std::size_t>(o.coverageK); ++r)
                covered[top[r]] = 1;
    }
    MetricReport rep;
    const std::vector<std::pair<std::string, double UserMetrics::*>> fields{
        {"ndcg@" + std::to_string(o.ndcgK), &UserMetrics::ndcg},
        {"recall@" + std::to_string(o.recallKs[0]), &UserMetrics::recallA},
        {"recall@" + std::to_string(o.recallKs[1]), &UserMetrics::recallB},
        {"precision@" + std::to_string(o.precisionK), &UserMetrics::precision},
        {"hit@" + std::to_string(o.hitK), &UserMetrics::hit},
        {"mrr@" + std::to_string(o.mrrK), &UserMetrics::mrr}};
    for (std::int64_t u = 0; u < U; ++u) rep.usersScored += scored[u];
    rep.usersWithoutHeldOut = U - rep.usersScored;
    for (const auto& [name, field] : fields) {
        double sum = 0, sq = 0;
        for (std::int64_t u = 0; u < U; ++u)
            if (scored[u]) sum += um[u].*field;
        const double n = static_cast<double>(rep.usersScored);
        const double mean = n > 0 ? sum / n : std::numeric_limits<double>::quiet_NaN();
        for (std::int64_t u = 0; u < U; ++u)
            if (scored[u]) sq += (um[u].*field - mean) * (um[u].*field - mean);
        rep.mean[name] = mean;
        rep.stdError[name] = n > 0 ? std::sqrt(sq / n) / std::sqrt(n) : 0.0;
    }
    std::int64_t cov = 0;
    for (char c : covered) cov += c;
    rep.mean["coverage@" + std::to_string(o.coverageK)] =
        I > 0 ? static_cast<double>(cov) / static_cast<double>(I) : 0.0;
    rep.stdError["coverage@" + std::to_string(o.coverageK)] = 0.0;
    if (perUser) *perUser = std::move(um);
    return rep;
}

}  // namespace vaecf::core
