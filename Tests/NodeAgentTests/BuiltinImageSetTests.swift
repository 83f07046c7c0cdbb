import Foundation
import Testing

@testable import NodeAgent

@Suite struct BuiltinImageSetTests {
    @Test(arguments: [
        ("registry.k8s.io/e2e-test-images/agnhost:2.53", BuiltinImageSet.Kind.agnhost),
        ("agnhost", .agnhost), ("registry.k8s.io/serve_hostname:1.4", .serveHostname),
        ("registry.k8s.io/pause:3.9", .pause), ("example.com:5000/team/agnhost@sha256:abc", .agnhost),
    ])
    func swiftletsOwnImagesAreKnownByTheirRepositorysName(image: String, kind: BuiltinImageSet.Kind) {
        #expect(BuiltinImageSet.kind(of: image) == kind)
    }

    @Test func otherImagesAreNot() {
        for image in ["busybox", "nginx:1.27", "registry.k8s.io/agnhost-extra:1", "pausey"] {
            #expect(BuiltinImageSet.kind(of: image) == nil, "\(image)")
        }
    }

    @Test(arguments: [
        ("busybox", "docker.io/library/busybox:latest"), ("nginx:1.27", "docker.io/library/nginx:1.27"),
        ("team/app", "docker.io/team/app:latest"), ("localhost/app", "localhost/app:latest"),
        ("registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9"),
        ("127.0.0.1:5000/library/busybox", "127.0.0.1:5000/library/busybox:latest"),
        ("quay.io/x/y@sha256:00", "quay.io/x/y@sha256:00"),
    ])
    func referencesAreNormalizedAsContainerdNamesThem(reference: String, normalized: String) {
        #expect(ContainerdImages.normalized(reference) == normalized)
    }

    @Test func lddOutputGivesTheLibrariesAndTheLoader() {
        let out = """
            \tlinux-vdso.so.1 (0x00007ffd1b9f2000)
            \tlibswiftCore.so => /opt/swift/usr/lib/swift/linux/libswiftCore.so (0x00007f0b1c000000)
            \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f0b1bc1f000)
            \tlibmissing.so => not found
            \t/lib64/ld-linux-x86-64.so.2 (0x00007f0b1cb7e000)
            """
        #expect(
            SharedLibraries.paths(lddOutput: out) == [
                "/opt/swift/usr/lib/swift/linux/libswiftCore.so", "/lib/x86_64-linux-gnu/libc.so.6",
                "/lib64/ld-linux-x86-64.so.2",
            ]
        )
        #expect(SharedLibraries.paths(lddOutput: "\tnot a dynamic executable").isEmpty)
    }

    @Test func everyParentDirectoryComesOnceBeforeWhatItHolds() {
        var tree = ImageFileTree()
        tree.add(file: "opt/swift/usr/lib/a.so", mode: 0o755, from: "/a")
        tree.add(file: "opt/swift/usr/lib/b.so", mode: 0o755, from: "/b")
        tree.add(symlink: "bin/sh", to: "busybox")
        #expect(
            tree.entries.map(\.path) == [
                "opt", "opt/swift", "opt/swift/usr", "opt/swift/usr/lib", "opt/swift/usr/lib/a.so",
                "opt/swift/usr/lib/b.so", "bin", "bin/sh",
            ]
        )
    }
}
