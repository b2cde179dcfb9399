// SPDX-License-Identifier: MIT
// vaecf-studio: the desktop application.
//   vaecf-studio                 start on the built-in demo dataset, ready to train
//   vaecf-studio PATH            open a data file, folder or archive
//   vaecf-studio --project DIR   open a saved project
//   vaecf-studio --screenshots DIR [--epochs N]
//                                train on the demo, save a PNG of every view into DIR, quit
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QTimer>

#include "main_window.h"
#include "session/project.h"
#include "session/training_session.h"
#include "widgets/data_panel.h"
#include "screenshots.h"

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("vaecf"));
    QApplication::setApplicationName(QStringLiteral("vaecf-studio"));
    QApplication::setApplicationVersion(QStringLiteral("0.1.0"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/vaecf-studio.svg")));

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
    cl.addOptions({demo, project, shots, epochs, theme});
    cl.process(app);

    vaecf::ui::MainWindow w;
    if (cl.isSet(theme)) w.setTheme(cl.value(theme));
    w.loadDemo();
    if (cl.isSet(project)) w.openProject(cl.value(project));
    else if (!cl.positionalArguments().isEmpty()) w.dataPanel()->openPath(cl.positionalArguments().first());
    w.show();
    if (cl.isSet(shots)) {
        vaecf::ui::takeScreenshots(&w, cl.value(shots), cl.value(epochs).toInt());
    }
    return QApplication::exec();
}
