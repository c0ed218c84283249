//! The access scope of an actor: a jurisdiction subtree and a set of permissions.
//!
//! Every read or write of personal data takes a `&Scope`, so a new query cannot forget the
//! jurisdiction filter: the store turns `Scope::root` into a code-range condition.

use std::collections::BTreeSet;

use crate::jurisdiction::JurisdictionCode;

/// A permission. Roles (bundles of permissions) are defined by the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// Read jurisdictions and facilities.
    JurisdictionsRead,
    /// Create and import jurisdictions.
    JurisdictionsWrite,
    /// Search and read person records (masked).
    PersonsRead,
    /// Create, update and import person records.
    PersonsWrite,
    /// Merge duplicate person records.
    PersonsMerge,
    /// Export person lists (identifiers masked), with a stated purpose.
    PersonsExport,
    /// Reveal a full ID number or phone number, with a stated purpose.
    PiiReveal,
    /// Search the audit log.
    AuditRead,
    /// Read testing rounds, results, retest tasks and coverage.
    TestingRead,
    /// Submit sample collections and lab results (sampling sites, laboratories).
    TestingSubmit,
    /// Create and manage testing rounds and schedules.
    TestingManage,
    /// Read inbound control: policy versions, classifications, measures.
    InboundRead,
    /// Load control-measure policy versions, designate and lift risk areas.
    InboundManage,
    /// Record arrivals and run control measures: assign, activate, release, escalate,
    /// health checks, personal links, notices, decide re-evaluation reviews.
    InboundOperate,
    /// Record fever-clinic visits, their results and dispositions.
    FeverReport,
    /// Read cases, itineraries, check-ins, contacts, chains and tracing timeliness.
    TracingRead,
    /// Investigate: register and reclassify cases, record itineraries and check-ins, run
    /// exposure matching, confirm contacts (which assigns their control measures), link
    /// cases into chains.
    TracingOperate,
    /// Read quarantine sites, rooms, stays, the placement queue and isolation forecasts.
    IsolationRead,
    /// Place people into rooms, check them in and out, transfer them to hospital, take rooms
    /// out of service.
    IsolationOperate,
    /// Read hospitals, beds, admissions, treatment teams and bed forecasts.
    TreatmentRead,
    /// Admit, transfer and discharge patients; manage treatment teams and deployments.
    TreatmentOperate,
    /// Read sentinels, their daily reports, missing reports, alerts and the analysis pages.
    SentinelRead,
    /// Submit the daily reports of sentinels (form, API, file).
    SentinelReport,
    /// Run aberration detection, triage alerts (verify, confirm, dismiss, assign) and set
    /// the reporting deadlines.
    SentinelManage,
    /// Read vaccination records, coverage and outreach lists (masked), and export them
    /// with a stated purpose.
    ImmunizationRead,
    /// Record and import vaccinations (files and FHIR), and correct them.
    ImmunizationWrite,
    /// Read warehouses, items, stock, the ledger, days of supply, forecasts, alerts and
    /// transfer suggestions.
    SuppliesRead,
    /// Post receipts, issues, transfers, adjustments and write-offs, run stock-takes, set up
    /// items, warehouses and consumption models.
    SuppliesOperate,
    /// Read co-investigation tasks (协查) pushed to or created in the jurisdiction, their items
    /// (masked), feedback, escalation notices and completion statistics.
    CoInvestigationRead,
    /// Work co-investigation items: assign them down the hierarchy, feed back outcomes,
    /// create and import tasks, push them to federated instances.
    CoInvestigationOperate,
    /// Read directives, the duty roster and shift logs.
    CommandRead,
    /// Issue, acknowledge and report directives; keep the duty roster, handover notes and
    /// shift logs.
    CommandOperate,
    /// Manage users and tokens.
    UsersAdmin,
    /// Purge personal data of closed records past retention.
    DataPurge,
    /// Read drill reports (scores by county of the actor's jurisdiction) and scenario
    /// forecasts.
    DrillsRead,
    /// Generate the daily briefing of the jurisdiction (reading briefings needs only
    /// `jurisdictions.read`: they hold counts, no personal data).
    BriefingWrite,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 36] = [
        Permission::JurisdictionsRead,
        Permission::JurisdictionsWrite,
        Permission::PersonsRead,
        Permission::PersonsWrite,
        Permission::PersonsMerge,
        Permission::PersonsExport,
        Permission::PiiReveal,
        Permission::AuditRead,
        Permission::TestingRead,
        Permission::TestingSubmit,
        Permission::TestingManage,
        Permission::InboundRead,
        Permission::InboundManage,
        Permission::InboundOperate,
        Permission::FeverReport,
        Permission::TracingRead,
        Permission::TracingOperate,
        Permission::IsolationRead,
        Permission::IsolationOperate,
        Permission::TreatmentRead,
        Permission::TreatmentOperate,
        Permission::SentinelRead,
        Permission::SentinelReport,
        Permission::SentinelManage,
        Permission::ImmunizationRead,
        Permission::ImmunizationWrite,
        Permission::SuppliesRead,
        Permission::SuppliesOperate,
        Permission::CoInvestigationRead,
        Permission::CoInvestigationOperate,
        Permission::CommandRead,
        Permission::CommandOperate,
        Permission::UsersAdmin,
        Permission::DataPurge,
        Permission::DrillsRead,
        Permission::BriefingWrite,
    ];

    /// The stable identifier, e.g. `persons.read`, `pii.reveal`.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::JurisdictionsRead => "jurisdictions.read",
            Permission::JurisdictionsWrite => "jurisdictions.write",
            Permission::PersonsRead => "persons.read",
            Permission::PersonsWrite => "persons.write",
            Permission::PersonsMerge => "persons.merge",
            Permission::PersonsExport => "persons.export",
            Permission::PiiReveal => "pii.reveal",
            Permission::AuditRead => "audit.read",
            Permission::TestingRead => "testing.read",
            Permission::TestingSubmit => "testing.submit",
            Permission::TestingManage => "testing.manage",
            Permission::InboundRead => "inbound.read",
            Permission::InboundManage => "inbound.manage",
            Permission::InboundOperate => "inbound.operate",
            Permission::FeverReport => "fever.report",
            Permission::TracingRead => "tracing.read",
            Permission::TracingOperate => "tracing.operate",
            Permission::IsolationRead => "isolation.read",
            Permission::IsolationOperate => "isolation.operate",
            Permission::TreatmentRead => "treatment.read",
            Permission::TreatmentOperate => "treatment.operate",
            Permission::SentinelRead => "sentinel.read",
            Permission::SentinelReport => "sentinel.report",
            Permission::SentinelManage => "sentinel.manage",
            Permission::ImmunizationRead => "immunization.read",
            Permission::ImmunizationWrite => "immunization.write",
            Permission::SuppliesRead => "supplies.read",
            Permission::SuppliesOperate => "supplies.operate",
            Permission::CoInvestigationRead => "co_investigation.read",
            Permission::CoInvestigationOperate => "co_investigation.operate",
            Permission::CommandRead => "command.read",
            Permission::CommandOperate => "command.operate",
            Permission::UsersAdmin => "users.admin",
            Permission::DataPurge => "data.purge",
            Permission::DrillsRead => "drills.read",
            Permission::BriefingWrite => "briefing.write",
        }
    }

    /// Parses the identifier returned by [`Permission::as_str`].
    pub fn parse(s: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == s.trim())
    }
}

