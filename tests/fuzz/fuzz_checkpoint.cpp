// SPDX-License-Identifier: MIT
// loadCheckpointFile() on training checkpoints (the model-file container with "kind":
// "checkpoint": magic, version, JSON header, tensors, CRC-32), then resuming the run on the
// split the seeds were trained on (checkpoint_split.h). Input: 1 control byte then the file.
//   byte 0: bit 0 keeps the file's own CRC; otherwise the harness rewrites the last 4 bytes
//           with the right CRC, so that mutations get past the checksum to the parser.
//           bit 1: resume with one epoch more than the checkpoint has run (else as planned).
//           bit 2: stop the first resumed epoch after its first batch (the partial epoch is
//           dropped), then run it whole.
//           bit 3: the input is not the file but its JSON header, "\n%%\n", then the tensor
//           section (tensor count and tensors); the harness puts the container around them
//           (magic, version, flags, header length, CRC), so that a mutation that changes the
//           header's length still gives a header that parses.
//           bit 4: resume a second time as the command line does, with the model created from
//           the checkpoint (createModel(model, config)) given to the trainer, and run both
//           alike: both refuse with the same message, or both run to the same epochs, losses,
//           metrics and state, bit for bit.
//           bit 5: resume with epochs one below the epochs run, which must be refused (-1
//           when none has run; 0, when one has, is "as planned"); with bit 1, exactly the
//           epochs run (nothing left to train).
//           bit 6: save the loaded checkpoint and load that file again before resuming: the
//           same fields, history (NaN read back as NaN), state and best parameters bit for bit.
// A checkpoint that loads must be consistent; resuming it either ends in Error or gives a
// trainer that runs an epoch, restores its best weights, evaluates, and writes a checkpoint
// that loads back.
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "checkpoint_split.h"
#include "fuzz_util.h"
#include "vaecf/checkpoint.h"
#include "vaecf/error.h"
#include "vaecf/model.h"
#include "vaecf/trainer.h"

using namespace vaecf;

namespace {

template <typename T>
void put(std::string& out, T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));  // little-endian hosts only, as the format
    out.append(b, sizeof(T));
}

// The checkpoint file of an assembled input (bit 3): header, separator, tensor section.
std::string assemble(const fuzz::Input& in) {
    const auto parts = in.parts(2);
    const std::string_view header = parts[0];
    const std::string_view tensors = parts.size() > 1 ? parts[1] : std::string_view();
    std::string out = "VAECFMDL";
    put<std::uint32_t>(out, 1);
    put<std::uint32_t>(out, 0);
    put<std::uint64_t>(out, header.size());
    out += header;
    out += tensors;
    out.append(4, '\0');
    return fuzz::withCrc(out);
}

void checkLoaded(const core::Checkpoint& ck) {
    fuzz::check(ck.items >= 1 && ck.users >= 1, "a checkpoint has items and users");
    fuzz::check(!ck.modelState.empty(), "a checkpoint has a model state");
    for (std::size_t k = 0; k < ck.history.size(); ++k)
        fuzz::check(ck.history[k].epoch == static_cast<int>(k) + 1, "the history runs 1, 2, 3 ...");
    fuzz::check(ck.epochsRun() <= ck.totalEpochs, "no more epochs run than planned");
    fuzz::check(ck.bestEpoch >= 0 && ck.bestEpoch <= ck.epochsRun(), "the best epoch was run");
    fuzz::check((ck.bestEpoch > 0) == !ck.bestParameters.empty(),
                "best parameters exactly when there is a best epoch");
    for (const auto& [name, t] : ck.modelState)
        fuzz::check(t.rows >= 0 && t.cols >= 0 &&
                        t.data.size() == static_cast<std::size_t>(t.rows * t.cols),
                    "state tensors hold rows x cols values");
}

