// SPDX-License-Identifier: MIT
#include "charts/curve_plot.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QCoreApplication>
#include <QEvent>
#include <QFile>
#include <QFileDialog>
#include <QGraphicsLineItem>
#include <QGraphicsSimpleTextItem>
#include <QHBoxLayout>
#include <QImage>
#include <QKeyEvent>
#include <QLabel>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QMenu>
#include <QMessageBox>
#include <QMouseEvent>
#include <QPainter>
#include <QSaveFile>
#include <QSlider>
#include <QSvgGenerator>
#include <QTextStream>
#include <QTimer>
#include <QToolButton>
#include <QToolTip>
#include <QVBoxLayout>
#include <QValueAxis>

#include "session/project.h"

namespace vaecf::ui {

namespace {

constexpr double kMaxSmoothing = 0.999;
constexpr int kSliderSteps = 1000;

QString num(double v) { return QString::number(v, 'g', 10); }

bool isDark(const QPalette& p) { return p.color(QPalette::Window).lightness() < 128; }

}  // namespace

// The chart view: left drag zooms (QChartView's rubber band), right drag or arrow keys pan,
// double-click or Home resets, and the mouse drives the crosshair readout.
class CurvePlot::View : public QChartView {
public:
    View(QChart* chart, CurvePlot::Impl* impl, QWidget* parent);

protected:
    void mousePressEvent(QMouseEvent* e) override;
    void mouseMoveEvent(QMouseEvent* e) override;
    void mouseReleaseEvent(QMouseEvent* e) override;
    void mouseDoubleClickEvent(QMouseEvent* e) override;
    void keyPressEvent(QKeyEvent* e) override;
    void leaveEvent(QEvent* e) override;

private:
    CurvePlot::Impl* d;
    bool m_panning = false;
    QPointF m_last;
};

struct CurvePlot::Impl {
    struct Series {
        QString name;
        QColor colour;
        Style style = Style::Line;
        bool smoothable = true;
        bool visible = true;
        bool sorted = true;  // x non-decreasing: the readout can bisect
        std::vector<QPointF> raw;
        std::vector<double> smoothed;
        double emaLast = 0;
        QLineSeries* rawLine = nullptr;   // faint raw curve under the smoothed one
        QLineSeries* mainLine = nullptr;  // smoothed (or raw when not smoothed)
        bool dirty = true;
        int drawn = 0;
        int omitted = 0;
    };

    CurvePlot* q = nullptr;
    QChart* chart = nullptr;
    View* view = nullptr;
    QValueAxis* xAxis = nullptr;
    QAbstractAxis* yAxis = nullptr;
    std::vector<std::unique_ptr<Series>> series;
    double weight = 0;
    bool logY = false;
    bool zoomed = false;
    int settingRange = 0;  // >0: range changes are ours, not the user's zoom
    bool dirty = false;
    QTimer* timer = nullptr;
    QString xTitle, yTitle, exportBase = QStringLiteral("chart");
    int nextColour = 0;

    std::optional<double> markerX;
    QString markerLabel;
    QLineSeries* markerLine = nullptr;
    QGraphicsSimpleTextItem* markerText = nullptr;

    QLabel* readout = nullptr;
    QGraphicsLineItem* crossLine = nullptr;

    QWidget* controls = nullptr;
    QLabel* smoothCaption = nullptr;
    QSlider* smoothSlider = nullptr;
    QLabel* smoothValue = nullptr;
    QCheckBox* logCheck = nullptr;
    QToolButton* exportButton = nullptr;

    struct RangeGuard {
        Impl* d;
        explicit RangeGuard(Impl* impl) : d(impl) { ++d->settingRange; }
        ~RangeGuard() { --d->settingRange; }
    };

    Series* find(const QString& name) const {
        for (const auto& s : series)
            if (s->name == name) return s.get();
        return nullptr;
    }

    double yValue(const Series& s, std::size_t i) const {
        return s.smoothable ? s.smoothed[i] : s.raw[i].y();
    }
    bool showsRaw(const Series& s) const { return s.smoothable && weight > 0; }

    void pushSmoothed(Series& s, double y) {
        const double w = s.smoothable ? weight : 0.0;
        s.emaLast = w * s.emaLast + (1 - w) * y;
        const double debias = 1 - std::pow(w, static_cast<double>(s.smoothed.size() + 1));
        s.smoothed.push_back(debias > 0 ? s.emaLast / debias : y);
    }
    void resmooth(Series& s) {
        s.smoothed.clear();
        s.smoothed.reserve(s.raw.size());
        s.emaLast = 0;
        for (const QPointF& p : s.raw) pushSmoothed(s, p.y());
        s.dirty = true;
    }

    void markDirty() {
        dirty = true;
        if (!timer->isActive()) timer->start();
    }

    void applyPens(Series& s) {
        QPen pen(s.colour, s.style == Style::Line ? 1.6 : 2.0);
        pen.setCosmetic(true);
        s.mainLine->setPen(pen);
        s.mainLine->setColor(s.colour);
        QColor faint = s.colour;
        faint.setAlphaF(0.25f);
        QPen rawPen(faint, 1.0);
        rawPen.setCosmetic(true);
        s.rawLine->setPen(rawPen);
        if (s.style == Style::LineWithPoints) {
            s.mainLine->setPointsVisible(true);
            s.mainLine->setMarkerSize(7);
        }
    }

