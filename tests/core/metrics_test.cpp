// SPDX-License-Identifier: MIT
// Ranking metrics against values computed by hand (Liang's definitions, models.md §2).
#include <cmath>
#include <limits>

#include "test_util.h"
#include "vaecf/metrics.h"

using namespace vaecf::core;

class MetricsTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void topKOrdersAndSkipsMinusInfinity() {
        const float inf = std::numeric_limits<float>::infinity();
        std::vector<float> s{0.5f, 2.0f, -inf, 2.0f, 1.0f};
        const auto t = topK(s, 3);
        QCOMPARE(t, (std::vector<std::int32_t>{1, 3, 4}));  // tie 2.0: lower index first
        QCOMPARE(topK(s, 10).size(), std::size_t(4));      // -inf never returned
        QVERIFY(topK(s, 0).empty());
    }

    void ndcgHandComputed() {
        // Ranked list: items 5, 1, 9, 3. Held-out {1, 3, 7}.
        // DCG@4 = 1/log2(3) + 1/log2(5) = 0.63093 + 0.43068 = 1.06161
        // IDCG (min(3,4)=3 hits) = 1 + 1/log2(3) + 1/2 = 2.13093
        const std::vector<std::int32_t> ranked{5, 1, 9, 3}, held{1, 3, 7};
        const double dcg = 1 / std::log2(3.0) + 1 / std::log2(5.0);
        const double idcg = 1 + 1 / std::log2(3.0) + 0.5;
        QVERIFY(std::abs(ndcgAt(ranked, held, 4) - dcg / idcg) < 1e-12);
        QVERIFY(std::abs(ndcgAt(ranked, held, 4) - 0.4981893) < 1e-6);
        // k = 2: DCG = 1/log2(3); IDCG over min(3, 2) = 2 positions = 1 + 1/log2(3).
        QVERIFY(std::abs(ndcgAt(ranked, held, 2) - (1 / std::log2(3.0)) / (1 + 1 / std::log2(3.0))) <
                1e-12);
        // Perfect ranking gives 1.
        QCOMPARE(ndcgAt(std::vector<std::int32_t>{3, 1, 7}, held, 100), 1.0);
    }

    void recallUsesMinKN() {
        const std::vector<std::int32_t> ranked{5, 1, 9, 3}, held{1, 3, 7};
        // k = 2: one hit / min(2, 3) = 0.5 ; k = 4: two hits / min(4, 3) = 2/3.
        QCOMPARE(recallAt(ranked, held, 2), 0.5);
        QVERIFY(std::abs(recallAt(ranked, held, 4) - 2.0 / 3.0) < 1e-15);
        // A user with fewer held-out items than k can reach 1.
        QCOMPARE(recallAt(std::vector<std::int32_t>{7, 1, 3, 0}, held, 20), 1.0);
        QCOMPARE(precisionAt(ranked, held, 4), 0.5);
        QCOMPARE(mrrAt(ranked, held, 4), 0.5);
        QCOMPARE(mrrAt(ranked, std::vector<std::int32_t>{2}, 4), 0.0);
        QVERIFY(std::isnan(ndcgAt(ranked, {}, 4)));
    }

    void evaluateRankingMasksFoldInAndSkipsEmptyUsers() {
        // 3 users, 5 items. Scores are the same for everyone: item i scores 10 - i.
        // User 0: fold-in {0}, held-out {1}  -> ranking 1,2,3,4 : hit at rank 1.
        // User 1: fold-in {1, 2}, held-out {4} -> ranking 0,3,4 : hit at rank 3.
        // User 2: fold-in {3}, held-out {} -> not scored.
        CsrMatrix f = CsrMatrix::fromTriplets(3, 5, {0, 1, 1, 2}, {0, 1, 2, 3}, {});
        CsrMatrix h = CsrMatrix::fromTriplets(3, 5, {0, 1}, {1, 4}, {});
        MetricOptions o;
        o.ndcgK = 3;
        o.recallKs = {1, 2};
        o.precisionK = 2;
        o.mrrK = 3;
        o.hitK = 2;
        o.coverageK = 2;
        std::vector<UserMetrics> per;
        const MetricReport r = evaluateRanking(
            f, h,
            [](std::int64_t b, std::int64_t e, float* out) {
                for (std::int64_t u = b; u < e; ++u)
                    for (int i = 0; i < 5; ++i) out[(u - b) * 5 + i] = 10.0f - i;
            },
            o, 2, &per);
        QCOMPARE(r.usersScored, std::int64_t(2));
        QCOMPARE(r.usersWithoutHeldOut, std::int64_t(1));
        // NDCG@3: user0 = 1, user1 = (1/log2 4)/1 = 0.5 -> mean 0.75.
        QVERIFY(std::abs(r.get("ndcg@3") - 0.75) < 1e-12);
        QCOMPARE(r.get("recall@1"), 0.5);   // user0 1/1, user1 0/1
        QCOMPARE(r.get("recall@2"), 0.5);   // user1's hit is at rank 3
        QCOMPARE(r.get("precision@2"), 0.25);
        QCOMPARE(r.get("hit@2"), 0.5);
        QVERIFY(std::abs(r.get("mrr@3") - (1.0 + 1.0 / 3.0) / 2.0) < 1e-12);
        // Top-2 lists: user0 {1,2}, user1 {0,3}, user2 {0,1} -> items 0..3 covered of 5.
        QCOMPARE(r.get("coverage@2"), 0.8);
        // Standard error of NDCG: population sd of {1, 0.5} = 0.25, / sqrt(2).
        QVERIFY(std::abs(r.stdError.at("ndcg@3") - 0.25 / std::sqrt(2.0)) < 1e-12);
        QCOMPARE(per[1].ndcg, 0.5);
    }
};

QTEST_APPLESS_MAIN(MetricsTest)
#include "metrics_test.moc"
