//! Who is told about what: the rules of domain.md ("People", "Time") turned into user ids.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::domain::notification::Kind;
use crate::domain::role::Role;
use crate::entity::{grid_worker, jurisdiction, ticket, user_role, user_scope};
use crate::service::error::ServiceResult;

/// The user ids to tell about `kind` on ticket `t`, in a stable order, possibly with repeats
/// (the caller removes those, the actor, disabled users and opt-outs).
pub async fn for_kind(
    db: &impl ConnectionTrait,
    kind: Kind,
    t: &ticket::Model,
) -> ServiceResult<Vec<i64>> {
    let assignee = t.assignee_id;
    let or_dispatchers = async |ids: Vec<i64>| -> ServiceResult<Vec<i64>> {
        match assignee {
            Some(_) => Ok(ids),
            None => covering(db, &[Role::Dispatcher], t).await,
        }
    };
    match kind {
        Kind::Dispatched => Ok(assignee.into_iter().collect()),
        Kind::Returned => covering(db, &[Role::Dispatcher], t).await,
        Kind::Resolved => match t.grid_id {
            Some(grid) => {
                let workers = grid_workers(db, grid).await?;
                if workers.is_empty() {
                    covering(db, &[Role::Dispatcher], t).await
                } else {
                    Ok(workers)
                }
            }
            None => covering(db, &[Role::Dispatcher], t).await,
        },
        Kind::Closed => Ok(vec![t.reporter_id]),
        Kind::ExtensionRequested => covering(db, &[Role::Dispatcher, Role::Manager], t).await,
        Kind::Supervised => {
            let chain = supervisors(db, t).await?;
            or_dispatchers(
                assignee
                    .into_iter()
                    .chain(chain.into_iter().take(1))
                    .collect(),
            )
            .await
        }
        Kind::SlaWarning => or_dispatchers(assignee.into_iter().collect()).await,
        Kind::SlaOverdue | Kind::Escalated => {
            let reach = t.escalation_level.max(1) as usize;
            let chain = supervisors(db, t).await?;
            or_dispatchers(
                assignee
                    .into_iter()
                    .chain(chain.into_iter().take(reach))
                    .collect(),
            )
            .await
        }
        Kind::DailyDigest => Ok(Vec::new()),
    }
}

/// Users holding one of `roles` whose scope covers the ticket; a ticket outside every grid and
/// street belongs to all of them.
pub async fn covering(
    db: &impl ConnectionTrait,
    roles: &[Role],
    t: &ticket::Model,
) -> ServiceResult<Vec<i64>> {
    let mut users: Vec<i64> = user_role::Entity::find()
        .filter(user_role::Column::Role.is_in(roles.iter().map(|r| r.as_str())))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.user_id)
        .collect();
    users.sort_unstable();
    users.dedup();
    if t.grid_path.is_none() && t.place_path.is_none() {
        return Ok(users);
    }
    let scopes = scope_paths(db, &users).await?;
    let paths: Vec<&str> = [t.grid_path.as_deref(), t.place_path.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    Ok(users
        .into_iter()
        .filter(|u| {
            scopes.get(u).is_some_and(|prefixes| {
                prefixes
                    .iter()
                    .any(|p| paths.iter().any(|path| path.starts_with(p.as_str())))
            })
        })
        .collect())
}

/// Each user's scope as materialised path prefixes.
pub async fn scope_paths(
    db: &impl ConnectionTrait,
    users: &[i64],
) -> ServiceResult<HashMap<i64, Vec<String>>> {
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

async fn grid_workers(db: &impl ConnectionTrait, grid: i64) -> ServiceResult<Vec<i64>> {
    Ok(grid_worker::Entity::find()
        .filter(grid_worker::Column::GridId.eq(grid))
        .all(db)
        .await?
        .into_iter()
        .map(|w| w.user_id)
        .collect())
}

/// The people above the ticket's assignee: lane chief → the street chief of the ticket's street →
/// the town's manager (chief of the town). A lane chief supervises nobody, so when the assignee
/// is not on the chain (dispatched to someone else) the chain starts at the street.
pub async fn supervisors(db: &impl ConnectionTrait, t: &ticket::Model) -> ServiceResult<Vec<i64>> {
    let ids: Vec<i64> = [t.lane_id, t.street_id, t.town_id]
        .into_iter()
        .flatten()
        .collect();
    let chiefs: HashMap<i64, Option<i64>> = jurisdiction::Entity::find()
        .filter(jurisdiction::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|j| (j.id, j.chief_id))
        .collect();
    let chief = |node: Option<i64>| node.and_then(|n| chiefs.get(&n).copied().flatten());
    Ok(chain_above(
        t.assignee_id,
        chief(t.lane_id),
        chief(t.street_id),
        chief(t.town_id),
    ))
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
