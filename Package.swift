// swift-tools-version:6.1
//
// Backprop: neural networks trained by backpropagation, Swift on top of
// hand-written C kernels. No unsafe compiler flags anywhere, so the package can be
// used as a dependency.
//
// The modules, each a folder under Sources/, from the bottom up:
//
//   CKernels         C    the hot loops (CKernels/README.md)
//   BackpropCore     the network: matrices, layers, losses, training,
//                    gradients, gradient checking, data sets in memory.
//                    Depends on the C kernels (and through them GSL) only.
//   BackpropTabular  tabular data and model files: CSV tables, labels,
//                    standardisation, versioned model files, atomic writes.
//   BackpropPlots    SVG plots: training loss, decision boundaries.
//   Backprop         one import for all three (re-exports them).
//   BackpropCommand  the `backprop` command line tool.
//
// An application that only trains networks depends on the `BackpropCore`
// product; one that reads CSV files, saves models or draws plots depends on
// `Backprop`.
import PackageDescription

let package = Package(
    name: "Backprop",
    products: [
        // Everything, with one `import Backprop`.
        .library(name: "Backprop", targets: ["Backprop"]),
        // The network alone: no CSV reader, no model files, no plots.
        .library(name: "BackpropCore", targets: ["BackpropCore"]),
        // The command line tool.
        .executable(name: "backprop", targets: ["BackpropCommand"]),
    ],
    dependencies: [
        // The command line of the `backprop` executable (BackpropCommand only).
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // MARK: - C

        // GNU GSL, found through pkg-config (`gsl`); Debian/Ubuntu: libgsl-dev,
        // Homebrew: gsl. It supplies random initialization and vector ops.
        .systemLibrary(
            name: "CGSL",
            path: "Sources/CGSL",
            pkgConfig: "gsl",
            providers: [.apt(["libgsl-dev"]), .brew(["gsl"])]
        ),
        // The hot loops, in C: public headers in CKernels/include, the
        // engines in folders by role (CKernels/README.md). Internal headers
        // are included by their path from CKernels/ ("gemm/gemm_internal.h").
        .target(
            name: "CKernels",
            dependencies: ["CGSL"],
            path: "CKernels",
            exclude: ["README.md"],
            cSettings: [.headerSearchPath(".")]
        ),

        // MARK: - Swift modules

        // The network: Matrix, layers, Network, training, gradients and
        // their check, data sets in memory. Nothing but the C kernels.
        .target(
            name: "BackpropCore",
            dependencies: ["CKernels"],
            path: "Sources/BackpropCore"
        ),
        // Tables and files: CSV reading, class labels, standardisation,
        // TabularModel and its versioned model files, atomic file writes.
        .target(
            name: "BackpropTabular",
            dependencies: ["BackpropCore"],
            path: "Sources/BackpropTabular"
        ),
        // SVG plots of a training run's loss and of a model's decision
        // boundary.
        .target(
            name: "BackpropPlots",
            dependencies: ["BackpropCore", "BackpropTabular"],
            path: "Sources/BackpropPlots"
        ),
        // The umbrella: `import Backprop` gives all three modules above.
        .target(
            name: "Backprop",
            dependencies: ["BackpropCore", "BackpropTabular", "BackpropPlots"],
            path: "Sources/Backprop"
        ),

        // MARK: - Command line tool

        // `backprop`: train, evaluate, predict, gradcheck, demo.
        .executableTarget(
            name: "BackpropCommand",
            dependencies: ["Backprop", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/BackpropCommand"
        ),

        // MARK: - Tests

        // What the test targets share: a generator for test data that does
        // not depend on the library's own, tolerances, temporary folders.
        .target(
            name: "BackpropTestSupport",
            dependencies: ["BackpropCore"],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "BackpropCoreTests",
            dependencies: ["BackpropCore", "BackpropTestSupport", "CKernels"],
            path: "Tests/BackpropCoreTests"
        ),
        .testTarget(
            name: "BackpropTabularTests",
            dependencies: ["BackpropTabular", "BackpropTestSupport"],
            path: "Tests/BackpropTabularTests"
        ),
        .testTarget(
            name: "BackpropPlotsTests",
            dependencies: ["BackpropPlots", "BackpropTestSupport"],
            path: "Tests/BackpropPlotsTests"
        ),
        // Runs the built `backprop` executable end to end (the dependency
        // makes `swift test` build it first).
        .testTarget(
            name: "BackpropCommandTests",
            dependencies: ["Backprop", "BackpropCommand", "BackpropTestSupport"],
            path: "Tests/BackpropCommandTests"
        ),
    ],
    cLanguageStandard: .c11
)

// Documentation (`make docs`): DocC catalogues in each module's folder
// (Sources/*/NAME.docc), articles with runnable snippets from Snippets/.
// The DocC plugin is a dependency only when BACKPROP_DOCS is set, which
// `make docs` does (building in its own scratch folder, .build-docs): an
// application that depends on Backprop never fetches or builds it. The
// plugin, rather than the toolchain's `docc` on hand-made symbol graphs,
// because it also extracts the snippets that the articles show.
if Context.environment["BACKPROP_DOCS"] != nil {
    package.dependencies.append(.package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"))
}
