//! Reading: bytes → [`Submission`], every problem of a resource collected with its path.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};
use rayon::prelude::*;
use serde_json::{Map, Value};

use crate::{
    CodingAt, Entry, Immunization, ImmunizationStatus, Issue, LabObservation, LabReport, LabResult,
    Patient, Resource, Sex, SubjectRef, Submission, SubmissionKind, COMMUNITY_EXTENSION, LOINC,
    LOINC_CT, NATIONAL_ID_SYSTEM, SNOMED, SNOMED_DETECTED, SNOMED_INCONCLUSIVE,
    SNOMED_NOT_DETECTED,
};

/// The deepest nesting of JSON objects and arrays accepted. The deepest path the accepted
/// resources use is about 6 levels (`Bundle.entry.resource.component.code.coding`); 32 leaves
/// room for extensions while keeping a hostile file from exhausting the stack.
pub const MAX_DEPTH: usize = 32;

const ACCEPTED: &str = "expected Patient, Immunization, Observation or DiagnosticReport";

/// What kind of whole-file problem a [`FileError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileErrorKind {
    /// The bytes are not UTF-8.
    NotUtf8,
    /// No JSON in the file, or not valid JSON.
    NotJson,
    /// JSON, but not a FHIR resource or Bundle.
    NotFhir,
    /// A Bundle of a type that cannot be imported (searchset, history, document, message…).
    UnsupportedBundle,
    /// Objects and arrays nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

/// A problem with the file as a whole; nothing in it was read.
///
/// Displays as `imm.json: Bundle.type: searchset bundles cannot be imported; expected batch,
/// transaction or collection` (or `{file}: {reason}` when there is no path).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FileError {
    /// The file name the caller passed in.
    pub file: String,
    /// What kind of problem.
    pub kind: FileErrorKind,
    /// Where: `Bundle.type`, `line 7`, or empty for the file as a whole.
    pub at: String,
    /// What is wrong: lowercase, no personal data.
    pub reason: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.at.is_empty() {
            write!(f, "{}: {}", self.file, self.reason)
        } else {
            write!(f, "{}: {}: {}", self.file, self.at, self.reason)
        }
    }
}

/// Reads a Bundle (batch, transaction or collection), an NDJSON file or a single resource.
///
/// A UTF-8 byte order mark is skipped. A file whose first non-blank line is a complete JSON
/// value and which has more non-blank lines is NDJSON (blank lines skipped; lines parsed in
/// parallel); anything else is one JSON document. References between entries are resolved
/// (see [`SubjectRef`]). Problems of single resources are in their [`Entry`]; only problems
/// of the file as a whole are a [`FileError`].
pub fn read(file_name: &str, bytes: &[u8]) -> Result<Submission, FileError> {
    let err = |kind, at: &str, reason: String| FileError {
        file: file_name.to_string(),
        kind,
        at: at.to_string(),
        reason,
    };
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        err(
            FileErrorKind::NotUtf8,
            "",
            format!("not UTF-8 (invalid byte at offset {})", e.valid_up_to()),
        )
    })?;
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, first)) = lines.next() else {
        return Err(err(FileErrorKind::NotJson, "", "the file is empty".into()));
    };
    let too_deep_error = |line: usize| {
        err(
            FileErrorKind::TooDeep,
            &format!("line {line}"),
            format!("objects and arrays nested deeper than {MAX_DEPTH} levels"),
        )
    };
    // serde_json's own recursion limit (128) keeps this first look safe.
    let is_ndjson =
        lines.next().is_some() && serde_json::from_str::<serde::de::IgnoredAny>(first).is_ok();
    if is_ndjson {
        return read_ndjson(text).map_err(too_deep_error);
    }
    if let Some(line) = too_deep(text.as_bytes()) {
        return Err(too_deep_error(line));
    }
    let value: Value = serde_json::from_str(text)
        .map_err(|e| err(FileErrorKind::NotJson, "", format!("not JSON: {e}")))?;
    let Some(obj) = value.as_object() else {
        return Err(err(
            FileErrorKind::NotFhir,
            "",
            "expected a JSON object: a FHIR Bundle or resource".into(),
        ));
    };
    match obj.get("resourceType") {
        Some(Value::String(t)) if t == "Bundle" => {
            read_bundle(obj).map_err(|(kind, at, r)| err(kind, at, r))
        }
        Some(Value::String(_)) => Ok(finish(
            SubmissionKind::Single,
            vec![parse_entry(&value, Root::Single, None)],
        )),
        _ => Err(err(
            FileErrorKind::NotFhir,
            "resourceType",
            "missing; expected Bundle, Patient, Immunization, Observation or DiagnosticReport"
                .into(),
        )),
    }
}

/// The 1-based line where nesting first exceeds [`MAX_DEPTH`], if it does.
fn too_deep(bytes: &[u8]) -> Option<usize> {
    // Cheap and vectorised: with no more openings than the limit the nesting cannot exceed it.
    if bytes.iter().filter(|&&b| b == b'{' || b == b'[').count() <= MAX_DEPTH {
        return None;
    }
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(bytes[..i].iter().filter(|&&c| c == b'\n').count() + 1);
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            // A new NDJSON line starts afresh; in a JSON document a newline is whitespace and
            // the structure decides validity anyway.
            _ => {}
        }
    }
    None
}

/// The lines in parallel; `Err(line)` if a line nests deeper than [`MAX_DEPTH`].
fn read_ndjson(text: &str) -> Result<Submission, usize> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, l))
        .collect();
    let parsed: Vec<Result<Parsed, usize>> = lines
        .par_iter()
        .with_min_len(256)
        .map(|&(n, line)| {
            if too_deep(line.as_bytes()).is_some() {
                return Err(n);
            }
            if let Some(p) = fast::immunization(line, n).or_else(|| fast::observation(line, n)) {
                return Ok(p);
            }
            Ok(match serde_json::from_str::<Value>(line) {
                Ok(v) => parse_entry(&v, Root::Line(n), None),
                Err(e) => Parsed::failed(
                    format!("line {n}"),
                    None,
                    Issue::new(
                        format!("line {n}"),
                        format!("not JSON: {}", strip_serde_line(&e)),
                    ),
                ),
            })
        })
        .collect();
    let parsed = parsed.into_iter().collect::<Result<Vec<_>, usize>>()?;
    Ok(finish(SubmissionKind::Ndjson, parsed))
}

/// The general path of one NDJSON line, for tests comparing it with the fast path.
#[cfg(test)]
fn slow_line(line: &str, n: usize) -> Option<Parsed> {
    serde_json::from_str::<Value>(line)
        .ok()
        .map(|v| parse_entry(&v, Root::Line(n), None))
}

/// serde_json's message without its "at line 1 column 9" (each NDJSON line is line 1).
fn strip_serde_line(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => format!("{} at column {}", &s[..i], e.column()),
        None => s,
    }
}

