import KubeMachinery

/// Roles, ClusterRoles and their bindings (`rbac.authorization.k8s.io/v1`), validated with
/// upstream's field paths and messages.
public enum RBACRules {
    public static let group = "rbac.authorization.k8s.io"

    static func ruleErrors(_ obj: JSON, namespaced: Bool) -> [FieldError] {
        var errs: [FieldError] = []
        for (i, rule) in (obj["rules"]?.array ?? []).enumerated() {
            let path = "rules[\(i)]"
            let verbs = rule["verbs"]?.array ?? []
            if verbs.isEmpty { errs.append(.required("\(path).verbs", "verbs must contain at least one value")) }
            let urls = rule["nonResourceURLs"]?.array ?? []
            if !urls.isEmpty {
                if namespaced {
                    errs.append(
                        .invalid(
                            "\(path).nonResourceURLs",
                            rule["nonResourceURLs"] ?? .null,
                            "namespaced rules cannot apply to non-resource URLs"
                        )
                    )
                }
                if !(rule["apiGroups"]?.array ?? []).isEmpty || !(rule["resources"]?.array ?? []).isEmpty {
                    errs.append(
                        .invalid(
                            "\(path).nonResourceURLs",
                            rule["nonResourceURLs"] ?? .null,
                            "rules cannot apply to both regular resources and non-resource URLs"
                        )
                    )
                }
                continue
            }
            if (rule["apiGroups"]?.array ?? []).isEmpty {
                errs.append(.required("\(path).apiGroups", "resource rules must supply at least one api group"))
            }
            if (rule["resources"]?.array ?? []).isEmpty {
                errs.append(.required("\(path).resources", "resource rules must supply at least one resource"))
            }
        }
        return errs
    }

    static func bindingErrors(_ obj: JSON, namespaced: Bool) -> [FieldError] {
        var errs: [FieldError] = []
        let ref = obj["roleRef"] ?? .null
        let kinds = namespaced ? ["Role", "ClusterRole"] : ["ClusterRole"]
        let kind = ref["kind"]?.string ?? ""
        if !kinds.contains(kind) { errs.append(.notSupported("roleRef.kind", .string(kind), kinds)) }
        let apiGroup = ref["apiGroup"]?.string ?? ""
        if apiGroup != group { errs.append(.notSupported("roleRef.apiGroup", .string(apiGroup), [group])) }
        let name = ref["name"]?.string ?? ""
        if name.isEmpty {
            errs.append(.required("roleRef.name"))
        } else {
            for m in Validation.pathSegmentNameErrors(name) { errs.append(.invalid("roleRef.name", .string(name), m)) }
        }
        for (i, s) in (obj["subjects"]?.array ?? []).enumerated() {
            let path = "subjects[\(i)]"
            let sname = s["name"]?.string ?? ""
            if sname.isEmpty { errs.append(.required("\(path).name")) }
            switch s["kind"]?.string ?? "" {
            case "ServiceAccount":
                if let g = s["apiGroup"]?.string, !g.isEmpty {
                    errs.append(.notSupported("\(path).apiGroup", .string(g), [""]))
                }
                if !namespaced, (s["namespace"]?.string ?? "").isEmpty { errs.append(.required("\(path).namespace")) }
                if !sname.isEmpty {
                    for m in Validation.dns1123SubdomainErrors(sname) {
                        errs.append(.invalid("\(path).name", .string(sname), m))
                    }
                }
            case "User", "Group":
                let g = s["apiGroup"]?.string ?? ""
                if g != group { errs.append(.notSupported("\(path).apiGroup", .string(g), [group])) }
            case let other:
                errs.append(.notSupported("\(path).kind", .string(other), ["ServiceAccount", "User", "Group"]))
            }
        }
        return errs
    }

    static func roleRefUnchanged(_ new: JSON, _ old: JSON) -> [FieldError] {
        guard new["roleRef"] != old["roleRef"] else { return [] }
        return [.invalid("roleRef", new["roleRef"] ?? .null, "cannot change roleRef")]
    }

    /// `Role/view`, as kubectl's ROLE column shows it.
    static func roleCell(_ obj: JSON) -> JSON {
        .string("\(obj[path: ["roleRef", "kind"]]?.string ?? "")/\(obj[path: ["roleRef", "name"]]?.string ?? "")")
    }

    static func subjectsCell(_ obj: JSON, kind: String) -> JSON {
        let names = (obj["subjects"]?.array ?? []).filter { $0["kind"]?.string == kind }.map { s in
            kind == "ServiceAccount"
                ? "\(s["namespace"]?.string ?? obj.namespace)/\(s["name"]?.string ?? "")" : s["name"]?.string ?? ""
        }
        return .string(names.joined(separator: ", "))
    }

    static let createdAt = TableColumn(
        "Created At",
        type: "date",
        "CreationTimestamp is a timestamp representing the server time when this object was created."
    )
    static let bindingColumns = [
        TableColumn("Role", "RoleRef is the role the subjects are bound to."), TableColumn.age,
        TableColumn("Users", priority: 1, "Users in the binding"),
        TableColumn("Groups", priority: 1, "Groups in the binding"),
        TableColumn("ServiceAccounts", priority: 1, "ServiceAccounts in the binding"),
    ]

    static func bindingCells(_ obj: JSON, _ now: Timestamp) -> [JSON] {
        [
            roleCell(obj), .string(age(obj, now)), subjectsCell(obj, kind: "User"), subjectsCell(obj, kind: "Group"),
            subjectsCell(obj, kind: "ServiceAccount"),
        ]
    }

    static func createdCell(_ obj: JSON) -> [JSON] {
        [obj[path: ["metadata", "creationTimestamp"]] ?? .null]
    }

    /// User and Group subjects default their apiGroup to RBAC's; ServiceAccounts to "".
    static func defaultSubjects(_ obj: inout JSON) {
        guard var subjects = obj["subjects"]?.array else { return }
        for i in subjects.indices where subjects[i]["apiGroup"] == nil {
            switch subjects[i]["kind"]?.string {
            case "User", "Group": subjects[i]["apiGroup"] = .string(group)
            case "ServiceAccount": subjects[i]["apiGroup"] = ""
            default: break
            }
        }
        obj["subjects"] = .array(subjects)
    }

    static let role = ResourceRules(
        nameErrors: Validation.pathSegmentNameErrors,
        validate: { ruleErrors($0, namespaced: true) },
        columns: [createdAt],
        cells: { obj, _ in createdCell(obj) }
    )
    static let clusterRole = ResourceRules(
        nameErrors: Validation.pathSegmentNameErrors,
        validate: { ruleErrors($0, namespaced: false) },
        columns: [createdAt],
        cells: { obj, _ in createdCell(obj) }
    )
    static let roleBinding = ResourceRules(
        nameErrors: Validation.pathSegmentNameErrors,
        defaults: defaultSubjects,
        validate: { bindingErrors($0, namespaced: true) },
        validateUpdate: roleRefUnchanged,
        columns: bindingColumns,
        cells: bindingCells
    )
    static let clusterRoleBinding = ResourceRules(
        nameErrors: Validation.pathSegmentNameErrors,
        defaults: defaultSubjects,
        validate: { bindingErrors($0, namespaced: false) },
        validateUpdate: roleRefUnchanged,
        columns: bindingColumns,
        cells: bindingCells
    )
}
