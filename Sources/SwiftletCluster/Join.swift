import APIServer
import Controllers
import Foundation
import HostCommands
import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import NodeAgent

/// What a node that joins needs to know about the cluster, published by `swiftlet up` in
/// `kube-system/swiftlet-cluster`: its name (part of every namespace and link name), its
/// ranges and its DNS domain.
package enum ClusterInfo {
    package static let namespace = "kube-system", name = "swiftlet-cluster"

    package static func configMap(_ r: ClusterRecord) -> JSON {
        let net = r.network
        return [
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "data": [
                "name": .string(r.name), "nodeCIDR": .string(r.nodeCIDR), "podCIDR": .string(r.podCIDR),
                "serviceCIDR": .string(r.serviceCIDR), "loadBalancerPool": .string(net.loadBalancerPool.description),
                "clusterDomain": .string(r.clusterDomain),
            ],
        ]
    }

    package static func network(_ cm: JSON) -> (network: ClusterNetwork, clusterDomain: String)? {
        let d = cm["data"] ?? [:]
        guard let name = d["name"]?.string, let node = (d["nodeCIDR"]?.string).flatMap(IPv4Network.init),
            let pod = (d["podCIDR"]?.string).flatMap(IPv4Network.init),
            let service = (d["serviceCIDR"]?.string).flatMap(IPv4Network.init)
        else { return nil }
        return (
            ClusterNetwork(
                name: name,
                nodeCIDR: node,
                podCIDR: pod,
                serviceCIDR: service,
                loadBalancerPool: (d["loadBalancerPool"]?.string).flatMap(LoadBalancerPool.init)
            ),
            d["clusterDomain"]?.string ?? "cluster.local"
        )
    }

    package static func publish(client: KubeClient, record: ClusterRecord) async throws {
        let want = configMap(record)
        if var current = try await client.getIfExists(Resources.configmaps, namespace: namespace, name: name) {
            guard current["data"] != want["data"] else { return }
            current["data"] = want["data"]
            _ = try await client.update(Resources.configmaps, namespace: namespace, current)
        } else {
            _ = try await client.create(Resources.configmaps, namespace: namespace, want)
        }
    }

    /// A new bootstrap token, valid for `ttl` (nil: until deleted).
    package static func createToken(
        client: KubeClient,
        ttl: TimeInterval?,
        description: String
    ) async throws -> BootstrapToken {
        let token = BootstrapToken.generate()
        _ = try await client.create(
            Resources.secrets,
            namespace: BootstrapToken.namespace,
            token.secretObject(expiration: ttl.map { Date().addingTimeInterval($0) }, description: description)
        )
        return token
    }

    /// Waits until `kube-public/cluster-info` carries the token's signature, so the join
    /// command printed next works at once.
    package static func waitForSignature(
        client: KubeClient,
        token: BootstrapToken,
        timeout: Duration = .seconds(10)
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let info = try? await client.get(
                Resources.configmaps,
                namespace: BootstrapSigner.clusterInfo.namespace,
                name: BootstrapSigner.clusterInfo.name
            )
            if info?[path: ["data", "jws-kubeconfig-\(token.id)"]] != nil { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw JoinError(
            "cluster-info was not signed for token \(token.id) within \(timeout): are the controllers running?"
        )
    }

    package static func joinCommand(server: String, token: BootstrapToken) -> String {
        "swiftlet node --server \(server) --token \(token)"
    }
}

/// How a node joins: it reads `kube-public/cluster-info` from a server it does not trust
/// yet, and trusts the CA in it only if the token's signature matches (so the token alone
/// sets up TLS trust, as kubeadm's token discovery does); then it talks to the API with
/// the token as its credentials.
package enum Join {
    /// Retries for a few seconds while the answer may still change (a token made a moment
    /// ago, or cluster-info rewritten, waits for the bootstrap signer).
    package static func discoverCA(servers: [String], token: BootstrapToken) async throws -> String {
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            do {
                return try await discoverOnce(servers: servers, token: token)
            } catch let e as JoinError where e.retriable && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    package static func discoverOnce(servers: [String], token: BootstrapToken) async throws -> String {
        var problems: [String] = []
        for server in servers {
            let url = server + "/api/v1/namespaces/kube-public/configmaps/cluster-info"
            let answer: (status: Int, body: JSON?)
            do { answer = try await KubeClient.getUntrusted(url) } catch {
                problems.append("\(server): \(error)")
                continue
            }
            guard answer.status == 200, let data = answer.body?["data"], let kubeconfig = data["kubeconfig"]?.string
            else {
                problems.append("\(server): GET cluster-info answered \(answer.status)")
                continue
            }
            guard let signature = data["jws-kubeconfig-\(token.id)"]?.string else {
                throw JoinError(
                    retriable: true,
                    "the cluster at \(server) has no signature for token id \(token.id): the token does not exist "
                        + "or has expired. Make a new one on the server "
                        + "with `swiftlet token create`."
                )
            }
            guard DetachedJWS.verify(kubeconfig, signature: signature, token: token) else {
                throw JoinError(
                    retriable: true,
                    "the cluster at \(server) signed cluster-info with a different secret for token id \(token.id): "
                        + "the token is wrong, or \(server) is not the cluster you meant. Nothing was trusted."
                )
            }
            guard let b64 = firstMatch(#"certificate-authority-data:\s*(\S+)"#, in: kubeconfig),
                let ca = Data(base64Encoded: b64).map({ String(decoding: $0, as: UTF8.self) })
            else {
                throw JoinError("cluster-info at \(server) holds no certificate-authority-data")
            }
            return ca
        }
        throw JoinError("no API server answered: " + problems.joined(separator: "; "))
    }

    package static func firstMatch(_ pattern: String, in text: String) -> String? {
        guard let re = try? NSRegularExpression(pattern: pattern),
            let m = re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
            let r = Range(m.range(at: 1), in: text)
        else { return nil }
        return String(text[r])
    }

    /// The lowest node index free on this machine and in the cluster, reserved by creating
    /// its Node object (a Node of the same name that is not Ready and has no namespace here
    /// is a node that left, and is taken over).
    /// A client certificate for node `name`, through the certificates API as a kubelet gets
    /// one with its bootstrap token: a CertificateSigningRequest that the cluster approves
    /// (the token's group may ask for node certificates) and its CA signs.
    package static func requestNodeCertificate(
        client: KubeClient,
        node name: String,
        timeout: Duration = .seconds(60)
    ) async throws -> (certPEM: String, keyPEM: String) {
        let (csrPEM, keyPEM) = try CertificateSigning.nodeClientRequest(node: name)
        let created = try await client.create(
            Resources.certificatesigningrequests,
            namespace: nil,
            [
                "apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
                "metadata": ["generateName": "node-csr-"],
                "spec": [
                    "request": .string(Data(csrPEM.utf8).base64EncodedString()),
                    "signerName": .string(CertificateRules.kubeletClientSigner),
                    "usages": ["digital signature", "key encipherment", "client auth"],
                ],
            ]
        )
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let csr = try await client.get(Resources.certificatesigningrequests, namespace: nil, name: created.name)
            if let b64 = csr[path: ["status", "certificate"]]?.string, let pem = Data(base64Encoded: b64),
                !pem.isEmpty
            {
                return (String(decoding: pem, as: UTF8.self), keyPEM)
            }
            for type in ["Denied", "Failed"] where CertificateRules.condition(csr, type) {
                let message =
                    (csr[path: ["status", "conditions"]]?.array ?? []).first { $0["type"]?.string == type }?["message"]?
                    .string ?? ""
                throw JoinError(
                    "the cluster \(type == "Denied" ? "denied" : "failed to sign") node \(name)'s certificate request "
                        + "\(created.name)\(message.isEmpty ? "" : ": \(message)")"
                )
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw JoinError(
            "node \(name)'s certificate request \(created.name) was not signed within \(timeout): approve it with "
                + "`kubectl certificate approve \(created.name)`, or check that the API server is running"
        )
    }

    package static func reserveIndex(client: KubeClient, network net: ClusterNetwork) async throws -> Int {
        let existing = Set(
            ((try? await HostCommand.run("ip", ["netns", "list"])) ?? "").split(whereSeparator: \.isNewline)
                .compactMap { $0.split(separator: " ").first.map(String.init) }
        )
        for i in 1...ClusterNetwork.maxNodes where !existing.contains(net.nodeNamespace(i)) {
            guard net.nodeCIDR.size > UInt64(10 + i + 1), net.podCIDR.size >= UInt64(i + 1) << 8 else { break }
            let name = net.nodeName(i)
            if let node = try await client.getIfExists(Resources.nodes, namespace: nil, name: name) {
                if KubeModel.Node(node).isReady { continue }
                return i
            }
            do {
                _ = try await client.create(
                    Resources.nodes,
                    namespace: nil,
                    [
                        "apiVersion": "v1", "kind": "Node", "metadata": ["name": .string(name)],
                    ]
                )
                return i
            } catch let e as APIError where e.code == 409 {
                continue
            }
        }
        throw JoinError("the cluster's node and pod ranges have no room for another node")
    }
}

/// A failure while joining or making tokens: printed as `Error: …` without the usage text
/// (the command line was fine; the cluster said no).
package struct JoinError: Error, CustomStringConvertible {
    package let description: String
    package var retriable = false
    package init(retriable: Bool = false, _ description: String) {
        self.description = description
        self.retriable = retriable
    }
}
