// SPDX-License-Identifier: MIT
#pragma once

#include <QWidget>

#include "session/project.h"
#include "session/training_session.h"

namespace vaecf::ui {

class LogPanel : public QWidget {
    Q_OBJECT
public:
    explicit LogPanel(Project* project, QWidget* parent = nullptr);
    RunSetup currentSetup() const { return {}; }
};

}  // namespace vaecf::ui
