//! Nucleic-acid testing files: sample collections (who was swabbed into which tube, where and
//! when) and tube results from the labs.
//!
//! A round of testing a whole city is millions of rows, so these parsers stream: each row is
//! checked as the table reader yields it ([`crate::visit_rows`]), and besides the records only
//! one small entry per tube is kept for the checks across rows. CSV, XLSX and NDJSON give the
//! same records and errors. Times are converted to UTC here, once, by one rule: a time with an
//! offset means what it says, a time without one is China Standard Time.
//!
//! Each kind comes as a strict parser (all or nothing, like every import) and a lenient one
//! that keeps the valid rows and reports the others, for feeds where one bad row must not
//! hold back a round. This module does not decide whether a tube, site, lab or person is
//! known to the database, and it never reads the clock. Reasons never quote a value: a
//! shifted column would put an ID number into any of them.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use fangkong_domain::Document;

use crate::error::{Collector, FileErrors, RowError};
use crate::identity::{same_document, IdentityColumns};
use crate::table::{visit_rows, Header, RowRef, RowVisitor};

/// The longest tube id, in characters.
pub const MAX_TUBE_ID_CHARS: usize = 40;
/// The longest site, lab or round code, in characters.
pub const MAX_CODE_CHARS: usize = 40;
/// The largest number of persons pooled into one tube.
pub const MAX_POOL_SIZE: u8 = 20;
/// The largest accepted cycle threshold (Ct) value.
pub const MAX_CT: f32 = 50.0;
/// China Standard Time is UTC+8 all year (China has had no daylight saving time since 1991).
const CHINA_OFFSET_SECONDS: i64 = 8 * 3600;
/// The end of a chain of rows of one tube.
const NO_ROW: usize = usize::MAX;

/// One person's swab, validated: who went into which tube, where and when.
///
/// `Debug` masks the document like the domain types do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleRecord {
    /// The line (or sheet row) the record came from.
    pub line: u64,
    /// The tube's barcode: 1 to [`MAX_TUBE_ID_CHARS`] ASCII letters, digits, `-` or `_`,
    /// as written (case is kept).
    pub tube_id: String,
    /// The person swabbed.
    pub document: Document,
    /// The sampling site's place code or facility code.
    pub site_code: String,
    /// When the swab was taken.
    pub collected_at: DateTime<Utc>,
    /// How many persons the tube pools, 1 to [`MAX_POOL_SIZE`] (1 means a single sample).
    pub pool_size: u8,
    /// The testing round, if given.
    pub round_code: Option<String>,
}

/// The result of testing one tube.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// 阴性.
    Negative,
    /// 阳性.
    Positive,
    /// 可疑: to be retested.
    Inconclusive,
}

impl Outcome {
    /// Every outcome.
    pub const ALL: [Outcome; 3] = [Outcome::Negative, Outcome::Positive, Outcome::Inconclusive];

    /// The stable identifier used in storage and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Negative => "negative",
            Outcome::Positive => "positive",
            Outcome::Inconclusive => "inconclusive",
        }
    }

    /// Parses `negative`/`positive`/`inconclusive` (any case), the short `neg`/`pos`, and
    /// `阴性`/`阳性`/`可疑`. Surrounding whitespace is trimmed.
    ///
    /// # Examples
    /// ```
    /// use fangkong_ingest::testing::Outcome;
    /// assert_eq!(Outcome::parse("阳性"), Some(Outcome::Positive));
    /// assert_eq!(Outcome::parse("NEG"), Some(Outcome::Negative));
    /// assert_eq!(Outcome::parse("weak positive"), None);
    /// ```
    pub fn parse(text: &str) -> Option<Outcome> {
        let text = text.trim();
        let is = |name: &str| text.eq_ignore_ascii_case(name);
        if is("negative") || is("neg") || text == "阴性" {
            Some(Outcome::Negative)
        } else if is("positive") || is("pos") || text == "阳性" {
            Some(Outcome::Positive)
        } else if is("inconclusive") || text == "可疑" {
            Some(Outcome::Inconclusive)
        } else {
            None
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One tube's result from a lab, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultRecord {
    /// The line (or sheet row) the record came from.
    pub line: u64,
    /// The tube's barcode, as in [`SampleRecord::tube_id`].
    pub tube_id: String,
    /// The result.
    pub outcome: Outcome,
    /// The Ct value of the ORF1ab target, 0 to [`MAX_CT`], if given.
    pub ct_orf1ab: Option<f32>,
    /// The Ct value of the N target, 0 to [`MAX_CT`], if given.
    pub ct_n: Option<f32>,
    /// The lab's code.
    pub lab_code: String,
    /// When the tube was tested.
    pub tested_at: DateTime<Utc>,
    /// When the result was reported; not before `tested_at`.
    pub reported_at: DateTime<Utc>,
}

/// Why a text is not a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("expected YYYY-MM-DD HH:MM[:SS] in China Standard Time, or RFC 3339 with an offset")]
    Format,
    #[error("a time written with T needs an offset such as +08:00 or Z")]
    NoOffset,
    #[error("is not a real date and time")]
    Invalid,
}

