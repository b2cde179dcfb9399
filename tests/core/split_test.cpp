// SPDX-License-Identifier: MIT
// Liang's split: both recipes against outputs of the reference Python code, invariants on
// generated data, the shipped ml-100k split reproduced exactly from u.data, reading the
// shared splits, export/load round trips and the messages for malformed split folders.
#include <QtTest/QtTest>

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <map>
#include <numeric>
#include <set>
#include <sstream>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "test_util.h"
#include "vaecf/dataset.h"
#include "vaecf/error.h"
#include "vaecf/rng.h"
#include "vaecf/split.h"

using namespace vaecf::core;
using vaecf::test::TempDir;
using vaecf::test::writeFile;
using i64 = std::int64_t;
using i32 = std::int32_t;
using Pairs = std::vector<std::pair<i64, i32>>;

namespace {

// Builds a binary dataset from (row, column) pairs.
Dataset makeDataset(std::vector<std::string> users, std::vector<std::string> items,
                    const Pairs& pairs) {
    Dataset d;
    d.name = "hand-made";
    d.userIds = std::move(users);
    d.itemIds = std::move(items);
    std::vector<i64> r;
    std::vector<i32> c;
    for (auto [u, i] : pairs) {
        r.push_back(u);
        c.push_back(i);
    }
    d.interactions = CsrMatrix::fromTriplets(static_cast<i64>(d.userIds.size()),
                                             static_cast<i64>(d.itemIds.size()), r, c, {});
    return d;
}

// (uid, sid) pairs of a matrix, uid = row + offset, sorted.
Pairs pairsOf(const CsrMatrix& m, i64 offset) {
    Pairs p;
    for (i64 r = 0; r < m.rows; ++r)
        for (i32 c : m.rowIndices(r)) p.emplace_back(r + offset, c);
    return p;
}

// A random dataset with skewed activity: some users end up with fewer than 5 items.
Dataset randomDataset(i64 users, i64 items, std::uint64_t seed) {
    Rng rng(seed);
    std::vector<std::string> u, it;
    for (i64 k = 0; k < users; ++k) u.push_back("u" + std::to_string(1000 + (k * 37) % users));
    for (i64 k = 0; k < items; ++k) it.push_back(std::to_string(k * 3 + 1));
    Pairs pairs;
    for (i64 k = 0; k < users; ++k) {
        const i64 n = 1 + static_cast<i64>(rng.below(static_cast<std::uint64_t>(items / 2)));
        for (i64 j = 0; j < n; ++j) {
            // Popular items first: squares of uniforms skew towards column 0.
            const double x = rng.uniform();
            pairs.emplace_back(k, static_cast<i32>(x * x * static_cast<double>(items)));
        }
    }
    return makeDataset(u, it, pairs);
}

void checkInvariants(const Dataset& d, const Split& s, const SplitOptions& o, i64 heldOut) {
    const CsrMatrix& m = d.interactions;
    // Users: every user with items appears once, in one part.
    std::map<std::string, i64> rowOf;
    for (i64 u = 0; u < m.rows; ++u) rowOf[d.userIds[static_cast<std::size_t>(u)]] = u;
    std::set<std::string> seen;
    for (const auto* ids : {&s.trainUserIds, &s.validation.userIds, &s.test.userIds})
        for (const auto& id : *ids) QVERIFY2(seen.insert(id).second, id.c_str());
    i64 active = 0;
    for (i64 u = 0; u < m.rows; ++u) active += m.rowNnz(u) > 0;
    QCOMPARE(static_cast<i64>(seen.size()), active);
    QCOMPARE(s.validation.foldIn.rows, heldOut);
    QCOMPARE(s.validation.heldOut.rows, heldOut);
    QCOMPARE(s.test.foldIn.rows, heldOut);
    QCOMPARE(s.train.rows, active - 2 * heldOut);
    QCOMPARE(static_cast<i64>(s.itemIds.size()), s.train.cols);

    // Vocabulary = items of training users, each column used in training.
    std::map<std::string, i32> sidOf;
    for (std::size_t k = 0; k < s.itemIds.size(); ++k) sidOf[s.itemIds[k]] = static_cast<i32>(k);
    QCOMPARE(sidOf.size(), s.itemIds.size());
    std::vector<int> used(s.itemIds.size(), 0);
    for (i64 r = 0; r < s.train.rows; ++r) {
        const i64 u = rowOf[s.trainUserIds[static_cast<std::size_t>(r)]];
        std::vector<i32> want;
        for (i32 c : m.rowIndices(u))
            want.push_back(sidOf.at(d.itemIds[static_cast<std::size_t>(c)]));
        std::sort(want.begin(), want.end());
        const auto got = s.train.rowIndices(r);
        QVERIFY(std::equal(got.begin(), got.end(), want.begin(), want.end()));
        for (i32 c : got) used[static_cast<std::size_t>(c)] = 1;
    }
    QVERIFY(std::all_of(used.begin(), used.end(), [](int x) { return x == 1; }));

    // Held-out users: fold-in + held-out = their items in the vocabulary; int(p n) held out.
    for (const HeldOut* part : {&s.validation, &s.test}) {
        for (i64 r = 0; r < part->foldIn.rows; ++r) {
            const i64 u = rowOf[part->userIds[static_cast<std::size_t>(r)]];
            std::vector<i32> want;
            for (i32 c : m.rowIndices(u)) {
                auto it = sidOf.find(d.itemIds[static_cast<std::size_t>(c)]);
                if (it != sidOf.end()) want.push_back(it->second);
            }
            std::sort(want.begin(), want.end());
            std::vector<i32> got;
            for (i32 c : part->foldIn.rowIndices(r)) got.push_back(c);
            for (i32 c : part->heldOut.rowIndices(r)) got.push_back(c);
            std::sort(got.begin(), got.end());
            QCOMPARE(got, want);  // also: the two parts are disjoint
            const i64 n = static_cast<i64>(want.size());
            const i64 expected = n >= o.minItemsToSplit
                                     ? static_cast<i64>(o.testProportion * static_cast<double>(n))
                                     : 0;
            QCOMPARE(part->heldOut.rowNnz(r), expected);
        }
    }
}

std::string readText(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// ml-100k's u.data as the Liang scripts see it: rating > 3.5, users with >= 5 such ratings.
// Users and items are numbered in order of first appearance (any order works: the split sorts
// the users by id itself); `order` receives the interactions in file order.
Dataset readMl100k(const std::filesystem::path& file, InteractionOrder& order) {
    std::ifstream in(file);
    std::string line;
    std::vector<std::array<i64, 2>> rows;
    while (std::getline(in, line)) {
        i64 f[3];
        const char* c = line.data();
        const char* end = c + line.size();
        for (auto& v : f) {
            c = std::from_chars(c, end, v).ptr;
            while (c < end && *c == '\t') ++c;
        }
        if (f[2] > 3.5) rows.push_back({f[0], f[1]});
    }
    std::map<i64, int> count;
    for (auto& r : rows) ++count[r[0]];
    std::unordered_map<i64, i64> userRow, itemCol;
    Dataset d;
    d.name = "ml-100k";
    Pairs pairs;
    for (auto& r : rows) {
        if (count[r[0]] < 5) continue;
        auto [u, newU] = userRow.try_emplace(r[0], static_cast<i64>(userRow.size()));
        if (newU) d.userIds.push_back(std::to_string(r[0]));
        auto [i, newI] = itemCol.try_emplace(r[1], static_cast<i64>(itemCol.size()));
        if (newI) d.itemIds.push_back(std::to_string(r[1]));
        pairs.emplace_back(u->second, static_cast<i32>(i->second));
        order.users.push_back(u->second);
        order.items.push_back(static_cast<i32>(i->second));
    }
    Dataset out = makeDataset(d.userIds, d.itemIds, pairs);
    out.name = d.name;
    return out;
}

// Fingerprint of the shipped ml-100k split (fixed so that a change of hash or loader shows).
constexpr const char* kMl100kFingerprint = "c60299284a88ed66";

bool haveShared() { return std::filesystem::exists(vaecf::test::sharedDatasets() / "ml-100k"); }

void compareSplits(const Split& a, const Split& b) {
    QCOMPARE(a.itemIds, b.itemIds);
    QVERIFY(a.train == b.train);
    QVERIFY(a.validation.foldIn == b.validation.foldIn);
    QVERIFY(a.validation.heldOut == b.validation.heldOut);
    QVERIFY(a.test.foldIn == b.test.foldIn);
    QVERIFY(a.test.heldOut == b.test.heldOut);
    QCOMPARE(a.trainUserIds, b.trainUserIds);
    QCOMPARE(a.validation.userIds, b.validation.userIds);
    QCOMPARE(a.test.userIds, b.test.userIds);
    QCOMPARE(a.fingerprint(), b.fingerprint());
}

// The tiny case: users listed out of id order, string item ids, interactions in a scrambled
// file order. Expected values printed by the reference code (the notebook's pandas/NumPy
// code, and the Python-random script) on the same lines with H = 2.
const char* kTinyLines =
    "30:i 30:h 30:g 7:d 21:j 100:e 100:a 100:d 5:i 100:h 12:c 9:i 7:j 30:j 30:d 30:e 12:g "
    "12:h 5:a 5:b 9:h 4:c 100:c 5:f 21:c 21:a 5:c 100:f 21:d 12:j 9:j 12:f 7:c 4:e 30:b "
    "100:j 9:b 21:b 5:d 100:g 9:e 7:g 12:a 4:h 21:h 30:f 7:h 100:i 9:g 21:i 30:a 12:d 12:b "
    "4:d 5:e 12:i";

Dataset tinyDataset(InteractionOrder& order) {
    const std::vector<std::string> users{"30", "4", "12", "7", "100", "9", "21", "5"};
    std::vector<std::string> items;
    for (char c = 'a'; c <= 'j'; ++c) items.emplace_back(1, c);
    std::istringstream in(kTinyLines);
    std::string tok;
    Pairs pairs;
    while (in >> tok) {
        const auto colon = tok.find(':');
        const i64 u = std::find(users.begin(), users.end(), tok.substr(0, colon)) - users.begin();
        const i32 i = tok[colon + 1] - 'a';
        pairs.emplace_back(u, i);
        order.users.push_back(u);
        order.items.push_back(i);
    }
    return makeDataset(users, items, pairs);
}

std::vector<std::string> letters(const std::string& s) {
    std::vector<std::string> v;
    for (char c : s) v.emplace_back(1, c);
    return v;
}

}  // namespace

class SplitTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void transposeOfACsrMatrix() {
        // 3 x 4:  [1 0 2 0; 0 0 3 0; 4 5 0 0]
        const CsrMatrix m = CsrMatrix::fromTriplets(3, 4, {0, 0, 1, 2, 2}, {0, 2, 2, 0, 1}, {1, 2, 3, 4, 5});
        const CsrMatrix t = m.transposed();
        QCOMPARE(t.rows, i64{4});
        QCOMPARE(t.cols, i64{3});
        QCOMPARE(t.indptr, (std::vector<i64>{0, 2, 3, 5, 5}));
        QCOMPARE(t.indices, (std::vector<i32>{0, 2, 2, 0, 1}));
        QCOMPARE(t.values, (std::vector<float>{1, 4, 5, 2, 3}));
        QCOMPARE(t.transposed(), m);
        QCOMPARE(CsrMatrix{}.transposed().indptr, std::vector<i64>{0});
    }

