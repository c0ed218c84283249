//! [`allocate`]: the households of a batch, one at a time, into the free rooms of the sites
//! (the rules are in the crate docs).
//!
//! What it must not do: rescan every room of a site for a household (a site's free rooms are
//! kept in buckets by accessibility and beds), or depend on the order of its input beyond
//! what the crate docs say about duplicates.

use std::cmp::{Ordering, Reverse};
use std::collections::HashSet;

use crate::geo::{chord2, chord2_km, unit_vector};
use crate::split::{self, Classes};
use crate::{GroupExplanation, Note, Person, Placement, Plan, Site, Unplaced, UnplacedReason};

/// Index of the rooms without accessibility in per-kind arrays.
const OTHER: usize = 0;
/// Index of the accessible rooms in per-kind arrays.
const ACCESSIBLE: usize = 1;

/// The free rooms of one kind and bed count at a site.
#[derive(Debug)]
struct Bucket {
    beds: u32,
    /// Indices into the site's rooms, the highest room id first, so that `pop` takes the
    /// lowest.
    rooms: Vec<usize>,
}

/// A site's free rooms, by kind, in buckets sorted by beds.
#[derive(Debug)]
struct SiteState {
    idx: usize,
    id: i64,
    unit: [f64; 3],
    kinds: [Vec<Bucket>; 2],
    free_beds: [u64; 2],
    /// Per kind, the beds of the largest free room (0: none).
    max_free: [u32; 2],
}

impl SiteState {
    fn new(idx: usize, site: &Site, seen_rooms: &mut HashSet<i64>) -> Self {
        let mut rooms: [Vec<(u32, Reverse<i64>, usize)>; 2] = Default::default();
        for (i, room) in site.rooms.iter().enumerate() {
            if seen_rooms.insert(room.id) && room.beds > 0 {
                rooms[usize::from(room.accessible)].push((room.beds, Reverse(room.id), i));
            }
        }
        let mut free_beds = [0; 2];
        let kinds = [OTHER, ACCESSIBLE].map(|kind| {
            let list = &mut rooms[kind];
            list.sort_unstable();
            free_beds[kind] = list.iter().map(|r| u64::from(r.0)).sum();
            list.chunk_by(|a, b| a.0 == b.0)
                .map(|chunk| Bucket {
                    beds: chunk[0].0,
                    rooms: chunk.iter().map(|r| r.2).collect(),
                })
                .collect()
        });
        let mut state = Self {
            idx,
            id: site.id,
            unit: unit_vector(site.lon, site.lat),
            kinds,
            free_beds,
            max_free: [0; 2],
        };
        state.update_max_free(OTHER);
        state.update_max_free(ACCESSIBLE);
        state
    }

    fn update_max_free(&mut self, kind: usize) {
        self.max_free[kind] = self.kinds[kind]
            .iter()
            .rev()
            .find(|b| !b.rooms.is_empty())
            .map_or(0, |b| b.beds);
    }

    /// Whether a free room of one of `kinds` has at least `n` beds.
    fn fits(&self, kinds: &[usize], n: usize) -> bool {
        kinds.iter().any(|&k| self.max_free[k] as usize >= n)
    }

    /// Whether the site has enough free beds for `n` people, `needy` of them in accessible
    /// rooms: necessary for a split, not sufficient.
    fn may_split(&self, n: usize, needy: usize) -> bool {
        self.free_beds[OTHER] + self.free_beds[ACCESSIBLE] >= n as u64
            && self.free_beds[ACCESSIBLE] >= needy as u64
    }

    /// Takes the free room of `kind` with the fewest beds, at least `n`, ties by room id,
    /// and returns its index into the site's rooms; `None` (nothing taken) when there is none.
    fn take_best_fit(&mut self, kind: usize, n: usize, free: &mut FreeRooms) -> Option<usize> {
        let buckets = &mut self.kinds[kind];
        let start = buckets.partition_point(|b| (b.beds as usize) < n);
        let bucket = buckets[start..].iter_mut().find(|b| !b.rooms.is_empty())?;
        let room = bucket.rooms.pop()?;
        let (beds, emptied) = (bucket.beds, bucket.rooms.is_empty());
        self.free_beds[kind] -= u64::from(beds);
        free.remove(kind, beds);
        if emptied && beds == self.max_free[kind] {
            self.update_max_free(kind);
        }
        Some(room)
    }

    /// The bed counts of the largest `limit` free rooms of `kind`, largest first.
    fn largest(&self, kind: usize, limit: usize, out: &mut Vec<u32>) {
        out.clear();
        for b in self.kinds[kind].iter().rev() {
            let n = b.rooms.len().min(limit - out.len());
            out.extend(std::iter::repeat_n(b.beds, n));
            if out.len() == limit {
                break;
            }
        }
    }
}

