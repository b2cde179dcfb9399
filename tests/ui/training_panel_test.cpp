// SPDX-License-Identifier: MIT
#include <QAction>
#include <QSignalSpy>
#include <QtTest>

#include "demo_data.h"
#include "charts/curve_plot.h"
#include "session/project.h"
#include "session/training_session.h"
#include "widgets/training_panel.h"

using namespace vaecf::ui;
using State = TrainingSession::State;

namespace {

std::shared_ptr<const DataState> demoData() { return vaecf::test::smallDemoData(); }

RunSetup tinySetup(int epochs, std::uint64_t seed) {
    RunSetup s;
    s.modelId = "mult-vae";
    s.config = {{"hidden_dims", {32}}, {"latent_dim", 8}, {"batch_size", 50}};
    s.options.epochs = epochs;
    s.options.seed = seed;
    return s;
}

}  // namespace

class TrainingPanelTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        qRegisterMetaType<vaecf::ui::TrainingSession::State>();
        m_data = demoData();
    }
    void trainsAndPlotsLive();
    void stateMachineAndResetDeterminism();
    void xAxisAndSharedControls();

private:
    std::shared_ptr<const DataState> m_data;
};

void TrainingPanelTest::trainsAndPlotsLive() {
    Project project;
    project.setData(m_data);
    TrainingSession session(&project);
    TrainingPanel panel(&project, &session);
    panel.resize(1000, 700);
    panel.show();
    QVERIFY(!panel.pauseAction()->isEnabled());
    QVERIFY(panel.playAction()->isEnabled());  // data is there: play would prepare a run

    const int id = session.prepare(tinySetup(2, 1));
    QVERIFY(id > 0);
    QCOMPARE(session.state(), State::Ready);
    QCOMPARE(panel.displayedRunId(), id);
    panel.playAction()->trigger();
    Run* run = project.run(id);
    QVERIFY(run);
    QTRY_COMPARE_WITH_TIMEOUT(run->state, RunState::Finished, 30000);
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), State::Finished, 5000);
    QCOMPARE(run->epochs.size(), std::size_t(2));

    const auto perEpoch = static_cast<std::size_t>(run->epochs[0].report.batches);
    QVERIFY(perEpoch > 0);
    QCOMPARE(run->batches.size(), 2 * perEpoch);
    CurvePlot* loss = panel.lossPlot();
    QCOMPARE(loss->pointCount(TrainingPanel::lossSeries()), static_cast<int>(run->batches.size()));
    QCOMPARE(loss->pointCount(TrainingPanel::klSeries()), static_cast<int>(run->batches.size()));
    QCOMPARE(loss->pointCount(TrainingPanel::lossSeries() + TrainingPanel::meanSuffix()), 2);
    QCOMPARE(panel.betaPlot()->pointCount(TrainingPanel::betaSeries()), static_cast<int>(run->batches.size()));
    QCOMPARE(panel.metricPlot()->pointCount(TrainingPanel::ndcgSeries()), 2);
    QCOMPARE(panel.metricPlot()->pointCount(TrainingPanel::recall20Series()), 2);
    QCOMPARE(panel.metricPlot()->pointCount(TrainingPanel::recall50Series()), 2);
    // x in epochs: the last batch ends epoch 2.
    QCOMPARE(loss->xValues(TrainingPanel::lossSeries()).back(), 2.0);
    QCOMPARE(loss->rawValues(TrainingPanel::lossSeries()).front(), run->batches.front().terms.loss);
    const auto ndcg = panel.metricPlot()->rawValues(TrainingPanel::ndcgSeries());
    QCOMPARE(ndcg.back(), run->finalMetric("ndcg@100"));

    QVERIFY(run->bestEpoch >= 1);
    QVERIFY(panel.metricPlot()->hasMarker());
    QCOMPARE(*panel.metricPlot()->markerX(), static_cast<double>(run->bestEpoch));
    QVERIFY(panel.lossPlot()->hasMarker());
    QCOMPARE(*panel.lossPlot()->markerX(), static_cast<double>(run->bestEpoch));
    QVERIFY(panel.metricPlot()->markerLabel().contains(QString::number(run->bestEpoch)));

    // The charts redraw on their own (throttled) without a flush.
    QTRY_COMPARE_WITH_TIMEOUT(loss->drawnPointCount(TrainingPanel::lossSeries()),
                              static_cast<int>(run->batches.size()), 2000);

    QVERIFY(panel.playAction()->isEnabled());
    QVERIFY(panel.stepAction()->isEnabled());
    QVERIFY(!panel.pauseAction()->isEnabled());
    QVERIFY(!panel.stopAction()->isEnabled());
    QVERIFY(panel.resetAction()->isEnabled());
    QVERIFY2(panel.progressText().contains(QStringLiteral("finished")), qPrintable(panel.progressText()));
}

