//! Splitting a household over several rooms of one site (rule 3 of the crate docs): the
//! fewest rooms, then the fewest accessible rooms, then the fewest members without needs in
//! accessible rooms.
//!
//! People take one bed each, so whether a set of rooms can hold a household depends on the
//! rooms' bed counts only through two monotone quantities: their total beds, and the beds
//! that children can use next to an adult. Hence for a given number of accessible and of
//! other rooms, the largest rooms of each kind are feasible whenever any rooms are, and the
//! search runs over numbers of rooms, not over sets. Best fit then picks the actual rooms
//! (in `allocate.rs`).
//!
//! What it must not do: look at sites or distances, or take rooms.

/// A household's members by need and age class, each list in order of person id. The
/// values are the caller's handles (indices into its people).
#[derive(Debug, Default, Clone)]
pub struct Classes {
    /// Adults (18 and over) who need an accessible room.
    pub needy_adults: Vec<usize>,
    /// Adults without needs.
    pub adults: Vec<usize>,
    /// Children (under 14) who need an accessible room (disabled).
    pub needy_children: Vec<usize>,
    pub children: Vec<usize>,
    /// Members of 14 to 17 who need an accessible room (disabled).
    pub needy_teens: Vec<usize>,
    pub teens: Vec<usize>,
}

impl Classes {
    pub fn clear(&mut self) {
        for list in self.lists_mut() {
            list.clear();
        }
    }

    fn lists_mut(&mut self) -> [&mut Vec<usize>; 6] {
        [
            &mut self.needy_adults,
            &mut self.adults,
            &mut self.needy_children,
            &mut self.children,
            &mut self.needy_teens,
            &mut self.teens,
        ]
    }

    pub fn len(&self) -> usize {
        self.needy() + self.adults.len() + self.children.len() + self.teens.len()
    }

    /// Members who need an accessible room.
    pub fn needy(&self) -> usize {
        self.needy_adults.len() + self.needy_children.len() + self.needy_teens.len()
    }

    pub fn has_child(&self) -> bool {
        !self.needy_children.is_empty() || !self.children.is_empty()
    }

    pub fn has_adult(&self) -> bool {
        !self.needy_adults.is_empty() || !self.adults.is_empty()
    }
}

/// How a household is split: the number of accessible and of other rooms, and how many
/// adults and children without needs go to the accessible rooms (the first of each list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub accessible_rooms: usize,
    pub other_rooms: usize,
    pub moved_adults: usize,
    pub moved_children: usize,
}

/// Rooms of one kind, largest first: `prefix[i]` is the beds of the first `i` rooms.
struct Side {
    prefix: Vec<u64>,
}

impl Side {
    fn new(caps: &[u32]) -> Self {
        let mut prefix = Vec::with_capacity(caps.len() + 1);
        prefix.push(0);
        let mut sum = 0u64;
        for &c in caps {
            sum += u64::from(c);
            prefix.push(sum);
        }
        Self { prefix }
    }

    /// Whether the largest `m` rooms hold `adults` adults, `children` children and `others`
    /// members who need no guardian, every child in a room with an adult.
    ///
    /// Children can only be in rooms that have an adult; at most `t = min(adults, m)` rooms
    /// do, and the largest `t` offer the most beds beside their adult. Whoever remains
    /// (adults beyond `t`, others) can take any bed left. So the conditions are
    /// `children <= beds(t) - t` and `adults + children + others <= beds(m)`, and filling
    /// the rooms as `fill` does meets them.
    fn holds(&self, m: usize, adults: usize, children: usize, others: usize) -> bool {
        let t = adults.min(m);
        children as u64 + t as u64 <= self.prefix[t]
            && (adults + children + others) as u64 <= self.prefix[m]
    }
}

