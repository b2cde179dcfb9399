// SPDX-License-Identifier: MIT
// BiVAE: finite-difference checks of both sides' hand-written backward passes (every
// likelihood and activation, CAP priors), the loss against hand-computed values, the
// item-then-user alternation and its stored tables, fold-in scoring of new users, learning,
// determinism, exact resume, and the side-feature reader.
#include <cmath>
#include <stop_token>

#include "fixtures.h"
#include "grad_check.h"
#include "test_util.h"
#include "vaecf/bivae.h"
#include "vaecf/error.h"
#include "vaecf/side_features.h"
#include "vaecf/trainer.h"

using namespace vaecf::core;
using vaecf::test::clusterSplit;

namespace {

CsrMatrix smallRows() {
    // 6 users x 9 items, 1-4 items each.
    return CsrMatrix::fromTriplets(6, 9, {0, 0, 1, 1, 1, 2, 3, 3, 3, 3, 4, 5, 5},
                                   {0, 3, 1, 2, 8, 5, 0, 4, 6, 7, 2, 1, 3}, {});
}

// Items x users: each item's column, the item encoder's input.
CsrMatrix transpose(const CsrMatrix& m) {
    std::vector<std::int64_t> r;
    std::vector<std::int32_t> c;
    for (std::int64_t u = 0; u < m.rows; ++u)
        for (std::int32_t i : m.rowIndices(u)) {
            r.push_back(i);
            c.push_back(static_cast<std::int32_t>(u));
        }
    return CsrMatrix::fromTriplets(m.cols, m.rows, r, c, {});
}

// The item side seen through the Differentiable interface, for the shared checker.
class ItemSide : public Differentiable {
public:
    explicit ItemSide(BiVae& m) : m_model(m) {}
    LossTerms batchLoss(const CsrMatrix& rows, std::int64_t begin, std::int64_t end,
                        std::uint64_t noiseSeed, bool training, double beta,
                        TensorMap* gradient) const override {
        return m_model.itemBatchLoss(rows, begin, end, noiseSeed, training, beta, gradient);
    }
    std::vector<float>& parameter(const std::string& name) override { return m_model.parameter(name); }

private:
    BiVae& m_model;
};

Tensor randomFeatures(std::int64_t rows, std::int64_t cols, std::uint64_t seed) {
    Rng rng(seed);
    Tensor t{rows, cols, std::vector<float>(static_cast<std::size_t>(rows * cols))};
    for (float& v : t.data) v = static_cast<float>(rng.normal());
    return t;
}

// Both sides' gradients of a model trained one epoch (so that theta and beta are samples of
// the encoders, not the tiny initial tables), in training and evaluation mode.
QString checkBothSides(BiVae& m, const CsrMatrix& rows, int* checked, float relativeStep = 1e-2f) {
    m.trainEpoch(rows, 1, {}, {});
    const CsrMatrix items = transpose(rows);
    ItemSide itemSide(m);
    int n = 0;
    for (const bool training : {true, false}) {
        vaecf::test::GradCheckOptions o;
        o.training = training;
        o.relativeStep = relativeStep;
        o.beta = training ? 0.7 : 1.3;
        QString msg = vaecf::test::checkGradient(m, rows, o, &n);
        if (!msg.isEmpty()) return "user side: " + msg;
        *checked += n;
        msg = vaecf::test::checkGradient(itemSide, items, o, &n);
        if (!msg.isEmpty()) return "item side: " + msg;
        *checked += n;
    }
    return {};
}

const std::vector<float>& tensor(const TensorMap& m, const std::string& name) {
    const auto it = m.find(name);
    if (it == m.end()) throw std::runtime_error("no tensor " + name);
    return it->second.data;
}

double sigmoidD(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Σ_d -½(1 + 2 log σ_d - (μ_d - p_d)² - σ_d²) with σ = sigmoid(s).
double klByHand(const double* mu, const double* s, const double* prior, int K) {
    double kl = 0;
    for (int d = 0; d < K; ++d) {
        const double sg = sigmoidD(s[d]), diff = mu[d] - prior[d];
        kl += -0.5 * (1.0 + 2.0 * std::log(sg) - diff * diff - sg * sg);
    }
    return kl;
}

double llByHand(const std::string& lik, double x, double p) {
    const double eps = 1e-10;
    if (lik == "poisson") return x * std::log(p + eps) - p;
    if (lik == "bernoulli") return x * std::log(p + eps) + (1 - x) * std::log(1 - p + eps);
    return -(x - p) * (x - p);
}

std::vector<double> trainLosses(const Split& s, int threads, std::uint64_t seed, int epochs) {
    TrainOptions o;
    o.epochs = epochs;
    o.seed = seed;
    o.threads = threads;
    o.validate = false;
    Trainer t(s, createModel("bivae", {{"encoder_dims", {16}}, {"latent_dim", 4},
                                       {"batch_size", 64}}),
              o);
    std::vector<double> losses;
    t.run({}, [&](const BatchProgress& p) { losses.push_back(p.terms.loss); });
    return losses;
}

}  // namespace

class BiVaeTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void gradientsMatchFiniteDifferencesForEveryLikelihood() {
        for (const char* lik : {"poisson", "bernoulli", "gaussian"}) {
            BiVae m({{"encoder_dims", {7, 5}}, {"latent_dim", 3}, {"likelihood", lik},
                     {"batch_size", 4}});
            const CsrMatrix rows = smallRows();
            m.initialize(rows, 5);
            int checked = 0;
            const QString msg = checkBothSides(m, rows, &checked);
            QVERIFY2(msg.isEmpty(), qPrintable(QString(lik) + ": " + msg));
            // 3 layers x (W, b) per side, 12 entries each, two modes.
            QCOMPARE(checked, 2 * 2 * 6 * 12);
        }
    }

