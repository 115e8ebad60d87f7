import NIOCore

/// Bytes sent as a request body in small buffers made as the connection takes them, so sending a shard costs a
/// few slices of memory rather than a whole copy of it (`HTTPClientRequest.Body.bytes` copies everything at once).
package struct ByteSlices: AsyncSequence, Sendable {
    package typealias Element = ByteBuffer
    let bytes: ArraySlice<UInt8>
    let sliceSize: Int

    package init(_ bytes: ArraySlice<UInt8>, sliceSize: Int = 256 << 10) {
        self.bytes = bytes
        self.sliceSize = sliceSize
    }

    package struct AsyncIterator: AsyncIteratorProtocol {
        var rest: ArraySlice<UInt8>
        let sliceSize: Int

        package mutating func next() async -> ByteBuffer? {
            guard !rest.isEmpty else { return nil }
            let slice = rest.prefix(sliceSize)
            rest = rest.dropFirst(slice.count)
            return ByteBuffer(bytes: slice)
        }
    }

    package func makeAsyncIterator() -> AsyncIterator { AsyncIterator(rest: bytes, sliceSize: sliceSize) }
}
