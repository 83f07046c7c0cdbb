import Crypto
import Foundation
import KubeAPI
import KubeMachinery
import Testing

@testable import APIServer

/// ServiceAccount admission of pods and the TokenRequest subresource, through the handler.
@Suite struct ServiceAccountAPITests {
    static func account(_ name: String, automount: Bool? = nil) -> String {
        var sa: JSON = ["apiVersion": "v1", "kind": "ServiceAccount", "metadata": ["name": .string(name)]]
        if let automount { sa["automountServiceAccountToken"] = .bool(automount) }
        return sa.serializedString()
    }

    static func pod(_ name: String, account: String? = nil, automount: Bool? = nil) -> String {
        var spec: JSON = [
            "containers": [
                ["name": "app", "image": "agnhost"],
                [
                    "name": "own", "image": "agnhost",
                    "volumeMounts": [["name": "mine", "mountPath": .string(ServiceAccountAdmission.mountPath)]],
                ],
            ],
            "volumes": [["name": "mine", "emptyDir": [:]]],
        ]
        if let account { spec["serviceAccountName"] = .string(account) }
        if let automount { spec["automountServiceAccountToken"] = .bool(automount) }
        let pod: JSON = ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name)], "spec": spec]
        return pod.serializedString()
    }

    @Test func podsRunAsAnAccountThatExistsWithItsTokenMounted() async throws {
        let api = try await TestAPI(admission: true)
        try await api.run { c in
            let base = "/api/v1/namespaces/kiada"
            #expect(try await c.send(.post, base + "/serviceaccounts", Self.account("default")).code == 201)
            #expect(
                try await c.send(.post, base + "/serviceaccounts", Self.account("quiet", automount: false)).code == 201
            )

            let made = try await c.send(.post, base + "/pods", Self.pod("web"))
            #expect(made.code == 201, "\(made.text)")
            let spec = made.json["spec"] ?? .null
            #expect(spec["serviceAccountName"]?.string == "default")
            #expect(spec["serviceAccount"]?.string == "default")
            let volumes = spec["volumes"]?.array ?? []
            let token = try #require(volumes.first { ($0["name"]?.string ?? "").hasPrefix("kube-api-access-") })
            let volumeName = try #require(token["name"]?.string)
            #expect(volumeName.count == "kube-api-access-".count + 5)
            let sources = token[path: ["projected", "sources"]]?.array ?? []
            #expect(sources.count == 3)
            #expect(sources.first?[path: ["serviceAccountToken", "expirationSeconds"]]?.int == 3607)
            #expect(sources.dropFirst().first?[path: ["configMap", "name"]]?.string == "kube-root-ca.crt")
            let containers = spec["containers"]?.array ?? []
            // The container that mounts something of its own at the path keeps it.
            #expect(containers[0]["volumeMounts"]?.array?.first?["name"]?.string == volumeName)
            #expect(containers[0]["volumeMounts"]?.array?.first?["readOnly"]?.bool == true)
            #expect(containers[1]["volumeMounts"]?.array?.map { $0["name"]?.string } == ["mine"])

            for quiet in [Self.pod("off", automount: false), Self.pod("quiet", account: "quiet")] {
                let r = try await c.send(.post, base + "/pods", quiet)
                #expect(r.code == 201, "\(r.text)")
                #expect(r.json[path: ["spec", "volumes"]]?.array?.count == 1)
            }

            let missing = try await c.send(.post, base + "/pods", Self.pod("lost", account: "ghost"))
            #expect(missing.code == 403)
            #expect(
                missing.json["message"]?.string
                    == "pods \"lost\" is forbidden: error looking up service account kiada/ghost: serviceaccount \"ghost\" not found"
            )
            #expect(try await c.send(.get, base + "/pods/lost").code == 404)
        }
    }

    @Test func aTokenRequestGivesATokenTheServerAcceptsWhileItsObjectsLive() async throws {
        let api = try await TestAPI(admission: true)
        let tokens = try ServiceAccountTokens(caKeyPEM: P256.Signing.PrivateKey().pemRepresentation)
        try await api.run(serviceAccountTokens: tokens) { c in
            let base = "/api/v1/namespaces/kiada"
            #expect(try await c.send(.post, base + "/serviceaccounts", Self.account("default")).code == 201)
            #expect(try await c.send(.post, base + "/serviceaccounts", Self.account("quiz")).code == 201)
            let pod = try await c.send(.post, base + "/pods", Self.pod("web", account: "quiz"))
            let podUID = try #require(pod.json[path: ["metadata", "uid"]]?.string)

            let short = try await c.send(
                .post,
                base + "/serviceaccounts/quiz/token",
                #"{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":500}}"#
            )
            #expect(short.code == 422)
            #expect(
                short.json["message"]?.string
                    == "TokenRequest.authentication.k8s.io \"quiz\" is invalid: spec.expirationSeconds: Invalid value: 500: may not specify a duration less than 10 minutes"
            )
            #expect(try await c.send(.post, base + "/serviceaccounts/ghost/token", "{}").code == 404)
            let wrongUID = try await c.send(
                .post,
                base + "/serviceaccounts/quiz/token",
                #"{"spec":{"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"web","uid":"nope"}}}"#
            )
            #expect(wrongUID.code == 409, "\(wrongUID.text)")

            let bound = try await c.send(
                .post,
                base + "/serviceaccounts/quiz/token",
                #"{"spec":{"expirationSeconds":1200,"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"web"}}}"#
            )
            #expect(bound.code == 201, "\(bound.text)")
            #expect(bound.json["kind"]?.string == "TokenRequest")
            #expect(bound.json[path: ["spec", "boundObjectRef", "uid"]]?.string == podUID)
            #expect(bound.json[path: ["spec", "audiences"]] == JSON([ServiceAccountTokens.defaultIssuer]))
            let token = try #require(bound.json[path: ["status", "token"]]?.string)
            let expires = try #require(
                bound.json[path: ["status", "expirationTimestamp"]]?.string.flatMap(Timestamp.init(rfc3339:))
            )
            #expect(abs(expires.seconds - Timestamp.now.seconds - 1200) <= 2)

            #expect(try await c.send(.get, base + "/pods", token: token).code == 200)
            #expect(try await c.send(.get, base + "/pods", token: token + "x").code == 401)
            // Bound to the pod: gone with it.
            #expect(try await c.send(.delete, base + "/pods/web?gracePeriodSeconds=0").code == 200)
            #expect(try await c.send(.get, base + "/pods", token: token).code == 401)

            let plain = try await c.send(.post, base + "/serviceaccounts/quiz/token", "{}")
            let accountToken = try #require(plain.json[path: ["status", "token"]]?.string)
            #expect(try await c.send(.get, base + "/pods", token: accountToken).code == 200)
            #expect(try await c.send(.delete, base + "/serviceaccounts/quiz").code == 200)
            #expect(try await c.send(.get, base + "/pods", token: accountToken).code == 401)
        }
    }

    /// A `kubernetes.io/service-account-token` Secret is filled as upstream's token
    /// controller fills it, and its token lives as long as the Secret.
    @Test func aServiceAccountTokenSecretIsFilledAndRevokedWithTheSecret() async throws {
        let api = try await TestAPI(admission: true)
        var signer = try ServiceAccountTokens(caKeyPEM: P256.Signing.PrivateKey().pemRepresentation)
        signer.caCertPEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
        let tokens = signer
        try await api.run(serviceAccountTokens: tokens) { c in
            let base = "/api/v1/namespaces/kiada"
            #expect(try await c.send(.post, base + "/serviceaccounts", Self.account("build-robot")).code == 201)
            let secret = #"""
                {"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/service-account-token",
                 "metadata":{"name":"robot-token","annotations":{"kubernetes.io/service-account.name":"build-robot"}}}
                """#
            let made = try await c.send(.post, base + "/secrets", secret)
            #expect(made.code == 201, "\(made.text)")
            let data = made.json["data"] ?? [:]
            #expect(data["namespace"]?.string.flatMap { Data(base64Encoded: $0) } == Data("kiada".utf8))
            #expect(data["ca.crt"]?.string.flatMap { Data(base64Encoded: $0) } == Data(tokens.caCertPEM.utf8))
            let account = try await c.send(.get, base + "/serviceaccounts/build-robot")
            #expect(
                made.json[path: ["metadata", "annotations", "kubernetes.io/service-account.uid"]]
                    == account.json[path: ["metadata", "uid"]]
            )
            let token = try #require(
                data["token"]?.string.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
            )
            let whoami = try await c.send(
                .post,
                "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                #"{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}"#,
                token: token
            )
            #expect(
                whoami.json[path: ["status", "userInfo", "username"]]?.string
                    == "system:serviceaccount:kiada:build-robot"
            )
            #expect(try await c.send(.delete, base + "/secrets/robot-token").code == 200)
            #expect(try await c.send(.get, base + "/pods", token: token).code == 401)

            // No such account: the Secret is kept as it was made, with no token.
            let orphan = secret.replacingOccurrences(of: "build-robot", with: "ghost")
            let kept = try await c.send(.post, base + "/secrets", orphan)
            #expect(kept.code == 201)
            #expect(kept.json[path: ["data", "token"]] == nil)
        }
    }
}
