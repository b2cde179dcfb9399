// SPDX-License-Identifier: MIT
// STUB: replaced by the real panel.
#pragma once

#include <QWidget>

#include "session/project.h"
#include "session/training_session.h"

namespace vaecf::ui {

class RecommendationsPanel : public QWidget {
    Q_OBJECT
public:
    explicit RecommendationsPanel(Project* project, QWidget* parent = nullptr);
};

}  // namespace vaecf::ui
