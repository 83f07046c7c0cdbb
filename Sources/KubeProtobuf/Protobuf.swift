import KubeMachinery

/// Reads Kubernetes' protobuf encoding (`application/vnd.kubernetes.protobuf`) into the same
/// JSON tree a JSON body would give, so the rest of the server sees one format.
public enum KubeProtobuf {
    public struct DecodeError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Root message per `apiVersion` + `kind`.
    static func rootMessage(apiVersion: String, kind: String) -> String? {
        let pkg: String
        switch apiVersion {
        case "v1": pkg = "core"
        case "apps/v1": pkg = "apps"
        case "discovery.k8s.io/v1": pkg = "discovery"
        case "coordination.k8s.io/v1": pkg = "coordination"
        case "autoscaling/v1": pkg = "autoscaling"
        case "authentication.k8s.io/v1": pkg = "authentication"
        case "authorization.k8s.io/v1": pkg = "authorization"
        case "rbac.authorization.k8s.io/v1": pkg = "rbac"
        case "certificates.k8s.io/v1": pkg = "certificates"
        case "batch/v1": pkg = "batch"
        case "policy/v1": pkg = "policy"
        case "meta.k8s.io/v1": pkg = "meta"
        default: return nil
        }
        let name = "\(pkg).\(kind)"
        if schema[name] != nil { return name }
        if kind == "DeleteOptions" { return "meta.DeleteOptions" }
        return nil
    }

    static let magic: [UInt8] = [0x6B, 0x38, 0x73, 0x00]  // "k8s\0"

    /// Pointer fields whose zero value the client set on purpose (Go omits nil pointers, so a
    /// zero that arrives was meant); other zero values are left out as JSON's `omitempty` would.
    static let meaningfulZero: Set<String> = [
        "replicas", "ready", "serving", "terminating", "allocateLoadBalancerNodePorts", "enableServiceLinks",
        "automountServiceAccountToken", "terminationGracePeriodSeconds", "activeDeadlineSeconds",
        "revisionHistoryLimit",
        "progressDeadlineSeconds", "shareProcessNamespace", "setHostnameAsFQDN", "hostUsers", "runAsNonRoot",
        "privileged", "readOnlyRootFilesystem", "allowPrivilegeEscalation", "runAsUser", "runAsGroup", "fsGroup",
        "optional", "defaultMode", "priority", "timeoutSeconds", "periodSeconds", "successThreshold",
        "failureThreshold",
        "gracePeriodSeconds", "orphanDependents", "port", "containerPort", "publishNotReadyAddresses",
        "parallelism", "completions", "backoffLimit", "suspend", "ttlSecondsAfterFinished", "manualSelector",
        "startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit",
    ]

    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> JSON {
        guard bytes.count >= 4, Array(bytes[0..<4]) == magic else {
            throw DecodeError(description: "protobuf body does not start with the Kubernetes magic number")
        }
        var reader = Reader(bytes: bytes, pos: 4, end: bytes.count)
        var apiVersion = "", kind = ""
        var raw: ArraySlice<UInt8> = []
        while !reader.atEnd {
            let (number, wire) = try reader.tag()
            switch (number, wire) {
            case (1, 2):
                var tm = try reader.subReader()
                while !tm.atEnd {
                    let (n, w) = try tm.tag()
                    if n == 1, w == 2 {
                        apiVersion = try tm.string()
                    } else if n == 2, w == 2 {
                        kind = try tm.string()
                    } else {
                        try tm.skip(w)
                    }
                }
            case (2, 2): raw = try reader.lengthDelimited()
            default: try reader.skip(wire)
            }
        }
        guard let root = rootMessage(apiVersion: apiVersion, kind: kind) else {
            throw DecodeError(description: "protobuf bodies of \(apiVersion)/\(kind) are not supported; send JSON")
        }
        var body = Reader(bytes: Array(raw), pos: 0, end: raw.count)
        var obj = try decodeMessage(root, &body, depth: 0)
        var withType = JSONObject()
        withType["apiVersion"] = .string(apiVersion)
        withType["kind"] = .string(kind)
        for e in obj.object ?? JSONObject() where e.key != "apiVersion" && e.key != "kind" { withType[e.key] = e.value }
        obj = .object(withType)
        return obj
    }

