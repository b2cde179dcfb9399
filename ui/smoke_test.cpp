// SPDX-License-Identifier: MIT
#include "smoke_test.h"

#include <cstdio>
#include <cstdlib>
#include <memory>

#include <QApplication>
#include <QElapsedTimer>
#include <QImage>
#include <QStringList>
#include <QThread>
#include <QTimer>

#include "main_window.h"
#include "screenshots.h"
#include "session/project.h"
#include "session/training_session.h"
#include "widgets/model_panel.h"

namespace vaecf::ui {

namespace {

void say(const QString& line) {
    std::fprintf(stdout, "smoke-test: %s\n", line.toLocal8Bit().constData());
    std::fflush(stdout);
}

bool failed = false;

void fail(const QString& why) {
    failed = true;
    std::fprintf(stderr, "vaecf-studio: smoke test failed: %s\n", why.toLocal8Bit().constData());
    std::fflush(stderr);
    QApplication::exit(1);
}

// Renders the window off screen and checks that something was drawn.
bool render(MainWindow* w, const QString& view) {
    const QImage image = w->grab().toImage();
    if (image.isNull() || image.width() < 100 || image.height() < 100) {
        fail(QStringLiteral("the %1 view did not render").arg(view));
        return false;
    }
    // A real view has more than one colour in it.
    const QRgb first = image.pixel(0, 0);
    bool varied = false;
    for (int y = 0; y < image.height() && !varied; y += 7)
        for (int x = 0; x < image.width() && !varied; x += 7) varied = image.pixel(x, y) != first;
    if (!varied) {
        fail(QStringLiteral("the %1 view rendered blank").arg(view));
        return false;
    }
    say(QStringLiteral("rendered %1 (%2x%3)").arg(view).arg(image.width()).arg(image.height()));
    return true;
}

}  // namespace

void startSmokeTest(MainWindow* w, int epochs, int timeoutSeconds) {
    // Errors logged anywhere in the app fail the test; they are kept to say why.
    auto errors = std::make_shared<QStringList>();
    QObject::connect(w->project(), &Project::logged, w,
                     [errors](Severity severity, const QString& message, const QDateTime&) {
                         if (severity == Severity::Error) errors->append(message);
                     });
    // A hung worker would also hang the orderly shutdown: the watchdog leaves at once.
    QTimer::singleShot(timeoutSeconds * 1000, w, [timeoutSeconds] {
        fail(QStringLiteral("did not finish within %1 s").arg(timeoutSeconds));
        std::_Exit(1);
    });
    QTimer::singleShot(0, w, [w, epochs, errors] {
        w->resize(1280, 800);
        settleEvents(100);
        const auto data = w->project()->data();
        if (!data || data->split.train.rows <= 0 || data->split.numItems() <= 0) {
            fail(QStringLiteral("the demo dataset did not load"));
            return;
        }
        say(QStringLiteral("demo dataset: %1 training users, %2 items")
                .arg(QString::number(static_cast<qlonglong>(data->split.train.rows)),
                     QString::number(static_cast<qlonglong>(data->split.numItems()))));
        if (!render(w, QStringLiteral("start"))) return;

        w->modelPanel()->applyPreset(QStringLiteral("demo"));
        RunSetup s = w->modelPanel()->currentSetup();
        if (!s.error.isEmpty()) {
            fail(QStringLiteral("the demo preset is invalid: %1").arg(s.error));
            return;
        }
        s.options.epochs = epochs;
        s.options.seed = 1;
        TrainingSession* session = w->session();
        const int id = session->prepare(s);
        if (id < 0) {
            fail(QStringLiteral("could not prepare a run: %1").arg(errors->join(QStringLiteral("; "))));
            return;
        }
        session->play();
        QElapsedTimer t;
        t.start();
        while (!failed && session->state() != TrainingSession::State::Finished &&
               session->state() != TrainingSession::State::Failed) {
            settleEvents(50);
        }
        if (failed) return;
        const Run* run = w->project()->run(id);
        if (session->state() == TrainingSession::State::Failed || !run ||
            run->state != RunState::Finished) {
            fail(QStringLiteral("training failed: %1").arg(run ? run->error : QStringLiteral("run lost")));
            return;
        }
        if (static_cast<int>(run->epochs.size()) != epochs || !run->inspectModel()) {
            fail(QStringLiteral("training finished with %1 of %2 epochs")
                     .arg(QString::number(run->epochs.size()), QString::number(epochs)));
            return;
        }
        say(QStringLiteral("trained %1 epoch(s) of %2 in %3 s")
                .arg(epochs)
                .arg(run->modelName())
                .arg(t.elapsed() / 1000.0, 0, 'f', 2));
        w->project()->setCurrentRun(id);
        if (data->split.test.foldIn.rows > 0) w->project()->selectUser(UserRef{Part::Test, 0});

        for (const QString& view : {QStringLiteral("training"), QStringLiteral("runs"),
                                    QStringLiteral("recommendations"), QStringLiteral("latent")}) {
            w->showTab(view);
            if (w->currentTab() != view) {
                fail(QStringLiteral("could not show the %1 view").arg(view));
                return;
            }
            settleEvents(view == QLatin1String("latent") || view == QLatin1String("recommendations") ? 600 : 200);
            if (!render(w, view)) return;
        }
        w->setTheme(QStringLiteral("dark"));
        w->showTab(QStringLiteral("training"));
        settleEvents(200);
        if (!render(w, QStringLiteral("training (dark theme)"))) return;
        w->setTheme(QStringLiteral("system"));

        if (!errors->isEmpty()) {
            fail(QStringLiteral("errors were logged: %1").arg(errors->join(QStringLiteral("; "))));
            return;
        }
        say(QStringLiteral("passed"));
        QApplication::exit(0);
    });
}

}  // namespace vaecf::ui
