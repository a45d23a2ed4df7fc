import ArgumentParser
import Backprop

/// `--optimizer`: the update rule, by its command-line name.
enum OptimizerOption: String, ExpressibleByArgument, CaseIterable {
    case sgd, adam, adamw, rmsprop, adagrad, rprop

    init(_ rule: Optimizer.Rule) {
        switch rule {
        case .sgd: self = .sgd
        case .adam: self = .adam
        case .adamW: self = .adamw
        case .rmsprop: self = .rmsprop
        case .adagrad: self = .adagrad
        case .rprop: self = .rprop
        }
    }

    var rule: Optimizer.Rule {
        switch self {
        case .sgd: return .sgd
        case .adam: return .adam
        case .adamw: return .adamW
        case .rmsprop: return .rmsprop
        case .adagrad: return .adagrad
        case .rprop: return .rprop
        }
    }

    /// The learning rate when `--learning-rate` is not given: the command's
    /// 0.1 for plain gradient descent; PyTorch's default (and scikit-learn's
    /// `learning_rate_init`) 0.001 for Adam and AdamW; 0.01, PyTorch's,
    /// for the others (Rprop's initial step size).
    var defaultLearningRate: Double {
        switch self {
        case .sgd: return 0.1
        case .adam, .adamw: return 0.001
        case .rmsprop, .adagrad, .rprop: return 0.01
        }
    }
}

/// `--minimizer`: full-batch minimisation by one of GSL's minimisers.
enum MinimizerOption: String, ExpressibleByArgument, CaseIterable {
    case bfgs, cg, cgFletcherReeves = "cg-fr", steepestDescent = "steepest-descent"

    /// The library's method.
    var method: MinimizationMethod {
        switch self {
        case .bfgs: return .bfgs
        case .cg: return .conjugateGradientPolakRibiere
        case .cgFletcherReeves: return .conjugateGradientFletcherReeves
        case .steepestDescent: return .steepestDescent
        }
    }
}

/// The options that choose how `backprop train` trains: the optimiser and
/// its hyperparameters, the learning-rate schedule, regularisation and
/// early stopping. Their defaults are plain gradient descent at a constant
/// rate, without regularisation, for every epoch.
struct TrainingMethodOptions: ParsableArguments {
    @Option(help: ArgumentHelp("""
        The update rule: sgd (the default: plain gradient descent, or with --momentum), adam, adamw, rmsprop, \
        adagrad or rprop (iRprop−, for full batches), with PyTorch's definitions and defaults. The default \
        --learning-rate follows it: sgd 0.1, adam and adamw 0.001, rmsprop, adagrad and rprop 0.01.
        """, valueName: "name"))
    var optimizer: OptimizerOption?

    @Option(help: ArgumentHelp("""
        Train by full-batch minimisation instead of gradient steps, for small data (the role of \
        scikit-learn's lbfgs): bfgs (GSL's vector_bfgs2), cg (Polak–Ribière conjugate gradients), cg-fr \
        (Fletcher–Reeves) or steepest-descent, on the mean loss plus --l2's penalty. --epochs is then the \
        iteration budget; it stops earlier once the gradient's norm is below --gradient-tolerance. Not with \
        --optimizer, --learning-rate, --batch-size, --schedule, --clip-norm, --dropout, --early-stopping, \
        --checkpoint-every or --resume. Default: off.
        """, valueName: "name"))
    var minimizer: MinimizerOption?

    @Option(help: ArgumentHelp("--minimizer's stopping test: the gradient's 2-norm below this (default: 1e-5).", valueName: "tolerance"))
    var gradientTolerance: Double?

    @Option(help: ArgumentHelp("μ, momentum of sgd and rmsprop (default: 0).", valueName: "μ"))
    var momentum: Double?

    @Flag(help: "sgd: Nesterov momentum (needs --momentum > 0; default: off).")
    var nesterov = false

    @Option(help: ArgumentHelp("τ, sgd's dampening of the momentum (default: 0).", valueName: "τ"))
    var dampening: Double?

    @Option(help: ArgumentHelp("""
        λ, weight decay: coupled (λ·p added to the gradient, PyTorch's weight_decay, biases included) for sgd, \
        adam, rmsprop and adagrad (default: 0); decoupled (p ← p·(1 − ηλ) before each step) for adamw \
        (default: 0.01).
        """, valueName: "λ"))
    var weightDecay: Double?

    @Option(help: ArgumentHelp("β₁, adam's and adamw's first-moment decay (default: 0.9).", valueName: "β₁"))
    var beta1: Double?

    @Option(help: ArgumentHelp("β₂, adam's and adamw's second-moment decay (default: 0.999).", valueName: "β₂"))
    var beta2: Double?

