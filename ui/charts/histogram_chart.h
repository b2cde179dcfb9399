// SPDX-License-Identifier: MIT
// A log-binned histogram of counts (interactions per user, per item): bins [1], [2,3], [4,7],
// ... so heavy-tailed activity stays readable. Colours follow the widget palette.
#pragma once

#include <cstdint>
#include <vector>

#include <QColor>
#include <QString>
#include <QWidget>

QT_BEGIN_NAMESPACE
class QChart;
class QChartView;
class QBarSeries;
QT_END_NAMESPACE

namespace vaecf::ui {

class HistogramChart : public QWidget {
    Q_OBJECT
public:
    HistogramChart(const QString& title, const QString& xTitle, const QString& yTitle,
                   QWidget* parent = nullptr);

    // One value per user or item; zero values fall in a bin of their own ("0").
    void setValues(const std::vector<std::int64_t>& values);
    void clear();
    void setBarColour(const QColor& colour);

    // Log bins of `values`: counts and labels (exposed for tests and tooltips).
    struct Bins {
        std::vector<std::int64_t> counts;
        QStringList labels;
    };
    static Bins logBins(const std::vector<std::int64_t>& values);
    const Bins& bins() const { return m_bins; }
    // Bars currently drawn (bins with at least one value count as bars).
    int barCount() const;

protected:
    void changeEvent(QEvent* event) override;

private:
    void rebuild();
    void applyPalette();

    QChart* m_chart;
    QChartView* m_view;
    QString m_xTitle, m_yTitle;
    QColor m_colour;
    Bins m_bins;
};

}  // namespace vaecf::ui
