// SPDX-License-Identifier: MIT
// readProject() (ui/session/project_io.h) on project folders. Input: 1 control byte, then
// project.json, then model files models/run-1.vaecf, models/run-2.vaecf, ... separated by
// "\n%%\n".
//   byte 0: bit 0 keeps the model files' own CRC; otherwise the harness rewrites it so that
//           mutations reach the model parser.
#include <QString>

#include "fuzz_util.h"
#include "session/project_io.h"
#include "vaecf/error.h"

using namespace vaecf;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const std::uint8_t mode = in.byte();
    const fuzz::Scratch scratch;
    const auto dir = scratch / "project";
    const auto parts = in.parts(4);
    fuzz::writeFile(dir / "project.json", parts[0]);
    for (std::size_t k = 1; k < parts.size(); ++k)
        fuzz::writeFile(dir / "models" / ("run-" + std::to_string(k) + ".vaecf"),
                        (mode & 1) ? std::string(parts[k]) : fuzz::withCrc(parts[k]));
    try {
        const ui::ProjectFile p = ui::readProject(QString::fromStdString(dir.string()));
        for (const auto& r : p.runs) {
            fuzz::check(r != nullptr, "runs are not null");
            if (r->bestModel) fuzz::check(r->bestModel->initialized(), "run models are initialized");
        }
    } catch (const core::Error& e) {
        fuzz::refused(e);
    }
    return 0;
}
