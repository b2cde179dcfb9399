// SPDX-License-Identifier: MIT
// Training checkpoints: everything a Trainer needs to continue a run as if it had never
// stopped, in the model-file container (model_file.h) with "kind": "checkpoint" in the header:
//
//   - the model: id, config, and its complete state() (parameters, optimizer moments, step
//     counters, and whatever else the model keeps between epochs), under "state/<name>";
//   - the trainer: epochs run, the full history (losses, metrics, timings), best epoch and
//     value, the best parameters (under "best/<name>", or a reference to the state's tensors
//     when the best epoch is the last one), the patience counter, the early-stop flag, and
//     the options (seed, epochs, threads, patience, validation, selection metric, cut-offs);
//   - the data: dataset name, item and user counts, and the split fingerprint.
//
// Checkpoints are taken at epoch boundaries. Every random draw of an epoch (shuffling,
// dropout, sampling noise) and the β schedule are functions of (seed, epoch, step counters
// kept in the state), so the shuffle position, random state and β position need no storage
// of their own: a model initialized with the same seed and given the state continues
// bitwise exactly. A run stopped in the middle of an epoch resumes from the start of that
// epoch (the Trainer drops a partial epoch and returns to the last boundary).
//
// Doubles of the history are stored exactly (JSON numbers round-trip; NaN and ±inf as the
// strings "nan", "inf", "-inf"). Writes are atomic (writeFileAtomically).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "vaecf/model.h"
#include "vaecf/trainer.h"

namespace vaecf::core {

struct Checkpoint {
    std::string modelId;
    Config config = Config::object();
    std::int64_t items = 0;
    std::int64_t users = 0;            // training users (rows of the training matrix)
    std::string datasetName;
    std::string splitFingerprint;      // Split::fingerprintHex()
    TrainOptions options;              // as the run was started (selectBy filled in)
    int totalEpochs = 0;               // epochs planned
    std::vector<EpochReport> history;  // one per complete epoch
    int bestEpoch = 0;                 // 0: no validation yet
    double bestValue = 0;              // meaningful when bestEpoch > 0
    int sinceBest = 0;                 // epochs without a better validation value (patience)
    bool stoppedEarly = false;
    std::vector<int> resumedAfter;     // epochs after which the run was resumed, in order
    TensorMap modelState;              // Model::state() after history.size() epochs
    TensorMap bestParameters;          // Model::parameters() of the best epoch (empty: none)
    std::string source;                // the file it was read from (messages), or empty

    int epochsRun() const { return static_cast<int>(history.size()); }
};

// Writes atomically; errors name the file.
void saveCheckpointFile(const std::filesystem::path& path, const Checkpoint& checkpoint);
// The same with the tensors given apart (the checkpoint's own modelState and bestParameters
// are ignored), so that a trainer's large state is written without a copy.
void saveCheckpointFile(const std::filesystem::path& path, const Checkpoint& checkpoint,
                        const TensorMap& modelState, const TensorMap& bestParameters);
// Reads and checks a checkpoint (CRC, structure, every field); errors name the file and the
// field, e.g. "run.ckpt: the checkpoint is corrupted or truncated (checksum mismatch)",
// "run.ckpt: this is a model file, not a training checkpoint" or "run.ckpt: checkpoint field
// 'options.epochs' must be a whole number from -2147483648 to 2147483647, got 1e+300".
// Besides the types: integers are whole numbers that fit (never a float cast unchecked); the
// model is a known iterative one and its config valid; items and users are counts of a split;
// the history runs 1, 2, 3 ... with at most one optimizer update per batch and validation
// metrics as the options name them; best epoch, patience counter and resume points lie within
// the epochs run; the tensors are finite, the state's step counters whole and consistent with
// the history, and the state large enough for the model that the counts and config describe
// (so that resuming cannot allocate far more than the file holds). Whether the tensors fit the
// model name for name and shape for shape is checked when a Trainer resumes it (trainer.h).
Checkpoint loadCheckpointFile(const std::filesystem::path& path);

}  // namespace vaecf::core
