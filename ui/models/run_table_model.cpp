// SPDX-License-Identifier: MIT
#include "models/run_table_model.h"

#include <cmath>
#include <limits>

#include <QLocale>

namespace vaecf::ui {

namespace {

QString metricText(double v) { return std::isnan(v) ? QStringLiteral("—") : QString::number(v, 'f', 4); }

// Missing values sort below every number (and stay comparable, unlike NaN).
QVariant metricSort(double v) {
    return std::isnan(v) ? QVariant(-std::numeric_limits<double>::infinity()) : QVariant(v);
}

double testNdcg(const Run& r) {
    if (!r.test) return std::numeric_limits<double>::quiet_NaN();
    const auto it = r.test->mean.find("ndcg@100");
    return it == r.test->mean.end() ? std::numeric_limits<double>::quiet_NaN() : it->second;
}

}  // namespace

RunTableModel::RunTableModel(Project* project, QObject* parent) : QAbstractTableModel(parent), m_project(project) {
    for (const auto& r : m_project->runs()) m_ids.push_back(r->id);
    connect(m_project, &Project::runAdded, this, &RunTableModel::onAdded);
    connect(m_project, &Project::runRemoved, this, &RunTableModel::onRemoved);
    connect(m_project, &Project::runChanged, this, &RunTableModel::onChanged);
}

int RunTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_ids.size());
}

int RunTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

int RunTableModel::runId(int row) const {
    return row >= 0 && row < static_cast<int>(m_ids.size()) ? m_ids[static_cast<std::size_t>(row)] : -1;
}

int RunTableModel::rowOf(int id) const {
    for (std::size_t i = 0; i < m_ids.size(); ++i)
        if (m_ids[i] == id) return static_cast<int>(i);
    return -1;
}

QVariant RunTableModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
    const Run* r = m_project->run(runId(index.row()));
    if (!r) return {};
    const int col = index.column();
    if (role == RunIdRole) return r->id;
    if (role == Qt::DecorationRole && col == NameColumn) return r->colour;
    if (role == Qt::ToolTipRole) {
        if (col == NameColumn)
            return tr("%1 (run %2), created %3")
                .arg(r->name)
                .arg(r->id)
                .arg(QLocale().toString(r->created, QLocale::ShortFormat));
        if (col == StateColumn && (r->state == RunState::Failed || r->state == RunState::Diverged))
            return r->error;
        if (col == ParamsColumn) return r->configSummary();
        return {};
    }
    if (role == Qt::TextAlignmentRole) {
        switch (col) {
        case NameColumn:
        case ModelColumn:
        case ParamsColumn:
        case StateColumn: return QVariant::fromValue(Qt::Alignment(Qt::AlignLeft | Qt::AlignVCenter));
        default: return QVariant::fromValue(Qt::Alignment(Qt::AlignRight | Qt::AlignVCenter));
        }
    }
    const bool display = role == Qt::DisplayRole;
    const bool sort = role == SortRole;
    const bool edit = role == Qt::EditRole;
    if (!display && !sort && !edit) return {};
    switch (col) {
    case NameColumn: return r->name;
    case ModelColumn: return r->modelName();
    case ParamsColumn: return r->configSummary();
    case BestEpochColumn:
        if (sort) return r->bestEpoch;
        return r->bestEpoch > 0 ? QString::number(r->bestEpoch) : QStringLiteral("—");
    case BestNdcgColumn: {
        const double v = r->bestMetric("ndcg@100");
        return sort ? metricSort(v) : QVariant(metricText(v));
    }
    case BestRecall20Column: {
        const double v = r->bestMetric("recall@20");
        return sort ? metricSort(v) : QVariant(metricText(v));
    }
    case BestRecall50Column: {
        const double v = r->bestMetric("recall@50");
        return sort ? metricSort(v) : QVariant(metricText(v));
    }
    case FinalNdcgColumn: {
        const double v = r->finalMetric("ndcg@100");
        return sort ? metricSort(v) : QVariant(metricText(v));
    }
    case TestNdcgColumn: {
        const double v = testNdcg(*r);
        return sort ? metricSort(v) : QVariant(metricText(v));
    }
    case SecondsColumn: {
        const double s = r->secondsPerEpoch();
        if (sort) return s;
        return s > 0 ? QString::number(s, 'f', s < 10 ? 2 : 1) : QStringLiteral("—");
    }
    case EpochsColumn:
        if (sort) return static_cast<int>(r->epochs.size());
        return QStringLiteral("%1 / %2").arg(r->epochs.size()).arg(r->totalEpochs);
    case StateColumn: return runStateName(r->state);
    case SeedColumn:
        if (sort) return static_cast<qulonglong>(r->options.seed);
        return QString::number(r->options.seed);
    default: return {};
    }
}

QVariant RunTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount) return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case NameColumn: return tr("Run");
        case ModelColumn: return tr("Model");
        case ParamsColumn: return tr("Hyperparameters");
        case BestEpochColumn: return tr("Best epoch");
        case BestNdcgColumn: return tr("NDCG@100");
        case BestRecall20Column: return tr("R@20");
        case BestRecall50Column: return tr("R@50");
        case FinalNdcgColumn: return tr("Final NDCG@100");
        case TestNdcgColumn: return tr("Test NDCG@100");
        case SecondsColumn: return tr("s/epoch");
        case EpochsColumn: return tr("Epochs");
        case StateColumn: return tr("State");
        case SeedColumn: return tr("Seed");
        default: return {};
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case BestNdcgColumn:
        case BestRecall20Column:
        case BestRecall50Column: return tr("Validation value at the best epoch");
        case FinalNdcgColumn: return tr("Validation NDCG@100 at the last epoch");
        case TestNdcgColumn: return tr("Test NDCG@100 of the best weights (when finished)");
        case SecondsColumn: return tr("Mean training seconds per epoch");
        case EpochsColumn: return tr("Epochs run / planned");
        default: return {};
        }
    }
    return {};
}

Qt::ItemFlags RunTableModel::flags(const QModelIndex& index) const {
    if (!index.isValid()) return Qt::NoItemFlags;
    Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemNeverHasChildren;
    if (index.column() == NameColumn) f |= Qt::ItemIsEditable;
    return f;
}

bool RunTableModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    if (role != Qt::EditRole || !checkIndex(index, CheckIndexOption::IndexIsValid) || index.column() != NameColumn)
        return false;
    const QString name = value.toString().trimmed();
    const int id = runId(index.row());
    if (name.isEmpty() || !m_project->run(id)) return false;
    m_project->renameRun(id, name);  // runChanged refreshes the row
    return true;
}

void RunTableModel::onAdded(int id) {
    if (rowOf(id) >= 0) return;
    const int row = static_cast<int>(m_ids.size());
    beginInsertRows({}, row, row);
    m_ids.push_back(id);
    endInsertRows();
}

void RunTableModel::onRemoved(int id) {
    const int row = rowOf(id);
    if (row < 0) return;
    beginRemoveRows({}, row, row);
    m_ids.erase(m_ids.begin() + row);
    endRemoveRows();
}

void RunTableModel::onChanged(int id) {
    const int row = rowOf(id);
    if (row < 0) return;
    Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

}  // namespace vaecf::ui
