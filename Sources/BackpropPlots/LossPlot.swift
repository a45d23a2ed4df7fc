import BackpropCore
import BackpropTabular
import Foundation

/// The loss curve of a training run as an SVG picture: training loss and,
/// when given, validation loss per epoch, with labelled axes, a legend and
/// the best validation epoch marked. The loss axis is logarithmic when the
/// values span a decade or more (losses usually fall by orders of
/// magnitude), linear otherwise.
///
/// ```swift
/// let report = try net.train(on: train, epochs: 200, learningRate: 0.5, validation: test)
/// try LossPlot(report: report, title: "circles").write(to: URL(fileURLWithPath: "loss.svg"))
/// ```
public struct LossPlot: Sendable {
    /// Training loss per epoch (epoch 1 first).
    public var training: [Double]
    /// Validation loss per epoch, if any.
    public var validation: [Double]?
    /// The heading.
    public var title: String
    /// The name of the second series in the legend ("validation", "test").
    public var validationName = "validation"
    /// The loss axis label (the scale is appended: "loss (log scale)").
    public var lossName: String
    /// Picture size in pixels.
    public var width: Double = 720
    /// Picture size in pixels.
    public var height: Double = 440

    /// A plot of the given series.
    /// - Throws: ``/BackpropCore/BackpropError/emptyData(what:)`` without training values,
    ///   ``/BackpropCore/BackpropError/sampleCountMismatch(inputs:targets:)`` when the
    ///   validation series has another length.
    public init(training: [Double], validation: [Double]? = nil, title: String = "Loss",
                lossName: String = "loss") throws {
        guard !training.isEmpty else { throw BackpropError.emptyData(what: "training loss") }
        if let validation, validation.count != training.count {
            throw BackpropError.sampleCountMismatch(inputs: training.count, targets: validation.count)
        }
        self.training = training
        self.validation = validation
        self.title = title
        self.lossName = lossName
    }

    /// The plot of a training report's loss history.
    public init(report: TrainingReport, title: String = "Loss", lossName: String = "loss") throws {
        try self.init(training: report.trainingLoss, validation: report.validationLoss, title: title,
                      lossName: lossName)
    }

    /// Whether the loss axis is logarithmic: every value positive and the
    /// largest at least ten times the smallest.
    public var usesLogScale: Bool {
        let values = (training + (validation ?? [])).filter(\.isFinite)
        guard let lo = values.min(), let hi = values.max(), lo > 0 else { return false }
        return hi / lo >= 10
    }

