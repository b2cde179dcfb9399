// SPDX-License-Identifier: MIT
// The Data panel on a real Project, offscreen: loading, errors, preview, Apply, cancel, demo.
#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QFile>
#include <QLabel>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

#include "charts/histogram_chart.h"
#include "session/project.h"
#include "vaecf/model.h"
#include "vaecf/system.h"
#include "widgets/column_mapper_dialog.h"
#include "widgets/data_panel.h"

using namespace vaecf::ui;

namespace {

void writeFile(const QString& path, const QByteArray& text) {
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(f.write(text), text.size());
}

// 40 users, 14 items, 300 ratings (u.data layout: user item rating time):
// users 1-20 rate items 1-10 with 5, users 21-40 rate items 11-13 with 4, and every user rates
// item 14 with 1 (below the 3.5 threshold). With min 5 per user only users 1-20 and items 1-10
// remain (200 interactions); with min 3 all 40 users and items 1-13 (260).
QByteArray fixture() {
    QByteArray out;
    for (int u = 1; u <= 40; ++u) {
        if (u <= 20)
            for (int i = 1; i <= 10; ++i) out += QByteArray::number(u) + '\t' + QByteArray::number(i) + "\t5\t881250949\n";
        else
            for (int i = 11; i <= 13; ++i) out += QByteArray::number(u) + '\t' + QByteArray::number(i) + "\t4\t881250949\n";
        out += QByteArray::number(u) + "\t14\t1\t881250949\n";
    }
    return out;
}

QString label(DataPanel* panel, const QString& name) {
    auto* l = panel->findChild<QLabel*>(name);
    return l ? l->text() : QStringLiteral("<missing %1>").arg(name);
}

}  // namespace

class DataPanelTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void loadFileFillsSummaryAndCharts();
    void malformedFileKeepsData();
    void minPerUserUpdatesPreview();
    void applyChangesSplit();
    void cancelLeavesOldData();
    void columnMapperLoadsDelimitedFile();
    void demoGenerateHasClusters();
    void liangFolderLoadsAsSplit();
    void skipBadLinesLoadsAndLogs();

private:
    QTemporaryDir m_dir;
    Project* m_project = nullptr;
    DataPanel* m_panel = nullptr;
};

void DataPanelTest::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("vaecf-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("data_panel_test"));
    QSettings().remove(QStringLiteral("data/recentFiles"));
    QVERIFY(m_dir.isValid());
    m_project = new Project(this);
    m_panel = new DataPanel(m_project);
    m_panel->resize(420, 900);
    m_panel->show();
}

void DataPanelTest::cleanupTestCase() {
    delete m_panel;
    QSettings().remove(QStringLiteral("data/recentFiles"));
}

void DataPanelTest::loadFileFillsSummaryAndCharts() {
    QDir(m_dir.path()).mkdir(QStringLiteral("good"));
    const QString path = m_dir.filePath(QStringLiteral("good/u.data"));
    writeFile(path, fixture());
    QSignalSpy changed(m_project, &Project::dataChanged);
    QSignalSpy recent(m_panel, &DataPanel::recentFilesChanged);
    m_panel->openPath(path);
    QTRY_COMPARE_WITH_TIMEOUT(changed.count(), 1, 10000);
    QVERIFY(!m_panel->isBusy());
    const auto d = m_project->data();
    QVERIFY(d);
    QCOMPARE(d->report.usersIn, 40);
    QCOMPARE(d->report.interactionsIn, 300);
    const auto s = m_panel->currentSummary();
    QVERIFY(s);
    QCOMPARE(s->users, 20);
    QCOMPARE(s->items, 10);
    QCOMPARE(s->interactions, 200);
    QCOMPARE(s->density, 1.0);
    // min(10000, int(0.1 * 20)) = 2 users each for validation and test.
    QCOMPARE(s->validationUsers, 2);
    QCOMPARE(s->testUsers, 2);
    QCOMPARE(s->trainUsers, 16);
    QCOMPARE(s->vocabulary, 10);
    QCOMPARE(label(m_panel, QStringLiteral("current_users")), QStringLiteral("20"));
    QCOMPARE(label(m_panel, QStringLiteral("current_trainUsers")), QStringLiteral("16"));
    QCOMPARE(label(m_panel, QStringLiteral("current_interactions")), QStringLiteral("200"));

    // Every user has 10 interactions (bin 8–15), every item 20 (bin 16–31).
    auto* users = m_panel->findChild<HistogramChart*>(QStringLiteral("userActivityChart"));
    auto* items = m_panel->findChild<HistogramChart*>(QStringLiteral("itemPopularityChart"));
    QVERIFY(users && items);
    QCOMPARE(users->barCount(), 1);
    QCOMPARE(items->barCount(), 1);
    const auto& ub = users->bins();
    const auto k = ub.labels.indexOf(QStringLiteral("8–15"));
    QVERIFY(k >= 0);
    QCOMPARE(ub.counts[static_cast<std::size_t>(k)], 20);
    QCOMPARE(items->bins().counts.back(), 10);
    QCOMPARE(items->bins().labels.back(), QStringLiteral("16–31"));

    QCOMPARE(recent.count(), 1);
    QCOMPARE(m_panel->recentFiles().value(0), QFileInfo(path).absoluteFilePath());

    // Log bins by hand: 0 | 1 | 2–3 | 4–7.
    const auto bins = HistogramChart::logBins({0, 1, 2, 3, 4, 7, 7});
    QCOMPARE(bins.counts, (std::vector<std::int64_t>{1, 1, 2, 3}));
    QCOMPARE(bins.labels.value(2), QStringLiteral("2–3"));
}

