//! Township generation: expands one township of the plan into households, persons and
//! facilities.
//!
//! Each township draws from its own random stream, seeded by the config seed and the township
//! code, and takes its ids from ranges the plan reserved, so townships can be generated in
//! any order, on any number of threads, with identical output. It must not look at another
//! township's output: cross-township links (commuters, county high schools) go through the
//! plan's tables only.

use std::collections::HashMap;

use chrono::{Datelike, Days};
use fangkong_domain::{PlaceCode, Sex};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::facility::{Facility, FacilityKind, FacilitySlot};
use crate::household::{self, Role};
use crate::identity::{mobile, IdAllocator, Origin};
use crate::names;
use crate::person::{Household, Occupation, Person};
use crate::plan::{CityPlan, CommunityPlan, TownshipKind, TownshipPlan};
use crate::random::{scatter, stream};
use crate::reference::clamp_to_city;

/// Everything generated for one township.
#[derive(Debug, Clone, PartialEq)]
pub struct TownshipChunk {
    pub township_code: String,
    pub households: Vec<Household>,
    pub persons: Vec<Person>,
    /// Workplaces, schools, venues, sentinels and sampling sites located in the township.
    pub facilities: Vec<Facility>,
}

/// Share of people with a mobile phone, by age.
fn phone_share(age: u32) -> f64 {
    match age {
        0..=11 => 0.0,
        12..=14 => 0.35,
        15..=17 => 0.75,
        18..=69 => 0.97,
        70..=79 => 0.75,
        _ => 0.4,
    }
}

/// Share of residents whose identity number was issued in another Henan county.
const BORN_ELSEWHERE: f64 = 0.03;

/// Sampling sites of a community are numbered from 9001 in the place-code space (venues,
/// workplaces and schools count up from 1); labs from [`crate::plan`] take 9501 up.
pub const SAMPLING_SITE_CODES: u32 = 9_000;

/// Generates township `township_index` of `plan`.
///
/// The output is a function of the plan and the index alone. Persons, households and
/// facilities get the ids the plan reserved for the township, in order.
///
/// # Panics
/// If `township_index` is out of range for `plan.townships`.
pub fn generate_township(plan: &CityPlan, township_index: usize) -> TownshipChunk {
    let t = &plan.townships[township_index];
    let mut rng = stream(plan.config.seed, &format!("township/{}", t.code));
    let facilities = facilities(plan, t, &mut rng);
    let reference = plan.config.reference_date;
    let mut ids = IdAllocator::new(&t.id_slots, &plan.foreign_regions, reference);
    let county_name = plan.counties.get(t.county).map_or("", |c| c.name.as_str());
    let prefix = format!("{county_name}{}", t.name);
    let urban = t.kind == TownshipKind::Subdistrict;
    let mut households = Vec::with_capacity(t.households as usize);
    let mut persons: Vec<Person> = Vec::with_capacity(t.population as usize);

    for community in &t.communities {
        let arranged =
            household::arrange(&community.quota, community.households as usize, &mut rng);
        let mut offset = 0;
        for (k, size) in arranged.sizes.iter().enumerate() {
            let members = &arranged.members[offset..offset + *size as usize];
            offset += *size as usize;
            let household_id = t.first_household_id + households.len() as i64;
            let address = address(&prefix, &community.name, urban, k);
            let head_surname = names::surname(&mut rng);
            let spouse_surname = names::surname(&mut rng);
            // Children take their father's surname.
            let head_male = members.first().is_some_and(|m| m.male);
            let husband_is_spouse = members.iter().any(|m| m.role == Role::Spouse && m.male);
            let family = if !head_male && husband_is_spouse {
                spouse_surname
            } else {
                head_surname
            };
            for m in members {
                let surname = match m.role {
                    Role::Head => head_surname,
                    Role::Spouse => spouse_surname,
                    Role::Child => family,
                    Role::Relative if rng.gen_bool(0.5) => family,
                    Role::Relative => names::surname(&mut rng),
                };
                let person_id = t.first_person_id + persons.len() as i64;
                let (earliest, latest) = ids.birth_range(m.age);
                let span = (latest - earliest).num_days().max(0) as u64;
                let birth = earliest + Days::new(rng.gen_range(0..=span));
                let origin = if !plan.foreign_regions.is_empty() && rng.gen_bool(BORN_ELSEWHERE) {
                    Origin::Elsewhere(rng.gen_range(0..plan.foreign_regions.len()))
                } else {
                    Origin::Local
                };
                #[allow(clippy::expect_used)]
                let national_id = ids.allocate(birth, m.age, m.group, m.male, origin).expect(
                    "plan() caps the population far below a township's identity-number slots",
                );
                let sex = if m.male { Sex::Male } else { Sex::Female };
                let name =
                    names::full_name(&mut rng, surname, sex, national_id.birth_date().year());
                let phone = if rng.gen_bool(phone_share(m.age)) {
                    mobile(&mut rng, person_id, plan.phone_key)
                } else {
                    None
                };
                let (occupation, workplace_id, school_id) =
                    occupation(plan, township_index, m.age, &mut rng);
                persons.push(Person {
                    id: person_id,
                    household_id,
                    name,
                    national_id,
                    phone,
                    address: address.clone(),
                    community_code: community.code.clone(),
                    workplace_id,
                    school_id,
                    occupation,
                });
            }
            households.push(Household {
                id: household_id,
                community_code: community.code.clone(),
                address,
                size: *size,
            });
        }
    }
    TownshipChunk {
        township_code: t.code.clone(),
        households,
        persons,
        facilities,
    }
}

