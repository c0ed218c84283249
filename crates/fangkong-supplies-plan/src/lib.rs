//! Supplies arithmetic (物资保障), pure: data in, data out.
//!
//! - [`burn`]: the burn rate (average consumption per day) from counts or from the ledger's
//!   issues, and days of supply, as the US CDC "PPE Burn Rate Calculator" defines them.
//! - [`demand`]: consumption per unit of activity (a sample, a sampler shift, a quarantine
//!   person-day, a bed-day by type, a team-day) applied to an activity plan, the reserve
//!   target and the reorder quantity in whole packs.
//! - [`transfer`]: transfers between county reserves that minimise the total expected
//!   shortage (a min-cost max-flow: as much surplus as possible reaches the reserves short
//!   of their need, over the shortest distances), each explained in Chinese and English.
//!
//! This crate never reads the clock, a file or a database.

pub mod burn;
pub mod demand;
pub mod transfer;