    void gradientsMatchFiniteDifferencesForEveryActivation() {
        for (const char* act : {"tanh", "sigmoid", "elu", "relu", "relu6"}) {
            BiVae m({{"encoder_dims", {6, 5}}, {"latent_dim", 2}, {"activation", act},
                     {"likelihood", "bernoulli"}, {"batch_size", 3}});
            const CsrMatrix rows = smallRows();
            m.initialize(rows, 8);
            // Small steps where the activation has kinks, so that few units cross them.
            const bool kinked = std::string(act).starts_with("relu");
            int checked = 0;
            const QString msg = checkBothSides(m, rows, &checked, kinked ? 1e-3f : 1e-2f);
            QVERIFY2(msg.isEmpty(), qPrintable(QString(act) + ": " + msg));
        }
        // No hidden layer: the head reads the sparse row itself (Cornac allows [] too).
        BiVae m({{"encoder_dims", nlohmann::json::array()}, {"latent_dim", 3}});
        const CsrMatrix rows = smallRows();
        m.initialize(rows, 2);
        int checked = 0;
        const QString msg = checkBothSides(m, rows, &checked);
        QVERIFY2(msg.isEmpty(), qPrintable(msg));
        QCOMPARE(checked, 2 * 2 * 2 * 12);
    }

    void capPriorGradientsMatchFiniteDifferences() {
        const CsrMatrix rows = smallRows();
        BiVae m({{"encoder_dims", {5}}, {"latent_dim", 3}, {"batch_size", 4}});
        m.setSideFeatures(randomFeatures(6, 4, 1), randomFeatures(9, 2, 2));
        m.initialize(rows, 4);
        TensorMap grad;
        m.batchLoss(rows, 0, 6, 1, true, 1.0, &grad);
        QVERIFY(grad.count("user.prior.W") && grad.count("user.prior.b"));
        QCOMPARE(grad.at("user.prior.W").rows, std::int64_t(4));
        QCOMPARE(grad.at("user.prior.W").cols, std::int64_t(3));
        int checked = 0;
        const QString msg = checkBothSides(m, rows, &checked);
        QVERIFY2(msg.isEmpty(), qPrintable(msg));
        QCOMPARE(checked, 2 * 2 * 3 * 2 * 12);  // fc0, head, prior
    }

