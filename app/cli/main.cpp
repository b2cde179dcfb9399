// SPDX-License-Identifier: MIT
// vaecf: the command-line trainer. Subcommands: prepare, train, evaluate, recommend, embed,
// bench, models. Errors name the file and line or the option. Exit codes: 0 done; 1 errors in
// the data or the options; 2 command-line syntax; 3 training diverged (train: the loss or the
// weights became NaN or infinite; the best model is still written); 130 interrupted (train:
// Ctrl+C or SIGTERM; the best model and a checkpoint are written, see runTrain).
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <stop_token>
#include <thread>

#include <unistd.h>

#include <CLI/CLI.hpp>

#include "cli_common.h"
#include "vaecf/system.h"
#include "vaecf/error.h"
#include "vaecf/metrics.h"
#include "vaecf/bivae.h"
#include "vaecf/checkpoint.h"
#include "vaecf/model.h"
#include "vaecf/model_file.h"
#include "vaecf/side_features.h"
#include "vaecf/trainer.h"

using namespace vaecf::core;
using namespace vaecf::cli;
namespace fs = std::filesystem;

namespace {

void addDataOptions(CLI::App* c, DataArgs& a, bool positional = true) {
    if (positional)
        c->add_option("data", a.path,
                      "Ratings file, folder or archive (.zip .gz .xz .bz2), a Liang split folder "
                      "(train.csv, unique_sid.txt, ...), or 'demo' for the built-in demo dataset")
            ->required();
    auto* g = c->add_option_group("Data");
    g->add_option("--format", a.format, "Input format (auto detects)")
        ->check(CLI::IsMember(formatIds()));
    g->add_option_function<std::string>(
        "--delimiter",
        [&a](const std::string& d) {
            if (d == "tab" || d == "\\t") a.delimiter = '\t';
            else if (d == "space") a.delimiter = ' ';
            else if (d.size() == 1) a.delimiter = d[0];
            else if (d == "::") a.delimiter = ':';
            else throw CLI::ValidationError("--delimiter", "use one character, 'tab', 'space' or '::'");
        },
        "Delimiter of a generic delimited file (default: detect)");
    g->add_option("--header", a.header, "Generic files: first line is a header")
        ->check(CLI::IsMember({"auto", "yes", "no"}));
    g->add_option("--user-col", a.userColumn, "Generic files: user column (0-based)")->check(CLI::NonNegativeNumber);
    g->add_option("--item-col", a.itemColumn, "Generic files: item column (0-based)")->check(CLI::NonNegativeNumber);
    g->add_option("--rating-col", a.ratingColumn, "Generic files: rating column (-1: none; default 2, none with --implicit)")
        ->check(CLI::Range(-1, 1000));
    g->add_flag("--skip-bad-lines", a.skipBadLines,
                "Leave malformed lines out (counted, the first reported) instead of stopping at the first");
    g->add_option("--memory-limit", a.memoryLimit,
                  "Refuse data that needs more memory than this to read or decompress, e.g. 2G or "
                  "500M (default: 90 % of the machine's memory)")
        ->transform(CLI::AsSizeValue(true));
    auto* p = c->add_option_group("Preprocessing and split");
    p->add_option("--threshold", a.threshold, "Keep ratings above this value (Liang: > 3.5)");
    p->add_flag("--implicit", a.implicit, "Keep every interaction whatever its value");
    p->add_option("--min-user", a.minUser, "Drop users with fewer interactions")->check(CLI::Range(1, 1000000));
    p->add_option("--min-item", a.minItem, "Drop items with fewer interactions")->check(CLI::Range(0, 1000000));
    p->add_option("--heldout", a.heldOut, "Held-out users for validation and again for test "
                                          "(default: 10 % of the users, at most 10,000)")
        ->check(CLI::Range(std::int64_t(1), std::int64_t(1) << 40));
    p->add_option("--heldout-fraction", a.heldOutFraction, "Held-out share when --heldout is not given")
        ->check(CLI::Range(0.0, 0.5));
    p->add_option("--test-prop", a.testProportion, "Share of a held-out user's items to find (Liang: 0.2)")
        ->check(CLI::Range(0.01, 0.99));
    p->add_option("--split-seed", a.splitSeed, "Seed of the user permutation and fold-in split");
    p->add_option("--split-recipe", a.splitRecipe,
                  "notebook: Liang's notebook with NumPy's generator (models.md §1); python: the "
                  "script behind the shared liang-split folders (Python's random module)")
        ->check(CLI::IsMember({"notebook", "python"}));
    auto* d = c->add_option_group("Demo dataset");
    d->add_option("--demo-users", a.demo.users, "Users of the demo dataset")->check(CLI::Range(20, 5000000));
    d->add_option("--demo-items", a.demo.items, "Items of the demo dataset")->check(CLI::Range(20, 1000000));
    d->add_option("--demo-clusters", a.demo.clusters, "Taste clusters")->check(CLI::Range(1, 100));
    d->add_option("--demo-noise", a.demo.noise, "Share of interactions that ignore taste")->check(CLI::Range(0.0, 1.0));
    d->add_option("--demo-seed", a.demo.seed, "Seed of the demo dataset");
}

void printSplit(const LoadedData& d) {
    const Split& s = d.split;
    if (!d.fromSplitFolder) {
        const auto& r = d.report;
        std::printf("read:        %s users, %s items, %s interactions\n", humanCount(r.usersIn).c_str(),
                    humanCount(r.itemsIn).c_str(), humanCount(r.interactionsIn).c_str());
        std::printf("kept:        %s users, %s items, %s interactions (dropped %s below the "
                    "threshold, %s users and %s items under the minimum counts)\n",
                    humanCount(r.usersOut).c_str(), humanCount(r.itemsOut).c_str(),
                    humanCount(r.interactionsOut).c_str(), humanCount(r.belowThreshold).c_str(),
                    humanCount(r.usersDropped).c_str(), humanCount(r.itemsDropped).c_str());
        const double density = r.usersOut && r.itemsOut
                                   ? 100.0 * static_cast<double>(r.interactionsOut) /
                                         (static_cast<double>(r.usersOut) * static_cast<double>(r.itemsOut))
                                   : 0.0;
        std::printf("density:     %.3f %%\n", density);
    }
    std::printf("split:       %s training users, %s validation, %s test users; %s items "
                "(from training users)\n",
                humanCount(s.train.rows).c_str(), humanCount(s.validation.foldIn.rows).c_str(),
                humanCount(s.test.foldIn.rows).c_str(), humanCount(s.numItems()).c_str());
    std::printf("interactions: train %s | validation fold-in %s, held-out %s | test fold-in %s, "
                "held-out %s\n",
                humanCount(s.train.nnz()).c_str(), humanCount(s.validation.foldIn.nnz()).c_str(),
                humanCount(s.validation.heldOut.nnz()).c_str(), humanCount(s.test.foldIn.nnz()).c_str(),
                humanCount(s.test.heldOut.nnz()).c_str());
    std::printf("fingerprint: %s\n", s.fingerprintHex().c_str());
}

std::string metricLine(const MetricReport& r, const MetricOptions& o) {
    std::ostringstream out;
    const std::string n = "ndcg@" + std::to_string(o.ndcgK);
    out << "NDCG@" << o.ndcgK << " " << fmt(r.get(n));
    for (int k : o.recallKs) out << "  R@" << k << " " << fmt(r.get("recall@" + std::to_string(k)));
    return out.str();
}

void printReport(const std::string& title, const MetricReport& r) {
    std::printf("%s (%lld users", title.c_str(), static_cast<long long>(r.usersScored));
    if (r.usersWithoutHeldOut > 0)
        std::printf("; %lld without held-out items left out", static_cast<long long>(r.usersWithoutHeldOut));
    std::printf(")\n");
    for (const auto& [k, v] : r.mean) {
        const auto se = r.stdError.find(k);
        if (k.rfind("coverage", 0) == 0)
            std::printf("  %-14s %s\n", k.c_str(), fmt(v).c_str());
        else
            std::printf("  %-14s %s  (± %s)\n", k.c_str(), fmt(v).c_str(),
                        fmt(se == r.stdError.end() ? 0.0 : se->second).c_str());
    }
}

std::string modelHelp() {
    std::ostringstream o;
    o << "\nModels and their hyperparameters (set with --set name=value):\n";
    for (const auto& m : modelCatalog()) {
        o << "\n  " << m.id << "  " << m.name << " (" << m.citation << "): " << m.summary << "\n";
        for (const auto& p : m.params) {
            std::string range;
            if (p.kind == ParamKind::Choice) {
                for (const auto& c : p.choices) range += (range.empty() ? "" : "|") + c;
            } else if (p.kind != ParamKind::Bool) {
                std::ostringstream r;
                r << "[" << p.min << ", " << p.max << "]";
                range = r.str();
            }
            o << "    " << p.name << (p.symbol.empty() ? "" : " (" + p.symbol + ")") << " = "
              << formatParamValue(p.defaultValue) << "  " << range << "\n        " << p.help << "\n";
        }
    }
    return o.str();
}

Config parseSets(const std::string& modelId, const std::vector<std::string>& sets) {
    const ModelInfo& mi = modelInfo(modelId);
    Config c = Config::object();
    for (const auto& s : sets) {
        const auto eq = s.find('=');
        if (eq == std::string::npos || eq == 0)
            fail("--set " + s + ": expected name=value (see vaecf models)");
        const std::string name = s.substr(0, eq);
        const ParamSpec* spec = findSpec(mi.params, name);
        if (!spec) {
            std::string known;
            for (const auto& p : mi.params) known += (known.empty() ? "" : ", ") + p.name;
            fail("--set " + s + ": " + modelId + " has no hyperparameter '" + name + "' (known: " +
                 (known.empty() ? "none" : known) + ")");
        }
        c[name] = parseParamValue(*spec, s.substr(eq + 1));
    }
    return c;
}

ModelMeta metaFor(const Split& s, const Trainer* t) {
    ModelMeta meta;
    meta.itemIds = s.itemIds;
    if (!s.items.empty())
        for (const auto& it : s.items) meta.itemTitles.push_back(it.title);
    meta.datasetName = s.datasetName;
    meta.splitFingerprint = s.fingerprintHex();
    if (t) {
        meta.training = {{"seed", t->options().seed},
                         {"epochs", t->epochsRun()},
                         {"best_epoch", t->bestEpoch()},
                         {"best_validation", t->bestEpoch() > 0 ? nlohmann::json(t->bestValue()) : nlohmann::json()}};
    }
    return meta;
}

// ---- train ------------------------------------------------------------------------------
struct TrainArgs {
    DataArgs data;
    std::string model = "mult-vae";
    std::vector<std::string> sets;
    int epochs = 0;
    std::uint64_t seed = 98765;
    int patience = 0;
    std::string out;
    std::string record;
    bool noTest = false;
    std::string userFeatures, itemFeatures;  // BiVAE's constrained adaptive prior
    std::int64_t benchBatches = 0;           // bench: time only this many batches per epoch
    std::string checkpoint;                  // train: checkpoint file to write
    int checkpointEvery = 1;                 // train: epochs between checkpoints
    std::string resume;                      // train: checkpoint to continue
};

// ---- interrupts -------------------------------------------------------------------------
// SIGINT (Ctrl+C) and SIGTERM while `train` runs. Before training starts (reading the data)
// the first one quits at once: nothing has been written yet. During training the first one
// asks the trainer to stop after the current batch, after which runTrain writes the best model
// and a checkpoint and exits 130; a second one quits at once (exit 130), which leaves every
// file valid because files are only ever replaced by renaming a complete temporary file.
// The handler only writes a byte to a pipe; a watcher thread does the rest.
struct Interrupts {
    std::stop_source stop;
    std::atomic<bool> training{false};
    int pipe[2] = {-1, -1};
};

// Never destroyed: the watcher thread may outlive main().
Interrupts& interrupts() {
    static auto* state = new Interrupts;
    return *state;
}

// The pipe's write end, for the handler (which may only make async-signal-safe calls).
volatile std::sig_atomic_t g_interruptFd = -1;

extern "C" void onInterrupt(int) {
    const int saved = errno;
    const char c = 1;
    [[maybe_unused]] const ssize_t n = ::write(g_interruptFd, &c, 1);
    errno = saved;
}

void say(const char* text) {
    [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, text, std::strlen(text));
}

void watchInterrupts() {
    Interrupts& s = interrupts();
    if (s.pipe[0] >= 0) return;
    if (::pipe(s.pipe) != 0) return;  // no pipe: the signals keep their default action
    g_interruptFd = s.pipe[1];
    std::thread([&s] {
        int seen = 0;
        char c;
        while (true) {
            const ssize_t n = ::read(s.pipe[0], &c, 1);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return;
            if (++seen == 1 && s.training) {
                say("\nvaecf: interrupted: stopping after the current batch (press Ctrl+C again to "
                    "quit at once)\n");
                s.stop.request_stop();
            } else {
                say(seen == 1 ? "\nvaecf: interrupted\n" : "\nvaecf: interrupted again: quitting now\n");
                ::_exit(130);
            }
        }
    }).detach();
    struct sigaction sa {};
    sa.sa_handler = onInterrupt;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

// Side features of BiVAE's constrained adaptive prior, aligned to the split's training users
// and items; refused for other models.
void attachSideFeatures(Model& model, const TrainArgs& a, const Split& split) {
    if (a.userFeatures.empty() && a.itemFeatures.empty()) return;
    auto* bivae = dynamic_cast<BiVae*>(&model);
    if (!bivae)
        fail("--user-features/--item-features: only bivae has a prior that reads side features, not " +
             model.info().id);
    Tensor users, items;
    std::string report;
    if (!a.userFeatures.empty()) {
        users = readSideFeatures(a.userFeatures, split.trainUserIds, &report);
        std::printf("features:    users %s\n", report.c_str());
    }
    if (!a.itemFeatures.empty()) {
        items = readSideFeatures(a.itemFeatures, split.itemIds, &report);
        std::printf("features:    items %s\n", report.c_str());
    }
    bivae->setSideFeatures(users, items);
}

// "memory:      about 1.2 GB to train (estimate: the model 700 MB, the trainer's copies of its
// state 500 MB)", when the model estimates it.
void printMemoryEstimate(const Trainer& t) {
    const double total = t.memoryEstimate();
    if (total <= 0) return;
    const Split& s = t.split();
    const double model = t.model().memoryEstimate(s.train.rows, s.numItems(), s.train.nnz());
    if (total > model)
        std::printf("memory:      about %s to train (estimate: the model %s, the trainer's copies "
                    "of its state %s)\n",
                    formatBytes(total).c_str(), formatBytes(model).c_str(),
                    formatBytes(total - model).c_str());
    else
        std::printf("memory:      about %s to train (estimate)\n", formatBytes(total).c_str());
}

// Training with checkpoints (--checkpoint, every --checkpoint-every epochs, at the end and on
// an interrupt), resumable with --resume. Exit codes: 0, 3 when training diverged (the reason
// is printed; the best model is written), 130 when interrupted (see interrupts above).
int runTrain(TrainArgs& a) {
    watchInterrupts();
    Interrupts& irq = interrupts();
    const bool resuming = !a.resume.empty();
    std::optional<Checkpoint> ck;
    if (resuming) ck = loadCheckpointFile(a.resume);  // before the data: a bad file fails fast
    const std::string modelId = resuming ? ck->modelId : a.model;
    const Config cfg = resuming ? ck->config : parseSets(a.model, a.sets);
    auto model = createModel(modelId, cfg);  // validates before the data is read
    LoadedData d = loadData(a.data);
    if (!a.data.quiet) printSplit(d);
    TrainOptions o;
    if (resuming) {
        o = ck->options;
        if (a.epochs > 0) o.epochs = a.epochs;
    } else {
        o.epochs = a.epochs;
        o.seed = a.seed;
        o.patience = a.patience;
    }
    o.threads = a.data.threads;
    attachSideFeatures(*model, a, d.split);
    const int planned = resuming ? (a.epochs > 0 ? a.epochs : ck->totalEpochs)
                                 : (a.epochs > 0 ? a.epochs : model->defaultEpochs());
    std::printf("model:       %s %s | %d epochs | seed %llu | %d threads | kernels %s\n",
                model->info().name.c_str(), model->config().dump().c_str(), planned,
                static_cast<unsigned long long>(o.seed),
                a.data.threads > 0 ? a.data.threads : hardwareThreads(),
                kernelIsaName().c_str());
    // Checkpoints go to --checkpoint, else back to the file being resumed.
    std::string ckPath = !a.checkpoint.empty() ? a.checkpoint : a.resume;
    if (!ckPath.empty() && !model->iterative()) {
        std::printf("checkpoint:  none (%s fits in one step)\n", model->info().id.c_str());
        ckPath.clear();
    }
    std::fflush(stdout);
    irq.training = true;
    std::unique_ptr<Trainer> trainer;
    if (resuming) {
        ResumeOptions ro;
        ro.threads = a.data.threads;
        ro.epochs = a.epochs;
        trainer = std::make_unique<Trainer>(d.split, *ck, ro, std::move(model));
        std::printf("resumed:     %s after epoch %d of %d", a.resume.c_str(), ck->epochsRun(),
                    trainer->totalEpochs());
        if (ck->bestEpoch > 0)
            std::printf(" (best epoch %d, validation %s %s)", ck->bestEpoch, o.selectBy.c_str(),
                        fmt(ck->bestValue).c_str());
        std::printf("\n");
    } else {
        trainer = std::make_unique<Trainer>(d.split, std::move(model), o);
    }
    Trainer& t = *trainer;
    printMemoryEstimate(t);
    if (!ckPath.empty())
        std::printf("checkpoint:  %s (every %d epoch%s and at the end)\n", ckPath.c_str(),
                    a.checkpointEvery, a.checkpointEvery == 1 ? "" : "s");
    std::fflush(stdout);
    int checkpointed = -1;  // epochs in the checkpoint this process last wrote
    const auto writeCheckpoint = [&] {
        t.saveCheckpoint(ckPath);
        checkpointed = t.epochsRun();
    };
    ProgressLine progress(!a.data.quiet);
    const int width = static_cast<int>(std::to_string(t.totalEpochs()).size());
    t.run(
        irq.stop.get_token(),
        [&](const BatchProgress& p) {
            progress.update("epoch " + std::to_string(p.epoch) + " batch " + std::to_string(p.batch + 1) +
                                "/" + std::to_string(p.batches) + "  loss " + fmt(p.terms.loss, 3),
                            static_cast<double>(p.batch + 1) / static_cast<double>(p.batches));
        },
        [&](const EpochReport& r) {
            progress.clear();
            std::printf("epoch %*d/%d | loss %s (recon %s", width, r.epoch, t.totalEpochs(),
                        fmt(r.train.loss, 3).c_str(), fmt(r.train.recon, 3).c_str());
            const ModelFamily family = t.model().info().family;
            if ((family == ModelFamily::UserAutoencoder || family == ModelFamily::TwoSided) && r.train.kl != 0)
                std::printf(", KL %s, β %s", fmt(r.train.kl, 3).c_str(), fmt(r.train.beta, 4).c_str());
            std::printf(")");
            if (r.validated) std::printf(" | val %s", metricLine(r.validation, o.metrics).c_str());
            std::printf(" | %.2fs + %.2fs%s\n", r.trainSeconds, r.evalSeconds, r.improved ? " *" : "");
            std::fflush(stdout);
            if (!ckPath.empty() && (r.epoch % a.checkpointEvery == 0 || t.done())) writeCheckpoint();
        });
    progress.clear();
    const bool interrupted = !t.done() && irq.stop.stop_requested();
    if (t.diverged()) std::fprintf(stderr, "vaecf: %s\n", t.divergence().c_str());
    if (interrupted)
        std::fprintf(stderr, "vaecf: interrupted: %d of %d epochs are complete (a partial epoch is dropped)\n",
                     t.epochsRun(), t.totalEpochs());
    // The last epoch boundary, when the periodic checkpoints have not written it yet (a
    // diverged run keeps its last checkpoint from before the divergence).
    if (!ckPath.empty() && !t.diverged() && checkpointed != t.epochsRun() &&
        !(resuming && ckPath == a.resume && t.epochsRun() == ck->epochsRun()))
        writeCheckpoint();
    if (t.stoppedEarly())
        std::printf("stopped early: no better validation value for %d epochs\n", t.options().patience);
    t.restoreBest();
    if (t.bestEpoch() > 0)
        std::printf("best epoch:  %d (validation %s %s)\n", t.bestEpoch(), t.options().selectBy.c_str(),
                    fmt(t.bestValue()).c_str());
    if (!interrupted && !a.noTest && d.split.test.foldIn.rows > 0) {
        const MetricReport test = t.evaluate(d.split.test);
        t.setTestReport(test);
        printReport("test @ best epoch", test);
    }
    const bool trained = t.epochsRun() > 0 || t.diverged();
    if (!a.out.empty() && trained) {
        saveModelFile(a.out, t.model(), metaFor(d.split, &t));
        std::printf("model:       %s\n", a.out.c_str());
    }
    std::string rec = a.record;
    if (rec.empty() && !a.out.empty()) rec = (fs::path(a.out).replace_extension("").string()) + ".run";
    if (!rec.empty()) {
        if (fs::path(rec).extension() == ".json" || fs::path(rec).extension() == ".csv")
            rec = fs::path(rec).replace_extension("").string();
        nlohmann::json j = t.record();
        j["kernels"] = kernelIsaName();
        j["data"] = a.data.path;
        j["interrupted"] = interrupted;
        writeFileAtomically(rec + ".json", j.dump(2) + "\n");
        writeFileAtomically(rec + ".csv", t.historyCsv());
        std::printf("run record:  %s.json, %s.csv\n", rec.c_str(), rec.c_str());
    }
    std::fflush(stdout);
    if (t.diverged()) return 3;
    if (interrupted) {
        if (checkpointed >= 0 || (resuming && ckPath == a.resume))
            std::fprintf(stderr,
                         "vaecf: checkpoint of epoch %d: %s\n"
                         "vaecf: resume with: vaecf train <the same data and split options> --resume %s\n",
                         t.epochsRun(), ckPath.c_str(), ckPath.c_str());
        else
            std::fprintf(stderr, "vaecf: no checkpoint was written (train with --checkpoint FILE to be able "
                                 "to resume)\n");
        return 130;
    }
    return 0;
}

// A model file may hold no item ids (one saved without its data's, as a project does for a
// run that no longer matches its data): its items are then named by their column numbers.
void nameItemsByColumn(LoadedModel& lm) {
    if (!lm.meta.itemIds.empty()) return;
    for (std::int64_t i = 0; i < lm.model->numItems(); ++i) lm.meta.itemIds.push_back(std::to_string(i));
}

// The model's item ids, to match them with the data's.
void requireItemIds(const LoadedModel& lm, const std::string& modelPath) {
    if (lm.meta.itemIds.empty())
        fail(modelPath + ": the model file holds no item ids, so its items cannot be matched with "
                         "the data's");
}

// ---- evaluate ---------------------------------------------------------------------------
int runEvaluate(const std::string& modelPath, DataArgs& data, const std::string& part,
                const std::string& perUserCsv) {
    LoadedModel lm = loadModelFile(modelPath);
    requireItemIds(lm, modelPath);
    LoadedData d = loadData(data);
    if (d.split.itemIds != lm.meta.itemIds)
        fail(modelPath + ": the model was trained on another item vocabulary (" +
             std::to_string(lm.meta.itemIds.size()) + " items) than this split has (" +
             std::to_string(d.split.itemIds.size()) + "); use the same data and split options");
    if (!lm.meta.splitFingerprint.empty() && lm.meta.splitFingerprint != d.split.fingerprintHex())
        std::fprintf(stderr, "vaecf: warning: the split differs from the one the model was trained on "
                             "(fingerprint %s, model %s): held-out users may have been seen in training\n",
                     d.split.fingerprintHex().c_str(), lm.meta.splitFingerprint.c_str());
    const HeldOut& h = part == "validation" ? d.split.validation : d.split.test;
    MetricOptions mo;
    std::vector<UserMetrics> per;
    const MetricReport r = evaluateModel(*lm.model, h, mo, data.threads, 2000, &per);
    printReport(lm.model->info().name + " on " + part + " users", r);
    if (!perUserCsv.empty()) {
        std::ostringstream o;
        o.precision(6);
        o << "user,fold_in_items,held_out_items,ndcg@" << mo.ndcgK << ",recall@" << mo.recallKs[0]
          << ",recall@" << mo.recallKs[1] << ",precision@" << mo.precisionK << ",hit@" << mo.hitK
          << ",mrr@" << mo.mrrK << "\n";
        for (std::int64_t u = 0; u < h.foldIn.rows; ++u) {
            o << h.userIds[u] << ',' << h.foldIn.rowNnz(u) << ',' << h.heldOut.rowNnz(u);
            if (h.heldOut.rowNnz(u) > 0) {
                const UserMetrics& m = per[u];
                o << ',' << m.ndcg << ',' << m.recallA << ',' << m.recallB << ',' << m.precision
                  << ',' << m.hit << ',' << m.mrr;
            } else {
                o << ",,,,,,";  // no held-out items: left out of the means
            }
            o << "\n";
        }
        writeFileAtomically(perUserCsv, o.str());
        std::printf("per-user metrics: %s\n", perUserCsv.c_str());
    }
    return 0;
}

// ---- recommend --------------------------------------------------------------------------
std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

int runRecommend(const std::string& modelPath, DataArgs& data, const std::vector<std::string>& users,
                 const std::vector<std::string>& items, const std::vector<std::string>& titles,
                 int n) {
    LoadedModel lm = loadModelFile(modelPath);
    nameItemsByColumn(lm);
    const auto& ids = lm.meta.itemIds;
    const auto& tt = lm.meta.itemTitles;
    std::map<std::string, std::int32_t> col;
    for (std::size_t i = 0; i < ids.size(); ++i) col[ids[i]] = static_cast<std::int32_t>(i);
    auto label = [&](std::int32_t i) {
        return tt.empty() || tt[i].empty() ? ids[i] : tt[i] + " [" + ids[i] + "]";
    };
    struct Query {
        std::string who;
        std::vector<std::int32_t> history;
        std::int64_t unknown = 0;
    };
    std::vector<Query> queries;
    if (!users.empty()) {
        if (data.path.empty()) fail("--user needs --data: the dataset that holds the users' histories");
        Dataset ds = readForCli(data);
        PreprocessOptions po;
        po.ratingThreshold = data.implicit ? std::nan("") : data.threshold;
        po.minUserInteractions = 1;
        ds = preprocess(ds, po);
        std::map<std::string, std::int64_t> row;
        for (std::size_t u = 0; u < ds.userIds.size(); ++u) row[ds.userIds[u]] = static_cast<std::int64_t>(u);
        for (const auto& u : users) {
            const auto it = row.find(u);
            if (it == row.end()) fail("--user " + u + ": no such user in " + data.path + " (after the threshold)");
            Query q{"user " + u, {}, 0};
            for (std::int32_t i : ds.interactions.rowIndices(it->second)) {
                const auto c = col.find(ds.itemIds[i]);
                if (c == col.end()) ++q.unknown;
                else q.history.push_back(c->second);
            }
            queries.push_back(std::move(q));
        }
    }
    if (!items.empty() || !titles.empty()) {
        Query q{"new user", {}, 0};
        for (const auto& it : items) {
            const auto c = col.find(it);
            if (c == col.end()) fail("--items: the model knows no item '" + it + "'");
            q.history.push_back(c->second);
        }
        for (const auto& t : titles) {
            if (tt.empty()) fail("--titles: the model file has no item titles; use --items with ids");
            std::vector<std::int32_t> hits;
            const std::string needle = lower(t);
            for (std::size_t i = 0; i < tt.size(); ++i) {
                if (lower(tt[i]) == needle) { hits = {static_cast<std::int32_t>(i)}; break; }
                if (lower(tt[i]).find(needle) != std::string::npos) hits.push_back(static_cast<std::int32_t>(i));
            }
            if (hits.empty()) fail("--titles: no item title contains '" + t + "'");
            if (hits.size() > 1) {
                std::string list;
                for (std::size_t k = 0; k < hits.size() && k < 5; ++k) list += "\n  " + label(hits[k]);
                fail("--titles: '" + t + "' matches " + std::to_string(hits.size()) +
                     " titles; be more specific:" + list);
            }
            q.history.push_back(hits[0]);
        }
        queries.push_back(std::move(q));
    }
    if (queries.empty()) fail("name users with --user (and --data), or a new user's items with --items or --titles");
    for (const auto& q : queries) {
        std::vector<std::int64_t> r;
        std::vector<std::int32_t> c(q.history);
        std::sort(c.begin(), c.end());
        c.erase(std::unique(c.begin(), c.end()), c.end());
        r.assign(c.size(), 0);
        CsrMatrix row = CsrMatrix::fromTriplets(1, lm.model->numItems(), r, c, {});
        std::vector<float> s(static_cast<std::size_t>(lm.model->numItems()));
        lm.model->score(row, 0, 1, s.data());
        for (std::int32_t i : c) s[i] = -INFINITY;
        const auto top = topK(s, n);
        std::printf("%s: %zu known items%s\n", q.who.c_str(), c.size(),
                    q.unknown ? (", " + std::to_string(q.unknown) + " not in the model's vocabulary").c_str() : "");
        for (std::size_t k = 0; k < top.size(); ++k)
            std::printf("  %2zu. %-60s %8.3f\n", k + 1, label(top[k]).c_str(), s[top[k]]);
    }
    return 0;
}

// ---- embed ------------------------------------------------------------------------------
int runEmbed(const std::string& modelPath, DataArgs& data, const std::string& outDir, bool items) {
    LoadedModel lm = loadModelFile(modelPath);
    fs::create_directories(outDir);
    std::ostringstream vec, meta;
    std::int64_t written = 0;
    if (items) {
        const Tensor t = lm.model->itemEmbeddings();
        if (t.rows == 0) fail(lm.model->info().name + " has no item embeddings");
        nameItemsByColumn(lm);
        if (static_cast<std::size_t>(t.rows) != lm.meta.itemIds.size())
            fail(modelPath + ": the model has " + std::to_string(t.rows) +
                 " item embeddings but names " + std::to_string(lm.meta.itemIds.size()) + " items");
        meta << "item\ttitle\n";
        for (std::int64_t i = 0; i < t.rows; ++i) {
            for (std::int64_t d = 0; d < t.cols; ++d) vec << (d ? "\t" : "") << t.data[i * t.cols + d];
            vec << "\n";
            meta << lm.meta.itemIds[i] << "\t"
                 << (lm.meta.itemTitles.empty() ? "" : lm.meta.itemTitles[i]) << "\n";
        }
        written = t.rows;
    } else {
        const int K = lm.model->latentDim();
        if (K == 0) fail(lm.model->info().name + " has no latent space to embed users in");
        requireItemIds(lm, modelPath);
        LoadedData d = loadData(data);
        if (d.split.itemIds != lm.meta.itemIds)
            fail(modelPath + ": the model was trained on another item vocabulary than " + data.path);
        meta << "user\tpart\tinteractions" << (d.demo ? "\tcluster" : "") << "\n";
        std::map<std::string, std::string> clusterOf;
        if (d.demo)
            for (std::size_t u = 0; u < d.dataset.userIds.size() && u < d.demoClusters.size(); ++u)
                clusterOf[d.dataset.userIds[u]] = d.demoClusterNames[d.demoClusters[u]];
        auto dump = [&](const CsrMatrix& rows, const std::vector<std::string>& uids, const char* part) {
            std::vector<float> mu(static_cast<std::size_t>(rows.rows * K));
            for (std::int64_t b = 0; b < rows.rows; b += 2000) {
                const std::int64_t e = std::min(rows.rows, b + 2000);
                lm.model->encode(rows, b, e, mu.data() + b * K, nullptr);
            }
            for (std::int64_t u = 0; u < rows.rows; ++u) {
                for (int k = 0; k < K; ++k) vec << (k ? "\t" : "") << mu[u * K + k];
                vec << "\n";
                meta << uids[u] << "\t" << part << "\t" << rows.rowNnz(u);
                if (d.demo) meta << "\t" << clusterOf[uids[u]];
                meta << "\n";
            }
            written += rows.rows;
        };
        dump(d.split.train, d.split.trainUserIds, "train");
        dump(d.split.validation.foldIn, d.split.validation.userIds, "validation");
        dump(d.split.test.foldIn, d.split.test.userIds, "test");
    }
    writeFileAtomically(fs::path(outDir) / "vectors.tsv", vec.str());
    writeFileAtomically(fs::path(outDir) / "metadata.tsv", meta.str());
    std::printf("wrote %lld %s embeddings to %s/vectors.tsv and metadata.tsv (TensorBoard projector "
                "layout)\n",
                static_cast<long long>(written), items ? "item" : "user", outDir.c_str());
    return 0;
}

// ---- bench ------------------------------------------------------------------------------
int runBench(TrainArgs& a, int epochs) {
    const Config cfg = parseSets(a.model, a.sets);
    LoadedData d = loadData(a.data);
    TrainOptions o;
    o.epochs = epochs;
    o.seed = a.seed;
    o.threads = a.data.threads;
    o.validate = false;
    auto model = createModel(a.model, cfg);
    attachSideFeatures(*model, a, d.split);
    Trainer t(d.split, std::move(model), o);
    std::printf("bench: %s on %s training users x %s items (%s interactions), %d threads, kernels %s\n",
                t.model().info().name.c_str(), humanCount(d.split.train.rows).c_str(),
                humanCount(d.split.numItems()).c_str(), humanCount(d.split.train.nnz()).c_str(),
                a.data.threads > 0 ? a.data.threads : hardwareThreads(),
                kernelIsaName().c_str());
    printMemoryEstimate(t);
    std::vector<double> secs;
    // With --batches N each epoch stops after N batches and its time is scaled to the whole
    // epoch (the models' batches are alike in cost, so this estimates slow models' epochs).
    // A stopped epoch does not count as run, so count the timed epochs here.
    for (int k = 1; k <= epochs && !t.done(); ++k) {
        std::stop_source stop;
        std::int64_t done = 0, batches = 0;
        const EpochReport r = t.runEpoch(stop.get_token(), [&](const BatchProgress& p) {
            done = p.batch + 1;
            batches = p.batches;
            if (a.benchBatches > 0 && done >= a.benchBatches) stop.request_stop();
        });
        double s = r.trainSeconds;
        if (t.diverged()) {
            std::printf("epoch %d: diverged in batch %lld (not timed)\n", k, static_cast<long long>(done));
            break;
        }
        if (r.stopped && done > 0 && batches > done) {
            s *= static_cast<double>(batches) / static_cast<double>(done);
            std::printf("epoch %d: %lld of %lld batches in %.3f s -> %.3f s per epoch (loss %s)\n", k,
                        static_cast<long long>(done), static_cast<long long>(batches), r.trainSeconds, s,
                        fmt(r.train.loss, 3).c_str());
        } else {
            std::printf("epoch %d: %.3f s (loss %s)\n", k, s, fmt(r.train.loss, 3).c_str());
        }
        secs.push_back(s);
        std::fflush(stdout);
    }
    std::vector<double> steady(secs.size() > 1 ? secs.begin() + 1 : secs.begin(), secs.end());
    std::sort(steady.begin(), steady.end());
    const double med = steady.empty() ? 0 : steady[steady.size() / 2];
    const auto t0 = std::chrono::steady_clock::now();
    const MetricReport v = t.evaluate(d.split.validation);
    const double evalS = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    nlohmann::json j{{"model", a.model}, {"config", t.model().config()}, {"threads", o.threads},
                     {"kernels", kernelIsaName()},
                     {"train_users", d.split.train.rows}, {"items", d.split.numItems()},
                     {"train_nnz", d.split.train.nnz()}, {"epoch_seconds", secs},
                     {"sec_per_epoch_median_excl_first", med}, {"validation_seconds", evalS},
                     {"validation", toJson(v)}};
    std::printf("median s/epoch (excluding the first): %.3f | validation pass %.2f s\n", med, evalS);
    // A diverged run times only the epochs before it (and scores the best weights): say so.
    if (t.diverged()) {
        j["diverged"] = t.divergence();
        std::fprintf(stderr, "vaecf: %s\n", t.divergence().c_str());
    }
    if (!a.record.empty()) writeFileAtomically(a.record, j.dump(2) + "\n");
    return t.diverged() ? 3 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"vaecf: train and evaluate variational-autoencoder recommenders (VAE-CF Studio)"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("vaecf ") + VAECF_VERSION);

    DataArgs prepData;
    std::string exportDir;
    auto* prepare = app.add_subcommand("prepare", "Load, preprocess and split a dataset; print statistics; export the split");
    addDataOptions(prepare, prepData);
    prepare->add_option("--export", exportDir, "Write the split in Liang's CSV layout to this folder");
    prepare->add_option("--threads", prepData.threads, "Threads (0: all cores)")->check(CLI::Range(0, 1024));

    TrainArgs tr;
    auto* train = app.add_subcommand("train", "Train a model; print one line per epoch; write the model and a run record");
    addDataOptions(train, tr.data);
    auto* trainModel = train->add_option("-m,--model", tr.model, "Model id (see below)");
    trainModel
        ->check(CLI::IsMember([] {
            std::vector<std::string> ids;
            for (const auto& m : modelCatalog()) ids.push_back(m.id);
            return ids;
        }()));
    auto* trainSet = train->add_option("--set", tr.sets, "Hyperparameter name=value (repeatable)");
    train->add_option("--epochs", tr.epochs, "Epochs (0: the model's default; with --resume: the new "
                                             "total, e.g. to extend a finished run)")
        ->check(CLI::Range(0, 100000));
    auto* trainSeed = train->add_option("--seed", tr.seed, "Seed of initialization, dropout, sampling and shuffling");
    train->add_option("--threads", tr.data.threads, "Threads (0: all cores)")->check(CLI::Range(0, 1024));
    auto* trainPatience = train->add_option("--patience", tr.patience, "Stop after this many epochs without a better validation NDCG (0: off)");
    trainPatience
        ->check(CLI::Range(0, 100000));
    train->add_option("-o,--out", tr.out, "Model file to write (.vaecf)");
    train->add_option("--record", tr.record, "Run record path without extension (writes .json and .csv); "
                                             "default: beside the model");
    train->add_flag("--no-test", tr.noTest, "Do not evaluate on the test users at the end");
    train->add_flag("-q,--quiet", tr.data.quiet, "No progress bar or data summary");
    train->add_option("--checkpoint", tr.checkpoint,
                      "Write a training checkpoint (model state, optimizer moments, history, best "
                      "weights) to this file, atomically, every --checkpoint-every epochs, at the end "
                      "and when interrupted");
    train->add_option("--checkpoint-every", tr.checkpointEvery, "Epochs between checkpoints")
        ->check(CLI::Range(1, 100000));
    train->add_option("--resume", tr.resume,
                      "Continue the run of a checkpoint exactly where it stopped (its last complete "
                      "epoch): the model, hyperparameters, seed and patience come from it; give the same "
                      "data and split options. Checkpoints go on to this file unless --checkpoint names "
                      "another")
        ->excludes(trainModel)
        ->excludes(trainSet)
        ->excludes(trainSeed)
        ->excludes(trainPatience);
    train->footer(
        "\nCtrl+C (or SIGTERM) stops training after the current batch, writes the best model "
        "(--out), the run record and a checkpoint (--checkpoint), and exits with code 130; a second "
        "Ctrl+C quits at once (files are replaced atomically, never left half-written).\n"
        "Exit codes: 0 done; 1 error in the data or the options; 2 command-line syntax; 3 training "
        "diverged (NaN or infinite loss or weights: the reason is printed, the best model is still "
        "written); 130 interrupted.\n" +
        modelHelp());

    std::string evalModel, evalPart = "test";
    DataArgs evalData;
    auto* evaluate = app.add_subcommand("evaluate", "Evaluate a model file on the validation or test users of a split");
    evaluate->add_option("model", evalModel, "Model file (.vaecf)")->required()->check(CLI::ExistingFile);
    addDataOptions(evaluate, evalData);
    evaluate->add_option("--part", evalPart, "Which held-out users")->check(CLI::IsMember({"test", "validation"}));
    evaluate->add_option("--threads", evalData.threads, "Threads (0: all cores)")->check(CLI::Range(0, 1024));
    std::string evalPerUser;
    evaluate->add_option("--per-user", evalPerUser, "Write every user's metrics to this CSV file");

    std::string recModel;
    DataArgs recData;
    std::vector<std::string> recUsers, recItems, recTitles;
    int recN = 10;
    auto* recommend = app.add_subcommand("recommend", "Top-N items for users of a dataset or for a new user");
    recommend->add_option("model", recModel, "Model file (.vaecf)")->required()->check(CLI::ExistingFile);
    addDataOptions(recommend, recData, false);
    recommend->add_option("--data", recData.path, "Dataset holding the users' histories (with --user)");
    recommend->add_option("--user", recUsers, "Original user id (repeatable)");
    recommend->add_option("--items", recItems, "A new user's items by original id")->delimiter(',');
    recommend->add_option("--titles", recTitles, "A new user's items by title (case-insensitive; a unique "
                                                 "substring is enough)")->delimiter(';');
    recommend->add_option("-n,--top", recN, "How many items to list")->check(CLI::Range(1, 10000));

    std::string embModel, embOut = "embeddings";
    bool embItems = false;
    DataArgs embData;
    auto* embed = app.add_subcommand("embed", "Write user latent means (or item embeddings) as TSV in the "
                                              "TensorBoard projector layout");
    embed->add_option("model", embModel, "Model file (.vaecf)")->required()->check(CLI::ExistingFile);
    addDataOptions(embed, embData, false);
    embed->add_option("--data", embData.path, "Dataset whose users to encode (same options as for training)");
    embed->add_option("-o,--out-dir", embOut, "Folder for vectors.tsv and metadata.tsv");
    embed->add_flag("--items", embItems, "Write item embeddings (decoder weights) instead of users");

    TrainArgs bn;
    int benchEpochs = 3;
    auto* bench = app.add_subcommand("bench", "Time training epochs (no validation) on a dataset");
    addDataOptions(bench, bn.data);
    bench->add_option("-m,--model", bn.model, "Model id");
    bench->add_option("--set", bn.sets, "Hyperparameter name=value (repeatable)");
    bench->add_option("--epochs", benchEpochs, "Epochs to time")->check(CLI::Range(1, 1000));
    bench->add_option("--batches", bn.benchBatches,
                      "Time only this many batches of each epoch and scale to the whole epoch (0: all)")
        ->check(CLI::Range(0, 1000000000));
    for (auto* sub : {train, bench}) {
        TrainArgs& args = sub == train ? tr : bn;
        sub->add_option("--user-features", args.userFeatures,
                        "BiVAE: CSV of user side features (id,f1,f2,...) for the constrained adaptive prior")
            ->check(CLI::ExistingFile);
        sub->add_option("--item-features", args.itemFeatures,
                        "BiVAE: CSV of item side features (id,f1,f2,...) for the constrained adaptive prior")
            ->check(CLI::ExistingFile);
    }
    bench->add_option("--threads", bn.data.threads, "Threads (0: all cores)")->check(CLI::Range(0, 1024));
    bench->add_option("--seed", bn.seed, "Seed");
    bench->add_option("--json", bn.record, "Write the timings as JSON to this file");

    auto* models = app.add_subcommand("models", "List the models and their hyperparameters");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    try {
        if (*prepare) {
            LoadedData d = loadData(prepData);
            printSplit(d);
            if (!exportDir.empty()) {
                exportLiangSplit(d.split, exportDir);
                std::printf("exported:    %s (Liang layout: train.csv, validation_tr/te.csv, test_tr/te.csv, "
                            "unique_sid.txt, unique_uid.txt)\n",
                            exportDir.c_str());
            }
            return 0;
        }
        if (*train) return runTrain(tr);
        if (*evaluate) return runEvaluate(evalModel, evalData, evalPart, evalPerUser);
        if (*recommend) return runRecommend(recModel, recData, recUsers, recItems, recTitles, recN);
        if (*embed) {
            if (!embItems && embData.path.empty()) fail("embed: name the users' dataset with --data (or use --items)");
            return runEmbed(embModel, embData, embOut, embItems);
        }
        if (*bench) return runBench(bn, benchEpochs);
        if (*models) {
            std::printf("%s", modelHelp().c_str());
            return 0;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "vaecf: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
