//! The wire contract of the Fangkong API: request and response bodies with their OpenAPI
//! schemas.
//!
//! Field names here are what counties' and laboratories' integrations depend on; they change
//! only with a new API version. Domain types never derive `Serialize` for the wire: the server
//! converts them into these types. Personal identifiers in responses are always masked.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A list response: the items of one page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The total number of matching rows when known cheaply, otherwise absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

/// An RFC 9457 problem details body (`application/problem+json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the problem type, e.g. `/problems/national-id-invalid`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The operation id of the request, to quote when reporting the problem.
    pub instance: String,
    /// Field-level errors of a rejected request or file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// One invalid value: which line (for files), which field, why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    pub field: String,
    pub reason: String,
}

/// A jurisdiction (province, city, county, township or community).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Jurisdiction {
    /// GB/T 2260-style code: 2, 4, 6, 9 or 12 digits.
    pub code: String,
    pub name: String,
    /// `province`, `city`, `county`, `township` or `community`.
    pub level: String,
    pub parent_code: Option<String>,
    /// Resident population (sum of the age bands), when known.
    pub population: Option<i64>,
    /// Population by age band (`0-14`, `15-59`, `60-79`, `80+`), when known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub population_by_age: Vec<AgeBandCount>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

/// A population count of one age band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AgeBandCount {
    pub band: String,
    pub count: i64,
}

/// A jurisdiction with its children and registry figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct JurisdictionDetail {
    #[serde(flatten)]
    pub jurisdiction: Jurisdiction,
    /// From the top of the hierarchy down to the parent.
    pub ancestors: Vec<Jurisdiction>,
    pub children: Vec<JurisdictionChild>,
    /// Persons registered in the subtree.
    pub registered_persons: i64,
    pub has_boundary: bool,
}

/// A child jurisdiction with the number of persons registered under it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct JurisdictionChild {
    #[serde(flatten)]
    pub jurisdiction: Jurisdiction,
    pub registered_persons: i64,
}

/// A person to register. Give `id_number` for a mainland resident ID; otherwise
/// `document_kind`, `document_number`, `nationality`, `sex` and `birth_date`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PersonCreate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    /// `mainland_id`, `passport`, `hk_macao_permit`, `taiwan_permit` or
    /// `foreign_permanent_residence`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_number: Option<String>,
    /// ISO 3166-1 alpha-3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nationality: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The 12-digit community of residence.
    pub community_code: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// `male` or `female`; derived from a mainland ID number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<String>,
    /// `YYYY-MM-DD`; derived from a mainland ID number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
}

/// Changes to a person. Absent fields stay as they are; `null` clears phone or address.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PersonUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "double_option"
    )]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "double_option"
    )]
    #[schema(value_type = Option<String>)]
    pub address: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub community_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// `true` closes the record (moved away, control ended), `false` reopens it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed: Option<bool>,
}

/// A person as returned by the API: identifiers masked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Person {
    pub id: i64,
    pub document_kind: String,
    /// The document number, masked (`410102********1234`).
    pub id_number: String,
    pub nationality: String,
    pub name: String,
    pub sex: String,
    pub birth_date: String,
    /// Masked (`138****5678`).
    pub phone: Option<String>,
    pub address: Option<String>,
    pub community_code: String,
    pub household_id: Option<i64>,
    pub tags: Vec<String>,
    pub synthetic: bool,
    /// Set when this record was merged into another; follow it.
    pub merged_into: Option<i64>,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
    /// When the record was closed, if it is (Unix milliseconds).
    pub closed_at: Option<i64>,
    /// Whether its personal data was purged after the retention period.
    pub purged: bool,
    /// True when a create matched an already registered document and returned that record.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub matched_existing: bool,
}

/// An entry of a person's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PersonEvent {
    pub person_id: i64,
    pub at: i64,
    pub kind: String,
    pub actor: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

/// Two records that may be one person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DuplicateCandidate {
    pub first: Person,
    pub second: Person,
    /// `name_and_birth_date` or `phone`.
    pub reason: String,
}

/// Merge `duplicate_id` into the person of the path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MergeRequest {
    pub duplicate_id: i64,
}

/// What a bulk import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ImportSummary {
    pub file: String,
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// A facility: workplace, school, venue, sentinel, lab, sampling site, quarantine site,
/// hospital or warehouse.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Facility {
    pub id: i64,
    pub kind: String,
    pub subtype: String,
    pub name: String,
    pub community_code: String,
    pub place_code: Option<String>,
    /// Meaning by kind: workers, pupils, visitors a day, tubes a day, samples a day, rooms…
    pub capacity: i64,
    pub beds_general: i64,
    pub beds_icu: i64,
    pub beds_isolation: i64,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

/// Reveal the full identifiers of a person for a stated purpose (audited).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RevealRequest {
    /// Why the full value is needed (4 to 200 characters); recorded in the audit log.
    pub purpose: String,
    /// Any of `id_number`, `phone`.
    pub fields: Vec<String>,
}

/// Full identifiers, as revealed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Revealed {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// An entry of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    /// Unix milliseconds.
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub purpose: Option<String>,
    pub operation_id: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// Hex SHA-256 of this entry, chained to the previous one.
    pub hash: String,
}

/// A testing round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TestingRound {
    pub code: String,
    pub name: String,
    pub jurisdiction_code: String,
    /// `YYYY-MM-DD`.
    pub starts_on: String,
    pub ends_on: String,
    /// The key group the round targets; absent, every resident of the jurisdiction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_group: Option<String>,
}

/// A key population tested on a schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct KeyGroup {
    pub code: String,
    pub name: String,
    pub jurisdiction_code: String,
    /// `daily`, `every_2_days`, `weekly` or `custom`.
    pub frequency: String,
    /// Days between tests (required with `custom`).
    #[serde(default)]
    pub interval_days: Option<i64>,
    /// Residents of these occupations join by rule (`medical`, `cold_chain`, `delivery`,
    /// `teacher`, `transport`...); empty when membership is imported.
    #[serde(default)]
    pub occupations: Vec<String>,
    /// Members inside the reader's jurisdiction (ignored on create).
    #[serde(default)]
    pub members: i64,
}

/// What a member import or rule refresh did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MembersAdded {
    pub rows: u64,
    pub added: u64,
}

/// Compliance of one community's key-population members on a day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CommunityCompliance {
    pub community_code: String,
    pub community_name: String,
    pub members: u64,
    pub due_today: u64,
    pub overdue: u64,
    /// Share of members not overdue.
    pub compliance: f64,
}

/// An overdue member (personal data masked).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OverdueMember {
    pub person_id: i64,
    pub name: String,
    /// Masked document number.
    pub id_number: String,
    pub community_code: String,
    /// Unix milliseconds of the latest collection, if any.
    pub last_collected_at: Option<i64>,
    /// `YYYY-MM-DD` (China Standard Time).
    pub due_on: String,
    pub days_overdue: i64,
}

/// A key group's schedule on a day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GroupSchedule {
    pub group: KeyGroup,
    /// `YYYY-MM-DD` (China Standard Time).
    pub day: String,
    pub communities: Vec<CommunityCompliance>,
    pub overdue_total: u64,
    /// The most overdue members first, cut at the limit asked for.
    pub overdue: Vec<OverdueMember>,
}

/// A person's testing schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PersonSchedule {
    pub last_collected_at: Option<i64>,
    pub groups: Vec<PersonGroupDue>,
}

/// When a person is next due in one key group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PersonGroupDue {
    pub group: String,
    pub name: String,
    pub interval_days: i64,
    /// `YYYY-MM-DD` (China Standard Time).
    pub due_on: String,
    /// `up_to_date`, `due_today` or `overdue`.
    pub status: String,
}

/// Coverage of one area in a round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AreaCoverage {
    pub code: String,
    pub name: String,
    pub target: i64,
    pub sampled: i64,
    pub share: f64,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

/// Coverage of a round inside the reader's jurisdiction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RoundCoverage {
    pub round: TestingRound,
    /// `county`, `township` or `community`.
    pub level: String,
    pub target: i64,
    pub sampled: i64,
    pub share: f64,
    pub areas: Vec<AreaCoverage>,
}

/// Turnaround percentiles in minutes (nearest rank).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Percentiles {
    pub tubes: u64,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

/// Turnaround of one lab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LabTurnaround {
    pub lab_code: String,
    pub name: Option<String>,
    pub minutes: Percentiles,
}

/// Lab turnaround (collection to first report).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Turnaround {
    pub overall: Percentiles,
    pub by_lab: Vec<LabTurnaround>,
}

/// Tubes a lab tested on one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LabDay {
    /// `YYYY-MM-DD` (China Standard Time).
    pub day: String,
    pub tubes: i64,
}

/// One lab's daily load against its capacity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LabLoad {
    pub code: String,
    pub name: Option<String>,
    pub community_code: Option<String>,
    /// Tubes a day.
    pub capacity: Option<i64>,
    pub days: Vec<LabDay>,
    /// The last day's tubes over the capacity.
    pub utilization: Option<f64>,
}

/// Pool-size advice for one county.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PoolAdvice {
    pub county_code: String,
    pub name: String,
    pub tubes: u64,
    pub positive_tubes: u64,
    pub prevalence: f64,
    pub assumed_prevalence: f64,
    pub optimal_pool_size: u32,
    pub tests_per_person: f64,
}

/// A positive or inconclusive tube and its fan-out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PositiveTube {
    pub tube_id: String,
    pub pool_size: i64,
    pub outcome: String,
    pub site_code: String,
    pub lab_code: String,
    pub ct_orf1ab: Option<f64>,
    pub ct_n: Option<f64>,
    pub collected_at: i64,
    pub reported_at: i64,
    pub received_at: i64,
    pub members: i64,
    pub retests_open: i64,
    pub retests_done: i64,
    pub suspected_cases: i64,
}

/// An accepted upload of samples or results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TestingBatch {
    pub id: i64,
    /// `samples` or `results`.
    pub kind: String,
    pub file: String,
    pub actor: String,
    pub rows: i64,
    pub stored: i64,
    pub already_stored: i64,
    pub refused: i64,
    pub retest_tasks_created: i64,
    pub suspected_cases_created: i64,
    /// Milliseconds from the start of storing the results to every task created.
    pub fan_out_ms: i64,
    pub received_at: i64,
}

/// What a batch of samples or results did. Valid rows are kept; refused rows are listed
/// with line, field and reason; a re-sent batch stores nothing new.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BatchReport {
    pub file: String,
    pub rows: u64,
    pub stored: u64,
    pub already_stored: u64,
    pub refused: Vec<FieldError>,
    pub tubes_created: u64,
    pub retest_tasks_created: u64,
    pub suspected_cases_created: u64,
    /// Milliseconds from storing the results to every retest task created.
    pub fan_out_ms: u64,
}

/// A retest task after a positive or inconclusive pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RetestTask {
    pub id: i64,
    pub person_id: i64,
    pub tube_id: String,
    /// `pool_positive` or `pool_inconclusive`.
    pub reason: String,
    pub community_code: String,
    /// `open` or `done`.
    pub status: String,
    pub created_at: i64,
}

/// Liveness/readiness answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub version: String,
    pub database: String,
}

/// One stage of a control measure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MeasureStage {
    /// `centralised_quarantine`, `home_quarantine` or `health_monitoring`.
    pub kind: String,
    pub days: u32,
}