type BundleError = (FileErrorKind, &'static str, String);

fn read_bundle(obj: &Map<String, Value>) -> Result<Submission, BundleError> {
    let kind = match obj.get("type") {
        Some(Value::String(t)) => match t.as_str() {
            "batch" => SubmissionKind::Batch,
            "transaction" => SubmissionKind::Transaction,
            "collection" => SubmissionKind::Collection,
            "searchset"
            | "history"
            | "document"
            | "message"
            | "batch-response"
            | "transaction-response"
            | "subscription-notification" => {
                return Err((
                    FileErrorKind::UnsupportedBundle,
                    "Bundle.type",
                    format!(
                        "{t} bundles cannot be imported; expected batch, transaction or collection"
                    ),
                ))
            }
            other => {
                return Err((
                    FileErrorKind::NotFhir,
                    "Bundle.type",
                    format!(
                        "{} is not a bundle type; expected batch, transaction or collection",
                        shown(other)
                    ),
                ))
            }
        },
        Some(_) => {
            return Err((
                FileErrorKind::NotFhir,
                "Bundle.type",
                "expected a string: batch, transaction or collection".into(),
            ))
        }
        None => {
            return Err((
                FileErrorKind::NotFhir,
                "Bundle.type",
                "missing; expected batch, transaction or collection".into(),
            ))
        }
    };
    let entries: &[Value] = match obj.get("entry") {
        None => &[],
        Some(Value::Array(a)) => a,
        Some(_) => {
            return Err((
                FileErrorKind::NotFhir,
                "Bundle.entry",
                "expected an array of entries".into(),
            ))
        }
    };
    let parsed = entries
        .par_iter()
        .enumerate()
        .with_min_len(256)
        .map(|(i, e)| {
            let location = format!("Bundle.entry[{i}]");
            let Some(e) = e.as_object() else {
                return Parsed::failed(
                    location.clone(),
                    None,
                    Issue::new(location, "expected an object"),
                );
            };
            let full_url = match e.get("fullUrl") {
                Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                Some(_) => {
                    return Parsed::failed(
                        location.clone(),
                        None,
                        Issue::new(format!("{location}.fullUrl"), "expected a non-empty string"),
                    )
                }
                None => None,
            };
            match e.get("resource") {
                Some(r) => parse_entry(r, Root::Entry(i), full_url),
                None => Parsed::failed(
                    location.clone(),
                    full_url,
                    Issue::new(format!("{location}.resource"), "missing"),
                ),
            }
        })
        .collect();
    Ok(finish(kind, parsed))
}

/// Where a resource sits, which decides its paths.
#[derive(Clone, Copy)]
enum Root {
    Entry(usize),
    Line(usize),
    Single,
}

/// A reference as written, before it is resolved against the submission.
#[derive(Debug, Clone)]
enum RawRef {
    /// `urn:uuid:…` and other references without a `Type/id` form: must be a fullUrl.
    Url(String),
    /// `[base/]Type/id`: a fullUrl, else the id of an entry of that type, else outside.
    Typed { text: String, id: String },
    /// `Reference.identifier`.
    Identifier { system: String, value: String },
}

#[derive(Debug, Clone, Copy)]
enum Slot {
    Subject,
    Result,
}

#[derive(Debug)]
struct Pending {
    slot: Slot,
    raw: RawRef,
    /// The path of the Reference.
    path: String,
    /// The resource type it must point at.
    expect: &'static str,
}

/// A resource read but not yet resolved against the rest of the submission.
struct Parsed {
    location: String,
    full_url: Option<String>,
    /// The resourceType, if an accepted one.
    rtype: Option<&'static str>,
    /// The resourceType and id as written, for resolving `Type/id` references to this entry.
    key: Option<(&'static str, String)>,
    resource: Option<Resource>,
    issues: Vec<Issue>,
    pending: Vec<Pending>,
}

impl Parsed {
    fn failed(location: String, full_url: Option<String>, issue: Issue) -> Parsed {
        Parsed {
            location,
            full_url,
            rtype: None,
            key: None,
            resource: None,
            issues: vec![issue],
            pending: Vec::new(),
        }
    }
}

/// Resolves references through hash maps of full URLs and `Type/id`s, then builds entries.
fn finish(kind: SubmissionKind, mut parsed: Vec<Parsed>) -> Submission {
    let (duplicates, resolved) = {
        let mut by_url: HashMap<&str, usize> = HashMap::with_capacity(parsed.len());
        let mut by_id: HashMap<(&'static str, &str), usize> = HashMap::with_capacity(parsed.len());
        let mut duplicates = Vec::new();
        for (i, p) in parsed.iter().enumerate() {
            if let Some(u) = &p.full_url {
                if let Some(&first) = by_url.get(u.as_str()) {
                    duplicates.push((i, first));
                } else {
                    by_url.insert(u, i);
                }
            }
            if let Some((t, id)) = &p.key {
                by_id.entry((t, id.as_str())).or_insert(i);
            }
        }
        let parsed = &parsed;
        let resolve = |pending: &Pending| -> Result<SubjectRef, String> {
            let target = match &pending.raw {
                RawRef::Identifier { system, value } => SubjectRef::Identifier {
                    system: system.clone(),
                    value: value.clone(),
                },
                RawRef::Url(u) => match by_url.get(u.as_str()) {
                    Some(&i) => SubjectRef::Entry(i),
                    None => {
                        return Err(format!(
                            "{} is not the fullUrl of any entry of this submission",
                            shown(u)
                        ))
                    }
                },
                RawRef::Typed { text, id } => match by_url
                    .get(text.as_str())
                    .or_else(|| by_id.get(&(pending.expect, id.as_str())))
                {
                    Some(&i) => SubjectRef::Entry(i),
                    None => SubjectRef::Literal(id.clone()),
                },
            };
            if let SubjectRef::Entry(i) = target {
                if let Some(t) = parsed[i].rtype {
                    if t != pending.expect {
                        return Err(format!(
                            "refers to {} ({t}); expected {}",
                            parsed[i].location,
                            a(pending.expect)
                        ));
                    }
                }
            }
            Ok(target)
        };
        let resolved: Vec<Vec<Result<SubjectRef, String>>> = parsed
            .par_iter()
            .with_min_len(1024)
            .map(|p| p.pending.iter().map(resolve).collect())
            .collect();
        (duplicates, resolved)
    };
    for (i, first) in duplicates {
        let issue = Issue::new(
            format!("{}.fullUrl", parsed[i].location),
            format!("the same fullUrl as {}", parsed[first].location),
        );
        parsed[i].issues.push(issue);
    }
    let entries = parsed
        .into_par_iter()
        .zip(resolved)
        .with_min_len(1024)
        .map(|(mut p, resolved)| {
            for (pending, target) in std::mem::take(&mut p.pending).into_iter().zip(resolved) {
                match (target, pending.slot, p.resource.as_mut()) {
                    (Err(m), _, _) => p.issues.push(Issue::new(pending.path, m)),
                    (Ok(t), Slot::Subject, Some(r)) => set_subject(r, t),
                    (Ok(SubjectRef::Entry(i)), Slot::Result, Some(Resource::DiagnosticReport(r))) => {
                        r.results.push(i)
                    }
                    (Ok(SubjectRef::Literal(_)), Slot::Result, _) => p.issues.push(Issue::new(
                        pending.path,
                        "not an Observation of this submission; a report's results must be sent with it",
                    )),
                    (Ok(SubjectRef::Identifier { .. }), Slot::Result, _) => p.issues.push(Issue::new(
                        pending.path,
                        "a result must be a reference to an Observation of this submission, not an identifier",
                    )),
                    _ => {}
                }
            }
            let resource = match p.resource {
                Some(r) if p.issues.is_empty() => Ok(r),
                _ => Err(p.issues),
            };
            Entry {
                location: p.location,
                full_url: p.full_url,
                resource,
            }
        })
        .collect();
    Submission { kind, entries }
}

fn set_subject(r: &mut Resource, t: SubjectRef) {
    match r {
        Resource::Immunization(x) => x.subject = t,
        Resource::Observation(x) => x.subject = t,
        Resource::DiagnosticReport(x) => x.subject = t,
        Resource::Patient(_) => {}
    }
}

/// `Reference.reference` → a reference to resolve, or what is wrong with it.
fn ref_text(text: &str, expect: &'static str) -> Result<RawRef, String> {
    if text.starts_with("urn:") {
        return Ok(RawRef::Url(text.to_string()));
    }
    let no_history = match text.find("/_history/") {
        Some(i) => &text[..i],
        None => text,
    };
    let mut parts = no_history.rsplit('/');
    match (parts.next(), parts.next()) {
        (Some(id), Some(t)) if !id.is_empty() && !t.is_empty() => {
            if t != expect {
                return Err(format!(
                    "refers to {}; expected {}",
                    a(&shown(t)),
                    a(expect)
                ));
            }
            Ok(RawRef::Typed {
                text: text.to_string(),
                id: id.to_string(),
            })
        }
        _ => Err(format!("expected {expect}/{{id}} or a urn:uuid: full URL")),
    }
}

/// `a Patient`, `an Observation`.
fn a(t: &str) -> String {
    match t.chars().next() {
        Some('A' | 'E' | 'I' | 'O' | 'U') => format!("an {t}"),
        _ => format!("a {t}"),
    }
}

/// A value for a message: at most 40 characters.
fn shown(s: &str) -> String {
    if s.chars().count() > 40 {
        let mut t: String = s.chars().take(40).collect();
        t.push('…');
        t
    } else {
        s.to_string()
    }
}

fn parse_entry(v: &Value, root: Root, full_url: Option<String>) -> Parsed {
    let location = match root {
        Root::Entry(i) => format!("Bundle.entry[{i}]"),
        Root::Line(n) => format!("line {n}"),
        Root::Single => "resource".to_string(),
    };
    let obj = match v.as_object() {
        Some(o) => o,
        None => {
            let path = match root {
                Root::Entry(i) => format!("Bundle.entry[{i}].resource"),
                _ => location.clone(),
            };
            return Parsed::failed(
                location,
                full_url,
                Issue::new(path, "expected a resource object"),
            );
        }
    };
    let rt = obj.get("resourceType");
    let rt_str = rt.and_then(Value::as_str);
    let base = match root {
        Root::Entry(i) => format!("Bundle.entry[{i}].resource"),
        Root::Line(n) => match rt_str {
            Some(t) => format!("line {n}: {}", shown(t)),
            None => format!("line {n}:"),
        },
        Root::Single => rt_str.map(shown).unwrap_or_default(),
    };
    let rt_path = match (root, rt_str) {
        (Root::Line(n), None) => format!("line {n}: resourceType"),
        (Root::Single, None) => "resourceType".to_string(),
        _ => format!("{base}.resourceType"),
    };
    let mut v = V {
        issues: Vec::new(),
        pending: Vec::new(),
    };
    let (resource, rtype) = match rt {
        None => {
            v.issue(rt_path, format!("missing; {ACCEPTED}"));
            (None, None)
        }
        Some(Value::String(t)) => match t.as_str() {
            "Patient" => (
                v.patient(obj, &base).map(Resource::Patient),
                Some("Patient"),
            ),
            "Immunization" => (
                v.immunization(obj, &base).map(Resource::Immunization),
                Some("Immunization"),
            ),
            "Observation" => (
                v.observation(obj, &base).map(Resource::Observation),
                Some("Observation"),
            ),
            "DiagnosticReport" => (
                v.report(obj, &base).map(Resource::DiagnosticReport),
                Some("DiagnosticReport"),
            ),
            other => {
                v.issue(
                    rt_path,
                    format!("{} is not accepted here; {ACCEPTED}", shown(other)),
                );
                (None, None)
            }
        },
        Some(_) => {
            v.issue(rt_path, format!("expected a string; {ACCEPTED}"));
            (None, None)
        }
    };
    let key = match (rtype, obj.get("id")) {
        (Some(t), Some(Value::String(id))) => Some((t, id.clone())),
        _ => None,
    };
    Parsed {
        location,
        full_url,
        rtype,
        key,
        resource,
        issues: v.issues,
        pending: v.pending,
    }
}

fn join(base: &str, name: &str) -> String {
    if base.ends_with(':') || base.is_empty() {
        format!("{base}{}{name}", if base.is_empty() { "" } else { " " })
    } else {
        format!("{base}.{name}")
    }
}

/// The validator of one resource: collects issues and unresolved references.
struct V {
    issues: Vec<Issue>,
    pending: Vec<Pending>,
}

type Obj = Map<String, Value>;

impl V {
    fn issue(&mut self, path: String, message: impl Into<String>) {
        self.issues.push(Issue::new(path, message));
    }

    /// An optional string field; a non-string or empty string is an issue.
    fn str<'a>(&mut self, obj: &'a Obj, base: &str, name: &str) -> Option<&'a str> {
        match obj.get(name)? {
            Value::String(s) if !s.trim().is_empty() => Some(s),
            Value::String(_) => {
                self.issue(join(base, name), "must not be empty");
                None
            }
            _ => {
                self.issue(join(base, name), "expected a string");
                None
            }
        }
    }

    fn req_str<'a>(&mut self, obj: &'a Obj, base: &str, name: &str) -> Option<&'a str> {
        if !obj.contains_key(name) {
            self.issue(join(base, name), "missing");
        }
        self.str(obj, base, name)
    }

    fn obj<'a>(&mut self, obj: &'a Obj, base: &str, name: &str) -> Option<&'a Obj> {
        match obj.get(name)? {
            Value::Object(o) => Some(o),
            _ => {
                self.issue(join(base, name), "expected an object");
                None
            }
        }
    }

    fn arr<'a>(&mut self, obj: &'a Obj, base: &str, name: &str) -> &'a [Value] {
        match obj.get(name) {
            None => &[],
            Some(Value::Array(a)) => a,
            Some(_) => {
                self.issue(join(base, name), "expected an array");
                &[]
            }
        }
    }

    /// The objects of an array field with their paths; non-objects are issues.
    fn objs<'a>(&mut self, obj: &'a Obj, base: &str, name: &str) -> Vec<(String, &'a Obj)> {
        let arr = self.arr(obj, base, name);
        let mut out = Vec::with_capacity(arr.len());
        for (i, v) in arr.iter().enumerate() {
            let path = format!("{}[{i}]", join(base, name));
            match v {
                Value::Object(o) => out.push((path, o)),
                _ => self.issue(path, "expected an object"),
            }
        }
        out
    }

    fn first_obj<'a>(&mut self, obj: &'a Obj, base: &str, name: &str) -> Option<(String, &'a Obj)> {
        self.objs(obj, base, name).into_iter().next()
    }

    /// `CodeableConcept.coding`, each with system and code; at least one if `required`.
    fn codings(&mut self, obj: &Obj, base: &str, name: &str) -> Vec<CodingAt> {
        let Some(cc) = obj.get(name) else {
            self.issue(join(base, name), "missing");
            return Vec::new();
        };
        let cc_path = join(base, name);
        let Value::Object(cc) = cc else {
            self.issue(cc_path, "expected a CodeableConcept object");
            return Vec::new();
        };
        let before = self.issues.len();
        let list = self.objs(cc, &cc_path, "coding");
        if list.is_empty() && self.issues.len() == before {
            self.issue(
                join(&cc_path, "coding"),
                "missing; expected at least one coding",
            );
        }
        let mut out = Vec::with_capacity(list.len());
        for (path, c) in list {
            let system = self.req_str(c, &path, "system");
            let code = self.req_str(c, &path, "code");
            let display = self.str(c, &path, "display");
            if let (Some(system), Some(code)) = (system, code) {
                out.push(CodingAt {
                    system: system.to_string(),
                    code: code.to_string(),
                    display: display.map(str::to_string),
                    path,
                });
            }
        }
        out
    }

    /// A Reference to a resource of type `expect`, queued for resolution.
    fn reference(&mut self, r: &Obj, path: String, slot: Slot, expect: &'static str) {
        // Only this reference's own issues are looked at below (a report may have many results).
        let before = self.issues.len();
        if let Some(t) = self.str(r, &path, "type") {
            if t != expect {
                self.issue(
                    join(&path, "type"),
                    format!("{} is not {}", shown(t), a(expect)),
                );
                return;
            }
        }
        let raw = if let Some(text) = self.str(r, &path, "reference") {
            match ref_text(text, expect) {
                Ok(raw) => raw,
                Err(m) => {
                    self.issue(join(&path, "reference"), m);
                    return;
                }
            }
        } else if let Some(ident) = self.obj(r, &path, "identifier") {
            let ipath = join(&path, "identifier");
            let system = self.req_str(ident, &ipath, "system");
            let value = self.req_str(ident, &ipath, "value");
            match (system, value) {
                (Some(s), Some(v)) => RawRef::Identifier {
                    system: s.to_string(),
                    value: v.to_string(),
                },
                _ => return,
            }
        } else {
            if self.issues.len() == before {
                self.issue(path, "neither a reference nor an identifier");
            }
            return;
        };
        self.pending.push(Pending {
            slot,
            raw,
            path,
            expect,
        });
    }

    /// The required subject reference (`subject`, or `patient` of an Immunization).
    fn subject(&mut self, obj: &Obj, base: &str, name: &str) -> String {
        let path = join(base, name);
        match obj.get(name) {
            None => self.issue(path.clone(), "missing; expected a reference to a Patient"),
            Some(Value::Object(r)) => self.reference(r, path.clone(), Slot::Subject, "Patient"),
            Some(_) => self.issue(path.clone(), "expected a Reference object"),
        }
        path
    }

    fn patient(&mut self, obj: &Obj, base: &str) -> Option<Patient> {
        let before = self.issues.len();
        let id = self.str(obj, base, "id").map(str::to_string);
        let mut id_number = None;
        for (path, ident) in self.objs(obj, base, "identifier") {
            if ident.get("system").and_then(Value::as_str) == Some(NATIONAL_ID_SYSTEM) {
                if let Some(v) = self.req_str(ident, &path, "value") {
                    id_number.get_or_insert_with(|| v.to_string());
                }
            }
        }
        let name = match self.first_obj(obj, base, "name") {
            Some((path, n)) => {
                let text = self.str(n, &path, "text");
                let family = self.str(n, &path, "family");
                let given: Vec<&str> = self
                    .arr(n, &path, "given")
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                match (text, family) {
                    (Some(t), _) => Some(t.to_string()),
                    (None, Some(f)) if !f.is_ascii() => Some(format!("{f}{}", given.concat())),
                    (None, Some(f)) => {
                        let mut parts = given.clone();
                        parts.push(f);
                        Some(parts.join(" "))
                    }
                    (None, None) if !given.is_empty() => Some(given.join(" ")),
                    _ => {
                        self.issue(path, "expected text, family or given");
                        None
                    }
                }
            }
            None => {
                if matches!(obj.get("name"), None | Some(Value::Array(_))) {
                    self.issue(join(base, "name"), "missing");
                }
                None
            }
        };
        let sex = self.str(obj, base, "gender").and_then(|g| match g {
            "male" => Some(Sex::Male),
            "female" => Some(Sex::Female),
            "other" => Some(Sex::Other),
            "unknown" => Some(Sex::Unknown),
            _ => {
                self.issue(
                    join(base, "gender"),
                    "not a gender; expected male, female, other or unknown",
                );
                None
            }
        });
        let birth_date = self
            .str(obj, base, "birthDate")
            .and_then(|d| match parse_date(d) {
                Ok(d) => Some(d),
                Err(m) => {
                    self.issue(join(base, "birthDate"), m);
                    None
                }
            });
        let phone = self
            .objs(obj, base, "telecom")
            .into_iter()
            .find(|(_, t)| t.get("system").and_then(Value::as_str) == Some("phone"))
            .and_then(|(path, t)| self.req_str(t, &path, "value").map(str::to_string));
        let mut address_text = None;
        let mut community_code = None;
        if let Some((path, a)) = self.first_obj(obj, base, "address") {
            address_text = self.str(a, &path, "text").map(str::to_string);
            for (epath, e) in self.objs(a, &path, "extension") {
                if e.get("url").and_then(Value::as_str) == Some(COMMUNITY_EXTENSION) {
                    let code = match e.get("valueCode") {
                        Some(_) => self.str(e, &epath, "valueCode"),
                        None => self.req_str(e, &epath, "valueString"),
                    };
                    if let Some(c) = code {
                        if c.len() == 12 && c.bytes().all(|b| b.is_ascii_digit()) {
                            community_code = Some(c.to_string());
                        } else {
                            self.issue(
                                join(&epath, "valueCode"),
                                "expected a 12-digit division code",
                            );
                        }
                    }
                }
            }
        }
        if self.issues.len() > before {
            return None;
        }
        Some(Patient {
            id,
            id_number,
            name: name?,
            sex,
            birth_date,
            phone,
            address_text,
            community_code,
            path: base.to_string(),
        })
    }

    fn immunization(&mut self, obj: &Obj, base: &str) -> Option<Immunization> {
        let id = self.str(obj, base, "id").map(str::to_string);
        let identifier = self
            .first_obj(obj, base, "identifier")
            .and_then(|(path, i)| {
                let s = self.req_str(i, &path, "system");
                let v = self.req_str(i, &path, "value");
                Some((s?.to_string(), v?.to_string()))
            });
        let status = self.req_str(obj, base, "status").and_then(|s| match s {
            "completed" => Some(ImmunizationStatus::Completed),
            "entered-in-error" => Some(ImmunizationStatus::EnteredInError),
            "not-done" => Some(ImmunizationStatus::NotDone),
            other => {
                self.issue(
                    join(base, "status"),
                    format!(
                        "{} is not an immunization status; expected completed, entered-in-error or not-done",
                        shown(other)
                    ),
                );
                None
            }
        });
        let subject_path = self.subject(obj, base, "patient");
        let vaccine = self.codings(obj, base, "vaccineCode");
        let occurrence = match obj.get("occurrenceDateTime") {
            Some(_) => self
                .str(obj, base, "occurrenceDateTime")
                .and_then(|d| match parse_day(d) {
                    Ok(d) => Some(d),
                    Err(m) => {
                        self.issue(join(base, "occurrenceDateTime"), m);
                        None
                    }
                }),
            None => {
                let m = if obj.contains_key("occurrenceString") {
                    "expected occurrenceDateTime, not occurrenceString"
                } else {
                    "missing"
                };
                self.issue(join(base, "occurrenceDateTime"), m);
                None
            }
        };
        let lot = self.str(obj, base, "lotNumber").map(str::to_string);
        let dose_number = match self.first_obj(obj, base, "protocolApplied") {
            None => {
                self.issue(
                    join(base, "protocolApplied"),
                    "missing; expected the dose number in protocolApplied[0].doseNumberPositiveInt",
                );
                None
            }
            Some((path, pa)) => match (pa.get("doseNumberPositiveInt"), pa.get("doseNumberString"))
            {
                (Some(n), _) => {
                    let p = join(&path, "doseNumberPositiveInt");
                    match n.as_u64() {
                        Some(0) => {
                            self.issue(p, "must be at least 1");
                            None
                        }
                        Some(n) if n <= 100 => Some(n as u32),
                        Some(_) => {
                            self.issue(p, "more than 100 doses");
                            None
                        }
                        None => {
                            self.issue(p, "expected a positive integer");
                            None
                        }
                    }
                }
                (None, Some(Value::String(s))) => {
                    let p = join(&path, "doseNumberString");
                    match s.trim().parse::<u32>() {
                        Ok(0) => {
                            self.issue(p, "must be at least 1");
                            None
                        }
                        Ok(n) if n <= 100 => Some(n),
                        _ => {
                            self.issue(p, format!("{} is not a dose number", shown(s)));
                            None
                        }
                    }
                }
                (None, Some(_)) => {
                    self.issue(join(&path, "doseNumberString"), "expected a string");
                    None
                }
                (None, None) => {
                    self.issue(join(&path, "doseNumberPositiveInt"), "missing");
                    None
                }
            },
        };
        let site = match self.obj(obj, base, "location") {
            Some(l) => self
                .str(l, &join(base, "location"), "display")
                .map(str::to_string),
            None => None,
        }
        .or_else(|| {
            let (path, p) = self.first_obj(obj, base, "performer")?;
            let a = self.obj(p, &path, "actor")?;
            self.str(a, &join(&path, "actor"), "display")
                .map(str::to_string)
        });
        if !self.issues.is_empty() {
            return None;
        }
        Some(Immunization {
            id,
            identifier,
            status: status?,
            subject: SubjectRef::Literal(String::new()),
            subject_path,
            vaccine,
            occurrence: occurrence?,
            lot,
            dose_number: dose_number?,
            site,
            path: base.to_string(),
        })
    }

    fn observation(&mut self, obj: &Obj, base: &str) -> Option<LabObservation> {
        let id = self.str(obj, base, "id").map(str::to_string);
        let code = self.codings(obj, base, "code");
        let subject_path = self.subject(obj, base, "subject");
        let result = if obj.contains_key("valueCodeableConcept") {
            let p = join(base, "valueCodeableConcept");
            let codings = self.codings(obj, base, "valueCodeableConcept");
            let known = codings
                .iter()
                .find_map(|c| match (c.system.as_str(), c.code.as_str()) {
                    (SNOMED, SNOMED_DETECTED) => Some(LabResult::Detected),
                    (SNOMED, SNOMED_NOT_DETECTED) => Some(LabResult::NotDetected),
                    (SNOMED, SNOMED_INCONCLUSIVE) => Some(LabResult::Inconclusive),
                    _ => None,
                });
            if known.is_none() {
                if let Some(c) = codings.first() {
                    self.issue(
                        join(&c.path, "code"),
                        format!(
                            "{} {} is not a lab result; expected SNOMED {SNOMED_DETECTED} (detected), {SNOMED_NOT_DETECTED} (not detected) or {SNOMED_INCONCLUSIVE} (inconclusive)",
                            shown(&c.system),
                            shown(&c.code)
                        ),
                    );
                } else if !self.issues.iter().any(|i| i.path.starts_with(&p)) {
                    self.issue(p, "no coding");
                }
            }
            known
        } else if obj.contains_key("valueString") {
            self.str(obj, base, "valueString").and_then(|s| {
                let r = result_word(s);
                if r.is_none() {
                    self.issue(
                        join(base, "valueString"),
                        format!(
                            "{} is not a lab result; expected detected, not detected or inconclusive",
                            shown(s)
                        ),
                    );
                }
                r
            })
        } else {
            self.issue(
                join(base, "valueCodeableConcept"),
                "missing; expected the result as valueCodeableConcept (SNOMED) or valueString",
            );
            None
        };
        let mut ct = None;
        for (path, c) in self.objs(obj, base, "component") {
            let is_ct = c
                .get("code")
                .and_then(|cc| cc.get("coding"))
                .and_then(Value::as_array)
                .is_some_and(|cs| {
                    cs.iter().any(|x| {
                        x.get("system").and_then(Value::as_str) == Some(LOINC)
                            && x.get("code").and_then(Value::as_str) == Some(LOINC_CT)
                    })
                });
            if is_ct {
                let q = self.obj(c, &path, "valueQuantity");
                let p = join(&join(&path, "valueQuantity"), "value");
                match q.map(|q| q.get("value").and_then(Value::as_f64)) {
                    Some(Some(v)) if (0.0..=100.0).contains(&v) => ct = Some(v),
                    Some(Some(_)) => self.issue(p, "a Ct value is between 0 and 100"),
                    _ => self.issue(p, "missing; expected the Ct value as a number"),
                }
            }
        }
        let specimen_id = self.obj(obj, base, "specimen").and_then(|s| {
            let path = join(base, "specimen");
            let ident = self.obj(s, &path, "identifier");
            ident
                .and_then(|i| self.str(i, &join(&path, "identifier"), "value"))
                .or_else(|| self.str(s, &path, "display"))
                .map(str::to_string)
        });
        let effective_ms = self.effective(obj, base, true);
        let performer = self
            .first_obj(obj, base, "performer")
            .and_then(|(path, p)| self.str(p, &path, "display").map(str::to_string));
        if !self.issues.is_empty() {
            return None;
        }
        Some(LabObservation {
            id,
            subject: SubjectRef::Literal(String::new()),
            subject_path,
            code,
            result: result?,
            ct,
            specimen_id,
            effective_ms: effective_ms?,
            performer,
            path: base.to_string(),
        })
    }

    /// `effectiveDateTime`, `effectiveInstant` or `effectivePeriod.start` as UTC epoch ms.
    fn effective(&mut self, obj: &Obj, base: &str, required: bool) -> Option<i64> {
        let (path, text) = if obj.contains_key("effectiveDateTime") {
            (
                join(base, "effectiveDateTime"),
                self.str(obj, base, "effectiveDateTime")?,
            )
        } else if obj.contains_key("effectiveInstant") {
            (
                join(base, "effectiveInstant"),
                self.str(obj, base, "effectiveInstant")?,
            )
        } else if let Some(p) = self.obj(obj, base, "effectivePeriod") {
            let pp = join(base, "effectivePeriod");
            (join(&pp, "start"), self.req_str(p, &pp, "start")?)
        } else {
            if required && !obj.contains_key("effectivePeriod") {
                self.issue(join(base, "effectiveDateTime"), "missing");
            }
            return None;
        };
        match parse_ms(text) {
            Ok(ms) => Some(ms),
            Err(m) => {
                self.issue(path, m);
                None
            }
        }
    }

    fn report(&mut self, obj: &Obj, base: &str) -> Option<LabReport> {
        let id = self.str(obj, base, "id").map(str::to_string);
        let code = self.codings(obj, base, "code");
        let subject_path = self.subject(obj, base, "subject");
        for (path, r) in self.objs(obj, base, "result") {
            self.reference(r, path, Slot::Result, "Observation");
        }
        let conclusion = self.str(obj, base, "conclusion").map(str::to_string);
        let effective_ms = self.effective(obj, base, false);
        if !self.issues.is_empty() {
            return None;
        }
        Some(LabReport {
            id,
            subject: SubjectRef::Literal(String::new()),
            subject_path,
            code,
            results: Vec::new(),
            conclusion,
            effective_ms,
            path: base.to_string(),
        })
    }
}