    void lossMatchesHandComputedValues() {
        // No hidden layer, zero head weights: every user's head is the bias, μ = b[0..K),
        // s = b[K..2K); with eval mode θ = μ, so the loss is a closed form of b and beta.
        const CsrMatrix rows = smallRows();
        const int K = 3;
        const double mu[K] = {0.3, -0.5, 0.8}, s[K] = {0.2, -1.0, 1.5};
        for (const bool cap : {false, true})
            for (const std::string lik : {"poisson", "bernoulli", "gaussian"}) {
                BiVae m({{"encoder_dims", nlohmann::json::array()}, {"latent_dim", K},
                         {"likelihood", lik}});
                const Tensor feat{6, 2, {1, 0, 0, 1, 1, 1, 0, 0, 2, -1, 0.5, 0.5}};
                if (cap) m.setSideFeatures(feat, {});
                m.initialize(rows, 1);
                TensorMap st = m.state();
                auto& W = st["user.head.W"].data;
                std::fill(W.begin(), W.end(), 0.0f);
                st["user.head.b"].data = {0.3f, -0.5f, 0.8f, 0.2f, -1.0f, 1.5f};
                auto& beta = st["beta"].data;
                for (int i = 0; i < 9; ++i)
                    for (int d = 0; d < K; ++d)
                        beta[i * K + d] = 0.4f * static_cast<float>(i - 4) - 0.3f * d;
                const std::vector<float> pW{0.5f, -0.25f, 1.0f, 0.1f, 0.0f, -0.7f};
                const std::vector<float> pb{0.2f, 0.1f, -0.3f};
                if (cap) {
                    st["user.prior.W"].data = pW;
                    st["user.prior.b"].data = pb;
                }
                m.setState(st);
                double kl = 0, ll = 0;
                for (int u = 0; u < 6; ++u) {
                    double prior[K] = {0, 0, 0};
                    if (cap)
                        for (int d = 0; d < K; ++d)
                            prior[d] = pb[d] + feat.data[u * 2] * pW[d] +
                                       feat.data[u * 2 + 1] * pW[K + d];
                    kl += klByHand(mu, s, prior, K);
                    for (int i = 0; i < 9; ++i) {
                        double l = 0;
                        for (int d = 0; d < K; ++d) l += mu[d] * beta[i * K + d];
                        const auto idx = rows.rowIndices(u);
                        const double x = std::find(idx.begin(), idx.end(), i) != idx.end() ? 1 : 0;
                        ll += llByHand(lik, x, sigmoidD(l));
                    }
                }
                const LossTerms t = m.batchLoss(rows, 0, 6, 9, false, 0.7, nullptr);
                const QString what = QString::fromStdString(lik) + (cap ? " with prior" : "");
                QVERIFY2(std::abs(t.kl - kl / 6) < 1e-5 * (1 + kl / 6), qPrintable(what));
                QVERIFY2(std::abs(t.recon + ll / 6) < 1e-5 * (1 + std::abs(ll) / 6), qPrintable(what));
                QVERIFY(std::abs(t.loss - (t.recon + 0.7 * t.kl)) < 1e-9);
                QCOMPARE(t.beta, 0.7);
            }
    }

