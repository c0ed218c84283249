//! The `aberration` scenario: every aberration method over many daily series, the latest days
//! of each judged, against the naive reference of [`crate::reference`].
//!
//! Why it exists: the early-warning dashboard judges every series (jurisdiction x syndrome)
//! every day, so the cost of one round over all of them is what an operator waits for
//! (issue #9).
//!
//! What is timed:
//! - the fast path, `seconds`: for each method in turn, `fangkong_epi::aberration::
//!   evaluate_batch` on the rayon pool (all cores). EARS and CUSUM get each series cut to the
//!   judged days and the history they need before them (EARS: its 7-day baseline and lag;
//!   CUSUM: 7 days that give its reference mean `m`, so it monitors the judged days only);
//!   cutting is timed too. Farrington gets the whole series, laid out so that the first judged
//!   day is its first evaluable day, so it judges exactly the judged days.
//! - the reference, `reference_seconds`: [`crate::reference::evaluate`] on one thread, every
//!   day recomputed from scratch, on the same series.
//!
//! Both verdicts are compared day by day: `alarm_mismatches` and the largest relative
//! difference of the thresholds show that both compute the same thing.

use std::time::Instant;

use anyhow::{bail, ensure, Result};
use chrono::{Days, NaiveDate};
use fangkong_epi::aberration::{evaluate_batch, Detector, Evaluation, FarringtonParams, Method};
use fangkong_epi::{EpiError, Frequency, Series};
use rayon::prelude::*;
use serde::Serialize;

use crate::generate::{generate, Layout, Truth};
use crate::reference::{self, Point};

/// The judged days: the latest 30 of each series.
pub const DAYS_EVALUATED: usize = 30;

/// Which Farrington parameters the scenario uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FarringtonConfig {
    /// `Method::Farrington`'s parameters, the `farringtonFlexible` defaults (b = 5, w = 3,
    /// no_periods = 1): 5 windows of 7 days, 35 rows a fit.
    Defaults,
    /// `FarringtonParams::noufaily()` (no_periods = 10, 26 points left out): every day of 5
    /// years is a row, about 1800 rows and 11 columns a fit.
    Noufaily,
}