    void hideRawLegendMarkers() {
        for (const auto& s : series)
            for (QLegendMarker* m : chart->legend()->markers(s->rawLine)) m->setVisible(false);
        if (markerLine)
            for (QLegendMarker* m : chart->legend()->markers(markerLine)) m->setVisible(markerX.has_value());
        for (const auto& s : series)
            for (QLegendMarker* m : chart->legend()->markers(s->mainLine)) {
                // A hidden series keeps its legend entry, dimmed, so it can be clicked back on.
                m->setVisible(true);
                QColor c = q->palette().color(QPalette::WindowText);
                c.setAlphaF(s->visible ? 1.0f : 0.4f);
                m->setLabelBrush(c);
            }
    }

    void applyTheme() {
        const QPalette pal = q->palette();
        {
            RangeGuard g(this);
            chart->setTheme(isDark(pal) ? QChart::ChartThemeDark : QChart::ChartThemeLight);
        }
        chart->setBackgroundBrush(pal.color(QPalette::Window));
        chart->setBackgroundRoundness(0);
        chart->setPlotAreaBackgroundVisible(true);
        chart->setPlotAreaBackgroundBrush(pal.color(QPalette::Base));
        chart->setTitleBrush(pal.color(QPalette::WindowText));
        chart->legend()->setLabelColor(pal.color(QPalette::WindowText));
        for (QAbstractAxis* a : {static_cast<QAbstractAxis*>(xAxis), yAxis}) styleAxis(a);
        for (const auto& s : series) applyPens(*s);
        styleMarker();
        hideRawLegendMarkers();
        if (crossLine) {
            QPen p(pal.color(QPalette::WindowText));
            p.setStyle(Qt::DotLine);
            p.setCosmetic(true);
            crossLine->setPen(p);
        }
        if (markerText) markerText->setBrush(pal.color(QPalette::WindowText));
    }

    void styleAxis(QAbstractAxis* a) {
        if (!a) return;
        const QPalette pal = q->palette();
        a->setLabelsColor(pal.color(QPalette::WindowText));
        a->setTitleBrush(pal.color(QPalette::WindowText));
        QColor grid = pal.color(QPalette::WindowText);
        grid.setAlphaF(0.15f);
        a->setGridLineColor(grid);
        QColor minor = grid;
        minor.setAlphaF(0.07f);
        a->setMinorGridLineColor(minor);
        a->setLinePenColor(pal.color(QPalette::Mid));
    }

    void styleMarker() {
        if (!markerLine) return;
        QColor c = q->palette().color(QPalette::WindowText);
        c.setAlphaF(0.7f);
        QPen pen(c, 1.2, Qt::DashLine);
        pen.setCosmetic(true);
        markerLine->setPen(pen);
    }

    void connectYAxis() {
        auto changed = [this] { onRangeChanged(); };
        if (auto* v = qobject_cast<QValueAxis*>(yAxis))
            QObject::connect(v, &QValueAxis::rangeChanged, q, changed);
        else if (auto* l = qobject_cast<QLogValueAxis*>(yAxis))
            QObject::connect(l, &QLogValueAxis::rangeChanged, q, changed);
    }

    void onRangeChanged() {
        if (settingRange == 0) zoomed = true;
        updateXTicks();
        updateMarker();
    }

    void updateYTitle() {
        yAxis->setTitleText(logY ? CurvePlot::tr("%1 (log scale)").arg(yTitle) : yTitle);
    }

    std::pair<double, double> yRange() const {
        if (auto* v = qobject_cast<QValueAxis*>(yAxis)) return {v->min(), v->max()};
        if (auto* l = qobject_cast<QLogValueAxis*>(yAxis)) return {l->min(), l->max()};
        return {0, 1};
    }
    // Autoscaled y ticks are anchored at 0 (TicksDynamic, see fitAxes); anything else
    // that moves the y range goes back to fixed ticks first, since dynamic ticks keep their
    // interval and a range a million times wider would lay out a million ticks.
    void fixYTicks() {
        if (auto* v = qobject_cast<QValueAxis*>(yAxis)) v->setTickType(QValueAxis::TicksFixed);
    }
    void setYRange(double lo, double hi) {
        fixYTicks();
        if (auto* v = qobject_cast<QValueAxis*>(yAxis)) v->setRange(lo, hi);
        else if (auto* l = qobject_cast<QLogValueAxis*>(yAxis)) l->setRange(lo, hi);
    }

    void attach(QXYSeries* s) {
        s->attachAxis(xAxis);
        s->attachAxis(yAxis);
    }

    void redraw() {
        RangeGuard g(this);
        timer->stop();
        dirty = false;
        for (const auto& sp : series) {
            Series& s = *sp;
            if (!s.dirty) continue;
            s.dirty = false;
            QList<QPointF> main, raw;
            main.reserve(static_cast<qsizetype>(s.raw.size()));
            const bool withRaw = showsRaw(s);
            if (withRaw) raw.reserve(static_cast<qsizetype>(s.raw.size()));
            int omitted = 0;
            for (std::size_t i = 0; i < s.raw.size(); ++i) {
                const double y = yValue(s, i);
                const double r = s.raw[i].y();
                if (logY && r <= 0) ++omitted;
                if (!logY || y > 0) main.append(QPointF(s.raw[i].x(), y));
                if (withRaw && (!logY || r > 0)) raw.append(s.raw[i]);
            }
            s.omitted = omitted;
            s.drawn = static_cast<int>(main.size());
            s.mainLine->replace(main);
            s.rawLine->replace(raw);
            s.mainLine->setVisible(s.visible);
            s.rawLine->setVisible(s.visible && withRaw);
        }
        hideRawLegendMarkers();
        if (!zoomed) fitAxes();
        updateMarker();
    }

