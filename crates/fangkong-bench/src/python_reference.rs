//! The Python reference of the `aberration` scenario: `reference/aberration.py` (numpy,
//! scipy and statsmodels, every judged day recomputed from scratch) in a virtual
//! environment that the benchmark sets up itself.
//!
//! Why it exists: issue #9 measures the fast path against "a straightforward reference (for
//! example numpy/statsmodels in Python, set up by the benchmark if it is available)". This
//! module finds the interpreter, creates the environment with the pinned packages of
//! `reference/requirements.txt` once (reused while the pins are unchanged), writes the
//! series, runs the script and reads back its verdicts and timings.
//!
//! What it must not do: fail the scenario. Every problem (no `python3`, no network for pip, a
//! crash of the script) comes back as an error whose text the report shows as the reason
//! why the Python reference is missing. It never deletes a directory that is not a virtual
//! environment.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use anyhow::{bail, ensure, Context, Result};
use chrono::NaiveDate;
use fangkong_epi::aberration::{
    Detector, FarringtonParams, Method, PowerTransform, ThresholdMethod,
};
use fangkong_epi::Series;
use serde::Deserialize;
use serde_json::json;

use crate::reference::Point;

/// The script, embedded so that the binary runs from anywhere.
const SCRIPT: &str = include_str!("../reference/aberration.py");

/// The pinned packages; a copy in the environment marks it as installed with these pins.
const REQUIREMENTS: &str = include_str!("../reference/requirements.txt");

/// The file in the environment that holds the pins it was installed with.
const MARKER: &str = "fangkong-bench-requirements.txt";

/// A virtual environment with the reference's packages.
#[derive(Debug, Clone)]
pub struct Environment {
    /// The environment's interpreter.
    pub python: PathBuf,
    pub venv: PathBuf,
    /// Whether an environment of an earlier run was reused.
    pub reused: bool,
    /// Time to create the environment and install the packages (checking it when reused).
    pub setup_seconds: f64,
}

/// The default place of the environment: `$XDG_CACHE_HOME/fangkong-bench/venv`, else
/// `~/.cache/fangkong-bench/venv`, else under the temporary directory.
pub fn default_venv() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|home| PathBuf::from(home).join(".cache"))
        })
        .unwrap_or_else(std::env::temp_dir);
    cache.join("fangkong-bench").join("venv")
}

/// The interpreter inside the environment `venv`.
fn venv_python(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}

/// Runs `command`; an error naming `what` with the end of its output unless it succeeds.
pub fn run_checked(command: &mut Command, what: &str) -> Result<Output> {
    let output = command
        .output()
        .with_context(|| format!("starting {what}"))?;
    if !output.status.success() {
        bail!(
            "{what} failed ({}): {}",
            output.status,
            tail(&output.stderr, &output.stdout)
        );
    }
    Ok(output)
}

/// The last lines of a process's error output (or of its output when that is empty).
fn tail(stderr: &[u8], stdout: &[u8]) -> String {
    let text = String::from_utf8_lossy(if stderr.trim_ascii().is_empty() {
        stdout
    } else {
        stderr
    });
    let lines: Vec<&str> = text.trim().lines().collect();
    lines[lines.len().saturating_sub(5)..].join(" | ")
}

/// Finds `interpreter` and makes sure `venv` is an environment with the pinned packages:
/// reused when it was installed with the same pins, else created (`python -m venv`) and
/// filled (`pip install --only-binary=:all: -r requirements.txt`), which needs PyPI.
///
/// # Errors
///
/// When the interpreter does not run, `venv` exists but is not a virtual environment, or
/// creating it or installing the packages fails.
pub fn prepare(interpreter: &Path, venv: &Path) -> Result<Environment> {
    prepare_with(
        interpreter,
        venv,
        REQUIREMENTS,
        "pip install -r requirements.txt (numpy, scipy, statsmodels)",
    )
}

