// SPDX-License-Identifier: MIT
// Projects on disk: a folder with project.json (the data source, split fingerprint and every
// run's settings, history and results) and one model file per run (its best-epoch weights,
// in the core's checksummed model format). Every file is written to a temporary and renamed,
// so a crash never leaves a half-written project.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <QString>

#include "session/project.h"

namespace vaecf::ui {

inline constexpr int kProjectFormatVersion = 1;

// Writes `project` into `folder` (created when missing). Throws core::Error naming the file.
void saveProject(const Project& project, const QString& folder);

struct ProjectFile {
    DataSource source;
    std::string fingerprint;               // of the split the runs were trained on
    std::vector<std::shared_ptr<Run>> runs;  // ids as saved; models loaded
    std::vector<int> overlaid;
    int currentRun = -1;
};

// Reads project.json and the run models of `folder` (slow for large models: call it off the
// GUI thread). Throws core::Error naming the file and the field that is wrong.
ProjectFile readProject(const QString& folder);

// Puts a read project into `project`: replaces the data and the runs. Runs keep their names,
// colours and histories; a changed split fingerprint is reported in the log.
void applyProject(Project& project, std::shared_ptr<const DataState> data, ProjectFile file);

// JSON of one run and back (used by the project file; exposed for tests).
nlohmann::json runToJson(const Run& run);
std::shared_ptr<Run> runFromJson(const nlohmann::json& j);

}  // namespace vaecf::ui