/// The free rooms of all sites counted by kind and beds, so that a household that fits no
/// room anywhere skips the search for a room together.
#[derive(Debug, Default)]
struct FreeRooms {
    /// Per kind, (beds, free rooms) sorted by beds.
    counts: [Vec<(u32, usize)>; 2],
    beds: [u64; 2],
}

impl FreeRooms {
    fn new(sites: &[SiteState]) -> Self {
        let mut free = Self::default();
        for kind in [OTHER, ACCESSIBLE] {
            let mut counts: Vec<(u32, usize)> = sites
                .iter()
                .flat_map(|s| s.kinds[kind].iter().map(|b| (b.beds, b.rooms.len())))
                .collect();
            counts.sort_unstable();
            counts.dedup_by(|later, first| {
                let same = later.0 == first.0;
                if same {
                    first.1 += later.1;
                }
                same
            });
            free.beds[kind] = counts.iter().map(|&(b, n)| u64::from(b) * n as u64).sum();
            free.counts[kind] = counts;
        }
        free
    }

    fn remove(&mut self, kind: usize, beds: u32) {
        let counts = &mut self.counts[kind];
        if let Ok(i) = counts.binary_search_by_key(&beds, |c| c.0) {
            counts[i].1 -= 1;
        }
        self.beds[kind] -= u64::from(beds);
    }

    /// Whether some site has a free room of `kind` with at least `n` beds.
    fn any_fits(&self, kind: usize, n: usize) -> bool {
        self.counts[kind]
            .iter()
            .rev()
            .take_while(|c| c.0 as usize >= n)
            .any(|c| c.1 > 0)
    }
}

/// One household of the batch.
#[derive(Debug)]
struct Household {
    id: i64,
    /// Its members in `members` (indices into `people`, by person id).
    range: std::ops::Range<usize>,
    needy: usize,
    unit: [f64; 3],
}

/// A site's position in the order of distance from one home: (squared chord, site id,
/// index into the site states), compared in that order.
type SiteKey = (f64, i64, usize);

fn by_distance(a: &SiteKey, b: &SiteKey) -> Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2))
}

/// Nearer sites named in [`Note::NearerSitesSkipped`]; the others are counted.
pub(crate) const SKIPPED_NAMED: usize = 5;

/// The note on the sites nearer than `chosen`, if any: the nearest [`SKIPPED_NAMED`] by
/// id and how many more.
fn skipped_note(keys: &[SiteKey], chosen: &SiteKey, buffer: &mut Vec<SiteKey>) -> Option<Note> {
    buffer.clear();
    buffer.extend(
        keys.iter()
            .filter(|k| by_distance(k, chosen) == Ordering::Less),
    );
    if buffer.is_empty() {
        return None;
    }
    let named = buffer.len().min(SKIPPED_NAMED);
    if buffer.len() > named {
        buffer.select_nth_unstable_by(named - 1, by_distance);
    }
    buffer[..named].sort_unstable_by(by_distance);
    Some(Note::NearerSitesSkipped {
        site_ids: buffer[..named].iter().map(|k| k.1).collect(),
        more: buffer.len() - named,
    })
}

/// Places `people` into the free rooms of `sites` by the rules of the crate docs.
///
/// Runs in `O(P log P + H * S)` for `P` people in `H` households and `S` sites, plus for
/// each household too large for any free room the split search at the nearest sites with
/// enough free beds (a few dozen steps for five people).
pub fn allocate(sites: &[Site], people: &[Person]) -> Plan {
    let mut plan = Plan::default();

    // The first occurrence of each person id.
    let mut order: Vec<usize> = (0..people.len()).collect();
    order.sort_unstable_by_key(|&i| (people[i].id, i));
    let mut duplicates = Vec::new();
    let mut members: Vec<usize> = Vec::with_capacity(people.len());
    for (k, &i) in order.iter().enumerate() {
        if k > 0 && people[order[k - 1]].id == people[i].id {
            duplicates.push(i);
        } else {
            members.push(i);
        }
    }
    duplicates.sort_unstable();

    // Households, each a run of `members` by person id.
    members.sort_unstable_by_key(|&i| (people[i].household, people[i].id));
    let mut households: Vec<Household> = Vec::new();
    let mut start = 0;
    for run in members.chunk_by(|&a, &b| people[a].household == people[b].household) {
        let (mut lon, mut lat) = (0.0, 0.0);
        for &i in run {
            lon += people[i].lon;
            lat += people[i].lat;
        }
        let n = run.len() as f64;
        households.push(Household {
            id: people[run[0]].household,
            range: start..start + run.len(),
            needy: run
                .iter()
                .filter(|&&i| people[i].needs_accessible_room())
                .count(),
            unit: unit_vector(lon / n, lat / n),
        });
        start += run.len();
    }
    households.sort_unstable_by_key(|h| (h.needy == 0, Reverse(h.range.len()), h.id));

    let mut seen_rooms = HashSet::with_capacity(sites.iter().map(|s| s.rooms.len()).sum());
    let mut states: Vec<SiteState> = sites
        .iter()
        .enumerate()
        .map(|(i, s)| SiteState::new(i, s, &mut seen_rooms))
        .collect();
    drop(seen_rooms);
    let mut free = FreeRooms::new(&states);

    let mut scratch = Scratch::default();
    plan.placements.reserve(members.len());
    for h in &households {
        let group = &members[h.range.clone()];
        let explanation = place(
            sites,
            people,
            &mut states,
            &mut free,
            h,
            group,
            &mut scratch,
            &mut plan,
        );
        plan.groups.push(explanation);
    }
    plan.unplaced
        .extend(duplicates.into_iter().map(|i| Unplaced {
            person_id: people[i].id,
            reason: UnplacedReason::DuplicatePerson,
        }));
    plan
}

