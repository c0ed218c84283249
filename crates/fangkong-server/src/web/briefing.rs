//! The daily briefing pages: the list of stored briefings with a button generating today's
//! (`/briefings`), one briefing as a printable A4 page with its charts drawn here as SVG
//! (`/briefings/{day}`), and its XLSX workbook (`/briefings/{day}/workbook.xlsx`), which the
//! CLI writes too (`fangkong briefing`).
//!
//! The charts are drawn on the server so the printed page needs no script and looks the
//! same in every browser; the SVG is built from numbers and escaped labels only.

use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use fangkong_app::briefing::{parse_day, Briefing, Figure};
use minijinja::{context, Value};
use serde::Deserialize;

use super::{check_csrf, render_page, PageResult, WebError};
use crate::auth::WebUser;
use crate::i18n::{text, Lang};
use crate::AppState;

// ---- SVG ------------------------------------------------------------------------------

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A "nice" upper bound of an axis: 1, 2 or 5 times a power of ten at or above `max`.
fn nice_max(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|v| *v >= max)
        .unwrap_or(10.0 * p)
}

fn fmt_tick(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// A bar chart of `bars` (label, value) with an optional line on a right-hand axis (Rt, with
/// a dashed reference at 1). Width and height in SVG units; scales with the page.
pub fn bar_line_svg(
    title: &str,
    bars: &[(String, f64)],
    line: Option<(&str, &[Option<f64>])>,
    width: u32,
    height: u32,
) -> String {
    let (w, h) = (f64::from(width), f64::from(height));
    let (left, right, top, bottom) = (40.0, if line.is_some() { 36.0 } else { 12.0 }, 12.0, 34.0);
    let plot_w = (w - left - right).max(1.0);
    let plot_h = (h - top - bottom).max(1.0);
    let max = nice_max(bars.iter().map(|b| b.1).fold(0.0, f64::max));
    let n = bars.len().max(1) as f64;
    let slot = plot_w / n;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{t}" class="svg-chart"><title>{t}</title>"#,
        t = escape(title)
    );
    // Grid and left ticks.
    for i in 0..=4 {
        let v = max * f64::from(i) / 4.0;
        let y = top + plot_h - plot_h * f64::from(i) / 4.0;
        let _ = write!(
            s,
            r##"<line x1="{left}" y1="{y:.1}" x2="{x2:.1}" y2="{y:.1}" stroke="#d0d7de" stroke-width="0.5"/><text x="{tx:.1}" y="{ty:.1}" font-size="9" text-anchor="end" fill="#57606a">{v}</text>"##,
            x2 = left + plot_w,
            tx = left - 4.0,
            ty = y + 3.0,
            v = fmt_tick(v)
        );
    }
    for (i, (label, value)) in bars.iter().enumerate() {
        let bh = plot_h * value / max;
        let x = left + slot * i as f64 + slot * 0.15;
        let _ = write!(
            s,
            r##"<rect x="{x:.1}" y="{y:.1}" width="{bw:.1}" height="{bh:.1}" fill="#0b5cad"><title>{l}: {v}</title></rect>"##,
            y = top + plot_h - bh,
            bw = slot * 0.7,
            l = escape(label),
            v = fmt_tick(*value)
        );
        // About eight labels along the axis, always the last.
        let every = (bars.len() / 8).max(1);
        if i.is_multiple_of(every) || i + 1 == bars.len() {
            let _ = write!(
                s,
                r##"<text x="{cx:.1}" y="{ly:.1}" font-size="8" text-anchor="middle" fill="#57606a">{l}</text>"##,
                cx = x + slot * 0.35,
                ly = top + plot_h + 12.0,
                l = escape(label)
            );
        }
    }
    if let Some((name, values)) = line {
        let lmax = nice_max(values.iter().flatten().copied().fold(1.5, f64::max));
        let y_of = |v: f64| top + plot_h - plot_h * v / lmax;
        let one = y_of(1.0);
        let _ = write!(
            s,
            r##"<line x1="{left}" y1="{one:.1}" x2="{x2:.1}" y2="{one:.1}" stroke="#555" stroke-dasharray="4 3" stroke-width="0.8"/><text x="{rx:.1}" y="{ty:.1}" font-size="9" fill="#b3261e">{name} 1</text><text x="{rx:.1}" y="{top2:.1}" font-size="9" fill="#b3261e">{lm}</text>"##,
            x2 = left + plot_w,
            rx = left + plot_w + 3.0,
            ty = one + 3.0,
            top2 = top + 3.0,
            name = escape(name),
            lm = fmt_tick(lmax)
        );
        let mut path = String::new();
        for (i, v) in values.iter().enumerate() {
            if let Some(v) = v {
                let x = left + slot * i as f64 + slot * 0.5;
                let _ = write!(
                    path,
                    "{}{x:.1},{y:.1} ",
                    if path.is_empty() { "M" } else { "L" },
                    y = y_of(*v)
                );
            }
        }
        if !path.is_empty() {
            let _ = write!(
                s,
                r##"<path d="{}" fill="none" stroke="#b3261e" stroke-width="1.5"/>"##,
                path.trim_end()
            );
        }
    }
    s.push_str("</svg>");
    s
}

