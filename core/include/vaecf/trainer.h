// SPDX-License-Identifier: MIT
// Trains a model on a split epoch by epoch: per-batch loss terms through a callback, per-epoch
// validation metrics, the best-validation weights kept, optional early stopping. Training is
// stepwise (runEpoch), so a GUI gets play, pause, step and stop for free.
// Deterministic: the same split, config, seed and thread count give identical losses.
#pragma once

#include <cstdint>
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
    bool stopped = false;          // interrupted by the stop token (partial epoch)
};

class Trainer {
public:
    Trainer(const Split& split, std::unique_ptr<Model> model, const TrainOptions& options);
    ~Trainer();
    Trainer(const Trainer&) = delete;
    Trainer& operator=(const Trainer&) = delete;

    // Trains one epoch (then validates, when enabled). A stop request ends it between batches.
    EpochReport runEpoch(std::stop_token stop = {}, const BatchCallback& onBatch = {});
    // Runs epochs until done(); onEpoch sees every report.
    void run(std::stop_token stop = {}, const BatchCallback& onBatch = {},
             const std::function<void(const EpochReport&)>& onEpoch = {});
    bool done() const;              // all epochs run, or stopped early by patience
    bool stoppedEarly() const;
    int epochsRun() const;
    int totalEpochs() const;

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
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// Evaluates any model on held-out users with `threads` threads (0: all).
MetricReport evaluateModel(const Model& model, const HeldOut& part, const MetricOptions& options,
                           int threads = 0, std::int64_t batchRows = 2000,
                           std::vector<UserMetrics>* perUser = nullptr);

nlohmann::json toJson(const MetricReport& report);

}  // namespace vaecf::core
