// SPDX-License-Identifier: MIT
#include "widgets/latent_scatter.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <QFile>
#include <QFontMetricsF>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QSvgGenerator>
#include <QTextStream>
#include <QToolTip>
#include <QWheelEvent>

#include "session/project.h"

namespace vaecf::ui {

namespace {

constexpr double kTitleHeight = 30;

QColor viridis(double t) {
    // matplotlib's viridis at nine evenly spaced stops: perceptually uniform and readable by
    // colour-blind viewers, on light and dark backgrounds alike.
    static const QColor stops[] = {QColor(0x44, 0x01, 0x54), QColor(0x47, 0x2d, 0x7b),
                                   QColor(0x3b, 0x52, 0x8b), QColor(0x2c, 0x72, 0x8e),
                                   QColor(0x21, 0x91, 0x8c), QColor(0x28, 0xae, 0x80),
                                   QColor(0x5e, 0xc9, 0x62), QColor(0xad, 0xdc, 0x30),
                                   QColor(0xfd, 0xe7, 0x25)};
    constexpr int n = static_cast<int>(std::size(stops));
    if (!(t >= 0)) t = 0;
    if (t > 1) t = 1;
    const double f = t * (n - 1);
    const int i = std::min(n - 2, static_cast<int>(f));
    const double u = f - i;
    const QColor& a = stops[i];
    const QColor& b = stops[i + 1];
    return QColor::fromRgbF(static_cast<float>(a.redF() + (b.redF() - a.redF()) * u),
                            static_cast<float>(a.greenF() + (b.greenF() - a.greenF()) * u),
                            static_cast<float>(a.blueF() + (b.blueF() - a.blueF()) * u));
}

QColor unknownColour() { return QColor(0x90, 0x90, 0x90); }

QString csvField(const QString& s) {
    if (!s.contains(QLatin1Char(',')) && !s.contains(QLatin1Char('"')) && !s.contains(QLatin1Char('\n')))
        return s;
    QString q = s;
    q.replace(QLatin1String("\""), QLatin1String("\"\""));
    return QLatin1Char('"') + q + QLatin1Char('"');
}

QPainterPath diamond(QPointF c, double r) {
    QPainterPath path;
    path.moveTo(c.x(), c.y() - r);
    path.lineTo(c.x() + r, c.y());
    path.lineTo(c.x(), c.y() + r);
    path.lineTo(c.x() - r, c.y());
    path.closeSubpath();
    return path;
}

}  // namespace

LatentScatter::LatentScatter(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("latentScatter"));
    setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    setAttribute(Qt::WA_OpaquePaintEvent);
}

LatentScatter::~LatentScatter() = default;

void LatentScatter::setPoints(std::vector<float> xy, bool refit) {
    m_xy = std::move(xy);
    const int n = pointCount();
    if (static_cast<int>(m_rgb.size()) != n) {
        // Colours belong to the previous point set; keep them only when the count matches
        // (live t-SNE updates move the same points).
        if (m_mode == Mode::Categorical && static_cast<int>(m_category.size()) != n) m_mode = Mode::Uniform;
        if (m_mode == Mode::Continuous && static_cast<int>(m_values.size()) != n) m_mode = Mode::Uniform;
        recolour();
    }
    if (m_hovered >= n) m_hovered = -1;
    if (m_selected >= n) m_selected = -1;
    std::erase_if(m_highlighted, [n](int i) { return i >= n; });
    std::erase_if(m_neighbours, [n](int i) { return i >= n; });
    m_isHighlighted.assign(static_cast<std::size_t>(n), 0);
    for (int i : m_highlighted) m_isHighlighted[static_cast<std::size_t>(i)] = 1;
    rebuildGrid();
    if (refit) resetView();
    invalidate();
}

void LatentScatter::clear() {
    m_highlighted.clear();
    m_neighbours.clear();
    m_selected = -1;
    m_special.clear();
    m_hasEllipse = false;
    m_hasTraversal = false;
    m_labels.clear();
    m_category.clear();
    m_values.clear();
    m_mode = Mode::Uniform;
    setPoints({}, true);
}

