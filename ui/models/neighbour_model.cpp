// SPDX-License-Identifier: MIT
#include "models/neighbour_model.h"

namespace vaecf::ui {

NeighbourModel::NeighbourModel(QObject* parent) : QAbstractTableModel(parent) {
    setObjectName(QStringLiteral("neighbourModel"));
}

void NeighbourModel::setRows(std::vector<Row> rows) {
    beginResetModel();
    m_rows = std::move(rows);
    endResetModel();
}

int NeighbourModel::pointAt(int row) const {
    return row >= 0 && row < static_cast<int>(m_rows.size()) ? m_rows[static_cast<std::size_t>(row)].point : -1;
}

int NeighbourModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int NeighbourModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant NeighbourModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= static_cast<int>(m_rows.size())) return {};
    const Row& r = m_rows[static_cast<std::size_t>(index.row())];
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case RankColumn: return index.row() + 1;
        case LabelColumn: return r.label;
        case DistanceColumn: return QString::number(r.distance, 'f', 4);
        default: return {};
        }
    }
    if (role == Qt::UserRole) return r.point;
    if (role == Qt::ToolTipRole && index.column() == LabelColumn) return r.label;
    if (role == Qt::TextAlignmentRole && index.column() != LabelColumn)
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant NeighbourModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case RankColumn: return tr("#");
    case LabelColumn: return tr("Neighbour");
    case DistanceColumn: return tr("Distance");
    default: return {};
    }
}

}  // namespace vaecf::ui
