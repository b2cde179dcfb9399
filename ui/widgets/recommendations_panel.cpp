// SPDX-License-Identifier: MIT
#include "widgets/recommendations_panel.h"

namespace vaecf::ui {

RecommendationsPanel::RecommendationsPanel(Project* project, QWidget* parent) : QWidget(parent) { (void)project; }

}  // namespace vaecf::ui