QPointF LatentScatter::pointPosition(int index) const {
    if (index < 0 || index >= pointCount()) return {};
    return {m_xy[2 * static_cast<std::size_t>(index)], m_xy[2 * static_cast<std::size_t>(index) + 1]};
}

void LatentScatter::setCategories(std::vector<std::int32_t> category, QStringList names) {
    m_mode = Mode::Categorical;
    m_category = std::move(category);
    m_categoryNames = std::move(names);
    m_values.clear();
    recolour();
    invalidate();
}

void LatentScatter::setValues(std::vector<float> values, const QString& label, bool logScale) {
    m_mode = Mode::Continuous;
    m_values = std::move(values);
    m_valueLabel = label;
    m_logScale = logScale;
    m_category.clear();
    m_categoryNames.clear();
    recolour();
    invalidate();
}

void LatentScatter::setUniformColour() {
    m_mode = Mode::Uniform;
    m_category.clear();
    m_categoryNames.clear();
    m_values.clear();
    recolour();
    invalidate();
}

void LatentScatter::recolour() {
    const int n = pointCount();
    m_rgb.assign(static_cast<std::size_t>(n), Project::paletteColour(0).rgb());
    if (m_mode == Mode::Categorical) {
        for (int i = 0; i < n && i < static_cast<int>(m_category.size()); ++i) {
            const int c = m_category[static_cast<std::size_t>(i)];
            m_rgb[static_cast<std::size_t>(i)] = (c < 0 ? unknownColour() : Project::paletteColour(c)).rgb();
        }
    } else if (m_mode == Mode::Continuous) {
        m_min = std::numeric_limits<float>::infinity();
        m_max = -std::numeric_limits<float>::infinity();
        for (float v : m_values)
            if (std::isfinite(v)) {
                m_min = std::min(m_min, v);
                m_max = std::max(m_max, v);
            }
        if (!(m_min <= m_max)) m_min = m_max = 0;
        auto tr = [this](double v) { return m_logScale ? std::log1p(std::max(0.0, v)) : v; };
        const double lo = tr(m_min), hi = tr(m_max);
        for (int i = 0; i < n && i < static_cast<int>(m_values.size()); ++i) {
            const float v = m_values[static_cast<std::size_t>(i)];
            m_rgb[static_cast<std::size_t>(i)] =
                (std::isfinite(v) ? viridis(hi > lo ? (tr(v) - lo) / (hi - lo) : 0.5) : unknownColour()).rgb();
        }
    }
}

QColor LatentScatter::pointColour(int index) const {
    if (index < 0 || index >= static_cast<int>(m_rgb.size())) return {};
    return QColor::fromRgb(m_rgb[static_cast<std::size_t>(index)]);
}

QString LatentScatter::colourText(int index) const {
    const auto i = static_cast<std::size_t>(index);
    if (m_mode == Mode::Categorical && i < m_category.size()) {
        const int c = m_category[i];
        return c >= 0 && c < m_categoryNames.size() ? m_categoryNames[c] : QString();
    }
    if (m_mode == Mode::Continuous && i < m_values.size() && std::isfinite(m_values[i]))
        return QString::number(m_values[i], 'g', 6);
    return {};
}

QString LatentScatter::hoverText(int index) const {
    if (index < 0 || index >= pointCount()) return {};
    if (m_tooltip) return m_tooltip(index);
    return index < static_cast<int>(m_labels.size()) ? m_labels[static_cast<std::size_t>(index)]
                                                     : QString::number(index);
}

void LatentScatter::setHighlighted(std::vector<int> indices) {
    const int n = pointCount();
    std::erase_if(indices, [n](int i) { return i < 0 || i >= n; });
    m_highlighted = std::move(indices);
    m_isHighlighted.assign(static_cast<std::size_t>(n), 0);
    for (int i : m_highlighted) m_isHighlighted[static_cast<std::size_t>(i)] = 1;
    if (m_isolate) invalidate();
    else update();
}

