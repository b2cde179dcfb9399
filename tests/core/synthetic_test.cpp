// SPDX-License-Identifier: MIT
// The demo dataset: deterministic per seed, sizes and metadata as asked, activity >= 5,
// readable unique titles, ratings that separate taste from noise, and a cluster structure
// that a recommender can find (users of one cluster share more items than users of two).
#include <QtTest/QtTest>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>
#include <cmath>
#include <numeric>
#include <set>
#include <unordered_set>

#include "test_util.h"
#include "vaecf/synthetic.h"

using namespace vaecf::core;
using i64 = std::int64_t;

namespace {

double overlap(const CsrMatrix& m, i64 a, i64 b) {
    const auto x = m.rowIndices(a), y = m.rowIndices(b);
    std::size_t i = 0, j = 0, common = 0;
    while (i < x.size() && j < y.size()) {
        if (x[i] < y[j])
            ++i;
        else if (y[j] < x[i])
            ++j;
        else {
            ++common;
            ++i;
            ++j;
        }
    }
    return static_cast<double>(common) / static_cast<double>(x.size() + y.size() - common);
}

}  // namespace

class SyntheticTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void sizesAndMetadata() {
        const auto t0 = std::chrono::steady_clock::now();
        const DemoDataset demo = makeDemoDataset();
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count();
        qInfo("3000 x 800 demo data in %.1f ms, %lld interactions", ms,
              static_cast<long long>(demo.data.numInteractions()));
        QVERIFY2(ms < 500, "the default demo data should take well under 100 ms");
        const Dataset& d = demo.data;
        QCOMPARE(d.numUsers(), i64{3000});
        QCOMPARE(d.numItems(), i64{800});
        QCOMPARE(d.userIds.size(), std::size_t{3000});
        QCOMPARE(d.itemIds.size(), std::size_t{800});
        QCOMPARE(d.items.size(), std::size_t{800});
        QCOMPARE(d.genreNames.size(), std::size_t{12});
        QCOMPARE(demo.userCluster.size(), std::size_t{3000});
        QCOMPARE(demo.itemGenre.size(), std::size_t{800});
        QCOMPARE(demo.clusterNames.size(), std::size_t{6});
        QVERIFY(d.feedback == Feedback::Ratings);
        QCOMPARE(d.interactions.indptr.size(), std::size_t{3001});
        QCOMPARE(d.interactions.values.size(), d.interactions.indices.size());

        // Activity: >= 5 everywhere, mean near meanActivity.
        for (i64 u = 0; u < d.numUsers(); ++u) {
            QVERIFY(d.interactions.rowNnz(u) >= 5);
            const auto row = d.interactions.rowIndices(u);
            QVERIFY(std::is_sorted(row.begin(), row.end()));
            QVERIFY(std::adjacent_find(row.begin(), row.end()) == row.end());
        }
        const double mean = static_cast<double>(d.numInteractions()) / 3000.0;
        QVERIFY2(mean > 32 && mean < 48, qPrintable(QString::number(mean)));

