/// Error categories shared by every module, mapped by the CLI to sysexits-style exit codes.
public enum ErrorCategory: Int32, Sendable {
    /// Wrong command-line usage (EX_USAGE).
    case usage = 64
    /// Bad input data: a config, an upload, a file (EX_DATAERR).
    case badData = 65
    /// An input file that cannot be opened (EX_NOINPUT).
    case noInput = 66
    /// A service vpp needs is unavailable, e.g. a remote API (EX_UNAVAILABLE).
    case unavailable = 69
    /// A bug or an invariant vpp could not keep (EX_SOFTWARE).
    case `internal` = 70
    /// Temporary failure, try again (EX_TEMPFAIL), e.g. another dispatch run holds the lock or
    /// another ingest holds the database's write lock past the busy timeout.
    case temporary = 75
}

/// An error that knows which exit code it deserves. Library errors conform; the CLI prints
/// `description` on one line and exits with `category.rawValue`.
public protocol CategorizedError: Error, CustomStringConvertible, Sendable {
    var category: ErrorCategory { get }
}

/// A general failure with a category and a message, for cases that need no type of their own.
public struct VPPError: CategorizedError, Equatable {
    public var category: ErrorCategory
    public var message: String
    public init(_ category: ErrorCategory, _ message: String) { self.category = category; self.message = message }
    public var description: String { message }
}
