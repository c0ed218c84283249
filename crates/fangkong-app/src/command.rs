//! Command (指挥调度): directives from headquarters to departments or counties, with due time,
//! acknowledgement and completion report; the duty roster (值班值守) with who is on duty now,
//! handover notes and the log of the shift; and the overdue counts the dashboard shows.
//!
//! A directive is issued inside the issuer's jurisdiction to a target inside it; only the
//! target's side acknowledges and reports. Staff on duty are staff, not citizens: their names
//! are not personal data of the registry and are shown in clear.

use fangkong_domain::{JurisdictionCode, Permission};
use fangkong_store::command::{DirectiveRow, LogRow, NewDirective, NewShift, ShiftRow};

use crate::co_investigation::parse_moment;
use crate::{Actor, App, Error, Result};

/// A directive to issue.
#[derive(Debug, Clone, Default)]
pub struct DirectiveInput {
    pub target_code: String,
    /// A department of the target's headquarters (e.g. 流调溯源组); empty for the whole.
    pub target_unit: String,
    pub title: String,
    pub body: String,
    /// `YYYY-MM-DD HH:MM` China time, or RFC 3339.
    pub due: String,
}

/// A shift to add to the roster.
#[derive(Debug, Clone, Default)]
pub struct ShiftInput {
    pub unit_code: String,
    pub unit_name: String,
    pub starts: String,
    pub ends: String,
    pub leader: String,
    pub officer: String,
}

/// Overdue work of a jurisdiction's subtree, for the command dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OverdueCounts {
    /// Co-investigation items still open after their task's deadline.
    pub co_investigation_items: i64,
    /// Directives to the subtree not reported complete by their due time.
    pub directives: i64,
}

fn text(errors: &mut Vec<(String, String)>, field: &str, value: &str, max: usize) -> String {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max {
        errors.push((field.to_string(), format!("1 to {max} characters")));
    }
    v.to_string()
}