    void tinyNotebook() {
        InteractionOrder order;
        const Dataset d = tinyDataset(order);
        SplitOptions o;
        o.heldOutUsers = 2;
        const Split s = makeLiangSplit(d, o, order);
        // np.random.seed(98765); unique_uid[np.random.permutation(8)]
        QCOMPARE(s.trainUserIds, (std::vector<std::string>{"30", "100", "5", "7"}));
        QCOMPARE(s.validation.userIds, (std::vector<std::string>{"4", "12"}));
        QCOMPARE(s.test.userIds, (std::vector<std::string>{"9", "21"}));
        QCOMPARE(s.itemIds, letters("ihgdeajbcf"));
        QCOMPARE(pairsOf(s.train, 0),
                 (Pairs{{0, 0}, {0, 1}, {0, 2}, {0, 3}, {0, 4}, {0, 5}, {0, 6}, {0, 7},
                        {0, 9}, {1, 0}, {1, 1}, {1, 2}, {1, 3}, {1, 4}, {1, 5}, {1, 6},
                        {1, 8}, {1, 9}, {2, 0}, {2, 3}, {2, 4}, {2, 5}, {2, 7}, {2, 8},
                        {2, 9}, {3, 1}, {3, 2}, {3, 3}, {3, 6}, {3, 8}}));
        // User "4" has 4 items: all fold-in.
        QCOMPARE(pairsOf(s.validation.foldIn, 4), (Pairs{{4, 1},
                                                         {4, 3},
                                                         {4, 4},
                                                         {4, 8},
                                                         {5, 0},
                                                         {5, 1},
                                                         {5, 2},
                                                         {5, 3},
                                                         {5, 5},
                                                         {5, 6},
                                                         {5, 8},
                                                         {5, 9}}));
        QCOMPARE(pairsOf(s.validation.heldOut, 4), (Pairs{{5, 7}}));
        QCOMPARE(pairsOf(s.test.foldIn, 6), (Pairs{{6, 0},
                                                   {6, 1},
                                                   {6, 2},
                                                   {6, 6},
                                                   {6, 7},
                                                   {7, 0},
                                                   {7, 3},
                                                   {7, 5},
                                                   {7, 6},
                                                   {7, 7},
                                                   {7, 8}}));
        QCOMPARE(pairsOf(s.test.heldOut, 6), (Pairs{{6, 4}, {7, 1}}));
        QCOMPARE(s.datasetName, std::string("hand-made"));
    }

