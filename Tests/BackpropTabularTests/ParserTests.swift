import Foundation
import BackpropTestSupport
import Testing
import BackpropCore
@testable import BackpropTabular

/// The CSV reader's hard cases: control characters, delimiters, quotes;
/// labels compared by value, the label column by position, class limits,
/// and the bounded confusion matrix.
@Suite("CSV parsing and labels")
struct ParserTests {
    func table(_ text: String, delimiter: CSVTable.Delimiter? = nil) throws -> CSVTable {
        try CSVTable(string: text, source: "t.csv", delimiter: delimiter)
    }

    /// The error `body` throws, which must be a ``DataFileError`` on one line.
    func dataFileError(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) -> DataFileError? {
        do {
            try body()
            Issue.record("expected a DataFileError", sourceLocation: sourceLocation)
        } catch let error as DataFileError {
            #expect(!error.description.contains("\n"), sourceLocation: sourceLocation)
            return error
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    func expectError(_ kind: DataFileError.Kind, line: Int?, column: Int?,
                     sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
        guard let error = dataFileError(sourceLocation: sourceLocation, body) else { return }
        #expect(error.kind == kind, sourceLocation: sourceLocation)
        #expect(error.line == line, "line", sourceLocation: sourceLocation)
        #expect(error.column == column, "column", sourceLocation: sourceLocation)
    }

    // MARK: Control characters

    @Test func controlCharactersInNumericCells() throws {
        // Swift's Double(_:) reads a C string, so it stops at the NUL: the reason for the check.
        #expect(Double("2\u{0}junk") == 2)
        expectError(.controlCharacter("2\u{0}junk", column: "b"), line: 3, column: 2) {
            _ = try TabularData(table: table("a,b,y\n1,2,p\n1,2\u{0}junk,q\n"))
        }
        for control in ["\u{0}", "\u{1}", "\u{8}", "\u{B}", "\u{C}", "\u{1B}", "\u{7F}", "\u{85}", "\u{9F}"] {
            let cell = "1" + control
            expectError(.controlCharacter(cell, column: "a"), line: 2, column: 1) {
                _ = try TabularData(table: table("a,y\n\(cell),p\n"))
            }
        }
        // A quoted tab is part of the cell, so it is refused too; unquoted
        // spaces and tabs around a field are trimmed.
        expectError(.controlCharacter("1\t", column: "a"), line: 2, column: 1) {
            _ = try TabularData(table: table("a,y\n\"1\t\",p\n"))
        }
        let padded = try TabularData(table: table("a,b,y\n \t1 ,\t2\t,p\n"))
        #expect(padded.features == (try Matrix([[1, 2]])))
        // The message names the character.
        let error = dataFileError { _ = try TabularData(table: table("a,y\n1\u{0},p\n")) }
        #expect(error?.description == "t.csv:2:1: cell \"1\\u{0}\" in column \"a\" contains the control character U+0000")
    }

    @Test func controlCharactersInLabels() throws {
        expectError(.controlCharacter("0.5\u{0}1", column: "y"), line: 3, column: 2) {
            _ = try TabularData(table: table("a,y\n1,2\n1,0.5\u{0}1\n")).numericLabels()
        }
        expectError(.controlCharacter("b\u{1B}[0m", column: "y"), line: 3, column: 2) {
            _ = try TabularData(table: table("a,y\n1,a\n2,b\u{1B}[0m\n")).fitClasses()
        }
        let classes = try ClassLabels(names: ["1", "2"])
        expectError(.controlCharacter("1\u{0}", column: "y"), line: 2, column: 2) {
            _ = try TabularData(table: table("a,y\n1,1\u{0}\n"), featureNames: ["a"], labelColumn: "y",
                                requireLabels: true).classIndices(using: classes)
        }
        // Task inference reads "2\0" as text, not as the number 2.
        #expect(LearningTask.infer(fromLabels: ["1", "2\u{0}", "1", "2"]).task == .classification)
        #expect(LearningTask.infer(fromLabels: ["1", "2\u{0}", "1", "2"]).reason.contains("not all numbers"))
    }

    // MARK: Delimiters

    @Test func delimiterIsDetectedFromTheHeader() throws {
        let semicolon = try table("a;b;label\n1,5;2;x\n")
        #expect(semicolon.delimiter == .semicolon && semicolon.delimiterWasDetected)
        #expect(semicolon.header == ["a", "b", "label"] && semicolon.records == [["1,5", "2", "x"]])
        let tab = try table("a\tb\tlabel\n1\t2\tx\n")
        #expect(tab.delimiter == .tab && tab.records == [["1", "2", "x"]])
        // An empty field between tabs stays a field (a tab is not trimmed when it is the delimiter).
        expectError(.emptyCell(column: "b"), line: 2, column: 2) { _ = try TabularData(table: table("a\tb\ty\n1\t\tp\n")) }
        #expect(try table("a,b\n1,2\n").delimiter == .comma)
        #expect(try table("single\n1\n").delimiter == .comma)
        // Delimiters inside quotes do not count.
        let quoted = try table("\"a,1\";\"b,2\";label\n1;2;x\n")
        #expect(quoted.delimiter == .semicolon && quoted.header == ["a,1", "b,2", "label"])
        // A tie in the header is settled by the first record.
        #expect(try table("a;b,c\n1;2\n").delimiter == .semicolon)
        #expect(try table("a;b,c\n1,2\n").delimiter == .comma)
        // The most fields wins.
        #expect(try table("a,b;c;d\n1;2;3\n").delimiter == .semicolon)
    }

    @Test func explicitDelimiter() throws {
        let given = try table("a;b,c\n1;2,3\n", delimiter: .comma)
        #expect(!given.delimiterWasDetected && given.header == ["a;b", "c"])
        for (text, delimiter) in [(",", CSVTable.Delimiter.comma), ("comma", .comma), (";", .semicolon),
                                  ("semicolon", .semicolon), ("\t", .tab), ("\\t", .tab), ("tab", .tab), ("TAB", .tab)] {
            #expect(CSVTable.Delimiter(text) == delimiter, "\(text)")
        }
        #expect(CSVTable.Delimiter("|") == nil && CSVTable.Delimiter("") == nil)
    }

    @Test func aWrongDelimiterIsNamed() throws {
        // A semicolon file read as comma-separated: one column, named with the delimiter found.
        let error = dataFileError { _ = try TabularData(table: table("a;b;label\n1;2;x\n", delimiter: .comma)) }
        #expect(error?.kind == .noFeatures)
        #expect(error?.description == "t.csv:1: no feature columns: the file has only the label column; the fields were "
                + "split at \",\" (as given), but \"a;b;label\" contains \";\": is the file separated by \";\"?")
        // A row in another delimiter than the header's.
        let ragged = dataFileError { _ = try table("a,b,y\n1,2,p\n3;4;q\n") }
        #expect(ragged?.kind == .raggedRow(expected: 3, got: 1))
        #expect(ragged?.line == 3 && ragged?.column == 2)
        #expect(ragged?.note == "the fields were split at \",\" (found in the header line), but \"3;4;q\" contains \";\": "
                + "is the file separated by \";\"?")
        // A plain ragged row gets no note.
        #expect(dataFileError { _ = try table("a,b,y\n1,2\n") }?.note == nil)
        // A tab file whose first column name holds a comma, read with tabs detected: a feature cell with commas.
        let cell = dataFileError { _ = try TabularData(table: table("a\tb\ty\n1,5\t2\tp\n")) }
        #expect(cell?.kind == .notANumber("1,5", column: "a"))
        #expect(cell?.note?.contains("split at tab") == true)
    }

