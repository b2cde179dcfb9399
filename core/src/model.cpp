// SPDX-License-Identifier: MIT
#include "vaecf/model.h"

#include <cmath>
#include <cstdio>

#include "vaecf/bivae.h"
#include "vaecf/ease.h"
#include "vaecf/error.h"
#include "vaecf/item_knn.h"
#include "vaecf/mult_vae.h"
#include "vaecf/popularity.h"
#include "vaecf/recvae.h"
#include "vaecf/system.h"
#include "vaecf/vamp_vae.h"

namespace vaecf::core {

void Model::encode(const CsrMatrix&, std::int64_t, std::int64_t, float*, float*) const {
    fail(info().name + " has no latent space to encode users into");
}

void Model::decode(const float*, std::int64_t, float*) const {
    fail(info().name + " has no decoder to map latent points to items");
}

double Model::memoryEstimate(std::int64_t, std::int64_t, std::int64_t) const { return 0; }

std::string formatBytes(double bytes) {
    char buf[32];
    if (bytes >= 1e9)
        std::snprintf(buf, sizeof buf, "%.1f GB", bytes / 1e9);
    else if (bytes >= 1e6)
        std::snprintf(buf, sizeof buf, "%.0f MB", bytes / 1e6);
    else if (bytes >= 1e3)
        std::snprintf(buf, sizeof buf, "%.0f kB", bytes / 1e3);
    else
        std::snprintf(buf, sizeof buf, "%.0f bytes", bytes);
    return buf;
}

void checkMemory(const std::string& owner, double bytes, const std::string& hint) {
    const double have = physicalMemoryBytes();
    if (have > 0 && bytes > 0.9 * have)
        fail(owner + ": these hyperparameters need about " + formatBytes(bytes) +
             ", more than this machine's " + formatBytes(have) + " of memory; " + hint);
}

const std::vector<ModelInfo>& modelCatalog() {
    // In the order pickers list them: the paper models first, then context.
    static const std::vector<ModelInfo> catalog{
        multVaeInfo(), multDaeInfo(),  vampInfo(),     hvampInfo(),     hvampGatedInfo(),
        biVaeInfo(),   recVaeInfo(),   easeInfo(),     itemKnnInfo(),   popularityInfo()};
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
    if (mi.id == "vamp") return std::make_unique<VampVae>(VampVariant::Vamp, config);
    if (mi.id == "hvamp") return std::make_unique<VampVae>(VampVariant::HVamp, config);
    if (mi.id == "hvamp-gated") return std::make_unique<VampVae>(VampVariant::HVampGated, config);
    if (mi.id == "bivae") return std::make_unique<BiVae>(config);
    if (mi.id == "recvae") return std::make_unique<RecVae>(config);
    if (mi.id == "ease") return std::make_unique<Ease>(config);
    if (mi.id == "itemknn") return std::make_unique<ItemKnn>(config);
    fail("model '" + id + "' is listed but has no implementation");
}

std::unique_ptr<Model> cloneModel(const Model& model, const TensorMap* parameters) {
    if (!model.initialized()) fail("cannot copy " + model.info().id + ": it was never initialized");
    auto copy = createModel(model.info().id, model.config());
    copy->initialize(emptyTrainingShape(*copy, model.numUsers(), model.numItems()), 0);
    copy->setState(parameters ? *parameters : model.parameters());
    return copy;
}

CsrMatrix emptyTrainingShape(const Model& model, std::int64_t users, std::int64_t items) {
    CsrMatrix shape;
    shape.rows = users;
    shape.cols = items;
    // One-sided models read only rows, cols and nnz() in initialize(); BiVAE sizes its user
    // side from the rows and gets a well-formed matrix.
    const bool twoSided = model.info().family == ModelFamily::TwoSided;
    shape.indptr.assign(twoSided ? static_cast<std::size_t>(users + 1) : 1, 0);
    return shape;
}

void splitCounter24(std::uint64_t v, float* parts, int n) {
    for (int k = n - 1; k >= 0; --k, v >>= 24) parts[k] = static_cast<float>(v & 0xFFFFFF);
}

std::uint64_t joinCounter24(const float* parts, int n, const std::string& tensor) {
    std::uint64_t v = 0;
    for (int k = 0; k < n; ++k) {
        const float x = parts[k];
        if (!(x >= 0.0f && x <= 16777215.0f) || x != std::floor(x)) {
            char shown[32];
            std::snprintf(shown, sizeof shown, "%.9g", static_cast<double>(x));
            fail("model state tensor '" + tensor +
                 "' must hold whole numbers from 0 to 16777215 (24-bit parts of a counter), got " +
                 shown);
        }
        if (v >> 40) fail("model state tensor '" + tensor + "' holds a counter beyond 64 bits");
        v = (v << 24) | static_cast<std::uint64_t>(x);
    }
    return v;
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