bool sameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// A double as a checkpoint stores it: exactly, but NaN as the string "nan", which reads back
// as the quiet NaN whatever the sign and payload were.
bool sameStored(double a, double b) { return (std::isnan(a) && std::isnan(b)) || sameBits(a, b); }

using SameReal = bool (*)(double, double);

bool sameTensors(const core::TensorMap& a, const core::TensorMap& b) {
    if (a.size() != b.size()) return false;
    for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
        const core::Tensor &x = ia->second, &y = ib->second;
        if (ia->first != ib->first || x.rows != y.rows || x.cols != y.cols ||
            x.data.size() != y.data.size() ||
            std::memcmp(x.data.data(), y.data.data(), x.data.size() * sizeof(float)) != 0)
            return false;
    }
    return true;
}

bool sameMap(const std::map<std::string, double>& a, const std::map<std::string, double>& b,
             SameReal same) {
    if (a.size() != b.size()) return false;
    for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib)
        if (ia->first != ib->first || !same(ia->second, ib->second)) return false;
    return true;
}

bool sameMetrics(const core::MetricReport& a, const core::MetricReport& b, SameReal same) {
    return sameMap(a.mean, b.mean, same) && sameMap(a.stdError, b.stdError, same) &&
           a.usersScored == b.usersScored && a.usersWithoutHeldOut == b.usersWithoutHeldOut;
}

// Two epoch reports alike; the timings only where they were stored (not measured again).
bool sameEpoch(const core::EpochReport& a, const core::EpochReport& b, SameReal same,
               bool timings) {
    const core::LossTerms &x = a.train, &y = b.train;
    return a.epoch == b.epoch && same(x.loss, y.loss) && same(x.recon, y.recon) &&
           same(x.kl, y.kl) && same(x.beta, y.beta) && same(x.penalty, y.penalty) &&
           a.batches == b.batches && a.updates == b.updates &&
           (!timings || (same(a.trainSeconds, b.trainSeconds) && same(a.evalSeconds, b.evalSeconds))) &&
           a.validated == b.validated && sameMetrics(a.validation, b.validation, same) &&
           a.improved == b.improved && a.stopped == b.stopped && a.diverged == b.diverged;
}

bool sameHistory(const std::vector<core::EpochReport>& a, const std::vector<core::EpochReport>& b,
                 SameReal same, bool timings) {
    if (a.size() != b.size()) return false;
    for (std::size_t k = 0; k < a.size(); ++k)
        if (!sameEpoch(a[k], b[k], same, timings)) return false;
    return true;
}

bool sameOptions(const core::TrainOptions& a, const core::TrainOptions& b) {
    const core::MetricOptions &x = a.metrics, &y = b.metrics;
    return a.epochs == b.epochs && a.seed == b.seed && a.threads == b.threads &&
           a.patience == b.patience && a.validate == b.validate && a.selectBy == b.selectBy &&
           a.evalBatch == b.evalBatch && a.niceness == b.niceness && x.ndcgK == y.ndcgK &&
           x.recallKs == y.recallKs && x.precisionK == y.precisionK && x.mrrK == y.mrrK &&
           x.hitK == y.hitK && x.coverageK == y.coverageK;
}

