import Testing

@testable import KubeAPI
@testable import KubeMachinery

/// Service defaulting and validation, case by case against the text a real API server returns
/// (the upstream messages of `ValidateService`, `ValidateServiceUpdate` and their helpers).
@Suite struct ServiceRulesTests {
    static let label1123 =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    static let subdomain1123 =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    static let label1035 =
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
    static let port80 = #"{"port":80}"#

    static func service(_ spec: String, name: String = "svc", annotations: String = "{}") -> JSON {
        let text =
            #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"\#(name)","namespace":"default","annotations":\#(annotations)},"spec":\#(spec)}"#
        return try! JSON.parse(text)
    }

    /// What `kubectl create` of this spec answers: the causes, as the Status message lists them.
    static func createErrors(_ spec: String, name: String = "svc", annotations: String = "{}") -> [String] {
        var obj = service(spec, name: name, annotations: annotations)
        Resources.services.prepareForCreate(&obj)
        return Resources.services.validate(obj).map(\.description)
    }

    static let createCases: [(String, [String])] = [
        // Valid Services: no error at all.
        (#"{"ports":[{"port":80}]}"#, []),
        (#"{"type":"NodePort","ports":[{"port":80,"nodePort":30080}]}"#, []),
        (
            #"{"type":"LoadBalancer","ports":[{"name":"dns","port":53,"protocol":"UDP"},{"name":"dns-tcp","port":53,"protocol":"TCP"}]}"#,
            []
        ),
        (#"{"clusterIP":"None"}"#, []),
        (#"{"type":"ExternalName","externalName":"db.example.com."}"#, []),
        (#"{"ports":[{"port":80,"targetPort":"http-alt"}],"externalIPs":["192.0.2.10"]}"#, []),
        // Ports.
        (#"{}"#, ["spec.ports: Required value"]),
        (
            #"{"ports":[{"port":80},{"port":81}]}"#,
            ["spec.ports[0].name: Required value", "spec.ports[1].name: Required value"]
        ),
        (#"{"ports":[{"name":"HTTP","port":80}]}"#, [#"spec.ports[0].name: Invalid value: "HTTP": "# + label1123]),
        (
            #"{"ports":[{"name":"web","port":80},{"name":"web","port":81}]}"#,
            [#"spec.ports[1].name: Duplicate value: "web""#]
        ),
        // targetPort defaults to port, so it is reported too (as upstream does).
        (
            #"{"ports":[{"port":0}]}"#,
            [
                "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
                "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive",
            ]
        ),
        (
            #"{"ports":[{"port":70000,"targetPort":80}]}"#,
            ["spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive"]
        ),
        (
            #"{"ports":[{"port":80,"protocol":"HTTP"}]}"#,
            [#"spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP""#]
        ),
        (
            #"{"ports":[{"port":80,"targetPort":70000}]}"#,
            ["spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive"]
        ),
        (
            #"{"ports":[{"port":80,"targetPort":"Web_Port"}]}"#,
            [
                #"spec.ports[0].targetPort: Invalid value: "Web_Port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"#
            ]
        ),
        (
            #"{"ports":[{"port":80,"targetPort":"-a--very-long-port-"}]}"#,
            [
                #"spec.ports[0].targetPort: Invalid value: "-a--very-long-port-": must be no more than 15 characters"#,
                #"spec.ports[0].targetPort: Invalid value: "-a--very-long-port-": must not contain consecutive hyphens"#,
                #"spec.ports[0].targetPort: Invalid value: "-a--very-long-port-": must not begin or end with a hyphen"#,
            ]
        ),
        (
            #"{"ports":[{"port":80,"targetPort":"8080"}]}"#,
            [#"spec.ports[0].targetPort: Invalid value: "8080": must contain at least one letter (a-z)"#]
        ),
        (
            #"{"ports":[{"name":"a","port":80},{"name":"b","port":80}]}"#,
            [
                #"spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}"#
            ]
        ),
        (#"{"ports":[{"name":"a","port":53,"protocol":"UDP"},{"name":"b","port":53,"protocol":"TCP"}]}"#, []),
        (
            #"{"ports":[{"port":80,"appProtocol":"-bad"}]}"#,
            [
                #"spec.ports[0].appProtocol: Invalid value: "-bad": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"#
            ]
        ),
        // Name: a DNS-1035 label.
        (#"{"ports":[{"port":80}]}"#, []),
        // Type.
        (
            #"{"type":"Weird","ports":[{"port":80}]}"#,
            [
                #"spec.type: Unsupported value: "Weird": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort""#
            ]
        ),
        // Cluster IPs.
        (
            #"{"clusterIP":"10.96.0.300","ports":[{"port":80}]}"#,
            [
                #"spec.clusterIPs[0]: Invalid value: "10.96.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"#
            ]
        ),
        (
            #"{"clusterIP":"10.96.0.5","clusterIPs":["10.96.0.6"],"ports":[{"port":80}]}"#,
            [#"spec.clusterIPs: Invalid value: []string{"10.96.0.6"}: first value must match `clusterIP`"#]
        ),
        (
            #"{"clusterIPs":["10.96.0.6"],"ports":[{"port":80}]}"#,
            [#"spec.clusterIPs: Invalid value: []string{"10.96.0.6"}: must be empty when `clusterIP` is not specified"#]
        ),
        (
            #"{"clusterIP":"None","clusterIPs":["None","10.96.0.6"]}"#,
            [#"spec.clusterIPs: Invalid value: []string{"None", "10.96.0.6"}: 'None' must be the first and only value"#]
        ),
        (
            #"{"clusterIP":"10.96.0.5","clusterIPs":["10.96.0.5","10.96.0.6"],"ports":[{"port":80}]}"#,
            [
                #"spec.clusterIPs: Invalid value: []string{"10.96.0.5", "10.96.0.6"}: may specify no more than one IP for each IP family"#
            ]
        ),
        (
            #"{"clusterIP":"10.96.0.5","ipFamilies":["IPv6"],"ports":[{"port":80}]}"#,
            [#"spec.clusterIPs[0]: Invalid value: "10.96.0.5": expected an IPv6 value as indicated by `ipFamilies[0]`"#]
        ),
        (
            #"{"ipFamilies":["IPv5","IPv5"],"ports":[{"port":80}]}"#,
            [
                #"spec.ipFamilies[0]: Unsupported value: "IPv5": supported values: "IPv4", "IPv6""#,
                #"spec.ipFamilies[1]: Unsupported value: "IPv5": supported values: "IPv4", "IPv6""#,
                #"spec.ipFamilies[1]: Duplicate value: "IPv5""#,
            ]
        ),
        (
            #"{"ipFamilyPolicy":"Sometimes","ports":[{"port":80}]}"#,
            [
                #"spec.ipFamilyPolicy: Unsupported value: "Sometimes": supported values: "PreferDualStack", "RequireDualStack", "SingleStack""#
            ]
        ),
        (
            #"{"type":"NodePort","clusterIP":"None","ports":[{"port":80}]}"#,
            [#"spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for NodePort services"#]
        ),
        (
            #"{"type":"LoadBalancer","clusterIP":"None","ports":[{"port":80}]}"#,
            [#"spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for LoadBalancer services"#]
        ),
        // Node ports.
        (
            #"{"ports":[{"port":80,"nodePort":30080}]}"#,
            ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]
        ),
        (
            #"{"type":"NodePort","ports":[{"name":"a","port":80,"nodePort":30080},{"name":"b","port":81,"nodePort":30080}]}"#,
            ["spec.ports[1].nodePort: Duplicate value: 30080"]
        ),
        (
            #"{"type":"NodePort","ports":[{"name":"a","port":53,"protocol":"UDP","nodePort":30053},{"name":"b","port":53,"nodePort":30053}]}"#,
            []
        ),
        // ExternalName.
        (#"{"type":"ExternalName"}"#, ["spec.externalName: Required value"]),
        (
            #"{"type":"ExternalName","externalName":"Bad_Name.example.com"}"#,
            [#"spec.externalName: Invalid value: "Bad_Name.example.com": "# + subdomain1123]
        ),
        (
            #"{"type":"ExternalName","externalName":"db.example.com","clusterIP":"10.96.0.9"}"#,
            ["spec.clusterIPs: Forbidden: may not be set for ExternalName services"]
        ),
        (
            #"{"type":"ExternalName","externalName":"db.example.com","ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack"}"#,
            [
                "spec.ipFamilies: Forbidden: may not be set for ExternalName services",
                "spec.ipFamilyPolicy: Forbidden: may not be set for ExternalName services",
            ]
        ),
        // Session affinity.
        (
            #"{"sessionAffinity":"Cookie","ports":[{"port":80}]}"#,
            [#"spec.sessionAffinity: Unsupported value: "Cookie": supported values: "ClientIP", "None""#]
        ),
        (
            #"{"sessionAffinity":"ClientIP","sessionAffinityConfig":{"clientIP":{"timeoutSeconds":0}},"ports":[{"port":80}]}"#,
            [
                "spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater than 0 and less than 86400"
            ]
        ),
        (
            #"{"sessionAffinity":"ClientIP","sessionAffinityConfig":{"clientIP":{"timeoutSeconds":86401}},"ports":[{"port":80}]}"#,
            [
                "spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 86401: must be greater than 0 and less than 86400"
            ]
        ),
        // External IPs.
        (
            #"{"ports":[{"port":80}],"externalIPs":["1.2.3"]}"#,
            [
                #"spec.externalIPs[0]: Invalid value: "1.2.3": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"#
            ]
        ),
        (
            #"{"ports":[{"port":80}],"externalIPs":["127.0.0.2","169.254.1.1","0.0.0.0","224.0.0.5"]}"#,
            [
                #"spec.externalIPs[0]: Invalid value: "127.0.0.2": may not be in the loopback range (127.0.0.0/8, ::1/128)"#,
                #"spec.externalIPs[1]: Invalid value: "169.254.1.1": may not be in the link-local range (169.254.0.0/16, fe80::/10)"#,
                #"spec.externalIPs[2]: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)"#,
                #"spec.externalIPs[3]: Invalid value: "224.0.0.5": may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"#,
            ]
        ),
        // Traffic policies.
        (
            #"{"ports":[{"port":80}],"externalTrafficPolicy":"Local"}"#,
            [#"spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services"#]
        ),
        (#"{"ports":[{"port":80}],"externalIPs":["192.0.2.10"],"externalTrafficPolicy":"Local"}"#, []),
        (
            #"{"type":"NodePort","ports":[{"port":80}],"externalTrafficPolicy":"Nearby"}"#,
            [#"spec.externalTrafficPolicy: Unsupported value: "Nearby": supported values: "Cluster", "Local""#]
        ),
        (
            #"{"ports":[{"port":80}],"internalTrafficPolicy":"Nearby"}"#,
            [#"spec.internalTrafficPolicy: Unsupported value: "Nearby": supported values: "Cluster", "Local""#]
        ),
        (
            #"{"type":"NodePort","ports":[{"port":80}],"healthCheckNodePort":30999}"#,
            [
                "spec.healthCheckNodePort: Invalid value: 30999: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"
            ]
        ),
        (
            #"{"ports":[{"port":80}],"trafficDistribution":"Anywhere"}"#,
            [#"spec.trafficDistribution: Unsupported value: "Anywhere": supported values: "PreferClose""#]
        ),
        // LoadBalancer-only fields.
        (
            #"{"ports":[{"port":80}],"loadBalancerSourceRanges":["10.0.0.0/8"]}"#,
            ["spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'"]
        ),
        (
            #"{"type":"LoadBalancer","ports":[{"port":80}],"loadBalancerSourceRanges":["10.0.0.0/8"," 192.168.0.0/16 ","10.1.2.3","10.0.0.0/33"]}"#,
            [
                #"spec.LoadBalancerSourceRanges[2]: Invalid value: "10.1.2.3": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"#,
                #"spec.LoadBalancerSourceRanges[3]: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"#,
            ]
        ),
        (
            #"{"ports":[{"port":80}],"allocateLoadBalancerNodePorts":false}"#,
            ["spec.allocateLoadBalancerNodePorts: Forbidden: may only be used when `type` is 'LoadBalancer'"]
        ),
        (
            #"{"ports":[{"port":80}],"loadBalancerClass":"example.com/lb"}"#,
            ["spec.loadBalancerClass: Forbidden: may only be used when `type` is 'LoadBalancer'"]
        ),
        (
            #"{"type":"LoadBalancer","ports":[{"port":80}],"loadBalancerClass":"bad class"}"#,
            [
                #"spec.loadBalancerClass: Invalid value: "bad class": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"#
            ]
        ),
        // Mixed protocols on one LoadBalancer are allowed (MixedProtocolLBService is GA).
        (#"{"type":"LoadBalancer","ports":[{"name":"a","port":53,"protocol":"UDP"},{"name":"b","port":80}]}"#, []),
        // Selector values are label values.
        (
            #"{"ports":[{"port":80}],"selector":{"app":"not valid"}}"#,
            [
                #"spec.selector: Invalid value: "not valid": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"#
            ]
        ),
        // Every error at once, in upstream's order.
        (
            #"{"type":"NodePort","clusterIP":"None","sessionAffinity":"Sticky","ports":[{"port":0,"protocol":"ICMP"}]}"#,
            [
                #"spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for NodePort services"#,
                "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
                #"spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP""#,
                "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive",
                #"spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None""#,
            ]
        ),
    ]

    @Test(arguments: createCases)
    func createValidation(spec: String, expected: [String]) {
        #expect(Self.createErrors(spec) == expected)
    }

    @Test func nameIsADNS1035Label() {
        #expect(
            Self.createErrors(Self.port80Spec, name: "1st") == [
                #"metadata.name: Invalid value: "1st": "# + Self.label1035
            ]
        )
        #expect(
            Self.createErrors(Self.port80Spec, name: "web.v1") == [
                #"metadata.name: Invalid value: "web.v1": "# + Self.label1035
            ]
        )
        #expect(Self.createErrors(Self.port80Spec, name: "web-1") == [])
    }
    static let port80Spec = #"{"ports":[{"port":80}]}"#

    @Test func sourceRangesAnnotation() {
        let key = "service.beta.kubernetes.io/load-balancer-source-ranges"
        #expect(
            Self.createErrors(
                #"{"type":"LoadBalancer","ports":[{"port":80}]}"#,
                annotations: #"{"\#(key)":"10.0.0.0/8, 192.168.0.0/16"}"#
            ) == []
        )
        #expect(
            Self.createErrors(
                #"{"type":"LoadBalancer","ports":[{"port":80}]}"#,
                annotations: #"{"\#(key)":"10.0.0.0/8,nope"}"#
            )
                == [
                    #"metadata.annotations[\#(key)]: Invalid value: "nope": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"#
                ]
        )
        #expect(
            Self.createErrors(Self.port80Spec, annotations: #"{"\#(key)":"10.0.0.0/8"}"#)
                == ["metadata.annotations[\(key)]: Forbidden: may only be used when `type` is 'LoadBalancer'"]
        )
    }

    static let defaultCases: [(String, [String: JSON])] = [
        (
            #"{"ports":[{"port":80}]}"#,
            [
                "type": "ClusterIP", "sessionAffinity": "None", "internalTrafficPolicy": "Cluster",
                "ports": [["port": 80, "protocol": "TCP", "targetPort": 80]],
            ]
        ),
        (
            #"{"sessionAffinity":"ClientIP","ports":[{"port":80,"targetPort":"web"}]}"#,
            [
                "sessionAffinityConfig": ["clientIP": ["timeoutSeconds": 10800]],
                "ports": [["port": 80, "protocol": "TCP", "targetPort": "web"]],
            ]
        ),
        (
            #"{"type":"NodePort","ports":[{"port":80}]}"#,
            ["externalTrafficPolicy": "Cluster", "internalTrafficPolicy": "Cluster"]
        ),
        (
            #"{"type":"LoadBalancer","ports":[{"port":80}]}"#,
            ["externalTrafficPolicy": "Cluster", "allocateLoadBalancerNodePorts": true]
        ),
        (#"{"ports":[{"port":80}],"externalIPs":["192.0.2.10"]}"#, ["externalTrafficPolicy": "Cluster"]),
        (#"{"type":"ExternalName","externalName":"db.example.com"}"#, ["sessionAffinity": "None"]),
        (#"{"clusterIP":"10.96.0.20","ports":[{"port":80}]}"#, ["clusterIPs": ["10.96.0.20"]]),
    ]

    @Test(arguments: defaultCases)
    func defaults(spec: String, expected: [String: JSON]) {
        var obj = Self.service(spec)
        Resources.services.prepareForCreate(&obj)
        for (key, value) in expected {
            #expect(obj[path: ["spec", key]] == value, "spec.\(key)")
        }
    }

    @Test func defaultsLeaveWhatDoesNotApply() {
        for spec in [#"{"ports":[{"port":80}]}"#, #"{"type":"ExternalName","externalName":"db.example.com"}"#] {
            var obj = Self.service(spec)
            Resources.services.prepareForCreate(&obj)
            #expect(obj[path: ["spec", "externalTrafficPolicy"]] == nil)
            #expect(obj[path: ["spec", "allocateLoadBalancerNodePorts"]] == nil)
            #expect(obj[path: ["spec", "sessionAffinityConfig"]] == nil)
        }
        var ext = Self.service(#"{"type":"ExternalName","externalName":"db.example.com"}"#)
        Resources.services.prepareForCreate(&ext)
        #expect(ext[path: ["spec", "internalTrafficPolicy"]] == nil)
    }

    /// (stored spec, new spec, errors) for updates through PUT.
    static let updateCases: [(String, String, [String])] = [
        (
            #"{"clusterIP":"10.96.0.5","clusterIPs":["10.96.0.5"],"ports":[{"port":80}]}"#,
            #"{"clusterIP":"10.96.0.6","clusterIPs":["10.96.0.5"],"ports":[{"port":80}]}"#,
            [#"spec.clusterIPs[0]: Invalid value: []string{"10.96.0.6"}: may not change once set"#]
        ),
        (
            #"{"clusterIP":"10.96.0.5","clusterIPs":["10.96.0.5"],"ports":[{"port":80}]}"#,
            #"{"clusterIP":"10.96.0.5","ports":[{"port":81}]}"#, []
        ),
        // `kubectl replace` with a manifest that never had a clusterIP.
        (
            #"{"clusterIP":"10.96.0.5","clusterIPs":["10.96.0.5"],"ports":[{"port":80}]}"#,
            #"{"ports":[{"port":80}]}"#,
            ["spec.clusterIPs[0]: Invalid value: []string(nil): primary clusterIP can not be unset"]
        ),
        (
            #"{"clusterIP":"None","clusterIPs":["None"],"ports":[{"port":80}]}"#,
            #"{"clusterIP":"None","clusterIPs":["None"]}"#, []
        ),
        (
            #"{"type":"LoadBalancer","loadBalancerClass":"example.com/a","ports":[{"port":80}]}"#,
            #"{"type":"LoadBalancer","loadBalancerClass":"example.com/b","ports":[{"port":80}]}"#,
            [#"spec.loadBalancerClass: Invalid value: "example.com/b": may not change once set"#]
        ),
        (
            #"{"type":"LoadBalancer","ports":[{"port":80}]}"#,
            #"{"type":"LoadBalancer","loadBalancerClass":"example.com/b","ports":[{"port":80}]}"#,
            [#"spec.loadBalancerClass: Invalid value: "example.com/b": may not change once set"#]
        ),
        (
            #"{"type":"LoadBalancer","externalTrafficPolicy":"Local","healthCheckNodePort":31000,"ports":[{"port":80}]}"#,
            #"{"type":"LoadBalancer","externalTrafficPolicy":"Local","healthCheckNodePort":31001,"ports":[{"port":80}]}"#,
            ["spec.healthCheckNodePort: Forbidden: field is immutable"]
        ),
    ]

    @Test(arguments: updateCases)
    func updateValidation(old: String, new: String, expected: [String]) {
        var stored = Self.service(old)
        Resources.services.prepareForCreate(&stored)
        var obj = Self.service(new)
        Resources.services.prepareForUpdate(&obj, old: stored)
        #expect(Resources.services.validateUpdate(obj, old: stored).map(\.description) == expected)
    }
}

@Suite struct EndpointsRulesTests {
    static func errors(_ resource: Resource, _ text: String) -> [String] {
        var obj = try! JSON.parse(text)
        resource.prepareForCreate(&obj)
        return resource.validate(obj).map(\.description)
    }

    static func endpoints(_ subsets: String) -> String {
        #"{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"db","namespace":"default"},"subsets":\#(subsets)}"#
    }

    static func slice(_ type: String, _ endpoints: String, ports: String = "[]") -> String {
        #"{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"db-1","namespace":"default"},"addressType":"\#(type)","endpoints":\#(endpoints),"ports":\#(ports)}"#
    }

    static let endpointsCases: [(String, [String])] = [
        (#"[{"addresses":[{"ip":"192.0.2.1"}],"ports":[{"port":5432}]}]"#, []),
        (
            #"[{"ports":[{"port":5432}]}]"#,
            ["subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`"]
        ),
        (
            #"[{"addresses":[{"ip":"db.example.com"}]}]"#,
            [
                #"subsets[0].addresses[0].ip: Invalid value: "db.example.com": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"#,
                #"subsets[0].addresses[0].ip: Invalid value: "db.example.com": must be a valid IP address"#,
            ]
        ),
        (
            #"[{"notReadyAddresses":[{"ip":"127.0.0.1"}]}]"#,
            [
                #"subsets[0].notReadyAddresses[0].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)"#
            ]
        ),
        (
            #"[{"addresses":[{"ip":"192.0.2.1","hostname":"DB"}]}]"#,
            [#"subsets[0].addresses[0].hostname: Invalid value: "DB": "# + ServiceRulesTests.label1123]
        ),
        (
            #"[{"addresses":[{"ip":"192.0.2.1"}],"ports":[{"port":5432},{"port":5433}]}]"#,
            ["subsets[0].ports[0].name: Required value", "subsets[0].ports[1].name: Required value"]
        ),
        (
            #"[{"addresses":[{"ip":"192.0.2.1"}],"ports":[{"port":0,"protocol":"HTTP"}]}]"#,
            [
                "subsets[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
                #"subsets[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP""#,
            ]
        ),
    ]

    @Test(arguments: endpointsCases)
    func endpointsValidation(subsets: String, expected: [String]) {
        #expect(Self.errors(Resources.endpoints, Self.endpoints(subsets)) == expected)
    }

    static let sliceCases: [(String, String, [String])] = [
        ("IPv4", #"[{"addresses":["10.244.1.5"]}]"#, []),
        (
            "IPv4", #"[{"addresses":["10.244.1.300"]}]"#,
            [#"endpoints[0].addresses[0]: Invalid value: "10.244.1.300": must be a valid IPv4 address"#]
        ),
        (
            "IPv4", #"[{"addresses":["fd00::1"]}]"#,
            [#"endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address"#]
        ),
        (
            "IPv4", #"[{"addresses":["127.0.0.1"]}]"#,
            [
                #"endpoints[0].addresses[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)"#
            ]
        ),
        (
            "IPv6", #"[{"addresses":["10.0.0.1"]}]"#,
            [#"endpoints[0].addresses[0]: Invalid value: "10.0.0.1": must be a valid IPv6 address"#]
        ),
        (
            "IPv6", #"[{"addresses":["fe80::1"]}]"#,
            [
                #"endpoints[0].addresses[0]: Invalid value: "fe80::1": may not be in the link-local range (169.254.0.0/16, fe80::/10)"#
            ]
        ),
        ("IPv4", #"[{"addresses":[]}]"#, ["endpoints[0].addresses: Required value: must contain at least 1 address"]),
        ("IPv7", #"[]"#, [#"addressType: Unsupported value: "IPv7": supported values: "FQDN", "IPv4", "IPv6""#]),
    ]

    @Test(arguments: sliceCases)
    func sliceValidation(type: String, endpoints: String, expected: [String]) {
        #expect(Self.errors(Resources.endpointslices, Self.slice(type, endpoints)) == expected)
    }
}