void LatentScatter::setIsolateHighlighted(bool isolate) {
    if (m_isolate == isolate) return;
    m_isolate = isolate;
    invalidate();
}

void LatentScatter::setSelected(int index) {
    m_selected = index >= 0 && index < pointCount() ? index : -1;
    update();
}

void LatentScatter::setNeighbours(std::vector<int> indices) {
    const int n = pointCount();
    std::erase_if(indices, [n](int i) { return i < 0 || i >= n; });
    m_neighbours = std::move(indices);
    update();
}

void LatentScatter::setSpecialPoints(std::vector<float> xy, const QString& name) {
    m_special = std::move(xy);
    m_specialName = name;
    update();
}

void LatentScatter::setEllipse(QPointF centre, QSizeF radii) {
    m_hasEllipse = true;
    m_ellipseCentre = centre;
    m_ellipseRadii = radii;
    update();
}

void LatentScatter::clearEllipse() {
    m_hasEllipse = false;
    update();
}

void LatentScatter::setTraversalEnabled(bool enabled) {
    m_traversalEnabled = enabled;
    if (!enabled) m_hasTraversal = false;
    update();
}

void LatentScatter::setTraversalPosition(QPointF mapPos) {
    if (!m_traversalEnabled) return;
    m_hasTraversal = true;
    m_traversal = mapPos;
    update();
    Q_EMIT traversalMoved(mapPos);
}

void LatentScatter::rebuildGrid() {
    const int n = pointCount();
    m_gridStart.clear();
    m_gridPoints.clear();
    m_gridW = m_gridH = 0;
    if (n == 0) {
        m_bounds = QRectF(-1, -1, 2, 2);
        return;
    }
    float x0 = m_xy[0], x1 = m_xy[0], y0 = m_xy[1], y1 = m_xy[1];
    for (int i = 1; i < n; ++i) {
        const float x = m_xy[2 * static_cast<std::size_t>(i)], y = m_xy[2 * static_cast<std::size_t>(i) + 1];
        x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
    }
    m_bounds = QRectF(QPointF(x0, y0), QPointF(x1, y1));
    if (m_bounds.width() <= 0) m_bounds.adjust(-0.5, 0, 0.5, 0);
    if (m_bounds.height() <= 0) m_bounds.adjust(0, -0.5, 0, 0.5);
    // About four points per cell on average keeps hover lookups constant-time.
    const int side = std::clamp(static_cast<int>(std::sqrt(n / 4.0)), 1, 1024);
    m_gridW = m_gridH = side;
    auto cellOf = [&](int i) {
        const double fx = (m_xy[2 * static_cast<std::size_t>(i)] - m_bounds.left()) / m_bounds.width();
        const double fy = (m_xy[2 * static_cast<std::size_t>(i) + 1] - m_bounds.top()) / m_bounds.height();
        const int cx = std::clamp(static_cast<int>(fx * m_gridW), 0, m_gridW - 1);
        const int cy = std::clamp(static_cast<int>(fy * m_gridH), 0, m_gridH - 1);
        return cy * m_gridW + cx;
    };
    m_gridStart.assign(static_cast<std::size_t>(m_gridW * m_gridH + 1), 0);
    std::vector<int> cells(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        cells[static_cast<std::size_t>(i)] = cellOf(i);
        ++m_gridStart[static_cast<std::size_t>(cells[static_cast<std::size_t>(i)]) + 1];
    }
    for (std::size_t c = 1; c < m_gridStart.size(); ++c) m_gridStart[c] += m_gridStart[c - 1];
    m_gridPoints.resize(static_cast<std::size_t>(n));
    std::vector<int> fill(m_gridStart.begin(), m_gridStart.end() - 1);
    for (int i = 0; i < n; ++i) m_gridPoints[static_cast<std::size_t>(fill[static_cast<std::size_t>(cells[static_cast<std::size_t>(i)])]++)] = i;
}

