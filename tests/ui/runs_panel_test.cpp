// SPDX-License-Identifier: MIT
#include <QAbstractItemModelTester>
#include <QFile>
#include <QPushButton>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include "demo_data.h"
#include "charts/curve_plot.h"
#include "models/run_table_model.h"
#include "session/project.h"
#include "session/training_session.h"
#include "widgets/runs_panel.h"

using namespace vaecf::ui;
using State = TrainingSession::State;

namespace {

RunSetup tinySetup(const QString& name, std::uint64_t seed, int latent) {
    RunSetup s;
    s.modelId = "mult-vae";
    s.config = {{"hidden_dims", {32}}, {"latent_dim", latent}, {"batch_size", 50}};
    s.options.epochs = 2;
    s.options.seed = seed;
    s.name = name;
    return s;
}

}  // namespace

class RunsPanelTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void tableHasRunsAndMetrics();
    void sortsNumerically();
    void filters();
    void overlaysSelectedRuns();
    void renameThroughModel();
    void rerunAndInspect();
    void exportsCsv();
    void deletes();
    void cleanupTestCase();

private:
    int rowOfProxy(int runId) const;
    Project* m_project = nullptr;
    TrainingSession* m_session = nullptr;
    RunsPanel* m_panel = nullptr;
    QAbstractItemModelTester* m_tester = nullptr;
    int m_a = -1, m_b = -1;
};

void RunsPanelTest::initTestCase() {
    qRegisterMetaType<vaecf::ui::TrainingSession::State>();
    m_project = new Project;
    m_project->setData(vaecf::test::smallDemoData());
    m_session = new TrainingSession(m_project);
    m_panel = new RunsPanel(m_project, m_session);
    m_panel->resize(1100, 700);
    m_panel->show();
    m_tester = new QAbstractItemModelTester(m_panel->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);

    // Seeds 9 and 10: text order ("10" < "9") differs from numeric order.
    m_a = m_session->prepare(tinySetup(QStringLiteral("alpha"), 9, 8));
    m_session->play();
    QTRY_COMPARE_WITH_TIMEOUT(m_session->state(), State::Finished, 30000);
    m_b = m_session->prepare(tinySetup(QStringLiteral("beta"), 10, 4));
    m_session->play();
    QTRY_COMPARE_WITH_TIMEOUT(m_session->state(), State::Finished, 30000);
    QVERIFY(m_a > 0 && m_b > 0);
}

void RunsPanelTest::cleanupTestCase() {
    delete m_tester;
    delete m_panel;
    delete m_session;
    delete m_project;
}

int RunsPanelTest::rowOfProxy(int runId) const {
    QSortFilterProxyModel* p = m_panel->proxy();
    for (int r = 0; r < p->rowCount(); ++r)
        if (p->data(p->index(r, 0), RunTableModel::RunIdRole).toInt() == runId) return r;
    return -1;
}

void RunsPanelTest::tableHasRunsAndMetrics() {
    RunTableModel* m = m_panel->model();
    QCOMPARE(m->rowCount(), 2);
    QCOMPARE(m->columnCount(), int(RunTableModel::ColumnCount));
    QCOMPARE(m->data(m->index(0, RunTableModel::NameColumn)).toString(), QStringLiteral("alpha"));
    QCOMPARE(m->data(m->index(1, RunTableModel::NameColumn)).toString(), QStringLiteral("beta"));
    for (int row = 0; row < 2; ++row) {
        const Run* r = m_project->run(m->runId(row));
        QVERIFY(r);
        QCOMPARE(m->data(m->index(row, RunTableModel::NameColumn), Qt::DecorationRole).value<QColor>(), r->colour);
        QCOMPARE(m->data(m->index(row, RunTableModel::ModelColumn)).toString(), r->modelName());
        QCOMPARE(m->data(m->index(row, RunTableModel::ParamsColumn)).toString(), r->configSummary());
        QCOMPARE(m->data(m->index(row, RunTableModel::BestEpochColumn), RunTableModel::SortRole).toInt(), r->bestEpoch);
        QCOMPARE(m->data(m->index(row, RunTableModel::BestNdcgColumn)).toString(),
                 QString::number(r->bestMetric("ndcg@100"), 'f', 4));
        QCOMPARE(m->data(m->index(row, RunTableModel::BestNdcgColumn), RunTableModel::SortRole).toDouble(),
                 r->bestMetric("ndcg@100"));
        QCOMPARE(m->data(m->index(row, RunTableModel::BestRecall20Column), RunTableModel::SortRole).toDouble(),
                 r->bestMetric("recall@20"));
        QCOMPARE(m->data(m->index(row, RunTableModel::BestRecall50Column), RunTableModel::SortRole).toDouble(),
                 r->bestMetric("recall@50"));
        QCOMPARE(m->data(m->index(row, RunTableModel::FinalNdcgColumn), RunTableModel::SortRole).toDouble(),
                 r->finalMetric("ndcg@100"));
        QVERIFY(r->test);
        QCOMPARE(m->data(m->index(row, RunTableModel::TestNdcgColumn), RunTableModel::SortRole).toDouble(),
                 r->test->mean.at("ndcg@100"));
        QCOMPARE(m->data(m->index(row, RunTableModel::EpochsColumn)).toString(), QStringLiteral("2 / 2"));
        QCOMPARE(m->data(m->index(row, RunTableModel::StateColumn)).toString(), QStringLiteral("finished"));
        QVERIFY(m->data(m->index(row, RunTableModel::SecondsColumn), RunTableModel::SortRole).toDouble() > 0);
    }
    QCOMPARE(m->data(m->index(0, RunTableModel::SeedColumn)).toString(), QStringLiteral("9"));
}

