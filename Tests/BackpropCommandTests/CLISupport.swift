import Foundation
import BackpropTestSupport
import Testing
import Backprop

/// The built `backprop` executable: `$BACKPROP_BIN` if set, otherwise the
/// one beside this test bundle in the build products directory (SwiftPM
/// builds it first because this test target depends on its target).
let backpropExecutable: URL = {
    if let path = ProcessInfo.processInfo.environment["BACKPROP_BIN"] { return URL(fileURLWithPath: path) }
    var candidates: [URL] = []
    let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    candidates.append(me.deletingLastPathComponent())
    for bundle in Bundle.allBundles { candidates.append(bundle.bundleURL.deletingLastPathComponent()) }
    candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
    for directory in candidates {
        var dir = directory
        for _ in 0..<4 {
            let url = dir.appendingPathComponent("backprop")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: url.path) {
                return url
            }
            dir = dir.deletingLastPathComponent()
        }
    }
    return URL(fileURLWithPath: "backprop-executable-not-found")
}()

/// What a run of the command produced.
struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// A `backprop` process, not started, run in `directory` with `TERM=dumb`
/// (plain progress lines).
func backpropProcess(_ arguments: [String], in directory: URL) -> Process {
    let process = Process()
    process.executableURL = backpropExecutable
    process.arguments = arguments
    process.currentDirectoryURL = directory
    var environment = ProcessInfo.processInfo.environment
    environment["TERM"] = "dumb"
    process.environment = environment
    return process
}

/// Runs `backprop` with arguments in a directory and waits (at most
/// `timeout` seconds, then it is killed and the test fails).
@discardableResult
func backprop(_ arguments: [String], in directory: URL, timeout: Double = 120,
              sourceLocation: SourceLocation = #_sourceLocation) throws -> Run {
    let process = backpropProcess(arguments, in: directory)
    let out = directory.appendingPathComponent(".stdout-\(UUID().uuidString)")
    let err = directory.appendingPathComponent(".stderr-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    defer {
        try? FileManager.default.removeItem(at: out)
        try? FileManager.default.removeItem(at: err)
    }
    let outHandle = try FileHandle(forWritingTo: out), errHandle = try FileHandle(forWritingTo: err)
    process.standardOutput = outHandle
    process.standardError = errHandle
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    if process.isRunning {
        process.terminate()
        process.waitUntilExit()
        Issue.record("backprop \(arguments.joined(separator: " ")) timed out", sourceLocation: sourceLocation)
    }
    process.waitUntilExit()
    try outHandle.close()
    try errHandle.close()
    return Run(status: process.terminationStatus,
               stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
               stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self))
}

/// A fresh temporary directory, removed by the caller's `defer`.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("backprop-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Writes text to `name` in `directory`.
@discardableResult
func write(_ text: String, to name: String, in directory: URL) throws -> URL {
    let url = directory.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url
}

/// The repository's `Tests/Fixtures` directory.
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

/// A CSV of a data set with features x1, x2 and the class names as labels.
func csv(_ data: Dataset<Double>, classNames: [String]) -> String {
    var lines = ["x1,x2,label"]
    for i in 0..<data.count {
        lines.append("\(data.inputs[i, 0]),\(data.inputs[i, 1]),\(classNames[data.labels![i]])")
    }
    return lines.joined(separator: "\n") + "\n"
}