/// [`prepare`] with other pins (`requirements`, the text of a requirements file); `what`
/// names the installation in errors. Other scenarios (`sim`'s Covasim) keep their own
/// environment this way.
///
/// # Errors
///
/// As [`prepare`].
pub fn prepare_with(
    interpreter: &Path,
    venv: &Path,
    requirements_text: &str,
    what: &str,
) -> Result<Environment> {
    let clock = Instant::now();
    let python = venv_python(venv);
    let marker = venv.join(MARKER);
    let installed = std::fs::read_to_string(&marker).ok();
    if python.exists() && installed.as_deref() == Some(requirements_text) {
        return Ok(Environment {
            python,
            venv: venv.to_owned(),
            reused: true,
            setup_seconds: clock.elapsed().as_secs_f64(),
        });
    }
    run_checked(
        Command::new(interpreter).arg("--version"),
        &format!("{} --version", interpreter.display()),
    )
    .with_context(|| format!("no Python interpreter at {}", interpreter.display()))?;
    let is_venv = venv.join("pyvenv.cfg").exists();
    let is_empty = std::fs::read_dir(venv).map_or(true, |mut d| d.next().is_none());
    ensure!(
        is_venv || is_empty,
        "{} exists and is not a virtual environment; not touching it",
        venv.display()
    );
    eprintln!(
        "fangkong-bench: setting up the Python reference's environment in {} (once)",
        venv.display()
    );
    if let Some(parent) = venv.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    run_checked(
        Command::new(interpreter)
            .args(["-m", "venv", "--clear"])
            .arg(venv),
        &format!("{} -m venv", interpreter.display()),
    )?;
    let requirements = venv.join("fangkong-bench-requirements.pending.txt");
    std::fs::write(&requirements, requirements_text)
        .with_context(|| format!("writing {}", requirements.display()))?;
    run_checked(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--no-input",
                "--quiet",
                "--only-binary=:all:",
                "-r",
            ])
            .arg(&requirements),
        what,
    )?;
    std::fs::rename(&requirements, &marker)
        .with_context(|| format!("writing {}", marker.display()))?;
    Ok(Environment {
        python,
        venv: venv.to_owned(),
        reused: false,
        setup_seconds: clock.elapsed().as_secs_f64(),
    })
}

/// What the script reports.
#[derive(Debug, Deserialize)]
pub struct ScriptOutput {
    pub versions: Versions,
    /// Importing numpy, scipy and statsmodels.
    pub import_seconds: f64,
    /// Loading the series.
    pub read_seconds: f64,
    /// The computation, all methods (the sum of their `seconds`).
    pub compute_seconds: f64,
    pub methods: BTreeMap<String, MethodOutput>,
}

/// Versions of the interpreter and the packages.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct Versions {
    pub python: String,
    pub numpy: String,
    pub scipy: String,
    pub statsmodels: String,
}

/// One method's verdicts and time.
#[derive(Debug, Deserialize)]
pub struct MethodOutput {
    /// The computation of this method over all series.
    pub seconds: f64,
    /// Per series, `None` when the method refused it.
    pub series: Vec<Option<SeriesOutput>>,
}

/// The verdicts on the judged days of one series.
#[derive(Debug, Deserialize)]
pub struct SeriesOutput {
    pub expected: Vec<Option<f64>>,
    pub threshold: Vec<Option<f64>>,
    pub alarm: Vec<bool>,
}

impl MethodOutput {
    /// The verdicts as the naive Rust reference gives them.
    pub fn points(&self) -> Vec<Option<Vec<Point>>> {
        self.series
            .iter()
            .map(|s| {
                s.as_ref().map(|s| {
                    s.expected
                        .iter()
                        .zip(&s.threshold)
                        .zip(&s.alarm)
                        .map(|((&expected, &threshold), &alarm)| Point {
                            expected,
                            threshold,
                            alarm,
                        })
                        .collect()
                })
            })
            .collect()
    }
}

/// A run of the script.
#[derive(Debug)]
pub struct Run {
    pub output: ScriptOutput,
    /// Wall clock of the whole process: start-up, imports, reading, computing, writing.
    pub process_seconds: f64,
}

/// Runs the script on `series` (all of them), judging the days from `first_evaluated` on,
/// with the parameters of `detectors`, one thread.
///
/// # Errors
///
/// When the input cannot be written, the script fails, or its output does not have one
/// verdict per series and judged day for every method.
pub fn run(
    env: &Environment,
    series: &[Series],
    start: NaiveDate,
    first_evaluated: usize,
    detectors: &[(Method, Detector)],
) -> Result<Run> {
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let len = series.first().map_or(0, Series::len);
    let mut values = Vec::with_capacity(series.len() * len);
    for s in series {
        ensure!(s.len() == len, "series of different lengths");
        values.extend(s.counts().iter().map(|c| c.map_or(f64::NAN, f64::from)));
    }
    write_npy(&dir.path().join("counts.npy"), &values, series.len(), len)?;
    let params: serde_json::Map<String, serde_json::Value> = detectors
        .iter()
        .map(|(method, detector)| (method.as_str().to_owned(), params_json(detector)))
        .collect();
    let layout = json!({
        "start": start.to_string(),
        "first_evaluated": first_evaluated,
        "methods": detectors.iter().map(|(m, _)| m.as_str()).collect::<Vec<_>>(),
        "params": params,
    });
    std::fs::write(dir.path().join("layout.json"), layout.to_string())
        .context("writing layout.json")?;
    let script = dir.path().join("aberration.py");
    std::fs::write(&script, SCRIPT).context("writing aberration.py")?;
    let out = dir.path().join("out.json");
    let clock = Instant::now();
    run_checked(
        Command::new(&env.python)
            .arg(&script)
            .arg(dir.path())
            .arg(&out)
            // One thread, as an analyst's loop runs and as the naive Rust reference.
            .env("OMP_NUM_THREADS", "1")
            .env("OPENBLAS_NUM_THREADS", "1")
            .env("MKL_NUM_THREADS", "1"),
        "the Python reference (aberration.py)",
    )?;
    let process_seconds = clock.elapsed().as_secs_f64();
    let text = std::fs::read_to_string(&out).context("reading the Python reference's output")?;
    let output: ScriptOutput =
        serde_json::from_str(&text).context("parsing the Python reference's output")?;
    let days = len - first_evaluated;
    for (method, _) in detectors {
        let Some(m) = output.methods.get(method.as_str()) else {
            bail!("the Python reference gave nothing for {method}");
        };
        ensure!(
            m.series.len() == series.len(),
            "the Python reference judged {} series with {method}, expected {}",
            m.series.len(),
            series.len()
        );
        for s in m.series.iter().flatten() {
            ensure!(
                s.expected.len() == days && s.threshold.len() == days && s.alarm.len() == days,
                "the Python reference judged {} days with {method}, expected {days}",
                s.alarm.len()
            );
        }
    }
    Ok(Run {
        output,
        process_seconds,
    })
}

