//! Chinese names for synthetic people, communities and businesses.
//!
//! Names are assembled from common parts (weighted surnames, given-name characters, place-name
//! words, shop-name words), never taken from a roster: a synthetic resident must not share a
//! real person's record. Nothing here knows about households or jurisdictions.

use std::collections::HashSet;
use std::sync::OnceLock;

use fangkong_domain::Sex;
use rand::Rng;

use crate::random::Cumulative;

/// Common surnames with relative weights (per ten thousand), after the national frequency
/// ranking of the 2020 household-registration name report (公安部《二〇二〇年全国姓名报告》),
/// rounded; Henan's own ranking differs little at the top.
const SURNAMES: &[(&str, u64)] = &[
    ("王", 740),
    ("李", 720),
    ("张", 700),
    ("刘", 550),
    ("陈", 300),
    ("杨", 300),
    ("赵", 250),
    ("黄", 150),
    ("周", 150),
    ("吴", 140),
    ("徐", 120),
    ("孙", 150),
    ("胡", 120),
    ("朱", 100),
    ("高", 120),
    ("林", 50),
    ("何", 80),
    ("郭", 130),
    ("马", 120),
    ("罗", 60),
    ("梁", 70),
    ("宋", 90),
    ("郑", 80),
    ("谢", 50),
    ("韩", 80),
    ("唐", 50),
    ("冯", 70),
    ("于", 60),
    ("董", 60),
    ("程", 60),
    ("曹", 60),
    ("袁", 50),
    ("邓", 40),
    ("许", 60),
    ("傅", 30),
    ("沈", 30),
    ("曾", 30),
    ("彭", 40),
    ("吕", 50),
    ("苏", 40),
    ("卢", 40),
    ("蒋", 30),
    ("蔡", 40),
    ("贾", 50),
    ("丁", 40),
    ("魏", 50),
    ("薛", 30),
    ("叶", 30),
    ("阎", 30),
    ("余", 30),
    ("潘", 30),
    ("杜", 40),
    ("戴", 20),
    ("夏", 30),
    ("钟", 20),
    ("汪", 20),
    ("田", 40),
    ("任", 40),
    ("姜", 30),
    ("范", 40),
    ("方", 30),
    ("石", 40),
    ("姚", 30),
    ("谭", 20),
    ("邹", 20),
    ("熊", 20),
    ("金", 20),
    ("陆", 20),
    ("郝", 30),
    ("孔", 20),
    ("白", 30),
    ("崔", 30),
    ("康", 20),
    ("毛", 20),
    ("邱", 20),
    ("秦", 20),
    ("江", 20),
    ("史", 30),
    ("侯", 30),
    ("邵", 20),
    ("孟", 30),
    ("万", 20),
    ("段", 20),
    ("雷", 20),
    ("汤", 20),
    ("尹", 20),
    ("常", 30),
    ("武", 30),
    ("乔", 20),
    ("贺", 20),
    ("牛", 20),
    ("葛", 10),
    ("申", 10),
    ("鲁", 10),
];

/// Given-name characters, by sex and by generation (born before 1975 or later).
const MALE_OLD: &[char] = &[
    '建', '国', '军', '民', '强', '华', '明', '德', '福', '全', '庆', '春', '海', '林', '山', '成',
    '文', '志', '永', '平', '忠', '学', '宝', '贵', '荣', '生', '金', '有', '长', '保', '新', '红',
];
const MALE_YOUNG: &[char] = &[
    '浩', '宇', '轩', '子', '睿', '泽', '铭', '豪', '博', '昊', '晨', '俊', '杰', '鑫', '磊', '鹏',
    '帅', '凯', '航', '一', '辰', '阳', '天', '嘉', '奕', '锦', '熙', '梓', '伟', '涛', '超', '亮',
];
const FEMALE_OLD: &[char] = &[
    '秀', '英', '兰', '桂', '凤', '珍', '玉', '梅', '芳', '红', '霞', '华', '琴', '云', '丽', '萍',
    '敏', '荣', '爱', '菊', '娥', '莲', '花', '翠', '香', '艳', '娟', '静', '燕', '素', '彩', '春',
];
const FEMALE_YOUNG: &[char] = &[
    '梓', '涵', '萱', '欣', '怡', '悦', '琪', '雨', '诗', '梦', '瑶', '思', '可', '菲', '彤', '佳',
    '嘉', '婷', '倩', '颖', '晶', '慧', '雪', '妍', '馨', '若', '一', '语', '子', '依', '娜', '静',
];

/// Words for urban community (社区) names.
const COMMUNITY_WORDS: &[&str] = &[
    "东风", "建设", "和平", "幸福", "光明", "新华", "人民", "前进", "胜利", "解放", "文化", "团结",
    "友谊", "育才", "富强", "民主", "繁荣", "兴华", "天中", "骏马", "金山", "开源", "顺河", "雪松",
    "香山", "橡林", "南湖", "汇通", "创业", "康庄", "紫薇", "春晖", "阳光", "锦绣", "滨河", "铁路",
    "中华", "练江", "花园", "安康", "永安", "文明", "五一", "南关", "北关", "西关", "东关", "朝阳",
    "金桥", "丰收",
];
/// Direction words that multiply community names.
const DIRECTIONS: &[&str] = &["", "东", "西", "南", "北"];
/// Endings of village (村) names: 王庄, 李楼, 刘寨.
const VILLAGE_ENDINGS: &[&str] = &[
    "庄", "楼", "营", "寨", "店", "湾", "岗", "桥", "集", "园", "庙", "屯", "洼", "台", "坡",
];
/// Prefixes of village names: 大王庄, 后李楼.
const VILLAGE_PREFIXES: &[&str] = &["", "", "", "大", "小", "前", "后", "东", "西"];

