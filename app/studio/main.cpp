// SPDX-License-Identifier: MIT
// vaecf-studio: the desktop application.
//   vaecf-studio                 start on the built-in demo dataset, ready to train
//   vaecf-studio PATH            open a data file, folder or archive
//   vaecf-studio --project DIR   open a saved project
//   vaecf-studio --screenshots DIR [--epochs N]
//                                train on the demo, save a PNG of every view into DIR, quit
//   vaecf-studio --smoke-test    open the demo, train one epoch, render every view, exit 0
//                                (1 with the reason on stderr); settings go to a scratch folder
#include <memory>

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QSettings>
#include <QTemporaryDir>
#include <QTimer>

#include "main_window.h"
#include "session/project.h"
#include "session/training_session.h"
#include "widgets/data_panel.h"
#include "screenshots.h"
#include "smoke_test.h"

#ifndef VAECF_VERSION
#define VAECF_VERSION "0.1.0"
#endif

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("vaecf"));
    QApplication::setApplicationName(QStringLiteral("vaecf-studio"));
    QApplication::setApplicationVersion(QStringLiteral(VAECF_VERSION));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/vaecf-studio.svg")));
#ifdef VAECF_APP_ID
    QGuiApplication::setDesktopFileName(QStringLiteral(VAECF_APP_ID));
#endif

    QCommandLineParser cl;
    cl.setApplicationDescription(QStringLiteral("Train and explore variational-autoencoder collaborative-filtering models."));
    cl.addHelpOption();
    cl.addVersionOption();
    cl.addPositionalArgument(QStringLiteral("data"), QStringLiteral("A dataset file, folder or archive to open (default: the demo dataset)."), QStringLiteral("[data]"));
    QCommandLineOption demo(QStringLiteral("demo"), QStringLiteral("Start on the built-in demo dataset (the default)."));
    QCommandLineOption project(QStringLiteral("project"), QStringLiteral("Open a saved project folder."), QStringLiteral("dir"));
    QCommandLineOption shots(QStringLiteral("screenshots"), QStringLiteral("Train on the demo, save a PNG of every view into <dir>, then quit."), QStringLiteral("dir"));
    QCommandLineOption epochs(QStringLiteral("epochs"), QStringLiteral("Epochs for --screenshots (default 20)."), QStringLiteral("n"), QStringLiteral("20"));
    QCommandLineOption theme(QStringLiteral("theme"), QStringLiteral("system, light or dark."), QStringLiteral("name"));
    QCommandLineOption smoke(QStringLiteral("smoke-test"),
                             QStringLiteral("Open the demo, train one epoch, render every view, then quit "
                                            "(exit code 0 when all went well)."));
    cl.addOptions({demo, project, shots, epochs, theme, smoke});
    cl.process(app);

    // The smoke test neither reads nor writes the user's settings (layout, theme, recent files).
    std::unique_ptr<QTemporaryDir> scratchSettings;
    if (cl.isSet(smoke)) {
        scratchSettings = std::make_unique<QTemporaryDir>();
        QSettings::setDefaultFormat(QSettings::IniFormat);
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, scratchSettings->path());
    }

    vaecf::ui::MainWindow w;
    if (cl.isSet(theme)) w.setTheme(cl.value(theme));
    w.loadDemo();
    if (cl.isSet(smoke)) {
        w.show();
        vaecf::ui::startSmokeTest(&w);
        return QApplication::exec();
    }
    if (cl.isSet(project)) w.openProject(cl.value(project));
    else if (!cl.positionalArguments().isEmpty()) w.dataPanel()->openPath(cl.positionalArguments().first());
    w.show();
    if (cl.isSet(shots)) {
        vaecf::ui::takeScreenshots(&w, cl.value(shots), cl.value(epochs).toInt());
    }
    return QApplication::exec();
}
