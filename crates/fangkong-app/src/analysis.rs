//! Analysis over count series given as files: aberration detection, Rt and pool-size advice
//! (`fangkong analyze …`). The algorithms are in `fangkong-epi`; this module reads and checks
//! the input (every bad line named) and chooses the parameters a headquarters uses.

use chrono::NaiveDate;
use fangkong_epi::aberration::{
    CusumParams, Detector, EarsParams, EarsVariant, Evaluation, FarringtonParams, Method,
};
use fangkong_epi::rt::{RtEstimate, RtParams};
use fangkong_epi::{Frequency, Series};
use fangkong_ingest::{FileErrors, RowError};

use crate::{Error, Result};

/// Reads a `date,count` table (CSV or XLSX) into a series. Dates must increase and be all
/// one day apart (daily) or seven (weekly); a date left out becomes a missing count, and so
/// does an empty count.
///
/// # Errors
/// `Import` naming every bad line: unreadable dates or counts, dates not increasing, steps
/// that are neither 1 nor a multiple of the series' spacing.
pub fn read_count_series(file_name: &str, bytes: &[u8]) -> Result<Series> {
    let table = fangkong_ingest::read_table(file_name, bytes)?;
    table.require(&["date", "count"])?;
    let mut errors = Vec::new();
    let mut points: Vec<(u64, NaiveDate, Option<u32>)> = Vec::new();
    for row in table.rows() {
        let line = row.line();
        let date = match row
            .value("date")
            .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d"))
        {
            Some(Ok(d)) => d,
            Some(Err(_)) => {
                errors.push(RowError::new(line, "date", "expected YYYY-MM-DD"));
                continue;
            }
            None => {
                errors.push(RowError::new(line, "date", "is required"));
                continue;
            }
        };
        let count = match row.value("count") {
            None => None,
            Some(c) => match c.parse::<u32>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.push(RowError::new(
                        line,
                        "count",
                        "expected a whole number of at least 0",
                    ));
                    continue;
                }
            },
        };
        points.push((line, date, count));
    }
    let step = match points.as_slice() {
        [(_, a, _), (_, b, _), ..] => (*b - *a).num_days(),
        _ => 1,
    };
    let frequency = if step == 7 {
        Frequency::Weekly
    } else {
        Frequency::Daily
    };
    let spacing = if frequency == Frequency::Weekly { 7 } else { 1 };
    let mut counts: Vec<Option<u32>> = Vec::new();
    for (i, (line, date, count)) in points.iter().enumerate() {
        if i > 0 {
            let gap = (*date - points[i - 1].1).num_days();
            if gap <= 0 {
                errors.push(RowError::new(
                    *line,
                    "date",
                    format!("must come after line {}", points[i - 1].0),
                ));
                continue;
            }
            if gap % spacing != 0 {
                errors.push(RowError::new(
                    *line,
                    "date",
                    format!(
                        "is {gap} days after the previous date; the series is {}",
                        if spacing == 7 { "weekly" } else { "daily" }
                    ),
                ));
                continue;
            }
            for _ in 1..gap / spacing {
                counts.push(None);
            }
        }
        counts.push(*count);
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(Error::Import(FileErrors {
            file: file_name.to_string(),
            errors,
        }));
    }
    let start = points
        .first()
        .map(|p| p.1)
        .ok_or_else(|| Error::Import(FileErrors::whole_file(file_name, "no data rows")))?;
    Series::new(start, frequency, counts).map_err(|e| Error::invalid("series", e.to_string()))
}

/// Options of an aberration run; `None` keeps the method's default.
#[derive(Debug, Clone, Default)]
pub struct AberrationOptions {
    pub alpha: Option<f64>,
    /// Baseline length of EARS and CUSUM (days or weeks).
    pub baseline: Option<usize>,
    /// Years of history of Farrington.
    pub years: Option<u32>,
    /// Half-width of Farrington's reference windows.
    pub window: Option<usize>,
}

/// The detector for `method`: EARS and CUSUM with the `surveillance` package's defaults,
/// Farrington with the improved settings of Noufaily et al. 2013
/// (`FarringtonParams::noufaily`: 10 seasonal levels, 26 weeks left out, negative-binomial
/// threshold), each overridden by `options`.
///
/// # Errors
/// `Invalid` for an unknown method name.
pub fn detector(method: &str, options: &AberrationOptions) -> Result<Detector> {
    let method = Method::parse(method).map_err(|e| Error::invalid("method", e.to_string()))?;
    Ok(match method {
        Method::EarsC1 | Method::EarsC2 | Method::EarsC3 => {
            let variant = match method {
                Method::EarsC1 => EarsVariant::C1,
                Method::EarsC2 => EarsVariant::C2,
                _ => EarsVariant::C3,
            };
            let mut p = EarsParams::new(variant);
            if let Some(a) = options.alpha {
                p.alpha = a;
            }
            if let Some(b) = options.baseline {
                p.baseline = b;
            }
            Detector::Ears(p)
        }
        Method::Cusum => {
            let mut p = CusumParams::default();
            if let Some(b) = options.baseline {
                p.baseline = b;
            }
            Detector::Cusum(p)
        }
        Method::Farrington => {
            let mut p = FarringtonParams::noufaily();
            if let Some(a) = options.alpha {
                p.alpha = a;
            }
            if let Some(b) = options.years {
                p.b = b;
            }
            if let Some(w) = options.window {
                p.w = w;
            }
            Detector::Farrington(p)
        }
    })
}

