// SPDX-License-Identifier: MIT
#include "charts/histogram_chart.h"

#include <algorithm>
#include <bit>

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QEvent>
#include <QVBoxLayout>
#include <QValueAxis>

namespace vaecf::ui {

HistogramChart::HistogramChart(const QString& title, const QString& xTitle,
                               const QString& yTitle, QWidget* parent)
    : QWidget(parent), m_xTitle(xTitle), m_yTitle(yTitle), m_colour(0x00, 0x72, 0xB2) {
    m_chart = new QChart;
    m_chart->setTitle(title);
    m_chart->legend()->hide();
    m_chart->setAnimationOptions(QChart::NoAnimation);
    m_chart->setMargins(QMargins(2, 2, 2, 2));
    m_view = new QChartView(m_chart, this);
    m_view->setObjectName(QStringLiteral("chartView"));
    m_view->setRenderHint(QPainter::Antialiasing);
    m_view->setMinimumHeight(160);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_view);
    rebuild();
}

HistogramChart::Bins HistogramChart::logBins(const std::vector<std::int64_t>& values) {
    Bins b;
    if (values.empty()) return b;
    const std::int64_t maxValue = std::max<std::int64_t>(1, *std::max_element(values.begin(), values.end()));
    // Bin 0 holds zeros; bin k >= 1 holds [2^(k-1), 2^k - 1].
    const int nBins = 1 + static_cast<int>(std::bit_width(static_cast<std::uint64_t>(maxValue)));
    b.counts.assign(static_cast<std::size_t>(nBins), 0);
    for (std::int64_t v : values) {
        const int k = v <= 0 ? 0 : static_cast<int>(std::bit_width(static_cast<std::uint64_t>(v)));
        ++b.counts[static_cast<std::size_t>(k)];
    }
    for (int k = 0; k < nBins; ++k) {
        if (k == 0) b.labels << QStringLiteral("0");
        else if (k == 1) b.labels << QStringLiteral("1");
        else b.labels << QStringLiteral("%L1–%L2").arg(std::int64_t(1) << (k - 1)).arg((std::int64_t(1) << k) - 1);
    }
    // A leading empty "0" bin only wastes room.
    if (b.counts[0] == 0) {
        b.counts.erase(b.counts.begin());
        b.labels.removeFirst();
    }
    return b;
}

void HistogramChart::setValues(const std::vector<std::int64_t>& values) {
    m_bins = logBins(values);
    rebuild();
}

void HistogramChart::clear() {
    m_bins = {};
    rebuild();
}

void HistogramChart::setBarColour(const QColor& colour) {
    m_colour = colour;
    rebuild();
}

int HistogramChart::barCount() const {
    return static_cast<int>(std::count_if(m_bins.counts.begin(), m_bins.counts.end(),
                                          [](std::int64_t c) { return c > 0; }));
}

void HistogramChart::rebuild() {
    m_chart->removeAllSeries();
    for (QAbstractAxis* a : m_chart->axes()) {
        m_chart->removeAxis(a);
        delete a;
    }
    auto* set = new QBarSet(m_yTitle);
    set->setColor(m_colour);
    set->setBorderColor(m_colour);
    std::int64_t top = 1;
    for (std::int64_t c : m_bins.counts) {
        *set << static_cast<qreal>(c);
        top = std::max(top, c);
    }
    auto* series = new QBarSeries;
    series->setBarWidth(0.9);
    series->append(set);
    m_chart->addSeries(series);
    auto* x = new QBarCategoryAxis;
    x->append(m_bins.labels.isEmpty() ? QStringList{QString()} : m_bins.labels);
    x->setTitleText(m_xTitle);
    x->setLabelsAngle(m_bins.labels.size() > 8 ? -45 : 0);
    auto* y = new QValueAxis;
    y->setRange(0, static_cast<qreal>(top) * 1.05);
    y->setLabelFormat(QStringLiteral("%d"));
    y->setTitleText(m_yTitle);
    m_chart->addAxis(x, Qt::AlignBottom);
    m_chart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(x);
    series->attachAxis(y);
    applyPalette();
}

void HistogramChart::applyPalette() {
    // Follow the widget palette so the chart reads well in dark themes too.
    const QPalette pal = palette();
    m_chart->setBackgroundBrush(pal.brush(QPalette::Base));
    m_chart->setBackgroundRoundness(0);
    m_chart->setTitleBrush(pal.brush(QPalette::WindowText));
    m_view->setBackgroundBrush(pal.brush(QPalette::Window));
    for (QAbstractAxis* a : m_chart->axes()) {
        a->setLabelsBrush(pal.brush(QPalette::Text));
        a->setTitleBrush(pal.brush(QPalette::Text));
        a->setLinePenColor(pal.color(QPalette::Mid));
        a->setGridLineColor(pal.color(QPalette::Midlight));
    }
}

void HistogramChart::changeEvent(QEvent* event) {
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::StyleChange)
        applyPalette();
    QWidget::changeEvent(event);
}

}  // namespace vaecf::ui
