//! Embedded reference data: Henan's statistical divisions and Zhumadian's county shares.
//!
//! The CSV files under `data/` are compiled into the binary with `include_str!`, so other
//! crates can import the real province, city, county and township codes and names without
//! reading a file. This module must not read the file system at run time, and it holds no
//! synthetic data: everything here is as published (see `data/README.md`).

use std::sync::OnceLock;

use fangkong_domain::{JurisdictionCode, Level};

const PROVINCE_CSV: &str = include_str!("../../../data/divisions/henan-province.csv");
const CITIES_CSV: &str = include_str!("../../../data/divisions/henan-cities.csv");
const COUNTIES_CSV: &str = include_str!("../../../data/divisions/henan-counties.csv");
const TOWNSHIPS_CSV: &str = include_str!("../../../data/divisions/henan-townships.csv");
const ZHUMADIAN_POPULATION_CSV: &str = include_str!("../../../data/zhumadian-population.csv");

/// One statistical division (统计用区划) of Henan: province, city, county or township.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Division {
    /// The real code (2, 4, 6 or 9 digits).
    pub code: JurisdictionCode,
    /// The official name, e.g. `驿城区`.
    pub name: String,
    /// The parent's code; `None` for the province.
    pub parent: Option<JurisdictionCode>,
}

impl Division {
    /// The level, from the length of the code.
    pub fn level(&self) -> Level {
        self.code.level()
    }
}

/// The parsed division tables of Henan, each sorted by code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Divisions {
    /// 河南省 (41).
    pub province: Division,
    /// The 18 prefecture-level cities (4 digits).
    pub cities: Vec<Division>,
    /// The 181 county-level units (6 digits), including development zones (`xx7x`).
    pub counties: Vec<Division>,
    /// The 2586 townships and sub-districts (9 digits).
    pub townships: Vec<Division>,
}

impl Divisions {
    /// The division with `code`, at any level.
    pub fn find(&self, code: &str) -> Option<&Division> {
        let table: &[Division] = match code.len() {
            2 => return (self.province.code.as_str() == code).then_some(&self.province),
            4 => &self.cities,
            6 => &self.counties,
            9 => &self.townships,
            _ => return None,
        };
        table
            .binary_search_by(|d| d.code.as_str().cmp(code))
            .ok()
            .and_then(|i| table.get(i))
    }

    /// The direct children of `code`, in code order.
    pub fn children<'a>(&'a self, code: &'a str) -> impl Iterator<Item = &'a Division> + 'a {
        let table: &[Division] = match code.len() {
            2 => &self.cities,
            4 => &self.counties,
            6 => &self.townships,
            _ => &[],
        };
        table
            .iter()
            .filter(move |d| d.parent.as_ref().is_some_and(|p| p.as_str() == code))
    }
}

/// The embedded Henan division tables, parsed on first use.
///
/// # Panics
/// Never in practice: the tables are compiled in and the `embedded_tables_parse` test parses
/// them, so a broken table fails the build's tests rather than a caller.
pub fn divisions() -> &'static Divisions {
    static DIVISIONS: OnceLock<Divisions> = OnceLock::new();
    DIVISIONS.get_or_init(|| {
        #[allow(clippy::expect_used)]
        load_divisions()
            .expect("the embedded division tables are valid (test embedded_tables_parse)")
    })
}

/// A county-level unit's share of its city's residents.
#[derive(Debug, Clone, PartialEq)]
pub struct CountyShare {
    /// The 6-digit county code.
    pub code: String,
    /// The share of the city's residents, between 0 and 1.
    pub share: f64,
}

/// The county shares of `city_code`, or `None` when the crate has no population data for it.
/// Only Zhumadian (4117) has them.
pub fn county_shares(city_code: &str) -> Option<&'static [CountyShare]> {
    static SHARES: OnceLock<Vec<CountyShare>> = OnceLock::new();
    if city_code != "4117" {
        return None;
    }
    let shares = SHARES.get_or_init(|| {
        #[allow(clippy::expect_used)]
        load_shares(ZHUMADIAN_POPULATION_CSV)
            .expect("the embedded population table is valid (test embedded_tables_parse)")
    });
    Some(shares)
}

/// A plausible geographic centre (longitude, latitude) of a Zhumadian county-level unit.
///
/// Approximate positions of the county seats, read off a map; the city spans roughly
/// 113.2-115.2 E and 32.3-33.6 N. Unknown codes fall back to the city centre.
pub(crate) fn county_center(code: &str) -> (f64, f64) {
    match code {
        "411702" => (114.03, 32.98), // 驿城区
        "411721" => (114.02, 33.38), // 西平县
        "411722" => (114.27, 33.26), // 上蔡县
        "411723" => (114.62, 32.96), // 平舆县
        "411724" => (114.39, 32.61), // 正阳县
        "411725" => (114.02, 32.80), // 确山县
        "411726" => (113.33, 32.72), // 泌阳县
        "411727" => (114.36, 33.01), // 汝南县
        "411728" => (114.01, 33.15), // 遂平县
        "411729" => (114.98, 32.75), // 新蔡县
        "411771" => (114.08, 32.93), // 河南驻马店经济开发区
        _ => CITY_CENTER,
    }
}

/// The centre of Zhumadian's urban area.
pub(crate) const CITY_CENTER: (f64, f64) = (114.02, 32.98);
/// A point near the geographic centre of Henan.
pub(crate) const PROVINCE_CENTER: (f64, f64) = (113.62, 33.90);
/// The bounding box (min lon, min lat, max lon, max lat) every Zhumadian coordinate stays in.
pub(crate) const CITY_BOUNDS: (f64, f64, f64, f64) = (113.2, 32.3, 115.2, 33.6);

