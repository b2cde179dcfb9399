// SPDX-License-Identifier: MIT
// Model files: a trained model with its hyperparameters, item id map (and titles), and the
// dataset/split fingerprint, in a versioned binary format:
//
//   "VAECFMDL" (8 bytes) | format version u32 | flags u32 | header length u64 |
//   header (JSON, UTF-8) | tensor count u64 | tensors | CRC-32 of all preceding bytes (u32)
//   tensor: name length u32 | name | rows i64 | cols i64 | rows*cols float32
//   (all little-endian)
//
// Writes go to a temporary file in the same folder that is renamed over the target, so a
// crash never leaves a half-written model. Corrupted, truncated and wrong-version files are
// refused with a message naming the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
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
// beside `path` and renames it over `path`.
void writeFileAtomically(const std::filesystem::path& path, const std::string& bytes);

}  // namespace vaecf::core
