// SPDX-License-Identifier: MIT
// Background work of the latent map: encoding users (or taking item embeddings), projecting
// them to 2-D, per-user NDCG, nearest neighbours and decoder traversal. The compute functions
// are plain and thread-agnostic; JobSlot runs one of them at a time on the thread pool and
// hands the result back on the GUI thread, dropping results that a newer request superseded.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stop_token>
#include <vector>

#include <QFuture>
#include <QList>
#include <QObject>
#include <QSizeF>
#include <QString>
#include <QtConcurrent/QtConcurrentRun>

#include "session/project.h"
#include "vaecf/projection.h"

namespace vaecf::ui {

enum class LatentSubject { Users, Items };
enum class PartChoice { Train, Validation, Test, All };
enum class ProjectionKind { Pca, Tsne };
// What stratifies a sample that must be smaller than the point set.
enum class Strata { ActivityDecile, Cluster, Genre };

struct LatentRequest {
    LatentSubject subject = LatentSubject::Users;
    PartChoice part = PartChoice::Train;
    std::int64_t cap = 0;  // at most this many points (0: all)
    Strata strata = Strata::ActivityDecile;
    std::uint64_t seed = 1;
};

// The points of a map with what the panel shows about them. Immutable once built.
struct LatentPoints {
    LatentSubject subject = LatentSubject::Users;
    core::PointSet mu;                 // n x dim: posterior means, or item embeddings
    std::vector<float> logVar;         // users: n x dim (zeros for models without variances)
    std::vector<UserRef> users;        // users: part and row of each point
    std::vector<std::int32_t> items;   // items: column of each point
    std::vector<QString> labels;       // user id or item title
    std::vector<float> activity;       // users: interactions; items: training popularity
    std::vector<std::int32_t> cluster; // users: ground-truth cluster (-1: unknown); else empty
    std::vector<std::int32_t> genre;   // users: favourite genre; items: main genre (-1: none)
    std::int64_t total = 0;            // points before sampling
    std::int64_t size() const { return mu.n; }
    bool hasClusters() const;
    bool hasGenres() const;
};

// Encodes the users of `request.part` (after sampling down to the cap, stratified) or takes
// the model's item embeddings. Checks `stop` between batches; throws core::Error.
std::shared_ptr<const LatentPoints> buildLatentPoints(const core::Model& model, const DataState& data,
                                                      const LatentRequest& request, std::stop_token stop);

// PCA or t-SNE of the points. `progress` as in core::TsneOptions (t-SNE only).
core::Projection2D projectPoints(const core::PointSet& points, ProjectionKind kind,
                                 const core::TsneOptions& options, std::stop_token stop);

// NDCG@k of each user point from the model's scores of its fold-in rows (fold-in items
// masked). NaN for training users and users without held-out items.
std::vector<float> userNdcg(const core::Model& model, const DataState& data,
                            const std::vector<UserRef>& users, int k, std::stop_token stop);

// Latent points -> PCA map coordinates, n x 2: ((z - mean)·axis0, (z - mean)·axis1). Empty
// unless `projection` is a PCA map of the same dimension.
std::vector<float> projectOnPca(const core::Projection2D& projection, const core::PointSet& points);
// Map point -> latent point (PCA maps only): mean + x·axis0 + y·axis1.
std::vector<float> latentAt(const core::Projection2D& projection, float x, float y);
// The decoder's k highest-scoring items at latent point z.
std::vector<std::int32_t> decodeTopItems(const core::Model& model, const std::vector<float>& z, int k);

// Mean posterior standard deviation exp(0.5·logVar) of one point.
double meanSigma(const float* logVar, int dim);
// ±1σ extents of the diagonal posterior projected on the two PCA axes.
QSizeF projectedSigma(const core::Projection2D& projection, const float* logVar, int dim);

// TensorBoard projector files: vectors.tsv (μ) and metadata.tsv (with a header) in `folder`.
bool writeProjectorTsv(const LatentPoints& points, const DataState& data, const QString& folder,
                       QString* error);

// One background job at a time per slot: start() cancels the running one (its stop token
// fires) and makes its result stale. Callbacks run on the context's (GUI) thread. The slot
// waits for its jobs on destruction, so it must be a member of the context object.
class JobSlot {
public:
    using Post = std::function<void(std::function<void()>)>;  // runs on the GUI thread if current
    using Failed = std::function<void(const QString& message, bool cancelled)>;

    explicit JobSlot(QObject* context) : m_context(context) {}
    ~JobSlot() {
        cancel();
        for (auto& f : m_futures) f.waitForFinished();
    }
    JobSlot(const JobSlot&) = delete;
    JobSlot& operator=(const JobSlot&) = delete;

    template <class R>
    void start(std::function<R(std::stop_token, const Post&)> work, std::function<void(R)> done,
               Failed failed) {
        cancel();
        m_stop = std::stop_source();
        const quint64 gen = ++m_generation;
        m_running = true;
        QObject* context = m_context;
        auto post = [this, context, gen](std::function<void()> fn) {
            QMetaObject::invokeMethod(
                context,
                [this, gen, fn = std::move(fn)] {
                    if (gen == m_generation) fn();
                },
                Qt::QueuedConnection);
        };
        m_futures.removeIf([](const QFuture<void>& f) { return f.isFinished(); });
        m_futures.push_back(QtConcurrent::run(jobPool(), [stop = m_stop.get_token(), post, work = std::move(work),
                                               done = std::move(done), failed = std::move(failed),
                                               this, gen]() mutable {
            try {
                R result = work(stop, post);
                post([this, gen, done, result = std::move(result)]() mutable {
                    if (gen == m_generation) m_running = false;
                    done(std::move(result));
                });
            } catch (const std::exception& e) {
                const bool cancelled = stop.stop_requested();
                const QString message = QString::fromUtf8(e.what());
                post([this, gen, failed, message, cancelled] {
                    if (gen == m_generation) m_running = false;
                    if (failed) failed(message, cancelled);
                });
            } catch (...) {
                post([this, gen, failed] {
                    if (gen == m_generation) m_running = false;
                    if (failed) failed(QStringLiteral("unknown error"), false);
                });
            }
        }));
    }

    // Stops the running job; its result will be dropped.
    void cancel() {
        m_stop.request_stop();
        ++m_generation;
        m_running = false;
    }
    bool running() const { return m_running; }

private:
    QObject* m_context;
    std::stop_source m_stop;
    quint64 m_generation = 0;
    bool m_running = false;
    QList<QFuture<void>> m_futures;
};

}  // namespace vaecf::ui
