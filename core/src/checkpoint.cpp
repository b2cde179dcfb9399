// SPDX-License-Identifier: MIT
#include "vaecf/checkpoint.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "vaecf/error.h"
#include "vaecf/model_file.h"

namespace vaecf::core {

namespace {

constexpr int kCheckpointVersion = 1;
constexpr const char* kStatePrefix = "state/";
constexpr const char* kBestPrefix = "best/";

// Doubles exactly: JSON numbers round-trip (shortest representation); NaN and ±inf, which
// JSON lacks, as strings.
nlohmann::json exact(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    return v;
}

nlohmann::json exactMap(const std::map<std::string, double>& m) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [k, v] : m) j[k] = exact(v);
    return j;
}

nlohmann::json toJson(const TrainOptions& o) {
    const MetricOptions& m = o.metrics;
    return {{"epochs", o.epochs},
            {"seed", o.seed},
            {"threads", o.threads},
            {"patience", o.patience},
            {"validate", o.validate},
            {"select_by", o.selectBy},
            {"eval_batch", o.evalBatch},
            {"metrics",
             {{"ndcg_k", m.ndcgK},
              {"recall_ks", m.recallKs},
              {"precision_k", m.precisionK},
              {"mrr_k", m.mrrK},
              {"hit_k", m.hitK},
              {"coverage_k", m.coverageK}}}};
}

nlohmann::json toJson(const EpochReport& e) {
    nlohmann::json j{{"epoch", e.epoch},
                     {"loss", exact(e.train.loss)},
                     {"recon", exact(e.train.recon)},
                     {"kl", exact(e.train.kl)},
                     {"beta", exact(e.train.beta)},
                     {"penalty", exact(e.train.penalty)},
                     {"batches", e.batches},
                     {"updates", e.updates},
                     {"train_seconds", exact(e.trainSeconds)},
                     {"eval_seconds", exact(e.evalSeconds)},
                     {"validated", e.validated},
                     {"improved", e.improved}};
    if (e.validated)
        j["validation"] = {{"mean", exactMap(e.validation.mean)},
                           {"std_error", exactMap(e.validation.stdError)},
                           {"users_scored", e.validation.usersScored},
                           {"users_without_held_out", e.validation.usersWithoutHeldOut}};
    return j;
}

bool sameTensor(const Tensor& a, const Tensor& b) {
    return a.rows == b.rows && a.cols == b.cols && a.data.size() == b.data.size() &&
           std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(float)) == 0;
}

// Reads fields of the header with messages naming the file and the field.
class Fields {
public:
    explicit Fields(std::string path) : m_path(std::move(path)) {}

    const nlohmann::json& at(const nlohmann::json& j, const std::string& key,
                             const std::string& where) const {
        if (!j.is_object()) bad(where, "is not an object");
        const auto it = j.find(key);
        if (it == j.end()) fail(m_path + ": checkpoint field '" + join(where, key) + "' is missing");
        return *it;
    }
    template <class T>
    T get(const nlohmann::json& j, const std::string& key, const std::string& where) const {
        const nlohmann::json& v = at(j, key, where);
        try {
            return v.get<T>();
        } catch (const nlohmann::json::exception&) {
            bad(join(where, key), "has the wrong type (" + std::string(v.type_name()) + ")");
        }
    }
    double real(const nlohmann::json& j, const std::string& key, const std::string& where) const {
        return real(at(j, key, where), join(where, key));
    }
    double real(const nlohmann::json& v, const std::string& field) const {
        if (v.is_number()) return v.get<double>();
        if (v.is_string()) {
            const std::string s = v.get<std::string>();
            if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
            if (s == "inf") return std::numeric_limits<double>::infinity();
            if (s == "-inf") return -std::numeric_limits<double>::infinity();
        }
        bad(field, "is not a number");
    }
    std::map<std::string, double> realMap(const nlohmann::json& j, const std::string& key,
                                          const std::string& where) const {
        const nlohmann::json& v = at(j, key, where);
        if (!v.is_object()) bad(join(where, key), "is not an object");
        std::map<std::string, double> m;
        for (const auto& [k, x] : v.items()) m[k] = real(x, join(join(where, key), k));
        return m;
    }
    [[noreturn]] void bad(const std::string& field, const std::string& what) const {
        fail(m_path + ": checkpoint field '" + field + "' " + what);
    }
    static std::string join(const std::string& where, const std::string& key) {
        return where.empty() ? key : where + "." + key;
    }

private:
    std::string m_path;
};

}  // namespace

