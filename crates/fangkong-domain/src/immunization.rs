//! The vocabulary of immunization (社会免疫): the COVID-19 vaccine products in use in China,
//! the levels of coverage (first dose, full course, booster), the priority groups that
//! community workers reach out to, and how a person's doses make their status.
//!
//! A person's status follows from their dose records alone: a dose counts toward the full
//! course when its number reaches the primary course of its own product (dose 1 of the
//! single-dose CanSino vaccine, dose 2 of an inactivated vaccine, dose 3 of ZF2001), and a
//! dose whose number passes that course is a booster, whatever product came before
//! (heterologous boosting is allowed). The next dose is due `interval_days` after the last
//! primary dose, and the booster [`BOOSTER_AFTER_DAYS`] after the full course; that is when
//! a person becomes overdue. This module is pure: "today" is always given.

use chrono::{Duration, NaiveDate};

/// The CVX code system (CDC), used for products that have a CVX code.
pub const CVX_SYSTEM: &str = "http://hl7.org/fhir/sid/cvx";
/// The project's code system for vaccine products: every product has a code here
/// ([`VaccineProduct::fhir_code`]; its key is accepted too).
pub const PRODUCT_SYSTEM: &str = "urn:fangkong:fhir:CodeSystem:vaccine-product";
/// Days after the full course from which the booster is due: "加强免疫与全程免疫间隔3个月以上"
/// (National Health Commission, booster schedule of March 2022).
pub const BOOSTER_AFTER_DAYS: i64 = 90;

/// A COVID-19 vaccine product used in China. CVX codes were checked against CDC's CVX list;
/// products CDC does not list have only the project's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VaccineProduct {
    /// Sinopharm (CNBG) Beijing Institute, inactivated (Vero cell), BBIBP-CorV.
    Bibp,
    /// Sinopharm (CNBG) Wuhan Institute, inactivated (Vero cell).
    Wibp,
    /// Sinovac CoronaVac, inactivated.
    CoronaVac,
    /// Shenzhen Kangtai (Minhai) KCONVAC, inactivated.
    Kconvac,
    /// CanSino Ad5-nCoV (Convidecia), adenovirus type 5 vector, intramuscular, single dose.
    Convidecia,
    /// CanSino Ad5-nCoV inhaled (Convidecia Air), authorised in China as a booster.
    ConvideciaAir,
    /// Anhui Zhifei Longcom ZF2001 (Zifivax), recombinant protein, three doses.
    Zf2001,
    /// Institute of Medical Biology, CAMS (Covidful), inactivated.
    Imbcams,
}

names!(VaccineProduct {
    Bibp => "bibp", "新型冠状病毒灭活疫苗（Vero细胞）（国药集团北京生物）", "Sinopharm BIBP inactivated (BBIBP-CorV)";
    Wibp => "wibp", "新型冠状病毒灭活疫苗（Vero细胞）（国药集团武汉生物）", "Sinopharm WIBP inactivated";
    CoronaVac => "coronavac", "新型冠状病毒灭活疫苗（Vero细胞）（北京科兴中维）", "Sinovac CoronaVac inactivated";
    Kconvac => "kconvac", "新型冠状病毒灭活疫苗（Vero细胞）（深圳康泰民海）", "Minhai KCONVAC inactivated";
    Convidecia => "convidecia", "重组新型冠状病毒疫苗（5型腺病毒载体）（康希诺）", "CanSino Ad5-nCoV (Convidecia)";
    ConvideciaAir => "convidecia_air", "重组新型冠状病毒疫苗（5型腺病毒载体）吸入用（康希诺）", "CanSino Ad5-nCoV inhaled (Convidecia Air)";
    Zf2001 => "zf2001", "重组新型冠状病毒蛋白疫苗（CHO细胞）（智飞龙科马）", "Zhifei Longcom ZF2001 recombinant protein (Zifivax)";
    Imbcams => "imbcams", "新型冠状病毒灭活疫苗（Vero细胞）（中国医学科学院医学生物学研究所）", "IMBCAMS inactivated (Covidful)";
});

