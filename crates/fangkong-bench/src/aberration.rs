//! The `aberration` scenario: every aberration method over many daily series, the latest days
//! of each judged, against two references that recompute every judged day from scratch: the
//! Python one of [`crate::python_reference`] and the naive Rust one of [`crate::reference`].
//!
//! Why it exists: the early-warning dashboard judges every series (jurisdiction x syndrome)
//! every day, so the cost of one round over all of them is what an operator waits for
//! (issue #9: all methods on 10 000 series in 2 s on two cores, at least 50 times faster than
//! a straightforward reference).
//!
//! What is timed:
//! - the fast path, `seconds`: for each method in turn, `fangkong_epi::aberration::
//!   evaluate_batch` on the rayon pool (all cores). EARS and CUSUM get each series cut to the
//!   judged days and the history they need before them (EARS: its 7-day baseline and lag;
//!   CUSUM: 7 days that give its reference mean `m`, so it monitors the judged days only);
//!   cutting is timed too. Farrington gets the whole series, laid out so that the first judged
//!   day is its first evaluable day, so it judges exactly the judged days.
//! - the Python reference, `python_seconds_measured`: `reference/aberration.py` (numpy,
//!   scipy, statsmodels' `GLM`) on the first `python_reference_series` series (Python is slow,
//!   so a subset), one thread, in a virtual environment that the scenario creates once with
//!   pinned packages. Timed inside the script with `time.perf_counter` around each method's
//!   loop over the series: the computation only. Interpreter start-up, imports, reading the
//!   series and writing the verdicts are not in it; the report gives them apart
//!   (`python_reference.import_seconds`, `read_seconds`, `process_seconds`), as it gives the
//!   environment's setup (`setup_seconds`).
//! - the naive Rust reference, `rust_naive_reference_seconds`: [`crate::reference::evaluate`]
//!   on one thread on the first `rust_naive_reference_series` series (all by default), timed
//!   around the calls.
//!
//! The headline: `reference_seconds` and `speedup` are the Python reference's, because it is
//! the reference that issue #9 names. Its time per series is extrapolated to all `series`
//! (`reference_seconds = python_seconds_measured / python_reference_series * series`) and
//! `speedup = reference_seconds / seconds`. When the Python reference cannot run (no
//! `python3`, no network for pip, `--python-series 0`) the report says why
//! (`python_reference: null`, `python_reference_unavailable`) and the headline falls back to
//! the naive Rust reference, extrapolated the same way; `reference` names which one it is.
//! The naive Rust reference is always reported too (`rust_naive_speedup`): compiled and tight,
//! it shows what the fast path gains over the same definitions without Python's overhead.
//!
//! Both references are compared with the fast path day by day: alarm mismatches, days where
//! only one side gives a threshold, and the largest relative difference of the thresholds.
//! The naive Rust reference agrees to rounding. The Python one agrees to statsmodels' GLM
//! bookkeeping: its Pearson statistic and hat values come from the final fitted means, R's
//! (and `fangkong_epi`'s) from the working weights of the last IRLS iteration, which R's
//! stopping rule leaves about 1e-4 relative behind; Farrington's thresholds then differ by up
//! to about 2e-5 relative (`reference/aberration.py` explains it), and an alarm could differ
//! only for a count that close to its threshold.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, ensure, Result};
use chrono::{Days, NaiveDate};
use fangkong_epi::aberration::{evaluate_batch, Detector, Evaluation, FarringtonParams, Method};
use fangkong_epi::{EpiError, Frequency, Series};
use rayon::prelude::*;
use serde::Serialize;

use crate::generate::{generate, Layout, Truth};
use crate::machine::{load_average, peak_rss_bytes};
use crate::python_reference::{self, Versions};
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
    /// Time the naive Rust reference on the first this many series only (all when `None`).
    pub rust_naive_series: Option<usize>,
    /// Time the Python reference on the first this many series; 0 skips it.
    pub python_series: usize,
    /// The interpreter that creates the Python reference's environment.
    pub python: PathBuf,
    /// Where that environment lives.
    pub python_venv: PathBuf,
}