void saveCheckpointFile(const std::filesystem::path& path, const Checkpoint& c) {
    saveCheckpointFile(path, c, c.modelState, c.bestParameters);
}

void saveCheckpointFile(const std::filesystem::path& path, const Checkpoint& c,
                        const TensorMap& modelState, const TensorMap& bestParameters) {
    const std::string p = path.string();
    if (modelState.empty()) fail(p + ": cannot write a checkpoint without a model state");
    nlohmann::json h;
    h["kind"] = "checkpoint";
    h["checkpoint_version"] = kCheckpointVersion;
    h["model"] = c.modelId;
    h["config"] = c.config;
    h["items"] = c.items;
    h["users"] = c.users;
    h["dataset"] = c.datasetName;
    h["split_fingerprint"] = c.splitFingerprint;
    h["options"] = toJson(c.options);
    nlohmann::json history = nlohmann::json::array();
    for (const EpochReport& e : c.history) history.push_back(toJson(e));
    h["history"] = std::move(history);
    nlohmann::json t{{"total_epochs", c.totalEpochs},
                     {"epochs_run", c.epochsRun()},
                     {"best_epoch", c.bestEpoch},
                     {"best_value", exact(c.bestValue)},
                     {"since_best", c.sinceBest},
                     {"stopped_early", c.stoppedEarly},
                     {"resumed_after", c.resumedAfter}};
    TensorRefs refs = tensorRefs(modelState, kStatePrefix);
    // The best epoch is often the last one: then its parameters are the state's own tensors
    // and are stored once.
    bool inState = !bestParameters.empty();
    for (const auto& [name, tensor] : bestParameters) {
        const auto it = modelState.find(name);
        if (it == modelState.end() || !sameTensor(it->second, tensor)) {
            inState = false;
            break;
        }
    }
    if (bestParameters.empty()) {
        t["best"] = "none";
    } else if (inState) {
        t["best"] = "state";
        nlohmann::json names = nlohmann::json::array();
        for (const auto& [name, tensor] : bestParameters) names.push_back(name);
        t["best_tensors"] = std::move(names);
    } else {
        t["best"] = "tensors";
        const TensorRefs best = tensorRefs(bestParameters, kBestPrefix);
        refs.insert(refs.end(), best.begin(), best.end());
    }
    h["trainer"] = std::move(t);
    h["written_by"] = "vaecf-studio 0.1.0";
    writeContainerFile(path, h, refs);
}