impl VaccineProduct {
    /// Doses in the primary course.
    pub fn primary_doses(self) -> u32 {
        match self {
            VaccineProduct::Convidecia | VaccineProduct::ConvideciaAir => 1,
            VaccineProduct::Zf2001 => 3,
            _ => 2,
        }
    }

    /// Days from one primary dose to the next: 3 weeks for the inactivated vaccines, a month
    /// for ZF2001 (0, 1, 2 months); 0 where the course has one dose.
    pub fn interval_days(self) -> i64 {
        match self {
            VaccineProduct::Convidecia | VaccineProduct::ConvideciaAir => 0,
            VaccineProduct::Zf2001 => 30,
            _ => 21,
        }
    }

    /// The code in [`PRODUCT_SYSTEM`].
    pub fn fhir_code(self) -> &'static str {
        match self {
            VaccineProduct::Bibp => "SINOPHARM-BIBP",
            VaccineProduct::Wibp => "SINOPHARM-WIBP",
            VaccineProduct::CoronaVac => "SINOVAC-CORONAVAC",
            VaccineProduct::Kconvac => "MINHAI-KCONVAC",
            VaccineProduct::Convidecia => "CANSINO-AD5",
            VaccineProduct::ConvideciaAir => "CANSINO-AD5-INHALED",
            VaccineProduct::Zf2001 => "ZHIFEI-ZF2001",
            VaccineProduct::Imbcams => "IMBCAMS",
        }
    }

    /// The CVX code, where CDC lists the product.
    pub fn cvx(self) -> Option<&'static str> {
        match self {
            VaccineProduct::Bibp => Some("510"),
            VaccineProduct::CoronaVac => Some("511"),
            VaccineProduct::Convidecia => Some("506"),
            VaccineProduct::Zf2001 => Some("513"),
            VaccineProduct::Kconvac => Some("516"),
            _ => None,
        }
    }

    /// Other CVX codes CDC lists for the same product (read, never written).
    pub fn cvx_aliases(self) -> &'static [&'static str] {
        match self {
            VaccineProduct::Zf2001 => &["507"],
            _ => &[],
        }
    }

    /// The product of a coding: the project's code (or key), or a CVX code or alias.
    pub fn from_coding(system: &str, code: &str) -> Option<VaccineProduct> {
        let all = VaccineProduct::ALL.iter().copied();
        match system {
            PRODUCT_SYSTEM => all
                .clone()
                .find(|p| p.fhir_code() == code)
                .or_else(|| VaccineProduct::parse(code)),
            CVX_SYSTEM => all
                .clone()
                .find(|p| p.cvx() == Some(code) || p.cvx_aliases().contains(&code)),
            _ => None,
        }
    }

    /// Parses a key, a project code, a Chinese or English name, a short name (科兴, 国药北京,
    /// 智飞, 康希诺, CoronaVac, …) or a CVX code, as typed in an office's list.
    pub fn parse_loose(text: &str) -> Option<VaccineProduct> {
        let t = text.trim();
        if t.is_empty() {
            return None;
        }
        VaccineProduct::parse(&t.to_ascii_lowercase())
            .or_else(|| VaccineProduct::from_coding(PRODUCT_SYSTEM, &t.to_ascii_uppercase()))
            .or_else(|| VaccineProduct::from_coding(CVX_SYSTEM, t))
            .or_else(|| {
                VaccineProduct::ALL
                    .iter()
                    .copied()
                    .find(|p| p.name_zh() == t || p.name_en().eq_ignore_ascii_case(t))
            })
            .or_else(|| {
                const SHORT: [(&str, VaccineProduct); 12] = [
                    ("国药北京", VaccineProduct::Bibp),
                    ("北京生物", VaccineProduct::Bibp),
                    ("国药武汉", VaccineProduct::Wibp),
                    ("武汉生物", VaccineProduct::Wibp),
                    ("科兴", VaccineProduct::CoronaVac),
                    ("康泰", VaccineProduct::Kconvac),
                    ("民海", VaccineProduct::Kconvac),
                    ("康希诺吸入", VaccineProduct::ConvideciaAir),
                    ("康希诺", VaccineProduct::Convidecia),
                    ("智飞", VaccineProduct::Zf2001),
                    ("医科院", VaccineProduct::Imbcams),
                    ("sinovac", VaccineProduct::CoronaVac),
                ];
                let lower = t.to_lowercase();
                SHORT
                    .iter()
                    .find(|(s, _)| lower.contains(s))
                    .map(|(_, p)| *p)
            })
    }
}

