// SPDX-License-Identifier: MIT
#include "widgets/data_panel.h"

namespace vaecf::ui {

DataPanel::DataPanel(Project* project, QWidget* parent) : QWidget(parent) { (void)project; }

}  // namespace vaecf::ui
