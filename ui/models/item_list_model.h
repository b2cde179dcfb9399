// SPDX-License-Identifier: MIT
// A list of items (title, genres) of the split: a user's history, missed held-out items, the
// items of "your own taste", or the whole catalogue to search in.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <QAbstractTableModel>

#include "session/project.h"

namespace vaecf::ui {

class ItemListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { TitleColumn, GenresColumn, ColumnCount };
    enum Role { ItemRole = Qt::UserRole + 1 };  // the item column (int)

    explicit ItemListModel(QObject* parent = nullptr);

    void setItems(std::shared_ptr<const DataState> data, std::vector<std::int32_t> items);
    // Every item of the data, in column order.
    void setAllItems(std::shared_ptr<const DataState> data);
    void clear();
    const std::vector<std::int32_t>& items() const { return m_items; }
    std::int32_t itemAt(int row) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    std::shared_ptr<const DataState> m_data;
    std::vector<std::int32_t> m_items;
};

}  // namespace vaecf::ui
