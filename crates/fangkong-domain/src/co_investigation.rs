//! The vocabulary of co-investigation (协查) and command (指挥调度): what an item of a pushed
//! list names, the outcomes of its feedback, and the states of directives.
//!
//! Pure values: nothing here reads a clock or a store.

/// What one item of a co-investigation list names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemKind {
    /// A person by national ID number (GB 11643).
    PersonId,
    /// A person by mobile phone number (a big-data match).
    Phone,
    /// A place (a venue, an address) to check.
    Place,
}

impl ItemKind {
    /// Every kind.
    pub const ALL: [ItemKind; 3] = [ItemKind::PersonId, ItemKind::Phone, ItemKind::Place];

    /// The stable identifier used in storage, files and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::PersonId => "person_id",
            ItemKind::Phone => "phone",
            ItemKind::Place => "place",
        }
    }

    /// Parses [`ItemKind::as_str`].
    pub fn parse(s: &str) -> Option<ItemKind> {
        ItemKind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

/// The outcome fed back for one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// Located and put under a control measure (落地管控).
    Controlled,
    /// Not found in the jurisdiction (查无此人).
    NotFound,
    /// Found to have left the area (已离开).
    LeftArea,
    /// Forwarded to another jurisdiction (转外地协查).
    Forwarded,
    /// The same person or place as another item (重复).
    Duplicate,
}

impl Outcome {
    /// Every outcome.
    pub const ALL: [Outcome; 5] = [
        Outcome::Controlled,
        Outcome::NotFound,
        Outcome::LeftArea,
        Outcome::Forwarded,
        Outcome::Duplicate,
    ];

    /// The stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Controlled => "controlled",
            Outcome::NotFound => "not_found",
            Outcome::LeftArea => "left_area",
            Outcome::Forwarded => "forwarded",
            Outcome::Duplicate => "duplicate",
        }
    }

    /// Parses [`Outcome::as_str`].
    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s.trim())
    }
}

/// Where a directive stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DirectiveStatus {
    /// Issued, not yet acknowledged by the recipient.
    Issued,
    /// Acknowledged (签收), not yet reported complete.
    Acknowledged,
    /// Reported complete with a completion report (办结).
    Completed,
}

impl DirectiveStatus {
    /// The stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            DirectiveStatus::Issued => "issued",
            DirectiveStatus::Acknowledged => "acknowledged",
            DirectiveStatus::Completed => "completed",
        }
    }

    /// Parses [`DirectiveStatus::as_str`].
    pub fn parse(s: &str) -> Option<DirectiveStatus> {
        [
            DirectiveStatus::Issued,
            DirectiveStatus::Acknowledged,
            DirectiveStatus::Completed,
        ]
        .into_iter()
        .find(|d| d.as_str() == s.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_round_trip() {
        for k in ItemKind::ALL {
            assert_eq!(ItemKind::parse(k.as_str()), Some(k));
        }
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
        }
        assert_eq!(
            DirectiveStatus::parse("acknowledged"),
            Some(DirectiveStatus::Acknowledged)
        );
        assert_eq!(Outcome::parse("lost"), None);
    }
}
