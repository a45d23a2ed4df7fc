import BackpropTestSupport
import Testing
@testable import BackpropCore

@Suite("Matrix")
struct MatrixTests {
    @Test func nestedRowsAreRowMajor() throws {
        let m = try Matrix([[1, 2, 3], [4, 5, 6]])
        #expect(m.rows == 2 && m.columns == 3)
        #expect(m.elements == [1, 2, 3, 4, 5, 6])
        #expect(m[1, 0] == 4)
        #expect(m.row(1) == [4, 5, 6])
        #expect(m.transposed() == (try Matrix([[1, 4], [2, 5], [3, 6]])))
        #expect(m.nestedRows == [[1, 2, 3], [4, 5, 6]])
    }

    @Test func valueSemantics() throws {
        let a = try Matrix([[1.0, 2]])
        var b = a
        b[0, 0] = 9
        #expect(a[0, 0] == 1)
        #expect(b[0, 0] == 9)
    }

    @Test func shapeErrors() {
        #expect(throws: BackpropError.raggedRows(row: 1, expected: 2, got: 1)) { try Matrix([[1.0, 2], [3]]) }
        #expect(throws: BackpropError.self) { try Matrix<Double>(rows: 2, columns: 2, elements: [1, 2, 3]) }
        #expect(throws: BackpropError.self) { try Matrix<Double>(rows: -1, columns: 2) }
        #expect(throws: BackpropError.self) { try Matrix<Double>(rows: Int.max, columns: 3) }
    }

    @Test func multiplicationMatchesHandComputedProduct() throws {
        let a = try Matrix([[1.0, 2], [3, 4], [5, 6]]), b = try Matrix([[7.0, 8, 9], [10, 11, 12]])
        let c = try a.multiplied(by: b)
        #expect(c == (try Matrix([[27, 30, 33], [61, 68, 75], [95, 106, 117]])))
        #expect(throws: BackpropError.self) { try a.multiplied(by: a) }
    }

    // MARK: Element-wise arithmetic

    /// `f(A_ij, B_ij)` by an index loop over (i, j), built from nested rows.
    private static func reference<S: NetworkScalar>(_ a: Matrix<S>, _ b: Matrix<S>,
                                                    _ f: (S, S) -> S) throws -> Matrix<S> {
        var rows: [[S]] = []
        for i in 0..<a.rows { rows.append((0..<a.columns).map { j in f(a[i, j], b[i, j]) }) }
        return try Matrix(rows: a.rows, columns: a.columns, elements: rows.flatMap { $0 })
    }

    /// `f(A_ij)` by an index loop over (i, j).
    private static func reference<S: NetworkScalar>(_ a: Matrix<S>, _ f: (S) -> S) throws -> Matrix<S> {
        try reference(a, a) { x, _ in f(x) }
    }

    /// Every operator, in `S`, against the index-loop reference on random
    /// matrices of several shapes (empty ones too) and random scalars.
    private static func checkOperators<S: NetworkScalar>(_: S.Type, seed: UInt64) throws {
        var rng = TestRandom(seed: seed)
        for (rows, columns) in [(1, 1), (3, 4), (7, 5), (2, 9), (0, 3), (4, 0)] {
            let a = rng.matrix(rows, columns) { $0.normal() }.converted(to: S.self)
            let b = rng.matrix(rows, columns) { $0.normal() }.converted(to: S.self)
            let s = S(rng.normal())

            #expect(try a + b == reference(a, b, +))
            #expect(try a - b == reference(a, b, -))
            #expect(try a * b == reference(a, b, *))
            #expect(try a + s == reference(a) { $0 + s })
            #expect(try s + a == reference(a) { s + $0 })
            #expect(try a - s == reference(a) { $0 - s })
            #expect(try s - a == reference(a) { s - $0 })
            #expect(try a * s == reference(a) { $0 * s })
            #expect(try s * a == reference(a) { s * $0 })
            #expect(try -a == reference(a) { -$0 })

            var c = a
            try c += b
            #expect(try c == reference(a, b, +))
            c = a
            try c -= b
            #expect(try c == reference(a, b, -))
            c = a
            try c *= b
            #expect(try c == reference(a, b, *))
            c = a
            c += s
            #expect(try c == reference(a) { $0 + s })
            c = a
            c -= s
            #expect(try c == reference(a) { $0 - s })
            c = a
            c *= s
            #expect(try c == reference(a) { $0 * s })
        }
    }

    @Test func elementwiseOperatorsMatchIndexLoopsInDouble() throws {
        try Self.checkOperators(Double.self, seed: 41)
    }

    @Test func elementwiseOperatorsMatchIndexLoopsInFloat() throws {
        try Self.checkOperators(Float.self, seed: 42)
    }

    /// An operand is never changed by a non-mutating operator, nor a copy by
    /// a compound one (value semantics through copy-on-write).
    @Test func operatorsLeaveTheirOperandsAlone() throws {
        let a: Matrix = [[1, -2], [3, 4]], b: Matrix = [[5, 6], [-7, 8]]
        let copy = a
        _ = try a + b
        _ = try a * b
        _ = 2 - a
        _ = -a
        var c = a
        try c -= b
        c *= 3
        #expect(a == copy && a.elements == [1, -2, 3, 4])
        #expect(b.elements == [5, 6, -7, 8])
        #expect(c.elements == [-12, -24, 30, -12])
    }