    @Option(help: ArgumentHelp("ε added to the denominator of adam, adamw and rmsprop (default: 1e-8) and adagrad (default: 1e-10).", valueName: "ε"))
    var epsilon: Double?

    @Flag(help: "adam, adamw: divide by the running maximum of the second moment (AMSGrad; default: off).")
    var amsgrad = false

    @Option(help: ArgumentHelp("α, rmsprop's smoothing constant (default: 0.99).", valueName: "α"))
    var alpha: Double?

    @Flag(help: "rmsprop: normalize by the centred second moment (default: off).")
    var centered = false

    @Option(help: ArgumentHelp("""
        How the learning rate changes from epoch to epoch: constant (the default); step:K:GAMMA (times GAMMA \
        every K epochs); exponential:GAMMA (times GAMMA every epoch); cosine:T[:MIN[:WARMUP[:START]]] (cosine \
        annealing to MIN over T epochs, after WARMUP epochs of linear warm-up from START times the rate; \
        defaults 0, 0, 1/3); plateau[:FACTOR[:PATIENCE[:THRESHOLD[:COOLDOWN[:MIN]]]]] (times FACTOR once the \
        validation loss, or without validation data the training loss, has not improved by the relative \
        THRESHOLD for more than PATIENCE epochs, then COOLDOWN epochs of rest, never below MIN; defaults \
        0.1, 10, 1e-4, 0, 0). PyTorch's StepLR, ExponentialLR, CosineAnnealingLR (after LinearLR) and \
        ReduceLROnPlateau.
        """, valueName: "schedule"))
    var schedule: String?

    @Option(help: ArgumentHelp("""
        L2 penalty α on the weights (scikit-learn's alpha): the loss gains α/(2·batch rows)·Σ‖W‖² \
        (default: 0).
        """, valueName: "α"))
    var l2: Double?

    @Option(help: ArgumentHelp("Scale each step's gradient down to this global norm when it is larger (default: no clipping).", valueName: "C"))
    var clipNorm: Double?

    @Option(help: ArgumentHelp("""
        Inverted dropout of the hidden layers' outputs, in training only: one probability for every hidden \
        layer, or one per hidden layer, comma-separated (default: 0, none).
        """, valueName: "P[,P…]"))
    var dropout: String?

    @Flag(help: """
        Stop once the validation loss has not improved for --patience epochs, and keep the parameters of the \
        best epoch. Without --validation or --validation-split it holds out 10% of the training rows, as \
        --validation-split 0.1 (scikit-learn's validation_fraction). Default: off.
        """)
    var earlyStopping = false

    @Option(help: ArgumentHelp("--early-stopping: epochs without improvement that end training (default: 10).", valueName: "N"))
    var patience: Int?

    @Option(help: ArgumentHelp("--early-stopping: how far below the best validation loss an epoch must come to count as an improvement (default: 0).", valueName: "D"))
    var minDelta: Double?

    /// The validation split `--early-stopping` holds out when no other
    /// validation data is given (scikit-learn's `validation_fraction`).
    static let earlyStoppingValidationSplit = 0.1

    /// An optimiser option: its name, the rules that read it, and how it
    /// sets an optimiser's field.
    struct Setting {
        var option: String
        var readers: [OptimizerOption]
        var apply: (inout Optimizer) -> Void
    }

    /// The optimiser options given, in the order `--help` lists them.
    var givenSettings: [Setting] {
        var given: [Setting] = []
        func number(_ option: String, _ value: Double?, _ readers: [OptimizerOption],
                    _ field: WritableKeyPath<Optimizer, Double>) {
            if let value { given.append(Setting(option: option, readers: readers, apply: { $0[keyPath: field] = value })) }
        }
        func flag(_ option: String, _ value: Bool, _ readers: [OptimizerOption],
                  _ field: WritableKeyPath<Optimizer, Bool>) {
            if value { given.append(Setting(option: option, readers: readers, apply: { $0[keyPath: field] = true })) }
        }
        number("--momentum", momentum, [.sgd, .rmsprop], \.momentum)
        flag("--nesterov", nesterov, [.sgd], \.nesterov)
        number("--dampening", dampening, [.sgd], \.dampening)
        number("--weight-decay", weightDecay, [.sgd, .adam, .adamw, .rmsprop, .adagrad], \.weightDecay)
        number("--beta1", beta1, [.adam, .adamw], \.beta1)
        number("--beta2", beta2, [.adam, .adamw], \.beta2)
        number("--epsilon", epsilon, [.adam, .adamw, .rmsprop, .adagrad], \.epsilon)
        flag("--amsgrad", amsgrad, [.adam, .adamw], \.amsgrad)
        number("--alpha", alpha, [.rmsprop], \.alpha)
        flag("--centered", centered, [.rmsprop], \.centered)
        return given
    }