/// Buffers reused from one household to the next.
#[derive(Debug, Default)]
struct Scratch {
    /// Every site's key from the household's home.
    keys: Vec<SiteKey>,
    /// Sites that may take the household split, and the nearer sites of a note.
    candidates: Vec<SiteKey>,
    classes: Classes,
    accessible_caps: Vec<u32>,
    other_caps: Vec<u32>,
}

/// Places one household (its members `group`, indices into `people` by person id), appends
/// its placements or unplaced members to `plan`, and returns its explanation.
#[allow(clippy::too_many_arguments)]
fn place(
    sites: &[Site],
    people: &[Person],
    states: &mut [SiteState],
    free: &mut FreeRooms,
    h: &Household,
    group: &[usize],
    scratch: &mut Scratch,
    plan: &mut Plan,
) -> GroupExplanation {
    let n = group.len();
    let mut explanation = GroupExplanation {
        household: h.id,
        person_ids: group.iter().map(|&i| people[i].id).collect(),
        site_id: None,
        notes: Vec::new(),
    };
    let classes = &mut scratch.classes;
    classes.clear();
    for &i in group {
        let p = &people[i];
        let list = match (p.is_adult(), p.is_child(), p.needs_accessible_room()) {
            (true, _, true) => &mut classes.needy_adults,
            (true, _, false) => &mut classes.adults,
            (_, true, true) => &mut classes.needy_children,
            (_, true, false) => &mut classes.children,
            (_, _, true) => &mut classes.needy_teens,
            (_, _, false) => &mut classes.teens,
        };
        list.push(i);
    }
    if classes.has_child() && !classes.has_adult() {
        return not_placed(
            explanation,
            UnplacedReason::NoAdultForChild,
            people,
            group,
            plan,
        );
    }
    let keys = &mut scratch.keys;
    keys.clear();
    keys.extend(
        states
            .iter()
            .enumerate()
            .map(|(i, s)| (chord2(&h.unit, &s.unit), s.id, i)),
    );

    // Rule 2: together in one room, at the nearest site that has one.
    let kinds: &[usize] = if h.needy > 0 {
        &[ACCESSIBLE]
    } else {
        &[OTHER, ACCESSIBLE]
    };
    let together = if kinds.iter().any(|&k| free.any_fits(k, n)) {
        keys.iter()
            .filter(|k| states[k.2].fits(kinds, n))
            .min_by(|a, b| by_distance(a, b))
            .copied()
    } else {
        None
    };
    if let Some(chosen) = together {
        let site = &mut states[chosen.2];
        // `fits` said one of `kinds` has a room large enough.
        let room = kinds.iter().find_map(|&k| site.take_best_fit(k, n, free));
        if let Some(room) = room {
            let room = &sites[site.idx].rooms[room];
            let distance_km = chord2_km(chosen.0);
            explanation.site_id = Some(site.id);
            explanation.notes.push(Note::NearestSite { distance_km });
            explanation
                .notes
                .extend(skipped_note(keys, &chosen, &mut scratch.candidates));
            explanation
                .notes
                .push(Note::TogetherInOneRoom { room_id: room.id });
            note_accessible(&mut explanation.notes, people, room, group);
            plan.placements.extend(group.iter().map(|&p| Placement {
                person_id: people[p].id,
                site_id: site.id,
                room_id: room.id,
                distance_km,
            }));
            return explanation;
        }
    }

    // Rule 3: split over the fewest rooms of the nearest site that can take it whole.
    let needy = classes.needy();
    let candidates = &mut scratch.candidates;
    candidates.clear();
    if free.beds[OTHER] + free.beds[ACCESSIBLE] >= n as u64 && free.beds[ACCESSIBLE] >= needy as u64
    {
        candidates.extend(keys.iter().filter(|k| states[k.2].may_split(n, needy)));
    }
    // The nearest candidate first; the others are sorted only if it cannot take the
    // household.
    let mut chosen = None;
    let nearest =
        (0..candidates.len()).min_by(|&a, &b| by_distance(&candidates[a], &candidates[b]));
    if let Some(nearest) = nearest {
        candidates.swap(0, nearest);
        for i in 0..candidates.len() {
            if i == 1 {
                candidates[1..].sort_unstable_by(by_distance);
            }
            let site = &states[candidates[i].2];
            site.largest(ACCESSIBLE, n, &mut scratch.accessible_caps);
            site.largest(OTHER, n, &mut scratch.other_caps);
            let shape = split::find(classes, &scratch.accessible_caps, &scratch.other_caps);
            if let Some(shape) = shape {
                chosen = Some((candidates[i], shape));
                break;
            }
        }
    }
    if let Some((key, shape)) = chosen {
        let (acc_groups, other_groups) = split::fill(
            classes,
            &shape,
            &scratch.accessible_caps,
            &scratch.other_caps,
        );
        let site = &mut states[key.2];
        let distance_km = chord2_km(key.0);
        explanation.site_id = Some(site.id);
        explanation.notes.push(Note::NearestSite { distance_km });
        explanation
            .notes
            .extend(skipped_note(keys, &key, &mut scratch.candidates));
        explanation.notes.push(Note::HouseholdSplit {
            rooms: shape.accessible_rooms + shape.other_rooms,
        });
        let mut placed: Vec<Placement> = Vec::with_capacity(n);
        for (kind, mut groups) in [(ACCESSIBLE, acc_groups), (OTHER, other_groups)] {
            // Largest group first; the sort is stable, so equal groups keep their order.
            groups.sort_by_key(|g| Reverse(g.len()));
            for g in groups.iter().filter(|g| !g.is_empty()) {
                // The groups fit the largest rooms of this kind, so best fit in order of
                // decreasing size always finds a room: whichever room it takes for the
                // largest group, the rooms left still hold the other groups (exchange the
                // taken room with the one a matching gave that group).
                #[allow(clippy::expect_used)]
                let room = site
                    .take_best_fit(kind, g.len(), free)
                    .expect("split groups fit the largest rooms, so best fit finds one");
                let room = &sites[site.idx].rooms[room];
                let mut child_ids: Vec<i64> = g
                    .iter()
                    .filter(|&&p| people[p].is_child())
                    .map(|&p| people[p].id)
                    .collect();
                if !child_ids.is_empty() {
                    child_ids.sort_unstable();
                    explanation.notes.push(Note::ChildrenWithAdult {
                        room_id: room.id,
                        child_ids,
                    });
                }
                note_accessible(&mut explanation.notes, people, room, g);
                placed.extend(g.iter().map(|&p| Placement {
                    person_id: people[p].id,
                    site_id: site.id,
                    room_id: room.id,
                    distance_km,
                }));
            }
        }
        placed.sort_unstable_by_key(|p| p.person_id);
        plan.placements.extend(placed);
        return explanation;
    }

    let reason = UnplacedReason::NoSiteWithRoom {
        people: n,
        needing_accessible: needy,
    };
    not_placed(explanation, reason, people, group, plan)
}

/// Records every member of `group` as not placed for `reason`.
fn not_placed(
    mut explanation: GroupExplanation,
    reason: UnplacedReason,
    people: &[Person],
    group: &[usize],
    plan: &mut Plan,
) -> GroupExplanation {
    plan.unplaced.extend(group.iter().map(|&i| Unplaced {
        person_id: people[i].id,
        reason: reason.clone(),
    }));
    explanation.notes.push(Note::NotPlaced { reason });
    explanation
}

/// The notes of an accessible room: who needed it, or that nobody did.
fn note_accessible(notes: &mut Vec<Note>, people: &[Person], room: &crate::Room, group: &[usize]) {
    if !room.accessible {
        return;
    }
    let mut person_ids: Vec<i64> = group
        .iter()
        .filter(|&&p| people[p].needs_accessible_room())
        .map(|&p| people[p].id)
        .collect();
    if person_ids.is_empty() {
        notes.push(Note::AccessibleRoomAsLastResort { room_id: room.id });
    } else {
        person_ids.sort_unstable();
        notes.push(Note::AccessibleRoom {
            room_id: room.id,
            person_ids,
        });
    }
}