/// Runs aberration detection over a `date,count` file.
///
/// # Errors
/// `Import` for a bad file, `Invalid` for bad options or a series too short for the method.
pub fn aberration(
    file_name: &str,
    bytes: &[u8],
    method: &str,
    options: &AberrationOptions,
) -> Result<Vec<Evaluation>> {
    let series = read_count_series(file_name, bytes)?;
    let detector = detector(method, options)?;
    detector
        .evaluate(&series)
        .map_err(|e| Error::invalid("series", e.to_string()))
}

/// Estimates Rt (Cori et al. 2013, parametric serial interval, sliding weekly windows, Gamma
/// prior mean 5 sd 5) over a daily `date,count` file. Returns the estimates and the date of
/// each day index.
///
/// # Errors
/// `Import` for a bad file; `Invalid` for a weekly or gappy series or bad parameters.
pub fn rt(
    file_name: &str,
    bytes: &[u8],
    si_mean: f64,
    si_sd: f64,
    window: usize,
) -> Result<(Series, Vec<RtEstimate>)> {
    let series = read_count_series(file_name, bytes)?;
    if series.frequency() != Frequency::Daily {
        return Err(Error::invalid("date", "Rt needs a daily series"));
    }
    let incidence: Vec<u32> = series
        .counts()
        .iter()
        .map(|c| c.ok_or_else(|| Error::invalid("count", "Rt needs a count for every day")))
        .collect::<Result<_>>()?;
    let mut params = RtParams::parametric(si_mean, si_sd);
    params.window = window;
    let estimates = fangkong_epi::rt::estimate_rt(&incidence, &params)
        .map_err(|e| Error::invalid("series", e.to_string()))?;
    Ok((series, estimates))
}

/// The pool size with the fewest expected tests per person for a prevalence, by the
/// two-stage Dorfman scheme (with imperfect tests when sensitivity/specificity are below 1).
///
/// # Errors
/// `Invalid` for a prevalence, sensitivity or specificity outside [0, 1].
pub fn pooling(
    prevalence: f64,
    sensitivity: f64,
    specificity: f64,
    max_pool: u32,
) -> Result<(u32, f64)> {
    fangkong_epi::pooling::optimal_pool_size(prevalence, sensitivity, specificity, max_pool)
        .map_err(|e| Error::invalid("prevalence", e.to_string()))
}

/// Serial interval assumed for Rt on the analysis page when none is given: mean 4 days, sd
/// 2.5 days, within the range of published Omicron-era estimates (about 3 to 5 days);
/// the page and the API accept others.
pub const DEFAULT_SI_MEAN: f64 = 4.0;
/// See [`DEFAULT_SI_MEAN`].
pub const DEFAULT_SI_SD: f64 = 2.5;

/// Daily case counts by onset and by report date over a window of days.
#[derive(Debug, Clone, PartialEq)]
pub struct EpiCurve {
    /// The first day (China Standard Time).
    pub start: NaiveDate,
    /// Cases by day of onset (cases without an onset, asymptomatic ones, are not counted).
    pub by_onset: Vec<u32>,
    /// Cases by day of report.
    pub by_report: Vec<u32>,
}

impl EpiCurve {
    /// Buckets `(onset, reported)` times (Unix ms) into the `days` days ending on `last`.
    pub fn from_times(times: &[(Option<i64>, i64)], last: NaiveDate, days: usize) -> EpiCurve {
        let days = days.max(1);
        let start = last - chrono::Duration::days(days as i64 - 1);
        let origin = crate::clock::china_midnight_ms(start);
        let index = |t: i64| -> Option<usize> {
            let d = (t - origin).div_euclid(86_400_000);
            usize::try_from(d).ok().filter(|d| *d < days)
        };
        let mut by_onset = vec![0u32; days];
        let mut by_report = vec![0u32; days];
        for (onset, reported) in times {
            if let Some(i) = onset.and_then(index) {
                by_onset[i] += 1;
            }
            if let Some(i) = index(*reported) {
                by_report[i] += 1;
            }
        }
        EpiCurve {
            start,
            by_onset,
            by_report,
        }
    }

    /// The date of day `i`.
    pub fn date(&self, i: usize) -> NaiveDate {
        self.start + chrono::Duration::days(i as i64)
    }
}

