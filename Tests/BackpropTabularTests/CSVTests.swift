import Foundation
import BackpropTestSupport
import Testing
import BackpropCore
@testable import BackpropTabular

/// CSV reading, feature/label extraction, task inference, class labels and
/// standardization.
@Suite("CSV data")
struct CSVTests {
    func table(_ text: String) throws -> CSVTable { try CSVTable(string: text, source: "t.csv") }

    func expectError(_ kind: DataFileError.Kind, line: Int?, column: Int?,
                     sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected \(kind)", sourceLocation: sourceLocation)
        } catch let error as DataFileError {
            #expect(error.kind == kind, sourceLocation: sourceLocation)
            #expect(error.line == line, "line", sourceLocation: sourceLocation)
            #expect(error.column == column, "column", sourceLocation: sourceLocation)
            #expect(error.file == "t.csv", sourceLocation: sourceLocation)
            #expect(!error.description.contains("\n"), sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func headerRecordsAndLines() throws {
        let t = try table("\u{FEFF}a, b ,label\r\n1,2,x\r\n\r\n  \n3,4,\"y, quoted\"\n\"5\",6,\"multi\nline\"\n7,8,z")
        #expect(t.header == ["a", "b", "label"])
        #expect(t.records == [["1", "2", "x"], ["3", "4", "y, quoted"], ["5", "6", "multi\nline"], ["7", "8", "z"]])
        // Lines: header 1, record 2, blank 3 and 4, record 5, record 6-7, record 8.
        #expect(t.lines == [2, 5, 6, 8])
    }

    @Test func numbersAreParsedStrictly() throws {
        let t = try table("x,y\n1e-3,-0.5\n0x1p-2,+7\n")
        #expect(try t.number(record: 0, column: 0) == 0.001)
        #expect(try t.number(record: 0, column: 1) == -0.5)
        #expect(try t.number(record: 1, column: 0) == 0.25)
        #expect(try t.number(record: 1, column: 1) == 7)
    }

    @Test func badFiles() throws {
        expectError(.empty, line: nil, column: nil) { _ = try table("") }
        expectError(.empty, line: nil, column: nil) { _ = try table("\n\n  \n") }
        expectError(.noRows, line: 1, column: nil) { _ = try table("a,b\n") }
        expectError(.raggedRow(expected: 3, got: 2), line: 4, column: 3) { _ = try table("a,b,c\n1,2,3\n\n4,5\n") }
        expectError(.raggedRow(expected: 2, got: 3), line: 2, column: 3) { _ = try table("a,b\n1,2,3\n") }
        expectError(.emptyColumnName, line: 1, column: 2) { _ = try table("a,,c\n1,2,3\n") }
        expectError(.duplicateColumn("a"), line: 1, column: 3) { _ = try table("a,b,a\n1,2,3\n") }
        expectError(.notANumber("abc", column: "b"), line: 3, column: 2) {
            _ = try TabularData(table: table("a,b,y\n1,2,p\n1,abc,q\n"))
        }
        expectError(.emptyCell(column: "a"), line: 2, column: 1) { _ = try TabularData(table: table("a,b,y\n,2,p\n")) }
        expectError(.nonFinite("nan", column: "b"), line: 2, column: 2) { _ = try TabularData(table: table("a,b,y\n1,nan,p\n")) }
        expectError(.nonFinite("inf", column: "a"), line: 2, column: 1) { _ = try TabularData(table: table("a,b,y\ninf,1,p\n")) }
        expectError(.nonFinite("1e999", column: "a"), line: 2, column: 1) { _ = try TabularData(table: table("a,b,y\n1e999,1,p\n")) }
        expectError(.missingColumn("label", available: ["a", "b", "y"]), line: 1, column: nil) {
            _ = try TabularData(table: table("a,b,y\n1,2,p\n"), labelColumn: "label")
        }
        expectError(.noFeatures, line: 1, column: nil) { _ = try TabularData(table: table("y\np\n")) }
    }