void RunsPanelTest::sortsNumerically() {
    QTableView* t = m_panel->table();
    QSortFilterProxyModel* p = m_panel->proxy();
    t->sortByColumn(RunTableModel::SeedColumn, Qt::AscendingOrder);
    QCOMPARE(p->data(p->index(0, RunTableModel::SeedColumn)).toString(), QStringLiteral("9"));
    QCOMPARE(p->data(p->index(1, RunTableModel::SeedColumn)).toString(), QStringLiteral("10"));

    const double na = m_project->run(m_a)->bestMetric("ndcg@100");
    const double nb = m_project->run(m_b)->bestMetric("ndcg@100");
    t->sortByColumn(RunTableModel::BestNdcgColumn, Qt::DescendingOrder);
    QCOMPARE(p->data(p->index(0, 0), RunTableModel::RunIdRole).toInt(), na >= nb ? m_a : m_b);
    t->sortByColumn(RunTableModel::BestNdcgColumn, Qt::AscendingOrder);
    QCOMPARE(p->data(p->index(0, 0), RunTableModel::RunIdRole).toInt(), na >= nb ? m_b : m_a);
    QVERIFY(p->data(p->index(0, RunTableModel::BestNdcgColumn), RunTableModel::SortRole).toDouble() <=
            p->data(p->index(1, RunTableModel::BestNdcgColumn), RunTableModel::SortRole).toDouble());
}

void RunsPanelTest::filters() {
    QSortFilterProxyModel* p = m_panel->proxy();
    m_panel->setFilterText(QStringLiteral("ALPHA"));
    QCOMPARE(p->rowCount(), 1);
    QCOMPARE(p->data(p->index(0, 0), RunTableModel::RunIdRole).toInt(), m_a);
    m_panel->setFilterText(QStringLiteral("K=4"));  // the hyperparameter column
    QCOMPARE(p->rowCount(), 1);
    QCOMPARE(p->data(p->index(0, 0), RunTableModel::RunIdRole).toInt(), m_b);
    m_panel->setFilterText(QStringLiteral("Mult-VAE"));
    QCOMPARE(p->rowCount(), 2);
    m_panel->setFilterText(QStringLiteral("no such run"));
    QCOMPARE(p->rowCount(), 0);
    m_panel->setFilterText(QString());
    QCOMPARE(p->rowCount(), 2);
}

void RunsPanelTest::overlaysSelectedRuns() {
    m_panel->table()->selectAll();
    QCOMPARE(m_project->overlaidRuns().size(), std::size_t(2));
    CurvePlot* plot = m_panel->overlayPlot();
    QCOMPARE(plot->seriesNames().size(), 2);
    QVERIFY(plot->seriesNames().contains(QStringLiteral("alpha")));
    QVERIFY(plot->seriesNames().contains(QStringLiteral("beta")));
    plot->flush();
    QCOMPARE(plot->drawnColour(QStringLiteral("alpha")), m_project->run(m_a)->colour);
    QCOMPARE(plot->drawnColour(QStringLiteral("beta")), m_project->run(m_b)->colour);
    QVERIFY(m_project->run(m_a)->colour != m_project->run(m_b)->colour);
    QCOMPARE(plot->pointCount(QStringLiteral("alpha")), 2);
    QCOMPARE(plot->rawValues(QStringLiteral("beta")).back(), m_project->run(m_b)->finalMetric("ndcg@100"));

    m_panel->setMetric(RunsPanel::Metric::TrainingLoss);
    QCOMPARE(plot->rawValues(QStringLiteral("alpha")).front(), m_project->run(m_a)->epochs[0].report.train.loss);
    m_panel->setMetric(RunsPanel::Metric::ValidationRecall20);
    QCOMPARE(plot->rawValues(QStringLiteral("alpha")).back(), m_project->run(m_a)->finalMetric("recall@20"));
    m_panel->setMetric(RunsPanel::Metric::ValidationNdcg100);

    // The project's overlay list drives the selection too.
    m_project->setOverlaidRuns({m_b});
    QCOMPARE(m_panel->selectedRunIds(), std::vector<int>{m_b});
    QCOMPARE(plot->seriesNames(), QStringList{QStringLiteral("beta")});
    m_panel->selectRuns({m_a, m_b});
    QCOMPARE(m_project->overlaidRuns().size(), std::size_t(2));
}