/// A control measure: its stages and the days a test is due (day 1 is the first day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ControlMeasure {
    pub stages: Vec<MeasureStage>,
    pub test_days: Vec<u32>,
    /// E.g. `集中隔离7天+居家健康监测3天，第1、2、3、5、7、10天核酸检测`.
    pub text: String,
    pub text_en: String,
}

/// One rule of a policy version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PolicyRule {
    pub id: String,
    pub title: String,
    pub title_en: String,
    pub measure: ControlMeasure,
}

/// A control-measure policy version as loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PolicyVersion {
    pub version: String,
    /// `YYYY-MM-DD`: the first day the version applies.
    pub effective_from: String,
    /// SHA-256 of the file as loaded (hex).
    pub sha256: String,
    /// Milliseconds since the epoch.
    pub loaded_at: i64,
    pub loaded_by: String,
    pub rules: Vec<PolicyRule>,
}

/// The facts about a person to classify, and the day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ClassifyRequest {
    /// `international`, `domestic`, `cold_chain` or `fever`.
    pub pocket: String,
    /// `high`, `medium`, `low`, `sealed`, `controlled` or `precaution`. When absent, the
    /// strictest designation covering `origin_code` on the day the person left decides.
    #[serde(default)]
    pub origin_risk: Option<String>,
    /// The jurisdiction code of the place the person came from (any level).
    #[serde(default)]
    pub origin_code: Option<String>,
    /// Whole days from leaving the origin to `day`.
    #[serde(default)]
    pub days_since_left: Option<u32>,
    /// `close`, `secondary` or `space_time`.
    #[serde(default)]
    pub contact: Option<String>,
    /// `unvaccinated`, `partial`, `full` or `booster`.
    #[serde(default)]
    pub vaccination: Option<String>,
    #[serde(default)]
    pub occupation: Option<String>,
    /// `YYYY-MM-DD`, China Standard Time: the version in force on it decides.
    pub day: String,
}

/// A risk-area designation (in force when `lifted_at` is absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RiskArea {
    pub id: i64,
    /// A jurisdiction code of any level.
    pub code: String,
    pub name: String,
    /// `high`, `medium`, `low`, `sealed`, `controlled` or `precaution`.
    pub level: String,
    /// Milliseconds since the epoch.
    pub designated_at: i64,
    pub designated_by: String,
    /// The lifting rule: lifted after this many consecutive days without a new case.
    #[serde(default)]
    pub lift_after_days: Option<i64>,
    #[serde(default)]
    pub lifted_at: Option<i64>,
    #[serde(default)]
    pub lift_reason: Option<String>,
    /// For a set of addresses or buildings inside the jurisdiction: the set; empty for the
    /// whole jurisdiction.
    #[serde(default)]
    pub addresses: Vec<String>,
}

/// A designation to make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RiskAreaCreate {
    pub code: String,
    pub name: String,
    pub level: String,
    #[serde(default)]
    pub lift_after_days: Option<u32>,
    /// A set of addresses or buildings inside the jurisdiction (known by code and name);
    /// empty designates the whole jurisdiction.
    #[serde(default)]
    pub addresses: Vec<String>,
}

/// Why a designation is lifted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RiskAreaLift {
    pub reason: String,
}

/// The measure a person gets, with the policy version and rule that decided and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Classification {
    pub version: String,
    pub rule_id: String,
    pub measure: ControlMeasure,
    /// Which rule fired and which facts made it hold, in Chinese.
    pub explanation: String,
    pub explanation_en: String,
}

mod double_option {
    //! Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Option<String>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(d).map(Some)
    }
}

// ---- Inbound control: travel entries and control measures -------------------------------

/// What recording arrivals (a traveller list or one report) did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TravelImport {
    pub file: String,
    pub rows: u64,
    pub persons_created: u64,
    pub persons_updated: u64,
    pub entries_created: u64,
    /// Arrivals already stored (same person, origin and day) whose gaps were filled.
    pub entries_merged: u64,
    pub entries_unchanged: u64,
    pub measures_created: u64,
    /// Arrivals by the policy rule that classified them.
    pub by_rule: std::collections::BTreeMap<String, u64>,
    /// Milliseconds spent classifying.
    pub classify_ms: u64,
    /// The first arrival's travel entry id.
    #[serde(default)]
    pub entry_id: Option<i64>,
}

/// One arrival reported by a checkpoint, a community or the person: the columns of a
/// traveller list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ArrivalReport {
    pub name: String,
    #[serde(default)]
    pub id_number: Option<String>,
    #[serde(default)]
    pub document_kind: Option<String>,
    #[serde(default)]
    pub document_number: Option<String>,
    #[serde(default)]
    pub nationality: Option<String>,
    #[serde(default)]
    pub sex: Option<String>,
    #[serde(default)]
    pub birth_date: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    /// The destination community (12 digits).
    pub community_code: String,
    /// A jurisdiction code or an ISO 3166-1 country code.
    pub origin: String,
    #[serde(default)]
    pub origin_address: Option<String>,
    #[serde(default)]
    pub route: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub departed_on: Option<String>,
    /// `YYYY-MM-DD HH:MM` (China Standard Time) or RFC 3339.
    pub arrived_at: String,
    #[serde(default)]
    pub vaccination: Option<String>,
    #[serde(default)]
    pub occupation: Option<String>,
    /// `self_report`, `checkpoint` (default), `file_import` or `upper_push`.
    #[serde(default)]
    pub source: Option<String>,
}

impl ArrivalReport {
    /// The report as named values, the columns of a traveller list.
    pub fn fields(&self) -> Vec<(&'static str, &str)> {
        let mut out = vec![
            ("name", self.name.as_str()),
            ("community_code", self.community_code.as_str()),
            ("origin", self.origin.as_str()),
            ("arrived_at", self.arrived_at.as_str()),
        ];
        let optional = [
            ("id_number", &self.id_number),
            ("document_kind", &self.document_kind),
            ("document_number", &self.document_number),
            ("nationality", &self.nationality),
            ("sex", &self.sex),
            ("birth_date", &self.birth_date),
            ("phone", &self.phone),
            ("address", &self.address),
            ("origin_address", &self.origin_address),
            ("route", &self.route),
            ("departed_on", &self.departed_on),
            ("vaccination", &self.vaccination),
            ("occupation", &self.occupation),
            ("source", &self.source),
        ];
        for (name, value) in optional {
            if let Some(v) = value {
                out.push((name, v.as_str()));
            }
        }
        out
    }
}

/// A stored arrival.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TravelEntry {
    pub id: i64,
    pub person_id: i64,
    /// Masked.
    pub person_name: String,
    /// `international` or `domestic`.
    pub pocket: String,
    pub origin: String,
    #[serde(default)]
    pub route: Option<String>,
    #[serde(default)]
    pub departed_on: Option<String>,
    /// Milliseconds since the epoch.
    pub arrived_at: i64,
    pub community_code: String,
    pub source: String,
    #[serde(default)]
    pub measure_id: Option<i64>,
}

/// One test of a measure's regime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DueTest {
    pub day: u32,
    pub date: String,
    /// `negative`, `positive`, `inconclusive`, `pending`, `missed`, `due_today`, `upcoming`.
    pub state: String,
    #[serde(default)]
    pub tube_code: Option<String>,
}

/// A daily health check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HealthCheck {
    pub day: String,
    pub temperature: f64,
    pub symptoms: Vec<String>,
    /// `staff`, `self` or `household`.
    pub reported_by: String,
}

/// A control measure assigned to a person, worked out for today.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Measure {
    pub id: i64,
    pub person_id: i64,
    /// Masked.
    pub person_name: String,
    pub community_code: String,
    /// `international`, `domestic`, `cold_chain`, `fever`.
    pub pocket: String,
    #[serde(default)]
    pub origin: Option<String>,
    #[serde(default)]
    pub origin_risk: Option<String>,
    #[serde(default)]
    pub contact: Option<String>,
    #[serde(default)]
    pub source_ref: Option<String>,
    pub policy_version: String,
    pub rule_id: String,
    pub plan: ControlMeasure,
    pub explanation: String,
    pub explanation_en: String,
    pub starts_on: String,
    pub ends_on: String,
    /// `assigned`, `active`, `released`, `escalated`.
    pub status: String,
    #[serde(default)]
    pub close_reason: Option<String>,
    #[serde(default)]
    pub day_today: Option<u32>,
    #[serde(default)]
    pub stage_today: Option<String>,
    pub tests: Vec<DueTest>,
    pub health_checks: Vec<HealthCheck>,
    pub missed_checks: Vec<String>,
    /// Why it cannot be released now (empty: it can), in Chinese.
    pub release_blockers: Vec<String>,
    pub release_blockers_en: Vec<String>,
}

/// A measure to assign to a registered person for a reason other than an arrival.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MeasureAssign {
    pub person_id: i64,
    /// `international`, `domestic`, `cold_chain`, `fever`.
    pub pocket: String,
    #[serde(default)]
    pub contact: Option<String>,
    #[serde(default)]
    pub vaccination: Option<String>,
    #[serde(default)]
    pub occupation: Option<String>,
    /// Names the reason, e.g. `coldchain:12`; the same person and reason is assigned once.
    pub source_ref: String,
    /// Day 1, `YYYY-MM-DD`; today when absent.
    #[serde(default)]
    pub starts_on: Option<String>,
}

/// A health check to record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HealthCheckReport {
    /// `YYYY-MM-DD`; today when absent (always today through a personal link).
    #[serde(default)]
    pub day: Option<String>,
    pub temperature: f64,
    #[serde(default)]
    pub symptoms: Vec<String>,
    /// Through a personal link: the household member's measure (the link's own when absent).
    #[serde(default)]
    pub measure_id: Option<i64>,
}

/// Why a measure is escalated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MeasureEscalate {
    pub reason: String,
}

/// A personal link for health checks without an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PersonalLink {
    /// The path to send (`/h/<token>`), relative to the server's address.
    pub path: String,
    pub token: String,
    /// Milliseconds since the epoch.
    pub expires_at: i64,
}

/// A re-evaluation of an open measure after a designation or a policy version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MeasureReview {
    pub id: i64,
    /// The open measure reviewed, or absent for an arrival without a measure (applying the
    /// review assigns one).
    #[serde(default)]
    pub measure_id: Option<i64>,
    #[serde(default)]
    pub travel_entry_id: Option<i64>,
    /// Masked.
    pub person_name: String,
    pub community_code: String,
    /// `risk_area` or `policy`.
    pub trigger_kind: String,
    /// The designation's id or the policy version.
    pub trigger_ref: String,
    pub old_rule_id: String,
    pub old_measure: String,
    pub policy_version: String,
    pub rule_id: String,
    pub new_measure: String,
    pub explanation: String,
    /// `pending`, `applied`, `dismissed`, `superseded`.
    pub status: String,
}

/// A decision on a review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReviewDecision {
    /// `true` applies the new classification; `false` dismisses it.
    pub apply: bool,
}

/// One community's line on the pocket board, or the totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BoardLine {
    pub community_code: String,
    pub centralised: u64,
    pub home_quarantine: u64,
    pub health_monitoring: u64,
    pub other: u64,
    pub not_active: u64,
    pub tests_due_today: u64,
    pub overdue: u64,
    pub releases_due: u64,
}

