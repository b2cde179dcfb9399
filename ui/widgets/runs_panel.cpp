// SPDX-License-Identifier: MIT
#include "widgets/runs_panel.h"

#include <algorithm>

#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include "charts/curve_plot.h"
#include "models/run_table_model.h"

namespace vaecf::ui {

namespace {

double validationValue(const EpochPoint& e, const char* name) {
    const auto it = e.report.validation.mean.find(name);
    return it == e.report.validation.mean.end() ? std::nan("") : it->second;
}

}  // namespace

RunsPanel::RunsPanel(Project* project, TrainingSession* session, QWidget* parent)
    : QWidget(parent), m_project(project), m_session(session) {
    setObjectName(QStringLiteral("runsPanel"));
    m_model = new RunTableModel(m_project, this);
    m_model->setObjectName(QStringLiteral("runTableModel"));
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setObjectName(QStringLiteral("runProxyModel"));
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(RunTableModel::SortRole);
    m_proxy->setFilterKeyColumn(-1);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_proxy->setSortCaseSensitivity(Qt::CaseInsensitive);

    m_filter = new QLineEdit(this);
    m_filter->setObjectName(QStringLiteral("runFilter"));
    m_filter->setPlaceholderText(tr("Filter runs (any column)…"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, this, [this](const QString& t) {
        m_proxy->setFilterFixedString(t);
    });

    auto button = [this](const QString& name, const QString& text, const QString& tip) {
        auto* b = new QPushButton(text, this);
        b->setObjectName(name);
        b->setToolTip(tip);
        return b;
    };
    m_inspect = button(QStringLiteral("inspectButton"), tr("Inspect"),
                       tr("Make the run current: Recommendations and Latent map show it (double-click)"));
    m_rename = button(QStringLiteral("renameButton"), tr("Rename"), tr("Rename the run (F2)"));
    m_delete = button(QStringLiteral("deleteButton"), tr("Delete"), tr("Delete the selected runs"));
    m_rerun = button(QStringLiteral("rerunButton"), tr("Re-run with changes…"),
                     tr("Load the run's settings into the Model panel"));
    m_exportCsv = button(QStringLiteral("exportCsvButton"), tr("Export CSV"),
                         tr("Save the overlaid curves of the selected runs in one CSV file"));
    connect(m_inspect, &QPushButton::clicked, this, &RunsPanel::inspectSelected);
    connect(m_rename, &QPushButton::clicked, this, &RunsPanel::renameSelected);
    connect(m_delete, &QPushButton::clicked, this, &RunsPanel::deleteSelected);
    connect(m_rerun, &QPushButton::clicked, this, &RunsPanel::rerunSelected);
    connect(m_exportCsv, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export run curves"),
                                                          QStringLiteral("runs.csv"), tr("CSV files (*.csv)"));
        if (path.isEmpty()) return;
        QString error;
        if (!exportOverlayCsv(path, &error)) QMessageBox::warning(this, tr("Export failed"), error);
    });

