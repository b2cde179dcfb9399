// SPDX-License-Identifier: MIT
// The project's runs as a table: one row per run in creation order, kept in step with the
// project's runAdded / runChanged / runRemoved signals. Display text is formatted for people;
// SortRole gives numbers (metrics, epochs, seconds) so that a proxy sorts numerically, with
// missing values first in ascending order.
#pragma once

#include <vector>

#include <QAbstractTableModel>

#include "session/project.h"

namespace vaecf::ui {

class RunTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        NameColumn,        // colour swatch + name (editable: renames the run)
        ModelColumn,
        ParamsColumn,      // Run::configSummary()
        BestEpochColumn,
        BestNdcgColumn,    // validation NDCG@100 at the best epoch
        BestRecall20Column,
        BestRecall50Column,
        FinalNdcgColumn,   // validation NDCG@100 at the last epoch
        TestNdcgColumn,    // test NDCG@100 of the best weights
        SecondsColumn,     // mean training seconds per epoch
        EpochsColumn,      // run / planned
        StateColumn,
        SeedColumn,
        ColumnCount
    };
    enum Role {
        SortRole = Qt::UserRole,  // numbers for numeric columns, text otherwise
        RunIdRole,                // the run's id (any column)
    };

    explicit RunTableModel(Project* project, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;

    int runId(int row) const;   // -1 when out of range
    int rowOf(int runId) const; // -1 when not listed

private:
    void onAdded(int id);
    void onRemoved(int id);
    void onChanged(int id);

    Project* m_project;
    std::vector<int> m_ids;
};

}  // namespace vaecf::ui