impl App {
    /// Issues a directive to a department or a jurisdiction inside the actor's.
    ///
    /// # Errors
    /// `Forbidden` without `command.operate`; `Invalid` naming the fields.
    pub async fn issue_directive(
        &self,
        actor: &Actor,
        input: &DirectiveInput,
    ) -> Result<DirectiveRow> {
        actor.require(Permission::CommandOperate)?;
        let mut errors = Vec::new();
        let title = text(&mut errors, "title", &input.title, 200);
        let body = text(&mut errors, "body", &input.body, 5000);
        let due = parse_moment(&input.due);
        match due {
            None => errors.push((
                "due".into(),
                "expected YYYY-MM-DD HH:MM (China time) or RFC 3339".into(),
            )),
            Some(d) if d <= self.now_ms() => {
                errors.push(("due".into(), "must be in the future".into()))
            }
            Some(_) => {}
        }
        let target = JurisdictionCode::parse(&input.target_code);
        if let Err(e) = &target {
            errors.push(("target_code".into(), e.to_string()));
        }
        if input.target_unit.chars().count() > 100 {
            errors.push(("target_unit".into(), "at most 100 characters".into()));
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let (Ok(target), Some(due)) = (target, due) else {
            return Err(Error::invalid("target_code", "is required"));
        };
        if !actor.scope.covers(target.as_str()) {
            return Err(Error::Forbidden);
        }
        let issuer = actor
            .scope
            .root
            .as_ref()
            .map_or_else(|| target.as_str().to_string(), |r| r.as_str().to_string());
        let d = self
            .store()
            .command()
            .issue(&NewDirective {
                issuer_code: &issuer,
                target_code: target.as_str(),
                target_unit: input.target_unit.trim(),
                title: &title,
                body: &body,
                issued_at: self.now_ms(),
                issued_by: &actor.label(),
                due_at: due,
            })
            .await?;
        self.audit(
            actor,
            "command.directive",
            "directive",
            Some(d.id.to_string()),
            None,
            serde_json::json!({"target": d.target_code}),
        )
        .await?;
        Ok(d)
    }

    /// Directives to or from the actor's jurisdiction, latest first.
    ///
    /// # Errors
    /// `Forbidden` without `command.read`.
    pub async fn directives(&self, actor: &Actor) -> Result<Vec<DirectiveRow>> {
        actor.require(Permission::CommandRead)?;
        Ok(self.store().command().directives(&actor.scope).await?)
    }

    /// One directive to or from the actor's jurisdiction.
    ///
    /// # Errors
    /// `NotFound` outside it.
    pub async fn directive(&self, actor: &Actor, id: i64) -> Result<DirectiveRow> {
        actor.require(Permission::CommandRead)?;
        Ok(self.store().command().directive(&actor.scope, id).await?)
    }

    /// Acknowledges (签收) a directive to the actor's jurisdiction. Acknowledging twice
    /// changes nothing.
    ///
    /// # Errors
    /// `Forbidden` without `command.operate`; `NotFound` when the target lies outside the
    /// actor's jurisdiction.
    pub async fn acknowledge_directive(&self, actor: &Actor, id: i64) -> Result<DirectiveRow> {
        actor.require(Permission::CommandOperate)?;
        let d = self.store().command().directive(&actor.scope, id).await?;
        if !actor.scope.covers(&d.target_code) {
            return Err(Error::NotFound);
        }
        if self
            .store()
            .command()
            .acknowledge(id, self.now_ms(), &actor.label())
            .await?
        {
            self.audit(
                actor,
                "command.acknowledge",
                "directive",
                Some(id.to_string()),
                None,
                serde_json::json!({}),
            )
            .await?;
        }
        Ok(self.store().command().directive(&actor.scope, id).await?)
    }

    /// Reports a directive complete (办结) with a report; it must be acknowledged first.
    ///
    /// # Errors
    /// `Forbidden` without `command.operate`; `NotFound` outside the target; `Invalid` for an
    /// empty report; `Conflict` when not acknowledged or already completed.
    pub async fn complete_directive(
        &self,
        actor: &Actor,
        id: i64,
        report: &str,
    ) -> Result<DirectiveRow> {
        actor.require(Permission::CommandOperate)?;
        let d = self.store().command().directive(&actor.scope, id).await?;
        if !actor.scope.covers(&d.target_code) {
            return Err(Error::NotFound);
        }
        let report = report.trim();
        if report.is_empty() || report.chars().count() > 5000 {
            return Err(Error::invalid("report", "1 to 5000 characters"));
        }
        if !self
            .store()
            .command()
            .complete(id, self.now_ms(), &actor.label(), report)
            .await?
        {
            return Err(Error::Conflict(if d.completed_at.is_some() {
                "directive completed already".into()
            } else {
                "acknowledge the directive first".into()
            }));
        }
        self.audit(
            actor,
            "command.complete",
            "directive",
            Some(id.to_string()),
            None,
            serde_json::json!({}),
        )
        .await?;
        Ok(self.store().command().directive(&actor.scope, id).await?)
    }

    /// Overdue open co-investigation items and directives of `jurisdiction`'s subtree (the
    /// command dashboard's counters), at the app clock's now.
    ///
    /// # Errors
    /// `Forbidden` without `command.read` or `co_investigation.read`, or when the
    /// jurisdiction lies outside the actor's.
    pub async fn overdue_counts(&self, actor: &Actor, jurisdiction: &str) -> Result<OverdueCounts> {
        if !actor.scope.can(Permission::CommandRead)
            && !actor.scope.can(Permission::CoInvestigationRead)
        {
            return Err(Error::Forbidden);
        }
        let code = JurisdictionCode::parse(jurisdiction)
            .map_err(|e| Error::invalid("jurisdiction", e.to_string()))?;
        if !actor.scope.covers(code.as_str()) {
            return Err(Error::Forbidden);
        }
        let (lo, hi) = code.subtree_bounds();
        let now = self.now_ms();
        Ok(OverdueCounts {
            co_investigation_items: self
                .store()
                .co_investigation()
                .count_overdue(&lo, &hi, now)
                .await?,
            directives: self.store().command().count_overdue(&lo, &hi, now).await?,
        })
    }

    /// Adds a shift to a unit's duty roster.
    ///
    /// # Errors
    /// `Forbidden` without `command.operate`; `Invalid` naming the fields; `Conflict` when it
    /// overlaps another shift of the unit.
    pub async fn add_shift(&self, actor: &Actor, input: &ShiftInput) -> Result<ShiftRow> {
        actor.require(Permission::CommandOperate)?;
        let mut errors = Vec::new();
        let unit_name = text(&mut errors, "unit_name", &input.unit_name, 100);
        let leader = text(&mut errors, "leader", &input.leader, 50);
        let officer = text(&mut errors, "officer", &input.officer, 50);
        let starts = parse_moment(&input.starts);
        let ends = parse_moment(&input.ends);
        if starts.is_none() {
            errors.push((
                "starts".into(),
                "expected YYYY-MM-DD HH:MM (China time)".into(),
            ));
        }
        match (starts, ends) {
            (_, None) => errors.push((
                "ends".into(),
                "expected YYYY-MM-DD HH:MM (China time)".into(),
            )),
            (Some(s), Some(e)) if e <= s || e - s > 48 * 3_600_000 => {
                errors.push((
                    "ends".into(),
                    "after the start, at most 48 hours later".into(),
                ));
            }
            _ => {}
        }
        let unit = JurisdictionCode::parse(&input.unit_code);
        if let Err(e) = &unit {
            errors.push(("unit_code".into(), e.to_string()));
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        if unit.is_ok_and(|u| !actor.scope.covers(u.as_str())) {
            return Err(Error::Forbidden);
        }
        let (Some(starts), Some(ends)) = (starts, ends) else {
            return Err(Error::invalid("starts", "is required"));
        };
        let s = self
            .store()
            .command()
            .add_shift(&NewShift {
                unit_code: input.unit_code.trim(),
                unit_name: &unit_name,
                starts_at: starts,
                ends_at: ends,
                leader: &leader,
                officer: &officer,
                created_by: &actor.label(),
            })
            .await
            .map_err(|e| match e {
                fangkong_store::StoreError::Conflict { .. } => {
                    Error::Conflict("the shift overlaps another shift of the unit".into())
                }
                other => other.into(),
            })?;
        self.audit(
            actor,
            "command.shift",
            "duty_shift",
            Some(s.id.to_string()),
            None,
            serde_json::json!({"unit": s.unit_code}),
        )
        .await?;
        Ok(s)
    }

    /// Shifts of units inside the actor's jurisdiction overlapping the China day `day` and
    /// the next (the roster around the clock).
    ///
    /// # Errors
    /// `Forbidden` without `command.read`.
    pub async fn roster(&self, actor: &Actor, day: chrono::NaiveDate) -> Result<Vec<ShiftRow>> {
        actor.require(Permission::CommandRead)?;
        let from = crate::clock::china_midnight_ms(day);
        Ok(self
            .store()
            .command()
            .shifts(&actor.scope, from, from + 2 * 86_400_000)
            .await?)
    }

    /// The shifts on duty now in the actor's jurisdiction.
    ///
    /// # Errors
    /// `Forbidden` without `command.read`.
    pub async fn on_duty(&self, actor: &Actor) -> Result<Vec<ShiftRow>> {
        actor.require(Permission::CommandRead)?;
        let now = self.now_ms();
        Ok(self
            .store()
            .command()
            .shifts(&actor.scope, now, now + 1)
            .await?)
    }

    /// A shift and its log.
    ///
    /// # Errors
    /// `NotFound` outside the actor's jurisdiction.
    pub async fn shift(&self, actor: &Actor, id: i64) -> Result<(ShiftRow, Vec<LogRow>)> {
        actor.require(Permission::CommandRead)?;
        let s = self.store().command().shift(&actor.scope, id).await?;
        let log = self.store().command().logs(id).await?;
        Ok((s, log))
    }

    /// Logs an event during a shift (at the app clock's now).
    ///
    /// # Errors
    /// `Forbidden` without `command.operate`; `NotFound`; `Invalid` for empty text.
    pub async fn log_shift_event(&self, actor: &Actor, id: i64, text_: &str) -> Result<LogRow> {
        actor.require(Permission::CommandOperate)?;
        self.store().command().shift(&actor.scope, id).await?;
        let t = text_.trim();
        if t.is_empty() || t.chars().count() > 2000 {
            return Err(Error::invalid("text", "1 to 2000 characters"));
        }
        Ok(self
            .store()
            .command()
            .log(id, self.now_ms(), t, &actor.label())
            .await?)
    }

    /// Writes the handover note of a shift (交接班).
    ///
    /// # Errors
    /// `Forbidden` without `command.operate`; `NotFound`; `Invalid` for empty text.
    pub async fn hand_over(&self, actor: &Actor, id: i64, note: &str) -> Result<ShiftRow> {
        actor.require(Permission::CommandOperate)?;
        self.store().command().shift(&actor.scope, id).await?;
        let n = note.trim();
        if n.is_empty() || n.chars().count() > 5000 {
            return Err(Error::invalid("note", "1 to 5000 characters"));
        }
        self.store().command().set_handover(id, n).await?;
        Ok(self.store().command().shift(&actor.scope, id).await?)
    }
}