// ---- Pages ------------------------------------------------------------------------------

fn value_text(v: Option<f64>) -> String {
    match v {
        None => "—".to_string(),
        Some(v) if (v - v.round()).abs() < 1e-9 => {
            let n = v.round() as i64;
            let digits = n.unsigned_abs().to_string();
            let mut out = String::new();
            if n < 0 {
                out.push('-');
            }
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i).is_multiple_of(3) {
                    out.push(',');
                }
                out.push(c);
            }
            out
        }
        Some(v) => format!("{v:.1}"),
    }
}

fn change_text(now: Option<f64>, before: Option<f64>) -> String {
    match (now, before) {
        (Some(a), Some(b)) => {
            let d = a - b;
            if d.abs() < 1e-9 {
                "±0".to_string()
            } else if d > 0.0 {
                format!("+{}", value_text(Some(d)))
            } else {
                value_text(Some(d))
            }
        }
        _ => "—".to_string(),
    }
}

fn figure_row(f: &Figure, lang: Lang) -> Value {
    context! {
        key => f.key.clone(),
        label => text(lang, &format!("briefing.figure.{}", f.key)),
        value => value_text(f.value),
        yesterday => value_text(f.yesterday),
        d1 => change_text(f.value, f.yesterday),
        last_week => value_text(f.last_week),
        d7 => change_text(f.value, f.last_week),
    }
}

/// An event's sentence in `lang`: the locale text with `{n}` and `{area}` filled in.
pub fn event_text(e: &fangkong_app::briefing::Event, lang: Lang) -> String {
    text(lang, &format!("briefing.event.{}", e.key))
        .replace("{n}", &value_text(Some(e.value)))
        .replace("{area}", e.area.as_deref().unwrap_or(""))
}

fn curve_svg(b: &Briefing, lang: Lang) -> String {
    let bars: Vec<(String, f64)> = b
        .curve
        .iter()
        .map(|d| (d.day.format("%m-%d").to_string(), f64::from(d.by_report)))
        .collect();
    let rt: Vec<Option<f64>> = b.curve.iter().map(|d| d.rt.map(|r| r.0)).collect();
    let has_rt = rt.iter().any(Option::is_some);
    bar_line_svg(
        &text(lang, "briefing.curve"),
        &bars,
        has_rt.then_some(("Rt", rt.as_slice())),
        640,
        220,
    )
}

fn areas_svg(b: &Briefing, lang: Lang) -> String {
    let bars: Vec<(String, f64)> = b
        .areas
        .iter()
        .map(|a| (a.name.clone(), a.new_7d as f64))
        .collect();
    bar_line_svg(&text(lang, "briefing.areas_chart"), &bars, None, 640, 200)
}

