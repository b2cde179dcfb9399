// SPDX-License-Identifier: MIT
// loadModelFile() on model files (magic, version, JSON header, tensors, CRC-32). Input: 1
// control byte then the file.
//   byte 0: bit 0 keeps the file's own CRC; otherwise the harness rewrites the last 4 bytes
//           with the right CRC, so that mutations get past the checksum to the parser;
//           bit 1 saves the loaded model (saveModelFile) and loads that file again: the same
//           meta, model, config and counts, and bitwise the same scores;
//           bit 2 copies the loaded model (cloneModel): bitwise the same scores;
//           bit 3 asks for itemEmbeddings() (none, or one row per item) and
//           pseudoInputLatents() (none, or latentDim() columns);
//           bit 4 encodes again without log-variances: bitwise the same means.
// A model that loads must then score, encode and decode two fold-in users without trouble.
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "vaecf/error.h"
#include "vaecf/model_file.h"

using namespace vaecf;

namespace {

enum : std::uint8_t {
    kOwnCrc = 1,
    kSaveAndReload = 2,
    kCopy = 4,
    kEmbeddings = 8,
    kMeansAlone = 16,
};

// Two fold-in users: the first item alone, then the first and the last item.
core::CsrMatrix twoUsers(std::int64_t items) {
    core::CsrMatrix rows;
    rows.rows = 2;
    rows.cols = items;
    rows.indptr = {0, 1, items > 1 ? 3 : 2};
    rows.indices = {0, 0};
    if (items > 1) rows.indices.push_back(static_cast<std::int32_t>(items - 1));
    rows.values.assign(rows.indices.size(), 1.0f);
    return rows;
}

std::vector<float> scoresOf(const core::Model& m, const core::CsrMatrix& rows) {
    std::vector<float> scores(static_cast<std::size_t>(rows.rows * m.numItems()));
    m.score(rows, 0, rows.rows, scores.data());
    return scores;
}

// Bitwise, so that NaN scores compare too: the same weights through the same code give the
// same bits (the GEMM kernels sum in a fixed order whatever the threads).
bool sameBits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() &&
           (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

bool holdsItsShape(const core::Tensor& t) {
    return t.rows >= 0 && t.cols >= 0 &&
           t.data.size() == static_cast<std::size_t>(t.rows) * static_cast<std::size_t>(t.cols);
}

// A model file written from a loaded model loads again into the same model: what the studio
// does when it saves a project holding a model it opened.
void checkSaveAndReload(const core::LoadedModel& lm, const fuzz::fs::path& dir,
                        const core::CsrMatrix& rows, const std::vector<float>& scores) {
    const core::Model& m = *lm.model;
    const auto path = dir / "saved.vaecf";
    core::LoadedModel back;
    try {
        core::saveModelFile(path, m, lm.meta);
        back = core::loadModelFile(path);
    } catch (const core::Error& e) {
        fuzz::broken(std::string("a loaded model saves and loads again, got: ") + e.what());
    }
    const core::Model& b = *back.model;
    fuzz::check(b.info().id == m.info().id && b.config() == m.config(),
                "a saved model loads again as the same model with the same config");
    fuzz::check(b.numItems() == m.numItems() && b.numUsers() == m.numUsers(),
                "a saved model loads again with the same item and user counts");
    fuzz::check(back.meta.itemIds == lm.meta.itemIds && back.meta.itemTitles == lm.meta.itemTitles &&
                    back.meta.datasetName == lm.meta.datasetName &&
                    back.meta.splitFingerprint == lm.meta.splitFingerprint &&
                    back.meta.training == lm.meta.training,
                "a saved model loads again with the same meta");
    fuzz::check(sameBits(scoresOf(b, rows), scores),
                "a saved model loads again scoring bitwise the same");
}

// Uses a loaded model the way the studio does right after opening it.
void exercise(const core::LoadedModel& lm, std::uint8_t mode, const fuzz::fs::path& dir) {
    const core::Model& m = *lm.model;
    fuzz::check(m.initialized(), "a loaded model is initialized");
    const std::int64_t items = m.numItems();
    fuzz::check(lm.meta.itemIds.empty() || lm.meta.itemIds.size() == static_cast<std::size_t>(items),
                "the item id map has one id per item");
    fuzz::check(lm.meta.itemTitles.empty() ||
                    lm.meta.itemTitles.size() == static_cast<std::size_t>(items),
                "the item titles: none or one per item");
    if (items > (1 << 20)) return;  // the harness's own buffers would be too big
    const core::CsrMatrix rows = twoUsers(items);
    const std::vector<float> scores = scoresOf(m, rows);
    if (const int k = m.latentDim(); k > 0 && k <= (1 << 16)) {
        std::vector<float> mu(static_cast<std::size_t>(2 * k)), logVar(mu.size());
        m.encode(rows, 0, 2, mu.data(), logVar.data());
        if (mode & kMeansAlone) {  // model.h: "logVar may be null"
            std::vector<float> alone(mu.size());
            m.encode(rows, 0, 2, alone.data(), nullptr);
            fuzz::check(sameBits(alone, mu), "encode() gives the same means without log-variances");
        }
        if (m.hasDecoder()) {
            std::vector<float> decoded(scores.size());
            m.decode(mu.data(), 2, decoded.data());
        }
    }
    if (mode & kEmbeddings) {
        // model.h promises shapes only: the values are whatever the file's weights give.
        const core::Tensor e = m.itemEmbeddings();
        fuzz::check(holdsItsShape(e), "the item embeddings hold rows x cols values");
        fuzz::check(e.rows == 0 || e.rows == items, "item embeddings: none or one row per item");
        const core::Tensor p = m.pseudoInputLatents();
        fuzz::check(holdsItsShape(p), "the pseudo-input latents hold rows x cols values");
        fuzz::check(p.rows == 0 || p.cols == m.latentDim(),
                    "pseudo-input latents: none or latentDim() columns");
    }
    if (mode & kSaveAndReload) checkSaveAndReload(lm, dir, rows, scores);
    if (mode & kCopy) {
        std::unique_ptr<core::Model> copy;
        try {
            copy = core::cloneModel(m);
        } catch (const core::Error& e) {
            fuzz::broken(std::string("a loaded model can be copied, got: ") + e.what());
        }
        fuzz::check(copy->info().id == m.info().id && copy->config() == m.config() &&
                        copy->numItems() == items && copy->numUsers() == m.numUsers(),
                    "a copy (cloneModel) is the same model with the same config and counts");
        fuzz::check(sameBits(scoresOf(*copy, rows), scores),
                    "a copy (cloneModel) scores bitwise the same");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const std::uint8_t mode = in.byte();
    const fuzz::Scratch scratch;
    const auto path = scratch / "model.vaecf";
    fuzz::writeFile(path, (mode & kOwnCrc) ? std::string(in.rest()) : fuzz::withCrc(in.rest()));
    try {
        exercise(core::loadModelFile(path), mode, scratch.path());
    } catch (const core::Error& e) {
        fuzz::refused(e);
    }
    return 0;
}