    void tinyPythonRandom() {
        InteractionOrder order;
        const Dataset d = tinyDataset(order);
        SplitOptions o;
        o.heldOutUsers = 2;
        o.recipe = SplitRecipe::PythonRandom;
        const Split s = makeLiangSplit(d, o, order);
        // random.seed(98765); random.shuffle(sorted users)
        QCOMPARE(s.trainUserIds, (std::vector<std::string>{"9", "5", "100", "4"}));
        QCOMPARE(s.validation.userIds, (std::vector<std::string>{"21", "12"}));
        QCOMPARE(s.test.userIds, (std::vector<std::string>{"30", "7"}));
        QCOMPARE(s.itemIds, letters("ihjbegafcd"));
        QCOMPARE(pairsOf(s.train, 0),
                 (Pairs{{0, 0}, {0, 1}, {0, 2}, {0, 3}, {0, 4}, {0, 5}, {1, 0}, {1, 3}, {1, 4},
                        {1, 6}, {1, 7}, {1, 8}, {1, 9}, {2, 0}, {2, 1}, {2, 2}, {2, 4}, {2, 5},
                        {2, 6}, {2, 7}, {2, 8}, {2, 9}, {3, 1}, {3, 4}, {3, 8}, {3, 9}}));
        QCOMPARE(pairsOf(s.validation.foldIn, 4), (Pairs{{4, 0},
                                                         {4, 1},
                                                         {4, 2},
                                                         {4, 3},
                                                         {4, 6},
                                                         {4, 9},
                                                         {5, 1},
                                                         {5, 2},
                                                         {5, 3},
                                                         {5, 5},
                                                         {5, 6},
                                                         {5, 7},
                                                         {5, 8},
                                                         {5, 9}}));
        QCOMPARE(pairsOf(s.validation.heldOut, 4), (Pairs{{4, 8}, {5, 0}}));
        QCOMPARE(pairsOf(s.test.foldIn, 6), (Pairs{{6, 0},
                                                   {6, 2},
                                                   {6, 3},
                                                   {6, 4},
                                                   {6, 5},
                                                   {6, 6},
                                                   {6, 7},
                                                   {6, 9},
                                                   {7, 1},
                                                   {7, 2},
                                                   {7, 8},
                                                   {7, 9}}));
        QCOMPARE(pairsOf(s.test.heldOut, 6), (Pairs{{6, 1}, {7, 5}}));
    }

