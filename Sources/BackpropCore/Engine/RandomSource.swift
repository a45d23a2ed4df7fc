import CKernels

/// Owns one seeded GSL generator (`bp_rng`, MT19937).
///
/// A class because the generator is a C object that must be freed. The
/// `Network` that holds it copies it before mutating whenever the reference
/// is shared (copy-on-write), so two network values never draw from the
/// same generator; that discipline is what makes the `Sendable` conformance
/// sound.
final class RandomSource: @unchecked Sendable {
    let pointer: OpaquePointer

    init(seed: UInt64) throws {
        var out: OpaquePointer?
        try check(bp_rng_create(seed, &out), "bp_rng_create")
        pointer = out!
    }

    private init(pointer: OpaquePointer) { self.pointer = pointer }

    func clone() throws -> RandomSource {
        var out: OpaquePointer?
        try check(bp_rng_clone(pointer, &out), "bp_rng_clone")
        return RandomSource(pointer: out!)
    }

    /// Takes over `other`'s state without allocating: draws from here on
    /// are those `other` would make next.
    func copyState(from other: RandomSource) throws {
        try check(bp_rng_copy(pointer, other.pointer), "bp_rng_copy")
    }

    deinit { bp_rng_free(pointer) }

    /// The generator's state as `BP_RNG_STATE_WORDS` plain 32-bit words
    /// (MT19937's 624 words and its position), for a checkpoint.
    func state() throws -> [UInt32] {
        var words = [UInt32](repeating: 0, count: Int(BP_RNG_STATE_WORDS))
        try words.withUnsafeMutableBufferPointer { try check(bp_rng_get_state(pointer, $0.baseAddress), "bp_rng_get_state") }
        return words
    }

    /// A generator that draws what the one whose ``state()`` this was would
    /// draw next.
    /// - Throws: ``BackpropError/invalidCheckpoint(_:)`` for words no
    ///   generator can hold (the wrong count, a position past the end, all zero).
    convenience init(state words: [UInt32]) throws {
        guard words.count == Int(BP_RNG_STATE_WORDS) else {
            throw BackpropError.invalidCheckpoint("the generator state has \(words.count) words, expected \(BP_RNG_STATE_WORDS)")
        }
        try self.init(seed: 0)
        let status = words.withUnsafeBufferPointer { bp_rng_set_state(pointer, $0.baseAddress) }
        guard status != BP_ERR_BAD_VALUE else {
            throw BackpropError.invalidCheckpoint("the generator state is not one MT19937 can be in")
        }
        try check(status, "bp_rng_set_state")
    }

    /// Fills `count` doubles from the initializer for a layer of the given fans.
    func draw(_ initializer: Initializer, nIn: Int, nOut: Int) throws -> [Double] {
        try initializer.validate()
        let count = nIn * nOut
        var out = [Double](repeating: 0, count: count)
        try out.withUnsafeMutableBufferPointer { buffer in
            let p = buffer.baseAddress
            switch initializer {
            case let .normal(standardDeviation):
                try check(bp_rng_normal(pointer, count, 0, standardDeviation, p), "bp_rng_normal")
            case let .uniform(a, b):
                try check(bp_rng_uniform(pointer, count, a, b, p), "bp_rng_uniform")
            case .xavier:
                try check(bp_rng_init_weights(pointer, BP_INIT_XAVIER_NORMAL, nIn, nOut, p), "bp_rng_init_weights")
            case .xavierUniform:
                try check(bp_rng_init_weights(pointer, BP_INIT_XAVIER_UNIFORM, nIn, nOut, p), "bp_rng_init_weights")
            case .he:
                try check(bp_rng_init_weights(pointer, BP_INIT_HE_NORMAL, nIn, nOut, p), "bp_rng_init_weights")
            case .heUniform:
                try check(bp_rng_init_weights(pointer, BP_INIT_HE_UNIFORM, nIn, nOut, p), "bp_rng_init_weights")
            case .zeros:
                break
            }
        }
        return out
    }

    /// 64 random bits: two of the generator's 32-bit words (a seed for
    /// another stream, such as the dropout masks').
    func nextWord() throws -> UInt64 {
        var word: UInt64 = 0
        for _ in 0..<2 {
            var u = 0.0
            try check(bp_rng_uniform01(pointer, &u), "bp_rng_uniform01")
            word = word << 32 | UInt64(u * 0x1p32)
        }
        return word
    }

    /// Shuffles `indices` in place (Fisher–Yates through gsl_ran_shuffle).
    func shuffle(_ indices: inout [Int]) throws {
        try indices.withUnsafeMutableBufferPointer { buffer in
            try check(bp_rng_shuffle(pointer, buffer.count, buffer.baseAddress), "bp_rng_shuffle")
        }
    }
}

extension RandomSource {
    /// `count` draws from N(0, σ²), σ = `standardDeviation`.
    func normals(_ count: Int, standardDeviation: Double) throws -> [Double] {
        var out = [Double](repeating: 0, count: count)
        try out.withUnsafeMutableBufferPointer { b in
            try check(bp_rng_normal(pointer, count, 0, standardDeviation, b.baseAddress), "bp_rng_normal")
        }
        return out
    }
}
