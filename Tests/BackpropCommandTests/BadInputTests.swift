import Foundation
import BackpropTestSupport
import Testing
import Backprop

/// Every kind of bad input: exit status 2 (64 for usage errors) and one
/// line on standard error that names the file, line and column.
@Suite("Command line, bad input")
struct BadInputTests {
    /// A directory with a good training file, test file and model.
    static func workspace() throws -> URL {
        let dir = try temporaryDirectory()
        try write("a,b,label\n0,0,red\n0,1,blue\n1,0,blue\n1,1,red\n0.1,0.1,red\n0.9,0.1,blue\n", to: "train.csv", in: dir)
        let run = try backprop(["train", "--data", "train.csv", "--out", "model.json", "--epochs", "5", "--quiet"], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        return dir
    }

    /// Runs the command and checks the exit status and the single error line.
    func expectFailure(_ arguments: [String], in dir: URL, status: Int32 = 2, message: String,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let run = try backprop(arguments, in: dir)
        #expect(run.status == status, "\(arguments): \(run.stdout) \(run.stderr)", sourceLocation: sourceLocation)
        if status == 2 {
            #expect(run.stderr == "backprop: error: \(message)\n", sourceLocation: sourceLocation)
        } else {
            #expect(run.stderr.contains(message), "\(run.stderr)", sourceLocation: sourceLocation)
        }
        // Never a crash report or stack trace.
        for marker in ["Fatal error", "Stack dump", "Thread 0", "#0 ", "SIGSEGV", "SIGILL"] {
            #expect(!run.stderr.contains(marker), sourceLocation: sourceLocation)
        }
    }

    @Test func badTrainingData() throws {
        let dir = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: dir) }
        let train = { (file: String) in ["train", "--data", file, "--out", "m.json", "--epochs", "2", "--quiet"] }