    void invariants_data() {
        QTest::addColumn<int>("recipe");
        QTest::newRow("notebook") << static_cast<int>(SplitRecipe::LiangNotebook);
        QTest::newRow("python") << static_cast<int>(SplitRecipe::PythonRandom);
    }
    void invariants() {
        QFETCH(int, recipe);
        const Dataset d = randomDataset(300, 60, 7);
        SplitOptions o;
        o.recipe = static_cast<SplitRecipe>(recipe);
        const Split s = makeLiangSplit(d, o);
        checkInvariants(d, s, o, 30);  // 10 % of 300
        // Some held-out user had fewer than 5 items (the rule is exercised).
        bool small = false;
        for (i64 r = 0; r < s.test.foldIn.rows; ++r)
            small |= s.test.foldIn.rowNnz(r) > 0 && s.test.foldIn.rowNnz(r) < 5;
        QVERIFY(small);

        o.heldOutUsers = 50;
        o.testProportion = 0.35;
        o.minItemsToSplit = 3;
        const Split s2 = makeLiangSplit(d, o);
        checkInvariants(d, s2, o, 50);

        // Deterministic for a seed; another seed gives another split.
        SplitOptions dflt;
        dflt.recipe = o.recipe;
        QCOMPARE(makeLiangSplit(d, dflt).fingerprint(), s.fingerprint());
        compareSplits(makeLiangSplit(d, dflt), s);
        dflt.seed = 1;
        const Split other = makeLiangSplit(d, dflt);
        QVERIFY(other.fingerprint() != s.fingerprint());
        QVERIFY(other.trainUserIds != s.trainUserIds);
        QCOMPARE(s.fingerprintHex().size(), std::size_t{16});
    }

    void userOrderIndependent() {
        // Numeric ids sort numerically ("9" < "10" < "100"), whatever the dataset's row order;
        // with the same source order, permuting the rows changes nothing.
        const Dataset d = randomDataset(120, 40, 3);
        Dataset numeric = d;
        for (std::size_t u = 0; u < numeric.userIds.size(); ++u)
            numeric.userIds[u] = std::to_string((u * 7919) % 1000);  // distinct, unsorted
        std::vector<i64> perm(static_cast<std::size_t>(d.numUsers()));
        std::iota(perm.begin(), perm.end(), 0);
        std::reverse(perm.begin(), perm.end());
        Dataset reversed = numeric;
        reversed.interactions = numeric.interactions.selectRows(perm);
        for (std::size_t u = 0; u < perm.size(); ++u)
            reversed.userIds[u] = numeric.userIds[static_cast<std::size_t>(perm[u])];
        // Source order: user by user in the original row order.
        InteractionOrder o1, o2;
        for (i64 u = 0; u < d.numUsers(); ++u)
            for (i32 c : numeric.interactions.rowIndices(u)) {
                o1.users.push_back(u);
                o1.items.push_back(c);
                o2.users.push_back(d.numUsers() - 1 - u);
                o2.items.push_back(c);
            }
        for (auto recipe : {SplitRecipe::LiangNotebook, SplitRecipe::PythonRandom}) {
            SplitOptions o;
            o.recipe = recipe;
            compareSplits(makeLiangSplit(numeric, o, o1), makeLiangSplit(reversed, o, o2));
            compareSplits(makeLiangSplit(numeric, o), makeLiangSplit(numeric, o, o1));
        }
        // Lexicographic when some id is not a number: only the sort key changes.
        Dataset lex = numeric;
        lex.userIds[0] = "x";
        QVERIFY(makeLiangSplit(lex).trainUserIds != makeLiangSplit(numeric).trainUserIds);
    }

    void metadataFollowsVocabulary() {
        InteractionOrder order;
        Dataset d = tinyDataset(order);
        d.genreNames = {"Drama", "Comedy"};
        for (int k = 0; k < 10; ++k)
            d.items.push_back(
                ItemMeta{"Title " + std::string(1, static_cast<char>('a' + k)), {k % 2}, 1990 + k});
        SplitOptions o;
        o.heldOutUsers = 2;
        const Split s = makeLiangSplit(d, o, order);
        QCOMPARE(s.items.size(), s.itemIds.size());
        for (std::size_t k = 0; k < s.items.size(); ++k)
            QCOMPARE(s.items[k].title, "Title " + s.itemIds[k]);
        QCOMPARE(s.genreNames, d.genreNames);
    }

