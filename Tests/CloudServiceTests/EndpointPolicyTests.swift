import Foundation
import NIOCore
import StrypeService
import Testing

@testable import CloudService

@Suite("endpoint policy and local roots")
struct EndpointPolicyTests {
    static let kinds: [(String, AddressKind)] = [
        ("8.8.8.8", .publicAddress), ("93.184.216.34", .publicAddress), ("172.32.0.1", .publicAddress),
        ("172.15.255.255", .publicAddress), ("100.63.255.255", .publicAddress), ("100.128.0.1", .publicAddress),
        ("192.169.0.1", .publicAddress), ("169.253.0.1", .publicAddress), ("2606:4700::1111", .publicAddress),
        ("::ffff:8.8.8.8", .publicAddress), ("64:ff9b::808:808", .publicAddress), ("2002:808:808::1", .publicAddress),
        ("127.0.0.1", .loopback), ("127.255.255.254", .loopback), ("::1", .loopback), ("::ffff:127.0.0.1", .loopback),
        ("::ffff:7f00:1", .loopback), ("::ffff:0:7f00:1", .loopback), ("64:ff9b::7f00:1", .loopback),
        ("2002:7f00:1::1", .loopback),
        ("169.254.169.254", .linkLocal), ("169.254.0.1", .linkLocal), ("fe80::1", .linkLocal), ("febf::1", .linkLocal),
        ("::ffff:169.254.169.254", .linkLocal),
        ("10.0.0.1", .privateNetwork), ("10.255.255.255", .privateNetwork), ("172.16.0.1", .privateNetwork),
        ("172.31.255.255", .privateNetwork), ("192.168.1.1", .privateNetwork), ("fc00::1", .privateNetwork),
        ("fd12:3456::1", .privateNetwork), ("fec0::1", .privateNetwork), ("::ffff:10.0.0.1", .privateNetwork),
        ("::ffff:192.168.0.1", .privateNetwork),
        ("0.0.0.0", .unspecified), ("::", .unspecified), ("::ffff:0.0.0.0", .unspecified),
        ("100.64.0.1", .sharedAddressSpace), ("100.127.255.255", .sharedAddressSpace),
        ("::ffff:100.64.0.1", .sharedAddressSpace),
        ("224.0.0.1", .multicast), ("239.255.255.250", .multicast), ("ff02::1", .multicast),
        ("ff05::2", .multicast),
        ("0.1.2.3", .reserved), ("240.0.0.1", .reserved), ("255.255.255.255", .reserved), ("192.0.0.1", .reserved),
        ("198.18.0.1", .reserved), ("2001:db8::1", .reserved), ("2001::1", .reserved), ("::1.2.3.4", .reserved),
        ("100::1", .reserved),
    ]

    @Test(
        "addresses are classified by network, IPv4 inside IPv6 by the IPv4 address",
        arguments: EndpointPolicyTests.kinds
    )
    func classifies(text: String, kind: AddressKind) throws {
        let address = try #require(IPAddress(text))
        #expect(address.kind == kind, "\(text)")
    }

    @Test("only strict address spellings parse; legacy forms are names to resolve")
    func strictParsing() throws {
        let names = ["127.1", "0x7f.1", "2130706433", "0177.0.0.1", "[::1]", "fe80::1%eth0", "", "localhost", "1.2.3 "]
        for text in names {
            #expect(IPAddress(text) == nil, "\(text)")
        }
        #expect(try #require(IPAddress("::1")).urlHost == "[::1]")
        #expect(try #require(IPAddress("10.0.0.1")).urlHost == "10.0.0.1")
        #expect(try #require(IPAddress("::ffff:127.0.0.1")).description.hasSuffix("127.0.0.1"))
    }

    @Test(
        "legacy numeric spellings resolve to the loopback address they denote",
        arguments: ["127.1", "0x7f.1", "2130706433", "0177.0.0.1", "017700000001", "0x7f000001", "localhost"]
    )
    func legacySpellings(host: String) throws {
        let addresses = try HostResolver.resolve(host)
        #expect(!addresses.isEmpty && addresses.allSatisfy { $0.kind == .loopback }, "\(host): \(addresses)")
    }

