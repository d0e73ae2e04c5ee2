//! The `postwright` binary: all logic lives in the library.

fn main() {
    std::process::exit(postwright::cli::run(std::env::args_os()));
}