    // MARK: Quotes

    @Test func unterminatedQuote() throws {
        expectError(.unterminatedQuote, line: 3, column: 2) { _ = try table("a,b,y\n1,2,p\n3,\"4,q\n5,6,r\n") }
        expectError(.unterminatedQuote, line: 1, column: 2) { _ = try table("a,\"b\n1,2\n") }
        expectError(.unterminatedQuote, line: 2, column: 3) { _ = try table("a,b,y\r\n1,2,\"p\r\n") }
        let error = dataFileError { _ = try table("a,y\n\"1,p\n") }
        #expect(error?.description == "t.csv:2:1: unterminated quote: the quoted field that starts here has no closing quote")
    }

    @Test func textAfterClosingQuote() throws {
        expectError(.textAfterClosingQuote("x", quoteLine: 2), line: 2, column: 2) { _ = try table("a,b,y\n1,\"2\"x,p\n") }
        // A quoted field over two lines: the error is where the quote closes, and names where it opened.
        let error = dataFileError { _ = try table("a,b,y\n1,\"2\n3\" 4,p\n") }
        #expect(error?.kind == .textAfterClosingQuote("4", quoteLine: 2))
        #expect(error?.line == 3 && error?.column == 2)
        #expect(error?.description.contains("(opened on line 2)") == true)
        // Doubled quotes, spaces after the closing quote, and line breaks inside quotes are fine.
        let t = try table("a,y\n1,\"say \"\"hi\"\"\"  \n2,\"x\r\ny\"\n3,z\n")
        #expect(t.records == [["1", "say \"hi\""], ["2", "x\r\ny"], ["3", "z"]])
        #expect(t.lines == [2, 3, 5])
    }

    // MARK: Labels by value

