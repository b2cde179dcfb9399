// SPDX-License-Identifier: MIT
// The Recommendations panel on real widgets (offscreen): a demo dataset, a tiny Mult-VAE
// trained with core::Trainer, and every expectation recomputed independently from the model.
#include <algorithm>
#include <cmath>
#include <memory>
#include <set>
#include <vector>

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include "demo_data.h"
#include "models/item_list_model.h"
#include "models/recommendation_model.h"
#include "models/user_list_model.h"
#include "session/project.h"
#include "session/recommender.h"
#include "vaecf/metrics.h"
#include "vaecf/model.h"
#include "vaecf/trainer.h"
#include "widgets/recommendations_panel.h"

using namespace vaecf;
using namespace vaecf::ui;

namespace {

std::shared_ptr<const core::Model> trainTiny(const core::Split& split, std::uint64_t seed,
                                             int epochs) {
    core::TrainOptions opts;
    opts.epochs = epochs;
    opts.seed = seed;
    opts.threads = 2;
    core::Trainer trainer(
        split,
        core::createModel(
            "mult-vae", core::Config{{"hidden_dims", {32}}, {"latent_dim", 8}, {"batch_size", 50}}),
        opts);
    trainer.run();
    return std::shared_ptr<const core::Model>(core::cloneModel(trainer.model()));
}

// The independent reference: score, mask the fold-in items, rank.
std::vector<std::int32_t> referenceTop(const core::Model& model, const core::CsrMatrix& rows,
                                       std::int64_t row, int n) {
    std::vector<float> s(static_cast<std::size_t>(rows.cols));
    model.score(rows, row, row + 1, s.data());
    for (std::int32_t i : rows.rowIndices(row))
        s[static_cast<std::size_t>(i)] = -INFINITY;
    return core::topK(s, n);
}

std::vector<std::int32_t> tableItems(const QAbstractItemModel* m) {
    std::vector<std::int32_t> out;
    for (int r = 0; r < m->rowCount(); ++r)
        out.push_back(m->index(r, 0).data(RecommendationModel::ItemRole).toInt());
    return out;
}

}  // namespace

class RecommendationsTest : public QObject {
    Q_OBJECT

    std::shared_ptr<const DataState> m_data;
    std::shared_ptr<const core::Model> m_model, m_model2;

    // A project with the data and (optionally) the trained run as the current one.
    std::unique_ptr<Project> makeProject(bool withRun) {
        auto p = std::make_unique<Project>();
        p->setData(m_data);
        if (withRun) {
            auto run = std::make_shared<Run>();
            run->modelId = "mult-vae";
            run->bestModel = m_model;
            run->state = RunState::Finished;
            p->setCurrentRun(p->addRun(run)->id);
        }
        return p;
    }

    // A test user with held-out items and at least one hit in its top 20.
    std::int64_t userWithHits() const {
        const auto& rows = m_data->rows(Part::Test);
        const auto* held = m_data->heldOut(Part::Test);
        std::int64_t fallback = -1;
        for (std::int64_t r = 0; r < rows.rows; ++r) {
            const auto ho = held->rowIndices(r);
            if (ho.empty()) continue;
            if (fallback < 0) fallback = r;
            for (std::int32_t i : referenceTop(*m_model, rows, r, 20))
                if (std::binary_search(ho.begin(), ho.end(), i)) return r;
        }
        return fallback;
    }

    static QModelIndex proxyIndexOfRow(QTableView* table, std::int64_t row) {
        auto* proxy = qobject_cast<QSortFilterProxyModel*>(table->model());
        for (int r = 0; r < proxy->rowCount(); ++r)
            if (proxy->index(r, 0).data(UserListModel::RowRole).toLongLong() == row)
                return proxy->index(r, 0);
        return {};
    }

private Q_SLOTS:
    void initTestCase() {
        m_data = vaecf::test::smallDemoData(400, 150);
        QVERIFY(m_data->numUsers(Part::Test) > 5);
        m_model = trainTiny(m_data->split, 1, 3);
        m_model2 = trainTiny(m_data->split, 2, 1);
    }