        // Titles: readable, unique, with the year; genres valid; clusters named.
        std::set<std::string> titles;
        for (std::size_t i = 0; i < d.items.size(); ++i) {
            const ItemMeta& m = d.items[i];
            QVERIFY(titles.insert(m.title).second);
            QVERIFY(m.year >= 1930 && m.year <= 2024);
            QVERIFY(m.title.ends_with(" (" + std::to_string(m.year) + ")"));
            QVERIFY(m.title.size() > 8 && std::isupper(static_cast<unsigned char>(m.title[0])));
            QVERIFY(!m.genres.empty() && m.genres.size() <= 2);
            QVERIFY(std::find(m.genres.begin(), m.genres.end(), demo.itemGenre[i]) !=
                    m.genres.end());
            for (auto g : m.genres) QVERIFY(g >= 0 && g < 12);
        }
        qInfo("e.g. \"%s\" (%s), \"%s\"; cluster 0: %s", d.items[0].title.c_str(),
              d.genreNames[static_cast<std::size_t>(demo.itemGenre[0])].c_str(),
              d.items[1].title.c_str(), demo.clusterNames[0].c_str());
        for (const auto& name : demo.clusterNames) QVERIFY(name.ends_with(" fans"));
        QVERIFY(std::set<std::string>(demo.clusterNames.begin(), demo.clusterNames.end()).size() ==
                6);
        QVERIFY(std::set<std::string>(d.genreNames.begin(), d.genreNames.end()).size() == 12);
    }

    void deterministic() {
        DemoOptions o;
        o.users = 500;
        o.items = 300;
        const DemoDataset a = makeDemoDataset(o), b = makeDemoDataset(o);
        QVERIFY(a.data.interactions == b.data.interactions);
        QCOMPARE(a.userCluster, b.userCluster);
        QCOMPARE(a.data.items.front().title, b.data.items.front().title);
        o.seed = 43;
        const DemoDataset c = makeDemoDataset(o);
        QVERIFY(!(a.data.interactions == c.data.interactions));
    }

    void ratingsSeparateTaste() {
        const DemoDataset demo = makeDemoDataset();
        const Dataset& d = demo.data;
        // Share of kept (> 3.5) interactions whose item lies in the user's cluster genres.
        std::vector<std::set<int>> liked(demo.clusterNames.size());
        // Recover the liked genres as the genres a cluster's users rate highest most often.
        std::vector<std::vector<i64>> counts(demo.clusterNames.size(), std::vector<i64>(12, 0));
        i64 kept = 0, all = 0;
        for (i64 u = 0; u < d.numUsers(); ++u) {
            const auto idx = d.interactions.rowIndices(u);
            const auto val = d.interactions.rowValues(u);
            for (std::size_t k = 0; k < idx.size(); ++k) {
                QVERIFY(val[k] >= 1 && val[k] <= 5 && val[k] == std::floor(val[k]));
                ++all;
                if (val[k] > 3.5) {
                    ++kept;
                    ++counts[static_cast<std::size_t>(
                        demo.userCluster[static_cast<std::size_t>(u)])]
                            [static_cast<std::size_t>(
                                demo.itemGenre[static_cast<std::size_t>(idx[k])])];
                }
            }
        }
        QVERIFY(kept > all * 0.8 && kept < all);  // most are likes, some noise is dropped
        // Each cluster's kept interactions concentrate on 2-3 genres.
        for (const auto& c : counts) {
            std::vector<i64> s = c;
            std::sort(s.rbegin(), s.rend());
            const i64 total = std::accumulate(s.begin(), s.end(), i64{0});
            QVERIFY(s[0] + s[1] + s[2] > total * 0.8);
        }
    }

    void clusterStructure() {
        const DemoDataset demo = makeDemoDataset();
        const CsrMatrix& m = demo.data.interactions;
        double same = 0, across = 0;
        int nSame = 0, nAcross = 0;
        for (i64 a = 0; a < 600; ++a)
            for (i64 b = a + 1; b < 600; ++b) {
                const double o = overlap(m, a, b);
                if (demo.userCluster[static_cast<std::size_t>(a)] ==
                    demo.userCluster[static_cast<std::size_t>(b)]) {
                    same += o;
                    ++nSame;
                } else {
                    across += o;
                    ++nAcross;
                }
            }
        same /= nSame;
        across /= nAcross;
        qInfo("mean Jaccard within clusters %.4f, across %.4f", same, across);
        QVERIFY(same > 2.5 * across);
        // Every cluster has users.
        std::set<int> clusters(demo.userCluster.begin(), demo.userCluster.end());
        QCOMPARE(clusters.size(), std::size_t{6});
    }

    // Settings out of range are refused with the field and the range, before anything is
    // sized by them: they also come from project files, where a crafted "clusters": 100000
    // ran an O(50 c^2) loop and "users": 1e10 asked for an 80 GB row index.
    void absurdSettingsAreRefused() {
        const auto error = [](const std::function<void(DemoOptions&)>& edit) {
            DemoOptions o;
            edit(o);
            return vaecf::test::errorOf([&] { makeDemoDataset(o); });
        };
        QCOMPARE(error([](auto& o) { o.users = 10000000000; }),
                 std::string("demo data: users must be between 1 and 5000000, got 10000000000"));
        QCOMPARE(error([](auto& o) { o.users = 0; }),
                 std::string("demo data: users must be between 1 and 5000000, got 0"));
        QCOMPARE(error([](auto& o) { o.clusters = 100000; }),
                 std::string("demo data: clusters must be between 1 and 100, got 100000"));
        QCOMPARE(error([](auto& o) { o.items = 2000000; }),
                 std::string("demo data: items must be at least 10 and twice the genres, and at "
                             "most 1000000, got 2000000"));
        QCOMPARE(error([](auto& o) { o.meanActivity = std::nan(""); }),
                 std::string("demo data: mean activity must lie between 5 and half the items"));
        QCOMPARE(error([](auto& o) {
                     o.users = 5000000;
                     o.items = 1000000;
                     o.meanActivity = 1000;
                 }),
                 std::string("demo data: users x mean activity must be at most 500 million "
                             "interactions, got 5000000000"));
        // The command line's largest cluster count is accepted.
        QCOMPARE(error([](auto& o) {
                     o.clusters = 100;
                     o.users = 20;
                 }),
                 std::string("no error"));
    }

    void otherShapes() {
        DemoOptions o;
        o.users = 100000;
        o.items = 5000;
        o.clusters = 40;
        o.genres = 30;
        const auto t0 = std::chrono::steady_clock::now();
        const DemoDataset big = makeDemoDataset(o);
        qInfo("100k x 5000 in %.0f ms",
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                  .count());
        QCOMPARE(big.data.numUsers(), i64{100000});
        std::unordered_set<std::string> titles;
        for (const auto& it : big.data.items) QVERIFY(titles.insert(it.title).second);
        QCOMPARE(big.data.genreNames.size(), std::size_t{30});
        QCOMPARE(
            std::set<std::string>(big.data.genreNames.begin(), big.data.genreNames.end()).size(),
            std::size_t{30});

        DemoOptions tiny;
        tiny.users = 10;
        tiny.items = 20;
        tiny.genres = 2;
        tiny.clusters = 3;
        tiny.meanActivity = 8;
        tiny.noise = 1.0;
        const DemoDataset t = makeDemoDataset(tiny);
        for (i64 u = 0; u < 10; ++u) QVERIFY(t.data.interactions.rowNnz(u) >= 5);

        DemoOptions bad;
        bad.users = 0;
        VAECF_EXPECT_ERROR(makeDemoDataset(bad), "users must be between 1 and 5000000");
        bad = {};
        bad.meanActivity = 2;
        VAECF_EXPECT_ERROR(makeDemoDataset(bad), "mean activity must lie between 5");
        bad = {};
        bad.noise = 1.5;
        VAECF_EXPECT_ERROR(makeDemoDataset(bad), "noise must lie between 0 and 1");
        bad = {};
        bad.items = 15;
        VAECF_EXPECT_ERROR(makeDemoDataset(bad), "items must be at least 10 and twice the genres");
    }
};

QTEST_GUILESS_MAIN(SyntheticTest)
#include "synthetic_test.moc"