int LatentScatter::pointAt(QPointF widgetPos, double radius) const {
    if (m_gridW == 0) return -1;
    const double scale = m_fitScale * m_zoom;
    const QPointF m = widgetToMap(widgetPos);
    const double r = radius / scale;
    auto cx = [&](double x) {
        return std::clamp(static_cast<int>((x - m_bounds.left()) / m_bounds.width() * m_gridW), 0, m_gridW - 1);
    };
    auto cy = [&](double y) {
        return std::clamp(static_cast<int>((y - m_bounds.top()) / m_bounds.height() * m_gridH), 0, m_gridH - 1);
    };
    if (m.x() + r < m_bounds.left() || m.x() - r > m_bounds.right() || m.y() + r < m_bounds.top() ||
        m.y() - r > m_bounds.bottom())
        return -1;
    int best = -1;
    double bestD = r * r;
    const bool isolate = m_isolate && !m_highlighted.empty();
    for (int y = cy(m.y() - r); y <= cy(m.y() + r); ++y)
        for (int x = cx(m.x() - r); x <= cx(m.x() + r); ++x) {
            const int c = y * m_gridW + x;
            for (int k = m_gridStart[static_cast<std::size_t>(c)]; k < m_gridStart[static_cast<std::size_t>(c) + 1]; ++k) {
                const int i = m_gridPoints[static_cast<std::size_t>(k)];
                if (isolate && !m_isHighlighted[static_cast<std::size_t>(i)]) continue;
                const double dx = m_xy[2 * static_cast<std::size_t>(i)] - m.x();
                const double dy = m_xy[2 * static_cast<std::size_t>(i) + 1] - m.y();
                const double d = dx * dx + dy * dy;
                if (d <= bestD) {
                    bestD = d;
                    best = i;
                }
            }
        }
    return best;
}

void LatentScatter::resetView() {
    m_centre = m_bounds.center();
    const double w = std::max(1.0, width() - 24.0), h = std::max(1.0, height() - 24.0);
    m_fitScale = std::min(w / m_bounds.width(), h / m_bounds.height());
    if (!std::isfinite(m_fitScale) || m_fitScale <= 0) m_fitScale = 1;
    m_zoom = 1;
    invalidate();
}

QPointF LatentScatter::mapToWidget(QPointF p, QSizeF size) const {
    const double s = m_fitScale * m_zoom;
    return {size.width() / 2 + (p.x() - m_centre.x()) * s, size.height() / 2 - (p.y() - m_centre.y()) * s};
}

QPointF LatentScatter::mapToWidget(QPointF mapPos) const { return mapToWidget(mapPos, QSizeF(size())); }

QPointF LatentScatter::widgetToMap(QPointF w) const {
    const double s = m_fitScale * m_zoom;
    return {m_centre.x() + (w.x() - width() / 2.0) / s, m_centre.y() - (w.y() - height() / 2.0) / s};
}

double LatentScatter::pointSize() const {
    const int n = pointCount();
    return n <= 2000 ? 5 : n <= 20000 ? 3.5 : n <= 100000 ? 2.5 : 2;
}

void LatentScatter::invalidate() {
    m_cacheValid = false;
    update();
}

void LatentScatter::rasterize(QImage& image, QSizeF logical, double dpr) const {
    image.fill(palette().color(QPalette::Base));
    const int n = pointCount();
    const int w = image.width(), h = image.height();
    const int side = std::max(1, static_cast<int>(std::lround(pointSize() * dpr)));
    const int half = side / 2;
    const double s = m_fitScale * m_zoom * dpr;
    const double ox = logical.width() * dpr / 2, oy = logical.height() * dpr / 2;
    const QColor base = palette().color(QPalette::Base);
    const bool isolate = m_isolate && !m_highlighted.empty();
    // Points are written straight into the pixels: a QPainter call per point would cost more
    // than the whole rest of the frame at 100k points.
    for (int i = 0; i < n; ++i) {
        const double x = ox + (m_xy[2 * static_cast<std::size_t>(i)] - m_centre.x()) * s;
        const double y = oy - (m_xy[2 * static_cast<std::size_t>(i) + 1] - m_centre.y()) * s;
        const int px = static_cast<int>(std::floor(x)) - half, py = static_cast<int>(std::floor(y)) - half;
        if (px + side <= 0 || py + side <= 0 || px >= w || py >= h) continue;
        QRgb c = m_rgb[static_cast<std::size_t>(i)];
        if (isolate && !m_isHighlighted[static_cast<std::size_t>(i)]) {
            // Dimmed towards the background rather than hidden: the context stays visible.
            c = qRgb((qRed(c) + 3 * base.red()) / 4, (qGreen(c) + 3 * base.green()) / 4,
                     (qBlue(c) + 3 * base.blue()) / 4);
        }
        for (int yy = std::max(0, py); yy < std::min(h, py + side); ++yy) {
            auto* line = reinterpret_cast<QRgb*>(image.scanLine(yy));
            for (int xx = std::max(0, px); xx < std::min(w, px + side); ++xx) line[xx] = c;
        }
    }
}

