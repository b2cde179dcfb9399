// SPDX-License-Identifier: MIT
// The main window and the parts of the app around the panels: the model form built from the
// core's parameter descriptions, the log panel, projects saved and reopened, and the whole
// window driven as a user would (demo data, Play, two epochs, results everywhere).
#include <QAbstractItemModelTester>
#include <QLabel>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QtTest/QtTest>

#include "demo_data.h"
#include "main_window.h"
#include "session/project.h"
#include "session/project_io.h"
#include "session/training_session.h"
#include "test_util.h"
#include "vaecf/error.h"
#include "vaecf/trainer.h"
#include "widgets/data_panel.h"
#include "widgets/log_panel.h"
#include "widgets/model_panel.h"

using namespace vaecf;
using namespace vaecf::ui;

namespace {

DataSource smallDemo() { return vaecf::test::smallDemoSource(); }

RunSetup tinySetup(int epochs) {
    RunSetup s;
    s.modelId = "mult-vae";
    s.config = {{"hidden_dims", {32}}, {"latent_dim", 8}, {"batch_size", 50}};
    s.options.epochs = epochs;
    s.options.seed = 1;
    s.options.threads = 2;
    return s;
}

}  // namespace

class StudioTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("vaecf-test"));
        QCoreApplication::setApplicationName(QStringLiteral("studio_test"));
        QSettings().clear();
    }

    void modelFormComesFromTheSpecs() {
        Project project;
        ModelPanel panel(&project);
        panel.setModel(QStringLiteral("mult-vae"));
        const core::ModelInfo& info = core::modelInfo("mult-vae");
        for (const core::ParamSpec& s : info.params)
            QVERIFY2(panel.findChild<QWidget*>(QStringLiteral("param_%1").arg(QString::fromStdString(s.name))),
                     s.name.c_str());
        // The tooltip carries the paper's symbol and the one-line help.
        auto* latent = panel.findChild<QLineEdit*>(QStringLiteral("param_latent_dim"));
        QVERIFY(latent);
        QVERIFY(latent->toolTip().contains(QStringLiteral("(K)")));
        QVERIFY(latent->toolTip().contains(QStringLiteral("Dimension of the latent z")));

        panel.setModel(QStringLiteral("mult-dae"));
        QVERIFY(!panel.findChild<QWidget*>(QStringLiteral("param_anneal_cap")));
        QVERIFY(panel.findChild<QWidget*>(QStringLiteral("param_l2")));
    }

    void invalidValuesAreRefusedAtTheField() {
        Project project;
        ModelPanel panel(&project);
        panel.setModel(QStringLiteral("mult-vae"));
        QCOMPARE(panel.setFieldText(QStringLiteral("latent_dim"), QStringLiteral("0")),
                 QStringLiteral("hyperparameter 'latent_dim' (K) must be in [1, 4096], got 0"));
        auto* label = panel.findChild<QLabel*>(QStringLiteral("error_latent_dim"));
        QVERIFY(label && !label->isHidden());
        QVERIFY(label->text().contains(QStringLiteral("[1, 4096]")));
        QVERIFY(!panel.setFieldText(QStringLiteral("anneal_cap"), QStringLiteral("abc")).isEmpty());
        RunSetup s = panel.currentSetup();
        QVERIFY(s.error.contains(QStringLiteral("latent_dim")));

        // The session refuses it and says why in the log.
        project.setData(buildDataState(smallDemo()));
        TrainingSession session(&project);
        QSignalSpy logged(&project, &Project::logged);
        QCOMPARE(session.prepare(s), -1);
        QVERIFY(!logged.isEmpty());
        QVERIFY(logged.last().at(1).toString().contains(QStringLiteral("latent_dim")));
        QCOMPARE(project.runs().size(), std::size_t{0});

        QVERIFY(panel.setFieldText(QStringLiteral("latent_dim"), QStringLiteral("16")).isEmpty());
        QVERIFY(panel.setFieldText(QStringLiteral("anneal_cap"), QStringLiteral("0.3")).isEmpty());
        QVERIFY(label->isHidden());
        s = panel.currentSetup();
        QVERIFY(s.error.isEmpty());
        QCOMPARE(s.config["latent_dim"].get<int>(), 16);
        QCOMPARE(s.config["anneal_cap"].get<double>(), 0.3);
    }

    void presets() {
        Project project;
        ModelPanel panel(&project);
        panel.setModel(QStringLiteral("mult-vae"));
        panel.applyPreset(QStringLiteral("paper"));
        RunSetup s = panel.currentSetup();
        QCOMPARE(s.config["hidden_dims"], nlohmann::json::array({600}));
        QCOMPARE(s.config["latent_dim"].get<int>(), 200);
        QCOMPARE(s.config["batch_size"].get<int>(), 500);
        QCOMPARE(s.config["anneal_cap"].get<double>(), 0.2);
        QCOMPARE(s.options.epochs, 0);  // the model's default: 200
        panel.applyPreset(QStringLiteral("demo"));
        s = panel.currentSetup();
        QCOMPARE(s.config["hidden_dims"], nlohmann::json::array({200}));
        QCOMPARE(s.config["latent_dim"].get<int>(), 32);
        QCOMPARE(s.options.epochs, 30);
        // loadSetup puts a run's settings back into the form (re-run with changes).
        RunSetup t = tinySetup(7);
        panel.loadSetup(t);
        s = panel.currentSetup();
        QCOMPARE(s.config["latent_dim"].get<int>(), 8);
        QCOMPARE(s.options.epochs, 7);
        QCOMPARE(s.options.seed, std::uint64_t{1});
    }

    void everyModelGetsAFormAndAMemoryEstimate() {
        // No model-specific UI code: each catalog model gets its form from its specs, trains
        // from the panel's setup, and the panel says how much memory training will take.
        Project project;
        ModelPanel panel(&project);
        QVERIFY(panel.memoryEstimateText().isEmpty());  // no data yet
        project.setData(buildDataState(smallDemo()));
        const auto& train = project.data()->split.train;
        for (const core::ModelInfo& info : core::modelCatalog()) {
            panel.setModel(QString::fromStdString(info.id));
            for (const core::ParamSpec& p : info.params)
                QVERIFY2(panel.findChild<QWidget*>(QStringLiteral("param_%1").arg(QString::fromStdString(p.name))),
                         (info.id + "." + p.name).c_str());
            panel.applyPreset(QStringLiteral("demo"));
            const RunSetup s = panel.currentSetup();
            QVERIFY2(s.error.isEmpty(), qPrintable(s.error));
            const double bytes = core::createModel(info.id, s.config)->memoryEstimate(train.rows, train.cols, train.nnz());
            QVERIFY2(panel.memoryEstimateText().contains(QString::fromStdString(core::formatBytes(bytes))),
                     qPrintable(QString::fromStdString(info.id) + ": " + panel.memoryEstimateText()));
            auto* epochs = panel.findChild<QSpinBox*>(QStringLiteral("epochs"));
            QVERIFY(epochs->specialValueText().contains(
                QString::number(core::createModel(info.id)->defaultEpochs())));
        }
        // The demo preset shrinks the VampPrior family too.
        panel.setModel(QStringLiteral("hvamp-gated"));
        panel.applyPreset(QStringLiteral("demo"));
        QCOMPARE(panel.currentSetup().config["pseudo_inputs"].get<int>(), 100);
        QCOMPARE(panel.currentSetup().config["z2_size"].get<int>(), 32);
    }

    void logPanelFiltersBySeverity() {
        Project project;
        LogPanel panel(&project);
        QAbstractItemModelTester tester(panel.model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy errors(&panel, &LogPanel::errorLogged);
        project.log(Severity::Info, QStringLiteral("hello"));
        project.log(Severity::Warning, QStringLiteral("careful"));
        project.log(Severity::Error, QStringLiteral("data.csv:3: bad rating"));
        QCOMPARE(panel.model()->rowCount(), 3);
        QCOMPARE(panel.visibleRows(), 3);
        panel.setMinimumSeverity(1);
        QCOMPARE(panel.visibleRows(), 2);
        panel.setMinimumSeverity(2);
        QCOMPARE(panel.visibleRows(), 1);
        QCOMPARE(errors.size(), 1);
        QCOMPARE(errors.first().first().toString(), QStringLiteral("data.csv:3: bad rating"));
        QCOMPARE(panel.model()->count(Severity::Warning), 1);
    }

    void projectRoundTrip() {
        test::TempDir dir;
        const QString folder = QString::fromStdString((dir / "proj").string());
        Project project;
        project.setData(buildDataState(smallDemo()));
        TrainingSession session(&project);
        const int id = session.prepare(tinySetup(2));
        QVERIFY(id > 0);
        session.play();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), TrainingSession::State::Finished, 60000);
        Run* run = project.run(id);
        QCOMPARE(run->epochs.size(), std::size_t{2});
        QVERIFY(run->test.has_value());
        project.renameRun(id, QStringLiteral("first try"));
        saveProject(project, folder);

        ProjectFile file = readProject(folder);
        QCOMPARE(file.runs.size(), std::size_t{1});
        auto data = buildDataState(file.source);
        QCOMPARE(data->split.fingerprintHex(), project.data()->split.fingerprintHex());
        Project reopened;
        applyProject(reopened, data, std::move(file));
        QCOMPARE(reopened.runs().size(), std::size_t{1});
        const Run& r = *reopened.runs().front();
        QCOMPARE(r.name, QStringLiteral("first try"));
        QCOMPARE(r.state, RunState::Finished);
        QCOMPARE(r.batches.size(), run->batches.size());
        QCOMPARE(r.batches.back().terms.loss, run->batches.back().terms.loss);
        QCOMPARE(r.epochs.size(), std::size_t{2});
        QCOMPARE(r.bestEpoch, run->bestEpoch);
        QCOMPARE(r.bestMetric("ndcg@100"), run->bestMetric("ndcg@100"));
        QCOMPARE(r.test->get("ndcg@100"), run->test->get("ndcg@100"));
        QCOMPARE(r.colour, run->colour);
        QVERIFY(reopened.runMatchesData(r));
        QCOMPARE(reopened.currentRunId(), r.id);
        // The saved model scores exactly like the one that was trained.
        const auto& rows = data->split.test.foldIn;
        const std::int64_t n = std::min<std::int64_t>(rows.rows, 5);
        std::vector<float> a(static_cast<std::size_t>(n * rows.cols)), b(a.size());
        run->inspectModel()->score(rows, 0, n, a.data());
        r.inspectModel()->score(rows, 0, n, b.data());
        QCOMPARE(a, b);
    }

    void badProjectsGiveClearErrors() {
        test::TempDir dir;
        const QString folder = QString::fromStdString(dir.path().string());
        VAECF_EXPECT_ERROR(readProject(folder), "not a project folder (no project.json)");
        test::writeFile(dir / "project.json", "{ not json");
        VAECF_EXPECT_ERROR(readProject(folder), "project.json: not valid JSON");
        test::writeFile(dir / "project.json", R"({"format": "vaecf-studio-project", "version": 99})");
        VAECF_EXPECT_ERROR(readProject(folder),
                           "project format version 99 is not supported (this build reads version 1)");
        test::writeFile(dir / "project.json",
                        R"({"format": "vaecf-studio-project", "version": 1, "data": {"kind": "tape"}, "runs": []})");
        VAECF_EXPECT_ERROR(readProject(folder),
                           "data source field 'kind' must be demo, file or liang-folder, got 'tape'");
        test::writeFile(dir / "project.json",
                        R"({"format": "vaecf-studio-project", "version": 1, "data": {"kind": "demo"},
                            "runs": [{"id": 1, "name": "x", "model": "mult-vae", "config": {"latent_dim": 0},
                                      "options": {}, "batches": {}, "epochs": []}]})");
        VAECF_EXPECT_ERROR(readProject(folder), "hyperparameter 'latent_dim' (K) must be in [1, 4096], got 0");
    }

    void wholeWindow() {
        MainWindow w;
        w.show();
        w.loadDemo();
        QVERIFY(w.project()->hasData());
        QCOMPARE(w.project()->data()->clusterNames.size(), std::size_t{6});
        QSignalSpy states(w.session(), &TrainingSession::stateChanged);
        // A smaller, quicker setting than the demo preset, typed into the form.
        ModelPanel* m = w.modelPanel();
        QVERIFY(m->setFieldText(QStringLiteral("hidden_dims"), QStringLiteral("32")).isEmpty());
        QVERIFY(m->setFieldText(QStringLiteral("latent_dim"), QStringLiteral("8")).isEmpty());
        RunSetup s = m->currentSetup();
        s.options.epochs = 2;
        m->loadSetup(s);
        // Space from another view starts training (the Training panel's shortcuts are window-wide)
        // and, with nothing prepared, takes the Model panel's settings.
        w.showTab(QStringLiteral("runs"));
        w.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        QTest::keyClick(&w, Qt::Key_Space);
        QTRY_VERIFY_WITH_TIMEOUT(w.session()->state() != TrainingSession::State::Idle, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(w.session()->state(), TrainingSession::State::Finished, 120000);
        QCOMPARE(w.project()->runs().size(), std::size_t{1});
        const Run& r = *w.project()->runs().front();
        QCOMPARE(r.epochs.size(), std::size_t{2});
        QCOMPARE(r.state, RunState::Finished);
        QVERIFY(r.bestModel);
        QCOMPARE(w.project()->currentRunId(), r.id);
        auto* status = w.findChild<QLabel*>(QStringLiteral("statusText"));
        QVERIFY(status->text().contains(QStringLiteral("best NDCG@100")));

        // Bad input lands in the log panel, the data stays.
        const auto before = w.project()->data();
        QSignalSpy errors(w.logPanel(), &LogPanel::errorLogged);
        w.dataPanel()->openPath(QStringLiteral("/nonexistent/ratings.csv"));
        QTRY_VERIFY_WITH_TIMEOUT(!errors.isEmpty(), 10000);
        QVERIFY(errors.first().first().toString().contains(QStringLiteral("/nonexistent/ratings.csv")));
        QCOMPARE(w.project()->data(), before);

        // Save, then open the project in a new window.
        test::TempDir dir;
        const QString folder = QString::fromStdString(dir.path().string());
        QVERIFY(w.saveProjectTo(folder));
        MainWindow w2;
        QSignalSpy opened(&w2, &MainWindow::projectOpened);
        w2.openProject(folder);
        QTRY_COMPARE_WITH_TIMEOUT(opened.size(), 1, 30000);
        QCOMPARE(w2.project()->runs().size(), std::size_t{1});
        QCOMPARE(w2.project()->runs().front()->epochs.size(), std::size_t{2});

        // Dark theme: a dark window background.
        w.setTheme(QStringLiteral("dark"));
        QVERIFY(QApplication::palette().color(QPalette::Window).lightness() < 100);
        w.setTheme(QStringLiteral("light"));
        QVERIFY(QApplication::palette().color(QPalette::Window).lightness() > 150);
    }
};

QTEST_MAIN(StudioTest)
#include "studio_test.moc"