    /// Refuses an option the optimiser `rule` does not read.
    static func requireRead(_ settings: [Setting], by rule: OptimizerOption) throws {
        for setting in settings where !setting.readers.contains(rule) {
            let names = setting.readers.map(\.rawValue)
            let readers = names.count == 1 ? names[0]
                : names.dropLast().joined(separator: ", ") + " and " + names.last!
            throw ValidationError("\(setting.option) is an option of \(readers), not \(rule.rawValue)")
        }
    }

    /// The optimiser the options describe (`--optimizer`'s rule with
    /// PyTorch's defaults, and the options given).
    var chosenOptimizer: Optimizer {
        var optimizer = Optimizer(rule: (self.optimizer ?? .sgd).rule)
        for setting in givenSettings { setting.apply(&optimizer) }
        return optimizer
    }

    /// `--dropout`'s probabilities as given (`nil` when not given).
    func dropoutRates() throws -> [Double]? {
        try dropout.map { dropout in
            try dropout.split(separator: ",", omittingEmptySubsequences: false).map { part in
                let text = part.trimmingCharacters(in: .whitespaces)
                guard let rate = Double(text) else {
                    throw ValidationError("--dropout \(dropout): \"\(text)\" is not a number")
                }
                return rate
            }
        }
    }

    /// The regularisation the options describe, for a network of
    /// `hiddenLayers` hidden layers (`--dropout P` drops from every one).
    func regularization(hiddenLayers: Int) throws -> Regularization {
        var rates = try dropoutRates() ?? []
        if let dropout, !rates.isEmpty {
            if hiddenLayers == 0 {
                throw ValidationError("--dropout: the network has no hidden layer to drop from")
            }
            if rates.count == 1 {
                rates = Array(repeating: rates[0], count: hiddenLayers)
            } else if rates.count != hiddenLayers {
                throw ValidationError("--dropout \(dropout): \(rates.count) probabilities for \(hiddenLayers) hidden "
                                      + "layers; give one, or one per hidden layer")
            }
        }
        return Regularization(l2: l2 ?? 0, maximumGradientNorm: clipNorm, dropout: rates)
    }

    /// The learning-rate schedule `--schedule` names (constant when not given).
    func chosenSchedule() throws -> LearningRateSchedule {
        try schedule.map(Self.parseSchedule) ?? .constant
    }

    /// Early stopping as the options describe it (`nil` when off).
    var chosenEarlyStopping: EarlyStopping? {
        earlyStopping ? EarlyStopping(patience: patience ?? 10, minimumImprovement: minDelta ?? 0) : nil
    }

    /// Checks the options alone and together, and every value against the
    /// library's rules (its errors named by option).
    /// - Parameter hiddenLayers: the hidden layers of the network to be
    ///   trained (`nil` when resuming: the checkpoint's network decides).
    func validate(hiddenLayers: Int?) throws {
        if minimizer != nil {
            let conflicting = [(optimizer != nil || !givenSettings.isEmpty, "--optimizer and its settings"),
                               (schedule != nil, "--schedule"), (clipNorm != nil, "--clip-norm"),
                               (dropout != nil, "--dropout"), (earlyStopping, "--early-stopping")]
            for (given, option) in conflicting where given {
                throw ValidationError("--minimizer trains by full-batch minimisation; \(option) cannot be given with it")
            }
        } else if gradientTolerance != nil {
            throw ValidationError("--gradient-tolerance is a setting of --minimizer, which is not given")
        }
        if let gradientTolerance, !(gradientTolerance.isFinite && gradientTolerance > 0) {
            throw ValidationError("--gradient-tolerance must be a finite number > 0, got \(gradientTolerance)")
        }
        // Resuming without --optimizer, the checkpoint's optimiser is the one
        // its options must belong to (checked against it in RunSettings).
        if optimizer != nil || hiddenLayers != nil {
            try Self.requireRead(givenSettings, by: optimizer ?? .sgd)
        }
        if !earlyStopping {
            for (given, option) in [(patience != nil, "--patience"), (minDelta != nil, "--min-delta")] where given {
                throw ValidationError("\(option) is a setting of --early-stopping, which is not given")
            }
        }
        try Self.naming { try chosenOptimizer.validate(for: Double.self) }
        let schedule = try chosenSchedule()
        try Self.naming(schedule: self.schedule ?? "") { try schedule.validate() }
        try Self.naming { try chosenEarlyStopping?.validate() }
        if let hiddenLayers {
            let regularization = try regularization(hiddenLayers: hiddenLayers)
            try Self.naming { try regularization.validate(hiddenLayers: hiddenLayers) }
        } else {
            _ = try dropoutRates()
        }
    }

