// SPDX-License-Identifier: MIT
// A reusable line plot for training curves: named series appended in batches, TensorBoard-style
// smoothing with the raw curve kept faint underneath, a true log-scale y axis, rubber-band zoom,
// panning, a crosshair readout, a labelled vertical marker (best epoch) and export to PNG, SVG
// and CSV. Qt Charts stays behind the pimpl so that users of this header need not include it.
//
// Redraws are throttled: appends only mark the plot dirty and a timer (~15 Hz) pushes the
// accumulated points into the chart in one QXYSeries::replace per series, so thousands of
// batches per second cost a handful of redraws. flush() forces the redraw now (tests, exports).
//
// CSV layout (exportCsv / csvText), always long format so that series with different x values
// share one file:
//     series,x,raw,smoothed
// one row per point of every visible series, series in the order they were added, points in
// the order they were appended. It holds exactly what is drawn: in log view a value that is
// left out (<= 0) is written as an empty cell, and a point whose raw and smoothed values are
// both left out is not written. Without smoothing (or for series that are not smoothed)
// `smoothed` repeats `raw`. Numbers use the C locale with up to 10 significant digits.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include <QColor>
#include <QList>
#include <QPointF>
#include <QSize>
#include <QString>
#include <QStringList>
#include <QWidget>

namespace vaecf::ui {

class CurvePlot : public QWidget {
    Q_OBJECT
public:
    enum class Style {
        Line,            // a plain line (many points: per-batch curves)
        LineWithPoints,  // a line with a dot per point (per-epoch values)
    };

    explicit CurvePlot(QWidget* parent = nullptr);
    ~CurvePlot() override;

    // Titles.
    void setTitle(const QString& title);
    QString title() const;
    void setAxisTitles(const QString& x, const QString& y);
    QString xAxisTitle() const;
    QString yAxisTitle() const;  // as shown (mentions the log scale when on)

    // Series, keyed by name. An invalid colour takes the next palette colour.
    // `smoothable` false: the smoothing slider leaves this series alone (schedules, epoch means).
    void addSeries(const QString& name, const QColor& colour = {}, Style style = Style::Line,
                   bool smoothable = true);
    bool hasSeries(const QString& name) const;
    void removeSeries(const QString& name);
    void clearSeries();   // removes every series and the marker
    void clearPoints();   // keeps the series, drops their points
    QStringList seriesNames() const;
    QColor seriesColour(const QString& name) const;
    void setSeriesColour(const QString& name, const QColor& colour);
    void setSeriesVisible(const QString& name, bool visible);
    bool isSeriesVisible(const QString& name) const;
    // Non-finite y values are dropped (a diverged batch must not break the axis).
    void appendPoints(const QString& name, const QList<QPointF>& points);
    void appendPoint(const QString& name, QPointF point) { appendPoints(name, {point}); }
    void setPoints(const QString& name, const QList<QPointF>& points);

    // Smoothing weight w in [0, 0.999]: TensorBoard's debiased exponential moving average.
    void setSmoothing(double weight);
    double smoothing() const;
    // Debiased EMA: last_i = w·last_{i-1} + (1-w)·y_i (last_{-1} = 0); s_i = last_i / (1 - w^(i+1)).
    static std::vector<double> smoothEma(const std::vector<double>& values, double weight);

    // Log-scale y axis; points with y <= 0 are left out of the log view.
    void setLogY(bool on);
    bool isLogY() const;
    int logOmittedCount() const;   // points (raw and smoothed) left out in log view
    QString yAxisToolTip() const;  // what the plot's tooltip says about the y axis

    // The built-in smoothing slider and log toggle (hide them where a panel shares its own).
    void setSmoothingControlVisible(bool visible);
    void setLogControlVisible(bool visible);
    void setExportControlVisible(bool visible);
    // The base name proposed by the export dialogs.
    void setExportBaseName(const QString& name);

    // A vertical dashed line at x with a label (best epoch), drawn in the first series' axes.
    void setMarker(double x, const QString& label);
    void clearMarker();
    bool hasMarker() const;
    std::optional<double> markerX() const;
    QString markerLabel() const;

    // Zoom and pan. The plot follows the data until the user zooms or pans; resetZoom()
    // (double-click, Home) goes back to following it.
    void resetZoom();
    bool isZoomed() const;
    void zoomToRect(double x0, double x1, double y0, double y1);
    void pan(double dxPixels, double dyPixels);
    double xMin() const;
    double xMax() const;
    double yMin() const;
    double yMax() const;

    // Crosshair readout at data x (the mouse does this); empty hides it.
    void showReadoutAt(double x);
    void hideReadout();
    QString readoutText() const;

    // Export. PNG is rendered at twice the device pixel ratio of the plot area.
    QSize exportSize() const;  // logical size of the chart image
    bool exportPng(const QString& path, QString* error = nullptr);
    bool exportSvg(const QString& path, QString* error = nullptr);
    bool exportCsv(const QString& path, QString* error = nullptr);
    QString csvText();

    // Test and inspection accessors.
    int pointCount(const QString& name) const;  // points held (raw)
    std::vector<double> rawValues(const QString& name) const;
    std::vector<double> xValues(const QString& name) const;
    std::vector<double> smoothedValues(const QString& name) const;
    int drawnPointCount(const QString& name) const;  // in the chart after the last redraw
    QColor drawnColour(const QString& name) const;   // pen colour of the main curve
    bool isDirty() const;
    // Pushes pending points into the chart now.
    void flush();

public Q_SLOTS:
    void exportPngInteractive();
    void exportSvgInteractive();
    void exportCsvInteractive();

Q_SIGNALS:
    void smoothingChanged(double weight);
    void logYChanged(bool on);

protected:
    void changeEvent(QEvent* event) override;

private:
    struct Impl;
    class View;
    std::unique_ptr<Impl> d;
};

}  // namespace vaecf::ui