    static func decodeMessage(_ name: String, _ r: inout Reader, depth: Int) throws(DecodeError) -> JSON {
        guard depth < 64 else { throw DecodeError(description: "protobuf message nested too deeply") }
        guard let fields = schema[name] else { throw DecodeError(description: "unknown protobuf message \(name)") }
        var obj = JSONObject()
        while !r.atEnd {
            let (number, wire) = try r.tag()
            guard let field = fields[number] else {
                throw DecodeError(
                    description: "field \(number) of \(name) is not known to Swiftlet; send the object as JSON instead"
                )
            }
            switch field.type {
            case .repeated(let inner):
                var list = obj[field.name]?.array ?? []
                if wire == 2, case .int = inner {
                    var packed = try r.subReader()
                    while !packed.atEnd { list.append(.int(Int64(bitPattern: try packed.varint()))) }
                } else {
                    if let v = try decodeValue(inner, wire: wire, &r, depth: depth) { list.append(v) }
                }
                obj[field.name] = .array(list)
            case .map(let valueType):
                var entry = try r.subReader()
                var key = "", value: JSON = .null
                while !entry.atEnd {
                    let (n, w) = try entry.tag()
                    if n == 1 {
                        key = try entry.string()
                    } else if n == 2 {
                        value = try decodeValue(valueType, wire: w, &entry, depth: depth) ?? .null
                        if case .string = valueType, value.isNull { value = "" }
                    } else {
                        try entry.skip(w)
                    }
                }
                var m = obj[field.name]?.object ?? JSONObject()
                m[key] = value
                obj[field.name] = .object(m)
            default:
                guard let v = try decodeValue(field.type, wire: wire, &r, depth: depth) else { continue }
                if !meaningfulZero.contains(field.name) {
                    switch v {
                    case .string(""), .int(0), .bool(false): continue
                    default: break
                    }
                }
                obj[field.name] = v
            }
        }
        return .object(obj)
    }

    static func decodeValue(_ type: FieldType, wire: Int, _ r: inout Reader, depth: Int) throws(DecodeError) -> JSON? {
        switch type {
        case .string:
            return .string(try r.string())
        case .bytes:
            let b = try r.lengthDelimited()
            return .string(base64(Array(b)))
        case .int:
            return .int(Int64(bitPattern: try r.varint()))
        case .bool:
            return .bool(try r.varint() != 0)
        case .double:
            return .double(Double(bitPattern: try r.fixed64()))
        case .message(let m):
            var sub = try r.subReader()
            return try decodeMessage(m, &sub, depth: depth + 1)
        case .time:
            var sub = try r.subReader()
            var seconds: Int64 = 0, nanos: Int64 = 0
            while !sub.atEnd {
                let (n, w) = try sub.tag()
                if n == 1 {
                    seconds = Int64(bitPattern: try sub.varint())
                } else if n == 2 {
                    nanos = Int64(bitPattern: try sub.varint())
                } else {
                    try sub.skip(w)
                }
            }
            if seconds == 0 && nanos == 0 { return nil }
            let ts = Timestamp(micros: seconds * 1_000_000 + nanos / 1000)
            return .string(nanos == 0 ? ts.rfc3339 : ts.rfc3339Micro)
        case .duration:
            var sub = try r.subReader()
            var nanos: Int64 = 0
            while !sub.atEnd {
                let (n, w) = try sub.tag()
                if n == 1 { nanos = Int64(bitPattern: try sub.varint()) } else { try sub.skip(w) }
            }
            return .string("\(Double(nanos) / 1e9)s")
        case .intOrString:
            var sub = try r.subReader()
            var kind: UInt64 = 0, intVal: Int64 = 0, strVal = ""
            while !sub.atEnd {
                let (n, w) = try sub.tag()
                switch n {
                case 1: kind = try sub.varint()
                case 2: intVal = Int64(Int32(truncatingIfNeeded: try sub.varint()))
                case 3: strVal = try sub.string()
                default: try sub.skip(w)
                }
            }
            return kind == 1 ? .string(strVal) : .int(intVal)
        case .quantity:
            var sub = try r.subReader()
            var s = ""
            while !sub.atEnd {
                let (n, w) = try sub.tag()
                if n == 1 { s = try sub.string() } else { try sub.skip(w) }
            }
            return .string(s)
        case .raw:
            var sub = try r.subReader()
            var raw: [UInt8] = []
            while !sub.atEnd {
                let (n, w) = try sub.tag()
                if n == 1 { raw = Array(try sub.lengthDelimited()) } else { try sub.skip(w) }
            }
            if raw.isEmpty { return nil }
            do { return try JSON.parse(raw) } catch { throw DecodeError(description: "embedded object is not JSON") }
        case .skip:
            try r.skip(wire)
            return nil
        case .map, .repeated:
            throw DecodeError(description: "nested repeated protobuf values are not supported")
        }
    }

