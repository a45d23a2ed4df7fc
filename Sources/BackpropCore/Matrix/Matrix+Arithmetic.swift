// Element-wise arithmetic: sums, differences and Hadamard products of two
// matrices of one shape, and of a matrix and a scalar. The matrix product
// is `multiplied(by:)`.

extension Matrix {
    // MARK: Matrix and matrix

    /// The element-wise sum: `(A + B)_ij = A_ij + B_ij`.
    /// - Throws: ``BackpropError/shapeMismatch(what:expected:got:)`` when the
    ///   shapes differ.
    public static func + (lhs: Matrix, rhs: Matrix) throws -> Matrix {
        var result = lhs
        try result += rhs
        return result
    }

    /// The element-wise difference: `(A − B)_ij = A_ij − B_ij`.
    /// - Throws: ``BackpropError/shapeMismatch(what:expected:got:)`` when the
    ///   shapes differ.
    public static func - (lhs: Matrix, rhs: Matrix) throws -> Matrix {
        var result = lhs
        try result -= rhs
        return result
    }

    /// The element-wise (Hadamard) product, as numpy's `*`:
    /// `(A ⊙ B)_ij = A_ij · B_ij`. The matrix product `A·B` is
    /// ``multiplied(by:)``.
    /// - Throws: ``BackpropError/shapeMismatch(what:expected:got:)`` when the
    ///   shapes differ.
    public static func * (lhs: Matrix, rhs: Matrix) throws -> Matrix {
        var result = lhs
        try result *= rhs
        return result
    }

    /// Adds `rhs` element by element: `A_ij ← A_ij + B_ij`.
    /// - Throws: ``BackpropError/shapeMismatch(what:expected:got:)`` when the
    ///   shapes differ; `lhs` is then unchanged.
    public static func += (lhs: inout Matrix, rhs: Matrix) throws {
        try lhs.requireShape(of: rhs, for: "element-wise sum")
        lhs.formElementwise(.add, rhs)
    }

    /// Subtracts `rhs` element by element: `A_ij ← A_ij − B_ij`.
    /// - Throws: ``BackpropError/shapeMismatch(what:expected:got:)`` when the
    ///   shapes differ; `lhs` is then unchanged.
    public static func -= (lhs: inout Matrix, rhs: Matrix) throws {
        try lhs.requireShape(of: rhs, for: "element-wise difference")
        lhs.formElementwise(.subtract, rhs)
    }

    /// Multiplies by `rhs` element by element (Hadamard product):
    /// `A_ij ← A_ij · B_ij`.
    /// - Throws: ``BackpropError/shapeMismatch(what:expected:got:)`` when the
    ///   shapes differ; `lhs` is then unchanged.
    public static func *= (lhs: inout Matrix, rhs: Matrix) throws {
        try lhs.requireShape(of: rhs, for: "element-wise (Hadamard) product")
        lhs.formElementwise(.multiply, rhs)
    }

    // MARK: Matrix and scalar

    /// `s` added to every element: `(A + s)_ij = A_ij + s`.
    public static func + (lhs: Matrix, rhs: Scalar) -> Matrix {
        var result = lhs
        result += rhs
        return result
    }

    /// `s` added to every element: `(s + A)_ij = s + A_ij`.
    public static func + (lhs: Scalar, rhs: Matrix) -> Matrix { rhs + lhs }

    /// `s` subtracted from every element: `(A − s)_ij = A_ij − s`.
    public static func - (lhs: Matrix, rhs: Scalar) -> Matrix {
        var result = lhs
        result -= rhs
        return result
    }

    /// Every element subtracted from `s`: `(s − A)_ij = s − A_ij`.
    public static func - (lhs: Scalar, rhs: Matrix) -> Matrix {
        var result = rhs
        result.formElementwise(.subtractFrom, lhs)
        return result
    }

    /// Every element times `s`: `(A · s)_ij = A_ij · s`.
    public static func * (lhs: Matrix, rhs: Scalar) -> Matrix {
        var result = lhs
        result *= rhs
        return result
    }

    /// Every element times `s`: `(s · A)_ij = s · A_ij`.
    public static func * (lhs: Scalar, rhs: Matrix) -> Matrix { rhs * lhs }

    /// Every element negated: `(−A)_ij = −A_ij` (computed as `(−1)·A_ij`,
    /// which is exact, signed zeros included).
    public static prefix func - (operand: Matrix) -> Matrix { operand * -1 }

    /// Adds `s` to every element: `A_ij ← A_ij + s`.
    public static func += (lhs: inout Matrix, rhs: Scalar) { lhs.formElementwise(.add, rhs) }

    /// Subtracts `s` from every element: `A_ij ← A_ij − s`.
    public static func -= (lhs: inout Matrix, rhs: Scalar) { lhs.formElementwise(.subtract, rhs) }

    /// Multiplies every element by `s`: `A_ij ← A_ij · s`.
    public static func *= (lhs: inout Matrix, rhs: Scalar) { lhs.formElementwise(.multiply, rhs) }

    // MARK: The loops

    /// What one element-wise loop computes, with `x` the element and `y` the
    /// other operand's element (or the scalar).
    private enum ElementwiseOperation {
        /// `x + y`
        case add
        /// `x − y`
        case subtract
        /// `x · y`
        case multiply
        /// `y − x`
        case subtractFrom
    }

    /// Throws unless `other` has this matrix's shape.
    private func requireShape(of other: Matrix, for operation: String) throws {
        guard other.rows == rows && other.columns == columns else {
            throw BackpropError.shapeMismatch(what: "right-hand matrix of an \(operation)",
                                              expected: "\(rows) × \(columns)",
                                              got: "\(other.rows) × \(other.columns)")
        }
    }

    /// `x_i ← x_i ∘ y_i` for every element, `other` having this shape.
    //
    // Specialized for Double and Float, as the loop below: generic code
    // would call the scalar type's arithmetic through its witness table,
    // element by element.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    private mutating func formElementwise(_ operation: ElementwiseOperation, _ other: Matrix) {
        elements.withUnsafeMutableBufferPointer { x in
            other.elements.withUnsafeBufferPointer { y in
                switch operation {
                case .add: for i in x.indices { x[i] += y[i] }
                case .subtract: for i in x.indices { x[i] -= y[i] }
                case .multiply: for i in x.indices { x[i] *= y[i] }
                case .subtractFrom: for i in x.indices { x[i] = y[i] - x[i] }
                }
            }
        }
    }

    /// `x_i ← x_i ∘ s` for every element.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    private mutating func formElementwise(_ operation: ElementwiseOperation, _ s: Scalar) {
        elements.withUnsafeMutableBufferPointer { x in
            switch operation {
            case .add: for i in x.indices { x[i] += s }
            case .subtract: for i in x.indices { x[i] -= s }
            case .multiply: for i in x.indices { x[i] *= s }
            case .subtractFrom: for i in x.indices { x[i] = s - x[i] }
            }
        }
    }
}