/// The facilities of one township alone: exactly the `facilities` of
/// [`generate_township`] for the same index, without generating its residents. A loader
/// that stores facilities before persons (whose workplace may lie in another township)
/// uses it.
///
/// # Panics
/// If `township_index` is out of range for `plan.townships`.
pub fn township_facilities(plan: &CityPlan, township_index: usize) -> Vec<Facility> {
    let t = &plan.townships[township_index];
    // Facilities are the first draws of the township's stream in `generate_township` too.
    let mut rng = stream(plan.config.seed, &format!("township/{}", t.code));
    facilities(plan, t, &mut rng)
}

/// Generates every township of `plan` in parallel, in township order.
///
/// The result does not depend on the number of threads.
pub fn generate_city(plan: &CityPlan) -> Vec<TownshipChunk> {
    (0..plan.townships.len())
        .into_par_iter()
        .map(|i| generate_township(plan, i))
        .collect()
}

/// The address of the `k`-th household of a community: a flat in a residential compound
/// (`...12号楼3单元402室`: 3 units of 6 floors with 2 flats each per building) or a house in
/// a village group (`...3组17号`: 40 houses per group).
fn address(prefix: &str, community: &str, urban: bool, k: usize) -> String {
    if urban {
        let building = k / 36 + 1;
        let r = k % 36;
        let unit = r / 12 + 1;
        let floor = (r % 12) / 2 + 1;
        let flat = r % 2 + 1;
        format!("{prefix}{community}{building}号楼{unit}单元{floor}{flat:02}室")
    } else {
        format!("{prefix}{community}{}组{}号", k / 40 + 1, k % 40 + 1)
    }
}

