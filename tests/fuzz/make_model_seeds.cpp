// SPDX-License-Identifier: MIT
// Writes one tiny model file per model of the catalogue (random initial weights, 5 items,
// every size hyperparameter at 2 or 3) into the folder given as the only argument: the seeds
// of the model and project fuzz corpora (make_seeds.py prepends the control byte).
// Build: the fuzz_make_model_seeds target of a normal (non-fuzz) build.
#include <cstdio>
#include <filesystem>
#include <map>

#include "vaecf/error.h"
#include "vaecf/model.h"
#include "vaecf/model_file.h"

using namespace vaecf::core;

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <output folder>\n", argv[0]);
        return 2;
    }
    const std::filesystem::path out = argv[1];
    std::filesystem::create_directories(out);
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
        }
    } catch (const Error& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    return 0;
}