impl FarringtonConfig {
    fn params(self) -> FarringtonParams {
        match self {
            FarringtonConfig::Defaults => FarringtonParams::default(),
            FarringtonConfig::Noufaily => FarringtonParams::noufaily(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            FarringtonConfig::Defaults => "defaults",
            FarringtonConfig::Noufaily => "noufaily",
        }
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    pub series: usize,
    pub seed: u64,
    pub farrington: FarringtonConfig,
    /// Time the reference on the first this many series only (all when `None`).
    pub reference_series: Option<usize>,
}

/// The result of one method.
#[derive(Debug, Serialize)]
pub struct MethodReport {
    pub method: &'static str,
    /// Fast path, all series, all cores.
    pub seconds: f64,
    /// CPU time of the fast path, all threads.
    pub cpu_seconds: f64,
    /// Reference, `reference_series` series, one thread.
    pub reference_seconds: f64,
    /// Time per series of the reference over time per series of the fast path.
    pub speedup: f64,
    /// Days judged (series not refused times the judged days).
    pub evaluations: usize,
    pub alarms: usize,
    /// Series the method refused as a whole (CUSUM: no case in the 7 days before).
    pub refused_series: usize,
    pub reference_alarms: usize,
    /// Days of the reference's series where the two alarms differ.
    pub alarm_mismatches: usize,
    /// Days where one gives a threshold and the other not.
    pub threshold_presence_mismatches: usize,
    /// Largest `|fast - reference| / max(1, |reference|)` over the thresholds.
    pub max_threshold_rel_diff: f64,
    /// Series with an injected outbreak that have at least one alarm on or after its start.
    pub outbreak_series_alarmed: usize,
    /// Series without an injected outbreak that have at least one alarm.
    pub quiet_series_alarmed: usize,
}

/// The result of the scenario.
#[derive(Debug, Serialize)]
pub struct Report {
    pub scenario: String,
    pub series: usize,
    pub days_evaluated: usize,
    /// Length of every series (days).
    pub series_days: usize,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub seed: u64,
    pub threads: usize,
    pub methods: Vec<&'static str>,
    pub farrington: &'static str,
    /// Fast path: all methods, all series (wall clock).
    pub seconds: f64,
    /// CPU time of the fast path, all threads: on a busy machine a steadier measure.
    pub cpu_seconds: f64,
    /// Reference: all methods on `reference_series` series.
    pub reference_seconds: f64,
    pub reference_series: usize,
    /// Time per series of the reference over time per series of the fast path.
    pub speedup: f64,
    pub alarms: usize,
    pub reference_alarms: usize,
    pub alarm_mismatches: usize,
    pub generate_seconds: f64,
    /// 1-minute load average when the run started (other processes make timings noisy).
    pub load_average: Option<f64>,
    pub series_with_outbreak: usize,
    pub low_count_series: usize,
    /// Peak resident set size of the process (`VmHWM`), `None` where `/proc` is missing.
    pub peak_rss_bytes: Option<u64>,
    pub per_method: Vec<MethodReport>,
}

/// Runs the scenario.
///
/// # Errors
///
/// When the layout is not representable, or a method judges other days than the latest
/// [`DAYS_EVALUATED`] of a series (the scenario would then time something else).
pub fn run(options: &Options) -> Result<Report> {
    let params = options.farrington.params();
    let end = NaiveDate::from_ymd_opt(2025, 12, 31).expect("a valid date");
    let Some(layout) = Layout::ending(end, DAYS_EVALUATED, params.b, params.w) else {
        bail!("no series layout ends on {end} with {} years", params.b);
    };
    let load_average = load_average();
    let clock = Instant::now();
    let (series, truth) = generate(layout, options.series, options.seed);
    let generate_seconds = clock.elapsed().as_secs_f64();

    let n_reference = options
        .reference_series
        .unwrap_or(options.series)
        .min(options.series);
    let mut per_method = Vec::new();
    let fast_clock = Instant::now();
    let mut fast = Vec::new();
    for method in Method::ALL {
        let detector = match method {
            Method::Farrington => Detector::Farrington(params.clone()),
            other => other.detector(),
        };
        let clock = Instant::now();
        let cpu = cpu_seconds();
        let results = run_fast(method, &detector, &series, layout)?;
        let timing = (clock.elapsed().as_secs_f64(), cpu_seconds() - cpu);
        fast.push((method, timing, results));
    }
    let seconds = fast_clock.elapsed().as_secs_f64();

    for (method, timing, results) in fast {
        let clock = Instant::now();
        let reference: Vec<Option<Vec<Point>>> = series[..n_reference]
            .iter()
            .map(|s| {
                reference::evaluate(
                    method,
                    &params,
                    s.counts(),
                    s.start(),
                    layout.first_evaluated,
                )
            })
            .collect();
        let reference_seconds = clock.elapsed().as_secs_f64();
        per_method.push(summarise(
            method,
            timing,
            reference_seconds,
            &results,
            &reference,
            &truth,
            layout,
        ));
    }
    let reference_seconds = per_method.iter().map(|m| m.reference_seconds).sum();
    Ok(Report {
        scenario: format!(
            "aberration-daily-5y-farrington-{}",
            options.farrington.name()
        ),
        series: options.series,
        days_evaluated: DAYS_EVALUATED,
        series_days: layout.len,
        first_day: layout.start + Days::new(layout.first_evaluated as u64),
        last_day: end,
        seed: options.seed,
        threads: rayon::current_num_threads(),
        methods: Method::ALL.iter().map(|m| m.as_str()).collect(),
        farrington: options.farrington.name(),
        seconds,
        cpu_seconds: per_method.iter().map(|m| m.cpu_seconds).sum(),
        reference_seconds,
        reference_series: n_reference,
        speedup: speedup(reference_seconds, n_reference, seconds, options.series),
        alarms: per_method.iter().map(|m| m.alarms).sum(),
        reference_alarms: per_method.iter().map(|m| m.reference_alarms).sum(),
        alarm_mismatches: per_method.iter().map(|m| m.alarm_mismatches).sum(),
        generate_seconds,
        load_average,
        series_with_outbreak: truth.iter().filter(|t| t.outbreak_start.is_some()).count(),
        low_count_series: truth.iter().filter(|t| t.low_count).count(),
        peak_rss_bytes: peak_rss_bytes(),
        per_method,
    })
}

/// Time per series of the reference over time per series of the fast path.
fn speedup(reference_seconds: f64, n_reference: usize, seconds: f64, n: usize) -> f64 {
    if n_reference == 0 || n == 0 || seconds <= 0.0 {
        return 0.0;
    }
    (reference_seconds / n_reference as f64) / (seconds / n as f64)
}

/// Points of history that a method needs before the first judged day.
fn history(method: Method) -> usize {
    // The first points judged by `ears` are `baseline`, `baseline + 2` and `baseline + 4`;
    // `cusum` monitors after its `baseline`. All baselines are 7, the defaults.
    match method {
        Method::EarsC1 | Method::Cusum => 7,
        Method::EarsC2 => 9,
        Method::EarsC3 => 11,
        Method::Farrington => 0,
    }
}

type Outcome = Result<Vec<Evaluation>, EpiError>;

/// The fast path of one method over all series; checks that it judged the latest days.
fn run_fast(
    method: Method,
    detector: &Detector,
    series: &[Series],
    layout: Layout,
) -> Result<Vec<Outcome>> {
    let results = if method == Method::Farrington {
        evaluate_batch(detector, series)
    } else {
        let from = layout.first_evaluated - history(method);
        let start = layout.start + Days::new(from as u64);
        let cut: Vec<Series> = series
            .par_iter()
            .map(|s| Series::new(start, Frequency::Daily, s.counts()[from..].to_vec()))
            .collect::<Result<_, _>>()?;
        evaluate_batch(detector, &cut)
    };
    for result in &results {
        match result {
            Ok(evaluations) => ensure!(
                evaluations.len() == DAYS_EVALUATED,
                "{method} judged {} days, expected the latest {DAYS_EVALUATED}",
                evaluations.len()
            ),
            Err(EpiError::ZeroReferenceMean { .. }) => {}
            Err(e) => bail!("{method} refused a series: {e}"),
        }
    }
    Ok(results)
}

fn summarise(
    method: Method,
    (seconds, cpu_seconds): (f64, f64),
    reference_seconds: f64,
    results: &[Outcome],
    reference: &[Option<Vec<Point>>],
    truth: &[Truth],
    layout: Layout,
) -> MethodReport {
    let mut report = MethodReport {
        method: method.as_str(),
        seconds,
        cpu_seconds,
        reference_seconds,
        speedup: speedup(reference_seconds, reference.len(), seconds, results.len()),
        evaluations: 0,
        alarms: 0,
        refused_series: 0,
        reference_alarms: 0,
        alarm_mismatches: 0,
        threshold_presence_mismatches: 0,
        max_threshold_rel_diff: 0.0,
        outbreak_series_alarmed: 0,
        quiet_series_alarmed: 0,
    };
    for (i, result) in results.iter().enumerate() {
        let Ok(evaluations) = result else {
            report.refused_series += 1;
            if reference.get(i).is_some_and(Option::is_some) {
                report.alarm_mismatches += DAYS_EVALUATED;
            }
            continue;
        };
        report.evaluations += evaluations.len();
        report.alarms += evaluations.iter().filter(|e| e.alarm).count();
        // The k-th evaluation is day `first_evaluated + k` of the series (EARS and CUSUM
        // index their cut series).
        let alarmed_from = |from: usize| {
            evaluations
                .iter()
                .enumerate()
                .any(|(k, e)| e.alarm && layout.first_evaluated + k >= from)
        };
        match truth[i].outbreak_start {
            Some(start) => report.outbreak_series_alarmed += usize::from(alarmed_from(start)),
            None => report.quiet_series_alarmed += usize::from(alarmed_from(0)),
        }
        match reference.get(i) {
            None => {}
            Some(None) => report.alarm_mismatches += DAYS_EVALUATED,
            Some(Some(points)) => {
                for (e, r) in evaluations.iter().zip(points) {
                    report.alarm_mismatches += usize::from(e.alarm != r.alarm);
                    match (e.threshold, r.threshold) {
                        (Some(a), Some(b)) => {
                            let diff = (a - b).abs() / b.abs().max(1.0);
                            report.max_threshold_rel_diff = report.max_threshold_rel_diff.max(diff);
                        }
                        (None, None) => {}
                        _ => report.threshold_presence_mismatches += 1,
                    }
                }
            }
        }
    }
    report.reference_alarms = reference
        .iter()
        .flatten()
        .flatten()
        .filter(|p| p.alarm)
        .count();
    report
}

/// CPU time (user + system, all threads) that the process has used so far, from
/// `/proc/self/stat` in clock ticks of 1/100 s (Linux's `USER_HZ`); 0 where `/proc` is missing.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // The command name (field 2) may contain spaces; the fields after it are plain numbers.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, utime field 14 and stime field 15.
    let ticks = |i: usize| fields.get(i - 3).and_then(|f| f.parse::<u64>().ok());
    match (ticks(14), ticks(15)) {
        (Some(user), Some(system)) => (user + system) as f64 / 100.0,
        _ => 0.0,
    }
}

/// The 1-minute load average of the machine when the scenario started.
fn load_average() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// `VmHWM` of `/proc/self/status` in bytes.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// The report as a table for a terminal.
pub fn render(report: &Report) -> String {
    let mut out = format!(
        "scenario {}: {} daily series of {} days, judged {} to {} ({} days), seed {}, {} threads\n",
        report.scenario,
        report.series,
        report.series_days,
        report.first_day,
        report.last_day,
        report.days_evaluated,
        report.seed,
        report.threads,
    );
    out.push_str(&format!(
        concat!(
            "{} series with an injected outbreak, {} low-count; ",
            "generated in {:.2} s; load average {}\n"
        ),
        report.series_with_outbreak,
        report.low_count_series,
        report.generate_seconds,
        report
            .load_average
            .map_or("unknown".to_owned(), |l| format!("{l:.2}")),
    ));
    out.push_str(&format!(
        "reference: naive, one thread, on {} series\n\n",
        report.reference_series
    ));
    out.push_str(&format!(
        "{:<12} {:>9} {:>9} {:>11} {:>8} {:>8} {:>9} {:>10} {:>8} {:>12} {:>9} {:>8}\n",
        "method",
        "seconds",
        "cpu s",
        "reference s",
        "speedup",
        "alarms",
        "ref alarm",
        "mismatches",
        "refused",
        "max rel diff",
        "outbreaks",
        "quiet"
    ));
    for m in &report.per_method {
        out.push_str(&format!(
            concat!(
                "{:<12} {:>9.3} {:>9.2} {:>11.3} {:>8.1} {:>8} ",
                "{:>9} {:>10} {:>8} {:>12.1e} {:>9} {:>8}\n"
            ),
            m.method,
            m.seconds,
            m.cpu_seconds,
            m.reference_seconds,
            m.speedup,
            m.alarms,
            m.reference_alarms,
            m.alarm_mismatches,
            m.refused_series,
            m.max_threshold_rel_diff,
            m.outbreak_series_alarmed,
            m.quiet_series_alarmed,
        ));
    }
    out.push_str(&format!(
        "{:<12} {:>9.3} {:>9.2} {:>11.3} {:>8.1} {:>8} {:>9} {:>10}\n",
        "all",
        report.seconds,
        report.cpu_seconds,
        report.reference_seconds,
        report.speedup,
        report.alarms,
        report.reference_alarms,
        report.alarm_mismatches,
    ));
    out.push_str("\noutbreaks: series with an injected outbreak alarmed on or after its start; ");
    out.push_str("quiet: other series with any alarm\n");
    if let Some(rss) = report.peak_rss_bytes {
        out.push_str(&format!("peak RSS {:.1} MiB\n", rss as f64 / 1048576.0));
    }
    out
}