    /// Runs `body`, turning the library's ``BackpropError/invalidHyperparameter(name:value:expected:)``
    /// into a message that names the command-line option.
    static func naming(schedule: String = "", _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let BackpropError.invalidHyperparameter(name, value, expected) {
            throw ValidationError(message(parameter: name, value: value, expected: expected, schedule: schedule))
        }
    }

    /// A library hyperparameter's error, named by the option that sets it.
    static func message(parameter name: String, value: String, expected: String, schedule: String = "") -> String {
        let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
        let field = parts.count == 2 ? parts[1] : name
        switch parts.first {
        case "schedule":
            let placeholders = ["every": "K", "factor": schedule.hasPrefix("plateau") ? "FACTOR" : "GAMMA",
                                "period": "T", "minimum": "MIN", "warmUpEpochs": "WARMUP",
                                "warmUpStartFactor": "START", "patience": "PATIENCE", "threshold": "THRESHOLD",
                                "cooldown": "COOLDOWN"]
            return "--schedule \(schedule): \(placeholders[field] ?? field) must be \(expected), got \(value)"
        case "optimizer":
            let options = ["weightDecay": "--weight-decay"]
            return "\(options[field] ?? "--\(field)") must be \(expected), got \(value)"
        case "regularization":
            let option = field == "l2" ? "--l2" : field == "maximumGradientNorm" ? "--clip-norm"
                : field.hasPrefix("dropout") ? "--dropout" : "--l2, --clip-norm and --dropout"
            return "\(option) must be \(expected), got \(value)"
        case "earlyStopping":
            return "\(field == "patience" ? "--patience" : "--min-delta") must be \(expected), got \(value)"
        default:
            return "\(name) must be \(expected), got \(value)"
        }
    }

    /// `--schedule`'s text as a schedule: `constant`, `step:K:GAMMA`,
    /// `exponential:GAMMA`, `cosine:T[:MIN[:WARMUP[:START]]]`,
    /// `plateau[:FACTOR[:PATIENCE[:THRESHOLD[:COOLDOWN[:MIN]]]]]`.
    /// - Throws: `ValidationError` naming the option and the part that is wrong.
    static func parseSchedule(_ text: String) throws -> LearningRateSchedule {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        let forms = ["constant", "step:K:GAMMA", "exponential:GAMMA", "cosine:T[:MIN[:WARMUP[:START]]]",
                     "plateau[:FACTOR[:PATIENCE[:THRESHOLD[:COOLDOWN[:MIN]]]]]"]
        let name = parts[0].lowercased()
        guard let form = forms.first(where: { $0.prefix(while: { $0 != ":" && $0 != "[" }) == name }) else {
            throw ValidationError("--schedule \(text): unknown schedule \"\(parts[0])\"; expected one of "
                                  + forms.joined(separator: ", "))
        }
        let names = form.split(whereSeparator: { ":[]".contains($0) }).dropFirst().map(String.init)
        let required = form.split(separator: "[")[0].split(separator: ":").count - 1
        let values = Array(parts.dropFirst())
        guard values.count >= required && values.count <= names.count else {
            throw ValidationError("--schedule \(text): \(name) takes \(required == names.count ? "\(required)" : "\(required) to \(names.count)") "
                                  + "value\(names.count == 1 ? "" : "s"): \(form)")
        }
        func number(_ i: Int, default value: Double) throws -> Double {
            guard i < values.count else { return value }
            guard let x = Double(values[i]) else {
                throw ValidationError("--schedule \(text): \(names[i]) must be a number, got \"\(values[i])\"")
            }
            return x
        }
        func integer(_ i: Int, default value: Int) throws -> Int {
            guard i < values.count else { return value }
            guard let n = Int(values[i]) else {
                throw ValidationError("--schedule \(text): \(names[i]) must be a whole number, got \"\(values[i])\"")
            }
            return n
        }
        switch name {
        case "step":
            return .step(every: try integer(0, default: 0), factor: try number(1, default: 0))
        case "exponential":
            return .exponential(factor: try number(0, default: 0))
        case "cosine":
            return .cosine(period: try integer(0, default: 0), minimum: try number(1, default: 0),
                           warmUpEpochs: try integer(2, default: 0), warmUpStartFactor: try number(3, default: 1.0 / 3))
        case "plateau":
            return .reduceOnPlateau(factor: try number(0, default: 0.1), patience: try integer(1, default: 10),
                                    threshold: try number(2, default: 1e-4), cooldown: try integer(3, default: 0),
                                    minimum: try number(4, default: 0))
        default:
            return .constant
        }
    }
}
