/// A dense, row-major matrix: `rows × columns` scalars, row after row.
///
/// A batch of data is a matrix with one sample per row
/// (`n_samples × n_features`); a layer's weights are `n_in × n_out`.
/// `Matrix` is a value type: copies are independent, and storage is shared
/// until one of them is mutated (copy-on-write, through `Array`).
///
/// A matrix written in source is an array literal of rows; rows known only
/// at run time go through the throwing ``init(_:)``:
///
/// ```swift
/// let x: Matrix = [[0, 0], [0, 1], [1, 0], [1, 1]]   // 4 × 2, Double
/// x[1, 1]      // 1.0
/// let w: Matrix<Float> = [[1, 2]]                    // 1 × 2, Float
/// let y = try Matrix(rowsReadAtRunTime)              // throws on ragged rows
/// ```
///
/// `+`, `-` and `*` work element by element (`*` is the Hadamard product);
/// the matrix product is ``multiplied(by:)``.
public struct Matrix<Scalar: NetworkScalar>: Sendable, Equatable, Hashable, Codable,
    CustomStringConvertible {
    /// Number of rows (samples, for a batch).
    public let rows: Int
    /// Number of columns (features, for a batch).
    public let columns: Int
    /// The `rows · columns` elements in row-major order: element (i, j) is
    /// `elements[i * columns + j]`.
    public internal(set) var elements: [Scalar]

    /// A `rows × columns` matrix with every element equal to `value`.
    /// - Throws: ``BackpropError/invalidHyperparameter(name:value:expected:)``
    ///   for negative sizes or a size whose element count overflows `Int`;
    ///   ``BackpropError/insufficientMemory(what:required:available:)`` for
    ///   more than the machine has (``MemoryBudget/system``).
    public init(rows: Int, columns: Int, repeating value: Scalar = 0) throws {
        let count = try Matrix.elementCount(rows: rows, columns: columns)
        try MemoryBudget.system.require(MemoryBudget.bytes(count: count, size: MemoryLayout<Scalar>.stride),
                                        for: "a \(rows) × \(columns) matrix")
        self.rows = rows
        self.columns = columns
        self.elements = [Scalar](repeating: value, count: count)
    }

    /// A `rows × columns` matrix from its elements in row-major order.
    /// - Throws: ``BackpropError/shapeMismatch(what:expected:got:)`` when
    ///   `elements.count != rows · columns`.
    public init(rows: Int, columns: Int, elements: [Scalar]) throws {
        let count = try Matrix.elementCount(rows: rows, columns: columns)
        guard elements.count == count else {
            throw BackpropError.shapeMismatch(
                what: "matrix elements", expected: "\(count) values for \(rows) × \(columns)",
                got: "\(elements.count) values")
        }
        self.rows = rows
        self.columns = columns
        self.elements = elements
    }

    /// A matrix from nested rows: `Matrix([[1, 2], [3, 4]])` is 2 × 2.
    /// An empty array gives a 0 × 0 matrix. This is the initializer for rows
    /// known only at run time (read or computed); a matrix written in source
    /// is an array literal (``init(arrayLiteral:)``).
    /// - Throws: ``BackpropError/raggedRows(row:expected:got:)`` when the
    ///   rows differ in length.
    public init(_ nestedRows: [[Scalar]]) throws {
        if let ragged = Matrix.firstRaggedRow(of: nestedRows) {
            throw BackpropError.raggedRows(row: ragged.row, expected: ragged.expected, got: ragged.got)
        }
        self.init(uncheckedNestedRows: nestedRows)
    }

    /// A matrix from nested rows of equal length.
    private init(uncheckedNestedRows nestedRows: [[Scalar]]) {
        let columns = nestedRows.first?.count ?? 0
        self.rows = nestedRows.count
        self.columns = nestedRows.isEmpty ? 0 : columns
        var flat = [Scalar]()
        flat.reserveCapacity(rows * columns)
        for row in nestedRows { flat.append(contentsOf: row) }
        self.elements = flat
    }

    /// A `values.count × 1` column matrix, e.g. the targets of a network
    /// with one output.
    public init(column values: [Scalar]) {
        self.rows = values.count
        self.columns = 1
        self.elements = values
    }

    /// A `1 × values.count` row matrix: one sample.
    public init(row values: [Scalar]) {
        self.rows = 1
        self.columns = values.count
        self.elements = values
    }

    /// Unchecked memberwise initializer for internal use (shape already valid).
    init(uncheckedRows rows: Int, columns: Int, elements: [Scalar]) {
        self.rows = rows
        self.columns = columns
        self.elements = elements
    }

    /// `(rows, columns)`.
    public var shape: (rows: Int, columns: Int) { (rows, columns) }

    /// Whether the matrix has no elements.
    public var isEmpty: Bool { elements.isEmpty }

    /// Element (row, column). Out-of-range indices are a programming error and
    /// trap, exactly as `Array` subscripts do.
    public subscript(row: Int, column: Int) -> Scalar {
        get {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns,
                         "Matrix index (\(row), \(column)) out of range for \(rows) × \(columns)")
            return elements[row * columns + column]
        }
        set {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns,
                         "Matrix index (\(row), \(column)) out of range for \(rows) × \(columns)")
            elements[row * columns + column] = newValue
        }
    }

    /// Row `i` as an array.
    public func row(_ i: Int) -> [Scalar] {
        precondition(i >= 0 && i < rows, "row \(i) out of range for \(rows) rows")
        return Array(elements[i * columns ..< (i + 1) * columns])
    }

    /// The rows as nested arrays (the inverse of `init(_:)`).
    public var nestedRows: [[Scalar]] { (0..<rows).map(row) }

    /// The matrix with rows and columns swapped.
    public func transposed() -> Matrix {
        var out = [Scalar](repeating: 0, count: elements.count)
        for i in 0..<rows {
            for j in 0..<columns { out[j * rows + i] = elements[i * columns + j] }
        }
        return Matrix(uncheckedRows: columns, columns: rows, elements: out)
    }

    /// The rows at `indices`, in that order (for splitting data sets).
    public func rows(at indices: [Int]) -> Matrix {
        var out = [Scalar]()
        out.reserveCapacity(indices.count * columns)
        for i in indices {
            precondition(i >= 0 && i < rows, "row \(i) out of range for \(rows) rows")
            out.append(contentsOf: elements[i * columns ..< (i + 1) * columns])
        }
        return Matrix(uncheckedRows: indices.count, columns: columns, elements: out)
    }

    /// The same matrix in another precision.
    public func converted<Other: NetworkScalar>(to _: Other.Type = Other.self) -> Matrix<Other> {
        Matrix<Other>(uncheckedRows: rows, columns: columns, elements: elements.map { Other($0) })
    }

    /// `self · other` through the blocked GEMM kernel.
    /// - Throws: ``BackpropError/shapeMismatch(what:expected:got:)`` when
    ///   `columns != other.rows`.
    public func multiplied(by other: Matrix) throws -> Matrix {
        guard columns == other.rows else {
            throw BackpropError.shapeMismatch(
                what: "right-hand matrix of a product", expected: "\(columns) × n",
                got: "\(other.rows) × \(other.columns)")
        }
        var out = [Scalar](repeating: 0, count: rows * other.columns)
        try elements.withUnsafeBufferPointer { a in
            try other.elements.withUnsafeBufferPointer { b in
                try out.withUnsafeMutableBufferPointer { c in
                    try Kernels.gemm(transA: false, transB: false, m: rows, n: other.columns, k: columns,
                                     alpha: 1, a: a.baseAddress, lda: max(columns, 1),
                                     b: b.baseAddress, ldb: max(other.columns, 1),
                                     beta: 0, c: c.baseAddress, ldc: max(other.columns, 1))
                }
            }
        }
        return Matrix(uncheckedRows: rows, columns: other.columns, elements: out)
    }

    /// The position of the first NaN or infinity, if any.
    public func firstNonFinite() -> (row: Int, column: Int)? {
        guard let i = Kernels.firstNonFinite(elements) else { return nil }
        return (i / Swift.max(columns, 1), i % Swift.max(columns, 1))
    }

    /// `Matrix r × c [[…], …]`: the shape, then every row.
    public var description: String {
        let body = nestedRows.map { "[" + $0.map { "\($0)" }.joined(separator: ", ") + "]" }
        return "Matrix \(rows) × \(columns) [" + body.joined(separator: ", ") + "]"
    }

    private enum CodingKeys: String, CodingKey { case rows, columns, elements }

    /// Decodes `{"rows": r, "columns": c, "elements": [...]}`, validating the shape.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(rows: try container.decode(Int.self, forKey: .rows),
                      columns: try container.decode(Int.self, forKey: .columns),
                      elements: try container.decode([Scalar].self, forKey: .elements))
    }

    /// The first row whose length differs from row 0's: its index, row 0's
    /// length and its own.
    private static func firstRaggedRow(of nestedRows: [[Scalar]]) -> (row: Int, expected: Int, got: Int)? {
        let columns = nestedRows.first?.count ?? 0
        guard let i = nestedRows.firstIndex(where: { $0.count != columns }) else { return nil }
        return (i, columns, nestedRows[i].count)
    }

    static func elementCount(rows: Int, columns: Int) throws -> Int {
        guard rows >= 0, columns >= 0 else {
            throw BackpropError.invalidHyperparameter(
                name: "matrix shape", value: "\(rows) × \(columns)", expected: "non-negative")
        }
        let (count, overflow) = rows.multipliedReportingOverflow(by: columns)
        guard !overflow else {
            throw BackpropError.invalidHyperparameter(
                name: "matrix shape", value: "\(rows) × \(columns)",
                expected: "a size whose element count fits in Int")
        }
        return count
    }
}

extension Matrix: ExpressibleByArrayLiteral {
    /// A matrix written in source as an array literal of rows:
    /// `let x: Matrix = [[0, 0], [0, 1]]` is 2 × 2 (Double unless the type
    /// says otherwise: `let w: Matrix<Float> = [[1, 2]]`); `[]` is 0 × 0.
    ///
    /// A literal is source code, so rows of different lengths are a
    /// programming error: they stop the program with a precondition failure
    /// naming the row and both lengths, as an out-of-range subscript does.
    /// Rows known only at run time go through the throwing ``init(_:)``,
    /// which reports ``BackpropError/raggedRows(row:expected:got:)``.
    public init(arrayLiteral rows: [Scalar]...) {
        if let ragged = Matrix.firstRaggedRow(of: rows) {
            preconditionFailure("Matrix literal: row \(ragged.row) has \(ragged.got) values, expected \(ragged.expected) like row 0")
        }
        self.init(uncheckedNestedRows: rows)
    }
}
