// SPDX-License-Identifier: MIT
// A top-N list as a table: rank, hit mark, title, genres, score. Held-out items that the
// model found (hits) and, in compare mode, items that the other run also recommends are
// tinted with colours derived from the widget palette, so both light and dark themes work.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_set>
#include <vector>

#include <QAbstractTableModel>
#include <QColor>
#include <QPalette>

#include "session/project.h"
#include "session/recommender.h"

namespace vaecf::ui {

class RecommendationModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { RankColumn, HitColumn, TitleColumn, GenresColumn, ScoreColumn, ColumnCount };
    enum Role {
        ItemRole = Qt::UserRole + 1,  // item column (int)
        ScoreRole,                    // raw score (double)
        HitRole,                      // held-out item of the user (bool)
        SharedRole,                   // also in the other run's list (bool)
    };

    explicit RecommendationModel(QObject* parent = nullptr);

    void setRecommendations(std::shared_ptr<const DataState> data,
                            std::vector<Recommendation> recs);
    void clear();
    const std::vector<Recommendation>& recommendations() const { return m_recs; }
    // Items to highlight as shared with another list (compare mode); empty: none.
    void setSharedItems(const std::vector<Recommendation>& other);
    // Tints for hits and shared items, derived from `palette`.
    void setPalette(const QPalette& palette);
    QColor hitColour() const { return m_hitColour; }
    QColor sharedColour() const { return m_sharedColour; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    std::shared_ptr<const DataState> m_data;
    std::vector<Recommendation> m_recs;
    std::unordered_set<std::int32_t> m_shared;
    QColor m_hitColour, m_sharedColour;
};

}  // namespace vaecf::ui