/// How a reference compares with the fast path over the series it ran.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Comparison {
    /// Series it ran (the first of the scenario's).
    pub series: usize,
    /// Its time on those series (the computation only, see the module docs).
    pub seconds: f64,
    /// Its time per series over the fast path's time per series.
    pub speedup: f64,
    pub alarms: usize,
    /// Days of its series where its alarm and the fast path's differ (a series refused by one
    /// side only counts all its judged days).
    pub alarm_mismatches: usize,
    /// Days where one side gives a threshold and the other not.
    pub threshold_presence_mismatches: usize,
    /// Largest `|fast - reference| / max(1, |reference|)` over the thresholds.
    pub max_threshold_rel_diff: f64,
}

impl Comparison {
    /// The sum over methods (the largest difference for `max_threshold_rel_diff`), with the
    /// speedup of the summed times.
    fn total<'a>(parts: impl Iterator<Item = &'a Comparison>, seconds: f64, n: usize) -> Self {
        let mut total = Comparison::default();
        for part in parts {
            total.series = part.series;
            total.seconds += part.seconds;
            total.alarms += part.alarms;
            total.alarm_mismatches += part.alarm_mismatches;
            total.threshold_presence_mismatches += part.threshold_presence_mismatches;
            total.max_threshold_rel_diff = total
                .max_threshold_rel_diff
                .max(part.max_threshold_rel_diff);
        }
        total.speedup = speedup(total.seconds, total.series, seconds, n);
        total
    }
}

/// The result of one method.
#[derive(Debug, Serialize)]
pub struct MethodReport {
    pub method: &'static str,
    /// Fast path, all series, all cores.
    pub seconds: f64,
    /// CPU time of the fast path, all threads.
    pub cpu_seconds: f64,
    /// Days judged (series not refused times the judged days).
    pub evaluations: usize,
    pub alarms: usize,
    /// Series the method refused as a whole (CUSUM: no case in the 7 days before).
    pub refused_series: usize,
    /// Series with an injected outbreak that have at least one alarm on or after its start.
    pub outbreak_series_alarmed: usize,
    /// Series without an injected outbreak that have at least one alarm.
    pub quiet_series_alarmed: usize,
    /// The naive Rust reference on its series.
    pub rust_naive: Comparison,
    /// The Python reference on its series; `None` when it did not run.
    pub python: Option<Comparison>,
}

/// What the Python reference ran on and how long each part took.
#[derive(Debug, Serialize)]
pub struct PythonReport {
    pub versions: Versions,
    /// The virtual environment (created on the first run, reused while the pins hold).
    pub venv: PathBuf,
    pub venv_reused: bool,
    /// Creating the environment and installing the packages; not part of any timing.
    pub setup_seconds: f64,
    /// Importing numpy, scipy and statsmodels; not part of `compute_seconds`.
    pub import_seconds: f64,
    /// Loading the series; not part of `compute_seconds`.
    pub read_seconds: f64,
    /// The computation, all methods (`python_seconds_measured`).
    pub compute_seconds: f64,
    /// The whole process: start-up, imports, reading, computing and writing the verdicts.
    pub process_seconds: f64,
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
    /// Which reference `reference_seconds` and `speedup` are: `python-statsmodels` (issue
    /// #9's), or `rust-naive` when the Python reference could not run.
    pub reference: &'static str,
    /// The Python reference's time for all `series`, extrapolated from its time per series
    /// on the `python_reference_series` it ran (`python_seconds_measured /
    /// python_reference_series * series`); the naive Rust reference's, extrapolated alike,
    /// when `reference` is `rust-naive`.
    pub reference_seconds: f64,
    /// `reference_seconds / seconds`: the Python reference's time per series over the fast
    /// path's (the naive Rust reference's when `reference` is `rust-naive`).
    pub speedup: f64,
    /// Series the Python reference ran (the first of the scenario's); `None` when it did not.
    pub python_reference_series: Option<usize>,
    /// The Python reference's computation on those series, all methods, one thread.
    pub python_seconds_measured: Option<f64>,
    /// Alarms of the Python reference on its series.
    pub python_alarms: Option<usize>,
    /// Days of its series where the Python reference's alarm and the fast path's differ.
    pub python_alarm_mismatches: Option<usize>,
    /// Days where only one of them gives a threshold.
    pub python_threshold_presence_mismatches: Option<usize>,
    /// Largest `|fast - python| / max(1, |python|)` over the thresholds.
    pub python_max_threshold_rel_diff: Option<f64>,
    /// Versions and the other timings of the Python reference; `None` when it did not run.
    pub python_reference: Option<PythonReport>,
    /// Why the Python reference did not run.
    pub python_reference_unavailable: Option<String>,
    /// Series the naive Rust reference ran (the first of the scenario's).
    pub rust_naive_reference_series: usize,
    /// The naive Rust reference on those series, all methods, one thread (measured, not
    /// extrapolated).
    pub rust_naive_reference_seconds: f64,
    /// Its time per series over the fast path's.
    pub rust_naive_speedup: f64,
    pub rust_naive_alarms: usize,
    pub rust_naive_alarm_mismatches: usize,
    pub rust_naive_max_threshold_rel_diff: f64,
    /// Alarms of the fast path, all series.
    pub alarms: usize,
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
/// [`DAYS_EVALUATED`] of a series (the scenario would then time something else). A Python
/// reference that cannot run is not an error: the report says why.
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

