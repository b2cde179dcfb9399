// SPDX-License-Identifier: MIT
// The VampPrior family (vamp, hvamp, hvamp-gated): finite-difference checks of the hand-written
// backward passes for every wiring and option that changes the math, the mixture prior and the
// loss against hand-computed values, the clips and their zero gradients, the β schedules,
// AdamNormGrad, learning on clustered data, determinism and hyperparameter messages.
#include <cmath>

#include "fixtures.h"
#include "grad_check.h"
#include "test_util.h"
#include "vaecf/error.h"
#include "vaecf/trainer.h"
#include "vaecf/vamp_vae.h"

using namespace vaecf::core;
using vaecf::test::clusterSplit;

namespace {

CsrMatrix smallRows() {
    // 6 users x 9 items, 1-4 items each.
    return CsrMatrix::fromTriplets(6, 9, {0, 0, 1, 1, 1, 2, 3, 3, 3, 3, 4, 5, 5},
                                   {0, 3, 1, 2, 8, 5, 0, 4, 6, 7, 2, 1, 3}, {});
}

// Tiny networks that still have every kind of layer of the variant.
Config tiny(const std::string& id, Config extra = Config::object()) {
    Config c{{"hidden_size", 5}, {"pseudo_inputs", 4}, {"dropout", 0.3}};
    if (id == "vamp")
        c["latent_dim"] = 3;
    else {
        c["z1_size"] = 3;
        c["z2_size"] = 2;
    }
    for (const auto& [k, v] : extra.items()) c[k] = v;
    return c;
}

std::unique_ptr<VampVae> tinyModel(const std::string& id, const Config& extra, std::uint64_t seed = 5) {
    const VampVariant v = id == "vamp" ? VampVariant::Vamp
                          : id == "hvamp" ? VampVariant::HVamp
                                          : VampVariant::HVampGated;
    auto m = std::make_unique<VampVae>(v, tiny(id, extra));
    m->initialize(smallRows(), seed);
    return m;
}

// Training mode (dropout on users and pseudo-inputs, sampled z) and evaluation mode, with
// tolerances 20x tighter than the shared defaults: the loss is smooth at these sizes.
void checkBothModes(VampVae& m, const QString& what) {
    const CsrMatrix rows = smallRows();
    vaecf::test::GradCheckOptions o;
    o.absTol = 1e-4;
    o.relTol = 5e-3;
    o.samplesPerTensor = 16;
    for (const bool training : {true, false}) {
        o.training = training;
        o.beta = training ? 0.7 : 0.3;
        int checked = 0;
        const QString msg = vaecf::test::checkGradient(m, rows, o, &checked);
        QVERIFY2(msg.isEmpty(), qPrintable(what + (training ? " (training): " : " (eval): ") + msg));
        QVERIFY(checked >= 16 * 8);
    }
}

std::vector<float> scoresOf(const Model& m, const CsrMatrix& rows) {
    std::vector<float> out(static_cast<std::size_t>(rows.rows * m.numItems()));
    m.score(rows, 0, rows.rows, out.data());
    return out;
}

// Pseudo-inputs set to rows whose clip has unit L2 norm, so that encode() of the clipped rows
// (which L2-normalizes) sees exactly what the prior sees. Row c: one item at 2.5 (clipped to 1)
// or, for odd c, two items at 0.6 and 0.8; every other entry negative (clipped to 0).
CsrMatrix setUnitPseudoInputs(VampVae& m) {
    std::vector<float>& w = m.parameter("pseudo");
    const std::int64_t I = m.numItems(), C = static_cast<std::int64_t>(w.size()) / I;
    std::vector<std::int64_t> ri;
    std::vector<std::int32_t> ci;
    std::vector<float> vals;
    for (std::int64_t c = 0; c < C; ++c) {
        for (std::int64_t i = 0; i < I; ++i) w[c * I + i] = -0.3f - 0.01f * static_cast<float>(i);
        const auto a = static_cast<std::int32_t>((2 * c) % I), b = static_cast<std::int32_t>((2 * c + 5) % I);
        if (c % 2 == 0) {
            w[c * I + a] = 2.5f;
            ri.push_back(c), ci.push_back(a), vals.push_back(1.0f);
        } else {
            w[c * I + std::min(a, b)] = 0.6f;
            w[c * I + std::max(a, b)] = 0.8f;
            ri.insert(ri.end(), {c, c});
            ci.insert(ci.end(), {std::min(a, b), std::max(a, b)});
            vals.insert(vals.end(), {0.6f, 0.8f});
        }
    }
    return CsrMatrix::fromTriplets(C, I, ri, ci, vals);
}

Config learnConfig(const std::string& id) {
    Config c{{"hidden_size", 32}, {"pseudo_inputs", 20}, {"batch_size", 50},
             {"learning_rate", 3e-3}, {"warmup_epochs", 10}, {"max_beta", 0.2}};
    if (id == "vamp")
        c["latent_dim"] = 8;
    else {
        c["z1_size"] = 8;
        c["z2_size"] = 8;
    }
    return c;
}

}  // namespace

class VampVaeTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void vampGradientMatchesFiniteDifferences() {
        // Two hidden layers: sparse + pseudo-input first layer, a dense hidden layer, both
        // heads, the decoder and the output; each likelihood, with and without gates.
        for (const std::string lik : {"multinomial", "bernoulli"})
            for (const bool gated : {false, true}) {
                auto m = tinyModel("vamp", {{"num_layers", 2}, {"likelihood", lik}, {"gated", gated}});
                checkBothModes(*m, QString("vamp %1 gated=%2").arg(lik.c_str()).arg(gated));
            }
        // No dropout on the pseudo-inputs, one layer.
        auto m = tinyModel("vamp", {{"pseudo_dropout", false}});
        checkBothModes(*m, "vamp without pseudo-input dropout");
    }

    void hvampGradientMatchesFiniteDifferences() {
        // L = 1: q(z1 | x, z2) reads [x | z2] in one layer, p(x | z1, z2) reads [z1 | z2].
        // L = 2: branches and joint layers; L = 3 adds a hidden layer to each trunk.
        for (const int layers : {1, 2, 3}) {
            auto m = tinyModel("hvamp", {{"num_layers", layers}});
            checkBothModes(*m, QString("hvamp L=%1").arg(layers));
        }
        auto b = tinyModel("hvamp", {{"num_layers", 1}, {"likelihood", "bernoulli"}});
        checkBothModes(*b, "hvamp L=1 bernoulli");
    }

    void hvampGatedGradientMatchesFiniteDifferences() {
        for (const int layers : {2, 1}) {
            auto m = tinyModel("hvamp-gated", {{"num_layers", layers}});
            QVERIFY(m->config()["gated"].get<bool>());
            checkBothModes(*m, QString("hvamp-gated L=%1").arg(layers));
        }
        auto b = tinyModel("hvamp-gated", {{"likelihood", "bernoulli"}});
        checkBothModes(*b, "hvamp-gated bernoulli");
    }

    void mixturePriorMatchesHandComputedValues() {
        // C = 2, K = 1: μ = (0, 1), log σ² = (0, log 4), z = 0.5:
        // p(z) = ½ [e^{−½·0.25} + ½ e^{−½·0.25/4}] without the 2π constant.
        const float mu[] = {0.0f, 1.0f}, lv[] = {0.0f, std::log(4.0f)};
        const float z[] = {0.5f, 100.0f};
        double out[2];
        VampVae::logVampPrior(z, 2, mu, lv, 2, 1, out);
        const double expected = std::log(0.5 * (std::exp(-0.125) + 0.5 * std::exp(-0.03125)));
        QVERIFY2(std::abs(out[0] - expected) < 1e-6, qPrintable(QString::number(out[0], 'g', 10)));
        // Far away the exponentials underflow; the max-shifted log-sum-exp stays exact:
        // a = (−5000, −½(log 4 + 99²/4)) − log 2.
        const double a2 = -0.5 * (std::log(4.0) + 99.0 * 99.0 / 4.0) - std::log(2.0);
        const double a1 = -5000.0 - std::log(2.0);
        const double far = a2 + std::log1p(std::exp(a1 - a2));
        QVERIFY2(std::isfinite(out[1]) && std::abs(out[1] - far) < 1e-2,
                 qPrintable(QString::number(out[1], 'g', 10)));

        // The products form against the direct triple loop, several points and dimensions.
        Rng rng(3);
        const int n = 4, C = 5, K = 3;
        std::vector<float> zs(n * K), ms(C * K), ls(C * K);
        for (auto& v : zs) v = static_cast<float>(rng.normal());
        for (auto& v : ms) v = static_cast<float>(rng.normal());
        for (auto& v : ls) v = static_cast<float>(rng.uniform() * 3.0 - 2.0);
        std::vector<double> got(n);
        VampVae::logVampPrior(zs.data(), n, ms.data(), ls.data(), C, K, got.data());
        for (int b = 0; b < n; ++b) {
            double sum = 0;
            for (int c = 0; c < C; ++c) {
                double a = -std::log(static_cast<double>(C));
                for (int d = 0; d < K; ++d) {
                    const double diff = zs[b * K + d] - ms[c * K + d];
                    a += -0.5 * (ls[c * K + d] + diff * diff / std::exp(static_cast<double>(ls[c * K + d])));
                }
                sum += std::exp(a);
            }
            QVERIFY(std::abs(got[b] - std::log(sum)) < 1e-4);
        }
    }

    void lossTermsMatchHandComputation() {
        // Evaluation mode, K = 1, C = 2: z = μ_u, so KL_u = −½ log σ²_u − log p(μ_u), with the
        // components (μ_c, log σ²_c) = encode(u_c); recon from the scored logits.
        for (const std::string lik : {"multinomial", "bernoulli"}) {
            auto m = tinyModel("vamp", {{"latent_dim", 1}, {"pseudo_inputs", 2}, {"likelihood", lik}});
            const CsrMatrix pseudoRows = setUnitPseudoInputs(*m);
            const CsrMatrix rows = smallRows();
            const std::int64_t n = rows.rows, N = rows.cols;
            std::vector<float> muC(2), lvC(2), mu(n), lv(n);
            m->encode(pseudoRows, 0, 2, muC.data(), lvC.data());
            m->encode(rows, 0, n, mu.data(), lv.data());
            const std::vector<float> logits = scoresOf(*m, rows);
            double kl = 0, recon = 0;
            for (std::int64_t u = 0; u < n; ++u) {
                double p = 0;
                for (int c = 0; c < 2; ++c) {
                    const double diff = mu[u] - muC[c];
                    p += 0.5 * std::exp(-0.5 * (lvC[c] + diff * diff / std::exp(static_cast<double>(lvC[c]))));
                }
                kl += -0.5 * lv[u] - std::log(p);
                const float* l = logits.data() + u * N;
                std::vector<double> x(N, 0.0);
                for (std::int64_t k = rows.indptr[u]; k < rows.indptr[u + 1]; ++k) x[rows.indices[k]] = 1.0;
                if (lik == "multinomial") {
                    double mx = -1e30, s = 0, dot = 0, cnt = 0;
                    for (std::int64_t i = 0; i < N; ++i) mx = std::max(mx, static_cast<double>(l[i]));
                    for (std::int64_t i = 0; i < N; ++i) s += std::exp(l[i] - mx), dot += x[i] * l[i], cnt += x[i];
                    recon += cnt * (mx + std::log(s)) - dot;
                } else {
                    for (std::int64_t i = 0; i < N; ++i) {
                        const double pr = std::clamp(1.0 / (1.0 + std::exp(-static_cast<double>(l[i]))), 1e-5, 1 - 1e-5);
                        recon -= x[i] * std::log(pr) + (1 - x[i]) * std::log(1 - pr);
                    }
                }
            }
            kl /= n;
            recon /= n;
            const LossTerms t = m->batchLoss(rows, 0, n, 1, false, 0.4, nullptr);
            QVERIFY2(std::abs(t.kl - kl) < 1e-4 * (1 + std::abs(kl)),
                     qPrintable(QString("%1: kl %2, hand %3").arg(lik.c_str()).arg(t.kl).arg(kl)));
            QVERIFY2(std::abs(t.recon - recon) < 1e-4 * (1 + recon),
                     qPrintable(QString("%1: recon %2, hand %3").arg(lik.c_str()).arg(t.recon).arg(recon)));
            QVERIFY(std::abs(t.loss - (t.recon + 0.4 * t.kl)) < 1e-9);
            QCOMPARE(t.beta, 0.4);
        }
    }

    void logVariancesAreClippedWithZeroGradientOutside() {
        const CsrMatrix rows = smallRows();
        for (const std::string id : {"vamp", "hvamp"})
            for (const float bias : {50.0f, -50.0f}) {
                auto m = tinyModel(id, {});
                const std::string head = id == "vamp" ? "qz.lv" : "qz2.lv";
                for (float& b : m->parameter(head + ".b")) b = bias;
                const int D = m->latentDim();
                std::vector<float> mu(rows.rows * D), lv(mu.size());
                m->encode(rows, 0, rows.rows, mu.data(), lv.data());
                const float bound = bias > 0 ? 4.0f : -12.0f;
                const int from = id == "vamp" ? 0 : 3;  // H+Vamp: [z1 | z2], z2 after z1's 3
                for (std::int64_t r = 0; r < rows.rows; ++r)
                    for (int d = from; d < D; ++d) QCOMPARE(lv[r * D + d], bound);
                TensorMap g;
                const LossTerms t = m->batchLoss(rows, 0, rows.rows, 9, true, 1.0, &g);
                QVERIFY(std::isfinite(t.loss));
                for (const char* s : {".W", ".b"})
                    for (float v : g.at(head + s).data) QCOMPARE(v, 0.0f);
                // The μ head still learns.
                float mx = 0;
                for (float v : g.at((id == "vamp" ? "qz" : "qz2") + std::string(".mu.W")).data)
                    mx = std::max(mx, std::abs(v));
                QVERIFY(mx > 0);
            }
    }

    void pseudoInputsAreClippedWithZeroGradientOutside() {
        const CsrMatrix rows = smallRows();
        auto m = tinyModel("vamp", {{"pseudo_dropout", false}});
        std::vector<float>& w = m->parameter("pseudo");
        w[0] = -0.5f;  // clipped to 0
        w[1] = 1.5f;   // clipped to 1
        w[2] = 0.5f;   // inside
        const Tensor before = m->pseudoInputLatents();
        for (const bool training : {true, false}) {
            TensorMap g;
            m->batchLoss(rows, 0, rows.rows, 4, training, 1.0, &g);
            const auto& gp = g.at("pseudo").data;
            QCOMPARE(gp[0], 0.0f);
            QCOMPARE(gp[1], 0.0f);
            QVERIFY(gp[2] != 0.0f);
        }
        // Moving an entry further outside [0, 1] changes nothing.
        w[0] = -3.0f;
        w[1] = 7.0f;
        QCOMPARE(m->pseudoInputLatents().data, before.data);
        w[2] = 0.6f;
        QVERIFY(m->pseudoInputLatents().data != before.data);
    }

    void pseudoInputLatentsAreTheEncodingsOfTheClippedRows() {
        for (const std::string id : {"vamp", "hvamp", "hvamp-gated"}) {
            auto m = tinyModel(id, {{"pseudo_inputs", 6}});
            const CsrMatrix clipped = setUnitPseudoInputs(*m);
            const Tensor t = m->pseudoInputLatents();
            const int D = m->latentDim();
            QCOMPARE(t.rows, std::int64_t(6));
            QCOMPARE(t.cols, std::int64_t(D));
            QCOMPARE(D, id == "vamp" ? 3 : 5);
            std::vector<float> mu(6 * D);
            m->encode(clipped, 0, 6, mu.data(), nullptr);
            for (std::size_t k = 0; k < mu.size(); ++k)
                QVERIFY2(std::abs(mu[k] - t.data[k]) <= 1e-5f * (1 + std::abs(mu[k])),
                         qPrintable(QString("%1 [%2]: %3 vs %4").arg(id.c_str()).arg(k).arg(mu[k]).arg(t.data[k])));
        }
    }

    void betaWarmsUpPerEpoch() {
        const Split s = clusterSplit();
        VampVae m(VampVariant::Vamp, {{"hidden_size", 8}, {"latent_dim", 2}, {"pseudo_inputs", 3},
                                      {"batch_size", 100}, {"max_beta", 0.3}, {"warmup_epochs", 4}});
        m.initialize(s.train, 1);
        // β = max_beta · epoch / warmup, capped (EVCF's train_vae), constant within an epoch.
        const double expected[] = {0.075, 0.15, 0.225, 0.3, 0.3, 0.3};
        for (int e = 1; e <= 6; ++e) QVERIFY(std::abs(m.currentBeta(e) - expected[e - 1]) < 1e-12);
        for (int e = 1; e <= 2; ++e) {
            std::vector<double> betas;
            const EpochStats st = m.trainEpoch(s.train, e, [&](const BatchProgress& p) { betas.push_back(p.terms.beta); }, {});
            QCOMPARE(betas.size(), std::size_t(3));
            for (double b : betas) QVERIFY(std::abs(b - expected[e - 1]) < 1e-12);
            QVERIFY(std::abs(st.mean.beta - expected[e - 1]) < 1e-12);
        }
        VampVae now(VampVariant::Vamp, {{"max_beta", 0.3}, {"warmup_epochs", 0}});
        QCOMPARE(now.currentBeta(1), 0.3);
        VampVae constant(VampVariant::HVamp, {{"max_beta", 0.25}, {"beta_schedule", "constant"}});
        QCOMPARE(constant.currentBeta(1), 0.25);
        QCOMPARE(constant.currentBeta(500), 0.25);

        // Liang's per-update annealing: β = min(cap, updates before the step / steps).
        VampVae a(VampVariant::HVampGated, {{"hidden_size", 8}, {"z1_size", 2}, {"z2_size", 2},
                                            {"pseudo_inputs", 3}, {"batch_size", 100},
                                            {"beta_schedule", "anneal"}, {"max_beta", 0.2},
                                            {"total_anneal_steps", 10}});
        a.initialize(s.train, 1);
        std::vector<double> betas;
        a.trainEpoch(s.train, 1, [&](const BatchProgress& p) { betas.push_back(p.terms.beta); }, {});
        QCOMPARE(betas.size(), std::size_t(3));
        QCOMPARE(betas[0], 0.0);
        QVERIFY(std::abs(betas[1] - 0.1) < 1e-12);
        QVERIFY(std::abs(betas[2] - 0.2) < 1e-12);
        QCOMPARE(a.updates(), std::int64_t(3));
        QVERIFY(std::abs(a.currentBeta(1) - 0.2) < 1e-12);
    }

    void adamNormGradMatchesHandComputedSteps() {
        // Two steps on one tensor, against the reference optimizer written out in double:
        // ĝ = g / (‖g‖ + 1e-7); m = 0.9 m + 0.1 ĝ; v = 0.999 v + 0.001 ĝ²;
        // w −= lr √(1 − 0.999^t) / (1 − 0.9^t) · m / (√v + 1e-8).
        const float lr = 0.01f;
        std::vector<float> w{1.0f, -2.0f, 0.5f}, m(3, 0.0f), v(3, 0.0f);
        std::vector<double> ew{1.0, -2.0, 0.5}, em(3, 0.0), ev(3, 0.0);
        const std::vector<std::vector<float>> grads{{3.0f, 4.0f, 0.0f}, {0.0f, -70.0f, 70.0f}};
        for (int t = 1; t <= 2; ++t) {
            std::vector<float> g = grads[t - 1];
            VampVae::adamNormGradStep(w.data(), m.data(), v.data(), g.data(), 3, lr, t);
            double norm = 0;
            for (float x : grads[t - 1]) norm += static_cast<double>(x) * x;
            norm = std::sqrt(norm) + 1e-7;
            for (int k = 0; k < 3; ++k) {
                const double gh = grads[t - 1][k] / norm;
                QVERIFY(std::abs(g[k] - gh) < 1e-6);  // the gradient is normalized in place
                em[k] = 0.9 * em[k] + 0.1 * gh;
                ev[k] = 0.999 * ev[k] + 0.001 * gh * gh;
                ew[k] -= lr * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t)) * em[k] /
                         (std::sqrt(ev[k]) + 1e-8);
            }
            for (int k = 0; k < 3; ++k)
                QVERIFY2(std::abs(w[k] - ew[k]) < 1e-6,
                         qPrintable(QString("step %1 [%2]: %3 vs %4").arg(t).arg(k).arg(w[k]).arg(ew[k])));
        }
    }

    void learnsClustersFarAbovePopularity_data() {
        QTest::addColumn<QString>("id");
        for (const char* id : {"vamp", "hvamp", "hvamp-gated"}) QTest::newRow(id) << QString(id);
    }
    void learnsClustersFarAbovePopularity() {
        QFETCH(QString, id);
        const Split s = clusterSplit();
        TrainOptions o;
        o.epochs = 30;
        o.seed = 3;
        o.metrics.ndcgK = 20;
        o.metrics.recallKs = {5, 10};
        Trainer t(s, createModel(id.toStdString(), learnConfig(id.toStdString())), o);
        t.run();
        t.restoreBest();
        const double ndcg = t.evaluate(s.test).get("ndcg@20");
        Trainer pop(s, createModel("popularity"), o);
        pop.run();
        const double ndcgPop = pop.evaluate(s.test).get("ndcg@20");
        qInfo("test NDCG@20: %s %.3f, popularity %.3f", qPrintable(id), ndcg, ndcgPop);
        QVERIFY(ndcg > 0.4);
        QVERIFY(ndcg > 2.0 * ndcgPop);
        QVERIFY(t.bestEpoch() > 1);
        QVERIFY(t.history().back().train.recon < t.history().front().train.recon);
    }

    void identicalLossesForSameSeedAnyThreadCount() {
        const Split s = clusterSplit();
        for (const std::string id : {"vamp", "hvamp-gated"}) {
            auto run = [&](int threads, std::uint64_t seed) {
                TrainOptions o;
                o.epochs = 2;
                o.seed = seed;
                o.threads = threads;
                o.validate = false;
                Config c = learnConfig(id);
                c["likelihood"] = "bernoulli";
                Trainer t(s, createModel(id, c), o);
                std::vector<double> losses;
                t.run({}, [&](const BatchProgress& p) { losses.push_back(p.terms.loss); });
                return losses;
            };
            const auto a = run(2, 11), b = run(2, 11), c = run(1, 11), d = run(2, 12);
            QCOMPARE(a, b);
            QCOMPARE(a, c);
            QVERIFY(a != d);
        }
    }

    void resumesExactlyAndDecodesItsEncoding() {
        // A non-default configuration (gates, Bernoulli, per-update annealing, one layer) resumes
        // bitwise from state(), and decode(encode(x)) is score(x).
        const Split s = clusterSplit();
        for (const std::string id : {"vamp", "hvamp"}) {
            Config c = learnConfig(id);
            c["gated"] = true;
            c["likelihood"] = "bernoulli";
            c["beta_schedule"] = "anneal";
            c["total_anneal_steps"] = 20;
            c["num_layers"] = 1;
            std::vector<double> straight, resumed;
            auto rec = [](std::vector<double>& v) { return [&v](const BatchProgress& p) { v.push_back(p.terms.loss); }; };
            auto a = createModel(id, c);
            a->initialize(s.train, 4);
            for (int e = 1; e <= 3; ++e) a->trainEpoch(s.train, e, rec(straight), {});
            auto b = createModel(id, c);
            b->initialize(s.train, 4);
            for (int e = 1; e <= 2; ++e) b->trainEpoch(s.train, e, rec(resumed), {});
            auto fresh = createModel(id, c);
            fresh->initialize(s.train, 4);
            fresh->setState(b->state());
            fresh->trainEpoch(s.train, 3, rec(resumed), {});
            QCOMPARE(resumed, straight);

            const CsrMatrix& rows = s.test.foldIn;
            const std::int64_t n = rows.rows;
            const int D = a->latentDim();
            std::vector<float> mu(n * D);
            a->encode(rows, 0, n, mu.data(), nullptr);
            const std::vector<float> scored = scoresOf(*a, rows);
            std::vector<float> decoded(scored.size());
            a->decode(mu.data(), n, decoded.data());
            for (std::size_t k = 0; k < scored.size(); ++k)
                QVERIFY(std::abs(scored[k] - decoded[k]) <= 1e-5f * (1 + std::abs(scored[k])));
            const Tensor emb = a->itemEmbeddings();
            QCOMPARE(emb.rows, s.numItems());
            QCOMPARE(emb.cols, std::int64_t(32));
        }
    }

    void hyperparametersAreValidatedWithTheFieldName() {
        VAECF_EXPECT_ERROR(createModel("vamp", {{"pseudo_inputs", 0}}),
                           "vamp: hyperparameter 'pseudo_inputs' (C) must be in [1, 5000], got 0");
        VAECF_EXPECT_ERROR(createModel("hvamp", {{"beta_schedule", "cyclic"}}),
                           "must be one of warmup, anneal, constant, got \"cyclic\"");
        VAECF_EXPECT_ERROR(createModel("hvamp", {{"latent_dim", 20}}),
                           "hvamp: unknown hyperparameter 'latent_dim'");
        VAECF_EXPECT_ERROR(createModel("hvamp-gated", {{"likelihood", "poisson"}}),
                           "must be one of multinomial, bernoulli, got \"poisson\"");
        VAECF_EXPECT_ERROR(createModel("vamp", {{"num_layers", 0}}),
                           "vamp: hyperparameter 'num_layers' (L) must be in [1, 8], got 0");
        // Reference defaults.
        const auto v = createModel("vamp");
        QCOMPARE(v->config()["pseudo_inputs"].get<int>(), 1000);
        QCOMPARE(v->config()["num_layers"].get<int>(), 1);
        QCOMPARE(v->config()["learning_rate"].get<double>(), 5e-4);
        QCOMPARE(v->config()["batch_size"].get<int>(), 200);
        QCOMPARE(v->config()["likelihood"].get<std::string>(), std::string("multinomial"));
        QCOMPARE(v->config()["optimizer"].get<std::string>(), std::string("adam_norm_grad"));
        QCOMPARE(v->config()["beta_schedule"].get<std::string>(), std::string("warmup"));
        QCOMPARE(v->defaultEpochs(), 400);
        const auto h = createModel("hvamp"), g = createModel("hvamp-gated");
        QCOMPARE(h->config()["num_layers"].get<int>(), 2);
        QVERIFY(!h->config()["gated"].get<bool>());
        QVERIFY(g->config()["gated"].get<bool>());
        QCOMPARE(g->latentDim(), 400);
    }

    void absurdSizesAreRefusedBeforeAllocating() {
        VampVae m(VampVariant::Vamp, {{"pseudo_inputs", 5000}});
        CsrMatrix wide;
        wide.cols = 50000000;
        VAECF_EXPECT_ERROR(m.initialize(wide, 1), "vamp: these hyperparameters need about ");
        VAECF_EXPECT_ERROR(m.initialize(wide, 1), "lower pseudo_inputs");
        // The estimate counts the C x I pseudo-inputs with their gradient and moments.
        VampVae few(VampVariant::Vamp, {{"pseudo_inputs", 10}});
        QVERIFY(m.memoryEstimate(1000, 20000, 0) - few.memoryEstimate(1000, 20000, 0) >
                20.0 * 4990 * 20000);
    }
};

QTEST_GUILESS_MAIN(VampVaeTest)
#include "vamp_vae_test.moc"