/// The split of `c` over the largest rooms given (bed counts, largest first, at most one
/// room per member needed), or `None` when even all of them cannot hold it.
///
/// Search order: rooms `k = 1, 2, ...`; for each, accessible rooms `x = 0, 1, ...` (and
/// `k - x` others); for each, members without needs moved into the accessible rooms
/// `s = 0, 1, ...`, adults before children. The first feasible one is returned.
pub fn find(c: &Classes, accessible_caps: &[u32], other_caps: &[u32]) -> Option<Shape> {
    let n = c.len();
    let xa = accessible_caps.len().min(n);
    let yo = other_caps.len().min(n);
    let acc = Side::new(&accessible_caps[..xa]);
    let other = Side::new(&other_caps[..yo]);
    // Whether the whole site can take it, before searching for the fewest rooms.
    moves(c, &acc, &other, xa, yo)?;
    // A feasible split with empty rooms is one with fewer rooms, and the largest rooms of
    // each kind dominate, so the minimum is found with `k <= n`.
    for k in 1..=n {
        for x in 0..=k.min(xa) {
            let y = k - x;
            if y > yo {
                continue;
            }
            if let Some((moved_adults, moved_children)) = moves(c, &acc, &other, x, y) {
                return Some(Shape {
                    accessible_rooms: x,
                    other_rooms: y,
                    moved_adults,
                    moved_children,
                });
            }
        }
    }
    None
}

/// The fewest members without needs (adults first) to move into the largest `x` accessible
/// rooms so that they and the largest `y` other rooms hold the household, if any.
fn moves(c: &Classes, acc: &Side, other: &Side, x: usize, y: usize) -> Option<(usize, usize)> {
    let n = c.len() as u64;
    if n > acc.prefix[x] + other.prefix[y] {
        return None;
    }
    let (pa, pc) = (c.adults.len(), c.children.len());
    for s in 0..=pa + pc {
        for u in s.saturating_sub(pc)..=s.min(pa) {
            let v = s - u;
            // Teens without needs take whatever beds are left on either side: the total
            // above covers them.
            let acc_ok = acc.holds(
                x,
                c.needy_adults.len() + u,
                c.needy_children.len() + v,
                c.needy_teens.len(),
            );
            if acc_ok && other.holds(y, pa - u, pc - v, 0) {
                return Some((u, v));
            }
        }
    }
    None
}

/// The members of each room of `shape` over the largest rooms given: first the accessible
/// rooms, then the others, each in the order of `caps` (largest first).
///
/// On each side: one adult per room while adults last (needy adults first, then the moved
/// adults, by person id), children fill the rooms with an adult in order, then the remaining
/// adults and the side's teens fill any bed left in order. Teens without needs then fill the
/// other rooms, then the accessible ones.
pub fn fill(
    c: &Classes,
    shape: &Shape,
    accessible_caps: &[u32],
    other_caps: &[u32],
) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
    let (u, v) = (shape.moved_adults, shape.moved_children);
    let acc_adults: Vec<usize> = c
        .needy_adults
        .iter()
        .chain(&c.adults[..u])
        .copied()
        .collect();
    let acc_children: Vec<usize> = c
        .needy_children
        .iter()
        .chain(&c.children[..v])
        .copied()
        .collect();
    let acc_caps = &accessible_caps[..shape.accessible_rooms];
    let other_caps = &other_caps[..shape.other_rooms];
    let mut acc = fill_side(acc_caps, &acc_adults, &acc_children, &c.needy_teens);
    let mut other = fill_side(other_caps, &c.adults[u..], &c.children[v..], &[]);
    let mut teens = c.teens.iter().copied();
    fill_beds(&mut other, other_caps, &mut teens);
    fill_beds(&mut acc, acc_caps, &mut teens);
    (acc, other)
}

fn fill_side(
    caps: &[u32],
    adults: &[usize],
    children: &[usize],
    others: &[usize],
) -> Vec<Vec<usize>> {
    let t = adults.len().min(caps.len());
    let mut rooms: Vec<Vec<usize>> = caps
        .iter()
        .map(|&b| Vec::with_capacity(b as usize))
        .collect();
    for (room, &a) in rooms.iter_mut().zip(&adults[..t]) {
        room.push(a);
    }
    let mut children = children.iter().copied();
    fill_beds(&mut rooms[..t], &caps[..t], &mut children);
    let mut rest = adults[t..].iter().chain(others).copied();
    fill_beds(&mut rooms, caps, &mut rest);
    rooms
}

