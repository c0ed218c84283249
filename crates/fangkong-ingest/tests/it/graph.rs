//! Transmission-chain exports: the exact GraphML text (keys, escaping, absent values) and the
//! CSV edge list read back through `read_table`.

use chrono::NaiveDate;
use expect_test::expect;
use fangkong_ingest::{read_table, write_chain_csv, write_graphml, GraphEdge, GraphNode};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 3, d).expect("a day of March 2024")
}

/// Three cases of one cluster and one unlinked case; one label needs escaping.
fn chain() -> (Vec<GraphNode>, Vec<GraphEdge>) {
    let node = |id, label: &str, onset: Option<u32>, generation, cluster| GraphNode {
        id,
        label: label.to_string(),
        classification: "confirmed".to_string(),
        community: "411702001001".to_string(),
        onset: onset.map(day),
        reported: day(onset.unwrap_or(1) + 2),
        generation,
        cluster,
    };
    let nodes = vec![
        node(1, "张*", Some(1), 1, Some(1)),
        node(2, "<李&\"四'>", Some(5), 2, Some(1)),
        node(3, "王*", None, 2, Some(1)),
        node(9, "赵*", Some(2), 1, None),
    ];
    let edge = |source, target, confidence: &str, setting: &str, serial_days| GraphEdge {
        source,
        target,
        confidence: confidence.to_string(),
        setting: setting.to_string(),
        serial_days,
    };
    let edges = vec![
        edge(1, 2, "confirmed", "household", Some(4)),
        edge(1, 3, "possible", "餐馆, \"老地方\"", None),
    ];
    (nodes, edges)
}

#[test]
fn graphml_declares_keys_escapes_text_and_omits_absent_values() {
    let (nodes, edges) = chain();
    let xml = write_graphml(&nodes, &edges);
    expect![[r#"
        <?xml version="1.0" encoding="UTF-8"?>
        <graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">
          <key id="label" for="node" attr.name="label" attr.type="string"/>
          <key id="classification" for="node" attr.name="classification" attr.type="string"/>
          <key id="community" for="node" attr.name="community" attr.type="string"/>
          <key id="onset" for="node" attr.name="onset" attr.type="string"/>
          <key id="reported" for="node" attr.name="reported" attr.type="string"/>
          <key id="generation" for="node" attr.name="generation" attr.type="int"/>
          <key id="cluster" for="node" attr.name="cluster" attr.type="int"/>
          <key id="confidence" for="edge" attr.name="confidence" attr.type="string"/>
          <key id="setting" for="edge" attr.name="setting" attr.type="string"/>
          <key id="serial_days" for="edge" attr.name="serial_days" attr.type="long"/>
          <graph id="transmission" edgedefault="directed">
            <node id="c1">
              <data key="label">张*</data>
              <data key="classification">confirmed</data>
              <data key="community">411702001001</data>
              <data key="onset">2024-03-01</data>
              <data key="reported">2024-03-03</data>
              <data key="generation">1</data>
              <data key="cluster">1</data>
            </node>
            <node id="c2">
              <data key="label">&lt;李&amp;&quot;四&apos;&gt;</data>
              <data key="classification">confirmed</data>
              <data key="community">411702001001</data>
              <data key="onset">2024-03-05</data>
              <data key="reported">2024-03-07</data>
              <data key="generation">2</data>
              <data key="cluster">1</data>
            </node>
            <node id="c3">
              <data key="label">王*</data>
              <data key="classification">confirmed</data>
              <data key="community">411702001001</data>
              <data key="reported">2024-03-03</data>
              <data key="generation">2</data>
              <data key="cluster">1</data>
            </node>
            <node id="c9">
              <data key="label">赵*</data>
              <data key="classification">confirmed</data>
              <data key="community">411702001001</data>
              <data key="onset">2024-03-02</data>
              <data key="reported">2024-03-04</data>
              <data key="generation">1</data>
            </node>
            <edge id="e0" source="c1" target="c2">
              <data key="confidence">confirmed</data>
              <data key="setting">household</data>
              <data key="serial_days">4</data>
            </edge>
            <edge id="e1" source="c1" target="c3">
              <data key="confidence">possible</data>
              <data key="setting">餐馆, &quot;老地方&quot;</data>
            </edge>
          </graph>
        </graphml>
    "#]]
    .assert_eq(&xml);
    check_well_formed(&xml);
    // The escaped label reads back as the original.
    let label = xml
        .split("<data key=\"label\">")
        .nth(2)
        .and_then(|rest| rest.split("</data>").next())
        .expect("a second label");
    assert_eq!(unescape(label), "<李&\"四'>");
}

#[test]
fn graphml_replaces_characters_xml_cannot_hold() {
    let (mut nodes, _) = chain();
    nodes.truncate(1);
    nodes[0].label = "a\u{1}b\tc\u{FFFF}".to_string();
    let xml = write_graphml(&nodes, &[]);
    assert!(xml.contains("<data key=\"label\">a\u{FFFD}b\tc\u{FFFD}</data>"));
    assert!(xml.contains("<graph id=\"transmission\" edgedefault=\"directed\">\n    <node"));
    check_well_formed(&xml);
}

#[test]
fn chain_csv_lists_edges_with_the_infectee_cluster_and_generation() {
    let (nodes, mut edges) = chain();
    edges.push(GraphEdge {
        source: 3,
        target: 77,
        confidence: "probable".to_string(),
        setting: String::new(),
        serial_days: Some(-2),
    });
    let bytes = write_chain_csv(&nodes, &edges);
    let text = String::from_utf8(bytes.clone()).expect("utf-8");
    expect![[r#"
        ﻿infector_id,infector_label,infectee_id,infectee_label,confidence,setting,serial_days,cluster,infectee_generation
        1,张*,2,"<李&""四'>",confirmed,household,4,1,2
        1,张*,3,王*,possible,"餐馆, ""老地方""",,1,2
        3,王*,77,,probable,,-2,,
    "#]]
    .assert_eq(&text.replace("\r\n", "\n"));
    let table = read_table("chain.csv", &bytes).expect("the export reads back");
    assert_eq!(table.headers(), fangkong_ingest::graph::CHAIN_CSV_HEADER);
    let second: Vec<&str> = table.rows().nth(1).expect("row 2").cells().collect();
    assert_eq!(second[5], "餐馆, \"老地方\"");
}

/// A minimal structural check without an XML parser: every element that opens is closed in
/// order, and no `&` starts anything but one of the five predefined entities.
fn check_well_formed(xml: &str) {
    let body = xml
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .expect("an XML declaration");
    let mut open: Vec<&str> = Vec::new();
    for tag in body.split('<').skip(1) {
        let tag = tag.split('>').next().expect("a closed tag");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop(), Some(name), "closing {name}");
        } else if !tag.ends_with('/') {
            open.push(tag.split(' ').next().expect("a name"));
        }
    }
    assert!(open.is_empty(), "unclosed {open:?}");
    for (i, _) in xml.match_indices('&') {
        let rest = &xml[i..];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                .iter()
                .any(|e| rest.starts_with(e)),
            "a bare & at {i}"
        );
    }
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}
