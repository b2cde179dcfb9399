// SPDX-License-Identifier: MIT
// vaecf-studio: the desktop application.
#include <QApplication>
#include <QCommandLineParser>

#include "main_window.h"

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("vaecf"));
    QApplication::setApplicationName(QStringLiteral("vaecf-studio"));
    QApplication::setApplicationVersion(QStringLiteral("0.1.0"));
    vaecf::ui::MainWindow w;
    w.loadDemo();
    w.show();
    return QApplication::exec();
}
