import Backprop
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Fails early, before any long work, when an output file could not be
/// written: its directory is missing or refuses new files, or the path
/// names something that is not a regular file (``AtomicFile`` replaces
/// regular files only, and follows symbolic links to them).
func requireWritable(_ path: String, for option: String) throws {
    let url = URL(fileURLWithPath: path)
    let directory = url.deletingLastPathComponent()
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw UserError("\(option) \(url.relativePath): no such directory \(directory.relativePath)")
    }
    do {
        try AtomicFile.checkWritable(url)
    } catch let error as FileWriteError {
        throw UserError("\(option) \(path): cannot write there: \(error.reason)")
    }
}

/// Fails when an output would overwrite one of the run's inputs (the same
/// file, whatever the path, links included).
/// - Parameter inputs: (option, path) of every input file; `-` (standard input) is skipped.
func requireDistinct(output path: String, for option: String, from inputs: [(option: String, path: String)]) throws {
    guard let target = fileIdentity(path) else { return }
    for input in inputs where input.path != "-" && fileIdentity(input.path) == target {
        throw UserError("\(option) \(path) is the same file as \(input.option) \(input.path): refusing to overwrite an input")
    }
}

/// Device and inode of the file a path leads to (links followed), or `nil`
/// when there is none.
private func fileIdentity(_ path: String) -> [UInt64]? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return [UInt64(info.st_dev), UInt64(info.st_ino)]
}

/// Creates a directory (and its parents) if needed, and checks that it
/// takes new files.
func makeDirectory(_ path: String, for option: String = "--out") throws -> URL {
    let url = URL(fileURLWithPath: path, isDirectory: true)
    do {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    } catch {
        throw UserError("\(option) \(path): cannot create directory: \((error as NSError).localizedDescription)")
    }
    try requireWritable(url.appendingPathComponent(".backprop-check").path, for: option)
    return url
}
