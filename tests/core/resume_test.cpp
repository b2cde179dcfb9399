// SPDX-License-Identifier: MIT
// Training that survives: checkpoints resume bitwise exactly (per-batch losses, per-epoch
// history, best epoch, final state) for every iterative model of the catalog, also after a
// stop in the middle of an epoch; checkpoints of another split, another config, or damaged
// files are refused with messages naming the field or the file; a diverging run stops at
// once, keeps its best weights and says why.
#include <cmath>
#include <cstring>
#include <fstream>

#include "fixtures.h"
#include "test_util.h"
#include "vaecf/checkpoint.h"
#include "vaecf/error.h"
#include "vaecf/model_file.h"
#include "vaecf/trainer.h"

using namespace vaecf::core;
using vaecf::test::clusterSplit;

namespace {

const Split& split() { return vaecf::test::sharedClusterSplit(); }

// Small settings with several batches per epoch and a β that moves from epoch to epoch.
Config smallConfig(const std::string& id) {
    if (id == "mult-vae")
        return {{"hidden_dims", {16}}, {"latent_dim", 8}, {"batch_size", 64}, {"total_anneal_steps", 12}};
    if (id == "mult-dae") return {{"hidden_dims", {16}}, {"latent_dim", 8}, {"batch_size", 64}};
    if (id == "vamp")
        return {{"hidden_size", 16}, {"latent_dim", 8}, {"pseudo_inputs", 6}, {"batch_size", 64},
                {"warmup_epochs", 3}};
    if (id == "hvamp" || id == "hvamp-gated")
        return {{"hidden_size", 16}, {"z1_size", 4}, {"z2_size", 4}, {"pseudo_inputs", 6},
                {"batch_size", 64}, {"warmup_epochs", 3}};
    if (id == "bivae") return {{"latent_dim", 4}, {"encoder_dims", {8}}, {"batch_size", 64}};
    if (id == "recvae") return {{"hidden_dim", 16}, {"latent_dim", 8}, {"batch_size", 64}};
    return Config::object();
}

TrainOptions options(int epochs, int threads) {
    TrainOptions o;
    o.epochs = epochs;
    o.seed = 4242;
    o.threads = threads;
    return o;
}

std::unique_ptr<Trainer> fresh(const std::string& id, int epochs, int threads = 2) {
    return std::make_unique<Trainer>(split(), createModel(id, smallConfig(id)), options(epochs, threads));
}

BatchCallback collect(std::vector<double>& losses) {
    return [&losses](const BatchProgress& p) { losses.push_back(p.terms.loss); };
}

bool sameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Bitwise equality of two tensor maps, with the first difference in the message.
QString tensorDifference(const TensorMap& a, const TensorMap& b) {
    if (a.size() != b.size()) return QString("%1 tensors against %2").arg(a.size()).arg(b.size());
    for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
        if (ia->first != ib->first)
            return QString("tensor '%1' against '%2'").arg(ia->first.c_str(), ib->first.c_str());
        const Tensor &x = ia->second, &y = ib->second;
        if (x.rows != y.rows || x.cols != y.cols || x.data.size() != y.data.size())
            return QString("tensor '%1' has another shape").arg(ia->first.c_str());
        if (std::memcmp(x.data.data(), y.data.data(), x.data.size() * sizeof(float)) != 0)
            return QString("tensor '%1' differs").arg(ia->first.c_str());
    }
    return {};
}

#define COMPARE_TENSORS(a, b)                                      \
    do {                                                           \
        const QString d_ = tensorDifference(a, b);                 \
        QVERIFY2(d_.isEmpty(), qPrintable(d_));                    \
    } while (0)

