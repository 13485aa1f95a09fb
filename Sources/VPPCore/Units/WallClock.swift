import Foundation

/// Source of "now", injected so tests never depend on the wall clock.
public protocol WallClock: Sendable {
    /// Current time [UTC epoch s].
    func now() -> Int64
}

public struct SystemWallClock: WallClock {
    public init() {}
    public func now() -> Int64 { Int64(Date().timeIntervalSince1970) }
}

/// A clock that always says the same time (tests).
public struct FixedWallClock: WallClock {
    public var epoch: Int64
    public init(_ epoch: Int64) { self.epoch = epoch }
    public init(_ kst: KSTDateTime) { self.epoch = kst.epochSeconds }
    public func now() -> Int64 { epoch }
}