fn result_word(s: &str) -> Option<LabResult> {
    match s.trim().to_lowercase().as_str() {
        "detected" | "positive" | "pos" | "阳性" => Some(LabResult::Detected),
        "not detected" | "not-detected" | "negative" | "neg" | "阴性" => {
            Some(LabResult::NotDetected)
        }
        "inconclusive" | "indeterminate" | "不确定" | "可疑" => Some(LabResult::Inconclusive),
        _ => None,
    }
}

pub(crate) fn cst() -> FixedOffset {
    #[allow(clippy::expect_used)]
    FixedOffset::east_opt(8 * 3600).expect("+08:00 is a valid offset")
}

const DATE_FORMS: &str = "not a date; expected YYYY-MM-DD or a dateTime with a timezone offset";

/// [`parse_date`] for a field that may also hold a dateTime.
fn parse_date_or_forms(s: &str) -> Result<NaiveDate, &'static str> {
    parse_date(s).map_err(|e| {
        if e.starts_with("a partial") {
            e
        } else {
            DATE_FORMS
        }
    })
}

/// A full `date` (`YYYY-MM-DD`).
fn parse_date(s: &str) -> Result<NaiveDate, &'static str> {
    let b = s.as_bytes();
    if b.len() == 4 || b.len() == 7 {
        return Err("a partial date is not enough; expected YYYY-MM-DD");
    }
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err("not a date; expected YYYY-MM-DD");
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    match (num(0..4), num(5..7), num(8..10)) {
        (Some(y), Some(m), Some(d)) => {
            NaiveDate::from_ymd_opt(y as i32, m, d).ok_or("not a date; expected YYYY-MM-DD")
        }
        _ => Err("not a date; expected YYYY-MM-DD"),
    }
}

