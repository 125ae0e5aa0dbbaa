//! Jurisdictions: all-or-nothing GeoJSON import, chief assignment, scoped lookups.

use std::collections::{HashMap, HashSet};

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::domain::places::{ImportContext, ImportFeature, PlaceKind, parse_import};
use crate::domain::role::Role;
use crate::entity::{app_user, grid_worker, jurisdiction, user_role, user_scope};
use crate::state::AppState;

use super::actor::Actor;
use super::error::{Problem, ServiceError, ServiceResult};
use super::tx;

/// What an import changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub created: usize,
    pub updated: usize,
}

/// Imports a GeoJSON FeatureCollection (ADMIN). Any bad feature rejects the whole file, listing
/// every problem with its feature index and code; re-imported codes are updated in place.
pub async fn import_jurisdictions(
    state: &AppState,
    actor: Actor<'_>,
    text: &str,
) -> ServiceResult<ImportSummary> {
    actor.require_any(&[Role::Admin])?;
    let existing_rows = jurisdiction::Entity::find().all(&state.db).await?;
    let existing: HashMap<String, PlaceKind> = existing_rows
        .iter()
        .filter_map(|j| PlaceKind::parse(&j.kind).map(|k| (j.code.clone(), k)))
        .collect();
    let users: HashMap<String, i64> = app_user::Entity::find()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.email, u.id))
        .collect();
    let known_emails: HashSet<String> = users.keys().cloned().collect();
    let ctx = ImportContext {
        existing: &existing,
        known_emails: &known_emails,
    };
    let mut features = parse_import(text, &ctx).map_err(|problems| {
        rejected(problems.into_iter().map(|p| Problem {
            index: p.index,
            code: p.code,
            message: p.message,
        }))
    })?;
    let kind_changes: Vec<Problem> = features
        .iter()
        .filter_map(|f| {
            existing
                .get(&f.code)
                .filter(|k| **k != f.kind)
                .map(|k| Problem {
                    index: Some(f.index),
                    code: Some(f.code.clone()),
                    message: format!(
                        "code already exists as a {}; the kind cannot change",
                        k.as_str()
                    ),
                })
        })
        .collect();
    if !kind_changes.is_empty() {
        return Err(rejected(kind_changes));
    }
    features.sort_by_key(|f| (f.kind.depth(), f.index));
    let mut known: HashMap<String, (i64, String, Option<i64>)> = existing_rows
        .into_iter()
        .map(|j| (j.code, (j.id, j.path, j.parent_id)))
        .collect();
    let txn = tx::begin_write(&state.db).await?;
    let now = state.clock.now();
    let mut summary = ImportSummary::default();
    let mut reparented = false;
    for f in &features {
        let parent = match &f.parent {
            Some(code) => Some(
                known
                    .get(code)
                    .cloned()
                    .ok_or_else(|| ServiceError::Internal(format!("parent {code} vanished")))?,
            ),
            None => None,
        };
        let parent_id = parent.as_ref().map(|p| p.0);
        let parent_path = parent.as_ref().map_or("/".to_string(), |p| p.1.clone());
        let chief_id = f.chief.as_ref().and_then(|e| users.get(e).copied());
        let (id, path) = match known.get(&f.code).cloned() {
            Some((id, _, old_parent)) => {
                reparented |= old_parent != parent_id;
                let path = format!("{parent_path}{id}/");
                update_place(&txn, id, f, parent_id, &path, chief_id, now).await?;
                summary.updated += 1;
                (id, path)
            }
            None => {
                let id = insert_place(&txn, f, parent_id, &parent_path, chief_id, now).await?;
                summary.created += 1;
                (id, format!("{parent_path}{id}/"))
            }
        };
        known.insert(f.code.clone(), (id, path, parent_id));
        if let (Some(user_id), Some(role)) = (chief_id, chief_role(f.kind)) {
            grant_duty(&txn, user_id, role, id).await?;
        }
        if f.kind == PlaceKind::Grid {
            replace_workers(
                &txn,
                id,
                f.workers.iter().filter_map(|e| users.get(e).copied()),
            )
            .await?;
        }
    }
    if reparented {
        recompute_paths(&txn).await?;
    }
    txn.commit().await?;
    state.routing.rebuild(&state.db).await?;
    Ok(summary)
}

