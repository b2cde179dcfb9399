// SPDX-License-Identifier: MIT
#include "widgets/log_panel.h"

namespace vaecf::ui {

LogPanel::LogPanel(Project* project, QWidget* parent) : QWidget(parent) { (void)project; }

}  // namespace vaecf::ui
