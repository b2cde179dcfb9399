// SPDX-License-Identifier: MIT
#include "vaecf/model.h"

#include "vaecf/error.h"
#include "vaecf/mult_vae.h"
#include "vaecf/popularity.h"

namespace vaecf::core {

void Model::encode(const CsrMatrix&, std::int64_t, std::int64_t, float*, float*) const {
    fail(info().name + " has no latent space to encode users into");
}

void Model::decode(const float*, std::int64_t, float*) const {
    fail(info().name + " has no decoder to map latent points to items");
}

const std::vector<ModelInfo>& modelCatalog() {
    static const std::vector<ModelInfo> catalog{multVaeInfo(), multDaeInfo(), popularityInfo()};
    return catalog;
}

const ModelInfo& modelInfo(const std::string& id) {
    for (const auto& m : modelCatalog())
        if (m.id == id) return m;
    std::string known;
    for (const auto& m : modelCatalog()) known += (known.empty() ? "" : ", ") + m.id;
    fail("unknown model '" + id + "' (known: " + known + ")");
}

std::unique_ptr<Model> createModel(const std::string& id, const Config& config) {
    const ModelInfo& mi = modelInfo(id);
    if (mi.id == "mult-vae") return std::make_unique<MultVae>(true, config);
    if (mi.id == "mult-dae") return std::make_unique<MultVae>(false, config);
    if (mi.id == "popularity") return std::make_unique<Popularity>(config);
    fail("model '" + id + "' is listed but has no implementation");
}

std::unique_ptr<Model> cloneModel(const Model& model, const TensorMap* parameters) {
    if (!model.initialized()) fail("cannot copy " + model.info().id + ": it was never initialized");
    auto copy = createModel(model.info().id, model.config());
    CsrMatrix shape;
    shape.cols = model.numItems();
    copy->initialize(shape, 0);
    copy->setState(parameters ? *parameters : model.parameters());
    return copy;
}

const Tensor& requireTensor(const TensorMap& state, const std::string& name, std::int64_t rows,
                            std::int64_t cols) {
    const auto it = state.find(name);
    if (it == state.end()) fail("model state lacks tensor '" + name + "'");
    const Tensor& t = it->second;
    if (t.rows != rows || t.cols != cols ||
        static_cast<std::int64_t>(t.data.size()) != rows * cols)
        fail("model state tensor '" + name + "' is " + std::to_string(t.rows) + " x " +
             std::to_string(t.cols) + ", expected " + std::to_string(rows) + " x " +
             std::to_string(cols));
    return t;
}

}  // namespace vaecf::core