    void placeholderWithoutRun() {
        Project empty;
        RecommendationsPanel bare(&empty);
        bare.show();
        auto* ph = bare.findChild<QLabel*>(QStringLiteral("recsPlaceholder"));
        QVERIFY(ph);
        QVERIFY(ph->isVisible());

        auto project = makeProject(false);
        RecommendationsPanel panel(project.get());
        panel.show();
        ph = panel.findChild<QLabel*>(QStringLiteral("recsPlaceholder"));
        QVERIFY(ph->isVisible());
        QVERIFY(ph->text().contains(QStringLiteral("Train a model to see recommendations")));
        QVERIFY(!panel.findChild<QTableView*>(QStringLiteral("recsTable"))->isVisible());

        // A run trained on other data cannot be used.
        auto run = std::make_shared<Run>();
        run->modelId = "mult-vae";
        run->bestModel = m_model;
        run->fingerprint = "not-this-data";
        project->setCurrentRun(project->addRun(run)->id);
        QVERIFY(ph->isVisible());
        QVERIFY(ph->text().contains(QStringLiteral("different data")));

        // A matching run replaces the placeholder.
        auto good = std::make_shared<Run>();
        good->modelId = "mult-vae";
        good->bestModel = m_model;
        project->setCurrentRun(project->addRun(good)->id);
        QVERIFY(!ph->isVisible());
        QVERIFY(panel.findChild<QTableView*>(QStringLiteral("recsTable"))->isVisible());
    }