/// The briefing page's context.
fn briefing_context(b: &Briefing, lang: Lang) -> Value {
    context! {
        b => context! {
            day => b.day.to_string(),
            code => b.jurisdiction_code.clone(),
            name => b.jurisdiction_name.clone(),
            revision => b.revision,
            generated_at => b.generated_at_ms,
            generated_by => b.generated_by.clone(),
        },
        figures => b.figures.iter().map(|f| figure_row(f, lang)).collect::<Vec<_>>(),
        areas => b.areas.iter().map(|a| context! {
            code => a.code.clone(), name => a.name.clone(), new_today => a.new_today,
            new_7d => a.new_7d, active => a.active,
            rate => a.new_7d_per_100k.map(|r| format!("{r:.2}")),
        }).collect::<Vec<_>>(),
        steps => b.four_early.iter().map(|s| context! {
            key => s.key.clone(), n => s.n, timely => s.timely, target => s.target_hours,
            median => s.median_hours.map(|m| format!("{m:.1}")),
            pct => (s.n > 0).then(|| format!("{:.0}", s.timely as f64 * 100.0 / s.n as f64)),
        }).collect::<Vec<_>>(),
        events => b.events.iter().map(|e| event_text(e, lang)).collect::<Vec<_>>(),
        curve_svg => Value::from_safe_string(curve_svg(b, lang)),
        areas_svg => Value::from_safe_string(areas_svg(b, lang)),
        has_curve => !b.curve.is_empty(),
        has_areas => !b.areas.is_empty(),
    }
}

/// What the list page shows after an action.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    done: Option<String>,
}

/// `GET /briefings`: the stored briefings, newest first, and the button generating today's.
pub async fn list(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let lang = user.lang;
    let rows = state
        .app
        .briefings(&user.actor, 400)
        .await
        .map_err(|e| WebError::new(&e, lang))?;
    let codes: Vec<&str> = rows.iter().map(|r| r.jurisdiction_code.as_str()).collect();
    let names = state
        .app
        .store()
        .jurisdictions()
        .get_many(&codes)
        .await
        .map_err(|e| WebError::new(&e.into(), lang))?;
    let page = context! {
        today => state.app.today().to_string(),
        can_generate => user.actor.scope.can(fangkong_domain::Permission::BriefingWrite),
        done => q.done,
        rows => rows.iter().map(|r| context! {
            day => r.day.to_string(), code => r.jurisdiction_code.clone(),
            name => names.get(&r.jurisdiction_code).map(|j| j.name.clone()).unwrap_or_default(),
            revision => r.revision, generated_at => r.generated_at_ms, generated_by => r.generated_by.clone(),
        }).collect::<Vec<_>>(),
    };
    render_page(
        &state,
        &user,
        "briefing/list.html",
        "briefings",
        "/briefings",
        page,
    )
}

/// The generate form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct GenerateForm {
    csrf: String,
}

/// `POST /briefings`: generates today's briefing of the user's jurisdiction and opens it.
pub async fn generate(
    State(state): State<AppState>,
    user: WebUser,
    Form(f): Form<GenerateForm>,
) -> Result<Response, WebError> {
    check_csrf(&user, &f.csrf)?;
    let b = state
        .app
        .generate_briefing(&user.actor, state.app.today())
        .await
        .map_err(|e| WebError::new(&e, user.lang))?;
    Ok(Redirect::to(&format!(
        "/briefings/{}?jurisdiction={}",
        b.day, b.jurisdiction_code
    ))
    .into_response())
}

/// Which jurisdiction's briefing (the user's top one by default).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ShowQuery {
    jurisdiction: Option<String>,
}

