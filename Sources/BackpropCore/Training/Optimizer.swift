import CKernels

/// The rule by which training turns a batch's gradient into new parameters,
/// with PyTorch's definitions and defaults (`torch.optim`), so that
/// published recipes carry over.
///
/// Set it on the network — `network.optimizer = .adam()` — and train as
/// usual: every step of `train` forms the gradient `g` of the batch's mean
/// loss (regularisation included) and applies the rule to every parameter
/// `p`, element by element, with the step's learning rate `η` (the
/// `learningRate` of `train`, as changed by its schedule). `t` counts the
/// updates since the optimiser was set (1 at the first):
///
/// | rule | update |
/// |---|---|
/// | ``sgd(momentum:dampening:nesterov:weightDecay:)`` | `g ← g + λp`; `b ← g` (t = 1), else `b ← μb + (1 − τ)g`; `p ← p − η·(g + μb)` (Nesterov), `p − ηb` (momentum), `p − ηg` |
/// | ``adam(beta1:beta2:epsilon:weightDecay:amsgrad:)`` | `g ← g + λp`; `m ← β₁m + (1 − β₁)g`; `v ← β₂v + (1 − β₂)g²`; `p ← p − η/(1 − β₁ᵗ) · m / (√v̂ / √(1 − β₂ᵗ) + ε)`, `v̂ = v` (or its running maximum, AMSGrad) |
/// | ``adamW(beta1:beta2:epsilon:weightDecay:amsgrad:)`` | `p ← p·(1 − ηλ)` (decoupled), then Adam's step without `λ` |
/// | ``rmsprop(alpha:epsilon:weightDecay:momentum:centered:)`` | `g ← g + λp`; `s ← αs + (1 − α)g²`; `r = √s + ε` (centred: `a ← αa + (1 − α)g`, `r = √(s − a²) + ε`); `b ← μb + g/r`, `p ← p − ηb` (μ > 0), else `p ← p − ηg/r` |
/// | ``adagrad(learningRateDecay:weightDecay:initialAccumulatorValue:epsilon:)`` | `g ← g + λp`; `s ← s + g²`; `p ← p − η/(1 + (t − 1)·decay) · g/(√s + ε)` |
/// | ``rprop(etaMinus:etaPlus:minimumStepSize:maximumStepSize:)`` | iRprop−: per parameter a step `Δ` (η at t = 1); `Δ ← clamp(η₊Δ)` when `g·g′ > 0`, `clamp(η₋Δ)` and `g ← 0` when `< 0`; `p ← p − sign(g)·Δ`; `g′ ← g` |
///
/// The default, ``gradientDescent``, is plain `p ← p − ηg` with no state —
/// the library's fastest step, whose weight updates are fused into the
/// products that form their gradients. Every other rule keeps per-parameter
/// state (``stateSlots`` values per parameter), allocated once per `train`
/// call: steps still allocate nothing. The state belongs to the network and
/// carries over from one `train` call to the next (and into checkpoints and
/// model files); assigning ``Network/optimizer`` restarts it.
///
/// Rprop reads `η` only as its initial step size and ignores the batch
/// size's noise: use it with full batches, as FANN does.
public struct Optimizer: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The family of update rule (`torch.optim`'s class of the same name).
    public enum Rule: String, Sendable, Hashable, Codable, CaseIterable {
        /// Stochastic gradient descent, with optional momentum and weight decay.
        case sgd
        /// Adam (Kingma & Ba), with coupled weight decay and optional AMSGrad.
        case adam
        /// AdamW (Loshchilov & Hutter): Adam with decoupled weight decay.
        case adamW
        /// RMSprop (Hinton), optionally centred and with momentum.
        case rmsprop
        /// Adagrad (Duchi et al.).
        case adagrad
        /// iRprop− (Igel & Hüsken), FANN's default, for full batches.
        case rprop
    }

    /// The update rule.
    public var rule: Rule
    /// μ, SGD and RMSprop momentum (≥ 0).
    public var momentum: Double = 0
    /// τ, SGD's dampening of the momentum buffer's new gradient (in [0, 1]).
    public var dampening: Double = 0
    /// SGD: Nesterov momentum (needs momentum > 0 and dampening 0).
    public var nesterov = false
    /// λ, weight decay (≥ 0): coupled (`g ← g + λp`) for every rule but
    /// AdamW, whose decay is decoupled (`p ← p·(1 − ηλ)`); Rprop has none.
    public var weightDecay: Double = 0
    /// β₁, Adam's first-moment decay (in [0, 1)).
    public var beta1: Double = 0.9
    /// β₂, Adam's second-moment decay (in [0, 1)).
    public var beta2: Double = 0.999
    /// ε, added to the denominator of Adam, RMSprop and Adagrad (≥ 0).
    public var epsilon: Double = 1e-8
    /// Adam: divide by the running maximum of the second moment (AMSGrad).
    public var amsgrad = false
    /// α, RMSprop's smoothing constant (in [0, 1]).
    public var alpha: Double = 0.99
    /// RMSprop: normalise by the centred second moment `s − a²`.
    public var centered = false
    /// Adagrad: the learning rate's decay per step (≥ 0).
    public var learningRateDecay: Double = 0
    /// Adagrad: the accumulator's starting value (≥ 0).
    public var initialAccumulatorValue: Double = 0
    /// η₋, Rprop's step-size factor after a sign change (in (0, 1)).
    public var etaMinus: Double = 0.5
    /// η₊, Rprop's step-size factor while the sign holds (> 1).
    public var etaPlus: Double = 1.2
    /// Rprop's smallest step size (≥ 0).
    public var minimumStepSize: Double = 1e-6
    /// Rprop's largest step size (≥ ``minimumStepSize``).
    public var maximumStepSize: Double = 50

    /// An optimiser of `rule` with PyTorch's defaults for every field.
    public init(rule: Rule) {
        self.rule = rule
        switch rule {
        case .adamW: weightDecay = 1e-2
        case .adagrad: epsilon = 1e-10
        default: break
        }
    }

    /// Plain gradient descent, `p ← p − η·g`: the default, with no state.
    public static var gradientDescent: Optimizer { Optimizer(rule: .sgd) }

    /// SGD (`torch.optim.SGD`): momentum μ, dampening τ, Nesterov momentum
    /// and coupled weight decay λ. With every argument 0 it is
    /// ``gradientDescent``.
    public static func sgd(momentum: Double = 0, dampening: Double = 0, nesterov: Bool = false,
                           weightDecay: Double = 0) -> Optimizer {
        var o = Optimizer(rule: .sgd)
        o.momentum = momentum
        o.dampening = dampening
        o.nesterov = nesterov
        o.weightDecay = weightDecay
        return o
    }

    /// Adam (`torch.optim.Adam`): bias-corrected first and second moments.
    public static func adam(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                            weightDecay: Double = 0, amsgrad: Bool = false) -> Optimizer {
        var o = Optimizer(rule: .adam)
        o.beta1 = beta1
        o.beta2 = beta2
        o.epsilon = epsilon
        o.weightDecay = weightDecay
        o.amsgrad = amsgrad
        return o
    }

    /// AdamW (`torch.optim.AdamW`): Adam with decoupled weight decay
    /// `p ← p·(1 − ηλ)` before each step (default λ = 0.01).
    public static func adamW(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                             weightDecay: Double = 1e-2, amsgrad: Bool = false) -> Optimizer {
        var o = adam(beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay, amsgrad: amsgrad)
        o.rule = .adamW
        return o
    }

    /// RMSprop (`torch.optim.RMSprop`).
    public static func rmsprop(alpha: Double = 0.99, epsilon: Double = 1e-8, weightDecay: Double = 0,
                               momentum: Double = 0, centered: Bool = false) -> Optimizer {
        var o = Optimizer(rule: .rmsprop)
        o.alpha = alpha
        o.epsilon = epsilon
        o.weightDecay = weightDecay
        o.momentum = momentum
        o.centered = centered
        return o
    }

    /// Adagrad (`torch.optim.Adagrad`).
    public static func adagrad(learningRateDecay: Double = 0, weightDecay: Double = 0,
                               initialAccumulatorValue: Double = 0, epsilon: Double = 1e-10) -> Optimizer {
        var o = Optimizer(rule: .adagrad)
        o.learningRateDecay = learningRateDecay
        o.weightDecay = weightDecay
        o.initialAccumulatorValue = initialAccumulatorValue
        o.epsilon = epsilon
        return o
    }

    /// iRprop− (`torch.optim.Rprop`), for full-batch training: the learning
    /// rate is each parameter's initial step size.
    public static func rprop(etaMinus: Double = 0.5, etaPlus: Double = 1.2, minimumStepSize: Double = 1e-6,
                             maximumStepSize: Double = 50) -> Optimizer {
        var o = Optimizer(rule: .rprop)
        o.etaMinus = etaMinus
        o.etaPlus = etaPlus
        o.minimumStepSize = minimumStepSize
        o.maximumStepSize = maximumStepSize
        return o
    }

    /// Whether this is ``gradientDescent``: SGD without momentum or weight
    /// decay (dampening and Nesterov then play no part).
    public var isGradientDescent: Bool { rule == .sgd && momentum == 0 && weightDecay == 0 }

    /// State values the rule keeps per parameter: SGD's momentum buffer
    /// (0 without momentum), Adam's m and v (and v̂ with AMSGrad), RMSprop's
    /// s (and a, centred; and b, with momentum), Adagrad's s, Rprop's g′ and Δ.
    public var stateSlots: Int {
        switch rule {
        case .sgd: return momentum != 0 ? 1 : 0
        case .adam, .adamW: return amsgrad ? 3 : 2
        case .rmsprop: return 1 + (centered ? 1 : 0) + (momentum > 0 ? 1 : 0)
        case .adagrad: return 1
        case .rprop: return 2
        }
    }

    /// The slots that hold squares or step sizes, never negative: Adam's v
    /// and v̂, RMSprop's s, Adagrad's s, Rprop's Δ.
    var nonnegativeSlots: [Int] {
        switch rule {
        case .sgd: return []
        case .adam, .adamW: return amsgrad ? [1, 2] : [1]
        case .rmsprop, .adagrad: return [0]
        case .rprop: return [1]
        }
    }

    /// The rule and the hyperparameters it reads, as the command line
    /// writes them: "sgd", "sgd(momentum: 0.9, nesterov)", "adam(beta1: 0.9, …)".
    public var description: String {
        var parts: [String] = []
        func add(_ name: String, _ value: Double, unless standard: Double) {
            if value != standard { parts.append("\(name): \(value)") }
        }
        let standard = Optimizer(rule: rule)
        switch rule {
        case .sgd:
            add("momentum", momentum, unless: 0)
            add("dampening", dampening, unless: 0)
            if nesterov { parts.append("nesterov") }
            add("weightDecay", weightDecay, unless: 0)
        case .adam, .adamW:
            add("beta1", beta1, unless: standard.beta1)
            add("beta2", beta2, unless: standard.beta2)
            add("epsilon", epsilon, unless: standard.epsilon)
            add("weightDecay", weightDecay, unless: standard.weightDecay)
            if amsgrad { parts.append("amsgrad") }
        case .rmsprop:
            add("alpha", alpha, unless: standard.alpha)
            add("epsilon", epsilon, unless: standard.epsilon)
            add("weightDecay", weightDecay, unless: 0)
            add("momentum", momentum, unless: 0)
            if centered { parts.append("centered") }
        case .adagrad:
            add("learningRateDecay", learningRateDecay, unless: 0)
            add("weightDecay", weightDecay, unless: 0)
            add("initialAccumulatorValue", initialAccumulatorValue, unless: 0)
            add("epsilon", epsilon, unless: standard.epsilon)
        case .rprop:
            add("etaMinus", etaMinus, unless: standard.etaMinus)
            add("etaPlus", etaPlus, unless: standard.etaPlus)
            add("minimumStepSize", minimumStepSize, unless: standard.minimumStepSize)
            add("maximumStepSize", maximumStepSize, unless: standard.maximumStepSize)
        }
        return parts.isEmpty ? rule.rawValue : "\(rule.rawValue)(\(parts.joined(separator: ", ")))"
    }

    /// Checks every hyperparameter the rule reads: finite (in `Scalar` too)
    /// and in its domain.
    /// - Throws: ``BackpropError/invalidHyperparameter(name:value:expected:)``
    ///   naming the first one that is not.
    public func validate<Scalar: NetworkScalar>(for _: Scalar.Type = Double.self) throws {
        func require(_ name: String, _ value: Double, _ expected: String, _ ok: (Double) -> Bool) throws {
            guard value.isFinite, Scalar(value).isFinite, ok(value) else {
                throw BackpropError.invalidHyperparameter(name: "optimizer.\(name)", value: "\(value)",
                                                          expected: expected)
            }
        }
        let nonnegative: (Double) -> Bool = { $0 >= 0 }
        let unitOpen: (Double) -> Bool = { $0 >= 0 && $0 < 1 }
        let unitClosed: (Double) -> Bool = { $0 >= 0 && $0 <= 1 }
        if rule != .rprop { try require("weightDecay", weightDecay, "≥ 0", nonnegative) }
        switch rule {
        case .sgd:
            try require("momentum", momentum, "≥ 0", nonnegative)
            try require("dampening", dampening, "in [0, 1]", unitClosed)
            if nesterov && (momentum <= 0 || dampening != 0) {
                throw BackpropError.invalidHyperparameter(
                    name: "optimizer.nesterov", value: "true (momentum \(momentum), dampening \(dampening))",
                    expected: "momentum > 0 and dampening 0")
            }
        case .adam, .adamW:
            try require("beta1", beta1, "in [0, 1)", unitOpen)
            try require("beta2", beta2, "in [0, 1)", unitOpen)
            try require("epsilon", epsilon, "≥ 0", nonnegative)
        case .rmsprop:
            try require("alpha", alpha, "in [0, 1]", unitClosed)
            try require("epsilon", epsilon, "≥ 0", nonnegative)
            try require("momentum", momentum, "≥ 0", nonnegative)
        case .adagrad:
            try require("learningRateDecay", learningRateDecay, "≥ 0", nonnegative)
            try require("initialAccumulatorValue", initialAccumulatorValue, "≥ 0", nonnegative)
            try require("epsilon", epsilon, "≥ 0", nonnegative)
        case .rprop:
            try require("etaMinus", etaMinus, "in (0, 1)", { $0 > 0 && $0 < 1 })
            try require("etaPlus", etaPlus, "> 1", { $0 > 1 })
            try require("minimumStepSize", minimumStepSize, "≥ 0", nonnegative)
            try require("maximumStepSize", maximumStepSize, "≥ minimumStepSize (\(minimumStepSize))",
                        { $0 >= minimumStepSize })
        }
    }

    /// The C engine's description (`bp_optimizer`).
    var kernel: bp_optimizer {
        var o = bp_optimizer()
        switch rule {
        case .sgd: o.rule = BP_OPTIMIZER_SGD
        case .adam: o.rule = BP_OPTIMIZER_ADAM
        case .adamW: o.rule = BP_OPTIMIZER_ADAMW
        case .rmsprop: o.rule = BP_OPTIMIZER_RMSPROP
        case .adagrad: o.rule = BP_OPTIMIZER_ADAGRAD
        case .rprop: o.rule = BP_OPTIMIZER_RPROP
        }
        o.momentum = momentum
        o.dampening = dampening
        o.nesterov = nesterov ? 1 : 0
        o.weight_decay = rule == .rprop ? 0 : weightDecay
        o.beta1 = beta1
        o.beta2 = beta2
        o.eps = epsilon
        o.amsgrad = amsgrad ? 1 : 0
        o.alpha = alpha
        o.centered = centered ? 1 : 0
        o.lr_decay = learningRateDecay
        o.initial_accumulator_value = initialAccumulatorValue
        o.eta_minus = etaMinus
        o.eta_plus = etaPlus
        o.step_min = minimumStepSize
        o.step_max = maximumStepSize
        return o
    }
}

