//! The vocabulary of sentinel surveillance (哨点监测预警): the ten sentinel types and the
//! indicators each reports every day, the daily reporting deadline, the levels at which a
//! series is watched, the workflow of an alert and how signals are ranked.
//!
//! A sentinel is a facility of kind `sentinel` whose subtype is its [`SentinelType`]. This
//! module is pure: deadlines are computed from a given time, never from the clock.

use chrono::{Duration, NaiveDate};

/// The kind of a sentinel (the facility's subtype).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SentinelType {
    /// 发热门诊.
    FeverClinic,
    /// 零售药店 (fever, cough, antibiotic and antiviral medicine sales).
    Pharmacy,
    /// 基层医疗机构和村医.
    PrimaryClinic,
    /// 学校和托幼机构 (absence).
    School,
    /// 农贸（集贸）市场、批发市场.
    Market,
    /// 冷链食品经营单位.
    ColdChainStore,
    /// 交通枢纽（车站、机场、服务区）.
    TransportHub,
    /// 集中隔离酒店.
    QuarantineHotel,
    /// 社区（村）和网格员.
    Community,
    /// 重点企业.
    KeyEnterprise,
}

names!(SentinelType {
    FeverClinic => "fever_clinic", "发热门诊", "fever clinic";
    Pharmacy => "pharmacy", "零售药店", "pharmacy";
    PrimaryClinic => "primary_clinic", "基层医疗机构和村医", "primary clinic and village doctor";
    School => "school", "学校和托幼机构", "school and nursery";
    Market => "market", "农贸和批发市场", "farmers' and wholesale market";
    ColdChainStore => "cold_chain_store", "冷链食品经营单位", "cold-chain store";
    TransportHub => "transport_hub", "交通枢纽", "transport hub";
    QuarantineHotel => "quarantine_hotel", "集中隔离酒店", "quarantine hotel";
    Community => "community", "社区和网格员", "community and grid worker";
    KeyEnterprise => "key_enterprise", "重点企业", "key enterprise";
});

/// A daily count a sentinel reports. The same indicator may belong to several types (markets
/// and cold-chain stores both report staff with fever).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Indicator {
    Visits,
    FeverPatients,
    PositiveTests,
    FeverMedicineSales,
    CoughMedicineSales,
    AntibioticSales,
    AntiviralSales,
    FeverConsultations,
    RespiratoryConsultations,
    Absences,
    IllnessAbsences,
    FeverAbsences,
    FeverStaff,
    PositiveSamples,
    FeverTravellers,
    HealthCodeAbnormal,
    FeverGuests,
    FeverResidents,
    RespiratoryResidents,
    FeverEmployees,
}

names!(Indicator {
    Visits => "visits", "就诊人次", "visits";
    FeverPatients => "fever_patients", "发热患者数", "fever patients";
    PositiveTests => "positive_tests", "核酸阳性数", "positive tests";
    FeverMedicineSales => "fever_medicine_sales", "退热药销售数", "fever medicine sales";
    CoughMedicineSales => "cough_medicine_sales", "止咳药销售数", "cough medicine sales";
    AntibioticSales => "antibiotic_sales", "抗生素销售数", "antibiotic sales";
    AntiviralSales => "antiviral_sales", "抗病毒药销售数", "antiviral medicine sales";
    FeverConsultations => "fever_consultations", "发热就诊人次", "fever consultations";
    RespiratoryConsultations => "respiratory_consultations", "呼吸道症状就诊人次", "respiratory consultations";
    Absences => "absences", "缺勤人数", "absences";
    IllnessAbsences => "illness_absences", "因病缺勤人数", "absences for illness";
    FeverAbsences => "fever_absences", "因发热缺勤人数", "absences for fever";
    FeverStaff => "fever_staff", "从业人员发热数", "staff with fever";
    PositiveSamples => "positive_samples", "人员和环境样本阳性数", "positive staff or environment samples";
    FeverTravellers => "fever_travellers", "体温异常旅客数", "travellers with fever";
    HealthCodeAbnormal => "health_code_abnormal", "健康码异常人数", "abnormal health codes";
    FeverGuests => "fever_guests", "隔离人员发热数", "quarantined guests with fever";
    FeverResidents => "fever_residents", "居民发热报告数", "residents reporting fever";
    RespiratoryResidents => "respiratory_residents", "居民呼吸道症状报告数", "residents reporting respiratory symptoms";
    FeverEmployees => "fever_employees", "员工发热数", "employees with fever";
});