/// Puts members from `members` into the free beds of `rooms`, room by room in order.
fn fill_beds(rooms: &mut [Vec<usize>], caps: &[u32], members: &mut impl Iterator<Item = usize>) {
    for (room, &beds) in rooms.iter_mut().zip(caps) {
        while room.len() < beds as usize {
            let Some(m) = members.next() else { return };
            room.push(m);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A household from per-class counts; handles number the members in class order.
    fn classes(counts: [usize; 6]) -> Classes {
        let mut c = Classes::default();
        let mut next = 0;
        for (list, n) in c.lists_mut().into_iter().zip(counts) {
            list.extend(next..next + n);
            next += n;
        }
        c
    }

    fn shape(x: usize, y: usize, u: usize, v: usize) -> Option<Shape> {
        Some(Shape {
            accessible_rooms: x,
            other_rooms: y,
            moved_adults: u,
            moved_children: v,
        })
    }

    #[test]
    fn five_adults_in_rooms_of_three_take_two_rooms() {
        let c = classes([0, 5, 0, 0, 0, 0]);
        assert_eq!(find(&c, &[], &[3, 3, 3]), shape(0, 2, 0, 0));
        let (acc, other) = fill(&c, &shape(0, 2, 0, 0).unwrap(), &[], &[3, 3, 3]);
        assert!(acc.is_empty());
        // One adult per room first, then the rest in order.
        assert_eq!(other, [vec![0, 2, 3], vec![1, 4]]);
    }

    #[test]
    fn each_room_with_children_gets_an_adult() {
        // 1 adult, 3 children, rooms of 2: the adult can guard one room only.
        let c = classes([0, 1, 0, 3, 0, 0]);
        assert_eq!(find(&c, &[], &[2, 2, 2, 2]), None);
        // 2 adults, 3 children: rooms of 3 and 2 (adult + 2 children, adult + 1 child).
        let c = classes([0, 2, 0, 3, 0, 0]);
        assert_eq!(find(&c, &[], &[3, 2, 2]), shape(0, 2, 0, 0));
        let (_, other) = fill(&c, &shape(0, 2, 0, 0).unwrap(), &[], &[3, 2]);
        assert_eq!(other, [vec![0, 2, 3], vec![1, 4]]);
    }

    #[test]
    fn needy_members_go_to_accessible_rooms_with_a_guardian_when_a_child() {
        // A disabled child (handle 1) and a parent (0): the parent moves into the
        // accessible room. Beds: accessible 2, other 3.
        let c = classes([0, 1, 1, 0, 0, 0]);
        assert_eq!(find(&c, &[2], &[3]), shape(1, 0, 1, 0));
        // Grandmother (0), parent (1), child (2), accessible rooms of 1: the grandmother
        // alone, parent and child in another room.
        let c = classes([1, 1, 0, 1, 0, 0]);
        assert_eq!(find(&c, &[1], &[2]), shape(1, 1, 0, 0));
        let (acc, other) = fill(&c, &shape(1, 1, 0, 0).unwrap(), &[1], &[2]);
        assert_eq!((acc, other), (vec![vec![0]], vec![vec![1, 2]]));
    }

    #[test]
    fn fewer_rooms_beat_keeping_accessible_rooms_free() {
        // 4 adults without needs; other rooms of 2, one accessible room of 3: 2 rooms either
        // as 2 + 2 (no accessible room) or 3 + 1; the first is chosen.
        let c = classes([0, 4, 0, 0, 0, 0]);
        assert_eq!(find(&c, &[3], &[2, 2]), shape(0, 2, 0, 0));
        // With one other room of 2 only: an accessible room is needed.
        assert_eq!(find(&c, &[3], &[2]), shape(1, 1, 2, 0));
    }

    #[test]
    fn teens_fill_any_bed_other_rooms_first() {
        // Adult (0), child (1), teen (2), teen (3); other rooms 2 and 1, accessible 1.
        let c = classes([0, 1, 0, 1, 0, 2]);
        assert_eq!(find(&c, &[1], &[2, 1]), shape(1, 2, 0, 0));
        let (acc, other) = fill(&c, &shape(1, 2, 0, 0).unwrap(), &[1], &[2, 1]);
        assert_eq!((acc, other), (vec![vec![3]], vec![vec![0, 1], vec![2]]));
    }

    /// Member kinds for the brute force: (adult, child, needy).
    fn kinds(c: &Classes) -> Vec<(bool, bool, bool)> {
        let mut out = Vec::new();
        for (list, kind) in [
            (&c.needy_adults, (true, false, true)),
            (&c.adults, (true, false, false)),
            (&c.needy_children, (false, true, true)),
            (&c.children, (false, true, false)),
            (&c.needy_teens, (false, false, true)),
            (&c.teens, (false, false, false)),
        ] {
            out.extend(std::iter::repeat_n(kind, list.len()));
        }
        out
    }

    /// The fewest (rooms, accessible rooms) of any assignment of the members to the rooms
    /// that keeps the hard constraints, trying every assignment.
    fn brute_force(c: &Classes, acc: &[u32], other: &[u32]) -> Option<(usize, usize)> {
        let members = kinds(c);
        let rooms: Vec<(u32, bool)> = acc
            .iter()
            .map(|&b| (b, true))
            .chain(other.iter().map(|&b| (b, false)))
            .collect();
        let mut best: Option<(usize, usize)> = None;
        let mut choice = vec![0usize; members.len()];
        let total = rooms.len().pow(members.len() as u32);
        for mut code in 0..total {
            for slot in choice.iter_mut() {
                *slot = code % rooms.len();
                code /= rooms.len();
            }
            let ok = rooms.iter().enumerate().all(|(r, &(beds, accessible))| {
                let inside: Vec<_> = (0..members.len())
                    .filter(|&m| choice[m] == r)
                    .map(|m| members[m])
                    .collect();
                inside.len() <= beds as usize
                    && (accessible || inside.iter().all(|m| !m.2))
                    && (inside.iter().all(|m| !m.1) || inside.iter().any(|m| m.0))
            });
            if ok {
                let used: std::collections::BTreeSet<usize> = choice.iter().copied().collect();
                let k = used.len();
                let x = used.iter().filter(|&&r| rooms[r].1).count();
                best = Some(best.map_or((k, x), |b| b.min((k, x))));
            }
        }
        best
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]

        #[test]
        fn find_is_the_fewest_rooms_then_the_fewest_accessible(
            members in proptest::collection::vec(0usize..6, 1..=5),
            acc in proptest::collection::vec(1u32..4, 0..3),
            other in proptest::collection::vec(1u32..4, 0..4),
        ) {
            // Members by class (0: needy adult ... 5: teen), counted.
            let mut counts = [0; 6];
            members.iter().for_each(|&k| counts[k] += 1);
            let c = classes(counts);
            let (mut acc, mut other) = (acc, other);
            acc.sort_unstable_by(|a, b| b.cmp(a));
            other.sort_unstable_by(|a, b| b.cmp(a));
            let found = find(&c, &acc, &other);
            proptest::prop_assert_eq!(
                found.map(|s| (s.accessible_rooms + s.other_rooms, s.accessible_rooms)),
                brute_force(&c, &acc, &other)
            );
            if let Some(shape) = found {
                // The grouping keeps every constraint and fills exactly the rooms of the shape.
                let (acc_rooms, other_rooms) = fill(&c, &shape, &acc, &other);
                let kinds_of = |m: usize| kinds(&c)[m];
                for (rooms, caps, accessible) in [(&acc_rooms, &acc, true), (&other_rooms, &other, false)] {
                    for (room, &beds) in rooms.iter().zip(caps.iter()) {
                        proptest::prop_assert!(!room.is_empty() && room.len() <= beds as usize);
                        let inside: Vec<_> = room.iter().map(|&m| kinds_of(m)).collect();
                        proptest::prop_assert!(accessible || inside.iter().all(|m| !m.2));
                        proptest::prop_assert!(inside.iter().all(|m| !m.1) || inside.iter().any(|m| m.0));
                    }
                }
                let placed: usize = acc_rooms.iter().chain(&other_rooms).map(Vec::len).sum();
                proptest::prop_assert_eq!(placed, c.len());
            }
        }
    }
}