    auto* top = new QHBoxLayout;
    top->addWidget(m_filter, 1);
    for (QPushButton* b : {m_inspect, m_rename, m_delete, m_rerun, m_exportCsv}) top->addWidget(b);

    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("runTable"));
    m_table->setModel(m_proxy);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setEditTriggers(QAbstractItemView::EditKeyPressed);
    m_table->setAlternatingRowColors(true);
    m_table->verticalHeader()->setVisible(false);
    m_table->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
    m_table->setSortingEnabled(true);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(RunTableModel::ParamsColumn, QHeaderView::Stretch);
    connect(m_table, &QTableView::doubleClicked, this, [this](const QModelIndex& index) {
        const int id = m_proxy->data(index, RunTableModel::RunIdRole).toInt();
        m_project->setCurrentRun(id);
    });
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &RunsPanel::onSelectionChanged);

    m_metricCombo = new QComboBox(this);
    m_metricCombo->setObjectName(QStringLiteral("metricCombo"));
    m_metricCombo->addItem(tr("Validation NDCG@100"), static_cast<int>(Metric::ValidationNdcg100));
    m_metricCombo->addItem(tr("Validation Recall@20"), static_cast<int>(Metric::ValidationRecall20));
    m_metricCombo->addItem(tr("Validation Recall@50"), static_cast<int>(Metric::ValidationRecall50));
    m_metricCombo->addItem(tr("Training loss per epoch"), static_cast<int>(Metric::TrainingLoss));
    m_metricCombo->addItem(tr("KL per epoch"), static_cast<int>(Metric::TrainingKl));
    connect(m_metricCombo, &QComboBox::currentIndexChanged, this, [this] { rebuildOverlay(); });

    m_plot = new CurvePlot(this);
    m_plot->setObjectName(QStringLiteral("overlayPlot"));
    m_plot->setExportBaseName(QStringLiteral("runs"));

    auto* chartBox = new QWidget(this);
    auto* chartLayout = new QVBoxLayout(chartBox);
    chartLayout->setContentsMargins(0, 0, 0, 0);
    auto* metricRow = new QHBoxLayout;
    metricRow->addWidget(new QLabel(tr("Overlay of the selected runs:"), chartBox));
    metricRow->addWidget(m_metricCombo);
    metricRow->addStretch(1);
    chartLayout->addLayout(metricRow);
    chartLayout->addWidget(m_plot, 1);

    auto* split = new QSplitter(Qt::Vertical, this);
    split->setObjectName(QStringLiteral("runsSplitter"));
    split->addWidget(m_table);
    split->addWidget(chartBox);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(split, 1);

    connect(m_project, &Project::overlaidRunsChanged, this, [this] {
        if (!m_applyingSelection) selectRuns(m_project->overlaidRuns());
        rebuildOverlay();
        updateButtons();
    });
    auto refresh = [this](int id) {
        const auto& ids = m_project->overlaidRuns();
        if (std::find(ids.begin(), ids.end(), id) != ids.end()) rebuildOverlay();
    };
    connect(m_project, &Project::runChanged, this, refresh);
    connect(m_session, &TrainingSession::epochFinished, this, [refresh](int id, int) { refresh(id); });
    connect(m_project, &Project::runRemoved, this, [this] { updateButtons(); });
    connect(m_project, &Project::runAdded, this, [this] { updateButtons(); });

    selectRuns(m_project->overlaidRuns());
    rebuildOverlay();
    updateButtons();
}

RunsPanel::~RunsPanel() = default;

std::vector<int> RunsPanel::selectedRunIds() const {
    QModelIndexList rows = m_table->selectionModel()->selectedRows(RunTableModel::NameColumn);
    std::sort(rows.begin(), rows.end(), [](const QModelIndex& a, const QModelIndex& b) { return a.row() < b.row(); });
    std::vector<int> ids;
    for (const QModelIndex& i : rows) ids.push_back(m_proxy->data(i, RunTableModel::RunIdRole).toInt());
    return ids;
}

