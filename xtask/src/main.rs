//! Project automation in Rust, so that CI and developers run the same steps.
//!
//! `cargo xtask ci` runs formatting and lint checks, the test suite on SQLite and, when
//! `FANGKONG_TEST_DATABASE_URL` is set, the same suite again on PostgreSQL.

use std::process::Command;

use anyhow::{bail, Context, Result};

fn main() -> Result<()> {
    let task = std::env::args().nth(1).unwrap_or_default();
    match task.as_str() {
        "ci" => {
            fmt()?;
            clippy()?;
            test(false)?;
            if std::env::var_os("FANGKONG_TEST_DATABASE_URL").is_some() {
                test(true)?;
            }
            Ok(())
        }
        "fmt" => fmt(),
        "clippy" => clippy(),
        "test" => test(false),
        "test-postgres" => test(true),
        _ => {
            eprintln!("usage: cargo xtask <ci|fmt|clippy|test|test-postgres>");
            bail!("unknown task {task:?}")
        }
    }
}

fn fmt() -> Result<()> {
    run("cargo", &["fmt", "--all", "--", "--check"], false)
}

fn clippy() -> Result<()> {
    run(
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        false,
    )
}

/// Runs the workspace tests; with `postgres`, against `FANGKONG_TEST_DATABASE_URL`.
fn test(postgres: bool) -> Result<()> {
    if postgres {
        println!("xtask: PostgreSQL pass against FANGKONG_TEST_DATABASE_URL");
    }
    run("cargo", &["test", "--workspace"], !postgres)
}

fn run(program: &str, args: &[&str], drop_pg_url: bool) -> Result<()> {
    let mut cmd = Command::new(program);
    cmd.args(args);
    if drop_pg_url {
        cmd.env_remove("FANGKONG_TEST_DATABASE_URL");
    }
    println!("xtask: {program} {}", args.join(" "));
    let status = cmd
        .status()
        .with_context(|| format!("running {program} {}", args.join(" ")))?;
    if !status.success() {
        bail!("{program} {} failed with {status}", args.join(" "));
    }
    Ok(())
}
