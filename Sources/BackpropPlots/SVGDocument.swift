import BackpropCore
import BackpropTabular
import Foundation

/// A small SVG writer for the library's plots: elements are appended as
/// text, every attribute value and text node is XML-escaped, coordinates are
/// rounded to 0.01 px. The output is a standalone, well-formed SVG 1.1 file
/// that browsers display as is.
struct SVGDocument {
    let width: Double
    let height: Double
    private(set) var body: [String] = []

    /// The font stack used for all text.
    static let font = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'Liberation Sans', sans-serif"

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// Appends a raw element (already escaped).
    mutating func append(_ element: String) { body.append(element) }

    mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String,
                       extra: [(String, String)] = []) {
        append(element("rect", [("x", Self.n(x)), ("y", Self.n(y)), ("width", Self.n(width)),
                                 ("height", Self.n(height)), ("fill", fill)] + extra))
    }

    mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width: Double = 1,
                       extra: [(String, String)] = []) {
        append(element("line", [("x1", Self.n(x1)), ("y1", Self.n(y1)), ("x2", Self.n(x2)), ("y2", Self.n(y2)),
                                 ("stroke", stroke), ("stroke-width", Self.n(width))] + extra))
    }

    mutating func circle(cx: Double, cy: Double, r: Double, fill: String, extra: [(String, String)] = []) {
        append(element("circle", [("cx", Self.n(cx)), ("cy", Self.n(cy)), ("r", Self.n(r)), ("fill", fill)] + extra))
    }

    mutating func text(_ content: String, x: Double, y: Double, size: Double = 12, anchor: String = "start",
                       fill: String = "#333", extra: [(String, String)] = []) {
        append(element("text", [("x", Self.n(x)), ("y", Self.n(y)), ("font-size", Self.n(size)),
                                 ("text-anchor", anchor), ("fill", fill)] + extra, content: content))
    }

    /// `<name a="v" ...>content</name>` (or self-closing without content).
    func element(_ name: String, _ attributes: [(String, String)], content: String? = nil) -> String {
        let attrs = attributes.map { " \($0.0)=\"\(Self.escape($0.1))\"" }.joined()
        guard let content else { return "<\(name)\(attrs)/>" }
        return "<\(name)\(attrs)>\(Self.escape(content))</\(name)>"
    }

    /// The whole document.
    func render() -> String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"\(Self.n(width))\" height=\"\(Self.n(height))\" "
        out += "viewBox=\"0 0 \(Self.n(width)) \(Self.n(height))\" font-family=\"\(Self.escape(Self.font))\">\n"
        out += body.joined(separator: "\n")
        out += "\n</svg>\n"
        return out
    }

    /// A coordinate rounded to 0.01.
    static func n(_ x: Double) -> String {
        guard x.isFinite else { return "0" }
        let r = (x * 100).rounded() / 100
        if r == r.rounded() && abs(r) < 1e15 { return String(Int(r)) }
        return String(format: "%.2f", r)
    }

    /// XML escaping for text and attribute values; control characters
    /// that XML 1.0 forbids are dropped.
    static func escape(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value >= 0x20 && scalar.value != 0xFFFE && scalar.value != 0xFFFF {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
