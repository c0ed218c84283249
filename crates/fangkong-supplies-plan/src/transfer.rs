//! Transfers between reserves that minimise the total expected shortage.
//!
//! Each reserve has units on hand and a need (its forecast demand over the planning
//! horizon). A reserve's shortage is `max(0, need - on_hand)`; a donor may give only its
//! surplus `max(0, on_hand - need)`, so no suggestion leaves a donor below its own need.
//! The plan is a min-cost max-flow on the bipartite network source → donor (capacity: the
//! surplus) → receiver (cost: the distance in metres) → sink (capacity: the shortage),
//! solved by successive shortest paths (Bellman–Ford, since residual costs are negative).
//! The maximum flow minimises the total shortage left, which is
//! `max(0, total shortage - total surplus)`; among the plans that reach it, the flow of
//! least cost moves the fewest unit-kilometres.

/// A reserve of one item.
#[derive(Debug, Clone, PartialEq)]
pub struct Reserve {
    pub id: i64,
    pub name: String,
    pub on_hand: i64,
    pub need: i64,
}

impl Reserve {
    /// Units above the need (what it may give).
    pub fn surplus(&self) -> i64 {
        (self.on_hand - self.need).max(0)
    }

    /// Units missing to cover the need.
    pub fn shortage(&self) -> i64 {
        (self.need - self.on_hand).max(0)
    }
}

/// One suggested transfer.
#[derive(Debug, Clone, PartialEq)]
pub struct Transfer {
    pub from: i64,
    pub to: i64,
    pub quantity: i64,
    pub distance_m: i64,
    pub reason_zh: String,
    pub reason_en: String,
}

/// The suggested transfers and what they achieve.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub transfers: Vec<Transfer>,
    /// Total shortage over all reserves before and after the transfers.
    pub shortage_before: i64,
    pub shortage_after: i64,
    /// Units moved times metres, the cost minimised among the plans of least shortage.
    pub unit_metres: i64,
}

/// Suggests transfers between `reserves` minimising the total shortage, then the distance
/// moved (`distance_m(i, j)`: metres between reserves `i` and `j` by index). The unit of the
/// item is used only in the explanations.
pub fn suggest(reserves: &[Reserve], unit: &str, distance_m: impl Fn(usize, usize) -> i64) -> Plan {
    let n = reserves.len();
    // Nodes: 0 source, 1..=n donors (reserve i at 1 + i), n+1..=2n receivers, 2n+1 sink.
    let source = 0;
    let sink = 2 * n + 1;
    let mut g = Graph::new(2 * n + 2);
    let mut middle = Vec::new();
    for (i, r) in reserves.iter().enumerate() {
        if r.surplus() > 0 {
            g.add(source, 1 + i, r.surplus(), 0);
        }
        if r.shortage() > 0 {
            g.add(1 + n + i, sink, r.shortage(), 0);
        }
    }
    for (i, d) in reserves.iter().enumerate() {
        if d.surplus() == 0 {
            continue;
        }
        for (j, r) in reserves.iter().enumerate() {
            if i != j && r.shortage() > 0 {
                let e = g.add(1 + i, 1 + n + j, i64::MAX / 4, distance_m(i, j).max(0));
                middle.push((i, j, e));
            }
        }
    }
    let (flow, cost) = g.min_cost_max_flow(source, sink);
    let shortage_before: i64 = reserves.iter().map(Reserve::shortage).sum();
    let mut transfers = Vec::new();
    for (i, j, e) in middle {
        let quantity = g.flow(e);
        if quantity == 0 {
            continue;
        }
        let (d, r) = (&reserves[i], &reserves[j]);
        let distance = distance_m(i, j).max(0);
        let km = distance as f64 / 1000.0;
        transfers.push(Transfer {
            from: d.id,
            to: r.id,
            quantity,
            distance_m: distance,
            reason_zh: format!(
                "{}需求{}{unit}、库存{}{unit}，缺口{}{unit}；{}库存{}{unit}、需求{}{unit}，可调余量{}{unit}，\
                 调出{quantity}{unit}后不低于自身需求；两地相距{km:.1}公里；在总缺口最小的方案中，此方案运距最短",
                r.name, r.need, r.on_hand, r.shortage(), d.name, d.on_hand, d.need, d.surplus()
            ),
            reason_en: format!(
                "{} needs {} {unit} and holds {} {unit}, {} {unit} short; {} holds {} {unit} against a \
                 need of {} {unit}, {} {unit} to spare, and keeps its own need after giving {quantity} {unit}; \
                 {km:.1} km apart; of the plans leaving the least total shortage, this one moves the fewest unit-kilometres",
                r.name, r.need, r.on_hand, r.shortage(), d.name, d.on_hand, d.need, d.surplus()
            ),
        });
    }
    transfers.sort_by_key(|t| (t.from, t.to));
    Plan {
        transfers,
        shortage_before,
        shortage_after: shortage_before - flow,
        unit_metres: cost,
    }
}

/// A flow network with residual edges in pairs (`e`, `e ^ 1`).
struct Graph {
    adjacency: Vec<Vec<usize>>,
    to: Vec<usize>,
    capacity: Vec<i64>,
    cost: Vec<i64>,
    original: Vec<i64>,
}

impl Graph {
    fn new(nodes: usize) -> Graph {
        Graph {
            adjacency: vec![Vec::new(); nodes],
            to: Vec::new(),
            capacity: Vec::new(),
            cost: Vec::new(),
            original: Vec::new(),
        }
    }

    fn add(&mut self, from: usize, to: usize, capacity: i64, cost: i64) -> usize {
        let e = self.to.len();
        self.adjacency[from].push(e);
        self.to.push(to);
        self.capacity.push(capacity);
        self.cost.push(cost);
        self.original.push(capacity);
        self.adjacency[to].push(e + 1);
        self.to.push(from);
        self.capacity.push(0);
        self.cost.push(-cost);
        self.original.push(0);
        e
    }

    fn flow(&self, e: usize) -> i64 {
        self.original[e] - self.capacity[e]
    }

    /// Successive shortest paths: augment along the cheapest residual path until the sink
    /// is unreachable. Returns (flow, cost).
    fn min_cost_max_flow(&mut self, source: usize, sink: usize) -> (i64, i64) {
        let nodes = self.adjacency.len();
        let (mut flow, mut cost) = (0, 0);
        loop {
            let mut dist = vec![i64::MAX; nodes];
            let mut via = vec![usize::MAX; nodes];
            dist[source] = 0;
            // Bellman–Ford: the network has no negative cycle (the residual of a min-cost
            // flow never has one), so |V| - 1 rounds suffice.
            for _ in 0..nodes {
                let mut changed = false;
                for u in 0..nodes {
                    if dist[u] == i64::MAX {
                        continue;
                    }
                    for &e in &self.adjacency[u] {
                        let v = self.to[e];
                        if self.capacity[e] > 0 && dist[u] + self.cost[e] < dist[v] {
                            dist[v] = dist[u] + self.cost[e];
                            via[v] = e;
                            changed = true;
                        }
                    }
                }
                if !changed {
                    break;
                }
            }
            if dist[sink] == i64::MAX {
                return (flow, cost);
            }
            let mut push = i64::MAX;
            let mut v = sink;
            while v != source {
                let e = via[v];
                push = push.min(self.capacity[e]);
                v = self.to[e ^ 1];
            }
            let mut v = sink;
            while v != source {
                let e = via[v];
                self.capacity[e] -= push;
                self.capacity[e ^ 1] += push;
                v = self.to[e ^ 1];
            }
            flow += push;
            cost += push * dist[sink];
        }
    }
}