/// Parses a time as testing files write it, into UTC.
///
/// Two forms are accepted, after trimming:
/// - `YYYY-MM-DD HH:MM` or `YYYY-MM-DD HH:MM:SS`: China Standard Time (UTC+8), the time on
///   the collector's watch and what Excel writes for a date-time cell;
/// - RFC 3339 with an offset: `2026-11-29T16:30:00Z`, `2026-11-30T00:30:00.250+08:00` (a
///   space may stand for the `T`, seconds may be left out, up to 9 fraction digits).
///
/// A `T` without an offset is refused rather than guessed.
///
/// # Errors
/// [`TimeError::Format`] for any other shape, [`TimeError::NoOffset`] for a `T` without an
/// offset, [`TimeError::Invalid`] for a date or time that does not exist (February 30th,
/// 24:00, second 60, an offset past ±23:59).
///
/// # Examples
/// ```
/// use fangkong_ingest::testing::parse_time;
/// let t = parse_time("2026-11-30 00:30").unwrap();
/// assert_eq!(t.to_rfc3339(), "2026-11-29T16:30:00+00:00");
/// assert_eq!(parse_time("2026-11-30T00:30:00+08:00"), Ok(t));
/// ```
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, TimeError> {
    let b = text.trim().as_bytes();
    let digits = |from: usize, to: usize| -> Option<u32> {
        let part = b.get(from..to)?;
        part.iter().try_fold(0u32, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute)) = (
        digits(0, 4),
        digits(5, 7),
        digits(8, 10),
        digits(11, 13),
        digits(14, 16),
    ) else {
        return Err(TimeError::Format);
    };
    let with_t = matches!(b.get(10), Some(b'T' | b't'));
    if !(at(4, b'-') && at(7, b'-') && at(13, b':') && (with_t || at(10, b' '))) {
        return Err(TimeError::Format);
    }
    let mut pos = 16;
    let (mut second, mut nano) = (0, 0);
    if at(pos, b':') {
        second = digits(17, 19).ok_or(TimeError::Format)?;
        pos = 19;
        if at(pos, b'.') {
            let n = b.get(20..).map_or(0, |rest| {
                rest.iter().take_while(|d| d.is_ascii_digit()).count()
            });
            if !(1..=9).contains(&n) {
                return Err(TimeError::Format);
            }
            let fraction = digits(20, 20 + n).ok_or(TimeError::Format)?;
            // n <= 9, so the scale fits and the product is below 10^9.
            nano = fraction * 10u32.pow(9 - n as u32);
            pos = 20 + n;
        }
    }
    let offset_seconds = match b.get(pos..) {
        Some([]) if with_t => return Err(TimeError::NoOffset),
        Some([]) => CHINA_OFFSET_SECONDS,
        Some([b'Z' | b'z']) => 0,
        Some([sign @ (b'+' | b'-'), _, _, b':', _, _]) => {
            let (Some(hours), Some(minutes)) = (digits(pos + 1, pos + 3), digits(pos + 4, pos + 6))
            else {
                return Err(TimeError::Format);
            };
            if hours > 23 || minutes > 59 {
                return Err(TimeError::Invalid);
            }
            let seconds = i64::from(hours * 3600 + minutes * 60);
            if *sign == b'-' {
                -seconds
            } else {
                seconds
            }
        }
        _ => return Err(TimeError::Format),
    };
    let year = i32::try_from(year).map_err(|_| TimeError::Format)?;
    let date = NaiveDate::from_ymd_opt(year, month, day).ok_or(TimeError::Invalid)?;
    let time =
        NaiveTime::from_hms_nano_opt(hour, minute, second, nano).ok_or(TimeError::Invalid)?;
    let utc = NaiveDateTime::new(date, time)
        .checked_sub_signed(TimeDelta::seconds(offset_seconds))
        .ok_or(TimeError::Invalid)?;
    Ok(DateTime::from_naive_utc_and_offset(utc, Utc))
}