    @Test func numericLabelsCompareByValue() throws {
        let classes = try ClassLabels(fitting: ["01", "1", "1.0", "1e0", "2", "02.0", "+2", "20e-1"])
        #expect(classes.names == ["1", "2"])
        for spelling in ["1", "01", "1.00", "+1", "10e-1", "0.1e1", "1.", "0x1p0"] {
            #expect(classes.index(of: spelling) == 0, "\(spelling)")
        }
        #expect(classes.index(of: "3") == nil && classes.index(of: "one") == nil)
        // The name does not depend on the order of the rows.
        #expect(try ClassLabels(fitting: ["1.0", "2", "1"]).names == ["1", "2"])
        #expect(try ClassLabels(fitting: ["2", "1.0", "01"]).names == ["01", "2"])
        // Zero's sign does not matter; decimals compare exactly, digit for digit.
        #expect(try ClassLabels(fitting: ["0", "-0", "0.000", "1"]).names == ["0", "1"])
        #expect(try ClassLabels(fitting: ["9007199254740993", "9007199254740992"]).count == 2)
        #expect(try ClassLabels(fitting: ["0.1", "0.10000000000000000001"]).count == 2)
        // Numbers sort by value, fractions included; text stays text.
        #expect(try ClassLabels(fitting: ["10", "0.5", "2", "-1"]).names == ["-1", "0.5", "2", "10"])
        #expect(try ClassLabels(fitting: ["a", "A", " a", "1", "1.0"]).names == [" a", "1", "A", "a"])
        #expect(try ClassLabels(fitting: ["nan", "NaN", "inf"]).count == 3)
        // Task inference counts values, not spellings.
        let inferred = LearningTask.infer(fromLabels: ["1", "1.0", "01", "2", "2.0", "02"])
        #expect(inferred.task == .classification && inferred.reason == "the labels are 2 distinct integers")
    }

    @Test func evaluationLabelsMatchTrainingByValue() throws {
        let training = try TabularData(table: table("a,y\n1,0\n2,1\n3,1\n4,0\n"))
        let classes = try training.fitClasses()
        let test = try TabularData(table: table("a,y\n1,0.0\n2,1e0\n3,01\n4,-0\n"), featureNames: ["a"],
                                   labelColumn: "y", requireLabels: true)
        #expect(try test.classIndices(using: classes) == [0, 1, 1, 0])
        expectError(.unknownLabel("2.5", column: "y", known: ["0", "1"]), line: 2, column: 2) {
            _ = try TabularData(table: table("a,y\n1,2.5\n"), featureNames: ["a"], labelColumn: "y",
                                requireLabels: true).classIndices(using: classes)
        }
    }

    @Test func namesSharingAValueKeepTheirOwnSpelling() throws {
        // A model may list "1" and "1.0" as two classes; each matches itself only.
        let classes = try ClassLabels(names: ["1", "1.0", "2"])
        #expect(classes.index(of: "1") == 0 && classes.index(of: "1.0") == 1)
        #expect(classes.index(of: "1.00") == nil)
        #expect(classes.index(of: "2.0") == 2)
    }

    // MARK: Label column by position

    @Test func labelColumnByPosition() throws {
        let t = try table("x,1,y\n1,2,3\n4,5,6\n")
        #expect(try TabularData(table: t, label: .position(3)).labelName == "y")
        #expect(try TabularData(table: t, label: .position(-1)).labelName == "y")
        let first = try TabularData(table: table("y,a\np,1\n"), label: .position(-2))
        #expect(first.labelName == "y" && first.featureNames == ["a"])
        // A header name wins over a position; an integer that is no name is a position.
        #expect(try TabularData(table: t, label: .nameOrPosition("1")).labelName == "1")
        #expect(try TabularData(table: t, label: .nameOrPosition("3")).labelName == "y")
        #expect(try TabularData(table: t, label: .nameOrPosition("y")).labelName == "y")
        #expect(try TabularData(table: t, label: .nameOrPosition("-3")).labelName == "x")
        for position in [0, 4, -4] {
            expectError(.noColumnAtPosition(position, columns: 3), line: 1, column: nil) {
                _ = try TabularData(table: t, label: .position(position))
            }
        }
        expectError(.missingColumn("z", available: ["x", "1", "y"]), line: 1, column: nil) {
            _ = try TabularData(table: t, label: .nameOrPosition("z"))
        }
        // The label column's position is used in messages.
        expectError(.emptyCell(column: "x"), line: 3, column: 1) {
            _ = try TabularData(table: table("x,a\np,1\n,2\n"), label: .position(1)).fitClasses()
        }
    }

    // MARK: Class limits

    func labelled(_ labels: [String]) throws -> TabularData {
        try TabularData(table: CSVTable(header: ["a", "y"], records: labels.enumerated().map { [String($0), $1] },
                                        source: "t.csv"))
    }