impl SentinelType {
    /// The indicators this type reports, in form order.
    pub fn indicators(self) -> &'static [Indicator] {
        use Indicator::*;
        match self {
            SentinelType::FeverClinic => &[Visits, FeverPatients, PositiveTests],
            SentinelType::Pharmacy => &[
                FeverMedicineSales,
                CoughMedicineSales,
                AntibioticSales,
                AntiviralSales,
            ],
            SentinelType::PrimaryClinic => &[FeverConsultations, RespiratoryConsultations],
            SentinelType::School => &[Absences, IllnessAbsences, FeverAbsences],
            SentinelType::Market | SentinelType::ColdChainStore => &[FeverStaff, PositiveSamples],
            SentinelType::TransportHub => &[FeverTravellers, HealthCodeAbnormal],
            SentinelType::QuarantineHotel => &[FeverGuests, PositiveTests],
            SentinelType::Community => &[FeverResidents, RespiratoryResidents],
            SentinelType::KeyEnterprise => &[Absences, FeverEmployees],
        }
    }

    /// Whether this type reports `indicator`.
    pub fn reports(self, indicator: Indicator) -> bool {
        self.indicators().contains(&indicator)
    }

    /// The default reporting deadline, in minutes after the end of the reported day (China
    /// Standard Time): 10:00 the next day, and 08:00 for the facilities that keep a night
    /// duty (fever clinics, quarantine hotels), whose counts the morning meeting reads first.
    pub fn default_deadline_minutes(self) -> u32 {
        match self {
            SentinelType::FeverClinic | SentinelType::QuarantineHotel => 8 * 60,
            _ => 10 * 60,
        }
    }
}

/// The latest deadline accepted, in minutes after the end of the reported day (two days).
pub const MAX_DEADLINE_MINUTES: u32 = 48 * 60;

const MS_PER_MINUTE: i64 = 60_000;
const CST_OFFSET_MS: i64 = 8 * 3_600_000;

/// Unix milliseconds at which the report of `day` is due: `deadline_minutes` after the end
/// of `day` in China Standard Time (UTC+8).
pub fn report_due_at(day: NaiveDate, deadline_minutes: u32) -> i64 {
    let next_midnight = day
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(i64::MAX / 2, |t| {
            t.and_utc().timestamp_millis() - CST_OFFSET_MS
        });
    next_midnight + i64::from(deadline_minutes) * MS_PER_MINUTE
}

/// The latest day whose report was due at or before `now_ms`: the day a missing report is
/// looked for. At 09:59 the next morning with a 10:00 deadline that is the day before.
pub fn latest_due_day(now_ms: i64, deadline_minutes: u32) -> NaiveDate {
    let shifted = now_ms + CST_OFFSET_MS - i64::from(deadline_minutes) * MS_PER_MINUTE;
    let today =
        chrono::DateTime::from_timestamp_millis(shifted).map_or(NaiveDate::MIN, |t| t.date_naive());
    today - Duration::days(1)
}

/// The level of a watched series: one sentinel, or the sum over the sentinels of one type in
/// a township, county or the city. Ordered from the most local.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SeriesLevel {
    Sentinel,
    Township,
    County,
    City,
}

names!(SeriesLevel {
    Sentinel => "sentinel", "哨点", "sentinel";
    Township => "township", "乡镇街道", "township";
    County => "county", "县区", "county";
    City => "city", "市", "city";
});

impl SeriesLevel {
    /// The length of the jurisdiction code of an aggregate at this level (4, 6 or 9 digits);
    /// `None` for a single sentinel.
    pub fn code_len(self) -> Option<usize> {
        match self {
            SeriesLevel::Sentinel => None,
            SeriesLevel::Township => Some(9),
            SeriesLevel::County => Some(6),
            SeriesLevel::City => Some(4),
        }
    }
}

/// Where an alert stands: new → verifying → confirmed or dismissed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlertStatus {
    /// Raised by the daily run, not looked at yet (新预警).
    New,
    /// Someone is checking it on the ground (核实中).
    Verifying,
    /// A real event (确认).
    Confirmed,
    /// A false alarm or explained (排除).
    Dismissed,
}

names!(AlertStatus {
    New => "new", "新预警", "new";
    Verifying => "verifying", "核实中", "verifying";
    Confirmed => "confirmed", "已确认", "confirmed";
    Dismissed => "dismissed", "已排除", "dismissed";
});

