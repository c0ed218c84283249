//! An inbound-control picture for the demo city, so the pocket board, the risk-area map and
//! the measure pages answer with real figures: a few designations (national ones and one in
//! the city, with a lifting rule), a traveller list of arrivals over the last week classified
//! by the default policy, most measures reached by their community (active), and health
//! checks reported on the days behind them, a few missed.
//!
//! The arrivals go through the same import as an uploaded list (`App::import_travel` on a CSV
//! file), so the audit log, the measures and the reviews are those of a real upload. The
//! picture is deterministic for a seed.

use std::fmt::Write as _;

use chrono::{Duration, NaiveDate};
use fangkong_domain::policy::AreaRisk;
use fangkong_domain::{JurisdictionCode, Level, NationalId};

use super::testing::mix;
use crate::inbound::Designation;
use crate::{Actor, App, Result};

/// The meta key set when the inbound picture is complete.
const META_INBOUND: &str = "demo.inbound";
/// Arrivals in the demo list.
const ARRIVALS: u64 = 1_200;
/// Places in China travellers come from (not in the city), and countries.
const ORIGINS: [&str; 6] = [
    "110105001001",
    "310115001001",
    "440305001001",
    "420102001001",
    "500103001001",
    "330106001001",
];
const COUNTRIES: [&str; 6] = ["JP", "KR", "US", "DE", "TH", "GB"];

