// SPDX-License-Identifier: MIT
#include "widgets/latent_panel.h"

namespace vaecf::ui {

LatentPanel::LatentPanel(Project* project, QWidget* parent) : QWidget(parent) { (void)project; }

}  // namespace vaecf::ui