async fn load(
    state: &AppState,
    user: &WebUser,
    day: &str,
    q: &ShowQuery,
) -> Result<Briefing, WebError> {
    let lang = user.lang;
    let day = parse_day(day).map_err(|e| WebError::new(&e, lang))?;
    state
        .app
        .briefing(&user.actor, day, q.jurisdiction.as_deref())
        .await
        .map_err(|e| WebError::new(&e, lang))
}

/// `GET /briefings/{day}`: the printable briefing.
pub async fn show(
    State(state): State<AppState>,
    user: WebUser,
    Path(day): Path<String>,
    Query(q): Query<ShowQuery>,
) -> PageResult {
    let b = load(&state, &user, &day, &q).await?;
    let here = format!("/briefings/{}", b.day);
    render_page(
        &state,
        &user,
        "briefing/show.html",
        "briefings",
        &here,
        briefing_context(&b, user.lang),
    )
}

/// `GET /briefings/{day}/workbook.xlsx`: the briefing as a workbook in the user's language.
pub async fn workbook_xlsx(
    State(state): State<AppState>,
    user: WebUser,
    Path(day): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, WebError> {
    let b = load(&state, &user, &day, &q).await?;
    let bytes = workbook(&b, user.lang).map_err(|e| {
        ::tracing::error!(error = %e, "briefing workbook failed");
        WebError::new(
            &fangkong_app::Error::invalid("workbook", "the workbook could not be written"),
            user.lang,
        )
    })?;
    let name = format!("briefing-{}-{}.xlsx", b.jurisdiction_code, b.day);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

// ---- Workbook ----------------------------------------------------------------------------

/// The briefing as an XLSX workbook: the figures with yesterday's and last week's and their
/// changes, the subdivisions, the curve with Rt and native Excel charts of both, the four
/// earlies and the events; labels in `lang`.
///
/// # Errors
/// When Excel's limits refuse a cell (not expected for a briefing).
pub fn workbook(b: &Briefing, lang: Lang) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Chart, ChartType, Format, Workbook};
    let t = |k: &str| text(lang, k);
    let bold = Format::new().set_bold();
    let mut book = Workbook::new();
    book.set_properties(&rust_xlsxwriter::DocProperties::new().set_title(format!(
        "{} · {} · {}",
        t("briefing.title"),
        b.jurisdiction_name,
        b.day
    )));
    let num = |ws: &mut rust_xlsxwriter::Worksheet, r: u32, c: u16, v: Option<f64>| match v {
        Some(v) => ws.write_number(r, c, v).map(|_| ()),
        None => ws.write_string(r, c, "—").map(|_| ()),
    };

    let ws = book.add_worksheet();
    ws.set_name(t("briefing.sheet.figures"))?;
    let header = [
        "briefing.col.figure",
        "briefing.col.today",
        "briefing.col.yesterday",
        "briefing.col.change_day",
        "briefing.col.last_week",
        "briefing.col.change_week",
    ];
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, t(h), &bold)?;
    }
    for (i, f) in b.figures.iter().enumerate() {
        let r = 1 + i as u32;
        ws.write_string(r, 0, t(&format!("briefing.figure.{}", f.key)))?;
        num(ws, r, 1, f.value)?;
        num(ws, r, 2, f.yesterday)?;
        num(ws, r, 3, f.value.zip(f.yesterday).map(|(a, y)| a - y))?;
        num(ws, r, 4, f.last_week)?;
        num(ws, r, 5, f.value.zip(f.last_week).map(|(a, w)| a - w))?;
    }
    ws.autofit();

    let ws = book.add_worksheet();
    let areas_name = t("briefing.sheet.areas");
    ws.set_name(&areas_name)?;
    let header = [
        "col.code",
        "col.name",
        "briefing.col.new_today",
        "briefing.col.new_7d",
        "briefing.col.active",
        "dashboard.per_100k",
    ];
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, t(h), &bold)?;
    }
    for (i, a) in b.areas.iter().enumerate() {
        let r = 1 + i as u32;
        ws.write_string(r, 0, &a.code)?;
        ws.write_string(r, 1, &a.name)?;
        ws.write_number(r, 2, a.new_today as f64)?;
        ws.write_number(r, 3, a.new_7d as f64)?;
        ws.write_number(r, 4, a.active as f64)?;
        num(ws, r, 5, a.new_7d_per_100k)?;
    }
    if !b.areas.is_empty() {
        let last = b.areas.len() as u32;
        let mut chart = Chart::new(ChartType::Bar);
        chart
            .add_series()
            .set_categories((areas_name.as_str(), 1, 1, last, 1))
            .set_values((areas_name.as_str(), 1, 3, last, 3))
            .set_name(t("briefing.col.new_7d").as_str());
        chart.title().set_name(t("briefing.areas_chart").as_str());
        ws.insert_chart(1, 7, &chart)?;
    }
    ws.autofit();

    let ws = book.add_worksheet();
    let curve_name = t("briefing.sheet.curve");
    ws.set_name(&curve_name)?;
    let header = [
        "analysis.day",
        "analysis.by_onset",
        "analysis.by_report",
        "briefing.col.rt",
        "briefing.col.rt_low",
        "briefing.col.rt_high",
    ];
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, t(h), &bold)?;
    }
    for (i, d) in b.curve.iter().enumerate() {
        let r = 1 + i as u32;
        ws.write_string(r, 0, d.day.to_string())?;
        ws.write_number(r, 1, f64::from(d.by_onset))?;
        ws.write_number(r, 2, f64::from(d.by_report))?;
        if let Some((mean, lo, hi)) = d.rt {
            ws.write_number(r, 3, mean)?;
            ws.write_number(r, 4, lo)?;
            ws.write_number(r, 5, hi)?;
        }
    }
    if !b.curve.is_empty() {
        let last = b.curve.len() as u32;
        let mut bars = Chart::new(ChartType::Column);
        bars.add_series()
            .set_categories((curve_name.as_str(), 1, 0, last, 0))
            .set_values((curve_name.as_str(), 1, 2, last, 2))
            .set_name(t("analysis.by_report").as_str());
        let mut rt = Chart::new(ChartType::Line);
        rt.add_series()
            .set_categories((curve_name.as_str(), 1, 0, last, 0))
            .set_values((curve_name.as_str(), 1, 3, last, 3))
            .set_name("Rt")
            .set_secondary_axis(true);
        bars.combine(&rt);
        bars.title().set_name(t("briefing.curve").as_str());
        ws.insert_chart(1, 7, &bars)?;
    }
    ws.autofit();

    let ws = book.add_worksheet();
    ws.set_name(t("briefing.sheet.timeliness"))?;
    let header = [
        "dashboard.step",
        "dashboard.n",
        "dashboard.median_hours",
        "dashboard.timely",
        "briefing.col.target_hours",
    ];
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, t(h), &bold)?;
    }
    for (i, s) in b.four_early.iter().enumerate() {
        let r = 1 + i as u32;
        ws.write_string(r, 0, t(&format!("dashboard.early.{}", s.key)))?;
        ws.write_number(r, 1, s.n as f64)?;
        num(ws, r, 2, s.median_hours)?;
        ws.write_number(r, 3, s.timely as f64)?;
        ws.write_number(r, 4, s.target_hours)?;
    }
    ws.autofit();

    let ws = book.add_worksheet();
    ws.set_name(t("briefing.sheet.events"))?;
    ws.write_string_with_format(0, 0, t("briefing.events"), &bold)?;
    for (i, e) in b.events.iter().enumerate() {
        ws.write_string(1 + i as u32, 0, event_text(e, lang))?;
    }
    if b.events.is_empty() {
        ws.write_string(1, 0, t("briefing.no_events"))?;
    }
    ws.autofit();
    book.save_to_buffer()
}