void DataPanelTest::malformedFileKeepsData() {
    const auto before = m_project->data();
    QDir(m_dir.path()).mkdir(QStringLiteral("bad"));
    const QString path = m_dir.filePath(QStringLiteral("bad/u.data"));
    writeFile(path, "1\t1\t5\t881250949\n1\t2\t4\t881250949\n1\t3\tfive\t881250949\n");
    QSignalSpy logged(m_project, &Project::logged);
    QSignalSpy failed(m_panel, &DataPanel::loadFailed);
    QSignalSpy changed(m_project, &Project::dataChanged);
    m_panel->openPath(path);
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 10000);
    QString error;
    for (const auto& args : logged)
        if (args.at(0).value<Severity>() == Severity::Error) error = args.at(1).toString();
    QVERIFY2(error.contains(QStringLiteral("u.data:3")), qPrintable(error));
    QVERIFY2(error.contains(QStringLiteral("five")), qPrintable(error));
    QVERIFY(label(m_panel, QStringLiteral("messageLabel")).contains(QStringLiteral("u.data:3")));
    QCOMPARE(changed.count(), 0);
    QCOMPARE(m_project->data(), before);
    QCOMPARE(m_panel->currentSummary()->users, 20);

    // Unknown paths and undetectable formats are errors too, never crashes.
    m_panel->openPath(m_dir.filePath(QStringLiteral("nothing-here.csv")));
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 2, 5000);
    QCOMPARE(m_project->data(), before);
}

void DataPanelTest::minPerUserUpdatesPreview() {
    QSignalSpy ready(m_panel, &DataPanel::previewReady);
    auto* minUser = m_panel->findChild<QSpinBox*>(QStringLiteral("minUserSpin"));
    QVERIFY(minUser);
    QCOMPARE(minUser->value(), 5);
    minUser->setValue(3);
    QTRY_VERIFY_WITH_TIMEOUT(ready.count() >= 1 && m_panel->previewSummary(), 10000);
    const auto p = *m_panel->previewSummary();
    QCOMPARE(p.users, 40);
    QCOMPARE(p.items, 13);
    QCOMPARE(p.interactions, 260);
    QCOMPARE(p.validationUsers, 4);
    QCOMPARE(p.testUsers, 4);
    QCOMPARE(p.trainUsers, 32);
    // At most 8 of either group are held out, so training users still cover items 1-13.
    QCOMPARE(p.vocabulary, 13);
    QCOMPARE(label(m_panel, QStringLiteral("preview_users")), QStringLiteral("40"));
    QCOMPARE(label(m_panel, QStringLiteral("current_users")), QStringLiteral("20"));
    QCOMPARE(m_project->data()->split.train.rows, 16);  // nothing applied yet
}

