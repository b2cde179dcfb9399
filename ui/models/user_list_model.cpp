// SPDX-License-Identifier: MIT
#include "models/user_list_model.h"

namespace vaecf::ui {

UserListModel::UserListModel(QObject* parent) : QAbstractTableModel(parent) {}

void UserListModel::setPart(std::shared_ptr<const DataState> data, Part part) {
    beginResetModel();
    m_data = std::move(data);
    m_part = part;
    m_metrics.clear();
    endResetModel();
}

void UserListModel::setMetrics(std::vector<PartUserMetrics> metrics) {
    if (static_cast<int>(metrics.size()) != rowCount() || metrics.empty()) return;
    m_metrics = std::move(metrics);
    Q_EMIT dataChanged(index(0, NdcgColumn), index(rowCount() - 1, RecallColumn));
}

void UserListModel::clearMetrics() {
    if (m_metrics.empty()) return;
    m_metrics.clear();
    Q_EMIT dataChanged(index(0, NdcgColumn), index(rowCount() - 1, RecallColumn));
}

int UserListModel::rowCount(const QModelIndex& parent) const {
    if (parent.isValid() || !m_data) return 0;
    return static_cast<int>(m_data->numUsers(m_part));
}

int UserListModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant UserListModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || !m_data || index.row() >= rowCount()) return {};
    const auto row = static_cast<std::size_t>(index.row());
    if (role == RowRole) return QVariant::fromValue<qint64>(index.row());
    const PartUserMetrics* m = row < m_metrics.size() ? &m_metrics[row] : nullptr;
    const bool hasValue = m && m->valid();
    switch (index.column()) {
        case IdColumn:
            if (role == Qt::DisplayRole || role == SortRole) {
                return m_data->userText(m_part, index.row());
            }
            break;
        case ActivityColumn:
            if (role == Qt::DisplayRole || role == SortRole)
                return static_cast<qlonglong>(m_data->rows(m_part).rowNnz(index.row()));
            if (role == Qt::TextAlignmentRole) return int(Qt::AlignRight | Qt::AlignVCenter);
            if (role == Qt::ToolTipRole) return tr("Fold-in items of this user");
            break;
        case NdcgColumn:
        case RecallColumn: {
            const double v = !hasValue ? -1.0 : index.column() == NdcgColumn ? m->ndcg : m->recallA;
            if (role == SortRole) return v;
            if (role == Qt::DisplayRole) return hasValue ? QString::number(v, 'f', 3) : QString();
            if (role == Qt::TextAlignmentRole) return int(Qt::AlignRight | Qt::AlignVCenter);
            break;
        }
        default: break;
    }
    return {};
}

QVariant UserListModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole) {
        switch (section) {
            case IdColumn: return tr("User");
            case ActivityColumn: return tr("Items");
            case NdcgColumn: return tr("NDCG@100");
            case RecallColumn: return tr("Recall@20");
            default: break;
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
            case IdColumn: return tr("Original user id");
            case ActivityColumn: return tr("Number of fold-in (input) items");
            case NdcgColumn:
                return tr("NDCG@100 of this user under the current run (held-out users)");
            case RecallColumn:
                return tr("Recall@20 of this user under the current run (held-out users)");
            default: break;
        }
    }
    return {};
}

}  // namespace vaecf::ui