/// The pocket board for today.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PocketBoard {
    pub day: String,
    pub lines: Vec<BoardLine>,
    pub totals: BoardLine,
    pub by_pocket: std::collections::BTreeMap<String, u64>,
    pub pending_reviews: u64,
    /// Fever-clinic visits past a deadline without a result or disposition.
    pub fever_open_loops: u64,
    /// Fever-clinic visits with a deadline in the next hours.
    pub fever_due_soon: u64,
    /// Cold-chain control tasks not yet done.
    pub coldchain_open_tasks: u64,
}

// ---------------------------------------------------------------------------------------------
// Cold chain (imported cold-chain goods, the third of the four pockets): `/api/v1/coldchain`.
// ---------------------------------------------------------------------------------------------

/// A batch of imported cold-chain goods to register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ColdchainBatchCreate {
    /// Unique: up to 64 letters, digits, `-` or `_`.
    pub code: String,
    pub product: String,
    /// ISO 3166 alpha-2 or alpha-3 (`BR`, `BRA`).
    pub origin_country: String,
    pub port_of_entry: String,
    /// The facility code (place code, or id) of a cold-chain store in the caller's
    /// jurisdiction.
    pub cold_store: String,
    /// Greater than 0.
    pub quantity: f64,
    pub unit: String,
    /// `YYYY-MM-DD HH:MM[:SS]` China Standard Time, or RFC 3339 with an offset.
    pub arrived_at: String,
    /// The traceability code (追溯码).
    pub trace_code: String,
    #[serde(default)]
    pub disinfection_cert: Option<String>,
}

/// A batch of imported cold-chain goods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ColdchainBatch {
    pub code: String,
    pub product: String,
    /// ISO 3166-1 alpha-2.
    pub origin_country: String,
    pub port_of_entry: String,
    /// The cold store's facility code.
    pub cold_store: String,
    pub cold_store_name: String,
    /// The cold store's community: the batch's jurisdiction.
    pub jurisdiction_code: String,
    pub quantity: f64,
    pub unit: String,
    /// Milliseconds since the epoch.
    pub arrived_at: i64,
    pub trace_code: String,
    #[serde(default)]
    pub disinfection_cert: Option<String>,
    /// `in_store`, `distributed`, `sealed` or `destroyed`.
    pub status: String,
    #[serde(default)]
    pub sealed_at: Option<i64>,
    /// Whether any result of the batch is positive.
    pub positive: bool,
}

/// A test result of a batch to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ColdchainResultCreate {
    /// `goods`, `packaging` or `environment`.
    pub sample_kind: String,
    /// `negative` or `positive`.
    pub result: String,
    /// When the sample was tested; not before the batch arrived, not in the future.
    pub tested_at: String,
    pub lab: String,
}

/// A test result of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ColdchainResult {
    pub id: i64,
    pub sample_kind: String,
    pub result: String,
    /// Milliseconds since the epoch.
    pub tested_at: i64,
    pub lab: String,
}

/// A place: a facility by code, or a free address with the code of its jurisdiction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ColdchainPlace {
    /// A facility code (place code, or id), anywhere.
    #[serde(default)]
    pub facility: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    /// Required with an address.
    #[serde(default)]
    pub jurisdiction_code: Option<String>,
}

/// A movement of a batch from its cold store downstream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ColdchainDistributionCreate {
    #[serde(flatten)]
    pub place: ColdchainPlace,
    /// Greater than 0, at most what is left in store.
    pub quantity: f64,
    pub moved_at: String,
}

/// A worker who handled a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ColdchainWorkerCreate {
    /// The worker's national ID number; the worker must be in the registry.
    pub id_number: String,
    /// Where the worker handled the batch: a location it reached; the cold store when absent.
    #[serde(flatten)]
    pub place: ColdchainPlace,
    pub handled_at: String,
}

/// What a write to a batch did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ColdchainRecorded {
    /// `false` when the same record was already stored.
    pub created: bool,
    /// Control tasks this write opened.
    pub tasks_created: u64,
    pub batch: ColdchainBatch,
}

/// A place a batch reached: its cold store or one movement downstream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ColdchainLocation {
    /// `cold_store` or `downstream`.
    pub kind: String,
    #[serde(default)]
    pub facility: Option<String>,
    /// The facility's name or the address.
    pub name: String,
    #[serde(default)]
    pub address: Option<String>,
    pub jurisdiction_code: String,
    pub quantity: f64,
    /// Arrival at the cold store, or the movement's time (milliseconds since the epoch).
    pub at: i64,
}

/// A worker who handled a batch (masked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ColdchainWorker {
    pub name: String,
    pub id_number: String,
    /// The community of residence, where the quarantine task goes.
    pub community_code: String,
    /// Where the batch was handled.
    pub location: String,
    pub handled_at: i64,
}

/// A control task opened by a positive batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ColdchainTask {
    pub id: i64,
    pub batch: String,
    /// The positive result that opened it.
    pub result_id: i64,
    /// `seal_and_disinfect` or `quarantine_worker`.
    pub kind: String,
    /// The location's facility code (seal tasks at a facility).
    #[serde(default)]
    pub facility: Option<String>,
    /// The location (facility name or address), or the worker's masked name.
    pub label: String,
    /// The worker's masked ID number (quarantine tasks).
    #[serde(default)]
    pub id_number: Option<String>,
    /// Where the task is routed.
    pub jurisdiction_code: String,
    /// `open` or `done`.
    pub status: String,
    #[serde(default)]
    pub note: Option<String>,
    pub created_at: i64,
    #[serde(default)]
    pub closed_at: Option<i64>,
    #[serde(default)]
    pub closed_by: Option<String>,
}

/// The full downstream trace of a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ColdchainTrace {
    pub batch: ColdchainBatch,
    pub results: Vec<ColdchainResult>,
    pub locations: Vec<ColdchainLocation>,
    pub workers: Vec<ColdchainWorker>,
    pub tasks: Vec<ColdchainTask>,
}

/// Closing a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ColdchainTaskClose {
    pub note: String,
}
// ---------------------------------------------------------------------------------------
// Fever-clinic visits (the fourth pocket of inbound control): `/api/v1/fever/...`.
// ---------------------------------------------------------------------------------------

/// A result recorded directly on a fever-clinic visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FeverResultCreate {
    /// `negative`, `positive` or `inconclusive` (or 阴性, 阳性, 可疑).
    pub outcome: String,
    /// When the result was reported: `YYYY-MM-DD HH:MM` (China Standard Time) or RFC 3339;
    /// now when absent.
    #[serde(default)]
    pub at: Option<String>,
    /// The lab's code.
    pub lab: String,
}

/// A fever-clinic visit to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FeverVisitCreate {
    /// The facility id of the fever clinic.
    pub clinic_id: i64,
    /// The patient's mainland ID number; the patient must be in the registry.
    pub id_number: String,
    /// `YYYY-MM-DD HH:MM` (China Standard Time) or RFC 3339; now when absent.
    #[serde(default)]
    pub visit_at: Option<String>,
    /// Body temperature in °C, 34 to 43.
    pub temperature: f64,
    /// Symptom keys: `cough`, `sore_throat`, `fatigue`, `loss_of_taste_smell`, `diarrhoea`,
    /// `runny_nose`, `muscle_ache`, `shortness_of_breath`.
    #[serde(default)]
    pub symptoms: Vec<String>,
    /// Epidemiological history (流行病学史).
    #[serde(default)]
    pub epi_history: bool,
    /// The code of the sample's tube as the testing module knows it: its latest result
    /// becomes the visit's result.
    #[serde(default)]
    pub tube_code: Option<String>,
    /// A result recorded directly (counts only while the tube has none).
    #[serde(default)]
    pub result: Option<FeverResultCreate>,
}

/// The disposition of a visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FeverDispositionCreate {
    /// `discharged_home`, `home_monitoring`, `home_quarantine`, `admitted` or
    /// `transferred_designated_hospital`.
    pub disposition: String,
    /// `YYYY-MM-DD HH:MM` (China Standard Time) or RFC 3339; now when absent. Not before
    /// the visit.
    #[serde(default)]
    pub at: Option<String>,
}

/// The result of a visit that counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FeverResult {
    /// `negative`, `positive` or `inconclusive`.
    pub outcome: String,
    /// When it was reported (milliseconds since the epoch).
    pub at: i64,
    #[serde(default)]
    pub lab: Option<String>,
    /// `tube` (the linked tube's latest result in testing) or `direct`.
    pub source: String,
}

/// A fever-clinic visit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FeverVisit {
    pub id: i64,
    pub clinic_id: i64,
    pub clinic_name: String,
    /// The clinic's community.
    pub community_code: String,
    pub person_id: i64,
    pub person_name: String,
    /// Masked.
    pub id_number: String,
    /// Milliseconds since the epoch.
    pub visit_at: i64,
    pub temperature: f64,
    pub symptoms: Vec<String>,
    pub epi_history: bool,
    #[serde(default)]
    pub tube_code: Option<String>,
    #[serde(default)]
    pub result: Option<FeverResult>,
    #[serde(default)]
    pub disposition: Option<String>,
    #[serde(default)]
    pub disposition_at: Option<i64>,
    #[serde(default)]
    pub disposition_by: Option<String>,
    /// The visit time plus 12 hours.
    pub result_due_at: i64,
    /// The visit time plus 24 hours.
    pub disposition_due_at: i64,
    pub recorded_at: i64,
    pub recorded_by: String,
}

/// A visit that missed a deadline, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FeverOpenLoop {
    /// `result_overdue`, `disposition_overdue` or `positive_not_transferred`.
    pub reason: String,
    /// When the loop should have been closed (milliseconds since the epoch).
    pub due_at: i64,
    /// Whole hours since `due_at`.
    pub overdue_hours: i64,
    pub visit: FeverVisit,
}

/// The open-loop list: most overdue first, and the visits due within the next 2 hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FeverOpenLoops {
    pub items: Vec<FeverOpenLoop>,
    pub due_soon: u64,
}

// ---- Tracing (epidemiological investigation) ----------------------------------------------

/// A case to register (give `person_id` or `id_number`). Times: `YYYY-MM-DD HH:MM` (China
/// Standard Time) or RFC 3339.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CaseCreate {
    #[serde(default)]
    pub person_id: Option<i64>,
    #[serde(default)]
    pub id_number: Option<String>,
    /// `suspected`, `asymptomatic` or `confirmed`.
    pub classification: String,
    /// `testing_round`, `sentinel`, `inbound`, `contact_follow_up`, `fever_clinic` or `other`.
    pub detection: String,
    #[serde(default)]
    pub source_tube: Option<String>,
    #[serde(default)]
    pub source_alert: Option<String>,
    #[serde(default)]
    pub onset_at: Option<String>,
    /// Now when absent.
    #[serde(default)]
    pub detected_at: Option<String>,
    /// Now when absent.
    #[serde(default)]
    pub reported_at: Option<String>,
    /// `mild`, `moderate`, `severe` or `critical`.
    #[serde(default)]
    pub severity: Option<String>,
}