void TrainingPanelTest::stateMachineAndResetDeterminism() {
    Project project;
    project.setData(m_data);
    TrainingSession session(&project);
    TrainingPanel panel(&project, &session);
    panel.show();
    QSignalSpy spy(&session, &TrainingSession::stateChanged);

    const int id = session.prepare(tinySetup(5000, 7));  // far more than it will run: pause must win
    QVERIFY(id > 0);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.takeFirst().at(0).value<State>(), State::Ready);
    QVERIFY(panel.playAction()->isEnabled());
    QVERIFY(panel.stepAction()->isEnabled());
    QVERIFY(!panel.pauseAction()->isEnabled());
    QVERIFY(panel.stopAction()->isEnabled());
    QVERIFY(!panel.resetAction()->isEnabled());

    Run* run = project.run(id);
    panel.stepAction()->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), State::Paused, 30000);
    QCOMPARE(spy.count(), 2);
    QCOMPARE(spy.at(0).at(0).value<State>(), State::Running);
    QCOMPARE(spy.at(1).at(0).value<State>(), State::Paused);
    spy.clear();
    QCOMPARE(run->epochs.size(), std::size_t(1));  // exactly one epoch
    QCOMPARE(run->state, RunState::Paused);
    const double firstLoss = run->epochs[0].report.train.loss;
    const double firstBatchLoss = run->batches.front().terms.loss;
    QCOMPARE(panel.metricPlot()->pointCount(TrainingPanel::ndcgSeries()), 1);
    QVERIFY(panel.playAction()->isEnabled());
    QVERIFY(!panel.pauseAction()->isEnabled());
    QVERIFY(panel.stopAction()->isEnabled());
    QVERIFY(panel.resetAction()->isEnabled());

    panel.playAction()->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), State::Running, 10000);
    QVERIFY(!panel.playAction()->isEnabled());
    QVERIFY(!panel.stepAction()->isEnabled());
    QVERIFY(panel.pauseAction()->isEnabled());
    QVERIFY(panel.stopAction()->isEnabled());
    panel.pauseAction()->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), State::Paused, 10000);
    QVERIFY(run->epochs.size() < 5000);
    QCOMPARE(spy.at(0).at(0).value<State>(), State::Running);
    QCOMPARE(spy.at(1).at(0).value<State>(), State::Paused);
    spy.clear();

    panel.stopAction()->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), State::Finished, 20000);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(run->state, RunState::Stopped);
    QVERIFY(!panel.stopAction()->isEnabled());
    QVERIFY(panel.resetAction()->isEnabled());
    spy.clear();

    panel.resetAction()->trigger();
    QCOMPARE(session.state(), State::Ready);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(session.runId(), id);
    QVERIFY(run->batches.empty());
    QVERIFY(run->epochs.empty());
    QCOMPARE(run->bestEpoch, 0);
    QCOMPARE(panel.lossPlot()->pointCount(TrainingPanel::lossSeries()), 0);
    QCOMPARE(panel.metricPlot()->pointCount(TrainingPanel::ndcgSeries()), 0);
    QVERIFY(!panel.metricPlot()->hasMarker());

    panel.stepAction()->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), State::Paused, 30000);
    QCOMPARE(run->epochs.size(), std::size_t(1));
    QCOMPARE(run->batches.front().terms.loss, firstBatchLoss);
    QCOMPARE(run->epochs[0].report.train.loss, firstLoss);
    QCOMPARE(panel.lossPlot()->pointCount(TrainingPanel::lossSeries()), static_cast<int>(run->batches.size()));

    // Space toggles play and pause (when the panel has focus).
    panel.activateWindow();
    panel.setFocus();
    if (QTest::qWaitForWindowActive(&panel, 2000)) {
        QTest::keyClick(&panel, Qt::Key_Space);
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), State::Running, 10000);
        QTest::keyClick(&panel, Qt::Key_Space);
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), State::Paused, 10000);
    } else {
        panel.playPauseAction()->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), State::Running, 10000);
        panel.playPauseAction()->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), State::Paused, 10000);
    }
    session.stop();
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), State::Finished, 20000);
}

void TrainingPanelTest::xAxisAndSharedControls() {
    Project project;
    project.setData(m_data);
    TrainingSession session(&project);
    TrainingPanel panel(&project, &session);
    panel.show();
    const int id = session.prepare(tinySetup(2, 3));
    session.play();
    Run* run = project.run(id);
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), State::Finished, 30000);

    panel.setXAxis(TrainingPanel::XAxis::Step);
    QCOMPARE(panel.xAxis(), TrainingPanel::XAxis::Step);
    auto xs = panel.lossPlot()->xValues(TrainingPanel::lossSeries());
    QCOMPARE(xs.size(), run->batches.size());
    QCOMPARE(xs.back(), static_cast<double>(run->batches.back().update));
    QCOMPARE(*panel.metricPlot()->markerX(),
             static_cast<double>(run->epochs[static_cast<std::size_t>(run->bestEpoch - 1)].report.updates));
    panel.setXAxis(TrainingPanel::XAxis::Time);
    xs = panel.lossPlot()->xValues(TrainingPanel::lossSeries());
    QCOMPARE(xs.back(), run->batches.back().seconds);

    panel.setLogY(true);
    QVERIFY(panel.lossPlot()->isLogY());
    QVERIFY(panel.metricPlot()->isLogY());
    QVERIFY(panel.betaPlot()->isLogY());
    panel.setSmoothing(0.6);
    QCOMPARE(panel.lossPlot()->smoothing(), 0.6);
    const auto raw = panel.lossPlot()->rawValues(TrainingPanel::lossSeries());
    std::vector<double> ys(raw.begin(), raw.end());
    const auto expected = CurvePlot::smoothEma(ys, 0.6);
    const auto got = panel.lossPlot()->smoothedValues(TrainingPanel::lossSeries());
    QCOMPARE(got.size(), expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) QVERIFY(std::abs(got[i] - expected[i]) < 1e-9);

    // The panel follows the project's current run when the session is not training.
    const int second = session.prepare(tinySetup(1, 4));
    QCOMPARE(panel.displayedRunId(), second);
    session.play();
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), State::Finished, 30000);
    project.setCurrentRun(id);
    QCOMPARE(panel.displayedRunId(), id);
    QCOMPARE(panel.metricPlot()->pointCount(TrainingPanel::ndcgSeries()), 2);
    project.removeRun(id);
    QVERIFY(panel.displayedRunId() != id);
}

QTEST_MAIN(TrainingPanelTest)
#include "training_panel_test.moc"