// Bit 6: saveCheckpointFile writes every field of a checkpoint (checkpoint.h: doubles exactly,
// NaN and ±inf as strings), so the file it writes of a loaded checkpoint loads back the same.
void saveAndReload(const core::Checkpoint& ck, const fuzz::Scratch& scratch) {
    const auto copy = scratch / "copy.ckpt";
    core::Checkpoint back;
    try {
        core::saveCheckpointFile(copy, ck);
        back = core::loadCheckpointFile(copy);
    } catch (const core::Error& e) {
        fuzz::broken(std::string("a loaded checkpoint saved again does not load back: ") + e.what());
    }
    fuzz::check(back.modelId == ck.modelId && back.config == ck.config,
                "a checkpoint saved again: the same model and config");
    fuzz::check(back.items == ck.items && back.users == ck.users &&
                    back.datasetName == ck.datasetName && back.splitFingerprint == ck.splitFingerprint,
                "a checkpoint saved again: the same data");
    fuzz::check(sameOptions(back.options, ck.options), "a checkpoint saved again: the same options");
    fuzz::check(back.totalEpochs == ck.totalEpochs && back.bestEpoch == ck.bestEpoch &&
                    sameStored(back.bestValue, ck.bestValue) && back.sinceBest == ck.sinceBest &&
                    back.stoppedEarly == ck.stoppedEarly && back.resumedAfter == ck.resumedAfter,
                "a checkpoint saved again: the same trainer fields");
    fuzz::check(sameHistory(back.history, ck.history, sameStored, true),
                "a checkpoint saved again: the same history");
    fuzz::check(sameTensors(back.modelState, ck.modelState),
                "a checkpoint saved again: the same state, bit for bit");
    fuzz::check(sameTensors(back.bestParameters, ck.bestParameters),
                "a checkpoint saved again: the same best parameters, bit for bit");
    fuzz::check(back.source == copy.string(), "a checkpoint names the file it was read from");
}

// A trainer resumed from the checkpoint, or the message of the Error that refused it. `cli`:
// as the command line resumes (app/cli/main.cpp runTrain), with the model it creates from the
// checkpoint's id and config; else the trainer creates it.
struct Started {
    std::unique_ptr<core::Trainer> trainer;
    std::string error;
};

Started start(const core::Checkpoint& ck, const core::ResumeOptions& ro, bool cli) {
    Started s;
    try {
        std::unique_ptr<core::Model> model;
        if (cli) model = core::createModel(ck.modelId, ck.config);
        s.trainer = std::make_unique<core::Trainer>(fuzz::checkpointSplit(), ck, ro, std::move(model));
    } catch (const core::Error& e) {
        fuzz::refused(e);
        s.error = e.what();
    }
    return s;
}

// What the resumed trainer did: the reports of the epochs it ran (the stopped one too), the
// test metrics at the end, or the message of the Error that ended it.
struct Outcome {
    std::vector<core::EpochReport> reports;
    core::MetricReport test;
    std::string error;
};

void train(core::Trainer& t, const core::Checkpoint& ck, std::uint8_t mode,
           const fuzz::Scratch& scratch, Outcome& out) {
    const core::Split& split = fuzz::checkpointSplit();
    fuzz::check(t.epochsRun() == ck.epochsRun(), "a resumed trainer has the checkpoint's epochs");
    fuzz::check(t.totalEpochs() >= t.epochsRun(), "a resumed trainer plans the epochs it has run");
    if (!t.done()) {
        if (mode & 4) {
            std::stop_source stop;
            const core::EpochReport r =
                t.runEpoch(stop.get_token(), [&](const core::BatchProgress&) { stop.request_stop(); });
            out.reports.push_back(r);
            fuzz::check(r.stopped || r.diverged || t.epochsRun() == ck.epochsRun() + 1,
                        "an epoch is stopped, diverges or counts");
            if (r.stopped) fuzz::check(t.epochsRun() == ck.epochsRun(), "a stopped epoch is dropped");
        }
        if (!t.done()) out.reports.push_back(t.runEpoch());
    }
    if (!t.diverged()) {
        const auto again = scratch / "again.ckpt";
        t.saveCheckpoint(again);
        try {
            const core::Checkpoint back = core::loadCheckpointFile(again);
            fuzz::check(back.epochsRun() == t.epochsRun(), "a written checkpoint has the trainer's epochs");
        } catch (const core::Error& e) {
            fuzz::broken(std::string("a checkpoint the trainer wrote does not load back: ") + e.what());
        }
    }
    t.restoreBest();
    out.test = t.evaluate(split.test);
    (void)t.record();
    (void)t.historyCsv();
}

