//! A sentinel picture for the demo city, so the registry, the missing-report list, the alert
//! list and map and the sparklines answer with real figures: 60 days of daily counts for
//! every indicator of every sentinel of the city, ending yesterday, with a weekly rhythm
//! (busier on Mondays, quieter at the weekend) and deterministic noise; three events in the
//! last days that the aberration run finds: the pharmacies of one township selling fever
//! and antiviral medicine at two to four times their level over three days, a school whose
//! illness absences jump yesterday, and a fever clinic whose fever patients climb over two
//! days; and one sentinel in fifty that has not sent yesterday's report.
//!
//! The counts go through `App::submit_sentinel_reports` (source `demo`) and the alerts
//! through `App::run_sentinel_aberration`, run for each of the last three days in order as
//! the daily job would have; the weakest alert is then dismissed with a note, so the
//! workflow shows. Deterministic for a seed and a day; done once (a meta key).

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use fangkong_domain::{AlertStatus, Indicator, Scope, SentinelType};
use fangkong_store::sentinel::Sentinel;

use super::testing::mix;
use crate::sentinel::{AlertQuery, ReportInput, ReportSource};
use crate::{Actor, App, Result};

/// The meta key set when the sentinel picture is complete.
const META_SENTINEL: &str = "demo.sentinel";
/// Days of reports, ending yesterday.
pub const REPORT_DAYS: i64 = 60;
/// One sentinel in this many has not sent yesterday's report.
const MISSING_ONE_IN: u64 = 50;
/// Counts per batch submitted (the app's largest batch).
const BATCH: usize = 100_000;

const SALT_BASE: u64 = 0xB_0000_0000;
const SALT_NOISE: u64 = 0xC_0000_0000;
const SALT_MISSING: u64 = 0xD_0000_0000;

/// The usual daily level of an indicator at one sentinel: a range the sentinel's own level
/// is drawn from.
fn level_range(indicator: Indicator) -> (f64, f64) {
    use Indicator::*;
    match indicator {
        Visits => (40.0, 120.0),
        FeverPatients => (6.0, 20.0),
        PositiveTests | PositiveSamples => (0.0, 0.3),
        FeverMedicineSales | CoughMedicineSales => (10.0, 40.0),
        AntibioticSales => (8.0, 25.0),
        AntiviralSales => (2.0, 8.0),
        FeverConsultations => (4.0, 15.0),
        RespiratoryConsultations => (6.0, 25.0),
        Absences => (8.0, 30.0),
        IllnessAbsences => (3.0, 10.0),
        FeverAbsences => (0.5, 3.0),
        FeverStaff | FeverEmployees | FeverGuests => (0.2, 2.0),
        FeverTravellers => (0.5, 4.0),
        HealthCodeAbnormal => (1.0, 6.0),
        FeverResidents => (1.0, 6.0),
        RespiratoryResidents => (2.0, 10.0),
    }
}

/// The weekly rhythm: busier on Mondays, quieter at the weekend.
fn weekday_factor(day: NaiveDate) -> f64 {
    match day.weekday() {
        Weekday::Mon => 1.15,
        Weekday::Sat => 0.85,
        Weekday::Sun => 0.75,
        _ => 1.0,
    }
}

/// A uniform number in [0, 1) from a hash.
fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// The events of the picture: which sentinels and indicators are raised on which of the
/// last days, by which factor.
#[derive(Debug, Default)]
struct Events {
    /// (sentinel id, indicator, days ago, factor).
    raised: Vec<(i64, Indicator, i64, f64)>,
}

