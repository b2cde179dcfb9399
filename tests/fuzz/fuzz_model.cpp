// SPDX-License-Identifier: MIT
// loadModelFile() on model files (magic, version, JSON header, tensors, CRC-32). Input: 1
// control byte then the file.
//   byte 0: bit 0 keeps the file's own CRC; otherwise the harness rewrites the last 4 bytes
//           with the right CRC, so that mutations get past the checksum to the parser.
// A model that loads must then score, encode and decode two fold-in users without trouble.
#include <vector>

#include "fuzz_util.h"
#include "vaecf/error.h"
#include "vaecf/model_file.h"

using namespace vaecf;

namespace {

// Uses a loaded model the way the studio does right after opening it.
void exercise(const core::LoadedModel& lm) {
    const core::Model& m = *lm.model;
    fuzz::check(m.initialized(), "a loaded model is initialized");
    const std::int64_t items = m.numItems();
    fuzz::check(lm.meta.itemIds.empty() || lm.meta.itemIds.size() == static_cast<std::size_t>(items),
                "the item id map has one id per item");
    fuzz::check(lm.meta.itemTitles.empty() ||
                    lm.meta.itemTitles.size() == static_cast<std::size_t>(items),
                "the item titles: none or one per item");
    if (items > (1 << 20)) return;  // the harness's own buffers would be too big
    core::CsrMatrix rows;
    rows.rows = 2;
    rows.cols = items;
    rows.indptr = {0, 1, items > 1 ? 3 : 2};
    rows.indices = {0, 0};
    if (items > 1) rows.indices.push_back(static_cast<std::int32_t>(items - 1));
    rows.values.assign(rows.indices.size(), 1.0f);
    std::vector<float> scores(static_cast<std::size_t>(2 * items));
    m.score(rows, 0, 2, scores.data());
    if (const int k = m.latentDim(); k > 0 && k <= (1 << 16)) {
        std::vector<float> mu(static_cast<std::size_t>(2 * k)), logVar(mu.size());
        m.encode(rows, 0, 2, mu.data(), logVar.data());
        if (m.hasDecoder()) m.decode(mu.data(), 2, scores.data());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const std::uint8_t mode = in.byte();
    const fuzz::Scratch scratch;
    const auto path = scratch / "model.vaecf";
    fuzz::writeFile(path, (mode & 1) ? std::string(in.rest()) : fuzz::withCrc(in.rest()));
    try {
        exercise(core::loadModelFile(path));
    } catch (const core::Error& e) {
        fuzz::refused(e);
    }
    return 0;
}