/// Changes to a case; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CaseUpdate {
    #[serde(default)]
    pub classification: Option<String>,
    #[serde(default)]
    pub severity: Option<String>,
    /// `open`, `recovered` or `died`.
    #[serde(default)]
    pub outcome: Option<String>,
    #[serde(default)]
    pub outcome_at: Option<String>,
    #[serde(default)]
    pub onset_at: Option<String>,
    #[serde(default)]
    pub isolated_at: Option<String>,
    #[serde(default)]
    pub admitted_at: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A case (times in milliseconds since the epoch).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TraceCase {
    pub id: i64,
    pub person_id: i64,
    /// Masked.
    pub person_name: String,
    /// Masked.
    pub id_number: String,
    pub community_code: String,
    pub classification: String,
    pub detection: String,
    pub source_tube: Option<String>,
    pub source_alert: Option<String>,
    pub onset_at: Option<i64>,
    pub detected_at: i64,
    pub reported_at: i64,
    pub isolated_at: Option<i64>,
    pub admitted_at: Option<i64>,
    pub severity: Option<String>,
    pub outcome: String,
    pub outcome_at: Option<i64>,
    pub itinerary_completed_at: Option<i64>,
    pub contacts_completed_at: Option<i64>,
    pub contacts_controlled_at: Option<i64>,
    /// Hours from report to the itinerary complete.
    pub itinerary_hours: Option<f64>,
    /// Hours from report to every confirmed contact under control.
    pub contacts_hours: Option<f64>,
}

/// An entry of a case's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CaseEvent {
    pub at: i64,
    /// `registered`, `reclassified`, `severity`, `outcome`, `onset`, `isolated`, `admitted`,
    /// `itinerary_completed`, `contacts_completed`.
    pub kind: String,
    pub from_value: Option<String>,
    pub to_value: Option<String>,
    pub note: Option<String>,
    pub actor: String,
}

/// An itinerary entry to record: a venue (`place_code` or `venue_id`), an address, or
/// transport (`transport_kind` and `transport_no`, with carriage and seat).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ItineraryEntryCreate {
    pub start_at: String,
    pub end_at: String,
    #[serde(default)]
    pub place_code: Option<String>,
    #[serde(default)]
    pub venue_id: Option<i64>,
    #[serde(default)]
    pub address: Option<String>,
    /// `train`, `flight`, `bus`, `metro`, `taxi` or `ship`.
    #[serde(default)]
    pub transport_kind: Option<String>,
    #[serde(default)]
    pub transport_no: Option<String>,
    #[serde(default)]
    pub carriage: Option<String>,
    #[serde(default)]
    pub seat: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Entries to add to an itinerary (all or none).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ItineraryCreate {
    pub entries: Vec<ItineraryEntryCreate>,
}

/// An itinerary entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ItineraryEntry {
    pub id: i64,
    pub start_at: i64,
    pub end_at: i64,
    pub venue_id: Option<i64>,
    pub venue_name: Option<String>,
    pub place_code: Option<String>,
    pub address: Option<String>,
    pub transport_kind: Option<String>,
    pub transport_no: Option<String>,
    pub carriage: Option<String>,
    pub seat: Option<String>,
    pub note: Option<String>,
}

/// A contact of a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TraceContact {
    pub id: i64,
    pub case_id: i64,
    pub person_id: i64,
    /// Masked.
    pub person_name: String,
    /// Masked.
    pub id_number: String,
    pub community_code: String,
    /// `close`, `secondary` or `space_time`.
    pub degree: String,
    pub via_contact_id: Option<i64>,
    /// `household`, `work`, `venue`, `transport` or `other`.
    pub setting: String,
    pub venue_id: Option<i64>,
    pub venue_name: Option<String>,
    pub last_exposure_at: i64,
    pub overlap_minutes: Option<i64>,
    /// `confirmed` or `dismissed`.
    pub status: String,
    pub measure_id: Option<i64>,
    pub measure_status: Option<String>,
    pub controlled_at: Option<i64>,
    pub decided_at: i64,
    pub decided_by: String,
    pub note: Option<String>,
}

/// A decision on a contact.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ContactDecision {
    pub person_id: i64,
    /// `close` (default), `secondary` or `space_time`.
    #[serde(default)]
    pub degree: Option<String>,
    /// For a secondary contact: the confirmed close contact's id.
    #[serde(default)]
    pub via_contact_id: Option<i64>,
    pub setting: String,
    #[serde(default)]
    pub venue_id: Option<i64>,
    pub last_exposure_at: String,
    #[serde(default)]
    pub overlap_minutes: Option<i64>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A transmission link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TransmissionLink {
    pub id: i64,
    pub infector_case_id: i64,
    pub infectee_case_id: i64,
    /// `confirmed`, `probable` or `possible`.
    pub confidence: String,
    pub setting: String,
    pub note: Option<String>,
    pub created_at: i64,
    pub created_by: String,
}

/// A link to record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LinkCreate {
    pub infector_case_id: i64,
    pub infectee_case_id: i64,
    pub confidence: String,
    pub setting: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// A case with its history, itinerary, contacts and links.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CaseDetail {
    pub case: TraceCase,
    pub events: Vec<CaseEvent>,
    pub itinerary: Vec<ItineraryEntry>,
    pub contacts: Vec<TraceContact>,
    pub infected_by: Option<TransmissionLink>,
    pub infected: Vec<TransmissionLink>,
    /// The itinerary's look-back window.
    pub lookback_from: i64,
    pub lookback_to: i64,
}

/// A venue (a facility with a place code).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Venue {
    pub id: i64,
    pub place_code: String,
    pub name: String,
    pub kind: String,
    pub subtype: String,
    pub community_code: String,
}

/// A person exposed at a case's places (or living with the case): a candidate contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ExposureCandidate {
    pub person_id: i64,
    /// Masked.
    pub person_name: String,
    /// Masked.
    pub id_number: String,
    pub community_code: String,
    /// `venue` or `household`.
    pub setting: String,
    pub venue: Option<Venue>,
    /// Minutes of overlap, margin included.
    pub overlap_minutes: i64,
    pub first_at: i64,
    /// The last exposure.
    pub last_at: i64,
    pub pairs: u32,
    /// Whether the person lives inside the caller's jurisdiction.
    pub in_scope: bool,
}

/// A check-in (a scan of a place code).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CheckinCreate {
    pub person_id: i64,
    pub venue_id: i64,
    pub time_in: String,
    #[serde(default)]
    pub time_out: Option<String>,
}

/// What a check-in import did: valid rows stored, rows already stored, refused rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CheckinImportReport {
    pub file: String,
    pub rows: u64,
    pub stored: u64,
    pub already_stored: u64,
    pub refused: Vec<FieldError>,
}

/// A node of the chain graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChainNode {
    pub case_id: i64,
    /// The masked name; absent for a case outside the caller's jurisdiction.
    pub label: Option<String>,
    pub classification: String,
    pub community_code: String,
    pub onset: Option<String>,
    pub reported: String,
    pub generation: u32,
    pub cluster: Option<u32>,
}

/// An edge of the chain graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChainEdge {
    pub link_id: i64,
    pub infector: i64,
    pub infectee: i64,
    pub confidence: String,
    pub setting: String,
    pub serial_days: Option<i64>,
}

/// A cluster: cases connected by links.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChainCluster {
    pub id: u32,
    pub cases: Vec<i64>,
    pub root: i64,
    pub generations: u32,
    pub first_reported: String,
    pub last_reported: String,
}

/// The observed serial intervals (days from infector's to infectee's onset).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SerialIntervalSummary {
    pub n: u64,
    pub mean: f64,
    pub sd: Option<f64>,
    pub median: f64,
    pub min: i64,
    pub max: i64,
}

/// The transmission chains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Chains {
    pub nodes: Vec<ChainNode>,
    pub edges: Vec<ChainEdge>,
    pub clusters: Vec<ChainCluster>,
    pub serial_interval: Option<SerialIntervalSummary>,
}

/// Tracing timeliness of a county (or, with an empty code, the caller's whole jurisdiction).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TracingTimeliness {
    pub code: String,
    pub name: String,
    pub cases: u64,
    pub itinerary_done: u64,
    pub itinerary_median_hours: Option<f64>,
    pub itinerary_within_24h: u64,
    pub contacts_done: u64,
    pub contacts_median_hours: Option<f64>,
    pub contacts_within_24h: u64,
}

/// A suspected case from testing (a positive single tube) waiting to be registered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PendingCase {
    pub person_id: i64,
    /// Masked.
    pub person_name: String,
    /// Masked.
    pub id_number: String,
    pub community_code: String,
    pub tube_code: String,
    pub flagged_at: i64,
}

/// A household member of a confirmed close contact: a candidate secondary contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SecondaryCandidate {
    /// The close contact they would be exposed through.
    pub via_contact_id: i64,
    pub person_id: i64,
    /// Masked.
    pub person_name: String,
    /// Masked.
    pub id_number: String,
    pub community_code: String,
    /// The close contact's last exposure to the case.
    pub last_exposure_at: i64,
}

// ---------------------------------------------------------------------------------------------
// Isolation (/api/v1/isolation) and treatment (/api/v1/treatment)
// ---------------------------------------------------------------------------------------------

/// A quarantine site with its room counts now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IsolationSite {
    pub id: i64,
    pub name: String,
    /// `hotel`, `centralized` or `makeshift`.
    pub kind: String,
    pub community_code: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// Hours a vacated room is cleaned before it is used again.
    pub turnaround_hours: i64,
    pub rooms: i64,
    pub beds: i64,
    pub occupied: i64,
    pub occupants: i64,
    pub cleaning: i64,
    pub out_of_service: i64,
    pub free: i64,
}

/// A room with its status now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IsolationRoom {
    pub id: i64,
    pub site_id: i64,
    pub number: String,
    pub beds: i64,
    pub accessible: bool,
    /// `free`, `occupied`, `cleaning` or `out_of_service`.
    pub status: String,
    pub occupants: i64,
    /// When a room being cleaned is ready (milliseconds since the epoch).
    pub ready_at: Option<i64>,
    pub out_of_service_reason: Option<String>,
}

/// A team deployment (dates `YYYY-MM-DD`, inclusive).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TeamDeployment {
    pub id: i64,
    pub team_id: i64,
    pub team_name: String,
    pub facility_id: i64,
    pub facility_name: String,
    pub facility_kind: String,
    pub starts_on: String,
    pub ends_on: String,
}

/// A site with its rooms, open stays and the teams on duty today.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IsolationSiteDetail {
    pub site: IsolationSite,
    pub rooms: Vec<IsolationRoom>,
    pub stays: Vec<IsolationStay>,
    pub on_duty: Vec<TeamDeployment>,
}

/// A stay at a site (times in milliseconds since the epoch, days `YYYY-MM-DD`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IsolationStay {
    pub id: i64,
    pub person_id: i64,
    /// Masked.
    pub person_name: String,
    /// Masked.
    pub id_number: String,
    pub measure_id: i64,
    pub site_id: i64,
    pub site_name: String,
    pub room_id: i64,
    pub room_number: String,
    /// `placed`, `in` or `out`.
    pub status: String,
    pub planned_release_on: String,
    pub placed_at: i64,
    pub placed_by: String,
    /// The allocator's reasons (JSON `{"zh": [...], "en": [...]}`) or `{"override": reason}`.
    pub explanation: String,
    pub overridden: bool,
    pub checked_in_at: Option<i64>,
    pub checked_out_at: Option<i64>,
    /// `released`, `hospital` or `cancelled`.
    pub outcome: Option<String>,
    pub outcome_note: Option<String>,
    pub certificate_no: Option<String>,
}

/// A stay with what still blocks its release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IsolationStayDetail {
    pub stay: IsolationStay,
    /// Each unmet release criterion, in English.
    pub blockers: Vec<String>,
    /// Whether the release also ends the control measure.
    pub ends_measure: bool,
    pub measure_status: String,
}