/// The parameters of one detector as the script reads them.
fn params_json(detector: &Detector) -> serde_json::Value {
    match detector {
        Detector::Ears(p) => json!({ "baseline": p.baseline, "alpha": p.alpha }),
        Detector::Cusum(p) => json!({ "k": p.k, "h": p.h, "baseline": p.baseline }),
        Detector::Farrington(p) => farrington_json(p),
    }
}

fn farrington_json(p: &FarringtonParams) -> serde_json::Value {
    json!({
        "b": p.b,
        "w": p.w,
        "reweight": p.reweight,
        "weights_threshold": p.weights_threshold,
        "alpha": p.alpha,
        "trend": p.trend,
        "p_threshold_trend": p.p_threshold_trend,
        "limit_cases": p.limit_cases,
        "limit_periods": p.limit_periods,
        "power_transform": match p.power_transform {
            PowerTransform::Identity => "none",
            PowerTransform::SquareRoot => "1/2",
            PowerTransform::TwoThirds => "2/3",
        },
        "no_periods": p.no_periods,
        "past_weeks_not_included": p.past_weeks_not_included,
        "threshold_method": match p.threshold_method {
            ThresholdMethod::Delta => "delta",
            ThresholdMethod::NbPlugin => "nbPlugin",
            ThresholdMethod::Muan => "muan",
        },
    })
}

/// Writes `values` (row-major, `rows` by `columns`) as a NumPy `.npy` file of
/// little-endian float64 (format version 1.0).
fn write_npy(path: &Path, values: &[f64], rows: usize, columns: usize) -> Result<()> {
    let mut header =
        format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({rows}, {columns}), }}");
    // The magic string, version and header length take 10 bytes; the header ends with a
    // newline and pads the whole preamble to a multiple of 64 bytes.
    let padded = (10 + header.len() + 1).div_ceil(64) * 64;
    header.push_str(&" ".repeat(padded - 10 - header.len() - 1));
    header.push('\n');
    let header_len = u16::try_from(header.len()).context("npy header too long")?;
    let mut bytes = Vec::with_capacity(padded + values.len() * 8);
    bytes.extend_from_slice(b"\x93NUMPY\x01\x00");
    bytes.extend_from_slice(&header_len.to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for v in values {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    let mut file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    file.write_all(&bytes)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_preamble_is_aligned_and_holds_the_shape() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.npy");
        write_npy(&path, &[1.0, f64::NAN, 3.0, 4.0, 5.0, 6.0], 2, 3).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let header_len = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
        assert_eq!((10 + header_len) % 64, 0);
        let header = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
        assert!(header.contains("'shape': (2, 3)") && header.ends_with('\n'));
        assert_eq!(bytes.len(), 10 + header_len + 6 * 8);
        assert_eq!(
            &bytes[10 + header_len..10 + header_len + 8],
            &1f64.to_le_bytes()
        );
    }

    #[test]
    fn a_directory_that_is_not_a_venv_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("keep.txt"), "mine").unwrap();
        let err = prepare(Path::new("python3"), dir.path()).unwrap_err();
        // Without python3 the interpreter check fails first; either way nothing is deleted.
        let message = format!("{err:#}");
        assert!(
            message.contains("not a virtual environment") || message.contains("interpreter"),
            "{message}"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("keep.txt")).unwrap(),
            "mine"
        );
    }
}
