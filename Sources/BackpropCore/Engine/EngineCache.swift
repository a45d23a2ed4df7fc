import Foundation

/// The engines a network keeps between calls, so that repeated `train`,
/// `predict`, `loss` and `gradients` calls do not each allocate (and first
/// touch) the C engine's buffers and start its GEMM threads again.
///
/// An engine is lent to one call at a time: `take` removes it from the
/// cache and `keep` puts it back when the call is done, so copies of a network
/// (which share the cache) and concurrent tasks never use one engine at once;
/// a call that finds no idle engine that fits builds its own.
///
/// At most ``keptEngines`` idle engines stay, the most recently used, and
/// only engines of at most ``keptCapacity`` rows: a full-batch `loss` over a
/// large data set gets an engine for that call alone rather than holding its
/// memory for the network's lifetime. Kept engines (and their worker
/// threads, parked) are freed with the last copy of the network.
final class EngineCache<Scalar: NetworkScalar>: @unchecked Sendable {
    /// Idle engines kept at most.
    static var keptEngines: Int { 2 }
    /// Largest batch capacity (rows) of an engine worth keeping.
    static var keptCapacity: Int { 4096 }

    // `idle` is only read or written with `lock` held (hence @unchecked).
    private let lock = NSLock()
    private var idle: [Engine<Scalar>] = []

    /// Runs `body` with an engine from ``take(for:capacity:)``, kept afterwards.
    func withEngine<R>(for network: Network<Scalar>, capacity: Int,
                       _ body: (Engine<Scalar>) throws -> R) throws -> R {
        let engine = try take(for: network, capacity: capacity)
        defer { keep(engine) }
        return try body(engine)
    }

    /// An engine for `network` with room for `capacity` rows, the
    /// network's thread count and its kernel set: the smallest idle one that fits (no longer
    /// idle until ``keep(_:)``), otherwise a new one.
    func take(for network: Network<Scalar>, capacity: Int) throws -> Engine<Scalar> {
        lock.lock()
        var best: Int?
        for i in idle.indices where idle[i].threads == network.threads && idle[i].kernels == network.kernels
            && idle[i].capacity >= capacity {
            if best.map({ idle[i].capacity < idle[$0].capacity }) ?? true { best = i }
        }
        let kept = best.map { idle.remove(at: $0) }
        lock.unlock()
        return try kept ?? Engine(network, capacity: capacity)
    }

    /// Capacities of the idle engines, most recently used first.
    var idleCapacities: [Int] { lock.lock(); defer { lock.unlock() }; return idle.map(\.capacity) }
    /// Thread counts of the idle engines, most recently used first.
    var idleThreads: [Int] { lock.lock(); defer { lock.unlock() }; return idle.map(\.threads) }
    /// Kernel sets of the idle engines, most recently used first.
    var idleKernels: [KernelSet] { lock.lock(); defer { lock.unlock() }; return idle.map(\.kernels) }

    /// Returns an engine from ``take(for:capacity:)`` to the idle ones
    /// (or frees it, when too large to keep).
    func keep(_ engine: Engine<Scalar>) {
        guard engine.capacity <= Self.keptCapacity else { return }
        lock.lock()
        idle.insert(engine, at: 0)
        let dropped = idle.count > Self.keptEngines ? idle.removeLast() : nil
        lock.unlock()
        // released here, outside the lock (freeing joins its worker threads)
        withExtendedLifetime(dropped) {}
    }
}
