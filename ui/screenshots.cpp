// SPDX-License-Identifier: MIT
#include "screenshots.h"

#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QPixmap>
#include <QThread>
#include <QTimer>

#include "main_window.h"
#include "session/project.h"
#include "session/training_session.h"
#include "widgets/latent_panel.h"
#include "widgets/model_panel.h"

namespace vaecf::ui {

// Keeps the event loop turning for `ms` (background jobs post their results meanwhile).
void settleEvents(int ms) {
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < ms) {
        QApplication::processEvents(QEventLoop::AllEvents, 50);
        QThread::msleep(10);
    }
}

namespace {

void save(MainWindow* w, const QString& folder, const QString& name) {
    const QString path = QDir(folder).filePath(name + QStringLiteral(".png"));
    w->grab().save(path);
    w->project()->log(Severity::Info, QObject::tr("Screenshot %1").arg(path));
}

}  // namespace

void takeScreenshots(MainWindow* w, const QString& folder, int epochs) {
    QDir().mkpath(folder);
    QTimer::singleShot(300, w, [w, folder, epochs] {
        w->resize(1500, 950);
        w->modelPanel()->applyPreset(QStringLiteral("demo"));
        RunSetup s = w->modelPanel()->currentSetup();
        s.options.epochs = epochs;
        s.options.seed = 1;
        settleEvents(200);
        save(w, folder, QStringLiteral("00-start"));
        TrainingSession* session = w->session();
        // Two runs that differ in one knob (the KL cap β), as a user comparing them would.
        for (double cap : {0.2, 0.0}) {
            s.config["anneal_cap"] = cap;
            s.name = QStringLiteral("Mult-VAE β≤%1").arg(cap);
            if (session->prepare(s) < 0) {
                QApplication::exit(1);
                return;
            }
            session->play();
            QElapsedTimer t;
            t.start();
            while (session->state() != TrainingSession::State::Finished &&
                   session->state() != TrainingSession::State::Failed && t.elapsed() < 600000) {
                settleEvents(100);
            }
        }
        // Inspect the first run (β ≤ 0.2).
        if (!w->project()->runs().empty()) w->project()->setCurrentRun(w->project()->runs().front()->id);
        settleEvents(500);
        w->showTab(QStringLiteral("training"));
        settleEvents(400);
        save(w, folder, QStringLiteral("01-training"));
        w->showTab(QStringLiteral("runs"));
        settleEvents(400);
        save(w, folder, QStringLiteral("02-runs"));
        auto data = w->project()->data();
        if (data && data->split.test.foldIn.rows > 0) w->project()->selectUser(UserRef{Part::Test, 0});
        w->showTab(QStringLiteral("recommendations"));
        settleEvents(1500);
        save(w, folder, QStringLiteral("03-recommendations"));
        w->showTab(QStringLiteral("latent"));
        settleEvents(2000);
        if (auto* panel = w->findChild<LatentPanel*>()) panel->setColourBy(LatentPanel::ColourBy::Cluster);
        settleEvents(2000);
        save(w, folder, QStringLiteral("04-latent"));
        for (QDockWidget* d : w->findChildren<QDockWidget*>())
            if (d->objectName() == QLatin1String("DataDock")) d->raise();
        w->showTab(QStringLiteral("training"));
        settleEvents(400);
        save(w, folder, QStringLiteral("06-data"));
        for (QDockWidget* d : w->findChildren<QDockWidget*>())
            if (d->objectName() == QLatin1String("ModelDock")) d->raise();
        w->setTheme(QStringLiteral("dark"));
        w->showTab(QStringLiteral("training"));
        settleEvents(600);
        save(w, folder, QStringLiteral("05-training-dark"));
        w->setTheme(QStringLiteral("system"));
        QApplication::exit(0);
    });
}

}  // namespace vaecf::ui