    @Test("ALLOWED_PRIVATE_ENDPOINTS lists host:port pairs, matched by host (any case) and port")
    func allowList() throws {
        let policy = try EndpointPolicy.parse(" 127.0.0.1:57399, Moto:5000,[::1]:9000 ,")
        #expect(policy.allowsPrivate(host: "127.0.0.1", port: 57399))
        #expect(policy.allowsPrivate(host: "moto", port: 5000))
        #expect(policy.allowsPrivate(host: "::1", port: 9000))
        #expect(!policy.allowsPrivate(host: "127.0.0.1", port: 57398))
        #expect(!policy.allowsPrivate(host: "localhost", port: 57399))
        #expect(try EndpointPolicy.parse(nil).allowedPrivate.isEmpty)
        #expect(try EndpointPolicy.parse("  ").allowedPrivate.isEmpty)
        for bad in ["127.0.0.1", "http://x:1", "a:0", "a:70000", "a b:1", "[fe80::1%eth0]:1", ":80"] {
            #expect(throws: ConfigError.self, "\(bad)") { try EndpointPolicy.parse(bad) }
        }
    }

    @Test("endpoint hosts must be plain names or IPv6 addresses")
    func plainHosts() {
        for host in ["s3.example.com", "bucket.s3.eu-west-1.amazonaws.com", "::1", "127.0.0.1", "my_minio"] {
            #expect(EndpointPolicy.isPlainHost(host), "\(host)")
        }
        for host in ["", "%31%32%37.0.0.1", "a b", "fe80::1%25eth0", "x/y", "a@b", "::zz"] {
            #expect(!EndpointPolicy.isPlainHost(host), "\(host)")
        }
    }

    @Test("local paths compare by components and must be plain absolute paths")
    func localPaths() throws {
        #expect(!LocalPath.isInside("/srv/data2", "/srv/data"))
        #expect(!LocalPath.isInside("/srv", "/srv/data"))
        #expect(LocalPath.isInside("/srv/data", "/srv/data"))
        #expect(LocalPath.isInside("/srv//data/x", "/srv/data"))
        for path in ["relative/x", "/a/../b", "/a/./b", "/a\u{0}b", "", "/a/.."] {
            #expect(!LocalPath.isPlainAbsolute(path), "\(path)")
        }
        #expect(LocalPath.isPlainAbsolute("/srv/data/x"))
        #expect(try LocalRoots.parse(" /srv/data, /srv/other ,").paths == ["/srv/data", "/srv/other"])
        #expect(try LocalRoots.parse(nil).isEmpty)
        for bad in ["relative", "/", "/a/../b", "/srv, data"] {
            #expect(throws: ConfigError.self, "\(bad)") { try LocalRoots.parse(bad) }
        }
    }

    @Test("a path is confined only when, links resolved, it lies inside a root")
    func confinement() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("roots-\(UUID())")
        let (root, outside) = (base.appendingPathComponent("root"), base.appendingPathComponent("outside"))
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: base) }
        let link = root.appendingPathComponent("link").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: outside.path)
        let alias = base.appendingPathComponent("alias").path
        try FileManager.default.createSymbolicLink(atPath: alias, withDestinationPath: root.path)
        let roots = LocalRoots(paths: [root.path])
        #expect(roots.confine(root.appendingPathComponent("a/b").path) != nil)
        #expect(roots.confine(root.path) != nil)
        #expect(roots.confine(link) == nil)
        #expect(roots.confine(link + "/sub") == nil)
        #expect(roots.confine(root.path + "2") == nil)
        #expect(roots.confine(outside.path) == nil)
        #expect(roots.confine("/etc") == nil)
        #expect(roots.confine(root.path + "/../outside") == nil)
        // A root given through a link still holds what lies in its target.
        #expect(LocalRoots(paths: [alias]).confine(root.appendingPathComponent("x").path) != nil)
        #expect(LocalRoots(paths: []).confine(root.path) == nil)
    }

    @Test("the local store refuses a link planted below its root, and never reads one in an object's place")
    func plantedLinks() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("planted-\(UUID())")
        let (root, outside) = (base.appendingPathComponent("root"), base.appendingPathComponent("outside"))
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: base) }
        try Data("secret".utf8).write(to: outside.appendingPathComponent("file"))
        try FileManager.default.createSymbolicLink(
            atPath: root.appendingPathComponent("planted").path,
            withDestinationPath: outside.path
        )
        try FileManager.default.createSymbolicLink(
            atPath: root.appendingPathComponent("object").path,
            withDestinationPath: outside.appendingPathComponent("file").path
        )
        let store = LocalObjectStore(root: root.path, threadPool: .singleton)
        let body = ByteBuffer(string: "x")
        await #expect(throws: ObjectStoreError.pathNotAllowed) {
            _ = try await store.put(key: "planted/x", length: 1, sha256: nil, body: BufferSequence([body]))
        }
        await #expect(throws: ObjectStoreError.pathNotAllowed) { _ = try await store.head(key: "planted/file") }
        await #expect(throws: ObjectStoreError.pathNotAllowed) { try await store.delete(key: "planted/file") }
        #expect(try await store.head(key: "object") == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path) == ["file"])
    }
}