void RunsPanelTest::renameThroughModel() {
    RunTableModel* m = m_panel->model();
    const QModelIndex i = m->index(m->rowOf(m_a), RunTableModel::NameColumn);
    QVERIFY(m->flags(i) & Qt::ItemIsEditable);
    QSignalSpy changed(m, &QAbstractItemModel::dataChanged);
    QVERIFY(m->setData(i, QStringLiteral("gamma")));
    QCOMPARE(m_project->run(m_a)->name, QStringLiteral("gamma"));
    QCOMPARE(m->data(i).toString(), QStringLiteral("gamma"));
    QVERIFY(changed.count() >= 1);
    QVERIFY(!m->setData(i, QStringLiteral("   ")));  // empty names are refused
    QCOMPARE(m_project->run(m_a)->name, QStringLiteral("gamma"));
    QVERIFY(m_panel->overlayPlot()->seriesNames().contains(QStringLiteral("gamma")));
    QVERIFY(!m_panel->overlayPlot()->seriesNames().contains(QStringLiteral("alpha")));
}

void RunsPanelTest::rerunAndInspect() {
    m_panel->selectRuns({m_b});
    QSignalSpy spy(m_panel, &RunsPanel::rerunRequested);
    auto* rerun = m_panel->findChild<QPushButton*>(QStringLiteral("rerunButton"));
    QVERIFY(rerun && rerun->isEnabled());
    QTest::mouseClick(rerun, Qt::LeftButton);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toInt(), m_b);

    m_project->setCurrentRun(m_a);
    auto* inspect = m_panel->findChild<QPushButton*>(QStringLiteral("inspectButton"));
    QVERIFY(inspect && inspect->isEnabled());
    QTest::mouseClick(inspect, Qt::LeftButton);
    QCOMPARE(m_project->currentRunId(), m_b);
}

void RunsPanelTest::exportsCsv() {
    m_panel->selectRuns({m_a, m_b});
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("runs.csv"));
    QString error;
    QVERIFY2(m_panel->exportOverlayCsv(path, &error), qPrintable(error));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly | QIODevice::Text));
    const QStringList lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 5);  // header + 2 epochs x 2 runs
    QCOMPARE(lines[0], QStringLiteral("series,x,raw,smoothed"));
    QCOMPARE(lines.filter(QStringLiteral("gamma,")).size(), 2);
    QCOMPARE(lines.filter(QStringLiteral("beta,")).size(), 2);
    QVERIFY(lines.contains(QStringLiteral("beta,2,%1,%1").arg(m_project->run(m_b)->finalMetric("ndcg@100"), 0, 'g', 10)));
}

void RunsPanelTest::deletes() {
    m_panel->selectRuns({m_a});
    auto* del = m_panel->findChild<QPushButton*>(QStringLiteral("deleteButton"));
    QVERIFY(del && del->isEnabled());
    QString asked;
    m_panel->setConfirmation([&](const QString& q) {
        asked = q;
        return false;
    });
    QTest::mouseClick(del, Qt::LeftButton);
    QVERIFY(asked.contains(QStringLiteral("gamma")));
    QVERIFY(m_project->run(m_a));  // declined

    m_panel->setConfirmation([](const QString&) { return true; });
    QTest::mouseClick(del, Qt::LeftButton);
    QVERIFY(!m_project->run(m_a));
    QCOMPARE(m_panel->model()->rowCount(), 1);
    QCOMPARE(m_panel->model()->runId(0), m_b);
    QVERIFY(!m_panel->overlayPlot()->seriesNames().contains(QStringLiteral("gamma")));
}

QTEST_MAIN(RunsPanelTest)
#include "runs_panel_test.moc"
