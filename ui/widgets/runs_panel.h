// SPDX-License-Identifier: MIT
// The Runs tab: a sortable, filterable table of every run of the project and, below it, the
// curves of the selected runs overlaid (one colour per run) for a chosen metric.
#pragma once

#include <functional>
#include <vector>

#include <QWidget>

#include "session/project.h"
#include "session/training_session.h"

class QComboBox;
class QLineEdit;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;

namespace vaecf::ui {

class CurvePlot;
class RunTableModel;

class RunsPanel : public QWidget {
    Q_OBJECT
public:
    // What the overlay chart shows per epoch.
    enum class Metric { ValidationNdcg100, ValidationRecall20, ValidationRecall50, TrainingLoss, TrainingKl };
    Q_ENUM(Metric)

    explicit RunsPanel(Project* project, TrainingSession* session, QWidget* parent = nullptr);
    ~RunsPanel() override;

    RunTableModel* model() const { return m_model; }
    QSortFilterProxyModel* proxy() const { return m_proxy; }
    QTableView* table() const { return m_table; }
    CurvePlot* overlayPlot() const { return m_plot; }

    // Selected runs, in table order.
    std::vector<int> selectedRunIds() const;
    void selectRuns(const std::vector<int>& ids);
    void setFilterText(const QString& text);
    Metric metric() const;
    void setMetric(Metric metric);
    // The overlay's series name for a run (its name, made unique with the id when needed).
    QString seriesName(int runId) const;

    // Actions on the selection (also behind the buttons).
    void inspectSelected();
    void renameSelected();        // starts editing the name in the table
    void deleteSelected();        // asks first (see setConfirmation)
    void rerunSelected();         // emits rerunRequested for the first selected run
    bool exportOverlayCsv(const QString& path, QString* error = nullptr);

    // Replaces the delete confirmation dialog (tests, scripting); it gets the question text.
    void setConfirmation(std::function<bool(const QString&)> confirm);

Q_SIGNALS:
    // "Re-run with changes…": the main window loads the run's settings into the Model panel.
    void rerunRequested(int runId);

private:
    void onSelectionChanged();
    void rebuildOverlay();
    void updateButtons();
    QList<QPointF> metricPoints(const Run& run) const;

    Project* m_project;
    TrainingSession* m_session;
    RunTableModel* m_model = nullptr;
    QSortFilterProxyModel* m_proxy = nullptr;
    QTableView* m_table = nullptr;
    QLineEdit* m_filter = nullptr;
    QComboBox* m_metricCombo = nullptr;
    QPushButton* m_inspect = nullptr;
    QPushButton* m_rename = nullptr;
    QPushButton* m_delete = nullptr;
    QPushButton* m_rerun = nullptr;
    QPushButton* m_exportCsv = nullptr;
    CurvePlot* m_plot = nullptr;
    std::function<bool(const QString&)> m_confirm;
    bool m_applyingSelection = false;
};

}  // namespace vaecf::ui