    let detectors: Vec<(Method, Detector)> = Method::ALL
        .into_iter()
        .map(|method| match method {
            Method::Farrington => (method, Detector::Farrington(params.clone())),
            other => (other, other.detector()),
        })
        .collect();
    let fast_clock = Instant::now();
    let mut fast = Vec::new();
    for (method, detector) in &detectors {
        let clock = Instant::now();
        let cpu = cpu_seconds();
        let results = run_fast(*method, detector, &series, layout)?;
        let timing = (clock.elapsed().as_secs_f64(), cpu_seconds() - cpu);
        fast.push((*method, timing, results));
    }
    let seconds = fast_clock.elapsed().as_secs_f64();

    let n_naive = options
        .rust_naive_series
        .unwrap_or(options.series)
        .min(options.series);
    let mut naive = Vec::new();
    for (method, _) in &detectors {
        let clock = Instant::now();
        let points: Vec<Option<Vec<Point>>> = series[..n_naive]
            .iter()
            .map(|s| {
                reference::evaluate(
                    *method,
                    &params,
                    s.counts(),
                    s.start(),
                    layout.first_evaluated,
                )
            })
            .collect();
        naive.push((clock.elapsed().as_secs_f64(), points));
    }

    let n_python = options.python_series.min(options.series);
    let python = if n_python == 0 {
        Err("not run: --python-series 0 (or --series 0)".to_owned())
    } else {
        python_reference::prepare(&options.python, &options.python_venv)
            .and_then(|env| {
                let run = python_reference::run(
                    &env,
                    &series[..n_python],
                    layout.start,
                    layout.first_evaluated,
                    &detectors,
                )?;
                Ok((env, run))
            })
            .map_err(|e| format!("{e:#}"))
    };

