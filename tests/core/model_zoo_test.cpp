// SPDX-License-Identifier: MIT
// Contracts every model of the catalog keeps, checked the same way for all of them on a small
// clustered split with each model's default hyperparameters: identical scores after a model
// file round trip and in copies, exact resume from state(), determinism for a seed, rows
// scored independently, encode/decode consistency, pseudo-inputs in latent space, a memory
// estimate, and errors (not crashes) for misuse.
#include <cmath>

#include <tbb/task_arena.h>

#include "fixtures.h"
#include "test_util.h"
#include "vaecf/error.h"
#include "vaecf/model_file.h"
#include "vaecf/trainer.h"

using namespace vaecf::core;

namespace {

const Split& split() { return vaecf::test::sharedClusterSplit(); }

std::vector<float> scoresOf(const Model& m, const CsrMatrix& rows) {
    std::vector<float> out(static_cast<std::size_t>(rows.rows * m.numItems()));
    m.score(rows, 0, rows.rows, out.data());
    return out;
}

// A model trained for `epochs` epochs from `seed`, with every batch's loss.
std::unique_ptr<Model> trained(const std::string& id, int epochs, std::uint64_t seed,
                               std::vector<double>* losses = nullptr) {
    auto m = createModel(id);
    m->initialize(split().train, seed);
    for (int e = 1; e <= epochs; ++e)
        m->trainEpoch(split().train, e, [&](const BatchProgress& p) {
            if (losses) losses->push_back(p.terms.loss);
        }, {});
    return m;
}

std::string fewIds() {
    std::string s;
    for (const auto& m : modelCatalog()) s += m.id + " ";
    return s;
}

}  // namespace

class ModelZooTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // The run's memory estimate counts the trainer's copies next to the model: two of the
    // state at an epoch boundary and one of the best parameters.
    void trainerMemoryEstimateCountsItsCopies() {
        const Split& s = split();
        const std::int64_t I = s.numItems(), H = 8, K = 4;
        Config config = Config::object();
        config["hidden_dims"] = {H};
        config["latent_dim"] = K;
        TrainOptions o;
        o.epochs = 1;
        o.threads = 1;
        Trainer t(s, createModel("mult-dae", config), o);
        const double model = t.model().memoryEstimate(s.train.rows, I, s.train.nnz());
        QVERIFY(model > 0);
        // Mult-DAE [I, H, K, H, I]: weights and biases of four layers, by hand.
        const double params = double((I + 1) * H + (H + 1) * K + (K + 1) * H + (H + 1) * I);
        // The state: parameters and two Adam moments each, the update counter (2 floats) and
        // the first layer's per-row steps (2 floats a row).
        const double state = 3 * params + 2 + 2 * double(I);
        QCOMPARE(t.memoryEstimate(), model + 4 * (2 * state + params));
        // Closed-form models keep no copies (EASE's estimate counts the solver blocks of the
        // trainer's one-thread arena).
        Trainer e(s, createModel("ease", Config::object()), o);
        double ease = 0;
        tbb::task_arena(1).execute([&] { ease = e.model().memoryEstimate(s.train.rows, I, s.train.nnz()); });
        QCOMPARE(e.memoryEstimate(), ease);
    }

    void catalogIsComplete() {
        // The product promises these models (README, issue 4); each is in the catalog, has a
        // citation and a summary, and every hyperparameter is described for forms and --help.
        for (const char* id : {"mult-vae", "mult-dae", "vamp", "hvamp", "hvamp-gated", "bivae", "recvae",
                               "ease", "itemknn", "popularity"}) {
            const ModelInfo& mi = modelInfo(id);
            QVERIFY2(!mi.name.empty() && !mi.summary.empty(), id);
            for (const ParamSpec& p : mi.params) {
                QVERIFY2(!p.label.empty() && !p.help.empty() && !p.group.empty(),
                         qPrintable(QString("%1.%2").arg(id, QString::fromStdString(p.name))));
                // The default passes the model's own validation.
                QVERIFY(!validateConfig(mi.params, Config{{p.name, p.defaultValue}}, id).is_null());
            }
        }
        QCOMPARE(static_cast<int>(modelCatalog().size()), 10);
        VAECF_EXPECT_ERROR(createModel("vae"), "unknown model 'vae' (known: mult-vae, mult-dae, vamp");
        qInfo("catalog: %s", fewIds().c_str());
    }

    // A model file keeps the training matrix's user count. A popularity model has one value
    // per item, and loading used to allow at most 16 users per stored value (or 2^24): one
    // trained on 33.5M users and 5 items saved a file it then refused to load. One-sided models
    // now load (and copy) any user count without a row index of that size.
    void aOneSidedModelOfManyUsersLoadsBack() {
        const std::int64_t users = std::int64_t{1} << 25;
        auto m = createModel("popularity");
        const CsrMatrix train = vaecf::test::tinyTrain();
        m->initialize(emptyTrainingShape(*m, users, train.cols), 0);
        QCOMPARE(m->numUsers(), users);
        m->trainEpoch(train, 1, {}, {});
        const std::vector<float> a = scoresOf(*m, train);
        vaecf::test::TempDir dir;
        const auto path = dir.path() / "pop.vaecf";
        saveModelFile(path, *m, ModelMeta{});
        const LoadedModel lm = loadModelFile(path);
        QCOMPARE(lm.model->numUsers(), users);
        QCOMPARE(scoresOf(*lm.model, train), a);
        QCOMPARE(scoresOf(*cloneModel(*lm.model), train), a);
        // Two-sided models still need their values per user: the shape has the full index.
        auto b = createModel("bivae");
        QCOMPARE(emptyTrainingShape(*b, 3, 5).indptr.size(), std::size_t{4});
        QCOMPARE(emptyTrainingShape(*m, 3, 5).indptr.size(), std::size_t{1});
    }

    void scoresSurviveFilesAndCopies_data() { models(); }
    void scoresSurviveFilesAndCopies() {
        QFETCH(QString, id);
        const Split& s = split();
        auto m = trained(id.toStdString(), 2, 5);
        const std::vector<float> a = scoresOf(*m, s.test.foldIn);
        for (float v : a) QVERIFY(std::isfinite(v));

        vaecf::test::TempDir dir;
        ModelMeta meta;
        meta.itemIds = s.itemIds;
        meta.datasetName = s.datasetName;
        const auto path = dir.path() / "m.vaecf";
        saveModelFile(path, *m, meta);
        const LoadedModel lm = loadModelFile(path);
        QCOMPARE(lm.model->info().id, id.toStdString());
        QCOMPARE(lm.model->numUsers(), m->numUsers());
        QCOMPARE(scoresOf(*lm.model, s.test.foldIn), a);

        QCOMPARE(scoresOf(*cloneModel(*m), s.test.foldIn), a);
        const TensorMap params = m->parameters();
        QCOMPARE(scoresOf(*cloneModel(*m, &params), s.test.foldIn), a);

        // The same seed trains the same model; rows are scored independently of their batch.
        QCOMPARE(scoresOf(*trained(id.toStdString(), 2, 5), s.test.foldIn), a);
        const std::int64_t N = m->numItems();
        std::vector<float> one(static_cast<std::size_t>(N));
        m->score(s.test.foldIn, 3, 4, one.data());
        for (std::int64_t i = 0; i < N; ++i)
            QVERIFY2(std::abs(one[i] - a[3 * N + i]) <= 1e-5f * (1.0f + std::abs(a[3 * N + i])),
                     qPrintable(QString("item %1: %2 alone, %3 in a batch").arg(i).arg(one[i]).arg(a[3 * N + i])));
    }

    void resumesExactlyFromItsState_data() { models(); }
    void resumesExactlyFromItsState() {
        QFETCH(QString, id);
        const std::string mid = id.toStdString();
        if (!createModel(mid)->iterative()) QSKIP("fits in one step: nothing to resume");
        // Three epochs straight, against two epochs, state() into a fresh model, one more.
        std::vector<double> straight, resumed;
        trained(mid, 3, 9, &straight);
        auto first = trained(mid, 2, 9, &resumed);
        auto second = createModel(mid);
        second->initialize(split().train, 9);
        second->setState(first->state());
        second->trainEpoch(split().train, 3, [&](const BatchProgress& p) { resumed.push_back(p.terms.loss); }, {});
        QCOMPARE(resumed, straight);
    }

    void latentSpaceIsConsistent_data() { models(); }
    void latentSpaceIsConsistent() {
        QFETCH(QString, id);
        const Split& s = split();
        auto m = trained(id.toStdString(), 2, 3);
        const CsrMatrix& rows = s.test.foldIn;
        const std::int64_t n = rows.rows, N = m->numItems();
        const int K = m->latentDim();
        const Tensor emb = m->itemEmbeddings();
        if (emb.rows > 0) QCOMPARE(emb.rows, N);
        const Tensor pseudo = m->pseudoInputLatents();
        const bool vamp = id.contains(QLatin1String("vamp"));
        QCOMPARE(pseudo.rows > 0, vamp);
        if (vamp) {
            QCOMPARE(pseudo.cols, static_cast<std::int64_t>(K));
            QCOMPARE(pseudo.rows, m->config()["pseudo_inputs"].get<std::int64_t>());
        }
        QVERIFY(m->memoryEstimate(s.train.rows, N, s.train.nnz()) > 0);
        if (K == 0) {
            std::vector<float> mu(4);
            QVERIFY_THROWS_EXCEPTION(Error, m->encode(rows, 0, 1, mu.data(), nullptr));
            return;
        }
        std::vector<float> mu(static_cast<std::size_t>(n * K)), lv(mu.size());
        m->encode(rows, 0, n, mu.data(), lv.data());
        for (std::size_t k = 0; k < mu.size(); ++k) QVERIFY(std::isfinite(mu[k]) && std::isfinite(lv[k]));
        if (!m->hasDecoder()) return;
        // Scoring decodes the posterior means, so decoding what encode() gives is the score
        // (up to a monotone link, which the models apply in both or neither).
        const std::vector<float> a = scoresOf(*m, rows);
        std::vector<float> d(a.size());
        m->decode(mu.data(), n, d.data());
        float worst = 0;
        for (std::size_t k = 0; k < a.size(); ++k) worst = std::max(worst, std::abs(a[k] - d[k]) / (1.0f + std::abs(a[k])));
        QVERIFY2(worst <= 1e-4f, qPrintable(QString::number(worst)));
    }

    void misuseIsAnErrorNotACrash_data() { models(); }
    void misuseIsAnErrorNotACrash() {
        QFETCH(QString, id);
        const Split& s = split();
        auto fresh = createModel(id.toStdString());
        std::vector<float> out(static_cast<std::size_t>(s.numItems()));
        QVERIFY_THROWS_EXCEPTION(Error, fresh->score(s.test.foldIn, 0, 1, out.data()));
        QVERIFY_THROWS_EXCEPTION(Error, fresh->trainEpoch(s.train, 1, {}, {}));
        auto m = trained(id.toStdString(), 1, 2);
        CsrMatrix wider = CsrMatrix::fromTriplets(1, s.numItems() + 3, {0},
                                                   {static_cast<std::int32_t>(s.numItems() + 1)}, {});
        std::vector<float> wide(static_cast<std::size_t>(s.numItems() + 3));
        QVERIFY_THROWS_EXCEPTION(Error, m->score(wider, 0, 1, wide.data()));
        QVERIFY_THROWS_EXCEPTION(Error, m->trainEpoch(wider, 2, {}, {}));
        // A state with a tensor missing names it.
        TensorMap st = m->parameters();
        const std::string dropped = st.begin()->first;
        st.erase(st.begin());
        auto other = createModel(id.toStdString());
        other->initialize(s.train, 2);
        VAECF_EXPECT_ERROR(other->setState(st), "'" + dropped + "'");
        // A user with no interactions is scored (finite), not refused.
        CsrMatrix empty = CsrMatrix::fromTriplets(1, s.numItems(), {}, {}, {});
        m->score(empty, 0, 1, out.data());
        for (float v : out) QVERIFY(std::isfinite(v));
    }

private:
    void models() {
        QTest::addColumn<QString>("id");
        for (const auto& m : modelCatalog()) QTest::newRow(m.id.c_str()) << QString::fromStdString(m.id);
    }
};

QTEST_GUILESS_MAIN(ModelZooTest)
#include "model_zoo_test.moc"
