// SPDX-License-Identifier: MIT
// NumPy's legacy RandomState and Python's random module, bit for bit. Every expected value was
// printed by NumPy 1.24.2 / CPython 3.11.2 with the Python line quoted beside it.
#include <QtTest/QtTest>

#include <cstdint>
#include <vector>

#include "numpy_random.h"
#include "test_util.h"

using namespace vaecf::core;

namespace {
using I64 = std::vector<std::int64_t>;
}

class NumpyRandomTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void rawStream() {
        // np.random.RandomState(98765).randint(0, 2**32, 5, dtype=np.uint64)
        NumpyRandomState rs(98765);
        const std::vector<std::uint32_t> want{381816597u, 462228979u, 4069238124u, 3270897581u,
                                              3428218845u};
        for (auto w : want) QCOMPARE(rs.nextUint32(), w);
        // np.random.RandomState(0).randint(0, 2**32, 3, dtype=np.uint64)
        NumpyRandomState zero(0);
        for (auto w : {2357136044u, 2546248239u, 3071714933u}) QCOMPARE(zero.nextUint32(), w);
        // np.random.RandomState(4294967295).randint(0, 2**32, 3, dtype=np.uint64)
        NumpyRandomState top(4294967295u);
        for (auto w : {419326371u, 479346978u, 3918654476u}) QCOMPARE(top.nextUint32(), w);
        // Re-seeding restarts the stream.
        rs.reseed(98765);
        QCOMPARE(rs.nextUint32(), 381816597u);
    }

    void boundedDraws() {
        // rs = np.random.RandomState(3); rs.randint(0, 1000, 4); rs.permutation(5)
        NumpyRandomState rs(3);
        for (std::uint64_t w : {874u, 664u, 249u, 643u}) QCOMPARE(rs.interval(999), w);
        QCOMPARE(rs.permutation(5), (I64{2, 1, 3, 4, 0}));
        // np.random.RandomState(5).randint(0, 2**40, 3, dtype=np.uint64)  (64-bit draws)
        NumpyRandomState big(5);
        for (std::uint64_t w : {425438759118ull, 1030067709629ull, 989404716150ull})
            QCOMPARE(big.interval((1ull << 40) - 1), w);
        QCOMPARE(big.interval(0), std::uint64_t{0});
    }

    void permutationAndChoice() {
        // np.random.RandomState(98765).permutation(10)
        QCOMPARE(NumpyRandomState(98765).permutation(10), (I64{8, 7, 1, 2, 0, 6, 9, 4, 3, 5}));
        // np.random.RandomState(98765).permutation(938)[:8]
        I64 p = NumpyRandomState(98765).permutation(938);
        p.resize(8);
        QCOMPARE(p, (I64{843, 333, 230, 325, 405, 820, 600, 922}));
        // np.random.RandomState(1).choice(87, 17, replace=False)
        QCOMPARE(NumpyRandomState(1).choiceWithoutReplacement(87, 17),
                 (I64{38, 44, 27, 40, 36, 82, 58, 69, 86, 56, 67, 53, 48, 66, 63, 10, 2}));
        QCOMPARE(NumpyRandomState(1).permutation(0), I64{});
        QCOMPARE(NumpyRandomState(1).permutation(1), I64{0});
    }

    void doubles() {
        // np.random.RandomState(7).random_sample(3)
        NumpyRandomState u(7);
        QCOMPARE(u.randomSample(), 0.07630828937395717);
        QCOMPARE(u.randomSample(), 0.7799187922401146);
        QCOMPARE(u.randomSample(), 0.4384092314408935);
        // np.random.RandomState(7).standard_normal(3)  (log/sqrt may differ by an ulp elsewhere)
        NumpyRandomState g(7);
        const double want[] = {1.690525703800356, -0.4659373705408328, 0.0328201636785844};
        for (double w : want) QVERIFY(std::abs(g.standardNormal() - w) <= 1e-15 * std::abs(w));
    }

    void pythonRandom() {
        // random.seed(98765); [random.getrandbits(32) for _ in range(3)]
        PythonRandom r(98765);
        for (std::uint64_t w : {561019409u, 3337446717u, 2534184365u})
            QCOMPARE(r.getrandbits(32), w);
        // random.seed(2**40 + 5); [random.getrandbits(32) for _ in range(2)]  (two key words)
        PythonRandom wide((1ull << 40) + 5);
        for (std::uint64_t w : {2166296868u, 2220160828u}) QCOMPARE(wide.getrandbits(32), w);
        // random.seed(0); [random.getrandbits(32) for _ in range(2)], random.getrandbits(64)
        PythonRandom zero(0);
        for (std::uint64_t w : {3626764237u, 1654615998u}) QCOMPARE(zero.getrandbits(32), w);
        QCOMPARE(zero.getrandbits(64), 16422101724900707500ull);
        // random.seed(98765); random.random()
        QCOMPARE(PythonRandom(98765).random(), 0.13062251193120966);
    }

    void pythonShuffleAndSample() {
        // random.seed(98765); l = list(range(10)); random.shuffle(l)
        PythonRandom r(98765);
        I64 l{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        r.shuffle(std::span<std::int64_t>(l));
        QCOMPARE(l, (I64{4, 0, 7, 9, 6, 3, 5, 1, 8, 2}));
        // random.seed(98765); random.sample(range(87), 17)   (pool branch)
        QCOMPARE(PythonRandom(98765).sample(87, 17),
                 (I64{16, 75, 71, 11, 54, 61, 33, 55, 86, 82, 2, 52, 6, 39, 12, 30, 24}));
        // random.seed(98765); random.sample(range(1000), 30)   (set branch)
        QCOMPARE(PythonRandom(98765).sample(1000, 30),
                 (I64{133, 795, 604, 574, 725, 95,  762, 435, 492, 266, 445, 693, 973, 663, 23,
                      862, 418, 895, 48,  315, 761, 821, 268, 805, 900, 568, 758, 99,  796, 241}));
        QCOMPARE(PythonRandom(1).sample(5, 0), I64{});
    }
};

QTEST_GUILESS_MAIN(NumpyRandomTest)
#include "numpy_random_test.moc"