    void badOptions() {
        const Dataset d = randomDataset(40, 20, 1);
        SplitOptions o;
        o.heldOutUsers = 20;
        VAECF_EXPECT_ERROR(makeLiangSplit(d, o),
                           "held-out users (H=20 for validation and again for test) leave no "
                           "training users: the dataset has 40 users");
        o.heldOutUsers = -1;
        VAECF_EXPECT_ERROR(makeLiangSplit(d, o), "held-out users must be a positive count");
        o = {};
        o.heldOutFraction = 0.5;
        VAECF_EXPECT_ERROR(makeLiangSplit(d, o), "held-out fraction must lie between 0 and 0.5");
        o.heldOutFraction = 0.01;
        VAECF_EXPECT_ERROR(makeLiangSplit(d, o), "1 % of 40 users is less than one user");
        o = {};
        o.testProportion = 1;
        VAECF_EXPECT_ERROR(makeLiangSplit(d, o), "test proportion must lie between 0 and 1, got 1");
        o.testProportion = 0;
        VAECF_EXPECT_ERROR(makeLiangSplit(d, o), "test proportion must lie between 0 and 1");
        o = {};
        o.minItemsToSplit = 0;
        VAECF_EXPECT_ERROR(makeLiangSplit(d, o), "minimum items to split");
        VAECF_EXPECT_ERROR(makeLiangSplit(Dataset{}), "the dataset has no interactions to split");
        InteractionOrder bad;
        bad.users = {0, 99};
        bad.items = {0, 0};
        VAECF_EXPECT_ERROR(makeLiangSplit(d, {}, bad), "interaction 1 (user row 99");
    }

    void reproducesShippedMl100k() {
        if (!haveShared()) QSKIP("../shared/datasets is absent: the real-data check is skipped");
        const auto dir = vaecf::test::sharedDatasets() / "ml-100k";
        InteractionOrder order;
        const Dataset d = readMl100k(dir / "u.data", order);
        QCOMPARE(d.numUsers(), i64{938});

        // The shipped split was made with Python's random module (SplitRecipe::PythonRandom),
        // with the users' items in file order: reproduced exactly.
        SplitOptions o;
        o.heldOutUsers = 100;
        o.recipe = SplitRecipe::PythonRandom;
        const Split made = makeLiangSplit(d, o, order);
        const Split shipped = loadLiangSplit(dir / "liang-split");
        compareSplits(made, shipped);
        // Written out, the id lists and stats are byte-identical to the shipped files.
        TempDir tmp;
        exportLiangSplit(made, tmp.path());
        for (const char* f : {"unique_sid.txt", "unique_uid.txt", "stats.json"})
            QCOMPARE(readText(tmp / f), readText(dir / "liang-split" / f));
        compareSplits(loadLiangSplit(tmp.path()), shipped);
        // Its fingerprint, fixed so that a change to the hash or the loader shows up.
        QCOMPARE(shipped.fingerprintHex(), std::string(kMl100kFingerprint));

        // The same from the project's reader and preprocess (rows and columns in their own
        // order), given the file order: the shipped split again, with metadata following.
        const Dataset r = preprocess(readDataset(dir / "u.data"), PreprocessOptions{});
        std::unordered_map<std::string, i64> rowOf, colOf;
        for (i64 u = 0; u < r.numUsers(); ++u) rowOf[r.userIds[static_cast<std::size_t>(u)]] = u;
        for (i64 i = 0; i < r.numItems(); ++i) colOf[r.itemIds[static_cast<std::size_t>(i)]] = i;
        InteractionOrder readerOrder;
        for (std::size_t k = 0; k < order.users.size(); ++k) {
            readerOrder.users.push_back(
                rowOf.at(d.userIds[static_cast<std::size_t>(order.users[k])]));
            readerOrder.items.push_back(
                static_cast<i32>(colOf.at(d.itemIds[static_cast<std::size_t>(order.items[k])])));
        }
        const Split fromReader = makeLiangSplit(r, o, readerOrder);
        compareSplits(fromReader, shipped);
        QCOMPARE(fromReader.items.size(), fromReader.itemIds.size());
        QCOMPARE(fromReader.items[0].title, std::string("Blues Brothers, The (1980)"));
        QCOMPARE(fromReader.genreNames, r.genreNames);
        QCOMPARE(fromReader.datasetName, r.name);

        // The notebook recipe on the same data (values from the notebook's own pandas/NumPy
        // code run on u.data): 1415 items, nnz 43606 / 4839 / 1161 / 4612 / 1105.
        o.recipe = SplitRecipe::LiangNotebook;
        const Split nb = makeLiangSplit(d, o, order);
        QCOMPARE(std::vector<std::string>(nb.trainUserIds.begin(), nb.trainUserIds.begin() + 6),
                 (std::vector<std::string>{"849", "336", "232", "328", "408", "826"}));
        QCOMPARE(std::vector<std::string>(nb.itemIds.begin(), nb.itemIds.begin() + 6),
                 (std::vector<std::string>{"474", "465", "1014", "222", "387", "1042"}));
        QCOMPARE(nb.numItems(), i64{1415});
        QCOMPARE(nb.train.nnz(), i64{43606});
        QCOMPARE(nb.validation.foldIn.nnz(), i64{4839});
        QCOMPARE(nb.validation.heldOut.nnz(), i64{1161});
        QCOMPARE(nb.test.foldIn.nnz(), i64{4612});
        QCOMPARE(nb.test.heldOut.nnz(), i64{1105});
        const Pairs vte = pairsOf(nb.validation.heldOut, 738);
        QCOMPARE(Pairs(vte.begin(), vte.begin() + 6),
                 (Pairs{{738, 9}, {738, 44}, {738, 77}, {738, 113}, {738, 148}, {738, 179}}));
        const Pairs tte = pairsOf(nb.test.heldOut, 838);
        QCOMPARE(Pairs(tte.begin(), tte.begin() + 6),
                 (Pairs{{838, 24}, {838, 28}, {838, 52}, {838, 61}, {838, 121}, {838, 225}}));
    }

