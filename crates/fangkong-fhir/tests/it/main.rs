//! The crate's one test binary: a module per feature.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod errors;
mod perf;
mod read;
mod robust;
mod roundtrip;
mod write;

use fangkong_fhir::{read, Submission};

/// Reads `text` as `name`, panicking on a file error.
pub fn ok(name: &str, text: &str) -> Submission {
    match read(name, text.as_bytes()) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

/// Every issue of every entry, one per line, or `ok` per valid entry.
pub fn outline(s: &Submission) -> String {
    let mut out = format!("{:?}\n", s.kind);
    for e in &s.entries {
        match &e.resource {
            Ok(_) => out.push_str(&format!("{}: ok\n", e.location)),
            Err(issues) => {
                for i in issues {
                    out.push_str(&format!("{}: {i}\n", e.location));
                }
            }
        }
    }
    out
}
