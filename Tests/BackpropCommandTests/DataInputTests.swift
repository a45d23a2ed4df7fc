import Foundation
import BackpropTestSupport
import Testing
import Backprop

/// Data from standard input, other delimiters, labels by position and by
/// value, and `evaluate` with many classes, through the built command.
@Suite("Command line, data input")
struct DataInputTests {
    /// Runs `backprop` with `input` as its standard input.
    func backprop(_ arguments: [String], in directory: URL, input: String) throws -> Run {
        let inputURL = try write(input, to: ".stdin-\(UUID().uuidString)", in: directory)
        defer { try? FileManager.default.removeItem(at: inputURL) }
        let process = Process()
        process.executableURL = backpropExecutable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = try FileHandle(forReadingFrom: inputURL)
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test func standardInputThatIsADirectory() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let process = Process()
        process.executableURL = backpropExecutable
        process.arguments = ["train", "--data", "-"]
        let err = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        process.standardInput = try #require(FileHandle(forReadingAtPath: dir.path))
        try process.run()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 2)
        #expect(String(decoding: stderr, as: UTF8.self) == "backprop: error: <stdin>: cannot read the file: it is a directory\n")
    }

    static let rows = "a,b,label\n0,0,red\n0,1,blue\n1,0,blue\n1,1,red\n0.1,0.1,red\n0.9,0.1,blue\n"

    @Test func standardInput() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let train = try backprop(["train", "--data", "-", "--out", "m.json", "--epochs", "3"], in: dir, input: Self.rows)
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stdout.hasPrefix("data: <stdin>, 6 rows, 2 features, label column \"label\"\n"))
        let evaluate = try backprop(["evaluate", "--model", "m.json", "--data", "-"], in: dir, input: Self.rows)
        #expect(evaluate.status == 0, "\(evaluate.stderr)")
        #expect(evaluate.stdout.contains("data: <stdin>, 6 rows\n"))
        let predict = try backprop(["predict", "--model", "m.json", "--data", "-"], in: dir, input: "a,b\n0,0\n1,0\n")
        #expect(predict.status == 0, "\(predict.stderr)")
        #expect(predict.stdout.split(separator: "\n").count == 3)
        let bad = try backprop(["evaluate", "--model", "m.json", "--data", "-"], in: dir, input: "a,b,label\n0,x,red\n")
        #expect(bad.status == 2)
        #expect(bad.stderr == "backprop: error: <stdin>:2:2: cell \"x\" in column \"b\" is not a number\n")
        // A file called "-" is still reachable as ./-.
        try write(Self.rows, to: "-", in: dir)
        let dash = try backprop(["evaluate", "--model", "m.json", "--data", "./-"], in: dir, input: "")
        #expect(dash.status == 0, "\(dash.stderr)")
    }

    @Test func delimitersAreDetected() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try write(Self.rows.replacingOccurrences(of: ",", with: ";"), to: "semicolon.csv", in: dir)
        try write(Self.rows.replacingOccurrences(of: ",", with: "\t"), to: "tab.tsv", in: dir)
        try write(Self.rows, to: "comma.csv", in: dir)
        let train = try backprop(["train", "--data", "semicolon.csv", "--out", "m.json", "--epochs", "3"], in: dir, input: "")
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stdout.contains("2 features, label column \"label\""))
        for (file, extra) in [("tab.tsv", [String]()), ("comma.csv", []), ("tab.tsv", ["--delimiter", "tab"]),
                              ("semicolon.csv", ["--delimiter", ";"])] {
            let run = try backprop(["evaluate", "--model", "m.json", "--data", file] + extra, in: dir, input: "")
            #expect(run.status == 0, "\(file): \(run.stderr)")
        }
        let gradcheck = try backprop(["gradcheck", "--model", "m.json", "--data", "semicolon.csv", "--delimiter", ";"],
                                     in: dir, input: "")
        #expect(gradcheck.stderr.isEmpty && gradcheck.stdout.contains("the first 6 rows"), "\(gradcheck.stderr)")
    }

    @Test func labelsByPositionAndValue() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try write("y,a,b\n0,0,0\n1,0,1\n1,1,0\n0,1,1\n0,0.1,0.1\n1,0.9,0.1\n", to: "first.csv", in: dir)
        for column in ["1", "-3", "y"] {
            let run = try backprop(["train", "--data", "first.csv", "--label-column", column, "--out", "m.json",
                                    "--epochs", "3", "--task", "classification"], in: dir, input: "")
            #expect(run.status == 0, "\(column): \(run.stderr)")
            #expect(run.stdout.contains("label column \"y\""), "\(column)")
            #expect(run.stdout.contains("classes: 2: 0, 1"), "\(column)")
        }
        // The same classes spelled otherwise, in another column order.
        try write("a,b,y\n0,0,0.0\n0,1,1e0\n1,0,01\n1,1,-0\n", to: "spelled.csv", in: dir)
        let evaluate = try backprop(["evaluate", "--model", "m.json", "--data", "spelled.csv"], in: dir, input: "")
        #expect(evaluate.status == 0, "\(evaluate.stderr)")
        #expect(evaluate.stdout.contains("data: spelled.csv, 4 rows"))
        // Training merges spellings into one class.
        try write("a,y\n0,1\n1,1.0\n2,01\n3,2\n4,2.0\n5,2\n", to: "spellings.csv", in: dir)
        let merged = try backprop(["train", "--data", "spellings.csv", "--out", "m2.json", "--epochs", "2"], in: dir, input: "")
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(merged.stdout.contains("task: classification (inferred: the labels are 2 distinct integers"))
        #expect(merged.stdout.contains("classes: 2: 1, 2\n"))
    }

    @Test func evaluateWithManyClasses() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var text = "x1,x2,k\n"
        for i in 0..<400 { text += "\(Double(i % 40) / 40),\(Double(i % 7) / 7),c\(i % 40)\n" }
        try write(text, to: "many.csv", in: dir)
        let train = try backprop(["train", "--data", "many.csv", "--out", "m.json", "--epochs", "2", "--layers", "8",
                                  "--quiet"], in: dir, input: "")
        #expect(train.status == 0, "\(train.stderr)")
        let run = try backprop(["evaluate", "--model", "m.json", "--data", "many.csv"], in: dir, input: "")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("40 classes, too many for a 40 × 40 table; the 20 classes with the most rows:"))
        #expect(!run.stdout.contains("confusion matrix"))
        #expect(run.stdout.split(separator: "\n").count <= 5 + 2 * ConfusionMatrix.tableClassLimit + 5)
    }
}