    void selectingUserFillsTable() {
        auto project = makeProject(true);
        RecommendationsPanel panel(project.get());
        panel.show();
        QCOMPARE(panel.topN(), 20);
        auto* users = panel.findChild<QTableView*>(QStringLiteral("recsUserTable"));
        auto* recs = panel.findChild<QTableView*>(QStringLiteral("recsTable"));
        QVERIFY(users && recs);
        const std::int64_t r = userWithHits();
        QVERIFY(r >= 0);
        const QModelIndex idx = proxyIndexOfRow(users, r);
        QVERIFY(idx.isValid());
        users->selectionModel()->setCurrentIndex(
            idx, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        QCOMPARE(panel.shownUser(), (UserRef{Part::Test, r}));
        QCOMPARE(project->selectedUser(), (UserRef{Part::Test, r}));  // told the other panels

        const auto* m = recs->model();
        QCOMPARE(m->rowCount(), 20);
        const auto& rows = m_data->rows(Part::Test);
        const auto foldIn = rows.rowIndices(r);
        const auto ho = m_data->heldOut(Part::Test)->rowIndices(r);
        const auto expected = referenceTop(*m_model, rows, r, 20);
        QCOMPARE(tableItems(m), expected);
        double previous = INFINITY;
        std::set<std::int32_t> expectedHits, shownHits;
        for (std::int32_t i : expected)
            if (std::binary_search(ho.begin(), ho.end(), i)) expectedHits.insert(i);
        QVERIFY(!expectedHits.empty());
        for (int row = 0; row < m->rowCount(); ++row) {
            const std::int32_t item = m->index(row, 0).data(RecommendationModel::ItemRole).toInt();
            QVERIFY(std::find(foldIn.begin(), foldIn.end(), item) == foldIn.end());
            const double score = m->index(row, 0).data(RecommendationModel::ScoreRole).toDouble();
            QVERIFY(score <= previous);
            previous = score;
            const QModelIndex hitCell = m->index(row, RecommendationModel::HitColumn);
            const bool marked = !hitCell.data().toString().isEmpty();
            QCOMPARE(marked, hitCell.data(RecommendationModel::HitRole).toBool());
            if (marked) {
                shownHits.insert(item);
                QVERIFY(hitCell.data(Qt::BackgroundRole).value<QColor>().isValid());
            }
        }
        QCOMPARE(shownHits, expectedHits);
        // Missed: the held-out items not in the list.
        auto* missed = panel.findChild<QTableView*>(QStringLiteral("recsMissedTable"));
        QCOMPARE(missed->model()->rowCount(), static_cast<int>(ho.size() - expectedHits.size()));
        auto* summary = panel.findChild<QLabel*>(QStringLiteral("recsUserSummary"));
        QVERIFY(summary->text().contains(
            QStringLiteral("%1 of %2").arg(expectedHits.size()).arg(ho.size())));
        // History: the fold-in items.
        QCOMPARE(
            panel.findChild<QTableView*>(QStringLiteral("recsHistoryTable"))->model()->rowCount(),
            static_cast<int>(foldIn.size()));

        // N follows the spin box.
        panel.setTopN(7);
        QCOMPARE(m->rowCount(), 7);
    }

    void followsProjectSelection() {
        auto project = makeProject(true);
        RecommendationsPanel panel(project.get());
        panel.show();
        auto* users = panel.findChild<QTableView*>(QStringLiteral("recsUserTable"));
        const std::int64_t r = m_data->numUsers(Part::Test) - 1;
        project->selectUser(UserRef{Part::Test, r});
        QCOMPARE(panel.shownUser(), (UserRef{Part::Test, r}));
        QCOMPARE(users->currentIndex().data(UserListModel::RowRole).toLongLong(), r);
        QCOMPARE(tableItems(panel.findChild<QTableView*>(QStringLiteral("recsTable"))->model()),
                 referenceTop(*m_model, m_data->rows(Part::Test), r, 20));

        // Another part switches the list; a search that hides the user is cleared.
        panel.findChild<QLineEdit*>(QStringLiteral("recsUserSearch"))
            ->setText(QStringLiteral("no-such-id"));
        project->selectUser(UserRef{Part::Train, 3});
        QCOMPARE(panel.shownUser(), (UserRef{Part::Train, 3}));
        QCOMPARE(
            panel.findChild<QComboBox*>(QStringLiteral("recsPartCombo"))->currentData().toInt(),
            static_cast<int>(Part::Train));
        QCOMPARE(users->currentIndex().data(UserListModel::RowRole).toLongLong(), 3);
        QCOMPARE(tableItems(panel.findChild<QTableView*>(QStringLiteral("recsTable"))->model()),
                 referenceTop(*m_model, m_data->rows(Part::Train), 3, 20));
    }

    void ownTaste() {
        auto project = makeProject(true);
        RecommendationsPanel panel(project.get());
        panel.show();
        auto* search = panel.findChild<QLineEdit*>(QStringLiteral("recsTasteSearch"));
        auto* results = panel.findChild<QTableView*>(QStringLiteral("recsTasteResults"));
        auto* add = panel.findChild<QPushButton*>(QStringLiteral("recsTasteAdd"));
        auto* table = panel.findChild<QTableView*>(QStringLiteral("recsTasteTable"));
        QVERIFY(search && results && add && table);
        QCOMPARE(table->model()->rowCount(), 0);

        auto addByTitle = [&](std::int32_t item) {
            search->setText(m_data->itemTitle(item));
            auto* m = results->model();
            QVERIFY(m->rowCount() >= 1);
            QVERIFY(m->rowCount() < m_data->split.numItems());
            for (int r = 0; r < m->rowCount(); ++r)
                if (m->index(r, 0).data(ItemListModel::ItemRole).toInt() == item)
                    results->setCurrentIndex(m->index(r, 0));
            QCOMPARE(results->currentIndex().data(ItemListModel::ItemRole).toInt(), item);
            add->click();
        };
        auto reference = [&](const std::vector<std::int32_t>& items) {
            const core::CsrMatrix row = core::CsrMatrix::fromTriplets(
                1, m_data->split.numItems(), std::vector<std::int64_t>(items.size(), 0), items,
                std::vector<float>(items.size(), 1.0f));
            return referenceTop(*m_model, row, 0, 20);
        };

        addByTitle(5);
        QCOMPARE(panel.tasteItems(), (std::vector<std::int32_t>{5}));
        const auto first = tableItems(table->model());
        QCOMPARE(static_cast<int>(first.size()), 20);
        QVERIFY(std::find(first.begin(), first.end(), 5) == first.end());
        QCOMPARE(first, reference({5}));

        const std::int32_t second = first.front() == 77 ? 78 : 77;
        addByTitle(second);
        const auto both = tableItems(table->model());
        QCOMPARE(both, reference({5, second}));
        QVERIFY(both != first);
        QVERIFY(std::find(both.begin(), both.end(), 5) == both.end());
        QVERIFY(std::find(both.begin(), both.end(), second) == both.end());
        QCOMPARE(panel.findChild<QTableView*>(QStringLiteral("recsTasteList"))->model()->rowCount(),
                 2);

        panel.findChild<QPushButton*>(QStringLiteral("recsTasteClear"))->click();
        QVERIFY(panel.tasteItems().empty());
        QCOMPARE(table->model()->rowCount(), 0);
    }

    void compareRuns() {
        auto project = makeProject(true);
        auto run2 = std::make_shared<Run>();
        run2->modelId = "mult-vae";
        run2->bestModel = m_model2;
        const int id2 = project->addRun(run2)->id;
        RecommendationsPanel panel(project.get());
        panel.show();
        auto* combo = panel.findChild<QComboBox*>(QStringLiteral("recsCompareCombo"));
        const int index = combo->findData(id2);
        QVERIFY(index > 0);
        QCOMPARE(combo->findData(project->currentRunId()), -1);  // not compared with itself
        combo->setCurrentIndex(index);
        Q_EMIT combo->activated(index);
        QCOMPARE(panel.compareRunId(), id2);
        auto* box = panel.findChild<QWidget*>(QStringLiteral("recsCompareBox"));
        QVERIFY(box->isVisible());

        const std::int64_t r = 0;
        project->selectUser(UserRef{Part::Test, r});
        const auto& rows = m_data->rows(Part::Test);
        const auto a = referenceTop(*m_model, rows, r, 20);
        const auto b = referenceTop(*m_model2, rows, r, 20);
        QCOMPARE(tableItems(panel.findChild<QTableView*>(QStringLiteral("recsTable"))->model()), a);
        auto* other = panel.findChild<QTableView*>(QStringLiteral("recsCompareTable"))->model();
        QCOMPARE(tableItems(other), b);
        int overlap = 0;
        for (std::int32_t i : b)
            overlap += std::find(a.begin(), a.end(), i) != a.end() ? 1 : 0;
        auto* label = panel.findChild<QLabel*>(QStringLiteral("recsOverlapLabel"));
        QVERIFY2(label->text().contains(QStringLiteral("%1 of 20").arg(overlap)),
                 qPrintable(label->text()));
        int shared = 0;
        for (int row = 0; row < other->rowCount(); ++row)
            shared += other->index(row, 0).data(RecommendationModel::SharedRole).toBool() ? 1 : 0;
        QCOMPARE(shared, overlap);

        panel.setCompareRun(-1);
        QVERIFY(!box->isVisible());
    }

    void perUserMetricsAndSorting() {
        auto project = makeProject(true);
        RecommendationsPanel panel(project.get());
        panel.show();
        QTRY_VERIFY_WITH_TIMEOUT(panel.partMetricsReady(), 10000);
        auto* users = panel.findChild<QTableView*>(QStringLiteral("recsUserTable"));
        auto* proxy = users->model();
        const auto& rows = m_data->rows(Part::Test);
        const auto* held = m_data->heldOut(Part::Test);
        for (int r = 0; r < proxy->rowCount(); ++r) {
            const std::int64_t u = proxy->index(r, 0).data(UserListModel::RowRole).toLongLong();
            const auto ho = held->rowIndices(u);
            const double shown =
                proxy->index(r, UserListModel::NdcgColumn).data(UserListModel::SortRole).toDouble();
            if (ho.empty()) {
                QCOMPARE(shown, -1.0);
                continue;
            }
            const auto top = referenceTop(*m_model, rows, u, 100);
            QVERIFY(std::abs(shown - core::ndcgAt(top, ho, 100)) < 1e-9);
            const double recall = proxy->index(r, UserListModel::RecallColumn)
                                      .data(UserListModel::SortRole)
                                      .toDouble();
            QVERIFY(std::abs(recall - core::recallAt(top, ho, 20)) < 1e-9);
        }
        users->sortByColumn(UserListModel::NdcgColumn, Qt::DescendingOrder);
        double previous = INFINITY;
        for (int r = 0; r < proxy->rowCount(); ++r) {
            const double v =
                proxy->index(r, UserListModel::NdcgColumn).data(UserListModel::SortRole).toDouble();
            QVERIFY(v <= previous);
            previous = v;
        }
        users->sortByColumn(UserListModel::ActivityColumn, Qt::AscendingOrder);
        previous = -1;
        for (int r = 0; r < proxy->rowCount(); ++r) {
            const double v = proxy->index(r, UserListModel::ActivityColumn)
                                 .data(UserListModel::SortRole)
                                 .toDouble();
            QVERIFY(v >= previous);
            previous = v;
        }

        // Training users: no metrics job.
        auto* part = panel.findChild<QComboBox*>(QStringLiteral("recsPartCombo"));
        part->setCurrentIndex(0);
        Q_EMIT part->activated(0);
        QVERIFY(!panel.partMetricsReady());
        QCOMPARE(proxy->rowCount(), static_cast<int>(m_data->numUsers(Part::Train)));
        // Back to validation users: computed again.
        part->setCurrentIndex(1);
        Q_EMIT part->activated(1);
        QTRY_VERIFY_WITH_TIMEOUT(panel.partMetricsReady(), 10000);
        QCOMPARE(proxy->rowCount(), static_cast<int>(m_data->numUsers(Part::Validation)));
    }

    void csvExports() {
        auto project = makeProject(true);
        RecommendationsPanel panel(project.get());
        QTemporaryDir dir;
        QVERIFY(
            !panel.exportRecommendations(dir.filePath(QStringLiteral("none.csv"))));  // no user yet
        project->selectUser(UserRef{Part::Test, 1});
        panel.setTopN(15);
        const QString path = dir.filePath(QStringLiteral("recs.csv"));
        QVERIFY(panel.exportRecommendations(path));
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly | QIODevice::Text));
        const QStringList lines =
            QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 16);
        QCOMPARE(lines.front(), QStringLiteral("rank,item_id,title,score,hit"));
        QVERIFY(lines[1].startsWith(QStringLiteral("1,")));

        QTRY_VERIFY_WITH_TIMEOUT(panel.partMetricsReady(), 10000);
        const QString mpath = dir.filePath(QStringLiteral("metrics.csv"));
        QVERIFY(panel.exportPartMetrics(mpath));
        QFile g(mpath);
        QVERIFY(g.open(QIODevice::ReadOnly | QIODevice::Text));
        const QStringList mlines =
            QString::fromUtf8(g.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(mlines.size(), static_cast<int>(m_data->numUsers(Part::Test)) + 1);
        QCOMPARE(mlines.front(), QStringLiteral("user_id,activity,ndcg@100,recall@20,recall@50"));
        QCOMPARE(csvField(QStringLiteral("a,\"b\"")), QStringLiteral("\"a,\"\"b\"\"\""));
    }

    void runAndDataChanges() {
        auto project = makeProject(true);
        RecommendationsPanel panel(project.get());
        panel.show();
        project->selectUser(UserRef{Part::Test, 2});
        auto* recs = panel.findChild<QTableView*>(QStringLiteral("recsTable"))->model();
        QCOMPARE(recs->rowCount(), 20);
        // A new best model of the current run refreshes the list.
        project->currentRun()->bestModel = m_model2;
        project->notifyRunChanged(project->currentRunId());
        QCOMPARE(tableItems(recs), referenceTop(*m_model2, m_data->rows(Part::Test), 2, 20));
        // Removing the run brings the placeholder back.
        project->removeRun(project->currentRunId());
        QVERIFY(panel.findChild<QLabel*>(QStringLiteral("recsPlaceholder"))->isVisible());
        // New data drops the user.
        project->setData(m_data);
        QVERIFY(!panel.shownUser().valid());
    }

    void modelsPassTester() {
        UserListModel users;
        QAbstractItemModelTester t1(&users, QAbstractItemModelTester::FailureReportingMode::QtTest);
        users.setPart(m_data, Part::Test);
        std::vector<PartUserMetrics> metrics(
            static_cast<std::size_t>(m_data->numUsers(Part::Test)));
        metrics[0].ndcg = 0.5;
        metrics[0].recallA = 0.25;
        users.setMetrics(metrics);
        QCOMPARE(users.index(0, UserListModel::NdcgColumn).data().toString(),
                 QStringLiteral("0.500"));
        users.setPart(m_data, Part::Validation);
        users.setPart(nullptr, Part::Train);
        QCOMPARE(users.rowCount(), 0);

        ItemListModel items;
        QAbstractItemModelTester t2(&items, QAbstractItemModelTester::FailureReportingMode::QtTest);
        items.setAllItems(m_data);
        QCOMPARE(items.rowCount(), static_cast<int>(m_data->split.numItems()));
        items.setItems(m_data, {3, 1});
        QCOMPARE(items.index(1, 0).data().toString(), m_data->itemTitle(1));
        items.clear();

        RecommendationModel recs;
        QAbstractItemModelTester t3(&recs, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const auto top = recommendForRow(*m_model, m_data->rows(Part::Test), 0, 10,
                                         m_data->heldOut(Part::Test)->rowIndices(0));
        recs.setRecommendations(m_data, top);
        QCOMPARE(recs.rowCount(), 10);
        recs.setSharedItems(top);
        QVERIFY(recs.index(0, 0).data(RecommendationModel::SharedRole).toBool());
        recs.setPalette(QPalette(Qt::darkGray));
        recs.clear();
    }
};

QTEST_MAIN(RecommendationsTest)
#include "recommendations_test.moc"
