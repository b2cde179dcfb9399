// SPDX-License-Identifier: MIT
// Model files: a trained model with its hyperparameters, item id map (and titles), and the
// dataset/split fingerprint, in a versioned binary format:
//
//   "VAECFMDL" (8 bytes) | format version u32 | flags u32 | header length u64 |
//   header (JSON, UTF-8) | tensor count u64 | tensors | CRC-32 of all preceding bytes (u32)
//   tensor: name length u32 | name | rows i64 | cols i64 | rows*cols float32
//   (all little-endian)
//
// Training checkpoints (checkpoint.h) use the same container with "kind": "checkpoint" in the
// header; loadModelFile refuses them (and loadCheckpointFile refuses model files).
//
// Writes go to a temporary file in the same folder that is renamed over the target, so a
// crash never leaves a half-written model. Corrupted, truncated and wrong-version files are
// refused with a message naming the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "vaecf/model.h"

namespace vaecf::core {

inline constexpr std::uint32_t kModelFormatVersion = 1;

struct ModelMeta {
    std::vector<std::string> itemIds;     // original id of each item column
    std::vector<std::string> itemTitles;  // empty, or one per item
    std::string datasetName;
    std::string splitFingerprint;         // Split::fingerprintHex() of the training split
    nlohmann::json training = nlohmann::json::object();  // seed, epochs, best epoch, metrics
};

struct LoadedModel {
    std::unique_ptr<Model> model;
    ModelMeta meta;
};

void saveModelFile(const std::filesystem::path& path, const Model& model, const ModelMeta& meta);
LoadedModel loadModelFile(const std::filesystem::path& path);

// Atomic file write helper used for every file the core writes: writes to a temporary file
// beside `path` (".<name>.tmp-<pid>-<random>"), flushes it to disk (fsync), renames it over
// `path` and syncs the folder, so that a reader (or a crash, a kill -9, a power cut) sees
// either the previous complete file or the new complete one. Temporary files of `path` left
// by writers that no longer run (killed mid-write) are removed first; those of a live process
// are left alone.
void writeFileAtomically(const std::filesystem::path& path, const std::string& bytes);

// The container under model files and checkpoints (checkpoint.h): the layout above, with any
// JSON header and named tensors, written atomically. Tensors are given by reference (name,
// tensor) so that large states are not copied; names must be unique.
using TensorRefs = std::vector<std::pair<std::string, const Tensor*>>;
TensorRefs tensorRefs(const TensorMap& tensors, const std::string& prefix = {});
void writeContainerFile(const std::filesystem::path& path, const nlohmann::json& header,
                        const TensorRefs& tensors);

struct ContainerFile {
    nlohmann::json header;
    TensorMap tensors;
};
// Reads and checks (magic, version, CRC-32, structure) a container. `kind` names the file in
// messages: "model file" ("...: the model file is corrupted or truncated (checksum mismatch)",
// "model format version 7 is not supported") or "checkpoint" ("checkpoint format version").
// Every message starts with the path.
ContainerFile readContainerFile(const std::filesystem::path& path,
                                const std::string& kind = "model file");

}  // namespace vaecf::core