    void itemPassUpdatesOnlyTheItemSideThenUsersFollow() {
        // 9 items and 6 users in batches of 4: item batches [0,4) [4,8) [8,9), then user
        // batches [0,4) [4,6).
        const CsrMatrix rows = smallRows();
        BiVae m({{"encoder_dims", {8}}, {"latent_dim", 4}, {"batch_size", 4}});
        m.initialize(rows, 3);
        const TensorMap s0 = m.state();
        TensorMap atItemEnd;
        std::vector<BatchProgress> seen;
        std::stop_source stop;
        const EpochStats partial = m.trainEpoch(rows, 1, [&](const BatchProgress& p) {
            seen.push_back(p);
            if (p.batch == 2) {
                atItemEnd = m.state();
                stop.request_stop();
            }
        }, stop.get_token());
        QVERIFY(partial.stopped);
        QCOMPARE(partial.batches, std::int64_t(3));
        QCOMPARE(seen.size(), std::size_t(3));
        for (std::size_t b = 0; b < 3; ++b) {
            QCOMPARE(seen[b].batch, std::int64_t(b));
            QCOMPARE(seen[b].batches, std::int64_t(5));
            QCOMPARE(seen[b].updates, std::int64_t(b + 1));
        }
        const TensorMap s1 = m.state();
        QCOMPARE(tensor(s1, "steps"), (std::vector<float>{0, 0, 0, 3}));
        // The user side is untouched by the item pass ...
        for (const char* name : {"user.fc0.W", "user.fc0.b", "user.head.W", "user.head.b", "theta",
                                 "mu_theta", "user.fc0.W.m"})
            QVERIFY2(tensor(s1, name) == tensor(s0, name), name);
        // ... while the item encoder moved and every beta row was resampled.
        for (const char* name : {"item.fc0.W", "item.fc0.b", "item.head.W", "item.head.b"})
            QVERIFY2(tensor(s1, name) != tensor(s0, name), name);
        const auto& beta0 = tensor(s0, "beta");
        const auto& beta1 = tensor(s1, "beta");
        for (int i = 0; i < 9; ++i)
            for (int d = 0; d < 4; ++d) QVERIFY(beta1[i * 4 + d] != beta0[i * 4 + d]);
        QCOMPARE(beta1, tensor(atItemEnd, "beta"));
        // mu_beta was stored per batch during the pass, then recomputed with the final item
        // encoder: the last batch's item keeps its value, earlier items do not.
        const auto& during = tensor(atItemEnd, "mu_beta");
        const auto& after = tensor(s1, "mu_beta");
        for (int d = 0; d < 4; ++d) {
            QVERIFY(std::abs(after[8 * 4 + d] - during[8 * 4 + d]) < 1e-6f);
            QVERIFY(after[d] != during[d]);
        }

        // A whole epoch: items then users; the epoch's terms are the user batches' means.
        seen.clear();
        const EpochStats full =
            m.trainEpoch(rows, 2, [&](const BatchProgress& p) { seen.push_back(p); }, {});
        QCOMPARE(seen.size(), std::size_t(5));
        QCOMPARE(full.batches, std::int64_t(5));
        QCOMPARE(full.updates, std::int64_t(8));
        QCOMPARE(seen.back().updates, std::int64_t(8));
        QCOMPARE(full.mean.loss, (seen[3].terms.loss + seen[4].terms.loss) / 2);
        QCOMPARE(full.mean.kl, (seen[3].terms.kl + seen[4].terms.kl) / 2);
        const TensorMap s2 = m.state();
        QCOMPARE(tensor(s2, "steps"), (std::vector<float>{0, 2, 0, 6}));
        for (const char* name : {"user.fc0.W", "user.head.b", "theta", "mu_theta"})
            QVERIFY2(tensor(s2, name) != tensor(s1, name), name);
        // The last user batch's stored means are what the final user encoder gives them.
        std::vector<float> mu(2 * 4);
        m.encode(rows, 4, 6, mu.data(), nullptr);
        const auto& muTheta = tensor(s2, "mu_theta");
        for (int k = 0; k < 8; ++k) QVERIFY(std::abs(mu[k] - muTheta[16 + k]) < 1e-6f);
    }

    void newUsersAreScoredThroughTheUserEncoder() {
        const Split s = clusterSplit();
        BiVae m({{"encoder_dims", {12}}, {"latent_dim", 5}, {"batch_size", 50}});
        m.initialize(s.train, 4);
        for (int e = 1; e <= 3; ++e) m.trainEpoch(s.train, e, {}, {});
        const CsrMatrix& rows = s.test.foldIn;  // users the model never saw
        const std::int64_t n = rows.rows, N = m.numItems(), K = m.latentDim();
        std::vector<float> mu(static_cast<std::size_t>(n * K)), logVar(mu.size()),
            scored(static_cast<std::size_t>(n * N)), decoded(scored.size());
        m.encode(rows, 0, n, mu.data(), logVar.data());
        m.score(rows, 0, n, scored.data());
        m.decode(mu.data(), n, decoded.data());
        const TensorMap params = m.parameters();
        const auto& muBeta = tensor(params, "mu_beta");
        QCOMPARE(m.itemEmbeddings().data, muBeta);
        float worst = 0;
        for (std::int64_t u = 0; u < n; ++u)
            for (std::int64_t i = 0; i < N; ++i) {
                double dot = 0;
                for (std::int64_t d = 0; d < K; ++d) dot += mu[u * K + d] * muBeta[i * K + d];
                worst = std::max(worst, static_cast<float>(std::abs(dot - scored[u * N + i])));
                QCOMPARE(decoded[u * N + i], scored[u * N + i]);
            }
        QVERIFY2(worst < 1e-5f, qPrintable(QString::number(worst)));
        for (float v : logVar) QVERIFY(v < 0);  // σ = sigmoid(·) < 1
        // A row scored alone is the same row in the batch.
        std::vector<float> one(static_cast<std::size_t>(N));
        m.score(rows, 5, 6, one.data());
        for (std::int64_t i = 0; i < N; ++i) QVERIFY(std::abs(one[i] - scored[5 * N + i]) <= 1e-6f);
        VAECF_EXPECT_ERROR(m.decode(nullptr, 1, one.data()), "decode: null latent points");
        BiVae untrained({});
        VAECF_EXPECT_ERROR(untrained.score(rows, 0, 1, one.data()),
                           "score bivae: the model is not trained");
    }

