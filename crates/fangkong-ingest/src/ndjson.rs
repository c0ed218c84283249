//! NDJSON (JSON lines) read into the same rows as CSV: one object per line, its keys the
//! column names.
//!
//! Lab information systems send results as JSON lines more often than as spreadsheets. This
//! module turns each line into text cells for [`crate::table`], so record parsers treat a
//! JSON line exactly like a CSV row (rules at [`crate::Format::Ndjson`]). It does not
//! interpret values beyond making them text, and its reasons never quote a value: serde's
//! own messages for a value of the wrong type do, so they are not used.
//!
//! The header is the union of the keys of all lines, so the file is read twice: once for
//! the keys, once for the rows. Neither pass keeps more than one line.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::error::Category;
use serde_json::value::RawValue;

use crate::error::{FileErrors, RowError, ROW_FIELD};
use crate::table::{normalise_name, Format, Header, RowBuf, RowVisitor, Shaper, UTF8_BOM};

/// The keys and raw values of one line, borrowed from the file where possible.
type Fields<'a> = Vec<(Cow<'a, str>, &'a RawValue)>;

/// Reads the lines of an NDJSON file and hands them to the shaper as rows.
///
/// # Errors
/// When no line is a JSON object, or the visitor refuses the header; every problem of a
/// single line is a row error.
pub(crate) fn read<V: RowVisitor>(
    bytes: &[u8],
    shaper: &mut Shaper<'_>,
    visitor: &mut V,
) -> Result<(), FileErrors> {
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let mut fields: Fields<'_> = Vec::new();

    let mut columns = Columns::default();
    let mut any_object = false;
    for (_, line) in lines(bytes) {
        if is_blank(line) || parse_object(line, &mut fields).is_err() {
            continue;
        }
        any_object = true;
        for (pos, (key, _)) in fields.iter().enumerate() {
            columns.find_or_insert(pos, key);
        }
    }
    if !any_object {
        return Err(FileErrors::whole_file(
            shaper.file(),
            "no line holds a json object",
        ));
    }
    let width = columns.names.len();
    let header = Header::new(shaper.file(), Format::Ndjson, 0, columns.names.clone());
    shaper.set_header(header, visitor)?;

    let mut buf = RowBuf::default();
    let mut given = vec![false; width];
    for (line_no, line) in lines(bytes) {
        if is_blank(line) {
            continue;
        }
        if let Err(reason) = parse_object(line, &mut fields) {
            shaper
                .errors
                .push(RowError::new(line_no, ROW_FIELD, reason));
            continue;
        }
        buf.clear(line_no);
        buf.cells.spans.resize(width, (0, 0));
        given.iter_mut().for_each(|g| *g = false);
        for (pos, (key, raw)) in fields.iter().enumerate() {
            // The first pass saw every key of every line that is an object.
            let Some(col) = columns.find(pos, key) else {
                continue;
            };
            if given[col] {
                buf.cells
                    .bad
                    .push((col, "the key appears twice in the object".to_string()));
                continue;
            }
            given[col] = true;
            match value_text(raw) {
                Ok(text) => buf.cells.spans[col] = buf.store(&text),
                Err(reason) => buf.cells.bad.push((col, reason.to_string())),
            }
        }
        buf.hand_over(shaper, visitor)?;
    }
    Ok(())
}

/// The physical lines of the text with their 1-based numbers, without the line end.
fn lines(bytes: &[u8]) -> impl Iterator<Item = (u64, &[u8])> {
    (1u64..)
        .zip(bytes.split(|b| *b == b'\n'))
        .map(|(n, line)| (n, line.strip_suffix(b"\r").unwrap_or(line)))
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// Parses one line as a JSON object into `fields` (cleared first).
///
/// # Errors
/// Why the line is not a JSON object, without quoting it.
fn parse_object<'a>(line: &'a [u8], fields: &mut Fields<'a>) -> Result<(), String> {
    fields.clear();
    let text = std::str::from_utf8(line)
        .map_err(|_| "text is not utf-8 (gbk?); save the file as utf-8".to_string())?;
    let mut de = serde_json::Deserializer::from_str(text);
    ObjectSeed { fields }
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| json_reason(&e))
}

/// The reason for a line that is not a JSON object. serde's messages for a wrong type
/// quote the value, so only syntax messages (which never do) are passed on.
fn json_reason(e: &serde_json::Error) -> String {
    match e.classify() {
        Category::Syntax | Category::Eof => {
            let text = e.to_string();
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            let message = text.strip_suffix(&suffix).unwrap_or("syntax error");
            format!("not valid json at column {}: {message}", e.column())
        }
        Category::Data | Category::Io => "expected a json object".to_string(),
    }
}

