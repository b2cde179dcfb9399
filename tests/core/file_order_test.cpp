// SPDX-License-Identifier: MIT
// The interactions' file order: kept by the readers on request, renumbered by preprocess, and
// used by the split, so that a raw ratings file splits exactly as the reference scripts do.
#include "fixtures.h"
#include "test_util.h"
#include "vaecf/dataset.h"
#include "vaecf/split.h"

using namespace vaecf::core;

class FileOrderTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void readerKeepsFileOrderAndPreprocessRenumbersIt() {
        vaecf::test::TempDir dir;
        // Users 7, 3; items in a deliberately unsorted order, one duplicate, one low rating,
        // and user 9 who will be filtered out (a single interaction).
        const auto f = vaecf::test::writeFile(dir / "r.tsv",
                                              "7\t30\t5\n3\t10\t4\n7\t10\t4\n9\t50\t5\n"
                                              "3\t20\t5\n7\t20\t2\n3\t30\t5\n7\t30\t4\n");
        ReadOptions ro;
        ro.format = "delimited";
        ro.keepFileOrder = true;
        const Dataset d = readDataset(f, ro);
        // Rows: 7, 3, 9; columns: 30, 10, 50, 20 (first appearance).
        QCOMPARE(d.fileOrder.users, (std::vector<std::int64_t>{0, 1, 0, 2, 1, 0, 1, 0}));
        QCOMPARE(d.fileOrder.items, (std::vector<std::int32_t>{0, 1, 1, 2, 3, 3, 0, 0}));
        ReadOptions delimited;
        delimited.format = "delimited";
        QVERIFY(readDataset(f, delimited).fileOrder.users.empty());

        PreprocessOptions po;
        po.minUserInteractions = 2;
        const Dataset p = preprocess(d, po);
        // User 9 and item 50 are gone: rows 7, 3; columns 30, 10, 20.
        QCOMPARE(p.userIds, (std::vector<std::string>{"7", "3"}));
        QCOMPARE(p.itemIds, (std::vector<std::string>{"30", "10", "20"}));
        QCOMPARE(p.fileOrder.users, (std::vector<std::int64_t>{0, 1, 0, 1, 0, 1, 0}));
        QCOMPARE(p.fileOrder.items, (std::vector<std::int32_t>{0, 1, 1, 2, 2, 0, 0}));
    }

    void rawMl100kSplitsExactlyAsTheSharedFolder() {
        const auto root = vaecf::test::sharedDatasets() / "ml-100k";
        if (!std::filesystem::exists(root / "u.data") ||
            !std::filesystem::exists(root / "liang-split" / "train.csv"))
            QSKIP("../shared/datasets/ml-100k is absent: the real-data check is skipped");
        ReadOptions ro;
        ro.keepFileOrder = true;
        const Dataset p = preprocess(readDataset(root, ro), {});
        SplitOptions so;
        so.heldOutUsers = 100;
        so.recipe = SplitRecipe::PythonRandom;
        const Split mine = makeLiangSplit(p, so, p.fileOrder);
        const Split shipped = loadLiangSplit(root / "liang-split");
        QCOMPARE(mine.fingerprintHex(), shipped.fingerprintHex());
        QCOMPARE(mine.itemIds, shipped.itemIds);
        QCOMPARE(mine.train, shipped.train);
        QCOMPARE(mine.test.heldOut, shipped.test.heldOut);
    }
};

QTEST_GUILESS_MAIN(FileOrderTest)
#include "file_order_test.moc"