void LatentScatter::paintOverlays(QPainter& p, QSizeF size) const {
    p.setRenderHint(QPainter::Antialiasing, true);
    const QColor text = palette().color(QPalette::Text);
    const QColor base = palette().color(QPalette::Base);
    const QColor accent = palette().color(QPalette::Highlight);
    const double ps = pointSize();
    const double s = m_fitScale * m_zoom;
    if (m_hasEllipse) {
        const QPointF c = mapToWidget(m_ellipseCentre, size);
        QColor fill = accent;
        fill.setAlpha(28);
        p.setPen(QPen(accent, 1.5, Qt::DashLine));
        p.setBrush(fill);
        p.drawEllipse(c, std::max(2.0, m_ellipseRadii.width() * s), std::max(2.0, m_ellipseRadii.height() * s));
    }
    p.setPen(QPen(text, 1));
    for (int i : m_highlighted) {
        const QPointF c = mapToWidget(pointPosition(i), size);
        p.setBrush(pointColour(i));
        p.drawEllipse(c, ps + 1.5, ps + 1.5);
    }
    p.setBrush(Qt::NoBrush);
    p.setPen(QPen(accent, 2));
    for (int i : m_neighbours) p.drawEllipse(mapToWidget(pointPosition(i), size), ps + 3, ps + 3);
    for (std::size_t k = 0; k + 1 < m_special.size(); k += 2) {
        const QPointF c = mapToWidget(QPointF(m_special[k], m_special[k + 1]), size);
        p.setPen(QPen(base, 1));
        p.setBrush(text);
        p.drawPath(diamond(c, ps + 3));
    }
    if (m_selected >= 0) {
        const QPointF c = mapToWidget(pointPosition(m_selected), size);
        p.setPen(QPen(base, 3));
        p.setBrush(pointColour(m_selected));
        p.drawEllipse(c, ps + 4, ps + 4);
        p.setPen(QPen(text, 1.5));
        p.setBrush(Qt::NoBrush);
        p.drawEllipse(c, ps + 5.5, ps + 5.5);
    }
    if (m_hasTraversal) {
        const QPointF c = mapToWidget(m_traversal, size);
        p.setPen(QPen(base, 4));
        p.drawLine(c - QPointF(12, 0), c + QPointF(12, 0));
        p.drawLine(c - QPointF(0, 12), c + QPointF(0, 12));
        p.setPen(QPen(text, 1.5));
        p.drawLine(c - QPointF(12, 0), c + QPointF(12, 0));
        p.drawLine(c - QPointF(0, 12), c + QPointF(0, 12));
        p.drawEllipse(c, 6, 6);
    }
}

