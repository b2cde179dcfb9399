// SPDX-License-Identifier: MIT
// The vaecf command line end to end on the demo dataset and tiny files: every subcommand,
// the files it writes, and the messages of bad input.
#include <fstream>
#include <sstream>

#include <QProcess>

#include <nlohmann/json.hpp>

#include "cli_run.h"
#include "fixtures.h"
#include "test_util.h"
#include "vaecf/model.h"
#include "vaecf/model_file.h"

namespace {

using Run = vaecf::test::CliRun;
using vaecf::test::runCli;

std::string readAll(const std::filesystem::path& p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int lineCount(const std::filesystem::path& p) {
    const std::string s = readAll(p);
    return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

// A small demo dataset and a small model, so the whole file runs in seconds.
const QStringList kDemo{"demo", "--demo-users", "400", "--demo-items", "120", "--demo-clusters", "4"};
const QStringList kSmall{"--set", "hidden_dims=32", "--set", "latent_dim=8", "--set", "batch_size=64"};

}  // namespace

class CliTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void versionAndHelp() {
        const Run v = runCli({"--version"});
        QCOMPARE(v.code, 0);
        QVERIFY(v.out.contains("vaecf 0.1.0"));
        const Run h = runCli({"train", "--help"});
        QCOMPARE(h.code, 0);
        // --help lists every model's hyperparameters from the models' own descriptions.
        QVERIFY(h.out.contains("anneal_cap (β_max) = 0.2"));
        QVERIFY(h.out.contains("mult-dae"));
        const Run none = runCli({});
        QCOMPARE(none.code, 2);
    }

    void prepareExportsASplitThatLoadsBackIdentically() {
        vaecf::test::TempDir dir;
        const QString out = QString::fromStdString((dir / "split").string());
        const Run a = runCli(QStringList{"prepare"} + kDemo + QStringList{"--export", out});
        QCOMPARE(a.code, 0);
        QVERIFY2(a.out.contains("split:"), qPrintable(a.out));
        for (const char* f : {"train.csv", "validation_tr.csv", "validation_te.csv", "test_tr.csv",
                              "test_te.csv", "unique_sid.txt", "unique_uid.txt"})
            QVERIFY(std::filesystem::exists(dir / "split" / f));
        const auto fp = [](const QString& s) {
            const int i = s.indexOf("fingerprint: ");
            return s.mid(i + 13, 16);
        };
        const Run b = runCli({"prepare", out});
        QCOMPARE(b.code, 0);
        QCOMPARE(fp(b.out), fp(a.out));
    }

    void trainEvaluateRecommendEmbed() {
        vaecf::test::TempDir dir;
        const QString model = QString::fromStdString((dir / "m.vaecf").string());
        const Run t = runCli(QStringList{"train"} + kDemo + kSmall +
                            QStringList{"--epochs", "3", "--seed", "5", "-o", model, "-q"});
        QCOMPARE(t.code, 0);
        QVERIFY2(t.out.contains("epoch 3/3"), qPrintable(t.out + t.err));
        QVERIFY(t.out.contains("test @ best epoch"));
        QVERIFY(std::filesystem::exists(dir / "m.vaecf"));
        const auto rec = nlohmann::json::parse(readAll(dir / "m.run.json"));
        QCOMPARE(rec["model"].get<std::string>(), std::string("mult-vae"));
        QCOMPARE(rec["seed"].get<int>(), 5);
        QCOMPARE(rec["epochs"].size(), std::size_t(3));
        QVERIFY(rec["test"]["ndcg@100"].get<double>() > 0.0);
        QVERIFY(rec["epochs"][0].contains("validation"));
        QCOMPARE(lineCount(dir / "m.run.csv"), 4);  // header + 3 epochs

        const QString perUser = QString::fromStdString((dir / "users.csv").string());
        const Run e = runCli(QStringList{"evaluate", model} + kDemo + QStringList{"--per-user", perUser});
        QCOMPARE(e.code, 0);
        // One line per test user plus the header; the mean of the column is the report's value.
        {
            std::ifstream pu(dir / "users.csv");
            std::string line;
            std::getline(pu, line);
            QVERIFY(line.rfind("user,fold_in_items,held_out_items,ndcg@100,", 0) == 0);
            double sum = 0;
            int scored = 0, lines = 0;
            while (std::getline(pu, line)) {
                ++lines;
                std::stringstream ss(line);
                std::string f[4];
                for (auto& x : f) std::getline(ss, x, ',');
                if (!f[3].empty()) {
                    sum += std::stod(f[3]);
                    ++scored;
                }
            }
            QVERIFY(lines >= scored && scored > 20);
            QVERIFY2(e.out.contains(QString::number(sum / scored, 'f', 4)), qPrintable(e.out));
        }
        QVERIFY(e.out.contains("ndcg@100"));
        // The same split evaluates to the test metrics recorded at training time.
        const double recorded = rec["test"]["ndcg@100"].get<double>();
        QVERIFY2(e.out.contains(QString::number(recorded, 'f', 4)), qPrintable(e.out));

        // A brand-new user given by item ids: the items themselves are not recommended.
        vaecf::test::TempDir sdir;
        const QString split = QString::fromStdString((sdir / "s").string());
        QCOMPARE(runCli(QStringList{"prepare"} + kDemo + QStringList{"--export", split}).code, 0);
        std::ifstream sid(sdir / "s" / "unique_sid.txt");
        std::string i0, i1;
        sid >> i0 >> i1;
        const Run r = runCli({"recommend", model, "--items", QString::fromStdString(i0 + "," + i1),
                             "-n", "5"});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.startsWith("new user: 2 known items"));
        QCOMPARE(r.out.count('\n'), 6);
        QVERIFY(!r.out.contains("[" + QString::fromStdString(i0) + "]"));
        // By title (the demo items have readable titles).
        const int open = r.out.indexOf("1. ") + 3;
        const QString title = r.out.mid(open, r.out.indexOf(" [", open) - open);
        const Run rt = runCli({"recommend", model, "--titles", title, "-n", "3"});
        QCOMPARE(rt.code, 0);
        QVERIFY(rt.out.startsWith("new user: 1 known items"));
        QVERIFY(!rt.out.contains(title + " ["));
        // Users of the dataset by id.
        const Run ru = runCli(QStringList{"recommend", model, "--data"} + kDemo +
                             QStringList{"--user", "17", "-n", "4"});
        QVERIFY2(ru.code == 0, qPrintable(ru.err));
        QVERIFY(ru.out.startsWith("user 17:"));

        const QString emb = QString::fromStdString((dir / "emb").string());
        const Run em = runCli(QStringList{"embed", model, "--data"} + kDemo + QStringList{"-o", emb});
        QCOMPARE(em.code, 0);
        const int users = lineCount(dir / "emb" / "vectors.tsv");
        QVERIFY(users > 300);
        QCOMPARE(lineCount(dir / "emb" / "metadata.tsv"), users + 1);  // with a header
        QVERIFY(readAll(dir / "emb" / "metadata.tsv").rfind("user\tpart\tinteractions\tcluster\n", 0) == 0);
        std::ifstream vec(dir / "emb" / "vectors.tsv");
        std::string first;
        std::getline(vec, first);
        QCOMPARE(std::count(first.begin(), first.end(), '\t'), 7L);  // K = 8 columns
        const Run ei = runCli({"embed", model, "--items", "-o", emb});
        QCOMPARE(ei.code, 0);
    }

