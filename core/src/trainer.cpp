// SPDX-License-Identifier: MIT
#include "vaecf/trainer.h"

#include <chrono>
#include <cmath>
#include <sstream>
#include <optional>
#include <thread>

#include <tbb/task_arena.h>
#include <tbb/task_scheduler_observer.h>

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "kernels/kernels.h"
#include "vaecf/checkpoint.h"
#include "vaecf/error.h"

namespace vaecf::core {

namespace {

double seconds(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

int resolveThreads(int threads) {
    return threads > 0 ? threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

}  // namespace

namespace {

// Lowers the priority of every thread that enters the training arena (oneTBB workers are
// shared, so a thread keeps the lower priority afterwards; the process only trains with them).
class NiceObserver : public tbb::task_scheduler_observer {
public:
    NiceObserver(tbb::task_arena& arena, int niceness)
        : tbb::task_scheduler_observer(arena), m_niceness(niceness) {
        observe(true);
    }
    ~NiceObserver() override { observe(false); }
    void on_scheduler_entry(bool) override { lowerThisThread(m_niceness); }

    static void lowerThisThread(int niceness) {
#ifdef __linux__
        const auto tid = static_cast<id_t>(syscall(SYS_gettid));
        errno = 0;
        const int now = getpriority(PRIO_PROCESS, tid);
        if (errno == 0 && now < niceness) setpriority(PRIO_PROCESS, tid, niceness);
#else
        (void)niceness;
#endif
    }

private:
    int m_niceness;
};

}  // namespace

void TrainOptions::check() const {
    if (epochs < 0) fail("training option 'epochs' must be >= 0 (0: the model's default), got " +
                         std::to_string(epochs));
    if (threads < 0 || threads > 1024)
        fail("training option 'threads' must be in [0, 1024] (0: all cores), got " +
             std::to_string(threads));
    if (patience < 0) fail("training option 'patience' must be >= 0, got " + std::to_string(patience));
    if (evalBatch < 1) fail("training option 'eval batch' must be >= 1");
    if (niceness < 0 || niceness > 19)
        fail("training option 'niceness' must be in [0, 19], got " + std::to_string(niceness));
    if (metrics.ndcgK < 1 || metrics.recallKs.size() != 2 || metrics.recallKs[0] < 1 ||
        metrics.recallKs[1] < 1 || metrics.precisionK < 1 || metrics.mrrK < 1 ||
        metrics.hitK < 1 || metrics.coverageK < 1)
        fail("training option 'metrics': cut-offs must be >= 1");
}

nlohmann::json toJson(const MetricReport& r) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [k, v] : r.mean) j[k] = std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
    nlohmann::json se = nlohmann::json::object();
    for (const auto& [k, v] : r.stdError) se[k] = v;
    j["std_error"] = se;
    j["users_scored"] = r.usersScored;
    j["users_without_held_out"] = r.usersWithoutHeldOut;
    return j;
}

MetricReport evaluateModel(const Model& model, const HeldOut& part, const MetricOptions& options,
                           int threads, std::int64_t batchRows, std::vector<UserMetrics>* perUser) {
    tbb::task_arena arena(resolveThreads(threads));
    MetricReport rep;
    arena.execute([&] {
        rep = evaluateRanking(
            part.foldIn, part.heldOut,
            [&](std::int64_t b, std::int64_t e, float* out) { model.score(part.foldIn, b, e, out); },
            options, batchRows, perUser);
    });
    return rep;
}

struct Trainer::Impl {
    const Split& split;
    std::unique_ptr<Model> model;
    TrainOptions options;
    int totalEpochs = 0;
    int threads = 1;
    std::unique_ptr<tbb::task_arena> arena;
    std::unique_ptr<NiceObserver> nice;
    std::vector<EpochReport> history;
    int bestEpoch = 0;
    double bestValue = -INFINITY;
    int sinceBest = 0;
    bool early = false;
    TensorMap best;
    std::optional<MetricReport> test;
    // The model's state at the last epoch boundary (iterative models).
    TensorMap boundary;
    // memoryEstimate(): the model's estimate and the trainer's copies (set at construction).
    double modelBytes = 0, copyBytes = 0;
    void estimateMemory(const Split& split);
    bool iterative = true;
    std::string divergence;
    std::vector<int> resumedAfter;
    mutable std::string fingerprint;  // of the split, computed when first needed