impl Events {
    fn plan(sentinels: &[Sentinel], seed: u64) -> Events {
        let mut events = Events::default();
        let pick = |t: SentinelType, salt: u64| -> Vec<&Sentinel> {
            let of: Vec<&Sentinel> = sentinels
                .iter()
                .filter(|s| s.sentinel_type == t.as_str())
                .collect();
            if of.is_empty() {
                return of;
            }
            let i = (mix(seed, salt) % of.len() as u64) as usize;
            vec![of[i]]
        };
        // The pharmacies of one township: three days of fever and antiviral medicine sales.
        if let Some(p) = pick(SentinelType::Pharmacy, 1).first() {
            let township = &p.community_code[..p.community_code.len().min(9)];
            for s in sentinels.iter().filter(|s| {
                s.sentinel_type == SentinelType::Pharmacy.as_str()
                    && s.community_code.starts_with(township)
            }) {
                for (days_ago, factor) in [(3, 2.0), (2, 3.0), (1, 4.0)] {
                    events
                        .raised
                        .push((s.id, Indicator::FeverMedicineSales, days_ago, factor));
                    events
                        .raised
                        .push((s.id, Indicator::AntiviralSales, days_ago, factor + 1.0));
                }
            }
        }
        // A school: illness and fever absences jump yesterday.
        for s in pick(SentinelType::School, 2) {
            events
                .raised
                .push((s.id, Indicator::IllnessAbsences, 1, 5.0));
            events.raised.push((s.id, Indicator::FeverAbsences, 1, 8.0));
        }
        // A fever clinic: fever patients climb over two days.
        for s in pick(SentinelType::FeverClinic, 3) {
            events.raised.push((s.id, Indicator::FeverPatients, 2, 2.5));
            events.raised.push((s.id, Indicator::FeverPatients, 1, 4.0));
        }
        events
    }

    fn factor(&self, id: i64, indicator: Indicator, days_ago: i64) -> f64 {
        self.raised
            .iter()
            .filter(|(s, i, d, _)| *s == id && *i == indicator && *d == days_ago)
            .map(|e| e.3)
            .product()
    }
}

/// The daily counts of the picture, oldest day first.
fn counts(sentinels: &[Sentinel], seed: u64, today: NaiveDate) -> Vec<ReportInput> {
    let events = Events::plan(sentinels, seed);
    let mut rows = Vec::new();
    for days_ago in (1..=REPORT_DAYS).rev() {
        let day = today - Duration::days(days_ago);
        let text = day.to_string();
        for s in sentinels {
            let Some(t) = SentinelType::parse(&s.sentinel_type) else {
                continue;
            };
            let id = s.id as u64;
            if days_ago == 1 && mix(seed ^ SALT_MISSING, id).is_multiple_of(MISSING_ONE_IN) {
                continue;
            }
            for (k, indicator) in t.indicators().iter().enumerate() {
                let key = id * 32 + k as u64;
                let (lo, hi) = level_range(*indicator);
                let base = lo + (hi - lo) * unit(mix(seed ^ SALT_BASE, key));
                let mean = base * weekday_factor(day) * events.factor(s.id, *indicator, days_ago);
                // Noise of about a Poisson count's spread: mean ± sqrt(mean).
                let u = unit(mix(seed ^ SALT_NOISE, key * 128 + days_ago as u64));
                let count = (mean + (2.0 * u - 1.0) * mean.sqrt()).round().max(0.0);
                rows.push(ReportInput {
                    sentinel_id: s.id,
                    day: text.clone(),
                    indicator: indicator.as_str().to_string(),
                    count: count as i64,
                });
            }
        }
    }
    rows
}

