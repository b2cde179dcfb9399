// SPDX-License-Identifier: MIT
#include <cmath>

#include <QFile>
#include <QImage>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <QtCharts/QChartView>
#include <QtCharts/QValueAxis>

#include "charts/curve_plot.h"

using vaecf::ui::CurvePlot;

class CurvePlotTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void emaMatchesHandComputedValues();
    void emaIncrementalMatchesBatch();
    void noSmoothingKeepsRaw();
    void logScaleLeavesOutNonPositive();
    void appendsCoalesceUntilTimer();
    void exportPngIsTwiceTheSize();
    void exportSvgHasTitleAndLegend();
    void exportCsvExactRows();
    void markerAtGivenX();
    void readoutShowsNearestValues();
    void zoomAndReset();
    void yTicksIncludeZeroExactly();
};

void CurvePlotTest::emaMatchesHandComputedValues() {
    // y = [1, 0, 1], w = 0.5:
    // last0 = 0.5, s0 = 0.5 / (1 - 0.5) = 1
    // last1 = 0.25, s1 = 0.25 / (1 - 0.25) = 1/3
    // last2 = 0.125 + 0.5 = 0.625, s2 = 0.625 / (1 - 0.125) = 5/7
    const auto s = CurvePlot::smoothEma({1, 0, 1}, 0.5);
    QCOMPARE(s.size(), std::size_t(3));
    QVERIFY(std::abs(s[0] - 1.0) < 1e-12);
    QVERIFY(std::abs(s[1] - 1.0 / 3.0) < 1e-12);
    QVERIFY(std::abs(s[2] - 5.0 / 7.0) < 1e-12);

    CurvePlot plot;
    plot.addSeries(QStringLiteral("a"));
    plot.setSmoothing(0.5);
    plot.appendPoints(QStringLiteral("a"), {{0, 1}, {1, 0}, {2, 1}});
    const auto v = plot.smoothedValues(QStringLiteral("a"));
    QCOMPARE(v.size(), std::size_t(3));
    QVERIFY(std::abs(v[0] - 1.0) < 1e-12);
    QVERIFY(std::abs(v[1] - 1.0 / 3.0) < 1e-12);
    QVERIFY(std::abs(v[2] - 5.0 / 7.0) < 1e-12);
    QCOMPARE(plot.rawValues(QStringLiteral("a")), (std::vector<double>{1, 0, 1}));
}

void CurvePlotTest::emaIncrementalMatchesBatch() {
    CurvePlot plot;
    plot.addSeries(QStringLiteral("a"));
    std::vector<double> ys;
    for (int i = 0; i < 50; ++i) {
        const double y = std::sin(i * 0.3) + 2;
        ys.push_back(y);
        plot.appendPoint(QStringLiteral("a"), QPointF(i, y));
    }
    plot.setSmoothing(0.9);  // recomputed from scratch
    const auto whole = plot.smoothedValues(QStringLiteral("a"));
    plot.setPoints(QStringLiteral("a"), {});
    for (int i = 0; i < 50; ++i) plot.appendPoint(QStringLiteral("a"), QPointF(i, ys[static_cast<std::size_t>(i)]));
    const auto incremental = plot.smoothedValues(QStringLiteral("a"));
    const auto expected = CurvePlot::smoothEma(ys, 0.9);
    QCOMPARE(whole.size(), expected.size());
    for (std::size_t i = 0; i < ys.size(); ++i) {
        QVERIFY(std::abs(whole[i] - expected[i]) < 1e-12);
        QVERIFY(std::abs(incremental[i] - expected[i]) < 1e-12);
    }
    // Series that are not smoothable ignore the weight.
    plot.addSeries(QStringLiteral("schedule"), Qt::red, CurvePlot::Style::Line, false);
    plot.appendPoints(QStringLiteral("schedule"), {{0, 0.0}, {1, 0.5}});
    QCOMPARE(plot.smoothedValues(QStringLiteral("schedule")), (std::vector<double>{0.0, 0.5}));
}

void CurvePlotTest::noSmoothingKeepsRaw() {
    CurvePlot plot;
    plot.appendPoints(QStringLiteral("a"), {{0, 3}, {1, 4}, {2, std::nan("")}, {3, 5}});
    QCOMPARE(plot.pointCount(QStringLiteral("a")), 3);  // the NaN is dropped
    QCOMPARE(plot.smoothedValues(QStringLiteral("a")), (std::vector<double>{3, 4, 5}));
}

