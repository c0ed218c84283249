//! The response and the interventions change the outbreak the way they should.

use fangkong_sim::{
    Area, Contacts, Disease, EventKind, InitialState, Intervention, Output, Population,
    Quarantined, Response, Route, Scenario, Simulation, State,
};

use crate::determinism::small_city;

fn run(pop: &Population, scenario: Scenario, days: u16) -> Output {
    let initial = InitialState::random_infections(pop, 20, &[], 4).unwrap();
    let mut sim = Simulation::new(pop, scenario, &initial, 4).unwrap();
    sim.record_events(true);
    sim.run(days)
}

#[test]
fn the_response_and_lockdown_shrink_the_outbreak() {
    let pop = small_city(40_000);
    let none = run(
        &pop,
        Scenario::unmitigated(Disease::default(), Contacts::default()),
        80,
    )
    .total_infections();
    let response = run(&pop, Scenario::default(), 80).total_infections();
    let lockdown = run(
        &pop,
        Scenario {
            interventions: vec![Intervention::Lockdown {
                start_day: 5,
                end_day: 80,
                area: Area::City,
            }],
            ..Scenario::default()
        },
        80,
    )
    .total_infections();
    assert!(none > 10_000, "{none}");
    assert!(response < none, "{response} vs {none}");
    assert!(lockdown < response / 2, "{lockdown} vs {response}");
}

#[test]
fn school_closure_prevents_infections_among_pupils() {
    let pop = small_city(40_000);
    let closed = Scenario {
        interventions: vec![Intervention::SchoolClosure {
            start_day: 0,
            end_day: 60,
            area: Area::City,
        }],
        ..Scenario::unmitigated(Disease::default(), Contacts::default())
    };
    let open = Scenario::unmitigated(Disease::default(), Contacts::default());
    assert!(run(&pop, closed, 60).total_infections() < run(&pop, open, 60).total_infections());
}

#[test]
fn a_pooled_testing_round_finds_cases_and_counts_tubes() {
    let pop = small_city(40_000);
    let scenario = Scenario {
        response: Response {
            symptomatic_test_probability: 0.0,
            ..Response::default()
        },
        interventions: vec![Intervention::TestingRound {
            day: 15,
            area: Area::City,
            coverage: 1.0,
            pool_size: 10,
        }],
        ..Scenario::default()
    };
    let out = run(&pop, scenario, 20);
    let day15 = out.days[15].total();
    // Every resident not in isolation in one tube of 10, plus 10 retests for each positive
    // pool, of which there are at most as many as infected people.
    assert!(
        day15.tubes >= 3_900 && day15.tubes <= 4_001 + 10 * day15.infected,
        "{} tubes, {} infected",
        day15.tubes,
        day15.infected
    );
    assert!(day15.tubes > 4_001, "some pools are positive");
    let screened: u32 = out
        .days
        .iter()
        .map(|d| d.total().detections_screening)
        .sum();
    assert!(screened > 0);
    // Results come two days later (result, then the individual retest).
    let first = out
        .events
        .iter()
        .find(|e| {
            matches!(
                e.kind,
                EventKind::Detection {
                    route: Route::Screening
                }
            )
        })
        .unwrap();
    assert_eq!(first.day, 17);
}

#[test]
fn detected_cases_are_isolated_and_their_households_quarantined() {
    let pop = small_city(40_000);
    let out = run(&pop, Scenario::default(), 40);
    let totals = out.totals();
    let detections: u32 = totals.iter().map(|t| t.detections()).sum();
    let isolations: u32 = totals.iter().map(|t| t.isolations).sum();
    let quarantines: u32 = totals.iter().map(|t| t.quarantines).sum();
    assert!(detections > 0 && isolations > 0 && quarantines > isolations);
    let quarantine_finds: u32 = totals.iter().map(|t| t.detections_quarantine).sum();
    assert!(quarantine_finds > 0);
}

#[test]
fn initial_isolation_and_quarantine_are_honoured() {
    let pop = small_city(1_000);
    let initial = InitialState {
        infections: vec![],
        isolated: vec![5],
        quarantined: vec![Quarantined {
            person: 7,
            days_left: 3,
        }],
    };
    let mut sim = Simulation::new(&pop, Scenario::default(), &initial, 1).unwrap();
    let day0 = sim.step().total();
    assert_eq!(
        (day0.infections, day0.isolated, day0.quarantined),
        (1, 1, 1)
    );
    assert_eq!(sim.state(5), State::Latent);
    sim.step();
    sim.step();
    assert_eq!(sim.step().total().quarantined, 0);
}

#[test]
fn scenarios_load_from_toml_with_defaults() {
    let text = r#"
        [disease]
        latent = { distribution = "gamma", mean = 3.0, sd = 1.0 }

        [response]
        quarantine_days = 14

        [[interventions]]
        kind = "testing_round"
        day = 10
        area = { counties = ["411702"] }
        coverage = 0.95
        pool_size = 10

        [[interventions]]
        kind = "lockdown"
        start_day = 12
        end_day = 26
        area = { communities = ["411702000000"] }
    "#;
    let scenario: Scenario = toml::from_str(text).unwrap();
    assert_eq!(scenario.response.quarantine_days, 14);
    assert_eq!(scenario.contacts, Contacts::default());
    assert_eq!(scenario.interventions.len(), 2);
    let pop = small_city(1_000);
    assert!(Simulation::new(&pop, scenario.clone(), &InitialState::default(), 1).is_ok());
    let json = serde_json::to_string(&scenario).unwrap();
    assert_eq!(serde_json::from_str::<Scenario>(&json).unwrap(), scenario);
    let bad: Scenario = toml::from_str("[[interventions]]\nkind = \"lockdown\"\nstart_day = 1\nend_day = 2\narea = { counties = [\"999999\"] }").unwrap();
    let err = Simulation::new(&pop, bad, &InitialState::default(), 1)
        .err()
        .unwrap();
    assert_eq!(err.to_string(), "scenario: unknown county 999999");
}