    void loadsSharedSplits_data() {
        QTest::addColumn<QString>("name");
        QTest::newRow("ml-100k") << "ml-100k";
        QTest::newRow("synthetic-ml1m") << "synthetic-ml1m";
    }
    void loadsSharedSplits() {
        QFETCH(QString, name);
        const auto dir = vaecf::test::sharedDatasets() / name.toStdString() / "liang-split";
        if (!std::filesystem::exists(dir)) QSKIP("../shared/datasets is absent");
        const Split s = loadLiangSplit(dir);
        const auto stats = nlohmann::json::parse(readText(dir / "stats.json"));
        QCOMPARE(s.train.rows, stats["train_users"].get<i64>());
        QCOMPARE(s.validation.foldIn.rows, stats["heldout"].get<i64>());
        QCOMPARE(s.test.foldIn.rows, stats["heldout"].get<i64>());
        QCOMPARE(s.numItems(), stats["items"].get<i64>());
        QCOMPARE(s.train.rows + s.validation.foldIn.rows + s.test.foldIn.rows,
                 stats["users_total"].get<i64>());
        QCOMPARE(s.train.nnz(), stats["train_interactions"].get<i64>());
        QCOMPARE(s.validation.foldIn.nnz(), stats["validation_foldin"].get<i64>());
        QCOMPARE(s.validation.heldOut.nnz(), stats["validation_heldout_items"].get<i64>());
        QCOMPARE(s.test.foldIn.nnz(), stats["test_foldin"].get<i64>());
        QCOMPARE(s.test.heldOut.nnz(), stats["test_heldout_items"].get<i64>());
        QCOMPARE(static_cast<i64>(s.trainUserIds.size()), s.train.rows);
        QCOMPARE(s.datasetName, std::string("liang-split"));
        // Round trip through our writer.
        TempDir tmp;
        exportLiangSplit(s, tmp / "out");
        compareSplits(loadLiangSplit(tmp / "out"), s);
        QCOMPARE(readText(tmp / "out" / "stats.json"), readText(dir / "stats.json"));
    }

    void roundTrip() {
        const Dataset d = randomDataset(200, 50, 11);
        for (auto recipe : {SplitRecipe::LiangNotebook, SplitRecipe::PythonRandom}) {
            SplitOptions o;
            o.recipe = recipe;
            const Split s = makeLiangSplit(d, o);
            TempDir tmp;
            exportLiangSplit(s, tmp.path());
            const Split back = loadLiangSplit(tmp.path());
            compareSplits(back, s);
            // Exporting again over the same folder replaces the files; no temporaries remain.
            exportLiangSplit(back, tmp.path());
            int files = 0;
            for (const auto& e : std::filesystem::directory_iterator(tmp.path())) {
                QVERIFY2(e.path().filename().string()[0] != '.', e.path().c_str());
                ++files;
            }
            QCOMPARE(files, 8);
            // Without unique_uid.txt the user ids are the uid numbers.
            std::filesystem::remove(tmp / "unique_uid.txt");
            const Split bare = loadLiangSplit(tmp.path());
            QCOMPARE(bare.trainUserIds.front(), std::string("0"));
            QCOMPARE(bare.test.userIds.back(), std::to_string(s.train.rows + 39));
            QCOMPARE(bare.fingerprint(), s.fingerprint());  // ids of users are not hashed
        }
    }

