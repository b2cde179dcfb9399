// SPDX-License-Identifier: MIT
#pragma once

#include <QWidget>

#include "session/project.h"
#include "session/training_session.h"

namespace vaecf::ui {

class ModelPanel : public QWidget {
    Q_OBJECT
public:
    explicit ModelPanel(Project* project, QWidget* parent = nullptr);
    RunSetup currentSetup() const { return {}; }
};

}  // namespace vaecf::ui