/// A person waiting for a room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PlacementQueueEntry {
    pub measure_id: i64,
    pub person_id: i64,
    /// Masked.
    pub person_name: String,
    /// Masked.
    pub id_number: String,
    pub community_code: String,
    pub pocket: String,
    pub age: u32,
    pub elderly: bool,
    pub child: bool,
    pub disability: bool,
    pub household_key: i64,
    pub centralised_from: String,
    pub centralised_to: String,
}

/// Which queued people to propose rooms for (all when absent).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PlacementProposalRequest {
    #[serde(default)]
    pub measure_ids: Option<Vec<i64>>,
}

/// One proposed placement with the allocator's reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProposedPlacement {
    pub measure_id: i64,
    pub person_id: i64,
    pub site_id: i64,
    pub site_name: String,
    pub room_id: i64,
    pub room_number: String,
    pub distance_km: f64,
    pub notes_zh: Vec<String>,
    pub notes_en: Vec<String>,
}

/// Someone the allocator could not place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProposedUnplaced {
    pub measure_id: i64,
    pub person_id: i64,
    pub reason_zh: String,
    pub reason_en: String,
}

/// An allocation proposal; nothing is stored until it is committed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PlacementProposal {
    pub placements: Vec<ProposedPlacement>,
    pub unplaced: Vec<ProposedUnplaced>,
    pub households: usize,
    pub split_households: usize,
    pub free_rooms: usize,
}

/// A placement to commit; a room other than the proposal's needs `override_reason`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PlacementCommit {
    pub measure_id: i64,
    pub room_id: i64,
    #[serde(default)]
    pub override_reason: Option<String>,
}

/// Placements to commit, all or nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PlacementCommitRequest {
    pub placements: Vec<PlacementCommit>,
    /// The measures the proposal was made for, when only some of its rows are committed
    /// (by default, the committed ones): the proposal is made again for them, so the rooms
    /// compared are the ones staff saw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposed_for: Option<Vec<i64>>,
}

/// A reason (cancellations, out of service).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReasonBody {
    #[serde(default)]
    pub reason: Option<String>,
}

/// A site's turnaround rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TurnaroundBody {
    pub turnaround_hours: i64,
}

/// An early transfer of a stay to a designated hospital.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StayTransfer {
    pub hospital_id: i64,
    /// `general`, `icu` or `isolation`.
    pub bed_type: String,
    /// `mild`, `moderate`, `severe` or `critical`.
    pub severity: String,
    pub note: String,
}

/// The result of an early transfer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StayTransferResult {
    pub stay: IsolationStay,
    pub admission_id: i64,
}

/// One forecast day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CapacityForecastDay {
    pub date: String,
    pub arrivals: f64,
    pub departures: f64,
    pub occupied: f64,
    pub cleaning: f64,
    pub free: f64,
}

/// A pool's forecast over the next 14 days: `rooms` or a bed type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CapacityForecast {
    pub pool: String,
    pub today: String,
    pub capacity: i64,
    pub occupied: i64,
    pub cleaning: i64,
    pub length_of_stay: u32,
    pub inflow_per_day: f64,
    pub days: Vec<CapacityForecastDay>,
    /// The first day with fewer than zero free units, when one comes within the horizon.
    pub runs_out_on: Option<String>,
    /// Where the arrivals come from: `scenario` (a scenario forecast younger than two
    /// days, `scenario_id`) or `trend` (the last 14 days' straight line).
    pub source: String,
    pub scenario_id: Option<i64>,
}

/// A hospital with beds and occupancy by type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Hospital {
    pub id: i64,
    pub name: String,
    /// `designated` or `general`.
    pub kind: String,
    pub community_code: String,
    pub beds_general: i64,
    pub beds_icu: i64,
    pub beds_isolation: i64,
    pub occupied_general: i64,
    pub occupied_icu: i64,
    pub occupied_isolation: i64,
}

/// A patient to admit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AdmissionCreate {
    pub person_id: i64,
    pub hospital_id: i64,
    pub bed_type: String,
    pub severity: String,
}

/// An admission (times in milliseconds since the epoch).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Admission {
    pub id: i64,
    pub person_id: i64,
    /// Masked.
    pub person_name: String,
    /// Masked.
    pub id_number: String,
    pub case_id: Option<i64>,
    pub hospital_id: i64,
    pub hospital_name: String,
    pub bed_type: String,
    pub severity: String,
    pub admitted_at: i64,
    pub admitted_by: String,
    pub from_admission_id: Option<i64>,
    pub from_stay_id: Option<i64>,
    pub discharged_at: Option<i64>,
    pub outcome: Option<String>,
    pub outcome_note: Option<String>,
}

/// One entry of an admission's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AdmissionEvent {
    pub at: i64,
    pub kind: String,
    pub detail: String,
    pub actor: String,
}

/// An admission with its history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AdmissionDetail {
    pub admission: Admission,
    pub events: Vec<AdmissionEvent>,
}

/// A transfer to another ward or designated hospital.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AdmissionTransfer {
    pub hospital_id: i64,
    pub bed_type: String,
    pub severity: String,
}

/// A discharge: `recovered`, `died` or `other`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AdmissionDischarge {
    pub outcome: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// A change of severity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SeverityBody {
    pub severity: String,
}

/// A team member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TeamMember {
    pub name: String,
    /// e.g. `respiratory`, `critical_care`, `nursing`.
    pub specialty: String,
    #[serde(default)]
    pub leader: bool,
}

/// A team to create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TeamCreate {
    pub name: String,
    pub jurisdiction_code: String,
    pub members: Vec<TeamMember>,
}

/// A team with its members and where it is now and next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Team {
    pub id: i64,
    pub name: String,
    pub jurisdiction_code: String,
    pub members: Vec<TeamMember>,
    pub current: Option<TeamDeployment>,
    pub next: Option<TeamDeployment>,
    pub resting_days: Option<i64>,
}

/// A deployment to make (days `YYYY-MM-DD`, inclusive); `rotate_out` hands over from that
/// deployment of another team at the facility, which ends the day before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeploymentCreate {
    pub facility_id: i64,
    pub starts_on: String,
    pub ends_on: String,
    #[serde(default)]
    pub rotate_out: Option<i64>,
}

/// A room of a site to set up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RoomCreate {
    pub number: String,
    pub beds: i64,
    /// Suitable for the elderly and the disabled.
    #[serde(default)]
    pub accessible: bool,
}

/// A quarantine site to set up with its rooms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SiteCreate {
    pub name: String,
    /// `hotel`, `centralized` or `makeshift`.
    pub kind: String,
    pub community_code: String,
    pub lon: f64,
    pub lat: f64,
    /// Hours a vacated room is cleaned before reuse (default 24).
    #[serde(default = "default_turnaround")]
    pub turnaround_hours: i64,
    pub rooms: Vec<RoomCreate>,
}

fn default_turnaround() -> i64 {
    24
}

/// A health check of a person staying at a site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StayHealthCheck {
    pub temperature: f64,
    /// e.g. `cough`, `sore_throat`.
    #[serde(default)]
    pub symptoms: Vec<String>,
    /// `YYYY-MM-DD`, today when absent.
    #[serde(default)]
    pub day: Option<String>,
}

// ---- Sentinel surveillance and early warning ------------------------------------------------

/// An indicator a sentinel type reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SentinelIndicator {
    /// The key used in reports, e.g. `fever_medicine_sales`.
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
}

/// A sentinel type with its indicators and reporting deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SentinelTypeInfo {
    /// `fever_clinic`, `pharmacy`, `primary_clinic`, `school`, `market`, `cold_chain_store`,
    /// `transport_hub`, `quarantine_hotel`, `community` or `key_enterprise`.
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    pub indicators: Vec<SentinelIndicator>,
    /// The report of a day is due this many minutes after the end of the day (China
    /// Standard Time); 600 is 10:00 the next morning.
    pub deadline_minutes: u32,
}

/// A new reporting deadline of a type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SentinelDeadlineUpdate {
    /// Minutes after the end of the reported day, 0 to 2880.
    pub deadline_minutes: i64,
}

/// A sentinel with its reporting state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SentinelInfo {
    /// The facility id.
    pub id: i64,
    pub name: String,
    pub sentinel_type: String,
    pub community_code: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// The latest day whose report is due by now (`YYYY-MM-DD`).
    pub due_day: String,
    /// When that report was due, Unix ms.
    pub due_at: i64,
    /// The last day it reported, if ever.
    pub last_day: Option<String>,
    /// Whether the report of `due_day` is missing (the sentinel is flagged).
    pub missing: bool,
}

/// Sentinels and how many of them miss their due report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SentinelList {
    pub items: Vec<SentinelInfo>,
    pub missing: u64,
}

/// One daily count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SentinelReportRow {
    /// The sentinel's facility id.
    pub sentinel_id: i64,
    /// The reported day, `YYYY-MM-DD` (China Standard Time).
    pub day: String,
    /// An indicator key of the sentinel's type (see `GET /api/v1/sentinels/types`).
    pub indicator: String,
    pub count: i64,
}

/// A batch of daily counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SentinelReportsBatch {
    pub reports: Vec<SentinelReportRow>,
}

/// A stored daily count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SentinelReport {
    pub sentinel_id: i64,
    pub day: String,
    pub indicator: String,
    pub count: i64,
    /// `form`, `api`, `file` or `demo`.
    pub source: String,
    pub reported_at: i64,
    pub reported_by: String,
    /// How many times the count was corrected.
    pub revisions: i64,
}

/// A request to run aberration detection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AberrationRunRequest {
    /// The day judged, `YYYY-MM-DD`; the latest day due under the 10:00 deadline when absent.
    #[serde(default)]
    pub day: Option<String>,
}

/// What a run of aberration detection did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AberrationRun {
    pub day: String,
    /// Series read: sentinel × indicator, and the aggregates by township, county and city.
    pub series: u64,
    /// Series judged on the day, by method (`ears-c2`, `farrington`).
    pub evaluated: std::collections::BTreeMap<String, u64>,
    /// Alarms before grouping across levels.
    pub alarms: u64,
    /// Signals after grouping: one per alert.
    pub signals: u64,
    /// Alerts created, by id.
    pub created: Vec<i64>,
    /// Open alerts extended by another day of signal.
    pub extended: u64,
    /// Signals already recorded (the run was repeated).
    pub unchanged: u64,
}

/// An alert of the daily run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SentinelAlert {
    pub id: i64,
    pub sentinel_type: String,
    pub indicator: String,
    /// The most local level that alarmed: `sentinel`, `township`, `county` or `city`.
    pub level: String,
    /// Every level that alarmed with it, most local first.
    pub levels: Vec<String>,
    pub sentinel_id: Option<i64>,
    pub sentinel_name: Option<String>,
    /// The sentinel's community, or the jurisdiction of an aggregate.
    pub community_code: String,
    pub jurisdiction_name: Option<String>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub first_day: String,
    pub last_day: String,
    /// Days with a signal since `first_day`.
    pub signal_days: i64,
    pub observed: i64,
    /// The method's upper bound on the last signal day.
    pub threshold: f64,
    pub expected: Option<f64>,
    /// `observed / max(threshold, 1)`.
    pub strength: f64,
    /// The first alert of its series in 7 days.
    pub novel: bool,
    /// The rank: strength, doubled when novel.
    pub score: f64,
    /// `ears-c2` or `farrington`.
    pub method: String,
    /// `new`, `verifying`, `confirmed` or `dismissed`.
    pub status: String,
    pub assignee: Option<String>,
    /// When the run raised it, Unix ms.
    pub signal_at: i64,
    pub verifying_at: Option<i64>,
    pub closed_at: Option<i64>,
    /// Hours from the signal to the start of verification.
    pub hours_to_verifying: Option<f64>,
    /// Hours from the signal to the verdict (confirmed or dismissed).
    pub hours_to_verification: Option<f64>,
}

