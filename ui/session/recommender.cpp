// SPDX-License-Identifier: MIT
#include "session/recommender.h"

#include <algorithm>
#include <exception>
#include <string>
#include <unordered_set>

#include <QtConcurrent/QtConcurrentRun>

#include "vaecf/error.h"

namespace vaecf::ui {

namespace {

constexpr float kMasked = -std::numeric_limits<float>::infinity();

void checkModel(const core::Model& model, std::int64_t cols) {
    if (!model.initialized()) core::fail("recommendations: the model is not trained");
    if (model.numItems() != cols)
        core::fail("recommendations: the model knows " + std::to_string(model.numItems()) +
                   " items but the data has " + std::to_string(cols));
}

bool contains(std::span<const std::int32_t> sorted, std::int32_t item) {
    return std::binary_search(sorted.begin(), sorted.end(), item);
}

std::vector<Recommendation> rank(std::vector<float>& scores, std::span<const std::int32_t> seen,
                                 int n, std::span<const std::int32_t> heldOut) {
    for (std::int32_t i : seen)
        if (i >= 0 && static_cast<std::size_t>(i) < scores.size())
            scores[static_cast<std::size_t>(i)] = kMasked;
    std::vector<Recommendation> out;
    if (n <= 0) return out;
    const auto top = core::topK(scores, n);
    out.reserve(top.size());
    for (std::int32_t i : top)
        out.push_back({i, scores[static_cast<std::size_t>(i)], contains(heldOut, i)});
    return out;
}

}  // namespace

std::vector<float> scoreRow(const core::Model& model, const core::CsrMatrix& rows,
                            std::int64_t row) {
    checkModel(model, rows.cols);
    if (row < 0 || row >= rows.rows)
        core::fail("recommendations: user row " + std::to_string(row) + " is out of range");
    std::vector<float> scores(static_cast<std::size_t>(rows.cols));
    model.score(rows, row, row + 1, scores.data());
    return scores;
}

std::vector<Recommendation> recommendForRow(const core::Model& model, const core::CsrMatrix& rows,
                                            std::int64_t row, int n,
                                            std::span<const std::int32_t> heldOut) {
    std::vector<float> scores = scoreRow(model, rows, row);
    return rank(scores, rows.rowIndices(row), n, heldOut);
}

core::CsrMatrix foldInRow(std::int64_t numItems, std::span<const std::int32_t> items) {
    std::vector<std::int64_t> r;
    std::vector<std::int32_t> c;
    for (std::int32_t i : items) {
        if (i < 0 || i >= numItems)
            core::fail("recommendations: item column " + std::to_string(i) + " is out of range");
        r.push_back(0);
        c.push_back(i);
    }
    return core::CsrMatrix::fromTriplets(1, numItems, r, c, std::vector<float>(c.size(), 1.0f));
}

std::vector<Recommendation> recommendForItems(const core::Model& model,
                                              std::span<const std::int32_t> items, int n) {
    const core::CsrMatrix row = foldInRow(model.numItems(), items);
    std::vector<float> scores = scoreRow(model, row, 0);
    return rank(scores, row.rowIndices(0), n, {});
}

UserEvaluation evaluateUser(const core::Model& model, const DataState& data, UserRef user, int n) {
    const core::CsrMatrix& rows = data.rows(user.part);
    const core::CsrMatrix* held = data.heldOut(user.part);
    std::vector<float> scores = scoreRow(model, rows, user.row);
    const std::span<const std::int32_t> ho =
        held ? held->rowIndices(user.row) : std::span<const std::int32_t>{};
    // One ranking long enough for the list and for every metric cut-off.
    const int depth = std::max({n, kNdcgK, kRecallKA, kRecallKB});
    std::vector<Recommendation> ranked = rank(scores, rows.rowIndices(user.row), depth, ho);

    UserEvaluation ev;
    ev.heldOutCount = static_cast<int>(ho.size());
    if (!ho.empty()) {
        std::vector<std::int32_t> items;
        items.reserve(ranked.size());
        for (const auto& r : ranked)
            items.push_back(r.item);
        ev.ndcg = core::ndcgAt(items, ho, kNdcgK);
        ev.recallA = core::recallAt(items, ho, kRecallKA);
        ev.recallB = core::recallAt(items, ho, kRecallKB);
    }
    ranked.resize(std::min<std::size_t>(ranked.size(), static_cast<std::size_t>(std::max(n, 0))));
    ev.top = std::move(ranked);
    std::unordered_set<std::int32_t> inTop;
    for (const auto& r : ev.top) {
        inTop.insert(r.item);
        ev.hits += r.hit ? 1 : 0;
    }
    for (std::int32_t i : ho)
        if (!inTop.contains(i)) ev.missed.push_back(i);
    return ev;
}

std::vector<PartUserMetrics> computePartMetrics(const core::Model& model, const DataState& data,
                                                Part part, const std::atomic<bool>* cancel) {
    const core::CsrMatrix* held = data.heldOut(part);
    if (!held) return {};
    const core::CsrMatrix& rows = data.rows(part);
    checkModel(model, rows.cols);
    const std::int64_t users = rows.rows, items = rows.cols;
    std::vector<PartUserMetrics> out(static_cast<std::size_t>(users));
    // Batches keep memory bounded (batch x items floats) and give cancellation a chance.
    constexpr std::int64_t batch = 256;
    const int depth = std::max({kNdcgK, kRecallKA, kRecallKB});
    std::vector<float> scores;
    for (std::int64_t b0 = 0; b0 < users; b0 += batch) {
        if (cancel && cancel->load(std::memory_order_relaxed)) return out;
        const std::int64_t b1 = std::min(users, b0 + batch);
        scores.assign(static_cast<std::size_t>((b1 - b0) * items), 0.0f);
        model.score(rows, b0, b1, scores.data());
        for (std::int64_t u = b0; u < b1; ++u) {
            const auto ho = held->rowIndices(u);
            if (ho.empty()) continue;
            std::span<float> s(scores.data() + (u - b0) * items, static_cast<std::size_t>(items));
            for (std::int32_t i : rows.rowIndices(u))
                s[static_cast<std::size_t>(i)] = kMasked;
            const auto top = core::topK(s, depth);
            PartUserMetrics& m = out[static_cast<std::size_t>(u)];
            m.ndcg = core::ndcgAt(top, ho, kNdcgK);
            m.recallA = core::recallAt(top, ho, kRecallKA);
            m.recallB = core::recallAt(top, ho, kRecallKB);
        }
    }
    return out;
}

QFuture<PartMetricsResult> computePartMetricsAsync(std::shared_ptr<const core::Model> model,
                                                   std::shared_ptr<const DataState> data, Part part,
                                                   std::shared_ptr<std::atomic<bool>> cancel) {
    return QtConcurrent::run(jobPool(),
        [model = std::move(model), data = std::move(data), part, cancel = std::move(cancel)]() {
            PartMetricsResult result;
            result.part = part;
            try {
                if (!model || !data) core::fail("per-user metrics: no model or no data");
                result.users = computePartMetrics(*model, *data, part, cancel.get());
                result.cancelled = cancel && cancel->load();
            } catch (const std::exception& e) {
                result.error = QString::fromStdString(e.what());
                result.users.clear();
            }
            return result;
        });
}

int overlapCount(const std::vector<Recommendation>& a, const std::vector<Recommendation>& b) {
    std::unordered_set<std::int32_t> left;
    for (const auto& r : a)
        left.insert(r.item);
    int n = 0;
    for (const auto& r : b)
        n += left.contains(r.item) ? 1 : 0;
    return n;
}

QString csvField(const QString& text) {
    if (!text.contains(QLatin1Char(',')) && !text.contains(QLatin1Char('"')) &&
        !text.contains(QLatin1Char('\n')) && !text.contains(QLatin1Char('\r')))
        return text;
    QString quoted = text;
    quoted.replace(QLatin1String("\""), QLatin1String("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

QString recommendationsCsv(const DataState& data, const std::vector<Recommendation>& recs) {
    QString out = QStringLiteral("rank,item_id,title,score,hit\n");
    const auto& ids = data.split.itemIds;
    for (std::size_t r = 0; r < recs.size(); ++r) {
        const auto& rec = recs[r];
        const auto c = static_cast<std::size_t>(rec.item);
        const QString id =
            c < ids.size() ? dataText(ids[c]) : QString::number(rec.item);
        out += QString::number(r + 1) + QLatin1Char(',') + csvField(id) + QLatin1Char(',') +
               csvField(data.itemTitle(rec.item)) + QLatin1Char(',') +
               QString::number(static_cast<double>(rec.score), 'g', 6) + QLatin1Char(',') +
               (rec.hit ? QLatin1Char('1') : QLatin1Char('0')) + QLatin1Char('\n');
    }
    return out;
}

QString partMetricsCsv(const DataState& data, Part part,
                       const std::vector<PartUserMetrics>& users) {
    QString out = QStringLiteral("user_id,activity,ndcg@100,recall@20,recall@50\n");
    const core::CsrMatrix& rows = data.rows(part);
    auto cell = [](double v) { return std::isnan(v) ? QString() : QString::number(v, 'g', 6); };
    for (std::int64_t u = 0; u < rows.rows; ++u) {
        const auto i = static_cast<std::size_t>(u);
        const PartUserMetrics m = i < users.size() ? users[i] : PartUserMetrics{};
        out += csvField(data.userText(part, u)) + QLatin1Char(',') + QString::number(rows.rowNnz(u)) +
               QLatin1Char(',') + cell(m.ndcg) + QLatin1Char(',') + cell(m.recallA) +
               QLatin1Char(',') + cell(m.recallB) + QLatin1Char('\n');
    }
    return out;
}

}  // namespace vaecf::ui
