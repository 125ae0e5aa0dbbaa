//! `users`, `createUser`, `updateUser`.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use crate::domain::role::Role;
use crate::service::users::{self, NewUser, UserUpdate};

use super::context::{actor, app_state};
use super::error::ApiResult;
use super::ids;
use super::types::role::to_domain;
use super::types::{RoleName, User};

#[derive(InputObject)]
pub struct CreateUserInput {
    pub email: String,
    pub name: String,
    pub phone: Option<String>,
    pub roles: Vec<RoleName>,
    /// Jurisdiction codes the user belongs to.
    #[graphql(default)]
    pub scope: Vec<String>,
    /// Omit to create an account that cannot log in until a password is set.
    pub password: Option<String>,
    /// zh (default) or en.
    pub locale: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateUserInput {
    pub id: ID,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub roles: Option<Vec<RoleName>>,
    pub scope: Option<Vec<String>>,
    pub password: Option<String>,
    pub disabled: Option<bool>,
    pub locale: Option<String>,
}

#[derive(SimpleObject)]
pub struct CreateUserPayload {
    pub user: User,
}

#[derive(SimpleObject)]
pub struct UpdateUserPayload {
    pub user: User,
}

#[derive(Default)]
pub struct UsersQuery;

#[Object]
impl UsersQuery {
    /// Users inside the caller's scope (ADMIN, MANAGER), by id.
    async fn users(
        &self,
        ctx: &Context<'_>,
        role: Option<RoleName>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Connection<String, User>> {
        let state = app_state(ctx)?;
        let actor = actor(ctx)?;
        let (limit, after_id) = ids::page(first, after.as_deref())?;
        let rows =
            users::list_users(state, actor, role.map(Role::from), after_id, limit + 1).await?;
        let has_next = rows.len() as u64 > limit;
        let mut conn = Connection::new(after_id.is_some(), has_next);
        conn.edges.extend(
            rows.into_iter()
                .take(limit as usize)
                .map(|u| Edge::new(ids::cursor(u.id), User::from(u))),
        );
        Ok(conn)
    }
}

#[derive(Default)]
pub struct UsersMutation;

#[Object]
impl UsersMutation {
    /// Creates a user (ADMIN).
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        input: CreateUserInput,
    ) -> ApiResult<CreateUserPayload> {
        let state = app_state(ctx)?;
        let actor = actor(ctx)?;
        let user = users::create_user(
            state,
            actor,
            NewUser {
                email: input.email,
                name: input.name,
                phone: input.phone,
                roles: to_domain(&input.roles),
                scope_codes: input.scope,
                password: input.password,
                locale: input.locale,
            },
        )
        .await?;
        Ok(CreateUserPayload { user: user.into() })
    }

    /// Changes a user's profile, roles, scope, password or disabled flag (ADMIN).
    async fn update_user(
        &self,
        ctx: &Context<'_>,
        input: UpdateUserInput,
    ) -> ApiResult<UpdateUserPayload> {
        let state = app_state(ctx)?;
        let actor = actor(ctx)?;
        let id = ids::decode_numeric(&input.id, "User", "id")?;
        let user = users::update_user(
            state,
            actor,
            id,
            UserUpdate {
                name: input.name,
                phone: input.phone,
                roles: input.roles.as_deref().map(to_domain),
                scope_codes: input.scope,
                password: input.password,
                disabled: input.disabled,
                locale: input.locale,
            },
        )
        .await?;
        Ok(UpdateUserPayload { user: user.into() })
    }
}