/// The epidemic curve with Rt on the report-date incidence and the growth of the last week.
#[derive(Debug, Clone)]
pub struct EpiAnalysis {
    pub curve: EpiCurve,
    /// Cori et al. 2013 over sliding weekly windows; empty when there are too few cases.
    pub rt: Vec<RtEstimate>,
    /// Doubling time over the last 7 days, when every day had a case.
    pub growth: Option<fangkong_epi::rt::Growth>,
    /// Reported cases of the next 14 days (`fangkong_epi::rt::forecast`, the renewal
    /// equation with the last window's Rt and its band); empty without Rt.
    pub forecast: Vec<fangkong_epi::rt::ForecastPoint>,
    pub si_mean: f64,
    pub si_sd: f64,
}

impl crate::App {
    /// The epidemic curve of the cases inside the actor's jurisdiction over the last `days`
    /// days (by onset and by report date), Rt (Cori, parametric serial interval, weekly
    /// windows) on the report-date incidence, the doubling time of the last week and the
    /// 14-day forecast of reported cases with its band. Counts only.
    ///
    /// # Errors
    /// `Forbidden` without `sentinel.read`; `Invalid` for a serial interval Rt refuses.
    pub async fn epidemic_analysis(
        &self,
        actor: &crate::Actor,
        days: usize,
        si_mean: Option<f64>,
        si_sd: Option<f64>,
    ) -> Result<EpiAnalysis> {
        actor.require(fangkong_domain::Permission::SentinelRead)?;
        let times = self.store().tracing().case_times(&actor.scope).await?;
        let curve = EpiCurve::from_times(&times, self.today(), days.clamp(7, 366));
        let si_mean = si_mean.unwrap_or(DEFAULT_SI_MEAN);
        let si_sd = si_sd.unwrap_or(DEFAULT_SI_SD);
        let params = RtParams::parametric(si_mean, si_sd);
        fangkong_epi::rt::discretise_serial_interval(si_mean, si_sd, 2)
            .map_err(|e| Error::invalid("si_mean", e.to_string()))?;
        // Rt from the first reported case on: leading zeros only add empty windows.
        let first = curve.by_report.iter().position(|c| *c > 0);
        let rt = match first {
            Some(f) => fangkong_epi::rt::estimate_rt(&curve.by_report[f..], &params)
                .map(|v| {
                    v.into_iter()
                        .map(|mut e| {
                            e.t_start += f;
                            e.t_end += f;
                            e
                        })
                        .collect()
                })
                .unwrap_or_default(),
            None => Vec::new(),
        };
        let growth = fangkong_epi::rt::doubling_time(&curve.by_report, 7).ok();
        let forecast = match first {
            Some(f) if !rt.is_empty() => fangkong_epi::rt::forecast(
                &curve.by_report[f..],
                &params,
                fangkong_epi::rt::FORECAST_DAYS,
            )
            .unwrap_or_default(),
            _ => Vec::new(),
        };
        Ok(EpiAnalysis {
            curve,
            rt,
            growth,
            forecast,
            si_mean,
            si_sd,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_files_are_checked_line_by_line() {
        let good = "date,count\n2026-01-01,3\n2026-01-02,\n2026-01-04,5\n";
        let s = read_count_series("s.csv", good.as_bytes()).unwrap();
        assert_eq!(s.counts(), &[Some(3), None, None, Some(5)]);
        let weekly = "date,count\n2026-01-05,3\n2026-01-12,4\n2026-01-26,5\n";
        let s = read_count_series("w.csv", weekly.as_bytes()).unwrap();
        assert_eq!((s.frequency(), s.counts().len()), (Frequency::Weekly, 4));
        let bad = "date,count\n2026-01-02,3\n2026-01-01,4\n2026-13-01,x\n2026-01-05,-1\n";
        let e = read_count_series("bad.csv", bad.as_bytes()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "bad.csv:3: date: must come after line 2\nbad.csv:4: date: expected YYYY-MM-DD\nbad.csv:5: count: expected a whole number of at least 0"
        );
    }

    #[test]
    fn curve_buckets_by_china_day_and_drops_times_outside() {
        let last = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let midnight = crate::clock::china_midnight_ms(last);
        let h = 3_600_000;
        let times = [
            (Some(midnight - 30 * h), midnight + h),
            (None, midnight - h),
            (Some(midnight - 100 * 24 * h), midnight - 49 * h),
        ];
        let c = EpiCurve::from_times(&times, last, 3);
        assert_eq!(c.start.to_string(), "2026-11-28");
        assert_eq!(c.by_onset, [1, 0, 0]);
        assert_eq!(c.by_report, [0, 1, 1]);
        assert_eq!(c.date(2), last);
    }

    #[test]
    fn pooling_matches_dorfman_1943() {
        // Dorfman 1943, Table 1: prevalence 1 % -> groups of 11, 0.1956 tests per person.
        let (k, e) = pooling(0.01, 1.0, 1.0, 20).unwrap();
        assert_eq!(k, 11);
        assert!((e - 0.195_571).abs() < 1e-6, "{e}");
    }
}
