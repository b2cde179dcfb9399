// SPDX-License-Identifier: MIT
// The dispatched kernels (core/src/kernels): sgemm against a double-precision reference for
// every instruction set this CPU runs, all transpose combinations, odd sizes, strides,
// alpha/beta variants and NaN garbage under beta = 0; bitwise equality across thread
// counts; adamStep against a scalar double reference.
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "kernels/kernels.h"
#include "test_util.h"

namespace k = vaecf::core::kernels;
using i64 = std::int64_t;

namespace {

struct Problem {
    bool transA = false, transB = false;
    i64 M = 0, N = 0, K = 0;
    i64 lda = 0, ldb = 0, ldc = 0;
    std::vector<float> A, B, C;
};

// Integer-valued operands keep every product and partial sum exact in float, so the
// result must equal the reference exactly; `real` draws arbitrary floats instead.
Problem makeProblem(bool transA, bool transB, i64 M, i64 N, i64 K, i64 pad, bool real,
                    std::uint32_t seed) {
    Problem p;
    p.transA = transA;
    p.transB = transB;
    p.M = M;
    p.N = N;
    p.K = K;
    const i64 aRows = transA ? K : M, aCols = transA ? M : K;
    const i64 bRows = transB ? N : K, bCols = transB ? K : N;
    p.lda = aCols + pad;
    p.ldb = bCols + pad;
    p.ldc = N + pad;
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> di(-4, 4);
    std::uniform_real_distribution<float> dr(-1.0f, 1.0f);
    auto draw = [&] { return real ? dr(rng) : float(di(rng)); };
    p.A.resize(std::size_t(aRows * p.lda));
    p.B.resize(std::size_t(bRows * p.ldb));
    p.C.resize(std::size_t(M * p.ldc));
    for (auto& x : p.A) x = draw();
    for (auto& x : p.B) x = draw();
    for (auto& x : p.C) x = draw();
    return p;
}

float at(const Problem& p, bool isA, i64 r, i64 c) {
    // op(A)(r, c) or op(B)(r, c)
    if (isA) return p.transA ? p.A[std::size_t(c * p.lda + r)] : p.A[std::size_t(r * p.lda + c)];
    return p.transB ? p.B[std::size_t(c * p.ldb + r)] : p.B[std::size_t(r * p.ldb + c)];
}

// Reference in double; also returns the magnitude sum for tolerances.
void reference(const Problem& p, float alpha, float beta, std::vector<double>& out,
               std::vector<double>& mag) {
    out.assign(std::size_t(p.M * p.N), 0.0);
    mag.assign(std::size_t(p.M * p.N), 0.0);
    for (i64 i = 0; i < p.M; ++i) {
        for (i64 j = 0; j < p.N; ++j) {
            double s = 0.0, m = 0.0;
            for (i64 q = 0; q < p.K; ++q) {
                const double prod = double(at(p, true, i, q)) * double(at(p, false, q, j));
                s += prod;
                m += std::abs(prod);
            }
            const double c = beta == 0.0f ? 0.0 : double(p.C[std::size_t(i * p.ldc + j)]);
            out[std::size_t(i * p.N + j)] = double(alpha) * s + double(beta) * c;
            mag[std::size_t(i * p.N + j)] = std::abs(double(alpha)) * m + std::abs(beta * c);
        }
    }
}

std::vector<k::Isa> supportedIsas() {
    std::vector<k::Isa> out;
    const k::Isa saved = k::activeIsa();
    for (k::Isa isa : {k::Isa::Generic, k::Isa::Avx2, k::Isa::Avx512})
        if (k::forceIsa(isa) == isa) out.push_back(isa);
    k::forceIsa(saved);
    return out;
}

// Runs sgemm on a copy of p.C and compares against the reference; exact for integer data.
bool checkGemm(const Problem& p, float alpha, float beta, bool exact, bool nanC, QString& why) {
    std::vector<double> ref, mag;
    reference(p, alpha, beta, ref, mag);
    std::vector<float> C = p.C;
    if (nanC) {
        for (i64 i = 0; i < p.M; ++i)
            for (i64 j = 0; j < p.N; ++j)
                C[std::size_t(i * p.ldc + j)] = std::numeric_limits<float>::quiet_NaN();
    }
    k::sgemm(p.transA, p.transB, p.M, p.N, p.K, alpha, p.A.data(), p.lda, p.B.data(), p.ldb,
             beta, C.data(), p.ldc);
    for (i64 i = 0; i < p.M; ++i) {
        for (i64 j = 0; j < p.ldc; ++j) {
            const float got = C[std::size_t(i * p.ldc + j)];
            if (j >= p.N) {
                // Padding between rows must be untouched.
                if (std::memcmp(&got, &p.C[std::size_t(i * p.ldc + j)], sizeof(float)) != 0) {
                    why = QString("padding overwritten at (%1,%2)").arg(i).arg(j);
                    return false;
                }
                continue;
            }
            const double want = ref[std::size_t(i * p.N + j)];
            const double tol = exact ? 0.0 : 1e-5 * mag[std::size_t(i * p.N + j)] + 1e-30;
            if (!(std::abs(double(got) - want) <= tol)) {
                why = QString("C(%1,%2) = %3, want %4 (tol %5)")
                          .arg(i)
                          .arg(j)
                          .arg(double(got), 0, 'g', 9)
                          .arg(want, 0, 'g', 9)
                          .arg(tol);
                return false;
            }
        }
    }
    return true;
}

}  // namespace

class KernelsTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void cleanup() { k::forceIsa(k::Isa::Avx512); }

    void isaSelection() {
        const auto isas = supportedIsas();
        QVERIFY(!isas.empty());
        QCOMPARE(isas.front(), k::Isa::Generic);
        QCOMPARE(k::forceIsa(k::Isa::Generic), k::Isa::Generic);
        QCOMPARE(k::activeIsa(), k::Isa::Generic);
        QCOMPARE(QString(k::isaName(k::Isa::Avx2)), QString("avx2"));
        // Asking for more than the CPU has gives the best it has.
        QCOMPARE(k::forceIsa(k::Isa::Avx512), isas.back());
    }

    void gemmOddSizes() {
        const i64 sizes[] = {1, 2, 7, 13, 33, 66, 257};
        for (k::Isa isa : supportedIsas()) {
            k::forceIsa(isa);
            std::uint32_t seed = 1;
            for (int t = 0; t < 4; ++t) {
                const bool tA = t & 1, tB = t & 2;
                for (i64 M : sizes)
                    for (i64 N : sizes)
                        for (i64 K : {i64{1}, i64{7}, i64{33}, i64{257}}) {
                            if (M * N * K > 257 * 257 * 33) continue;  // keep the test quick
                            const Problem p = makeProblem(tA, tB, M, N, K, (M + N) % 3, false,
                                                          seed++);
                            QString why;
                            if (!checkGemm(p, 1.0f, 0.0f, true, true, why))
                                QFAIL(qPrintable(QString("%1 tA=%2 tB=%3 %4x%5x%6: %7")
                                                     .arg(k::isaName(isa))
                                                     .arg(tA)
                                                     .arg(tB)
                                                     .arg(M)
                                                     .arg(N)
                                                     .arg(K)
                                                     .arg(why)));
                        }
            }
        }
    }

    void gemmAlphaBeta_data() {
        QTest::addColumn<float>("alpha");
        QTest::addColumn<float>("beta");
        QTest::addColumn<bool>("nanC");
        QTest::newRow("overwrite") << 1.0f << 0.0f << false;
        QTest::newRow("overwrite NaN garbage") << 1.0f << 0.0f << true;
        QTest::newRow("scaled overwrite NaN") << -0.5f << 0.0f << true;
        QTest::newRow("accumulate") << 1.0f << 1.0f << false;
        QTest::newRow("general") << -1.5f << 0.25f << false;
        QTest::newRow("alpha zero") << 0.0f << 2.0f << false;
        QTest::newRow("alpha zero beta zero NaN") << 0.0f << 0.0f << true;
    }

    void gemmAlphaBeta() {
        QFETCH(float, alpha);
        QFETCH(float, beta);
        QFETCH(bool, nanC);
        // Shapes that cross the depth blocks, the shared-operand super-blocks (long K) and
        // the per-task column strips (wide N).
        struct S {
            i64 M, N, K;
        };
        const S shapes[] = {{130, 301, 700}, {70, 9, 20000}, {13, 5003, 500}, {5, 3, 1}};
        for (k::Isa isa : supportedIsas()) {
            k::forceIsa(isa);
            for (const S& s : shapes)
                for (int t = 0; t < 4; ++t) {
                    const Problem p =
                        makeProblem(t & 1, t & 2, s.M, s.N, s.K, 5, false, std::uint32_t(t + 7));
                    QString why;
                    if (!checkGemm(p, alpha, beta, true, nanC, why))
                        QFAIL(qPrintable(QString("%1 t=%2 %3x%4x%5: %6")
                                             .arg(k::isaName(isa))
                                             .arg(t)
                                             .arg(s.M)
                                             .arg(s.N)
                                             .arg(s.K)
                                             .arg(why)));
                }
        }
    }

    void gemmRealValues() {
        for (k::Isa isa : supportedIsas()) {
            k::forceIsa(isa);
            for (int t = 0; t < 4; ++t) {
                const Problem p = makeProblem(t & 1, t & 2, 61, 97, 1500, 1, true, 99);
                QString why;
                if (!checkGemm(p, 0.3f, -0.7f, false, false, why))
                    QFAIL(qPrintable(QString("%1 t=%2: %3").arg(k::isaName(isa)).arg(t).arg(why)));
            }
        }
    }

    void gemmSameBitsForAnyThreadCount() {
        struct S {
            bool tA, tB;
            i64 M, N, K;
        };
        // Small-A wide strips, long-K 2-D tiles, and a small all-shared product.
        const S shapes[] = {{false, false, 100, 4099, 300},
                            {true, false, 120, 3001, 250},
                            {false, true, 100, 120, 9001},
                            {false, false, 50, 40, 60}};
        for (k::Isa isa : supportedIsas()) {
            k::forceIsa(isa);
            for (const S& s : shapes) {
                const Problem p = makeProblem(s.tA, s.tB, s.M, s.N, s.K, 0, true, 5);
                std::vector<std::vector<float>> results;
                for (int threads : {1, 2, 1, 2}) {
                    std::vector<float> C = p.C;
                    tbb::task_arena arena(threads);
                    arena.execute([&] {
                        k::sgemm(s.tA, s.tB, s.M, s.N, s.K, 0.7f, p.A.data(), p.lda, p.B.data(),
                                 p.ldb, 0.5f, C.data(), p.ldc);
                    });
                    results.push_back(std::move(C));
                }
                for (std::size_t r = 1; r < results.size(); ++r)
                    QVERIFY2(std::memcmp(results[0].data(), results[r].data(),
                                         results[0].size() * sizeof(float)) == 0,
                             qPrintable(QString("%1 %2x%3x%4 differs with another thread count")
                                            .arg(k::isaName(isa))
                                            .arg(s.M)
                                            .arg(s.N)
                                            .arg(s.K)));
            }
        }
    }

    void gemmNestedInParallelLoop() {
        // sgemm called from inside tasks of an outer parallel loop: a thread that waits in
        // an inner loop may run another outer task, and the packing buffers must not clash.
        const Problem p = makeProblem(false, true, 64, 80, 3000, 0, false, 11);
        std::vector<double> ref, mag;
        reference(p, 1.0f, 0.0f, ref, mag);
        constexpr int outer = 8;
        std::vector<std::vector<float>> out(outer, std::vector<float>(p.C.size()));
        tbb::task_arena arena(2);
        arena.execute([&] {
            tbb::parallel_for(0, outer, [&](int r) {
                k::sgemm(false, true, p.M, p.N, p.K, 1.0f, p.A.data(), p.lda, p.B.data(), p.ldb,
                         0.0f, out[std::size_t(r)].data(), p.ldc);
            });
        });
        for (const auto& C : out)
            for (std::size_t i = 0; i < ref.size(); ++i) QCOMPARE(double(C[i]), ref[i]);
    }

    void adamMatchesReference() {
        for (k::Isa isa : supportedIsas()) {
            k::forceIsa(isa);
            for (i64 n : {i64{1}, i64{7}, i64{33}, i64{1000}, i64{100003}}) {
                for (float wd : {0.0f, 0.01f}) {
                    std::mt19937 rng{static_cast<std::uint32_t>(n)};
                    std::uniform_real_distribution<float> d(-1.0f, 1.0f);
                    const auto len = static_cast<std::size_t>(n);
                    std::vector<float> w(len), m(len), v(len), g(len);
                    for (i64 i = 0; i < n; ++i) {
                        w[std::size_t(i)] = d(rng);
                        m[std::size_t(i)] = 0.1f * d(rng);
                        v[std::size_t(i)] = 0.01f * std::abs(d(rng));
                        g[std::size_t(i)] = d(rng);
                    }
                    std::vector<double> wr(w.begin(), w.end()), mr(m.begin(), m.end()),
                        vr(v.begin(), v.end());
                    const float lr = 1e-3f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
                    for (std::int64_t step = 1; step <= 3; ++step) {
                        k::adamStep(w.data(), m.data(), v.data(), g.data(), n, lr, b1, b2, eps, wd,
                                    step);
                        const double bc1 = 1.0 - std::pow(double(b1), double(step));
                        const double bc2 = 1.0 - std::pow(double(b2), double(step));
                        for (std::size_t i = 0; i < std::size_t(n); ++i) {
                            const double gi = double(g[i]) + double(wd) * wr[i];
                            mr[i] = double(b1) * mr[i] + (1.0 - double(b1)) * gi;
                            vr[i] = double(b2) * vr[i] + (1.0 - double(b2)) * gi * gi;
                            wr[i] -= double(lr) * (mr[i] / bc1) / (std::sqrt(vr[i] / bc2) + eps);
                        }
                    }
                    for (std::size_t i = 0; i < std::size_t(n); ++i) {
                        const auto close = [](double got, double want) {
                            return std::abs(got - want) <= 1e-5 * std::abs(want) + 1e-7;
                        };
                        if (!close(w[i], wr[i]) || !close(m[i], mr[i]) || !close(v[i], vr[i]))
                            QFAIL(qPrintable(QString("%1 n=%2 i=%3: w %4/%5 m %6/%7 v %8/%9")
                                                 .arg(k::isaName(isa))
                                                 .arg(n)
                                                 .arg(i)
                                                 .arg(w[i])
                                                 .arg(wr[i])
                                                 .arg(m[i])
                                                 .arg(mr[i])
                                                 .arg(v[i])
                                                 .arg(vr[i])));
                    }
                }
            }
        }
    }

    void adamSameBitsForAnyThreadCount() {
        const i64 n = 1000003;
        std::vector<float> g(static_cast<std::size_t>(n));
        std::mt19937 rng(3);
        std::uniform_real_distribution<float> d(-1.0f, 1.0f);
        for (auto& x : g) x = d(rng);
        std::vector<std::vector<float>> ws;
        for (int threads : {1, 2}) {
            std::vector<float> w(static_cast<std::size_t>(n), 0.5f), m(w.size(), 0.0f),
                v(w.size(), 0.0f);
            tbb::task_arena arena(threads);
            arena.execute([&] {
                for (int step = 1; step <= 2; ++step)
                    k::adamStep(w.data(), m.data(), v.data(), g.data(), n, 1e-3f, 0.9f, 0.999f,
                                1e-8f, 0.0f, step);
            });
            ws.push_back(std::move(w));
        }
        QVERIFY(std::memcmp(ws[0].data(), ws[1].data(), std::size_t(n) * sizeof(float)) == 0);
    }

    // Lazy Adam: replaying zero-gradient steps in registers and then one step with a gradient
    // must give the same bits as stepping densely every time.
    void adamStepsEqualsDenseStepsBitwise() {
        for (k::Isa isa : supportedIsas()) {
            k::forceIsa(isa);
            for (float wd : {0.0f, 0.01f}) {
                const i64 n = 37;
                std::mt19937 rng(5);
                std::uniform_real_distribution<float> d(-1.0f, 1.0f);
                std::vector<float> w(n), m(n), v(n), g(n), zero(n, 0.0f);
                for (i64 i = 0; i < n; ++i) {
                    w[i] = d(rng);
                    m[i] = 0.1f * d(rng);
                    v[i] = 0.01f * std::abs(d(rng));
                    g[i] = d(rng);
                }
                auto w2 = w, m2 = m, v2 = v;
                const float lr = 1e-3f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
                // Dense: steps 4..9 with zero gradient, step 10 with g.
                for (std::int64_t t = 4; t <= 10; ++t)
                    k::adamStep(w.data(), m.data(), v.data(), t == 10 ? g.data() : zero.data(), n,
                                lr, b1, b2, eps, wd, t);
                std::vector<float> ss, ib;
                for (std::int64_t t = 4; t <= 10; ++t) {
                    float a, b;
                    k::adamConstants(lr, b1, b2, t, &a, &b);
                    ss.push_back(a);
                    ib.push_back(b);
                }
                k::adamSteps(w2.data(), m2.data(), v2.data(), g.data(), n, ss.data(), ib.data(), 7,
                             b1, b2, eps, wd);
                QVERIFY(std::memcmp(w.data(), w2.data(), n * sizeof(float)) == 0);
                QVERIFY(std::memcmp(m.data(), m2.data(), n * sizeof(float)) == 0);
                QVERIFY(std::memcmp(v.data(), v2.data(), n * sizeof(float)) == 0);
                // adamStepSerial is the same step as adamStep.
                auto w3 = w, m3 = m, v3 = v;
                k::adamStep(w.data(), m.data(), v.data(), g.data(), n, lr, b1, b2, eps, wd, 11);
                float a, b;
                k::adamConstants(lr, b1, b2, 11, &a, &b);
                k::adamStepSerial(w3.data(), m3.data(), v3.data(), g.data(), n, a, b, b1, b2, eps, wd);
                QVERIFY(std::memcmp(w.data(), w3.data(), n * sizeof(float)) == 0);
            }
        }
    }

    void flushDenormalsSetsAndRestores() {
        const unsigned before = k::floatControl();
        k::setFlushDenormals();
        QCOMPARE(k::floatControl() & 0x8040u, 0x8040u);
        volatile float tiny = 1e-39f;  // a denormal: read as zero (DAZ)
        QCOMPARE(tiny * 1.0f, 0.0f);
        k::setFloatControl(before);
        QCOMPARE(k::floatControl(), before);
    }

    // sgemmStrips: same product as sgemm, every strip seen once with the announced width, for
    // 1 and 2 threads.
    void stripEpilogueSeesEachStripOnce() {
        const i64 M = 37, N = 1001, K = 45;
        std::mt19937 rng(9);
        std::uniform_real_distribution<float> d(-1.0f, 1.0f);
        std::vector<float> A(M * K), B(K * N);
        for (auto& x : A) x = d(rng);
        for (auto& x : B) x = d(rng);
        std::vector<float> ref(M * N);
        k::sgemm(false, false, M, N, K, 1.0f, A.data(), K, B.data(), N, 0.0f, ref.data(), N);
        for (int threads : {1, 2}) {
            tbb::task_arena arena(threads);
            arena.execute([&] {
                std::vector<float> C(M * N, 7.0f);
                std::vector<std::atomic<int>> seen(N);
                const i64 width = k::sgemmStripWidth(N);
                k::sgemmStrips(false, false, M, N, K, 1.0f, A.data(), K, B.data(), N, 0.0f,
                               C.data(), N, [&](i64 j0, i64 j1) {
                    QVERIFY(j0 % width == 0 && (j1 - j0 == width || j1 == N));
                    for (i64 j = j0; j < j1; ++j) {
                        seen[j]++;
                        for (i64 i = 0; i < M; ++i) QCOMPARE(C[i * N + j], ref[i * N + j]);
                    }
                });
                for (i64 j = 0; j < N; ++j) QCOMPARE(seen[j].load(), 1);
                QVERIFY(std::memcmp(C.data(), ref.data(), C.size() * sizeof(float)) == 0);
            });
        }
    }
};

QTEST_GUILESS_MAIN(KernelsTest)
#include "kernels_test.moc"