/// Parses a sample collection list from CSV, XLSX or NDJSON bytes; all or nothing.
///
/// Columns:
/// - `tube_id` (required): 1 to [`MAX_TUBE_ID_CHARS`] ASCII letters, digits, `-` or `_`.
/// - identity: `id_number` (a mainland ID), or `document_kind` + `document_number` +
///   `nationality`, read exactly as [`crate::parse_persons`] reads them.
/// - `site_code` (required): the sampling site's place code or facility code, 1 to
///   [`MAX_CODE_CHARS`] characters.
/// - `collected_at` (required): a time as [`parse_time`] reads it.
/// - `pool_size` (optional): a whole number from 1 to [`MAX_POOL_SIZE`], 1 when empty.
/// - `round_code` (optional): up to [`MAX_CODE_CHARS`] characters.
///
/// Rows of one tube must agree with the tube's first row on `pool_size` and `site_code`,
/// may not hold one person twice, and may not be more than the pool size: each offending
/// row is an error naming the tube's first line (or the line with the same person).
///
/// # Errors
/// Every bad value of every row and every structural error of [`crate::read_table`]; no
/// reason contains the value itself.
///
/// # Examples
/// ```
/// let csv = "tube_id,id_number,site_code,collected_at\n\
///            T001,11010519491231002X,P4101020010010001,2026-11-30 00:30\n";
/// let samples = fangkong_ingest::parse_samples("samples.csv", csv.as_bytes()).unwrap();
/// assert_eq!(samples[0].collected_at.to_rfc3339(), "2026-11-29T16:30:00+00:00");
/// assert_eq!(samples[0].pool_size, 1);
/// ```
pub fn parse_samples(file_name: &str, bytes: &[u8]) -> Result<Vec<SampleRecord>, FileErrors> {
    let (records, errors) = read_samples(file_name, bytes, None)?;
    errors.finish(records)
}

/// Parses a sample collection list like [`parse_samples`], keeping the valid rows.
///
/// Returns the records of the valid rows in file order, and the errors of the others sorted
/// by line. A row that breaks a rule of its tube is left out and the tube's earlier rows
/// are kept, so the first rows of a tube decide its pool size and site.
///
/// # Errors
/// Only problems of the whole file: unreadable, no header, a repeated header name or a
/// missing required column.
pub fn parse_samples_lenient(
    file_name: &str,
    bytes: &[u8],
) -> Result<(Vec<SampleRecord>, Vec<RowError>), FileErrors> {
    let (records, errors) = read_samples(file_name, bytes, None)?;
    Ok((records, errors.into_sorted()))
}

/// Parses a list of sample collections like [`parse_samples_lenient`], handing the valid
/// records to `send` while the file is read, `chunk_rows` at a time (the last chunk may be
/// smaller), so that they can be stored while the rest is parsed. Every record is handed
/// over exactly once, in file order; the refused rows are returned at the end.
///
/// # Errors
/// Only problems of the whole file, as for [`parse_samples_lenient`]; they are all found in
/// the header, before any record is handed over.
pub fn parse_samples_chunked(
    file_name: &str,
    bytes: &[u8],
    chunk_rows: usize,
    send: &mut dyn FnMut(&[SampleRecord]),
) -> Result<Vec<RowError>, FileErrors> {
    let sink = SampleSink {
        rows: chunk_rows.max(1),
        sent: 0,
        send,
    };
    let (_, errors) = read_samples(file_name, bytes, Some(sink))?;
    Ok(errors.into_sorted())
}

/// Parses a list of tube results from CSV, XLSX or NDJSON bytes; all or nothing.
///
/// Columns:
/// - `tube_id` (required): as in [`parse_samples`].
/// - `result` (required): one of the forms [`Outcome::parse`] accepts.
/// - `ct_orf1ab`, `ct_n` (optional): decimal numbers (`35`, `35.2`) from 0 to [`MAX_CT`].
/// - `lab_code` (required): 1 to [`MAX_CODE_CHARS`] characters.
/// - `tested_at`, `reported_at` (required): times as [`parse_time`] reads them;
///   `reported_at` may not be before `tested_at`.
///
/// A tube may have several results (a retest): they are all kept, in file order. Rows with
/// the same values as an earlier row of the same tube (a result sent twice) give one record,
/// the first.
///
/// # Errors
/// Every bad value of every row and every structural error of [`crate::read_table`].
pub fn parse_results(file_name: &str, bytes: &[u8]) -> Result<Vec<ResultRecord>, FileErrors> {
    let (records, errors) = read_results(file_name, bytes)?;
    errors.finish(records)
}