// Per-epoch history without the timings, bit for bit.
QString historyDifference(const std::vector<EpochReport>& a, const std::vector<EpochReport>& b) {
    if (a.size() != b.size()) return QString("%1 epochs against %2").arg(a.size()).arg(b.size());
    for (std::size_t k = 0; k < a.size(); ++k) {
        const EpochReport &x = a[k], &y = b[k];
        const QString e = QString("epoch %1: ").arg(k + 1);
        if (x.epoch != y.epoch || x.batches != y.batches || x.updates != y.updates ||
            x.validated != y.validated || x.improved != y.improved || x.stopped != y.stopped)
            return e + "counters or flags differ";
        for (auto [u, v] : {std::pair{x.train.loss, y.train.loss}, {x.train.recon, y.train.recon},
                            {x.train.kl, y.train.kl}, {x.train.beta, y.train.beta},
                            {x.train.penalty, y.train.penalty}})
            if (!sameBits(u, v)) return e + QString("loss terms differ (%1 vs %2)").arg(u, 0, 'g', 17).arg(v, 0, 'g', 17);
        if (x.validation.mean.size() != y.validation.mean.size()) return e + "metrics differ";
        for (const auto& [name, value] : x.validation.mean)
            if (!y.validation.mean.count(name) || !sameBits(value, y.validation.mean.at(name)) ||
                !sameBits(x.validation.stdError.at(name), y.validation.stdError.at(name)))
                return e + QString("metric %1 differs").arg(name.c_str());
        if (x.validation.usersScored != y.validation.usersScored) return e + "users scored differ";
    }
    return {};
}

#define COMPARE_HISTORY(a, b)                                      \
    do {                                                           \
        const QString d_ = historyDifference(a, b);                \
        QVERIFY2(d_.isEmpty(), qPrintable(d_));                    \
    } while (0)

// The straight run of a model: every batch loss, then the trainer as it ends.
struct Straight {
    std::vector<double> losses;
    std::unique_ptr<Trainer> trainer;
};

Straight straight(const std::string& id, int epochs) {
    Straight s;
    s.trainer = fresh(id, epochs);
    s.trainer->run({}, collect(s.losses));
    return s;
}

void iterativeModels() {
    QTest::addColumn<QString>("id");
    for (const auto& m : modelCatalog())
        if (createModel(m.id)->iterative()) QTest::newRow(m.id.c_str()) << QString::fromStdString(m.id);
}

// Mult-VAE with the largest learning rate the form allows and no KL term: the loss turns NaN
// after a few epochs.
Config divergingConfig(int hidden, int latent) {
    return {{"hidden_dims", {hidden}}, {"latent_dim", latent}, {"batch_size", 32},
            {"learning_rate", 1.0}, {"anneal_cap", 0.0}};
}

std::string readBytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

class ResumeTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void everyIterativeModelIsCovered() {
        // The product's iterative models (issue 5); a new one joins the data-driven tests.
        std::vector<std::string> ids;
        for (const auto& m : modelCatalog())
            if (createModel(m.id)->iterative()) ids.push_back(m.id);
        QCOMPARE(ids, (std::vector<std::string>{"mult-vae", "mult-dae", "vamp", "hvamp",
                                                "hvamp-gated", "bivae", "recvae"}));
    }

    // 4 epochs straight against 2 epochs, a checkpoint file, a brand-new Trainer from the
    // file (with another thread count), and 2 more.
    void resumesExactly_data() { iterativeModels(); }
    void resumesExactly() {
        QFETCH(QString, id);
        const std::string mid = id.toStdString();
        const Straight s = straight(mid, 4);
        QCOMPARE(s.trainer->epochsRun(), 4);

        vaecf::test::TempDir dir;
        const auto path = dir / "run.ckpt";
        std::vector<double> losses;
        {
            auto first = fresh(mid, 4);
            first->runEpoch({}, collect(losses));
            first->runEpoch({}, collect(losses));
            saveCheckpointFile(path, first->checkpoint());
        }
        const Checkpoint ck = loadCheckpointFile(path);
        QCOMPARE(ck.modelId, mid);
        QCOMPARE(ck.epochsRun(), 2);
        QCOMPARE(ck.totalEpochs, 4);
        QCOMPARE(ck.options.seed, std::uint64_t{4242});
        QCOMPARE(ck.splitFingerprint, split().fingerprintHex());
        ResumeOptions ro;
        ro.threads = 1;  // the thread count does not change the result
        Trainer second(split(), ck, ro);
        QCOMPARE(second.epochsRun(), 2);
        QVERIFY(!second.done());
        second.run({}, collect(losses));
        QCOMPARE(second.epochsRun(), 4);

        QCOMPARE(losses.size(), s.losses.size());
        for (std::size_t k = 0; k < losses.size(); ++k)
            QVERIFY2(sameBits(losses[k], s.losses[k]),
                     qPrintable(QString("batch %1: %2 resumed, %3 straight").arg(k).arg(losses[k], 0, 'g', 17).arg(s.losses[k], 0, 'g', 17)));
        COMPARE_HISTORY(second.history(), s.trainer->history());
        QCOMPARE(second.bestEpoch(), s.trainer->bestEpoch());
        QVERIFY(sameBits(second.bestValue(), s.trainer->bestValue()));
        COMPARE_TENSORS(second.model().state(), s.trainer->model().state());
        // The best weights too.
        second.restoreBest();
        s.trainer->restoreBest();
        COMPARE_TENSORS(second.model().parameters(), s.trainer->model().parameters());
        // The record says where the run was resumed.
        QCOMPARE(second.record()["resumed_after_epochs"], nlohmann::json::array({2}));
        QVERIFY(!s.trainer->record().contains("resumed_after_epochs"));
    }

    // A checkpoint written again from a resumed trainer holds the same bytes as one written by
    // the straight run at the same epoch (everything but the resume history and timings).
    void checkpointsRoundTrip_data() { iterativeModels(); }
    void checkpointsRoundTrip() {
        QFETCH(QString, id);
        const std::string mid = id.toStdString();
        auto t = fresh(mid, 3);
        t->runEpoch();
        t->runEpoch();
        const Checkpoint a = t->checkpoint();
        vaecf::test::TempDir dir;
        saveCheckpointFile(dir / "a.ckpt", a);
        const Checkpoint b = loadCheckpointFile(dir / "a.ckpt");
        COMPARE_TENSORS(b.modelState, a.modelState);
        COMPARE_TENSORS(b.bestParameters, a.bestParameters);
        COMPARE_HISTORY(b.history, a.history);
        for (std::size_t k = 0; k < a.history.size(); ++k)
            QVERIFY(sameBits(a.history[k].trainSeconds, b.history[k].trainSeconds));
        QCOMPARE(b.bestEpoch, a.bestEpoch);
        QVERIFY(sameBits(b.bestValue, a.bestValue));
        QCOMPARE(b.config, a.config);
        QCOMPARE(b.options.selectBy, std::string("ndcg@100"));
        QCOMPARE(b.source, (dir / "a.ckpt").string());
        // Restored and written again: the same file.
        Trainer r(split(), b);
        saveCheckpointFile(dir / "b.ckpt", [&] {
            Checkpoint c = r.checkpoint();
            c.resumedAfter.clear();
            return c;
        }());
        QCOMPARE(readBytes(dir / "b.ckpt"), readBytes(dir / "a.ckpt"));
        // Trainer::saveCheckpoint writes the same file without copying the state.
        t->saveCheckpoint(dir / "c.ckpt");
        QCOMPARE(readBytes(dir / "c.ckpt"), readBytes(dir / "a.ckpt"));
        // The checkpoint is the epoch boundary also after restoreBest().
        t->restoreBest();
        COMPARE_TENSORS(t->checkpoint().modelState, a.modelState);
    }

    // A stop request in the middle of epoch 3 takes effect after the current batch; the
    // partial epoch is dropped, and both the same trainer and a new one from the last
    // checkpoint finish exactly like the straight run.
    void midEpochStopResumesFromTheBoundary_data() { iterativeModels(); }
    void midEpochStopResumesFromTheBoundary() {
        QFETCH(QString, id);
        const std::string mid = id.toStdString();
        const Straight s = straight(mid, 4);

        vaecf::test::TempDir dir;
        auto t = fresh(mid, 4);
        std::vector<double> losses;
        t->runEpoch({}, collect(losses));
        t->runEpoch({}, collect(losses));
        saveCheckpointFile(dir / "run.ckpt", t->checkpoint());
        const TensorMap boundary = t->model().state();

        std::stop_source stop;
        int seen = 0, afterRequest = 0;
        const EpochReport partial = t->runEpoch(stop.get_token(), [&](const BatchProgress& p) {
            QCOMPARE(p.epoch, 3);
            if (stop.stop_requested()) ++afterRequest;
            if (++seen == 2) stop.request_stop();
        });
        QVERIFY(partial.stopped);
        QVERIFY(!partial.diverged);
        QCOMPARE(seen, 2);          // the stop took effect within the batch it was asked in
        QCOMPARE(afterRequest, 0);
        QCOMPARE(t->epochsRun(), 2);
        QVERIFY(!t->done());
        // Back at the boundary.
        COMPARE_TENSORS(t->model().state(), boundary);
        COMPARE_TENSORS(t->checkpoint().modelState, boundary);

        // From the file, in a new trainer.
        std::vector<double> resumed = losses;
        Trainer fromFile(split(), loadCheckpointFile(dir / "run.ckpt"));
        fromFile.run({}, collect(resumed));
        QCOMPARE(resumed.size(), s.losses.size());
        for (std::size_t k = 0; k < resumed.size(); ++k) QVERIFY(sameBits(resumed[k], s.losses[k]));
        COMPARE_HISTORY(fromFile.history(), s.trainer->history());
        QCOMPARE(fromFile.bestEpoch(), s.trainer->bestEpoch());
        COMPARE_TENSORS(fromFile.model().state(), s.trainer->model().state());

        // The same trainer, going on.
        std::vector<double> goingOn = losses;
        t->run({}, collect(goingOn));
        QCOMPARE(goingOn.size(), s.losses.size());
        for (std::size_t k = 0; k < goingOn.size(); ++k) QVERIFY(sameBits(goingOn[k], s.losses[k]));
        COMPARE_HISTORY(t->history(), s.trainer->history());
        COMPARE_TENSORS(t->model().state(), s.trainer->model().state());
    }

    void refusesAnotherSplitOrConfig() {
        vaecf::test::TempDir dir;
        const auto path = dir / "run.ckpt";
        auto t = fresh("mult-vae", 3);
        t->runEpoch();
        saveCheckpointFile(path, t->checkpoint());
        const Checkpoint ck = loadCheckpointFile(path);
        const std::string p = path.string();

        const Split other = clusterSplit(400, 60, 4, 10, 8);
        VAECF_EXPECT_ERROR(Trainer(other, ck),
                           p + ": the checkpoint was written for another split (split_fingerprint " +
                               split().fingerprintHex() + ", this split " + other.fingerprintHex() +
                               "): resume with the same data and split options");
        Config cfg = smallConfig("mult-vae");
        cfg["latent_dim"] = 16;
        VAECF_EXPECT_ERROR(Trainer(split(), ck, {}, createModel("mult-vae", cfg)),
                           p + ": the checkpoint's model config differs in 'latent_dim' "
                               "(checkpoint 8, given 16)");
        VAECF_EXPECT_ERROR(Trainer(split(), ck, {}, createModel("mult-dae")),
                           p + ": the checkpoint's model is mult-vae, not mult-dae");
        ResumeOptions fewer;
        fewer.epochs = 0;
        Trainer sameTotal(split(), ck, fewer);
        QCOMPARE(sameTotal.totalEpochs(), 3);
        // More epochs than planned: the run is extended.
        ResumeOptions more;
        more.epochs = 5;
        QCOMPARE(Trainer(split(), ck, more).totalEpochs(), 5);
        // Closed-form models have no checkpoints.
        Trainer ease(split(), createModel("ease"), options(1, 1));
        VAECF_EXPECT_ERROR(ease.checkpoint(), "trainer: ease fits in one step: its runs have no checkpoints");
    }

    // A checkpoint whose config leaves out settings that have defaults, or writes an integer
    // as 8.0, loads (the loader validates it through createModel); the command line resumes it
    // with createModel(ck.modelId, ck.config), the app lets the trainer create the model: both
    // must take it and train alike, so the configs are compared with the defaults filled in.
    void configsAreComparedWithTheirDefaults() {
        vaecf::test::TempDir dir;
        const auto path = dir / "run.ckpt";
        auto t = fresh("mult-vae", 3, 1);
        t->runEpoch();
        Checkpoint written = t->checkpoint();
        written.config = smallConfig("mult-vae");  // dropout, l2, learning_rate ... left out
        written.config["latent_dim"] = 8.0;
        saveCheckpointFile(path, written);
        const Checkpoint ck = loadCheckpointFile(path);
        QVERIFY(!ck.config.contains("dropout"));
        const std::string p = path.string();
        ResumeOptions ro;
        ro.threads = 1;
        Trainer own(split(), ck, ro);
        Trainer given(split(), ck, ro, createModel(ck.modelId, ck.config));
        QCOMPARE(given.model().config(), own.model().config());
        own.run();
        given.run();
        QCOMPARE(given.epochsRun(), 3);
        COMPARE_HISTORY(given.history(), own.history());
        COMPARE_TENSORS(given.model().state(), own.model().state());
        // A setting the checkpoint leaves out differs from the given one: named with its default.
        Config cfg = smallConfig("mult-vae");
        cfg["dropout"] = 0.25;
        VAECF_EXPECT_ERROR(Trainer(split(), ck, ro, createModel("mult-vae", cfg)),
                           p + ": the checkpoint's model config differs in 'dropout' "
                               "(checkpoint unset, default 0.5, given 0.25)");
    }

    void refusesDamagedFiles() {
        vaecf::test::TempDir dir;
        const auto path = dir / "run.ckpt";
        auto t = fresh("mult-vae", 3);
        t->runEpoch();
        saveCheckpointFile(path, t->checkpoint());
        const std::string good = readBytes(path);
        const std::string p = path.string();

        std::string flipped = good;
        flipped[flipped.size() / 2] ^= 0x40;
        vaecf::test::writeFile(path, flipped);
        VAECF_EXPECT_ERROR(loadCheckpointFile(path),
                           p + ": the checkpoint is corrupted or truncated (checksum mismatch)");
        vaecf::test::writeFile(path, good.substr(0, good.size() - 100));
        VAECF_EXPECT_ERROR(loadCheckpointFile(path),
                           p + ": the checkpoint is corrupted or truncated (checksum mismatch)");
        vaecf::test::writeFile(path, "not a checkpoint");
        VAECF_EXPECT_ERROR(loadCheckpointFile(path),
                           p + ": not a VAE-CF Studio checkpoint (the magic header is missing)");
        VAECF_EXPECT_ERROR(loadCheckpointFile(dir / "missing.ckpt"),
                           (dir / "missing.ckpt").string() + ": cannot open the checkpoint: No such file or directory");

        // A model file is not a checkpoint, and the other way round.
        const auto model = dir / "m.vaecf";
        saveModelFile(model, t->model(), ModelMeta{});
        VAECF_EXPECT_ERROR(loadCheckpointFile(model),
                           model.string() + ": this is a model file, not a training checkpoint");
        vaecf::test::writeFile(path, good);
        VAECF_EXPECT_ERROR(loadModelFile(path),
                           p + ": this is a training checkpoint, not a model file; continue the run "
                               "with vaecf train --resume " + p);
        QCOMPARE(loadCheckpointFile(path).epochsRun(), 1);
    }

    // A learning rate far too high (the largest the form allows, without the KL term): the
    // loss turns NaN in some batch; training stops in that batch, keeps the best epoch's
    // weights (bit for bit, finite) and explains itself. No exception.
    void divergenceKeepsTheBestWeights() {
        Trainer t(split(), createModel("mult-vae", divergingConfig(16, 8)), options(60, 2));
        std::map<int, TensorMap> paramsAt;
        std::vector<BatchProgress> batches;
        t.run({}, [&](const BatchProgress& p) { batches.push_back(p); },
              [&](const EpochReport& r) { paramsAt[r.epoch] = t.model().parameters(); });
        QVERIFY2(t.diverged(), "the learning rate did not make the loss diverge");
        QVERIFY(t.done());
        QVERIFY(!t.stoppedEarly());
        // The batch with the non-finite loss is the last one run: the stop took effect at once.
        QVERIFY(!batches.empty());
        const BatchProgress& last = batches.back();
        QVERIFY(std::isnan(last.terms.loss));
        for (std::size_t k = 0; k + 1 < batches.size(); ++k) QVERIFY(std::isfinite(batches[k].terms.loss));
        const int epoch = t.epochsRun() + 1;
        QCOMPARE(last.epoch, epoch);
        QVERIFY2(t.bestEpoch() > 0 && t.bestEpoch() < t.epochsRun(),
                 qPrintable(QString("best %1 of %2").arg(t.bestEpoch()).arg(t.epochsRun())));
        const std::string expected =
            "training stopped in epoch " + std::to_string(epoch) + ", batch " +
            std::to_string(last.batch + 1) + ": the loss is NaN; the weights of epoch " +
            std::to_string(t.bestEpoch()) + " (the best) are kept; try a lower learning rate "
            "(learning_rate = 1)";
        QCOMPARE(t.divergence(), expected);
        QCOMPARE(t.record()["diverged"].get<std::string>(), expected);
        QCOMPARE(t.history().size(), std::size_t(epoch - 1));  // the diverged epoch is not recorded
        COMPARE_TENSORS(t.model().parameters(), paramsAt.at(t.bestEpoch()));
        for (const auto& [name, tensor] : t.model().parameters())
            for (float v : tensor.data) QVERIFY2(std::isfinite(v), name.c_str());
        // restoreBest() changes nothing; the kept model scores.
        t.restoreBest();
        COMPARE_TENSORS(t.model().parameters(), paramsAt.at(t.bestEpoch()));
        const MetricReport test = t.evaluate(split().test);
        QVERIFY(std::isfinite(test.get("ndcg@100")) && test.get("ndcg@100") > 0);
        std::vector<float> scores(static_cast<std::size_t>(split().numItems()));
        t.model().score(split().test.foldIn, 0, 1, scores.data());
        for (float v : scores) QVERIFY(std::isfinite(v));
        // No more epochs, and no checkpoint of a diverged run.
        VAECF_EXPECT_ERROR(t.runEpoch(), "trainer: " + expected);
        VAECF_EXPECT_ERROR(t.checkpoint(), "trainer: no checkpoint after a divergence (" + expected + ")");
    }

    // Without validation the weights of the last complete epoch are kept, or the initial
    // ones when the first epoch diverges.
    void divergenceWithoutValidationKeepsTheLastEpoch() {
        for (const auto& [hidden, latent] : {std::pair{16, 8}, std::pair{64, 32}}) {
            TrainOptions o = options(60, 2);
            o.validate = false;
            Trainer t(split(), createModel("mult-vae", divergingConfig(hidden, latent)), o);
            TensorMap lastParams = t.model().parameters();
            std::int64_t lastBatch = -1;
            t.run({}, [&](const BatchProgress& p) { lastBatch = p.batch; },
                  [&](const EpochReport&) { lastParams = t.model().parameters(); });
            QVERIFY(t.diverged());
            QCOMPARE(t.bestEpoch(), 0);
            const std::string kept =
                t.epochsRun() > 0 ? "the weights of epoch " + std::to_string(t.epochsRun()) + " (the last complete one) are kept"
                                  : std::string("the initial weights are kept");
            QCOMPARE(t.divergence(), "training stopped in epoch " + std::to_string(t.epochsRun() + 1) +
                                         ", batch " + std::to_string(lastBatch + 1) + ": the loss is NaN; " +
                                         kept + "; try a lower learning rate (learning_rate = 1)");
            // Both cases occur: the small model diverges later than the large one.
            QCOMPARE(t.epochsRun() > 0, hidden == 16);
            COMPARE_TENSORS(t.model().parameters(), lastParams);
        }
    }

    // Weights or optimizer moments that overflow while the loss stays finite end training
    // after the epoch, naming the tensor.
    void nonFiniteStateEndsTraining() {
        const Config cfg{{"hidden_dim", 16}, {"latent_dim", 8}, {"batch_size", 16}, {"learning_rate", 1.0}};
        Trainer t(split(), createModel("recvae", cfg), options(40, 2));
        std::map<int, TensorMap> paramsAt;
        t.run({}, {}, [&](const EpochReport& r) { paramsAt[r.epoch] = t.model().parameters(); });
        QVERIFY(t.diverged());
        const std::string& why = t.divergence();
        const std::string head = "training stopped after epoch " + std::to_string(t.epochsRun() + 1) +
                                 ": the model state holds non-finite values (in '";
        QVERIFY2(why.rfind(head, 0) == 0, why.c_str());
        QVERIFY2(why.find("'); the weights of epoch " + std::to_string(t.bestEpoch()) +
                          " (the best) are kept; try a lower learning rate (learning_rate = 1)") != std::string::npos,
                 why.c_str());
        COMPARE_TENSORS(t.model().parameters(), paramsAt.at(t.bestEpoch()));
    }

    // Exact resume also for other settings that change what a model keeps between epochs.
    void variantsResumeExactly_data() {
        QTest::addColumn<QString>("id");
        QTest::addColumn<QString>("config");
        QTest::newRow("mult-vae constant beta, no dropout")
            << "mult-vae" << R"({"hidden_dims":[16],"latent_dim":8,"batch_size":64,"beta_schedule":"constant","dropout":0})";
        QTest::newRow("mult-vae with l2 (dense first layer)")
            << "mult-vae" << R"({"hidden_dims":[16],"latent_dim":8,"batch_size":64,"l2":0.001})";
        QTest::newRow("vamp anneal, plain adam, bernoulli")
            << "vamp" << R"({"hidden_size":16,"latent_dim":8,"pseudo_inputs":6,"batch_size":64,"beta_schedule":"anneal","total_anneal_steps":7,"optimizer":"adam","likelihood":"bernoulli"})";
        QTest::newRow("vamp two layers, gated")
            << "vamp" << R"({"hidden_size":16,"num_layers":2,"gated":true,"latent_dim":8,"pseudo_inputs":6,"batch_size":64})";
        QTest::newRow("hvamp one layer, no pseudo dropout")
            << "hvamp" << R"({"hidden_size":16,"num_layers":1,"z1_size":4,"z2_size":4,"pseudo_inputs":6,"batch_size":64,"pseudo_dropout":false})";
        QTest::newRow("bivae bernoulli relu")
            << "bivae" << R"({"latent_dim":4,"encoder_dims":[8],"batch_size":64,"likelihood":"bernoulli","activation":"relu"})";
        QTest::newRow("recvae joint (not alternating)")
            << "recvae" << R"({"hidden_dim":16,"latent_dim":8,"batch_size":64,"alternating":false})";
        QTest::newRow("recvae one encoder pass, constant beta")
            << "recvae" << R"({"hidden_dim":16,"latent_dim":8,"batch_size":64,"n_enc_epochs":1,"n_dec_epochs":2,"beta":0.5})";
    }
    void variantsResumeExactly() {
        QFETCH(QString, id);
        QFETCH(QString, config);
        const std::string mid = id.toStdString();
        const Config cfg = Config::parse(config.toStdString());
        std::vector<double> straightLosses, losses;
        Trainer s(split(), createModel(mid, cfg), options(4, 2));
        s.run({}, collect(straightLosses));
        vaecf::test::TempDir dir;
        {
            Trainer first(split(), createModel(mid, cfg), options(4, 2));
            first.runEpoch({}, collect(losses));
            // A stop in epoch 2, then epoch 2 again in full.
            std::stop_source stop;
            first.runEpoch(stop.get_token(), [&](const BatchProgress&) { stop.request_stop(); });
            first.runEpoch({}, collect(losses));
            saveCheckpointFile(dir / "c.ckpt", first.checkpoint());
        }
        Trainer second(split(), loadCheckpointFile(dir / "c.ckpt"), ResumeOptions{1, 0, 0});
        second.run({}, collect(losses));
        QCOMPARE(losses.size(), straightLosses.size());
        for (std::size_t k = 0; k < losses.size(); ++k) QVERIFY(sameBits(losses[k], straightLosses[k]));
        COMPARE_HISTORY(second.history(), s.history());
        COMPARE_TENSORS(second.model().state(), s.model().state());
    }
};

QTEST_GUILESS_MAIN(ResumeTest)
#include "resume_test.moc"