/// Timeliness of alert verification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AlertTimeliness {
    pub open: u64,
    pub closed: u64,
    pub confirmed: u64,
    pub median_hours: Option<f64>,
    pub mean_hours: Option<f64>,
    pub within_24h: u64,
}

/// A list of alerts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SentinelAlertList {
    pub items: Vec<SentinelAlert>,
    /// New alerts matching the caller's subscription.
    pub notifications: u64,
    pub timeliness: AlertTimeliness,
}

/// One entry of an alert's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SentinelAlertEvent {
    pub at: i64,
    /// `signal`, `signal_again`, `status`, `assign` or `note`.
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub assignee: Option<String>,
    pub note: Option<String>,
    pub actor: String,
}

/// An alert with its history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SentinelAlertDetail {
    pub alert: SentinelAlert,
    pub events: Vec<SentinelAlertEvent>,
}

/// A step of an alert's workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AlertStatusChange {
    /// `verifying`, `confirmed` or `dismissed`.
    pub status: String,
    /// Required when dismissing.
    #[serde(default)]
    pub note: Option<String>,
}

/// Who verifies an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AlertAssignment {
    /// Absent or empty clears it.
    #[serde(default)]
    pub assignee: Option<String>,
}

/// A note on an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AlertNote {
    pub note: String,
}

/// What the caller is notified of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SentinelSubscription {
    /// Sentinel types; empty means all.
    #[serde(default)]
    pub types: Vec<String>,
    /// Indicators; empty means all.
    #[serde(default)]
    pub indicators: Vec<String>,
    /// Alerts that alarmed at least at this level: `sentinel` (all), `township`, `county`,
    /// `city`.
    pub min_level: String,
    /// Alerts at least this strong.
    #[serde(default)]
    pub min_strength: f64,
}

/// An Rt estimate over one window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RtWindow {
    pub t_start: String,
    pub t_end: String,
    pub mean: f64,
    pub std: f64,
    pub q025: f64,
    pub q975: f64,
}

/// The epidemic curve, Rt and growth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EpidemicAnalysis {
    /// One date a day, `YYYY-MM-DD`.
    pub days: Vec<String>,
    /// Cases by day of onset.
    pub by_onset: Vec<u32>,
    /// Cases by day of report.
    pub by_report: Vec<u32>,
    /// Cori et al. 2013 on the report-date incidence, sliding weekly windows.
    pub rt: Vec<RtWindow>,
    /// Doubling time over the last 7 days (negative: halving), when every day had a case.
    pub doubling_days: Option<f64>,
    /// Cases reported on each of the next 14 days by the renewal equation with the last
    /// window's Rt (`fangkong_epi::rt::forecast`: the band is the 2.5% Poisson quantile of the
    /// path with Rt at its 2.5% quantile and the 97.5% one of the path at its 97.5%);
    /// empty when there is no Rt.
    #[serde(default)]
    pub forecast: Vec<CaseForecastDay>,
    pub si_mean: f64,
    pub si_sd: f64,
}

/// One day of the case forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CaseForecastDay {
    pub date: String,
    pub mean: f64,
    pub lower: f64,
    pub upper: f64,
}

/// One recorded vaccine dose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct VaccinationDose {
    pub id: i64,
    pub person_id: i64,
    pub dose_number: u32,
    /// Product key (`coronavac`, `bibp`, …).
    pub product: String,
    pub product_name: String,
    /// `YYYY-MM-DD`.
    pub vaccinated_on: String,
    pub lot: Option<String>,
    pub site: Option<String>,
    /// `file:NAME`, `form` or `fhir`.
    pub source: String,
}

/// A person's doses and the status they make.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PersonImmunization {
    pub person_id: i64,
    pub doses: Vec<VaccinationDose>,
    pub first_on: Option<String>,
    pub full_on: Option<String>,
    pub booster_on: Option<String>,
    /// When the next dose is due (none once boosted).
    pub next_due_on: Option<String>,
    /// Whether that day is past.
    pub overdue: bool,
}

/// A dose entered by hand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DoseRecordRequest {
    pub person_id: i64,
    pub dose_number: u32,
    /// Product key, name or CVX code.
    pub product: String,
    /// `YYYY-MM-DD`.
    pub vaccinated_on: String,
    pub lot: Option<String>,
    pub site: Option<String>,
}

/// Population and persons at each level in one age band (`band`: `80+`, `60+`, `60-79`,
/// `15-59`, `0-14` or `all`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CoverageCounts {
    pub band: String,
    pub population: i64,
    pub first: i64,
    pub full: i64,
    pub booster: i64,
    pub first_rate: f64,
    pub full_rate: f64,
    pub booster_rate: f64,
}

/// Coverage of one area, its bands elderly first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AreaCoverageReport {
    pub code: String,
    pub name: String,
    pub bands: Vec<CoverageCounts>,
}

/// Coverage of a jurisdiction and its children against the registered population.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CoverageReport {
    /// The day ages are computed on.
    pub date: String,
    pub total: AreaCoverageReport,
    pub areas: Vec<AreaCoverageReport>,
}

/// Cumulative persons at each level on a day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CoverageTrendPoint {
    pub day: String,
    pub first: i64,
    pub full: i64,
    pub booster: i64,
}

/// One person of an outreach list (identifiers masked).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OutreachEntry {
    pub person_id: i64,
    pub name: String,
    pub sex: String,
    pub age: u32,
    pub id_number_masked: String,
    pub phone_masked: Option<String>,
    pub community_code: String,
    pub doses: i64,
    pub last_on: Option<String>,
    pub next_due_on: Option<String>,
    /// `unvaccinated` or `overdue`.
    pub reason: String,
}

/// A page of an outreach list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OutreachList {
    pub total: i64,
    pub entries: Vec<OutreachEntry>,
}

// ---- Supplies (物资保障) ----

/// Units of an item consumed per unit of activity (the consumption model).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SupplyRates {
    #[serde(default)]
    pub per_sample: f64,
    /// Per sampler shift (a set of protective clothing for one sampler's shift; 400 samples).
    #[serde(default)]
    pub per_sampler_shift: f64,
    #[serde(default)]
    pub per_quarantine_day: f64,
    #[serde(default)]
    pub per_bed_day_general: f64,
    #[serde(default)]
    pub per_bed_day_icu: f64,
    #[serde(default)]
    pub per_bed_day_isolation: f64,
    #[serde(default)]
    pub per_team_day: f64,
}

/// An item with its unit, pack size, reserve target and consumption model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SupplyItem {
    pub id: i64,
    pub code: String,
    pub name: String,
    /// `ppe`, `sampling`, `reagent`, `disinfectant`, `device`, `medicine`.
    pub category: String,
    pub unit: String,
    pub pack_size: i64,
    /// The reserve target: days of demand at the forecast peak.
    pub target_days: i64,
    pub rates: SupplyRates,
}

/// A new item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SupplyItemCreate {
    pub code: String,
    pub name: String,
    pub category: String,
    pub unit: String,
    pub pack_size: i64,
    #[serde(default = "default_target_days")]
    pub target_days: i64,
    #[serde(default)]
    pub rates: SupplyRates,
}

fn default_target_days() -> i64 {
    30
}

/// An item's consumption model and reserve target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SupplyModel {
    pub target_days: i64,
    pub rates: SupplyRates,
}

/// A warehouse (a facility of kind `warehouse`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Warehouse {
    pub id: i64,
    pub name: String,
    /// `city_reserve`, `county_reserve` or `site_store`.
    pub kind: String,
    pub community_code: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

/// A new warehouse.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WarehouseCreate {
    pub name: String,
    pub kind: String,
    pub community_code: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

/// The balance of one batch at a warehouse.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StockBalance {
    pub warehouse_id: i64,
    pub item_id: i64,
    pub lot: String,
    pub expires_on: Option<String>,
    pub quantity: i64,
    pub expired: bool,
}

/// One line of a movement request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MovementLineInput {
    /// The item's code.
    pub item: String,
    /// Units: positive; in an adjustment the sign says which way.
    pub quantity: i64,
    /// The batch; required for receipts, adjustments and write-offs. An issue or transfer
    /// without it takes batches first-expiry-first-out.
    #[serde(default)]
    pub lot: Option<String>,
    /// `YYYY-MM-DD`, for a batch received the first time.
    #[serde(default)]
    pub expires_on: Option<String>,
}

/// A movement to post: all lines or none. The same idempotency key with the same request
/// answers the stored movement; with another request it is refused (409).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MovementCreate {
    pub idempotency_key: String,
    /// `receipt`, `issue`, `transfer`, `adjustment` or `write_off`.
    pub kind: String,
    pub warehouse_id: i64,
    /// The destination of a transfer.
    #[serde(default)]
    pub to_warehouse_id: Option<i64>,
    #[serde(default)]
    pub note: String,
    pub lines: Vec<MovementLineInput>,
}

/// A ledger line as posted (signed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MovementLine {
    pub warehouse_id: i64,
    pub item_id: i64,
    pub lot: String,
    pub expires_on: Option<String>,
    pub quantity: i64,
}

/// A movement of the ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Movement {
    pub id: i64,
    pub idempotency_key: String,
    pub kind: String,
    pub warehouse_id: i64,
    pub to_warehouse_id: Option<i64>,
    pub note: String,
    pub recorded_at: i64,
    pub recorded_by: String,
    pub lines: Vec<MovementLine>,
    /// True when this answer replays a movement posted before with the same key.
    pub replayed: bool,
}

/// One counted batch of a stock-take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StockCount {
    pub item: String,
    pub lot: String,
    pub counted: i64,
}

/// A stock-take: the counts of some batches of a warehouse.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StocktakeCreate {
    pub idempotency_key: String,
    pub counts: Vec<StockCount>,
}

/// What a stock-take posted: the adjustment, or none when every count matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StocktakeResult {
    pub adjustment: Option<Movement>,
}

/// One cell of the reserves board: an item at a warehouse.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SupplyCell {
    pub warehouse_id: i64,
    pub item_id: i64,
    pub on_hand: i64,
    /// Units not expired.
    pub usable: i64,
    pub expiring_30: i64,
    /// Units issued per day over the last 14 days.
    pub burn_rate: f64,
    /// Usable units over the burn rate; null when nothing is issued.
    pub days_of_supply: Option<f64>,
}

/// The reserves board: days of supply, item × warehouse.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SuppliesBoard {
    pub items: Vec<SupplyItem>,
    pub warehouses: Vec<Warehouse>,
    pub cells: Vec<SupplyCell>,
}

/// An item's demand forecast for a county.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SupplyForecast {
    pub item_id: i64,
    pub item_code: String,
    pub county: String,
    pub on_hand: i64,
    /// Demand per day from tomorrow, 30 days.
    pub daily: Vec<f64>,
    pub demand_14: i64,
    pub demand_30: i64,
    pub peak_daily: f64,
    pub target: i64,
    pub reorder: i64,
    /// Days the usable stock covers the forecast; null when it outlasts it.
    pub runs_out_after_days: Option<u32>,
    /// Issued per day over the last 14 days (ledger) and the model's consumption of the
    /// activity measured over those days, per day.
    pub ledger_per_day: f64,
    pub model_per_day: f64,
    /// The scenario forecast whose quarantine person-days (home and centralised) the
    /// demand includes, when one younger than two days covers the county.
    pub scenario_id: Option<i64>,
}