/// Parses a list of tube results like [`parse_results`], keeping the valid rows.
///
/// # Errors
/// Only problems of the whole file, as for [`parse_samples_lenient`].
pub fn parse_results_lenient(
    file_name: &str,
    bytes: &[u8],
) -> Result<(Vec<ResultRecord>, Vec<RowError>), FileErrors> {
    let (records, errors) = read_results(file_name, bytes)?;
    Ok((records, errors.into_sorted()))
}

fn read_samples(
    file_name: &str,
    bytes: &[u8],
    sink: Option<SampleSink<'_>>,
) -> Result<(Vec<SampleRecord>, Collector), FileErrors> {
    let mut reader = SampleReader {
        columns: None,
        errors: Collector::new(file_name),
        tubes: SampleTubes::default(),
        sink,
    };
    let structural = visit_rows(file_name, bytes, &mut reader)?;
    reader.flush(true);
    reader.errors.extend(structural);
    Ok((reader.tubes.records, reader.errors))
}

fn read_results(
    file_name: &str,
    bytes: &[u8],
) -> Result<(Vec<ResultRecord>, Collector), FileErrors> {
    let mut reader = ResultReader {
        columns: None,
        errors: Collector::new(file_name),
        tubes: ResultTubes::default(),
    };
    let structural = visit_rows(file_name, bytes, &mut reader)?;
    reader.errors.extend(structural);
    Ok((reader.tubes.records, reader.errors))
}

/// The index of a required column, recording an error when it is missing.
fn required(header: &Header, errors: &mut Collector, name: &str) -> Option<usize> {
    let column = header.column(name);
    if column.is_none() {
        errors.push(header.line(), name, "required column is missing");
    }
    column
}

struct SampleColumns {
    tube_id: usize,
    identity: IdentityColumns,
    site_code: usize,
    collected_at: usize,
    pool_size: Option<usize>,
    round_code: Option<usize>,
}

struct SampleReader<'s> {
    columns: Option<SampleColumns>,
    errors: Collector,
    tubes: SampleTubes,
    /// Where the records go, [`SampleSink::rows`] at a time, as they are read.
    sink: Option<SampleSink<'s>>,
}

/// Receives the records of a file in chunks while it is read.
struct SampleSink<'s> {
    rows: usize,
    /// Records already handed over.
    sent: usize,
    send: &'s mut dyn FnMut(&[SampleRecord]),
}

impl SampleReader<'_> {
    /// Hands over the records read since the last call: all of them with `all`, else a
    /// whole chunk when there is one.
    fn flush(&mut self, all: bool) {
        if let Some(sink) = &mut self.sink {
            let records = &self.tubes.records;
            if records.len() > sink.sent && (all || records.len() - sink.sent >= sink.rows) {
                (sink.send)(&records[sink.sent..]);
                sink.sent = records.len();
            }
        }
    }
}

