//! `login`, `logout`, `me`.

use async_graphql::{Context, InputObject, Object, SimpleObject};

use crate::service::auth;

use super::context::{BearerToken, app_state, viewer};
use super::error::{ApiError, ApiResult};
use super::types::User;

#[derive(InputObject)]
pub struct LoginInput {
    pub email: String,
    pub password: String,
}

#[derive(SimpleObject)]
pub struct LoginPayload {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub user: User,
}

#[derive(SimpleObject)]
pub struct LogoutPayload {
    pub ok: bool,
}

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The logged-in user.
    async fn me(&self, ctx: &Context<'_>) -> ApiResult<User> {
        let state = app_state(ctx)?;
        let v = viewer(ctx)?;
        let user = crate::service::users::get(state, v.user_id).await?;
        Ok(User::from(user))
    }
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Exchanges email and password for a bearer token. Every failure is the same UNAUTHENTICATED.
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> ApiResult<LoginPayload> {
        let state = app_state(ctx)?;
        let (token, user) = auth::login(state, &input.email, &input.password).await?;
        Ok(LoginPayload {
            token,
            user: User::from(user),
        })
    }

    /// Revokes the token this request was sent with.
    async fn logout(&self, ctx: &Context<'_>) -> ApiResult<LogoutPayload> {
        let state = app_state(ctx)?;
        viewer(ctx)?;
        let token = ctx
            .data_opt::<BearerToken>()
            .ok_or_else(ApiError::unauthenticated)?;
        auth::logout(state, &token.0).await?;
        Ok(LogoutPayload { ok: true })
    }
}
