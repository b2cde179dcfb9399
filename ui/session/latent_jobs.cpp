// SPDX-License-Identifier: MIT
#include "session/latent_jobs.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <QDir>
#include <QFile>
#include <QTextStream>

#include "vaecf/error.h"
#include "vaecf/metrics.h"

namespace vaecf::ui {

namespace {

std::vector<Part> partsOf(PartChoice choice) {
    switch (choice) {
    case PartChoice::Train: return {Part::Train};
    case PartChoice::Validation: return {Part::Validation};
    case PartChoice::Test: return {Part::Test};
    case PartChoice::All: return {Part::Train, Part::Validation, Part::Test};
    }
    return {Part::Train};
}

std::int32_t favouriteGenre(const DataState& data, const core::CsrMatrix& rows, std::int64_t row,
                            std::vector<int>& counts) {
    const auto& items = data.split.items;
    if (items.empty() || data.split.genreNames.empty()) return -1;
    std::fill(counts.begin(), counts.end(), 0);
    for (std::int32_t c : rows.rowIndices(row))
        if (static_cast<std::size_t>(c) < items.size())
            for (std::int32_t g : items[static_cast<std::size_t>(c)].genres)
                if (g >= 0 && static_cast<std::size_t>(g) < counts.size()) ++counts[static_cast<std::size_t>(g)];
    const auto it = std::max_element(counts.begin(), counts.end());
    return it == counts.end() || *it == 0 ? -1 : static_cast<std::int32_t>(it - counts.begin());
}

// Decile of each value by rank (0..9): even strata however skewed the activity is.
std::vector<std::int32_t> deciles(const std::vector<float>& values) {
    const std::size_t n = values.size();
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
    std::vector<std::int32_t> out(n);
    for (std::size_t r = 0; r < n; ++r) out[order[r]] = static_cast<std::int32_t>(r * 10 / std::max<std::size_t>(1, n));
    return out;
}

// Unknown labels (-1) become a stratum of their own.
std::vector<std::int32_t> withUnknownStratum(std::vector<std::int32_t> labels) {
    std::int32_t top = 0;
    for (std::int32_t l : labels) top = std::max(top, l);
    for (auto& l : labels)
        if (l < 0) l = top + 1;
    return labels;
}

QString tsvField(QString s) {
    s.replace(QLatin1Char('\t'), QLatin1Char(' '));
    s.replace(QLatin1Char('\n'), QLatin1Char(' '));
    s.replace(QLatin1Char('\r'), QLatin1Char(' '));
    return s;
}

}  // namespace

bool LatentPoints::hasClusters() const {
    return std::any_of(cluster.begin(), cluster.end(), [](std::int32_t c) { return c >= 0; });
}

bool LatentPoints::hasGenres() const {
    return std::any_of(genre.begin(), genre.end(), [](std::int32_t g) { return g >= 0; });
}

std::shared_ptr<const LatentPoints> buildLatentPoints(const core::Model& model, const DataState& data,
                                                      const LatentRequest& request, std::stop_token stop) {
    auto out = std::make_shared<LatentPoints>();
    out->subject = request.subject;
    std::vector<int> genreCounts(data.split.genreNames.size(), 0);

    if (request.subject == LatentSubject::Items) {
        const core::Tensor emb = model.itemEmbeddings();
        if (emb.rows == 0 || emb.cols == 0) core::fail("this model has no item embeddings");
        const std::int64_t n = emb.rows;
        std::vector<float> pop(static_cast<std::size_t>(n), 0);
        std::vector<std::int32_t> genre(static_cast<std::size_t>(n), -1);
        for (std::int64_t c = 0; c < n; ++c) {
            const auto i = static_cast<std::size_t>(c);
            if (i < data.itemPopularity.size()) pop[i] = static_cast<float>(data.itemPopularity[i]);
            if (i < data.split.items.size() && !data.split.items[i].genres.empty())
                genre[i] = data.split.items[i].genres.front();
        }
        std::vector<std::int64_t> chosen;
        if (request.cap > 0 && n > request.cap) {
            const auto strata = request.strata == Strata::Genre ? withUnknownStratum(genre) : deciles(pop);
            chosen = core::stratifiedSample(n, request.cap, strata, request.seed);
        } else {
            chosen.resize(static_cast<std::size_t>(n));
            for (std::int64_t i = 0; i < n; ++i) chosen[static_cast<std::size_t>(i)] = i;
        }
        out->total = n;
        const int dim = static_cast<int>(emb.cols);
        out->mu.n = static_cast<std::int64_t>(chosen.size());
        out->mu.dim = dim;
        out->mu.data.resize(chosen.size() * static_cast<std::size_t>(dim));
        for (std::size_t k = 0; k < chosen.size(); ++k) {
            const auto c = static_cast<std::size_t>(chosen[k]);
            std::copy_n(emb.data.data() + c * static_cast<std::size_t>(dim), dim,
                        out->mu.data.data() + k * static_cast<std::size_t>(dim));
            out->items.push_back(static_cast<std::int32_t>(c));
            out->labels.push_back(data.itemTitle(static_cast<std::int32_t>(c)));
            out->activity.push_back(pop[c]);
            out->genre.push_back(genre[c]);
        }
        return out;
    }

    const int dim = model.latentDim();
    if (dim <= 0) core::fail("this model has no latent space");
    // Every candidate user with what sampling may stratify by; cheap next to encoding.
    std::vector<UserRef> refs;
    std::vector<float> activity;
    std::vector<std::int32_t> cluster, genre;
    for (Part part : partsOf(request.part)) {
        const core::CsrMatrix& rows = data.rows(part);
        const auto& clusters = data.clusters(part);
        for (std::int64_t r = 0; r < rows.rows; ++r) {
            refs.push_back(UserRef{part, r});
            activity.push_back(static_cast<float>(rows.rowNnz(r)));
            cluster.push_back(static_cast<std::size_t>(r) < clusters.size() ? clusters[static_cast<std::size_t>(r)] : -1);
            genre.push_back(favouriteGenre(data, rows, r, genreCounts));
        }
    }
    const auto total = static_cast<std::int64_t>(refs.size());
    out->total = total;
    std::vector<std::int64_t> chosen;
    if (request.cap > 0 && total > request.cap) {
        std::vector<std::int32_t> strata;
        switch (request.strata) {
        case Strata::Cluster: strata = withUnknownStratum(cluster); break;
        case Strata::Genre: strata = withUnknownStratum(genre); break;
        case Strata::ActivityDecile: strata = deciles(activity); break;
        }
        chosen = core::stratifiedSample(total, request.cap, strata, request.seed);
    } else {
        chosen.resize(static_cast<std::size_t>(total));
        for (std::int64_t i = 0; i < total; ++i) chosen[static_cast<std::size_t>(i)] = i;
    }
    const std::size_t n = chosen.size();
    out->mu.n = static_cast<std::int64_t>(n);
    out->mu.dim = dim;
    out->mu.data.assign(n * static_cast<std::size_t>(dim), 0.f);
    out->logVar.assign(n * static_cast<std::size_t>(dim), 0.f);
    for (std::int64_t k : chosen) {
        const auto i = static_cast<std::size_t>(k);
        const UserRef& u = refs[i];
        out->users.push_back(u);
        out->labels.push_back(data.userText(u.part, u.row));
        out->activity.push_back(activity[i]);
        out->cluster.push_back(cluster[i]);
        out->genre.push_back(genre[i]);
    }
    // Chosen indices are ascending, so each part's points are contiguous.
    constexpr std::int64_t kBatch = 1000;
    std::size_t start = 0;
    while (start < n) {
        const Part part = out->users[start].part;
        std::size_t end = start;
        std::vector<std::int64_t> rowIds;
        while (end < n && out->users[end].part == part) rowIds.push_back(out->users[end++].row);
        const core::CsrMatrix sub = data.rows(part).selectRows(rowIds);
        for (std::int64_t b = 0; b < sub.rows; b += kBatch) {
            if (stop.stop_requested()) core::fail("cancelled");
            const std::int64_t e = std::min(sub.rows, b + kBatch);
            const std::size_t at = (start + static_cast<std::size_t>(b)) * static_cast<std::size_t>(dim);
            model.encode(sub, b, e, out->mu.data.data() + at, out->logVar.data() + at);
        }
        start = end;
    }
    return out;
}

core::Projection2D projectPoints(const core::PointSet& points, ProjectionKind kind,
                                 const core::TsneOptions& options, std::stop_token stop) {
    if (points.n == 0) return {};
    if (kind == ProjectionKind::Pca) return core::pca2d(points);
    return core::tsne2d(points, options, stop);
}

std::vector<float> userNdcg(const core::Model& model, const DataState& data,
                            const std::vector<UserRef>& users, int k, std::stop_token stop) {
    std::vector<float> out(users.size(), std::numeric_limits<float>::quiet_NaN());
    const std::int64_t items = model.numItems();
    constexpr std::size_t kBatch = 256;
    std::vector<float> scores;
    std::size_t start = 0;
    while (start < users.size()) {
        const Part part = users[start].part;
        std::size_t end = start;
        while (end < users.size() && users[end].part == part && end - start < kBatch) ++end;
        const core::CsrMatrix* held = data.heldOut(part);
        if (held) {
            if (stop.stop_requested()) core::fail("cancelled");
            std::vector<std::int64_t> rowIds;
            for (std::size_t i = start; i < end; ++i) rowIds.push_back(users[i].row);
            const core::CsrMatrix sub = data.rows(part).selectRows(rowIds);
            scores.assign(static_cast<std::size_t>(sub.rows * items), 0.f);
            model.score(sub, 0, sub.rows, scores.data());
            for (std::int64_t r = 0; r < sub.rows; ++r) {
                const auto heldItems = held->rowIndices(rowIds[static_cast<std::size_t>(r)]);
                if (heldItems.empty()) continue;
                float* row = scores.data() + r * items;
                for (std::int32_t c : sub.rowIndices(r)) row[c] = -std::numeric_limits<float>::infinity();
                const auto ranked = core::topK(std::span<const float>(row, static_cast<std::size_t>(items)), k);
                out[start + static_cast<std::size_t>(r)] = static_cast<float>(core::ndcgAt(ranked, heldItems, k));
            }
        }
        start = end;
    }
    return out;
}

std::vector<float> projectOnPca(const core::Projection2D& projection, const core::PointSet& points) {
    const auto dim = static_cast<std::size_t>(points.dim);
    if (dim == 0 || projection.mean.size() != dim || projection.axes.size() != 2 * dim) return {};
    std::vector<float> xy(2 * static_cast<std::size_t>(points.n));
    for (std::int64_t i = 0; i < points.n; ++i) {
        const float* z = points.row(i);
        double a = 0, b = 0;
        for (std::size_t d = 0; d < dim; ++d) {
            const double c = z[d] - projection.mean[d];
            a += c * projection.axes[d];
            b += c * projection.axes[dim + d];
        }
        xy[2 * static_cast<std::size_t>(i)] = static_cast<float>(a);
        xy[2 * static_cast<std::size_t>(i) + 1] = static_cast<float>(b);
    }
    return xy;
}

std::vector<float> latentAt(const core::Projection2D& projection, float x, float y) {
    const std::size_t dim = projection.mean.size();
    std::vector<float> z(dim);
    for (std::size_t d = 0; d < dim; ++d)
        z[d] = projection.mean[d] + x * projection.axes[d] + y * projection.axes[dim + d];
    return z;
}

std::vector<std::int32_t> decodeTopItems(const core::Model& model, const std::vector<float>& z, int k) {
    if (!model.hasDecoder()) core::fail("this model has no decoder");
    std::vector<float> scores(static_cast<std::size_t>(model.numItems()));
    model.decode(z.data(), 1, scores.data());
    return core::topK(scores, k);
}

double meanSigma(const float* logVar, int dim) {
    if (dim <= 0) return 0;
    double s = 0;
    for (int d = 0; d < dim; ++d) s += std::exp(0.5 * logVar[d]);
    return s / dim;
}

QSizeF projectedSigma(const core::Projection2D& projection, const float* logVar, int dim) {
    if (projection.axes.size() != 2 * static_cast<std::size_t>(dim)) return {};
    double v[2] = {0, 0};
    for (int a = 0; a < 2; ++a)
        for (int d = 0; d < dim; ++d) {
            const double w = projection.axes[static_cast<std::size_t>(a * dim + d)];
            v[a] += w * w * std::exp(static_cast<double>(logVar[d]));
        }
    return {std::sqrt(v[0]), std::sqrt(v[1])};
}

bool writeProjectorTsv(const LatentPoints& points, const DataState& data, const QString& folder,
                       QString* error) {
    QDir dir(folder);
    if (!dir.exists() && !QDir().mkpath(folder)) {
        if (error) *error = QObject::tr("cannot create %1").arg(folder);
        return false;
    }
    QFile vectors(dir.filePath(QStringLiteral("vectors.tsv")));
    QFile meta(dir.filePath(QStringLiteral("metadata.tsv")));
    if (!vectors.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text) ||
        !meta.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text)) {
        if (error) *error = QObject::tr("cannot write in %1").arg(folder);
        return false;
    }
    QTextStream v(&vectors), m(&meta);
    const int dim = points.mu.dim;
    for (std::int64_t i = 0; i < points.mu.n; ++i) {
        const float* row = points.mu.row(i);
        for (int d = 0; d < dim; ++d) {
            if (d) v << '\t';
            v << QString::number(row[d], 'g', 7);
        }
        v << '\n';
    }
    const auto n = static_cast<std::size_t>(points.mu.n);
    if (points.subject == LatentSubject::Users) {
        m << "id\tactivity\tcluster\n";
        for (std::size_t i = 0; i < n; ++i) {
            const std::int32_t c = i < points.cluster.size() ? points.cluster[i] : -1;
            const QString cluster = c >= 0 && static_cast<std::size_t>(c) < data.clusterNames.size()
                                        ? dataText(data.clusterNames[static_cast<std::size_t>(c)])
                                        : QString();
            m << tsvField(points.labels[i]) << '\t' << points.activity[i] << '\t' << tsvField(cluster) << '\n';
        }
    } else {
        m << "title\tgenres\tpopularity\n";
        for (std::size_t i = 0; i < n; ++i)
            m << tsvField(points.labels[i]) << '\t' << tsvField(data.itemGenres(points.items[i])) << '\t'
              << points.activity[i] << '\n';
    }
    v.flush();
    m.flush();
    return vectors.error() == QFileDevice::NoError && meta.error() == QFileDevice::NoError;
}

}  // namespace vaecf::ui
