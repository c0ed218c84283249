//! The vocabulary of isolation (隔离管控) and treatment (医疗救治): quarantine site kinds, room
//! statuses, stays and their outcomes, hospital bed types, admission outcomes, treatment-team
//! specialties and roles.

/// The kind of a quarantine site (the facility's subtype).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SiteKind {
    /// A requisitioned hotel (隔离酒店).
    Hotel,
    /// A purpose-built centralised quarantine facility (集中隔离点).
    Centralized,
    /// A makeshift hospital (方舱医院).
    Makeshift,
}

names!(SiteKind {
    Hotel => "hotel", "隔离酒店", "quarantine hotel";
    Centralized => "centralized", "集中隔离点", "purpose-built site";
    Makeshift => "makeshift", "方舱医院", "makeshift hospital";
});

/// The status of a quarantine room, derived from its stays and its turnaround rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RoomStatus {
    /// No one in it, cleaned, in service.
    Free,
    /// Someone placed in it or staying in it.
    Occupied,
    /// Vacated less than the site's turnaround hours ago (终末消毒).
    Cleaning,
    /// Taken out of service by staff.
    OutOfService,
}

names!(RoomStatus {
    Free => "free", "空闲", "free";
    Occupied => "occupied", "在住", "occupied";
    Cleaning => "cleaning", "消杀中", "cleaning";
    OutOfService => "out_of_service", "停用", "out of service";
});

/// Where a stay stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StayStatus {
    /// A room is reserved; the person is on the way (已分配待入住).
    Placed,
    /// Checked in (在住).
    In,
    /// Checked out (已离开).
    Out,
}

names!(StayStatus {
    Placed => "placed", "已分配待入住", "placed";
    In => "in", "在住", "checked in";
    Out => "out", "已离开", "checked out";
});

/// How a stay ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StayOutcome {
    /// Released with the criteria met (解除隔离).
    Released,
    /// Transferred early to a hospital (转运救治).
    Hospital,
    /// A placement cancelled before check-in (取消分配).
    Cancelled,
}

names!(StayOutcome {
    Released => "released", "解除隔离", "released";
    Hospital => "hospital", "转院救治", "transferred to hospital";
    Cancelled => "cancelled", "取消分配", "placement cancelled";
});

/// A hospital bed type (床位类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BedType {
    /// General ward (普通床位).
    General,
    /// Intensive care (重症监护床位).
    Icu,
    /// Isolation ward (隔离病房).
    Isolation,
}

names!(BedType {
    General => "general", "普通床位", "general";
    Icu => "icu", "重症监护床位", "intensive care";
    Isolation => "isolation", "隔离病房", "isolation ward";
});

/// How an admission ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AdmissionOutcome {
    /// Discharged recovered (治愈出院).
    Recovered,
    /// Moved to another hospital or bed type (转院/转科).
    Transferred,
    /// Died (死亡).
    Died,
    /// Discharged otherwise, e.g. excluded as a case (其他).
    Other,
}

names!(AdmissionOutcome {
    Recovered => "recovered", "治愈出院", "recovered";
    Transferred => "transferred", "转院转科", "transferred";
    Died => "died", "死亡", "died";
    Other => "other", "其他出院", "other discharge";
});

/// A treatment-team member's specialty (专业).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Specialty {
    Respiratory,
    CriticalCare,
    InfectiousDisease,
    Nursing,
    Psychology,
    TraditionalChineseMedicine,
    Disinfection,
    Management,
}

names!(Specialty {
    Respiratory => "respiratory", "呼吸科", "respiratory medicine";
    CriticalCare => "critical_care", "重症医学", "critical care";
    InfectiousDisease => "infectious_disease", "感染科", "infectious diseases";
    Nursing => "nursing", "护理", "nursing";
    Psychology => "psychology", "心理疏导", "psychology";
    TraditionalChineseMedicine => "tcm", "中医", "traditional Chinese medicine";
    Disinfection => "disinfection", "消杀", "disinfection";
    Management => "management", "管理", "site management";
});

/// Age from which a person counts as elderly for placement (60, China's Law on the
/// Protection of the Rights and Interests of the Elderly, art. 2).
pub const ELDERLY_AGE: u32 = 60;

/// Age under which a child needs a guardian in the room (14, as the allocator).
pub const CHILD_AGE: u32 = 14;

/// The tag on a person record that marks a disability (残疾), for placement.
pub const DISABILITY_TAG: &str = "disability";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for k in BedType::ALL {
            assert_eq!(BedType::parse(k.as_str()), Some(*k));
        }
        assert_eq!(
            RoomStatus::parse("out_of_service"),
            Some(RoomStatus::OutOfService)
        );
        assert_eq!(
            Specialty::parse("tcm"),
            Some(Specialty::TraditionalChineseMedicine)
        );
        assert_eq!(SiteKind::keys(), "hotel, centralized, makeshift");
    }
}
