// SPDX-License-Identifier: MIT
#include "widgets/training_panel.h"

namespace vaecf::ui {

TrainingPanel::TrainingPanel(Project* project, TrainingSession* session, QWidget* parent) : QWidget(parent) { (void)project; (void)session; }

}  // namespace vaecf::ui