fn rejected(problems: impl IntoIterator<Item = Problem>) -> ServiceError {
    ServiceError::Rejected {
        field: "geojson".into(),
        problems: problems.into_iter().collect(),
    }
}

/// The role that a chief of this kind of place holds.
fn chief_role(kind: PlaceKind) -> Option<Role> {
    match kind {
        PlaceKind::Lane => Some(Role::LaneChief),
        PlaceKind::Street => Some(Role::StreetChief),
        _ => None,
    }
}

async fn insert_place(
    db: &impl ConnectionTrait,
    f: &ImportFeature,
    parent_id: Option<i64>,
    parent_path: &str,
    chief_id: Option<i64>,
    now: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<i64> {
    let row = jurisdiction::ActiveModel {
        code: Set(f.code.clone()),
        kind: Set(f.kind.as_str().to_string()),
        name: Set(f.name.clone()),
        parent_id: Set(parent_id),
        path: Set(parent_path.to_string()),
        depth: Set(i32::from(f.kind.depth())),
        chief_id: Set(chief_id),
        buffer_meters: Set(f.buffer_meters),
        geometry: Set(f.geometry_json.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    jurisdiction::Entity::update_many()
        .col_expr(
            jurisdiction::Column::Path,
            Expr::value(format!("{parent_path}{}/", row.id)),
        )
        .filter(jurisdiction::Column::Id.eq(row.id))
        .exec(db)
        .await?;
    Ok(row.id)
}

async fn update_place(
    db: &impl ConnectionTrait,
    id: i64,
    f: &ImportFeature,
    parent_id: Option<i64>,
    path: &str,
    chief_id: Option<i64>,
    now: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<()> {
    jurisdiction::ActiveModel {
        id: Set(id),
        name: Set(f.name.clone()),
        parent_id: Set(parent_id),
        path: Set(path.to_string()),
        chief_id: Set(chief_id),
        buffer_meters: Set(f.buffer_meters),
        geometry: Set(f.geometry_json.clone()),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

async fn replace_workers(
    db: &impl ConnectionTrait,
    grid_id: i64,
    workers: impl Iterator<Item = i64>,
) -> ServiceResult<()> {
    grid_worker::Entity::delete_many()
        .filter(grid_worker::Column::GridId.eq(grid_id))
        .exec(db)
        .await?;
    for user_id in workers {
        grid_worker::ActiveModel {
            grid_id: Set(grid_id),
            user_id: Set(user_id),
        }
        .insert(db)
        .await?;
        grant_duty(db, user_id, Role::GridWorker, grid_id).await?;
    }
    Ok(())
}

/// Gives a user the role and the scope that a duty implies, if they lack them.
async fn grant_duty(
    db: &impl ConnectionTrait,
    user_id: i64,
    role: Role,
    jurisdiction_id: i64,
) -> ServiceResult<()> {
    let has_role = user_role::Entity::find_by_id((user_id, role.as_str().to_string()))
        .one(db)
        .await?
        .is_some();
    if !has_role {
        user_role::ActiveModel {
            user_id: Set(user_id),
            role: Set(role.as_str().to_string()),
        }
        .insert(db)
        .await?;
    }
    let has_scope = user_scope::Entity::find_by_id((user_id, jurisdiction_id))
        .one(db)
        .await?
        .is_some();
    if !has_scope {
        user_scope::ActiveModel {
            user_id: Set(user_id),
            jurisdiction_id: Set(jurisdiction_id),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Rewrites every materialised path from the parent links (after a node moved).
async fn recompute_paths(db: &impl ConnectionTrait) -> ServiceResult<()> {
    let rows = jurisdiction::Entity::find()
        .order_by_asc(jurisdiction::Column::Depth)
        .all(db)
        .await?;
    let mut paths: HashMap<i64, String> = HashMap::with_capacity(rows.len());
    for j in rows {
        let parent_path = j
            .parent_id
            .and_then(|p| paths.get(&p).cloned())
            .unwrap_or_else(|| "/".into());
        let path = format!("{parent_path}{}/", j.id);
        if path != j.path {
            jurisdiction::Entity::update_many()
                .col_expr(jurisdiction::Column::Path, Expr::value(path.clone()))
                .filter(jurisdiction::Column::Id.eq(j.id))
                .exec(db)
                .await?;
        }
        paths.insert(j.id, path);
    }
    Ok(())
}

/// Makes a user the chief of a street, lane, community or town (ADMIN).
pub async fn assign_chief(
    state: &AppState,
    actor: Actor<'_>,
    code: &str,
    email: &str,
) -> ServiceResult<jurisdiction::Model> {
    actor.require_any(&[Role::Admin])?;
    let place = find_by_code(state, code.trim())
        .await?
        .ok_or_else(|| ServiceError::invalid("jurisdictionCode", "unknown jurisdiction code"))?;
    let kind = PlaceKind::parse(&place.kind).unwrap_or(PlaceKind::Grid);
    if !kind.has_chief() {
        return Err(ServiceError::invalid(
            "jurisdictionCode",
            format!("a {} has no chief", kind.as_str()),
        ));
    }
    let email = super::validate::email("email", email)?;
    let user = app_user::Entity::find()
        .filter(app_user::Column::Email.eq(email.as_str()))
        .one(&state.db)
        .await?
        .ok_or_else(|| ServiceError::invalid("email", "no user with that email"))?;
    let txn = tx::begin_write(&state.db).await?;
    let mut active: jurisdiction::ActiveModel = place.into();
    active.chief_id = Set(Some(user.id));
    active.updated_at = Set(state.clock.now());
    let updated = active.update(&txn).await?;
    if let Some(role) = chief_role(kind) {
        grant_duty(&txn, user.id, role, updated.id).await?;
    }
    txn.commit().await?;
    state.routing.rebuild(&state.db).await?;
    Ok(updated)
}

pub async fn find_by_code(
    state: &AppState,
    code: &str,
) -> ServiceResult<Option<jurisdiction::Model>> {
    Ok(jurisdiction::Entity::find()
        .filter(jurisdiction::Column::Code.eq(code))
        .one(&state.db)
        .await?)
}

/// One jurisdiction inside the actor's scope; outside it is FORBIDDEN, unknown is NOT_FOUND.
pub async fn get_scoped(
    state: &AppState,
    actor: Actor<'_>,
    code: &str,
) -> ServiceResult<jurisdiction::Model> {
    let place = find_by_code(state, code.trim())
        .await?
        .ok_or_else(|| ServiceError::not_found("no such jurisdiction"))?;
    actor.require_path(&place.path, "that jurisdiction")?;
    Ok(place)
}

/// A page of jurisdictions inside the actor's scope, by id.
pub async fn list_scoped(
    state: &AppState,
    actor: Actor<'_>,
    kind: Option<PlaceKind>,
    parent_code: Option<&str>,
    after_id: Option<i64>,
    limit: u64,
) -> ServiceResult<Vec<jurisdiction::Model>> {
    let mut q = jurisdiction::Entity::find().order_by_asc(jurisdiction::Column::Id);
    if let Some(kind) = kind {
        q = q.filter(jurisdiction::Column::Kind.eq(kind.as_str()));
    }
    if let Some(code) = parent_code {
        let parent = find_by_code(state, code.trim())
            .await?
            .ok_or_else(|| ServiceError::invalid("parentCode", "unknown jurisdiction code"))?;
        q = q.filter(jurisdiction::Column::ParentId.eq(parent.id));
    }
    if let Some(after) = after_id {
        q = q.filter(jurisdiction::Column::Id.gt(after));
    }
    if let Some(prefixes) = actor.scope_prefixes() {
        let mut any = Condition::any();
        for p in prefixes {
            any = any.add(Expr::col(jurisdiction::Column::Path).like(format!("{p}%")));
        }
        q = q.filter(any);
    }
    Ok(q.limit(limit).all(&state.db).await?)
}

/// Users who patrol a grid.
pub async fn grid_workers(state: &AppState, grid_id: i64) -> ServiceResult<Vec<app_user::Model>> {
    let ids: Vec<i64> = grid_worker::Entity::find()
        .filter(grid_worker::Column::GridId.eq(grid_id))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|g| g.user_id)
        .collect();
    Ok(app_user::Entity::find()
        .filter(app_user::Column::Id.is_in(ids))
        .order_by_asc(app_user::Column::Id)
        .all(&state.db)
        .await?)
}
