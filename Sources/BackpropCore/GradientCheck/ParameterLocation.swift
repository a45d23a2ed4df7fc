import CKernels

/// A parameter (or input) of a network, as named in gradient-check reports.
public enum ParameterLocation: Sendable, Hashable, CustomStringConvertible {
    /// `W_layer[row][column]`.
    case weight(layer: Int, row: Int, column: Int)
    /// `b_layer[index]`.
    case bias(layer: Int, index: Int)
    /// Input `X[row][column]`.
    case input(row: Int, column: Int)

    /// The location as it reads in reports, e.g. `W1[0][2]`.
    public var description: String {
        switch self {
        case let .weight(l, r, c): return "W\(l)[\(r), \(c)]"
        case let .bias(l, i): return "b\(l)[\(i)]"
        case let .input(r, c): return "X[\(r), \(c)]"
        }
    }
}
