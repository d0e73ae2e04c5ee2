//! The `postwright` binary: all logic lives in the library.

// Why this allocator: Cargo.toml, where it is chosen.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // `FAILPOINTS` is read once, here (feature `failpoints`, tests only).
    #[cfg(feature = "failpoints")]
    let _failpoints = fail::FailScenario::setup();
    std::process::exit(postwright::cli::run(std::env::args_os()));
}