    let mut per_method = Vec::new();
    for ((method, timing, results), (naive_seconds, naive_points)) in fast.iter().zip(naive) {
        let python_comparison = python.as_ref().ok().and_then(|(_, run)| {
            let m = run.output.methods.get(method.as_str())?;
            Some(compare(m.seconds, &m.points(), timing.0, results))
        });
        per_method.push(summarise(
            *method,
            *timing,
            results,
            &truth,
            layout,
            compare(naive_seconds, &naive_points, timing.0, results),
            python_comparison,
        ));
    }
    let naive_total = Comparison::total(
        per_method.iter().map(|m| &m.rust_naive),
        seconds,
        options.series,
    );
    let python_total = python.is_ok().then(|| {
        Comparison::total(
            per_method.iter().filter_map(|m| m.python.as_ref()),
            seconds,
            options.series,
        )
    });
    let headline = python_total.as_ref().unwrap_or(&naive_total);
    let reference_seconds = if headline.series == 0 {
        0.0
    } else {
        headline.seconds / headline.series as f64 * options.series as f64
    };
    let (python_reference, python_reference_unavailable) = match python {
        Ok((env, run)) => (
            Some(PythonReport {
                versions: run.output.versions,
                venv: env.venv,
                venv_reused: env.reused,
                setup_seconds: env.setup_seconds,
                import_seconds: run.output.import_seconds,
                read_seconds: run.output.read_seconds,
                compute_seconds: run.output.compute_seconds,
                process_seconds: run.process_seconds,
            }),
            None,
        ),
        Err(reason) => (None, Some(reason)),
    };
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
        reference: if python_total.is_some() {
            "python-statsmodels"
        } else {
            "rust-naive"
        },
        reference_seconds,
        speedup: headline.speedup,
        python_reference_series: python_total.as_ref().map(|p| p.series),
        python_seconds_measured: python_total.as_ref().map(|p| p.seconds),
        python_alarms: python_total.as_ref().map(|p| p.alarms),
        python_alarm_mismatches: python_total.as_ref().map(|p| p.alarm_mismatches),
        python_threshold_presence_mismatches: python_total
            .as_ref()
            .map(|p| p.threshold_presence_mismatches),
        python_max_threshold_rel_diff: python_total.as_ref().map(|p| p.max_threshold_rel_diff),
        python_reference,
        python_reference_unavailable,
        rust_naive_reference_series: n_naive,
        rust_naive_reference_seconds: naive_total.seconds,
        rust_naive_speedup: naive_total.speedup,
        rust_naive_alarms: naive_total.alarms,
        rust_naive_alarm_mismatches: naive_total.alarm_mismatches,
        rust_naive_max_threshold_rel_diff: naive_total.max_threshold_rel_diff,
        alarms: per_method.iter().map(|m| m.alarms).sum(),
        generate_seconds,
        load_average,
        series_with_outbreak: truth.iter().filter(|t| t.outbreak_start.is_some()).count(),
        low_count_series: truth.iter().filter(|t| t.low_count).count(),
        peak_rss_bytes: peak_rss_bytes(),
        per_method,
    })
}

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

/// Compares a reference's verdicts on the first `reference.len()` series, which took
/// `reference_seconds`, with the fast path's on all series, which took `seconds`.
fn compare(
    reference_seconds: f64,
    reference: &[Option<Vec<Point>>],
    seconds: f64,
    results: &[Outcome],
) -> Comparison {
    let mut comparison = Comparison {
        series: reference.len(),
        seconds: reference_seconds,
        speedup: speedup(reference_seconds, reference.len(), seconds, results.len()),
        alarms: reference
            .iter()
            .flatten()
            .flatten()
            .filter(|p| p.alarm)
            .count(),
        ..Comparison::default()
    };
    for (result, points) in results.iter().zip(reference) {
        let (Ok(evaluations), Some(points)) = (result, points) else {
            if result.is_ok() != points.is_some() {
                comparison.alarm_mismatches += DAYS_EVALUATED;
            }
            continue;
        };
        for (e, r) in evaluations.iter().zip(points) {
            comparison.alarm_mismatches += usize::from(e.alarm != r.alarm);
            match (e.threshold, r.threshold) {
                (Some(a), Some(b)) => {
                    let diff = (a - b).abs() / b.abs().max(1.0);
                    comparison.max_threshold_rel_diff = comparison.max_threshold_rel_diff.max(diff);
                }
                (None, None) => {}
                _ => comparison.threshold_presence_mismatches += 1,
            }
        }
    }
    comparison
}

