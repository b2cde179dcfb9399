// SPDX-License-Identifier: MIT
#include "widgets/model_panel.h"

namespace vaecf::ui {

ModelPanel::ModelPanel(Project* project, QWidget* parent) : QWidget(parent) { (void)project; }

}  // namespace vaecf::ui
