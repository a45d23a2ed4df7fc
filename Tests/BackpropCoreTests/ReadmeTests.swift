import Foundation
import BackpropTestSupport
import Testing

/// The README's Swift example is the consumer package's main.swift, which
/// `make test` compiles and runs; this keeps the two identical.
@Test func readmeShowsTheConsumerExampleVerbatim() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
    let example = try String(contentsOf: root.appendingPathComponent("Examples/Consumer/Sources/Consumer/main.swift"),
                             encoding: .utf8)
    #expect(readme.contains("```swift\n" + example + "```"))
}