/// Shop and company name words (字号).
const BRANDS: &[&str] = &[
    "华康",
    "鑫源",
    "恒达",
    "金峰",
    "天中",
    "豫南",
    "宏达",
    "鼎盛",
    "兴业",
    "瑞丰",
    "永泰",
    "中原",
    "汇丰",
    "正大",
    "嘉禾",
    "天宇",
    "金穗",
    "众诚",
    "华信",
    "顺通",
    "佳美",
    "富民",
    "万家",
    "福瑞",
    "盛世",
    "龙腾",
    "昌盛",
    "新世纪",
    "金色",
    "百姓",
    "大众",
    "同心",
    "康泰",
    "润泽",
    "豫丰",
    "汇源",
];

/// Picks a surname by frequency.
pub(crate) fn surname(rng: &mut impl Rng) -> &'static str {
    static TABLE: OnceLock<Cumulative<&'static str>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = Cumulative::new();
        for (name, weight) in SURNAMES {
            t.push(*weight, *name);
        }
        t
    });
    table.pick(rng).copied().unwrap_or("王")
}

/// A full name: `surname` followed by a given name of one or two characters for someone of
/// `sex` born in `birth_year`.
pub(crate) fn full_name(rng: &mut impl Rng, surname: &str, sex: Sex, birth_year: i32) -> String {
    let pool = match (sex, birth_year < 1975) {
        (Sex::Male, true) => MALE_OLD,
        (Sex::Male, false) => MALE_YOUNG,
        (Sex::Female, true) => FEMALE_OLD,
        (Sex::Female, false) => FEMALE_YOUNG,
    };
    let mut name = String::with_capacity(surname.len() + 6);
    name.push_str(surname);
    let first = pool[rng.gen_range(0..pool.len())];
    name.push(first);
    if rng.gen_bool(0.75) {
        // Reduplicated names (婷婷) are mostly girls' names; redraw a repeat otherwise.
        let mut second = pool[rng.gen_range(0..pool.len())];
        if second == first && (sex == Sex::Male || rng.gen_bool(0.5)) {
            second = pool[rng.gen_range(0..pool.len())];
        }
        name.push(second);
    }
    name
}

/// `n` distinct community names for one township: `XX社区` when `urban`, else `XX村`.
///
/// Falls back to numbered names (`第12社区`, `第12村`) once random draws keep repeating, so
/// any `n` works.
pub(crate) fn community_names(rng: &mut impl Rng, n: usize, urban: bool) -> Vec<String> {
    let mut used = HashSet::with_capacity(n);
    let mut out = Vec::with_capacity(n);
    let suffix = if urban { "社区" } else { "村" };
    let mut attempts = 0;
    while out.len() < n {
        attempts += 1;
        let base = if attempts > 50 * n {
            format!("第{}", out.len() + 1)
        } else if urban {
            let word = COMMUNITY_WORDS[rng.gen_range(0..COMMUNITY_WORDS.len())];
            let dir = DIRECTIONS[rng.gen_range(0..DIRECTIONS.len())];
            format!("{word}{dir}")
        } else {
            let prefix = VILLAGE_PREFIXES[rng.gen_range(0..VILLAGE_PREFIXES.len())];
            let ending = VILLAGE_ENDINGS[rng.gen_range(0..VILLAGE_ENDINGS.len())];
            format!("{prefix}{}{ending}", surname(rng))
        };
        let name = format!("{base}{suffix}");
        if used.insert(name.clone()) {
            out.push(name);
        }
    }
    out
}

/// A shop or company name word (字号).
pub(crate) fn brand(rng: &mut impl Rng) -> &'static str {
    BRANDS[rng.gen_range(0..BRANDS.len())]
}

/// `1` -> `一` up to `10` -> `十`; larger numbers in digits.
pub(crate) fn chinese_ordinal(n: usize) -> String {
    const NUMERALS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];
    NUMERALS
        .get(n.wrapping_sub(1))
        .map_or_else(|| n.to_string(), |s| (*s).to_string())
}

/// Picks one of `options` uniformly.
pub(crate) fn one_of<'a>(rng: &mut impl Rng, options: &[&'a str]) -> &'a str {
    options[rng.gen_range(0..options.len())]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::stream;

    #[test]
    fn names_have_plausible_shapes() {
        let mut rng = stream(7, "names");
        for _ in 0..200 {
            let family = surname(&mut rng);
            let name = full_name(&mut rng, family, Sex::Female, 1990);
            let n = name.chars().count();
            assert!((2..=3).contains(&n), "{name}");
        }
        let villages = community_names(&mut rng, 30, false);
        assert_eq!(villages.iter().collect::<HashSet<_>>().len(), 30);
        assert!(villages.iter().all(|v| v.ends_with('村')));
        let many = community_names(&mut rng, 400, true);
        assert_eq!(many.iter().collect::<HashSet<_>>().len(), 400);
        assert!(many.iter().all(|v| v.ends_with("社区")));
    }
}
