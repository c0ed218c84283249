//! `fangkong`: the one binary. Wiring only: parse the command line, open the store, call the
//! app or start the server. No business rule lives here.

mod cli;
mod commands;

use clap::Parser as _;

/// Ingest hands millions of small strings and per-chunk vectors between threads; with the
/// system allocator the kernel zeroed freed-and-reallocated pages for a fifth of the CPU of a
/// city's sample file (see ARCHITECTURE.md, Dependencies).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    commands::init_tracing(&cli);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("fangkong: error: starting the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fangkong: error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}
