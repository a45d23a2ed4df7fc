import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import BackpropTestSupport
import Testing
import BackpropCore
@testable import BackpropPlots
import BackpropTabular

/// The SVG plots are well-formed XML (parsed by libxml2 through
/// Foundation's XMLParser) and contain the expected series. How they look
/// in a browser is checked by `make plots-check` (headless Chromium).
@Suite("Plots")
struct PlotTests {
    /// An element of a parsed SVG.
    struct Element {
        var name: String
        var attributes: [String: String]
        var text: String
    }

    final class Collector: NSObject, XMLParserDelegate {
        var elements: [Element] = []
        var open: [Int] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            elements.append(Element(name: name, attributes: attributes, text: ""))
            open.append(elements.count - 1)
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if let last = open.last { elements[last].text += string }
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            open.removeLast()
        }
    }

    /// Parses the SVG, failing the test when it is not well-formed.
    func parse(_ svg: String, sourceLocation: SourceLocation = #_sourceLocation) -> [Element] {
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = Collector()
        parser.delegate = collector
        let ok = parser.parse()
        #expect(ok, "not well-formed XML: \(String(describing: parser.parserError))", sourceLocation: sourceLocation)
        #expect(collector.elements.first?.name == "svg", sourceLocation: sourceLocation)
        #expect(collector.elements.first?.attributes["xmlns"] == "http://www.w3.org/2000/svg", sourceLocation: sourceLocation)
        return collector.elements
    }

    func points(_ e: Element) -> [(Double, Double)] {
        (e.attributes["points"] ?? "").split(separator: " ").map { pair in
            let xy = pair.split(separator: ",").map { Double($0)! }
            return (xy[0], xy[1])
        }
    }

    @Test func lossPlotHasBothSeriesAndLabelledAxes() throws {
        let training = (1...120).map { 2.0 * pow(0.95, Double($0)) }   // 1.9 … 0.004: over two decades
        let validation = training.enumerated().map { $0.element * 1.3 + (Double($0.offset) > 80 ? 0.01 : 0) }
        let plot = try LossPlot(training: training, validation: validation, title: "A <title> & \"quotes\"",
                                lossName: "binary cross-entropy")
        #expect(plot.usesLogScale)
        let elements = parse(plot.svg())
        let series = elements.filter { $0.name == "polyline" && $0.attributes["class"] == "series" }
        #expect(series.map { $0.attributes["data-series"] } == ["training", "validation"])
        for s in series {
            #expect(s.attributes["data-points"] == "120")
            let p = points(s)
            #expect(p.count == 120)
            // x increases with the epoch; y (pixels, downwards) grows as the loss falls.
            #expect(zip(p, p.dropFirst()).allSatisfy { $0.0 < $1.0 })
            #expect(p.first!.1 < p.last!.1)
        }
        // Log scale: equal ratios are equal distances.
        let t = points(series[0])
        let step1 = t[10].1 - t[0].1, step2 = t[110].1 - t[100].1
        #expect(abs(step1 - step2) < 0.05)
        let texts = elements.filter { $0.name == "text" }.map(\.text)
        #expect(texts.contains("A <title> & \"quotes\""))
        #expect(texts.contains("epoch"))
        #expect(texts.contains("binary cross-entropy (log scale)"))
        #expect(texts.contains("training") && texts.contains("validation"))
        #expect(texts.contains { $0.hasPrefix("best: epoch") })
        // Decade ticks on the loss axis.
        #expect(texts.contains("0.01") && texts.contains("0.1") && texts.contains("1"))
    }

    @Test func lossPlotIsLinearWhenTheLossSpansLessThanADecade() throws {
        let plot = try LossPlot(training: [0.9, 0.8, 0.7, 0.65, 0.6])
        #expect(!plot.usesLogScale)
        let elements = parse(plot.svg())
        let series = elements.filter { $0.name == "polyline" }
        #expect(series.count == 1)
        let p = points(series[0])
        // Linear: equal differences are equal distances.
        #expect(abs((p[1].1 - p[0].1) - (p[2].1 - p[1].1)) < 0.05)
        #expect(elements.filter { $0.name == "text" }.map(\.text).contains("loss"))
        // A single epoch still draws (a point), and zero or negative values force linear.
        _ = parse(try LossPlot(training: [0.5]).svg())
        #expect(!(try LossPlot(training: [1, 0, 0.001]).usesLogScale))
        #expect(throws: BackpropError.self) { try LossPlot(training: []) }
        #expect(throws: BackpropError.self) { try LossPlot(training: [1, 2], validation: [1]) }
    }

    @Test func decisionBoundaryShadesRegionsUnderThePoints() throws {
        // A known classifier: class 1 right of x = 0.5.
        let x = try Matrix([[0.0, 0], [1, 0], [0, 1], [1, 1], [0.2, 0.5]])
        let labels = [0, 1, 0, 1, 0]
        let plot = try DecisionBoundaryPlot(points: x, labels: labels, classNames: ["left", "right & <more>"],
                                            title: "Split", resolution: 40) { grid in
            Matrix(column: (0..<grid.rows).map { grid[$0, 0] > 0.5 ? 0.9 : 0.1 })
        }
        let elements = parse(try plot.svg())
        let cells = elements.filter { $0.name == "rect" && $0.attributes["data-class"] != nil }
        let circles = elements.filter { $0.name == "circle" && $0.attributes["data-class"] != nil }
        #expect(circles.count == 5)
        #expect(circles.map { $0.attributes["data-class"]! } == labels.map(String.init))
        // Every grid row is two runs: left class then right class, meeting at x = 0.5.
        #expect(cells.count == 80)
        let xOf = { (c: Element) in Double(c.attributes["x"]!)! }
        let widthOf = { (c: Element) in Double(c.attributes["width"]!)! }
        let boundaryX = cells.filter { $0.attributes["data-class"] == "1" }.map(xOf)
        #expect(Set(boundaryX).count == 1)
        // Points on the left are drawn left of the boundary, right ones right of it.
        for c in circles {
            let cx = Double(c.attributes["cx"]!)!
            #expect((cx > boundaryX[0]) == (c.attributes["data-class"] == "1"))
        }
        // The shading covers the plot area without gaps.
        for row in stride(from: 0, to: cells.count, by: 2) {
            #expect(xOf(cells[row]) + widthOf(cells[row]) == xOf(cells[row + 1]))
        }
        #expect(elements.contains { $0.name == "path" && $0.attributes["id"] == "boundary" })
        let texts = elements.filter { $0.name == "text" }.map(\.text)
        #expect(texts.contains("right & <more>") && texts.contains("left") && texts.contains("Split"))
    }

    @Test func decisionBoundaryOfAModelUsesItsClassesAndFeatures() throws {
        let data = try Dataset.blobs(samplesPerClass: 20, seed: 4)
        let net = try Network(inputSize: 2, layers: [.dense(3, .softmax)], loss: .categoricalCrossEntropy, seed: 1)
        let model = try TabularModel(network: net, task: .classification, featureNames: ["width", "height"], labelName: "kind",
                              classes: try ClassLabels(names: ["a", "b", "c"]),
                              inputScaling: try Standardizer(fitting: data.inputs))
        let elements = parse(try DecisionBoundaryPlot(model: model, points: data.inputs, labels: data.labels!).svg())
        let texts = elements.filter { $0.name == "text" }.map(\.text)
        #expect(texts.contains("width") && texts.contains("height") && texts.contains("c"))
        let classes = Set(elements.filter { $0.name == "rect" }.compactMap { $0.attributes["data-class"] })
        #expect(classes.isSubset(of: ["0", "1", "2"]) && !classes.isEmpty)
        #expect(elements.filter { $0.name == "circle" && $0.attributes["data-class"] != nil }.count == 60)
    }

    @Test func decisionBoundaryRejectsBadInput() throws {
        let x = try Matrix([[0.0, 0], [1, 1]])
        let f: @Sendable (Matrix<Double>) throws -> Matrix<Double> = { Matrix(column: [Double](repeating: 0.5, count: $0.rows)) }
        #expect(throws: BackpropError.self) { try DecisionBoundaryPlot(points: Matrix([[0.0, 0, 0]]), labels: [0], classNames: ["a", "b"], classify: f) }
        #expect(throws: BackpropError.self) { try DecisionBoundaryPlot(points: x, labels: [0], classNames: ["a", "b"], classify: f) }
        #expect(throws: BackpropError.self) { try DecisionBoundaryPlot(points: x, labels: [0, 2], classNames: ["a", "b"], classify: f) }
        #expect(throws: BackpropError.self) { try DecisionBoundaryPlot(points: Matrix([[0.0, .nan]]), labels: [0], classNames: ["a", "b"], classify: f) }
        // A classifier that returns the wrong shape.
        let plot = try DecisionBoundaryPlot(points: x, labels: [0, 1], classNames: ["a", "b", "c"], classify: f)
        #expect(throws: BackpropError.self) { try plot.svg() }
    }

    @Test func svgEscapingAndNumbers() {
        #expect(SVGDocument.escape("a<b>&\"c\"'d'\u{1}") == "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;")
        #expect(SVGDocument.n(3) == "3")
        #expect(SVGDocument.n(2.345) == "2.35" || SVGDocument.n(2.345) == "2.34")
        #expect(SVGDocument.n(-0.004) == "0")
        #expect(SVGDocument.n(.nan) == "0")
    }

    @Test func ticks() {
        let linear = PlotScale(lower: 0.13, upper: 0.92, start: 0, end: 100)
        #expect(linear.lower == 0 && linear.upper == 1)
        #expect(linear.ticks().map(\.label) == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        let log = PlotScale(lower: 0.004, upper: 1.9, start: 100, end: 0, logarithmic: true)
        #expect(log.lower == 0.001 && log.upper == 10)
        #expect(log.ticks().map(\.label) == ["0.001", "0.01", "0.1", "1", "10"])
        #expect(abs(log(0.01) - 75) < 1e-9)
        let narrow = PlotScale(lower: 0.02, upper: 0.5, start: 100, end: 0, logarithmic: true)
        #expect(narrow.ticks().map(\.label) == ["0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1"])
    }
}
