// swift-tools-version:6.0
// Vigil: watches HTTP APIs and tells a team when they break and when they recover.
// Four executables that talk only through the spool, one shared library, no package dependencies.
import PackageDescription

let package = Package(
    name: "Vigil",
    products: [
        .executable(name: "orchestrator", targets: ["orchestrator"]),
        .executable(name: "prober", targets: ["prober"]),
        .executable(name: "analyzer", targets: ["analyzer"]),
        .executable(name: "notifier", targets: ["notifier"]),
        .library(name: "Shared", targets: ["Shared"]),
    ],
    targets: [
        // libcurl's API, declared in the project and loaded at run time: building needs no -dev package.
        .target(name: "CCurl", path: "Sources/CCurl", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "Shared", dependencies: ["CCurl"], path: "Sources/Shared"),
        // The loopback HTTP server of the demo, the mock API and the tests: never linked into prober, analyzer or notifier.
        .target(name: "Loopback", dependencies: ["Shared"], path: "Sources/Loopback"),
        .executableTarget(name: "orchestrator", dependencies: ["Shared", "Loopback"], path: "Sources/orchestrator"),
        .executableTarget(name: "prober", dependencies: ["Shared"], path: "Sources/prober"),
        .executableTarget(name: "analyzer", dependencies: ["Shared"], path: "Sources/analyzer"),
        .executableTarget(name: "notifier", dependencies: ["Shared"], path: "Sources/notifier"),
        .target(name: "TestSupport", dependencies: ["Shared", "Loopback"], path: "Tests/TestSupport"),
        .testTarget(name: "SharedTests", dependencies: ["Shared", "TestSupport"], path: "Tests/SharedTests"),
        .testTarget(
            name: "ProberTests",
            dependencies: ["Shared", "TestSupport", "prober"],
            path: "Tests/ProberTests"
        ),
        .testTarget(
            name: "AnalyzerTests",
            dependencies: ["Shared", "TestSupport", "analyzer"],
            path: "Tests/AnalyzerTests",
            exclude: ["Golden"]
        ),
        .testTarget(
            name: "NotifierTests",
            dependencies: ["Shared", "TestSupport", "Loopback", "notifier"],
            path: "Tests/NotifierTests"
        ),
        .testTarget(
            name: "OrchestratorTests",
            dependencies: ["Shared", "TestSupport", "orchestrator", "prober", "analyzer", "notifier"],
            path: "Tests/OrchestratorTests"
        ),
        .testTarget(
            name: "ProofTests",
            dependencies: ["Shared", "TestSupport", "orchestrator", "prober", "analyzer", "notifier"],
            path: "Tests/ProofTests"
        ),
    ]
)
