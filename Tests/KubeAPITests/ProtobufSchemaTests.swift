import KubeMachinery
import Testing

@testable import KubeProtobuf

@Suite struct ProtobufSchemaTests {
    /// Every message a field names exists, and no message repeats a field number or name:
    /// a typo in the schema would otherwise surface only as a field silently dropped.
    @Test func everyReferenceResolvesAndNumbersAreUnique() {
        var names = Set<String>()
        for m in KubeProtobuf.messages {
            #expect(names.insert(m.name).inserted, "message \(m.name) is listed twice")
            #expect(Set(m.fields.map(\.number)).count == m.fields.count, "\(m.name) repeats a field number")
            #expect(Set(m.fields.map(\.name)).count == m.fields.count, "\(m.name) repeats a field name")
            for f in m.fields {
                var t = f.type
                while true {
                    if case .repeated(let inner) = t {
                        t = inner
                    } else if case .map(let inner) = t {
                        t = inner
                    } else {
                        break
                    }
                }
                if case .message(let target) = t {
                    #expect(KubeProtobuf.schema[target] != nil, "\(m.name).\(f.name) names missing \(target)")
                }
            }
        }
    }

    // MARK: A body as kubectl encodes it

    static func varint(_ v: UInt64) -> [UInt8] {
        var v = v
        var out: [UInt8] = []
        repeat {
            var b = UInt8(v & 0x7F)
            v >>= 7
            if v != 0 { b |= 0x80 }
            out.append(b)
        } while v != 0
        return out
    }
    static func field(_ n: UInt64, _ bytes: [UInt8]) -> [UInt8] {
        varint(n << 3 | 2) + varint(UInt64(bytes.count)) + bytes
    }
    static func field(_ n: UInt64, _ s: String) -> [UInt8] { field(n, Array(s.utf8)) }
    static func field(_ n: UInt64, int v: UInt64) -> [UInt8] { varint(n << 3) + varint(v) }

    @Test func aServiceDecodesToTheJSONKubectlWouldHaveSent() throws {
        let targetPort = Self.field(1, int: 0) + Self.field(2, int: 8080)  // IntOrString{type: Int, intVal}
        let port = Self.field(1, "http") + Self.field(3, int: 80) + Self.field(4, targetPort)
        let spec =
            Self.field(1, port) + Self.field(2, Self.field(1, "app") + Self.field(2, "quiz"))
            + Self.field(4, "NodePort")
        let service = Self.field(1, Self.field(1, "quiz") + Self.field(3, "kiada")) + Self.field(2, spec)
        let typeMeta = Self.field(1, "v1") + Self.field(2, "Service")
        let body = KubeProtobuf.magic + Self.field(1, typeMeta) + Self.field(2, service)
        let json = try KubeProtobuf.decode(body)
        #expect(json["kind"] == "Service" && json["apiVersion"] == "v1")
        #expect(json[path: ["metadata", "name"]] == "quiz" && json[path: ["metadata", "namespace"]] == "kiada")
        #expect(json[path: ["spec", "type"]] == "NodePort")
        #expect(json[path: ["spec", "selector", "app"]] == "quiz")
        let p = json[path: ["spec", "ports"]]?.array?.first
        #expect(p?["name"] == "http" && p?["port"] == 80 && p?["targetPort"] == 8080)
    }

    @Test func aBodyWithoutTheMagicNumberIsRefused() {
        #expect(throws: KubeProtobuf.DecodeError.self) { try KubeProtobuf.decode(Array("{}".utf8)) }
    }
}
