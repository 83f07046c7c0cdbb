// The schema of the Kubernetes protobuf wire format (the `generated.proto` files of
// k8s.io/api and k8s.io/apimachinery) for the messages Swiftlet serves, as data: one
// `Message` per protobuf message, one `Field` per field, in the files beside this one, one
// per API group. kubectl's typed commands (`kubectl create service|deployment|namespace`)
// send bodies in this format.

extension KubeProtobuf {
    /// How a field's value is encoded and what JSON it becomes.
    indirect enum FieldType: Sendable, Equatable {
        case string, int, bool, double, bytes
        /// `meta.Time` (seconds, nanos) → RFC 3339.
        case time
        /// `meta.Duration` (nanoseconds) → Go's duration text.
        case duration
        /// `util.intstr.IntOrString`.
        case intOrString
        /// `api.resource.Quantity` → its string form.
        case quantity
        /// `runtime.RawExtension`: embedded JSON bytes.
        case raw
        /// Read past, not kept (`managedFields.fieldsV1`).
        case skip
        /// Another message of the schema, by its qualified name (`core.PodSpec`).
        case message(String)
        /// A map from string to the value type.
        case map(FieldType)
        case repeated(FieldType)
    }

    struct Field: Sendable {
        let number: Int
        let name: String
        let type: FieldType

        init(_ number: Int, _ name: String, _ type: FieldType) {
            self.number = number
            self.name = name
            self.type = type
        }
    }

    struct Message: Sendable {
        /// `group.Kind` (`core.Container`, `meta.ObjectMeta`).
        let name: String
        let fields: [Field]

        init(_ name: String, _ fields: [Field]) {
            self.name = name
            self.fields = fields
        }
    }

    static let messages: [Message] =
        coreMessages + appsMessages + metaMessages + discoveryMessages + coordinationMessages + autoscalingMessages
        + authenticationMessages + rbacMessages + authorizationMessages + certificatesMessages + batchMessages
        + policyMessages

    /// Message name → field number → field.
    static let schema: [String: [Int: Field]] = Dictionary(
        messages.map { m in (m.name, Dictionary(m.fields.map { ($0.number, $0) }, uniquingKeysWith: { a, _ in a })) },
        uniquingKeysWith: { a, _ in a }
    )
}