    @Test func identifierLikeLabelColumnsAreRefused() throws {
        let ids = (0..<100).map { "user_\($0)" }
        expectError(.identifierLikeLabels(column: "y", classes: 100, rows: 100, singletons: 100), line: 2, column: 2) {
            _ = try labelled(ids).fitClasses()
        }
        // Each ID twice is still too many classes for the rows.
        expectError(.identifierLikeLabels(column: "y", classes: 100, rows: 200, singletons: 0), line: 2, column: 2) {
            _ = try labelled(ids + ids).fitClasses()
        }
        // A limit given by the caller replaces the rule.
        #expect(try labelled(ids).fitClasses(maximumClasses: 100).count == 100)
        expectError(.tooManyClasses(column: "y", classes: 100, rows: 100, limit: 99), line: 2, column: 2) {
            _ = try labelled(ids).fitClasses(maximumClasses: 99)
        }
        #expect(throws: BackpropError.self) { try labelled(ids).fitClasses(maximumClasses: 1) }
        // Up to 20 classes are always classes; beyond, 4 rows per class on average are needed.
        #expect(try labelled((0..<20).map { "c\($0)" }).fitClasses().count == 20)
        let twentyOne = (0..<21).map { "c\($0)" }
        #expect(try labelled(Array(Array(repeating: twentyOne, count: 4).joined())).fitClasses().count == 21)
        expectError(.identifierLikeLabels(column: "y", classes: 21, rows: 83, singletons: 0), line: 2, column: 2) {
            _ = try labelled(Array(Array(repeating: twentyOne, count: 4).joined().dropLast())).fitClasses()
        }
        // Small real data sets keep working.
        #expect(try labelled(["0", "1", "1", "0"]).fitClasses().names == ["0", "1"])
        let iris = try TabularData(table: CSVTable(contentsOf: fixtureURL("iris.csv")))
        #expect(try iris.fitClasses().count == 3)
    }

    @Test func classCap() throws {
        let many = (0..<1001).map { "c\($0)" }
        let rows = Array(Array(repeating: many, count: 5).joined())
        expectError(.tooManyClasses(column: "y", classes: 1001, rows: 5005, limit: 1000), line: 2, column: 2) {
            _ = try labelled(rows).fitClasses()
        }
        #expect(try labelled(rows).fitClasses(maximumClasses: 1001).count == 1001)
        let error = dataFileError { _ = try labelled(rows).fitClasses() }
        #expect(error?.description == "t.csv:2:2: column \"y\" has 1001 classes in 5005 rows, more than the limit of 1000; "
                + "raise the class limit (--max-classes) if that many classes are intended")
    }

    // MARK: Confusion matrix

    @Test func smallConfusionMatrixIsATable() throws {
        let m = try ConfusionMatrix(truth: [0, 1, 1], predicted: [0, 1, 0], classes: ["a", "b"])
        #expect(m.description == m.table)
        #expect(m.table == "true \\ predicted  a  b\na                 1  0\nb                 1  1")
    }

    @Test func largeConfusionMatrixIsSummarized() throws {
        let k = 300
        var truth: [Int] = [], predicted: [Int] = []
        for t in 0..<k {
            for r in 0..<(t % 7 + 1) {
                truth.append(t)
                predicted.append(r == 0 ? (t + 1) % k : t)
            }
        }
        let m = try ConfusionMatrix(truth: truth, predicted: predicted, classes: (0..<k).map { "class\($0)" })
        let lines = m.description.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count <= 2 * ConfusionMatrix.tableClassLimit + 5)
        #expect(lines.first == "300 classes, too many for a 300 × 300 table; the 20 classes with the most rows:")
        #expect(!m.description.contains("true \\ predicted"))
        // The table's full form is still there on request.
        #expect(m.table.split(separator: "\n").count == k + 1)
    }

    @Test func summaryContents() throws {
        let m = try ConfusionMatrix(truth: [0, 0, 0, 0, 0, 1, 1, 1, 2],
                                    predicted: [0, 0, 0, 1, 2, 0, 0, 1, 2], classes: ["a", "b", "c"])
        #expect(m.summary(showing: 2) == """
            3 classes, too many for a 3 × 3 table; the 2 classes with the most rows:
            class  rows  correct  accuracy  most often predicted instead
            a         5        3     60.0%  b (1)
            b         3        1     33.3%  a (2)
            … 1 more class with 1 row
            the 2 most frequent confusions of 3:
            true → predicted  rows
            b → a                2
            a → b                1
            """)
    }
}

/// A file in `Tests/Fixtures`.
private func fixtureURL(_ name: String) -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(name)
}
