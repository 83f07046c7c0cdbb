"""Services at the API, as a user meets them with the real kubectl: defaults, every validation
error (and nothing stored after one), allocation and release of addresses and ports, and every
change of type."""
import ipaddress
import json
import shutil
import tempfile

import pytest

from conftest import Server


@pytest.fixture(scope="module")
def api():
    tmp = tempfile.mkdtemp(prefix="swiftlet-e2e-svc-")
    s = Server(tmp)
    s.start("--service-node-port-range", "30000-30099")
    try:
        yield s
    finally:
        s.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def svc(name, spec, annotations=None):
    meta = {"name": name, "namespace": "default"}
    if annotations:
        meta["annotations"] = annotations
    return json.dumps({"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec})


def get(api, kind, name):
    return json.loads(api.kubectl("get", kind, name, "-o", "json").stdout)


def absent(api, kind, name):
    r = api.kubectl("get", kind, name, check=False)
    return r.returncode != 0 and "NotFound" in r.stderr


def test_defaults_are_visible_in_yaml(api):
    api.kubectl("create", "-f", "-", input=svc("d-cluster", {"selector": {"app": "d"}, "ports": [{"port": 80}]}))
    api.kubectl("create", "-f", "-", input=svc("d-affinity", {"sessionAffinity": "ClientIP", "ports": [{"port": 80}]}))
    api.kubectl("create", "-f", "-", input=svc("d-lb", {"type": "LoadBalancer", "ports": [{"port": 80}]}))
    api.kubectl("create", "-f", "-", input=svc("d-headless", {"clusterIP": "None"}))
    c = get(api, "svc", "d-cluster")["spec"]
    assert c["type"] == "ClusterIP" and c["sessionAffinity"] == "None" and "sessionAffinityConfig" not in c
    assert c["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]
    assert c["internalTrafficPolicy"] == "Cluster" and "externalTrafficPolicy" not in c
    assert c["ipFamilies"] == ["IPv4"] and c["ipFamilyPolicy"] == "SingleStack" and c["clusterIPs"] == [c["clusterIP"]]
    assert ipaddress.ip_address(c["clusterIP"]) in ipaddress.ip_network("10.96.0.0/12") and "allocateLoadBalancerNodePorts" not in c
    a = get(api, "svc", "d-affinity")["spec"]
    assert a["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}
    lb = get(api, "svc", "d-lb")["spec"]
    assert lb["externalTrafficPolicy"] == "Cluster" and lb["allocateLoadBalancerNodePorts"] is True
    assert 30000 <= lb["ports"][0]["nodePort"] <= 30099
    h = get(api, "svc", "d-headless")["spec"]
    # Headless without a selector: upstream asks for both families, even on a single-stack cluster.
    assert h["clusterIPs"] == ["None"] and h["ipFamilyPolicy"] == "RequireDualStack" and h["ipFamilies"] == ["IPv4", "IPv6"]
    yaml = api.kubectl("get", "svc", "d-cluster", "-o", "yaml").stdout
    assert "internalTrafficPolicy: Cluster" in yaml and "ipFamilyPolicy: SingleStack" in yaml


# (name, spec, annotations, the causes a real API server gives — each appears in kubectl's message)
INVALID = [
    ("no-ports", {}, None, ["spec.ports: Required value"]),
    ("two-unnamed", {"ports": [{"port": 80}, {"port": 81}]}, None,
     ["spec.ports[0].name: Required value", "spec.ports[1].name: Required value"]),
    ("bad-port-name", {"ports": [{"name": "HTTP", "port": 80}]}, None,
     ['spec.ports[0].name: Invalid value: "HTTP": a lowercase RFC 1123 label must consist of']),
    ("dup-name", {"ports": [{"name": "web", "port": 80}, {"name": "web", "port": 81}]}, None,
     ['spec.ports[1].name: Duplicate value: "web"']),
    ("dup-port", {"ports": [{"name": "a", "port": 80}, {"name": "b", "port": 80}]}, None,
     ['spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, '
      'TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}']),
    ("port-range", {"ports": [{"port": 70000, "targetPort": 80}]}, None,
     ["spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive"]),
    ("protocol", {"ports": [{"port": 80, "protocol": "HTTP"}]}, None,
     ['spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"']),
    ("target-name", {"ports": [{"port": 80, "targetPort": "Web_Port"}]}, None,
     ['spec.ports[0].targetPort: Invalid value: "Web_Port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)']),
    ("Bad_Name", {"ports": [{"port": 80}]}, None,
     ['metadata.name: Invalid value: "Bad_Name": a DNS-1035 label must consist of']),
    ("out-of-range", {"clusterIP": "10.0.0.5", "ports": [{"port": 80}]}, None,
     ['spec.clusterIPs: Invalid value: []string{"10.0.0.5"}: failed to allocate IP 10.0.0.5: the provided IP (10.0.0.5) is not in the valid range. The range of valid IPs is 10.96.0.0/12']),
    ("not-an-ip", {"clusterIP": "10.96.0.300", "ports": [{"port": 80}]}, None,
     ['spec.clusterIPs[0]: Invalid value: "10.96.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']),
    ("none-nodeport", {"type": "NodePort", "clusterIP": "None", "ports": [{"port": 80}]}, None,
     ['spec.clusterIPs[0]: Invalid value: "None": may not be set to \'None\' for NodePort services']),
    ("none-lb", {"type": "LoadBalancer", "clusterIP": "None", "ports": [{"port": 80}]}, None,
     ['spec.clusterIPs[0]: Invalid value: "None": may not be set to \'None\' for LoadBalancer services']),
    ("nodeport-on-clusterip", {"ports": [{"port": 80, "nodePort": 30050}]}, None,
     ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]),
    ("nodeport-range", {"type": "NodePort", "ports": [{"port": 80, "nodePort": 31000}]}, None,
     ["spec.ports[0].nodePort: Invalid value: 31000: provided port is not in the valid range. The range of valid ports is 30000-30099"]),
    ("ext-no-name", {"type": "ExternalName"}, None, ["spec.externalName: Required value"]),
    ("ext-bad-name", {"type": "ExternalName", "externalName": "Bad_Host.example.com"}, None,
     ['spec.externalName: Invalid value: "Bad_Host.example.com": a lowercase RFC 1123 subdomain must consist of']),
    ("ext-cluster-ip", {"type": "ExternalName", "externalName": "db.example.com", "clusterIP": "10.96.0.77"}, None,
     ["spec.clusterIPs: Forbidden: may not be set for ExternalName services"]),
    ("affinity-timeout", {"sessionAffinity": "ClientIP", "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 86401}},
                          "ports": [{"port": 80}]}, None,
     ["spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 86401: must be greater than 0 and less than 86400"]),
    ("unknown-type", {"type": "Weird", "ports": [{"port": 80}]}, None,
     ['spec.type: Unsupported value: "Weird": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"']),
    ("etp-on-clusterip", {"externalTrafficPolicy": "Local", "ports": [{"port": 80}]}, None,
     ['spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services']),
    ("etp-value", {"type": "NodePort", "externalTrafficPolicy": "Nearby", "ports": [{"port": 80}]}, None,
     ['spec.externalTrafficPolicy: Unsupported value: "Nearby": supported values: "Cluster", "Local"']),
    ("itp-value", {"internalTrafficPolicy": "Nearby", "ports": [{"port": 80}]}, None,
     ['spec.internalTrafficPolicy: Unsupported value: "Nearby": supported values: "Cluster", "Local"']),
    ("hc-on-nodeport", {"type": "NodePort", "healthCheckNodePort": 30098, "ports": [{"port": 80}]}, None,
     ["spec.healthCheckNodePort: Invalid value: 30098: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"]),
    ("source-ranges", {"type": "LoadBalancer", "loadBalancerSourceRanges": ["10.1.2.3"], "ports": [{"port": 80}]}, None,
     ['spec.LoadBalancerSourceRanges[0]: Invalid value: "10.1.2.3": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)']),
    ("source-ranges-type", {"loadBalancerSourceRanges": ["10.0.0.0/8"], "ports": [{"port": 80}]}, None,
     ["spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'"]),
    ("source-ranges-annotation", {"type": "LoadBalancer", "ports": [{"port": 80}]},
     {"service.beta.kubernetes.io/load-balancer-source-ranges": "10.0.0.0/8,nope"},
     ['metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]: Invalid value: "nope": must be a valid CIDR value']),
    ("lb-class-type", {"loadBalancerClass": "example.com/lb", "ports": [{"port": 80}]}, None,
     ["spec.loadBalancerClass: Forbidden: may only be used when `type` is 'LoadBalancer'"]),
    ("alloc-lb-type", {"allocateLoadBalancerNodePorts": False, "ports": [{"port": 80}]}, None,
     ["spec.allocateLoadBalancerNodePorts: Forbidden: may only be used when `type` is 'LoadBalancer'"]),
    ("external-ip", {"externalIPs": ["127.0.0.2"], "ports": [{"port": 80}]}, None,
     ['spec.externalIPs[0]: Invalid value: "127.0.0.2": may not be in the loopback range (127.0.0.0/8, ::1/128)']),
    ("ipv6-family", {"ipFamilies": ["IPv6"], "ports": [{"port": 80}]}, None,
     ['spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster']),
    ("dual-stack", {"ipFamilyPolicy": "RequireDualStack", "ports": [{"port": 80}]}, None,
     ['spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services']),
    ("all-at-once", {"type": "NodePort", "clusterIP": "None", "sessionAffinity": "Sticky",
                     "ports": [{"port": 0, "protocol": "ICMP"}]}, None,
     ['spec.clusterIPs[0]: Invalid value: "None": may not be set to \'None\' for NodePort services',
      "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
      'spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
      "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive",  # defaulted from port
      'spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"']),
]


@pytest.mark.parametrize("name,spec,annotations,causes", INVALID, ids=[c[0] for c in INVALID])
def test_invalid_services_are_refused_with_upstream_messages(api, name, spec, annotations, causes):
    r = api.kubectl("create", "-f", "-", input=svc(name, spec, annotations), check=False)
    assert r.returncode != 0
    assert f'The Service "{name}" is invalid' in r.stderr, r.stderr
    for cause in causes:
        assert cause in r.stderr, f"{cause!r} not in {r.stderr!r}"
    if len(causes) > 1:  # kubectl lists several causes one per line
        assert r.stderr.count("\n* ") == len(causes), r.stderr
    assert absent(api, "svc", name)


def test_conflicts_and_taken_addresses(api):
    api.kubectl("create", "-f", "-", input=svc("owner", {"type": "NodePort", "clusterIP": "10.96.0.50",
                                                        "ports": [{"port": 80, "nodePort": 30050}]}))
    r = api.kubectl("create", "-f", "-", input=svc("ip-taken", {"clusterIP": "10.96.0.50", "ports": [{"port": 80}]}), check=False)
    assert 'spec.clusterIPs: Invalid value: []string{"10.96.0.50"}: failed to allocate IP 10.96.0.50: provided IP is already allocated' in r.stderr
    r = api.kubectl("create", "-f", "-", input=svc("port-taken", {"type": "NodePort", "ports": [{"port": 80, "nodePort": 30050}]}), check=False)
    assert "spec.ports[0].nodePort: Invalid value: 30050: provided port is already allocated" in r.stderr
    r = api.kubectl("create", "-f", "-", input=svc("owner", {"ports": [{"port": 80}]}), check=False)
    assert 'services "owner" already exists' in r.stderr
    assert absent(api, "svc", "ip-taken") and absent(api, "svc", "port-taken")
    # The same port number on TCP and UDP gets one node port.
    api.kubectl("create", "-f", "-", input=svc("dns-np", {"type": "NodePort", "ports": [
        {"name": "dns", "port": 53, "protocol": "UDP"}, {"name": "dns-tcp", "port": 53, "protocol": "TCP"}]}))
    ports = get(api, "svc", "dns-np")["spec"]["ports"]
    assert ports[0]["nodePort"] == ports[1]["nodePort"]
    # Released on delete: the address and the port can be asked for again at once.
    api.kubectl("delete", "svc", "owner")
    api.kubectl("create", "-f", "-", input=svc("heir", {"type": "NodePort", "clusterIP": "10.96.0.50",
                                                       "ports": [{"port": 80, "nodePort": 30050}]}))
    heir = get(api, "svc", "heir")["spec"]
    assert heir["clusterIP"] == "10.96.0.50" and heir["ports"][0]["nodePort"] == 30050


def test_rejected_updates_change_nothing(api):
    api.kubectl("create", "-f", "-", input=svc("stable", {"selector": {"app": "s"}, "ports": [{"name": "http", "port": 80}]}))
    before = get(api, "svc", "stable")
    attempts = [
        ('{"spec":{"clusterIP":"10.96.0.99"}}',
         f'spec.clusterIPs[0]: Invalid value: []string{{"10.96.0.99"}}: may not change once set'),
        ('{"spec":{"ports":[{"name":"http","port":80,"nodePort":30070}]}}',
         "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"),
        ('{"spec":{"sessionAffinity":"ClientIP","sessionAffinityConfig":{"clientIP":{"timeoutSeconds":0}}}}',
         "spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater than 0 and less than 86400"),
        ('{"spec":{"type":"NodePort","clusterIP":"None"}}', "may not change once set"),
        ('{"spec":{"externalTrafficPolicy":"Local"}}', "may only be set for externally-accessible services"),
        ('{"spec":{"type":"ExternalName"}}', "spec.externalName: Required value"),
    ]
    # `kubectl replace` with the manifest the Service was made from (no clusterIP in it).
    r = api.kubectl("replace", "-f", "-", input=svc("stable", {"selector": {"app": "s"}, "ports": [{"name": "http", "port": 80}]}),
                    check=False)
    assert "spec.clusterIPs[0]: Invalid value: []string(nil): primary clusterIP can not be unset" in r.stderr, r.stderr
    for patch, cause in attempts:
        r = api.kubectl("patch", "svc", "stable", "--type=merge", "-p", patch, check=False)
        assert r.returncode != 0 and 'The Service "stable" is invalid' in r.stderr and cause in r.stderr, (patch, r.stderr)
        after = get(api, "svc", "stable")
        assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"], patch
        assert after["spec"] == before["spec"], patch


def test_every_type_change_allocates_and_releases_like_kubernetes(api):
    api.kubectl("create", "service", "clusterip", "shape", "--tcp=80:8080")
    first = get(api, "svc", "shape")["spec"]
    ip = first["clusterIP"]

    def patch(p):
        api.kubectl("patch", "svc", "shape", "--type=merge", "-p", json.dumps(p))
        return get(api, "svc", "shape")["spec"]

    np = patch({"spec": {"type": "NodePort"}})
    node_port = np["ports"][0]["nodePort"]
    assert np["clusterIP"] == ip and 30000 <= node_port <= 30099 and np["externalTrafficPolicy"] == "Cluster"
    lb = patch({"spec": {"type": "LoadBalancer"}})
    assert lb["ports"][0]["nodePort"] == node_port and lb["allocateLoadBalancerNodePorts"] is True
    local = patch({"spec": {"externalTrafficPolicy": "Local"}})
    hc = local["healthCheckNodePort"]
    assert 30000 <= hc <= 30099 and hc != node_port
    back = patch({"spec": {"type": "ClusterIP"}})
    assert back["clusterIP"] == ip and "nodePort" not in back["ports"][0]
    assert "healthCheckNodePort" not in back and "externalTrafficPolicy" not in back and "allocateLoadBalancerNodePorts" not in back
    # The node ports went back to the pool: another Service may take them by number.
    api.kubectl("create", "-f", "-", input=svc("takes-ports", {"type": "NodePort", "ports": [
        {"name": "a", "port": 1, "nodePort": node_port}, {"name": "b", "port": 2, "nodePort": hc}]}))
    ext = patch({"spec": {"type": "ExternalName", "externalName": "db.example.com"}})
    assert "clusterIP" not in ext and "clusterIPs" not in ext and "ipFamilies" not in ext and "ipFamilyPolicy" not in ext
    assert api.kubectl("get", "svc", "shape").stdout.split("\n")[1].split()[1:4] == ["ExternalName", "<none>", "db.example.com"]
    # Its ClusterIP was released: another Service may ask for it.
    api.kubectl("create", "-f", "-", input=svc("takes-ip", {"clusterIP": ip, "ports": [{"port": 80}]}))
    again = patch({"spec": {"type": "ClusterIP", "externalName": None}})
    assert again["clusterIP"] not in ("", ip, "None") and again["ipFamilies"] == ["IPv4"]
    lb2 = patch({"spec": {"type": "LoadBalancer", "allocateLoadBalancerNodePorts": False}})
    assert "nodePort" not in lb2["ports"][0]
    np2 = patch({"spec": {"type": "NodePort", "allocateLoadBalancerNodePorts": None}})
    assert "nodePort" in np2["ports"][0] and "allocateLoadBalancerNodePorts" not in np2


def test_endpoints_and_slices_are_validated(api):
    bad_ep = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "db"},
              "subsets": [{"addresses": [{"ip": "127.0.0.1"}], "ports": [{"port": 5432}]}]}
    r = api.kubectl("create", "-f", "-", input=json.dumps(bad_ep), check=False)
    assert 'The Endpoints "db" is invalid: subsets[0].addresses[0].ip: Invalid value: "127.0.0.1": may not be in the loopback range' in r.stderr
    assert absent(api, "endpoints", "db")
    bad_slice = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "db-1"},
                 "addressType": "IPv4", "endpoints": [{"addresses": ["10.0.0.300"]}], "ports": []}
    r = api.kubectl("create", "-f", "-", input=json.dumps(bad_slice), check=False)
    assert 'The EndpointSlice "db-1" is invalid: endpoints[0].addresses[0]: Invalid value: "10.0.0.300": must be a valid IPv4 address' in r.stderr
    assert absent(api, "endpointslices", "db-1")
    good = dict(bad_ep, subsets=[{"addresses": [{"ip": "192.0.2.10"}], "ports": [{"port": 5432}]}])
    api.kubectl("create", "-f", "-", input=json.dumps(good))
    assert get(api, "endpoints", "db")["subsets"][0]["ports"][0]["protocol"] == "TCP"


def test_the_kubernetes_service(api):
    k = get(api, "svc", "kubernetes")["spec"]
    assert k["clusterIP"] == "10.96.0.1"
    assert k["ports"] == [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": api.port}]