void DataPanelTest::applyChangesSplit() {
    const std::string before = m_project->data()->split.fingerprintHex();
    QSignalSpy changed(m_project, &Project::dataChanged);
    auto* apply = m_panel->findChild<QPushButton*>(QStringLiteral("applyButton"));
    QVERIFY(apply && apply->isEnabled());
    QTest::mouseClick(apply, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(changed.count(), 1, 10000);
    const auto d = m_project->data();
    QCOMPARE(d->source.prep.minUserInteractions, 3);
    QCOMPARE(d->split.train.rows, 32);
    QCOMPARE(d->split.validation.foldIn.rows, 4);
    QVERIFY(d->split.fingerprintHex() != before);
    QCOMPARE(label(m_panel, QStringLiteral("current_users")), QStringLiteral("40"));
    QCOMPARE(m_panel->findChild<QSpinBox*>(QStringLiteral("minUserSpin"))->value(), 3);
}

void DataPanelTest::cancelLeavesOldData() {
    const auto before = m_project->data();
    QDir(m_dir.path()).mkdir(QStringLiteral("big"));
    const QString path = m_dir.filePath(QStringLiteral("big/u.data"));
    {
        QByteArray big;
        big.reserve(8 << 20);
        for (int u = 1; u <= 20000; ++u)
            for (int i = 1; i <= 15; ++i)
                big += QByteArray::number(u) + '\t' + QByteArray::number((u * 7 + i * 13) % 3000 + 1) + "\t4\t881250949\n";
        writeFile(path, big);
    }
    auto* format = m_panel->findChild<QComboBox*>(QStringLiteral("formatCombo"));
    QVERIFY(format);
    format->setCurrentIndex(format->findData(QStringLiteral("ml100k")));
    QSignalSpy changed(m_project, &Project::dataChanged);
    QSignalSpy busy(m_panel, &DataPanel::busyChanged);
    m_panel->openPath(path);
    QVERIFY(m_panel->isBusy());
    auto* cancel = m_panel->findChild<QPushButton*>(QStringLiteral("cancelButton"));
    QVERIFY(cancel && cancel->isVisible());
    QTest::mouseClick(cancel, Qt::LeftButton);
    QVERIFY(!m_panel->isBusy());
    QTest::qWait(500);  // a late result of the cancelled job must not land
    QCOMPARE(changed.count(), 0);
    QCOMPARE(m_project->data(), before);
    QVERIFY(label(m_panel, QStringLiteral("messageLabel")).contains(QStringLiteral("cancelled")));
    format->setCurrentIndex(format->findData(QStringLiteral("auto")));
}

void DataPanelTest::columnMapperLoadsDelimitedFile() {
    // Columns in an unusual order, with a header: stars, who, what.
    QByteArray csv = "stars,who,what\n";
    for (int u = 1; u <= 20; ++u)
        for (int i = 1; i <= 6; ++i)
            csv += "5," + QByteArray::number(100 + u) + ',' + QByteArray::number(i) + '\n';
    const QString path = m_dir.filePath(QStringLiteral("mine.csv"));
    writeFile(path, csv);
    QSignalSpy changed(m_project, &Project::dataChanged);
    m_panel->openPath(path);
    ColumnMapperDialog* dlg = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT((dlg = m_panel->findChild<ColumnMapperDialog*>()) != nullptr, 5000);
    auto* table = dlg->findChild<QTableWidget*>(QStringLiteral("previewTable"));
    QVERIFY(table);
    QAbstractItemModelTester tester(table->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(table->columnCount(), 3);
    QCOMPARE(table->horizontalHeaderItem(1)->text(), QStringLiteral("who"));
    auto pick = [dlg](const char* name, int column) {
        auto* c = dlg->findChild<QComboBox*>(QLatin1String(name));
        QVERIFY(c);
        c->setCurrentIndex(c->findData(column));
    };
    pick("userColumn", 1);
    pick("itemColumn", 2);
    pick("ratingColumn", 0);
    const auto o = dlg->options();
    QCOMPARE(o.delimiter, ',');
    QCOMPARE(o.userColumn, 1);
    QCOMPARE(o.ratingColumn, 0);
    dlg->accept();
    QTRY_COMPARE_WITH_TIMEOUT(changed.count(), 1, 10000);
    const auto s = m_panel->currentSummary();
    QCOMPARE(s->users, 20);
    QCOMPARE(s->items, 6);
    QCOMPARE(s->interactions, 120);
    QCOMPARE(m_project->data()->split.trainUserIds.size(), std::size_t(16));
    QVERIFY(m_project->data()->findUser("101").has_value());
}

void DataPanelTest::demoGenerateHasClusters() {
    auto spin = [this](const char* name) { return m_panel->findChild<QSpinBox*>(QLatin1String(name)); };
    QVERIFY(spin("demoUsersSpin") && spin("demoClustersSpin"));
    spin("demoUsersSpin")->setValue(400);
    spin("demoItemsSpin")->setValue(150);
    spin("demoClustersSpin")->setValue(3);
    QSignalSpy changed(m_project, &Project::dataChanged);
    QTest::mouseClick(m_panel->findChild<QPushButton*>(QStringLiteral("generateButton")), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(changed.count(), 1, 15000);
    const auto d = m_project->data();
    QCOMPARE(d->source.kind, DataSource::Kind::Demo);
    QCOMPARE(d->clusterNames.size(), std::size_t(3));
    QCOMPARE(d->trainCluster.size(), static_cast<std::size_t>(d->split.train.rows));
    QVERIFY(m_panel->findChild<HistogramChart*>(QStringLiteral("userActivityChart"))->barCount() > 1);
}

void DataPanelTest::liangFolderLoadsAsSplit() {
    const auto demo = m_project->data();
    const QString folder = m_dir.filePath(QStringLiteral("liang"));
    vaecf::core::exportLiangSplit(demo->split, folder.toStdString());
    QSignalSpy changed(m_project, &Project::dataChanged);
    m_panel->openPath(folder);
    QTRY_COMPARE_WITH_TIMEOUT(changed.count(), 1, 10000);
    const auto d = m_project->data();
    QCOMPARE(d->source.kind, DataSource::Kind::LiangFolder);
    QCOMPARE(d->split.train.rows, demo->split.train.rows);
    QCOMPARE(d->split.numItems(), demo->split.numItems());
    const auto s = m_panel->currentSummary();
    QCOMPARE(s->trainUsers, demo->split.train.rows);
    // A ready-made split has nothing to re-preprocess.
    QVERIFY(!m_panel->findChild<QPushButton*>(QStringLiteral("applyButton"))->isEnabled());
    QVERIFY(!m_panel->findChild<QSpinBox*>(QStringLiteral("minUserSpin"))->isEnabled());
    QVERIFY(m_panel->findChild<HistogramChart*>(QStringLiteral("itemPopularityChart"))->barCount() > 0);
}

void DataPanelTest::skipBadLinesLoadsAndLogs() {
    QDir(m_dir.path()).mkdir(QStringLiteral("skip"));
    const QString path = m_dir.filePath(QStringLiteral("skip/u.data"));
    // Line 301 has no number for a rating; line 302 repeats user 1's rating of item 1.
    writeFile(path, fixture() + "3\t4\tfive\t881250949\n1\t1\t2\t881250949\n");
    const auto before = m_project->data();
    auto* skip = m_panel->findChild<QCheckBox*>(QStringLiteral("skipBadLinesCheck"));
    QVERIFY(skip);
    QVERIFY(!skip->isChecked());

    // Unchecked: refused at the line, the data stays.
    QSignalSpy failed(m_panel, &DataPanel::loadFailed);
    m_panel->openPath(path);
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 10000);
    QCOMPARE(failed.at(0).at(0).toString(), path + QStringLiteral(":301: rating 'five' is not a number"));
    QCOMPARE(m_project->data(), before);

    // Checked: read without the line; the Log tells the estimate, the count and the first.
    skip->setChecked(true);
    QSignalSpy logged(m_project, &Project::logged);
    QSignalSpy changed(m_project, &Project::dataChanged);
    m_panel->openPath(path);
    QTRY_COMPARE_WITH_TIMEOUT(changed.count(), 1, 10000);
    const auto d = m_project->data();
    QVERIFY(d->raw);
    QVERIFY(d->source.read.skipBadLines);
    QCOMPARE(d->raw->readReport.skippedLines, 1);
    QCOMPARE(d->raw->readReport.duplicates, 1);
    QCOMPARE(d->report.interactionsIn, 300);
    QStringList info, warnings;
    for (const auto& args : logged)
        (args.at(0).value<Severity>() == Severity::Warning ? warnings : info) << args.at(1).toString();
    QCOMPARE(warnings, QStringList{QStringLiteral("skipped 1 malformed line (first: %1:301: rating "
                                                  "'five' is not a number)").arg(path)});
    QVERIFY2(info.contains(QStringLiteral("1 repeated (user, item) pair: the first of each kept")),
             qPrintable(info.join('\n')));
    const QString machine = QString::fromStdString(vaecf::core::formatBytes(vaecf::core::physicalMemoryBytes()));
    bool estimate = false;
    for (const QString& line : info)
        estimate = estimate || (line.startsWith(QStringLiteral("Reading the data needs about ")) &&
                                line.endsWith(QStringLiteral(" of memory (this machine has %1)").arg(machine)));
    QVERIFY2(estimate, qPrintable(info.join('\n')));
    const QString asRead = label(m_panel, QStringLiteral("asReadLabel"));
    QVERIFY2(asRead.contains(QStringLiteral("Malformed lines skipped: 1 (see the Log).")), qPrintable(asRead));
    QVERIFY2(asRead.contains(QStringLiteral("Repeated (user, item) pairs: 1, the first of each kept.")),
             qPrintable(asRead));
    // Projects keep the option.
    QVERIFY(DataSource::fromJson(d->source.toJson()).read.skipBadLines);
    QVERIFY(!DataSource::fromJson(DataSource{}.toJson()).read.skipBadLines);
    skip->setChecked(false);
}

QTEST_MAIN(DataPanelTest)
#include "data_panel_test.moc"
