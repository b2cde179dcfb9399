// SPDX-License-Identifier: MIT
// The nearest-neighbour table of the latent map: rank, user id or item title, distance in the
// full latent space.
#pragma once

#include <vector>

#include <QAbstractTableModel>
#include <QString>

namespace vaecf::ui {

class NeighbourModel : public QAbstractTableModel {
    Q_OBJECT
public:
    struct Row {
        int point = -1;   // index of the point on the map
        QString label;    // user id or item title
        double distance = 0;
    };
    enum Column { RankColumn, LabelColumn, DistanceColumn, ColumnCount };

    explicit NeighbourModel(QObject* parent = nullptr);

    void setRows(std::vector<Row> rows);
    void clear() { setRows({}); }
    const std::vector<Row>& rows() const { return m_rows; }
    int pointAt(int row) const;  // -1 when out of range

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<Row> m_rows;
};

}  // namespace vaecf::ui
