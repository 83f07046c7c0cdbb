import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging

/// Keeps in every active namespace what its pods' credentials need, as
/// kube-controller-manager's serviceaccount and root-ca-cert-publisher controllers do: the
/// `default` ServiceAccount, and the `kube-root-ca.crt` ConfigMap with the cluster's CA,
/// which every pod's projected token volume reads `ca.crt` from.
public actor ServiceAccountsController: Controller {
    public static let defaultAccount = "default"
    public static let rootCAConfigMap = "kube-root-ca.crt"
    static let rootCAKey = "ca.crt"
    static let descriptionAnnotation = "kubernetes.io/description"

    let client: KubeClient
    let namespaces: Informer<JSON>
    let serviceAccounts: Informer<JSON>
    let configMaps: Informer<JSON>
    let rootCA: String?
    public nonisolated let logger: Logger
    /// Keys are namespace names.
    public nonisolated let queue = WorkQueue(name: "serviceaccount")

    public init(
        client: KubeClient,
        namespaces: Informer<JSON>,
        serviceAccounts: Informer<JSON>,
        configMaps: Informer<JSON>,
        rootCA: String?,
        logger: Logger
    ) {
        self.client = client
        self.namespaces = namespaces
        self.serviceAccounts = serviceAccounts
        self.configMaps = configMaps
        self.rootCA = rootCA
        self.logger = logger
    }

    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await c in await self.namespaces.changes() { await self.queue.add(c.key) }
            }
            group.addTask {
                for await c in await self.serviceAccounts.changes()
                where c.key.hasSuffix("/" + Self.defaultAccount) {
                    await self.queue.add(String(c.key.prefix { $0 != "/" }))
                }
            }
            group.addTask {
                for await c in await self.configMaps.changes() where c.key.hasSuffix("/" + Self.rootCAConfigMap) {
                    await self.queue.add(String(c.key.prefix { $0 != "/" }))
                }
            }
            group.addTask {
                await self.namespaces.waitForSync()
                await self.serviceAccounts.waitForSync()
                await self.configMaps.waitForSync()
                for key in await self.namespaces.keys() { await self.queue.add(key) }
                await self.runWorkers(2)
            }
        }
    }

    /// The ConfigMap a namespace should hold for the CA bundle.
    static func rootCAObject(namespace: String, ca: String) -> JSON {
        [
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": [
                "name": .string(rootCAConfigMap), "namespace": .string(namespace),
                "annotations": [
                    Self.descriptionAnnotation:
                        "The cluster CA bundle, to verify the API server at its in-cluster addresses (kubernetes.default.svc, the kubernetes Service IP)."
                ],
            ],
            "data": [Self.rootCAKey: .string(ca)],
        ]
    }

    public func reconcile(_ namespace: String) async throws {
        guard let ns = await namespaces.get(namespace), ns.deletionTimestamp == nil,
            ns[path: ["status", "phase"]]?.string != "Terminating"
        else { return }
        if await serviceAccounts.get("\(namespace)/\(Self.defaultAccount)") == nil {
            let sa: JSON = [
                "apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": ["name": .string(Self.defaultAccount), "namespace": .string(namespace)],
            ]
            do { _ = try await client.create(Resources.serviceaccounts, namespace: namespace, sa) } catch let e
                as APIError where e.code == 409
            {}
        }
        guard let ca = rootCA else { return }
        let want = Self.rootCAObject(namespace: namespace, ca: ca)
        if var have = await configMaps.get("\(namespace)/\(Self.rootCAConfigMap)") {
            guard have[path: ["data", Self.rootCAKey]]?.string != ca else { return }
            have["data"] = want["data"]
            _ = try await client.update(Resources.configmaps, namespace: namespace, have)
        } else {
            do { _ = try await client.create(Resources.configmaps, namespace: namespace, want) } catch let e
                as APIError where e.code == 409
            {}
        }
    }
}