/// A reorder alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SupplyAlert {
    pub item_id: i64,
    pub item_code: String,
    pub item_name: String,
    pub unit: String,
    pub county: String,
    pub on_hand: i64,
    pub target: i64,
    /// Units to order, whole packs.
    pub reorder: i64,
    pub runs_out_on: Option<String>,
}

/// A suggested transfer, explained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TransferSuggestion {
    pub item_id: i64,
    pub item_code: String,
    pub from_warehouse_id: i64,
    pub to_warehouse_id: i64,
    pub quantity: i64,
    pub distance_m: i64,
    pub reason_zh: String,
    pub reason_en: String,
}

/// The transfer suggestions of an item and what they achieve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TransferPlan {
    pub item_id: i64,
    pub item_code: String,
    pub shortage_before: i64,
    pub shortage_after: i64,
    pub transfers: Vec<TransferSuggestion>,
}

// ---- Co-investigation (协查), command (指令, 值班值守) and federation ----

/// One item of a co-investigation list given inline: exactly one of `id_number`, `phone`,
/// `place`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CoItemInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    #[serde(default)]
    pub note: String,
}

/// A co-investigation task to create, with its list inline.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CoTaskCreate {
    pub title: String,
    pub reason: String,
    pub source: String,
    /// `YYYY-MM-DD HH:MM` (China time) or RFC 3339.
    pub deadline: String,
    /// The jurisdiction the list is for; the caller's own when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_code: Option<String>,
    pub items: Vec<CoItemInput>,
}

/// A task with its progress inside the caller's jurisdiction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CoTask {
    pub id: i64,
    /// The same on every federated instance.
    pub uid: String,
    pub origin_code: String,
    pub jurisdiction_code: String,
    pub upstream_peer: Option<String>,
    pub downstream_peer: Option<String>,
    pub title: String,
    pub reason: String,
    pub source: String,
    pub deadline_at: i64,
    pub created_at: i64,
    pub n_items: i64,
    pub total: i64,
    pub done: i64,
    pub overdue: i64,
    pub waiting_here: i64,
}

/// What creating a task did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CoTaskCreated {
    pub task: CoTask,
    pub replayed: bool,
    pub resolved: usize,
    pub pushed_to: Option<String>,
}

/// An item of a task (the subject masked).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CoItem {
    pub id: i64,
    pub task_id: i64,
    pub seq: i64,
    /// `person_id`, `phone` or `place`.
    pub kind: String,
    pub subject_masked: String,
    pub place: String,
    pub note: String,
    pub person_id: Option<i64>,
    pub assigned_code: String,
    /// `receiving` (waiting at the receiving level), `auto` (by residence) or `manual`.
    pub assigned_how: String,
    /// `open` or `done`.
    pub status: String,
    pub outcome: Option<String>,
    pub outcome_note: String,
    pub measure_id: Option<i64>,
    pub forwarded_to: Option<String>,
    pub fed_back_at: Option<i64>,
    pub escalated_to: Option<String>,
    pub escalated_at: Option<i64>,
}

/// Assign items by hand.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CoAssign {
    pub item_ids: Vec<i64>,
    pub code: String,
}

/// Feedback of one item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CoFeedback {
    pub item_id: i64,
    /// `controlled`, `not_found`, `left_area`, `forwarded` or `duplicate`.
    pub outcome: String,
    #[serde(default)]
    pub note: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarded_to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measure_id: Option<i64>,
    /// For `controlled` of a resident on record: open the control measure the policy gives
    /// (through the inbound measures), once per item.
    #[serde(default)]
    pub open_measure: bool,
}

/// A batch of feedback: all applied or none.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CoFeedbackBatch {
    pub entries: Vec<CoFeedback>,
}

/// A count of changed rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Changed {
    pub changed: u64,
}

/// One row of completion statistics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CoStatRow {
    /// A county code, or a deadline day.
    pub key: String,
    pub total: i64,
    pub done: i64,
    pub open: i64,
    pub overdue: i64,
    pub on_time: i64,
    pub late: i64,
    pub escalated: i64,
    pub controlled: i64,
    pub not_found: i64,
    pub left_area: i64,
    pub forwarded: i64,
    pub duplicate: i64,
}

/// Completion statistics by county and by deadline day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CoStats {
    pub by_county: Vec<CoStatRow>,
    pub by_deadline: Vec<CoStatRow>,
}

/// An escalation notice: items of a task moved up to a level when overdue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CoNotice {
    pub id: i64,
    pub task_id: i64,
    pub jurisdiction_code: String,
    pub n_items: i64,
    pub created_at: i64,
}

/// A directive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Directive {
    pub id: i64,
    pub issuer_code: String,
    pub target_code: String,
    pub target_unit: String,
    pub title: String,
    pub body: String,
    pub issued_at: i64,
    pub issued_by: String,
    pub due_at: i64,
    /// `issued`, `acknowledged` or `completed`.
    pub status: String,
    pub overdue: bool,
    pub acknowledged_at: Option<i64>,
    pub acknowledged_by: Option<String>,
    pub completed_at: Option<i64>,
    pub completed_by: Option<String>,
    pub completion_report: Option<String>,
}

/// A directive to issue.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DirectiveCreate {
    pub target_code: String,
    #[serde(default)]
    pub target_unit: String,
    pub title: String,
    pub body: String,
    /// `YYYY-MM-DD HH:MM` (China time) or RFC 3339.
    pub due: String,
}

/// A completion report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DirectiveReport {
    pub report: String,
}

/// Overdue work of a jurisdiction's subtree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OverdueCounts {
    pub co_investigation_items: i64,
    pub directives: i64,
}

/// A shift of the duty roster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DutyShift {
    pub id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub leader: String,
    pub officer: String,
    pub handover_note: Option<String>,
}

/// A shift to add.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DutyShiftCreate {
    pub unit_code: String,
    pub unit_name: String,
    /// `YYYY-MM-DD HH:MM` (China time).
    pub starts: String,
    pub ends: String,
    pub leader: String,
    pub officer: String,
}

/// An event of a shift's log, or a handover note.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DutyText {
    pub text: String,
}

/// An entry of a shift's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DutyLogEntry {
    pub id: i64,
    pub at: i64,
    pub text: String,
    pub recorded_by: String,
}

/// A shift with its log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DutyShiftDetail {
    pub shift: DutyShift,
    pub log: Vec<DutyLogEntry>,
}

/// A federation message as it travels between instances.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FederationMessage {
    pub id: String,
    pub sender: String,
    pub recipient: String,
    pub kind: String,
    pub created_at: i64,
    /// A JSON document, exactly the text that was signed.
    pub payload: String,
    /// Ed25519 signature, base64, of the canonical bytes.
    #[serde(default)]
    pub signature: String,
}

/// A batch of federation messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FederationBatch {
    pub messages: Vec<FederationMessage>,
}

/// What became of one received message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FederationReceipt {
    pub id: String,
    /// `applied`, `duplicate` or `refused`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The receipts of a batch, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FederationReceipts {
    pub receipts: Vec<FederationReceipt>,
}

// ---- Drills (issue #12) --------------------------------------------------------------------

/// A drill run in a sandbox instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DrillSummary {
    pub id: i64,
    /// The scenario file's `name`.
    pub scenario: String,
    pub title: String,
    pub title_en: String,
    pub seed: i64,
    pub days: i64,
    /// `running`, `finished` or `failed`.
    pub status: String,
    /// Simulated days fed into the sandbox so far.
    pub day_reached: i64,
    /// Unix ms (the sandbox's clock).
    pub started_at: i64,
    /// Date (China Standard Time) of simulated day 0.
    pub start_day: String,
    pub finished_at: Option<i64>,
}

/// The delays of one of the four earlies, in hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DrillDelay {
    pub n: u32,
    pub median_hours: Option<f64>,
    pub mean_hours: Option<f64>,
    /// Cases within the standard.
    pub on_time: u32,
}

/// The scores of a county, or of the whole city (see docs/drills.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DrillCountyScore {
    pub code: String,
    pub name: String,
    pub infections: u32,
    pub cases: u32,
    /// Onset → detection.
    pub detection: DrillDelay,
    /// Detection → report.
    pub report: DrillDelay,
    /// Report → isolation.
    pub isolation: DrillDelay,
    /// Report → admission.
    pub treatment: DrillDelay,
    pub late_reports: u32,
    pub late_isolations: u32,
    /// Tracing tasks and co-investigation items past their deadline.
    pub late_tasks: u32,
    /// Co-investigation items pushed into the county.
    pub co_items: u32,
    pub isolation_shortfall_days: u32,
    pub isolation_peak_shortfall: u32,
    pub bed_shortfall_days: u32,
    pub stockouts: u32,
    /// 0-100.
    pub score: f64,
}

/// One simulated day of the whole city.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DrillDay {
    pub day: u16,
    pub date: String,
    pub infections: u32,
    pub detections: u32,
    pub isolated: u32,
    pub quarantined: u32,
    pub in_hospital: u32,
    pub tubes: u32,
}

/// A county's daily demand for quarantine and hospital beds against its beds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DrillOccupancy {
    pub code: String,
    pub name: String,
    pub quarantine_beds: u32,
    pub hospital_beds: u32,
    pub isolation_demand: Vec<u32>,
    pub hospital_demand: Vec<u32>,
}

/// An item that ran out in a county during the drill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DrillStockOut {
    pub county: String,
    pub item_code: String,
    pub item_name: String,
    pub unit: String,
    pub stock: f64,
    pub demand: f64,
    /// The first simulated day the stock did not cover.
    pub day: u16,
}

/// What the drill fed into the sandbox through the ingest paths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DrillFeeds {
    pub travellers: u32,
    pub sentinel_reports: u32,
    pub sentinel_alerts: u32,
    pub samples: u32,
    pub results: u32,
    pub cases: u32,
    pub isolations: u32,
    pub admissions: u32,
    pub recoveries: u32,
    /// Co-investigation items pushed from the province.
    pub co_investigation_items: u32,
}

/// The report of a finished drill, limited to the reader's jurisdiction (`total` and
/// `daily` only for a reader who sees the whole city).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DrillReport {
    pub standards_hours: DrillStandards,
    pub total: Option<DrillCountyScore>,
    pub counties: Vec<DrillCountyScore>,
    pub daily: Vec<DrillDay>,
    pub occupancy: Vec<DrillOccupancy>,
    pub stockouts: Vec<DrillStockOut>,
    pub feeds: DrillFeeds,
}

/// The response standards a drill was scored against, in hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DrillStandards {
    pub detection: f64,
    pub report: f64,
    pub isolation: f64,
    pub tracing: f64,
    pub treatment: f64,
}

/// A drill with its report (absent while running) or the cause of its failure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DrillDetail {
    pub drill: DrillSummary,
    pub report: Option<DrillReport>,
    pub failure: Option<String>,
}

// ---- Command dashboard (issue #13) ------------------------------------------------------

