//! Transmission-chain exports: GraphML for graph tools (Gephi, yEd, Cytoscape) and the same
//! edges as a CSV list that Excel opens.
//!
//! Investigators draw and share transmission chains in graph tools; GraphML is the format
//! they all read, with typed attributes so that a tool can colour by cluster or size by
//! generation. The CSV edge list is for people who only have Excel.
//!
//! This module only formats. It does not choose which cases are exported, and it never
//! masks: the caller passes labels that are already masked (`张*`), because a graph file
//! leaves the platform.

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::NaiveDate;

/// The GraphML namespace.
pub const GRAPHML_NAMESPACE: &str = "http://graphml.graphdrawing.org/xmlns";

/// A case in a chain graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphNode {
    /// The case id; the GraphML node id is `c<id>`.
    pub id: i64,
    /// A masked name or another label that identifies no one outside the platform.
    pub label: String,
    /// The case classification key (confirmed, asymptomatic, ...).
    pub classification: String,
    /// The 12-digit community code, or the community's name.
    pub community: String,
    pub onset: Option<NaiveDate>,
    pub reported: NaiveDate,
    /// 1 for a case without an infector.
    pub generation: u32,
    /// The cluster number, if the case is in one.
    pub cluster: Option<u32>,
}

/// A link in a chain graph: `source` infected `target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphEdge {
    /// The infector's case id.
    pub source: i64,
    /// The infectee's case id.
    pub target: i64,
    /// The confidence key (confirmed, probable, possible).
    pub confidence: String,
    /// Where transmission happened (household, workplace, a venue's name, ...).
    pub setting: String,
    /// The serial interval in days, when both onsets are known.
    pub serial_days: Option<i64>,
}

/// The attributes declared as GraphML keys: id, domain, type.
const KEYS: [(&str, &str, &str); 10] = [
    ("label", "node", "string"),
    ("classification", "node", "string"),
    ("community", "node", "string"),
    ("onset", "node", "string"),
    ("reported", "node", "string"),
    ("generation", "node", "int"),
    ("cluster", "node", "int"),
    ("confidence", "edge", "string"),
    ("setting", "edge", "string"),
    ("serial_days", "edge", "long"),
];

/// Writes a chain graph as a directed GraphML document.
///
/// Every attribute is declared by a `<key>` with its `attr.type` (dates are `YYYY-MM-DD`
/// strings, since GraphML has no date type); an absent value (no onset, no cluster, no
/// serial interval) has no `<data>` element. Node ids are `c<case id>` and edge ids `e0`,
/// `e1`, ... in the order given. Text is XML-escaped, and characters XML 1.0 cannot hold
/// (control characters other than tab and line breaks) become U+FFFD. Nodes and edges are
/// written as given: the caller includes a node for both ends of every edge.
///
/// # Examples
/// ```
/// use fangkong_ingest::graph::{write_graphml, GraphEdge, GraphNode};
/// let day = chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
/// let node = |id, label: &str| GraphNode {
///     id,
///     label: label.to_string(),
///     classification: "confirmed".to_string(),
///     community: "411702001001".to_string(),
///     onset: None,
///     reported: day,
///     generation: 1,
///     cluster: Some(1),
/// };
/// let edge = GraphEdge {
///     source: 1,
///     target: 2,
///     confidence: "probable".to_string(),
///     setting: "household".to_string(),
///     serial_days: None,
/// };
/// let xml = write_graphml(&[node(1, "张*"), node(2, "李*")], &[edge]);
/// assert!(xml.contains(r#"<edge id="e0" source="c1" target="c2">"#));
/// ```
pub fn write_graphml(nodes: &[GraphNode], edges: &[GraphEdge]) -> String {
    let mut out = String::with_capacity(1024 + 400 * nodes.len() + 200 * edges.len());
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    // Writing to a String cannot fail, so the results of write! are ignored.
    let _ = writeln!(
        out,
        "<graphml xmlns=\"{GRAPHML_NAMESPACE}\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xsi:schemaLocation=\"{GRAPHML_NAMESPACE} {GRAPHML_NAMESPACE}/1.0/graphml.xsd\">"
    );
    for (id, domain, kind) in KEYS {
        let _ = writeln!(
            out,
            "  <key id=\"{id}\" for=\"{domain}\" attr.name=\"{id}\" attr.type=\"{kind}\"/>"
        );
    }
    out.push_str("  <graph id=\"transmission\" edgedefault=\"directed\">\n");
    for node in nodes {
        let _ = writeln!(out, "    <node id=\"c{}\">", node.id);
        data(&mut out, "label", &node.label);
        data(&mut out, "classification", &node.classification);
        data(&mut out, "community", &node.community);
        if let Some(onset) = node.onset {
            data(&mut out, "onset", &onset.to_string());
        }
        data(&mut out, "reported", &node.reported.to_string());
        data(&mut out, "generation", &node.generation.to_string());
        if let Some(cluster) = node.cluster {
            data(&mut out, "cluster", &cluster.to_string());
        }
        out.push_str("    </node>\n");
    }
    for (n, edge) in edges.iter().enumerate() {
        let _ = writeln!(
            out,
            "    <edge id=\"e{n}\" source=\"c{}\" target=\"c{}\">",
            edge.source, edge.target
        );
        data(&mut out, "confidence", &edge.confidence);
        data(&mut out, "setting", &edge.setting);
        if let Some(days) = edge.serial_days {
            data(&mut out, "serial_days", &days.to_string());
        }
        out.push_str("    </edge>\n");
    }
    out.push_str("  </graph>\n</graphml>\n");
    out
}