    Impl(const Split& s, std::unique_ptr<Model> m, const TrainOptions& o)
        : split(s), model(std::move(m)), options(o) {}

    // The arena (and thread priorities) for `options`.
    void makeArena() {
        threads = resolveThreads(options.threads);
        // oneTBB runs tasks with the floating-point settings captured when their arena is
        // made: make it with FTZ/DAZ set, then give the calling thread its own settings back.
        const unsigned callerCsr = kernels::floatControl();
        kernels::setFlushDenormals();
        arena = std::make_unique<tbb::task_arena>(threads);
        arena->initialize();
        if (options.niceness > 0) {
            nice = std::make_unique<NiceObserver>(*arena, options.niceness);
            NiceObserver::lowerThisThread(options.niceness);  // the caller works in the arena too
        }
        kernels::setFloatControl(callerCsr);
    }

    const std::string& splitFingerprint() const {
        if (fingerprint.empty()) fingerprint = split.fingerprintHex();
        return fingerprint;
    }

    // Puts `params` over the model's current state.
    void applyParameters(const TensorMap& params) {
        TensorMap s = model->state();
        for (auto& [name, t] : params) s[name] = t;
        model->setState(s);
    }

    // Ends training: the best weights (else those of the last boundary) go back into the
    // model and `divergence` says why. `where`: "in epoch 3, batch 7" or "after epoch 3".
    void diverge(const std::string& where, const std::string& what) {
        std::string kept;
        if (iterative) arena->execute([&] { model->setState(boundary); });
        if (!best.empty()) {
            arena->execute([&] { applyParameters(best); });
            kept = "the weights of epoch " + std::to_string(bestEpoch) + " (the best) are kept";
        } else if (!history.empty()) {
            kept = "the weights of epoch " + std::to_string(history.size()) +
                   " (the last complete one) are kept";
        } else {
            kept = "the initial weights are kept";
        }
        std::string hint = "try a lower learning rate";
        const Config& c = model->config();
        if (c.is_object() && c.contains("learning_rate"))
            hint += " (learning_rate = " + formatParamValue(c["learning_rate"]) + ")";
        divergence = "training stopped " + where + ": " + what + "; " + kept + "; " + hint;
    }
};

namespace {

std::string describeNonFinite(double v) {
    return std::isnan(v) ? "NaN" : (v > 0 ? "+infinity" : "-infinity");
}

// The first tensor of `state` holding a non-finite value, or null.
const std::string* firstNonFinite(const TensorMap& state) {
    for (const auto& [name, t] : state)
        for (float v : t.data)
            if (!std::isfinite(v)) return &name;
    return nullptr;
}

// A checkpoint's tensors (`what`: "state", "best parameters") against those of the model that
// resumes it (`own`: its state() or parameters() right after initialize): the same names and
// shapes. `src` starts every message ("run.ckpt: ").
void checkTensors(const std::string& src, const std::string& what, const TensorMap& given,
                  const TensorMap& own, const Model& model) {
    const std::string id = model.info().id;
    const std::string head = src + "the checkpoint's " + what + ": tensor '";
    for (const auto& [name, t] : given) {
        const auto it = own.find(name);
        if (it == own.end())
            fail(head + name + "' is not one of this " + id + " model's" +
                 (name.find(".prior.") != std::string::npos
                      ? " (the run had side features: give the same ones to resume it)"
                      : ""));
        if (t.rows != it->second.rows || t.cols != it->second.cols)
            fail(head + name + "' is " + std::to_string(t.rows) + " x " + std::to_string(t.cols) +
                 ", this " + id + " model's " + std::to_string(it->second.rows) + " x " +
                 std::to_string(it->second.cols));
    }
    for (const auto& [name, t] : own)
        if (!given.count(name)) fail(head + name + "' of this " + id + " model is missing");
}

double tensorBytes(const TensorMap& m) {
    double n = 0;
    for (const auto& [name, t] : m) n += static_cast<double>(t.data.size());
    return 4.0 * n;
}

void checkSplit(const Split& split) {
    if (split.train.rows == 0 || split.train.nnz() == 0)
        fail("trainer: the training part of the split is empty");
}

}  // namespace

// The trainer's copies next to the model (see Trainer::memoryEstimate), from the boundary
// state just taken; refuses a run that would not fit before training starts rather than at
// the end of its first epoch.
void Trainer::Impl::estimateMemory(const Split& split) {
    modelBytes = model->memoryEstimate(split.train.rows, split.numItems(), split.train.nnz());
    if (!iterative || modelBytes <= 0) return;
    copyBytes = 2.0 * tensorBytes(boundary) + tensorBytes(model->parameters());
    checkMemory(model->info().id, modelBytes + copyBytes,
                "the trainer also keeps two copies of the model state and one of the best "
                "weights (" + formatBytes(copyBytes) + ")");
}

Trainer::Trainer(const Split& split, std::unique_ptr<Model> model, const TrainOptions& options)
    : m_impl(std::make_unique<Impl>(split, std::move(model), options)) {
    options.check();
    auto& im = *m_impl;
    if (!im.model) fail("trainer: no model given");
    checkSplit(split);
    im.iterative = im.model->iterative();
    im.totalEpochs = options.epochs > 0 ? options.epochs : im.model->defaultEpochs();
    if (!im.iterative) im.totalEpochs = 1;
    if (im.options.selectBy.empty())
        im.options.selectBy = "ndcg@" + std::to_string(im.options.metrics.ndcgK);
    im.makeArena();
    im.arena->execute([&] {
        im.model->initialize(split.train, options.seed);
        if (im.iterative) im.boundary = im.model->state();
        im.estimateMemory(split);
    });
}

Trainer::Trainer(const Split& split, const Checkpoint& ck, const ResumeOptions& resume,
                 std::unique_ptr<Model> model)
    : m_impl(std::make_unique<Impl>(split, nullptr, ck.options)) {
    auto& im = *m_impl;
    const std::string src = (ck.source.empty() ? std::string("checkpoint") : ck.source) + ": ";
    checkSplit(split);
    const bool sameCounts = ck.items == split.numItems() && ck.users == split.train.rows;
    const std::string counts = "the checkpoint's model has " + std::to_string(ck.items) +
                               " items and " + std::to_string(ck.users) +
                               " training users, this split " + std::to_string(split.numItems()) +
                               " and " + std::to_string(split.train.rows);
    if (ck.splitFingerprint != im.splitFingerprint())
        fail(src + "the checkpoint was written for another split (split_fingerprint " +
             ck.splitFingerprint + ", this split " + im.splitFingerprint() +
             (sameCounts ? "" : "; " + counts) + "): resume with the same data and split options");
    if (!sameCounts) fail(src + counts);
    if (model) {
        if (model->info().id != ck.modelId)
            fail(src + "the checkpoint's model is " + ck.modelId + ", not " + model->info().id);
        // Compared with the defaults filled in, as createModel fills them: a checkpoint whose
        // config leaves out a setting (or writes 8 as 8.0) loads and resumes with the model
        // the trainer creates itself, so the same model given (the command line creates it
        // from the checkpoint) must be taken too.
        Config stored;
        try {
            stored = validateConfig(model->info().params, ck.config, ck.modelId);
        } catch (const Error& e) {
            fail(src + e.what());
        }
        if (model->config() != stored) {
            std::string field;
            for (const auto& [k, v] : stored.items())
                if (!model->config().contains(k) || model->config()[k] != v) {
                    field = k;
                    break;
                }
            if (field.empty())
                for (const auto& [k, v] : model->config().items())
                    if (!stored.contains(k)) {
                        field = k;
                        break;
                    }
            const auto shown = [&](const Config& c) {
                return c.contains(field) ? formatParamValue(c[field]) : std::string("unset");
            };
            fail(src + "the checkpoint's model config differs in '" + field + "' (checkpoint " +
                 (ck.config.contains(field) ? "" : "unset, default ") + shown(stored) +
                 ", given " + shown(model->config()) + ")");
        }
    } else {
        try {
            model = createModel(ck.modelId, ck.config);
        } catch (const Error& e) {
            fail(src + e.what());
        }
    }
    im.model = std::move(model);
    im.iterative = im.model->iterative();
    if (!im.iterative) fail(src + ck.modelId + " fits in one step: its runs have no checkpoints");
    if (resume.threads >= 0) im.options.threads = resume.threads;
    im.options.niceness = resume.niceness;
    if (resume.epochs < 0) fail("resume option 'epochs' must be >= 0, got " + std::to_string(resume.epochs));
    im.totalEpochs = resume.epochs > 0 ? resume.epochs : ck.totalEpochs;
    if (resume.epochs > 0) im.options.epochs = resume.epochs;
    if (im.totalEpochs < ck.epochsRun())
        fail(src + "training option 'epochs' (" + std::to_string(im.totalEpochs) +
             ") is below the " + std::to_string(ck.epochsRun()) +
             " epochs the checkpoint has already run");
    im.options.check();
    if (im.options.selectBy.empty())
        im.options.selectBy = "ndcg@" + std::to_string(im.options.metrics.ndcgK);
    im.history = ck.history;
    im.bestEpoch = ck.bestEpoch;
    im.bestValue = ck.bestEpoch > 0 ? ck.bestValue : -INFINITY;
    im.sinceBest = ck.sinceBest;
    im.early = ck.stoppedEarly;
    im.best = ck.bestParameters;
    im.resumedAfter = ck.resumedAfter;
    im.resumedAfter.push_back(ck.epochsRun());
    im.makeArena();
    try {
        im.arena->execute([&] {
            im.model->initialize(split.train, im.options.seed);
            // The state and the best parameters must be those of this model, tensor for
            // tensor, before the model takes any of them.
            checkTensors(src, "state", ck.modelState, im.model->state(), *im.model);
            if (!ck.bestParameters.empty())
                checkTensors(src, "best parameters", ck.bestParameters, im.model->parameters(),
                             *im.model);
            im.model->setState(ck.modelState);
            im.boundary = im.model->state();
            im.estimateMemory(split);
        });
    } catch (const Error& e) {
        const std::string w = e.what();
        if (w.rfind(src, 0) == 0) throw;
        fail(src + w);
    }
}

Trainer::~Trainer() = default;

EpochReport Trainer::runEpoch(std::stop_token stop, const BatchCallback& onBatch) {
    auto& im = *m_impl;
    if (!im.divergence.empty()) fail("trainer: " + im.divergence);
    if (done()) fail("trainer: all " + std::to_string(im.totalEpochs) + " epochs have run");
    EpochReport rep;
    rep.epoch = epochsRun() + 1;
    // The model sees one stop token: the caller's, or the guard's on a non-finite loss.
    std::stop_source halt;
    std::stop_callback relay(stop, [&halt] { halt.request_stop(); });
    std::int64_t badBatch = -1;
    double badLoss = 0;
    const BatchCallback guard = [&](const BatchProgress& p) {
        if (badBatch < 0 && !std::isfinite(p.terms.loss)) {
            badBatch = p.batch;
            badLoss = p.terms.loss;
            halt.request_stop();
        }
        if (onBatch) onBatch(p);
    };
    const auto t0 = std::chrono::steady_clock::now();
    EpochStats st;
    im.arena->execute(
        [&] { st = im.model->trainEpoch(im.split.train, rep.epoch, guard, halt.get_token()); });
    rep.trainSeconds = seconds(t0);
    rep.train = st.mean;
    rep.batches = st.batches;
    rep.updates = st.updates;
    const std::string in = "in epoch " + std::to_string(rep.epoch);
    if (badBatch >= 0) {
        rep.diverged = true;
        im.diverge(in + ", batch " + std::to_string(badBatch + 1),
                   "the loss is " + describeNonFinite(badLoss));
        return rep;
    }
    if (st.stopped) {
        // A partial epoch is dropped: back to the boundary, so that it can run again exactly.
        rep.stopped = true;
        if (im.iterative) im.arena->execute([&] { im.model->setState(im.boundary); });
        return rep;
    }
    if (!std::isfinite(rep.train.loss)) {
        rep.diverged = true;
        im.diverge(in, "the mean loss is " + describeNonFinite(rep.train.loss));
        return rep;
    }
    TensorMap now;
    if (im.iterative) {
        im.arena->execute([&] { now = im.model->state(); });
        if (const std::string* bad = firstNonFinite(now)) {
            rep.diverged = true;
            im.diverge("after epoch " + std::to_string(rep.epoch),
                       "the model state holds non-finite values (in '" + *bad + "')");
            return rep;
        }
    }
    if (im.options.validate && im.split.validation.foldIn.rows > 0) {
        const auto t1 = std::chrono::steady_clock::now();
        rep.validation = evaluate(im.split.validation);
        rep.evalSeconds = seconds(t1);
        rep.validated = true;
        const double v = rep.validation.get(im.options.selectBy);
        if (v > im.bestValue) {
            im.bestValue = v;
            im.bestEpoch = rep.epoch;
            im.best = im.model->parameters();
            im.sinceBest = 0;
            rep.improved = true;
        } else if (im.options.patience > 0 && ++im.sinceBest >= im.options.patience) {
            im.early = true;
        }
    }
    if (im.iterative) im.boundary = std::move(now);
    im.history.push_back(rep);
    return rep;
}

void Trainer::run(std::stop_token stop, const BatchCallback& onBatch,
                  const std::function<void(const EpochReport&)>& onEpoch) {
    while (!done() && !stop.stop_requested()) {
        EpochReport r = runEpoch(stop, onBatch);
        if (r.stopped || r.diverged) break;
        if (onEpoch) onEpoch(r);
    }
}

Checkpoint Trainer::checkpoint() const {
    Checkpoint c = checkpointHeader();
    c.modelState = m_impl->boundary;
    c.bestParameters = m_impl->best;
    return c;
}

void Trainer::saveCheckpoint(const std::filesystem::path& path) const {
    saveCheckpointFile(path, checkpointHeader(), m_impl->boundary, m_impl->best);
}

Checkpoint Trainer::checkpointHeader() const {
    const auto& im = *m_impl;
    if (!im.iterative)
        fail("trainer: " + im.model->info().id + " fits in one step: its runs have no checkpoints");
    if (!im.divergence.empty())
        fail("trainer: no checkpoint after a divergence (" + im.divergence + ")");
    Checkpoint c;
    c.modelId = im.model->info().id;
    c.config = im.model->config();
    c.items = im.model->numItems();
    c.users = im.model->numUsers();
    c.datasetName = im.split.datasetName;
    c.splitFingerprint = im.splitFingerprint();
    c.options = im.options;
    c.options.niceness = 0;
    c.totalEpochs = im.totalEpochs;
    c.history = im.history;
    c.bestEpoch = im.bestEpoch;
    c.bestValue = im.bestEpoch > 0 ? im.bestValue : 0.0;
    c.sinceBest = im.sinceBest;
    c.stoppedEarly = im.early;
    c.resumedAfter = im.resumedAfter;
    return c;
}

bool Trainer::done() const {
    return m_impl->early || !m_impl->divergence.empty() || epochsRun() >= m_impl->totalEpochs;
}
bool Trainer::stoppedEarly() const { return m_impl->early; }
bool Trainer::diverged() const { return !m_impl->divergence.empty(); }
const std::string& Trainer::divergence() const { return m_impl->divergence; }
int Trainer::epochsRun() const { return static_cast<int>(m_impl->history.size()); }
int Trainer::totalEpochs() const { return m_impl->totalEpochs; }
double Trainer::memoryEstimate() const { return m_impl->modelBytes + m_impl->copyBytes; }

const Model& Trainer::model() const { return *m_impl->model; }
Model& Trainer::model() { return *m_impl->model; }
const Split& Trainer::split() const { return m_impl->split; }
const TrainOptions& Trainer::options() const { return m_impl->options; }
const std::vector<EpochReport>& Trainer::history() const { return m_impl->history; }
int Trainer::bestEpoch() const { return m_impl->bestEpoch; }
double Trainer::bestValue() const { return m_impl->bestValue; }

void Trainer::restoreBest() {
    auto& im = *m_impl;
    if (im.best.empty()) return;
    im.arena->execute([&] { im.applyParameters(im.best); });
}

MetricReport Trainer::evaluate(const HeldOut& part, std::vector<UserMetrics>* perUser) const {
    auto& im = *m_impl;
    MetricReport rep;
    im.arena->execute([&] {
        rep = evaluateRanking(
            part.foldIn, part.heldOut,
            [&](std::int64_t b, std::int64_t e, float* out) {
                im.model->score(part.foldIn, b, e, out);
            },
            im.options.metrics, im.options.evalBatch, perUser);
    });
    return rep;
}

void Trainer::setTestReport(const MetricReport& test) { m_impl->test = test; }

nlohmann::json Trainer::record() const {
    const auto& im = *m_impl;
    nlohmann::json j;
    j["model"] = im.model->info().id;
    j["config"] = im.model->config();
    j["seed"] = im.options.seed;
    j["threads"] = im.threads;
    j["epochs_planned"] = im.totalEpochs;
    j["patience"] = im.options.patience;
    j["select_by"] = im.options.selectBy;
    j["dataset"] = {{"name", im.split.datasetName},
                    {"fingerprint", im.split.fingerprintHex()},
                    {"train_users", im.split.train.rows},
                    {"items", im.split.numItems()},
                    {"train_interactions", im.split.train.nnz()},
                    {"validation_users", im.split.validation.foldIn.rows},
                    {"test_users", im.split.test.foldIn.rows}};
    nlohmann::json epochs = nlohmann::json::array();
    double trainTotal = 0;
    for (const auto& e : im.history) {
        nlohmann::json r{{"epoch", e.epoch},          {"loss", e.train.loss},
                         {"recon", e.train.recon},    {"kl", e.train.kl},
                         {"beta", e.train.beta},      {"penalty", e.train.penalty},
                         {"batches", e.batches},      {"updates", e.updates},
                         {"train_seconds", e.trainSeconds}, {"eval_seconds", e.evalSeconds},
                         {"improved", e.improved}};
        if (e.validated) r["validation"] = toJson(e.validation);
        trainTotal += e.trainSeconds;
        epochs.push_back(r);
    }
    j["epochs"] = epochs;
    j["best_epoch"] = im.bestEpoch;
    j["best_validation"] = im.bestEpoch > 0 ? nlohmann::json(im.bestValue) : nlohmann::json();
    j["stopped_early"] = im.early;
    j["diverged"] = im.divergence.empty() ? nlohmann::json() : nlohmann::json(im.divergence);
    if (!im.resumedAfter.empty()) j["resumed_after_epochs"] = im.resumedAfter;
    j["train_seconds_total"] = trainTotal;
    if (im.test) j["test"] = toJson(*im.test);
    return j;
}

std::string Trainer::historyCsv() const {
    const auto& im = *m_impl;
    std::ostringstream o;
    o.precision(9);
    std::vector<std::string> names;
    for (const auto& e : im.history)
        if (e.validated) {
            for (const auto& [k, v] : e.validation.mean) names.push_back(k);
            break;
        }
    o << "epoch,loss,recon,kl,beta,penalty,updates,train_seconds,eval_seconds";
    for (const auto& n : names) o << ",val_" << n;
    o << "\n";
    for (const auto& e : im.history) {
        o << e.epoch << ',' << e.train.loss << ',' << e.train.recon << ',' << e.train.kl << ','
          << e.train.beta << ',' << e.train.penalty << ',' << e.updates << ',' << e.trainSeconds
          << ',' << e.evalSeconds;
        for (const auto& n : names) {
            o << ',';
            if (e.validated) o << e.validation.mean.at(n);
        }
        o << "\n";
    }
    return o.str();
}

}  // namespace vaecf::core