impl RowVisitor for SampleReader<'_> {
    fn header(&mut self, header: &Header) -> Result<(), FileErrors> {
        let mut errors = Collector::new(header.file_name());
        let tube_id = required(header, &mut errors, "tube_id");
        let identity = IdentityColumns::find(header, &mut errors);
        let site_code = required(header, &mut errors, "site_code");
        let collected_at = required(header, &mut errors, "collected_at");
        if let (Some(tube_id), Some(site_code), Some(collected_at)) =
            (tube_id, site_code, collected_at)
        {
            self.columns = Some(SampleColumns {
                tube_id,
                identity,
                site_code,
                collected_at,
                pool_size: header.column("pool_size"),
                round_code: header.column("round_code"),
            });
        }
        errors.finish(())
    }

    fn reserve(&mut self, rows: usize) {
        self.tubes.records.reserve(rows);
        self.tubes.previous.reserve(rows);
    }

    fn row(&mut self, row: RowRef<'_>) {
        let Some(columns) = &self.columns else {
            return;
        };
        let errors = &mut self.errors;
        let line = row.line();
        let before = errors.len();
        let tube_id = read_tube_id(errors, line, row.cell(columns.tube_id));
        let document = columns.identity.read(errors, &row);
        let site_code = read_code(errors, line, "site_code", row.cell(columns.site_code));
        let collected_at = read_time(errors, line, "collected_at", row.cell(columns.collected_at));
        let pool_size = match row.cell_value(columns.pool_size) {
            None => Some(1),
            Some(text) => read_pool_size(errors, line, text),
        };
        let round_code = row
            .cell_value(columns.round_code)
            .and_then(|text| read_code(errors, line, "round_code", text));
        if errors.len() != before {
            return;
        }
        let (Some(tube_id), Some(document), Some(site_code), Some(collected_at), Some(pool_size)) =
            (tube_id, document, site_code, collected_at, pool_size)
        else {
            return;
        };
        let identity_field = columns.identity.field(&row, &document);
        let sample = Sample {
            line,
            tube_id,
            document,
            site_code,
            collected_at,
            pool_size,
            round_code,
        };
        self.tubes.add(errors, sample, identity_field);
        self.flush(false);
    }
}

/// A valid row before it is checked against its tube, borrowing its text from the row.
struct Sample<'a> {
    line: u64,
    tube_id: &'a str,
    document: Document,
    site_code: &'a str,
    collected_at: DateTime<Utc>,
    pool_size: u8,
    round_code: Option<&'a str>,
}

/// Finds things by tube id without keeping a copy of the id: a map from the id's hash to
/// the latest entry with that hash, and a chain from each entry to the previous one with the
/// same hash. The caller compares ids along the chain, so two ids with the same hash are
/// still told apart.
#[derive(Default)]
struct TubeIndex {
    ids: RandomState,
    latest: HashMap<u64, usize, BuildHasherDefault<PreHashed>>,
}

impl TubeIndex {
    fn hash(&self, tube_id: &str) -> u64 {
        self.ids.hash_one(tube_id)
    }

    /// The latest entry whose id has hash `hash`, or [`NO_ROW`].
    fn latest(&self, hash: u64) -> usize {
        self.latest.get(&hash).copied().unwrap_or(NO_ROW)
    }

    /// Makes `entry` the latest with hash `hash`, returning the one before it or [`NO_ROW`].
    fn push(&mut self, hash: u64, entry: usize) -> usize {
        self.latest.insert(hash, entry).unwrap_or(NO_ROW)
    }
}

/// A hasher for keys that are already hashes (by a keyed SipHash, so they are as safe from
/// chosen collisions as the standard map's own hashing).
#[derive(Default)]
struct PreHashed(u64);

impl Hasher for PreHashed {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The records so far and where each tube's rows are among them.
struct SampleTubes {
    records: Vec<SampleRecord>,
    tubes: Vec<Tube>,
    index: TubeIndex,
    /// The tube of the previous row: rows of one tube usually come together.
    recent: usize,
    /// For each record, the previous record of the same tube, or [`NO_ROW`].
    previous: Vec<usize>,
}

/// The records of one tube: its first and last record and how many there are.
struct Tube {
    first: usize,
    last: usize,
    members: u8,
    /// The previous tube whose id has the same hash, or [`NO_ROW`].
    same_hash: usize,
}

impl Default for SampleTubes {
    fn default() -> SampleTubes {
        SampleTubes {
            records: Vec::new(),
            tubes: Vec::new(),
            index: TubeIndex::default(),
            recent: NO_ROW,
            previous: Vec::new(),
        }
    }
}

impl SampleTubes {
    /// The tube with id `tube_id`, or [`NO_ROW`] with the id's hash to add it under.
    fn find(&self, tube_id: &str) -> (usize, Option<u64>) {
        let id_of = |tube: usize| self.records[self.tubes[tube].first].tube_id.as_str();
        if self.recent != NO_ROW && id_of(self.recent) == tube_id {
            return (self.recent, None);
        }
        let hash = self.index.hash(tube_id);
        let mut tube = self.index.latest(hash);
        while tube != NO_ROW {
            if id_of(tube) == tube_id {
                return (tube, None);
            }
            tube = self.tubes[tube].same_hash;
        }
        (NO_ROW, Some(hash))
    }