impl App {
    /// Seeds the inbound picture of the demo city (see the module documentation). Does
    /// nothing when it is already there.
    ///
    /// # Errors
    /// Store failures; `Invalid` when no policy is in force.
    pub async fn seed_demo_inbound(&self, config: &super::DemoConfig) -> Result<()> {
        let store = self.store();
        if store.meta().get(META_INBOUND).await?.is_some() {
            return Ok(());
        }
        self.ensure_default_policy().await?;
        let actor = Actor::system("demo");
        let city = JurisdictionCode::parse(&config.city_code)
            .map_err(|e| crate::Error::invalid("city_code", e.to_string()))?;
        let communities = store
            .jurisdictions()
            .list(
                &fangkong_domain::Scope::system(),
                Some(Level::Community),
                Some(&city),
                100_000,
            )
            .await?;
        if communities.is_empty() {
            return Ok(());
        }
        let seed = config.seed;
        let pick = |x: u64, n: usize| (mix(seed, x) % n as u64) as usize;
        // National designations, and one community of the city under control, to be lifted
        // after 7 days without a case.
        let controlled = &communities[pick(7, communities.len())];
        let designations = [
            ("110105", "北京市朝阳区", AreaRisk::High, None),
            (
                "310115001",
                "上海市浦东新区潍坊新村街道",
                AreaRisk::Medium,
                None,
            ),
            ("440305", "深圳市南山区", AreaRisk::Low, None),
            (
                controlled.code.as_str(),
                controlled.name.as_str(),
                AreaRisk::Controlled,
                Some(7),
            ),
        ];
        for (code, name, level, lift_after_days) in designations {
            self.designate_area(
                &actor,
                &Designation {
                    code,
                    name,
                    level,
                    lift_after_days,
                    addresses: Vec::new(),
                },
            )
            .await?;
        }
        // The traveller list: arrivals over the last seven days.
        let today = self.today();
        let now_minutes =
            (self.now_ms() - crate::testing::schedules::china_day_start_ms(today)) / 60_000;
        let mut csv = String::from(
            "name,id_number,community_code,origin,departed_on,arrived_at,route,vaccination,source\n",
        );
        let surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"];
        let given = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰"];
        for i in 0..ARRIVALS {
            let h = mix(seed, 1_000_000 + i);
            let community = &communities[(h % communities.len() as u64) as usize].code;
            let origin = match (h >> 8) % 10 {
                0 | 1 => COUNTRIES[((h >> 12) % 6) as usize],
                2 => communities[((h >> 16) % communities.len() as u64) as usize]
                    .code
                    .as_str(),
                _ => ORIGINS[((h >> 12) % 6) as usize],
            };
            // A birth date per arrival keeps the documents apart.
            let birth = NaiveDate::from_ymd_opt(1960, 1, 1).unwrap_or_default()
                + Duration::days(i as i64 * 11);
            let id = NationalId::from_parts("110105", birth, ((h >> 20) % 999) as u16 + 1)
                .map(|n| n.to_string())
                .unwrap_or_default();
            let minutes = (h >> 32) % (16 * 60) + 6 * 60;
            let mut arrived = today - Duration::days(((h >> 24) % 7) as i64);
            // An arrival later today than the demo's clock would be in the future: it arrived
            // the day before, so the list has the same 1 200 arrivals at any hour.
            if arrived == today && minutes as i64 > now_minutes {
                arrived -= Duration::days(1);
            }
            let departed = arrived - Duration::days(((h >> 28) % 3) as i64);
            let name = format!(
                "{}{}",
                surnames[((h >> 36) % 10) as usize],
                given[((h >> 40) % 10) as usize]
            );
            let source = ["checkpoint", "file_import", "self_report", "upper_push"]
                [((h >> 44) % 4) as usize];
            let vaccination = ["full", "booster", "partial"][((h >> 46) % 3) as usize];
            let _ = writeln!(
                csv,
                "{name},{id},{community},{origin},{departed},{} {:02}:{:02},G{},{vaccination},{source}",
                arrived,
                minutes / 60,
                minutes % 60,
                (h >> 48) % 9_000 + 1
            );
        }
        // Arrivals of today after the demo's clock would be in the future (none are generated;
        // the guard keeps a changed generator honest).
        let mut kept = String::new();
        // Travellers test daily until today: most days' samples are in, negative.
        let mut samples = String::from("tube_id,id_number,site_code,collected_at,pool_size\n");
        let mut results = String::from("tube_id,result,lab_code,tested_at,reported_at\n");
        for (n, line) in csv.lines().enumerate() {
            let fields: Vec<&str> = line.split(',').collect();
            let arrival = fields.get(5).and_then(|at| at.split_once(' '));
            let Some((day, time)) = arrival.filter(|_| n > 0) else {
                kept.push_str(line);
                kept.push('\n');
                continue;
            };
            let (h, m) = time.split_once(':').unwrap_or(("0", "0"));
            let minutes = h.parse::<i64>().unwrap_or(0) * 60 + m.parse::<i64>().unwrap_or(0);
            if day == today.to_string() && minutes > now_minutes {
                continue;
            }
            kept.push_str(line);
            kept.push('\n');
            let Ok(mut d) = NaiveDate::parse_from_str(day, "%Y-%m-%d") else {
                continue;
            };
            while d < today {
                if !mix(
                    seed,
                    3_000_000 + (n as u64) * 16 + (today - d).num_days() as u64,
                )
                .is_multiple_of(10)
                {
                    let tube = format!("DEMO-T-{n}-{}", d.format("%m%d"));
                    let _ = writeln!(samples, "{tube},{},DEMO-SITE,{d} 09:30,1", fields[1]);
                    let _ = writeln!(results, "{tube},negative,DEMO-LAB,{d} 15:00,{d} 16:00");
                }
                d += Duration::days(1);
            }
        }
        self.import_travel(&actor, "来驻返驻人员名单-演示.csv", kept.as_bytes())
            .await?;
        self.ingest_samples(&actor, "来驻返驻人员-采样-演示.csv", samples.as_bytes())
            .await?;
        self.ingest_results(&actor, "来驻返驻人员-检测结果-演示.csv", results.as_bytes())
            .await?;
        // Communities reach most people; the health checks of the days behind are in, a
        // few missed.
        let measures = self
            .measures(&actor, None, true, crate::measures::LIST_LIMIT * 10)
            .await?;
        let everyone = fangkong_domain::Scope::system();
        let now = self.now_ms();
        for v in &measures {
            let id = v.measure.id;
            let h = mix(seed, 2_000_000 + id as u64);
            if h % 10 >= 8 {
                continue;
            }
            store
                .measures()
                .set_status(
                    &everyone,
                    id,
                    &["assigned"],
                    "active",
                    now,
                    None,
                    "system:demo",
                )
                .await?;
            let mut day = v.starts_on;
            while day < today && day <= v.ends_on {
                let k = (day - v.starts_on).num_days() as u64;
                if !mix(seed, (id as u64) << 16 | k).is_multiple_of(12) {
                    store
                        .measures()
                        .record_health_check(&fangkong_store::measures::NewHealthCheck {
                            measure_id: id,
                            day: &day.to_string(),
                            temperature: 36.2 + ((h >> 8) % 8) as f64 / 10.0,
                            symptoms: "",
                            reported_by: "staff",
                            reporter: "system:demo",
                            recorded_at: now,
                        })
                        .await?;
                }
                day += Duration::days(1);
            }
        }
        store.meta().set(META_INBOUND, &today.to_string()).await?;
        Ok(())
    }
}
