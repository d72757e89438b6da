// Under `swift test --sanitize=address` on Linux, LeakSanitizer checks the test process at exit and finds two
// objects (144 bytes) that XCTest's own runner allocates and never frees, which fails the run although no
// test leaked anything. The sanitizer runtime asks the program for default suppressions through this hook;
// only allocations made from libXCTest are suppressed, so a leak in our code still fails `make sanitize`.

private let suppressions: StaticString = "leak:libXCTest.so\n"

@_cdecl("__lsan_default_suppressions")
public func leakSanitizerDefaultSuppressions() -> UnsafePointer<CChar> {
    UnsafeRawPointer(suppressions.utf8Start).assumingMemoryBound(to: CChar.self)
}
