import Crypto
import Foundation
import SwiftASN1
import X509

/// The cluster's certificates: a CA made on first start, a serving certificate for the API
/// server's addresses, and an admin client certificate for kubeconfig, kept in the data directory.
public struct PKI: Sendable {
    public let caCertPEM: String
    public let caKeyPEM: String
    public let serverCertPEM: String
    public let serverKeyPEM: String
    public let adminCertPEM: String
    public let adminKeyPEM: String
    public let token: String

    /// Loads the PKI from `dir`, creating what is missing. The serving certificate is made
    /// anew whenever its names change (a new bind address, say), signed by the same CA.
    public static func loadOrCreate(in dir: URL, ipAddresses: [String], dnsNames: [String]) throws -> PKI {
        let fm = FileManager.default
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        func read(_ name: String) -> String? {
            try? String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
        }
        func write(_ name: String, _ text: String, secret: Bool) throws {
            let url = dir.appendingPathComponent(name)
            try text.write(to: url, atomically: true, encoding: .utf8)
            try fm.setAttributes([.posixPermissions: secret ? 0o600 : 0o644], ofItemAtPath: url.path)
        }

        var caCertPEM = read("ca.crt"), caKeyPEM = read("ca.key")
        if caCertPEM == nil || caKeyPEM == nil {
            let key = P256.Signing.PrivateKey()
            let name = try DistinguishedName { CommonName("swiftlet-ca") }
            let cert = try Certificate(
                version: .v3,
                serialNumber: .init(),
                publicKey: .init(key.publicKey),
                notValidBefore: Date().addingTimeInterval(-3600),
                notValidAfter: Date().addingTimeInterval(10 * 365 * 86400),
                issuer: name,
                subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                    Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                },
                issuerPrivateKey: .init(key)
            )
            caCertPEM = try cert.serializeAsPEM().pemString
            caKeyPEM = key.pemRepresentation
            try write("ca.crt", caCertPEM!, secret: false)
            try write("ca.key", caKeyPEM!, secret: true)
        }
        let caKey = try P256.Signing.PrivateKey(pemRepresentation: caKeyPEM!)
        let caCert = try Certificate(pemEncoded: caCertPEM!)

        func issueServing(commonName: String) throws -> (String, String) {
            let key = P256.Signing.PrivateKey()
            let subject = try DistinguishedName { CommonName(commonName) }
            let cert = try Certificate(
                version: .v3,
                serialNumber: .init(),
                publicKey: .init(key.publicKey),
                notValidBefore: Date().addingTimeInterval(-3600),
                notValidAfter: Date().addingTimeInterval(5 * 365 * 86400),
                issuer: caCert.subject,
                subject: subject,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                    try ExtendedKeyUsage([.serverAuth])
                    SubjectAlternativeNames(
                        dnsNames.map { GeneralName.dnsName($0) }
                            + ipAddresses.compactMap { ip in
                                IPv4Bytes(ip).map {
                                    GeneralName.ipAddress(ASN1OctetString(contentBytes: ArraySlice($0)))
                                }
                            }
                    )
                },
                issuerPrivateKey: .init(caKey)
            )
            return (try cert.serializeAsPEM().pemString, key.pemRepresentation)
        }

        let namesFile = (ipAddresses + dnsNames).joined(separator: "\n")
        var serverCertPEM = read("server.crt"), serverKeyPEM = read("server.key")
        if serverCertPEM == nil || serverKeyPEM == nil || read("server.names") != namesFile {
            (serverCertPEM, serverKeyPEM) = try issueServing(commonName: "kube-apiserver")
            try write("server.crt", serverCertPEM!, secret: false)
            try write("server.key", serverKeyPEM!, secret: true)
            try write("server.names", namesFile, secret: false)
        }
        var adminCertPEM = read("admin.crt"), adminKeyPEM = read("admin.key")
        if adminCertPEM == nil || adminKeyPEM == nil {
            (adminCertPEM, adminKeyPEM) = try clientCertificate(
                user: "swiftlet-admin",
                groups: ["system:masters"],
                caCertPEM: caCertPEM!,
                caKeyPEM: caKeyPEM!,
                validFor: 5 * 365 * 86400
            )
            try write("admin.crt", adminCertPEM!, secret: false)
            try write("admin.key", adminKeyPEM!, secret: true)
        }
        var token = read("token")?.trimmingCharacters(in: .whitespacesAndNewlines)
        if token == nil || token!.isEmpty {
            var rng = SystemRandomNumberGenerator()
            let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
            token = String((0..<48).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
            try write("token", token! + "\n", secret: true)
        }
        return PKI(
            caCertPEM: caCertPEM!,
            caKeyPEM: caKeyPEM!,
            serverCertPEM: serverCertPEM!,
            serverKeyPEM: serverKeyPEM!,
            adminCertPEM: adminCertPEM!,
            adminKeyPEM: adminKeyPEM!,
            token: token!
        )
    }
}

extension PKI {
    /// A client certificate for `user` in `groups`, signed by the cluster CA: how Swiftlet's
    /// own components (a node's agent, DNS, the service proxy) prove who they are, each with
    /// the rights of its upstream counterpart rather than the cluster's token. Made anew at
    /// every start, never written to disk.
    public func clientCertificate(
        user: String,
        groups: [String],
        validFor: TimeInterval = 365 * 86400
    ) throws -> (certPEM: String, keyPEM: String) {
        try Self.clientCertificate(
            user: user,
            groups: groups,
            caCertPEM: caCertPEM,
            caKeyPEM: caKeyPEM,
            validFor: validFor
        )
    }

    /// The same from the CA a data directory keeps (`pki/ca.crt`, `pki/ca.key`).
    public static func clientCertificate(
        user: String,
        groups: [String],
        caCertPEM: String,
        caKeyPEM: String,
        validFor: TimeInterval = 365 * 86400
    ) throws -> (certPEM: String, keyPEM: String) {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            for group in groups { OrganizationName(group) }
            CommonName(user)
        }
        let cert = try signClientCertificate(
            publicKey: .init(key.publicKey),
            subject: subject,
            validFor: validFor,
            caCertPEM: caCertPEM,
            caKeyPEM: caKeyPEM
        )
        return (cert, key.pemRepresentation)
    }

    /// A client certificate (PEM) for `subject`'s key, signed by the CA: what every client
    /// identity of the cluster is, whether Swiftlet made the key or a CSR brought it.
    static func signClientCertificate(
        publicKey: Certificate.PublicKey,
        subject: DistinguishedName,
        validFor: TimeInterval,
        caCertPEM: String,
        caKeyPEM: String,
        now: Date = Date()
    ) throws -> String {
        let caKey = try P256.Signing.PrivateKey(pemRepresentation: caKeyPEM)
        let caCert = try Certificate(pemEncoded: caCertPEM)
        let cert = try Certificate(
            version: .v3,
            serialNumber: .init(),
            publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: now.addingTimeInterval(validFor),
            issuer: caCert.subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.clientAuth])
            },
            issuerPrivateKey: .init(caKey)
        )
        return try cert.serializeAsPEM().pemString
    }
}

func IPv4Bytes(_ ip: String) -> [UInt8]? {
    let parts = ip.split(separator: ".").compactMap { UInt8($0) }
    return parts.count == 4 ? parts : nil
}
