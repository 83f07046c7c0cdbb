import Foundation
import KubeMachinery
import KubeModel
import Testing

@testable import NodeAgent

@Suite struct VolumeFilesTests {
    let cfg: JSON = ["data": ["mode": "fast", "host": "db"], "binaryData": ["blob": "AAE="]]
    let pod: JSON = [
        "metadata": ["name": "p", "namespace": "d", "labels": ["app": "web", "tier": "front \"end\""]]
    ]

    func payload(_ volume: JSON) throws(VolumeError) -> [String: VolumeFiles.File] {
        try VolumeFiles.payload(
            Volume(volume).source,
            pod: pod,
            containers: [Container(["name": "c", "resources": ["limits": ["memory": "64Mi"]]])],
            configMaps: ["cfg": cfg],
            secrets: ["s": ["data": ["password": "czNjcjN0"]]]
        )
    }

    @Test func keysBecomeFilesWithTheirModes() throws {
        let all = try payload(["name": "v", "configMap": ["name": "cfg"]])
        #expect(all["mode"] == .init(data: Data("fast".utf8), mode: 0o644))
        #expect(all["blob"]?.data == Data([0, 1]))
        let some = try payload([
            "name": "v",
            "configMap": ["name": "cfg", "defaultMode": 0o600, "items": [["key": "host", "path": "conf/host"]]],
        ])
        #expect(some == ["conf/host": .init(data: Data("db".utf8), mode: 0o600)])
        #expect(try payload(["name": "v", "secret": ["secretName": "s"]])["password"]?.data == Data("s3cr3t".utf8))
    }

    @Test func missingObjectsAndKeysAreKubeletsErrors() throws {
        #expect(throws: VolumeError(message: "configmap \"nope\" not found")) {
            try payload(["name": "v", "configMap": ["name": "nope"]])
        }
        #expect(try payload(["name": "v", "configMap": ["name": "nope", "optional": true]]).isEmpty)
        #expect(throws: VolumeError(message: "configmap references non-existent config key: x")) {
            try payload(["name": "v", "configMap": ["name": "cfg", "items": [["key": "x", "path": "x"]]]])
        }
        #expect(throws: VolumeError(message: "references non-existent secret key: x")) {
            try payload(["name": "v", "secret": ["secretName": "s", "items": [["key": "x", "path": "x"]]]])
        }
    }

    @Test func theDownwardAPIWritesFieldsAndLabelsAsKubeletFormatsThem() throws {
        let files = try payload([
            "name": "v",
            "downwardAPI": [
                "items": [
                    ["path": "labels", "fieldRef": ["fieldPath": "metadata.labels"]],
                    ["path": "name", "fieldRef": ["fieldPath": "metadata.name"]],
                    ["path": "mem", "resourceFieldRef": ["resource": "limits.memory", "containerName": "c"]],
                ]
            ],
        ])
        #expect(
            String(decoding: files["labels"]?.data ?? Data(), as: UTF8.self)
                == "app=\"web\"\ntier=\"front \\\"end\\\"\""
        )
        #expect(files["name"]?.data == Data("p".utf8))
        #expect(files["mem"]?.data == Data("64Mi".utf8))
    }
}

@Suite struct AtomicWriterTests {
    func tempDir() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-atomic-\(UUID().uuidString)")
    }

    @Test func filesAreSymlinksIntoOneDataDirectorySwappedWhole() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fm = FileManager.default
        #expect(
            try AtomicWriter.write(
                ["a": .init(data: Data("1".utf8), mode: 0o644), "sub/b": .init(data: Data("2".utf8), mode: 0o600)],
                to: dir
            )
        )
        #expect(try fm.destinationOfSymbolicLink(atPath: dir.appendingPathComponent("a").path) == "..data/a")
        #expect(try fm.destinationOfSymbolicLink(atPath: dir.appendingPathComponent("sub").path) == "..data/sub")
        #expect(try String(contentsOf: dir.appendingPathComponent("sub/b"), encoding: .utf8) == "2")
        let first = try fm.destinationOfSymbolicLink(atPath: dir.appendingPathComponent("..data").path)
        // The same files again: nothing is written.
        #expect(
            try !AtomicWriter.write(
                ["a": .init(data: Data("1".utf8), mode: 0o644), "sub/b": .init(data: Data("2".utf8), mode: 0o600)],
                to: dir
            )
        )
        // A change: a new data directory, the old one and a removed key's link gone.
        #expect(try AtomicWriter.write(["a": .init(data: Data("3".utf8), mode: 0o644)], to: dir))
        let second = try fm.destinationOfSymbolicLink(atPath: dir.appendingPathComponent("..data").path)
        #expect(second != first)
        #expect(try String(contentsOf: dir.appendingPathComponent("a"), encoding: .utf8) == "3")
        #expect(!fm.fileExists(atPath: dir.appendingPathComponent("sub").path))
        #expect(!fm.fileExists(atPath: dir.appendingPathComponent(first).path))
    }

    @Test(arguments: ["/etc/passwd", "../up", "a/../../b", "..data"])
    func pathsThatLeaveTheVolumeAreRefused(_ path: String) {
        #expect(!AtomicWriter.isValid(path))
    }
}

@Suite struct HostPathCheckTests {
    @Test func typesAreCheckedAndCreatedAsKubeletDoes() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent(
            "swiftlet-hostpath-\(UUID().uuidString)"
        )
        defer { try? FileManager.default.removeItem(at: base) }
        let dir = base.appendingPathComponent("made").path
        try HostPathCheck.check(dir, type: "DirectoryOrCreate")
        try HostPathCheck.check(dir, type: "Directory")
        #expect(throws: VolumeError(message: "hostPath type check failed: \(dir) is not a file")) {
            try HostPathCheck.check(dir, type: "File")
        }
        let file = base.appendingPathComponent("f").path
        try HostPathCheck.check(file, type: "FileOrCreate")
        #expect(throws: VolumeError(message: "hostPath type check failed: \(file) is not a directory")) {
            try HostPathCheck.check(file, type: "Directory")
        }
        try HostPathCheck.check("/nowhere/at/all", type: "")
    }
}