void RunsPanel::selectRuns(const std::vector<int>& ids) {
    if (ids == selectedRunIds()) return;
    QItemSelection sel;
    for (int id : ids) {
        const int row = m_model->rowOf(id);
        if (row < 0) continue;
        const QModelIndex p = m_proxy->mapFromSource(m_model->index(row, 0));
        if (p.isValid()) sel.select(p, p.siblingAtColumn(RunTableModel::ColumnCount - 1));
    }
    // onSelectionChanged hands the (visible) selection on to the project.
    m_table->selectionModel()->select(sel, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

void RunsPanel::setFilterText(const QString& text) { m_filter->setText(text); }

RunsPanel::Metric RunsPanel::metric() const { return static_cast<Metric>(m_metricCombo->currentData().toInt()); }

void RunsPanel::setMetric(Metric metric) {
    m_metricCombo->setCurrentIndex(m_metricCombo->findData(static_cast<int>(metric)));
}

QString RunsPanel::seriesName(int runId) const {
    const Run* r = m_project->run(runId);
    if (!r) return {};
    for (int other : m_project->overlaidRuns())
        if (const Run* o = m_project->run(other); o && o->id != runId && o->name == r->name)
            return QStringLiteral("%1 (#%2)").arg(r->name).arg(r->id);
    return r->name;
}

void RunsPanel::onSelectionChanged() {
    updateButtons();
    if (m_applyingSelection) return;
    m_applyingSelection = true;
    m_project->setOverlaidRuns(selectedRunIds());
    m_applyingSelection = false;
}

QList<QPointF> RunsPanel::metricPoints(const Run& run) const {
    QList<QPointF> pts;
    const Metric m = metric();
    for (const EpochPoint& e : run.epochs) {
        double y = std::nan("");
        switch (m) {
        case Metric::ValidationNdcg100: y = e.report.validated ? validationValue(e, "ndcg@100") : y; break;
        case Metric::ValidationRecall20: y = e.report.validated ? validationValue(e, "recall@20") : y; break;
        case Metric::ValidationRecall50: y = e.report.validated ? validationValue(e, "recall@50") : y; break;
        case Metric::TrainingLoss: y = e.report.train.loss; break;
        case Metric::TrainingKl: y = e.report.train.kl; break;
        }
        if (std::isfinite(y)) pts.append(QPointF(e.report.epoch, y));
    }
    return pts;
}

void RunsPanel::rebuildOverlay() {
    const QString label = m_metricCombo->currentText();
    m_plot->setTitle(label);
    m_plot->setAxisTitles(tr("epoch"), label);
    QStringList names;
    std::vector<const Run*> runs;
    for (int id : m_project->overlaidRuns())
        if (const Run* r = m_project->run(id)) {
            names << seriesName(id);
            runs.push_back(r);
        }
    if (names != m_plot->seriesNames()) {
        m_plot->clearSeries();
        for (std::size_t i = 0; i < runs.size(); ++i)
            m_plot->addSeries(names[static_cast<qsizetype>(i)], runs[i]->colour, CurvePlot::Style::LineWithPoints);
    }
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const QString& n = names[static_cast<qsizetype>(i)];
        m_plot->setSeriesColour(n, runs[i]->colour);
        m_plot->setPoints(n, metricPoints(*runs[i]));
    }
    m_exportCsv->setEnabled(!runs.empty());
}

void RunsPanel::updateButtons() {
    const std::size_t n = selectedRunIds().size();
    m_inspect->setEnabled(n == 1);
    m_rename->setEnabled(n == 1);
    m_rerun->setEnabled(n == 1);
    m_delete->setEnabled(n >= 1);
    m_exportCsv->setEnabled(!m_project->overlaidRuns().empty());
}

void RunsPanel::inspectSelected() {
    const auto ids = selectedRunIds();
    if (!ids.empty()) m_project->setCurrentRun(ids.front());
}

void RunsPanel::renameSelected() {
    const auto ids = selectedRunIds();
    if (ids.empty()) return;
    const int row = m_model->rowOf(ids.front());
    const QModelIndex p = m_proxy->mapFromSource(m_model->index(row, RunTableModel::NameColumn));
    if (!p.isValid()) return;
    m_table->setCurrentIndex(p);
    m_table->edit(p);
}

void RunsPanel::deleteSelected() {
    const auto ids = selectedRunIds();
    if (ids.empty()) return;
    QStringList names;
    for (int id : ids)
        if (const Run* r = m_project->run(id)) names << r->name;
    const QString question =
        tr("Delete %n run(s)? Their curves, metrics and weights are discarded.\n\n%1", "", static_cast<int>(ids.size()))
            .arg(names.join(QLatin1Char('\n')));
    bool ok = false;
    if (m_confirm)
        ok = m_confirm(question);
    else
        ok = QMessageBox::question(this, tr("Delete runs"), question, QMessageBox::Yes | QMessageBox::No,
                                   QMessageBox::No) == QMessageBox::Yes;
    if (!ok) return;
    for (int id : ids) m_project->removeRun(id);
}

void RunsPanel::rerunSelected() {
    const auto ids = selectedRunIds();
    if (!ids.empty()) Q_EMIT rerunRequested(ids.front());
}

bool RunsPanel::exportOverlayCsv(const QString& path, QString* error) { return m_plot->exportCsv(path, error); }

void RunsPanel::setConfirmation(std::function<bool(const QString&)> confirm) { m_confirm = std::move(confirm); }

}  // namespace vaecf::ui
