// SPDX-License-Identifier: MIT
// preprocess(): threshold, item filter then user filter (Liang's filter_triplets), with
// expectations worked out by hand on a 5 x 4 example.
#include <cmath>
#include <limits>
#include <tuple>

#include "fixtures.h"
#include "test_util.h"
#include "vaecf/dataset.h"

using namespace vaecf::core;

namespace {

using vaecf::test::Triple;
using vaecf::test::triples;

Dataset make(Feedback feedback, const std::vector<Triple>& t) {
    Dataset d;
    d.name = "hand";
    d.format = "delimited";
    d.feedback = feedback;
    std::vector<std::int64_t> r;
    std::vector<std::int32_t> c;
    std::vector<float> v;
    auto index = [](std::vector<std::string>& ids, const std::string& id) {
        auto it = std::find(ids.begin(), ids.end(), id);
        if (it == ids.end()) {
            ids.push_back(id);
            return static_cast<std::int64_t>(ids.size() - 1);
        }
        return static_cast<std::int64_t>(it - ids.begin());
    };
    for (const auto& [u, i, x] : t) {
        r.push_back(index(d.userIds, u));
        c.push_back(static_cast<std::int32_t>(index(d.itemIds, i)));
        v.push_back(x);
    }
    d.interactions = CsrMatrix::fromTriplets(static_cast<std::int64_t>(d.userIds.size()),
                                             static_cast<std::int64_t>(d.itemIds.size()), r, c, v);
    return d;
}

//        A  B  C  D
//   u0   5  4  2  4
//   u1   4  1  4  .
//   u2   3  .  .  5
//   u3   .  5  5  4
//   u4   .  .  1  .
Dataset example() {
    Dataset d = make(Feedback::Ratings,
                     {{"u0", "A", 5}, {"u0", "B", 4}, {"u0", "C", 2}, {"u0", "D", 4},
                      {"u1", "A", 4}, {"u1", "B", 1}, {"u1", "C", 4},
                      {"u2", "A", 3}, {"u2", "D", 5},
                      {"u3", "B", 5}, {"u3", "C", 5}, {"u3", "D", 4},
                      {"u4", "C", 1}});
    d.genreNames = {"Drama", "Comedy"};
    d.items = {{"a", {0}, 1990}, {"b", {}, 0}, {"c", {1}, 2000}, {"d", {0, 1}, 2010}};
    return d;
}

std::vector<std::string> strings(std::initializer_list<const char*> list) {
    return {list.begin(), list.end()};
}

}  // namespace

class PreprocessTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void defaultsLikeLiang() {
        // > 3.5 keeps u0: A B D, u1: A C, u2: D, u3: B C D; u4 has nothing left.
        PreprocessOptions o;
        o.minUserInteractions = 2;
        PreprocessReport r;
        const Dataset p = preprocess(example(), o, &r);
        QCOMPARE(p.userIds, strings({"u0", "u1", "u3"}));
        QCOMPARE(p.itemIds, strings({"A", "B", "C", "D"}));
        QCOMPARE(p.feedback, Feedback::Binary);
        const std::vector<Triple> want = {{"u0", "A", 1}, {"u0", "B", 1}, {"u0", "D", 1},
                                          {"u1", "A", 1}, {"u1", "C", 1},
                                          {"u3", "B", 1}, {"u3", "C", 1}, {"u3", "D", 1}};
        QCOMPARE(triples(p), want);
        QCOMPARE(r.usersIn, std::int64_t(5));
        QCOMPARE(r.itemsIn, std::int64_t(4));
        QCOMPARE(r.interactionsIn, std::int64_t(13));
        QCOMPARE(r.belowThreshold, std::int64_t(4));
        QCOMPARE(r.usersDropped, std::int64_t(2));
        QCOMPARE(r.itemsDropped, std::int64_t(0));
        QCOMPARE(r.usersOut, std::int64_t(3));
        QCOMPARE(r.itemsOut, std::int64_t(4));
        QCOMPARE(r.interactionsOut, std::int64_t(8));
        QCOMPARE(p.items.size(), std::size_t(4));
        QCOMPARE(p.genreNames, strings({"Drama", "Comedy"}));
        QCOMPARE(p.name, std::string("hand"));
    }

    void itemsFirstThenUsersOnce() {
        // Item counts after the threshold: A 2, B 2, C 2, D 3. With min 3 only D stays;
        // users then have D once: u0, u2, u3.
        PreprocessOptions o;
        o.minItemInteractions = 3;
        o.minUserInteractions = 1;
        PreprocessReport r;
        Dataset p = preprocess(example(), o, &r);
        QCOMPARE(p.userIds, strings({"u0", "u2", "u3"}));
        QCOMPARE(p.itemIds, strings({"D"}));
        QCOMPARE(p.items.size(), std::size_t(1));
        QCOMPARE(p.items[0].title, std::string("d"));  // metadata follows its item
        QCOMPARE(p.items[0].genres, std::vector<std::int32_t>({0, 1}));
        QCOMPARE(p.items[0].year, 2010);
        QCOMPARE(r.itemsDropped, std::int64_t(3));
        QCOMPARE(r.usersDropped, std::int64_t(2));
        QCOMPARE(r.interactionsOut, std::int64_t(3));

        // Items pass (>= 2 each), then users with >= 3: u0 and u3. Item A is left with one
        // interaction but stays: the counts are not recomputed (as in filter_triplets).
        o.minItemInteractions = 2;
        o.minUserInteractions = 3;
        p = preprocess(example(), o, &r);
        QCOMPARE(p.userIds, strings({"u0", "u3"}));
        QCOMPARE(p.itemIds, strings({"A", "B", "C", "D"}));
        QCOMPARE(p.items[0].title, std::string("a"));
        QCOMPARE(r.interactionsOut, std::int64_t(6));

        // Nothing left.
        o.minUserInteractions = 4;
        p = preprocess(example(), o, &r);
        QCOMPARE(p.numUsers(), std::int64_t(0));
        QCOMPARE(p.numItems(), std::int64_t(0));
        QCOMPARE(p.interactions.indptr, std::vector<std::int64_t>({0}));
        QCOMPARE(r.usersDropped, std::int64_t(5));
    }

    void keepValuesAndNaNThreshold() {
        PreprocessOptions o;
        o.binarize = false;
        o.minUserInteractions = 3;
        Dataset p = preprocess(example(), o);
        QCOMPARE(p.feedback, Feedback::Ratings);
        const std::vector<Triple> want = {{"u0", "A", 5}, {"u0", "B", 4}, {"u0", "D", 4},
                                          {"u3", "B", 5}, {"u3", "C", 5}, {"u3", "D", 4}};
        QCOMPARE(triples(p), want);
        // No threshold: everything counts; u2 (2) and u4 (1) fall under 3.
        o.ratingThreshold = std::numeric_limits<double>::quiet_NaN();
        PreprocessReport r;
        p = preprocess(example(), o, &r);
        QCOMPARE(p.userIds, strings({"u0", "u1", "u3"}));
        QCOMPARE(r.belowThreshold, std::int64_t(0));
        QCOMPARE(r.interactionsOut, std::int64_t(10));
    }

    void countsAndBinary() {
        const Dataset counts =
            make(Feedback::Counts, {{"u0", "A", 1}, {"u0", "B", 10}, {"u1", "A", 3}});
        PreprocessOptions o;
        o.minUserInteractions = 1;
        PreprocessReport r;
        Dataset p = preprocess(counts, o, &r);
        QCOMPARE(r.belowThreshold, std::int64_t(0));  // counts are not thresholded by default
        QCOMPARE(p.numInteractions(), std::int64_t(3));
        o.applyThresholdToCounts = true;
        p = preprocess(counts, o, &r);
        QCOMPARE(r.belowThreshold, std::int64_t(2));
        QCOMPARE(p.userIds, strings({"u0"}));
        QCOMPARE(p.itemIds, strings({"B"}));

        const Dataset binary =
            make(Feedback::Binary, {{"u0", "A", 1}, {"u0", "B", 1}, {"u1", "A", 1}});
        p = preprocess(binary, o, &r);  // never thresholded
        QCOMPARE(p.numInteractions(), std::int64_t(3));
        QVERIFY(!p.hasMetadata());
        o.minUserInteractions = 2;
        p = preprocess(binary, o, &r);
        QCOMPARE(p.userIds, strings({"u0"}));
        QCOMPARE(p.itemIds, strings({"A", "B"}));
    }
};

QTEST_APPLESS_MAIN(PreprocessTest)
#include "preprocess_test.moc"
