//! Who is told about what: the rules of domain.md ("People", "Time") turned into user ids.
//! The directory is loaded once for a whole batch of tickets (a handful of queries), so the
//! sweeper's fan-out over thousands of tickets costs the same few statements as one ticket's.

use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::domain::notification::Kind;
use crate::domain::role::Role;
use crate::entity::{grid_worker, jurisdiction, ticket, user_role, user_scope};
use crate::service::error::ServiceResult;

/// The places, grid workers and role holders that a batch of tickets' notifications need.
#[derive(Debug, Default)]
pub struct Directory {
    /// Every grid, street, lane and town the tickets touch.
    pub places: HashMap<i64, jurisdiction::Model>,
    grid_workers: HashMap<i64, Vec<i64>>,
    /// Dispatchers and managers with their scopes as path prefixes, by role.
    role_holders: HashMap<Role, Vec<i64>>,
    scopes: HashMap<i64, Vec<String>>,
}

impl Directory {
    /// Loads what `for_kind` will ask about `kinds` on `tickets`: at most five queries.
    pub async fn load(
        db: &impl ConnectionTrait,
        tickets: &[(&ticket::Model, Kind)],
    ) -> ServiceResult<Self> {
        let place_ids: HashSet<i64> = tickets
            .iter()
            .flat_map(|(t, _)| [t.grid_id, t.street_id, t.lane_id, t.town_id])
            .flatten()
            .collect();
        let places = if place_ids.is_empty() {
            HashMap::new()
        } else {
            jurisdiction::Entity::find()
                .filter(jurisdiction::Column::Id.is_in(place_ids))
                .all(db)
                .await?
                .into_iter()
                .map(|j| (j.id, j))
                .collect()
        };
        let grids: HashSet<i64> = tickets
            .iter()
            .filter(|(_, k)| *k == Kind::Resolved)
            .filter_map(|(t, _)| t.grid_id)
            .collect();
        let mut grid_workers: HashMap<i64, Vec<i64>> = HashMap::new();
        if !grids.is_empty() {
            for w in grid_worker::Entity::find()
                .filter(grid_worker::Column::GridId.is_in(grids))
                .all(db)
                .await?
            {
                grid_workers.entry(w.grid_id).or_default().push(w.user_id);
            }
        }
        let mut directory = Directory {
            places,
            grid_workers,
            ..Default::default()
        };
        if tickets.iter().any(|(t, k)| needs_role_holders(*k, t)) {
            directory.load_role_holders(db).await?;
        }
        Ok(directory)
    }

    async fn load_role_holders(&mut self, db: &impl ConnectionTrait) -> ServiceResult<()> {
        let roles = [Role::Dispatcher, Role::Manager];
        for r in user_role::Entity::find()
            .filter(user_role::Column::Role.is_in(roles.iter().map(|r| r.as_str())))
            .all(db)
            .await?
        {
            if let Some(role) = roles.iter().find(|x| x.as_str() == r.role) {
                self.role_holders.entry(*role).or_default().push(r.user_id);
            }
        }
        for users in self.role_holders.values_mut() {
            users.sort_unstable();
            users.dedup();
        }
        let all: Vec<i64> = self.role_holders.values().flatten().copied().collect();
        self.scopes = scope_paths(db, &all).await?;
        Ok(())
    }

    /// The user ids to tell about `kind` on ticket `t`, in a stable order, possibly with repeats
    /// (the caller removes those, the actor, disabled users and opt-outs).
    pub fn for_kind(&self, kind: Kind, t: &ticket::Model) -> Vec<i64> {
        let assignee = t.assignee_id;
        let or_dispatchers = |ids: Vec<i64>| match assignee {
            Some(_) => ids,
            None => self.covering(&[Role::Dispatcher], t),
        };
        match kind {
            Kind::Dispatched => assignee.into_iter().collect(),
            Kind::Returned => self.covering(&[Role::Dispatcher], t),
            Kind::Resolved => match t.grid_id.and_then(|g| self.grid_workers.get(&g)) {
                Some(workers) if !workers.is_empty() => workers.clone(),
                _ => self.covering(&[Role::Dispatcher], t),
            },
            Kind::Closed => vec![t.reporter_id],
            Kind::ExtensionRequested => self.covering(&[Role::Dispatcher, Role::Manager], t),
            Kind::Supervised => or_dispatchers(
                assignee
                    .into_iter()
                    .chain(self.supervisors(t).into_iter().take(1))
                    .collect(),
            ),
            Kind::SlaWarning => or_dispatchers(assignee.into_iter().collect()),
            Kind::SlaOverdue | Kind::Escalated => {
                let reach = t.escalation_level.max(1) as usize;
                or_dispatchers(
                    assignee
                        .into_iter()
                        .chain(self.supervisors(t).into_iter().take(reach))
                        .collect(),
                )
            }
            Kind::DailyDigest => Vec::new(),
        }
    }