void LatentScatter::paintLegend(QPainter& p, QSizeF size) const {
    const QColor text = palette().color(QPalette::Text);
    QColor box = palette().color(QPalette::Base);
    box.setAlpha(215);
    const QFontMetricsF fm(p.font());
    const double line = fm.height() + 2;
    p.setRenderHint(QPainter::Antialiasing, true);
    if (m_mode == Mode::Categorical && !m_categoryNames.isEmpty()) {
        constexpr int kMaxRows = 16;
        const int rows = std::min<int>(static_cast<int>(m_categoryNames.size()), kMaxRows);
        const bool more = m_categoryNames.size() > kMaxRows;
        double w = 0;
        for (int i = 0; i < rows; ++i) w = std::max(w, fm.horizontalAdvance(m_categoryNames[i]));
        const double bw = w + 30, bh = line * (rows + (more ? 1 : 0) + (m_special.empty() ? 0 : 1)) + 8;
        const QRectF r(size.width() - bw - 8, 8, bw, bh);
        p.setPen(QPen(palette().color(QPalette::Mid), 1));
        p.setBrush(box);
        p.drawRoundedRect(r, 4, 4);
        for (int i = 0; i < rows; ++i) {
            const double y = r.top() + 4 + i * line;
            p.setPen(Qt::NoPen);
            p.setBrush(Project::paletteColour(i));
            p.drawRect(QRectF(r.left() + 8, y + line / 2 - 5, 10, 10));
            p.setPen(text);
            p.drawText(QRectF(r.left() + 24, y, w + 4, line), Qt::AlignVCenter | Qt::AlignLeft, m_categoryNames[i]);
        }
        double y = r.top() + 4 + rows * line;
        if (more) {
            p.setPen(text);
            p.drawText(QRectF(r.left() + 24, y, w + 4, line), Qt::AlignVCenter | Qt::AlignLeft,
                       tr("+%n more", nullptr, static_cast<int>(m_categoryNames.size()) - kMaxRows));
            y += line;
        }
        if (!m_special.empty()) {
            p.setPen(Qt::NoPen);
            p.setBrush(text);
            p.drawPath(diamond(QPointF(r.left() + 13, y + line / 2), 6));
            p.setPen(text);
            p.drawText(QRectF(r.left() + 24, y, w + 4, line), Qt::AlignVCenter | Qt::AlignLeft, m_specialName);
        }
    } else if (m_mode == Mode::Continuous) {
        const QString hi = QString::number(m_max, 'g', 4), lo = QString::number(m_min, 'g', 4);
        const double tw = std::max({fm.horizontalAdvance(hi), fm.horizontalAdvance(lo),
                                    fm.horizontalAdvance(m_valueLabel) - 16});
        const double barH = std::min(180.0, size.height() - 3 * line - 24);
        if (barH < 20) return;
        const QRectF r(size.width() - tw - 46, 8, tw + 38, barH + 2 * line + 12);
        p.setPen(QPen(palette().color(QPalette::Mid), 1));
        p.setBrush(box);
        p.drawRoundedRect(r, 4, 4);
        p.setPen(text);
        p.drawText(QRectF(r.left() + 4, r.top() + 2, r.width() - 8, line), Qt::AlignCenter, m_valueLabel);
        const QRectF bar(r.left() + 8, r.top() + line + 6, 14, barH);
        QLinearGradient g(bar.bottomLeft(), bar.topLeft());
        for (int k = 0; k <= 8; ++k) g.setColorAt(k / 8.0, viridis(k / 8.0));
        p.setPen(Qt::NoPen);
        p.setBrush(g);
        p.drawRect(bar);
        p.setPen(text);
        p.drawText(QRectF(bar.right() + 6, bar.top() - line / 2, tw + 4, line), Qt::AlignVCenter | Qt::AlignLeft, hi);
        p.drawText(QRectF(bar.right() + 6, bar.bottom() - line / 2, tw + 4, line), Qt::AlignVCenter | Qt::AlignLeft, lo);
        if (m_logScale)
            p.drawText(QRectF(r.left() + 4, bar.bottom() + 4, r.width() - 8, line), Qt::AlignCenter, tr("log scale"));
    }
}

