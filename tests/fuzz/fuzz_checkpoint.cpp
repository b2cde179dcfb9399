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
// A checkpoint that loads must be consistent; resuming it either ends in Error or gives a
// trainer that runs an epoch, restores its best weights, evaluates, and writes a checkpoint
// that loads back.
#include <cstring>
#include <stop_token>
#include <string>
#include <string_view>

#include "checkpoint_split.h"
#include "fuzz_util.h"
#include "vaecf/checkpoint.h"
#include "vaecf/error.h"
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

void resume(const core::Checkpoint& ck, std::uint8_t mode, const fuzz::Scratch& scratch) {
    const core::Split& split = fuzz::checkpointSplit();
    core::ResumeOptions ro;
    ro.threads = 1;
    if ((mode & 2) && ck.epochsRun() < 1000) ro.epochs = ck.epochsRun() + 1;
    core::Trainer t(split, ck, ro);
    fuzz::check(t.epochsRun() == ck.epochsRun(), "a resumed trainer has the checkpoint's epochs");
    fuzz::check(t.totalEpochs() >= t.epochsRun(), "a resumed trainer plans the epochs it has run");
    if (!t.done()) {
        if (mode & 4) {
            std::stop_source stop;
            const core::EpochReport r =
                t.runEpoch(stop.get_token(), [&](const core::BatchProgress&) { stop.request_stop(); });
            fuzz::check(r.stopped || r.diverged || t.epochsRun() == ck.epochsRun() + 1,
                        "an epoch is stopped, diverges or counts");
            if (r.stopped) fuzz::check(t.epochsRun() == ck.epochsRun(), "a stopped epoch is dropped");
        }
        if (!t.done()) t.runEpoch();
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
    t.evaluate(split.test);
    (void)t.record();
    (void)t.historyCsv();
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
    try {
        resume(ck, mode, scratch);
    } catch (const core::Error& e) {
        fuzz::refused(e);
    }
    return 0;
}
