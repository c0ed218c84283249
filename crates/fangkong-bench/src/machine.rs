//! What every scenario reports about the machine and the process: the load average when it
//! ran (the machine is shared, so a figure means little without it) and the peak resident
//! set size. Linux `/proc` only; elsewhere the values are `None`.

/// A field of `/proc/self/status` given in kB, in bytes.
pub(crate) fn status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line
        .trim_start_matches(field)
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// `VmHWM` of `/proc/self/status` in bytes.
pub(crate) fn peak_rss_bytes() -> Option<u64> {
    status_bytes("VmHWM:")
}

/// Resets `VmHWM` to the current resident set size (Linux `clear_refs`, value 5); whether it
/// could.
pub(crate) fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The load averages of `/proc/loadavg` (1, 5 and 15 minutes).
pub(crate) fn load_averages() -> Option<[f64; 3]> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let mut fields = text.split_whitespace().map(str::parse::<f64>);
    Some([
        fields.next()?.ok()?,
        fields.next()?.ok()?,
        fields.next()?.ok()?,
    ])
}

/// The 1-minute load average.
pub(crate) fn load_average() -> Option<f64> {
    load_averages().map(|l| l[0])
}
