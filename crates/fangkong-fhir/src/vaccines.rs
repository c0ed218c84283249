//! COVID-19 vaccine products used in China, with their CVX codes where CDC's list has one.
//!
//! CVX codes checked against CDC's CVX table (the 5xx "Non-US Vaccine" entries):
//! 506 CanSino (Convidecia), 507 and 513 Anhui Zhifei Longcom (ZF2001, Zifivax), 510 Sinopharm
//! BIBP, 511 Sinovac CoronaVac, 516 Minhai (KCONVAC). Sinopharm WIBP, the inhaled CanSino
//! vaccine and IMBCAMS have no CVX code and only a code of [`VACCINE_PRODUCT_SYSTEM`].

use crate::{CVX, VACCINE_PRODUCT_SYSTEM};

/// One vaccine product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VaccineProduct {
    /// The code in [`VACCINE_PRODUCT_SYSTEM`] (every product has one).
    pub code: &'static str,
    /// The CVX code, where CDC lists the product.
    pub cvx: Option<&'static str>,
    /// Other CVX codes CDC lists for the same product (read, never written).
    pub cvx_aliases: &'static [&'static str],
    /// The Chinese name.
    pub name_zh: &'static str,
    /// The English name.
    pub name_en: &'static str,
    /// The number of doses of the primary course (1 for the inhaled CanSino vaccine, which
    /// China authorised as a booster).
    pub primary_doses: u32,
}

/// The COVID-19 vaccine products used in China.
pub const VACCINE_PRODUCTS: &[VaccineProduct] = &[
    VaccineProduct {
        code: "SINOPHARM-BIBP",
        cvx: Some("510"),
        cvx_aliases: &[],
        name_zh: "新型冠状病毒灭活疫苗（Vero细胞）（国药集团北京生物）",
        name_en: "Sinopharm BIBP inactivated (BBIBP-CorV)",
        primary_doses: 2,
    },
    VaccineProduct {
        code: "SINOPHARM-WIBP",
        cvx: None,
        cvx_aliases: &[],
        name_zh: "新型冠状病毒灭活疫苗（Vero细胞）（国药集团武汉生物）",
        name_en: "Sinopharm WIBP inactivated",
        primary_doses: 2,
    },
    VaccineProduct {
        code: "SINOVAC-CORONAVAC",
        cvx: Some("511"),
        cvx_aliases: &[],
        name_zh: "新型冠状病毒灭活疫苗（Vero细胞）（北京科兴中维）",
        name_en: "Sinovac CoronaVac inactivated",
        primary_doses: 2,
    },
    VaccineProduct {
        code: "CANSINO-AD5",
        cvx: Some("506"),
        cvx_aliases: &[],
        name_zh: "重组新型冠状病毒疫苗（5型腺病毒载体）（康希诺）",
        name_en: "CanSino Ad5-nCoV (Convidecia)",
        primary_doses: 1,
    },
    VaccineProduct {
        code: "CANSINO-AD5-INHALED",
        cvx: None,
        cvx_aliases: &[],
        name_zh: "重组新型冠状病毒疫苗（5型腺病毒载体）吸入用（康希诺）",
        name_en: "CanSino Ad5-nCoV inhaled (Convidecia Air)",
        primary_doses: 1,
    },
    VaccineProduct {
        code: "ZHIFEI-ZF2001",
        cvx: Some("513"),
        cvx_aliases: &["507"],
        name_zh: "重组新型冠状病毒蛋白疫苗（CHO细胞）（智飞龙科马）",
        name_en: "Zhifei Longcom ZF2001 recombinant protein (Zifivax)",
        primary_doses: 3,
    },
    VaccineProduct {
        code: "MINHAI-KCONVAC",
        cvx: Some("516"),
        cvx_aliases: &[],
        name_zh: "新型冠状病毒灭活疫苗（Vero细胞）（深圳康泰民海）",
        name_en: "Minhai KCONVAC inactivated",
        primary_doses: 2,
    },
    VaccineProduct {
        code: "IMBCAMS",
        cvx: None,
        cvx_aliases: &[],
        name_zh: "新型冠状病毒灭活疫苗（Vero细胞）（中国医学科学院医学生物学研究所）",
        name_en: "IMBCAMS inactivated (Covidful)",
        primary_doses: 2,
    },
];

/// The product a coding names: a CVX code (or alias) or a [`VACCINE_PRODUCT_SYSTEM`] code.
pub fn vaccine_product(system: &str, code: &str) -> Option<&'static VaccineProduct> {
    if system == CVX {
        VACCINE_PRODUCTS
            .iter()
            .find(|p| p.cvx == Some(code) || p.cvx_aliases.contains(&code))
    } else if system == VACCINE_PRODUCT_SYSTEM {
        VACCINE_PRODUCTS.iter().find(|p| p.code == code)
    } else {
        None
    }
}
