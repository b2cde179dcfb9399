// SPDX-License-Identifier: MIT
#include "widgets/runs_panel.h"

namespace vaecf::ui {

RunsPanel::RunsPanel(Project* project, TrainingSession* session, QWidget* parent) : QWidget(parent) { (void)project; (void)session; }

}  // namespace vaecf::ui
