// SPDX-License-Identifier: MIT
// A scatter plot for latent maps with up to a few hundred thousand points. Qt Charts creates an
// item per point and crawls at that size, so the points are rasterized straight into a cached
// image at the device pixel ratio, and only the small overlays (highlights, selection, markers,
// legend) are painted every frame. Hover and click use a uniform grid index over the map.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include <QImage>
#include <QPointF>
#include <QRectF>
#include <QSizeF>
#include <QString>
#include <QStringList>
#include <QWidget>

class QPainter;

namespace vaecf::ui {

class LatentScatter : public QWidget {
    Q_OBJECT
public:
    explicit LatentScatter(QWidget* parent = nullptr);
    ~LatentScatter() override;

    // Map coordinates, n x 2 row-major. `refit` resets the view to the data; otherwise the
    // current zoom is kept (live t-SNE updates while the user is looking around).
    void setPoints(std::vector<float> xy, bool refit = true);
    void clear();
    int pointCount() const { return static_cast<int>(m_xy.size() / 2); }
    QPointF pointPosition(int index) const;  // map coordinates

    // Colouring: categorical (index per point, -1: unknown, drawn grey) with a legend, or a
    // continuous value (NaN: unknown) on the viridis scale with a colour bar. `logScale` maps
    // log1p(value) to the scale; the bar still labels the raw minimum and maximum.
    void setCategories(std::vector<std::int32_t> category, QStringList names);
    void setValues(std::vector<float> values, const QString& label, bool logScale);
    void setUniformColour();
    bool isCategorical() const { return m_mode == Mode::Categorical; }
    int categoryCount() const { return static_cast<int>(m_categoryNames.size()); }
    QStringList categoryNames() const { return m_categoryNames; }
    QColor pointColour(int index) const;
    // What the CSV's colour column holds for a point: category name or value.
    QString colourText(int index) const;

    // Per-point labels for CSV export (user id or item title).
    void setLabels(std::vector<QString> labels) { m_labels = std::move(labels); }
    // Hover text of a point; the panel knows what a point is.
    void setTooltipProvider(std::function<QString(int)> provider) { m_tooltip = std::move(provider); }
    QString hoverText(int index) const;
    int hoveredIndex() const { return m_hovered; }

    // Search hits etc.: drawn larger with an outline, on top. `isolate` dims everything else.
    void setHighlighted(std::vector<int> indices);
    const std::vector<int>& highlighted() const { return m_highlighted; }
    void setIsolateHighlighted(bool isolate);
    void setSelected(int index);  // -1: none
    int selected() const { return m_selected; }
    void setNeighbours(std::vector<int> indices);
    const std::vector<int>& neighbours() const { return m_neighbours; }
    // A second small point set (VampPrior pseudo-inputs) drawn as diamonds; n x 2 map coordinates.
    void setSpecialPoints(std::vector<float> xy, const QString& name);
    int specialPointCount() const { return static_cast<int>(m_special.size() / 2); }
    const std::vector<float>& specialPoints() const { return m_special; }
    // Posterior spread of the selected point: axis-aligned ellipse with these map radii.
    void setEllipse(QPointF centre, QSizeF radii);
    void clearEllipse();
    bool hasEllipse() const { return m_hasEllipse; }

    // The traversal crosshair: shift-click on the map places it, dragging moves it.
    void setTraversalEnabled(bool enabled);
    bool traversalEnabled() const { return m_traversalEnabled; }
    void setTraversalPosition(QPointF mapPos);  // emits traversalMoved
    bool hasTraversal() const { return m_hasTraversal; }
    QPointF traversalPosition() const { return m_traversal; }

    void setTitle(const QString& title) { m_title = title; update(); }
    QString title() const { return m_title; }

    // Between map and widget coordinates (logical pixels) under the current view.
    QPointF mapToWidget(QPointF mapPos) const;
    QPointF widgetToMap(QPointF widgetPos) const;
    // The nearest point within `radius` logical pixels of a widget position, or -1.
    int pointAt(QPointF widgetPos, double radius = 6) const;
    void resetView();
    double zoom() const { return m_zoom; }

    // Exports the view with title and legend. PNG at twice the widget's size; SVG as vectors.
    bool exportPng(const QString& path) const;
    bool exportSvg(const QString& path) const;
    // index,id,x,y,colour
    bool exportCsv(const QString& path) const;

    QSize minimumSizeHint() const override { return {200, 160}; }
    QSize sizeHint() const override { return {640, 480}; }

Q_SIGNALS:
    void pointClicked(int index);
    void pointHovered(int index);  // -1 when the cursor leaves every point
    void traversalMoved(QPointF mapPos);

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void leaveEvent(QEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    enum class Mode { Uniform, Categorical, Continuous };
    void recolour();
    void rebuildGrid();
    void invalidate();
    void rasterize(QImage& image, QSizeF logicalSize, double dpr) const;
    void paintOverlays(QPainter& p, QSizeF size) const;
    void paintLegend(QPainter& p, QSizeF size) const;
    void renderExport(QPainter& p, QSizeF size, bool vector) const;
    QPointF mapToWidget(QPointF mapPos, QSizeF size) const;
    double pointSize() const;

    std::vector<float> m_xy;
    QRectF m_bounds;
    // Uniform grid over m_bounds: cell -> point indices (CSR-like).
    int m_gridW = 0, m_gridH = 0;
    std::vector<int> m_gridStart, m_gridPoints;

    Mode m_mode = Mode::Uniform;
    std::vector<std::int32_t> m_category;
    QStringList m_categoryNames;
    std::vector<float> m_values;
    QString m_valueLabel;
    bool m_logScale = false;
    float m_min = 0, m_max = 1;
    std::vector<unsigned int> m_rgb;  // QRgb per point

    std::vector<QString> m_labels;
    std::function<QString(int)> m_tooltip;
    std::vector<int> m_highlighted, m_neighbours;
    std::vector<unsigned char> m_isHighlighted;
    bool m_isolate = false;
    int m_selected = -1;
    int m_hovered = -1;
    std::vector<float> m_special;
    QString m_specialName;
    bool m_hasEllipse = false;
    QPointF m_ellipseCentre;
    QSizeF m_ellipseRadii;
    bool m_traversalEnabled = false, m_hasTraversal = false;
    QPointF m_traversal;
    QString m_title;

    // View: map point at the widget centre and pixels per map unit.
    QPointF m_centre;
    double m_zoom = 1;
    double m_fitScale = 1;

    QImage m_cache;
    bool m_cacheValid = false;

    enum class Drag { None, Pending, Pan, Traversal };
    Drag m_drag = Drag::None;
    QPointF m_pressPos, m_lastPos;
};

}  // namespace vaecf::ui
