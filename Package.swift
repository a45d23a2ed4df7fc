// swift-tools-version:6.1
//
// Backprop: neural networks trained by backpropagation, Swift on top of
// hand-written C kernels. No unsafe compiler flags anywhere, so the package can be
// used as a dependency.
import PackageDescription

let package = Package(
    name: "Backprop",
    products: [
        .library(name: "Backprop", targets: ["Backprop"]),
        .executable(name: "backprop", targets: ["BackpropCLI"]),
    ],
    dependencies: [
        // The command line of the `backprop` executable.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
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
        // The safe Swift API.
        .target(
            name: "Backprop",
            dependencies: ["CKernels"],
            path: "Sources/Backprop"
        ),
        // The `backprop` command: train, evaluate, predict, gradcheck, demo.
        .executableTarget(
            name: "BackpropCLI",
            dependencies: ["Backprop", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/BackpropCLI"
        ),
        .testTarget(
            name: "BackpropTests",
            dependencies: ["Backprop", "CKernels"],
            path: "Tests/BackpropTests"
        ),
        // Runs the built `backprop` executable end to end (the dependency
        // makes `swift test` build it first).
        .testTarget(
            name: "BackpropCLITests",
            dependencies: ["Backprop", "BackpropCLI"],
            path: "Tests/BackpropCLITests"
        ),
    ],
    cLanguageStandard: .c11
)