/// Occupation, workplace and school of someone of `age` living in township `index`.
fn occupation(
    plan: &CityPlan,
    index: usize,
    age: u32,
    rng: &mut ChaCha8Rng,
) -> (Occupation, Option<i64>, Option<i64>) {
    let t = &plan.townships[index];
    match age {
        0..=2 => (Occupation::Child, None, None),
        3..=5 => {
            // Most, not all, children of kindergarten age attend one.
            match school(plan, t, 0, rng).filter(|_| rng.gen_bool(0.88)) {
                Some(id) => (Occupation::Student, None, Some(id)),
                None => (Occupation::Child, None, None),
            }
        }
        6..=11 => (Occupation::Student, None, school(plan, t, 1, rng)),
        12..=14 => (Occupation::Student, None, school(plan, t, 2, rng)),
        // Some 15-17-year-olds are at vocational schools outside the plan.
        15..=17 => {
            let id = school(plan, t, 3, rng).filter(|_| rng.gen_bool(0.92));
            (Occupation::Student, None, id)
        }
        18..=59 => {
            // College students study elsewhere.
            if age <= 22 && rng.gen_bool(0.4) {
                return (Occupation::Student, None, None);
            }
            if rng.gen_bool(t.kind.employment_rate()) {
                if let Some((id, occupation)) = job(plan, index, rng) {
                    return (occupation, Some(id), None);
                }
            }
            let farming = match t.kind {
                TownshipKind::Subdistrict => 0.05,
                TownshipKind::Town | TownshipKind::Zone => 0.6,
                TownshipKind::Township => 0.75,
            };
            if rng.gen_bool(farming) {
                (Occupation::Farmer, None, None)
            } else {
                (Occupation::Unemployed, None, None)
            }
        }
        _ => {
            if age <= 69 && t.kind != TownshipKind::Subdistrict && rng.gen_bool(0.45) {
                (Occupation::Farmer, None, None)
            } else {
                (Occupation::Retired, None, None)
            }
        }
    }
}

/// A school of type `level` (index into `SCHOOL_TYPES`) in the township, else in the county.
fn school(plan: &CityPlan, t: &TownshipPlan, level: usize, rng: &mut ChaCha8Rng) -> Option<i64> {
    if let Some(id) = t.schools[level].pick(rng) {
        return Some(*id);
    }
    plan.counties
        .get(t.county)
        .and_then(|c| c.schools[level].pick(rng))
        .copied()
}

/// A job for a worker of township `index`: in the township itself most often, elsewhere in the
/// county often, elsewhere in the city sometimes.
fn job(plan: &CityPlan, index: usize, rng: &mut ChaCha8Rng) -> Option<(i64, Occupation)> {
    let t = &plan.townships[index];
    let county = plan.counties.get(t.county)?;
    let r: f64 = rng.gen();
    let chosen = if r < 0.62 {
        Some(index)
    } else if r < 0.92 {
        county.jobs.pick(rng).copied()
    } else {
        plan.city_jobs
            .pick(rng)
            .and_then(|c| plan.counties.get(*c))
            .and_then(|c| c.jobs.pick(rng))
            .copied()
    };
    let target = chosen
        .filter(|i| plan.townships.get(*i).is_some_and(|t| t.jobs.total() > 0))
        .or_else(|| county.jobs.pick(rng).copied())?;
    plan.townships.get(target)?.jobs.pick(rng).copied()
}

