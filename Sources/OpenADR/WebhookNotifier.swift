import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization
import VPPStore

/// Subscription callbacks (OpenADR `subscription.objectOperations[].callbackUrl`): a
/// `notification` POSTed to every matching subscription when an event is created, updated or
/// deleted. Delivery runs in its own tasks: the caller (an API request, a dispatch run) never
/// waits for a callback. Each delivery makes at most `attempts` tries, each cut off after
/// `timeoutS`, with `backoffS`·2^k between tries; a dead callback costs at most
/// attempts × timeoutS + backoff in a background task and nothing else.
public final class WebhookNotifier: Sendable {
    public struct Settings: Sendable {
        /// Tries per delivery.
        public var attempts = 3
        /// Time one try may take [s].
        public var timeoutS: Double = 2
        /// Wait before the second try [s]; doubled for each further try.
        public var backoffS: Double = 0.25
        public init() {}
    }

    /// The outcome of one delivery (tests and the CLI's summary).
    public struct Delivery: Sendable, Equatable {
        public var subscriptionID: String
        public var url: String
        public var tries: Int
        public var ok: Bool
        public var status: Int?
    }

    public let settings: Settings
    /// Deliveries started and not finished.
    private let outstanding = Mutex(0)
    private let done = Mutex<[Delivery]>([])

    public init(settings: Settings = Settings()) { self.settings = settings }

    /// Finds the subscriptions `record` matches and starts a delivery to each. Returns at once.
    public func notify(store: any OpenADRStore, kind: OpenADRKind, operation: ObjectOperation.Operation, record: OpenADRObjectRecord) async {
        guard let objectType = ObjectType(rawValue: kind.rawValue),
              let subs = try? await store.openADRObjects(OpenADRQuery(kind: .subscription, limit: 10_000)) else { return }
        for s in subs {
            guard let sub = try? JSONDecoder().decode(Subscription.self, from: s.body) else { continue }
            if let pid = sub.programID, pid != record.programID { continue }
            // A VEN's subscription hears only about objects targeted to its targets.
            if s.venID != nil {
                let venTargets = Set(sub.targets ?? [])
                let ownTargets = try? await ownTargetsOf(venID: s.venID, store: store)
                if Set(record.targets).isDisjoint(with: venTargets.union(ownTargets ?? [])) { continue }
            }
            for op in sub.objectOperations where op.objects.contains(objectType) && op.operations.contains(operation) {
                guard let body = Self.notificationBody(objectType: objectType, operation: operation, object: record.body, targets: record.targets) else { continue }
                start(subscriptionID: s.id, url: op.callbackUrl, bearer: op.bearerToken, body: body)
            }
        }
    }

    private func ownTargetsOf(venID: String?, store: any OpenADRStore) async throws -> Set<String> {
        guard let venID else { return [] }
        var out: Set<String> = []
        if let v = try await store.openADRObject(kind: .ven, id: venID), let ven = try? JSONDecoder().decode(Ven.self, from: v.body) {
            out.insert(ven.venName)
        }
        for r in try await store.openADRObjects(OpenADRQuery(kind: .resource, venID: venID, limit: 1000)) { out.formUnion(r.targets) }
        return out
    }

    /// The `notification` JSON around an object's stored JSON.
    static func notificationBody(objectType: ObjectType, operation: ObjectOperation.Operation, object: Data, targets: [String]) -> Data? {
        guard let obj = try? JSONSerialization.jsonObject(with: object) else { return nil }
        var n: [String: Any] = ["objectType": objectType.rawValue, "operation": operation.rawValue, "object": obj]
        if !targets.isEmpty { n["targets"] = targets }
        return try? JSONSerialization.data(withJSONObject: n, options: [.sortedKeys])
    }

    private func start(subscriptionID: String, url: String, bearer: String?, body: Data) {
        outstanding.withLock { $0 += 1 }
        let settings = self.settings
        Task.detached { [self] in
            let d = await Self.deliver(subscriptionID: subscriptionID, url: url, bearer: bearer, body: body, settings: settings)
            self.done.withLock { $0.append(d) }
            self.outstanding.withLock { $0 -= 1 }
        }
    }

    /// Deliveries started and not finished, and finished (tests, the CLI's summary).
    public var inFlight: Int { outstanding.withLock { $0 } }
    public var finishedCount: Int { done.withLock { $0.count } }

    /// Waits up to `timeoutS` for deliveries in flight (the CLI before it exits); returns the
    /// deliveries finished so far.
    public func drain(timeoutS: Double) async -> [Delivery] {
        let deadline = Date().addingTimeInterval(timeoutS)
        while Date() < deadline, outstanding.withLock({ $0 }) > 0 {
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        return done.withLock { $0 }
    }

    static func deliver(subscriptionID: String, url: String, bearer: String?, body: Data, settings: Settings) async -> Delivery {
        var d = Delivery(subscriptionID: subscriptionID, url: url, tries: 0, ok: false, status: nil)
        guard let u = URL(string: url) else { return d }
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = settings.timeoutS
        config.timeoutIntervalForResource = settings.timeoutS
        let session = URLSession(configuration: config)
        defer { session.finishTasksAndInvalidate() }
        for k in 0..<max(1, settings.attempts) {
            if k > 0 { try? await Task.sleep(nanoseconds: UInt64(settings.backoffS * pow(2, Double(k - 1)) * 1e9)) }
            d.tries += 1
            var req = URLRequest(url: u, timeoutInterval: settings.timeoutS)
            req.httpMethod = "POST"
            req.httpBody = body
            req.setValue("application/json", forHTTPHeaderField: "Content-Type")
            if let bearer { req.setValue("Bearer \(bearer)", forHTTPHeaderField: "Authorization") }
            if let r = try? await session.data(for: req), let h = r.1 as? HTTPURLResponse {
                d.status = h.statusCode
                if (200..<300).contains(h.statusCode) { d.ok = true; return d }
                if (400..<500).contains(h.statusCode) && h.statusCode != 429 { return d }   // the callback refuses it: no retry
            }
        }
        return d
    }
}
