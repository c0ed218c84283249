//! The demo's vaccination records: every synthetic resident gets the doses a resident of a
//! Chinese city of 2022 would have, with coverage by age shaped like the national figures
//! reported by the National Health Commission at the end of 2022 (about 90% full course
//! overall, lower among the oldest: roughly 86% of the over-60s and two thirds of the over-80s
//! with a full course, fewer boosted), nobody under 3 vaccinated, and the product mix of the
//! inactivated vaccines dominating. A few recent doses (people catching up in the last weeks)
//! make the trend move at its end. Deterministic for a seed; done once (a meta key).

use chrono::{Duration, NaiveDate};
use fangkong_domain::age_band::age_on;
use fangkong_domain::immunization::{Dose, VaccineProduct};
use fangkong_domain::Scope;
use fangkong_store::immunization::NewDose;

use super::testing::mix;
use crate::{App, Result};

const META_IMMUNIZATION: &str = "demo.immunization";
/// Persons read per page.
const PAGE: i64 = 20_000;

/// (full course, booster given full course) per mille by age, and the share with one dose
/// only (per mille of everyone).
fn rates(age: u32) -> (u64, u64, u64) {
    match age {
        0..=2 => (0, 0, 0),
        3..=11 => (880, 0, 30),
        12..=17 => (950, 300, 15),
        18..=59 => (960, 720, 15),
        60..=69 => (900, 760, 30),
        70..=79 => (840, 700, 40),
        _ => (660, 600, 60),
    }
}

fn product(h: u64) -> VaccineProduct {
    match h % 100 {
        0..=39 => VaccineProduct::CoronaVac,
        40..=74 => VaccineProduct::Bibp,
        75..=84 => VaccineProduct::Wibp,
        85..=89 => VaccineProduct::Kconvac,
        90..=94 => VaccineProduct::Convidecia,
        _ => VaccineProduct::Zf2001,
    }
}

/// The doses of one resident (deterministic in the person id and seed).
pub(super) fn doses_of(person_id: i64, birth: NaiveDate, seed: u64, today: NaiveDate) -> Vec<Dose> {
    let id = person_id as u64;
    let start: NaiveDate = "2021-03-01".parse().unwrap_or(today);
    let age = age_on(birth, start.max(birth));
    let age_now = age_on(birth, today);
    let (full, boost, partial) = rates(age_now);
    let roll = mix(seed, id.wrapping_mul(3)) % 1000;
    let kind = if roll < full {
        2
    } else if roll < full + partial {
        1
    } else {
        0
    };
    if kind == 0 || age_now < 3 {
        return Vec::new();
    }
    let p = product(mix(seed, id.wrapping_mul(5)));
    // Adults first (spring 2021), children from autumn 2021, the oldest trailing into 2022.
    let base = match age {
        18..=59 => 0,
        60..=79 => 60,
        80.. => 150,
        _ => 200,
    };
    // Nobody is vaccinated before the age of 3.
    let earliest = birth + Duration::days(3 * 366);
    let first =
        (start + Duration::days(base + (mix(seed, id.wrapping_mul(7)) % 120) as i64)).max(earliest);
    if first > today {
        return Vec::new();
    }
    let mut doses = vec![Dose {
        number: 1,
        product: p,
        on: first,
    }];
    // A catch-up in the last weeks for a few: their only dose was given just now.
    if kind == 1 && mix(seed, id.wrapping_mul(11)).is_multiple_of(10) {
        doses[0].on = today - Duration::days((mix(seed, id.wrapping_mul(13)) % 28) as i64);
        return doses;
    }
    if kind == 1 {
        return doses;
    }
    let mut on = first;
    for n in 2..=p.primary_doses() {
        on += Duration::days(
            p.interval_days() + (mix(seed, id.wrapping_mul(17) + u64::from(n)) % 14) as i64,
        );
        doses.push(Dose {
            number: n,
            product: p,
            on,
        });
    }
    if mix(seed, id.wrapping_mul(19)) % 1000 < boost {
        let gap = 180 + (mix(seed, id.wrapping_mul(23)) % 240) as i64;
        let booster = if mix(seed, id.wrapping_mul(29)).is_multiple_of(5) {
            VaccineProduct::ConvideciaAir
        } else {
            p
        };
        doses.push(Dose {
            number: p.primary_doses() + 1,
            product: booster,
            on: (on + Duration::days(gap)).min(today),
        });
    }
    doses.retain(|d| d.on <= today);
    doses
}

impl App {
    /// Seeds the demo's vaccination records (see the module documentation), once.
    ///
    /// # Errors
    /// Store failure.
    pub async fn seed_demo_immunization(&self, config: &super::DemoConfig) -> Result<()> {
        let store = self.store();
        if store.meta().get(META_IMMUNIZATION).await?.is_some() {
            return Ok(());
        }
        let today = self.today();
        let scope = Scope::system();
        let mut after = 0;
        loop {
            let page = store
                .persons()
                .synthetic_births_after(&scope, after, PAGE)
                .await?;
            let n = page.len() as i64;
            after = page.last().map_or(after, |(id, _)| *id);
            let mut doses = Vec::new();
            for (id, birth) in &page {
                let Ok(birth) = birth.parse::<NaiveDate>() else {
                    continue;
                };
                for dose in doses_of(*id, birth, config.seed, today) {
                    doses.push(NewDose {
                        person_id: *id,
                        dose,
                        lot: Some(format!(
                            "{}{:04}",
                            dose.on.format("%Y%m"),
                            mix(config.seed, *id as u64 * 31 + u64::from(dose.number)) % 10_000
                        )),
                        site: Some("社区卫生服务中心接种门诊".to_string()),
                        fhir_id: None,
                        remove: false,
                    });
                }
            }
            if !doses.is_empty() {
                let _ = store
                    .immunization()
                    .record_doses(&scope, &doses, "demo", self.now_ms())
                    .await?;
            }
            if n < PAGE {
                break;
            }
        }
        store
            .meta()
            .set(META_IMMUNIZATION, &today.to_string())
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_is_shaped_by_age() {
        let today: NaiveDate = "2026-11-30".parse().unwrap();
        let count = |birth: &str| {
            let birth: NaiveDate = birth.parse().unwrap();
            let mut full = 0;
            for id in 1..2001 {
                let doses = doses_of(id, birth, 7, today);
                assert!(doses.iter().all(|d| d.on <= today && d.on >= birth));
                let s = fangkong_domain::immunization::Status::of(&doses);
                full += i32::from(s.full_on.is_some());
            }
            full
        };
        let adults = count("1980-06-01");
        let oldest = count("1935-06-01");
        assert!(adults > 1850 && adults < 1990, "{adults}");
        assert!(oldest > 1200 && oldest < 1450, "{oldest}");
        assert_eq!(count("2025-01-01"), 0);
    }
}