/// Names, positions and place codes for the township's facility slots.
fn facilities(plan: &CityPlan, t: &TownshipPlan, rng: &mut ChaCha8Rng) -> Vec<Facility> {
    let county_name = plan.counties.get(t.county).map_or("", |c| c.name.as_str());
    let ctx = NameContext {
        city_stem: plan.city_name.trim_end_matches('市'),
        county_stem: county_stem(county_name, &plan.city_name),
        township: t.name.as_str(),
        township_stem: township_stem(&t.name),
        urban: t.kind == TownshipKind::Subdistrict,
    };
    let mut place_seq = vec![0u32; t.communities.len()];
    // Sampling sites get codes of their own block so that venue codes stay as they were.
    let mut site_seq = vec![SAMPLING_SITE_CODES; t.communities.len()];
    let mut counters: HashMap<&str, usize> = HashMap::new();
    let mut out: Vec<Facility> = Vec::with_capacity(t.slots.len());
    let spread = if ctx.urban { 0.004 } else { 0.008 };
    for (i, slot) in t.slots.iter().enumerate() {
        let Some(community) = t.communities.get(slot.community) else {
            continue;
        };
        let (name, lon, lat) = match slot.twin.and_then(|k| out.get(k)) {
            Some(twin) => (twin.name.clone(), twin.lon, twin.lat),
            None => {
                let n = counters.entry(slot.subtype).or_insert(0);
                *n += 1;
                let name = match &slot.name {
                    Some(name) => name.clone(),
                    None => facility_name(rng, &ctx, slot, community, *n),
                };
                let (lon, lat) = clamp_to_city(scatter(rng, community.centroid, spread));
                (name, lon, lat)
            }
        };
        let place_code = match slot.kind {
            FacilityKind::Workplace | FacilityKind::School | FacilityKind::Venue => {
                place_seq[slot.community] += 1;
                PlaceCode::new(&community.code, place_seq[slot.community]).ok()
            }
            FacilityKind::SamplingSite => {
                site_seq[slot.community] += 1;
                PlaceCode::new(&community.code, site_seq[slot.community]).ok()
            }
            _ => None,
        };
        out.push(Facility {
            id: t.first_facility_id + i as i64,
            kind: slot.kind,
            subtype: slot.subtype.to_string(),
            name,
            community_code: community.code.clone(),
            place_code,
            capacity: slot.capacity,
            beds_general: 0,
            beds_icu: 0,
            beds_isolation: 0,
            lon,
            lat,
        });
    }
    out
}

struct NameContext<'a> {
    city_stem: &'a str,
    county_stem: &'a str,
    township: &'a str,
    township_stem: &'a str,
    urban: bool,
}

/// `西平县` -> `西平`; zones and districts use the city's name (`驻马店`).
fn county_stem<'a>(county: &'a str, city: &'a str) -> &'a str {
    match county.strip_suffix('县') {
        Some(stem) if !stem.is_empty() => stem,
        _ => city.trim_end_matches('市'),
    }
}

/// `顺河街道` -> `顺河`, `五沟营镇` -> `五沟营`.
fn township_stem(name: &str) -> &str {
    for suffix in ["街道", "镇", "乡"] {
        if let Some(stem) = name.strip_suffix(suffix) {
            if !stem.is_empty() {
                return stem;
            }
        }
    }
    name
}

/// `王庄村` -> `王庄`, `东风社区` -> `东风`.
fn community_stem(name: &str) -> &str {
    name.strip_suffix("社区")
        .or_else(|| name.strip_suffix('村'))
        .filter(|s| !s.is_empty())
        .unwrap_or(name)
}