    void benchWritesTimings() {
        vaecf::test::TempDir dir;
        const QString js = QString::fromStdString((dir / "b.json").string());
        const Run b = runCli(QStringList{"bench"} + kDemo + kSmall + QStringList{"--epochs", "2", "--json", js});
        QCOMPARE(b.code, 0);
        const auto j = nlohmann::json::parse(readAll(dir / "b.json"));
        QCOMPARE(j["epoch_seconds"].size(), std::size_t(2));
    }

    // A model file without item ids (valid: a project saves one so for a run that no longer
    // matches its data): recommend and embed name the items by column number, evaluate says
    // why it cannot match them. recommend and embed --items read past the empty id list.
    void modelWithoutItemIds() {
        using namespace vaecf::core;
        vaecf::test::TempDir dir;
        Config config = Config::object();
        config["hidden_dims"] = {3};
        config["latent_dim"] = 2;
        auto model = createModel("mult-vae", config);
        model->initialize(vaecf::test::tinyTrain(), 7);
        const auto path = dir / "no-ids.vaecf";
        saveModelFile(path, *model, ModelMeta{});
        const QString m = QString::fromStdString(path.string());
        const Run r = runCli({"recommend", m, "--items", "2", "-n", "2"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.out.startsWith("new user: 1 known items\n   1. "), qPrintable(r.out));
        QCOMPARE(r.out.count('\n'), 3);
        const Run e = runCli({"embed", m, "--items", "-o", QString::fromStdString((dir / "emb").string())});
        QVERIFY2(e.code == 0, qPrintable(e.err));
        QCOMPARE(readAll(dir / "emb" / "metadata.tsv"), std::string("item\ttitle\n0\t\n1\t\n2\t\n3\t\n4\t\n"));
        const Run v = runCli(QStringList{"evaluate", m} + kDemo);
        QCOMPARE(v.code, 1);
        QVERIFY2(v.err.contains(m + ": the model file holds no item ids, so its items cannot be "
                                    "matched with the data's"),
                 qPrintable(v.err));
    }

    void badInputNamesTheProblem() {
        vaecf::test::TempDir dir;
        const Run a = runCli(QStringList{"train"} + kDemo + QStringList{"--set", "latent_dim=0"});
        QCOMPARE(a.code, 1);
        QVERIFY2(a.err.contains("mult-vae: hyperparameter 'latent_dim' (K) must be in [1, 4096], got 0"),
                 qPrintable(a.err));
        const Run b = runCli(QStringList{"train"} + kDemo + QStringList{"--set", "hidden=600"});
        QCOMPARE(b.code, 1);
        QVERIFY(b.err.contains("--set hidden=600: mult-vae has no hyperparameter 'hidden'"));
        const Run c = runCli({"train", QString::fromStdString((dir / "nope.csv").string())});
        QCOMPARE(c.code, 1);
        QVERIFY(c.err.contains("nope.csv: no such file or folder"));
        const auto bad = vaecf::test::writeFile(dir / "ratings.csv",
                                                "userId,movieId,rating,timestamp\n1,2,4.0,5\n1,3\n");
        const Run d = runCli({"prepare", QString::fromStdString(bad.string())});
        QCOMPARE(d.code, 1);
        QVERIFY2(d.err.contains("ratings.csv:3:"), qPrintable(d.err));
        const Run e = runCli({"train", "demo", "--model", "svd"});
        QCOMPARE(e.code, 2);
        const auto junk = vaecf::test::writeFile(dir / "junk.vaecf", "not a model");
        const Run f = runCli({"evaluate", QString::fromStdString(junk.string()), "demo"});
        QCOMPARE(f.code, 1);
        QVERIFY(f.err.contains("not a VAE-CF Studio model file"));
    }
};

QTEST_GUILESS_MAIN(CliTest)
#include "cli_test.moc"