/// An optimiser's per-parameter state and step count, as a network keeps
/// it between `train` calls and a checkpoint saves it: resuming from it
/// continues the optimiser exactly.
public struct OptimizerState: Sendable, Equatable, Codable {
    /// The optimiser the state belongs to.
    public let optimizer: Optimizer
    /// Updates applied since the optimiser was set (`t` of the next step is `step + 1`).
    public let step: Int
    /// ``Optimizer/stateSlots`` × parameter count values, slot after slot
    /// — or none, at step 0, for an optimiser that has not started
    /// (value i of slot j at `j·parameterCount + i`; the slots in the order
    /// of ``Optimizer/stateSlots``). Doubles hold a `Float` network's values exactly.
    public let values: [Double]

    /// A state of `optimizer` (checked by the network that takes it).
    public init(optimizer: Optimizer, step: Int, values: [Double]) {
        self.optimizer = optimizer
        self.step = step
        self.values = values
    }

    /// Checks that the state fits a network of `parameterCount` parameters
    /// of `Scalar`: the right number of finite values (representable in
    /// `Scalar`), non-negative where the rule keeps squares or step sizes,
    /// and a non-negative step.
    package func validate<Scalar: NetworkScalar>(parameterCount: Int, scalar: Scalar.Type) throws {
        func fail(_ message: String) -> BackpropError { .invalidCheckpoint("optimizer state: \(message)") }
        do { try optimizer.validate(for: Scalar.self) } catch let error as BackpropError {
            throw fail("\(error)")
        }
        guard step >= 0 else { throw fail("step \(step)") }
        // No values at step 0: an optimiser that has not started.
        if values.isEmpty && step == 0 { return }
        let (expected, overflow) = optimizer.stateSlots.multipliedReportingOverflow(by: parameterCount)
        guard !overflow, values.count == expected else {
            throw fail("\(values.count) values, expected \(optimizer.stateSlots) × \(parameterCount)")
        }
        if let i = values.firstIndex(where: { !$0.isFinite || Double(Scalar($0)) != $0 }) {
            throw fail("value \(i) is not a finite \(Scalar.self) value")
        }
        for slot in optimizer.nonnegativeSlots {
            let range = slot * parameterCount ..< (slot + 1) * parameterCount
            if let i = values[range].firstIndex(where: { $0 < 0 }) {
                throw fail("value \(i) is negative, in a slot of squares or step sizes")
            }
        }
    }
}