    struct Reader {
        let bytes: [UInt8]
        var pos: Int
        let end: Int

        var atEnd: Bool { pos >= end }

        mutating func varint() throws(DecodeError) -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard pos < end else { throw DecodeError(description: "truncated protobuf varint") }
                let b = bytes[pos]
                pos += 1
                result |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { return result }
                shift += 7
                guard shift < 64 else { throw DecodeError(description: "protobuf varint too long") }
            }
        }

        mutating func tag() throws(DecodeError) -> (Int, Int) {
            let v = try varint()
            return (Int(v >> 3), Int(v & 7))
        }

        mutating func lengthDelimited() throws(DecodeError) -> ArraySlice<UInt8> {
            let n = try varint()
            guard n <= UInt64(end - pos) else { throw DecodeError(description: "truncated protobuf field") }
            let slice = bytes[pos..<pos + Int(n)]
            pos += Int(n)
            return slice
        }

        mutating func subReader() throws(DecodeError) -> Reader {
            let slice = try lengthDelimited()
            return Reader(bytes: bytes, pos: slice.startIndex, end: slice.endIndex)
        }

        mutating func string() throws(DecodeError) -> String {
            String(decoding: try lengthDelimited(), as: UTF8.self)
        }

        mutating func fixed64() throws(DecodeError) -> UInt64 {
            guard pos + 8 <= end else { throw DecodeError(description: "truncated protobuf fixed64") }
            var v: UInt64 = 0
            for i in 0..<8 { v |= UInt64(bytes[pos + i]) << (8 * UInt64(i)) }
            pos += 8
            return v
        }

        mutating func skip(_ wire: Int) throws(DecodeError) {
            switch wire {
            case 0: _ = try varint()
            case 1: pos += 8
            case 2: _ = try lengthDelimited()
            case 5: pos += 4
            default: throw DecodeError(description: "unsupported protobuf wire type \(wire)")
            }
            if pos > end { throw DecodeError(description: "truncated protobuf field") }
        }
    }

    static func base64(_ bytes: [UInt8]) -> String {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        var i = 0
        while i + 2 < bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [table[Int(n >> 18)], table[Int(n >> 12 & 63)], table[Int(n >> 6 & 63)], table[Int(n & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            out += [table[Int(n >> 18)], table[Int(n >> 12 & 63)], 61, 61]
        } else if rest == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [table[Int(n >> 18)], table[Int(n >> 12 & 63)], table[Int(n >> 6 & 63)], 61]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
