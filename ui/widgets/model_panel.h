// SPDX-License-Identifier: MIT
// Model picker and hyperparameter form. The form is built from the model's own parameter
// descriptions (core ParamSpec: name, label, paper symbol, range, default, one-line help), so
// every model of the core gets a form without code here. Invalid values are refused at the
// field with the reason; presets fill in the paper's defaults or a quick demo setting.
#pragma once

#include <map>
#include <string>

#include <QWidget>

#include "session/project.h"
#include "session/training_session.h"

class QCheckBox;
class QComboBox;
class QFormLayout;
class QLabel;
class QSpinBox;
class QVBoxLayout;

namespace vaecf::ui {

class ModelPanel : public QWidget {
    Q_OBJECT
public:
    explicit ModelPanel(Project* project, QWidget* parent = nullptr);
    ~ModelPanel() override;

    // The settings in the form; RunSetup::error names the first invalid field.
    RunSetup currentSetup() const;
    // Fills the form from a setup (re-run with changes) or a run.
    void loadSetup(const RunSetup& setup);
    void loadRun(const Run& run);

    QString currentModelId() const;
    void setModel(const QString& id);
    // Presets: "paper" (the paper's defaults) and "demo" (small and quick).
    void applyPreset(const QString& preset);
    // Sets a field from text as a user would type it (tests); returns the field's error.
    QString setFieldText(const QString& name, const QString& text);
    QString fieldError(const QString& name) const;
    QString memoryEstimateText() const;

    void saveSettings() const;
    void restoreSettings();

Q_SIGNALS:
    void setupChanged();

private:
    struct Field;
    void rebuildForm();
    void validateField(Field& f);
    nlohmann::json fieldValue(const Field& f, QString* error) const;
    void setFieldValue(Field& f, const nlohmann::json& value);
    // "The model needs about 1.2 GB of memory to train ..." for the model, its settings and the data.
    void updateMemoryEstimate();

    Project* m_project;
    QComboBox* m_modelCombo = nullptr;
    QComboBox* m_presetCombo = nullptr;
    QLabel* m_modelSummary = nullptr;
    QWidget* m_formHost = nullptr;
    QVBoxLayout* m_formLayout = nullptr;
    QSpinBox* m_epochs = nullptr;
    QSpinBox* m_seed = nullptr;
    QSpinBox* m_threads = nullptr;
    QSpinBox* m_patience = nullptr;
    QCheckBox* m_validate = nullptr;
    QLabel* m_status = nullptr;
    QLabel* m_memory = nullptr;
    std::vector<std::unique_ptr<Field>> m_fields;
};

}  // namespace vaecf::ui
