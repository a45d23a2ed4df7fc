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

    @Test func codableRoundTripAndValidation() throws {
        let m = try Matrix([[0.1, -2.5e-300], [1e300, 3]])
        let data = try JSONEncoder().encode(m)
        #expect(try JSONDecoder().decode(Matrix<Double>.self, from: data) == m)
        let bad = #"{"rows": 2, "columns": 2, "elements": [1, 2, 3]}"#.data(using: .utf8)!
        #expect(throws: BackpropError.self) { try JSONDecoder().decode(Matrix<Double>.self, from: bad) }
    }
}

import Foundation
