import StrypeCore
import Testing

@Suite("durability and chunk ids")
struct DurabilityTests {
    @Test("every valid form parses and prints back canonically")
    func validForms() {
        #expect(DurabilitySpec("none") == .replicas(1))
        for count in 1...8 {
            #expect(DurabilitySpec("raid1(\(count))") == .replicas(count))
            #expect(DurabilitySpec("raid1(\(count))")?.description == "raid1(\(count))")
        }
        for data in 1...16 {
            for parity in 1...8 {
                let spec = DurabilitySpec("rs(\(data),\(parity))")
                #expect(spec == .erasure(data: data, parity: parity))
                #expect(spec?.shardCount == data + parity && spec?.shardsNeeded == data)
            }
        }
    }

    @Test(
        "anything else is refused",
        arguments: [
            "", "raid1", "raid1()", "raid1(0)", "raid1(9)", "raid1(01)", "raid1(+2)", "raid1(2,3)", "RAID1(2)",
            "raid1(2) ", " none", "rs(0,1)", "rs(17,1)", "rs(4,0)", "rs(4,9)", "rs(4, 2)", "rs(4,2", "rs(4,,2)",
            "rs(4,2,1)", "rs(-4,2)", "rs(٤,2)", "raid5", "None", "rs(4,2)x", "raid1(99999999999999999999)",
        ]
    )
    func invalidForms(text: String) {
        #expect(DurabilitySpec(text) == nil)
    }

    @Test("fuzz: random strings near the grammar never crash and only canonical forms parse (bounded)")
    func fuzz() {
        var random = SplitMix64(state: 7)
        let alphabet = Array("raid1rs(),0123456789 -none")
        for _ in 0..<20_000 {
            let text = String(
                (0..<Int.random(in: 0...12, using: &random)).map { _ in alphabet.randomElement(using: &random)! }
            )
            if let spec = DurabilitySpec(text) {
                #expect(text == "none" || spec.description == text, "\(text)")
            }
        }
    }

    @Test("chunk ids are 32 lower-case hex digits and unique")
    func chunkIDs() {
        let ids = (0..<1000).map { _ in ChunkID.generate() }
        #expect(Set(ids).count == 1000)
        #expect(ids.allSatisfy(ChunkID.isValid))
        for bad in ["", "ABCDEF0123456789ABCDEF0123456789", "0123", String(repeating: "g", count: 32)] {
            #expect(!ChunkID.isValid(bad))
        }
    }
}