Checkpoint loadCheckpointFile(const std::filesystem::path& path) {
    const std::string p = path.string();
    ContainerFile f = readContainerFile(path, "checkpoint");
    const nlohmann::json& h = f.header;
    if (!h.contains("kind") || h["kind"] != "checkpoint") {
        if (h.contains("item_ids")) fail(p + ": this is a model file, not a training checkpoint");
        fail(p + ": not a training checkpoint (the header has no \"kind\": \"checkpoint\")");
    }
    const Fields F(p);
    const int version = F.get<int>(h, "checkpoint_version", "");
    if (version != kCheckpointVersion)
        fail(p + ": checkpoint version " + std::to_string(version) +
             " is not supported (this build reads version " + std::to_string(kCheckpointVersion) + ")");
    Checkpoint c;
    c.source = p;
    c.modelId = F.get<std::string>(h, "model", "");
    c.config = F.at(h, "config", "");
    if (!c.config.is_object()) F.bad("config", "is not an object");
    c.items = F.get<std::int64_t>(h, "items", "");
    c.users = F.get<std::int64_t>(h, "users", "");
    c.datasetName = F.get<std::string>(h, "dataset", "");
    c.splitFingerprint = F.get<std::string>(h, "split_fingerprint", "");

    const nlohmann::json& o = F.at(h, "options", "");
    TrainOptions& opt = c.options;
    opt.epochs = F.get<int>(o, "epochs", "options");
    opt.seed = F.get<std::uint64_t>(o, "seed", "options");
    opt.threads = F.get<int>(o, "threads", "options");
    opt.patience = F.get<int>(o, "patience", "options");
    opt.validate = F.get<bool>(o, "validate", "options");
    opt.selectBy = F.get<std::string>(o, "select_by", "options");
    opt.evalBatch = F.get<std::int64_t>(o, "eval_batch", "options");
    const nlohmann::json& m = F.at(o, "metrics", "options");
    opt.metrics.ndcgK = F.get<int>(m, "ndcg_k", "options.metrics");
    opt.metrics.recallKs = F.get<std::vector<int>>(m, "recall_ks", "options.metrics");
    opt.metrics.precisionK = F.get<int>(m, "precision_k", "options.metrics");
    opt.metrics.mrrK = F.get<int>(m, "mrr_k", "options.metrics");
    opt.metrics.hitK = F.get<int>(m, "hit_k", "options.metrics");
    opt.metrics.coverageK = F.get<int>(m, "coverage_k", "options.metrics");
    try {
        opt.check();
    } catch (const Error& e) {
        fail(p + ": " + e.what());
    }

    const nlohmann::json& hist = F.at(h, "history", "");
    if (!hist.is_array()) F.bad("history", "is not an array");
    for (std::size_t k = 0; k < hist.size(); ++k) {
        const nlohmann::json& e = hist[k];
        const std::string w = "history[" + std::to_string(k) + "]";
        EpochReport r;
        r.epoch = F.get<int>(e, "epoch", w);
        if (r.epoch != static_cast<int>(k) + 1) F.bad(w + ".epoch", "is " + std::to_string(r.epoch) + ", not " + std::to_string(k + 1));
        r.train.loss = F.real(e, "loss", w);
        r.train.recon = F.real(e, "recon", w);
        r.train.kl = F.real(e, "kl", w);
        r.train.beta = F.real(e, "beta", w);
        r.train.penalty = F.real(e, "penalty", w);
        r.batches = F.get<std::int64_t>(e, "batches", w);
        r.updates = F.get<std::int64_t>(e, "updates", w);
        r.trainSeconds = F.real(e, "train_seconds", w);
        r.evalSeconds = F.real(e, "eval_seconds", w);
        r.validated = F.get<bool>(e, "validated", w);
        r.improved = F.get<bool>(e, "improved", w);
        if (r.validated) {
            const nlohmann::json& v = F.at(e, "validation", w);
            const std::string vw = w + ".validation";
            r.validation.mean = F.realMap(v, "mean", vw);
            r.validation.stdError = F.realMap(v, "std_error", vw);
            r.validation.usersScored = F.get<std::int64_t>(v, "users_scored", vw);
            r.validation.usersWithoutHeldOut = F.get<std::int64_t>(v, "users_without_held_out", vw);
        }
        c.history.push_back(std::move(r));
    }

    const nlohmann::json& t = F.at(h, "trainer", "");
    c.totalEpochs = F.get<int>(t, "total_epochs", "trainer");
    const int run = F.get<int>(t, "epochs_run", "trainer");
    if (run != c.epochsRun())
        F.bad("trainer.epochs_run", "is " + std::to_string(run) + " but the history holds " +
                                        std::to_string(c.epochsRun()) + " epochs");
    if (c.totalEpochs < run) F.bad("trainer.total_epochs", "is below the epochs run");
    c.bestEpoch = F.get<int>(t, "best_epoch", "trainer");
    if (c.bestEpoch < 0 || c.bestEpoch > run) F.bad("trainer.best_epoch", "is out of range");
    c.bestValue = F.real(t, "best_value", "trainer");
    c.sinceBest = F.get<int>(t, "since_best", "trainer");
    c.stoppedEarly = F.get<bool>(t, "stopped_early", "trainer");
    c.resumedAfter = F.get<std::vector<int>>(t, "resumed_after", "trainer");
    const std::string best = F.get<std::string>(t, "best", "trainer");

    const std::string sp = kStatePrefix, bp = kBestPrefix;
    while (!f.tensors.empty()) {
        auto node = f.tensors.extract(f.tensors.begin());
        const std::string name = node.key();
        if (name.rfind(sp, 0) == 0) {
            node.key() = name.substr(sp.size());
            c.modelState.insert(std::move(node));
        } else if (name.rfind(bp, 0) == 0 && best == "tensors") {
            node.key() = name.substr(bp.size());
            c.bestParameters.insert(std::move(node));
        } else {
            fail(p + ": the checkpoint holds an unexpected tensor '" + name + "'");
        }
    }
    if (c.modelState.empty()) fail(p + ": the checkpoint holds no model state");
    if (best == "state") {
        for (const auto& name : F.get<std::vector<std::string>>(t, "best_tensors", "trainer")) {
            const auto it = c.modelState.find(name);
            if (it == c.modelState.end())
                F.bad("trainer.best_tensors", "names '" + name + "', which the state lacks");
            c.bestParameters[name] = it->second;
        }
    } else if (best != "tensors" && best != "none") {
        F.bad("trainer.best", "has an unknown value '" + best + "'");
    }
    if ((c.bestEpoch > 0) != !c.bestParameters.empty())
        F.bad("trainer.best", "does not match trainer.best_epoch " + std::to_string(c.bestEpoch));
    return c;
}

}  // namespace vaecf::core
