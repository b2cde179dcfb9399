// SPDX-License-Identifier: MIT
#include "vaecf/checkpoint.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <set>
#include <string_view>
#include <type_traits>

#include "vaecf/error.h"
#include "vaecf/json_number.h"
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
    // Integers (and lists of them) are whole numbers that fit the type (json_number.h): a JSON
    // float is never cast unchecked ("epochs": 1e300, 2.5).
    template <class T>
    T get(const nlohmann::json& j, const std::string& key, const std::string& where) const {
        const nlohmann::json& v = at(j, key, where);
        const std::string field = join(where, key);
        if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
            return integer<T>(v, field);
        } else if constexpr (std::is_same_v<T, std::vector<int>>) {
            if (!v.is_array()) bad(field, "has the wrong type (" + std::string(v.type_name()) + ")");
            std::vector<int> out;
            out.reserve(v.size());
            for (std::size_t k = 0; k < v.size(); ++k)
                out.push_back(integer<int>(v[k], field + "[" + std::to_string(k) + "]"));
            return out;
        } else {
            try {
                return v.get<T>();
            } catch (const nlohmann::json::exception&) {
                bad(field, "has the wrong type (" + std::string(v.type_name()) + ")");
            }
        }
    }
    template <class T>
    T integer(const nlohmann::json& v, const std::string& field) const {
        return jsonInteger<T>(v, m_path + ": checkpoint field '" + field + "'");
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
    // A count: 0 or more.
    template <class T>
    T count(const nlohmann::json& j, const std::string& key, const std::string& where) const {
        const T v = get<T>(j, key, where);
        if (v < 0) bad(join(where, key), "must be 0 or more, got " + std::to_string(v));
        return v;
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

// The metric names a validation with `m` reports (evaluateRanking), in name order.
std::set<std::string> metricNames(const MetricOptions& m) {
    return {"ndcg@" + std::to_string(m.ndcgK),         "recall@" + std::to_string(m.recallKs[0]),
            "recall@" + std::to_string(m.recallKs[1]), "precision@" + std::to_string(m.precisionK),
            "hit@" + std::to_string(m.hitK),           "mrr@" + std::to_string(m.mrrK),
            "coverage@" + std::to_string(m.coverageK)};
}

std::string listed(const std::set<std::string>& names) {
    std::string s;
    for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
    return s;
}

std::string shown(float v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.9g", static_cast<double>(v));
    return b;
}

// The models keep their step counters in the state as exact integers in float, in 24-bit
// parts: "updates" (Mult-VAE/DAE, the VampPrior family, RecVAE: optimizer updates so far, as
// (high, low)), "adam_steps" (RecVAE: encoder and decoder steps), "steps" (BiVAE: user and
// item steps), "<layer>.W.step" (Mult-VAE/DAE: the step each lazily updated input row is at)
// and "seed" (BiVAE: the sampling seed in three parts). A model turns them back into integers
// with a plain cast, and the step count sizes tables of per-step constants, so a corrupted
// counter must not get that far.
bool isCounter(const std::string& name) {
    constexpr std::string_view step = ".step";
    return name == "updates" || name == "adam_steps" || name == "steps" || name == "seed" ||
           (name.size() > step.size() && name.compare(name.size() - step.size(), step.size(), step) == 0);
}

// Checks the counters of `state` (see isCounter) against the optimizer updates the history
// ends at: each part a whole number in [0, 2^24); "updates" equal to them, BiVAE's two "steps"
// summing to them, every other step count at most them.
void checkCounters(const std::string& p, const TensorMap& state, std::int64_t updates) {
    constexpr float kPart = 16777216.0f;  // 2^24
    for (const auto& [name, t] : state) {
        if (!isCounter(name)) continue;
        const std::string what = p + ": the checkpoint's state tensor '" + name + "'";
        for (float v : t.data)
            if (!(v >= 0 && v < kPart && v == std::floor(v)))
                fail(what + " must hold whole numbers from 0 to 16777215 (24-bit parts of a "
                            "counter), got " + shown(v));
        if (name == "seed") continue;
        // "updates" (one count) and BiVAE's "steps" (two) add up to the history's updates.
        const bool exact = name == "updates" || (name == "steps" && !state.count("updates"));
        std::int64_t sum = 0;
        for (std::size_t k = 0; k + 1 < t.data.size(); k += 2) {
            const auto v = (static_cast<std::int64_t>(t.data[k]) << 24) +
                           static_cast<std::int64_t>(t.data[k + 1]);  // below 2^48
            if (v > updates)
                fail(what + " counts " + std::to_string(v) + " steps, more than the " +
                     std::to_string(updates) + " optimizer updates of the history");
            if (exact) sum += v;
        }
        if (exact && sum != updates)
            fail(what + " counts " + std::to_string(sum) + " steps, but the history ends after " +
                 std::to_string(updates) + " optimizer updates");
    }
}

// The header's counts and the model its config describes must fit the state the file holds,
// so that a small (crafted or corrupted) checkpoint cannot make a resumed trainer allocate
// gigabytes before the state is checked tensor by tensor (the rules of model files: at least
// one value per item, two-sided models one per user too, the model's memory estimate at most
// 1024 times the bytes of the state plus 1 GiB). One-sided models here are also held to 16
// users per value (or 2^24): only iterative models have checkpoints, and each holds a weight
// matrix of items x hidden units, so no real run comes near it (model files of popularity
// models, with one value per item, have no such bound).
void checkDeclaredShapes(const std::string& p, const Model& model, std::int64_t items,
                         std::int64_t users, const TensorMap& state) {
    std::uint64_t held = 0;
    for (const auto& [name, t] : state) held += t.data.size();
    const std::string values = " but its state holds " + std::to_string(held) + " values";
    if (static_cast<std::uint64_t>(items) > held)
        fail(p + ": the checkpoint declares " + std::to_string(items) + " items" + values +
             " (expected at least one value per item)");
    const bool twoSided = model.info().family == ModelFamily::TwoSided;
    const std::uint64_t maxUsers = twoSided ? held : std::max<std::uint64_t>(1u << 24, 16 * held);
    if (static_cast<std::uint64_t>(users) > maxUsers)
        fail(p + ": the checkpoint declares " + std::to_string(users) + " users" + values +
             (twoSided ? " (expected at least one value per user)"
                       : " (expected at most 16 users per value, or 2^24)"));
    const double need = model.memoryEstimate(users, items, 0);
    if (need > 1024.0 * 4.0 * static_cast<double>(held) + double(1u << 30))
        fail(p + ": the checkpoint's item count, user count and config describe a model of "
                 "about " + formatBytes(need) + values + " (expected the state of such a model)");
}

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
    // The model the config describes (nothing allocated yet): a known, iterative model.
    std::unique_ptr<Model> model;
    try {
        modelInfo(c.modelId);
    } catch (const Error& e) {
        fail(p + ": checkpoint field 'model': " + e.what());
    }
    try {
        model = createModel(c.modelId, c.config);
    } catch (const Error& e) {
        fail(p + ": checkpoint field 'config': " + e.what());
    } catch (const nlohmann::json::exception& e) {
        fail(p + ": checkpoint field 'config': " + e.what());
    }
    if (!model->iterative())
        fail(p + ": checkpoint field 'model': " + c.modelId +
             " fits in one step: its runs have no checkpoints");
    // Counts of a split: items are int32 columns; users as model files allow.
    c.items = F.get<std::int64_t>(h, "items", "");
    if (c.items < 1 || c.items > std::numeric_limits<std::int32_t>::max())
        F.bad("items", "must be from 1 to 2147483647, got " + std::to_string(c.items));
    c.users = F.get<std::int64_t>(h, "users", "");
    if (c.users < 1 || c.users > (std::int64_t{1} << 31))
        F.bad("users", "must be from 1 to 2147483648, got " + std::to_string(c.users));
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
    const std::set<std::string> metrics = metricNames(opt.metrics);
    if (!opt.selectBy.empty() && !metrics.count(opt.selectBy))
        F.bad("options.select_by", "is '" + opt.selectBy +
                                       "', not one of the metrics the run computes (" +
                                       listed(metrics) + ")");

    const nlohmann::json& t = F.at(h, "trainer", "");
    const nlohmann::json& hist = F.at(h, "history", "");
    if (!hist.is_array()) F.bad("history", "is not an array");
    const int run = F.get<int>(t, "epochs_run", "trainer");
    if (run < 0 || static_cast<std::size_t>(run) != hist.size())
        F.bad("trainer.epochs_run", "is " + std::to_string(run) + " but the history holds " +
                                        std::to_string(hist.size()) + " epochs");
    // Every batch of an epoch holds at least one user or item, and no model makes more than
    // 256 passes an epoch; every batch is one optimizer update.
    const std::int64_t maxBatches = 256 * (c.users + c.items);
    std::int64_t updates = 0;  // after the previous epoch
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
        r.batches = F.count<std::int64_t>(e, "batches", w);
        if (r.batches > maxBatches)
            F.bad(w + ".batches", "is " + std::to_string(r.batches) + ", more than an epoch on " +
                                      std::to_string(c.users) + " users and " +
                                      std::to_string(c.items) + " items has (" +
                                      std::to_string(maxBatches) + ")");
        r.updates = F.get<std::int64_t>(e, "updates", w);
        if (r.updates < updates || r.updates - updates > r.batches)
            F.bad(w + ".updates", "is " + std::to_string(r.updates) + ", not from " +
                                      std::to_string(updates) + " (the epoch before) to " +
                                      std::to_string(updates + r.batches) + " (one per batch)");
        updates = r.updates;
        r.trainSeconds = F.real(e, "train_seconds", w);
        r.evalSeconds = F.real(e, "eval_seconds", w);
        r.validated = F.get<bool>(e, "validated", w);
        r.improved = F.get<bool>(e, "improved", w);
        if (r.validated) {
            const nlohmann::json& v = F.at(e, "validation", w);
            const std::string vw = w + ".validation";
            r.validation.mean = F.realMap(v, "mean", vw);
            r.validation.stdError = F.realMap(v, "std_error", vw);
            for (const auto& [map, key] : {std::pair{&r.validation.mean, "mean"},
                                           std::pair{&r.validation.stdError, "std_error"}}) {
                std::set<std::string> names;
                for (const auto& [name, value] : *map) names.insert(name);
                if (names != metrics)
                    F.bad(vw + "." + key, "does not hold the metrics of options.metrics (" +
                                              listed(metrics) + ")");
            }
            r.validation.usersScored = F.count<std::int64_t>(v, "users_scored", vw);
            r.validation.usersWithoutHeldOut = F.count<std::int64_t>(v, "users_without_held_out", vw);
        }
        c.history.push_back(std::move(r));
    }

    c.totalEpochs = F.get<int>(t, "total_epochs", "trainer");
    if (c.totalEpochs < run) F.bad("trainer.total_epochs", "is below the epochs run");
    c.bestEpoch = F.get<int>(t, "best_epoch", "trainer");
    if (c.bestEpoch < 0 || c.bestEpoch > run) F.bad("trainer.best_epoch", "is out of range");
    c.bestValue = F.real(t, "best_value", "trainer");
    c.sinceBest = F.get<int>(t, "since_best", "trainer");
    // Epochs without a better value since the best one (or the start).
    if (c.sinceBest < 0 || c.sinceBest > run - c.bestEpoch)
        F.bad("trainer.since_best", "is " + std::to_string(c.sinceBest) + ", not from 0 to " +
                                        std::to_string(run - c.bestEpoch) +
                                        " (the epochs after the best one)");
    c.stoppedEarly = F.get<bool>(t, "stopped_early", "trainer");
    c.resumedAfter = F.get<std::vector<int>>(t, "resumed_after", "trainer");
    for (std::size_t k = 0; k < c.resumedAfter.size(); ++k) {
        const int after = c.resumedAfter[k];
        const int from = k > 0 ? c.resumedAfter[k - 1] : 0;
        if (after < from || after > run)
            F.bad("trainer.resumed_after[" + std::to_string(k) + "]",
                  "is " + std::to_string(after) + ", not from " + std::to_string(from) +
                      " (the entry before) to " + std::to_string(run) + " (the epochs run)");
    }
    const std::string best = F.get<std::string>(t, "best", "trainer");
    if (best != "state" && best != "tensors" && best != "none")
        F.bad("trainer.best", "has an unknown value '" + best + "'");

    const std::string sp = kStatePrefix, bp = kBestPrefix;
    while (!f.tensors.empty()) {
        auto node = f.tensors.extract(f.tensors.begin());
        const std::string name = node.key();
        // The trainer stops on a non-finite state (a divergence) and writes no checkpoint then.
        for (float v : node.mapped().data)
            if (!std::isfinite(v))
                fail(p + ": the checkpoint's tensor '" + name + "' holds a non-finite value (" +
                     shown(v) + ")");
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
    checkCounters(p, c.modelState, updates);
    checkDeclaredShapes(p, *model, c.items, c.users, c.modelState);
    if (best == "state") {
        for (const auto& name : F.get<std::vector<std::string>>(t, "best_tensors", "trainer")) {
            const auto it = c.modelState.find(name);
            if (it == c.modelState.end())
                F.bad("trainer.best_tensors", "names '" + name + "', which the state lacks");
            c.bestParameters[name] = it->second;
        }
    }
    if ((c.bestEpoch > 0) != !c.bestParameters.empty())
        F.bad("trainer.best", "does not match trainer.best_epoch " + std::to_string(c.bestEpoch));
    return c;
}

}  // namespace vaecf::core
