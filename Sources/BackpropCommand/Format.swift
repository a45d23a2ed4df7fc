import Foundation
import Backprop

/// Number and time formatting for the command's output.
enum Format {
    /// A loss: four significant digits, scientific when tiny.
    static func loss(_ x: Double) -> String {
        guard x.isFinite else { return "\(x)" }
        return abs(x) >= 1e-3 || x == 0 ? String(format: "%.4f", x) : String(format: "%.3e", x)
    }

    /// A fraction as a percentage with one decimal: "97.5%".
    static func percent(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }

    /// A general number, six significant digits.
    static func number(_ x: Double) -> String { String(format: "%.6g", x) }

    /// "0.4s", "12s", "3:05", "1:02:03".
    static func duration(_ d: Duration) -> String {
        let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        if seconds < 10 { return String(format: "%.1fs", seconds) }
        if seconds < 60 { return String(format: "%.0fs", seconds) }
        let total = Int(seconds.rounded())
        let h = total / 3600, m = (total % 3600) / 60, s = total % 60
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m, s)
    }

    /// "2 → 16 relu → 16 relu → 1 sigmoid".
    static func architecture(_ network: Network<Double>) -> String {
        ([String(network.inputSize)] + network.layers.map { "\($0.outputSize) \($0.activation)" })
            .joined(separator: " → ")
    }

    /// "binary cross-entropy" for `.binaryCrossEntropy`, etc.
    static func loss(name loss: Loss) -> String {
        switch loss {
        case .meanSquaredError: return "mean squared error"
        case .binaryCrossEntropy: return "binary cross-entropy"
        case .categoricalCrossEntropy: return "categorical cross-entropy"
        }
    }
}
