// Under `swift test --sanitize=address` on Linux, LeakSanitizer checks the test process at exit and finds two
// objects (144 bytes) that XCTest's own runner allocates and never frees, which fails the run although no
// test leaked anything. The sanitizer runtime asks the program for default suppressions through this hook;
// only allocations made from libXCTest are suppressed, so a leak in our code still fails `make sanitize`.
// Foundation's `Process.run` leaves a 32-byte weak-reference side table behind for every process it starts
// (tests that hold ports in a child process start one); that one is Foundation's, and is suppressed by name.
// All test targets link into one test program, so this hook serves them all.

private let suppressions: StaticString = "leak:libXCTest.so\nleak:10Foundation7ProcessC3run\n"

@_cdecl("__lsan_default_suppressions")
public func leakSanitizerDefaultSuppressions() -> UnsafePointer<CChar> {
    UnsafeRawPointer(suppressions.utf8Start).assumingMemoryBound(to: CChar.self)
}
