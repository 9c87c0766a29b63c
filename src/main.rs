//! The `ketlit` binary: a thin shell over the library's CLI.

fn main() -> std::process::ExitCode {
    ketlit::cli::main()
}