    // regressions/split/unique-*: ids that did not survive exportLiangSplit and loading back.
    // The export renumbers the users from 0, so any id can become line 1, where a leading
    // byte-order mark is taken for the file's own; and ids are compared as read (UTF-8).
    void idFilesSurviveTheRoundTrip() {
        TempDir tmp;
        const auto dir = tmp / "split";
        const auto sidPath = dir / "unique_sid.txt";
        const auto uidPath = dir / "unique_uid.txt";
        // Train uids start at 1: unique_uid.txt's line 2 becomes line 1 of the export.
        writeFile(sidPath, "\xEF\xBB\xBF" "10\n20\n30\n");
        writeFile(uidPath, "u0\nu\xEF\xBB\xBF" "1\nu2\nu3\nu4\n");
        writeFile(dir / "train.csv", "uid,sid\n1,0\n1,1\n2,2\n");
        writeFile(dir / "validation_tr.csv", "uid,sid\n3,0\n");
        writeFile(dir / "validation_te.csv", "uid,sid\n3,1\n");
        writeFile(dir / "test_tr.csv", "uid,sid\n4,2\n");
        writeFile(dir / "test_te.csv", "uid,sid\n4,0\n");
        auto errorOf = [&] {
            try {
                (void)loadLiangSplit(dir);
            } catch (const Error& e) {
                return std::string(e.what());
            }
            return std::string("no error");
        };
        // The file's own mark is skipped; a mark inside an id is part of it and round-trips.
        const Split s = loadLiangSplit(dir);
        QCOMPARE(s.itemIds, (std::vector<std::string>{"10", "20", "30"}));
        QCOMPARE(s.trainUserIds, (std::vector<std::string>{"u\xEF\xBB\xBF" "1", "u2"}));
        exportLiangSplit(s, tmp / "out");
        compareSplits(loadLiangSplit(tmp / "out"), s);

        // A later line opening with a mark: it would be line 1 of the export, and lost there.
        writeFile(uidPath, "u0\n\xEF\xBB\xBF" "u1\nu2\nu3\nu4\n");
        QCOMPARE(errorOf(), uidPath.string() +
                                ":2: id starts with a UTF-8 byte-order mark (U+FEFF), expected "
                                "one only at the start of the file");
        // After blanks too (lines are trimmed before).
        writeFile(uidPath, "u0\n u1\nu2\n\t\xEF\xBB\xBF" "u3\nu4\n");
        QCOMPARE(errorOf(), uidPath.string() +
                                ":4: id starts with a UTF-8 byte-order mark (U+FEFF), expected "
                                "one only at the start of the file");
        writeFile(uidPath, "u0\nu1\nu2\nu3\nu4\n");
        // Two marks at the start: the second opened the first id, and the export lost it.
        writeFile(sidPath, "\xEF\xBB\xBF\xEF\xBB\xBF" "10\n20\n30\n");
        QCOMPARE(errorOf(), sidPath.string() +
                                ":1: id starts with a UTF-8 byte-order mark (U+FEFF), expected "
                                "one only at the start of the file");
        // Bytes that are not UTF-8 are Latin-1: "\xE9" is the "\xC3\xA9" of line 3 (the export
        // wrote both as "\xC3\xA9" and then refused to load them back).
        writeFile(sidPath, "\xE9\n20\n\xC3\xA9\n");
        QCOMPARE(errorOf(), sidPath.string() + ":3: id \"\xC3\xA9\" appears twice");
        // Ids that are not UTF-8 and differ stay apart, and round-trip.
        writeFile(sidPath, "\xE9\n20\n\xE8\n");
        const Split latin = loadLiangSplit(dir);
        QCOMPARE(latin.itemIds, (std::vector<std::string>{"\xC3\xA9", "20", "\xC3\xA8"}));
        exportLiangSplit(latin, tmp / "out");
        compareSplits(loadLiangSplit(tmp / "out"), latin);

        // Ids that a file of one id per line cannot give back (a split made from a dataset can
        // hold them) are refused before anything is written: the export already in the folder
        // stays whole.
        const auto exportError = [&](const Split& b) {
            try {
                exportLiangSplit(b, tmp / "out");
            } catch (const Error& e) {
                return std::string(e.what());
            }
            return std::string("no error");
        };
        const std::string sids = readText(tmp / "out" / "unique_sid.txt");
        const std::string uids = readText(tmp / "out" / "unique_uid.txt");
        // {id, as the message shows it (control characters as '?'), why}
        const std::string bad[][3] = {
            {"", "", "is empty"},
            {" 20", " 20", "starts or ends with a blank"},
            {"20\r", "20?", "starts or ends with a blank"},
            {"\xEF\xBB\xBF" "20", "\xEF\xBB\xBF" "20", "starts with a byte-order mark"},
        };
        for (const auto& [id, shownId, why] : bad) {
            Split b = latin;
            b.itemIds[1] = id;
            QCOMPARE(exportError(b), (tmp / "out" / "unique_sid.txt").string() +
                                         ": cannot export the split: the item id \"" + shownId +
                                         "\" (line 2) " + why +
                                         ", and would not read back from a file of one id per line");
        }
        Split b = latin;
        b.test.userIds.back() = "u4 ";
        QCOMPARE(exportError(b), (tmp / "out" / "unique_uid.txt").string() +
                                     ": cannot export the split: the user id \"u4 \" (line 4) "
                                     "starts or ends with a blank, and would not read back from a "
                                     "file of one id per line");
        QCOMPARE(readText(tmp / "out" / "unique_sid.txt"), sids);
        QCOMPARE(readText(tmp / "out" / "unique_uid.txt"), uids);
        compareSplits(loadLiangSplit(tmp / "out"), latin);
    }

    // regressions/split/heldout-repeated-pairs-stretch-uid-range: a part's uid range is
    // checked against its distinct pairs, not its lines. Repeats let a sparse range pass, and
    // the export (each pair once) was then refused: "validation_tr.csv: user indices run from
    // 1 to 1100 for only 4 interactions".
    void repeatedPairsDoNotStretchAPart() {
        TempDir tmp;
        const auto dir = tmp / "split";
        writeFile(dir / "unique_sid.txt", "10\n20\n");
        writeFile(dir / "train.csv", "uid,sid\n0,0\n");
        std::string tr = "uid,sid\n1,0\n";
        for (int k = 0; k < 300; ++k) tr += "1,1\n";
        writeFile(dir / "validation_tr.csv", tr + "1100,0\n");
        writeFile(dir / "validation_te.csv", "uid,sid\n1,1\n");
        writeFile(dir / "test_tr.csv", "uid,sid\n1101,0\n");
        writeFile(dir / "test_te.csv", "uid,sid\n1101,1\n");
        const std::string expected =
            (dir / "validation_tr.csv").string() +
            ": user indices run from 1 to 1100 for only 4 distinct interactions: uids must be "
            "contiguous within a part";
        for (bool skip : {false, true}) {
            ReadReport report;
            try {
                (void)loadLiangSplit(dir, skip, &report);
                QFAIL("expected an error");
            } catch (const Error& e) {
                QCOMPARE(std::string(e.what()), expected);
            }
        }
        // The same in train.csv.
        writeFile(dir / "train.csv", tr + "1100,0\n");
        writeFile(dir / "validation_tr.csv", "uid,sid\n1101,0\n");
        writeFile(dir / "validation_te.csv", "uid,sid\n1101,1\n");
        try {
            (void)loadLiangSplit(dir);
            QFAIL("expected an error");
        } catch (const Error& e) {
            QCOMPARE(std::string(e.what()),
                     (dir / "train.csv").string() +
                         ": user indices run from 1 to 1100 for only 3 distinct interactions: "
                         "uids must be contiguous within a part");
        }
        // Repeats within the distinct pairs' allowance still load, and round-trip.
        writeFile(dir / "train.csv", tr + "900,0\n");
        const Split s = loadLiangSplit(dir);
        QCOMPARE(s.train.rows, i64{900});
        QCOMPARE(s.train.nnz(), i64{3});
        exportLiangSplit(s, tmp / "out");
        compareSplits(loadLiangSplit(tmp / "out"), s);
    }