    void capPriorsLearnAndTravelWithTheModel() {
        const Split s = clusterSplit();
        // User features that carry the taste cluster (u % 4), item features their block.
        Tensor uf{s.train.rows, 4, std::vector<float>(static_cast<std::size_t>(s.train.rows * 4))};
        for (std::int64_t u = 0; u < uf.rows; ++u) uf.data[u * 4 + u % 4] = 1;
        Tensor itf{s.numItems(), 1, {}};
        for (std::int64_t i = 0; i < itf.rows; ++i) itf.data.push_back(static_cast<float>(i / 15));
        BiVae m({{"encoder_dims", {12}}, {"latent_dim", 4}, {"batch_size", 50}});
        m.setSideFeatures(uf, itf);
        m.initialize(s.train, 2);
        const TensorMap s0 = m.parameters();
        for (int e = 1; e <= 2; ++e) m.trainEpoch(s.train, e, {}, {});
        const TensorMap s1 = m.parameters();
        for (const char* name : {"user.prior.W", "user.prior.b", "item.prior.W", "item.prior.b"})
            QVERIFY2(tensor(s1, name) != tensor(s0, name), name);
        // A copy (no features) adopts the priors and scores identically.
        const auto copy = cloneModel(m);
        QCOMPARE(copy->parameters().size(), s1.size());
        QCOMPARE(tensor(copy->parameters(), "user.prior.W"), tensor(s1, "user.prior.W"));
        const std::int64_t n = s.test.foldIn.rows;
        std::vector<float> a(static_cast<std::size_t>(n * s.numItems())), b(a.size());
        m.score(s.test.foldIn, 0, n, a.data());
        copy->score(s.test.foldIn, 0, n, b.data());
        QCOMPARE(a, b);
        // Training the copy needs the features back.
        VAECF_EXPECT_ERROR(copy->trainEpoch(s.train, 3, {}, {}),
                           "train bivae: the model has a user prior (CAP) but no user side "
                           "features; give them with setSideFeatures()");
        // Feature tables must match the training matrix.
        BiVae bad({});
        bad.setSideFeatures(Tensor{5, 2, std::vector<float>(10)}, {});
        VAECF_EXPECT_ERROR(bad.initialize(s.train, 1),
                           "bivae: the user side features have 5 rows, the training matrix 300 users");
        bad.setSideFeatures({}, Tensor{7, 1, std::vector<float>(7)});
        VAECF_EXPECT_ERROR(bad.initialize(s.train, 1),
                           "bivae: the item side features have 7 rows, the training matrix 60 items");
        VAECF_EXPECT_ERROR(bad.setSideFeatures(Tensor{2, 2, {1}}, {}),
                           "bivae: the user side features hold 1 values, not 2 x 2");
    }

    void learnsClustersFarAbovePopularity() {
        const Split s = clusterSplit();
        TrainOptions o;
        o.epochs = 60;
        o.seed = 3;
        o.metrics.ndcgK = 20;
        o.metrics.recallKs = {5, 10};
        Trainer bivae(s, createModel("bivae", {{"encoder_dims", {16}}, {"latent_dim", 8},
                                               {"batch_size", 50}, {"learning_rate", 1e-2}}),
                      o);
        bivae.run();
        bivae.restoreBest();
        const double ndcg = bivae.evaluate(s.test).get("ndcg@20");
        Trainer pop(s, createModel("popularity"), o);
        pop.run();
        const double ndcgPop = pop.evaluate(s.test).get("ndcg@20");
        qInfo("test NDCG@20: BiVAE %.3f, popularity %.3f", ndcg, ndcgPop);
        QVERIFY(ndcg > 0.4);
        QVERIFY(ndcg > 2.0 * ndcgPop);
        QVERIFY(bivae.history().back().train.loss < bivae.history().front().train.loss);
    }