/// A level of coverage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DoseLevel {
    /// At least one dose.
    First,
    /// The primary course completed.
    Full,
    /// A booster after the primary course.
    Booster,
}

names!(DoseLevel {
    First => "first", "第一剂", "first dose";
    Full => "full", "全程接种", "full course";
    Booster => "booster", "加强免疫", "booster";
});

/// A group that community workers reach out to first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PriorityGroup {
    /// Aged 80 or more.
    Elderly80,
    /// Aged 60 or more.
    Elderly60,
    /// Workers exposed by their job: medical, cold-chain, delivery, transport, service and
    /// teaching staff.
    KeyWorker,
    /// Everyone aged 3 or more (the age from which the vaccines are given).
    Eligible,
}

names!(PriorityGroup {
    Elderly80 => "elderly_80", "80岁以上老年人", "aged 80 and over";
    Elderly60 => "elderly_60", "60岁以上老年人", "aged 60 and over";
    KeyWorker => "key_worker", "重点行业人员", "key workers";
    Eligible => "eligible", "3岁以上全人群", "everyone aged 3 and over";
});

/// The occupations of [`PriorityGroup::KeyWorker`].
pub const KEY_WORKER_OCCUPATIONS: [&str; 6] = [
    "medical",
    "cold_chain",
    "delivery",
    "transport",
    "service_worker",
    "teacher",
];

impl PriorityGroup {
    /// The youngest age in the group.
    pub fn min_age(self) -> u32 {
        match self {
            PriorityGroup::Elderly80 => 80,
            PriorityGroup::Elderly60 => 60,
            PriorityGroup::KeyWorker => 18,
            PriorityGroup::Eligible => 3,
        }
    }
}

/// One dose as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dose {
    pub number: u32,
    pub product: VaccineProduct,
    pub on: NaiveDate,
}

/// What a person's doses add up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Status {
    pub doses: u32,
    pub first_on: Option<NaiveDate>,
    pub full_on: Option<NaiveDate>,
    pub booster_on: Option<NaiveDate>,
    pub last_on: Option<NaiveDate>,
    /// When the next dose is due; `None` once boosted (or with no dose at all: the first dose
    /// is due at once).
    pub next_due_on: Option<NaiveDate>,
}

impl Status {
    /// The status of a person with these doses (in any order).
    pub fn of(doses: &[Dose]) -> Status {
        let mut sorted: Vec<&Dose> = doses.iter().collect();
        sorted.sort_by_key(|d| (d.on, d.number));
        let mut s = Status {
            doses: u32::try_from(doses.len()).unwrap_or(u32::MAX),
            ..Status::default()
        };
        for d in &sorted {
            s.first_on.get_or_insert(d.on);
            if d.number >= d.product.primary_doses() {
                s.full_on.get_or_insert(d.on);
            }
            if d.number > d.product.primary_doses() {
                s.booster_on.get_or_insert(d.on);
            }
        }
        s.last_on = sorted.last().map(|d| d.on);
        s.next_due_on = match (s.booster_on, s.full_on, sorted.last()) {
            (Some(_), _, _) | (None, None, None) => None,
            (None, Some(full), _) => Some(full + Duration::days(BOOSTER_AFTER_DAYS)),
            (None, None, Some(last)) => {
                Some(last.on + Duration::days(last.product.interval_days()))
            }
        };
        s
    }

