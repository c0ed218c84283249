//! The texts of [`Note`] and [`UnplacedReason`], in English and Simplified Chinese.
//!
//! The web UI shows them next to a proposed plan, so staff can see why a household went
//! where it did. What it must not do: name a person other than by id.

use std::fmt;

use crate::{Note, UnplacedReason};

/// Ids as an English list: `3, 5, 8`.
pub(crate) fn ids_en(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Ids as a Chinese list, with the enumeration comma: `3、5、8`.
pub(crate) fn ids_zh(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join("、")
}

/// `1 person`, `2 people`.
fn people_en(n: usize) -> String {
    if n == 1 {
        "1 person".to_owned()
    } else {
        format!("{n} people")
    }
}

impl Note {
    /// The note in English.
    pub fn text_en(&self) -> String {
        match self {
            Note::NearestSite { distance_km } => {
                format!("nearest site with room for the household, {distance_km:.1} km from home")
            }
            Note::NearerSitesSkipped { site_ids, more } => {
                let more = match more {
                    0 => String::new(),
                    1 => " and 1 more".to_owned(),
                    m => format!(" and {m} more"),
                };
                let sites = if site_ids.len() == 1 && more.is_empty() {
                    "site"
                } else {
                    "sites"
                };
                format!(
                    "nearer {sites} without room for the household: {}{more}",
                    ids_en(site_ids)
                )
            }
            Note::TogetherInOneRoom { room_id } => {
                format!("household together in room {room_id}")
            }
            Note::HouseholdSplit { rooms } => format!(
                "no site has one free room for the whole household: split over {rooms} rooms of one site"
            ),
            Note::ChildrenWithAdult { room_id, child_ids } => {
                let (who, verb) = if child_ids.len() == 1 {
                    ("child", "stays")
                } else {
                    ("children", "stay")
                };
                format!(
                    "{who} {} {verb} with an adult of the household in room {room_id}",
                    ids_en(child_ids)
                )
            }
            Note::AccessibleRoom {
                room_id,
                person_ids,
            } => format!(
                "accessible room {room_id} for elderly or disabled {} {}",
                if person_ids.len() == 1 {
                    "member"
                } else {
                    "members"
                },
                ids_en(person_ids)
            ),
            Note::AccessibleRoomAsLastResort { room_id } => format!(
                "accessible room {room_id} used because no other room at the site fitted"
            ),
            Note::NotPlaced { reason } => format!("not placed: {}", reason.text_en()),
        }
    }

    /// The note in Simplified Chinese.
    pub fn text_zh(&self) -> String {
        match self {
            Note::NearestSite { distance_km } => {
                format!("最近的有空房隔离点，距住址 {distance_km:.1} 公里")
            }
            Note::NearerSitesSkipped { site_ids, more: 0 } => {
                format!("更近的隔离点 {} 没有合适的空房", ids_zh(site_ids))
            }
            Note::NearerSitesSkipped { site_ids, more } => format!(
                "更近的隔离点 {} 等 {} 个均没有合适的空房",
                ids_zh(site_ids),
                site_ids.len() + more
            ),
            Note::TogetherInOneRoom { room_id } => format!("同户同住：全户安排在房间 {room_id}"),
            Note::HouseholdSplit { rooms } => {
                format!("没有能容纳全户的单个空房，全户分住同一隔离点的 {rooms} 个房间")
            }
            Note::ChildrenWithAdult { room_id, child_ids } => {
                format!("儿童 {} 与同户成年人同住房间 {room_id}", ids_zh(child_ids))
            }
            Note::AccessibleRoom {
                room_id,
                person_ids,
            } => format!(
                "无障碍房间 {room_id}：安排老年人或残疾人 {}",
                ids_zh(person_ids)
            ),
            Note::AccessibleRoomAsLastResort { room_id } => {
                format!("该隔离点没有其他合适的房间，使用无障碍房间 {room_id}")
            }
            Note::NotPlaced { reason } => format!("未安排：{}", reason.text_zh()),
        }
    }
}

impl fmt::Display for Note {
    /// The English text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text_en())
    }
}

impl UnplacedReason {
    /// The reason in English.
    pub fn text_en(&self) -> String {
        match self {
            UnplacedReason::NoAdultForChild => {
                "the household has a child under 14 and no adult (18 or over) to stay with it"
                    .to_owned()
            }
            UnplacedReason::NoSiteWithRoom {
                people,
                needing_accessible,
            } => {
                let needs = match (people, needing_accessible) {
                    (_, 0) => String::new(),
                    (1, _) => ", who needs an accessible room".to_owned(),
                    (_, k) => format!(" ({k} of them needing an accessible room)"),
                };
                format!(
                    "no site has suitable free rooms for the household's {}{needs}",
                    people_en(*people)
                )
            }
            UnplacedReason::DuplicatePerson => {
                "the person id occurs more than once in the list; only its first occurrence counts"
                    .to_owned()
            }
        }
    }

    /// The reason in Simplified Chinese.
    pub fn text_zh(&self) -> String {
        match self {
            UnplacedReason::NoAdultForChild => {
                "户内有 14 岁以下儿童但没有 18 岁及以上的成年人陪护".to_owned()
            }
            UnplacedReason::NoSiteWithRoom {
                people,
                needing_accessible,
            } => {
                let needs = match needing_accessible {
                    0 => String::new(),
                    k => format!("（其中 {k} 人需无障碍房间）"),
                };
                format!("没有隔离点有足够的合适空房安排全户 {people} 人{needs}")
            }
            UnplacedReason::DuplicatePerson => {
                "人员编号在名单中重复，仅按第一次出现处理".to_owned()
            }
        }
    }
}

impl fmt::Display for UnplacedReason {
    /// The English text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text_en())
    }
}
