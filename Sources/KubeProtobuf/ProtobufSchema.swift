// Field numbers of the Kubernetes protobuf wire format (the `generated.proto` files of
// k8s.io/api and k8s.io/apimachinery), for the messages Swiftlet serves. kubectl's typed
// commands (`kubectl create service|deployment|namespace`) send bodies in this format.
//
// One line per message: `package.Message: number jsonName type; …`. Types: s string,
// i integer, b bool, d double, y bytes, T time, D duration, IS int-or-string, Q quantity,
// RAW embedded JSON, SKIP ignored, Mname message, ms / mQ / mMname maps, r… repeated.
let kubeProtobufSchemaText = """
    apps.Deployment: 1 metadata Mmeta.ObjectMeta; 2 spec Mapps.DeploymentSpec; 3 status Mapps.DeploymentStatus
    apps.DeploymentCondition: 1 type s; 2 status s; 6 lastUpdateTime T; 7 lastTransitionTime T; 4 reason s; 5 message s
    apps.DeploymentSpec: 1 replicas i; 2 selector Mmeta.LabelSelector; 3 template Mcore.PodTemplateSpec; 4 strategy Mapps.DeploymentStrategy; 5 minReadySeconds i; 6 revisionHistoryLimit i; 7 paused b; 9 progressDeadlineSeconds i
    apps.DeploymentStatus: 1 observedGeneration i; 2 replicas i; 3 updatedReplicas i; 7 readyReplicas i; 4 availableReplicas i; 5 unavailableReplicas i; 9 terminatingReplicas i; 6 conditions rMapps.DeploymentCondition; 8 collisionCount i
    apps.DeploymentStrategy: 1 type s; 2 rollingUpdate Mapps.RollingUpdateDeployment
    apps.ReplicaSet: 1 metadata Mmeta.ObjectMeta; 2 spec Mapps.ReplicaSetSpec; 3 status Mapps.ReplicaSetStatus
    apps.ReplicaSetCondition: 1 type s; 2 status s; 3 lastTransitionTime T; 4 reason s; 5 message s
    apps.ReplicaSetSpec: 1 replicas i; 4 minReadySeconds i; 2 selector Mmeta.LabelSelector; 3 template Mcore.PodTemplateSpec
    apps.ReplicaSetStatus: 1 replicas i; 2 fullyLabeledReplicas i; 4 readyReplicas i; 5 availableReplicas i; 7 terminatingReplicas i; 3 observedGeneration i; 6 conditions rMapps.ReplicaSetCondition
    apps.RollingUpdateDeployment: 1 maxUnavailable IS; 2 maxSurge IS
    autoscaling.Scale: 1 metadata Mmeta.ObjectMeta; 2 spec Mautoscaling.ScaleSpec; 3 status Mautoscaling.ScaleStatus
    autoscaling.ScaleSpec: 1 replicas i
    autoscaling.ScaleStatus: 1 replicas i; 2 selector s
    coordination.Lease: 1 metadata Mmeta.ObjectMeta; 2 spec Mcoordination.LeaseSpec
    coordination.LeaseSpec: 1 holderIdentity s; 2 leaseDurationSeconds i; 3 acquireTime T; 4 renewTime T; 5 leaseTransitions i; 6 strategy s; 7 preferredHolder s
    core.AWSElasticBlockStoreVolumeSource: 1 volumeID s; 2 fsType s; 3 partition i; 4 readOnly b
    core.Affinity: 1 nodeAffinity Mcore.NodeAffinity; 2 podAffinity Mcore.PodAffinity; 3 podAntiAffinity Mcore.PodAntiAffinity
    core.AppArmorProfile: 1 type s; 2 localhostProfile s
    core.AttachedVolume: 1 name s; 2 devicePath s
    core.AzureDiskVolumeSource: 1 diskName s; 2 diskURI s; 3 cachingMode s; 4 fsType s; 5 readOnly b; 6 kind s
    core.AzureFileVolumeSource: 1 secretName s; 2 shareName s; 3 readOnly b
    core.Binding: 1 metadata Mmeta.ObjectMeta; 2 target Mcore.ObjectReference
    core.CSIVolumeSource: 1 driver s; 2 readOnly b; 3 fsType s; 4 volumeAttributes ms; 5 nodePublishSecretRef Mcore.LocalObjectReference
    core.Capabilities: 1 add rs; 2 drop rs
    core.CephFSVolumeSource: 1 monitors rs; 2 path s; 3 user s; 4 secretFile s; 5 secretRef Mcore.LocalObjectReference; 6 readOnly b
    core.CinderVolumeSource: 1 volumeID s; 2 fsType s; 3 readOnly b; 4 secretRef Mcore.LocalObjectReference
    core.ClientIPConfig: 1 timeoutSeconds i
    core.ClusterTrustBundleProjection: 1 name s; 2 signerName s; 3 labelSelector Mmeta.LabelSelector; 5 optional b; 4 path s; 6 user i
    core.ConfigMapEnvSource: 1 localObjectReference Mcore.LocalObjectReference; 2 optional b
    core.ConfigMapKeySelector: 1 localObjectReference Mcore.LocalObjectReference; 2 key s; 3 optional b
    core.ConfigMapNodeConfigSource: 1 namespace s; 2 name s; 3 uid s; 4 resourceVersion s; 5 kubeletConfigKey s
    core.ConfigMapProjection: 1 localObjectReference Mcore.LocalObjectReference; 2 items rMcore.KeyToPath; 4 optional b
    core.ConfigMapVolumeSource: 1 localObjectReference Mcore.LocalObjectReference; 2 items rMcore.KeyToPath; 3 defaultMode i; 4 optional b; 5 defaultUser i
    core.Container: 1 name s; 2 image s; 3 command rs; 4 args rs; 5 workingDir s; 6 ports rMcore.ContainerPort; 19 envFrom rMcore.EnvFromSource; 7 env rMcore.EnvVar; 8 resources Mcore.ResourceRequirements; 23 resizePolicy rMcore.ContainerResizePolicy; 24 restartPolicy s; 25 restartPolicyRules rMcore.ContainerRestartRule; 9 volumeMounts rMcore.VolumeMount; 21 volumeDevices rMcore.VolumeDevice; 10 livenessProbe Mcore.Probe; 11 readinessProbe Mcore.Probe; 22 startupProbe Mcore.Probe; 12 lifecycle Mcore.Lifecycle; 13 terminationMessagePath s; 20 terminationMessagePolicy s; 14 imagePullPolicy s; 15 securityContext Mcore.SecurityContext; 16 stdin b; 17 stdinOnce b; 18 tty b
    core.ContainerExtendedResourceRequest: 1 containerName s; 2 resourceName s; 3 requestName s
    core.ContainerImage: 1 names rs; 2 sizeBytes i
    core.ContainerPort: 1 name s; 2 hostPort i; 3 containerPort i; 4 protocol s; 5 hostIP s
    core.ContainerResizePolicy: 1 resourceName s; 2 restartPolicy s
    core.ContainerRestartRule: 1 action s; 2 exitCodes Mcore.ContainerRestartRuleOnExitCodes
    core.ContainerRestartRuleOnExitCodes: 1 operator s; 2 values ri
    core.ContainerState: 1 waiting Mcore.ContainerStateWaiting; 2 running Mcore.ContainerStateRunning; 3 terminated Mcore.ContainerStateTerminated
    core.ContainerStateRunning: 1 startedAt T
    core.ContainerStateTerminated: 1 exitCode i; 2 signal i; 3 reason s; 4 message s; 5 startedAt T; 6 finishedAt T; 7 containerID s
    core.ContainerStateWaiting: 1 reason s; 2 message s
    core.ContainerStatus: 1 name s; 2 state Mcore.ContainerState; 3 lastState Mcore.ContainerState; 4 ready b; 5 restartCount i; 6 image s; 7 imageID s; 8 containerID s; 9 started b; 10 allocatedResources mQ; 11 resources Mcore.ResourceRequirements; 12 volumeMounts rMcore.VolumeMountStatus; 13 user Mcore.ContainerUser; 14 allocatedResourcesStatus rMcore.ResourceStatus; 15 stopSignal s
    core.ContainerUser: 1 linux Mcore.LinuxContainerUser
    core.DaemonEndpoint: 1 Port i
    core.DownwardAPIProjection: 1 items rMcore.DownwardAPIVolumeFile
    core.DownwardAPIVolumeFile: 1 path s; 2 fieldRef Mcore.ObjectFieldSelector; 3 resourceFieldRef Mcore.ResourceFieldSelector; 4 mode i; 5 user i
    core.DownwardAPIVolumeSource: 1 items rMcore.DownwardAPIVolumeFile; 2 defaultMode i; 3 defaultUser i
    core.EmptyDirVolumeSource: 1 medium s; 2 sizeLimit Q; 3 mode i
    core.EndpointAddress: 1 ip s; 3 hostname s; 4 nodeName s; 2 targetRef Mcore.ObjectReference
    core.EndpointPort: 1 name s; 2 port i; 3 protocol s; 4 appProtocol s
    core.EndpointSubset: 1 addresses rMcore.EndpointAddress; 2 notReadyAddresses rMcore.EndpointAddress; 3 ports rMcore.EndpointPort
    core.Endpoints: 1 metadata Mmeta.ObjectMeta; 2 subsets rMcore.EndpointSubset
    core.EnvFromSource: 1 prefix s; 2 configMapRef Mcore.ConfigMapEnvSource; 3 secretRef Mcore.SecretEnvSource
    core.EnvVar: 1 name s; 2 value s; 3 valueFrom Mcore.EnvVarSource
    core.EnvVarSource: 1 fieldRef Mcore.ObjectFieldSelector; 2 resourceFieldRef Mcore.ResourceFieldSelector; 3 configMapKeyRef Mcore.ConfigMapKeySelector; 4 secretKeyRef Mcore.SecretKeySelector; 5 fileKeyRef Mcore.FileKeySelector
    core.EphemeralContainer: 1 ephemeralContainerCommon Mcore.EphemeralContainerCommon; 2 targetContainerName s
    core.EphemeralContainerCommon: 1 name s; 2 image s; 3 command rs; 4 args rs; 5 workingDir s; 6 ports rMcore.ContainerPort; 19 envFrom rMcore.EnvFromSource; 7 env rMcore.EnvVar; 8 resources Mcore.ResourceRequirements; 23 resizePolicy rMcore.ContainerResizePolicy; 24 restartPolicy s; 25 restartPolicyRules rMcore.ContainerRestartRule; 9 volumeMounts rMcore.VolumeMount; 21 volumeDevices rMcore.VolumeDevice; 10 livenessProbe Mcore.Probe; 11 readinessProbe Mcore.Probe; 22 startupProbe Mcore.Probe; 12 lifecycle Mcore.Lifecycle; 13 terminationMessagePath s; 20 terminationMessagePolicy s; 14 imagePullPolicy s; 15 securityContext Mcore.SecurityContext; 16 stdin b; 17 stdinOnce b; 18 tty b
    core.EphemeralVolumeSource: 1 volumeClaimTemplate Mcore.PersistentVolumeClaimTemplate
    core.Event: 1 metadata Mmeta.ObjectMeta; 2 involvedObject Mcore.ObjectReference; 3 reason s; 4 message s; 5 source Mcore.EventSource; 6 firstTimestamp T; 7 lastTimestamp T; 8 count i; 9 type s; 10 eventTime T; 11 series Mcore.EventSeries; 12 action s; 13 related Mcore.ObjectReference; 14 reportingComponent s; 15 reportingInstance s
    core.EventSeries: 1 count i; 2 lastObservedTime T
    core.EventSource: 1 component s; 2 host s
    core.EvictionResponder: 1 name s; 2 priority i
    core.ExecAction: 1 command rs
    core.FCVolumeSource: 1 targetWWNs rs; 2 lun i; 3 fsType s; 4 readOnly b; 5 wwids rs
    core.FileKeySelector: 1 volumeName s; 2 path s; 3 key s; 4 optional b
    core.FlexVolumeSource: 1 driver s; 2 fsType s; 3 secretRef Mcore.LocalObjectReference; 4 readOnly b; 5 options ms
    core.FlockerVolumeSource: 1 datasetName s; 2 datasetUUID s
    core.GCEPersistentDiskVolumeSource: 1 pdName s; 2 fsType s; 3 partition i; 4 readOnly b
    core.GRPCAction: 1 port i; 2 service s; 3 mode s
    core.GitRepoVolumeSource: 1 repository s; 2 revision s; 3 directory s
    core.GlusterfsVolumeSource: 1 endpoints s; 2 path s; 3 readOnly b
    core.HTTPGetAction: 1 path s; 2 port IS; 3 host s; 4 scheme s; 5 httpHeaders rMcore.HTTPHeader; 6 protocol s
    core.HTTPHeader: 1 name s; 2 value s
    core.HostAlias: 1 ip s; 2 hostnames rs
    core.HostIP: 1 ip s
    core.HostPathVolumeSource: 1 path s; 2 type s
    core.ISCSIVolumeSource: 1 targetPortal s; 2 iqn s; 3 lun i; 4 iscsiInterface s; 5 fsType s; 6 readOnly b; 7 portals rs; 8 chapAuthDiscovery b; 11 chapAuthSession b; 10 secretRef Mcore.LocalObjectReference; 12 initiatorName s
    core.ImageVolumeSource: 1 reference s; 2 pullPolicy s
    core.ImageVolumeStatus: 1 imageRef s
    core.KeyToPath: 1 key s; 2 path s; 3 mode i; 4 user i
    core.Lifecycle: 1 postStart Mcore.LifecycleHandler; 2 preStop Mcore.LifecycleHandler; 3 stopSignal s
    core.LifecycleHandler: 1 exec Mcore.ExecAction; 2 httpGet Mcore.HTTPGetAction; 3 tcpSocket Mcore.TCPSocketAction; 4 sleep Mcore.SleepAction
    core.LinuxContainerUser: 1 uid i; 2 gid i; 3 supplementalGroups ri
    core.LoadBalancerIngress: 1 ip s; 2 hostname s; 3 ipMode s; 4 ports rMcore.PortStatus
    core.LoadBalancerStatus: 1 ingress rMcore.LoadBalancerIngress
    core.LocalObjectReference: 1 name s
    core.NFSVolumeSource: 1 server s; 2 path s; 3 readOnly b
    core.Namespace: 1 metadata Mmeta.ObjectMeta; 2 spec Mcore.NamespaceSpec; 3 status Mcore.NamespaceStatus
    core.NamespaceCondition: 1 type s; 2 status s; 4 lastTransitionTime T; 5 reason s; 6 message s
    core.NamespaceSpec: 1 finalizers rs
    core.NamespaceStatus: 1 phase s; 2 conditions rMcore.NamespaceCondition
    core.Node: 1 metadata Mmeta.ObjectMeta; 2 spec Mcore.NodeSpec; 3 status Mcore.NodeStatus
    core.NodeAddress: 1 type s; 2 address s
    core.NodeAffinity: 1 requiredDuringSchedulingIgnoredDuringExecution Mcore.NodeSelector; 2 preferredDuringSchedulingIgnoredDuringExecution rMcore.PreferredSchedulingTerm
    core.NodeAllocatableMappedResources: 1 name s; 2 quantity Q
    core.NodeAllocatableOverheadResources: 1 name s; 2 perPod Q; 3 perContainer Q
    core.NodeAllocatableResourceClaimStatus: 1 resourceClaimName s; 2 containers rs; 4 mapping rMcore.NodeAllocatableMappedResources; 5 overhead rMcore.NodeAllocatableOverheadResources
    core.NodeCondition: 1 type s; 2 status s; 3 lastHeartbeatTime T; 4 lastTransitionTime T; 5 reason s; 6 message s
    core.NodeConfigSource: 2 configMap Mcore.ConfigMapNodeConfigSource
    core.NodeConfigStatus: 1 assigned Mcore.NodeConfigSource; 2 active Mcore.NodeConfigSource; 3 lastKnownGood Mcore.NodeConfigSource; 4 error s
    core.NodeDaemonEndpoints: 1 kubeletEndpoint Mcore.DaemonEndpoint
    core.NodeFeatures: 1 supplementalGroupsPolicy b
    core.NodePodPreemptionPolicy: 1 disableResizePreemption rs
    core.NodeRuntimeHandler: 1 name s; 2 features Mcore.NodeRuntimeHandlerFeatures
    core.NodeRuntimeHandlerFeatures: 1 recursiveReadOnlyMounts b; 2 userNamespaces b
    core.NodeSelector: 1 nodeSelectorTerms rMcore.NodeSelectorTerm
    core.NodeSelectorRequirement: 1 key s; 2 operator s; 3 values rs
    core.NodeSelectorTerm: 1 matchExpressions rMcore.NodeSelectorRequirement; 2 matchFields rMcore.NodeSelectorRequirement
    core.NodeSpec: 1 podCIDR s; 7 podCIDRs rs; 3 providerID s; 4 unschedulable b; 5 taints rMcore.Taint; 6 configSource Mcore.NodeConfigSource; 2 externalID s; 8 podPreemptionPolicy Mcore.NodePodPreemptionPolicy
    core.NodeStatus: 1 capacity mQ; 2 allocatable mQ; 3 phase s; 4 conditions rMcore.NodeCondition; 5 addresses rMcore.NodeAddress; 6 daemonEndpoints Mcore.NodeDaemonEndpoints; 7 nodeInfo Mcore.NodeSystemInfo; 8 images rMcore.ContainerImage; 9 volumesInUse rs; 10 volumesAttached rMcore.AttachedVolume; 11 config Mcore.NodeConfigStatus; 12 runtimeHandlers rMcore.NodeRuntimeHandler; 13 features Mcore.NodeFeatures; 14 declaredFeatures rs
    core.NodeSwapStatus: 1 capacity i
    core.NodeSystemInfo: 1 machineID s; 2 systemUUID s; 3 bootID s; 4 kernelVersion s; 5 osImage s; 6 containerRuntimeVersion s; 7 kubeletVersion s; 8 kubeProxyVersion s; 9 operatingSystem s; 10 architecture s; 11 swap Mcore.NodeSwapStatus
    core.ObjectFieldSelector: 1 apiVersion s; 2 fieldPath s
    core.ObjectReference: 1 kind s; 2 namespace s; 3 name s; 4 uid s; 5 apiVersion s; 6 resourceVersion s; 7 fieldPath s
    core.PersistentVolumeClaimSpec: 1 accessModes rs; 4 selector Mmeta.LabelSelector; 2 resources Mcore.VolumeResourceRequirements; 3 volumeName s; 5 storageClassName s; 6 volumeMode s; 7 dataSource Mcore.TypedLocalObjectReference; 8 dataSourceRef Mcore.TypedObjectReference; 9 volumeAttributesClassName s
    core.PersistentVolumeClaimTemplate: 1 metadata Mmeta.ObjectMeta; 2 spec Mcore.PersistentVolumeClaimSpec
    core.PersistentVolumeClaimVolumeSource: 1 claimName s; 2 readOnly b
    core.PhotonPersistentDiskVolumeSource: 1 pdID s; 2 fsType s
    core.Pod: 1 metadata Mmeta.ObjectMeta; 2 spec Mcore.PodSpec; 3 status Mcore.PodStatus
    core.PodAffinity: 1 requiredDuringSchedulingIgnoredDuringExecution rMcore.PodAffinityTerm; 2 preferredDuringSchedulingIgnoredDuringExecution rMcore.WeightedPodAffinityTerm
    core.PodAffinityTerm: 1 labelSelector Mmeta.LabelSelector; 2 namespaces rs; 3 topologyKey s; 4 namespaceSelector Mmeta.LabelSelector; 5 matchLabelKeys rs; 6 mismatchLabelKeys rs
    core.PodAntiAffinity: 1 requiredDuringSchedulingIgnoredDuringExecution rMcore.PodAffinityTerm; 2 preferredDuringSchedulingIgnoredDuringExecution rMcore.WeightedPodAffinityTerm
    core.PodCertificateProjection: 1 signerName s; 2 keyType s; 3 maxExpirationSeconds i; 4 credentialBundlePath s; 5 keyPath s; 6 certificateChainPath s; 7 userAnnotations ms; 8 user i
    core.PodCondition: 1 type s; 7 observedGeneration i; 2 status s; 3 lastProbeTime T; 4 lastTransitionTime T; 5 reason s; 6 message s
    core.PodDNSConfig: 1 nameservers rs; 2 searches rs; 3 options rMcore.PodDNSConfigOption
    core.PodDNSConfigOption: 1 name s; 2 value s
    core.PodExtendedResourceClaimStatus: 1 requestMappings rMcore.ContainerExtendedResourceRequest; 2 resourceClaimName s
    core.PodIP: 1 ip s
    core.PodOS: 1 name s
    core.PodReadinessGate: 1 conditionType s
    core.PodResourceClaim: 1 name s; 3 resourceClaimName s; 4 resourceClaimTemplateName s
    core.PodResourceClaimStatus: 1 name s; 2 resourceClaimName s
    core.PodSchedulingGate: 1 name s
    core.PodSchedulingGroup: 1 podGroupName s
    core.PodSecurityContext: 1 seLinuxOptions Mcore.SELinuxOptions; 8 windowsOptions Mcore.WindowsSecurityContextOptions; 2 runAsUser i; 6 runAsGroup i; 3 runAsNonRoot b; 4 supplementalGroups ri; 12 supplementalGroupsPolicy s; 5 fsGroup i; 7 sysctls rMcore.Sysctl; 9 fsGroupChangePolicy s; 10 seccompProfile Mcore.SeccompProfile; 11 appArmorProfile Mcore.AppArmorProfile; 13 seLinuxChangePolicy s
    core.PodSpec: 1 volumes rMcore.Volume; 20 initContainers rMcore.Container; 2 containers rMcore.Container; 34 ephemeralContainers rMcore.EphemeralContainer; 3 restartPolicy s; 4 terminationGracePeriodSeconds i; 5 activeDeadlineSeconds i; 6 dnsPolicy s; 7 nodeSelector ms; 8 serviceAccountName s; 9 serviceAccount s; 21 automountServiceAccountToken b; 10 nodeName s; 11 hostNetwork b; 12 hostPID b; 13 hostIPC b; 27 shareProcessNamespace b; 14 securityContext Mcore.PodSecurityContext; 15 imagePullSecrets rMcore.LocalObjectReference; 16 hostname s; 17 subdomain s; 18 affinity Mcore.Affinity; 19 schedulerName s; 22 tolerations rMcore.Toleration; 23 hostAliases rMcore.HostAlias; 24 priorityClassName s; 25 priority i; 26 dnsConfig Mcore.PodDNSConfig; 28 readinessGates rMcore.PodReadinessGate; 29 runtimeClassName s; 30 enableServiceLinks b; 31 preemptionPolicy s; 32 overhead mQ; 33 topologySpreadConstraints rMcore.TopologySpreadConstraint; 35 setHostnameAsFQDN b; 36 os Mcore.PodOS; 37 hostUsers b; 38 schedulingGates rMcore.PodSchedulingGate; 39 resourceClaims rMcore.PodResourceClaim; 40 resources Mcore.ResourceRequirements; 41 hostnameOverride s; 43 schedulingGroup Mcore.PodSchedulingGroup; 44 evictionResponders rMcore.EvictionResponder
    core.PodStatus: 17 observedGeneration i; 1 phase s; 2 conditions rMcore.PodCondition; 3 message s; 4 reason s; 11 nominatedNodeName s; 5 hostIP s; 16 hostIPs rMcore.HostIP; 6 podIP s; 12 podIPs rMcore.PodIP; 7 startTime T; 10 initContainerStatuses rMcore.ContainerStatus; 8 containerStatuses rMcore.ContainerStatus; 9 qosClass s; 13 ephemeralContainerStatuses rMcore.ContainerStatus; 14 resize s; 15 resourceClaimStatuses rMcore.PodResourceClaimStatus; 18 extendedResourceClaimStatus Mcore.PodExtendedResourceClaimStatus; 19 allocatedResources mQ; 20 resources Mcore.ResourceRequirements; 21 nodeAllocatableResourceClaimStatuses rMcore.NodeAllocatableResourceClaimStatus; 22 volumeHealth rMcore.PodVolumeHealth
    core.PodTemplateSpec: 1 metadata Mmeta.ObjectMeta; 2 spec Mcore.PodSpec
    core.PodVolumeHealth: 1 name s; 2 healthConditions rMcore.VolumeHealthCondition; 3 lastTransitionTime T
    core.PortStatus: 1 port i; 2 protocol s; 3 error s
    core.PortworxVolumeSource: 1 volumeID s; 2 fsType s; 3 readOnly b
    core.PreferredSchedulingTerm: 1 weight i; 2 preference Mcore.NodeSelectorTerm
    core.Probe: 1 handler Mcore.ProbeHandler; 2 initialDelaySeconds i; 3 timeoutSeconds i; 4 periodSeconds i; 5 successThreshold i; 6 failureThreshold i; 7 terminationGracePeriodSeconds i
    core.ProbeHandler: 1 exec Mcore.ExecAction; 2 httpGet Mcore.HTTPGetAction; 3 tcpSocket Mcore.TCPSocketAction; 4 grpc Mcore.GRPCAction
    core.ProjectedVolumeSource: 1 sources rMcore.VolumeProjection; 2 defaultMode i; 3 defaultUser i
    core.QuobyteVolumeSource: 1 registry s; 2 volume s; 3 readOnly b; 4 user s; 5 group s; 6 tenant s
    core.RBDVolumeSource: 1 monitors rs; 2 image s; 3 fsType s; 4 pool s; 5 user s; 6 keyring s; 7 secretRef Mcore.LocalObjectReference; 8 readOnly b
    core.ResourceClaim: 1 name s; 2 request s
    core.ResourceFieldSelector: 1 containerName s; 2 resource s; 3 divisor Q
    core.ResourceHealth: 1 resourceID s; 2 health s; 6 message s
    core.ResourceRequirements: 1 limits mQ; 2 requests mQ; 3 claims rMcore.ResourceClaim
    core.ResourceStatus: 1 name s; 2 resources rMcore.ResourceHealth
    core.SELinuxOptions: 1 user s; 2 role s; 3 type s; 4 level s
    core.ScaleIOVolumeSource: 1 gateway s; 2 system s; 3 secretRef Mcore.LocalObjectReference; 4 sslEnabled b; 5 protectionDomain s; 6 storagePool s; 7 storageMode s; 8 volumeName s; 9 fsType s; 10 readOnly b
    core.SeccompProfile: 1 type s; 2 localhostProfile s
    core.SecretEnvSource: 1 localObjectReference Mcore.LocalObjectReference; 2 optional b
    core.SecretKeySelector: 1 localObjectReference Mcore.LocalObjectReference; 2 key s; 3 optional b
    core.SecretProjection: 1 localObjectReference Mcore.LocalObjectReference; 2 items rMcore.KeyToPath; 4 optional b
    core.SecretVolumeSource: 1 secretName s; 2 items rMcore.KeyToPath; 3 defaultMode i; 4 optional b; 5 defaultUser i
    core.SecurityContext: 1 capabilities Mcore.Capabilities; 2 privileged b; 3 seLinuxOptions Mcore.SELinuxOptions; 10 windowsOptions Mcore.WindowsSecurityContextOptions; 4 runAsUser i; 8 runAsGroup i; 5 runAsNonRoot b; 6 readOnlyRootFilesystem b; 7 allowPrivilegeEscalation b; 9 procMount s; 11 seccompProfile Mcore.SeccompProfile; 12 appArmorProfile Mcore.AppArmorProfile
    core.Service: 1 metadata Mmeta.ObjectMeta; 2 spec Mcore.ServiceSpec; 3 status Mcore.ServiceStatus
    core.ServiceAccountTokenProjection: 1 audience s; 2 expirationSeconds i; 3 path s; 4 user i
    core.ServicePort: 1 name s; 2 protocol s; 6 appProtocol s; 3 port i; 4 targetPort IS; 5 nodePort i
    core.ServiceSpec: 1 ports rMcore.ServicePort; 2 selector ms; 3 clusterIP s; 18 clusterIPs rs; 4 type s; 5 externalIPs rs; 7 sessionAffinity s; 8 loadBalancerIP s; 9 loadBalancerSourceRanges rs; 10 externalName s; 11 externalTrafficPolicy s; 12 healthCheckNodePort i; 13 publishNotReadyAddresses b; 14 sessionAffinityConfig Mcore.SessionAffinityConfig; 19 ipFamilies rs; 17 ipFamilyPolicy s; 20 allocateLoadBalancerNodePorts b; 21 loadBalancerClass s; 22 internalTrafficPolicy s; 23 trafficDistribution s
    core.ServiceStatus: 1 loadBalancer Mcore.LoadBalancerStatus; 2 conditions rMmeta.Condition
    core.SessionAffinityConfig: 1 clientIP Mcore.ClientIPConfig
    core.SleepAction: 1 seconds i
    core.StorageOSVolumeSource: 1 volumeName s; 2 volumeNamespace s; 3 fsType s; 4 readOnly b; 5 secretRef Mcore.LocalObjectReference
    core.Sysctl: 1 name s; 2 value s
    core.TCPSocketAction: 1 port IS; 2 host s
    core.Taint: 1 key s; 2 value s; 3 effect s; 4 timeAdded T
    core.Toleration: 1 key s; 2 operator s; 3 value s; 4 effect s; 5 tolerationSeconds i
    core.TopologySpreadConstraint: 1 maxSkew i; 2 topologyKey s; 3 whenUnsatisfiable s; 4 labelSelector Mmeta.LabelSelector; 5 minDomains i; 6 nodeAffinityPolicy s; 7 nodeTaintsPolicy s; 8 matchLabelKeys rs
    core.TypedLocalObjectReference: 1 apiGroup s; 2 kind s; 3 name s
    core.TypedObjectReference: 1 apiGroup s; 2 kind s; 3 name s; 4 namespace s
    core.Volume: 1 name s; 2 volumeSource Mcore.VolumeSource
    core.VolumeDevice: 1 name s; 2 devicePath s
    core.VolumeHealthCondition: 1 status s; 2 reason s; 3 message s
    core.VolumeMount: 1 name s; 2 readOnly b; 7 recursiveReadOnly s; 3 mountPath s; 4 subPath s; 5 mountPropagation s; 6 subPathExpr s; 8 bindMountOptions rs
    core.VolumeMountStatus: 1 name s; 2 mountPath s; 3 readOnly b; 4 recursiveReadOnly s; 5 volumeStatus Mcore.VolumeStatus
    core.VolumeProjection: 1 secret Mcore.SecretProjection; 2 downwardAPI Mcore.DownwardAPIProjection; 3 configMap Mcore.ConfigMapProjection; 4 serviceAccountToken Mcore.ServiceAccountTokenProjection; 5 clusterTrustBundle Mcore.ClusterTrustBundleProjection; 6 podCertificate Mcore.PodCertificateProjection
    core.VolumeResourceRequirements: 1 limits mQ; 2 requests mQ
    core.VolumeSource: 1 hostPath Mcore.HostPathVolumeSource; 2 emptyDir Mcore.EmptyDirVolumeSource; 3 gcePersistentDisk Mcore.GCEPersistentDiskVolumeSource; 4 awsElasticBlockStore Mcore.AWSElasticBlockStoreVolumeSource; 5 gitRepo Mcore.GitRepoVolumeSource; 6 secret Mcore.SecretVolumeSource; 7 nfs Mcore.NFSVolumeSource; 8 iscsi Mcore.ISCSIVolumeSource; 9 glusterfs Mcore.GlusterfsVolumeSource; 10 persistentVolumeClaim Mcore.PersistentVolumeClaimVolumeSource; 11 rbd Mcore.RBDVolumeSource; 12 flexVolume Mcore.FlexVolumeSource; 13 cinder Mcore.CinderVolumeSource; 14 cephfs Mcore.CephFSVolumeSource; 15 flocker Mcore.FlockerVolumeSource; 16 downwardAPI Mcore.DownwardAPIVolumeSource; 17 fc Mcore.FCVolumeSource; 18 azureFile Mcore.AzureFileVolumeSource; 19 configMap Mcore.ConfigMapVolumeSource; 20 vsphereVolume Mcore.VsphereVirtualDiskVolumeSource; 21 quobyte Mcore.QuobyteVolumeSource; 22 azureDisk Mcore.AzureDiskVolumeSource; 23 photonPersistentDisk Mcore.PhotonPersistentDiskVolumeSource; 26 projected Mcore.ProjectedVolumeSource; 24 portworxVolume Mcore.PortworxVolumeSource; 25 scaleIO Mcore.ScaleIOVolumeSource; 27 storageos Mcore.StorageOSVolumeSource; 28 csi Mcore.CSIVolumeSource; 29 ephemeral Mcore.EphemeralVolumeSource; 30 image Mcore.ImageVolumeSource
    core.VolumeStatus: 1 image Mcore.ImageVolumeStatus
    core.VsphereVirtualDiskVolumeSource: 1 volumePath s; 2 fsType s; 3 storagePolicyName s; 4 storagePolicyID s
    core.WeightedPodAffinityTerm: 1 weight i; 2 podAffinityTerm Mcore.PodAffinityTerm
    core.WindowsSecurityContextOptions: 1 gmsaCredentialSpecName s; 2 gmsaCredentialSpec s; 3 runAsUserName s; 4 hostProcess b
    discovery.Endpoint: 1 addresses rs; 2 conditions Mdiscovery.EndpointConditions; 3 hostname s; 4 targetRef Mcore.ObjectReference; 5 deprecatedTopology ms; 6 nodeName s; 7 zone s; 8 hints Mdiscovery.EndpointHints
    discovery.EndpointConditions: 1 ready b; 2 serving b; 3 terminating b
    discovery.EndpointHints: 1 forZones rMdiscovery.ForZone; 2 forNodes rMdiscovery.ForNode
    discovery.EndpointPort: 1 name s; 2 protocol s; 3 port i; 4 appProtocol s
    discovery.EndpointSlice: 1 metadata Mmeta.ObjectMeta; 4 addressType s; 2 endpoints rMdiscovery.Endpoint; 3 ports rMdiscovery.EndpointPort
    discovery.ForNode: 1 name s
    discovery.ForZone: 1 name s
    meta.Condition: 1 type s; 2 status s; 3 observedGeneration i; 4 lastTransitionTime T; 5 reason s; 6 message s
    meta.DeleteOptions: 1 gracePeriodSeconds i; 2 preconditions Mmeta.Preconditions; 3 orphanDependents b; 4 propagationPolicy s; 5 dryRun rs; 6 ignoreStoreReadErrorWithClusterBreakingPotential b
    meta.LabelSelector: 1 matchLabels ms; 2 matchExpressions rMmeta.LabelSelectorRequirement
    meta.LabelSelectorRequirement: 1 key s; 2 operator s; 3 values rs
    meta.ManagedFieldsEntry: 1 manager s; 2 operation s; 3 apiVersion s; 4 time T; 6 fieldsType s; 7 fieldsV1 SKIP; 8 subresource s
    meta.ObjectMeta: 1 name s; 2 generateName s; 3 namespace s; 4 selfLink s; 5 uid s; 6 resourceVersion s; 7 generation i; 8 creationTimestamp T; 9 deletionTimestamp T; 10 deletionGracePeriodSeconds i; 11 labels ms; 12 annotations ms; 13 ownerReferences rMmeta.OwnerReference; 14 finalizers rs; 17 managedFields rMmeta.ManagedFieldsEntry
    meta.OwnerReference: 5 apiVersion s; 1 kind s; 3 name s; 4 uid s; 6 controller b; 7 blockOwnerDeletion b
    meta.Preconditions: 1 uid s; 2 resourceVersion s
    """
