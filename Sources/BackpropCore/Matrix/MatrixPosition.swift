/// A row and column of a matrix.
struct MatrixPosition: Sendable, Equatable {
    var row: Int
    var column: Int

    /// The position of `m`'s first NaN or infinity, or nil.
    init?<Scalar: NetworkScalar>(firstNonFiniteOf m: Matrix<Scalar>) {
        guard let (row, column) = m.firstNonFinite() else { return nil }
        self.row = row
        self.column = column
    }
}