    /// The SVG text.
    public func svg() -> String {
        var doc = SVGDocument(width: width, height: height)
        let left = 78.0, right = width - 24, top = 52.0, bottom = height - 56
        doc.rect(x: 0, y: 0, width: width, height: height, fill: "#ffffff")
        doc.text(title, x: left, y: 30, size: 18, fill: "#222", extra: [("font-weight", "600")])

        let series: [(name: String, values: [Double], color: String)] =
            [("training", training, PlotPalette.color(0))] + (validation.map { [(validationName, $0, PlotPalette.color(1))] } ?? [])
        let finite = series.flatMap(\.values).filter(\.isFinite)
        let log = usesLogScale
        let x = PlotScale(lower: 1, upper: Double(Swift.max(training.count, 2)), start: left, end: right,
                          nice: training.count > 10)
        let y = PlotScale(lower: log ? finite.min()! : Swift.min(0, finite.min() ?? 0), upper: finite.max() ?? 1,
                          start: bottom, end: top, logarithmic: log)

        // Grid, ticks and tick labels.
        doc.append("<g id=\"grid\" stroke=\"#e6e6e6\" stroke-width=\"1\">")
        for tick in y.ticks() { doc.line(x1: left, y1: y(tick.value), x2: right, y2: y(tick.value), stroke: "#e6e6e6") }
        for tick in x.ticks() where tick.value >= 1 { doc.line(x1: x(tick.value), y1: top, x2: x(tick.value), y2: bottom, stroke: "#f0f0f0") }
        doc.append("</g>")
        doc.append("<g id=\"y-axis\">")
        for tick in y.ticks() {
            doc.text(tick.label, x: left - 8, y: y(tick.value) + 4, size: 12, anchor: "end", fill: "#555")
        }
        doc.append("</g>")
        doc.append("<g id=\"x-axis\">")
        for tick in x.ticks() where tick.value >= 1 {
            doc.text(String(Int(tick.value)), x: x(tick.value), y: bottom + 18, size: 12, anchor: "middle", fill: "#555")
        }
        doc.append("</g>")
        doc.line(x1: left, y1: bottom, x2: right, y2: bottom, stroke: "#888")
        doc.line(x1: left, y1: top, x2: left, y2: bottom, stroke: "#888")
        doc.text("epoch", x: (left + right) / 2, y: height - 14, size: 13, anchor: "middle", fill: "#333")
        let yTitle = lossName + (log ? " (log scale)" : "")
        doc.append(doc.element("text", [("x", "0"), ("y", "0"), ("font-size", "13"), ("text-anchor", "middle"),
                                         ("fill", "#333"),
                                         ("transform", "translate(20 \(SVGDocument.n((top + bottom) / 2))) rotate(-90)")],
                               content: yTitle))

        // The series, thinned to at most ~1500 points each (every epoch when fewer).
        for s in series {
            let stride = Swift.max(1, s.values.count / 1500)
            var points: [String] = []
            for (i, v) in s.values.enumerated() where v.isFinite && (i % stride == 0 || i == s.values.count - 1) {
                points.append("\(SVGDocument.n(x(Double(i + 1)))),\(SVGDocument.n(y(v)))")
            }
            if points.count == 1 { points.append(points[0]) }
            doc.append("<polyline id=\"series-\(s.name)\" class=\"series\" data-series=\"\(s.name)\" data-points=\"\(s.values.count)\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"2\" stroke-linejoin=\"round\" stroke-linecap=\"round\" points=\"\(points.joined(separator: " "))\"/>")
        }

        // The best validation epoch.
        if let validation, let best = validation.indices.filter({ validation[$0].isFinite }).min(by: { validation[$0] < validation[$1] }) {
            let bx = x(Double(best + 1)), by = y(validation[best])
            doc.circle(cx: bx, cy: by, r: 4.5, fill: "#ffffff", extra: [("stroke", PlotPalette.color(1)), ("stroke-width", "2"), ("id", "best-epoch")])
            let label = "best: epoch \(best + 1), \(Self.format(validation[best]))"
            let anchorEnd = bx > (left + right) / 2
            doc.text(label, x: bx + (anchorEnd ? -8 : 8), y: by - 10, size: 12, anchor: anchorEnd ? "end" : "start", fill: "#444",
                     extra: [("stroke", "#ffffff"), ("stroke-width", "4"), ("paint-order", "stroke"), ("id", "best-epoch-label")])
        }

        // Legend, top right.
        let legendWidth = 118.0
        let lx = right - legendWidth - 8, ly = top + 10
        doc.rect(x: lx, y: ly, width: legendWidth, height: Double(series.count) * 20 + 10, fill: "#ffffff",
                 extra: [("stroke", "#ddd"), ("fill-opacity", "0.9"), ("rx", "4")])
        for (i, s) in series.enumerated() {
            let yy = ly + 17 + Double(i) * 20
            doc.line(x1: lx + 10, y1: yy - 4, x2: lx + 34, y2: yy - 4, stroke: s.color, width: 2.5)
            doc.text(s.name, x: lx + 42, y: yy, size: 12, fill: "#333")
        }
        return doc.render()
    }

    /// Writes the SVG atomically.
    /// - Throws: ``/BackpropTabular/FileWriteError``.
    public func write(to url: URL) throws {
        try AtomicFile.write(svg(), to: url)
    }

    static func format(_ v: Double) -> String {
        abs(v) >= 0.001 || v == 0 ? String(format: "%.4g", v) : String(format: "%.2e", v)
    }
}