    void fitAxes() {
        RangeGuard g(this);
        double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
        for (const auto& sp : series) {
            const Series& s = *sp;
            if (!s.visible) continue;
            for (std::size_t i = 0; i < s.raw.size(); ++i) {
                const double xs = s.raw[i].x();
                auto take = [&](double y) {
                    if (logY && y <= 0) return;
                    x0 = std::min(x0, xs);
                    x1 = std::max(x1, xs);
                    y0 = std::min(y0, y);
                    y1 = std::max(y1, y);
                };
                take(yValue(s, i));
                if (showsRaw(s)) take(s.raw[i].y());
            }
        }
        if (!(x0 <= x1)) {
            x0 = 0;
            x1 = 1;
        } else if (x0 == x1) {
            x0 -= 0.5;
            x1 += 0.5;
        }
        xAxis->setRange(x0, x1);
        updateXTicks();
        if (logY) {
            if (!(y0 <= y1)) {
                y0 = 1;
                y1 = 10;
            }
            // Start at a power of ten so that the axis always has at least one labelled tick.
            const double lo = std::pow(10.0, std::floor(std::log10(y0)));
            double hi = y1 * 1.25;
            if (hi <= lo) hi = lo * 10;
            setYRange(lo, hi);
        } else {
            if (!(y0 <= y1)) {
                y0 = 0;
                y1 = 1;
            } else if (y0 == y1) {
                const double pad = y0 == 0 ? 1.0 : std::abs(y0) * 0.1;
                y0 -= pad;
                y1 += pad;
            } else {
                const double pad = (y1 - y0) * 0.05;
                y0 -= pad;
                y1 += pad;
            }
            auto* v = static_cast<QValueAxis*>(yAxis);
            fixYTicks();
            v->setRange(y0, y1);
            v->applyNiceNumbers();
            // The same ticks, anchored at 0: fixed ticks are min + k * step, which puts
            // "2.77556e-17" where 0 belongs when min is not a multiple of the step's binary value.
            const double step = (v->max() - v->min()) / std::max(1, v->tickCount() - 1);
            if (step > 0 && std::isfinite(step)) {
                v->setTickType(QValueAxis::TicksDynamic);
                v->setTickAnchor(0);
                v->setTickInterval(step);
            }
        }
    }

