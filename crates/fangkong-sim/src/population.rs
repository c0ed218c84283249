//! The population the simulator runs over, built from plain data.
//!
//! A [`Population`] holds its people as columns (struct of arrays) and its groups
//! (households, schools, workplaces, communities, counties) as CSR member lists, the
//! layout the simulation step reads. It knows nothing of identity numbers or names: a
//! person is an index, `0..len()`, that the caller maps back to its own records.

use serde::{Deserialize, Serialize};

use crate::SimError;

/// "No group" in a group column.
pub(crate) const NONE: u32 = u32::MAX;

/// One person as the caller describes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resident {
    /// Age in completed years (capped at 120 by the caller's type, banded by ten years).
    pub age: u8,
    /// Household id; ids need not be contiguous but memory grows with the largest.
    pub household: u32,
    /// School (kindergarten to high school) attended, if any.
    pub school: Option<u32>,
    /// Workplace (any employer, including schools and venues for their staff), if any.
    pub workplace: Option<u32>,
    /// Index into the population's communities.
    pub community: u32,
    /// Vaccine doses received (3 counts for 3 or more).
    pub doses: u8,
}

/// A community (社区/村) and the county it lies in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Community {
    /// The 12-digit community code.
    pub code: String,
    /// Index into the population's counties.
    pub county: u16,
}

/// Member lists of groups: members of group `g` are `members[offsets[g]..offsets[g + 1]]`,
/// in increasing person index.
#[derive(Debug, Clone, Default)]
pub(crate) struct Csr {
    pub offsets: Vec<u32>,
    pub members: Vec<u32>,
}

impl Csr {
    /// Groups from a column of group ids (`NONE` for none), by counting sort.
    pub(crate) fn from_column(column: &[u32]) -> Csr {
        let groups = column
            .iter()
            .filter(|&&g| g != NONE)
            .max()
            .map_or(0, |&g| g as usize + 1);
        let mut offsets = vec![0u32; groups + 1];
        for &g in column {
            if g != NONE {
                offsets[g as usize + 1] += 1;
            }
        }
        for i in 0..groups {
            offsets[i + 1] += offsets[i];
        }
        let mut next = offsets.clone();
        let mut members = vec![0u32; offsets[groups] as usize];
        for (person, &g) in column.iter().enumerate() {
            if g != NONE {
                let slot = &mut next[g as usize];
                members[*slot as usize] = person as u32;
                *slot += 1;
            }
        }
        Csr { offsets, members }
    }

    #[inline]
    pub(crate) fn group(&self, g: u32) -> &[u32] {
        let g = g as usize;
        &self.members[self.offsets[g] as usize..self.offsets[g + 1] as usize]
    }

    pub(crate) fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }
}

/// The people of a city and their groups.
#[derive(Debug, Clone)]
pub struct Population {
    pub(crate) age: Vec<u8>,
    pub(crate) doses: Vec<u8>,
    pub(crate) household: Vec<u32>,
    pub(crate) school: Vec<u32>,
    pub(crate) workplace: Vec<u32>,
    pub(crate) community: Vec<u32>,
    pub(crate) county: Vec<u16>,
    pub(crate) households: Csr,
    pub(crate) schools: Csr,
    pub(crate) workplaces: Csr,
    pub(crate) communities: Csr,
    pub(crate) counties: Csr,
    pub(crate) community_list: Vec<Community>,
    pub(crate) county_codes: Vec<String>,
}

