import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging

/// Fills the rules of every ClusterRole with an `aggregationRule` with the rules of the
/// ClusterRoles its selectors match (how `admin`, `edit` and `view` grow when a role
/// labelled `rbac.authorization.k8s.io/aggregate-to-view` appears), as upstream's
/// clusterrole-aggregation controller does.
public actor ClusterRoleAggregationController: Controller {
    let client: KubeClient
    let clusterRoles: Informer<JSON>
    public nonisolated let logger: Logger
    public nonisolated let queue = WorkQueue(name: "clusterrole_aggregation")

    public init(client: KubeClient, clusterRoles: Informer<JSON>, logger: Logger) {
        self.client = client
        self.clusterRoles = clusterRoles
        self.logger = logger
    }

    func enqueueAggregated() async {
        for role in await clusterRoles.list() where role["aggregationRule"] != nil {
            await queue.add(role.name)
        }
    }

    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask {
                // Any role may be selected by any aggregation: look at all of them.
                for await _ in await self.clusterRoles.changes() { await self.enqueueAggregated() }
            }
            group.addTask {
                await self.clusterRoles.waitForSync()
                await self.enqueueAggregated()
                await self.runWorkers()
            }
        }
    }

    public func reconcile(_ name: String) async throws {
        guard var role = await clusterRoles.get(name) else { return }
        let policy = RBACPolicy(
            roles: [],
            clusterRoles: await clusterRoles.list(),
            roleBindings: [],
            clusterRoleBindings: []
        )
        guard let rules = policy.aggregated(role) else { return }
        guard role["rules"]?.array ?? [] != rules else { return }
        role["rules"] = .array(rules)
        _ = try await client.update(Resources.clusterroles, namespace: nil, role)
    }
}
