// SPDX-License-Identifier: MIT
// Trains a model on a split epoch by epoch: per-batch loss terms through a callback, per-epoch
// validation metrics, the best-validation weights kept, optional early stopping. Training is
// stepwise (runEpoch), so a GUI gets play, pause, step and stop for free.
// Deterministic: the same split, config and seed give identical losses (whatever the thread
// count).
//
// Epoch boundaries: the trainer keeps the model's state() as of the last complete epoch. A
// stop request takes effect after the current batch; the partial epoch is then dropped and
// the model returns to that boundary, so running the epoch again (or resuming from a
// checkpoint, checkpoint.h) gives exactly what an uninterrupted run gives. Iterative models
// only (the boundary is one more copy of the model's state in memory); closed-form models fit
// in one step and keep no boundary.
//
// Divergence: a batch loss that is NaN or infinite stops the epoch at once (no further batch
// runs), as does a non-finite value in the model state after an epoch. The trainer then puts
// back the best-validation weights (or, without them, the weights of the last boundary), is
// done(), and diverged() explains what happened, e.g.
//   "training stopped in epoch 3, batch 7: the loss is NaN; the weights of epoch 2 (the best)
//    are kept; try a lower learning rate (learning_rate = 1)"
// (batches counted from 1). No exception: the reason is also in record().
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "vaecf/metrics.h"
#include "vaecf/model.h"
#include "vaecf/split.h"

namespace vaecf::core {

struct TrainOptions {
    int epochs = 0;                // 0: the model's default (200 for Mult-VAE/DAE)
    std::uint64_t seed = 98765;    // initialization, dropout, sampling, shuffling
    int threads = 0;               // 0: all cores
    int patience = 0;              // stop after this many epochs without a better validation
                                   // value (0: never stop early)
    bool validate = true;          // evaluate on the validation users after each epoch
    std::string selectBy;          // validation metric that picks the best epoch; empty:
                                   // NDCG at metrics.ndcgK ("ndcg@100")
    MetricOptions metrics;
    std::int64_t evalBatch = 2000;
    // Raise the nice value of the threads that train (Linux: per thread, 0..19; elsewhere
    // ignored), so that an interactive front end and its helper threads keep the CPU they
    // need while training uses every core. 0: leave the priority alone.
    int niceness = 0;
    void check() const;            // throws Error naming the field
};

struct EpochReport {
    int epoch = 0;
    LossTerms train;               // means over the epoch's batches
    std::int64_t batches = 0;
    std::int64_t updates = 0;
    double trainSeconds = 0;
    double evalSeconds = 0;
    bool validated = false;
    MetricReport validation;
    bool improved = false;         // best validation so far
    bool stopped = false;          // interrupted by the stop token (partial epoch, dropped)
    bool diverged = false;         // a non-finite loss or state ended training (not recorded)
};

struct Checkpoint;  // checkpoint.h

// What a resumed run may change; everything else comes from the checkpoint.
struct ResumeOptions {
    int threads = -1;              // -1: as in the checkpoint; 0: all cores
    int epochs = 0;                // 0: as planned; else the new total (>= the epochs run)
    int niceness = 0;              // see TrainOptions::niceness
};

class Trainer {
public:
    Trainer(const Split& split, std::unique_ptr<Model> model, const TrainOptions& options);
    // Continues the run of `checkpoint` on `split`, which must be the split it was written for
    // (same fingerprint). `model` (optional) is a fresh model of the checkpoint's id and config
    // with anything it needs besides (BiVAE side features); by default one is created. The
    // checkpoint's state and best parameters must be this model's tensor for tensor (names and
    // shapes), checked before the model takes any of them.
    // Throws Error naming the checkpoint file and the field or tensor that does not match.
    Trainer(const Split& split, const Checkpoint& checkpoint, const ResumeOptions& resume = {},
            std::unique_ptr<Model> model = nullptr);
    ~Trainer();
    Trainer(const Trainer&) = delete;
    Trainer& operator=(const Trainer&) = delete;

    // Trains one epoch (then validates, when enabled). A stop request ends it between batches
    // (the report says stopped; the partial epoch is dropped, see above). A non-finite loss
    // ends it too (the report says diverged; see diverged()).
    EpochReport runEpoch(std::stop_token stop = {}, const BatchCallback& onBatch = {});
    // Runs epochs until done() or a stop; onEpoch sees every complete epoch.
    void run(std::stop_token stop = {}, const BatchCallback& onBatch = {},
             const std::function<void(const EpochReport&)>& onEpoch = {});
    bool done() const;              // all epochs run, stopped early by patience, or diverged
    bool stoppedEarly() const;
    bool diverged() const;
    const std::string& divergence() const;  // why training stopped (empty unless diverged())

    // The run as of the last epoch boundary, to write with saveCheckpointFile (checkpoint.h).
    // Valid between epochs, also after restoreBest(). Throws for closed-form models and after
    // a divergence.
    Checkpoint checkpoint() const;
    // saveCheckpointFile(path, checkpoint()) without copying the model state.
    void saveCheckpoint(const std::filesystem::path& path) const;
    int epochsRun() const;
    int totalEpochs() const;

    // Memory the run takes (estimate, bytes): the model's own Model::memoryEstimate plus the
    // trainer's copies of the model state at the last epoch boundary (two while an epoch ends:
    // the new one is checked before the old one goes) and of the best parameters. The
    // constructors refuse a run whose total exceeds 90 % of the machine's memory. 0 when the
    // model gives no estimate.
    double memoryEstimate() const;

    const Model& model() const;
    Model& model();
    const Split& split() const;
    const TrainOptions& options() const;
    const std::vector<EpochReport>& history() const;

    int bestEpoch() const;          // 0 before the first validation
    double bestValue() const;
    // Puts the best-validation weights into the model (no-op without validation).
    void restoreBest();
    // Metrics of the current model on held-out users (validation or test part of the split).
    MetricReport evaluate(const HeldOut& part, std::vector<UserMetrics>* perUser = nullptr) const;

    // Run record: config, seed, threads, dataset fingerprint, per-epoch losses, metrics and
    // timings (JSON), and the per-epoch table as CSV.
    nlohmann::json record() const;
    std::string historyCsv() const;
    // Adds the test metrics to the record (set by whoever evaluated the test part).
    void setTestReport(const MetricReport& test);

private:
    Checkpoint checkpointHeader() const;  // checkpoint() without the tensors
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// Evaluates any model on held-out users with `threads` threads (0: all).
MetricReport evaluateModel(const Model& model, const HeldOut& part, const MetricOptions& options,
                           int threads = 0, std::int64_t batchRows = 2000,
                           std::vector<UserMetrics>* perUser = nullptr);

nlohmann::json toJson(const MetricReport& report);

}  // namespace vaecf::core