impl Population {
    /// A population of `residents` (person `i` is `residents[i]`) living in `communities`
    /// of `counties` (county codes, e.g. `411702`).
    ///
    /// # Errors
    /// [`SimError::Population`] when a resident names a community that does not exist, a
    /// community a county that does not exist, or there are more than `u32::MAX - 1`
    /// residents or 65 535 counties.
    pub fn new(
        counties: Vec<String>,
        communities: Vec<Community>,
        residents: &[Resident],
    ) -> Result<Population, SimError> {
        if residents.len() >= NONE as usize || counties.len() > usize::from(u16::MAX) {
            return Err(SimError::Population(
                "too many residents or counties".into(),
            ));
        }
        if let Some(c) = communities
            .iter()
            .find(|c| usize::from(c.county) >= counties.len())
        {
            return Err(SimError::Population(format!(
                "community {} is in county {}, of {} counties",
                c.code,
                c.county,
                counties.len()
            )));
        }
        if let Some((i, r)) = residents
            .iter()
            .enumerate()
            .find(|(_, r)| r.community as usize >= communities.len())
        {
            return Err(SimError::Population(format!(
                "resident {i} lives in community {}, of {}",
                r.community,
                communities.len()
            )));
        }
        let col = |f: fn(&Resident) -> u32| residents.iter().map(f).collect::<Vec<u32>>();
        let household = col(|r| r.household);
        let school = col(|r| r.school.unwrap_or(NONE));
        let workplace = col(|r| r.workplace.unwrap_or(NONE));
        let community = col(|r| r.community);
        let county: Vec<u16> = residents
            .iter()
            .map(|r| communities[r.community as usize].county)
            .collect();
        let (households, schools, workplaces, communities_csr, counties_csr) = {
            let county32: Vec<u32> = county.iter().map(|&c| u32::from(c)).collect();
            let ((h, s), (w, (c, k))) = rayon::join(
                || {
                    rayon::join(
                        || Csr::from_column(&household),
                        || Csr::from_column(&school),
                    )
                },
                || {
                    rayon::join(
                        || Csr::from_column(&workplace),
                        || {
                            rayon::join(
                                || Csr::from_column(&community),
                                || Csr::from_column(&county32),
                            )
                        },
                    )
                },
            );
            (h, s, w, c, k)
        };
        Ok(Population {
            age: residents.iter().map(|r| r.age).collect(),
            doses: residents.iter().map(|r| r.doses.min(3)).collect(),
            household,
            school,
            workplace,
            community,
            county,
            households,
            schools,
            workplaces,
            communities: communities_csr,
            counties: counties_csr,
            community_list: communities,
            county_codes: counties,
        })
    }

    /// A homogeneous population for validation: `n` people aged 30, each alone in a
    /// household, in one community of one county (`000000`).
    pub fn homogeneous(n: u32) -> Population {
        let residents: Vec<Resident> = (0..n)
            .map(|i| Resident {
                age: 30,
                household: i,
                school: None,
                workplace: None,
                community: 0,
                doses: 0,
            })
            .collect();
        #[allow(clippy::expect_used)]
        Population::new(
            vec!["000000".into()],
            vec![Community {
                code: "000000000000".into(),
                county: 0,
            }],
            &residents,
        )
        .expect("one community of one county holds everyone")
    }

    /// Number of people.
    pub fn len(&self) -> usize {
        self.age.len()
    }

    pub fn is_empty(&self) -> bool {
        self.age.is_empty()
    }

    /// County codes, in index order (the order of per-county outputs).
    pub fn county_codes(&self) -> &[String] {
        &self.county_codes
    }

    /// Communities, in index order.
    pub fn communities(&self) -> &[Community] {
        &self.community_list
    }

    /// A person as the caller described them.
    ///
    /// # Panics
    /// If `person` is outside the population.
    pub fn resident(&self, person: u32) -> Resident {
        let i = person as usize;
        let group = |g: u32| (g != NONE).then_some(g);
        Resident {
            age: self.age[i],
            household: self.household[i],
            school: group(self.school[i]),
            workplace: group(self.workplace[i]),
            community: self.community[i],
            doses: self.doses[i],
        }
    }

    /// The county index of a person.
    pub fn county_of(&self, person: u32) -> u16 {
        self.county[person as usize]
    }

    /// Approximate heap size in bytes.
    pub fn memory_bytes(&self) -> usize {
        let csr = |c: &Csr| (c.offsets.len() + c.members.len()) * 4;
        self.len() * (1 + 1 + 4 * 4 + 2)
            + csr(&self.households)
            + csr(&self.schools)
            + csr(&self.workplaces)
            + csr(&self.communities)
            + csr(&self.counties)
    }
}
