//! Which tickets a statistics question covers, and who may ask it.
//!
//! Every ticket counts in exactly one territory, the one its grid lies in (grid, community, town,
//! district), and on the street and lane it was routed to. So a district's numbers are the sum of
//! its towns' and no ticket is counted twice, even one whose street belongs to the next town.
//! Tickets outside every grid only count for ADMINs asking about everything.

use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};

use crate::domain::role::Role;
use crate::entity::{jurisdiction, ticket};
use crate::service::error::{ServiceError, ServiceResult};
use crate::service::places;
use crate::service::viewer::Viewer;
use crate::state::AppState;

use super::rollup::RowDim;

/// Who may read statistics, rankings, hotspots and the overdue list.
pub const READERS: [Role; 3] = [Role::Manager, Role::Admin, Role::Dispatcher];
/// Who may download the CSV exports.
pub const EXPORTERS: [Role; 2] = [Role::Manager, Role::Admin];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    Everything,
    District,
    Town,
    Community,
    Grid,
    Street,
    Lane,
}

#[derive(Debug, Clone)]
pub struct StatScope {
    pub kind: ScopeKind,
    /// The jurisdiction asked about; `None` for everything.
    pub node: Option<jurisdiction::Model>,
    /// The towns of a district (or the town itself).
    pub towns: Vec<i64>,
}

impl StatScope {
    /// The jurisdiction code, empty for everything.
    pub fn code(&self) -> &str {
        self.node.as_ref().map_or("", |n| n.code.as_str())
    }

    pub fn name(&self) -> &str {
        self.node
            .as_ref()
            .map_or("全部 (everything)", |n| n.name.as_str())
    }

    fn id(&self) -> i64 {
        self.node.as_ref().map_or(0, |n| n.id)
    }

    /// The tickets in scope, as a condition on the ticket table.
    pub fn ticket_condition(&self) -> Condition {
        let id = self.id();
        let c = Condition::all();
        match self.kind {
            ScopeKind::Everything => c,
            ScopeKind::District | ScopeKind::Town => {
                c.add(ticket::Column::TownId.is_in(self.towns.clone()))
            }
            ScopeKind::Community => c.add(ticket::Column::CommunityId.eq(id)),
            ScopeKind::Grid => c.add(ticket::Column::GridId.eq(id)),
            ScopeKind::Street => c.add(ticket::Column::StreetId.eq(id)),
            ScopeKind::Lane => c.add(ticket::Column::LaneId.eq(id)),
        }
    }

    /// Towns whose rollup rows to read; `None` = every town (and the unplaced).
    pub fn row_towns(&self) -> Option<&[i64]> {
        matches!(self.kind, ScopeKind::District | ScopeKind::Town).then_some(self.towns.as_slice())
    }

    /// For a scope below the town: the breakdown whose rows hold exactly its tickets, and the key.
    pub fn row_restriction(&self) -> Option<(RowDim, i64)> {
        let dim = match self.kind {
            ScopeKind::Community => RowDim::Community,
            ScopeKind::Grid => RowDim::Grid,
            ScopeKind::Street => RowDim::Street,
            ScopeKind::Lane => RowDim::Lane,
            _ => return None,
        };
        Some((dim, self.id()))
    }
}

/// The scope asked for (a jurisdiction code), or the caller's own when there is one obvious
/// choice: everything for an ADMIN, the one jurisdiction of anybody else. Outside the caller's
/// scope is FORBIDDEN; an unknown code NOT_FOUND.
pub async fn resolve(
    state: &AppState,
    viewer: &Viewer,
    code: Option<&str>,
) -> ServiceResult<StatScope> {
    let code = code.map(str::trim).filter(|c| !c.is_empty());
    let node = match code {
        Some(code) => {
            let node = places::find_by_code(state, code)
                .await?
                .ok_or_else(|| ServiceError::not_found(format!("no jurisdiction {code}")))?;
            if !viewer.covers_path(&node.path) {
                return Err(ServiceError::forbidden(format!(
                    "jurisdiction {code} is outside your scope"
                )));
            }
            Some(node)
        }
        None if viewer.is_admin() => None,
        None => match viewer.scope.as_slice() {
            [one] => places::find_by_code(state, &one.code).await?,
            [] => return Err(ServiceError::forbidden("you have no jurisdiction")),
            _ => {
                return Err(ServiceError::invalid(
                    "scope",
                    "you belong to several jurisdictions; name one",
                ));
            }
        },
    };
    let Some(node) = node else {
        return Ok(StatScope {
            kind: ScopeKind::Everything,
            node: None,
            towns: Vec::new(),
        });
    };
    let kind = match node.kind.as_str() {
        "DISTRICT" => ScopeKind::District,
        "TOWN" => ScopeKind::Town,
        "COMMUNITY" => ScopeKind::Community,
        "GRID" => ScopeKind::Grid,
        "STREET" => ScopeKind::Street,
        "LANE" => ScopeKind::Lane,
        other => {
            return Err(ServiceError::Internal(format!(
                "jurisdiction {} has unknown kind {other}",
                node.code
            )));
        }
    };
    let towns = match kind {
        ScopeKind::Town => vec![node.id],
        ScopeKind::District => jurisdiction::Entity::find()
            .filter(jurisdiction::Column::ParentId.eq(node.id))
            .filter(jurisdiction::Column::Kind.eq("TOWN"))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|t| t.id)
            .collect(),
        _ => Vec::new(),
    };
    Ok(StatScope {
        kind,
        node: Some(node),
        towns,
    })
}