/// Moves a point into [`CITY_BOUNDS`], mirroring it at the edge it crossed so that points
/// scattered near the border do not pile up on it.
pub(crate) fn clamp_to_city(p: (f64, f64)) -> (f64, f64) {
    let (min_lon, min_lat, max_lon, max_lat) = CITY_BOUNDS;
    let fold = |x: f64, lo: f64, hi: f64| {
        let x = if x < lo { 2.0 * lo - x } else { x };
        let x = if x > hi { 2.0 * hi - x } else { x };
        x.clamp(lo, hi)
    };
    (fold(p.0, min_lon, max_lon), fold(p.1, min_lat, max_lat))
}

/// Whether a county-level code is an NBS-only zone (`xxxx7x`: development zones, demonstration
/// areas) rather than an administrative county. Such zones issue no identity numbers of their
/// own and run no county hospital, lab or reserve.
pub(crate) fn is_statistical_zone(county_code: &str) -> bool {
    county_code.as_bytes().get(4) == Some(&b'7')
}

fn load_divisions() -> Result<Divisions, String> {
    let province = rows(PROVINCE_CSV, "henan-province.csv", 2)?
        .into_iter()
        .next()
        .ok_or("henan-province.csv: no row")?;
    let province = division(&province, None, "henan-province.csv")?;
    let mut cities = Vec::new();
    for row in rows(CITIES_CSV, "henan-cities.csv", 3)? {
        cities.push(division(&row, Some(2), "henan-cities.csv")?);
    }
    let mut counties = Vec::new();
    for row in rows(COUNTIES_CSV, "henan-counties.csv", 4)? {
        counties.push(division(&row, Some(2), "henan-counties.csv")?);
    }
    let mut townships = Vec::new();
    for row in rows(TOWNSHIPS_CSV, "henan-townships.csv", 5)? {
        townships.push(division(&row, Some(2), "henan-townships.csv")?);
    }
    for table in [&mut cities, &mut counties, &mut townships] {
        table.sort_by(|a, b| a.code.cmp(&b.code));
    }
    Ok(Divisions {
        province,
        cities,
        counties,
        townships,
    })
}

fn rows(text: &str, file: &str, columns: usize) -> Result<Vec<Vec<String>>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        // Line numbers count the header as line 1.
        let line = i + 2;
        let record = record.map_err(|e| format!("{file}:{line}: {e}"))?;
        if record.len() < columns {
            return Err(format!(
                "{file}:{line}: expected {columns} columns, found {}",
                record.len()
            ));
        }
        out.push(record.iter().map(|f| f.trim().to_string()).collect());
    }
    Ok(out)
}

/// Builds a division from a row whose first column is the code, second the name and whose
/// parent's code sits in column `parent_column` (`None` for the province). The parent must be
/// the code's own prefix one level up.
fn division(row: &[String], parent_column: Option<usize>, file: &str) -> Result<Division, String> {
    let field = |i: usize| row.get(i).map(String::as_str).unwrap_or_default();
    let code =
        JurisdictionCode::parse(field(0)).map_err(|e| format!("{file}: code {}: {e}", field(0)))?;
    let parent = match parent_column {
        None => None,
        Some(i) => {
            let parent = code
                .parent()
                .ok_or_else(|| format!("{file}: code {code} has no parent level"))?;
            if field(i) != parent.as_str() {
                return Err(format!(
                    "{file}: code {code} does not lie under {}",
                    field(i)
                ));
            }
            Some(parent)
        }
    };
    Ok(Division {
        code,
        name: field(1).to_string(),
        parent,
    })
}

fn load_shares(text: &str) -> Result<Vec<CountyShare>, String> {
    let mut out = Vec::new();
    for row in rows(text, "zhumadian-population.csv", 3)? {
        let share: f64 = row[2]
            .parse()
            .map_err(|e| format!("zhumadian-population.csv: share {:?}: {e}", row[2]))?;
        out.push(CountyShare {
            code: row[0].clone(),
            share,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_tables_parse() {
        let d = load_divisions().unwrap();
        assert_eq!(d.province.name, "河南省");
        assert_eq!(d.cities.len(), 18);
        assert_eq!(d.counties.len(), 181);
        assert_eq!(d.townships.len(), 2586);
        let shares = load_shares(ZHUMADIAN_POPULATION_CSV).unwrap();
        assert_eq!(shares.len(), 11);
        let total: f64 = shares.iter().map(|s| s.share).sum();
        assert!((total - 1.0).abs() < 1e-6, "shares sum to {total}");
    }

    #[test]
    fn zhumadian_has_eleven_counties_and_208_townships() {
        let d = divisions();
        assert_eq!(d.find("4117").unwrap().name, "驻马店市");
        let counties: Vec<_> = d.children("4117").collect();
        assert_eq!(counties.len(), 11);
        let townships: usize = counties
            .iter()
            .map(|c| d.children(c.code.as_str()).count())
            .sum();
        assert_eq!(townships, 208);
        assert_eq!(d.find("411702009").unwrap().name, "顺河街道");
        assert_eq!(
            d.find("411702009")
                .unwrap()
                .parent
                .as_ref()
                .unwrap()
                .as_str(),
            "411702"
        );
        assert!(d.find("411799").is_none());
        for share in county_shares("4117").unwrap() {
            assert!(d.find(&share.code).is_some(), "{} unknown", share.code);
        }
        assert!(county_shares("4101").is_none());
    }
}