impl AlertStatus {
    /// Whether an alert may move from `self` to `to`. A confirmed alert has been verified, so
    /// it passes through `verifying`; an obvious false alarm may be dismissed at once. A
    /// closed alert stays closed (a new signal makes a new alert).
    pub fn can_become(self, to: AlertStatus) -> bool {
        matches!(
            (self, to),
            (
                AlertStatus::New,
                AlertStatus::Verifying | AlertStatus::Dismissed
            ) | (
                AlertStatus::Verifying,
                AlertStatus::Confirmed | AlertStatus::Dismissed
            )
        )
    }

    /// Whether the verdict is in (confirmed or dismissed).
    pub fn is_closed(self) -> bool {
        matches!(self, AlertStatus::Confirmed | AlertStatus::Dismissed)
    }
}

/// Days without an alert on a series after which its next alert counts as novel.
pub const NOVELTY_DAYS: i64 = 7;

/// The strength of a signal: how far the count went past the threshold, `observed /
/// threshold`, with the threshold taken as at least 1 so that a count of 2 over a bound of
/// 0.1 does not outrank a real surge.
pub fn strength(observed: u32, threshold: f64) -> f64 {
    f64::from(observed) / threshold.max(1.0)
}

/// The rank of an alert: its strength, doubled when it is novel (the first on its series in
/// [`NOVELTY_DAYS`]), so that a new event comes before the continuation of a known one of
/// similar strength.
pub fn rank_score(strength: f64, novel: bool) -> f64 {
    if novel {
        2.0 * strength
    } else {
        strength
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_indicators_with_names() {
        assert_eq!(SentinelType::ALL.len(), 10);
        for t in SentinelType::ALL {
            assert!(!t.indicators().is_empty(), "{}", t.as_str());
            assert_eq!(SentinelType::parse(t.as_str()), Some(*t));
            for i in t.indicators() {
                assert_eq!(Indicator::parse(i.as_str()), Some(*i));
                assert!(!i.name_zh().is_empty());
            }
        }
        // Every indicator is reported by some type.
        for i in Indicator::ALL {
            assert!(SentinelType::ALL.iter().any(|t| t.reports(*i)), "{i:?}");
        }
        assert!(SentinelType::Pharmacy.reports(Indicator::AntiviralSales));
        assert!(!SentinelType::Pharmacy.reports(Indicator::Absences));
    }

    #[test]
    fn deadline_is_counted_from_the_end_of_the_day_in_china() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        // 2026-11-30 10:00 CST = 02:00 UTC.
        let due = report_due_at(day, 600);
        assert_eq!(
            chrono::DateTime::from_timestamp_millis(due)
                .unwrap()
                .to_rfc3339(),
            "2026-11-30T02:00:00+00:00"
        );
        assert_eq!(latest_due_day(due, 600), day);
        assert_eq!(latest_due_day(due - 1, 600), day - Duration::days(1));
        // Property: the report of the latest due day is due at or before now, and the next
        // day's is not.
        for now in (0..200).map(|k| due - 86_400_000 + k * 7_777_777) {
            for minutes in [0, 480, 600, MAX_DEADLINE_MINUTES] {
                let d = latest_due_day(now, minutes);
                assert!(report_due_at(d, minutes) <= now);
                assert!(report_due_at(d + Duration::days(1), minutes) > now);
            }
        }
    }

    #[test]
    fn alert_workflow_moves_forward_only() {
        use AlertStatus::*;
        let allowed: Vec<(AlertStatus, AlertStatus)> = AlertStatus::ALL
            .iter()
            .flat_map(|a| AlertStatus::ALL.iter().map(move |b| (*a, *b)))
            .filter(|(a, b)| a.can_become(*b))
            .collect();
        assert_eq!(
            allowed,
            [
                (New, Verifying),
                (New, Dismissed),
                (Verifying, Confirmed),
                (Verifying, Dismissed)
            ]
        );
    }

    #[test]
    fn rank_prefers_novel_signals_of_similar_strength() {
        assert!((strength(30, 10.0) - 3.0).abs() < 1e-12);
        assert!((strength(2, 0.1) - 2.0).abs() < 1e-12);
        assert!(rank_score(1.6, true) > rank_score(3.0, false));
        assert!(rank_score(4.0, false) > rank_score(1.5, true));
    }
}
