import BackpropCore
import BackpropTabular
import Foundation

/// The decision regions of a classifier with two inputs, as an SVG picture:
/// a grid of cells shaded by the predicted class (deeper where the
/// classifier is surer), the data points on top coloured by their true
/// class, labelled axes and a legend.
///
/// ```swift
/// let plot = try DecisionBoundaryPlot(points: test.inputs, labels: test.labels!,
///                                     classNames: ["outer", "inner"], title: "circles") { grid in
///     try net.predict(grid)          // n × 1 (sigmoid) or n × k (softmax)
/// }
/// try plot.write(to: URL(fileURLWithPath: "decision-boundary.svg"))
/// ```
public struct DecisionBoundaryPlot: Sendable {
    /// The data points, `n × 2`.
    public var points: Matrix<Double>
    /// The true class of each point.
    public var labels: [Int]
    /// Class names, in index order (the legend).
    public var classNames: [String]
    /// The heading.
    public var title: String
    /// Axis labels.
    public var xLabel: String
    /// Axis labels.
    public var yLabel: String
    /// Cells per side of the grid.
    public var resolution: Int
    /// Per grid point, the classifier's output: `n × classNames.count`
    /// scores (the largest wins), or `n × 1` for a single sigmoid output
    /// (class 1 when ≥ 0.5).
    public var classify: @Sendable (Matrix<Double>) throws -> Matrix<Double>

    /// A plot of `classify` over the points' bounding box (plus a margin).
    /// - Throws: ``/BackpropCore/BackpropError`` unless `points` is `n × 2` (n ≥ 1) and
    ///   finite, `labels` has `n` entries in `0..<classNames.count`, there
    ///   are at least 2 class names, and `resolution` is in 2...1000.
    public init(points: Matrix<Double>, labels: [Int], classNames: [String], title: String = "Decision boundary",
                xLabel: String = "x₁", yLabel: String = "x₂", resolution: Int = 160,
                classify: @escaping @Sendable (Matrix<Double>) throws -> Matrix<Double>) throws {
        guard points.rows > 0 else { throw BackpropError.emptyData(what: "points") }
        guard points.columns == 2 else {
            throw BackpropError.shapeMismatch(what: "points", expected: "n × 2", got: "\(points.rows) × \(points.columns)")
        }
        if let (r, c) = points.firstNonFinite() { throw BackpropError.nonFinite(what: "points", row: r, column: c) }
        guard labels.count == points.rows else {
            throw BackpropError.sampleCountMismatch(inputs: points.rows, targets: labels.count)
        }
        guard classNames.count >= 2 else {
            throw BackpropError.invalidConfiguration("a decision boundary needs at least 2 classes")
        }
        for (i, label) in labels.enumerated() where label < 0 || label >= classNames.count {
            throw BackpropError.labelOutOfRange(index: i, label: label, classes: classNames.count)
        }
        guard (2...1000).contains(resolution) else {
            throw BackpropError.invalidHyperparameter(name: "resolution", value: "\(resolution)", expected: "in 2...1000")
        }
        self.points = points
        self.labels = labels
        self.classNames = classNames
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.resolution = resolution
        self.classify = classify
    }

    /// A plot of a two-feature classification model over its data (raw,
    /// unstandardized features; the axes are named after the features).
    public init(model: TabularModel, points: Matrix<Double>, labels: [Int], title: String = "Decision boundary",
                resolution: Int = 160) throws {
        guard let classes = model.classes else {
            throw BackpropError.invalidConfiguration("a decision boundary needs a classification model")
        }
        guard model.featureNames.count == 2 else {
            throw BackpropError.invalidConfiguration("a decision boundary needs exactly 2 features, the model has \(model.featureNames.count)")
        }
        try self.init(points: points, labels: labels, classNames: classes.names, title: title,
                      xLabel: model.featureNames[0], yLabel: model.featureNames[1], resolution: resolution) { grid in
            try model.classProbabilities(grid)
        }
    }

