import BackpropCore
import BackpropTabular
import Foundation

/// Maps data values to pixels along one axis and chooses its ticks.
struct PlotScale {
    /// The data interval shown (`lower < upper`; positive for a log scale).
    let lower: Double
    let upper: Double
    /// The pixel interval it maps to (`start` for `lower`).
    let start: Double
    let end: Double
    /// Logarithmic (base 10) rather than linear.
    let logarithmic: Bool

    /// A linear scale over `[lower, upper]` widened to nice tick values, or
    /// a log scale widened to whole decades.
    init(lower: Double, upper: Double, start: Double, end: Double, logarithmic: Bool = false, nice: Bool = true) {
        var lo = lower, hi = upper
        if logarithmic {
            lo = Swift.max(lo, Double.leastNormalMagnitude)
            hi = Swift.max(hi, lo)
            if nice {
                lo = pow(10, floor(log10(lo)))
                hi = pow(10, ceil(log10(hi)))
            }
            if hi <= lo { hi = lo * 10 }
        } else {
            if !(hi > lo) {
                let pad = lo == 0 ? 1 : abs(lo) * 0.1
                lo -= pad; hi += pad
            }
            if nice {
                let step = PlotScale.niceStep((hi - lo) / 5)
                lo = floor(lo / step) * step
                hi = ceil(hi / step) * step
            }
        }
        self.lower = lo
        self.upper = hi
        self.start = start
        self.end = end
        self.logarithmic = logarithmic
    }

    /// The pixel position of `value`.
    func callAsFunction(_ value: Double) -> Double {
        let t: Double
        if logarithmic {
            t = (log10(Swift.max(value, Double.leastNormalMagnitude)) - log10(lower)) / (log10(upper) - log10(lower))
        } else {
            t = (value - lower) / (upper - lower)
        }
        return start + t * (end - start)
    }

    /// Tick values with their labels: about five multiples of 1, 2 or 5 ×
    /// 10^k on a linear scale; each decade (and 2×, 5× when few decades are
    /// shown) on a log scale.
    func ticks() -> [(value: Double, label: String)] {
        if logarithmic {
            let first = Int(floor(log10(lower) + 1e-9)), last = Int(ceil(log10(upper) - 1e-9))
            let decades = last - first
            let stride = Swift.max(1, (decades + 5) / 6)
            var out: [(Double, String)] = []
            for e in first...last {
                if (e - first) % stride == 0 { out.append((pow(10, Double(e)), PlotScale.powerLabel(e))) }
                if decades <= 2 && e < last {
                    for m in [2.0, 5.0] {
                        let v = m * pow(10, Double(e))
                        out.append((v, PlotScale.decimalLabel(v, exponent: e)))
                    }
                }
            }
            return out.filter { $0.0 >= lower * (1 - 1e-9) && $0.0 <= upper * (1 + 1e-9) }
        }
        let step = PlotScale.niceStep((upper - lower) / 5)
        let decimals = Swift.max(0, -Int(floor(log10(step) + 1e-9)))
        var out: [(Double, String)] = []
        var v = (lower / step).rounded(.up) * step
        while v <= upper + step * 1e-9 {
            let shown = abs(v) < step * 1e-9 ? 0 : v
            out.append((shown, String(format: "%.\(decimals)f", shown)))
            v += step
        }
        return out
    }

    /// 1, 2 or 5 × 10^k, the nearest at or above `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let power = pow(10, floor(log10(raw)))
        let m = raw / power
        let nice: Double = m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10
        return nice * power
    }

    /// "0.01", "1", "1000", or "1e-5" beyond three decimal places.
    static func powerLabel(_ e: Int) -> String {
        if e >= 0 && e <= 4 { return String(format: "%.0f", pow(10, Double(e))) }
        if e < 0 && e >= -3 { return String(format: "%.\(-e)f", pow(10, Double(e))) }
        return "1e\(e)"
    }

    static func decimalLabel(_ v: Double, exponent e: Int) -> String {
        if e >= 0 && e <= 4 { return String(format: "%.0f", v) }
        if e < 0 && e >= -3 { return String(format: "%.\(-e)f", v) }
        return String(format: "%.0fe%d", v / pow(10, Double(e)), e)
    }
}