void CurvePlotTest::logScaleLeavesOutNonPositive() {
    CurvePlot plot;
    plot.resize(600, 400);
    plot.show();
    plot.setAxisTitles(QStringLiteral("epoch"), QStringLiteral("loss"));
    plot.appendPoints(QStringLiteral("a"), {{0, 10}, {1, 0}, {2, -1}, {3, 100}});
    plot.flush();
    QCOMPARE(plot.drawnPointCount(QStringLiteral("a")), 4);
    QVERIFY(!plot.isLogY());
    QSignalSpy spy(&plot, &CurvePlot::logYChanged);
    plot.setLogY(true);
    QCOMPARE(spy.count(), 1);
    QVERIFY(plot.isLogY());
    plot.flush();
    QCOMPARE(plot.drawnPointCount(QStringLiteral("a")), 2);
    QCOMPARE(plot.pointCount(QStringLiteral("a")), 4);  // kept, only not drawn
    QCOMPARE(plot.logOmittedCount(), 2);
    QVERIFY(plot.yAxisToolTip().contains(QStringLiteral("2")));
    QVERIFY(plot.yAxisTitle().contains(QStringLiteral("log")));
    QVERIFY(plot.yMin() > 0);
    QVERIFY(plot.yMax() >= 100);
    plot.setLogY(false);
    plot.flush();
    QCOMPARE(plot.drawnPointCount(QStringLiteral("a")), 4);
    QVERIFY(plot.yAxisToolTip().isEmpty());
}

void CurvePlotTest::appendsCoalesceUntilTimer() {
    CurvePlot plot;
    plot.addSeries(QStringLiteral("a"));
    plot.flush();
    for (int i = 0; i < 1000; ++i) plot.appendPoint(QStringLiteral("a"), QPointF(i, i));
    QVERIFY(plot.isDirty());
    QCOMPARE(plot.drawnPointCount(QStringLiteral("a")), 0);
    QTRY_COMPARE_WITH_TIMEOUT(plot.drawnPointCount(QStringLiteral("a")), 1000, 2000);
    QVERIFY(!plot.isDirty());
}

void CurvePlotTest::exportPngIsTwiceTheSize() {
    QTemporaryDir dir;
    CurvePlot plot;
    plot.resize(640, 420);
    plot.show();
    QVERIFY(QTest::qWaitForWindowExposed(&plot));
    plot.setTitle(QStringLiteral("Loss"));
    plot.appendPoints(QStringLiteral("loss"), {{0, 3}, {1, 2}, {2, 1}});
    const QString path = dir.filePath(QStringLiteral("c.png"));
    QString error;
    QVERIFY2(plot.exportPng(path, &error), qPrintable(error));
    QImage image(path);
    QVERIFY(!image.isNull());
    QCOMPARE(image.size(), plot.exportSize() * 2);
    QVERIFY(plot.exportSize().width() > 300);
}

void CurvePlotTest::exportSvgHasTitleAndLegend() {
    QTemporaryDir dir;
    CurvePlot plot;
    plot.resize(640, 420);
    plot.show();
    QVERIFY(QTest::qWaitForWindowExposed(&plot));
    plot.setTitle(QStringLiteral("Validation metrics"));
    plot.setAxisTitles(QStringLiteral("epoch"), QStringLiteral("value"));
    plot.appendPoints(QStringLiteral("NDCGat100"), {{1, 0.2}, {2, 0.3}});
    const QString path = dir.filePath(QStringLiteral("c.svg"));
    QString error;
    QVERIFY2(plot.exportSvg(path, &error), qPrintable(error));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QString svg = QString::fromUtf8(f.readAll());
    QVERIFY(svg.contains(QStringLiteral("<svg")));
    QVERIFY(svg.contains(QStringLiteral("Validation metrics")));
    QVERIFY(svg.contains(QStringLiteral("NDCGat100")));
    QVERIFY(svg.contains(QStringLiteral("epoch")));
}

void CurvePlotTest::exportCsvExactRows() {
    QTemporaryDir dir;
    CurvePlot plot;
    plot.addSeries(QStringLiteral("a"));
    plot.addSeries(QStringLiteral("b, c"));
    plot.appendPoints(QStringLiteral("a"), {{0, 1}, {1, 0}, {2, 1}});
    plot.appendPoints(QStringLiteral("b, c"), {{0.5, 2}});
    const QString path = dir.filePath(QStringLiteral("c.csv"));
    QVERIFY(plot.exportCsv(path));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly | QIODevice::Text));
    QCOMPARE(QString::fromUtf8(f.readAll()),
             QStringLiteral("series,x,raw,smoothed\n"
                            "a,0,1,1\n"
                            "a,1,0,0\n"
                            "a,2,1,1\n"
                            "\"b, c\",0.5,2,2\n"));
    plot.setSmoothing(0.5);
    QCOMPARE(plot.csvText(),
             QStringLiteral("series,x,raw,smoothed\n"
                            "a,0,1,1\n"
                            "a,1,0,0.3333333333\n"
                            "a,2,1,0.7142857143\n"
                            "\"b, c\",0.5,2,2\n"));
    // Log view: the zero is not drawn raw (empty cell) but its smoothed value is.
    plot.setLogY(true);
    QCOMPARE(plot.csvText(),
             QStringLiteral("series,x,raw,smoothed\n"
                            "a,0,1,1\n"
                            "a,1,,0.3333333333\n"
                            "a,2,1,0.7142857143\n"
                            "\"b, c\",0.5,2,2\n"));
    // Hidden series are not drawn, so not written.
    plot.setSeriesVisible(QStringLiteral("a"), false);
    QCOMPARE(plot.csvText(), QStringLiteral("series,x,raw,smoothed\n\"b, c\",0.5,2,2\n"));
}