    void malformedFolders() {
        TempDir tmp;
        const auto dir = tmp / "split";
        auto writeGood = [&] {
            writeFile(dir / "unique_sid.txt", "10\n20\n30\n");
            writeFile(dir / "unique_uid.txt", "a\nb\nc\nd\ne\n");
            writeFile(dir / "train.csv", "uid,sid\n0,0\n0,1\n1,2\n");
            writeFile(dir / "validation_tr.csv", "uid,sid\n2,0\n2,1\n");
            writeFile(dir / "validation_te.csv", "uid,sid\n2,2\n");
            writeFile(dir / "test_tr.csv", "uid,sid\r\n3,0\r\n4,1\r\n\r\n");
            writeFile(dir / "test_te.csv", "sid,uid\n2,4\n");
        };
        writeGood();
        const Split s = loadLiangSplit(dir);
        QCOMPARE(s.train.rows, i64{2});
        QCOMPARE(s.validation.foldIn.rows, i64{1});
        QCOMPARE(s.test.foldIn.rows, i64{2});
        QCOMPARE(pairsOf(s.test.heldOut, 3), (Pairs{{4, 2}}));
        QCOMPARE(s.test.userIds, (std::vector<std::string>{"d", "e"}));
        QCOMPARE(s.itemIds, (std::vector<std::string>{"10", "20", "30"}));

        const std::string p = dir.string() + "/";
        writeFile(dir / "train.csv", "uid,sid\n0,0\n0,x\n");
        VAECF_EXPECT_ERROR(loadLiangSplit(dir),
                           p + "train.csv:3: expected two integers \"uid,sid\", found \"0,x\"");
        writeFile(dir / "train.csv", "uid,sid\n0,0\n0,1,2\n");
        VAECF_EXPECT_ERROR(loadLiangSplit(dir), p + "train.csv:3: expected two integers");
        writeFile(dir / "train.csv", "user,item\n0,0\n");
        VAECF_EXPECT_ERROR(loadLiangSplit(dir),
                           p + "train.csv:1: expected the header \"uid,sid\", found \"user,item\"");
        writeFile(dir / "train.csv", "");
        VAECF_EXPECT_ERROR(loadLiangSplit(dir), p + "train.csv:1: empty file");
        writeFile(dir / "train.csv", "uid,sid\n");
        VAECF_EXPECT_ERROR(loadLiangSplit(dir), p + "train.csv: no interactions");
        writeFile(dir / "train.csv", "uid,sid\n0,0\n1,3\n");
        VAECF_EXPECT_ERROR(loadLiangSplit(dir),
                           p + "train.csv:3: item index 3 is outside unique_sid.txt (3 items)");
        writeFile(dir / "train.csv", "uid,sid\n-1,0\n");
        VAECF_EXPECT_ERROR(loadLiangSplit(dir), p + "train.csv:2: negative user index -1");
        writeGood();
        writeFile(dir / "validation_te.csv", "uid,sid\n5,0\n");
        VAECF_EXPECT_ERROR(loadLiangSplit(dir), p + "validation_te.csv:2: user index 5 is "
                                                    "outside unique_uid.txt (5 users)");
        writeGood();
        writeFile(dir / "unique_sid.txt", "10\n\n30\n");
        VAECF_EXPECT_ERROR(loadLiangSplit(dir), p + "unique_sid.txt:2: empty line");
        writeFile(dir / "unique_sid.txt", "10\n20\n10\n");
        VAECF_EXPECT_ERROR(loadLiangSplit(dir), p + "unique_sid.txt:3: id \"10\" appears twice");
        writeGood();
        std::filesystem::remove(dir / "test_te.csv");
        VAECF_EXPECT_ERROR(loadLiangSplit(dir), p + "test_te.csv: cannot open the file");
        writeGood();
        writeFile(dir / "train.csv", "uid,sid\n0,0\n900000000,1\n");
        std::filesystem::remove(dir / "unique_uid.txt");
        VAECF_EXPECT_ERROR(loadLiangSplit(dir), "uids must be contiguous within a part");
        VAECF_EXPECT_ERROR(loadLiangSplit(tmp / "nowhere"), "not a folder");
    }
};

QTEST_GUILESS_MAIN(SplitTest)
#include "split_test.moc"