Outcome trainCatching(core::Trainer& t, const core::Checkpoint& ck, std::uint8_t mode,
                      const fuzz::Scratch& scratch) {
    Outcome out;
    try {
        train(t, ck, mode, scratch, out);
    } catch (const core::Error& e) {
        fuzz::refused(e);
        out.error = e.what();
    }
    return out;
}

// Bit 4: the trainer is deterministic (trainer.h: the same split, config and seed give
// identical losses), and the model the command line gives is a fresh one of the checkpoint's
// id and config, so both resumes do the same thing, bit for bit (timings apart).
void compareResumes(core::Trainer& own, core::Trainer& cli, const core::Checkpoint& ck,
                    std::uint8_t mode, const fuzz::Scratch& scratch) {
    const Outcome a = trainCatching(own, ck, mode, scratch);
    const Outcome b = trainCatching(cli, ck, mode, scratch);
    fuzz::check(a.error == b.error, "both resumes end with the same error, or none");
    fuzz::check(sameHistory(a.reports, b.reports, sameBits, false),
                "both resumes report the same epochs, bit for bit");
    fuzz::check(own.epochsRun() == cli.epochsRun() && own.totalEpochs() == cli.totalEpochs() &&
                    own.done() == cli.done() && own.diverged() == cli.diverged() &&
                    own.divergence() == cli.divergence() && own.stoppedEarly() == cli.stoppedEarly(),
                "both resumes end in the same place");
    fuzz::check(own.bestEpoch() == cli.bestEpoch() && sameBits(own.bestValue(), cli.bestValue()),
                "both resumes have the same best epoch");
    fuzz::check(sameHistory(own.history(), cli.history(), sameBits, false),
                "both resumes have the same history, bit for bit");
    fuzz::check(own.model().config() == cli.model().config(), "both resumes train the same config");
    fuzz::check(sameTensors(own.model().state(), cli.model().state()),
                "both resumes end with the same model state, bit for bit");
    if (a.error.empty())
        fuzz::check(sameMetrics(a.test, b.test, sameBits), "both resumes evaluate alike, bit for bit");
}

void resume(const core::Checkpoint& ck, std::uint8_t mode, const fuzz::Scratch& scratch) {
    if (mode & 64) saveAndReload(ck, scratch);
    core::ResumeOptions ro;
    ro.threads = 1;
    const int run = ck.epochsRun();
    if (mode & 32) ro.epochs = (mode & 2) ? run : run - 1;
    else if ((mode & 2) && run < 1000) ro.epochs = run + 1;
    Started own = start(ck, ro, false);
    // Epochs already run are never dropped (ResumeOptions: the new total is >= the epochs run).
    if (ro.epochs < 0 || (ro.epochs > 0 && ro.epochs < run))
        fuzz::check(!own.trainer, "a resume with fewer epochs than run is refused");
    if (mode & 16) {
        Started cli = start(ck, ro, true);
        fuzz::check(!own.trainer == !cli.trainer,
                    "the command line's resume takes a checkpoint exactly when the trainer's own does");
        fuzz::check(own.error == cli.error, "both resumes refuse with the same message");
        if (own.trainer) compareResumes(*own.trainer, *cli.trainer, ck, mode, scratch);
        return;
    }
    if (own.trainer) (void)trainCatching(*own.trainer, ck, mode, scratch);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const std::uint8_t mode = in.byte();
    const fuzz::Scratch scratch;
    const auto path = scratch / "run.ckpt";
    fuzz::writeFile(path, (mode & 8)   ? assemble(in)
                          : (mode & 1) ? std::string(in.rest())
                                       : fuzz::withCrc(in.rest()));
    core::Checkpoint ck;
    try {
        ck = core::loadCheckpointFile(path);
    } catch (const core::Error& e) {
        fuzz::refused(e);
        return 0;
    }
    checkLoaded(ck);
    resume(ck, mode, scratch);
    return 0;
}
