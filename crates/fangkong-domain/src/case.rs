//! The vocabulary of epidemiological investigation (流调溯源): case classification and its
//! allowed changes, how a case was detected, severity, outcome, and the settings, statuses
//! and transport of contacts and itineraries.

/// The classification of a case (病例分类).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CaseClass {
    /// Suspected case (疑似病例): a positive screen not yet confirmed.
    Suspected,
    /// Asymptomatic infection (无症状感染者).
    Asymptomatic,
    /// Confirmed case (确诊病例).
    Confirmed,
    /// Excluded (排除): the suspicion did not hold.
    Excluded,
}

names!(CaseClass {
    Suspected => "suspected", "疑似病例", "suspected case";
    Asymptomatic => "asymptomatic", "无症状感染者", "asymptomatic infection";
    Confirmed => "confirmed", "确诊病例", "confirmed case";
    Excluded => "excluded", "已排除", "excluded";
});

impl CaseClass {
    /// Whether a case may be reclassified from `self` to `to`: a suspected case is confirmed,
    /// found asymptomatic or excluded; an asymptomatic infection may develop symptoms
    /// (confirmed, "无症状转确诊"); an exclusion may be revoked back to suspected when new
    /// evidence arrives. A confirmed case stays confirmed (a laboratory error is corrected by
    /// excluding it, which is allowed too).
    pub fn may_become(self, to: CaseClass) -> bool {
        use CaseClass::*;
        matches!(
            (self, to),
            (Suspected, Asymptomatic | Confirmed | Excluded)
                | (Asymptomatic, Confirmed | Excluded)
                | (Confirmed, Excluded)
                | (Excluded, Suspected)
        )
    }

    /// Whether the case counts as an infection (asymptomatic or confirmed): the cases of
    /// epidemic curves, chains and the "days since the last case" of risk areas.
    pub fn is_infection(self) -> bool {
        matches!(self, CaseClass::Asymptomatic | CaseClass::Confirmed)
    }
}

/// How a case was detected (发现途径).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Detection {
    TestingRound,
    Sentinel,
    Inbound,
    ContactFollowUp,
    FeverClinic,
    Other,
}

names!(Detection {
    TestingRound => "testing_round", "核酸筛查", "testing round";
    Sentinel => "sentinel", "哨点监测", "sentinel surveillance";
    Inbound => "inbound", "入境/来驻返驻管控", "inbound control";
    ContactFollowUp => "contact_follow_up", "密接追踪", "contact follow-up";
    FeverClinic => "fever_clinic", "发热门诊", "fever clinic";
    Other => "other", "其他", "other";
});

/// Clinical severity (临床分型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Mild,
    Moderate,
    Severe,
    Critical,
}

names!(Severity {
    Mild => "mild", "轻型", "mild";
    Moderate => "moderate", "普通型", "moderate";
    Severe => "severe", "重型", "severe";
    Critical => "critical", "危重型", "critical";
});

/// The outcome of a case (转归).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CaseOutcome {
    /// Still under isolation or treatment.
    Open,
    Recovered,
    Died,
}

names!(CaseOutcome {
    Open => "open", "治疗/隔离中", "under care";
    Recovered => "recovered", "治愈出院", "recovered";
    Died => "died", "死亡", "died";
});

/// Where a contact was exposed (接触场景).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContactSetting {
    Household,
    Work,
    Venue,
    Transport,
    Other,
}

names!(ContactSetting {
    Household => "household", "同住家庭", "household";
    Work => "work", "工作场所", "work";
    Venue => "venue", "公共场所", "venue";
    Transport => "transport", "交通工具", "transport";
    Other => "other", "其他", "other";
});

/// The state of a contact on a case's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContactStatus {
    /// Confirmed by an investigator: a control measure follows.
    Confirmed,
    /// A candidate the investigator judged not to be a contact; hidden from the candidates.
    Dismissed,
}

names!(ContactStatus {
    Confirmed => "confirmed", "已确认", "confirmed";
    Dismissed => "dismissed", "已排除", "dismissed";
});

/// A means of transport in an itinerary (交通工具).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TransportKind {
    Train,
    Flight,
    Bus,
    Metro,
    Taxi,
    Ship,
}

names!(TransportKind {
    Train => "train", "火车", "train";
    Flight => "flight", "航班", "flight";
    Bus => "bus", "客车/公交", "bus";
    Metro => "metro", "地铁", "metro";
    Taxi => "taxi", "出租车/网约车", "taxi";
    Ship => "ship", "轮船", "ship";
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reclassification_rules() {
        use CaseClass::*;
        let allowed: Vec<(CaseClass, CaseClass)> = CaseClass::ALL
            .iter()
            .flat_map(|a| CaseClass::ALL.iter().map(move |b| (*a, *b)))
            .filter(|(a, b)| a.may_become(*b))
            .collect();
        assert_eq!(
            allowed,
            vec![
                (Suspected, Asymptomatic),
                (Suspected, Confirmed),
                (Suspected, Excluded),
                (Asymptomatic, Confirmed),
                (Asymptomatic, Excluded),
                (Confirmed, Excluded),
                (Excluded, Suspected),
            ]
        );
        assert!(Confirmed.is_infection() && Asymptomatic.is_infection());
        assert!(!Suspected.is_infection() && !Excluded.is_infection());
    }

    #[test]
    fn keys_round_trip() {
        for d in Detection::ALL {
            assert_eq!(Detection::parse(d.as_str()), Some(*d));
        }
        assert_eq!(
            ContactSetting::keys(),
            "household, work, venue, transport, other"
        );
    }
}