/// The name of the `n`-th facility of its subtype in the township.
fn facility_name(
    rng: &mut ChaCha8Rng,
    ctx: &NameContext,
    slot: &FacilitySlot,
    community: &CommunityPlan,
    n: usize,
) -> String {
    let brand = names::brand(rng);
    let place = if ctx.urban {
        ctx.city_stem
    } else {
        ctx.county_stem
    };
    let township = ctx.township_stem;
    let village = community_stem(&community.name);
    match (slot.kind, slot.subtype) {
        (FacilityKind::Workplace, subtype) => {
            let suffix = names::one_of(
                rng,
                match subtype {
                    "construction" => &["建筑工程有限公司", "建筑安装有限公司", "装饰工程有限公司"],
                    "office" => &[
                        "信息技术有限公司",
                        "商贸有限公司",
                        "文化传媒有限公司",
                        "会计师事务所",
                        "律师事务所",
                        "保险代理有限公司",
                    ],
                    "logistics" => &[
                        "物流有限公司",
                        "快递服务部",
                        "速运营业部",
                        "供应链管理有限公司",
                    ],
                    "food_processing" => {
                        &["食品有限公司", "面业有限公司", "粮油加工厂", "肉类加工厂"]
                    }
                    "cold_chain" => &["冷链物流有限公司", "冷冻食品有限公司", "冷库"],
                    "retail" => &["商贸有限公司", "百货批发部", "五金建材店", "家电城"],
                    _ => &[
                        "机械制造有限公司",
                        "电子科技有限公司",
                        "纺织有限公司",
                        "建材有限公司",
                        "塑业有限公司",
                        "服装厂",
                    ],
                },
            );
            format!("{place}{brand}{suffix}")
        }
        (FacilityKind::School, "kindergarten") if n == 1 => format!("{township}中心幼儿园"),
        (FacilityKind::School, "kindergarten") => format!("{township}{brand}幼儿园"),
        (FacilityKind::School, "primary") if n == 1 => format!("{township}中心小学"),
        (FacilityKind::School, "primary") => format!("{township}{village}小学"),
        (FacilityKind::School, "middle") => {
            format!("{township}第{}初级中学", names::chinese_ordinal(n))
        }
        (FacilityKind::School, _) => format!("{township}第{}高级中学", names::chinese_ordinal(n)),
        (FacilityKind::Venue, subtype) => match subtype {
            "market" => format!("{village}农贸市场"),
            "supermarket" => format!("{brand}超市"),
            "restaurant" => {
                let surname = names::surname(rng);
                match rng.gen_range(0..5) {
                    0 => format!("{surname}记烩面馆"),
                    1 => format!("{brand}酒家"),
                    2 => format!("{surname}家饺子馆"),
                    3 => format!("{brand}火锅"),
                    _ => format!("{surname}氏胡辣汤"),
                }
            }
            "cinema" => format!("{brand}影城"),
            "gym" => format!("{brand}健身中心"),
            "hotel" => format!("{brand}宾馆"),
            "station" => format!("{township}汽车站"),
            "ktv" => format!("{brand}KTV"),
            "internet_cafe" => format!("{brand}网咖"),
            "barber" => format!("{brand}理发店"),
            "bathhouse" => format!("{brand}浴池"),
            "mall" => format!("{brand}购物广场"),
            _ => format!("{brand}商店"),
        },
        (FacilityKind::Sentinel, subtype) => {
            let centre = if ctx.urban {
                format!("{}社区卫生服务中心", ctx.township)
            } else {
                format!("{}卫生院", ctx.township)
            };
            match subtype {
                "primary_clinic" if n == 1 => centre,
                "primary_clinic" if ctx.urban => format!("{}卫生服务站", community.name),
                "primary_clinic" => format!("{}卫生室", community.name),
                "fever_clinic" => format!("{centre}发热哨点诊室"),
                "pharmacy" => format!("{brand}大药房{village}店"),
                "market" => format!("{township}农贸市场"),
                "community" if ctx.urban => format!("{}居民委员会", community.name),
                "community" => format!("{}村民委员会", community.name),
                "cold_chain_store" => format!("{brand}冷冻食品批发部"),
                "transport_hub" => format!("{township}客运站"),
                "quarantine_hotel" => format!("{brand}酒店"),
                _ => format!("{township}{brand}"),
            }
        }
        (FacilityKind::SamplingSite, _) => format!("{}核酸采样点", community.name),
        _ => format!("{township}{brand}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_distinct_within_a_community() {
        let urban: std::collections::HashSet<String> = (0..500)
            .map(|k| address("驿城区顺河街道", "东风社区", true, k))
            .collect();
        assert_eq!(urban.len(), 500);
        assert_eq!(
            address("驿城区顺河街道", "东风社区", true, 7),
            "驿城区顺河街道东风社区1号楼1单元402室"
        );
        assert_eq!(
            address("西平县出山镇", "王庄村", false, 96),
            "西平县出山镇王庄村3组17号"
        );
        assert_eq!(township_stem("顺河街道"), "顺河");
        assert_eq!(community_stem("王庄村"), "王庄");
        assert_eq!(county_stem("西平县", "驻马店市"), "西平");
        assert_eq!(county_stem("驿城区", "驻马店市"), "驻马店");
    }
}
