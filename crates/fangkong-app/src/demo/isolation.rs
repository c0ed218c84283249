//! An isolation and treatment picture for the demo city, so the site and hospital boards,
//! the placement queue, the teams' rotation and the forecasts answer with real figures:
//!
//! - the municipal treatment teams (six medical teams of five and two site teams of four),
//!   the first four deployed to the designated hospitals for two weeks from a week ago, two
//!   relieving two of them a week from now (a rotation), the site teams at the two largest
//!   quarantine sites;
//! - the people waiting for a room (arrivals and traced contacts under a centralised
//!   quarantine) placed by the allocator, most checked in, the ones whose measure starts
//!   today still on their way; one resident with a fever transferred early to hospital;
//! - the open cases of the tracing picture admitted to the designated hospitals by severity;
//! - two rooms out of service.
//!
//! Everything goes through the app as staff would do it (proposal, commit, check-in,
//! transfer, admission, team deployment), so the audit log and the counters are those of real
//! work. The picture is deterministic for a seed and a day and is seeded once (a meta key).

use chrono::Duration;
use fangkong_domain::CaseClass;
use fangkong_store::treatment::AdmissionFilter;

use crate::isolation::{PlacementInput, TransferInput};
use crate::treatment::{AdmitInput, DeployInput, TeamInput};
use crate::{Actor, App, Result};

/// The meta key set when the isolation picture is complete.
const META_ISOLATION: &str = "demo.isolation";
/// Placements committed per batch, as a desk works through the queue.
const PLACEMENT_BATCH: usize = 200;

/// The teams: name and members (name, specialty key, leader).
const TEAMS: [(&str, [(&str, &str); 5]); 8] = [
    (
        "市第一医疗救治队",
        [
            ("刘建国", "critical_care"),
            ("陈静", "respiratory"),
            ("王磊", "infectious_disease"),
            ("张敏", "nursing"),
            ("李娜", "nursing"),
        ],
    ),
    (
        "市第二医疗救治队",
        [
            ("赵志强", "critical_care"),
            ("孙丽", "respiratory"),
            ("周涛", "infectious_disease"),
            ("吴芳", "nursing"),
            ("郑艳", "nursing"),
        ],
    ),
    (
        "市第三医疗救治队",
        [
            ("王永红", "respiratory"),
            ("冯军", "critical_care"),
            ("陈晓燕", "tcm"),
            ("褚秀英", "nursing"),
            ("卫平", "nursing"),
        ],
    ),
    (
        "市第四医疗救治队",
        [
            ("蒋国华", "infectious_disease"),
            ("沈洁", "critical_care"),
            ("韩冰", "respiratory"),
            ("杨帆", "nursing"),
            ("朱琳", "psychology"),
        ],
    ),
    (
        "市第五医疗救治队",
        [
            ("秦海", "critical_care"),
            ("尤佳", "respiratory"),
            ("许诺", "infectious_disease"),
            ("何雪", "nursing"),
            ("吕婷", "nursing"),
        ],
    ),
    (
        "市第六医疗救治队",
        [
            ("施文", "respiratory"),
            ("张伟", "critical_care"),
            ("孔丽华", "tcm"),
            ("曹颖", "nursing"),
            ("严红", "nursing"),
        ],
    ),
    (
        "隔离点第一工作队",
        [
            ("华强", "management"),
            ("金鑫", "disinfection"),
            ("魏兰", "psychology"),
            ("陶然", "nursing"),
            ("", ""),
        ],
    ),
    (
        "隔离点第二工作队",
        [
            ("姜涛", "management"),
            ("戚明", "disinfection"),
            ("谢芳", "psychology"),
            ("邹静", "nursing"),
            ("", ""),
        ],
    ),
];

impl App {
    /// Seeds the isolation and treatment picture once (see the module docs). Needs the demo
    /// city and the inbound and tracing pictures.
    ///
    /// # Errors
    /// Store failures; a refusal of the app would be a bug of the seed.
    pub async fn seed_demo_isolation(&self, config: &super::DemoConfig) -> Result<()> {
        let store = self.store();
        if store.meta().get(META_ISOLATION).await?.is_some() {
            return Ok(());
        }
        let actor = Actor::system("demo");
        let today = self.today();
        self.seed_teams(&actor, &config.city_code, today).await?;
        self.seed_placements(&actor, today).await?;
        self.seed_admissions(&actor).await?;
        store.meta().set(META_ISOLATION, &today.to_string()).await?;
        Ok(())
    }

