// SPDX-License-Identifier: MIT
// The users of one part of the split (train, validation or test) with their activity and,
// once the background job has computed them, their NDCG@100 and Recall@20 under the current
// model. Meant to sit behind a QSortFilterProxyModel sorting on SortRole.
#pragma once

#include <memory>
#include <vector>

#include <QAbstractTableModel>

#include "session/project.h"
#include "session/recommender.h"

namespace vaecf::ui {

class UserListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { IdColumn, ActivityColumn, NdcgColumn, RecallColumn, ColumnCount };
    enum Role {
        SortRole = Qt::UserRole + 1,  // number for numeric columns (-1 when no metric), id text
        RowRole,                      // the user's row in the part (qint64)
    };

    explicit UserListModel(QObject* parent = nullptr);

    // Shows the users of `part` (no data: empty). Drops any metrics.
    void setPart(std::shared_ptr<const DataState> data, Part part);
    Part part() const { return m_part; }
    // Per-user metrics in the part's row order; ignored unless the size matches.
    void setMetrics(std::vector<PartUserMetrics> metrics);
    void clearMetrics();
    bool hasMetrics() const { return !m_metrics.empty(); }
    const std::vector<PartUserMetrics>& metrics() const { return m_metrics; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    std::shared_ptr<const DataState> m_data;
    Part m_part = Part::Train;
    std::vector<PartUserMetrics> m_metrics;
};

}  // namespace vaecf::ui
