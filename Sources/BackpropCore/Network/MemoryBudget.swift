import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How much memory a computation may claim, checked before each large
/// allocation, so that a network, a batch or a data set too large for the
/// machine is a ``BackpropError/insufficientMemory(what:required:available:)``
/// rather than a crash (an allocation failure traps in Swift; on Linux an
/// allocation the kernel overcommits ends in the out-of-memory killer
/// instead, which is worse).
///
/// The bytes allowed are the smaller of ``limit`` and what the machine can
/// give now (``systemAvailableBytes()``). A network checks its parameters
/// against ``system`` when it is created, and its engines (the scratch
/// buffers of a batch: `batch rows × Σ layer widths × 4` values and
/// parameter-sized gradients) against ``Network/memoryBudget`` before
/// allocating them.
///
/// ```swift
/// var net = try Network(inputSize: 784, layers: [.dense(4096, .relu), .dense(10, .softmax)],
///                       loss: .categoricalCrossEntropy)
/// net.memoryBudget = try MemoryBudget(limit: 2_000_000_000)   // 2 GB at most
/// ```
public struct MemoryBudget: Sendable, Equatable {
    /// At most this many bytes; `nil`: only the machine's available memory.
    public let limit: Int?

    /// The machine's available memory and no limit of its own.
    public static let system = MemoryBudget(unchecked: nil)

    /// A budget of at most `limit` bytes (and never more than the machine has).
    /// - Throws: ``BackpropError/invalidHyperparameter(name:value:expected:)`` unless `limit ≥ 1`.
    public init(limit: Int) throws {
        guard limit >= 1 else {
            throw BackpropError.invalidHyperparameter(name: "memory limit", value: "\(limit)", expected: "≥ 1 byte")
        }
        self.limit = limit
    }

    private init(unchecked limit: Int?) { self.limit = limit }

    /// Bytes this budget allows now: the smaller of ``limit`` and
    /// ``systemAvailableBytes()`` (`nil` when neither is known).
    public var availableBytes: Int? {
        switch (limit, Self.systemAvailableBytes()) {
        case let (limit?, system?): return Swift.min(limit, system)
        case let (limit, system): return limit ?? system
        }
    }

    /// Throws unless `bytes` fit in ``availableBytes``.
    /// - Parameters:
    ///   - bytes: the size of the allocation to come.
    ///   - what: names what needs the memory, for the message.
    /// - Throws: ``BackpropError/insufficientMemory(what:required:available:)``.
    ///
    /// A request of at most ``smallRequest`` bytes within ``limit`` passes
    /// without asking the system (which costs a read of `/proc`): any
    /// machine that runs the process at all has that much.
    public func require(_ bytes: Int, for what: @autoclosure () -> String) throws {
        if bytes <= Self.smallRequest && bytes <= (limit ?? .max) { return }
        guard let available = availableBytes, bytes > available else { return }
        throw BackpropError.insufficientMemory(what: what(), required: bytes, available: available)
    }

    /// Requests up to this size (16 MiB) are checked against ``limit`` only.
    public static let smallRequest = 16 << 20

    /// Throws unless parsing the text file at `path` (CSV or JSON) fits:
    /// its bytes, the text, the cells and the numbers take about
    /// ``parsingFactor`` times the file's size. Nothing is checked for a
    /// file whose size is unknown (a pipe).
    /// - Parameters:
    ///   - path: the file's path in the file system.
    ///   - name: the file as the user named it, for the message.
    public func requireToParse(fileAt path: String, named name: String) throws {
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int else { return }
        try require(Self.bytes(count: size, size: Self.parsingFactor), for: "reading \(name) (\(formatBytes(size)))")
    }

    /// Bytes of memory per byte of a text file while it is parsed (an upper estimate).
    public static let parsingFactor = 6

    /// The bytes of `count` values of `size` bytes each, `Int.max` when the
    /// product overflows (so that it fails every budget).
    public static func bytes(count: Int, size: Int) -> Int {
        let (product, overflow) = Swift.max(count, 0).multipliedReportingOverflow(by: size)
        return overflow ? Int.max : product
    }

    /// The memory the machine can give now, in bytes: on Linux the
    /// kernel's estimate of available memory (`MemAvailable` in
    /// `/proc/meminfo`), capped by the headroom of the process's cgroup
    /// (`memory.max − memory.current`) when it has a limit; elsewhere the
    /// physical memory. `nil` when it cannot be read.
    public static func systemAvailableBytes() -> Int? {
        #if os(Linux)
        var available: Int?
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
           let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) {
            available = bytes(count: kilobytes, size: 1024)
        }
        if let headroom = cgroupHeadroom() {
            available = Swift.min(available ?? headroom, headroom)
        }
        return available
        #else
        return Int(exactly: ProcessInfo.processInfo.physicalMemory)
        #endif
    }

    #if os(Linux)
    /// `memory.max − memory.current` of this process's cgroup (v2), when it has a limit.
    private static func cgroupHeadroom() -> Int? {
        guard let membership = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8),
              let line = membership.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) else { return nil }
        let directory = "/sys/fs/cgroup" + line.dropFirst(3)
        func read(_ name: String) -> Int? {
            (try? String(contentsOfFile: directory + "/" + name, encoding: .utf8))
                .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        guard let maximum = read("memory.max"), let current = read("memory.current") else { return nil }
        return Swift.max(0, maximum - current)
    }
    #endif
}