    void identicalLossesForSameSeedAnyThreadCount() {
        const Split s = clusterSplit();
        const auto a = trainLosses(s, 2, 11, 3), b = trainLosses(s, 2, 11, 3),
                   c = trainLosses(s, 1, 11, 3), d = trainLosses(s, 2, 12, 3);
        QCOMPARE(a.size(), std::size_t(3 * (1 + 5)));  // 60 items / 64, 300 users / 64
        QCOMPARE(a, b);
        QCOMPARE(a, c);
        QVERIFY(a != d);
    }

    void resumesExactlyFromItsState() {
        const Split s = clusterSplit();
        const Config cfg{{"encoder_dims", {10}}, {"latent_dim", 3}, {"batch_size", 40}};
        BiVae a(cfg), b(cfg);
        a.initialize(s.train, 5);
        for (int e = 1; e <= 2; ++e) a.trainEpoch(s.train, e, {}, {});
        b.initialize(s.train, 77);
        b.setState(a.state());
        std::vector<double> la, lb;
        a.trainEpoch(s.train, 3, [&](const BatchProgress& p) { la.push_back(p.terms.loss); }, {});
        b.trainEpoch(s.train, 3, [&](const BatchProgress& p) { lb.push_back(p.terms.loss); }, {});
        QCOMPARE(la, lb);
        const TensorMap sa = a.state(), sb = b.state();
        QCOMPARE(sa.size(), sb.size());
        for (const auto& [name, t] : sa) QVERIFY2(t.data == tensor(sb, name), name.c_str());
        TensorMap missing = a.state();
        missing.erase("theta");
        VAECF_EXPECT_ERROR(b.setState(missing), "model state lacks tensor 'theta'");
        TensorMap wrong = a.parameters();
        wrong["mu_beta"].rows = 2;
        VAECF_EXPECT_ERROR(b.setState(wrong), "model state tensor 'mu_beta' is 2 x 3, expected 60 x 3");
    }

    void shapesAndHyperparametersAreChecked() {
        const CsrMatrix rows = smallRows();
        BiVae m({{"latent_dim", 2}, {"encoder_dims", {4}}});
        m.initialize(rows, 1);
        VAECF_EXPECT_ERROR(m.trainEpoch(rows.sliceRows(0, 5), 1, {}, {}),
                           "train bivae: the matrix has 5 users, the model 6 (the item encoder "
                           "reads one input per training user)");
        CsrMatrix wide = CsrMatrix::fromTriplets(6, 10, {0}, {9}, {});
        VAECF_EXPECT_ERROR(m.trainEpoch(wide, 1, {}, {}),
                           "train bivae: the matrix has 10 items, the model 9");
        VAECF_EXPECT_ERROR(m.batchLoss(wide, 0, 1, 1, false, 1, nullptr),
                           "loss of bivae: the rows have 10 columns, the user encoder reads 9");
        VAECF_EXPECT_ERROR(createModel("bivae", {{"activation", "swish"}}),
                           "bivae: hyperparameter 'activation' must be one of tanh, sigmoid, elu, "
                           "relu, relu6, got \"swish\"");
        VAECF_EXPECT_ERROR(createModel("bivae", {{"likelihood", "pois"}}),
                           "must be one of poisson, bernoulli, gaussian, got \"pois\"");
        VAECF_EXPECT_ERROR(createModel("bivae", {{"beta_kl", 11}}),
                           "bivae: hyperparameter 'beta_kl' (β) must be in [0, 10], got 11");
        const auto d = createModel("bivae");
        QCOMPARE(d->config()["latent_dim"].get<int>(), 20);
        QCOMPARE(d->config()["encoder_dims"], nlohmann::json::array({40}));
        QCOMPARE(d->config()["batch_size"].get<int>(), 128);
        QCOMPARE(d->defaultEpochs(), 500);
        QCOMPARE(d->info().family, ModelFamily::TwoSided);
        BiVae huge({{"encoder_dims", {65536, 65536}}, {"latent_dim", 1024}});
        CsrMatrix big;
        big.rows = 5000000;
        big.cols = 2000000;
        big.indptr.assign(static_cast<std::size_t>(big.rows + 1), 0);
        VAECF_EXPECT_ERROR(huge.initialize(big, 1), "lower encoder_dims, latent_dim or batch_size");
    }