    // Ticks on round numbers (1, 2 or 5 times a power of ten) anchored at 0, whatever the
    // first point's x (batch points start at a fraction of an epoch).
    void updateXTicks() {
        const double span = xAxis->max() - xAxis->min();
        if (!(span > 0) || !std::isfinite(span)) return;
        const double raw = span / 6.0;
        const double p10 = std::pow(10.0, std::floor(std::log10(raw)));
        const double m = raw / p10;
        const double step = (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p10;
        xAxis->setTickType(QValueAxis::TicksDynamic);
        xAxis->setTickAnchor(0);
        xAxis->setTickInterval(step);
    }

    void updateMarker() {
        if (!markerLine) return;
        RangeGuard g(this);
        if (!markerX) {
            markerLine->clear();
            markerLine->setVisible(false);
            if (markerText) markerText->setVisible(false);
            return;
        }
        const auto [lo, hi] = yRange();
        markerLine->replace(QList<QPointF>{QPointF(*markerX, lo), QPointF(*markerX, hi)});
        markerLine->setName(markerLabel);
        markerLine->setVisible(true);
        const bool inside = *markerX >= xAxis->min() && *markerX <= xAxis->max();
        if (markerText) {
            markerText->setText(markerLabel);
            const QPointF top = chart->mapToPosition(QPointF(*markerX, hi), markerLine);
            markerText->setPos(top + QPointF(4, 2));
            markerText->setVisible(inside);
        }
    }

    // Nearest point of `s` to x (index into raw), or -1.
    long nearest(const Series& s, double x) const {
        if (s.raw.empty()) return -1;
        std::size_t best = 0;
        if (s.sorted) {
            const auto it = std::lower_bound(s.raw.begin(), s.raw.end(), x,
                                             [](const QPointF& p, double v) { return p.x() < v; });
            std::size_t i = static_cast<std::size_t>(it - s.raw.begin());
            if (i >= s.raw.size()) i = s.raw.size() - 1;
            best = i;
            if (i > 0 && std::abs(s.raw[i - 1].x() - x) <= std::abs(s.raw[i].x() - x)) best = i - 1;
        } else {
            double bd = std::numeric_limits<double>::infinity();
            for (std::size_t i = 0; i < s.raw.size(); ++i)
                if (const double dd = std::abs(s.raw[i].x() - x); dd < bd) {
                    bd = dd;
                    best = i;
                }
        }
        return static_cast<long>(best);
    }

    QString readoutFor(double x) const {
        QStringList lines;
        lines << QStringLiteral("%1: %2").arg(xTitle.isEmpty() ? QStringLiteral("x") : xTitle,
                                               QString::number(x, 'g', 5));
        for (const auto& sp : series) {
            const Series& s = *sp;
            if (!s.visible) continue;
            const long i = nearest(s, x);
            if (i < 0) continue;
            const auto u = static_cast<std::size_t>(i);
            QString line = QStringLiteral("%1: %2").arg(s.name, QString::number(yValue(s, u), 'g', 5));
            if (showsRaw(s))
                line += QStringLiteral(" (%1)").arg(CurvePlot::tr("raw %1").arg(s.raw[u].y(), 0, 'g', 5));
            lines << line;
        }
        return lines.join(QLatin1Char('\n'));
    }

    void placeReadout(double x, QPoint near) {
        const QString text = readoutFor(x);
        readout->setText(text);
        readout->adjustSize();
        QPoint p = near + QPoint(14, 14);
        if (p.x() + readout->width() > view->width()) p.setX(near.x() - readout->width() - 14);
        if (p.y() + readout->height() > view->height()) p.setY(near.y() - readout->height() - 14);
        readout->move(std::max(0, p.x()), std::max(0, p.y()));
        readout->show();
        readout->raise();
        if (crossLine && !series.empty()) {
            const QRectF area = chart->plotArea();
            const double px = chart->mapToPosition(QPointF(x, 0), series.front()->mainLine).x();
            crossLine->setLine(px, area.top(), px, area.bottom());
            crossLine->setVisible(px >= area.left() && px <= area.right());
        }
    }

    void hideReadout() {
        readout->hide();
        if (crossLine) crossLine->setVisible(false);
    }

    QSize exportSize() const {
        const QSize s = chart->size().toSize();
        if (view->isVisible() && s.width() >= 50 && s.height() >= 50) return s;
        return QSize(800, 500);
    }

    // Renders the chart (without the crosshair) into `painter` at logical size `size`.
    void render(QPainter& painter, QSize size) {
        q->flush();
        // The legend and title are laid out on a posted event: do it now so that an export
        // right after adding series is complete.
        for (QObject* o : {static_cast<QObject*>(chart), static_cast<QObject*>(chart->legend())})
            QCoreApplication::sendPostedEvents(o, QEvent::LayoutRequest);
        const bool crossWas = crossLine && crossLine->isVisible();
        if (crossLine) crossLine->setVisible(false);
        const QSizeF before = chart->size();
        if (chart->size().toSize() != size) chart->resize(size);
        const QRectF source(chart->scenePos(), QSizeF(size));
        painter.setRenderHint(QPainter::Antialiasing);
        painter.setRenderHint(QPainter::TextAntialiasing);
        chart->scene()->render(&painter, QRectF(QPointF(0, 0), QSizeF(size)), source);
        if (chart->size() != before) chart->resize(before);
        if (crossLine) crossLine->setVisible(crossWas);
    }
};

CurvePlot::View::View(QChart* chart, CurvePlot::Impl* impl, QWidget* parent)
    : QChartView(chart, parent), d(impl) {
    setRubberBand(QChartView::RectangleRubberBand);
    setMouseTracking(true);
    viewport()->setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    setRenderHint(QPainter::Antialiasing);
}

void CurvePlot::View::mousePressEvent(QMouseEvent* e) {
    if (e->button() == Qt::RightButton) {
        m_panning = true;
        m_last = e->position();
        setCursor(Qt::ClosedHandCursor);
        e->accept();
        return;
    }
    QChartView::mousePressEvent(e);
}

void CurvePlot::View::mouseMoveEvent(QMouseEvent* e) {
    if (m_panning) {
        const QPointF delta = e->position() - m_last;
        m_last = e->position();
        d->q->pan(-delta.x(), delta.y());
        e->accept();
        return;
    }
    const QRectF area = chart()->plotArea();
    const QPointF pos = e->position();
    if (area.contains(pos) && !d->series.empty()) {
        const QPointF v = chart()->mapToValue(pos, d->series.front()->mainLine);
        d->placeReadout(v.x(), pos.toPoint());
    } else {
        d->hideReadout();
    }
    if (pos.x() < area.left() && d->logY)
        QToolTip::showText(e->globalPosition().toPoint(), d->q->yAxisToolTip(), this);
    QChartView::mouseMoveEvent(e);
}

void CurvePlot::View::mouseReleaseEvent(QMouseEvent* e) {
    if (e->button() == Qt::RightButton) {
        // QChartView would zoom out on a right click; right drag pans here instead.
        m_panning = false;
        unsetCursor();
        e->accept();
        return;
    }
    QChartView::mouseReleaseEvent(e);
}

void CurvePlot::View::mouseDoubleClickEvent(QMouseEvent* e) {
    d->q->resetZoom();
    e->accept();
}

void CurvePlot::View::keyPressEvent(QKeyEvent* e) {
    const QRectF area = chart()->plotArea();
    const double sx = area.width() * 0.1, sy = area.height() * 0.1;
    switch (e->key()) {
    case Qt::Key_Left: d->q->pan(-sx, 0); break;
    case Qt::Key_Right: d->q->pan(sx, 0); break;
    case Qt::Key_Up: d->q->pan(0, sy); break;
    case Qt::Key_Down: d->q->pan(0, -sy); break;
    case Qt::Key_Home: d->q->resetZoom(); break;
    case Qt::Key_Plus:
    case Qt::Key_Equal:
        d->fixYTicks();
        chart()->zoomIn();
        break;
    case Qt::Key_Minus:
        d->fixYTicks();
        chart()->zoomOut();
        break;
    default: QChartView::keyPressEvent(e); return;
    }
    e->accept();
}

void CurvePlot::View::leaveEvent(QEvent* e) {
    d->hideReadout();
    QChartView::leaveEvent(e);
}

CurvePlot::CurvePlot(QWidget* parent) : QWidget(parent), d(std::make_unique<Impl>()) {
    d->q = this;
    d->chart = new QChart();
    d->chart->setMargins(QMargins(6, 6, 6, 6));
    d->chart->legend()->setAlignment(Qt::AlignBottom);
    d->xAxis = new QValueAxis();
    d->xAxis->setLabelFormat(QStringLiteral("%g"));
    d->yAxis = new QValueAxis();
    static_cast<QValueAxis*>(d->yAxis)->setLabelFormat(QStringLiteral("%g"));
    d->chart->addAxis(d->xAxis, Qt::AlignBottom);
    d->chart->addAxis(d->yAxis, Qt::AlignLeft);
    connect(d->xAxis, &QValueAxis::rangeChanged, this, [this] { d->onRangeChanged(); });
    d->connectYAxis();

    d->view = new View(d->chart, d.get(), this);
    d->view->setObjectName(QStringLiteral("chartView"));
    d->view->setMinimumSize(200, 150);

    d->markerLine = new QLineSeries();
    d->markerLine->setObjectName(QStringLiteral("markerSeries"));
    {
        Impl::RangeGuard g(d.get());
        d->chart->addSeries(d->markerLine);
        d->attach(d->markerLine);
    }
    d->markerLine->setVisible(false);
    d->markerText = new QGraphicsSimpleTextItem(d->chart);
    d->markerText->setVisible(false);
    d->markerText->setZValue(20);
    d->crossLine = new QGraphicsLineItem(d->chart);
    d->crossLine->setVisible(false);
    d->crossLine->setZValue(19);

    d->readout = new QLabel(d->view);
    d->readout->setObjectName(QStringLiteral("readout"));
    d->readout->setBackgroundRole(QPalette::ToolTipBase);
    d->readout->setForegroundRole(QPalette::ToolTipText);
    d->readout->setAutoFillBackground(true);
    d->readout->setFrameShape(QFrame::Box);
    d->readout->setMargin(4);
    d->readout->setAttribute(Qt::WA_TransparentForMouseEvents);
    d->readout->hide();

    d->timer = new QTimer(this);
    d->timer->setSingleShot(true);
    d->timer->setInterval(66);  // ~15 redraws per second at most
    connect(d->timer, &QTimer::timeout, this, [this] { d->redraw(); });

    // Controls: smoothing, log scale, export.
    d->controls = new QWidget(this);
    d->controls->setObjectName(QStringLiteral("plotControls"));
    auto* row = new QHBoxLayout(d->controls);
    row->setContentsMargins(0, 0, 0, 0);
    d->smoothCaption = new QLabel(tr("Smoothing"), d->controls);
    d->smoothSlider = new QSlider(Qt::Horizontal, d->controls);
    d->smoothSlider->setObjectName(QStringLiteral("smoothingSlider"));
    d->smoothSlider->setRange(0, static_cast<int>(kMaxSmoothing * kSliderSteps));
    d->smoothSlider->setToolTip(tr("Exponential moving average weight (as in TensorBoard); the raw "
                                   "curve stays faint underneath"));
    d->smoothSlider->setMaximumWidth(220);
    d->smoothValue = new QLabel(QStringLiteral("0.000"), d->controls);
    d->smoothValue->setMinimumWidth(d->smoothValue->fontMetrics().horizontalAdvance(QStringLiteral("0.0000")));
    d->logCheck = new QCheckBox(tr("Log y"), d->controls);
    d->logCheck->setObjectName(QStringLiteral("logYCheck"));
    d->logCheck->setToolTip(tr("Logarithmic y axis; values ≤ 0 cannot be shown and are left out"));
    d->exportButton = new QToolButton(d->controls);
    d->exportButton->setObjectName(QStringLiteral("exportButton"));
    d->exportButton->setText(tr("Export"));
    d->exportButton->setPopupMode(QToolButton::InstantPopup);
    auto* menu = new QMenu(d->exportButton);
    menu->addAction(tr("PNG image…"), this, &CurvePlot::exportPngInteractive);
    menu->addAction(tr("SVG drawing…"), this, &CurvePlot::exportSvgInteractive);
    menu->addAction(tr("CSV data…"), this, &CurvePlot::exportCsvInteractive);
    d->exportButton->setMenu(menu);
    row->addWidget(d->smoothCaption);
    row->addWidget(d->smoothSlider);
    row->addWidget(d->smoothValue);
    row->addSpacing(12);
    row->addWidget(d->logCheck);
    row->addStretch(1);
    row->addWidget(d->exportButton);
    connect(d->smoothSlider, &QSlider::valueChanged, this,
            [this](int v) { setSmoothing(static_cast<double>(v) / kSliderSteps); });
    connect(d->logCheck, &QCheckBox::toggled, this, &CurvePlot::setLogY);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(d->controls);
    layout->addWidget(d->view, 1);

    d->applyTheme();
    d->fitAxes();
}

CurvePlot::~CurvePlot() = default;

void CurvePlot::setTitle(const QString& title) { d->chart->setTitle(title); }
QString CurvePlot::title() const { return d->chart->title(); }

void CurvePlot::setAxisTitles(const QString& x, const QString& y) {
    d->xTitle = x;
    d->yTitle = y;
    d->xAxis->setTitleText(x);
    d->updateYTitle();
}
QString CurvePlot::xAxisTitle() const { return d->xAxis->titleText(); }
QString CurvePlot::yAxisTitle() const { return d->yAxis->titleText(); }

void CurvePlot::addSeries(const QString& name, const QColor& colour, Style style, bool smoothable) {
    if (d->find(name)) return;
    auto s = std::make_unique<Impl::Series>();
    s->name = name;
    s->colour = colour.isValid() ? colour : Project::paletteColour(d->nextColour);
    ++d->nextColour;
    s->style = style;
    s->smoothable = smoothable;
    s->rawLine = new QLineSeries();
    s->rawLine->setName(name + tr(" (raw)"));
    s->mainLine = new QLineSeries();
    s->mainLine->setName(name);
    {
        Impl::RangeGuard g(d.get());
        d->chart->addSeries(s->rawLine);
        d->chart->addSeries(s->mainLine);
        d->attach(s->rawLine);
        d->attach(s->mainLine);
    }
    d->applyPens(*s);
    s->rawLine->setVisible(false);
    for (QLegendMarker* m : d->chart->legend()->markers(s->mainLine))
        connect(m, &QLegendMarker::clicked, this, [this, name] { setSeriesVisible(name, !isSeriesVisible(name)); });
    d->series.push_back(std::move(s));
    d->hideRawLegendMarkers();
    d->markDirty();
}

bool CurvePlot::hasSeries(const QString& name) const { return d->find(name) != nullptr; }

void CurvePlot::removeSeries(const QString& name) {
    const auto it = std::find_if(d->series.begin(), d->series.end(),
                                 [&](const auto& s) { return s->name == name; });
    if (it == d->series.end()) return;
    {
        Impl::RangeGuard g(d.get());
        d->chart->removeSeries((*it)->rawLine);
        d->chart->removeSeries((*it)->mainLine);
    }
    delete (*it)->rawLine;
    delete (*it)->mainLine;
    d->series.erase(it);
    d->markDirty();
}

void CurvePlot::clearSeries() {
    while (!d->series.empty()) removeSeries(d->series.back()->name);
    d->nextColour = 0;
    clearMarker();
}

void CurvePlot::clearPoints() {
    for (const auto& s : d->series) {
        s->raw.clear();
        s->smoothed.clear();
        s->emaLast = 0;
        s->sorted = true;
        s->dirty = true;
    }
    d->markDirty();
}

QStringList CurvePlot::seriesNames() const {
    QStringList names;
    for (const auto& s : d->series) names << s->name;
    return names;
}

QColor CurvePlot::seriesColour(const QString& name) const {
    const auto* s = d->find(name);
    return s ? s->colour : QColor();
}

void CurvePlot::setSeriesColour(const QString& name, const QColor& colour) {
    if (auto* s = d->find(name); s && colour.isValid()) {
        s->colour = colour;
        d->applyPens(*s);
    }
}

void CurvePlot::setSeriesVisible(const QString& name, bool visible) {
    auto* s = d->find(name);
    if (!s || s->visible == visible) return;
    s->visible = visible;
    s->dirty = true;
    d->markDirty();
}

bool CurvePlot::isSeriesVisible(const QString& name) const {
    const auto* s = d->find(name);
    return s && s->visible;
}

void CurvePlot::appendPoints(const QString& name, const QList<QPointF>& points) {
    Impl::Series* s = d->find(name);
    if (!s) {
        addSeries(name);
        s = d->find(name);
    }
    s->raw.reserve(s->raw.size() + static_cast<std::size_t>(points.size()));
    for (const QPointF& p : points) {
        if (!std::isfinite(p.x()) || !std::isfinite(p.y())) continue;
        if (!s->raw.empty() && p.x() < s->raw.back().x()) s->sorted = false;
        s->raw.push_back(p);
        d->pushSmoothed(*s, p.y());
    }
    s->dirty = true;
    d->markDirty();
}

void CurvePlot::setPoints(const QString& name, const QList<QPointF>& points) {
    if (Impl::Series* s = d->find(name)) {
        s->raw.clear();
        s->smoothed.clear();
        s->emaLast = 0;
        s->sorted = true;
    }
    appendPoints(name, points);
}

void CurvePlot::setSmoothing(double weight) {
    if (!std::isfinite(weight)) weight = 0;
    weight = std::clamp(weight, 0.0, kMaxSmoothing);
    {
        const QSignalBlocker block(d->smoothSlider);
        d->smoothSlider->setValue(static_cast<int>(std::lround(weight * kSliderSteps)));
    }
    d->smoothValue->setText(QString::number(weight, 'f', 3));
    if (weight == d->weight) return;
    d->weight = weight;
    for (const auto& s : d->series) d->resmooth(*s);
    d->markDirty();
    Q_EMIT smoothingChanged(weight);
}

double CurvePlot::smoothing() const { return d->weight; }

std::vector<double> CurvePlot::smoothEma(const std::vector<double>& values, double weight) {
    std::vector<double> out;
    out.reserve(values.size());
    double last = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
        last = weight * last + (1 - weight) * values[i];
        const double debias = 1 - std::pow(weight, static_cast<double>(i + 1));
        out.push_back(debias > 0 ? last / debias : values[i]);
    }
    return out;
}

void CurvePlot::setLogY(bool on) {
    {
        const QSignalBlocker block(d->logCheck);
        d->logCheck->setChecked(on);
    }
    if (on == d->logY) return;
    Impl::RangeGuard g(d.get());
    d->logY = on;
    d->chart->removeAxis(d->yAxis);  // detaches every series
    delete d->yAxis;
    if (on) {
        auto* a = new QLogValueAxis();
        a->setBase(10);
        a->setLabelFormat(QStringLiteral("%g"));
        a->setMinorTickCount(-1);
        d->yAxis = a;
    } else {
        auto* a = new QValueAxis();
        a->setLabelFormat(QStringLiteral("%g"));
        d->yAxis = a;
    }
    d->chart->addAxis(d->yAxis, Qt::AlignLeft);
    // A log axis must not see the non-positive points of the linear view: clear them first.
    for (const auto& s : d->series) {
        s->mainLine->clear();
        s->rawLine->clear();
        s->rawLine->attachAxis(d->yAxis);
        s->mainLine->attachAxis(d->yAxis);
        s->dirty = true;
    }
    d->markerLine->clear();
    d->markerLine->attachAxis(d->yAxis);
    d->connectYAxis();
    d->updateYTitle();
    d->applyTheme();
    d->zoomed = false;
    d->redraw();
    Q_EMIT logYChanged(on);
}

bool CurvePlot::isLogY() const { return d->logY; }

int CurvePlot::logOmittedCount() const {
    int n = 0;
    if (d->logY)
        for (const auto& s : d->series)
            if (s->visible) n += s->omitted;
    return n;
}

QString CurvePlot::yAxisToolTip() const {
    if (!d->logY) return {};
    const int n = logOmittedCount();
    if (n == 0) return tr("Log scale (base 10).");
    return tr("Log scale (base 10): %n point(s) with y ≤ 0 cannot be drawn and are left out.", "", n);
}

void CurvePlot::setSmoothingControlVisible(bool visible) {
    d->smoothCaption->setVisible(visible);
    d->smoothSlider->setVisible(visible);
    d->smoothValue->setVisible(visible);
}
void CurvePlot::setLogControlVisible(bool visible) { d->logCheck->setVisible(visible); }
void CurvePlot::setExportControlVisible(bool visible) { d->exportButton->setVisible(visible); }
void CurvePlot::setExportBaseName(const QString& name) { d->exportBase = name; }

void CurvePlot::setMarker(double x, const QString& label) {
    if (!std::isfinite(x)) return clearMarker();
    d->markerX = x;
    d->markerLabel = label;
    d->updateMarker();
    d->hideRawLegendMarkers();
}

void CurvePlot::clearMarker() {
    d->markerX.reset();
    d->markerLabel.clear();
    d->updateMarker();
}

bool CurvePlot::hasMarker() const { return d->markerX.has_value(); }
std::optional<double> CurvePlot::markerX() const { return d->markerX; }
QString CurvePlot::markerLabel() const { return d->markerLabel; }

void CurvePlot::resetZoom() {
    d->zoomed = false;
    d->fitAxes();
    d->updateMarker();
}

bool CurvePlot::isZoomed() const { return d->zoomed; }

void CurvePlot::zoomToRect(double x0, double x1, double y0, double y1) {
    {
        Impl::RangeGuard g(d.get());
        d->xAxis->setRange(std::min(x0, x1), std::max(x0, x1));
        d->setYRange(std::min(y0, y1), std::max(y0, y1));
    }
    d->zoomed = true;
    d->updateMarker();
}

void CurvePlot::pan(double dxPixels, double dyPixels) {
    d->fixYTicks();
    d->chart->scroll(dxPixels, dyPixels);
    d->zoomed = true;
}

double CurvePlot::xMin() const { return d->xAxis->min(); }
double CurvePlot::xMax() const { return d->xAxis->max(); }
double CurvePlot::yMin() const { return d->yRange().first; }
double CurvePlot::yMax() const { return d->yRange().second; }

void CurvePlot::showReadoutAt(double x) {
    flush();
    d->placeReadout(x, d->chart->plotArea().topLeft().toPoint());
}
void CurvePlot::hideReadout() { d->hideReadout(); }
QString CurvePlot::readoutText() const { return d->readout->isVisibleTo(d->view) ? d->readout->text() : QString(); }

QSize CurvePlot::exportSize() const { return d->exportSize(); }

bool CurvePlot::exportPng(const QString& path, QString* error) {
    const QSize size = exportSize();
    constexpr qreal dpr = 2.0;
    QImage image(size * dpr, QImage::Format_ARGB32_Premultiplied);
    image.setDevicePixelRatio(dpr);
    image.fill(palette().color(QPalette::Window));
    {
        QPainter painter(&image);
        d->render(painter, size);
    }
    if (!image.save(path, "PNG")) {
        if (error) *error = tr("Cannot write %1").arg(path);
        return false;
    }
    return true;
}

bool CurvePlot::exportSvg(const QString& path, QString* error) {
    const QSize size = exportSize();
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        if (error) *error = tr("Cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    QSvgGenerator svg;
    svg.setOutputDevice(&file);
    svg.setSize(size);
    svg.setViewBox(QRect(QPoint(0, 0), size));
    svg.setTitle(title().isEmpty() ? d->exportBase : title());
    svg.setDescription(tr("Exported from VAE-CF Studio"));
    QPainter painter;
    if (!painter.begin(&svg)) {
        if (error) *error = tr("Cannot draw into %1").arg(path);
        return false;
    }
    painter.fillRect(QRect(QPoint(0, 0), size), palette().color(QPalette::Window));
    d->render(painter, size);
    painter.end();
    file.close();
    if (file.error() != QFileDevice::NoError) {
        if (error) *error = tr("Cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

QString CurvePlot::csvText() {
    flush();
    QString out;
    QTextStream ts(&out);
    ts << "series,x,raw,smoothed\n";
    auto quote = [](QString s) {
        if (s.contains(QLatin1Char(',')) || s.contains(QLatin1Char('"')) || s.contains(QLatin1Char('\n')))
            s = QLatin1Char('"') + s.replace(QLatin1Char('"'), QStringLiteral("\"\"")) + QLatin1Char('"');
        return s;
    };
    for (const auto& sp : d->series) {
        const Impl::Series& s = *sp;
        if (!s.visible) continue;
        const QString name = quote(s.name);
        for (std::size_t i = 0; i < s.raw.size(); ++i) {
            const double r = s.raw[i].y();
            const double sm = d->yValue(s, i);
            const bool rawDrawn = !d->logY || r > 0;
            const bool smDrawn = !d->logY || sm > 0;
            if (!rawDrawn && !smDrawn) continue;
            ts << name << ',' << num(s.raw[i].x()) << ',' << (rawDrawn ? num(r) : QString()) << ','
               << (smDrawn ? num(sm) : QString()) << '\n';
        }
    }
    ts.flush();
    return out;
}

bool CurvePlot::exportCsv(const QString& path, QString* error) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text)) {
        if (error) *error = tr("Cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    file.write(csvText().toUtf8());
    if (!file.commit()) {
        if (error) *error = tr("Cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

void CurvePlot::exportPngInteractive() {
    const QString path = QFileDialog::getSaveFileName(this, tr("Export chart as PNG"), d->exportBase + QStringLiteral(".png"),
                                                      tr("PNG images (*.png)"));
    if (path.isEmpty()) return;
    QString error;
    if (!exportPng(path, &error)) QMessageBox::warning(this, tr("Export failed"), error);
}

void CurvePlot::exportSvgInteractive() {
    const QString path = QFileDialog::getSaveFileName(this, tr("Export chart as SVG"), d->exportBase + QStringLiteral(".svg"),
                                                      tr("SVG drawings (*.svg)"));
    if (path.isEmpty()) return;
    QString error;
    if (!exportSvg(path, &error)) QMessageBox::warning(this, tr("Export failed"), error);
}

void CurvePlot::exportCsvInteractive() {
    const QString path = QFileDialog::getSaveFileName(this, tr("Export chart data as CSV"), d->exportBase + QStringLiteral(".csv"),
                                                      tr("CSV files (*.csv)"));
    if (path.isEmpty()) return;
    QString error;
    if (!exportCsv(path, &error)) QMessageBox::warning(this, tr("Export failed"), error);
}

int CurvePlot::pointCount(const QString& name) const {
    const auto* s = d->find(name);
    return s ? static_cast<int>(s->raw.size()) : 0;
}

std::vector<double> CurvePlot::rawValues(const QString& name) const {
    std::vector<double> v;
    if (const auto* s = d->find(name))
        for (const QPointF& p : s->raw) v.push_back(p.y());
    return v;
}

std::vector<double> CurvePlot::xValues(const QString& name) const {
    std::vector<double> v;
    if (const auto* s = d->find(name))
        for (const QPointF& p : s->raw) v.push_back(p.x());
    return v;
}

std::vector<double> CurvePlot::smoothedValues(const QString& name) const {
    std::vector<double> v;
    if (const auto* s = d->find(name))
        for (std::size_t i = 0; i < s->raw.size(); ++i) v.push_back(d->yValue(*s, i));
    return v;
}

int CurvePlot::drawnPointCount(const QString& name) const {
    const auto* s = d->find(name);
    return s ? static_cast<int>(s->mainLine->count()) : 0;
}

QColor CurvePlot::drawnColour(const QString& name) const {
    const auto* s = d->find(name);
    return s ? s->mainLine->pen().color() : QColor();
}

bool CurvePlot::isDirty() const { return d->dirty; }

void CurvePlot::flush() {
    if (d->dirty) d->redraw();
}

void CurvePlot::changeEvent(QEvent* event) {
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::StyleChange) d->applyTheme();
}

}  // namespace vaecf::ui
