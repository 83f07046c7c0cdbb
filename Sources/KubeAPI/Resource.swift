import KubeMachinery

/// One served resource type: its names, scope, subresources, and the pure rules that
/// shape its objects (defaulting, validation, table columns, selectable fields).
public struct Resource: Sendable {
    public let group: String
    public let version: String
    public let kind: String
    public let plural: String
    public let singular: String
    public let namespaced: Bool
    public let shortNames: [String]
    public let categories: [String]
    public let hasStatus: Bool
    public let hasScale: Bool
    /// `metadata.generation` counts changes to everything but status and metadata.
    public let tracksGeneration: Bool
    /// DELETE leaves the object in place with a `deletionTimestamp` for its owner to finish
    /// (pods on a node wait for their kubelet).
    public let verbs: [String]
    let rules: ResourceRules

    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    public var listKind: String { kind + "List" }
    /// `services` or `deployments.apps`, as messages name it.
    public var qualifiedName: String { group.isEmpty ? plural : "\(plural).\(group)" }

    init(
        group: String = "",
        version: String = "v1",
        kind: String,
        plural: String,
        namespaced: Bool = true,
        shortNames: [String] = [],
        categories: [String] = [],
        hasStatus: Bool = false,
        hasScale: Bool = false,
        tracksGeneration: Bool = false,
        verbs: [String] = Resource.allVerbs,
        rules: ResourceRules
    ) {
        self.group = group
        self.version = version
        self.kind = kind
        self.plural = plural
        self.singular = kind.lowercased()
        self.namespaced = namespaced
        self.shortNames = shortNames
        self.categories = categories
        self.hasStatus = hasStatus
        self.hasScale = hasScale
        self.tracksGeneration = tracksGeneration
        self.verbs = verbs
        self.rules = rules
    }

    public static let allVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

    // MARK: The rules, as pure functions

    /// Resets what a client may not set on create (status of most kinds) and fills defaults.
    public func prepareForCreate(_ obj: inout JSON) {
        rules.prepareForCreate(&obj)
        rules.defaults(&obj)
    }

    /// Carries over what a client may not change through the main resource (status), fills defaults.
    public func prepareForUpdate(_ new: inout JSON, old: JSON) {
        if hasStatus { new["status"] = old["status"] }
        rules.prepareForUpdate(&new, old)
        rules.defaults(&new)
    }

    /// A `/status` write changes only status: everything else comes from the stored object.
    public func prepareForStatusUpdate(_ new: inout JSON, old: JSON) {
        var merged = old
        merged["status"] = new["status"]
        rules.prepareForStatusUpdate(&merged, old)
        new = merged
    }

    public func applyDefaults(_ obj: inout JSON) { rules.defaults(&obj) }

    public func validate(_ obj: JSON) -> [FieldError] {
        validateObjectMeta(obj) + rules.validate(obj)
    }

    public func validateUpdate(_ new: JSON, old: JSON) -> [FieldError] {
        var errs = validateObjectMeta(new)
        errs += rules.validateUpdate(new, old)
        errs += rules.validate(new)
        return errs
    }

    public func validateStatusUpdate(_ new: JSON, old: JSON) -> [FieldError] {
        rules.validateStatus(new)
    }

    /// Whether `fieldSelector` may name `field` for this kind (upstream answers any other with
    /// 400 `field label not supported`).
    public func supportsFieldLabel(_ field: String) -> Bool { fieldValue(.emptyObject, field) != nil }

    /// The values of the fields `fieldSelector` may use for this kind; nil for a field that
    /// is not one of them.
    public func fieldValue(_ obj: JSON, _ field: String) -> String? {
        switch field {
        case "metadata.name": return obj.name
        case "metadata.namespace": return obj.namespace
        default: return rules.fieldValue(obj, field)
        }
    }

    public var tableColumns: [TableColumn] { TableColumn.name + rules.columns }

    public func tableCells(_ obj: JSON, now: Timestamp) -> [JSON] {
        [.string(rules.nameCell(obj))] + rules.cells(obj, now)
    }

    func validateObjectMeta(_ obj: JSON) -> [FieldError] {
        var errs: [FieldError] = []
        let name = obj.name
        if name.isEmpty {
            errs.append(.required("metadata.name", "name or generateName is required"))
        } else {
            for m in rules.nameErrors(name) { errs.append(.invalid("metadata.name", .string(name), m)) }
        }
        if namespaced {
            if obj.namespace.isEmpty { errs.append(.required("metadata.namespace")) }
        } else if !obj.namespace.isEmpty {
            errs.append(.forbidden("metadata.namespace", "not allowed on this type"))
        }
        errs += Validation.validateLabels(obj[path: ["metadata", "labels"]], path: "metadata.labels")
        errs += Validation.validateAnnotations(obj[path: ["metadata", "annotations"]], path: "metadata.annotations")
        return errs
    }
}

/// The kind-specific parts of a `Resource`; every rule defaults to doing nothing.
struct ResourceRules: Sendable {
    var nameErrors: @Sendable (String) -> [String] = Validation.dns1123SubdomainErrors
    var prepareForCreate: @Sendable (inout JSON) -> Void = { _ in }
    var prepareForUpdate: @Sendable (inout JSON, JSON) -> Void = { _, _ in }
    var prepareForStatusUpdate: @Sendable (inout JSON, JSON) -> Void = { _, _ in }
    var defaults: @Sendable (inout JSON) -> Void = { _ in }
    var validate: @Sendable (JSON) -> [FieldError] = { _ in [] }
    var validateUpdate: @Sendable (JSON, JSON) -> [FieldError] = { _, _ in [] }
    var validateStatus: @Sendable (JSON) -> [FieldError] = { _ in [] }
    var fieldValue: @Sendable (JSON, String) -> String? = { _, _ in nil }
    /// The NAME column's text (StorageClasses mark the default one).
    var nameCell: @Sendable (JSON) -> String = { $0.name }
    var columns: [TableColumn] = [TableColumn.age]
    var cells: @Sendable (JSON, Timestamp) -> [JSON] = { obj, now in [.string(age(obj, now))] }
}

/// A column of a server-side `Table`, as `kubectl get` prints it.
public struct TableColumn: Sendable {
    public var name: String
    public var type: String
    public var format: String
    public var description: String
    public var priority: Int

    init(_ name: String, type: String = "string", format: String = "", priority: Int = 0, _ description: String = "") {
        self.name = name
        self.type = type
        self.format = format
        self.description = description
        self.priority = priority
    }

    static let name = [TableColumn("Name", format: "name", "Name must be unique within a namespace.")]
    static let age = TableColumn(
        "Age",
        "CreationTimestamp is a timestamp representing the server time when this object was created."
    )

    public var json: JSON {
        [
            "name": .string(name), "type": .string(type), "format": .string(format),
            "description": .string(description),
            "priority": JSON(priority),
        ]
    }
}

func age(_ obj: JSON, _ now: Timestamp) -> String {
    guard let created = obj[path: ["metadata", "creationTimestamp"]]?.string.flatMap(Timestamp.init(rfc3339:)) else {
        return "<unknown>"
    }
    return humanDuration(seconds: now.seconds - created.seconds)
}
