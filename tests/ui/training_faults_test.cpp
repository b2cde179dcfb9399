// SPDX-License-Identifier: MIT
// Training in the studio when things go wrong: a diverging run ends in a clear state (no
// dialog) with the reason in the log, the panel and the runs table, and its best weights
// kept; pause and stop take effect within one batch; closing the window while training (or
// paused) stops the worker within one batch and waits for it.
#include <atomic>
#include <cmath>

#include <QAction>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QtTest>

#include "demo_data.h"
#include "main_window.h"
#include "models/run_table_model.h"
#include "session/project.h"
#include "session/project_io.h"
#include "session/training_session.h"
#include "widgets/training_panel.h"

using namespace vaecf;
using namespace vaecf::ui;
using State = TrainingSession::State;

namespace {

std::shared_ptr<const DataState> demoData() { return vaecf::test::smallDemoData(); }

// Mult-VAE with the largest learning rate the form allows and no KL term: the loss turns NaN
// after a few epochs.
RunSetup divergingSetup() {
    RunSetup s;
    s.modelId = "mult-vae";
    s.config = {{"hidden_dims", {16}}, {"latent_dim", 8}, {"batch_size", 32}, {"learning_rate", 1.0},
                {"anneal_cap", 0.0}};
    s.options.epochs = 300;
    s.options.seed = 1;
    s.options.threads = 2;
    return s;
}

// Many small batches and far more epochs than a test runs.
RunSetup longSetup() {
    RunSetup s;
    s.modelId = "mult-vae";
    s.config = {{"hidden_dims", {32}}, {"latent_dim", 8}, {"batch_size", 4}};
    s.options.epochs = 100000;
    s.options.seed = 2;
    s.options.threads = 2;
    return s;
}

bool allFinite(const core::Model& m) {
    for (const auto& [name, t] : m.parameters())
        for (float v : t.data)
            if (!std::isfinite(v)) return false;
    return true;
}

bool sameParameters(const core::Model& a, const core::Model& b) {
    const core::TensorMap x = a.parameters(), y = b.parameters();
    if (x.size() != y.size()) return false;
    for (auto i = x.begin(), j = y.begin(); i != x.end(); ++i, ++j)
        if (i->first != j->first || i->second.data.size() != j->second.data.size() ||
            std::memcmp(i->second.data.data(), j->second.data.data(), i->second.data.size() * 4) != 0)
            return false;
    return true;
}

}  // namespace

class TrainingFaultsTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        qRegisterMetaType<vaecf::ui::TrainingSession::State>();
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("vaecf-test"));
        QCoreApplication::setApplicationName(QStringLiteral("training_faults_test"));
        QSettings().clear();
        m_data = demoData();
    }

    void divergenceEndsTheRunClearly() {
        QStringList warnings;  // outlives the project that logs into it
        Project project;
        project.setData(m_data);
        TrainingSession session(&project);
        TrainingPanel panel(&project, &session);
        panel.show();
        QSignalSpy diverged(&session, &TrainingSession::diverged);
        QSignalSpy failed(&session, &TrainingSession::failed);
        QSignalSpy finished(&session, &TrainingSession::runFinished);
        connect(&project, &Project::logged, this, [&](Severity sev, const QString& msg, const QDateTime&) {
            if (sev == Severity::Warning) warnings << msg;
        });
        const int id = session.prepare(divergingSetup());
        QVERIFY(id > 0);
        session.play();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), State::Finished, 60000);
        Run* run = project.run(id);
        QVERIFY(run);
        QCOMPARE(run->state, RunState::Diverged);
        QCOMPARE(failed.count(), 0);
        QCOMPARE(diverged.count(), 1);
        QCOMPARE(finished.count(), 1);
        const QString reason = diverged.at(0).at(1).toString();
        QCOMPARE(run->error, reason);
        QVERIFY2(reason.startsWith(QStringLiteral("training stopped in epoch %1, batch ").arg(run->epochs.size() + 1)),
                 qPrintable(reason));
        QVERIFY(reason.contains(QStringLiteral("; try a lower learning rate (learning_rate = 1)")));
        QVERIFY(run->epochs.size() < 300);
        // The reason is in the log, the Training tab and the runs table, and the state's name
        // is "diverged".
        QCOMPARE(warnings, QStringList{QStringLiteral("Run %1 diverged: %2").arg(id).arg(reason)});
        QVERIFY2(panel.progressText().contains(reason), qPrintable(panel.progressText()));
        QVERIFY(panel.progressText().startsWith(QStringLiteral("diverged")));
        RunTableModel table(&project);
        bool tooltip = false;
        for (int row = 0; row < table.rowCount(); ++row)
            if (table.index(row, RunTableModel::StateColumn).data(Qt::ToolTipRole).toString() == reason) tooltip = true;
        QVERIFY(tooltip);
        // The best weights are kept (those of the best epoch, finite) and scored on the test users.
        QVERIFY(run->bestEpoch > 0);
        QVERIFY(run->bestModel);
        QVERIFY(run->latestModel);
        QVERIFY(allFinite(*run->bestModel));
        QVERIFY(sameParameters(*run->latestModel, *run->bestModel));
        QVERIFY(reason.contains(QStringLiteral("the weights of epoch %1 (the best) are kept").arg(run->bestEpoch)));
        QVERIFY(run->test);
        QVERIFY(std::isfinite(run->test->get("ndcg@100")));
        // The curves have the batches up to the one that diverged.
        QVERIFY(!run->batches.empty());
        QVERIFY(std::isnan(run->batches.back().terms.loss));
        // Play starts a new run, as after any finished one.
        QVERIFY(panel.playAction()->isEnabled());
        // A saved project keeps the state and the reason.
        const auto back = runFromJson(runToJson(*run));
        QCOMPARE(back->state, RunState::Diverged);
        QCOMPARE(back->error, reason);
    }

    // Pause and stop requests: at most the batch in progress completes after them.
    void pauseAndStopTakeEffectWithinOneBatch() {
        std::atomic<qint64> batches{0};  // outlives the session (and its worker)
        Project project;
        project.setData(m_data);
        TrainingSession session(&project);
        session.setBatchObserver([&](int, qint64) { ++batches; });
        const int id = session.prepare(longSetup());
        QVERIFY(id > 0);
        session.play();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), State::Running, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(batches.load() > 5, 30000);
        for (int k = 0; k < 3; ++k) {
            session.pause();
            const qint64 atRequest = batches.load();  // read after the request
            QTRY_COMPARE_WITH_TIMEOUT(session.state(), State::Paused, 30000);
            const qint64 atPause = batches.load();
            QVERIFY2(atPause <= atRequest + 1, qPrintable(QString("%1 batches ran after the pause request")
                                                             .arg(atPause - atRequest)));
            QTest::qWait(50);
            QCOMPARE(batches.load(), atPause);  // paused means no batch runs
            QCOMPARE(static_cast<qint64>(project.run(id)->batches.size()), atPause);
            session.play();
            QTRY_COMPARE_WITH_TIMEOUT(session.state(), State::Running, 30000);
            QTRY_VERIFY_WITH_TIMEOUT(batches.load() > atPause + 3, 30000);
        }
        session.stop();
        const qint64 atRequest = batches.load();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), State::Finished, 30000);
        QVERIFY(batches.load() <= atRequest + 1);
        QCOMPARE(project.run(id)->state, RunState::Stopped);
        // A stop while paused ends the run without another batch.
        const int second = session.prepare(longSetup());
        session.play();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), State::Running, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(batches.load() > atRequest + 5, 30000);
        session.pause();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), State::Paused, 30000);
        const qint64 paused = batches.load();
        session.stop();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), State::Finished, 30000);
        QCOMPARE(batches.load(), paused);
        QCOMPARE(project.run(second)->state, RunState::Stopped);
    }

    // Closing the main window while training, and while paused: the worker stops within one
    // batch and is joined before close() returns; the run is recorded as stopped.
    void closingTheWindowStopsTraining() {
        for (const bool pauseFirst : {false, true}) {
            // The counters outlive the window (and the worker it owns).
            std::atomic<qint64> batches{0};
            std::atomic<bool> closing{false};
            std::atomic<qint64> afterClose{0};
            MainWindow w;
            w.show();
            w.loadDemo();
            QVERIFY(w.project()->data());
            w.session()->setBatchObserver([&](int, qint64) {
                ++batches;
                if (closing) ++afterClose;
            });
            const int id = w.session()->prepare(longSetup());
            QVERIFY(id > 0);
            w.session()->play();
            QTRY_COMPARE_WITH_TIMEOUT(w.session()->state(), State::Running, 30000);
            QTRY_VERIFY_WITH_TIMEOUT(batches.load() > 5, 30000);
            if (pauseFirst) {
                w.session()->pause();
                QTRY_COMPARE_WITH_TIMEOUT(w.session()->state(), State::Paused, 30000);
            }
            closing = true;
            QVERIFY(w.close());
            // Joined: nothing trains any more; a paused worker ran no further batch. (How many
            // batches a stop request lets finish is counted in the test above.)
            const qint64 done = batches.load();
            if (pauseFirst) QCOMPARE(afterClose.load(), qint64(0));
            QCOMPARE(w.session()->state(), State::Finished);
            QCOMPARE(w.project()->run(id)->state, RunState::Stopped);
            QTest::qWait(50);
            QCOMPARE(batches.load(), done);
        }
    }

private:
    std::shared_ptr<const DataState> m_data;
};

QTEST_MAIN(TrainingFaultsTest)
#include "training_faults_test.moc"