/// The header of [`write_chain_csv`].
pub const CHAIN_CSV_HEADER: [&str; 9] = [
    "infector_id",
    "infector_label",
    "infectee_id",
    "infectee_label",
    "confidence",
    "setting",
    "serial_days",
    "cluster",
    "infectee_generation",
];

/// Writes the edges of a chain graph as a CSV list, one link per row, in the order given,
/// with [`CHAIN_CSV_HEADER`] and the conventions of [`crate::export::write_csv`] (byte order mark, CRLF).
///
/// Labels, the cluster and the generation come from the nodes; an edge end without a node
/// gets empty cells there. `cluster` and `infectee_generation` are the infectee's.
///
/// # Examples
/// ```
/// use fangkong_ingest::graph::{write_chain_csv, GraphEdge};
/// let edge = GraphEdge {
///     source: 1,
///     target: 2,
///     confidence: "possible".to_string(),
///     setting: "workplace".to_string(),
///     serial_days: Some(-1),
/// };
/// let csv = String::from_utf8(write_chain_csv(&[], &[edge])).unwrap();
/// assert!(csv.ends_with("\r\n1,,2,,possible,workplace,-1,,\r\n"));
/// ```
pub fn write_chain_csv(nodes: &[GraphNode], edges: &[GraphEdge]) -> Vec<u8> {
    // CSV cannot fail to be written.
    write_chain_table(crate::export::ExportFormat::Csv, nodes, edges).unwrap_or_default()
}

/// The edge list of [`write_chain_csv`] as CSV or as an XLSX workbook (ids and days as
/// numbers there).
///
/// # Errors
/// Only for XLSX, when Excel's limits refuse the table.
pub fn write_chain_table(
    format: crate::export::ExportFormat,
    nodes: &[GraphNode],
    edges: &[GraphEdge],
) -> Result<Vec<u8>, crate::export::XlsxExportError> {
    use crate::export::ExportCell;
    let by_id: HashMap<i64, &GraphNode> = nodes.iter().map(|n| (n.id, n)).collect();
    let label = |id: i64| by_id.get(&id).map_or(String::new(), |n| n.label.clone());
    let rows = edges.iter().map(|edge| {
        let infectee = by_id.get(&edge.target);
        vec![
            ExportCell::from(edge.source),
            label(edge.source).into(),
            ExportCell::from(edge.target),
            label(edge.target).into(),
            edge.confidence.clone().into(),
            edge.setting.clone().into(),
            edge.serial_days.into(),
            infectee.and_then(|n| n.cluster).map(i64::from).into(),
            infectee.map(|n| i64::from(n.generation)).into(),
        ]
    });
    crate::export::write_table(format, "chains", &CHAIN_CSV_HEADER, rows)
}

/// Writes `<data key="{key}">{value}</data>` on its own line, the value escaped.
fn data(out: &mut String, key: &str, value: &str) {
    let _ = write!(out, "      <data key=\"{key}\">");
    escape_into(out, value);
    out.push_str("</data>\n");
}

/// XML-escapes `text` into `out`. Quotes are escaped too, so the result also fits in an
/// attribute; characters that XML 1.0 forbids become U+FFFD.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0, production [2] Char: tab, line feed and carriage return are the only
            // C0 controls allowed, and U+FFFE and U+FFFF are not characters. C1 controls are
            // allowed but discouraged (section 2.2), so they are replaced as well.
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}