/// A `dateTime` parsed as a moment; a date alone is midnight China Standard Time, a time
/// without an offset is read as China Standard Time.
fn parse_moment(s: &str) -> Result<DateTime<FixedOffset>, &'static str> {
    if s.len() <= 10 {
        let d = parse_date_or_forms(s)?;
        return cst()
            .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
            .single()
            .ok_or(DATE_FORMS);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t);
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .and_then(|n| cst().from_local_datetime(&n).single())
        .ok_or(DATE_FORMS)
}

/// The China Standard Time date of a `date` or `dateTime`.
fn parse_day(s: &str) -> Result<NaiveDate, &'static str> {
    if s.len() <= 10 {
        return parse_date_or_forms(s);
    }
    parse_moment(s).map(|t| t.with_timezone(&cst()).date_naive())
}

fn parse_ms(s: &str) -> Result<i64, &'static str> {
    parse_moment(s).map(|t| t.timestamp_millis())
}

/// The fast path of NDJSON Immunization lines: borrowed typed serde structs instead of a
/// `Value` tree. It only ever accepts a line the general path would accept with the same
/// result; anything it is unsure of (another resource type, `null`, escaped strings, a type it
/// does not expect, any invalid value) goes to the general path, which finds every issue.
mod fast {
    use serde::Deserialize;