        try expectFailure(train("missing.csv"), in: dir, message: "missing.csv: no such file")
        try write("", to: "empty.csv", in: dir)
        try expectFailure(train("empty.csv"), in: dir,
                          message: "empty.csv: the file is empty: expected a header row of column names, then data rows")
        try write("a,b,label\n", to: "header.csv", in: dir)
        try expectFailure(train("header.csv"), in: dir, message: "header.csv:1: the file has a header but no data rows")
        try write("a,b,label\n1,2,x\n3,4\n", to: "ragged.csv", in: dir)
        try expectFailure(train("ragged.csv"), in: dir, message: "ragged.csv:3:3: this row has 2 fields, but the header has 3")
        try write("a,b,label\n1,2,x\n3,4,y,5\n", to: "long.csv", in: dir)
        try expectFailure(train("long.csv"), in: dir, message: "long.csv:3:4: this row has 4 fields, but the header has 3")
        try write("a,b,label\n1,2,x\n\n3,abc,y\n", to: "text.csv", in: dir)
        try expectFailure(train("text.csv"), in: dir, message: "text.csv:4:2: cell \"abc\" in column \"b\" is not a number")
        try write("a,b,label\n1,,x\n", to: "hole.csv", in: dir)
        try expectFailure(train("hole.csv"), in: dir,
                          message: "hole.csv:2:2: empty cell in column \"b\": missing values are not supported")
        try write("a,b,label\nNaN,1,x\n", to: "nan.csv", in: dir)
        try expectFailure(train("nan.csv"), in: dir, message: "nan.csv:2:1: cell \"NaN\" in column \"a\" is not a finite number")
        try expectFailure(["train", "--data", "train.csv", "--label-column", "colour", "--quiet"], in: dir,
                          message: "train.csv:1: no column \"colour\"; the header has \"a\", \"b\", \"label\"")
        try write("a,b,label\n1,2,x\n3,4,x\n", to: "oneclass.csv", in: dir)
        try expectFailure(train("oneclass.csv") + ["--task", "classification"], in: dir,
                          message: "oneclass.csv:2:3: column \"label\" has only one class, \"x\": classification needs at least 2")
        try expectFailure(train("."), in: dir, message: ".: cannot read the file: it is a directory")
        try write("a,a,label\n1,2,x\n", to: "dup.csv", in: dir)
        try expectFailure(train("dup.csv"), in: dir, message: "dup.csv:1:2: column \"a\" appears twice in the header")
        try Data([0x61, 0x2C, 0x6C, 0x0A, 0x31, 0x2C, 0xFF, 0x0A]).write(to: dir.appendingPathComponent("binary.csv"))
        try expectFailure(train("binary.csv"), in: dir, message: "binary.csv:2: cannot read the file: not UTF-8 text (invalid byte at offset 6)")
        try expectFailure(train("train.csv") + ["--loss", "bce", "--task", "regression", "--label-column", "b"], in: dir, status: 64,
                          message: "--loss bce is for classification; regression uses mse")
    }

    @Test func badValidationAndTestData() throws {
        let dir = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A label never seen in training.
        try write("a,b,label\n0,0,red\n1,1,blue\n0.5,0.5,green\n", to: "test.csv", in: dir)
        try expectFailure(["evaluate", "--model", "model.json", "--data", "test.csv"], in: dir,
                          message: "test.csv:4:3: label \"green\" in column \"label\" was never seen in training (known: \"blue\", \"red\")")
        try expectFailure(["train", "--data", "train.csv", "--validation", "test.csv", "--quiet"], in: dir,
                          message: "test.csv:4:3: label \"green\" in column \"label\" was never seen in training (known: \"blue\", \"red\")")
        // Missing label column where it is required.
        try write("a,b\n0,0\n", to: "nolabel.csv", in: dir)
        try expectFailure(["evaluate", "--model", "model.json", "--data", "nolabel.csv"], in: dir,
                          message: "nolabel.csv:1: no column \"label\"; the header has \"a\", \"b\"")
        // Missing or unknown feature columns.
        try write("a,label\n0,red\n", to: "nofeature.csv", in: dir)
        try expectFailure(["predict", "--model", "model.json", "--data", "nofeature.csv"], in: dir,
                          message: "nofeature.csv:1: no column \"b\"; the header has \"a\", \"label\"")
        try write("a,b,c\n0,0,0\n", to: "extra.csv", in: dir)
        try expectFailure(["predict", "--model", "model.json", "--data", "extra.csv"], in: dir,
                          message: "extra.csv:1:3: column \"c\" is not one of the model's features")
        try write("b,a\n0,x\n", to: "textfeature.csv", in: dir)
        try expectFailure(["predict", "--model", "model.json", "--data", "textfeature.csv"], in: dir,
                          message: "textfeature.csv:2:2: cell \"x\" in column \"a\" is not a number")
        // Writing into a directory that does not exist.
        try expectFailure(["predict", "--model", "model.json", "--data", "train.csv", "--out", "no/such/p.csv"], in: dir,
                          message: "--out no/such/p.csv: no such directory no/such")
    }

    @Test func badModelFiles() throws {
        let dir = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = try String(contentsOf: dir.appendingPathComponent("model.json"), encoding: .utf8)
        let evaluate = { (model: String) in ["evaluate", "--model", model, "--data", "train.csv"] }

        try expectFailure(evaluate("nothing.json"), in: dir, message: "nothing.json: no such model file")
        try write("", to: "empty.json", in: dir)
        try expectFailure(evaluate("empty.json"), in: dir, message: "empty.json: the model file is empty")
        // Truncated: cut in the middle of the weights.
        // (Never right after a newline or in the indentation that follows
        // one: the reader reports the end of the last text, which is where
        // the JSON really ends.)
        var cut = good.prefix(good.count / 2)
        while let last = cut.last, last.isWhitespace { cut = cut.dropLast() }
        try write(String(cut), to: "truncated.json", in: dir)
        let cutLines = cut.split(separator: "\n", omittingEmptySubsequences: false)
        try expectFailure(evaluate("truncated.json"), in: dir,
                          message: "truncated.json:\(cutLines.count):\(cutLines.last!.utf8.count + 1): truncated model file: the JSON ends early")
        // Corrupt: garbage in the middle.
        var lines = good.components(separatedBy: "\n")
        lines[3] = "  \"task\": classification,"
        try write(lines.joined(separator: "\n"), to: "corrupt.json", in: dir)
        try expectFailure(evaluate("corrupt.json"), in: dir,
                          message: "corrupt.json:4:11: corrupt model file, not valid JSON: invalid value")
        try write("<html>not a model</html>", to: "html.json", in: dir)
        try expectFailure(evaluate("html.json"), in: dir, message: "html.json:1:1: corrupt model file, not valid JSON: invalid value")
        // Unknown version.
        try write(good.replacingOccurrences(of: "\"version\": 1,", with: "\"version\": 99,"), to: "v99.json", in: dir)
        try expectFailure(evaluate("v99.json"), in: dir,
                          message: "v99.json: field version: unsupported model format version 99: this backprop reads version 1")
        // Non-finite weights: JSON has no NaN, so a literal too large for a double.
        lines = good.components(separatedBy: "\n")
        let row = lines.firstIndex { $0.contains("\"weights\"") }! + 1
        let firstNumber = lines[row].firstIndex { $0.isNumber || $0 == "-" }!
        let column = lines[row].utf8.distance(from: lines[row].utf8.startIndex, to: firstNumber) + 1
        lines[row] = String(lines[row][..<firstNumber]) + "1e999, " + String(lines[row][firstNumber...])
        try write(lines.joined(separator: "\n"), to: "inf.json", in: dir)
        try expectFailure(evaluate("inf.json"), in: dir,
                          message: "inf.json:\(row + 1):\(column): not a finite number")
        // A NaN written as a string is the wrong type, and named by its field.
        try write(good.replacingOccurrences(of: "\"bias\": [", with: "\"bias\": [\"NaN\", "), to: "nan.json", in: dir)
        try expectFailure(evaluate("nan.json"), in: dir, message: "nan.json: field layers[0].bias[0]: wrong type: expected a number")
        // Shapes.
        try write(good.replacingOccurrences(of: "\"inputs\": 2,", with: "\"inputs\": 3,"), to: "shape.json", in: dir)
        try expectFailure(evaluate("shape.json"), in: dir,
                          message: "shape.json: field layers[0].inputs: expected 2 (the number of features), got 3")
        try write("{\"format\": \"something-else\", \"version\": 1}", to: "other.json", in: dir)
        try expectFailure(evaluate("other.json"), in: dir,
                          message: "other.json: field format: not a backprop model file: \"format\" is \"something-else\", expected \"backprop-model\"")
        // A CSV given as the model.
        try expectFailure(evaluate("train.csv"), in: dir, message: "train.csv:1:1: corrupt model file, not valid JSON: invalid value")
    }

    @Test func usageErrors() throws {
        let dir = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: dir) }
        try expectFailure(["train", "--data", "train.csv", "--epochs", "0"], in: dir, status: 64,
                          message: "--epochs must be between 1 and 10000000, got 0")
        try expectFailure(["train", "--data", "train.csv", "--learning-rate=-1"], in: dir, status: 64,
                          message: "--learning-rate must be a finite number > 0")
        try expectFailure(["train", "--data", "train.csv", "--layers", "8,x"], in: dir, status: 64,
                          message: "--layers: \"x\" is not a layer width")
        try expectFailure(["train", "--data", "train.csv", "--validation", "a.csv", "--validation-split", "0.2"], in: dir,
                          status: 64, message: "give either --validation FILE or --validation-split FRACTION, not both")
        try expectFailure(["train"], in: dir, status: 64, message: "--data is required (or --resume a checkpoint)")
        try expectFailure(["demo", "squares"], in: dir, status: 64, message: "squares")
        try expectFailure(["gradcheck"], in: dir, status: 64, message: "give exactly one of --data FILE (with --model) or --dataset NAME")
        try expectFailure(["frobnicate"], in: dir, status: 64, message: "frobnicate")
    }

    @Test func badCellsQuotesAndDelimiters() throws {
        let dir = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: dir) }
        let train = { (file: String) in ["train", "--data", file, "--out", "m.json", "--epochs", "2", "--quiet"] }
        try write("a,b,label\n0,0,red\n2\u{0}junk,1,blue\n", to: "nul.csv", in: dir)
        try expectFailure(train("nul.csv"), in: dir,
                          message: "nul.csv:3:1: cell \"2\\u{0}junk\" in column \"a\" contains the control character U+0000")
        try write("a,b,label\n0,0,red\n1,\"1,blue\n0,1,red\n", to: "quote.csv", in: dir)
        try expectFailure(train("quote.csv"), in: dir,
                          message: "quote.csv:3:2: unterminated quote: the quoted field that starts here has no closing quote")
        try write("a;b;label\n0;0;red\n0;1;blue\n", to: "semicolon.csv", in: dir)
        try expectFailure(train("semicolon.csv") + ["--delimiter", ","], in: dir,
                          message: "semicolon.csv:1: no feature columns: the file has only the label column; the fields were split "
                            + "at \",\" (as given), but \"a;b;label\" contains \";\": is the file separated by \";\"?")
        try expectFailure(["evaluate", "--model", "model.json", "--data", "semicolon.csv", "--delimiter", "tab"], in: dir,
                          message: "semicolon.csv:1: no column \"a\"; the header has \"a;b;label\"; the fields were split "
                            + "at tab (as given), but \"a;b;label\" contains \";\": is the file separated by \";\"?")
        try expectFailure(train("semicolon.csv") + ["--delimiter", "|"], in: dir, status: 64, message: "--delimiter")
    }

    @Test func badLabelColumns() throws {
        let dir = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: dir) }
        let train = ["train", "--data", "train.csv", "--out", "m.json", "--epochs", "2", "--quiet"]
        try expectFailure(train + ["--label-column", "4"], in: dir,
                          message: "train.csv:1: no column at position 4: the header has 3 columns (positions count from 1, or from -1 for the last)")
        try expectFailure(train + ["--label-column", "1"], in: dir,
                          message: "train.csv:2:3: cell \"red\" in column \"label\" is not a number")
        // A column of identifiers.
        var ids = "x,user\n"
        for i in 0..<300 { ids += "\(i % 7),user_\(String(format: "%05d", i))\n" }
        try write(ids, to: "ids.csv", in: dir)
        try expectFailure(["train", "--data", "ids.csv", "--quiet"], in: dir,
                          message: "ids.csv:2:2: column \"user\" looks like an identifier, not class labels: 300 classes in 300 rows "
                            + "(300 occurring once); choose another label column, or give a class limit (--max-classes) to train on it anyway")
        try expectFailure(["train", "--data", "ids.csv", "--quiet", "--max-classes", "299"], in: dir,
                          message: "ids.csv:2:2: column \"user\" has 300 classes in 300 rows, more than the limit of 299; "
                            + "raise the class limit (--max-classes) if that many classes are intended")
        try expectFailure(train + ["--max-classes", "1"], in: dir, status: 64, message: "--max-classes must be ≥ 2, got 1")
        try expectFailure(train + ["--data", "-", "--validation", "-"], in: dir, status: 64,
                          message: "--data and --validation cannot both read standard input (-)")
    }

    @Test func badStandardInput() throws {
        let dir = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: dir) }
        // The tests' standard input is empty.
        try expectFailure(["train", "--data", "-", "--quiet"], in: dir,
                          message: "<stdin>: the file is empty: expected a header row of column names, then data rows")
        try expectFailure(["predict", "--model", "model.json", "--data", "-"], in: dir,
                          message: "<stdin>: the file is empty: expected a header row of column names, then data rows")
    }
}