    /// Adds a sample to its tube, or records why it does not fit there.
    fn add(&mut self, errors: &mut Collector, sample: Sample<'_>, identity_field: &'static str) {
        let index = self.records.len();
        let (found, hash) = self.find(sample.tube_id);
        let previous = match (found, hash) {
            (NO_ROW, hash) => {
                let number = self.tubes.len();
                let same_hash = hash.map_or(NO_ROW, |hash| self.index.push(hash, number));
                self.tubes.push(Tube {
                    first: index,
                    last: index,
                    members: 1,
                    same_hash,
                });
                self.recent = number;
                NO_ROW
            }
            (number, _) => {
                self.recent = number;
                let tube = &mut self.tubes[number];
                let line = sample.line;
                let before = errors.len();
                let first = &self.records[tube.first];
                if tube.members >= first.pool_size {
                    errors.push(
                        line,
                        "tube_id",
                        format!(
                            "the tube is full: pool size {} on line {}",
                            first.pool_size, first.line
                        ),
                    );
                }
                let mut member = tube.last;
                while member != NO_ROW {
                    let earlier = &self.records[member];
                    if same_document(&earlier.document, &sample.document) {
                        errors.push(
                            line,
                            identity_field,
                            format!("same person as line {}, in the same tube", earlier.line),
                        );
                        break;
                    }
                    member = self.previous[member];
                }
                if sample.site_code != first.site_code {
                    errors.push(
                        line,
                        "site_code",
                        format!(
                            "differs from line {}, where the tube first appears",
                            first.line
                        ),
                    );
                }
                if sample.pool_size != first.pool_size {
                    errors.push(
                        line,
                        "pool_size",
                        format!(
                            "differs from line {}, where the tube first appears",
                            first.line
                        ),
                    );
                }
                if errors.len() != before {
                    return;
                }
                let previous = tube.last;
                tube.last = index;
                tube.members += 1;
                previous
            }
        };
        self.previous.push(previous);
        self.records.push(SampleRecord {
            line: sample.line,
            tube_id: sample.tube_id.to_string(),
            document: sample.document,
            site_code: sample.site_code.to_string(),
            collected_at: sample.collected_at,
            pool_size: sample.pool_size,
            round_code: sample.round_code.map(str::to_string),
        });
    }
}

struct ResultColumns {
    tube_id: usize,
    result: usize,
    ct_orf1ab: Option<usize>,
    ct_n: Option<usize>,
    lab_code: usize,
    tested_at: usize,
    reported_at: usize,
}

struct ResultReader {
    columns: Option<ResultColumns>,
    errors: Collector,
    tubes: ResultTubes,
}

impl RowVisitor for ResultReader {
    fn header(&mut self, header: &Header) -> Result<(), FileErrors> {
        let mut errors = Collector::new(header.file_name());
        let tube_id = required(header, &mut errors, "tube_id");
        let result = required(header, &mut errors, "result");
        let lab_code = required(header, &mut errors, "lab_code");
        let tested_at = required(header, &mut errors, "tested_at");
        let reported_at = required(header, &mut errors, "reported_at");
        if let (Some(tube_id), Some(result), Some(lab_code), Some(tested_at), Some(reported_at)) =
            (tube_id, result, lab_code, tested_at, reported_at)
        {
            self.columns = Some(ResultColumns {
                tube_id,
                result,
                ct_orf1ab: header.column("ct_orf1ab"),
                ct_n: header.column("ct_n"),
                lab_code,
                tested_at,
                reported_at,
            });
        }
        errors.finish(())
    }

    fn reserve(&mut self, rows: usize) {
        self.tubes.records.reserve(rows);
        self.tubes.previous.reserve(rows);
    }

