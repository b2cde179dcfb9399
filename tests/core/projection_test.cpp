// SPDX-License-Identifier: MIT
// Latent-space maps: PCA recovers a known axis, t-SNE separates clusters deterministically for
// any thread count and cancels cleanly, stratified samples keep proportions, exact nearest
// neighbours for both distances.
#include <algorithm>
#include <cmath>
#include <set>

#include <tbb/task_arena.h>

#include "test_util.h"
#include "vaecf/error.h"
#include "vaecf/projection.h"
#include "vaecf/rng.h"

using namespace vaecf::core;

namespace {

// `clusters` Gaussian blobs of `per` points in `dim` dimensions, centres 10 apart on the
// first axes, unit noise. Labels in cluster order.
PointSet blobs(int clusters, int per, int dim, std::uint64_t seed, std::vector<int>* labels) {
    Rng rng(seed);
    PointSet p;
    p.n = static_cast<std::int64_t>(clusters) * per;
    p.dim = dim;
    p.data.resize(static_cast<std::size_t>(p.n * dim));
    for (int c = 0; c < clusters; ++c)
        for (int i = 0; i < per; ++i) {
            float* x = p.data.data() + (static_cast<std::int64_t>(c) * per + i) * dim;
            for (int d = 0; d < dim; ++d) x[d] = static_cast<float>(rng.normal());
            x[c % dim] += 10.0f;
            if (labels) labels->push_back(c);
        }
    return p;
}

TsneOptions quickTsne() {
    TsneOptions o;
    o.perplexity = 20;
    o.iterations = 400;
    return o;
}

}  // namespace

class ProjectionTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void pcaRecoversTheDominantAxis() {
        // Points along u = (3, 4) / 5 (spread ~10) with small noise along v = (-4, 3) / 5,
        // around (1, 2).
        Rng rng(3);
        PointSet p;
        p.n = 500;
        p.dim = 2;
        double s2u = 0, s2v = 0;
        std::vector<double> us, vs;
        for (int i = 0; i < p.n; ++i) {
            const double t = 10 * rng.normal(), e = 0.1 * rng.normal();
            us.push_back(t);
            vs.push_back(e);
            p.data.push_back(static_cast<float>(1 + 0.6 * t - 0.8 * e));
            p.data.push_back(static_cast<float>(2 + 0.8 * t + 0.6 * e));
        }
        const Projection2D m = pca2d(p);
        QCOMPARE(m.xy.size(), std::size_t(1000));
        QCOMPARE(m.axes.size(), std::size_t(4));
        // Sign rule: the largest-magnitude entry is positive: axis0 = +(0.6, 0.8), axis1 =
        // (-0.8, 0.6) flipped to (0.8, -0.6).
        QVERIFY(std::abs(m.axes[0] - 0.6f) < 1e-3f && std::abs(m.axes[1] - 0.8f) < 1e-3f);
        QVERIFY(std::abs(m.axes[2] - 0.8f) < 1e-2f && std::abs(m.axes[3] + 0.6f) < 1e-2f);
        QVERIFY(std::abs(m.mean[0] - p.data[0]) < 100);  // sanity
        // Shares: sample variances along u and v.
        double mu = 0, mv = 0;
        for (int i = 0; i < p.n; ++i) {
            mu += us[i];
            mv += vs[i];
        }
        mu /= p.n;
        mv /= p.n;
        for (int i = 0; i < p.n; ++i) {
            s2u += (us[i] - mu) * (us[i] - mu);
            s2v += (vs[i] - mv) * (vs[i] - mv);
        }
        QVERIFY(std::abs(m.explained[0] - s2u / (s2u + s2v)) < 1e-4);
        QVERIFY(std::abs(m.explained[1] - s2v / (s2u + s2v)) < 1e-4);
        QVERIFY(std::abs(m.explained[0] + m.explained[1] - 1) < 1e-9);
        // Round trip: a 2-D point lies in the plane, so mean + x·axis0 + y·axis1 gives it back.
        for (int i : {0, 17, 499}) {
            const float x = m.xy[2 * i], y = m.xy[2 * i + 1];
            for (int d = 0; d < 2; ++d) {
                const float back = m.mean[d] + x * m.axes[d] + y * m.axes[2 + d];
                QVERIFY(std::abs(back - p.data[2 * i + d]) < 1e-3f);
            }
        }
        // The map coordinates are the projections on the axes.
        QVERIFY(std::abs(m.xy[0] - (0.6 * (p.data[0] - m.mean[0]) + 0.8 * (p.data[1] - m.mean[1]))) < 1e-3);
    }

    void pcaInHigherDimensionsAndErrors() {
        // 3 blobs in 20-D: the two leading axes separate them; any thread count, same bits.
        const PointSet p = blobs(3, 200, 20, 5, nullptr);
        const Projection2D a = pca2d(p);
        Projection2D b;
        tbb::task_arena one(1);
        one.execute([&] { b = pca2d(p); });
        QCOMPARE(a.xy, b.xy);
        QCOMPARE(a.axes, b.axes);
        QVERIFY(a.explained[0] >= a.explained[1] && a.explained[0] + a.explained[1] < 1);
        for (int ax = 0; ax < 2; ++ax) {
            double len = 0;
            for (int d = 0; d < 20; ++d) len += double(a.axes[ax * 20 + d]) * a.axes[ax * 20 + d];
            QVERIFY(std::abs(len - 1) < 1e-5);
        }
        PointSet bad;
        bad.dim = 3;
        VAECF_EXPECT_ERROR(pca2d(bad), "PCA needs at least 1 point, got 0");
        bad.n = 2;
        bad.data = {1, 2, 3};
        VAECF_EXPECT_ERROR(pca2d(bad), "PCA: the point set has 3 values, expected n x dim = 6");
        bad.data = {1, 2, 3, 4, NAN, 6};
        VAECF_EXPECT_ERROR(pca2d(bad), "PCA: point 1 has a non-finite coordinate");
    }

    void tsneSeparatesClusters() {
        std::vector<int> label;
        const PointSet p = blobs(3, 100, 20, 11, &label);
        TsneOptions o = quickTsne();
        int calls = 0, lastIter = 0;
        o.progress = [&](int it, int total, const std::vector<float>& xy) {
            ++calls;
            lastIter = it;
            return total == o.iterations && xy.size() == 600;
        };
        const Projection2D m = tsne2d(p, o);
        QCOMPARE(m.xy.size(), std::size_t(600));
        QCOMPARE(calls, 40);
        QCOMPARE(lastIter, 400);
        int same = 0, total = 0;
        for (int i = 0; i < 300; ++i) {
            std::vector<std::pair<double, int>> d;
            for (int j = 0; j < 300; ++j) {
                if (j == i) continue;
                const double dx = m.xy[2 * i] - m.xy[2 * j], dy = m.xy[2 * i + 1] - m.xy[2 * j + 1];
                d.push_back({dx * dx + dy * dy, j});
            }
            std::partial_sort(d.begin(), d.begin() + 10, d.end());
            for (int t = 0; t < 10; ++t) {
                same += label[d[t].second] == label[i];
                ++total;
            }
        }
        qInfo("own-cluster share of the 10 map neighbours: %.4f", double(same) / total);
        QVERIFY(same >= 0.95 * total);
    }

    void tsneIsDeterministicForAnyThreadCount() {
        const PointSet p = blobs(3, 60, 10, 2, nullptr);
        TsneOptions o = quickTsne();
        o.iterations = 300;
        o.perplexity = 10;
        o.threads = 2;
        const Projection2D a = tsne2d(p, o), b = tsne2d(p, o);
        QCOMPARE(a.xy, b.xy);
        o.threads = 1;
        const Projection2D c = tsne2d(p, o);
        QCOMPARE(a.xy, c.xy);
        // Also inside a caller's 1-thread arena with threads = 0 (all of that arena).
        o.threads = 0;
        Projection2D d;
        tbb::task_arena one(1);
        one.execute([&] { d = tsne2d(p, o); });
        QCOMPARE(a.xy, d.xy);
        // theta = 0 (exact repulsion) runs too and differs only slightly.
        o.theta = 0;
        const Projection2D e = tsne2d(p, o);
        QCOMPARE(e.xy.size(), a.xy.size());
        for (float v : e.xy) QVERIFY(std::isfinite(v));
    }

    void tsneHandlesDuplicatesAndTinySets() {
        // Coincident points and a line: the quadtree must not recurse forever, the map stays
        // finite, and a collinear set still spreads in 2-D (seeded second axis).
        PointSet p;
        p.n = 40;
        p.dim = 3;
        for (int i = 0; i < 40; ++i) {
            const float t = static_cast<float>(i < 20 ? 0 : i);
            p.data.insert(p.data.end(), {t, 2 * t, -t});
        }
        TsneOptions o = quickTsne();
        o.perplexity = 5;
        o.iterations = 300;
        const Projection2D m = tsne2d(p, o);
        for (float v : m.xy) QVERIFY(std::isfinite(v));
        PointSet four = blobs(1, 4, 2, 1, nullptr);
        o.perplexity = 30;  // k clamps to n - 1 = 3
        const Projection2D f = tsne2d(four, o);
        QCOMPARE(f.xy.size(), std::size_t(8));
        for (float v : f.xy) QVERIFY(std::isfinite(v));
    }

    void tsneCancels() {
        const PointSet p = blobs(3, 40, 5, 3, nullptr);
        TsneOptions o = quickTsne();
        o.perplexity = 10;
        int calls = 0;
        o.progress = [&](int it, int, const std::vector<float>&) {
            ++calls;
            return it < 50;
        };
        VAECF_EXPECT_ERROR(tsne2d(p, o), "cancelled");
        QCOMPARE(calls, 5);
        o.progress = {};
        std::stop_source src;
        src.request_stop();
        VAECF_EXPECT_ERROR(tsne2d(p, o, src.get_token()), "cancelled");
        // Stop fired from the progress callback (as a UI's cancel button would) mid-run.
        std::stop_source mid;
        o.progress = [&](int it, int, const std::vector<float>&) {
            if (it == 100) mid.request_stop();
            return true;
        };
        VAECF_EXPECT_ERROR(tsne2d(p, o, mid.get_token()), "cancelled");
    }

    void tsneRejectsBadOptions() {
        const PointSet p = blobs(1, 10, 3, 1, nullptr);
        TsneOptions o;
        o.perplexity = 500;
        VAECF_EXPECT_ERROR(tsne2d(p, o), "t-SNE: perplexity must be in [2, 100], got 500");
        o.perplexity = 1.5;
        VAECF_EXPECT_ERROR(tsne2d(p, o), "t-SNE: perplexity must be in [2, 100], got 1.5");
        o = {};
        o.iterations = 0;
        VAECF_EXPECT_ERROR(tsne2d(p, o), "t-SNE: iterations must be in [1, 100000], got 0");
        o = {};
        o.learningRate = -1;
        VAECF_EXPECT_ERROR(tsne2d(p, o), "t-SNE: learning rate must be positive (0: automatic), got -1");
        o = {};
        o.theta = 2;
        VAECF_EXPECT_ERROR(tsne2d(p, o), "t-SNE: theta must be in [0, 1], got 2");
        o = {};
        o.threads = -1;
        VAECF_EXPECT_ERROR(tsne2d(p, o), "t-SNE: threads must be in [0, 1024] (0: all cores), got -1");
        o = {};
        const PointSet two = blobs(1, 2, 3, 1, nullptr);
        VAECF_EXPECT_ERROR(tsne2d(two, o), "t-SNE needs at least 4 points, got 2");
        PointSet nan = p;
        nan.data[7] = INFINITY;
        VAECF_EXPECT_ERROR(tsne2d(nan, o), "t-SNE: point 2 has a non-finite coordinate");
    }

    void stratifiedSampleKeepsProportions() {
        // Strata of 500, 300, 150, 45, 5 points (labels shuffled over the indices).
        const std::vector<int> sizes{500, 300, 150, 45, 5};
        std::vector<std::int32_t> strata;
        for (std::size_t s = 0; s < sizes.size(); ++s)
            strata.insert(strata.end(), static_cast<std::size_t>(sizes[s]), static_cast<std::int32_t>(s * 7 - 3));
        Rng rng(4);
        for (std::size_t i = strata.size(); i > 1; --i) std::swap(strata[i - 1], strata[rng.below(i)]);
        const std::int64_t n = 1000;
        for (const std::int64_t M : {100, 333, 999}) {
            const auto a = stratifiedSample(n, M, strata, 9);
            QCOMPARE(static_cast<std::int64_t>(a.size()), M);
            QVERIFY(std::is_sorted(a.begin(), a.end()));
            QVERIFY(std::adjacent_find(a.begin(), a.end()) == a.end());
            QVERIFY(a.front() >= 0 && a.back() < n);
            for (std::size_t s = 0; s < sizes.size(); ++s) {
                const auto label = static_cast<std::int32_t>(s * 7 - 3);
                const auto got = std::count_if(a.begin(), a.end(), [&](std::int64_t i) { return strata[i] == label; });
                const double exact = double(M) * sizes[s] / n;
                QVERIFY2(std::abs(got - exact) < 1.0 + 1e-9 && got >= 1,
                         qPrintable(QString("M %1 stratum %2: %3 vs %4").arg(M).arg(s).arg(got).arg(exact)));
            }
            QCOMPARE(stratifiedSample(n, M, strata, 9), a);
            QVERIFY(stratifiedSample(n, M, strata, 10) != a);
        }
        // A tiny stratum whose quota is below one still keeps a point.
        const auto tiny = stratifiedSample(n, 50, strata, 1);
        QCOMPARE(tiny.size(), std::size_t(50));
        for (std::size_t s = 0; s < sizes.size(); ++s)
            QVERIFY(std::any_of(tiny.begin(), tiny.end(), [&](std::int64_t i) { return strata[i] == std::int32_t(s * 7 - 3); }));
        // No strata: a plain sample; maxPoints >= n: everything.
        const auto plain = stratifiedSample(n, 10, {}, 3);
        QCOMPARE(plain.size(), std::size_t(10));
        QVERIFY(std::is_sorted(plain.begin(), plain.end()));
        std::vector<std::int64_t> all(static_cast<std::size_t>(n));
        std::iota(all.begin(), all.end(), 0);
        QCOMPARE(stratifiedSample(n, n, strata, 3), all);
        QCOMPARE(stratifiedSample(n, 5 * n, {}, 3), all);
        VAECF_EXPECT_ERROR(stratifiedSample(n, 0, {}, 3), "stratified sample: maxPoints must be positive, got 0");
        VAECF_EXPECT_ERROR(stratifiedSample(n, 5, {1, 2}, 3), "stratified sample: 2 stratum labels for 1000 points");
    }

    void nearestNeighboursByHand() {
        // Points: 0 (1,0), 1 (0,2), 2 (3,0), 3 (-1,-1), 4 (0,0).
        PointSet p;
        p.n = 5;
        p.dim = 2;
        p.data = {1, 0, 0, 2, 3, 0, -1, -1, 0, 0};
        const float q[2] = {1, 1};
        // Euclidean from (1,1): 0 -> 1, 1 -> √2, 2 -> √5, 3 -> √8, 4 -> √2.
        auto e = nearestNeighbours(p, q, 3, Distance::Euclidean);
        QCOMPARE(e.size(), std::size_t(3));
        QCOMPARE(e[0].index, std::int64_t(0));
        QCOMPARE(e[1].index, std::int64_t(1));  // tie with 4 broken by index
        QCOMPARE(e[2].index, std::int64_t(4));
        QVERIFY(std::abs(e[0].distance - 1) < 1e-6f);
        QVERIFY(std::abs(e[1].distance - std::sqrt(2.0f)) < 1e-6f);
        // Cosine from (1,1): 0, 1, 2 -> 1 - 1/√2; 3 -> 2; 4 (zero vector) -> 1 by definition.
        auto c = nearestNeighbours(p, q, 10, Distance::Cosine);
        QCOMPARE(c.size(), std::size_t(5));  // k clamps to n
        QCOMPARE(c[0].index, std::int64_t(0));
        QCOMPARE(c[1].index, std::int64_t(1));
        QCOMPARE(c[2].index, std::int64_t(2));
        QCOMPARE(c[3].index, std::int64_t(4));
        QCOMPARE(c[4].index, std::int64_t(3));
        QVERIFY(std::abs(c[0].distance - (1 - 1 / std::sqrt(2.0f))) < 1e-6f);
        QVERIFY(std::abs(c[3].distance - 1) < 1e-6f);
        QVERIFY(std::abs(c[4].distance - 2) < 1e-6f);
        // Excluding the query's own row; k > n - 1 clamps to n - 1.
        auto own = nearestNeighbours(p, p.row(2), 9, Distance::Euclidean, 2);
        QCOMPARE(own.size(), std::size_t(4));
        QCOMPARE(own[0].index, std::int64_t(0));
        QVERIFY(std::abs(own[0].distance - 2) < 1e-6f);
        for (const Neighbour& nb : own) QVERIFY(nb.index != 2);
        // A zero query: cosine distance 1 to everything, never NaN.
        const float zero[2] = {0, 0};
        for (const Neighbour& nb : nearestNeighbours(p, zero, 5, Distance::Cosine))
            QCOMPARE(nb.distance, 1.0f);
        QVERIFY(nearestNeighbours(p, q, 0, Distance::Cosine).empty());
        VAECF_EXPECT_ERROR(nearestNeighbours(p, q, -1, Distance::Cosine), "k must be non-negative, got -1");
        VAECF_EXPECT_ERROR(nearestNeighbours(p, q, 1, Distance::Cosine, 5),
                           "exclude must be -1 or a point index in [0, 5), got 5");
        VAECF_EXPECT_ERROR(nearestNeighbours(p, nullptr, 1, Distance::Cosine), "no query point");
    }
};

QTEST_APPLESS_MAIN(ProjectionTest)
#include "projection_test.moc"
