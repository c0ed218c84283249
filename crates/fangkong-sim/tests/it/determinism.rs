//! The output is a function of (population, scenario, initial state, seed) alone.

use fangkong_sim::{
    Area, Community, InitialState, Intervention, Output, Population, Resident, Scenario, Simulation,
};

/// A small city: 2 counties, 20 communities, households of 1-5, schools and workplaces.
pub fn small_city(n: u32) -> Population {
    let counties = vec!["411702".to_string(), "411721".to_string()];
    let communities = (0..20)
        .map(|i| Community {
            code: format!("{}{:06}", counties[i % 2], i),
            county: (i % 2) as u16,
        })
        .collect();
    let mut residents = Vec::new();
    let mut household = 0;
    let mut i = 0u32;
    while i < n {
        let size = 1 + (household * 7 + 3) % 5;
        for k in 0..size {
            if i >= n {
                break;
            }
            let age = ((i * 37 + k * 11) % 90) as u8;
            residents.push(Resident {
                age,
                household,
                school: (6..18).contains(&age).then_some(i % 13),
                workplace: ((20..60).contains(&age) && !i.is_multiple_of(4)).then_some(i % 97),
                community: (household / 5) % 20,
                doses: (i % 4) as u8,
            });
            i += 1;
        }
        household += 1;
    }
    Population::new(counties, communities, &residents).unwrap()
}

fn scenario() -> Scenario {
    Scenario {
        interventions: vec![
            Intervention::TestingRound {
                day: 20,
                area: Area::Counties(vec!["411702".into()]),
                coverage: 0.9,
                pool_size: 10,
            },
            Intervention::VenueClosure {
                start_day: 25,
                end_day: 40,
                area: Area::City,
                reduction: 0.7,
            },
        ],
        ..Scenario::default()
    }
}

fn run(pop: &Population, threads: usize, seed: u64) -> Output {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let initial = InitialState::random_infections(pop, 20, &[], seed).unwrap();
        let mut sim = Simulation::new(pop, scenario(), &initial, seed).unwrap();
        sim.record_events(true);
        sim.run(60)
    })
}

#[test]
fn one_thread_and_four_threads_give_identical_output() {
    let pop = small_city(60_000);
    let one = run(&pop, 1, 3);
    let four = run(&pop, 4, 3);
    assert!(one.total_infections() > 1_000, "{}", one.total_infections());
    assert_eq!(one, four);
    assert_eq!(
        serde_json::to_string(&one).unwrap(),
        serde_json::to_string(&four).unwrap()
    );
}

#[test]
fn another_seed_gives_another_outbreak() {
    let pop = small_city(20_000);
    assert_ne!(run(&pop, 2, 1).days, run(&pop, 2, 2).days);
}

#[test]
fn stocks_and_flows_add_up_every_day() {
    let pop = small_city(30_000);
    let out = run(&pop, 2, 9);
    let mut infected = 0i64;
    let mut ever = 0u64;
    for day in &out.days {
        let t = day.total();
        infected += i64::from(t.infections) - i64::from(t.recoveries);
        ever += u64::from(t.infections);
        assert_eq!(i64::from(t.infected), infected, "day {}", day.day);
        assert!(ever <= pop.len() as u64);
    }
    // Events agree with the counts.
    let infections = out
        .events
        .iter()
        .filter(|e| matches!(e.kind, fangkong_sim::EventKind::Infection { .. }))
        .count() as u64;
    assert_eq!(infections, ever);
}