    use super::{
        parse_day, parse_ms, ref_text, result_word, CodingAt, Immunization, ImmunizationStatus,
        LabObservation, LabResult, Parsed, Pending, RawRef, Resource, Slot, SubjectRef, LOINC,
        LOINC_CT, SNOMED, SNOMED_DETECTED, SNOMED_INCONCLUSIVE, SNOMED_NOT_DETECTED,
    };

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Imm<'a> {
        resource_type: &'a str,
        id: Option<&'a str>,
        #[serde(borrow)]
        identifier: Option<Vec<Ident<'a>>>,
        status: &'a str,
        #[serde(borrow)]
        patient: Ref<'a>,
        #[serde(borrow)]
        vaccine_code: Concept<'a>,
        occurrence_date_time: &'a str,
        lot_number: Option<&'a str>,
        protocol_applied: Vec<Protocol<'a>>,
        #[serde(borrow)]
        location: Option<Display<'a>>,
        #[serde(borrow)]
        performer: Option<Vec<Performer<'a>>>,
    }

    #[derive(Deserialize)]
    struct Ident<'a> {
        system: Option<&'a str>,
        value: Option<&'a str>,
    }

    #[derive(Deserialize)]
    struct Ref<'a> {
        reference: Option<&'a str>,
        #[serde(borrow)]
        identifier: Option<Ident<'a>>,
        #[serde(rename = "type")]
        kind: Option<&'a str>,
    }

    #[derive(Deserialize)]
    struct Concept<'a> {
        #[serde(borrow)]
        coding: Vec<Coding<'a>>,
    }

    #[derive(Deserialize)]
    struct Coding<'a> {
        system: &'a str,
        code: &'a str,
        display: Option<&'a str>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Protocol<'a> {
        dose_number_positive_int: Option<u64>,
        dose_number_string: Option<&'a str>,
    }

    #[derive(Deserialize)]
    struct Display<'a> {
        display: Option<&'a str>,
    }

    #[derive(Deserialize)]
    struct Performer<'a> {
        #[serde(borrow)]
        actor: Option<Display<'a>>,
    }

    /// A non-empty string, as the general path requires of every string.
    fn ok(s: &str) -> Option<&str> {
        (!s.trim().is_empty()).then_some(s)
    }

    fn opt(s: Option<&str>) -> Option<Option<String>> {
        match s {
            None => Some(None),
            Some(s) => ok(s).map(|s| Some(s.to_string())),
        }
    }

    fn subject(r: &Ref) -> Option<RawRef> {
        if r.kind.is_some_and(|k| k != "Patient") {
            return None;
        }
        match (r.reference, &r.identifier) {
            (Some(text), _) => ref_text(ok(text)?, "Patient").ok(),
            (None, Some(x)) => Some(RawRef::Identifier {
                system: ok(x.system?)?.to_string(),
                value: ok(x.value?)?.to_string(),
            }),
            (None, None) => None,
        }
    }

    /// At least one coding, each with system and code.
    fn codings(c: &Concept, path: &str) -> Option<Vec<CodingAt>> {
        if c.coding.is_empty() {
            return None;
        }
        let mut out = Vec::with_capacity(c.coding.len());
        for (k, c) in c.coding.iter().enumerate() {
            out.push(CodingAt {
                system: ok(c.system)?.to_string(),
                code: ok(c.code)?.to_string(),
                display: opt(c.display)?,
                path: format!("{path}.coding[{k}]"),
            });
        }
        Some(out)
    }

    fn parsed(
        n: usize,
        rtype: &'static str,
        id: Option<String>,
        raw: RawRef,
        subject_path: String,
        resource: Resource,
    ) -> Parsed {
        Parsed {
            location: format!("line {n}"),
            full_url: None,
            rtype: Some(rtype),
            key: id.map(|id| (rtype, id)),
            pending: vec![Pending {
                slot: Slot::Subject,
                raw,
                path: subject_path,
                expect: "Patient",
            }],
            resource: Some(resource),
            issues: Vec::new(),
        }
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Obs<'a> {
        resource_type: &'a str,
        id: Option<&'a str>,
        #[serde(borrow)]
        code: Concept<'a>,
        #[serde(borrow)]
        subject: Ref<'a>,
        #[serde(borrow)]
        value_codeable_concept: Option<Concept<'a>>,
        value_string: Option<&'a str>,
        #[serde(borrow)]
        component: Option<Vec<Component<'a>>>,
        #[serde(borrow)]
        specimen: Option<Specimen<'a>>,
        effective_date_time: Option<&'a str>,
        effective_instant: Option<&'a str>,
        #[serde(borrow)]
        effective_period: Option<Period<'a>>,
        #[serde(borrow)]
        performer: Option<Vec<Display<'a>>>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Component<'a> {
        #[serde(borrow)]
        code: Option<LooseConcept<'a>>,
        value_quantity: Option<Quantity>,
    }

    #[derive(Deserialize)]
    struct LooseConcept<'a> {
        #[serde(borrow)]
        coding: Option<Vec<LooseCoding<'a>>>,
    }

    #[derive(Deserialize)]
    struct LooseCoding<'a> {
        system: Option<&'a str>,
        code: Option<&'a str>,
    }

    #[derive(Deserialize)]
    struct Value<'a> {
        value: Option<&'a str>,
    }

    #[derive(Deserialize)]
    struct Quantity {
        value: Option<f64>,
    }

    #[derive(Deserialize)]
    struct Specimen<'a> {
        #[serde(borrow)]
        identifier: Option<Value<'a>>,
        display: Option<&'a str>,
    }

    #[derive(Deserialize)]
    struct Period<'a> {
        start: Option<&'a str>,
    }

    /// The line parsed, if it is a valid Observation the fast path is sure of.
    pub(super) fn observation(line: &str, n: usize) -> Option<Parsed> {
        if !line.contains("\"Observation\"") || line.contains("null") {
            return None;
        }
        let o: Obs = serde_json::from_str(line).ok()?;
        if o.resource_type != "Observation" {
            return None;
        }
        let base = format!("line {n}: Observation");
        let id = opt(o.id)?;
        let code = codings(&o.code, &format!("{base}.code"))?;
        let raw = subject(&o.subject)?;
        let result =
            match (&o.value_codeable_concept, o.value_string) {
                (Some(c), _) => codings(c, "")?.iter().find_map(|c| {
                    match (c.system.as_str(), c.code.as_str()) {
                        (SNOMED, SNOMED_DETECTED) => Some(LabResult::Detected),
                        (SNOMED, SNOMED_NOT_DETECTED) => Some(LabResult::NotDetected),
                        (SNOMED, SNOMED_INCONCLUSIVE) => Some(LabResult::Inconclusive),
                        _ => None,
                    }
                })?,
                (None, Some(s)) => result_word(ok(s)?)?,
                (None, None) => return None,
            };
        let mut ct = None;
        for c in o.component.iter().flatten() {
            let is_ct = c
                .code
                .as_ref()
                .and_then(|cc| cc.coding.as_ref())
                .is_some_and(|cs| {
                    cs.iter()
                        .any(|x| x.system == Some(LOINC) && x.code == Some(LOINC_CT))
                });
            if is_ct {
                match c.value_quantity.as_ref().and_then(|q| q.value) {
                    Some(v) if (0.0..=100.0).contains(&v) => ct = Some(v),
                    _ => return None,
                }
            }
        }
        let specimen_id = match &o.specimen {
            None => None,
            Some(sp) => match sp.identifier.as_ref().and_then(|i| i.value) {
                Some(v) => Some(ok(v)?.to_string()),
                None => opt(sp.display)?,
            },
        };
        let effective = if let Some(t) = o.effective_date_time {
            ok(t)?
        } else if let Some(t) = o.effective_instant {
            ok(t)?
        } else {
            ok(o.effective_period.as_ref()?.start?)?
        };
        let effective_ms = parse_ms(effective).ok()?;
        let performer = match o.performer.as_deref().and_then(|p| p.first()) {
            Some(p) => opt(p.display)?,
            None => None,
        };
        let subject_path = format!("{base}.subject");
        Some(parsed(
            n,
            "Observation",
            id.clone(),
            raw,
            subject_path.clone(),
            Resource::Observation(LabObservation {
                id,
                subject: SubjectRef::Literal(String::new()),
                subject_path,
                code,
                result,
                ct,
                specimen_id,
                effective_ms,
                performer,
                path: base,
            }),
        ))
    }

    /// The line parsed, if it is a valid Immunization the fast path is sure of.
    pub(super) fn immunization(line: &str, n: usize) -> Option<Parsed> {
        // `null` deserialises as a missing field here but is an issue on the general path.
        if !line.contains("\"Immunization\"") || line.contains("null") {
            return None;
        }
        let i: Imm = serde_json::from_str(line).ok()?;
        if i.resource_type != "Immunization" {
            return None;
        }
        let base = format!("line {n}: Immunization");
        let id = opt(i.id)?;
        let identifier = match &i.identifier {
            None => None,
            Some(list) => match list.first() {
                None => None,
                Some(x) => Some((ok(x.system?)?.to_string(), ok(x.value?)?.to_string())),
            },
        };
        let status = match i.status {
            "completed" => ImmunizationStatus::Completed,
            "entered-in-error" => ImmunizationStatus::EnteredInError,
            "not-done" => ImmunizationStatus::NotDone,
            _ => return None,
        };
        let raw = subject(&i.patient)?;
        let vaccine = codings(&i.vaccine_code, &format!("{base}.vaccineCode"))?;
        let occurrence = parse_day(ok(i.occurrence_date_time)?).ok()?;
        let lot = opt(i.lot_number)?;
        let p = i.protocol_applied.first()?;
        let dose_number = match (p.dose_number_positive_int, p.dose_number_string) {
            (Some(n @ 1..=100), _) => n as u32,
            (None, Some(s)) => match s.trim().parse::<u32>() {
                Ok(n @ 1..=100) => n,
                _ => return None,
            },
            _ => return None,
        };
        let site = match &i.location {
            Some(l) => opt(l.display)?,
            None => None,
        };
        let site = match site {
            Some(s) => Some(s),
            None => match i.performer.as_deref().and_then(|p| p.first()) {
                Some(Performer {
                    actor: Some(Display { display }),
                }) => opt(*display)?,
                _ => None,
            },
        };
        let subject_path = format!("{base}.patient");
        let key = id.clone().map(|id| ("Immunization", id));
        Some(Parsed {
            location: format!("line {n}"),
            full_url: None,
            rtype: Some("Immunization"),
            key,
            pending: vec![Pending {
                slot: Slot::Subject,
                raw,
                path: subject_path.clone(),
                expect: "Patient",
            }],
            resource: Some(Resource::Immunization(Immunization {
                id,
                identifier,
                status,
                subject: SubjectRef::Literal(String::new()),
                subject_path,
                vaccine,
                occurrence,
                lot,
                dose_number,
                site,
                path: base,
            })),
            issues: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use proptest::prelude::*;

    use super::{fast, slow_line};

    const LINE: &str = r#"{"resourceType":"Immunization","id":"im1","identifier":[{"system":"urn:oid:1.2","value":"A1"}],"status":"completed","vaccineCode":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"510","display":"BIBP"},{"system":"urn:fangkong:fhir:CodeSystem:vaccine-product","code":"SINOPHARM-BIBP"}]},"patient":{"reference":"Patient/7"},"occurrenceDateTime":"2021-06-01T23:00:00Z","lotNumber":"L1","protocolApplied":[{"doseNumberPositiveInt":2}],"performer":[{"actor":{"display":"site"}}]}"#;
    const LINE2: &str = r#"{"resourceType":"Immunization","status":"not-done","vaccineCode":{"coding":[{"system":"s","code":"c"}]},"patient":{"type":"Patient","identifier":{"system":"s","value":"v"}},"occurrenceDateTime":"2021-06-01","protocolApplied":[{"doseNumberString":" 3 "}],"location":{"display":"x"}}"#;

    const OBS: &str = r#"{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"94500-6"}]},"subject":{"reference":"urn:uuid:a"},"effectiveDateTime":"2022-04-01T08:00:00+08:00","valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"260373001"}]},"component":[{"code":{"coding":[{"system":"http://loinc.org","code":"94509-7"}]},"valueQuantity":{"value":28.5}}],"specimen":{"identifier":{"value":"T0001"}},"performer":[{"display":"lab"}]}"#;
    const OBS2: &str = r#"{"resourceType":"Observation","code":{"coding":[{"system":"http://loinc.org","code":"94500-6"}]},"subject":{"identifier":{"system":"s","value":"v"}},"effectivePeriod":{"start":"2022-04-01"},"valueString":"阴性","specimen":{"display":"T0002"}}"#;

    /// Whatever the fast path accepts, the general path accepts with the same result.
    fn same(line: &str) -> bool {
        let Some(f) = fast::immunization(line, 3).or_else(|| fast::observation(line, 3)) else {
            return false;
        };
        let s = slow_line(line, 3).expect("the fast path accepted a line that is not JSON");
        assert!(s.issues.is_empty(), "{line}: {:?}", s.issues);
        assert_eq!(f.resource, s.resource, "{line}");
        assert_eq!(f.key, s.key, "{line}");
        assert_eq!(f.rtype, s.rtype);
        assert_eq!(f.location, s.location);
        assert_eq!(
            format!("{:?}", f.pending),
            format!("{:?}", s.pending),
            "{line}"
        );
        true
    }

    #[test]
    fn the_fast_path_takes_valid_lines() {
        assert!(same(LINE));
        assert!(same(LINE2));
        assert!(!same(&LINE.replace("completed", "done")));
        assert!(!same(&LINE.replace("\"L1\"", "null")));
        assert!(same(OBS));
        assert!(same(OBS2));
        assert!(!same(&OBS.replace("260373001", "1")));
        assert!(!same(&OBS.replace("28.5", "128.5")));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

        #[test]
        fn the_fast_path_agrees_with_the_general_path(
            which in 0usize..4,
            edits in proptest::collection::vec((0usize..600, proptest::sample::select(br#"{}[]":, 0123456789aeptdnlIxX-."#.to_vec()), 0u8..3), 1..4),
        ) {
            let mut bytes = [LINE, LINE2, OBS, OBS2][which].as_bytes().to_vec();
            for (at, b, op) in edits {
                let at = at % bytes.len();
                match op {
                    0 => bytes[at] = b,
                    1 => { bytes.remove(at); }
                    _ => bytes.insert(at, b),
                }
            }
            if let Ok(line) = std::str::from_utf8(&bytes) {
                same(line);
            }
        }
    }
}