/// Cases of the jurisdiction (excluded ones never counted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DashboardCases {
    /// Reported today (China Standard Time).
    pub new_today: u64,
    pub new_yesterday: u64,
    /// Reported in the 7 days ending today, and in the 7 days before.
    pub new_7d: u64,
    pub new_prev_7d: u64,
    /// Open cases (neither recovered nor died), and of each class.
    pub active: u64,
    pub active_confirmed: u64,
    pub active_asymptomatic: u64,
    pub active_suspected: u64,
    /// Open cases that are severe or critical.
    pub severe: u64,
    pub recovered: u64,
    pub died: u64,
}

/// Confirmed contacts and those under an open control measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DashboardContacts {
    pub confirmed: u64,
    pub under_control: u64,
    pub without_measure: u64,
}

/// People under each control measure today.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DashboardMeasures {
    pub total: u64,
    pub centralised: u64,
    pub home_quarantine: u64,
    pub health_monitoring: u64,
    pub other: u64,
    pub not_active: u64,
    pub overdue: u64,
    pub releases_due: u64,
    pub fever_open_loops: u64,
    pub coldchain_open_tasks: u64,
}

/// The current testing round and its coverage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DashboardRound {
    pub code: String,
    pub name: String,
    pub starts_on: String,
    pub ends_on: String,
    pub target: i64,
    pub sampled: i64,
    /// Sampled over target in percent; null for an empty target.
    pub coverage_pct: Option<f64>,
}

/// Positive tubes and the current round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DashboardTesting {
    pub positives_today: i64,
    pub positives_yesterday: i64,
    pub round: Option<DashboardRound>,
}

/// Quarantine sites' occupancy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DashboardIsolation {
    pub sites: u64,
    pub rooms: i64,
    pub rooms_occupied: i64,
    pub rooms_free: i64,
    pub beds: i64,
    pub occupants: i64,
}

/// Beds and occupied beds of one type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DashboardBedCount {
    pub beds: i64,
    pub occupied: i64,
}

/// Hospital beds by type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DashboardBeds {
    pub hospitals: u64,
    pub total: DashboardBedCount,
    pub general: DashboardBedCount,
    pub icu: DashboardBedCount,
    pub isolation: DashboardBedCount,
}

/// Hours to one step over the cases (or alerts) that reached it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DashboardTimeliness {
    pub n: u64,
    pub median_hours: Option<f64>,
    /// Within `target_hours`.
    pub timely: u64,
    pub target_hours: f64,
}

/// The four earlies (四早) and the tracing steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DashboardFourEarly {
    /// Onset to detection.
    pub detection: DashboardTimeliness,
    /// Detection to report.
    pub report: DashboardTimeliness,
    /// Report to isolation.
    pub isolation: DashboardTimeliness,
    /// Report to admission.
    pub treatment: DashboardTimeliness,
    pub itinerary: DashboardTimeliness,
    pub contacts: DashboardTimeliness,
}

/// Open sentinel alerts and their verification timeliness.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DashboardAlerts {
    pub open: u64,
    pub verification: DashboardTimeliness,
}

/// A subdivision of the jurisdiction on the map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DashboardArea {
    pub code: String,
    pub name: String,
    pub population: Option<i64>,
    pub active: u64,
    pub new_today: u64,
    pub new_7d: u64,
    pub new_7d_per_100k: Option<f64>,
}

/// The command dashboard of the caller's jurisdiction. A section is null when the caller
/// may not read the capability behind it; `overdue_tasks` and `overdue_directives` are null
/// until co-investigation and command (issue #10) are present.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Dashboard {
    /// The day, `YYYY-MM-DD` (China Standard Time).
    pub day: String,
    /// When the figures were computed, Unix ms.
    pub at_ms: i64,
    /// When the round's coverage (`testing.round`) and `supplies_at_risk` were computed,
    /// Unix ms: the server keeps these population-wide figures for a minute and refreshes
    /// them in the background.
    pub population_at_ms: i64,
    pub jurisdiction_code: Option<String>,
    pub jurisdiction_name: Option<String>,
    pub cases: Option<DashboardCases>,
    pub contacts: Option<DashboardContacts>,
    pub measures: Option<DashboardMeasures>,
    pub testing: Option<DashboardTesting>,
    pub isolation: Option<DashboardIsolation>,
    pub beds: Option<DashboardBeds>,
    pub supplies_at_risk: Option<u64>,
    pub alerts: Option<DashboardAlerts>,
    pub overdue_tasks: Option<u64>,
    pub overdue_directives: Option<u64>,
    pub curve: Option<EpidemicAnalysis>,
    pub areas: Vec<DashboardArea>,
    pub four_early: Option<DashboardFourEarly>,
}

// ---- Daily briefing (issue #13) ---------------------------------------------------------

/// A headline figure of a briefing with its values a day and a week before (null when
/// unknown: a stock figure needs the briefing stored for that day).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BriefingFigure {
    /// `new_cases`, `positives`, `active_cases`, `severe`, `contacts_confirmed`,
    /// `contacts_under_control`, `centralised`, `home_quarantine`, `health_monitoring`,
    /// `measures_overdue`, `round_coverage_pct`, `isolation_occupants`,
    /// `isolation_rooms_free`, `beds_occupied`, `supplies_at_risk`, `open_alerts`,
    /// `overdue_tasks`, `overdue_directives`.
    pub key: String,
    pub value: Option<f64>,
    pub yesterday: Option<f64>,
    pub last_week: Option<f64>,
}

/// One day of a briefing's curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BriefingDay {
    pub day: String,
    pub by_onset: u32,
    pub by_report: u32,
    pub rt: Option<f64>,
    pub rt_low: Option<f64>,
    pub rt_high: Option<f64>,
}

/// A subdivision's row of a briefing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BriefingArea {
    pub code: String,
    pub name: String,
    pub new_today: u64,
    pub new_7d: u64,
    pub active: u64,
    pub new_7d_per_100k: Option<f64>,
}

/// A step of the four earlies in a briefing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BriefingStep {
    /// `detection`, `report`, `isolation`, `treatment`, `itinerary`, `contacts`,
    /// `verification`.
    pub key: String,
    pub timeliness: DashboardTimeliness,
}

/// A notable event of the day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BriefingEvent {
    pub key: String,
    pub value: f64,
    pub area: Option<String>,
    /// The sentence in Simplified Chinese.
    pub text_zh: String,
    /// The sentence in English.
    pub text_en: String,
}

/// A daily briefing as generated and stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Briefing {
    pub jurisdiction_code: String,
    pub jurisdiction_name: String,
    /// `YYYY-MM-DD`.
    pub day: String,
    /// How many times the day was generated.
    pub revision: i64,
    pub generated_at_ms: i64,
    pub generated_by: String,
    pub figures: Vec<BriefingFigure>,
    pub curve: Vec<BriefingDay>,
    pub areas: Vec<BriefingArea>,
    pub four_early: Vec<BriefingStep>,
    pub events: Vec<BriefingEvent>,
}

/// A stored briefing in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BriefingEntry {
    pub jurisdiction_code: String,
    pub day: String,
    pub revision: i64,
    pub generated_at_ms: i64,
    pub generated_by: String,
}

/// What scenario forecast to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioForecastRequest {
    /// 14 to 30 days (14 when absent).
    #[serde(default)]
    pub horizon_days: Option<u16>,
    /// Ensemble members, 1 to 50 (10 when absent).
    #[serde(default)]
    pub members: Option<u16>,
    /// The ensemble's seed; drawn when absent.
    #[serde(default)]
    pub seed: Option<u64>,
}

/// The 5th, 50th and 95th percentiles over the ensemble's members.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ForecastBand {
    pub p5: f64,
    pub median: f64,
    pub p95: f64,
}

/// One day of a scenario forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScenarioForecastDay {
    pub date: String,
    /// Cases found that day.
    pub cases: ForecastBand,
    /// Severe admissions that day.
    pub admissions: ForecastBand,
    pub quarantine_entries: ForecastBand,
    /// People in quarantine at the end of the day.
    pub in_quarantine: ForecastBand,
    /// Cases in isolation at the end of the day.
    pub isolated: ForecastBand,
    /// Severe cases in hospital.
    pub in_hospital: ForecastBand,
}

/// A county's medians, by the forecast's days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScenarioCounty {
    pub county_code: String,
    pub cases: Vec<f64>,
    pub admissions: Vec<f64>,
    pub quarantine_entries: Vec<f64>,
    pub in_quarantine: Vec<f64>,
    pub isolated: Vec<f64>,
    pub in_hospital: Vec<f64>,
    pub cases_total: ForecastBand,
}

/// An item's use over the horizon by the outbreak's quarantine, isolation and severe cases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScenarioSupply {
    pub item_code: String,
    pub item_name: String,
    pub unit: String,
    pub daily: Vec<ForecastBand>,
    pub total: ForecastBand,
}

/// The state a scenario forecast started from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ScenarioStartState {
    pub residents: u64,
    pub vaccinated: u64,
    /// Open cases, isolated on day 0.
    pub isolated: u64,
    /// People under a control measure, in quarantine for the days it has left.
    pub quarantined: u64,
    /// Cases of the last 7 days.
    pub recent_cases: u64,
    /// Infections not yet found, one per recent case, near those cases.
    pub hidden_infections: u64,
}

/// A stored scenario forecast: an ensemble of simulated outbreaks from the platform's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScenarioForecast {
    pub id: i64,
    pub jurisdiction_code: String,
    /// The day whose state the run started from; the first forecast day follows it.
    pub as_of: String,
    pub horizon_days: u16,
    pub members: u16,
    pub seed: u64,
    pub created_at_ms: i64,
    pub created_by: String,
    pub start: ScenarioStartState,
    pub days: Vec<ScenarioForecastDay>,
    pub counties: Vec<ScenarioCounty>,
    pub supplies: Vec<ScenarioSupply>,
    pub cases_total: ForecastBand,
    pub admissions_total: ForecastBand,
    pub quarantine_peak: ForecastBand,
}

/// A stored scenario forecast in a list: what it ran and its totals, without the days,
/// counties and supplies (`GET /api/v1/forecasts/scenario/{id}` has them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScenarioForecastSummary {
    pub id: i64,
    pub jurisdiction_code: String,
    pub as_of: String,
    pub horizon_days: u16,
    pub members: u16,
    pub seed: u64,
    pub created_at_ms: i64,
    pub created_by: String,
    pub cases_total: ForecastBand,
    pub admissions_total: ForecastBand,
    pub quarantine_peak: ForecastBand,
}

/// A bulk action over selected records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkCreate {
    /// `measure.activate`, `measure.release`, `measure.escalate` (needs `target`: the
    /// reason), `alert.transition` (needs `target`: the status; `note` optional),
    /// `co_item.assign` (needs `target`: the jurisdiction code) or `co_item.feedback` (needs
    /// `target`: the outcome, any but `forwarded`; `note` optional).
    pub kind: String,
    /// The records' ids (measures, alerts or co-investigation items), at most 5 000.
    pub ids: Vec<i64>,
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A record a bulk action refused, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BulkRefusal {
    pub id: i64,
    pub reason: String,
}

/// A bulk operation and its progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BulkOperation {
    pub id: i64,
    pub kind: String,
    pub created_by: String,
    pub created_at_ms: i64,
    pub total: i64,
    pub done: i64,
    pub failed: i64,
    /// `running`, `finished`, or `interrupted` (the process stopped while it ran).
    pub status: String,
    pub errors: Vec<BulkRefusal>,
    pub finished_at_ms: Option<i64>,
}