    /// Users holding one of `roles` whose scope covers the ticket; a ticket outside every grid
    /// and street belongs to all of them.
    fn covering(&self, roles: &[Role], t: &ticket::Model) -> Vec<i64> {
        let mut users: Vec<i64> = roles
            .iter()
            .filter_map(|r| self.role_holders.get(r))
            .flatten()
            .copied()
            .collect();
        users.sort_unstable();
        users.dedup();
        if t.grid_path.is_none() && t.place_path.is_none() {
            return users;
        }
        let paths: Vec<&str> = [t.grid_path.as_deref(), t.place_path.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        users
            .into_iter()
            .filter(|u| {
                self.scopes.get(u).is_some_and(|prefixes| {
                    prefixes
                        .iter()
                        .any(|p| paths.iter().any(|path| path.starts_with(p.as_str())))
                })
            })
            .collect()
    }

    /// The people above the ticket's assignee: lane chief → the street chief of the ticket's
    /// street → the town's manager (chief of the town).
    fn supervisors(&self, t: &ticket::Model) -> Vec<i64> {
        let chief = |node: Option<i64>| {
            node.and_then(|n| self.places.get(&n))
                .and_then(|j| j.chief_id)
        };
        chain_above(
            t.assignee_id,
            chief(t.lane_id),
            chief(t.street_id),
            chief(t.town_id),
        )
    }
}

/// Whether `for_kind(kind, t)` may need the dispatchers' and managers' scopes.
fn needs_role_holders(kind: Kind, t: &ticket::Model) -> bool {
    match kind {
        Kind::Returned | Kind::Resolved | Kind::ExtensionRequested => true,
        Kind::Supervised | Kind::SlaWarning | Kind::SlaOverdue | Kind::Escalated => {
            t.assignee_id.is_none()
        }
        Kind::Dispatched | Kind::Closed | Kind::DailyDigest => false,
    }
}

/// Each user's scope as materialised path prefixes.
pub async fn scope_paths(
    db: &impl ConnectionTrait,
    users: &[i64],
) -> ServiceResult<HashMap<i64, Vec<String>>> {
    if users.is_empty() {
        return Ok(HashMap::new());
    }
    let scopes = user_scope::Entity::find()
        .filter(user_scope::Column::UserId.is_in(users.iter().copied()))
        .all(db)
        .await?;
    let nodes: HashMap<i64, String> = jurisdiction::Entity::find()
        .filter(jurisdiction::Column::Id.is_in(scopes.iter().map(|s| s.jurisdiction_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|j| (j.id, j.path))
        .collect();
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    for s in scopes {
        if let Some(path) = nodes.get(&s.jurisdiction_id) {
            out.entry(s.user_id).or_default().push(path.clone());
        }
    }
    Ok(out)
}

/// The supervisor chain above `assignee`, given the lane, street and town chiefs.
pub fn chain_above(
    assignee: Option<i64>,
    lane: Option<i64>,
    street: Option<i64>,
    town: Option<i64>,
) -> Vec<i64> {
    let mut chain: Vec<i64> = Vec::new();
    for id in [lane, street, town].into_iter().flatten() {
        if chain.last() != Some(&id) {
            chain.push(id);
        }
    }
    match assignee.and_then(|a| chain.iter().position(|c| *c == a)) {
        Some(at) => chain.split_off(at + 1),
        None => {
            let mut above: Vec<i64> = [street, town].into_iter().flatten().collect();
            above.dedup();
            above.retain(|c| Some(*c) != assignee);
            above
        }
    }
}

#[cfg(test)]
mod tests {
    use super::chain_above;

    #[test]
    fn a_lane_chief_answers_to_the_street_chief_then_the_manager() {
        assert_eq!(chain_above(Some(1), Some(1), Some(2), Some(3)), [2, 3]);
    }

    #[test]
    fn a_street_chief_answers_to_the_manager() {
        assert_eq!(chain_above(Some(2), Some(1), Some(2), Some(3)), [3]);
        assert_eq!(chain_above(Some(2), None, Some(2), Some(3)), [3]);
    }

    #[test]
    fn the_manager_has_nobody_above() {
        assert!(chain_above(Some(3), None, None, Some(3)).is_empty());
    }

    #[test]
    fn another_chief_dispatched_in_answers_to_the_street() {
        assert_eq!(chain_above(Some(9), Some(1), Some(2), Some(3)), [2, 3]);
    }

    #[test]
    fn one_person_holding_two_links_appears_once() {
        assert_eq!(chain_above(Some(1), Some(1), Some(3), Some(3)), [3]);
    }
}
