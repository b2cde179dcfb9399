// SPDX-License-Identifier: MIT
// Writes one tiny model file per model of the catalogue (random initial weights, 5 items,
// every size hyperparameter at 2 or 3) into the folder given as the first argument: the seeds
// of the model and project fuzz corpora (make_seeds.py prepends the control byte), and
// bivae-prior.vaecf, a BiVAE trained one epoch with user and item side features, whose file
// holds the side-feature priors ("user.prior.W", ".b", "item.prior.W", ".b"). With a
// second folder, also training checkpoints of every iterative model on the split of
// checkpoint_split.h (the seeds of fuzz_checkpoint), three per model:
//   <id>-best-none     1 of 3 epochs, no validation: no best parameters;
//   <id>-best-state    1 of 3 epochs with validation: the best epoch is the last, its
//                      parameters are the state's own ("best": "state");
//   <id>-best-tensors  2 of 4 epochs, patience 1, stopped early, then resumed once (so
//                      resumed_after is [2]): the best epoch is the first, its parameters are
//                      stored apart ("best": "tensors").
// Build: the fuzz_make_model_seeds target of a normal (non-fuzz) build.
#include <cstdio>
#include <filesystem>
#include <map>

#include "checkpoint_split.h"
#include "vaecf/bivae.h"
#include "vaecf/checkpoint.h"
#include "vaecf/error.h"
#include "vaecf/model.h"
#include "vaecf/model_file.h"
#include "vaecf/trainer.h"

using namespace vaecf::core;

namespace {

void writeCheckpoints(const std::filesystem::path& out, const std::string& id, Config config) {
    if (!createModel(id, config)->iterative()) return;
    for (const ParamSpec& s : modelInfo(id).params)
        if (s.name == "batch_size") config["batch_size"] = 2;  // two batches an epoch
    const Split& split = vaecf::fuzz::checkpointSplit();
    TrainOptions o;
    o.seed = 7;
    o.threads = 1;
    {
        o.epochs = 3;
        o.validate = false;
        Trainer t(split, createModel(id, config), o);
        t.runEpoch();
        t.saveCheckpoint(out / (id + "-best-none"));
    }
    {
        o.validate = true;
        Trainer t(split, createModel(id, config), o);
        t.runEpoch();
        t.saveCheckpoint(out / (id + "-best-state"));
    }
    {
        o.epochs = 4;
        o.patience = 1;
        Trainer t(split, createModel(id, config), o);
        t.run();
        const auto path = out / (id + "-best-tensors");
        t.saveCheckpoint(path);
        ResumeOptions ro;
        ro.threads = 1;
        Trainer again(split, loadCheckpointFile(path), ro);
        again.saveCheckpoint(path);
        const Checkpoint ck = loadCheckpointFile(path);
        if (ck.bestEpoch != 1 || ck.epochsRun() != 2 || !ck.stoppedEarly)
            fail(path.string() + ": expected best epoch 1 of 2, stopped early");
    }
}

// A BiVAE with the constrained adaptive prior: side features for the 4 users (2 columns) and
// the 5 items (1 column), trained one epoch so that the priors are not their initial values.
// A model loaded from the file has no features and adopts the priors (BiVae::setState), the
// only way a model file reaches that branch.
void writeBiVaeWithPrior(const std::filesystem::path& out, const Config& config,
                         const CsrMatrix& train, const ModelMeta& meta) {
    auto model = createModel("bivae", config);
    auto& bivae = dynamic_cast<BiVae&>(*model);
    bivae.setSideFeatures(Tensor{4, 2, {1, 0, 0, 1, 1, 1, 0.5f, -1}},
                          Tensor{5, 1, {0, 1, 2, 0.5f, -1}});
    bivae.initialize(train, 7);
    bivae.trainEpoch(train, 1, {}, {});
    const auto path = out / "bivae-prior.vaecf";
    saveModelFile(path, bivae, meta);
    const TensorMap loaded = loadModelFile(path).model->parameters();
    for (const char* name : {"user.prior.W", "user.prior.b", "item.prior.W", "item.prior.b"})
        if (!loaded.count(name))
            fail(path.string() + ": expected tensor '" + name + "'");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2 && argc != 3) {
        std::fprintf(stderr, "usage: %s <model folder> [<checkpoint folder>]\n", argv[0]);
        return 2;
    }
    const std::filesystem::path out = argv[1];
    std::filesystem::create_directories(out);
    const std::filesystem::path checkpoints = argc == 3 ? argv[2] : "";
    if (!checkpoints.empty()) std::filesystem::create_directories(checkpoints);
    // Small sizes for every hyperparameter that sets a layer width.
    const std::map<std::string, nlohmann::json> small = {
        {"hidden_dims", nlohmann::json::array({3})}, {"encoder_dims", nlohmann::json::array({3})},
        {"hidden_size", 3}, {"hidden_dim", 3}, {"latent_dim", 2}, {"z1_size", 2},
        {"z2_size", 2}, {"pseudo_inputs", 2}, {"k", 3}};
    CsrMatrix train;  // 4 users x 5 items
    train.rows = 4;
    train.cols = 5;
    train.indptr = {0, 2, 4, 5, 7};
    train.indices = {0, 1, 1, 2, 3, 0, 4};
    train.values.assign(train.indices.size(), 1.0f);
    try {
        for (const ModelInfo& info : modelCatalog()) {
            Config config = Config::object();
            for (const ParamSpec& s : info.params)
                if (auto it = small.find(s.name); it != small.end()) config[s.name] = it->second;
            auto model = createModel(info.id, config);
            model->initialize(train, 7);
            ModelMeta meta;
            meta.itemIds = {"10", "20", "30", "40", "50"};
            meta.itemTitles = {"Alpha (1995)", "Beta", "Gamma, The (2001)", "", "Epsilon"};
            meta.datasetName = "synthetic";
            meta.splitFingerprint = "0123456789abcdef";
            meta.training = {{"seed", 7}, {"best_epoch", 1}};
            saveModelFile(out / (info.id + ".vaecf"), *model, meta);
            if (info.id == "bivae") writeBiVaeWithPrior(out, config, train, meta);
            if (!checkpoints.empty()) writeCheckpoints(checkpoints, info.id, config);
        }
    } catch (const Error& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    return 0;
}
