// SPDX-License-Identifier: MIT
#include "models/item_list_model.h"

#include <numeric>

namespace vaecf::ui {

ItemListModel::ItemListModel(QObject* parent) : QAbstractTableModel(parent) {}

void ItemListModel::setItems(std::shared_ptr<const DataState> data,
                             std::vector<std::int32_t> items) {
    beginResetModel();
    m_data = std::move(data);
    m_items = m_data ? std::move(items) : std::vector<std::int32_t>{};
    endResetModel();
}

void ItemListModel::setAllItems(std::shared_ptr<const DataState> data) {
    std::vector<std::int32_t> all(data ? static_cast<std::size_t>(data->split.numItems()) : 0);
    std::iota(all.begin(), all.end(), 0);
    setItems(std::move(data), std::move(all));
}

void ItemListModel::clear() { setItems(nullptr, {}); }

std::int32_t ItemListModel::itemAt(int row) const {
    return row >= 0 && row < rowCount() ? m_items[static_cast<std::size_t>(row)] : -1;
}

int ItemListModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_items.size());
}

int ItemListModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ItemListModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || !m_data || index.row() >= rowCount()) return {};
    const std::int32_t item = m_items[static_cast<std::size_t>(index.row())];
    if (role == ItemRole) return item;
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole) return {};
    switch (index.column()) {
        case TitleColumn: return m_data->itemTitle(item);
        case GenresColumn: return m_data->itemGenres(item);
        default: return {};
    }
}

QVariant ItemListModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
        case TitleColumn: return tr("Title");
        case GenresColumn: return tr("Genres");
        default: return {};
    }
}

}  // namespace vaecf::ui