    /// Negation flips the sign of zeros too: `−(+0) = −0`, `−(−0) = +0`.
    @Test func negationIsExactForZerosAndInfinities() {
        let a: Matrix = [[0, -0.0, .infinity, -.infinity]]
        #expect((-a).elements.map(\.sign) == [.minus, .plus, .minus, .plus])
        #expect((-a).elements.map(\.isInfinite) == [false, false, true, true])
    }

    /// Every matrix–matrix operator throws `shapeMismatch` naming both shapes,
    /// for shapes with the same element count too, in both precisions; a
    /// compound operator leaves its left-hand side unchanged.
    @Test func elementwiseShapeMismatchThrows() throws {
        func check<S: NetworkScalar>(_ a: Matrix<S>, _ b: Matrix<S>) {
            let expected = "\(a.rows) × \(a.columns)", got = "\(b.rows) × \(b.columns)"
            let isMismatch = { (error: any Error) -> Bool in
                guard case let .shapeMismatch(_, e, g) = error as? BackpropError else { return false }
                return e == expected && g == got
            }
            #expect(performing: { try a + b }, throws: isMismatch)
            #expect(performing: { try a - b }, throws: isMismatch)
            #expect(performing: { try a * b }, throws: isMismatch)
            var c = a
            #expect(performing: { try c += b }, throws: isMismatch)
            #expect(performing: { try c -= b }, throws: isMismatch)
            #expect(performing: { try c *= b }, throws: isMismatch)
            #expect(c == a)
        }
        var rng = TestRandom(seed: 43)
        let a = rng.matrix(2, 3) { $0.normal() }
        for b in [rng.matrix(3, 2) { $0.normal() }, rng.matrix(2, 2) { $0.normal() },
                  rng.matrix(1, 3) { $0.normal() }, rng.matrix(0, 0) { $0.normal() }] {
            check(a, b)
            check(a.converted(to: Float.self), b.converted(to: Float.self))
        }
    }

    /// The mean-squared-error gradient `dL/dŷ = 2(ŷ − Y)/n` written with the
    /// operators, fed to `backward(_:outputGradient:)`, gives the gradients of
    /// the library's own `meanSquaredError` (`L = 1/n Σ (ŷ − y)²` for one
    /// output).
    @Test func handWrittenLossGradientMatchesTheLibrarysMeanSquaredError() throws {
        var rng = TestRandom(seed: 44)
        let inputs = rng.matrix(6, 3) { $0.normal() }, targets = rng.matrix(6, 1) { $0.normal() }
        let network = try Network(inputSize: 3, layers: [.dense(5, .tanh), .dense(1, .identity)],
                                  loss: .meanSquaredError, seed: 7)
        let trace = try network.forward(inputs)
        let prediction = trace.outputs
        let n = Double(prediction.rows)
        let outputGradient = try (prediction - targets) * (2 / n)
        for i in 0..<6 {
            #expect(close(outputGradient[i, 0], 2 * (prediction[i, 0] - targets[i, 0]) / n, rel: 1e-15))
        }
        let handWritten = try network.backward(trace, outputGradient: outputGradient)
        let library = try network.gradients(inputs: inputs, targets: targets)
        for (mine, theirs) in zip(handWritten.layers, library.layers) {
            for (x, y) in zip(mine.weights.elements + mine.bias, theirs.weights.elements + theirs.bias) {
                #expect(close(x, y, rel: 1e-12))
            }
        }
    }

    // MARK: Literals

    @Test func arrayLiteralsAreRows() throws {
        let x: Matrix = [[0, 0], [0, 1], [1, 0]]
        #expect(type(of: x) == Matrix<Double>.self)
        #expect(x == (try Matrix(rows: 3, columns: 2, elements: [0, 0, 0, 1, 1, 0])))
        let w: Matrix<Float> = [[1, 2]]
        #expect(w == (try Matrix<Float>(rows: 1, columns: 2, elements: [1, 2])))
        let empty: Matrix<Double> = []
        #expect(empty.rows == 0 && empty.columns == 0 && empty.isEmpty)
        let emptyRow: Matrix<Double> = [[]]
        #expect(emptyRow.rows == 1 && emptyRow.columns == 0)
        // The throwing initializer still takes nested arrays, literal or not.
        let rows: [[Double]] = [[1, 2], [3]]
        #expect(throws: BackpropError.raggedRows(row: 1, expected: 2, got: 1)) { try Matrix(rows) }
        #expect(try Matrix([[1, 2]]) == [[1, 2]])
    }

    /// A ragged literal is a programming error: the process stops with a
    /// message naming the row and both lengths.
    @Test func raggedLiteralStopsNamingTheRow() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let m: Matrix = [[1, 2, 3], [4, 5, 6], [7, 8]]
            print(m)
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("row 2 has 2 values, expected 3"))
    }

    @Test func codableRoundTripAndValidation() throws {
        let m = try Matrix([[0.1, -2.5e-300], [1e300, 3]])
        let data = try JSONEncoder().encode(m)
        #expect(try JSONDecoder().decode(Matrix<Double>.self, from: data) == m)
        let bad = #"{"rows": 2, "columns": 2, "elements": [1, 2, 3]}"#.data(using: .utf8)!
        #expect(throws: BackpropError.self) { try JSONDecoder().decode(Matrix<Double>.self, from: bad) }
    }
}

import Foundation