void LatentScatter::paintEvent(QPaintEvent*) {
    const double dpr = devicePixelRatioF();
    const QSize px(std::max(1, static_cast<int>(std::ceil(width() * dpr))),
                   std::max(1, static_cast<int>(std::ceil(height() * dpr))));
    if (!m_cacheValid || m_cache.size() != px) {
        if (m_cache.size() != px) m_cache = QImage(px, QImage::Format_RGB32);
        rasterize(m_cache, QSizeF(size()), dpr);
        m_cache.setDevicePixelRatio(dpr);
        m_cacheValid = true;
    }
    QPainter p(this);
    p.drawImage(QPointF(0, 0), m_cache);
    paintOverlays(p, QSizeF(size()));
    paintLegend(p, QSizeF(size()));
    if (!m_title.isEmpty()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(QRectF(8, 4, width() - 16, 20), Qt::AlignLeft | Qt::AlignVCenter, m_title);
    }
    if (hasFocus()) {
        p.setPen(QPen(palette().color(QPalette::Highlight), 1));
        p.setBrush(Qt::NoBrush);
        p.drawRect(QRectF(rect()).adjusted(0.5, 0.5, -0.5, -0.5));
    }
}

void LatentScatter::resizeEvent(QResizeEvent*) {
    if (m_zoom == 1 && m_drag == Drag::None) resetView();
    invalidate();
}

void LatentScatter::wheelEvent(QWheelEvent* event) {
    const QPointF pos = event->position();
    const QPointF m = widgetToMap(pos);
    const double f = std::pow(1.0015, event->angleDelta().y());
    m_zoom = std::clamp(m_zoom * f, 0.05, 5000.0);
    const double s = m_fitScale * m_zoom;
    // Keeps the map point under the cursor where it is.
    m_centre = QPointF(m.x() - (pos.x() - width() / 2.0) / s, m.y() + (pos.y() - height() / 2.0) / s);
    invalidate();
    event->accept();
}

void LatentScatter::mousePressEvent(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton) return QWidget::mousePressEvent(event);
    m_pressPos = m_lastPos = event->position();
    m_drag = Drag::Pending;
    if (m_hasTraversal && QLineF(mapToWidget(m_traversal), m_pressPos).length() <= 10) {
        m_drag = Drag::Traversal;
        setCursor(Qt::SizeAllCursor);
    }
}

void LatentScatter::mouseMoveEvent(QMouseEvent* event) {
    const QPointF pos = event->position();
    if (m_drag == Drag::Pending && QLineF(pos, m_pressPos).length() > 4) {
        m_drag = Drag::Pan;
        setCursor(Qt::ClosedHandCursor);
    }
    if (m_drag == Drag::Pan) {
        const double s = m_fitScale * m_zoom;
        const QPointF d = pos - m_lastPos;
        m_centre += QPointF(-d.x() / s, d.y() / s);
        m_lastPos = pos;
        invalidate();
        return;
    }
    if (m_drag == Drag::Traversal) {
        setTraversalPosition(widgetToMap(pos));
        return;
    }
    const int i = pointAt(pos);
    if (i != m_hovered) {
        m_hovered = i;
        Q_EMIT pointHovered(i);
        if (i >= 0) QToolTip::showText(event->globalPosition().toPoint(), hoverText(i), this);
        else QToolTip::hideText();
    }
}

void LatentScatter::mouseReleaseEvent(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton) return QWidget::mouseReleaseEvent(event);
    const Drag drag = m_drag;
    m_drag = Drag::None;
    unsetCursor();
    if (drag != Drag::Pending) return;
    const QPointF pos = event->position();
    if ((event->modifiers() & Qt::ShiftModifier) && m_traversalEnabled) {
        setTraversalPosition(widgetToMap(pos));
        return;
    }
    const int i = pointAt(pos);
    if (i >= 0) Q_EMIT pointClicked(i);
}

void LatentScatter::mouseDoubleClickEvent(QMouseEvent* event) {
    if (event->button() == Qt::LeftButton && pointAt(event->position()) < 0) resetView();
}

void LatentScatter::keyPressEvent(QKeyEvent* event) {
    if (event->key() == Qt::Key_Home) {
        resetView();
        return;
    }
    if (event->key() == Qt::Key_Plus || event->key() == Qt::Key_Minus) {
        m_zoom = std::clamp(m_zoom * (event->key() == Qt::Key_Plus ? 1.25 : 0.8), 0.05, 5000.0);
        invalidate();
        return;
    }
    QWidget::keyPressEvent(event);
}

