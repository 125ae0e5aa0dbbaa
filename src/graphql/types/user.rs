//! `User`: a person, with roles and scope.

use async_graphql::{ComplexObject, Context, ID, SimpleObject};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::domain::role::Role;
use crate::entity::{app_user, jurisdiction, user_role, user_scope};
use crate::graphql::context::app_state;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::ids;

use super::RoleName;

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct User {
    /// Global id.
    pub id: ID,
    pub email: String,
    pub name: String,
    pub phone: Option<String>,
    pub disabled: bool,
    /// Language of notifications: zh or en.
    pub locale: String,
    #[graphql(skip)]
    pub user_id: i64,
}

impl From<app_user::Model> for User {
    fn from(m: app_user::Model) -> Self {
        Self {
            id: ids::encode("User", m.id),
            email: m.email,
            name: m.name,
            phone: m.phone,
            disabled: m.disabled,
            locale: m.locale,
            user_id: m.id,
        }
    }
}

#[ComplexObject]
impl User {
    async fn roles(&self, ctx: &Context<'_>) -> ApiResult<Vec<RoleName>> {
        let state = app_state(ctx)?;
        let rows = user_role::Entity::find()
            .filter(user_role::Column::UserId.eq(self.user_id))
            .all(&state.db)
            .await
            .map_err(ApiError::internal)?;
        let mut roles: Vec<Role> = rows.iter().filter_map(|r| Role::parse(&r.role)).collect();
        roles.sort();
        Ok(roles.into_iter().map(RoleName::from).collect())
    }

    /// Codes of the jurisdiction nodes this user belongs to.
    async fn scope(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        let state = app_state(ctx)?;
        let ids: Vec<i64> = user_scope::Entity::find()
            .filter(user_scope::Column::UserId.eq(self.user_id))
            .all(&state.db)
            .await
            .map_err(ApiError::internal)?
            .into_iter()
            .map(|s| s.jurisdiction_id)
            .collect();
        let mut codes: Vec<String> = jurisdiction::Entity::find()
            .filter(jurisdiction::Column::Id.is_in(ids))
            .all(&state.db)
            .await
            .map_err(ApiError::internal)?
            .into_iter()
            .map(|j| j.code)
            .collect();
        codes.sort();
        Ok(codes)
    }
}