fn summarise(
    method: Method,
    (seconds, cpu_seconds): (f64, f64),
    results: &[Outcome],
    truth: &[Truth],
    layout: Layout,
    rust_naive: Comparison,
    python: Option<Comparison>,
) -> MethodReport {
    let mut report = MethodReport {
        method: method.as_str(),
        seconds,
        cpu_seconds,
        evaluations: 0,
        alarms: 0,
        refused_series: 0,
        outbreak_series_alarmed: 0,
        quiet_series_alarmed: 0,
        rust_naive,
        python,
    };
    for (i, result) in results.iter().enumerate() {
        let Ok(evaluations) = result else {
            report.refused_series += 1;
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
    }
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
    match (
        &report.python_reference,
        &report.python_reference_unavailable,
    ) {
        (Some(p), _) => out.push_str(&format!(
            concat!(
                "python reference: Python {}, numpy {}, scipy {}, statsmodels {}, one thread, ",
                "on {} series; {:.2} s computing ({:.2} s importing, {:.2} s reading, ",
                "{:.2} s the whole process); environment {} ({})\n"
            ),
            p.versions.python,
            p.versions.numpy,
            p.versions.scipy,
            p.versions.statsmodels,
            report.python_reference_series.unwrap_or(0),
            p.compute_seconds,
            p.import_seconds,
            p.read_seconds,
            p.process_seconds,
            p.venv.display(),
            if p.venv_reused {
                "reused".to_owned()
            } else {
                format!("set up in {:.1} s", p.setup_seconds)
            },
        )),
        (None, reason) => out.push_str(&format!(
            "python reference unavailable: {}\n",
            reason.as_deref().unwrap_or("unknown")
        )),
    }
    out.push_str(&format!(
        "rust naive reference: one thread, on {} series\n",
        report.rust_naive_reference_series
    ));
    out.push_str(&format!(
        concat!(
            "headline ({}, extrapolated per series to all series): reference {:.1} s, ",
            "fast path {:.3} s, speedup {:.1}\n\n"
        ),
        report.reference, report.reference_seconds, report.seconds, report.speedup,
    ));
    let opt =
        |v: Option<f64>, precision: usize| v.map_or("-".to_owned(), |v| format!("{v:.precision$}"));
    out.push_str(&format!(
        "{:<12} {:>8} {:>8} {:>9} {:>9} {:>8} {:>8} {:>7} {:>8} {:>9} {:>6}\n",
        "method",
        "seconds",
        "cpu s",
        "python s",
        "python x",
        "naive s",
        "naive x",
        "alarms",
        "refused",
        "outbreaks",
        "quiet"
    ));
    for m in &report.per_method {
        out.push_str(&format!(
            "{:<12} {:>8.3} {:>8.2} {:>9} {:>9} {:>8.3} {:>8.1} {:>7} {:>8} {:>9} {:>6}\n",
            m.method,
            m.seconds,
            m.cpu_seconds,
            opt(m.python.as_ref().map(|p| p.seconds), 2),
            opt(m.python.as_ref().map(|p| p.speedup), 0),
            m.rust_naive.seconds,
            m.rust_naive.speedup,
            m.alarms,
            m.refused_series,
            m.outbreak_series_alarmed,
            m.quiet_series_alarmed,
        ));
    }
    out.push_str(&format!(
        "{:<12} {:>8.3} {:>8.2} {:>9} {:>9} {:>8.3} {:>8.1} {:>7}\n",
        "all",
        report.seconds,
        report.cpu_seconds,
        opt(report.python_seconds_measured, 2),
        opt(
            report
                .python_reference_series
                .map(|_| report.speedup)
                .filter(|_| report.reference == "python-statsmodels"),
            0
        ),
        report.rust_naive_reference_seconds,
        report.rust_naive_speedup,
        report.alarms,
    ));
    out.push_str(concat!(
        "\npython s, naive s: each reference on its own series (measured); x: its time per ",
        "series over the fast path's\n",
        "outbreaks: series with an injected outbreak alarmed on or after its start; ",
        "quiet: other series with any alarm\n\n",
        "agreement with the fast path, day by day, on each reference's series:\n"
    ));
    out.push_str(&format!(
        "{:<12} {:>13} {:>11} {:>10} {:>12} {:>12} {:>11} {:>10} {:>12}\n",
        "method",
        "python alarms",
        "mismatches",
        "thr only 1",
        "max rel diff",
        "naive alarms",
        "mismatches",
        "thr only 1",
        "max rel diff"
    ));
    let python_columns = |p: Option<&Comparison>| match p {
        Some(p) => format!(
            "{:>13} {:>11} {:>10} {:>12.1e}",
            p.alarms, p.alarm_mismatches, p.threshold_presence_mismatches, p.max_threshold_rel_diff
        ),
        None => format!("{:>13} {:>11} {:>10} {:>12}", "-", "-", "-", "-"),
    };
    for m in &report.per_method {
        let n = &m.rust_naive;
        out.push_str(&format!(
            "{:<12} {} {:>12} {:>11} {:>10} {:>12.1e}\n",
            m.method,
            python_columns(m.python.as_ref()),
            n.alarms,
            n.alarm_mismatches,
            n.threshold_presence_mismatches,
            n.max_threshold_rel_diff,
        ));
    }
    if let Some(rss) = report.peak_rss_bytes {
        out.push_str(&format!("\npeak RSS {:.1} MiB\n", rss as f64 / 1048576.0));
    }
    out
}
