//! The `ketlit` binary: a thin shell over the library's CLI.

fn main() -> std::process::ExitCode {
    limit_malloc_arenas();
    ketlit::cli::main()
}

/// glibc gives each thread that allocates its own malloc arena, up to eight per core,
/// and memory freed into an arena stays there. A pass parses on the CPU pool, stores
/// on a blocking thread and indexes on another, so its buffers are allocated in one
/// arena and freed in others: a cold pass held some 15 MiB more than it used (62 MiB
/// peak against 46 MiB with two arenas, and no slower). Two arenas keep the writer and
/// the parsers from contending on one lock. Set before any thread starts.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called before any
    // other thread exists, and a refused value leaves the default in place.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}
