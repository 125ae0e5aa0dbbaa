//! The roles people hold (domain.md, "People").

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    /// 网格员: patrols grids, reports, verifies.
    GridWorker,
    /// 巷长: handles tickets routed to their lane.
    LaneChief,
    /// 街长: handles tickets routed to their street; supervises its lane chiefs.
    StreetChief,
    /// 派遣员: reviews, dispatches, rejects, marks duplicates, enters hotline cases.
    Dispatcher,
    /// 管理者: reads statistics, approves extensions, suspends, supervises, reopens.
    Manager,
    /// 管理员: jurisdictions, categories, calendars, users.
    Admin,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::GridWorker,
        Role::LaneChief,
        Role::StreetChief,
        Role::Dispatcher,
        Role::Manager,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::GridWorker => "GRID_WORKER",
            Role::LaneChief => "LANE_CHIEF",
            Role::StreetChief => "STREET_CHIEF",
            Role::Dispatcher => "DISPATCHER",
            Role::Manager => "MANAGER",
            Role::Admin => "ADMIN",
        }
    }

    /// Accepts the canonical names case-insensitively, with `-` or `_`.
    pub fn parse(s: &str) -> Option<Role> {
        let norm = s.trim().to_ascii_uppercase().replace('-', "_");
        Role::ALL.into_iter().find(|r| r.as_str() == norm)
    }

    /// Chiefs are the people tickets are dispatched to.
    pub fn is_chief(self) -> bool {
        matches!(self, Role::LaneChief | Role::StreetChief)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_parses_back_from_its_name() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
    }

    #[test]
    fn parsing_is_case_insensitive_and_accepts_dashes() {
        assert_eq!(Role::parse("lane-chief"), Some(Role::LaneChief));
        assert_eq!(Role::parse(" grid_worker "), Some(Role::GridWorker));
        assert_eq!(Role::parse("mayor"), None);
    }
}