void CurvePlotTest::markerAtGivenX() {
    CurvePlot plot;
    plot.resize(600, 400);
    plot.show();
    plot.appendPoints(QStringLiteral("a"), {{1, 1}, {2, 3}, {3, 2}});
    QVERIFY(!plot.hasMarker());
    plot.setMarker(2, QStringLiteral("best epoch 2"));
    plot.flush();
    QVERIFY(plot.hasMarker());
    QCOMPARE(*plot.markerX(), 2.0);
    QCOMPARE(plot.markerLabel(), QStringLiteral("best epoch 2"));
    // The marker is not data: it stays out of the CSV.
    QVERIFY(!plot.csvText().contains(QStringLiteral("best")));
    plot.clearMarker();
    QVERIFY(!plot.hasMarker());
}

void CurvePlotTest::readoutShowsNearestValues() {
    CurvePlot plot;
    plot.resize(600, 400);
    plot.show();
    plot.setAxisTitles(QStringLiteral("epoch"), QStringLiteral("loss"));
    plot.appendPoints(QStringLiteral("a"), {{1, 10}, {2, 20}, {3, 30}});
    plot.appendPoints(QStringLiteral("b"), {{1, 5}, {3, 7}});
    plot.showReadoutAt(2.2);
    const QString text = plot.readoutText();
    QVERIFY2(text.contains(QStringLiteral("epoch: 2.2")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("a: 20")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("b: 7")), qPrintable(text));
    plot.hideReadout();
    QVERIFY(plot.readoutText().isEmpty());
}

void CurvePlotTest::zoomAndReset() {
    CurvePlot plot;
    plot.resize(600, 400);
    plot.show();
    QVERIFY(QTest::qWaitForWindowExposed(&plot));
    plot.appendPoints(QStringLiteral("a"), {{0, 0}, {10, 10}});
    plot.flush();
    QVERIFY(!plot.isZoomed());
    QCOMPARE(plot.xMin(), 0.0);
    QCOMPARE(plot.xMax(), 10.0);
    plot.zoomToRect(2, 4, 1, 3);
    QVERIFY(plot.isZoomed());
    QCOMPARE(plot.xMin(), 2.0);
    // New data does not undo the user's zoom.
    plot.appendPoint(QStringLiteral("a"), QPointF(20, 5));
    plot.flush();
    QCOMPARE(plot.xMax(), 4.0);
    plot.pan(50, 0);
    QVERIFY(plot.xMin() > 2.0);
    plot.resetZoom();
    QVERIFY(!plot.isZoomed());
    QCOMPARE(plot.xMax(), 20.0);
    // Home key resets as well.
    plot.zoomToRect(2, 4, 1, 3);
    QWidget* view = plot.findChild<QWidget*>(QStringLiteral("chartView"));
    QVERIFY(view);
    QTest::keyClick(view, Qt::Key_Home);
    QVERIFY(!plot.isZoomed());
    QTest::keyClick(view, Qt::Key_Right);
    QVERIFY(plot.isZoomed());
    QTest::mouseDClick(view->focusProxy() ? view->focusProxy() : view, Qt::LeftButton);
}

// A β schedule from 0 to 0.2: the axis gets round ticks, one of them exactly 0 (fixed ticks,
// min + k * step, labelled 0 as "2.77556e-17").
void CurvePlotTest::yTicksIncludeZeroExactly() {
    CurvePlot plot;
    plot.resize(400, 300);
    plot.appendPoints(QStringLiteral("beta"), {{0, 0}, {10, 0.1}, {16, 0.2}, {20, 0.2}});
    plot.flush();
    auto* view = plot.findChild<QChartView*>(QStringLiteral("chartView"));
    QVERIFY(view);
    const auto axes = view->chart()->axes(Qt::Vertical);
    QVERIFY(!axes.isEmpty());
    auto* y = qobject_cast<QValueAxis*>(axes.first());
    QVERIFY(y);
    QVERIFY(y->min() < 0 && y->max() > 0.2);
    QCOMPARE(y->tickType(), QValueAxis::TicksDynamic);
    QCOMPARE(y->tickAnchor(), 0.0);
    QCOMPARE(y->tickInterval(), 0.1);
    // A diverging curve (1e30) afterwards: fixed ticks again before the range jumps, then
    // round ones anchored at 0 (the old interval of 0.1 would lay out 1e31 ticks).
    plot.appendPoint(QStringLiteral("beta"), QPointF(21, 1e30));
    plot.flush();
    QVERIFY(y->max() >= 1e30);
    QCOMPARE(y->tickAnchor(), 0.0);
    QVERIFY(y->tickInterval() > 1e28);
    // Zooming by rectangle and panning use fixed ticks.
    plot.zoomToRect(0, 10, -1, 1);
    QCOMPARE(y->tickType(), QValueAxis::TicksFixed);
    plot.resetZoom();
    QCOMPARE(y->tickType(), QValueAxis::TicksDynamic);
}

QTEST_MAIN(CurvePlotTest)
#include "curve_plot_test.moc"