/// What an actor may see and do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The subtree the actor sees; `None` means every jurisdiction in the instance.
    pub root: Option<JurisdictionCode>,
    /// What the actor may do inside that subtree.
    pub permissions: BTreeSet<Permission>,
}

impl Scope {
    /// A scope over everything with every permission (system tasks, the demo loader).
    pub fn system() -> Scope {
        Scope {
            root: None,
            permissions: Permission::ALL.into_iter().collect(),
        }
    }

    /// Whether the scope holds `permission`.
    pub fn can(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }

    /// Whether the jurisdiction `code` lies inside the scope.
    pub fn covers(&self, code: &str) -> bool {
        self.root.as_ref().is_none_or(|root| root.contains(code))
    }

    /// The half-open code range the scope covers, for store queries.
    pub fn code_bounds(&self) -> (String, String) {
        match &self.root {
            Some(root) => root.subtree_bounds(),
            // Every code is made of digits, which sort between "" and ":".
            None => (String::new(), ":".to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_subtree_only() {
        let scope = Scope {
            root: Some(JurisdictionCode::parse("411702").unwrap()),
            permissions: [Permission::PersonsRead].into_iter().collect(),
        };
        assert!(scope.covers("411702001003"));
        assert!(!scope.covers("411721001003"));
        assert!(scope.can(Permission::PersonsRead));
        assert!(!scope.can(Permission::PiiReveal));
        assert!(Scope::system().covers("110105"));
    }
}
