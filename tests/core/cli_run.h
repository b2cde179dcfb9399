// SPDX-License-Identifier: MIT
// Runs the vaecf command line (VAECF_CLI_PATH, set by tests/CMakeLists.txt) and collects its
// exit code and output, for the tests that drive the CLI as a user would.
#pragma once

#include <QProcess>
#include <QString>
#include <QStringList>

namespace vaecf::test {

struct CliRun {
    int code = -1;  // -1 when the process crashed or did not finish
    QString out, err;
};

inline CliRun runCli(const QStringList& args, int timeoutMs = 300000) {
    QProcess p;
    p.start(VAECF_CLI_PATH, args);
    p.waitForFinished(timeoutMs);
    CliRun r;
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

}  // namespace vaecf::test
