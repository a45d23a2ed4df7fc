import BackpropCore
/// Per-column standardization `x' = (x − mean) / scale`, fitted on training
/// data and stored with a model so that new data is scaled the same way.
///
/// `scale` is the population standard deviation of the column; a constant
/// column gets scale 1 (it is only centred), so nothing is divided by zero.
public struct Standardizer: Sendable, Equatable {
    /// The mean of each column.
    public let mean: [Double]
    /// The divisor of each column (finite, > 0).
    public let scale: [Double]

    /// A standardizer with the given statistics.
    /// - Throws: ``/BackpropCore/BackpropError`` unless both arrays have the same non-zero
    ///   length, every mean is finite and every scale finite and > 0.
    public init(mean: [Double], scale: [Double]) throws {
        guard !mean.isEmpty else { throw BackpropError.emptyData(what: "standardizer mean") }
        guard mean.count == scale.count else {
            throw BackpropError.shapeMismatch(what: "standardizer scale", expected: "\(mean.count) values",
                                              got: "\(scale.count) values")
        }
        if let j = mean.firstIndex(where: { !$0.isFinite }) {
            throw BackpropError.nonFinite(what: "standardizer mean", row: 0, column: j)
        }
        if let j = scale.firstIndex(where: { !($0.isFinite && $0 > 0) }) {
            throw BackpropError.invalidHyperparameter(name: "standardizer scale \(j)", value: "\(scale[j])",
                                                      expected: "finite and > 0")
        }
        self.mean = mean
        self.scale = scale
    }

    /// Fits the mean and standard deviation of every column of `data`.
    /// - Throws: ``/BackpropCore/BackpropError`` for empty or non-finite data.
    public init(fitting data: Matrix<Double>) throws {
        guard data.rows > 0, data.columns > 0 else { throw BackpropError.emptyData(what: "data to standardize") }
        if let (r, c) = data.firstNonFinite() { throw BackpropError.nonFinite(what: "data to standardize", row: r, column: c) }
        let n = Double(data.rows)
        var mean = [Double](repeating: 0, count: data.columns)
        var scale = [Double](repeating: 1, count: data.columns)
        for j in 0..<data.columns {
            // Two passes (mean, then squared deviations) for accuracy; the
            // values are divided by the column's largest magnitude first so
            // that squaring cannot overflow.
            var peak = 0.0
            for i in 0..<data.rows { peak = Swift.max(peak, abs(data[i, j])) }
            guard peak > 0 else { continue }
            var sum = 0.0
            for i in 0..<data.rows { sum += data[i, j] / peak }
            let m = sum / n
            var squares = 0.0
            for i in 0..<data.rows { let d = data[i, j] / peak - m; squares += d * d }
            let std = (squares / n).squareRoot() * peak
            mean[j] = m * peak
            scale[j] = std.isFinite && std > peak * 1e-12 ? std : 1
        }
        try self.init(mean: mean, scale: scale)
    }

    /// Number of columns.
    public var count: Int { mean.count }

    /// `(x − mean) / scale`, column by column.
    /// - Throws: ``/BackpropCore/BackpropError`` for a column count that does not match, or
    ///   when a value becomes non-finite (an input far outside float range).
    public func transform(_ data: Matrix<Double>) throws -> Matrix<Double> {
        try check(data)
        var out = data
        for i in 0..<data.rows {
            for j in 0..<data.columns { out[i, j] = (data[i, j] - mean[j]) / scale[j] }
        }
        if let (r, c) = out.firstNonFinite() { throw BackpropError.nonFinite(what: "standardized data", row: r, column: c) }
        return out
    }

    /// `x' · scale + mean`: the inverse of ``transform(_:)``.
    public func inverseTransform(_ data: Matrix<Double>) throws -> Matrix<Double> {
        try check(data)
        var out = data
        for i in 0..<data.rows {
            for j in 0..<data.columns { out[i, j] = data[i, j] * scale[j] + mean[j] }
        }
        if let (r, c) = out.firstNonFinite() { throw BackpropError.nonFinite(what: "unstandardized data", row: r, column: c) }
        return out
    }

    private func check(_ data: Matrix<Double>) throws {
        guard data.columns == count else {
            throw BackpropError.shapeMismatch(what: "data to standardize", expected: "n × \(count)",
                                              got: "\(data.rows) × \(data.columns)")
        }
    }
}