    /// Whether the person has reached `level`.
    pub fn has(&self, level: DoseLevel) -> bool {
        match level {
            DoseLevel::First => self.first_on.is_some(),
            DoseLevel::Full => self.full_on.is_some(),
            DoseLevel::Booster => self.booster_on.is_some(),
        }
    }

    /// Whether the next dose was due before `today`.
    pub fn overdue_on(&self, today: NaiveDate) -> bool {
        self.next_due_on.is_some_and(|due| due < today)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn dose(number: u32, product: VaccineProduct, on: &str) -> Dose {
        Dose {
            number,
            product,
            on: d(on),
        }
    }

    #[test]
    fn inactivated_course_then_heterologous_booster() {
        let one = Status::of(&[dose(1, VaccineProduct::CoronaVac, "2021-05-01")]);
        assert_eq!(one.first_on, Some(d("2021-05-01")));
        assert_eq!(one.full_on, None);
        assert_eq!(one.next_due_on, Some(d("2021-05-22")));
        assert!(one.overdue_on(d("2021-05-23")));
        assert!(!one.overdue_on(d("2021-05-22")));
        let full = Status::of(&[
            dose(2, VaccineProduct::CoronaVac, "2021-05-25"),
            dose(1, VaccineProduct::CoronaVac, "2021-05-01"),
        ]);
        assert_eq!(full.full_on, Some(d("2021-05-25")));
        assert_eq!(full.next_due_on, Some(d("2021-08-23")));
        let boosted = Status::of(&[
            dose(1, VaccineProduct::Bibp, "2021-05-01"),
            dose(2, VaccineProduct::Bibp, "2021-05-25"),
            dose(3, VaccineProduct::ConvideciaAir, "2022-11-01"),
        ]);
        assert_eq!(boosted.booster_on, Some(d("2022-11-01")));
        assert_eq!(boosted.doses, 3);
        assert_eq!(boosted.next_due_on, None);
        assert!(boosted.has(DoseLevel::Booster));
    }

    #[test]
    fn single_dose_and_three_dose_courses() {
        let cansino = Status::of(&[dose(1, VaccineProduct::Convidecia, "2021-06-01")]);
        assert_eq!(cansino.full_on, Some(d("2021-06-01")));
        let zf = Status::of(&[
            dose(1, VaccineProduct::Zf2001, "2021-06-01"),
            dose(2, VaccineProduct::Zf2001, "2021-07-01"),
        ]);
        assert_eq!(zf.full_on, None);
        assert_eq!(zf.next_due_on, Some(d("2021-07-31")));
        assert_eq!(Status::of(&[]), Status::default());
    }

    #[test]
    fn codings_and_loose_names() {
        assert_eq!(
            VaccineProduct::from_coding(CVX_SYSTEM, "511"),
            Some(VaccineProduct::CoronaVac)
        );
        assert_eq!(
            VaccineProduct::from_coding(PRODUCT_SYSTEM, "ZHIFEI-ZF2001"),
            Some(VaccineProduct::Zf2001)
        );
        assert_eq!(
            VaccineProduct::from_coding(CVX_SYSTEM, "507"),
            Some(VaccineProduct::Zf2001)
        );
        assert_eq!(VaccineProduct::from_coding(CVX_SYSTEM, "208"), None);
        assert_eq!(
            VaccineProduct::parse_loose("北京科兴中维"),
            Some(VaccineProduct::CoronaVac)
        );
        assert_eq!(
            VaccineProduct::parse_loose(" BIBP "),
            Some(VaccineProduct::Bibp)
        );
        assert_eq!(
            VaccineProduct::parse_loose("510"),
            Some(VaccineProduct::Bibp)
        );
    }
}
