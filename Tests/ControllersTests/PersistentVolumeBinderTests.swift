import Controllers
import KubeAPI
import KubeMachinery
import Testing

@Suite struct PersistentVolumeBinderTests {
    static func volume(
        _ name: String,
        _ size: String,
        modes: [String] = ["ReadWriteOnce"],
        className: String = "",
        claimed: Bool = false,
        phase: String = "Available"
    ) -> JSON {
        var v: JSON = [
            "metadata": ["name": .string(name)],
            "spec": [
                "capacity": ["storage": .string(size)], "accessModes": JSON(modes),
                "storageClassName": .string(className), "hostPath": ["path": "/x"],
            ],
            "status": ["phase": .string(phase)],
        ]
        if claimed { v[path: ["spec", "claimRef"]] = ["namespace": "a", "name": "other"] }
        return v
    }

    static func claim(_ size: String, modes: [String] = ["ReadWriteOnce"], className: String = "") -> JSON {
        [
            "metadata": ["name": "data", "namespace": "a", "uid": "u1"],
            "spec": [
                "accessModes": JSON(modes), "resources": ["requests": ["storage": .string(size)]],
                "storageClassName": .string(className),
            ],
        ]
    }

    @Test func theSmallestAvailableVolumeThatFitsIsChosen() {
        let volumes = [
            Self.volume("big", "10Gi"), Self.volume("small", "1Gi"), Self.volume("tiny", "100Mi"),
            Self.volume("taken", "2Gi", claimed: true), Self.volume("released", "2Gi", phase: "Released"),
            Self.volume("classy", "2Gi", className: "fast"), Self.volume("rox", "2Gi", modes: ["ReadOnlyMany"]),
        ]
        #expect(PersistentVolumeController.bestFit(Self.claim("500Mi"), among: volumes)?.name == "small")
        #expect(PersistentVolumeController.bestFit(Self.claim("2Gi"), among: volumes)?.name == "big")
        #expect(
            PersistentVolumeController.bestFit(Self.claim("1Gi", className: "fast"), among: volumes)?.name == "classy"
        )
        #expect(
            PersistentVolumeController.bestFit(Self.claim("1Gi", modes: ["ReadOnlyMany"]), among: volumes)?.name
                == "rox"
        )
        #expect(PersistentVolumeController.bestFit(Self.claim("20Gi"), among: volumes) == nil)
    }

    @Test func claimsAndVolumesAreValidated() {
        let noModes: JSON = [
            "metadata": ["name": "c", "namespace": "a"], "spec": ["resources": ["requests": ["storage": "1Gi"]]],
        ]
        #expect(Resources.persistentvolumeclaims.validate(noModes).map(\.field) == ["spec.accessModes"])
        let noSize: JSON = ["metadata": ["name": "c", "namespace": "a"], "spec": ["accessModes": ["ReadWriteOnce"]]]
        #expect(Resources.persistentvolumeclaims.validate(noSize).map(\.field) == ["spec.resources[storage]"])
        var pv = Self.volume("v", "1Gi")
        pv[path: ["spec", "hostPath"]] = nil
        Resources.persistentvolumes.applyDefaults(&pv)
        #expect(Resources.persistentvolumes.validate(pv).map(\.field) == ["spec"])
        let sc: JSON = ["metadata": ["name": "s"], "provisioner": "x", "volumeBindingMode": "Sometimes"]
        var defaulted = sc
        Resources.storageclasses.applyDefaults(&defaulted)
        #expect(Resources.storageclasses.validate(defaulted).map(\.field) == ["volumeBindingMode"])
    }
}