    fn row(&mut self, row: RowRef<'_>) {
        let Some(columns) = &self.columns else {
            return;
        };
        let errors = &mut self.errors;
        let line = row.line();
        let before = errors.len();
        let tube_id = read_tube_id(errors, line, row.cell(columns.tube_id));
        let outcome = match row.cell(columns.result) {
            "" => {
                errors.push(line, "result", "is required");
                None
            }
            text => {
                let outcome = Outcome::parse(text);
                if outcome.is_none() {
                    errors.push(
                        line,
                        "result",
                        "expected negative, positive or inconclusive (阴性, 阳性, 可疑)",
                    );
                }
                outcome
            }
        };
        let ct_orf1ab = row
            .cell_value(columns.ct_orf1ab)
            .and_then(|text| read_ct(errors, line, "ct_orf1ab", text));
        let ct_n = row
            .cell_value(columns.ct_n)
            .and_then(|text| read_ct(errors, line, "ct_n", text));
        let lab_code = read_code(errors, line, "lab_code", row.cell(columns.lab_code));
        let tested_at = read_time(errors, line, "tested_at", row.cell(columns.tested_at));
        let reported_at = read_time(errors, line, "reported_at", row.cell(columns.reported_at));
        if let (Some(tested_at), Some(reported_at)) = (tested_at, reported_at) {
            if reported_at < tested_at {
                errors.push(line, "reported_at", "is before tested_at");
            }
        }
        if errors.len() != before {
            return;
        }
        let (Some(tube_id), Some(outcome), Some(lab_code), Some(tested_at), Some(reported_at)) =
            (tube_id, outcome, lab_code, tested_at, reported_at)
        else {
            return;
        };
        self.tubes.add(TubeResult {
            line,
            tube_id,
            outcome,
            ct_orf1ab,
            ct_n,
            lab_code,
            tested_at,
            reported_at,
        });
    }
}

/// A valid result row, borrowing its text from the row.
struct TubeResult<'a> {
    line: u64,
    tube_id: &'a str,
    outcome: Outcome,
    ct_orf1ab: Option<f32>,
    ct_n: Option<f32>,
    lab_code: &'a str,
    tested_at: DateTime<Utc>,
    reported_at: DateTime<Utc>,
}

impl TubeResult<'_> {
    /// Whether `record` says the same about the same tube (the line aside).
    fn repeats(&self, record: &ResultRecord) -> bool {
        self.outcome == record.outcome
            && self.ct_orf1ab == record.ct_orf1ab
            && self.ct_n == record.ct_n
            && self.lab_code == record.lab_code
            && self.tested_at == record.tested_at
            && self.reported_at == record.reported_at
            && self.tube_id == record.tube_id
    }
}

/// The records so far, chained by the hash of their tube id.
#[derive(Default)]
struct ResultTubes {
    records: Vec<ResultRecord>,
    index: TubeIndex,
    /// For each record, the previous record whose tube id has the same hash (the same tube,
    /// but for a collision), or [`NO_ROW`].
    previous: Vec<usize>,
}

impl ResultTubes {
    /// Adds a result unless an earlier row of its tube says the same.
    fn add(&mut self, result: TubeResult<'_>) {
        let hash = self.index.hash(result.tube_id);
        let mut member = self.index.latest(hash);
        while member != NO_ROW {
            if result.repeats(&self.records[member]) {
                return;
            }
            member = self.previous[member];
        }
        let previous = self.index.push(hash, self.records.len());
        self.previous.push(previous);
        self.records.push(ResultRecord {
            line: result.line,
            tube_id: result.tube_id.to_string(),
            outcome: result.outcome,
            ct_orf1ab: result.ct_orf1ab,
            ct_n: result.ct_n,
            lab_code: result.lab_code.to_string(),
            tested_at: result.tested_at,
            reported_at: result.reported_at,
        });
    }
}

fn read_tube_id<'a>(errors: &mut Collector, line: u64, text: &'a str) -> Option<&'a str> {
    let reason = if text.is_empty() {
        "is required".to_string()
    } else if !text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        "may hold only ascii letters, digits, '-' and '_'".to_string()
    } else if text.len() > MAX_TUBE_ID_CHARS {
        format!(
            "has {} characters, at most {MAX_TUBE_ID_CHARS} are allowed",
            text.len()
        )
    } else {
        return Some(text);
    };
    errors.push(line, "tube_id", reason);
    None
}

/// A required code (site, lab) or a given optional one (round).
fn read_code<'a>(
    errors: &mut Collector,
    line: u64,
    field: &'static str,
    text: &'a str,
) -> Option<&'a str> {
    // Bytes bound characters from above, so most codes skip the count.
    let n = if text.len() > MAX_CODE_CHARS {
        text.chars().count()
    } else {
        0
    };
    let reason = if text.is_empty() {
        "is required".to_string()
    } else if n > MAX_CODE_CHARS {
        format!("has {n} characters, at most {MAX_CODE_CHARS} are allowed")
    } else if !text.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
        && text.chars().any(char::is_control)
    {
        "contains a control character such as a line break".to_string()
    } else {
        return Some(text);
    };
    errors.push(line, field, reason);
    None
}

