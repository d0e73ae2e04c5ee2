//! The `postwright` binary: all logic lives in the library.

fn main() {
    // `FAILPOINTS` is read once, here (feature `failpoints`, tests only).
    #[cfg(feature = "failpoints")]
    let _failpoints = fail::FailScenario::setup();
    std::process::exit(postwright::cli::run(std::env::args_os()));
}
