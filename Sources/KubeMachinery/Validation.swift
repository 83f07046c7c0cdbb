#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Kubernetes' name and value validators, returning its exact messages.
public enum Validation {
    static let dns1123LabelMsg =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    static let dns1123SubdomainMsg =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    static let dns1035LabelMsg =
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
    static let qualifiedNameMsg =
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    static let labelValueMsg =
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

    @inline(__always) static func isLowerAlnum(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39)
    }
    @inline(__always) static func isAlnum(_ c: UInt8) -> Bool {
        isLowerAlnum(c) || (c >= 0x41 && c <= 0x5A)
    }
    @inline(__always) static func isLowerAlpha(_ c: UInt8) -> Bool { c >= 0x61 && c <= 0x7A }

    public static func isDNS1123Label(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard let f = b.first, let l = b.last, isLowerAlnum(f), isLowerAlnum(l) else { return false }
        return b.allSatisfy { isLowerAlnum($0) || $0 == 0x2D }
    }

    /// Names that only have to be safe in a URL path (RBAC objects): upstream's
    /// ValidatePathSegmentName.
    public static func pathSegmentNameErrors(_ s: String) -> [String] {
        if s == "." || s == ".." { return ["may not be '\(s)'"] }
        var errs: [String] = []
        for c in ["/", "%"] where s.contains(c) { errs.append("may not contain '\(c)'") }
        return errs
    }

    public static func dns1123LabelErrors(_ s: String) -> [String] {
        var errs: [String] = []
        if s.utf8.count > 63 { errs.append("must be no more than 63 characters") }
        if !isDNS1123Label(s) { errs.append(dns1123LabelMsg) }
        return errs
    }

    public static func isDNS1123Subdomain(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return !s.isEmpty && parts.allSatisfy { isDNS1123Label(String($0)) }
    }

    public static func dns1123SubdomainErrors(_ s: String) -> [String] {
        var errs: [String] = []
        if s.utf8.count > 253 { errs.append("must be no more than 253 characters") }
        if !isDNS1123Subdomain(s) { errs.append(dns1123SubdomainMsg) }
        return errs
    }

    public static func isDNS1035Label(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard let f = b.first, let l = b.last, isLowerAlpha(f), isLowerAlnum(l) else { return false }
        return b.allSatisfy { isLowerAlnum($0) || $0 == 0x2D }
    }

    public static func dns1035LabelErrors(_ s: String) -> [String] {
        var errs: [String] = []
        if s.utf8.count > 63 { errs.append("must be no more than 63 characters") }
        if !isDNS1035Label(s) { errs.append(dns1035LabelMsg) }
        return errs
    }

    static func isQualifiedNamePart(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard let f = b.first, let l = b.last, isAlnum(f), isAlnum(l) else { return false }
        return b.allSatisfy { isAlnum($0) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E }
    }

    /// Label and annotation keys: an optional DNS subdomain prefix and a name part.
    public static func qualifiedNameErrors(_ s: String) -> [String] {
        var errs: [String] = []
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        let name: String
        switch parts.count {
        case 1:
            name = s
        case 2:
            let prefix = String(parts[0])
            name = String(parts[1])
            if prefix.isEmpty {
                errs.append("prefix part must be non-empty")
            } else {
                errs += dns1123SubdomainErrors(prefix).map { "prefix part \($0)" }
            }
        default:
            return [
                qualifiedNameMsg.replacingFirst("name part must", "a qualified name must")
                    + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
            ]
        }
        if name.isEmpty {
            errs.append("name part must be non-empty")
        } else if name.utf8.count > 63 {
            errs.append("name part must be no more than 63 characters")
        }
        if !name.isEmpty, !isQualifiedNamePart(name) { errs.append(qualifiedNameMsg) }
        return errs
    }

    public static func labelValueErrors(_ s: String) -> [String] {
        var errs: [String] = []
        if s.utf8.count > 63 { errs.append("must be no more than 63 characters") }
        if !s.isEmpty, !isQualifiedNamePart(s) { errs.append(labelValueMsg) }
        return errs
    }

    /// An IANA service name, as a named port must be.
    public static func ianaServiceNameErrors(_ s: String) -> [String] {
        var errs: [String] = []
        let b = Array(s.utf8)
        if b.count > 15 { errs.append("must be no more than 15 characters") }
        if b.isEmpty || !b.allSatisfy({ isLowerAlnum($0) || $0 == 0x2D }) {
            errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
        }
        if !b.contains(where: isLowerAlpha) { errs.append("must contain at least one letter (a-z)") }
        if s.contains("--") { errs.append("must not contain consecutive hyphens") }
        if b.first == 0x2D || b.last == 0x2D { errs.append("must not begin or end with a hyphen") }
        return errs
    }

    public static func portNumberErrors(_ port: Int64) -> [String] {
        (1...65535).contains(port) ? [] : ["must be between 1 and 65535, inclusive"]
    }

    /// Validates labels as `metadata.labels` (one error per key or value).
    public static func validateLabels(_ labels: JSON?, path: String) -> [FieldError] {
        guard let o = labels?.object else { return [] }
        var errs: [FieldError] = []
        for e in o {
            for m in qualifiedNameErrors(e.key) { errs.append(.invalid(path, .string(e.key), m)) }
            guard let v = e.value.string else {
                errs.append(.invalid(path, e.value, "label values must be strings"))
                continue
            }
            for m in labelValueErrors(v) { errs.append(.invalid(path, .string(v), m)) }
        }
        return errs
    }

    public static func validateAnnotations(_ annotations: JSON?, path: String) -> [FieldError] {
        guard let o = annotations?.object else { return [] }
        var errs: [FieldError] = []
        var total = 0
        for e in o {
            for m in qualifiedNameErrors(e.key.lowercased()) { errs.append(.invalid(path, .string(e.key), m)) }
            total += e.key.utf8.count + (e.value.string?.utf8.count ?? 0)
        }
        if total > 256 * 1024 {
            errs.append(FieldError(.tooLong(256 * 1024), path, "must have at most 262144 bytes"))
        }
        return errs
    }
}