fn read_time(
    errors: &mut Collector,
    line: u64,
    field: &'static str,
    text: &str,
) -> Option<DateTime<Utc>> {
    if text.is_empty() {
        errors.push(line, field, "is required");
        return None;
    }
    match parse_time(text) {
        Ok(time) => Some(time),
        Err(e) => {
            errors.push(line, field, e.to_string());
            None
        }
    }
}

fn read_pool_size(errors: &mut Collector, line: u64, text: &str) -> Option<u8> {
    let size = text
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| text.parse::<u8>().ok())
        .flatten()
        .filter(|n| (1..=MAX_POOL_SIZE).contains(n));
    if size.is_none() {
        errors.push(
            line,
            "pool_size",
            format!("expected a whole number from 1 to {MAX_POOL_SIZE}"),
        );
    }
    size
}

/// A Ct value: digits with an optional decimal fraction, 0 to [`MAX_CT`].
fn read_ct(errors: &mut Collector, line: u64, field: &'static str, text: &str) -> Option<f32> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let plain = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    let value = (plain(whole) && plain(fraction))
        .then(|| text.parse::<f32>().ok())
        .flatten()
        .filter(|ct| (0.0..=MAX_CT).contains(ct));
    if value.is_none() {
        errors.push(line, field, format!("expected a number from 0 to {MAX_CT}"));
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(text: &str) -> String {
        match parse_time(text) {
            Ok(t) => t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            Err(e) => format!("{e:?}"),
        }
    }

    #[test]
    fn times_without_offset_are_china_time() {
        let cases = [
            ("2026-11-30 00:30", "2026-11-29T16:30:00Z"),
            ("2026-11-30 00:30:59", "2026-11-29T16:30:59Z"),
            ("2027-01-01 07:59", "2026-12-31T23:59:00Z"),
            ("2024-03-01 07:00", "2024-02-29T23:00:00Z"),
            ("2026-11-30T00:30:00+08:00", "2026-11-29T16:30:00Z"),
            ("2026-11-29T16:30:00Z", "2026-11-29T16:30:00Z"),
            ("2026-11-29t16:30:00z", "2026-11-29T16:30:00Z"),
            ("2026-11-29 11:30:00-05:00", "2026-11-29T16:30:00Z"),
            ("2026-11-29T16:30+00:00", "2026-11-29T16:30:00Z"),
            ("2026-11-30T00:30:00.25+08:00", "2026-11-29T16:30:00.250Z"),
            (
                "2026-11-30 00:30:00.123456789",
                "2026-11-29T16:30:00.123456789Z",
            ),
            (" 2026-11-30 00:30 ", "2026-11-29T16:30:00Z"),
            ("2026-11-30T00:30:00", "NoOffset"),
            ("2026-11-30T00:30", "NoOffset"),
            ("2026-11-30", "Format"),
            ("2026/11/30 00:30", "Format"),
            ("2026-11-30 0:30", "Format"),
            ("2026-11-30 00:30:00.", "Format"),
            ("2026-11-30 00:30:00.1234567890", "Format"),
            ("2026-11-30 00:30:00+0800", "Format"),
            ("2026-11-30 00:30:00 +08:00", "Format"),
            ("2026-11-30 00:30 CST", "Format"),
            ("２０２６-11-30 00:30", "Format"),
            ("2026-02-29 00:30", "Invalid"),
            ("2026-11-30 24:00", "Invalid"),
            ("2026-11-30 23:59:60", "Invalid"),
            ("2026-11-30T00:30:00+24:00", "Invalid"),
            ("0000-01-01 00:00", "-0001-12-31T16:00:00Z"),
        ];
        let actual: Vec<String> = cases.iter().map(|(text, _)| show(text)).collect();
        let expected: Vec<&str> = cases.iter().map(|(_, want)| *want).collect();
        assert_eq!(actual, expected);
    }

    #[test]
    fn outcomes_round_trip() {
        for outcome in Outcome::ALL {
            assert_eq!(Outcome::parse(outcome.as_str()), Some(outcome));
            assert_eq!(
                Outcome::parse(&outcome.as_str().to_uppercase()),
                Some(outcome)
            );
        }
        assert_eq!(Outcome::parse("可疑"), Some(Outcome::Inconclusive));
        assert_eq!(Outcome::parse("阴 性"), None);
    }
}
