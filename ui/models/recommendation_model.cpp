// SPDX-License-Identifier: MIT
#include "models/recommendation_model.h"

#include <QFont>
#include <QGuiApplication>

namespace vaecf::ui {

namespace {

// A light mix of an accent into the base colour keeps the row text (QPalette::Text) readable
// on both light and dark themes.
QColor tint(const QColor& base, const QColor& accent, double amount) {
    return QColor::fromRgbF(
        static_cast<float>(base.redF() * (1 - amount) + accent.redF() * amount),
        static_cast<float>(base.greenF() * (1 - amount) + accent.greenF() * amount),
        static_cast<float>(base.blueF() * (1 - amount) + accent.blueF() * amount));
}

}  // namespace

RecommendationModel::RecommendationModel(QObject* parent) : QAbstractTableModel(parent) {
    setPalette(QGuiApplication::palette());
}

void RecommendationModel::setRecommendations(std::shared_ptr<const DataState> data,
                                             std::vector<Recommendation> recs) {
    beginResetModel();
    m_data = std::move(data);
    m_recs = m_data ? std::move(recs) : std::vector<Recommendation>{};
    m_shared.clear();
    endResetModel();
}

void RecommendationModel::clear() { setRecommendations(nullptr, {}); }

void RecommendationModel::setSharedItems(const std::vector<Recommendation>& other) {
    m_shared.clear();
    for (const auto& r : other)
        m_shared.insert(r.item);
    if (!m_recs.empty()) Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
}

void RecommendationModel::setPalette(const QPalette& palette) {
    const QColor base = palette.color(QPalette::Base);
    m_hitColour = tint(base, palette.color(QPalette::Highlight), 0.35);
    m_sharedColour = tint(base, palette.color(QPalette::Link), 0.22);
    if (!m_recs.empty()) Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
}

int RecommendationModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_recs.size());
}

int RecommendationModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RecommendationModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || !m_data || index.row() >= rowCount()) return {};
    const Recommendation& r = m_recs[static_cast<std::size_t>(index.row())];
    const bool shared = m_shared.contains(r.item);
    switch (role) {
        case ItemRole: return r.item;
        case ScoreRole: return static_cast<double>(r.score);
        case HitRole: return r.hit;
        case SharedRole: return shared;
        case Qt::BackgroundRole:
            if (r.hit) return m_hitColour;
            if (shared) return m_sharedColour;
            return {};
        case Qt::FontRole:
            if (shared) {
                QFont f;
                f.setBold(true);
                return f;
            }
            return {};
        case Qt::TextAlignmentRole:
            if (index.column() == RankColumn || index.column() == ScoreColumn)
                return int(Qt::AlignRight | Qt::AlignVCenter);
            if (index.column() == HitColumn) return int(Qt::AlignCenter);
            return {};
        case Qt::ToolTipRole:
            if (index.column() == HitColumn && r.hit)
                return tr("A held-out item of this user: a hit");
            if (index.column() == TitleColumn || index.column() == GenresColumn) {
                QString tip = m_data->itemTitle(r.item);
                if (const QString g = m_data->itemGenres(r.item); !g.isEmpty())
                    tip += QLatin1String(" — ") + g;
                if (shared) tip += QLatin1Char('\n') + tr("Also recommended by the other run");
                return tip;
            }
            return {};
        case Qt::DisplayRole:
            switch (index.column()) {
                case RankColumn: return index.row() + 1;
                case HitColumn: return r.hit ? QStringLiteral("\u2713") : QString();
                case TitleColumn: return m_data->itemTitle(r.item);
                case GenresColumn: return m_data->itemGenres(r.item);
                case ScoreColumn: return QString::number(static_cast<double>(r.score), 'f', 3);
                default: return {};
            }
        default: return {};
    }
}

QVariant RecommendationModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole) {
        switch (section) {
            case RankColumn: return tr("#");
            case HitColumn: return tr("Hit");
            case TitleColumn: return tr("Title");
            case GenresColumn: return tr("Genres");
            case ScoreColumn: return tr("Score");
            default: return {};
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
            case RankColumn: return tr("Rank in the model's list");
            case HitColumn:
                return tr("\u2713: a held-out item of the user that the model ranked in the top N");
            case ScoreColumn: return tr("The model's raw score (higher ranks first)");
            default: return {};
        }
    }
    return {};
}

}  // namespace vaecf::ui
