// SPDX-License-Identifier: MIT
// How long does the GUI thread stall while a model trains at full speed? Opens the real main
// window on the demo dataset (or a larger synthetic one), trains, and measures the gaps
// between ticks of a 5 ms timer on the GUI thread, then prints the longest gap and the
// 99th percentile, next to the same measurement with training idle (the baseline of this
// machine, measured in the same run).
//
//   vaecf_bench_ui_latency [--users N] [--items N] [--seconds S] [--threads T]
// Run it under xvfb-run (or with QT_QPA_PLATFORM=offscreen).
#include <algorithm>
#include <cstdio>
#include <vector>

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QTimer>

#include "main_window.h"
#include "session/project.h"
#include "session/training_session.h"

using namespace vaecf::ui;

namespace {

struct Gaps {
    double max = 0, p99 = 0, mean = 0;
    std::size_t ticks = 0;
};

Gaps measure(int ms) {
    std::vector<double> gaps;
    QElapsedTimer clock;
    clock.start();
    qint64 last = clock.nsecsElapsed();
    QTimer tick;
    tick.setTimerType(Qt::PreciseTimer);
    tick.setInterval(5);
    QObject::connect(&tick, &QTimer::timeout, [&] {
        const qint64 now = clock.nsecsElapsed();
        gaps.push_back(static_cast<double>(now - last) / 1e6);
        last = now;
    });
    tick.start();
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
    Gaps g;
    if (gaps.empty()) return g;
    std::sort(gaps.begin(), gaps.end());
    g.max = gaps.back();
    g.p99 = gaps[static_cast<std::size_t>(0.99 * static_cast<double>(gaps.size() - 1))];
    for (double x : gaps) g.mean += x;
    g.mean /= static_cast<double>(gaps.size());
    g.ticks = gaps.size();
    return g;
}

}  // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QCommandLineParser cl;
    QCommandLineOption users(QStringLiteral("users"), QStringLiteral("demo users"), QStringLiteral("n"), QStringLiteral("3000"));
    QCommandLineOption items(QStringLiteral("items"), QStringLiteral("demo items"), QStringLiteral("n"), QStringLiteral("800"));
    QCommandLineOption seconds(QStringLiteral("seconds"), QStringLiteral("seconds to measure"), QStringLiteral("s"), QStringLiteral("10"));
    QCommandLineOption threads(QStringLiteral("threads"), QStringLiteral("training threads (0: all)"), QStringLiteral("n"), QStringLiteral("0"));
    cl.addOptions({users, items, seconds, threads});
    cl.addHelpOption();
    cl.process(app);

    MainWindow w;
    w.show();
    DataSource src;
    src.demo.users = cl.value(users).toLongLong();
    src.demo.items = cl.value(items).toLongLong();
    w.project()->setData(buildDataState(src));
    const int ms = cl.value(seconds).toInt() * 1000;

    const Gaps idle = measure(ms / 2);
    RunSetup s;
    s.modelId = "mult-vae";
    s.config = {{"hidden_dims", {600}}, {"latent_dim", 200}, {"batch_size", 500}};
    s.options.epochs = 1000;
    s.options.threads = cl.value(threads).toInt();
    w.session()->prepare(s);
    w.session()->play();
    measure(300);  // let the first batches start
    const Gaps busy = measure(ms);
    const std::size_t batches = w.project()->currentRun() ? w.project()->currentRun()->batches.size() : 0;
    w.session()->stop();
    std::printf("GUI event-loop gaps with a 5 ms timer (%lld users x %lld items, Mult-VAE 600-200)\n",
                static_cast<long long>(src.demo.users), static_cast<long long>(src.demo.items));
    std::printf("  idle:     max %6.1f ms  p99 %6.1f ms  mean %5.2f ms  (%zu ticks)\n", idle.max, idle.p99, idle.mean, idle.ticks);
    std::printf("  training: max %6.1f ms  p99 %6.1f ms  mean %5.2f ms  (%zu ticks, %zu batches trained)\n",
                busy.max, busy.p99, busy.mean, busy.ticks, batches);
    return 0;
}
