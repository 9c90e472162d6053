// swift-tools-version:6.0
import PackageDescription

// oneDNN 3.2 is fetched into .deps/onednn by scripts/setup.sh (the README's first command and .ci/run run it).
let oneDNN = Context.packageDirectory + "/.deps/onednn"

// One direction of imports (see docs/architecture.md):
//   CGessoKernels (C: oneDNN wrapper + elementwise and pooling kernels)  <-  GessoKernels (Swift, buffers in/out, naive twins)
//   <-  TensorCore (Tensor, tape autodiff, ops, nn namespace)  <-  GessoCLI (`gesso`, the only place that prints)
let package = Package(
    name: "Gesso",
    products: [
        .library(name: "Gesso", targets: ["TensorCore", "GessoNN", "GessoOptim", "GessoImages", "GessoData", "GessoModels", "GessoRL"]),
        .executable(name: "gesso", targets: ["GessoCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "CGessoKernels",
            // OpenMP through GNU libgomp, the runtime oneDNN's build uses: one thread team for everything.
            cSettings: [.unsafeFlags(["-I" + oneDNN + "/include", "-fopenmp=libgomp"])],
            linkerSettings: [
                // By file, not -ldnnl: a system oneDNN 2.x (Debian's libdnnl-dev) must not be picked up instead.
                .unsafeFlags(["-Xlinker", oneDNN + "/lib/libdnnl.so.3", "-Xlinker", "-rpath", "-Xlinker", oneDNN + "/lib"]),
                .linkedLibrary("m"), .linkedLibrary("gomp"),
            ]
        ),
        .target(name: "GessoKernels", dependencies: ["CGessoKernels"]),
        .target(name: "TensorCore", dependencies: ["GessoKernels"]),
        // Layers, initialisers, checkpoints <- optimizers <- models and trainers.
        .target(name: "GessoNN", dependencies: ["TensorCore"]),
        .target(name: "GessoOptim", dependencies: ["GessoNN"]),
        .target(name: "GessoModels", dependencies: ["GessoNN", "GessoOptim", "GessoImages"]),
        // The lecture's DQN: a pixel game, replay, the agent; above the models (it trains LectureNetwork).
        .target(name: "GessoRL", dependencies: ["TensorCore", "GessoNN", "GessoOptim", "GessoModels"]),
        // Image files and data sets sit beside the core: they import nothing above TensorCore.
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG", providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "GessoImages", dependencies: ["TensorCore", "CPNG", "CTurboJPEG"]),
        .target(name: "GessoData", dependencies: ["TensorCore", "GessoImages", "CZlib"],
                resources: [.copy("Resources")]),
        .executableTarget(
            name: "GessoCLI",
            dependencies: ["TensorCore", "GessoNN", "GessoOptim", "GessoModels", "GessoRL", "GessoImages", "GessoData",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "GessoKernelsTests", dependencies: ["GessoKernels"]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore"], exclude: ["Fixtures"]),
        .testTarget(name: "GessoNNTests", dependencies: ["GessoNN", "GessoOptim"], exclude: ["Fixtures"]),
        .testTarget(name: "GessoImagesTests", dependencies: ["GessoImages"], exclude: ["Fixtures"]),
        .testTarget(name: "GessoDataTests", dependencies: ["GessoData"]),
        .testTarget(name: "GessoRLTests", dependencies: ["GessoRL"]),
        .testTarget(name: "GessoModelsTests", dependencies: ["GessoModels", "GessoData"], exclude: ["Fixtures"]),
        // Runs the built `gesso` binary; depends on the executable so that it is built first.
        .testTarget(name: "GessoCLITests", dependencies: ["GessoCLI", "GessoImages"]),
    ],
    swiftLanguageModes: [.v5]
)