    void sideFeaturesAlignToTheIds() {
        vaecf::test::TempDir dir;
        const std::vector<std::string> ids{"u1", "u2", "u3", "u4"};
        std::string report;
        // Header, comma-separated, rows in another order, an unknown id, a missing id (u2).
        auto p = vaecf::test::writeFile(dir / "f.csv",
                                        "id,a,b\nu3,1.5,-2\nu1,0.25,+3e1\nzz,9,9\nu4,1,1\n\n");
        Tensor t = readSideFeatures(p.string(), ids, &report);
        QCOMPARE(t.rows, std::int64_t(4));
        QCOMPARE(t.cols, std::int64_t(2));
        QCOMPARE(t.data, (std::vector<float>{0.25f, 30, 0, 0, 1.5f, -2, 1, 1}));
        QCOMPARE(report, std::string("2 features, 3 of 4 ids found, 1 without features (zeros), "
                                     "1 row for unknown ids ignored"));
        // Tab-separated without a header; spaces.
        p = vaecf::test::writeFile(dir / "f.tsv", "u2\t1\nu1\t2\r\nu3\t3\nu4\t4\n");
        t = readSideFeatures(p.string(), ids, &report);
        QCOMPARE(t.data, (std::vector<float>{2, 1, 3, 4}));
        QCOMPARE(report, std::string("1 feature, 4 of 4 ids found"));
        p = vaecf::test::writeFile(dir / "f.txt", "u4  0.5 1\nu1 2 3\n");
        t = readSideFeatures(p.string(), ids, nullptr);
        QCOMPARE(t.data, (std::vector<float>{2, 3, 0, 0, 0, 0, 0.5f, 1}));
    }

    void sideFeatureErrorsNameTheFileAndLine() {
        vaecf::test::TempDir dir;
        const std::vector<std::string> ids{"u1", "u2"};
        auto expect = [&](const std::string& name, const std::string& text, const std::string& msg) {
            const auto p = vaecf::test::writeFile(dir / name, text);
            VAECF_EXPECT_ERROR(readSideFeatures(p.string(), ids, nullptr), p.string() + msg);
        };
        expect("count.csv", "id,a,b\nu1,1,2\nu2,3\n",
               ":3: expected 3 fields (an id and 2 features, separated by ','), got 2");
        expect("number.csv", "u1,1,2\nu2,3,x7\n", ":2: field 3 ('x7') is not a finite number");
        expect("first.csv", "u1,1,n/a\nu2,3,4\n", ":1: field 3 ('n/a') is not a finite number");
        expect("inf.tsv", "u1\t1\nu2\tinf\n", ":2: field 2 ('inf') is not a finite number");
        expect("dup.csv", "id,f\nu1,1\nu2,2\nu1,3\n", ":4: id 'u1' appears again (first on line 2)");
        expect("empty.csv", "\n\n", ": the side-feature file is empty");
        expect("header.csv", "id,f1,f2\n", ": the side-feature file has a header but no rows");
        expect("one.csv", "u1\nu2\n",
               ":1: expected an id and at least one feature separated by commas, tabs or "
               "spaces, got 1 field");
        expect("noid.csv", "u1,1\n,2\n", ":2: the id (first field) is empty");
        expect("other.csv", "i1,1\ni2,2\n",
               ": none of the file's 2 ids is among the data's 2 (another kind of id, or the "
               "wrong file?)");
        VAECF_EXPECT_ERROR(readSideFeatures((dir / "missing.csv").string(), ids, nullptr),
                           "missing.csv: cannot open");
    }
};

QTEST_APPLESS_MAIN(BiVaeTest)
#include "bivae_test.moc"
