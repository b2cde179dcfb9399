// SPDX-License-Identifier: MIT
// Faults: a process killed (SIGKILL) in the middle of writing a file leaves the previous
// complete version or the new complete one, never a damaged file, and its temporary file is
// cleaned up by the next writer; readers never see a partial file; Ctrl+C (SIGINT) stops
// `vaecf train`, which writes a valid model and checkpoint and exits 130, and `--resume`
// finishes with exactly the weights and metrics of an uninterrupted run; a diverging run
// exits 3 and still writes its best model.
#include <cmath>
#include <csignal>
#include <cstring>
#include <fstream>
#include <set>

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QElapsedTimer>
#include <QProcess>
#include <QThread>

#include <nlohmann/json.hpp>

#include "cli_run.h"
#include "test_util.h"
#include "vaecf/checkpoint.h"
#include "vaecf/model_file.h"

using namespace vaecf::core;
namespace fs = std::filesystem;

namespace {

using Run = vaecf::test::CliRun;
using vaecf::test::runCli;

QString q(const fs::path& p) { return QString::fromStdString(p.string()); }

std::string readAll(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Temporary files of `target` in its folder (".<name>.tmp-...").
std::set<std::string> temporaries(const fs::path& target) {
    std::set<std::string> out;
    const std::string prefix = "." + target.filename().string() + ".tmp-";
    for (const auto& e : fs::directory_iterator(target.parent_path()))
        if (e.path().filename().string().rfind(prefix, 0) == 0) out.insert(e.path().filename().string());
    return out;
}

// The generation of a complete victim file; fails the test when the file is damaged or mixes
// two generations.
long checkVictimFile(const fs::path& target) {
    const ContainerFile f = readContainerFile(target, "checkpoint");  // CRC and structure
    const long g = f.header.at("generation").get<long>();
    const Tensor& t = f.tensors.at("values");
    for (float v : t.data)
        if (v != static_cast<float>(g)) throw std::runtime_error("the file mixes two generations");
    return g;
}

// Waits (without a time limit that matters: 60 s) until `done` holds, letting Qt read output.
template <class F>
bool waitUntil(const F& done) {
    QElapsedTimer clock;
    clock.start();
    while (!done()) {
        if (clock.elapsed() > 60000) return false;
        QThread::usleep(200);
    }
    return true;
}

nlohmann::json readJson(const fs::path& p) { return nlohmann::json::parse(readAll(p)); }

// The per-epoch part of a run record without the timings.
nlohmann::json epochsWithoutTimes(const nlohmann::json& record) {
    nlohmann::json e = record.at("epochs");
    for (auto& r : e) {
        r.erase("train_seconds");
        r.erase("eval_seconds");
    }
    return e;
}

QString tensorDifference(const TensorMap& a, const TensorMap& b) {
    if (a.size() != b.size()) return "tensor counts differ";
    for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib)
        if (ia->first != ib->first || ia->second.rows != ib->second.rows ||
            ia->second.data.size() != ib->second.data.size() ||
            std::memcmp(ia->second.data.data(), ib->second.data.data(), ia->second.data.size() * 4) != 0)
            return QString("tensor '%1' differs").arg(ia->first.c_str());
    return {};
}

const QStringList kData{"demo", "--demo-users", "3000", "--demo-items", "300", "--demo-clusters", "4"};
const QStringList kModel{"--set", "hidden_dims=32", "--set", "latent_dim=8", "--set", "batch_size=16"};

}  // namespace

class FaultTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // SIGKILL at many moments: before the first write ends, early and late inside a write
    // (while the temporary file exists), and between writes. Each time the target is the
    // previous complete version or the next one.
    void killedWritersLeaveCompleteFiles() {
        vaecf::test::TempDir dir;
        const fs::path target = dir / "victim.bin";
        long last = -1;
        int midWrite = 0;
        for (int round = 0; round < 24; ++round) {
            QProcess p;
            p.start(VAECF_WRITE_VICTIM_PATH, {q(target), "8", "0"});
            QVERIFY(p.waitForStarted());
            const std::string mine = "." + target.filename().string() + ".tmp-" + std::to_string(p.processId()) + "-";
            // ".victim.bin.tmp-<pid>-<10 digits>": the random part has a fixed width.
            const auto ownName = [&](const std::string& name) {
                if (name.rfind(mine, 0) != 0 || name.size() != mine.size() + 10) return false;
                return name.find_first_not_of("0123456789", mine.size()) == std::string::npos;
            };
            const auto ownTemporary = [&](std::uintmax_t atLeast) {
                for (const auto& e : fs::directory_iterator(dir.path())) {
                    std::error_code ec;
                    if (ownName(e.path().filename().string()) && fs::file_size(e.path(), ec) >= atLeast && !ec)
                        return true;
                }
                return false;
            };
            switch (round % 4) {
            case 0:  // as soon as it runs
                break;
            case 1:  // inside a write, early
                QVERIFY(waitUntil([&] { return ownTemporary(0); }));
                break;
            case 2:  // inside a write, with half of the data written
                QVERIFY(waitUntil([&] { return ownTemporary(4u << 20); }));
                break;
            case 3:  // right after a complete write
                QVERIFY(waitUntil([&] { return p.waitForReadyRead(1) && p.canReadLine(); }));
                break;
            }
            ::kill(static_cast<pid_t>(p.processId()), SIGKILL);
            QVERIFY(p.waitForFinished(60000));
            QCOMPARE(p.exitStatus(), QProcess::CrashExit);
            if (!temporaries(target).empty()) ++midWrite;
            if (!fs::exists(target)) {
                QCOMPARE(last, -1L);  // only before the very first write completed
                continue;
            }
            long g = -1;
            try {
                g = checkVictimFile(target);
            } catch (const std::exception& e) {
                QFAIL(qPrintable(QString("round %1: %2").arg(round).arg(e.what())));
            }
            QVERIFY(g >= last);
            last = g;
        }
        // Rounds 1 and 2 kill while the writer's temporary file exists: inside a write.
        QVERIFY(midWrite > 0);

        // The next writer removes the temporaries of dead writers, and only those: not one
        // of a live process (this test), nor a name it does not make.
        const pid_t gone = ::fork();  // a process id that is not alive any more
        if (gone == 0) ::_exit(0);
        QVERIFY(gone > 0);
        QCOMPARE(::waitpid(gone, nullptr, 0), gone);
        const std::string prefix = "." + target.filename().string() + ".tmp-";
        const std::string dead = prefix + std::to_string(gone) + "-5";
        const std::string live = prefix + std::to_string(getpid()) + "-7";
        const std::string foreign = prefix + "notmine";
        vaecf::test::writeFile(dir / dead, "a dead writer's half file");
        vaecf::test::writeFile(dir / live, "a live writer's work");
        vaecf::test::writeFile(dir / foreign, "something else");
        QVERIFY(temporaries(target).count(dead));
        QProcess p;
        p.start(VAECF_WRITE_VICTIM_PATH, {q(target), "1", "1"});
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 0);
        QCOMPARE(temporaries(target), (std::set<std::string>{live, foreign}));
        QCOMPARE(checkVictimFile(target), std::max(last, -1L) + 1);
    }

    // A reader never sees a partial file while a writer replaces it again and again.
    void readersNeverSeePartialFiles() {
        vaecf::test::TempDir dir;
        const fs::path target = dir / "victim.bin";
        QProcess p;
        p.start(VAECF_WRITE_VICTIM_PATH, {q(target), "2", "0"});
        QVERIFY(p.waitForStarted());
        QVERIFY(waitUntil([&] { return fs::exists(target); }));
        long last = -1;
        std::set<long> seen;
        for (int k = 0; k < 300; ++k) {
            long g = -1;
            try {
                g = checkVictimFile(target);
            } catch (const std::exception& e) {
                QFAIL(e.what());
            }
            QVERIFY(g >= last);
            last = g;
            seen.insert(g);
        }
        p.kill();
        p.waitForFinished(60000);
        qInfo("%zu generations seen by 300 reads", seen.size());
    }

    // Ctrl+C in the middle of training: the CLI stops after the current batch, writes a valid
    // model and checkpoint, exits 130 and says how to resume; the resumed run ends with the
    // weights, per-epoch losses and metrics of an uninterrupted run.
    void sigintStopsTrainingAndResumeMatchesAStraightRun() {
        vaecf::test::TempDir dir;
        const QStringList common = kData + kModel + QStringList{"--epochs", "25", "--seed", "3", "-q"};
        const Run straight = runCli(QStringList{"train"} + common + QStringList{"-o", q(dir / "straight.vaecf")});
        QVERIFY2(straight.code == 0, qPrintable(straight.err));

        const fs::path ck = dir / "run.ckpt";
        QProcess p;
        p.start(VAECF_CLI_PATH, QStringList{"train"} + common +
                                    QStringList{"-o", q(dir / "a.vaecf"), "--checkpoint", q(ck)});
        QVERIFY(p.waitForStarted());
        QString out;
        QVERIFY(waitUntil([&] {
            if (p.waitForReadyRead(1)) out += QString::fromUtf8(p.readAllStandardOutput());
            return out.contains("epoch  1/25");
        }));
        ::kill(static_cast<pid_t>(p.processId()), SIGINT);
        QVERIFY(p.waitForFinished(120000));
        out += QString::fromUtf8(p.readAllStandardOutput());
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QVERIFY2(p.exitCode() == 130, qPrintable(out + err));
        QVERIFY2(err.contains("vaecf: interrupted: stopping after the current batch (press Ctrl+C again to quit at once)"),
                 qPrintable(err));
        QVERIFY2(err.contains("vaecf: resume with: vaecf train <the same data and split options> --resume " + q(ck)),
                 qPrintable(err));
        const Checkpoint c = loadCheckpointFile(ck);
        QVERIFY(c.epochsRun() >= 1 && c.epochsRun() < 25);
        QVERIFY(err.contains(QString("vaecf: checkpoint of epoch %1: %2").arg(c.epochsRun()).arg(q(ck))));
        QVERIFY(err.contains(QString("vaecf: interrupted: %1 of 25 epochs are complete").arg(c.epochsRun())));
        const LoadedModel a = loadModelFile(dir / "a.vaecf");
        QCOMPARE(a.model->info().id, std::string("mult-vae"));
        const auto rec = readJson(dir / "a.run.json");
        QCOMPARE(rec["interrupted"].get<bool>(), true);
        QCOMPARE(rec["epochs"].size(), std::size_t(c.epochsRun()));
        QVERIFY(!rec.contains("test"));  // no test evaluation after an interrupt

        // Resumed (checkpoints go on to the same file) to the planned 25 epochs.
        const Run r = runCli(QStringList{"train"} + kData + QStringList{"--resume", q(ck), "-o", q(dir / "b.vaecf"), "-q"});
        QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
        QVERIFY2(r.out.contains(QString("resumed:     %1 after epoch %2 of 25").arg(q(ck)).arg(c.epochsRun())),
                 qPrintable(r.out));
        QCOMPARE(loadCheckpointFile(ck).epochsRun(), 25);
        const QString d = tensorDifference(loadModelFile(dir / "b.vaecf").model->state(),
                                           loadModelFile(dir / "straight.vaecf").model->state());
        QVERIFY2(d.isEmpty(), qPrintable(d));
        const auto rb = readJson(dir / "b.run.json"), rs = readJson(dir / "straight.run.json");
        QCOMPARE(epochsWithoutTimes(rb), epochsWithoutTimes(rs));
        QCOMPARE(rb["best_epoch"], rs["best_epoch"]);
        QCOMPARE(rb["test"], rs["test"]);
        QCOMPARE(rb["resumed_after_epochs"], nlohmann::json::array({c.epochsRun()}));
    }

    // Resuming from the command line: 2 epochs, then --resume with --epochs 4 extends the run
    // to exactly the 4-epoch run; another split or a model option is refused.
    void cliResumeExtendsARunExactly() {
        vaecf::test::TempDir dir;
        const QStringList small{"demo", "--demo-users", "400", "--demo-items", "120", "--demo-clusters", "4"};
        const QStringList model{"--set", "hidden_dims=32", "--set", "latent_dim=8", "--set", "batch_size=64"};
        const Run s = runCli(QStringList{"train"} + small + model +
                             QStringList{"--epochs", "4", "--seed", "5", "-q", "-o", q(dir / "s.vaecf")});
        QCOMPARE(s.code, 0);
        const fs::path ck = dir / "two.ckpt";
        const Run a = runCli(QStringList{"train"} + small + model +
                             QStringList{"--epochs", "2", "--seed", "5", "-q", "--checkpoint", q(ck),
                                         "--checkpoint-every", "2"});
        QVERIFY2(a.code == 0, qPrintable(a.err));
        QVERIFY(a.out.contains("checkpoint:  " + q(ck) + " (every 2 epochs and at the end)"));
        QCOMPARE(loadCheckpointFile(ck).epochsRun(), 2);
        const fs::path ck4 = dir / "four.ckpt";
        const Run b = runCli(QStringList{"train"} + small +
                             QStringList{"--resume", q(ck), "--epochs", "4", "-q", "-o", q(dir / "b.vaecf"),
                                         "--checkpoint", q(ck4), "--threads", "1"});
        QVERIFY2(b.code == 0, qPrintable(b.err));
        QCOMPARE(loadCheckpointFile(ck).epochsRun(), 2);   // left as it was
        QCOMPARE(loadCheckpointFile(ck4).epochsRun(), 4);
        const QString d = tensorDifference(loadModelFile(dir / "b.vaecf").model->state(),
                                           loadModelFile(dir / "s.vaecf").model->state());
        QVERIFY2(d.isEmpty(), qPrintable(d));
        QCOMPARE(epochsWithoutTimes(readJson(dir / "b.run.json")), epochsWithoutTimes(readJson(dir / "s.run.json")));
        QCOMPARE(readJson(dir / "b.run.json")["test"], readJson(dir / "s.run.json")["test"]);

        // Another split.
        const Run other = runCli(QStringList{"train", "demo", "--demo-users", "401", "--demo-items", "120",
                                             "--demo-clusters", "4", "--resume", q(ck), "-q"});
        QCOMPARE(other.code, 1);
        QVERIFY2(other.err.contains("vaecf: error: " + q(ck) + ": the checkpoint was written for another split "
                                    "(split_fingerprint "),
                 qPrintable(other.err));
        QVERIFY(other.err.contains("): resume with the same data and split options"));
        // The model and its options come from the checkpoint.
        const Run set = runCli(QStringList{"train"} + small + QStringList{"--resume", q(ck), "--set", "latent_dim=4"});
        QCOMPARE(set.code, 2);
        QVERIFY2(set.err.contains("--set excludes --resume"), qPrintable(set.err));
        // A damaged checkpoint.
        std::string bytes = readAll(ck);
        bytes[bytes.size() / 2] ^= 1;
        vaecf::test::writeFile(dir / "bad.ckpt", bytes);
        const Run bad = runCli(QStringList{"train"} + small + QStringList{"--resume", q(dir / "bad.ckpt")});
        QCOMPARE(bad.code, 1);
        QCOMPARE(bad.err, "vaecf: error: " + q(dir / "bad.ckpt") +
                              ": the checkpoint is corrupted or truncated (checksum mismatch)\n");
    }

    // A learning rate far too high: exit code 3, the reason on stderr, the best model written.
    void divergenceExitsThreeAndKeepsTheBestModel() {
        vaecf::test::TempDir dir;
        const Run r = runCli(QStringList{"train", "demo", "--demo-users", "400", "--demo-items", "120",
                                         "--demo-clusters", "4", "--set", "hidden_dims=16", "--set",
                                         "latent_dim=8", "--set", "batch_size=32", "--set", "learning_rate=1",
                                         "--set", "anneal_cap=0", "--epochs", "200", "-q", "-o",
                                         q(dir / "m.vaecf"), "--checkpoint", q(dir / "m.ckpt")});
        QVERIFY2(r.code == 3, qPrintable(r.out + r.err));
        const auto rec = readJson(dir / "m.run.json");
        const std::string why = rec["diverged"].get<std::string>();
        QVERIFY2(why.rfind("training stopped ", 0) == 0, why.c_str());
        QVERIFY(r.err.contains(QString::fromStdString("vaecf: " + why + "\n")));
        QVERIFY(why.find("try a lower learning rate (learning_rate = 1)") != std::string::npos);
        const LoadedModel m = loadModelFile(dir / "m.vaecf");
        for (const auto& [name, t] : m.model->parameters())
            for (float v : t.data) QVERIFY2(std::isfinite(v), name.c_str());
        QVERIFY(rec["test"]["ndcg@100"].get<double>() > 0);
        // The checkpoint on disk is the last one before the divergence.
        if (rec["epochs"].size() > 0)
            QCOMPARE(loadCheckpointFile(dir / "m.ckpt").epochsRun(), static_cast<int>(rec["epochs"].size()));
    }

    void benchReportsDivergence() {
        vaecf::test::TempDir dir;
        const Run r = runCli(QStringList{"bench", "demo", "--demo-users", "400", "--demo-items", "120",
                                         "--demo-clusters", "4", "--set", "hidden_dims=16", "--set",
                                         "latent_dim=8", "--set", "batch_size=32", "--set", "learning_rate=1",
                                         "--set", "anneal_cap=0", "--epochs", "200", "--json",
                                         q(dir / "b.json")});
        QVERIFY2(r.code == 3, qPrintable(r.out + r.err));
        const auto rec = readJson(dir / "b.json");
        const std::string why = rec["diverged"].get<std::string>();
        QVERIFY2(why.rfind("training stopped ", 0) == 0, why.c_str());
        QVERIFY(r.err.contains(QString::fromStdString("vaecf: " + why + "\n")));
        // Only the epochs before the divergence are timed.
        QVERIFY(rec["epoch_seconds"].size() < 200);
        QVERIFY2(r.out.contains(QStringLiteral("epoch %1: diverged in batch ").arg(rec["epoch_seconds"].size() + 1)),
                 qPrintable(r.out));
    }
};

QTEST_GUILESS_MAIN(FaultTest)
#include "fault_test.moc"
