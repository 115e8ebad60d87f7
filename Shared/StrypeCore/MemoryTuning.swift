/// glibc serves allocations over 32 MiB with fresh `mmap`s, so every 64 MiB chunk buffer costs a page fault per
/// 4 KiB page, which measured as most of the codec's time (Deploy/bench-codec). Keeping large blocks in the heap
/// lets transfers reuse memory that is already mapped; what a process keeps is bounded by its peak (W chunks), as long
/// as few arenas share it.
public enum MemoryTuning {
    public static func reuseLargeBuffers() {
        #if os(Linux)
        // glibc's <malloc.h> is not part of Swift's Glibc module; these are its documented parameter numbers.
        _ = glibcMallopt(-3, 256 << 20)  // M_MMAP_THRESHOLD
        _ = glibcMallopt(-1, 512 << 20)  // M_TRIM_THRESHOLD
        // glibc gives threads arenas of their own (up to 8 per core) and a block freed in one is not reused by
        // another, so with large blocks kept (above) every arena would keep its own transfers' worth: two arenas
        // took four concurrent uploads from 423 to 338 MiB (filesystem + chunk) at the same speed.
        _ = glibcMallopt(-8, 2)  // M_ARENA_MAX
        #endif
    }

    /// For a process that only passes chunks through (no codec): blocks of 1 MiB and more get their own mapping and
    /// go back to the system when freed, so resident memory follows what is in flight.
    public static func returnLargeBuffers() {
        #if os(Linux)
        _ = glibcMallopt(-3, 1 << 20)  // M_MMAP_THRESHOLD
        _ = glibcMallopt(-8, 2)  // M_ARENA_MAX
        #endif
    }
}

#if os(Linux)
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
