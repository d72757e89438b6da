#if canImport(Glibc)
import Glibc
#endif

/// Flushes C's stdout buffer (print goes through it; through a pipe it is fully buffered).
func fflushStandardOutput() {
    fflush(nil)
}
