//! `node(id:)`: refetch any object by its opaque global id.

use async_graphql::{Context, ID, Interface, Object};
use sea_orm::EntityTrait;

use crate::domain::role::Role;
use crate::entity::{app_user, category, jurisdiction};
use crate::service::{Actor, users};

use super::context::{actor, app_state};
use super::error::{ApiError, ApiResult};
use super::ids;
use super::types::{Category, User, jurisdiction::Jurisdiction, ticket::Ticket};
use crate::entity::ticket;
use crate::service::tickets::engine::visible;

/// Anything with a global id.
#[derive(Interface)]
#[allow(clippy::large_enum_variant)]
#[graphql(field(name = "id", ty = "&ID"))]
pub enum Node {
    User(User),
    Jurisdiction(Jurisdiction),
    Category(Category),
    Ticket(Ticket),
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// The object with this global id, if it exists and the caller may see it.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<Node>> {
        let state = app_state(ctx)?;
        let actor = actor(ctx)?;
        let Some((type_name, key)) = ids::decode(&id) else {
            return Err(ApiError::bad_input("id", "not a valid global id"));
        };
        let numeric = || {
            key.parse::<i64>()
                .map_err(|_| ApiError::bad_input("id", "not a valid global id"))
        };
        let db = &state.db;
        Ok(match type_name.as_str() {
            "User" => {
                let id = numeric()?;
                let own = actor.user_id() == Some(id);
                if !own {
                    actor.require_any(&[Role::Admin, Role::Manager])?;
                }
                let row = app_user::Entity::find_by_id(id)
                    .one(db)
                    .await
                    .map_err(ApiError::internal)?;
                match row {
                    Some(u) if own || users::in_scope(state, &actor, u.id).await? => {
                        Some(Node::User(u.into()))
                    }
                    Some(_) => {
                        return Err(ApiError::forbidden("that user is outside your scope"));
                    }
                    None => None,
                }
            }
            "Jurisdiction" => {
                let row = jurisdiction::Entity::find_by_id(numeric()?)
                    .one(db)
                    .await
                    .map_err(ApiError::internal)?;
                match row {
                    Some(j) if covers(&actor, &j.path) => Some(Node::Jurisdiction(j.into())),
                    Some(_) => {
                        return Err(ApiError::forbidden(
                            "that jurisdiction is outside your scope",
                        ));
                    }
                    None => None,
                }
            }
            "Ticket" => {
                let row = ticket::Entity::find_by_id(numeric()?)
                    .one(db)
                    .await
                    .map_err(ApiError::internal)?;
                match row {
                    Some(t) if visible(&actor, &t) => Some(Node::Ticket(t.into())),
                    Some(_) => {
                        return Err(ApiError::forbidden("that ticket is outside your scope"));
                    }
                    None => None,
                }
            }
            "Category" => category::Entity::find_by_id(key)
                .one(db)
                .await
                .map_err(ApiError::internal)?
                .map(|c| Node::Category(c.into())),
            _ => return Err(ApiError::bad_input("id", "not a valid global id")),
        })
    }
}

fn covers(actor: &Actor<'_>, path: &str) -> bool {
    actor.covers_path(path)
}