    /// The SVG text.
    /// - Throws: whatever `classify` throws, or ``/BackpropCore/BackpropError`` when its
    ///   output has the wrong shape.
    public func svg() throws -> String {
        let k = classNames.count
        let legendWidth = 190.0
        let side = 480.0
        let left = 66.0, top = 52.0
        let width = left + side + 24 + legendWidth, height = top + side + 58
        var doc = SVGDocument(width: width, height: height)
        doc.rect(x: 0, y: 0, width: width, height: height, fill: "#ffffff")
        doc.text(title, x: left, y: 30, size: 18, fill: "#222", extra: [("font-weight", "600")])

        // Square data window: the bounding box plus 10% on each side, the
        // shorter side widened so that one unit is as long on both axes.
        var xs = (0..<points.rows).map { points[$0, 0] }, ys = (0..<points.rows).map { points[$0, 1] }
        if xs.count == 1 { xs.append(xs[0]); ys.append(ys[0]) }
        var (x0, x1) = (xs.min()!, xs.max()!), (y0, y1) = (ys.min()!, ys.max()!)
        let span = Swift.max(x1 - x0, y1 - y0, 1e-9) * 1.2
        let cx = (x0 + x1) / 2, cy = (y0 + y1) / 2
        (x0, x1, y0, y1) = (cx - span / 2, cx + span / 2, cy - span / 2, cy + span / 2)
        let sx = PlotScale(lower: x0, upper: x1, start: left, end: left + side, nice: false)
        let sy = PlotScale(lower: y0, upper: y1, start: top + side, end: top, nice: false)

        // Classify the centre of every cell.
        let n = resolution
        var grid = [Double]()
        grid.reserveCapacity(2 * n * n)
        for row in 0..<n {
            for column in 0..<n {
                grid.append(x0 + (Double(column) + 0.5) / Double(n) * span)
                grid.append(y1 - (Double(row) + 0.5) / Double(n) * span)
            }
        }
        let output = try classify(Matrix(rows: n * n, columns: 2, elements: grid))
        guard output.rows == n * n, output.columns == k || (output.columns == 1 && k == 2) else {
            throw BackpropError.shapeMismatch(what: "classifier output", expected: "\(n * n) × \(k)",
                                              got: "\(output.rows) × \(output.columns)")
        }
        // Class and confidence level (0...levels-1) of each cell.
        let levels = 6
        var cellClass = [Int](repeating: 0, count: n * n), cellLevel = [Int](repeating: 0, count: n * n)
        for i in 0..<(n * n) {
            var best = 0, p = 0.0, total = 0.0
            if output.columns == 1 {
                let q = output[i, 0]
                best = q >= 0.5 ? 1 : 0
                p = best == 1 ? q : 1 - q
                total = 1
            } else {
                for j in 0..<k where output[i, j] > output[i, best] { best = j }
                for j in 0..<k { total += Swift.max(0, output[i, j]) }
                p = output[i, best]
            }
            // Confidence: the winner's share, from 1/k (a tie) to 1 (certain).
            let share = total > 0 && p.isFinite ? Swift.min(1, Swift.max(0, p / total)) : 1
            let confidence = (share - 1 / Double(k)) / (1 - 1 / Double(k))
            cellClass[i] = best
            cellLevel[i] = Swift.min(levels - 1, Swift.max(0, Int(confidence * Double(levels))))
        }

        // Cells, merged into horizontal runs of equal class and level.
        let cell = side / Double(n)
        doc.append("<g id=\"regions\" shape-rendering=\"crispEdges\">")
        for row in 0..<n {
            var column = 0
            while column < n {
                let i = row * n + column
                var end = column + 1
                while end < n && cellClass[row * n + end] == cellClass[i] && cellLevel[row * n + end] == cellLevel[i] { end += 1 }
                let opacity = 0.10 + 0.42 * Double(cellLevel[i]) / Double(levels - 1)
                // Edges rounded to whole pixels, so that neighbouring cells
                // neither overlap (which would darken the seams) nor leave gaps.
                let x0 = (left + Double(column) * cell).rounded(), x1 = (left + Double(end) * cell).rounded()
                let y0 = (top + Double(row) * cell).rounded(), y1 = (top + Double(row + 1) * cell).rounded()
                doc.rect(x: x0, y: y0, width: x1 - x0, height: y1 - y0, fill: PlotPalette.color(cellClass[i]),
                         extra: [("fill-opacity", String(format: "%.2f", opacity)), ("data-class", String(cellClass[i]))])
                column = end
            }
        }
        doc.append("</g>")

        // The boundary itself: cell edges between different classes.
        var path = ""
        for row in 0..<n {
            for column in 0..<n {
                let i = row * n + column
                if column + 1 < n && cellClass[i + 1] != cellClass[i] {
                    let x = left + Double(column + 1) * cell
                    path += "M\(SVGDocument.n(x)) \(SVGDocument.n(top + Double(row) * cell))v\(SVGDocument.n(cell))"
                }
                if row + 1 < n && cellClass[i + n] != cellClass[i] {
                    let y = top + Double(row + 1) * cell
                    path += "M\(SVGDocument.n(left + Double(column) * cell)) \(SVGDocument.n(y))h\(SVGDocument.n(cell))"
                }
            }
        }
        if !path.isEmpty {
            doc.append("<path id=\"boundary\" d=\"\(path)\" fill=\"none\" stroke=\"#333\" stroke-opacity=\"0.55\" stroke-width=\"1.2\"/>")
        }

        // Axes.
        doc.rect(x: left, y: top, width: side, height: side, fill: "none", extra: [("stroke", "#888")])
        let tickX = PlotScale(lower: x0, upper: x1, start: left, end: left + side)
        let tickY = PlotScale(lower: y0, upper: y1, start: top + side, end: top)
        doc.append("<g id=\"axes\">")
        for t in tickX.ticks() where t.value >= x0 && t.value <= x1 {
            doc.line(x1: sx(t.value), y1: top + side, x2: sx(t.value), y2: top + side + 5, stroke: "#888")
            doc.text(t.label, x: sx(t.value), y: top + side + 19, size: 12, anchor: "middle", fill: "#555")
        }
        for t in tickY.ticks() where t.value >= y0 && t.value <= y1 {
            doc.line(x1: left - 5, y1: sy(t.value), x2: left, y2: sy(t.value), stroke: "#888")
            doc.text(t.label, x: left - 8, y: sy(t.value) + 4, size: 12, anchor: "end", fill: "#555")
        }
        doc.append("</g>")
        doc.text(xLabel, x: left + side / 2, y: height - 12, size: 13, anchor: "middle")
        doc.append(doc.element("text", [("x", "0"), ("y", "0"), ("font-size", "13"), ("text-anchor", "middle"), ("fill", "#333"),
                                         ("transform", "translate(18 \(SVGDocument.n(top + side / 2))) rotate(-90)")],
                               content: yLabel))

        // Data points, by true class.
        let radius = points.rows > 600 ? 2.6 : points.rows > 150 ? 3.4 : 5
        doc.append("<g id=\"points\" stroke=\"#ffffff\" stroke-width=\"0.9\">")
        for i in 0..<points.rows {
            doc.circle(cx: sx(points[i, 0]), cy: sy(points[i, 1]), r: radius, fill: PlotPalette.color(labels[i]),
                       extra: [("data-class", String(labels[i]))])
        }
        doc.append("</g>")

        // Legend.
        let lx = left + side + 24
        doc.text("class", x: lx, y: top + 12, size: 13, fill: "#222", extra: [("font-weight", "600")])
        doc.append("<g id=\"legend\">")
        for (j, name) in classNames.enumerated() {
            let y = top + 36 + Double(j) * 24
            doc.rect(x: lx, y: y - 12, width: 16, height: 16, fill: PlotPalette.color(j),
                     extra: [("fill-opacity", "0.35"), ("stroke", PlotPalette.color(j))])
            doc.circle(cx: lx + 8, cy: y - 4, r: 4, fill: PlotPalette.color(j), extra: [("stroke", "#ffffff")])
            let shown = name.count > 22 ? String(name.prefix(21)) + "…" : name
            doc.text(shown, x: lx + 24, y: y, size: 12, fill: "#333")
        }
        doc.append("</g>")
        let noteY = top + 36 + Double(k) * 24 + 8
        doc.text("shading: predicted class,", x: lx, y: noteY, size: 11, fill: "#777")
        doc.text("deeper where the network", x: lx, y: noteY + 15, size: 11, fill: "#777")
        doc.text("is more certain", x: lx, y: noteY + 30, size: 11, fill: "#777")
        return doc.render()
    }

    /// Writes the SVG atomically.
    /// - Throws: whatever ``svg()`` throws, or ``/BackpropTabular/FileWriteError``.
    public func write(to url: URL) throws {
        try AtomicFile.write(try svg(), to: url)
    }
}