extension String {
    func replacingFirst(_ target: String, _ replacement: String) -> String {
        guard let r = firstRange(of: target) else { return self }
        return String(self[..<r.lowerBound]) + replacement + String(self[r.upperBound...])
    }
}

// IP addresses and CIDRs, with the messages of apimachinery's `IsValidIP`, `IsValidCIDR` and
// core validation's `ValidateNonSpecialIP`.
extension Validation {
    public static let ipAddressMsg = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
    public static let cidrMsg = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"

    /// The 16 bytes of an IPv6 address in text form, or nil.
    public static func ipv6Bytes(_ s: String) -> [UInt8]? {
        guard s.contains(":") else { return nil }
        var addr = in6_addr()
        guard inet_pton(AF_INET6, s, &addr) == 1 else { return nil }
        return withUnsafeBytes(of: addr) { Array($0) }
    }

    public static func isIP(_ s: String) -> Bool { IPv4Address(s) != nil || ipv6Bytes(s) != nil }
    public static func isIPv6(_ s: String) -> Bool { ipv6Bytes(s) != nil }

    /// Addresses that make no sense as endpoints or external IPs.
    public static func nonSpecialIPErrors(_ s: String) -> [String] {
        var errs: [String] = []
        if let v4 = IPv4Address(s) {
            let v = v4.value
            if v == 0 { errs.append("may not be unspecified (\(s))") }
            if v >> 24 == 127 { errs.append("may not be in the loopback range (127.0.0.0/8, ::1/128)") }
            if v >> 16 == 0xA9FE { errs.append("may not be in the link-local range (169.254.0.0/16, fe80::/10)") }
            if v >> 8 == 0xE00000 {
                errs.append("may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)")
            }
        } else if let b = ipv6Bytes(s) {
            // IPv4-mapped addresses are judged as the IPv4 address they carry.
            if b[0..<10].allSatisfy({ $0 == 0 }), b[10] == 0xFF, b[11] == 0xFF {
                return nonSpecialIPErrors("\(b[12]).\(b[13]).\(b[14]).\(b[15])").map {
                    $0.hasPrefix("may not be unspecified") ? "may not be unspecified (\(s))" : $0
                }
            }
            if b.allSatisfy({ $0 == 0 }) { errs.append("may not be unspecified (\(s))") }
            if b[0..<15].allSatisfy({ $0 == 0 }), b[15] == 1 {
                errs.append("may not be in the loopback range (127.0.0.0/8, ::1/128)")
            }
            if b[0] == 0xFE, b[1] & 0xC0 == 0x80 {
                errs.append("may not be in the link-local range (169.254.0.0/16, fe80::/10)")
            }
            if b[0] == 0xFF, b[1] & 0x0F == 0x02 {
                errs.append("may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)")
            }
        } else {
            errs.append("must be a valid IP address")
        }
        return errs
    }

    /// Go's `strings.TrimSpace` for ASCII whitespace.
    public static func trimmingSpace(_ s: String) -> String {
        let space: Set<Character> = [" ", "\t", "\n", "\r", "\u{0B}", "\u{0C}"]
        return String(s.drop(while: space.contains).reversed().drop(while: space.contains).reversed())
    }

    /// `address/prefix` with a prefix no longer than the address (Go's `ParseCIDR`).
    public static func isCIDR(_ s: String) -> Bool {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let bits = Int(parts[1]), !parts[1].isEmpty,
            parts[1].allSatisfy(\.isASCII), parts[1].allSatisfy(\.isNumber)
        else { return false }
        let addr = String(parts[0])
        if IPv4Address(addr) != nil { return (0...32).contains(bits) }
        if ipv6Bytes(addr) != nil { return (0...128).contains(bits) }
        return false
    }
}
