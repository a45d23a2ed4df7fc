import Foundation
import BackpropTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Faults a run meets: signals, a closed output pipe, output paths that
/// are not regular files or are the run's own inputs, stray temporary
/// files of killed runs, networks too large for memory, and resuming.
@Suite("Command: signals, resume, output paths, memory")
struct FaultTests {
    /// 10 000 rows of three features and a two-class label: long enough in a
    /// debug build that a signal lands mid-run.
    static func writeData(to url: URL, rows: Int = 10_000, seed: UInt64 = 1) throws {
        var state = seed
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) * 0x1p-53 * 2 - 1
        }
        var text = "a,b,c,label\n"
        for _ in 0..<rows {
            let a = uniform(), b = uniform(), c = uniform()
            text += "\(a),\(b),\(c),\(a + b * c > 0 ? "yes" : "no")\n"
        }
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    /// The `layers` array of a model file.
    static func layers(_ url: URL) throws -> NSArray {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        return object["layers"] as! NSArray
    }

    static func hasCheckpoint(_ url: URL) throws -> Bool {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        return object["training"] != nil
    }

    /// Temporary files of atomic writes left in a directory.
    static func strayTemporaryFiles(in directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".tmp") }
    }

    /// Starts `backprop`, output to files, and returns the process.
    static func start(_ arguments: [String], in directory: URL) throws -> (Process, stdout: URL, stderr: URL) {
        let process = backpropProcess(arguments, in: directory)
        let out = directory.appendingPathComponent("run.out"), err = directory.appendingPathComponent("run.err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, out, err)
    }

    /// Waits until `file` contains `text` (or the process ends, or 60 s pass).
    static func wait(for text: String, in file: URL, while process: Process) -> Bool {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let data = try? Data(contentsOf: file), String(decoding: data, as: UTF8.self).contains(text) { return true }
            if !process.isRunning { return false }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }

    static func text(_ url: URL) -> String { (try? String(contentsOf: url, encoding: .utf8)) ?? "" }

    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func signalSavesACheckpointAndResumeIsExact(signal number: Int32, status: Int32) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.writeData(to: dir.appendingPathComponent("data.csv"))
        let options = ["--data", "data.csv", "--epochs", "40", "--batch-size", "16", "--layers", "12,8",
                       "--validation-split", "0.1", "--seed", "5"]
        let whole = try backprop(["train"] + options + ["--out", "whole.json", "--quiet"], in: dir)
        #expect(whole.status == 0, "\(whole.stderr)")

        let (process, out, err) = try Self.start(["train"] + options + ["--out", "part.json", "--progress-every", "1"],
                                                 in: dir)
        #expect(Self.wait(for: "epoch  2/40", in: out, while: process), "training did not start: \(Self.text(err))")
        kill(process.processIdentifier, number)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == status,
                "status \(process.terminationStatus): \(Self.text(err))")
        #expect(Self.text(err).contains("wrote the model and a checkpoint to part.json"), "\(Self.text(err))")
        #expect(Self.text(err).contains("train --resume part.json"))
        #expect(try Self.hasCheckpoint(dir.appendingPathComponent("part.json")))
        #expect(try Self.strayTemporaryFiles(in: dir).isEmpty)
        // a checkpoint is a model too
        let evaluated = try backprop(["evaluate", "--model", "part.json", "--data", "data.csv"], in: dir)
        #expect(evaluated.status == 0 && evaluated.stdout.contains("accuracy"), "\(evaluated.stderr)")

        let resumed = try backprop(["train", "--resume", "part.json", "--quiet"], in: dir)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("resuming: part.json"))
        #expect(try Self.layers(dir.appendingPathComponent("part.json"))
                == Self.layers(dir.appendingPathComponent("whole.json")), "the resumed run ended elsewhere")
        #expect(try !Self.hasCheckpoint(dir.appendingPathComponent("part.json")), "a finished model holds no checkpoint")
        // finished: nothing to resume
        let again = try backprop(["train", "--resume", "part.json"], in: dir)
        #expect(again.status == 2 && again.stderr.contains("no training checkpoint"), "\(again.stderr)")
    }

    @Test func secondInterruptStopsAtOnce() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.writeData(to: dir.appendingPathComponent("data.csv"), rows: 20_000)
        let (process, out, err) = try Self.start(["train", "--data", "data.csv", "--epochs", "1000", "--batch-size", "1",
                                                  "--progress-every", "1", "--out", "m.json"], in: dir)
        #expect(Self.wait(for: "training:", in: out, while: process), "\(Self.text(err))")
        kill(process.processIdentifier, SIGINT)
        #expect(Self.wait(for: "finishing the current step", in: err, while: process))
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130, "\(Self.text(err))")
        #expect(Self.text(err).contains("stopped at once"))
        #expect(try Self.strayTemporaryFiles(in: dir).isEmpty)
    }

    @Test func closedPipeDoesNotKillTheRun() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.writeData(to: dir.appendingPathComponent("data.csv"), rows: 2000)
        let process = backpropProcess(["train", "--data", "data.csv", "--epochs", "30", "--progress-every", "1",
                                       "--out", "m.json"], in: dir)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        try pipe.fileHandleForReading.close()   // `| head -0`: nobody reads the progress
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0,
                "killed by signal \(process.terminationStatus)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("m.json").path))
    }

    /// kill -9 after a periodic checkpoint: the file is a whole model with
    /// a checkpoint, and resuming from it ends where the whole run ends.
    @Test func killedRunResumesFromItsPeriodicCheckpoint() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.writeData(to: dir.appendingPathComponent("data.csv"))
        let options = ["--data", "data.csv", "--epochs", "40", "--batch-size", "20", "--seed", "3"]
        #expect(try backprop(["train"] + options + ["--out", "whole.json", "--quiet"], in: dir).status == 0)
        let checkpoint = dir.appendingPathComponent("ck.json")
        let (process, _, err) = try Self.start(["train"] + options + ["--out", "ck.json", "--checkpoint-every", "2", "--quiet"],
                                               in: dir)
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: checkpoint.path) && process.isRunning && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.005)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "the run ended before it was killed: \(Self.text(err))")
        #expect(try Self.hasCheckpoint(checkpoint))
        let resumed = try backprop(["train", "--resume", "ck.json", "--quiet"], in: dir)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try Self.layers(checkpoint) == Self.layers(dir.appendingPathComponent("whole.json")))
        #expect(try Self.strayTemporaryFiles(in: dir).isEmpty, "the killed run's temporary file is cleaned up")
    }

    @Test func outputsThatAreNotRegularFilesAreRefused() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.writeData(to: dir.appendingPathComponent("data.csv"), rows: 200)
        let base = ["train", "--data", "data.csv", "--epochs", "2", "--quiet"]

        #expect(mkfifo(dir.appendingPathComponent("fifo").path, 0o644) == 0)
        let fifo = try backprop(base + ["--out", "fifo"], in: dir, timeout: 30)
        #expect(fifo.status == 2 && fifo.stderr.contains("FIFO"), "\(fifo.stderr)")
        var info = stat()
        #expect(lstat(dir.appendingPathComponent("fifo").path, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)

        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sub"), withIntermediateDirectories: false)
        let directory = try backprop(base + ["--out", "sub"], in: dir)
        #expect(directory.status == 2 && directory.stderr.contains("directory"), "\(directory.stderr)")

        let device = try backprop(base + ["--out", "/dev/null"], in: dir)
        #expect(device.status == 2 && device.stderr.contains("device"), "\(device.stderr)")
        #expect(stat("/dev/null", &info) == 0 && info.st_mode & S_IFMT == S_IFCHR)

        // a symbolic link: the file it points to is replaced, the link stays
        try "old".write(to: dir.appendingPathComponent("target.json"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("link.json").path,
                                                   withDestinationPath: "target.json")
        let linked = try backprop(base + ["--out", "link.json"], in: dir)
        #expect(linked.status == 0, "\(linked.stderr)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir.appendingPathComponent("link.json").path)
                == "target.json")
        #expect(try Self.layers(dir.appendingPathComponent("target.json")).count == 3)

        // an input is never an output, whatever the path
        let before = try Data(contentsOf: dir.appendingPathComponent("data.csv"))
        for out in ["data.csv", "./data.csv", dir.appendingPathComponent("data.csv").path] {
            let same = try backprop(base + ["--out", out], in: dir)
            #expect(same.status == 2 && same.stderr.contains("same file as --data"), "\(same.stderr)")
        }
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("alias.csv").path,
                                                   withDestinationPath: "data.csv")
        let aliased = try backprop(base + ["--out", "alias.csv"], in: dir)
        #expect(aliased.status == 2, "\(aliased.stderr)")
        #expect(try Data(contentsOf: dir.appendingPathComponent("data.csv")) == before)
        #expect(try Self.strayTemporaryFiles(in: dir).isEmpty)
    }

    @Test func unwritableOutputFailsBeforeTraining() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.writeData(to: dir.appendingPathComponent("data.csv"), rows: 200)
        let missing = try backprop(["train", "--data", "data.csv", "--out", "no/such/m.json"], in: dir)
        #expect(missing.status == 2 && !missing.stdout.contains("training:"), "\(missing.stdout)")
        let plots = try backprop(["train", "--data", "data.csv", "--plot", "data.csv/plots"], in: dir)
        #expect(plots.status == 2 && !plots.stdout.contains("training:"), "\(plots.stderr)")
    }

    @Test func strayTemporaryFilesOfKilledRunsAreRemoved() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.writeData(to: dir.appendingPathComponent("data.csv"), rows: 200)
        // a process id that no process has (above the kernel's pid_max), and this test's own
        let dead = dir.appendingPathComponent(".m.json.99999999.3.tmp")
        let alive = dir.appendingPathComponent(".m.json.\(getpid()).3.tmp")
        let unrelated = dir.appendingPathComponent(".m.json.notes.tmp")
        for url in [dead, alive, unrelated] { try "partial".write(to: url, atomically: false, encoding: .utf8) }
        let run = try backprop(["train", "--data", "data.csv", "--epochs", "2", "--out", "m.json", "--quiet"], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dead.path), "the killed run's file is removed")
        #expect(FileManager.default.fileExists(atPath: alive.path), "a running process's file is kept")
        #expect(FileManager.default.fileExists(atPath: unrelated.path), "files of other names are kept")
    }

    @Test func networksTooLargeForMemoryAreRefused() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.writeData(to: dir.appendingPathComponent("data.csv"), rows: 100)
        let huge = try backprop(["train", "--data", "data.csv", "--layers", "100000,100000", "--out", "m.json"], in: dir)
        #expect(huge.status == 2 && huge.stderr.contains("not enough memory"), "\(huge.status): \(huge.stderr)")
        let limited = try backprop(["train", "--data", "data.csv", "--layers", "256", "--memory-limit", "64K",
                                    "--out", "m.json"], in: dir)
        #expect(limited.status == 2 && limited.stderr.contains("not enough memory"), "\(limited.stderr)")
        let data = try backprop(["train", "--data", "data.csv", "--memory-limit", "2K", "--out", "m.json"], in: dir)
        #expect(data.status == 2 && data.stderr.contains("not enough memory for reading data.csv"), "\(data.stderr)")
        let enough = try backprop(["train", "--data", "data.csv", "--layers", "8", "--epochs", "2", "--memory-limit", "1G",
                                   "--out", "m.json", "--quiet"], in: dir)
        #expect(enough.status == 0, "\(enough.stderr)")
        let bad = try backprop(["train", "--data", "data.csv", "--memory-limit", "lots"], in: dir)
        #expect(bad.status != 0 && bad.stderr.contains("memory-limit"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("core").path))
    }

    @Test func resumeRefusesOtherSettingsAndData() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.writeData(to: dir.appendingPathComponent("data.csv"), rows: 10_000)
        let (process, out, err) = try Self.start(["train", "--data", "data.csv", "--epochs", "50", "--progress-every", "1",
                                                  "--out", "ck.json"], in: dir)
        #expect(Self.wait(for: "epoch  1/50", in: out, while: process), "\(Self.text(err))")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130, "\(Self.text(err))")
        let epochs = try backprop(["train", "--resume", "ck.json", "--epochs", "60"], in: dir)
        #expect(epochs.status == 2 && epochs.stderr.contains("--epochs 60 differs"), "\(epochs.stderr)")
        let layers = try backprop(["train", "--resume", "ck.json", "--layers", "4"], in: dir)
        #expect(layers.status != 0 && layers.stderr.contains("--layers"), "\(layers.stderr)")
        try Self.writeData(to: dir.appendingPathComponent("other.csv"), rows: 10_000, seed: 2)
        let other = try backprop(["train", "--resume", "ck.json", "--data", "other.csv"], in: dir)
        #expect(other.status == 2 && other.stderr.contains("other training data"), "\(other.stderr)")
        let model = try backprop(["train", "--resume", "data.csv"], in: dir)
        #expect(model.status == 2, "\(model.stderr)")
    }
}
