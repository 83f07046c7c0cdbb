import Crypto
import Foundation
import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging

/// The detached JWS (RFC 7515, HS256, payload left out: `header..signature`) with which
/// `kube-public/cluster-info` is signed for each bootstrap token, keyed by the token secret.
/// A node that holds the token recomputes it to know the CA it was handed is the cluster's.
public enum DetachedJWS {
    static func base64URL(_ bytes: some Sequence<UInt8>) -> String { Base64URL.encode(bytes) }

    public static func sign(_ content: String, token: BootstrapToken) -> String {
        let header = base64URL(Array(#"{"alg":"HS256","kid":"\#(token.id)"}"#.utf8))
        let input = header + "." + base64URL(Array(content.utf8))
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array(input.utf8),
            using: SymmetricKey(data: Array(token.secret.utf8))
        )
        return header + ".." + base64URL(mac)
    }

    /// Whether `signature` is this token's signature of `content` (compared in constant time).
    public static func verify(_ content: String, signature: String, token: BootstrapToken) -> Bool {
        let want = Array(sign(content, token: token).utf8), got = Array(signature.utf8)
        guard want.count == got.count else { return false }
        return zip(want, got).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// Keeps `kube-public/cluster-info` signed with every valid signing bootstrap token
/// (`jws-kubeconfig-<id>` keys, as Kubernetes' bootstrap signer), and deletes bootstrap
/// token Secrets once they expire (its token cleaner).
public actor BootstrapSigner: Controller {
    public static let clusterInfo = (namespace: "kube-public", name: "cluster-info")
    static let signaturePrefix = "jws-kubeconfig-"

    let client: KubeClient
    let secrets: Informer<JSON>
    let configMaps: Informer<JSON>
    public nonisolated let logger: Logger
    /// One key: the signatures and the token clean-up look at every bootstrap token at once.
    public nonisolated let queue = WorkQueue(name: "bootstrap_signer")
    static let key = "cluster-info"

    public init(client: KubeClient, secrets: Informer<JSON>, configMaps: Informer<JSON>, logger: Logger) {
        self.client = client
        self.secrets = secrets
        self.configMaps = configMaps
        self.logger = logger
    }

    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await c in await self.secrets.changes() where c.key.hasPrefix(BootstrapToken.namespace + "/") {
                    await self.queue.add(Self.key)
                }
            }
            group.addTask {
                for await c in await self.configMaps.changes()
                where c.key == "\(Self.clusterInfo.namespace)/\(Self.clusterInfo.name)" {
                    await self.queue.add(Self.key)
                }
            }
            group.addTask {
                await self.secrets.waitForSync()
                await self.configMaps.waitForSync()
                await self.queue.add(Self.key)
                await self.runWorkers()
            }
        }
    }

    public func reconcile(_ key: String) async throws {
        let now = Date()
        try await reconcile(now: now)
        // A token that expires later stops signing then: look again at that moment.
        let expirations = await secrets.list(namespace: BootstrapToken.namespace).compactMap(Self.expiration)
        if let next = expirations.filter({ $0 > now }).min() {
            await queue.add(key, after: .milliseconds(Int64(next.timeIntervalSince(now) * 1000) + 10))
        }
    }

    /// The signature keys `cluster-info` should hold for these Secrets.
    public static func signatures(kubeconfig: String, secrets: [JSON], now: Date) -> [String: String] {
        var out: [String: String] = [:]
        for s in secrets {
            if let t = BootstrapToken.from(secret: s, usage: "signing", now: now) {
                out[signaturePrefix + t.id] = DetachedJWS.sign(kubeconfig, token: t)
            }
        }
        return out
    }

    func reconcile(now: Date) async throws {
        let bootstrap = await secrets.list(namespace: BootstrapToken.namespace).filter {
            $0["type"]?.string == BootstrapToken.secretType
        }
        for s in bootstrap where Self.expired(s, now: now) {
            logger.info("deleting expired bootstrap token \(s.name)")
            _ = try? await client.delete(Resources.secrets, namespace: BootstrapToken.namespace, name: s.name)
        }
        guard var info = await configMaps.get("\(Self.clusterInfo.namespace)/\(Self.clusterInfo.name)"),
            let kubeconfig = info[path: ["data", "kubeconfig"]]?.string
        else { return }
        let want = Self.signatures(kubeconfig: kubeconfig, secrets: bootstrap, now: now)
        var have: [String: String] = [:]
        for (k, v) in info["data"]?.object ?? JSONObject() where k.hasPrefix(Self.signaturePrefix) {
            have[k] = v.string
        }
        guard want != have else { return }
        var data = JSONObject()
        for (k, v) in info["data"]?.object ?? JSONObject() where !k.hasPrefix(Self.signaturePrefix) { data[k] = v }
        for k in want.keys.sorted() { data[k] = .string(want[k]!) }
        info["data"] = .object(data)
        _ = try await client.update(Resources.configmaps, namespace: Self.clusterInfo.namespace, info)
    }

    static func expiration(_ secret: JSON) -> Date? {
        guard secret["type"]?.string == BootstrapToken.secretType, let e = BootstrapToken.values(secret)["expiration"],
            let t = Timestamp(rfc3339: e)
        else { return nil }
        return Date(timeIntervalSince1970: Double(t.micros) / 1e6)
    }

    static func expired(_ secret: JSON, now: Date) -> Bool {
        guard let e = expiration(secret) else { return false }
        return e <= now
    }
}
