// swift-tools-version:6.1
//
// Backprop: neural networks trained by backpropagation, Swift on top of
// hand-written C kernels. No unsafeFlags anywhere, so the package can be
// used as a dependency.
import PackageDescription

let package = Package(
    name: "Backprop",
    products: [
        .library(name: "Backprop", targets: ["Backprop"]),
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
        // The hot loops, in C. Public headers in CKernels/include.
        .target(
            name: "CKernels",
            dependencies: ["CGSL"],
            path: "CKernels"
        ),
        // The safe Swift API.
        .target(
            name: "Backprop",
            dependencies: ["CKernels"],
            path: "Sources/Backprop"
        ),
        .testTarget(
            name: "BackpropTests",
            dependencies: ["Backprop", "CKernels"],
            path: "Tests/BackpropTests"
        ),
    ],
    cLanguageStandard: .c11
)
