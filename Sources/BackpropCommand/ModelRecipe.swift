import ArgumentParser
import Backprop
import Foundation

/// `--task`.
enum TaskOption: String, ExpressibleByArgument, CaseIterable {
    case classification, regression
    var task: LearningTask { self == .classification ? .classification : .regression }
}

/// `--loss`.
enum LossOption: String, ExpressibleByArgument, CaseIterable {
    case auto, mse, bce, ce
}

/// `--activation` (of the hidden layers).
enum ActivationOption: String, ExpressibleByArgument, CaseIterable {
    case relu, tanh, sigmoid
    case leakyRelu = "leaky-relu"
    case identity

    var activation: Activation {
        switch self {
        case .relu: return .relu
        case .tanh: return .tanh
        case .sigmoid: return .sigmoid
        case .leakyRelu: return .leakyReLU(slope: 0.01)
        case .identity: return .identity
        }
    }
}

/// How the command turns options into a network.
enum ModelRecipe {
    /// `"64,32"` → `[64, 32]`; `""` or `"none"` → no hidden layer.
    static func hiddenLayers(_ text: String) throws -> [Int] {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed == "none" { return [] }
        return try trimmed.split(separator: ",", omittingEmptySubsequences: false).map { part in
            let s = part.trimmingCharacters(in: .whitespaces)
            guard let units = Int(s), units >= 1, units <= 100_000 else {
                throw ValidationError("--layers: \(quotedArgument(s)) is not a layer width; expected positive integers separated by commas, like 64,32")
            }
            return units
        }
    }

    /// The output layer and loss for a task: with `auto`, binary
    /// cross-entropy on one sigmoid unit for two classes, categorical
    /// cross-entropy on a softmax for more, mean squared error on one
    /// linear unit for regression.
    static func output(task: LearningTask, classes: Int, loss: LossOption) throws -> (LayerSpecification, Loss) {
        switch (task, loss) {
        case (.regression, .auto), (.regression, .mse):
            return (.dense(1, .identity), .meanSquaredError)
        case (.regression, _):
            throw ValidationError("--loss \(loss.rawValue) is for classification; regression uses mse")
        case (.classification, .auto):
            return classes == 2 ? (.dense(1, .sigmoid), .binaryCrossEntropy)
                                : (.dense(classes, .softmax), .categoricalCrossEntropy)
        case (.classification, .bce):
            return (.dense(classes == 2 ? 1 : classes, .sigmoid), .binaryCrossEntropy)
        case (.classification, .ce):
            return (.dense(classes, .softmax), .categoricalCrossEntropy)
        case (.classification, .mse):
            return classes == 2 ? (.dense(1, .sigmoid), .meanSquaredError) : (.dense(classes, .softmax), .meanSquaredError)
        }
    }
}

func quotedArgument(_ s: String) -> String { "\"" + s + "\"" }
