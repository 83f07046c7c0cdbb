/// Label and annotation names that several components read or write, spelled once.
public enum WellKnownLabels {
    /// On an EndpointSlice: the Service it belongs to.
    public static let serviceName = "kubernetes.io/service-name"
    /// On an EndpointSlice: the controller that manages it.
    public static let managedBy = "endpointslice.kubernetes.io/managed-by"
    /// On a Service or EndpointSlice: another proxy implementation owns it.
    public static let serviceProxyName = "service.kubernetes.io/service-proxy-name"
    /// On an EndpointSlice of a headless Service: no proxy programs it.
    public static let headless = "service.kubernetes.io/headless"
    /// On Endpoints: the mirroring controller leaves them alone.
    public static let skipMirror = "endpointslice.kubernetes.io/skip-mirror"
    /// On a Node: its name.
    public static let hostname = "kubernetes.io/hostname"
}