    @Test func fileErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("missing.csv")
        #expect(throws: DataFileError(file: missing.path, .notFound)) { try CSVTable(contentsOf: missing) }
        #expect(throws: DataFileError(file: dir.path, .unreadable("it is a directory"))) { try CSVTable(contentsOf: dir) }
        let latin1 = dir.appendingPathComponent("latin1.csv")
        try Data([0x61, 0x2C, 0x62, 0x0A, 0x31, 0x2C, 0x32, 0x0A, 0x33, 0x2C, 0xE9, 0x0A]).write(to: latin1)
        do {
            _ = try CSVTable(contentsOf: latin1)
            Issue.record("expected an error")
        } catch let error as DataFileError {
            #expect(error.line == 3)
            guard case let .unreadable(reason) = error.kind else { Issue.record("\(error)"); return }
            #expect(reason.contains("UTF-8") && reason.contains("offset 10"))
        }
        let empty = dir.appendingPathComponent("empty.csv")
        try Data().write(to: empty)
        #expect(throws: DataFileError(file: empty.path, .empty)) { try CSVTable(contentsOf: empty) }
    }

    @Test func featuresAndLabels() throws {
        let t = try table("x1,label,x2\n1,b,2\n3,a,4\n5,b,6\n")
        let data = try TabularData(table: t, labelColumn: "label")
        #expect(data.featureNames == ["x1", "x2"])
        #expect(data.features == (try Matrix([[1, 2], [3, 4], [5, 6]])))
        #expect(data.labels == ["b", "a", "b"])
        let classes = try data.fitClasses()
        #expect(classes.names == ["a", "b"])
        #expect(try data.classIndices(using: classes) == [1, 0, 1])

        // The last column is the default label; here that leaves the text
        // column "label" as a feature, which is reported at its first cell.
        expectError(.notANumber("b", column: "label"), line: 2, column: 2) { _ = try TabularData(table: t) }
        let byDefault = try TabularData(table: table("x1,x2,y\n1,2,b\n"))
        #expect(byDefault.labelName == "y" && byDefault.featureNames == ["x1", "x2"])
    }

    @Test func matchingAModelsColumns() throws {
        // Columns in another order, label present: read by name.
        let t = try table("b,y,a\n2,q,1\n4,p,3\n")
        let data = try TabularData(table: t, featureNames: ["a", "b"], labelColumn: "y", requireLabels: true)
        #expect(data.features == (try Matrix([[1, 2], [3, 4]])))
        // Label column optional for prediction.
        let noLabel = try TabularData(table: table("a,b\n1,2\n"), featureNames: ["a", "b"], labelColumn: "y", requireLabels: false)
        #expect(noLabel.labels == nil)
        expectError(.missingColumn("y", available: ["a", "b"]), line: 1, column: nil) {
            _ = try TabularData(table: table("a,b\n1,2\n"), featureNames: ["a", "b"], labelColumn: "y", requireLabels: true)
        }
        expectError(.missingColumn("b", available: ["a", "y"]), line: 1, column: nil) {
            _ = try TabularData(table: table("a,y\n1,p\n"), featureNames: ["a", "b"], labelColumn: "y", requireLabels: false)
        }
        expectError(.unexpectedColumn("c"), line: 1, column: 3) {
            _ = try TabularData(table: table("a,b,c\n1,2,3\n"), featureNames: ["a", "b"], labelColumn: "y", requireLabels: false)
        }
        // A label never seen in training.
        let classes = try ClassLabels(names: ["p", "q"])
        expectError(.unknownLabel("r", column: "y", known: ["p", "q"]), line: 3, column: 2) {
            _ = try TabularData(table: table("a,y\n1,p\n2,r\n"), featureNames: ["a"], labelColumn: "y",
                                requireLabels: true).classIndices(using: classes)
        }
    }

    @Test func classOrder() throws {
        #expect(try ClassLabels(fitting: ["10", "2", "1", "2"]).names == ["1", "2", "10"])
        #expect(try ClassLabels(fitting: ["b", "B", "a"]).names == ["B", "a", "b"])
        #expect(try ClassLabels(fitting: ["-1", "1"]).names == ["-1", "1"])
        #expect(throws: BackpropError.self) { try ClassLabels(fitting: ["x", "x"]) }
        #expect(throws: BackpropError.self) { try ClassLabels(names: ["a", "a"]) }
        expectError(.tooFewClasses(column: "y", found: ["p"]), line: 2, column: 2) {
            _ = try TabularData(table: table("a,y\n1,p\n2,p\n")).fitClasses()
        }
        expectError(.emptyCell(column: "y"), line: 3, column: 2) {
            _ = try TabularData(table: table("a,y\n1,p\n2,\n3,q\n")).fitClasses()
        }
    }

    @Test func regressionLabels() throws {
        let data = try TabularData(table: table("a,y\n1,0.5\n2,-3e2\n"))
        #expect(try data.numericLabels() == [0.5, -300])
        expectError(.notANumber("high", column: "y"), line: 3, column: 2) {
            _ = try TabularData(table: table("a,y\n1,0.5\n2,high\n")).numericLabels()
        }
    }

    @Test func taskInference() {
        #expect(LearningTask.infer(fromLabels: ["cat", "dog", "cat"]).task == .classification)
        #expect(LearningTask.infer(fromLabels: ["0", "1", "1", "0"]).task == .classification)
        #expect(LearningTask.infer(fromLabels: ["0.5", "1", "1", "0"]).task == .regression)
        // Many distinct integers: a quantity, not classes.
        #expect(LearningTask.infer(fromLabels: (0..<100).map(String.init)).task == .regression)
        // As many classes as rows is not a classification either.
        #expect(LearningTask.infer(fromLabels: ["1", "2", "3"]).task == .regression)
    }

    @Test func standardizer() throws {
        let x = try Matrix([[1, 10, 5], [3, 30, 5], [5, 50, 5]])
        let s = try Standardizer(fitting: x)
        #expect(s.mean == [3, 30, 5])
        // Population standard deviation √(8/3); a constant column keeps scale 1.
        #expect(close(s.scale[0], (8.0 / 3).squareRoot(), rel: 1e-15))
        #expect(close(s.scale[1], 10 * (8.0 / 3).squareRoot(), rel: 1e-15))
        #expect(s.scale[2] == 1)
        let z = try s.transform(x)
        #expect(z[1, 0] == 0 && z[1, 2] == 0)
        #expect(close(z[2, 0], (3.0 / 2).squareRoot(), rel: 1e-15))
        let back = try s.inverseTransform(z)
        for i in 0..<3 { for j in 0..<3 { #expect(close(back[i, j], x[i, j], rel: 1e-15)) } }
        // Huge values do not overflow the variance.
        let big = try Standardizer(fitting: Matrix([[1e300], [-1e300]]))
        #expect(big.scale[0] == 1e300)
        #expect(throws: BackpropError.self) { try Standardizer(mean: [0], scale: [0]) }
        #expect(throws: BackpropError.self) { try Standardizer(mean: [.nan], scale: [1]) }
        #expect(throws: BackpropError.self) { try s.transform(Matrix([[1.0, 2]])) }
    }

    @Test func split() throws {
        let (a, b) = try DataSplit.indices(count: 10, validationFraction: 0.2, seed: 5)
        #expect(a.count == 8 && b.count == 2)
        #expect(Set(a + b) == Set(0..<10))
        let again = try DataSplit.indices(count: 10, validationFraction: 0.2, seed: 5)
        #expect(again.training == a && again.validation == b)
        #expect(throws: BackpropError.self) { try DataSplit.indices(count: 10, validationFraction: 1, seed: 5) }
        #expect(throws: BackpropError.self) { try DataSplit.indices(count: 1, validationFraction: 0.5, seed: 5) }
    }
}