    async fn seed_teams(&self, actor: &Actor, city: &str, today: chrono::NaiveDate) -> Result<()> {
        let mut ids = Vec::new();
        for (name, members) in TEAMS {
            let members = members
                .iter()
                .filter(|(n, _)| !n.is_empty())
                .enumerate()
                .map(|(i, (n, s))| ((*n).to_string(), (*s).to_string(), i == 0))
                .collect();
            let team = self
                .create_team(
                    actor,
                    &TeamInput {
                        name: name.to_string(),
                        jurisdiction_code: city.to_string(),
                        members,
                    },
                )
                .await?;
            ids.push(team.team.id);
        }
        let hospitals = self.designated_hospitals(actor).await?;
        let mut sites = self.isolation_sites(actor).await?;
        sites.sort_by_key(|s| (std::cmp::Reverse(s.rooms), s.id));
        let from = today - Duration::days(7);
        let to = today + Duration::days(6);
        let mut first_deployments = Vec::new();
        for (team, hospital) in ids.iter().take(4).zip(&hospitals) {
            let view = self
                .deploy_team(
                    actor,
                    *team,
                    &DeployInput {
                        facility_id: hospital.id,
                        starts_on: from,
                        ends_on: to,
                        rotate_out: None,
                    },
                )
                .await?;
            if let Some(d) = view.current {
                first_deployments.push((hospital.id, d.id));
            }
        }
        // Teams five and six relieve teams one and two a week from now.
        for (team, (hospital, outgoing)) in ids[4..6].iter().zip(first_deployments.iter().take(2)) {
            self.deploy_team(
                actor,
                *team,
                &DeployInput {
                    facility_id: *hospital,
                    starts_on: today + Duration::days(4),
                    ends_on: today + Duration::days(17),
                    rotate_out: Some(*outgoing),
                },
            )
            .await?;
        }
        for (team, site) in ids[6..].iter().zip(&sites) {
            self.deploy_team(
                actor,
                *team,
                &DeployInput {
                    facility_id: site.id,
                    starts_on: today - Duration::days(3),
                    ends_on: today + Duration::days(10),
                    rotate_out: None,
                },
            )
            .await?;
        }
        Ok(())
    }

    async fn seed_placements(&self, actor: &Actor, today: chrono::NaiveDate) -> Result<()> {
        let queue = self.placement_queue(actor).await?;
        let starts: std::collections::HashMap<i64, chrono::NaiveDate> = queue
            .iter()
            .map(|q| (q.row.measure_id, q.centralised_from))
            .collect();
        // Batches of whole households, in queue order, each proposed and then committed.
        let mut households: Vec<(i64, Vec<i64>)> = Vec::new();
        for q in &queue {
            match households.iter_mut().find(|(h, _)| *h == q.household_key) {
                Some((_, members)) => members.push(q.row.measure_id),
                None => households.push((q.household_key, vec![q.row.measure_id])),
            }
        }
        let mut batches: Vec<Vec<i64>> = vec![Vec::new()];
        for (_, members) in households {
            if batches
                .last()
                .is_some_and(|b| b.len() + members.len() > PLACEMENT_BATCH)
            {
                batches.push(Vec::new());
            }
            if let Some(b) = batches.last_mut() {
                b.extend(members);
            }
        }
        let mut stays = Vec::new();
        for batch in batches.iter().filter(|b| !b.is_empty()) {
            let proposal = self.propose_placement(actor, Some(batch)).await?;
            let input: Vec<PlacementInput> = proposal
                .placements
                .iter()
                .map(|p| PlacementInput {
                    measure_id: p.measure_id,
                    room_id: p.room_id,
                    override_reason: None,
                })
                .collect();
            if !input.is_empty() {
                stays.extend(self.place(actor, &input, Some(batch)).await?);
            }
        }
        // Those whose quarantine began before today have arrived; of today's, two in three.
        let mut checked_in = Vec::new();
        for (i, s) in stays.iter().enumerate() {
            let arrived = starts.get(&s.measure_id).is_some_and(|d| *d < today) || i % 3 != 0;
            if arrived {
                self.check_in(actor, s.id).await?;
                checked_in.push(s.id);
            }
        }
        // One resident runs a fever and goes to hospital early.
        if let (Some(stay), Some(hospital)) = (
            checked_in.first(),
            self.designated_hospitals(actor).await?.first(),
        ) {
            self.transfer_stay(
                actor,
                *stay,
                &TransferInput {
                    hospital_id: hospital.id,
                    bed_type: "isolation".into(),
                    severity: "moderate".into(),
                    note: "隔离期间发热38.6℃，核酸复检阳性".into(),
                },
            )
            .await?;
        }
        // Two free rooms of the largest site are out of service.
        let mut sites = self.isolation_sites(actor).await?;
        sites.sort_by_key(|s| (std::cmp::Reverse(s.rooms), s.id));
        if let Some(site) = sites.first() {
            let detail = self.isolation_site(actor, site.id).await?;
            let free = detail
                .rooms
                .iter()
                .filter(|r| r.status == fangkong_domain::RoomStatus::Free)
                .map(|r| r.room.id)
                .take(2)
                .collect::<Vec<_>>();
            for (room, reason) in free.iter().zip(["空调故障维修", "卫生间漏水"]) {
                self.set_room_service(actor, *room, Some(reason)).await?;
            }
        }
        Ok(())
    }