impl App {
    /// Seeds the demo's sentinel reports and alerts (see the module documentation), once.
    ///
    /// # Errors
    /// Store failure; `Invalid` should a generated count be refused (a bug).
    pub async fn seed_demo_sentinel(&self, config: &super::DemoConfig) -> Result<()> {
        let store = self.store();
        if store.meta().get(META_SENTINEL).await?.is_some() {
            return Ok(());
        }
        let actor = Actor::system("demo");
        let today = self.today();
        let sentinels = store.sentinels().list(&Scope::system(), None, None).await?;
        let rows = counts(&sentinels, config.seed, today);
        for batch in rows.chunks(BATCH) {
            self.submit_sentinel_reports(&actor, ReportSource::Demo, batch)
                .await?;
        }
        for days_ago in (1..=3).rev() {
            self.run_sentinel_aberration(&actor, Some(today - Duration::days(days_ago)))
                .await?;
        }
        let open = self
            .sentinel_alerts(
                &actor,
                &AlertQuery {
                    status: Some(AlertStatus::New.as_str().to_string()),
                    ..AlertQuery::default()
                },
            )
            .await?;
        if let Some(weakest) = open
            .alerts
            .iter()
            .min_by(|a, b| a.strength.total_cmp(&b.strength).then(b.id.cmp(&a.id)))
        {
            if open.alerts.len() > 1 {
                self.transition_alert(
                    &actor,
                    weakest.id,
                    AlertStatus::Dismissed.as_str(),
                    Some("电话核实：进货补货导致销量增加，非疫情信号"),
                )
                .await?;
            }
        }
        store.meta().set(META_SENTINEL, &today.to_string()).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::TimeZone as _;
    use fangkong_store::{ConnectOptions, MasterKey, Store};

    use crate::demo::{DemoConfig, NoProgress};
    use crate::sentinel::AlertQuery;
    use crate::{Actor, App, FixedClock};

    async fn figures(app: &App) -> String {
        let actor = Actor::system("test");
        let sentinels = app.sentinels(&actor, None, None).await.unwrap();
        let missing = sentinels.iter().filter(|s| s.missing).count();
        let today = app.today();
        let reports = app
            .store()
            .sentinels()
            .series_points(
                &fangkong_domain::Scope::system(),
                &(today - chrono::Duration::days(100)).to_string(),
                &today.to_string(),
            )
            .await
            .unwrap();
        let total: i64 = reports.iter().map(|r| r.count).sum();
        let alerts = app
            .sentinel_alerts(&actor, &AlertQuery::default())
            .await
            .unwrap()
            .alerts;
        let summary: Vec<String> = alerts
            .iter()
            .map(|a| {
                format!(
                    "{}/{}/{}:{}:{}..{}",
                    a.sentinel_type, a.indicator, a.levels, a.status, a.first_day, a.last_day
                )
            })
            .collect();
        format!(
            "sentinels={} missing={missing} reports={} total={total} alerts={summary:?}",
            sentinels.len(),
            reports.len()
        )
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_demo_seeds_sixty_days_of_reports_and_its_alerts_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(
            &ConnectOptions::Sqlite {
                path: dir.path().join("fangkong.db"),
            },
            &MasterKey::generate(),
        )
        .await
        .unwrap();
        let clock = chrono::Utc.with_ymd_and_hms(2026, 11, 30, 2, 0, 0).unwrap();
        let app = App::new(store, Arc::new(FixedClock::new(clock)));
        let config = DemoConfig {
            city_code: "4117".into(),
            population: 5_000,
            seed: 7,
        };
        app.load_demo_city(&config, &NoProgress).await.unwrap();
        app.seed_demo_sentinel(&config).await.unwrap();
        let first = figures(&app).await;
        let audit = app.verify_audit().await.unwrap();
        assert_eq!(audit.first_broken, None);
        // A second seed changes nothing and writes nothing to the audit log.
        app.seed_demo_sentinel(&config).await.unwrap();
        assert_eq!(figures(&app).await, first);
        assert_eq!(app.verify_audit().await.unwrap().entries, audit.entries);
        // Exact for the seed and the day: the three planted events are found (the township's
        // pharmacies over three days, extended; the school yesterday; the fever clinic over
        // two days), next to the few chance alarms of some 3 000 series over three days
        // (about the 0.1 % that EARS C2 allows), the weakest of them dismissed.
        assert_eq!(
            first,
            concat!(
                "sentinels=1330 missing=30 reports=209446 total=2740374 alerts=[",
                "\"school/illness_absences/sentinel,township:new:2026-11-29..2026-11-29\", ",
                "\"school/fever_absences/sentinel,township:new:2026-11-29..2026-11-29\", ",
                "\"pharmacy/fever_medicine_sales/sentinel,township:new:2026-11-27..2026-11-29\", ",
                "\"pharmacy/antiviral_sales/sentinel,township:new:2026-11-27..2026-11-29\", ",
                "\"fever_clinic/fever_patients/sentinel,township:new:2026-11-28..2026-11-29\", ",
                "\"market/fever_staff/county:new:2026-11-27..2026-11-27\", ",
                "\"community/respiratory_residents/sentinel,township:new:2026-11-27..2026-11-27\", ",
                "\"primary_clinic/fever_consultations/sentinel,township:new:2026-11-27..2026-11-27\", ",
                "\"fever_clinic/fever_patients/sentinel,township:new:2026-11-27..2026-11-27\", ",
                "\"pharmacy/antibiotic_sales/sentinel,township:new:2026-11-27..2026-11-27\", ",
                "\"fever_clinic/fever_patients/sentinel,township:dismissed:2026-11-27..2026-11-27\"]"
            )
        );
    }
}
