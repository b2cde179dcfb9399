// SPDX-License-Identifier: MIT
// Mult-VAE / Mult-DAE: finite-difference checks of the hand-written backward pass, learning on
// clustered data, determinism, and model-file round trips with corrupted-file messages.
#include <cmath>
#include <fstream>

#include "fixtures.h"
#include "test_util.h"
#include "vaecf/error.h"
#include "vaecf/model_file.h"
#include "vaecf/mult_vae.h"
#include "vaecf/popularity.h"
#include "vaecf/trainer.h"

using namespace vaecf::core;
using vaecf::test::clusterSplit;

namespace {

// Central differences of the batch loss for a sample of entries of every parameter tensor,
// compared with the analytic gradient. Dropout masks and ε are fixed by the noise seed, so
// the loss is a deterministic smooth function of the parameters.
void checkGradient(MultVae& m, const CsrMatrix& rows, bool training, double beta) {
    TensorMap grad;
    m.batchLoss(rows, 0, rows.rows, 1234, training, beta, &grad);
    Rng pick(99);
    int checked = 0;
    for (const auto& [name, g] : grad) {
        std::vector<float>& w = m.parameter(name);
        for (int s = 0; s < 12; ++s) {
            const std::size_t k = pick.below(w.size());
            const float orig = w[k];
            const float h = 1e-2f * std::max(1.0f, std::abs(orig));
            w[k] = orig + h;
            const double up = m.batchLoss(rows, 0, rows.rows, 1234, training, beta, nullptr).loss;
            w[k] = orig - h;
            const double down = m.batchLoss(rows, 0, rows.rows, 1234, training, beta, nullptr).loss;
            w[k] = orig;
            const double numeric = (up - down) / (2.0 * h);
            const double analytic = g.data[k];
            const double tol = 2e-3 + 2e-2 * std::max(std::abs(numeric), std::abs(analytic));
            if (std::abs(numeric - analytic) > tol)
                QFAIL(qPrintable(QString("%1[%2]: analytic %3, numeric %4")
                                     .arg(QString::fromStdString(name))
                                     .arg(k)
                                     .arg(analytic)
                                     .arg(numeric)));
            ++checked;
        }
    }
    QVERIFY(checked >= 12 * 6);
}

CsrMatrix smallRows() {
    // 6 users x 9 items, 1-4 items each, one user with a repeated pattern.
    return CsrMatrix::fromTriplets(6, 9, {0, 0, 1, 1, 1, 2, 3, 3, 3, 3, 4, 5, 5},
                                   {0, 3, 1, 2, 8, 5, 0, 4, 6, 7, 2, 1, 3}, {});
}

}  // namespace

class MultVaeTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void vaeGradientMatchesFiniteDifferences() {
        // Two hidden layers so that every kind of layer (sparse input, dense tanh, the
        // [μ | log σ²] head, decoder hidden, output) is exercised; dropout and sampling on.
        MultVae m(true, {{"hidden_dims", {7, 5}}, {"latent_dim", 3}, {"dropout", 0.3}});
        const CsrMatrix rows = smallRows();
        m.initialize(rows, 5);
        checkGradient(m, rows, true, 0.7);
        checkGradient(m, rows, false, 0.2);
    }

    void daeGradientMatchesFiniteDifferencesWithPenalty() {
        MultVae m(false, {{"hidden_dims", {6}}, {"latent_dim", 4}, {"l2", 0.01}});
        const CsrMatrix rows = smallRows();
        m.initialize(rows, 6);
        checkGradient(m, rows, true, 0.0);
    }

    void lossTermsAreConsistent() {
        MultVae m(true, {{"hidden_dims", {8}}, {"latent_dim", 3}});
        const CsrMatrix rows = smallRows();
        m.initialize(rows, 1);
        const LossTerms t = m.batchLoss(rows, 0, rows.rows, 7, false, 0.5, nullptr);
        QVERIFY(t.recon > 0 && t.kl >= 0);
        QVERIFY(std::abs(t.loss - (t.recon + 0.5 * t.kl)) < 1e-9);
        // At initialization the logits are near zero: NLL ≈ Σ_u n_u log(9) / 6.
        const double expected = 13.0 * std::log(9.0) / 6.0;
        QVERIFY(std::abs(t.recon - expected) < 0.05 * expected);
    }

    void betaAnnealsAsTheNotebook() {
        const auto s = clusterSplit();
        MultVae m(true, {{"hidden_dims", {16}}, {"latent_dim", 4}, {"batch_size", 100},
                         {"anneal_cap", 0.2}, {"total_anneal_steps", 10}});
        m.initialize(s.train, 1);
        std::vector<double> betas;
        m.trainEpoch(s.train, 1, [&](const BatchProgress& p) { betas.push_back(p.terms.beta); }, {});
        // 300 users / 100 = 3 updates; β = min(0.2, updates_before / 10) = 0, 0.1, 0.2.
        QCOMPARE(betas.size(), std::size_t(3));
        QCOMPARE(betas[0], 0.0);
        QVERIFY(std::abs(betas[1] - 0.1) < 1e-12);
        QVERIFY(std::abs(betas[2] - 0.2) < 1e-12);
        QVERIFY(std::abs(m.currentBeta() - 0.2) < 1e-12);  // capped from now on
    }

    void learnsClustersFarAbovePopularity() {
        const Split s = clusterSplit();
        TrainOptions o;
        o.epochs = 40;
        o.seed = 3;
        o.metrics.ndcgK = 20;
        o.metrics.recallKs = {5, 10};
        Trainer vae(s, createModel("mult-vae", {{"hidden_dims", {32}}, {"latent_dim", 8},
                                                {"batch_size", 50}, {"learning_rate", 3e-3}}),
                    o);
        vae.run();
        vae.restoreBest();
        const double ndcgVae = vae.evaluate(s.test).get("ndcg@20");
        Trainer pop(s, createModel("popularity"), o);
        pop.run();
        const double ndcgPop = pop.evaluate(s.test).get("ndcg@20");
        qInfo("test NDCG@20: Mult-VAE %.3f, popularity %.3f", ndcgVae, ndcgPop);
        QVERIFY(ndcgVae > 0.4);
        QVERIFY(ndcgVae > 2.0 * ndcgPop);
        QVERIFY(vae.bestEpoch() > 1);
        // The loss went down.
        QVERIFY(vae.history().back().train.recon < vae.history().front().train.recon);
    }

    void identicalLossesForSameSeedAnyThreadCount() {
        const Split s = clusterSplit();
        auto run = [&](int threads, std::uint64_t seed) {
            TrainOptions o;
            o.epochs = 3;
            o.seed = seed;
            o.threads = threads;
            Trainer t(s, createModel("mult-vae", {{"hidden_dims", {16}}, {"latent_dim", 4},
                                                  {"batch_size", 64}}),
                      o);
            std::vector<double> losses;
            t.run({}, [&](const BatchProgress& p) { losses.push_back(p.terms.loss); });
            return losses;
        };
        const auto a = run(2, 11), b = run(2, 11), c = run(1, 11), d = run(2, 12);
        QCOMPARE(a, b);
        QCOMPARE(a, c);   // the kernels promise bitwise-identical results for any thread count
        QVERIFY(a != d);  // and the seed matters
    }

    void decodeOfTheEncodingIsTheScore() {
        // score() runs the decoder on the posterior mean (VAE) or the code (DAE), so decoding
        // what encode() returns gives the same logits.
        const Split s = clusterSplit();
        for (const bool variational : {true, false}) {
            MultVae m(variational, {{"hidden_dims", {12}}, {"latent_dim", 5}, {"batch_size", 100}});
            m.initialize(s.train, 4);
            for (int e = 1; e <= 3; ++e) m.trainEpoch(s.train, e, {}, {});
            QVERIFY(m.hasDecoder());
            const CsrMatrix& rows = s.test.foldIn;
            const std::int64_t n = rows.rows, N = m.numItems(), K = m.latentDim();
            std::vector<float> mu(static_cast<std::size_t>(n * K)), scored(static_cast<std::size_t>(n * N)),
                decoded(scored.size(), -1.0f);
            m.encode(rows, 0, n, mu.data(), nullptr);
            m.score(rows, 0, n, scored.data());
            m.decode(mu.data(), n, decoded.data());
            float worst = 0;
            for (std::size_t i = 0; i < scored.size(); ++i)
                worst = std::max(worst, std::abs(scored[i] - decoded[i]));
            QVERIFY2(worst <= 1e-5f * (1.0f + std::abs(scored[0])), qPrintable(QString::number(worst)));
            // One point alone decodes like in a batch (rows are independent).
            std::vector<float> one(static_cast<std::size_t>(N));
            m.decode(mu.data() + 2 * K, 1, one.data());
            for (std::int64_t i = 0; i < N; ++i) QVERIFY(std::abs(one[i] - decoded[2 * N + i]) <= 1e-5f);
            VAECF_EXPECT_ERROR(m.decode(nullptr, 1, one.data()), "decode: null latent points");
            VAECF_EXPECT_ERROR(m.decode(mu.data(), -1, one.data()), "decode: negative point count -1");
        }
        MultVae untrained(true, {{"latent_dim", 3}});
        float z[3] = {}, out[1];
        VAECF_EXPECT_ERROR(untrained.decode(z, 1, out), "decode mult-vae: the model is not trained");
        VAECF_EXPECT_ERROR(createModel("popularity")->decode(z, 1, out), "has no decoder");
    }

    void saveLoadScoresIdentically() {
        const Split s = clusterSplit();
        vaecf::test::TempDir dir;
        for (const std::string id : {"mult-vae", "mult-dae", "popularity"}) {
            TrainOptions o;
            o.epochs = 2;
            Trainer t(s, createModel(id, id == "popularity" ? Config::object()
                                                             : Config{{"latent_dim", 6}}),
                      o);
            t.run();
            ModelMeta meta;
            meta.itemIds = s.itemIds;
            meta.datasetName = s.datasetName;
            meta.splitFingerprint = "0123456789abcdef";
            meta.training = {{"best_epoch", t.bestEpoch()}};
            const auto path = dir / (id + ".vaecf");
            saveModelFile(path, t.model(), meta);
            const LoadedModel lm = loadModelFile(path);
            QCOMPARE(lm.model->info().id, id);
            QCOMPARE(lm.model->config(), t.model().config());
            QCOMPARE(lm.meta.itemIds, s.itemIds);
            QCOMPARE(lm.meta.splitFingerprint, std::string("0123456789abcdef"));
            const auto n = s.test.foldIn.rows;
            std::vector<float> a(static_cast<std::size_t>(n * s.numItems())), b(a.size());
            t.model().score(s.test.foldIn, 0, n, a.data());
            lm.model->score(s.test.foldIn, 0, n, b.data());
            QCOMPARE(a, b);
        }
    }

    void corruptedModelFilesAreRefused() {
        const Split s = clusterSplit();
        vaecf::test::TempDir dir;
        TrainOptions o;
        o.epochs = 1;
        Trainer t(s, createModel("mult-dae", {{"latent_dim", 5}}), o);
        t.run();
        const auto path = dir / "m.vaecf";
        saveModelFile(path, t.model(), {s.itemIds, {}, "clusters", "", {}});
        std::ifstream in(path, std::ios::binary);
        const std::string good((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const std::string p = path.string();

        std::string flipped = good;
        flipped[flipped.size() / 2] ^= 0x10;
        vaecf::test::writeFile(path, flipped);
        VAECF_EXPECT_ERROR(loadModelFile(path),
                           p + ": the model file is corrupted or truncated (checksum mismatch)");

        vaecf::test::writeFile(path, good.substr(0, good.size() - 100));
        VAECF_EXPECT_ERROR(loadModelFile(path), "corrupted or truncated");

        std::string future = good;
        future[8] = 7;
        vaecf::test::writeFile(path, future);
        VAECF_EXPECT_ERROR(loadModelFile(path),
                           p + ": model format version 7 is not supported (this build reads "
                               "version 1)");

        vaecf::test::writeFile(path, "userId,movieId\n1,2\n");
        VAECF_EXPECT_ERROR(loadModelFile(path),
                           p + ": not a VAE-CF Studio model file (the magic header is missing)");

        VAECF_EXPECT_ERROR(loadModelFile(dir / "missing.vaecf"), "cannot open the model file");
        // A failed save leaves the existing file alone.
        vaecf::test::writeFile(path, good);
        VAECF_EXPECT_ERROR(saveModelFile(dir / "no-such-folder" / "m.vaecf", t.model(), {}),
                           "does not exist");
        QVERIFY(loadModelFile(path).model != nullptr);
    }

    void absurdSizesAreRefusedBeforeAllocating() {
        MultVae m(true, {{"hidden_dims", {65536, 65536}}, {"latent_dim", 4096}});
        CsrMatrix wide;
        wide.cols = 2000000;
        VAECF_EXPECT_ERROR(m.initialize(wide, 1), "mult-vae: these hyperparameters need about ");
        VAECF_EXPECT_ERROR(m.initialize(wide, 1), "lower hidden_dims, latent_dim or batch_size");
    }

    void hyperparametersAreValidatedWithTheFieldName() {
        VAECF_EXPECT_ERROR(createModel("mult-vae", {{"anneal_cap", 12}}),
                           "mult-vae: hyperparameter 'anneal_cap' (β_max) must be in [0, 10], got 12");
        VAECF_EXPECT_ERROR(createModel("mult-vae", {{"latent_dim", 2.5}}),
                           "'latent_dim' (K) must be an integer, got 2.5");
        VAECF_EXPECT_ERROR(createModel("mult-vae", {{"hiden_dims", {600}}}),
                           "mult-vae: unknown hyperparameter 'hiden_dims'");
        VAECF_EXPECT_ERROR(createModel("mult-vae", {{"beta_schedule", "cyclic"}}),
                           "must be one of anneal, constant, got \"cyclic\"");
        VAECF_EXPECT_ERROR(createModel("vae-cf"), "unknown model 'vae-cf' (known: mult-vae");
        const auto m = createModel("mult-dae");
        QCOMPARE(m->config()["l2"].get<double>(), 2e-5);
        QCOMPARE(m->config()["latent_dim"].get<int>(), 200);
        QVERIFY(m->config()["hidden_dims"].empty());
    }
};

QTEST_APPLESS_MAIN(MultVaeTest)
#include "mult_vae_test.moc"