    async fn seed_admissions(&self, actor: &Actor) -> Result<()> {
        let hospitals = self.designated_hospitals(actor).await?;
        if hospitals.is_empty() {
            return Ok(());
        }
        let admitted: std::collections::HashSet<i64> = self
            .admissions(
                actor,
                &AdmissionFilter {
                    hospital: None,
                    open_only: true,
                    limit: 100_000,
                },
            )
            .await?
            .iter()
            .map(|a| a.person_id)
            .collect();
        let mut cases = self.cases(actor, None, None, 10_000).await?;
        cases.sort_by_key(|c| c.id);
        let mut k = 0usize;
        for c in cases {
            let class = CaseClass::parse(&c.fields.classification);
            if c.fields.outcome != "open"
                || !matches!(class, Some(CaseClass::Confirmed | CaseClass::Asymptomatic))
                || admitted.contains(&c.person_id)
            {
                continue;
            }
            let severity = c.fields.severity.clone().unwrap_or_else(|| "mild".into());
            let bed = match severity.as_str() {
                "critical" | "severe" => "icu",
                "moderate" => "isolation",
                _ => "general",
            };
            // Round robin over the designated hospitals, skipping a full ward.
            for attempt in 0..hospitals.len() {
                let h = &hospitals[(k + attempt) % hospitals.len()];
                let (beds, occupied) = self.store().treatment().hospital(h.id).await?.beds(bed);
                if occupied < beds {
                    self.admit(
                        actor,
                        &AdmitInput {
                            person_id: c.person_id,
                            hospital_id: h.id,
                            bed_type: bed.into(),
                            severity: severity.clone(),
                        },
                    )
                    .await?;
                    break;
                }
            }
            k += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use fangkong_store::isolation::StayFilter;
    use fangkong_store::treatment::AdmissionFilter;

    use crate::{Actor, App};

    /// The figures the site and hospital boards show.
    async fn figures(app: &App) -> String {
        let actor = Actor::system("test");
        let sites = app.isolation_sites(&actor).await.unwrap();
        let sum =
            |f: fn(&fangkong_store::isolation::SiteRow) -> i64| sites.iter().map(f).sum::<i64>();
        let stays = app
            .stays(
                &actor,
                &StayFilter {
                    site: None,
                    open_only: false,
                    limit: 100_000,
                },
            )
            .await
            .unwrap();
        let mut by_status = std::collections::BTreeMap::new();
        for s in &stays {
            *by_status
                .entry(format!(
                    "{}/{}",
                    s.status,
                    s.outcome.clone().unwrap_or_default()
                ))
                .or_insert(0) += 1;
        }
        let queue = app.placement_queue(&actor).await.unwrap().len();
        let admissions = app
            .admissions(
                &actor,
                &AdmissionFilter {
                    hospital: None,
                    open_only: true,
                    limit: 10_000,
                },
            )
            .await
            .unwrap();
        let mut by_bed = std::collections::BTreeMap::new();
        for a in &admissions {
            *by_bed.entry(a.bed_type.clone()).or_insert(0) += 1;
        }
        let teams = app.teams(&actor).await.unwrap();
        let deployed = teams.iter().filter(|t| t.current.is_some()).count();
        let members: usize = teams.iter().map(|t| t.members.len()).sum();
        format!(
            "sites={} rooms={} occupied={} occupants={} out_of_service={} stays={by_status:?} \
             queue={queue} admissions={by_bed:?} teams={} members={members} deployed={deployed}",
            sites.len(),
            sum(|s| s.rooms),
            sum(|s| s.occupied),
            sum(|s| s.occupants),
            sum(|s| s.out_of_service),
            teams.len(),
        )
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_demo_seeds_stays_admissions_and_teams_once() {
        let (_dir, app, config) = crate::demo::test_city().await;
        app.seed_demo_isolation(&config).await.unwrap();
        let first = figures(&app).await;
        let audit = app.verify_audit().await.unwrap();
        assert_eq!(audit.first_broken, None);
        app.seed_demo_isolation(&config).await.unwrap();
        assert_eq!(figures(&app).await, first);
        assert_eq!(app.verify_audit().await.unwrap().entries, audit.entries);
        // Exact for the seed and the day: everyone waiting placed (households together; the
        // ones whose quarantine starts today partly still on their way), one transferred to
        // hospital, the open cases admitted by severity, six teams on duty.
        assert_eq!(
            first,
            concat!(
                "sites=47 rooms=8348 occupied=393 occupants=415 out_of_service=2 ",
                "stays={\"in/\": 408, \"out/hospital\": 1, \"placed/\": 7} queue=0 ",
                "admissions={\"general\": 18, \"icu\": 1, \"isolation\": 3} teams=8 ",
                "members=38 deployed=6"
            )
        );
    }
}
