// SPDX-License-Identifier: MIT
// RecVAE: finite-difference checks of the hand-written backward pass (swish, LayerNorm, the
// dense residual sums, the composite prior's log-sum-exp, the per-user KL weights), the prior
// and the β_u = γ|x_u| weighting against hand-computed values, the alternating schedule,
// exact resume, learning on clustered data, determinism and hyperparameter messages.
#include <cmath>
#include <numbers>

#include "fixtures.h"
#include "grad_check.h"
#include "test_util.h"
#include "vaecf/error.h"
#include "vaecf/recvae.h"
#include "vaecf/trainer.h"

using namespace vaecf::core;
using vaecf::test::clusterSplit;

namespace {

// 6 users x 9 items with 1 to 4 items each: different |x_u|, so different β_u.
CsrMatrix smallRows() {
    return CsrMatrix::fromTriplets(6, 9, {0, 0, 1, 1, 1, 2, 3, 3, 3, 3, 4, 5, 5},
                                   {0, 3, 1, 2, 8, 5, 0, 4, 6, 7, 2, 1, 3}, {});
}

// A tiny model; `extra` overrides the defaults. γ is large so that the KL gradient is of the
// same order as the likelihood's and a mistake in it cannot hide under the tolerance.
Config tiny(const Config& extra = Config::object()) {
    Config c{{"hidden_dim", 6}, {"latent_dim", 3}, {"dropout", 0.3}, {"gamma", 0.5},
             {"batch_size", 2}};
    for (const auto& [k, v] : extra.items()) c[k] = v;
    return c;
}

void expectGradient(RecVae& m, const CsrMatrix& rows, bool training) {
    vaecf::test::GradCheckOptions o;
    o.training = training;
    o.samplesPerTensor = 16;
    o.relativeStep = 1e-3f;
    int checked = 0;
    const QString msg = vaecf::test::checkGradient(m, rows, o, &checked);
    QVERIFY2(msg.isEmpty(), qPrintable(msg));
    // 5 dense + 5 LayerNorm layers, two heads and the decoder, weights and biases each.
    QCOMPARE(checked, 16 * 2 * 13);
}

std::vector<float> scoresOf(const Model& m, const CsrMatrix& rows) {
    std::vector<float> out(static_cast<std::size_t>(rows.rows * m.numItems()));
    m.score(rows, 0, rows.rows, out.data());
    return out;
}

// Names of the tensors of one part of the model ("encoder.", "old_encoder.", "decoder.").
std::vector<std::string> partNames(const TensorMap& p, const std::string& prefix) {
    std::vector<std::string> v;
    for (const auto& [name, t] : p)
        if (name.rfind(prefix, 0) == 0) v.push_back(name);
    return v;
}

bool sameTensors(const TensorMap& a, const TensorMap& b, const std::string& prefix) {
    for (const auto& name : partNames(a, prefix))
        if (a.at(name).data != b.at(name).data) return false;
    return true;
}

// True when no tensor of the part is bitwise the same as before.
bool allChanged(const TensorMap& a, const TensorMap& b, const std::string& prefix) {
    for (const auto& name : partNames(a, prefix))
        if (a.at(name).data == b.at(name).data) return false;
    return true;
}

// The old encoder holds exactly the encoder's tensors.
bool oldIsEncoder(const TensorMap& p) {
    for (const auto& name : partNames(p, "encoder."))
        if (p.at("old_" + name).data != p.at(name).data) return false;
    return true;
}

}  // namespace

class RecVaeTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void gradientMatchesFiniteDifferences() {
        // At initialization the old encoder differs from the encoder (its own random init),
        // so all three prior components carry weight in the log-sum-exp.
        RecVae m(tiny());
        const CsrMatrix rows = smallRows();
        m.initialize(rows, 5);
        expectGradient(m, rows, true);   // dropout and sampling on
        expectGradient(m, rows, false);  // z = μ, no dropout
    }

    void gradientMatchesAfterTrainingAndForEachOption() {
        const CsrMatrix rows = smallRows();
        // After an epoch the LayerNorm gains and biases have moved from 1 and 0 and the old
        // encoder is the encoder's copy.
        {
            RecVae m(tiny({{"layer_norm_eps", 1e-3}}));
            m.initialize(rows, 8);
            m.trainEpoch(rows, 1, {}, {});
            QVERIFY(m.parameters().at("encoder.ln3.gain").data != std::vector<float>(6, 1.0f));
            expectGradient(m, rows, true);
            expectGradient(m, rows, false);
        }
        // A constant β, and a prior without its old-posterior component (log 0 = -inf inside
        // the log-sum-exp) and with another wide variance.
        {
            RecVae m(tiny({{"beta", 0.8}, {"weight_old", 0.0}, {"wide_logvar", 2.0}}));
            m.initialize(rows, 9);
            expectGradient(m, rows, true);
        }
        // Only the old posterior: the prior is that one Gaussian.
        {
            RecVae m(tiny({{"weight_standard", 0.0}, {"weight_wide", 0.0}}));
            m.initialize(rows, 10);
            expectGradient(m, rows, true);
            expectGradient(m, rows, false);
        }
    }

    void compositePriorMatchesHandComputedValues() {
        auto logN = [](double z, double mu, double lv) {
            return -0.5 * (lv + std::log(2 * std::numbers::pi) +
                           (z - mu) * (z - mu) / std::exp(lv));
        };
        RecVae ref(Config::object());
        // log(3/20 N(0.7; 0, 1) + 3/4 N(0.7; 0.2, e^-0.5) + 1/10 N(0.7; 0, e^10)), computed
        // as a plain sum of densities (Python, float64).
        QVERIFY(std::abs(ref.logPrior(0.7, 0.2, -0.5) - (-1.0223613978796209)) < 1e-12);
        const double direct = std::log(0.15 * std::exp(logN(0.7, 0, 0)) +
                                       0.75 * std::exp(logN(0.7, 0.2, -0.5)) +
                                       0.1 * std::exp(logN(0.7, 0, 10)));
        QVERIFY(std::abs(ref.logPrior(0.7, 0.2, -0.5) - direct) < 1e-12);
        // Weights are normalized: (0.3, 0, 0.1) is (3/4, 0, 1/4).
        RecVae custom(Config{{"weight_standard", 0.3}, {"weight_old", 0.0}, {"weight_wide", 0.1}});
        QVERIFY(std::abs(custom.logPrior(-2.5, 5.0, 1.0) - (-4.281772838664829)) < 1e-12);
        // Far in the tail the densities underflow but the log-sum-exp does not: without the
        // wide component and with the old posterior at N(0, 1), the prior is N(0, 1).
        RecVae narrow(Config{{"weight_wide", 0.0}});
        const double tail = -0.5 * std::log(2 * std::numbers::pi) - 1800.0;
        QVERIFY(std::abs(narrow.logPrior(60.0, 0.0, 0.0) - tail) < 1e-9);
    }

    void klWeightIsGammaTimesTheRowCount() {
        // Rows are independent with z = μ, so the batch loss is assembled from single rows:
        // recon and KL are means over users, β the mean of β_u = γ |x_u|, and the loss weights
        // each user's KL by its own β_u.
        const CsrMatrix rows = smallRows();
        const double gamma = 0.02;
        RecVae m(tiny({{"gamma", gamma}}));
        m.initialize(rows, 3);
        const LossTerms batch = m.batchLoss(rows, 0, rows.rows, 1, false, 0, nullptr);
        double recon = 0, kl = 0, beta = 0, loss = 0;
        for (std::int64_t u = 0; u < rows.rows; ++u) {
            const LossTerms one = m.batchLoss(rows, u, u + 1, 1, false, 0, nullptr);
            QCOMPARE(one.beta, gamma * static_cast<double>(rows.rowNnz(u)));
            QVERIFY(std::abs(one.loss - (one.recon + one.beta * one.kl)) <
                    1e-9 * std::abs(one.loss));
            recon += one.recon / 6;
            kl += one.kl / 6;
            beta += one.beta / 6;
            loss += (one.recon + gamma * static_cast<double>(rows.rowNnz(u)) * one.kl) / 6;
        }
        QVERIFY(std::abs(batch.recon - recon) < 1e-5 * recon);
        QVERIFY(std::abs(batch.kl - kl) < 1e-5 * std::abs(kl));
        QVERIFY(std::abs(batch.beta - beta) < 1e-12);
        QVERIFY(std::abs(batch.beta - gamma * 13.0 / 6.0) < 1e-12);
        QVERIFY(std::abs(batch.loss - loss) < 1e-5 * loss);
        // Per-user weights: the loss is not recon + mean β · mean KL.
        QVERIFY(std::abs(batch.loss - (batch.recon + batch.beta * batch.kl)) > 1e-4);
        // |x_u| counts the undropped row: dropout does not change the weights.
        const LossTerms dropped = m.batchLoss(rows, 0, rows.rows, 1, true, 0, nullptr);
        QCOMPARE(dropped.beta, batch.beta);

        // A constant β replaces γ |x_u| for every user.
        RecVae c(tiny({{"gamma", gamma}, {"beta", 0.3}}));
        c.initialize(rows, 3);
        const LossTerms t = c.batchLoss(rows, 0, rows.rows, 1, false, 0, nullptr);
        QCOMPARE(t.beta, 0.3);
        QVERIFY(std::abs(t.loss - (t.recon + 0.3 * t.kl)) < 1e-9 * std::abs(t.loss));
    }

    void alternatesEncoderAndDecoderPasses() {
        // 300 users in batches of 100: 3 batches per pass, 3 encoder + 1 decoder pass.
        const Split s = clusterSplit();
        RecVae m(tiny({{"batch_size", 100}}));
        m.initialize(s.train, 2);
        const TensorMap init = m.parameters();
        // The old encoder starts from its own initialization.
        QVERIFY(init.at("old_encoder.fc2.W").data != init.at("encoder.fc2.W").data);
        std::vector<TensorMap> after;
        std::vector<BatchProgress> progress;
        const EpochStats st = m.trainEpoch(s.train, 1, [&](const BatchProgress& p) {
            progress.push_back(p);
            after.push_back(m.parameters());
        }, {});
        QCOMPARE(st.batches, std::int64_t(12));
        QCOMPARE(st.updates, std::int64_t(12));
        QCOMPARE(m.encoderSteps(), std::int64_t(9));
        QCOMPARE(m.decoderSteps(), std::int64_t(3));
        QCOMPARE(progress.size(), std::size_t(12));
        for (std::size_t b = 0; b < progress.size(); ++b) {
            QCOMPARE(progress[b].batch, static_cast<std::int64_t>(b));
            QCOMPARE(progress[b].batches, std::int64_t(12));
            QCOMPARE(progress[b].updates, static_cast<std::int64_t>(b + 1));
            const TensorMap& before = b == 0 ? init : after[b - 1];
            if (b < 9) {  // encoder passes: the encoder moves (fc1 lazily), the decoder not
                QVERIFY(sameTensors(after[b], before, "decoder."));
                QVERIFY(after[b].at("encoder.fc3.W").data != before.at("encoder.fc3.W").data);
                QVERIFY(after[b].at("encoder.ln5.gain").data != before.at("encoder.ln5.gain").data);
                QVERIFY(sameTensors(after[b], init, "old_encoder."));
            } else {      // decoder pass: after the refresh, only the decoder moves
                QVERIFY(sameTensors(after[b], before, "encoder."));
                QVERIFY(allChanged(after[b], before, "decoder."));
                QVERIFY(oldIsEncoder(after[b]));
            }
        }
        QVERIFY(oldIsEncoder(m.parameters()));
        QVERIFY(allChanged(m.parameters(), init, "encoder."));
    }

    void encoderOnlyAndDecoderOnlyEpochs() {
        const Split s = clusterSplit();
        {
            RecVae m(tiny({{"n_enc_epochs", 1}, {"n_dec_epochs", 0}, {"batch_size", 100}}));
            m.initialize(s.train, 4);
            const TensorMap init = m.parameters();
            QCOMPARE(m.trainEpoch(s.train, 1, {}, {}).batches, std::int64_t(3));
            QVERIFY(sameTensors(m.parameters(), init, "decoder."));
            QVERIFY(allChanged(m.parameters(), init, "encoder."));
            QVERIFY(oldIsEncoder(m.parameters()));  // refreshed at the end of the epoch
            QCOMPARE(m.decoderSteps(), std::int64_t(0));
        }
        {
            RecVae m(tiny({{"n_enc_epochs", 0}, {"n_dec_epochs", 1}, {"batch_size", 100}}));
            m.initialize(s.train, 4);
            const TensorMap init = m.parameters();
            m.trainEpoch(s.train, 1, {}, {});
            QVERIFY(sameTensors(m.parameters(), init, "encoder."));
            QVERIFY(allChanged(m.parameters(), init, "decoder."));
            QVERIFY(oldIsEncoder(m.parameters()));  // refreshed before the decoder pass
            QCOMPARE(m.encoderSteps(), std::int64_t(0));
        }
        {
            // Joint updates (--not-alternating): one pass moving both; as in the reference
            // code the old encoder is never refreshed.
            RecVae m(tiny({{"alternating", false}, {"batch_size", 100}}));
            m.initialize(s.train, 4);
            const TensorMap init = m.parameters();
            QCOMPARE(m.trainEpoch(s.train, 1, {}, {}).batches, std::int64_t(3));
            QVERIFY(allChanged(m.parameters(), init, "encoder."));
            QVERIFY(allChanged(m.parameters(), init, "decoder."));
            QVERIFY(sameTensors(m.parameters(), init, "old_encoder."));
            QCOMPARE(m.encoderSteps(), std::int64_t(3));
            QCOMPARE(m.decoderSteps(), std::int64_t(3));
        }
    }

    void cachedOldPosteriorMatchesTheOldEncoder() {
        // With two or more encoder passes the old posterior is computed once per epoch for
        // every user; with one it is computed batch by batch. The first pass is the same
        // either way (same shuffle, masks, ε and weights), so are its losses.
        const Split s = clusterSplit();
        auto firstPass = [&](int encPasses) {
            RecVae m(tiny({{"hidden_dim", 16}, {"latent_dim", 4}, {"batch_size", 100},
                           {"n_enc_epochs", encPasses}}));
            m.initialize(s.train, 12);
            std::vector<double> kl;
            m.trainEpoch(s.train, 1, [&](const BatchProgress& p) { kl.push_back(p.terms.kl); }, {});
            kl.resize(3);
            return kl;
        };
        const auto cached = firstPass(3), computed = firstPass(1);
        for (int b = 0; b < 3; ++b)
            QVERIFY2(std::abs(cached[b] - computed[b]) <= 1e-5 * std::abs(computed[b]),
                     qPrintable(QString("batch %1: KL %2 cached, %3 computed")
                                    .arg(b)
                                    .arg(cached[b])
                                    .arg(computed[b])));
    }

    void resumesExactlyAndCopiesScoreTheSame() {
        // The lazily updated first layer, both Adam states and the old encoder survive
        // state(); a copy from parameters() scores identically.
        const Split s = clusterSplit();
        const Config c = tiny({{"hidden_dim", 16}, {"latent_dim", 4}, {"batch_size", 64}});
        auto lossesOf = [&](RecVae& m, int from, int to) {
            std::vector<double> l;
            for (int e = from; e <= to; ++e)
                m.trainEpoch(s.train, e,
                             [&](const BatchProgress& p) { l.push_back(p.terms.loss); }, {});
            return l;
        };
        RecVae straight(c), first(c), second(c);
        straight.initialize(s.train, 6);
        first.initialize(s.train, 6);
        const auto a = lossesOf(straight, 1, 3);
        auto b = lossesOf(first, 1, 2);
        second.initialize(s.train, 6);
        second.setState(first.state());
        const auto rest = lossesOf(second, 3, 3);
        b.insert(b.end(), rest.begin(), rest.end());
        QCOMPARE(b, a);
        QCOMPARE(second.encoderSteps(), straight.encoderSteps());
        const auto copy = cloneModel(straight);
        QCOMPARE(scoresOf(*copy, s.test.foldIn), scoresOf(straight, s.test.foldIn));
        QVERIFY(oldIsEncoder(copy->parameters()));
        // Item embeddings are the decoder's weights, items x latent.
        const Tensor emb = straight.itemEmbeddings();
        const Tensor& W = straight.parameters().at("decoder.W");
        QCOMPARE(emb.rows, straight.numItems());
        QCOMPARE(emb.cols, std::int64_t(4));
        QCOMPARE(emb.data[7 * 4 + 2], W.data[2 * W.cols + 7]);
    }

    void learnsClustersFarAbovePopularity() {
        const Split s = clusterSplit();
        TrainOptions o;
        o.epochs = 15;
        o.seed = 3;
        o.metrics.ndcgK = 20;
        o.metrics.recallKs = {5, 10};
        Trainer vae(s, createModel("recvae", {{"hidden_dim", 32}, {"latent_dim", 8},
                                              {"batch_size", 50}, {"learning_rate", 3e-3}}),
                    o);
        vae.run();
        vae.restoreBest();
        const double ndcgVae = vae.evaluate(s.test).get("ndcg@20");
        Trainer pop(s, createModel("popularity"), o);
        pop.run();
        const double ndcgPop = pop.evaluate(s.test).get("ndcg@20");
        qInfo("test NDCG@20: RecVAE %.3f, popularity %.3f", ndcgVae, ndcgPop);
        QVERIFY(ndcgVae > 0.4);
        QVERIFY(ndcgVae > 2.0 * ndcgPop);
        QVERIFY(vae.history().back().train.recon < vae.history().front().train.recon);
        QVERIFY(vae.history().back().train.loss < vae.history().front().train.loss);
    }

    void identicalLossesForSameSeedAnyThreadCount() {
        const Split s = clusterSplit();
        auto run = [&](int threads, std::uint64_t seed) {
            TrainOptions o;
            o.epochs = 2;
            o.seed = seed;
            o.threads = threads;
            o.validate = false;
            Trainer t(s, createModel("recvae", {{"hidden_dim", 24}, {"latent_dim", 6},
                                                {"batch_size", 64}}),
                      o);
            std::vector<double> losses;
            t.run({}, [&](const BatchProgress& p) { losses.push_back(p.terms.loss); });
            return losses;
        };
        const auto a = run(2, 11), b = run(2, 11), c = run(1, 11), d = run(2, 12);
        QCOMPARE(a.size(), std::size_t(2 * 4 * 5));
        QCOMPARE(a, b);
        QCOMPARE(a, c);
        QVERIFY(a != d);
    }

    void decodeOfTheEncodingIsTheScore() {
        const Split s = clusterSplit();
        RecVae m(tiny({{"hidden_dim", 12}, {"latent_dim", 5}, {"batch_size", 100}}));
        m.initialize(s.train, 4);
        m.trainEpoch(s.train, 1, {}, {});
        const CsrMatrix& rows = s.test.foldIn;
        const std::int64_t n = rows.rows, K = m.latentDim();
        std::vector<float> mu(static_cast<std::size_t>(n * K)), lv(mu.size());
        m.encode(rows, 0, n, mu.data(), lv.data());
        std::vector<float> decoded(static_cast<std::size_t>(n * m.numItems()));
        m.decode(mu.data(), n, decoded.data());
        QCOMPARE(decoded, scoresOf(m, rows));
        VAECF_EXPECT_ERROR(m.decode(nullptr, 1, decoded.data()), "decode: null latent points");
        RecVae untrained(Config::object());
        VAECF_EXPECT_ERROR(untrained.decode(mu.data(), 1, decoded.data()),
                           "decode recvae: the model is not trained");
        CsrMatrix wider = CsrMatrix::fromTriplets(1, m.numItems() + 2, {0}, {1}, {});
        VAECF_EXPECT_ERROR(m.trainEpoch(wider, 2, {}, {}),
                           "train recvae: the matrix has 62 items, the model 60");
    }

    void absurdSizesAreRefusedBeforeAllocating() {
        RecVae m(Config{{"hidden_dim", 65536}, {"latent_dim", 4096}});
        CsrMatrix wide;
        wide.cols = 2000000;
        VAECF_EXPECT_ERROR(m.initialize(wide, 1), "recvae: these hyperparameters need about ");
        VAECF_EXPECT_ERROR(m.initialize(wide, 1), "lower hidden_dim, latent_dim or batch_size");
    }

    void hyperparametersAreValidatedWithTheFieldName() {
        VAECF_EXPECT_ERROR(createModel("recvae", {{"gamma", 20}}),
                           "recvae: hyperparameter 'gamma' (γ) must be in [0, 10], got 20");
        VAECF_EXPECT_ERROR(createModel("recvae", {{"alternating", 1}}),
                           "recvae: hyperparameter 'alternating' must be true or false, got 1");
        VAECF_EXPECT_ERROR(createModel("recvae", {{"n_enc_epochs", 1.5}}),
                           "recvae: hyperparameter 'n_enc_epochs' must be an integer, got 1.5");
        VAECF_EXPECT_ERROR(createModel("recvae", {{"n_enc_epochs", 0}, {"n_dec_epochs", 0}}),
                           "recvae: n_enc_epochs and n_dec_epochs are both 0, so an epoch would "
                           "train nothing");
        VAECF_EXPECT_ERROR(
            createModel("recvae", {{"weight_standard", 0}, {"weight_old", 0}, {"weight_wide", 0}}),
            "recvae: the prior weights weight_standard, weight_old and weight_wide are all 0; at "
            "least one must be positive");
        VAECF_EXPECT_ERROR(createModel("recvae", {{"hidden_dims", {600}}}),
                           "recvae: unknown hyperparameter 'hidden_dims'");
        // Joint training needs no pass counts.
        QVERIFY(createModel("recvae",
                            {{"alternating", false}, {"n_enc_epochs", 0}, {"n_dec_epochs", 0}}));
        const auto m = createModel("recvae");
        QCOMPARE(m->defaultEpochs(), 50);
        QCOMPARE(m->config()["hidden_dim"].get<int>(), 600);
        QCOMPARE(m->config()["latent_dim"].get<int>(), 200);
        QCOMPARE(m->config()["gamma"].get<double>(), 0.005);
        QCOMPARE(m->config()["learning_rate"].get<double>(), 5e-4);
        QCOMPARE(m->config()["layer_norm_eps"].get<double>(), 0.1);
        QCOMPARE(m->config()["n_enc_epochs"].get<int>(), 3);
        QCOMPARE(m->config()["alternating"].get<bool>(), true);
    }
};

QTEST_APPLESS_MAIN(RecVaeTest)
#include "recvae_test.moc"