/// The text of a value: strings unescaped, numbers and booleans as written, null empty.
///
/// # Errors
/// For objects and arrays, which are not cells.
fn value_text(raw: &RawValue) -> Result<Cow<'_, str>, &'static str> {
    let text = raw.get().trim();
    match text.as_bytes().first() {
        Some(b'"') => {
            let inner = text.get(1..text.len().saturating_sub(1)).unwrap_or("");
            if inner.contains('\\') {
                serde_json::from_str::<String>(text)
                    .map(Cow::Owned)
                    .map_err(|_| "the text cannot be read")
            } else {
                Ok(Cow::Borrowed(inner))
            }
        }
        Some(b'{') => Err("expected text, a number or null, found an object"),
        Some(b'[') => Err("expected text, a number or null, found an array"),
        Some(b'n') => Ok(Cow::Borrowed("")),
        _ => Ok(Cow::Borrowed(text)),
    }
}

/// The columns of the file: one per distinct key (trimmed, lowercased), in the order first
/// seen.
#[derive(Default)]
struct Columns {
    names: Vec<String>,
    index: HashMap<String, usize>,
    /// The column of the key at each position of the previous line: lines of one file
    /// usually list their keys in the same order, so a comparison saves a hash lookup.
    recent: Vec<usize>,
}

impl Columns {
    fn find(&mut self, pos: usize, key: &str) -> Option<usize> {
        let name = normalise_name(key);
        if let Some(&col) = self.recent.get(pos) {
            if self.names.get(col).is_some_and(|n| *n == name) {
                return Some(col);
            }
        }
        let col = *self.index.get(name.as_ref())?;
        if self.recent.len() <= pos {
            self.recent.resize(pos + 1, usize::MAX);
        }
        self.recent[pos] = col;
        Some(col)
    }

    fn find_or_insert(&mut self, pos: usize, key: &str) {
        if self.find(pos, key).is_none() {
            let name = normalise_name(key).into_owned();
            self.index.insert(name.clone(), self.names.len());
            self.names.push(name);
        }
    }
}

/// Deserializes a JSON object into borrowed keys and raw values.
struct ObjectSeed<'f, 'a> {
    fields: &'f mut Fields<'a>,
}

impl<'a> DeserializeSeed<'a> for ObjectSeed<'_, 'a> {
    type Value = ();

    fn deserialize<D: Deserializer<'a>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'a> Visitor<'a> for ObjectSeed<'_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a json object")
    }

    fn visit_map<M: MapAccess<'a>>(self, mut map: M) -> Result<(), M::Error> {
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let value: &'a RawValue = map.next_value()?;
            self.fields.push((key, value));
        }
        Ok(())
    }
}

/// A key, borrowed from the line unless it has escapes.
struct KeySeed;

impl<'a> DeserializeSeed<'a> for KeySeed {
    type Value = Cow<'a, str>;

    fn deserialize<D: Deserializer<'a>>(self, deserializer: D) -> Result<Cow<'a, str>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'a> Visitor<'a> for KeySeed {
    type Value = Cow<'a, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_borrowed_str<E>(self, v: &'a str) -> Result<Cow<'a, str>, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Cow<'a, str>, E> {
        Ok(Cow::Owned(v.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(line: &str) -> String {
        let mut fields = Vec::new();
        match parse_object(line.as_bytes(), &mut fields) {
            Ok(()) => format!("{} fields", fields.len()),
            Err(reason) => reason,
        }
    }

    #[test]
    fn reasons_never_quote_the_line() {
        assert_eq!(reason(r#""410102199003071230""#), "expected a json object");
        assert_eq!(reason("[410102199003071230]"), "expected a json object");
        assert_eq!(
            reason(r#"{"a":1} x"#),
            "not valid json at column 9: trailing characters"
        );
        assert_eq!(
            reason(r#"{"a":"4101"#),
            "not valid json at column 10: EOF while parsing a string"
        );
        assert_eq!(reason(r#"{"a":1,"a":2}"#), "2 fields");
    }

    #[test]
    fn values_become_text_as_written() {
        let text = |json: &str| {
            let raw: &RawValue = serde_json::from_str(json).unwrap();
            match value_text(raw) {
                Ok(t) => t.into_owned(),
                Err(reason) => format!("bad: {reason}"),
            }
        };
        assert_eq!(text("410102199003071230"), "410102199003071230");
        assert_eq!(text("35.20"), "35.20");
        assert_eq!(text("-1e3"), "-1e3");
        assert_eq!(text(r#"" a\"b\u00e9 ""#), " a\"bé ");
        assert_eq!(text("null"), "");
        assert_eq!(text("true"), "true");
        assert_eq!(
            text("{}"),
            "bad: expected text, a number or null, found an object"
        );
        assert_eq!(
            text("[]"),
            "bad: expected text, a number or null, found an array"
        );
    }
}
