/// glibc serves allocations over 32 MiB with fresh `mmap`s, so every 64 MiB chunk buffer costs a page fault per
/// 4 KiB page, which measured as most of the codec's time (Deploy/bench-codec). Keeping large blocks in the heap
/// lets transfers reuse memory that is already mapped; what a process keeps is bounded by its peak (W chunks).
public enum MemoryTuning {
    public static func reuseLargeBuffers() {
        #if os(Linux)
        // glibc's <malloc.h> is not part of Swift's Glibc module; these are its documented parameter numbers.
        _ = glibcMallopt(-3, 256 << 20)  // M_MMAP_THRESHOLD
        _ = glibcMallopt(-1, 512 << 20)  // M_TRIM_THRESHOLD
        #endif
    }
}

#if os(Linux)
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