void LatentScatter::leaveEvent(QEvent*) {
    if (m_hovered >= 0) {
        m_hovered = -1;
        Q_EMIT pointHovered(-1);
    }
}

void LatentScatter::changeEvent(QEvent* event) {
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::StyleChange) invalidate();
    QWidget::changeEvent(event);
}

void LatentScatter::renderExport(QPainter& p, QSizeF size, bool vector) const {
    const QSizeF plot(size.width(), size.height() - kTitleHeight);
    p.fillRect(QRectF(QPointF(0, 0), size), palette().color(QPalette::Base));
    QFont f = p.font();
    f.setBold(true);
    p.save();
    p.setFont(f);
    p.setPen(palette().color(QPalette::Text));
    p.drawText(QRectF(10, 0, size.width() - 20, kTitleHeight), Qt::AlignLeft | Qt::AlignVCenter, m_title);
    p.restore();
    p.save();
    p.translate(0, kTitleHeight);
    p.setClipRect(QRectF(QPointF(0, 0), plot));
    if (vector) {
        const double ps = pointSize();
        p.setPen(Qt::NoPen);
        const int n = pointCount();
        for (int i = 0; i < n; ++i) {
            const QPointF c = mapToWidget(pointPosition(i), plot);
            if (c.x() < -ps || c.y() < -ps || c.x() > plot.width() + ps || c.y() > plot.height() + ps) continue;
            p.setBrush(QColor::fromRgb(m_rgb[static_cast<std::size_t>(i)]));
            p.drawRect(QRectF(c.x() - ps / 2, c.y() - ps / 2, ps, ps));
        }
    } else {
        const double dpr = p.device()->devicePixelRatioF();
        QImage img(QSize(static_cast<int>(plot.width() * dpr), static_cast<int>(plot.height() * dpr)),
                   QImage::Format_RGB32);
        rasterize(img, plot, dpr);
        img.setDevicePixelRatio(dpr);
        p.drawImage(QPointF(0, 0), img);
    }
    paintOverlays(p, plot);
    paintLegend(p, plot);
    p.restore();
}

bool LatentScatter::exportPng(const QString& path) const {
    const QSize logical(std::max(width(), 320), std::max(height(), 240) + static_cast<int>(kTitleHeight));
    QImage image(logical * 2, QImage::Format_ARGB32_Premultiplied);
    image.setDevicePixelRatio(2);
    {
        QPainter p(&image);
        renderExport(p, QSizeF(logical), false);
    }
    return image.save(path, "PNG");
}

bool LatentScatter::exportSvg(const QString& path) const {
    const QSize logical(std::max(width(), 320), std::max(height(), 240) + static_cast<int>(kTitleHeight));
    QSvgGenerator gen;
    gen.setFileName(path);
    gen.setSize(logical);
    gen.setViewBox(QRect(QPoint(0, 0), logical));
    gen.setTitle(m_title);
    gen.setDescription(tr("Latent map exported by VAE-CF Studio"));
    QPainter p;
    if (!p.begin(&gen)) return false;
    renderExport(p, QSizeF(logical), true);
    return p.end() && QFile::exists(path);
}

bool LatentScatter::exportCsv(const QString& path) const {
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text)) return false;
    QTextStream out(&file);
    out << "index,id,x,y,colour\n";
    const int n = pointCount();
    for (int i = 0; i < n; ++i) {
        const QPointF pt = pointPosition(i);
        out << i << ','
            << csvField(i < static_cast<int>(m_labels.size()) ? m_labels[static_cast<std::size_t>(i)] : QString())
            << ',' << QString::number(pt.x(), 'g', 8) << ',' << QString::number(pt.y(), 'g', 8) << ','
            << csvField(colourText(i)) << '\n';
    }
    out.flush();
    return file.error() == QFileDevice::NoError;
}

}  // namespace vaecf::ui
