// Field numbers of core/v1 (k8s.io/api/core/v1) messages, as its `generated.proto` states them: facts of the
// wire format, one message per entry and one field per line.

extension KubeProtobuf {
    static let coreMessages: [Message] = [
        Message(
            "core.AWSElasticBlockStoreVolumeSource",
            [
                Field(1, "volumeID", .string),
                Field(2, "fsType", .string),
                Field(3, "partition", .int),
                Field(4, "readOnly", .bool),
            ]
        ),
        Message(
            "core.Affinity",
            [
                Field(1, "nodeAffinity", .message("core.NodeAffinity")),
                Field(2, "podAffinity", .message("core.PodAffinity")),
                Field(3, "podAntiAffinity", .message("core.PodAntiAffinity")),
            ]
        ),
        Message(
            "core.AppArmorProfile",
            [
                Field(1, "type", .string),
                Field(2, "localhostProfile", .string),
            ]
        ),
        Message(
            "core.AttachedVolume",
            [
                Field(1, "name", .string),
                Field(2, "devicePath", .string),
            ]
        ),
        Message(
            "core.AzureDiskVolumeSource",
            [
                Field(1, "diskName", .string),
                Field(2, "diskURI", .string),
                Field(3, "cachingMode", .string),
                Field(4, "fsType", .string),
                Field(5, "readOnly", .bool),
                Field(6, "kind", .string),
            ]
        ),
        Message(
            "core.AzureFileVolumeSource",
            [
                Field(1, "secretName", .string),
                Field(2, "shareName", .string),
                Field(3, "readOnly", .bool),
            ]
        ),
        Message(
            "core.Binding",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "target", .message("core.ObjectReference")),
            ]
        ),
        Message(
            "core.CSIVolumeSource",
            [
                Field(1, "driver", .string),
                Field(2, "readOnly", .bool),
                Field(3, "fsType", .string),
                Field(4, "volumeAttributes", .map(.string)),
                Field(5, "nodePublishSecretRef", .message("core.LocalObjectReference")),
            ]
        ),
        Message(
            "core.Capabilities",
            [
                Field(1, "add", .repeated(.string)),
                Field(2, "drop", .repeated(.string)),
            ]
        ),
        Message(
            "core.CephFSVolumeSource",
            [
                Field(1, "monitors", .repeated(.string)),
                Field(2, "path", .string),
                Field(3, "user", .string),
                Field(4, "secretFile", .string),
                Field(5, "secretRef", .message("core.LocalObjectReference")),
                Field(6, "readOnly", .bool),
            ]
        ),
        Message(
            "core.CinderVolumeSource",
            [
                Field(1, "volumeID", .string),
                Field(2, "fsType", .string),
                Field(3, "readOnly", .bool),
                Field(4, "secretRef", .message("core.LocalObjectReference")),
            ]
        ),
        Message(
            "core.ClientIPConfig",
            [
                Field(1, "timeoutSeconds", .int)
            ]
        ),
        Message(
            "core.ClusterTrustBundleProjection",
            [
                Field(1, "name", .string),
                Field(2, "signerName", .string),
                Field(3, "labelSelector", .message("meta.LabelSelector")),
                Field(5, "optional", .bool),
                Field(4, "path", .string),
                Field(6, "user", .int),
            ]
        ),
        Message(
            "core.ConfigMap",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "data", .map(.string)),
                Field(3, "binaryData", .map(.bytes)),
                Field(4, "immutable", .bool),
            ]
        ),
        Message(
            "core.ConfigMapEnvSource",
            [
                Field(1, "localObjectReference", .message("core.LocalObjectReference")),
                Field(2, "optional", .bool),
            ]
        ),
        Message(
            "core.ConfigMapKeySelector",
            [
                Field(1, "localObjectReference", .message("core.LocalObjectReference")),
                Field(2, "key", .string),
                Field(3, "optional", .bool),
            ]
        ),
        Message(
            "core.ConfigMapNodeConfigSource",
            [
                Field(1, "namespace", .string),
                Field(2, "name", .string),
                Field(3, "uid", .string),
                Field(4, "resourceVersion", .string),
                Field(5, "kubeletConfigKey", .string),
            ]
        ),
        Message(
            "core.ConfigMapProjection",
            [
                Field(1, "localObjectReference", .message("core.LocalObjectReference")),
                Field(2, "items", .repeated(.message("core.KeyToPath"))),
                Field(4, "optional", .bool),
            ]
        ),
        Message(
            "core.ConfigMapVolumeSource",
            [
                Field(1, "localObjectReference", .message("core.LocalObjectReference")),
                Field(2, "items", .repeated(.message("core.KeyToPath"))),
                Field(3, "defaultMode", .int),
                Field(4, "optional", .bool),
                Field(5, "defaultUser", .int),
            ]
        ),
        Message(
            "core.Container",
            [
                Field(1, "name", .string),
                Field(2, "image", .string),
                Field(3, "command", .repeated(.string)),
                Field(4, "args", .repeated(.string)),
                Field(5, "workingDir", .string),
                Field(6, "ports", .repeated(.message("core.ContainerPort"))),
                Field(19, "envFrom", .repeated(.message("core.EnvFromSource"))),
                Field(7, "env", .repeated(.message("core.EnvVar"))),
                Field(8, "resources", .message("core.ResourceRequirements")),
                Field(23, "resizePolicy", .repeated(.message("core.ContainerResizePolicy"))),
                Field(24, "restartPolicy", .string),
                Field(25, "restartPolicyRules", .repeated(.message("core.ContainerRestartRule"))),
                Field(9, "volumeMounts", .repeated(.message("core.VolumeMount"))),
                Field(21, "volumeDevices", .repeated(.message("core.VolumeDevice"))),
                Field(10, "livenessProbe", .message("core.Probe")),
                Field(11, "readinessProbe", .message("core.Probe")),
                Field(22, "startupProbe", .message("core.Probe")),
                Field(12, "lifecycle", .message("core.Lifecycle")),
                Field(13, "terminationMessagePath", .string),
                Field(20, "terminationMessagePolicy", .string),
                Field(14, "imagePullPolicy", .string),
                Field(15, "securityContext", .message("core.SecurityContext")),
                Field(16, "stdin", .bool),
                Field(17, "stdinOnce", .bool),
                Field(18, "tty", .bool),
            ]
        ),
        Message(
            "core.ContainerExtendedResourceRequest",
            [
                Field(1, "containerName", .string),
                Field(2, "resourceName", .string),
                Field(3, "requestName", .string),
            ]
        ),
        Message(
            "core.ContainerImage",
            [
                Field(1, "names", .repeated(.string)),
                Field(2, "sizeBytes", .int),
            ]
        ),
        Message(
            "core.ContainerPort",
            [
                Field(1, "name", .string),
                Field(2, "hostPort", .int),
                Field(3, "containerPort", .int),
                Field(4, "protocol", .string),
                Field(5, "hostIP", .string),
            ]
        ),
        Message(
            "core.ContainerResizePolicy",
            [
                Field(1, "resourceName", .string),
                Field(2, "restartPolicy", .string),
            ]
        ),
        Message(
            "core.ContainerRestartRule",
            [
                Field(1, "action", .string),
                Field(2, "exitCodes", .message("core.ContainerRestartRuleOnExitCodes")),
            ]
        ),
        Message(
            "core.ContainerRestartRuleOnExitCodes",
            [
                Field(1, "operator", .string),
                Field(2, "values", .repeated(.int)),
            ]
        ),
        Message(
            "core.ContainerState",
            [
                Field(1, "waiting", .message("core.ContainerStateWaiting")),
                Field(2, "running", .message("core.ContainerStateRunning")),
                Field(3, "terminated", .message("core.ContainerStateTerminated")),
            ]
        ),
        Message(
            "core.ContainerStateRunning",
            [
                Field(1, "startedAt", .time)
            ]
        ),
        Message(
            "core.ContainerStateTerminated",
            [
                Field(1, "exitCode", .int),
                Field(2, "signal", .int),
                Field(3, "reason", .string),
                Field(4, "message", .string),
                Field(5, "startedAt", .time),
                Field(6, "finishedAt", .time),
                Field(7, "containerID", .string),
            ]
        ),
        Message(
            "core.ContainerStateWaiting",
            [
                Field(1, "reason", .string),
                Field(2, "message", .string),
            ]
        ),
        Message(
            "core.ContainerStatus",
            [
                Field(1, "name", .string),
                Field(2, "state", .message("core.ContainerState")),
                Field(3, "lastState", .message("core.ContainerState")),
                Field(4, "ready", .bool),
                Field(5, "restartCount", .int),
                Field(6, "image", .string),
                Field(7, "imageID", .string),
                Field(8, "containerID", .string),
                Field(9, "started", .bool),
                Field(10, "allocatedResources", .map(.quantity)),
                Field(11, "resources", .message("core.ResourceRequirements")),
                Field(12, "volumeMounts", .repeated(.message("core.VolumeMountStatus"))),
                Field(13, "user", .message("core.ContainerUser")),
                Field(14, "allocatedResourcesStatus", .repeated(.message("core.ResourceStatus"))),
                Field(15, "stopSignal", .string),
            ]
        ),
        Message(
            "core.ContainerUser",
            [
                Field(1, "linux", .message("core.LinuxContainerUser"))
            ]
        ),
        Message(
            "core.DaemonEndpoint",
            [
                Field(1, "Port", .int)
            ]
        ),
        Message(
            "core.DownwardAPIProjection",
            [
                Field(1, "items", .repeated(.message("core.DownwardAPIVolumeFile")))
            ]
        ),
        Message(
            "core.DownwardAPIVolumeFile",
            [
                Field(1, "path", .string),
                Field(2, "fieldRef", .message("core.ObjectFieldSelector")),
                Field(3, "resourceFieldRef", .message("core.ResourceFieldSelector")),
                Field(4, "mode", .int),
                Field(5, "user", .int),
            ]
        ),
        Message(
            "core.DownwardAPIVolumeSource",
            [
                Field(1, "items", .repeated(.message("core.DownwardAPIVolumeFile"))),
                Field(2, "defaultMode", .int),
                Field(3, "defaultUser", .int),
            ]
        ),
        Message(
            "core.EmptyDirVolumeSource",
            [
                Field(1, "medium", .string),
                Field(2, "sizeLimit", .quantity),
                Field(3, "mode", .int),
            ]
        ),
        Message(
            "core.EndpointAddress",
            [
                Field(1, "ip", .string),
                Field(3, "hostname", .string),
                Field(4, "nodeName", .string),
                Field(2, "targetRef", .message("core.ObjectReference")),
            ]
        ),
        Message(
            "core.EndpointPort",
            [
                Field(1, "name", .string),
                Field(2, "port", .int),
                Field(3, "protocol", .string),
                Field(4, "appProtocol", .string),
            ]
        ),
        Message(
            "core.EndpointSubset",
            [
                Field(1, "addresses", .repeated(.message("core.EndpointAddress"))),
                Field(2, "notReadyAddresses", .repeated(.message("core.EndpointAddress"))),
                Field(3, "ports", .repeated(.message("core.EndpointPort"))),
            ]
        ),
        Message(
            "core.Endpoints",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "subsets", .repeated(.message("core.EndpointSubset"))),
            ]
        ),
        Message(
            "core.EnvFromSource",
            [
                Field(1, "prefix", .string),
                Field(2, "configMapRef", .message("core.ConfigMapEnvSource")),
                Field(3, "secretRef", .message("core.SecretEnvSource")),
            ]
        ),
        Message(
            "core.EnvVar",
            [
                Field(1, "name", .string),
                Field(2, "value", .string),
                Field(3, "valueFrom", .message("core.EnvVarSource")),
            ]
        ),
        Message(
            "core.EnvVarSource",
            [
                Field(1, "fieldRef", .message("core.ObjectFieldSelector")),
                Field(2, "resourceFieldRef", .message("core.ResourceFieldSelector")),
                Field(3, "configMapKeyRef", .message("core.ConfigMapKeySelector")),
                Field(4, "secretKeyRef", .message("core.SecretKeySelector")),
                Field(5, "fileKeyRef", .message("core.FileKeySelector")),
            ]
        ),
        Message(
            "core.EphemeralContainer",
            [
                Field(1, "ephemeralContainerCommon", .message("core.EphemeralContainerCommon")),
                Field(2, "targetContainerName", .string),
            ]
        ),
        Message(
            "core.EphemeralContainerCommon",
            [
                Field(1, "name", .string),
                Field(2, "image", .string),
                Field(3, "command", .repeated(.string)),
                Field(4, "args", .repeated(.string)),
                Field(5, "workingDir", .string),
                Field(6, "ports", .repeated(.message("core.ContainerPort"))),
                Field(19, "envFrom", .repeated(.message("core.EnvFromSource"))),
                Field(7, "env", .repeated(.message("core.EnvVar"))),
                Field(8, "resources", .message("core.ResourceRequirements")),
                Field(23, "resizePolicy", .repeated(.message("core.ContainerResizePolicy"))),
                Field(24, "restartPolicy", .string),
                Field(25, "restartPolicyRules", .repeated(.message("core.ContainerRestartRule"))),
                Field(9, "volumeMounts", .repeated(.message("core.VolumeMount"))),
                Field(21, "volumeDevices", .repeated(.message("core.VolumeDevice"))),
                Field(10, "livenessProbe", .message("core.Probe")),
                Field(11, "readinessProbe", .message("core.Probe")),
                Field(22, "startupProbe", .message("core.Probe")),
                Field(12, "lifecycle", .message("core.Lifecycle")),
                Field(13, "terminationMessagePath", .string),
                Field(20, "terminationMessagePolicy", .string),
                Field(14, "imagePullPolicy", .string),
                Field(15, "securityContext", .message("core.SecurityContext")),
                Field(16, "stdin", .bool),
                Field(17, "stdinOnce", .bool),
                Field(18, "tty", .bool),
            ]
        ),
        Message(
            "core.EphemeralVolumeSource",
            [
                Field(1, "volumeClaimTemplate", .message("core.PersistentVolumeClaimTemplate"))
            ]
        ),
        Message(
            "core.Event",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "involvedObject", .message("core.ObjectReference")),
                Field(3, "reason", .string),
                Field(4, "message", .string),
                Field(5, "source", .message("core.EventSource")),
                Field(6, "firstTimestamp", .time),
                Field(7, "lastTimestamp", .time),
                Field(8, "count", .int),
                Field(9, "type", .string),
                Field(10, "eventTime", .time),
                Field(11, "series", .message("core.EventSeries")),
                Field(12, "action", .string),
                Field(13, "related", .message("core.ObjectReference")),
                Field(14, "reportingComponent", .string),
                Field(15, "reportingInstance", .string),
            ]
        ),
        Message(
            "core.EventSeries",
            [
                Field(1, "count", .int),
                Field(2, "lastObservedTime", .time),
            ]
        ),
        Message(
            "core.EventSource",
            [
                Field(1, "component", .string),
                Field(2, "host", .string),
            ]
        ),
        Message(
            "core.EvictionResponder",
            [
                Field(1, "name", .string),
                Field(2, "priority", .int),
            ]
        ),
        Message(
            "core.ExecAction",
            [
                Field(1, "command", .repeated(.string))
            ]
        ),
        Message(
            "core.FCVolumeSource",
            [
                Field(1, "targetWWNs", .repeated(.string)),
                Field(2, "lun", .int),
                Field(3, "fsType", .string),
                Field(4, "readOnly", .bool),
                Field(5, "wwids", .repeated(.string)),
            ]
        ),
        Message(
            "core.FileKeySelector",
            [
                Field(1, "volumeName", .string),
                Field(2, "path", .string),
                Field(3, "key", .string),
                Field(4, "optional", .bool),
            ]
        ),
        Message(
            "core.FlexVolumeSource",
            [
                Field(1, "driver", .string),
                Field(2, "fsType", .string),
                Field(3, "secretRef", .message("core.LocalObjectReference")),
                Field(4, "readOnly", .bool),
                Field(5, "options", .map(.string)),
            ]
        ),
        Message(
            "core.FlockerVolumeSource",
            [
                Field(1, "datasetName", .string),
                Field(2, "datasetUUID", .string),
            ]
        ),
        Message(
            "core.GCEPersistentDiskVolumeSource",
            [
                Field(1, "pdName", .string),
                Field(2, "fsType", .string),
                Field(3, "partition", .int),
                Field(4, "readOnly", .bool),
            ]
        ),
        Message(
            "core.GRPCAction",
            [
                Field(1, "port", .int),
                Field(2, "service", .string),
                Field(3, "mode", .string),
            ]
        ),
        Message(
            "core.GitRepoVolumeSource",
            [
                Field(1, "repository", .string),
                Field(2, "revision", .string),
                Field(3, "directory", .string),
            ]
        ),
        Message(
            "core.GlusterfsVolumeSource",
            [
                Field(1, "endpoints", .string),
                Field(2, "path", .string),
                Field(3, "readOnly", .bool),
            ]
        ),
        Message(
            "core.HTTPGetAction",
            [
                Field(1, "path", .string),
                Field(2, "port", .intOrString),
                Field(3, "host", .string),
                Field(4, "scheme", .string),
                Field(5, "httpHeaders", .repeated(.message("core.HTTPHeader"))),
                Field(6, "protocol", .string),
            ]
        ),
        Message(
            "core.HTTPHeader",
            [
                Field(1, "name", .string),
                Field(2, "value", .string),
            ]
        ),
        Message(
            "core.HostAlias",
            [
                Field(1, "ip", .string),
                Field(2, "hostnames", .repeated(.string)),
            ]
        ),
        Message(
            "core.HostIP",
            [
                Field(1, "ip", .string)
            ]
        ),
        Message(
            "core.HostPathVolumeSource",
            [
                Field(1, "path", .string),
                Field(2, "type", .string),
            ]
        ),
        Message(
            "core.ISCSIVolumeSource",
            [
                Field(1, "targetPortal", .string),
                Field(2, "iqn", .string),
                Field(3, "lun", .int),
                Field(4, "iscsiInterface", .string),
                Field(5, "fsType", .string),
                Field(6, "readOnly", .bool),
                Field(7, "portals", .repeated(.string)),
                Field(8, "chapAuthDiscovery", .bool),
                Field(11, "chapAuthSession", .bool),
                Field(10, "secretRef", .message("core.LocalObjectReference")),
                Field(12, "initiatorName", .string),
            ]
        ),
        Message(
            "core.ImageVolumeSource",
            [
                Field(1, "reference", .string),
                Field(2, "pullPolicy", .string),
            ]
        ),
        Message(
            "core.ImageVolumeStatus",
            [
                Field(1, "imageRef", .string)
            ]
        ),
        Message(
            "core.KeyToPath",
            [
                Field(1, "key", .string),
                Field(2, "path", .string),
                Field(3, "mode", .int),
                Field(4, "user", .int),
            ]
        ),
        Message(
            "core.Lifecycle",
            [
                Field(1, "postStart", .message("core.LifecycleHandler")),
                Field(2, "preStop", .message("core.LifecycleHandler")),
                Field(3, "stopSignal", .string),
            ]
        ),
        Message(
            "core.LifecycleHandler",
            [
                Field(1, "exec", .message("core.ExecAction")),
                Field(2, "httpGet", .message("core.HTTPGetAction")),
                Field(3, "tcpSocket", .message("core.TCPSocketAction")),
                Field(4, "sleep", .message("core.SleepAction")),
            ]
        ),
        Message(
            "core.LinuxContainerUser",
            [
                Field(1, "uid", .int),
                Field(2, "gid", .int),
                Field(3, "supplementalGroups", .repeated(.int)),
            ]
        ),
        Message(
            "core.LoadBalancerIngress",
            [
                Field(1, "ip", .string),
                Field(2, "hostname", .string),
                Field(3, "ipMode", .string),
                Field(4, "ports", .repeated(.message("core.PortStatus"))),
            ]
        ),
        Message(
            "core.LoadBalancerStatus",
            [
                Field(1, "ingress", .repeated(.message("core.LoadBalancerIngress")))
            ]
        ),
        Message(
            "core.LocalObjectReference",
            [
                Field(1, "name", .string)
            ]
        ),
        Message(
            "core.NFSVolumeSource",
            [
                Field(1, "server", .string),
                Field(2, "path", .string),
                Field(3, "readOnly", .bool),
            ]
        ),
        Message(
            "core.Namespace",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "spec", .message("core.NamespaceSpec")),
                Field(3, "status", .message("core.NamespaceStatus")),
            ]
        ),
        Message(
            "core.NamespaceCondition",
            [
                Field(1, "type", .string),
                Field(2, "status", .string),
                Field(4, "lastTransitionTime", .time),
                Field(5, "reason", .string),
                Field(6, "message", .string),
            ]
        ),
        Message(
            "core.NamespaceSpec",
            [
                Field(1, "finalizers", .repeated(.string))
            ]
        ),
        Message(
            "core.NamespaceStatus",
            [
                Field(1, "phase", .string),
                Field(2, "conditions", .repeated(.message("core.NamespaceCondition"))),
            ]
        ),
        Message(
            "core.Node",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "spec", .message("core.NodeSpec")),
                Field(3, "status", .message("core.NodeStatus")),
            ]
        ),
        Message(
            "core.NodeAddress",
            [
                Field(1, "type", .string),
                Field(2, "address", .string),
            ]
        ),
        Message(
            "core.NodeAffinity",
            [
                Field(1, "requiredDuringSchedulingIgnoredDuringExecution", .message("core.NodeSelector")),
                Field(
                    2,
                    "preferredDuringSchedulingIgnoredDuringExecution",
                    .repeated(.message("core.PreferredSchedulingTerm"))
                ),
            ]
        ),
        Message(
            "core.NodeAllocatableMappedResources",
            [
                Field(1, "name", .string),
                Field(2, "quantity", .quantity),
            ]
        ),
        Message(
            "core.NodeAllocatableOverheadResources",
            [
                Field(1, "name", .string),
                Field(2, "perPod", .quantity),
                Field(3, "perContainer", .quantity),
            ]
        ),
        Message(
            "core.NodeAllocatableResourceClaimStatus",
            [
                Field(1, "resourceClaimName", .string),
                Field(2, "containers", .repeated(.string)),
                Field(4, "mapping", .repeated(.message("core.NodeAllocatableMappedResources"))),
                Field(5, "overhead", .repeated(.message("core.NodeAllocatableOverheadResources"))),
            ]
        ),
        Message(
            "core.NodeCondition",
            [
                Field(1, "type", .string),
                Field(2, "status", .string),
                Field(3, "lastHeartbeatTime", .time),
                Field(4, "lastTransitionTime", .time),
                Field(5, "reason", .string),
                Field(6, "message", .string),
            ]
        ),
        Message(
            "core.NodeConfigSource",
            [
                Field(2, "configMap", .message("core.ConfigMapNodeConfigSource"))
            ]
        ),
        Message(
            "core.NodeConfigStatus",
            [
                Field(1, "assigned", .message("core.NodeConfigSource")),
                Field(2, "active", .message("core.NodeConfigSource")),
                Field(3, "lastKnownGood", .message("core.NodeConfigSource")),
                Field(4, "error", .string),
            ]
        ),
        Message(
            "core.NodeDaemonEndpoints",
            [
                Field(1, "kubeletEndpoint", .message("core.DaemonEndpoint"))
            ]
        ),
        Message(
            "core.NodeFeatures",
            [
                Field(1, "supplementalGroupsPolicy", .bool)
            ]
        ),
        Message(
            "core.NodePodPreemptionPolicy",
            [
                Field(1, "disableResizePreemption", .repeated(.string))
            ]
        ),
        Message(
            "core.NodeRuntimeHandler",
            [
                Field(1, "name", .string),
                Field(2, "features", .message("core.NodeRuntimeHandlerFeatures")),
            ]
        ),
        Message(
            "core.NodeRuntimeHandlerFeatures",
            [
                Field(1, "recursiveReadOnlyMounts", .bool),
                Field(2, "userNamespaces", .bool),
            ]
        ),
        Message(
            "core.NodeSelector",
            [
                Field(1, "nodeSelectorTerms", .repeated(.message("core.NodeSelectorTerm")))
            ]
        ),
        Message(
            "core.NodeSelectorRequirement",
            [
                Field(1, "key", .string),
                Field(2, "operator", .string),
                Field(3, "values", .repeated(.string)),
            ]
        ),
        Message(
            "core.NodeSelectorTerm",
            [
                Field(1, "matchExpressions", .repeated(.message("core.NodeSelectorRequirement"))),
                Field(2, "matchFields", .repeated(.message("core.NodeSelectorRequirement"))),
            ]
        ),
        Message(
            "core.NodeSpec",
            [
                Field(1, "podCIDR", .string),
                Field(7, "podCIDRs", .repeated(.string)),
                Field(3, "providerID", .string),
                Field(4, "unschedulable", .bool),
                Field(5, "taints", .repeated(.message("core.Taint"))),
                Field(6, "configSource", .message("core.NodeConfigSource")),
                Field(2, "externalID", .string),
                Field(8, "podPreemptionPolicy", .message("core.NodePodPreemptionPolicy")),
            ]
        ),
        Message(
            "core.NodeStatus",
            [
                Field(1, "capacity", .map(.quantity)),
                Field(2, "allocatable", .map(.quantity)),
                Field(3, "phase", .string),
                Field(4, "conditions", .repeated(.message("core.NodeCondition"))),
                Field(5, "addresses", .repeated(.message("core.NodeAddress"))),
                Field(6, "daemonEndpoints", .message("core.NodeDaemonEndpoints")),
                Field(7, "nodeInfo", .message("core.NodeSystemInfo")),
                Field(8, "images", .repeated(.message("core.ContainerImage"))),
                Field(9, "volumesInUse", .repeated(.string)),
                Field(10, "volumesAttached", .repeated(.message("core.AttachedVolume"))),
                Field(11, "config", .message("core.NodeConfigStatus")),
                Field(12, "runtimeHandlers", .repeated(.message("core.NodeRuntimeHandler"))),
                Field(13, "features", .message("core.NodeFeatures")),
                Field(14, "declaredFeatures", .repeated(.string)),
            ]
        ),
        Message(
            "core.NodeSwapStatus",
            [
                Field(1, "capacity", .int)
            ]
        ),
        Message(
            "core.NodeSystemInfo",
            [
                Field(1, "machineID", .string),
                Field(2, "systemUUID", .string),
                Field(3, "bootID", .string),
                Field(4, "kernelVersion", .string),
                Field(5, "osImage", .string),
                Field(6, "containerRuntimeVersion", .string),
                Field(7, "kubeletVersion", .string),
                Field(8, "kubeProxyVersion", .string),
                Field(9, "operatingSystem", .string),
                Field(10, "architecture", .string),
                Field(11, "swap", .message("core.NodeSwapStatus")),
            ]
        ),
        Message(
            "core.ObjectFieldSelector",
            [
                Field(1, "apiVersion", .string),
                Field(2, "fieldPath", .string),
            ]
        ),
        Message(
            "core.ObjectReference",
            [
                Field(1, "kind", .string),
                Field(2, "namespace", .string),
                Field(3, "name", .string),
                Field(4, "uid", .string),
                Field(5, "apiVersion", .string),
                Field(6, "resourceVersion", .string),
                Field(7, "fieldPath", .string),
            ]
        ),
        Message(
            "core.PersistentVolumeClaimSpec",
            [
                Field(1, "accessModes", .repeated(.string)),
                Field(4, "selector", .message("meta.LabelSelector")),
                Field(2, "resources", .message("core.VolumeResourceRequirements")),
                Field(3, "volumeName", .string),
                Field(5, "storageClassName", .string),
                Field(6, "volumeMode", .string),
                Field(7, "dataSource", .message("core.TypedLocalObjectReference")),
                Field(8, "dataSourceRef", .message("core.TypedObjectReference")),
                Field(9, "volumeAttributesClassName", .string),
            ]
        ),
        Message(
            "core.PersistentVolumeClaimTemplate",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "spec", .message("core.PersistentVolumeClaimSpec")),
            ]
        ),
        Message(
            "core.PersistentVolumeClaimVolumeSource",
            [
                Field(1, "claimName", .string),
                Field(2, "readOnly", .bool),
            ]
        ),
        Message(
            "core.PhotonPersistentDiskVolumeSource",
            [
                Field(1, "pdID", .string),
                Field(2, "fsType", .string),
            ]
        ),
        Message(
            "core.Pod",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "spec", .message("core.PodSpec")),
                Field(3, "status", .message("core.PodStatus")),
            ]
        ),
        Message(
            "core.PodAffinity",
            [
                Field(1, "requiredDuringSchedulingIgnoredDuringExecution", .repeated(.message("core.PodAffinityTerm"))),
                Field(
                    2,
                    "preferredDuringSchedulingIgnoredDuringExecution",
                    .repeated(.message("core.WeightedPodAffinityTerm"))
                ),
            ]
        ),
        Message(
            "core.PodAffinityTerm",
            [
                Field(1, "labelSelector", .message("meta.LabelSelector")),
                Field(2, "namespaces", .repeated(.string)),
                Field(3, "topologyKey", .string),
                Field(4, "namespaceSelector", .message("meta.LabelSelector")),
                Field(5, "matchLabelKeys", .repeated(.string)),
                Field(6, "mismatchLabelKeys", .repeated(.string)),
            ]
        ),
        Message(
            "core.PodAntiAffinity",
            [
                Field(1, "requiredDuringSchedulingIgnoredDuringExecution", .repeated(.message("core.PodAffinityTerm"))),
                Field(
                    2,
                    "preferredDuringSchedulingIgnoredDuringExecution",
                    .repeated(.message("core.WeightedPodAffinityTerm"))
                ),
            ]
        ),
        Message(
            "core.PodCertificateProjection",
            [
                Field(1, "signerName", .string),
                Field(2, "keyType", .string),
                Field(3, "maxExpirationSeconds", .int),
                Field(4, "credentialBundlePath", .string),
                Field(5, "keyPath", .string),
                Field(6, "certificateChainPath", .string),
                Field(7, "userAnnotations", .map(.string)),
                Field(8, "user", .int),
            ]
        ),
        Message(
            "core.PodCondition",
            [
                Field(1, "type", .string),
                Field(7, "observedGeneration", .int),
                Field(2, "status", .string),
                Field(3, "lastProbeTime", .time),
                Field(4, "lastTransitionTime", .time),
                Field(5, "reason", .string),
                Field(6, "message", .string),
            ]
        ),
        Message(
            "core.PodDNSConfig",
            [
                Field(1, "nameservers", .repeated(.string)),
                Field(2, "searches", .repeated(.string)),
                Field(3, "options", .repeated(.message("core.PodDNSConfigOption"))),
            ]
        ),
        Message(
            "core.PodDNSConfigOption",
            [
                Field(1, "name", .string),
                Field(2, "value", .string),
            ]
        ),
        Message(
            "core.PodExtendedResourceClaimStatus",
            [
                Field(1, "requestMappings", .repeated(.message("core.ContainerExtendedResourceRequest"))),
                Field(2, "resourceClaimName", .string),
            ]
        ),
        Message(
            "core.PodIP",
            [
                Field(1, "ip", .string)
            ]
        ),
        Message(
            "core.PodOS",
            [
                Field(1, "name", .string)
            ]
        ),
        Message(
            "core.PodReadinessGate",
            [
                Field(1, "conditionType", .string)
            ]
        ),
        Message(
            "core.PodResourceClaim",
            [
                Field(1, "name", .string),
                Field(3, "resourceClaimName", .string),
                Field(4, "resourceClaimTemplateName", .string),
            ]
        ),
        Message(
            "core.PodResourceClaimStatus",
            [
                Field(1, "name", .string),
                Field(2, "resourceClaimName", .string),
            ]
        ),
        Message(
            "core.PodSchedulingGate",
            [
                Field(1, "name", .string)
            ]
        ),
        Message(
            "core.PodSchedulingGroup",
            [
                Field(1, "podGroupName", .string)
            ]
        ),
        Message(
            "core.PodSecurityContext",
            [
                Field(1, "seLinuxOptions", .message("core.SELinuxOptions")),
                Field(8, "windowsOptions", .message("core.WindowsSecurityContextOptions")),
                Field(2, "runAsUser", .int),
                Field(6, "runAsGroup", .int),
                Field(3, "runAsNonRoot", .bool),
                Field(4, "supplementalGroups", .repeated(.int)),
                Field(12, "supplementalGroupsPolicy", .string),
                Field(5, "fsGroup", .int),
                Field(7, "sysctls", .repeated(.message("core.Sysctl"))),
                Field(9, "fsGroupChangePolicy", .string),
                Field(10, "seccompProfile", .message("core.SeccompProfile")),
                Field(11, "appArmorProfile", .message("core.AppArmorProfile")),
                Field(13, "seLinuxChangePolicy", .string),
            ]
        ),
        Message(
            "core.PodSpec",
            [
                Field(1, "volumes", .repeated(.message("core.Volume"))),
                Field(20, "initContainers", .repeated(.message("core.Container"))),
                Field(2, "containers", .repeated(.message("core.Container"))),
                Field(34, "ephemeralContainers", .repeated(.message("core.EphemeralContainer"))),
                Field(3, "restartPolicy", .string),
                Field(4, "terminationGracePeriodSeconds", .int),
                Field(5, "activeDeadlineSeconds", .int),
                Field(6, "dnsPolicy", .string),
                Field(7, "nodeSelector", .map(.string)),
                Field(8, "serviceAccountName", .string),
                Field(9, "serviceAccount", .string),
                Field(21, "automountServiceAccountToken", .bool),
                Field(10, "nodeName", .string),
                Field(11, "hostNetwork", .bool),
                Field(12, "hostPID", .bool),
                Field(13, "hostIPC", .bool),
                Field(27, "shareProcessNamespace", .bool),
                Field(14, "securityContext", .message("core.PodSecurityContext")),
                Field(15, "imagePullSecrets", .repeated(.message("core.LocalObjectReference"))),
                Field(16, "hostname", .string),
                Field(17, "subdomain", .string),
                Field(18, "affinity", .message("core.Affinity")),
                Field(19, "schedulerName", .string),
                Field(22, "tolerations", .repeated(.message("core.Toleration"))),
                Field(23, "hostAliases", .repeated(.message("core.HostAlias"))),
                Field(24, "priorityClassName", .string),
                Field(25, "priority", .int),
                Field(26, "dnsConfig", .message("core.PodDNSConfig")),
                Field(28, "readinessGates", .repeated(.message("core.PodReadinessGate"))),
                Field(29, "runtimeClassName", .string),
                Field(30, "enableServiceLinks", .bool),
                Field(31, "preemptionPolicy", .string),
                Field(32, "overhead", .map(.quantity)),
                Field(33, "topologySpreadConstraints", .repeated(.message("core.TopologySpreadConstraint"))),
                Field(35, "setHostnameAsFQDN", .bool),
                Field(36, "os", .message("core.PodOS")),
                Field(37, "hostUsers", .bool),
                Field(38, "schedulingGates", .repeated(.message("core.PodSchedulingGate"))),
                Field(39, "resourceClaims", .repeated(.message("core.PodResourceClaim"))),
                Field(40, "resources", .message("core.ResourceRequirements")),
                Field(41, "hostnameOverride", .string),
                Field(43, "schedulingGroup", .message("core.PodSchedulingGroup")),
                Field(44, "evictionResponders", .repeated(.message("core.EvictionResponder"))),
            ]
        ),
        Message(
            "core.PodStatus",
            [
                Field(17, "observedGeneration", .int),
                Field(1, "phase", .string),
                Field(2, "conditions", .repeated(.message("core.PodCondition"))),
                Field(3, "message", .string),
                Field(4, "reason", .string),
                Field(11, "nominatedNodeName", .string),
                Field(5, "hostIP", .string),
                Field(16, "hostIPs", .repeated(.message("core.HostIP"))),
                Field(6, "podIP", .string),
                Field(12, "podIPs", .repeated(.message("core.PodIP"))),
                Field(7, "startTime", .time),
                Field(10, "initContainerStatuses", .repeated(.message("core.ContainerStatus"))),
                Field(8, "containerStatuses", .repeated(.message("core.ContainerStatus"))),
                Field(9, "qosClass", .string),
                Field(13, "ephemeralContainerStatuses", .repeated(.message("core.ContainerStatus"))),
                Field(14, "resize", .string),
                Field(15, "resourceClaimStatuses", .repeated(.message("core.PodResourceClaimStatus"))),
                Field(18, "extendedResourceClaimStatus", .message("core.PodExtendedResourceClaimStatus")),
                Field(19, "allocatedResources", .map(.quantity)),
                Field(20, "resources", .message("core.ResourceRequirements")),
                Field(
                    21,
                    "nodeAllocatableResourceClaimStatuses",
                    .repeated(.message("core.NodeAllocatableResourceClaimStatus"))
                ),
                Field(22, "volumeHealth", .repeated(.message("core.PodVolumeHealth"))),
            ]
        ),
        Message(
            "core.PodTemplateSpec",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "spec", .message("core.PodSpec")),
            ]
        ),
        Message(
            "core.PodVolumeHealth",
            [
                Field(1, "name", .string),
                Field(2, "healthConditions", .repeated(.message("core.VolumeHealthCondition"))),
                Field(3, "lastTransitionTime", .time),
            ]
        ),
        Message(
            "core.PortStatus",
            [
                Field(1, "port", .int),
                Field(2, "protocol", .string),
                Field(3, "error", .string),
            ]
        ),
        Message(
            "core.PortworxVolumeSource",
            [
                Field(1, "volumeID", .string),
                Field(2, "fsType", .string),
                Field(3, "readOnly", .bool),
            ]
        ),
        Message(
            "core.PreferredSchedulingTerm",
            [
                Field(1, "weight", .int),
                Field(2, "preference", .message("core.NodeSelectorTerm")),
            ]
        ),
        Message(
            "core.Probe",
            [
                Field(1, "handler", .message("core.ProbeHandler")),
                Field(2, "initialDelaySeconds", .int),
                Field(3, "timeoutSeconds", .int),
                Field(4, "periodSeconds", .int),
                Field(5, "successThreshold", .int),
                Field(6, "failureThreshold", .int),
                Field(7, "terminationGracePeriodSeconds", .int),
            ]
        ),
        Message(
            "core.ProbeHandler",
            [
                Field(1, "exec", .message("core.ExecAction")),
                Field(2, "httpGet", .message("core.HTTPGetAction")),
                Field(3, "tcpSocket", .message("core.TCPSocketAction")),
                Field(4, "grpc", .message("core.GRPCAction")),
            ]
        ),
        Message(
            "core.ProjectedVolumeSource",
            [
                Field(1, "sources", .repeated(.message("core.VolumeProjection"))),
                Field(2, "defaultMode", .int),
                Field(3, "defaultUser", .int),
            ]
        ),
        Message(
            "core.QuobyteVolumeSource",
            [
                Field(1, "registry", .string),
                Field(2, "volume", .string),
                Field(3, "readOnly", .bool),
                Field(4, "user", .string),
                Field(5, "group", .string),
                Field(6, "tenant", .string),
            ]
        ),
        Message(
            "core.RBDVolumeSource",
            [
                Field(1, "monitors", .repeated(.string)),
                Field(2, "image", .string),
                Field(3, "fsType", .string),
                Field(4, "pool", .string),
                Field(5, "user", .string),
                Field(6, "keyring", .string),
                Field(7, "secretRef", .message("core.LocalObjectReference")),
                Field(8, "readOnly", .bool),
            ]
        ),
        Message(
            "core.ResourceClaim",
            [
                Field(1, "name", .string),
                Field(2, "request", .string),
            ]
        ),
        Message(
            "core.ResourceFieldSelector",
            [
                Field(1, "containerName", .string),
                Field(2, "resource", .string),
                Field(3, "divisor", .quantity),
            ]
        ),
        Message(
            "core.ResourceHealth",
            [
                Field(1, "resourceID", .string),
                Field(2, "health", .string),
                Field(6, "message", .string),
            ]
        ),
        Message(
            "core.ResourceRequirements",
            [
                Field(1, "limits", .map(.quantity)),
                Field(2, "requests", .map(.quantity)),
                Field(3, "claims", .repeated(.message("core.ResourceClaim"))),
            ]
        ),
        Message(
            "core.ResourceStatus",
            [
                Field(1, "name", .string),
                Field(2, "resources", .repeated(.message("core.ResourceHealth"))),
            ]
        ),
        Message(
            "core.SELinuxOptions",
            [
                Field(1, "user", .string),
                Field(2, "role", .string),
                Field(3, "type", .string),
                Field(4, "level", .string),
            ]
        ),
        Message(
            "core.ScaleIOVolumeSource",
            [
                Field(1, "gateway", .string),
                Field(2, "system", .string),
                Field(3, "secretRef", .message("core.LocalObjectReference")),
                Field(4, "sslEnabled", .bool),
                Field(5, "protectionDomain", .string),
                Field(6, "storagePool", .string),
                Field(7, "storageMode", .string),
                Field(8, "volumeName", .string),
                Field(9, "fsType", .string),
                Field(10, "readOnly", .bool),
            ]
        ),
        Message(
            "core.SeccompProfile",
            [
                Field(1, "type", .string),
                Field(2, "localhostProfile", .string),
            ]
        ),
        Message(
            "core.Secret",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "data", .map(.bytes)),
                Field(3, "type", .string),
                Field(4, "stringData", .map(.string)),
                Field(5, "immutable", .bool),
            ]
        ),
        Message(
            "core.SecretEnvSource",
            [
                Field(1, "localObjectReference", .message("core.LocalObjectReference")),
                Field(2, "optional", .bool),
            ]
        ),
        Message(
            "core.SecretKeySelector",
            [
                Field(1, "localObjectReference", .message("core.LocalObjectReference")),
                Field(2, "key", .string),
                Field(3, "optional", .bool),
            ]
        ),
        Message(
            "core.SecretProjection",
            [
                Field(1, "localObjectReference", .message("core.LocalObjectReference")),
                Field(2, "items", .repeated(.message("core.KeyToPath"))),
                Field(4, "optional", .bool),
            ]
        ),
        Message(
            "core.SecretVolumeSource",
            [
                Field(1, "secretName", .string),
                Field(2, "items", .repeated(.message("core.KeyToPath"))),
                Field(3, "defaultMode", .int),
                Field(4, "optional", .bool),
                Field(5, "defaultUser", .int),
            ]
        ),
        Message(
            "core.SecurityContext",
            [
                Field(1, "capabilities", .message("core.Capabilities")),
                Field(2, "privileged", .bool),
                Field(3, "seLinuxOptions", .message("core.SELinuxOptions")),
                Field(10, "windowsOptions", .message("core.WindowsSecurityContextOptions")),
                Field(4, "runAsUser", .int),
                Field(8, "runAsGroup", .int),
                Field(5, "runAsNonRoot", .bool),
                Field(6, "readOnlyRootFilesystem", .bool),
                Field(7, "allowPrivilegeEscalation", .bool),
                Field(9, "procMount", .string),
                Field(11, "seccompProfile", .message("core.SeccompProfile")),
                Field(12, "appArmorProfile", .message("core.AppArmorProfile")),
            ]
        ),
        Message(
            "core.Service",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "spec", .message("core.ServiceSpec")),
                Field(3, "status", .message("core.ServiceStatus")),
            ]
        ),
        Message(
            "core.ServiceAccount",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "secrets", .repeated(.message("core.ObjectReference"))),
                Field(3, "imagePullSecrets", .repeated(.message("core.LocalObjectReference"))),
                Field(4, "automountServiceAccountToken", .bool),
            ]
        ),
        Message(
            "core.ServiceAccountTokenProjection",
            [
                Field(1, "audience", .string),
                Field(2, "expirationSeconds", .int),
                Field(3, "path", .string),
                Field(4, "user", .int),
            ]
        ),
        Message(
            "core.ServicePort",
            [
                Field(1, "name", .string),
                Field(2, "protocol", .string),
                Field(6, "appProtocol", .string),
                Field(3, "port", .int),
                Field(4, "targetPort", .intOrString),
                Field(5, "nodePort", .int),
            ]
        ),
        Message(
            "core.ServiceSpec",
            [
                Field(1, "ports", .repeated(.message("core.ServicePort"))),
                Field(2, "selector", .map(.string)),
                Field(3, "clusterIP", .string),
                Field(18, "clusterIPs", .repeated(.string)),
                Field(4, "type", .string),
                Field(5, "externalIPs", .repeated(.string)),
                Field(7, "sessionAffinity", .string),
                Field(8, "loadBalancerIP", .string),
                Field(9, "loadBalancerSourceRanges", .repeated(.string)),
                Field(10, "externalName", .string),
                Field(11, "externalTrafficPolicy", .string),
                Field(12, "healthCheckNodePort", .int),
                Field(13, "publishNotReadyAddresses", .bool),
                Field(14, "sessionAffinityConfig", .message("core.SessionAffinityConfig")),
                Field(19, "ipFamilies", .repeated(.string)),
                Field(17, "ipFamilyPolicy", .string),
                Field(20, "allocateLoadBalancerNodePorts", .bool),
                Field(21, "loadBalancerClass", .string),
                Field(22, "internalTrafficPolicy", .string),
                Field(23, "trafficDistribution", .string),
            ]
        ),
        Message(
            "core.ServiceStatus",
            [
                Field(1, "loadBalancer", .message("core.LoadBalancerStatus")),
                Field(2, "conditions", .repeated(.message("meta.Condition"))),
            ]
        ),
        Message(
            "core.SessionAffinityConfig",
            [
                Field(1, "clientIP", .message("core.ClientIPConfig"))
            ]
        ),
        Message(
            "core.SleepAction",
            [
                Field(1, "seconds", .int)
            ]
        ),
        Message(
            "core.StorageOSVolumeSource",
            [
                Field(1, "volumeName", .string),
                Field(2, "volumeNamespace", .string),
                Field(3, "fsType", .string),
                Field(4, "readOnly", .bool),
                Field(5, "secretRef", .message("core.LocalObjectReference")),
            ]
        ),
        Message(
            "core.Sysctl",
            [
                Field(1, "name", .string),
                Field(2, "value", .string),
            ]
        ),
        Message(
            "core.TCPSocketAction",
            [
                Field(1, "port", .intOrString),
                Field(2, "host", .string),
            ]
        ),
        Message(
            "core.Taint",
            [
                Field(1, "key", .string),
                Field(2, "value", .string),
                Field(3, "effect", .string),
                Field(4, "timeAdded", .time),
            ]
        ),
        Message(
            "core.Toleration",
            [
                Field(1, "key", .string),
                Field(2, "operator", .string),
                Field(3, "value", .string),
                Field(4, "effect", .string),
                Field(5, "tolerationSeconds", .int),
            ]
        ),
        Message(
            "core.TopologySpreadConstraint",
            [
                Field(1, "maxSkew", .int),
                Field(2, "topologyKey", .string),
                Field(3, "whenUnsatisfiable", .string),
                Field(4, "labelSelector", .message("meta.LabelSelector")),
                Field(5, "minDomains", .int),
                Field(6, "nodeAffinityPolicy", .string),
                Field(7, "nodeTaintsPolicy", .string),
                Field(8, "matchLabelKeys", .repeated(.string)),
            ]
        ),
        Message(
            "core.TypedLocalObjectReference",
            [
                Field(1, "apiGroup", .string),
                Field(2, "kind", .string),
                Field(3, "name", .string),
            ]
        ),
        Message(
            "core.TypedObjectReference",
            [
                Field(1, "apiGroup", .string),
                Field(2, "kind", .string),
                Field(3, "name", .string),
                Field(4, "namespace", .string),
            ]
        ),
        Message(
            "core.Volume",
            [
                Field(1, "name", .string),
                Field(2, "volumeSource", .message("core.VolumeSource")),
            ]
        ),
        Message(
            "core.VolumeDevice",
            [
                Field(1, "name", .string),
                Field(2, "devicePath", .string),
            ]
        ),
        Message(
            "core.VolumeHealthCondition",
            [
                Field(1, "status", .string),
                Field(2, "reason", .string),
                Field(3, "message", .string),
            ]
        ),
        Message(
            "core.VolumeMount",
            [
                Field(1, "name", .string),
                Field(2, "readOnly", .bool),
                Field(7, "recursiveReadOnly", .string),
                Field(3, "mountPath", .string),
                Field(4, "subPath", .string),
                Field(5, "mountPropagation", .string),
                Field(6, "subPathExpr", .string),
                Field(8, "bindMountOptions", .repeated(.string)),
            ]
        ),
        Message(
            "core.VolumeMountStatus",
            [
                Field(1, "name", .string),
                Field(2, "mountPath", .string),
                Field(3, "readOnly", .bool),
                Field(4, "recursiveReadOnly", .string),
                Field(5, "volumeStatus", .message("core.VolumeStatus")),
            ]
        ),
        Message(
            "core.VolumeProjection",
            [
                Field(1, "secret", .message("core.SecretProjection")),
                Field(2, "downwardAPI", .message("core.DownwardAPIProjection")),
                Field(3, "configMap", .message("core.ConfigMapProjection")),
                Field(4, "serviceAccountToken", .message("core.ServiceAccountTokenProjection")),
                Field(5, "clusterTrustBundle", .message("core.ClusterTrustBundleProjection")),
                Field(6, "podCertificate", .message("core.PodCertificateProjection")),
            ]
        ),
        Message(
            "core.VolumeResourceRequirements",
            [
                Field(1, "limits", .map(.quantity)),
                Field(2, "requests", .map(.quantity)),
            ]
        ),
        Message(
            "core.VolumeSource",
            [
                Field(1, "hostPath", .message("core.HostPathVolumeSource")),
                Field(2, "emptyDir", .message("core.EmptyDirVolumeSource")),
                Field(3, "gcePersistentDisk", .message("core.GCEPersistentDiskVolumeSource")),
                Field(4, "awsElasticBlockStore", .message("core.AWSElasticBlockStoreVolumeSource")),
                Field(5, "gitRepo", .message("core.GitRepoVolumeSource")),
                Field(6, "secret", .message("core.SecretVolumeSource")),
                Field(7, "nfs", .message("core.NFSVolumeSource")),
                Field(8, "iscsi", .message("core.ISCSIVolumeSource")),
                Field(9, "glusterfs", .message("core.GlusterfsVolumeSource")),
                Field(10, "persistentVolumeClaim", .message("core.PersistentVolumeClaimVolumeSource")),
                Field(11, "rbd", .message("core.RBDVolumeSource")),
                Field(12, "flexVolume", .message("core.FlexVolumeSource")),
                Field(13, "cinder", .message("core.CinderVolumeSource")),
                Field(14, "cephfs", .message("core.CephFSVolumeSource")),
                Field(15, "flocker", .message("core.FlockerVolumeSource")),
                Field(16, "downwardAPI", .message("core.DownwardAPIVolumeSource")),
                Field(17, "fc", .message("core.FCVolumeSource")),
                Field(18, "azureFile", .message("core.AzureFileVolumeSource")),
                Field(19, "configMap", .message("core.ConfigMapVolumeSource")),
                Field(20, "vsphereVolume", .message("core.VsphereVirtualDiskVolumeSource")),
                Field(21, "quobyte", .message("core.QuobyteVolumeSource")),
                Field(22, "azureDisk", .message("core.AzureDiskVolumeSource")),
                Field(23, "photonPersistentDisk", .message("core.PhotonPersistentDiskVolumeSource")),
                Field(26, "projected", .message("core.ProjectedVolumeSource")),
                Field(24, "portworxVolume", .message("core.PortworxVolumeSource")),
                Field(25, "scaleIO", .message("core.ScaleIOVolumeSource")),
                Field(27, "storageos", .message("core.StorageOSVolumeSource")),
                Field(28, "csi", .message("core.CSIVolumeSource")),
                Field(29, "ephemeral", .message("core.EphemeralVolumeSource")),
                Field(30, "image", .message("core.ImageVolumeSource")),
            ]
        ),
        Message(
            "core.VolumeStatus",
            [
                Field(1, "image", .message("core.ImageVolumeStatus"))
            ]
        ),
        Message(
            "core.VsphereVirtualDiskVolumeSource",
            [
                Field(1, "volumePath", .string),
                Field(2, "fsType", .string),
                Field(3, "storagePolicyName", .string),
                Field(4, "storagePolicyID", .string),
            ]
        ),
        Message(
            "core.WeightedPodAffinityTerm",
            [
                Field(1, "weight", .int),
                Field(2, "podAffinityTerm", .message("core.PodAffinityTerm")),
            ]
        ),
        Message(
            "core.WindowsSecurityContextOptions",
            [
                Field(1, "gmsaCredentialSpecName", .string),
                Field(2, "gmsaCredentialSpec", .string),
                Field(3, "runAsUserName", .string),
                Field(4, "hostProcess", .bool),
            ]
        ),
    ]
}
