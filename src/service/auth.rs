//! Login, logout and turning a bearer token into a `Viewer`.

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};

use crate::domain::role::Role;
use crate::entity::{app_user, auth_token, jurisdiction, login_throttle, user_role, user_scope};
use crate::state::AppState;

use super::error::{ServiceError, ServiceResult};
use super::password;
use super::viewer::{ScopeNode, Viewer};

/// Prefix that makes gridloop tokens recognisable (e.g. by secret scanners).
const TOKEN_PREFIX: &str = "glt_";

/// Lock length after `failures` consecutive failures: none below `max`, then 30 s doubling up to 15 min.
pub fn lockout(failures: i32, max: i32) -> Option<Duration> {
    if failures < max {
        return None;
    }
    let doublings = (failures - max).clamp(0, 5) as u32;
    Some(Duration::seconds((30i64 << doublings).min(900)))
}

/// SHA-256 hex of a token: only this is stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    use base64::Engine;
    format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

fn unauthenticated() -> ServiceError {
    ServiceError::Unauthenticated
}

/// Checks the password and issues a token. Wrong password, unknown and disabled users all fail alike.
pub async fn login(
    state: &AppState,
    email: &str,
    password_text: &str,
) -> ServiceResult<(String, app_user::Model)> {
    let email = email.trim().to_lowercase();
    let now = state.clock.now();
    if email.is_empty() || email.len() > 254 || password_text.len() > 4 * password::MAX_LEN {
        return Err(unauthenticated());
    }
    let throttle = login_throttle::Entity::find_by_id(email.clone())
        .one(&state.db)
        .await?;
    if let Some(locked) = throttle.as_ref().and_then(|t| t.locked_until)
        && locked > now
    {
        return Err(ServiceError::RateLimited {
            retry_after_secs: (locked - now).num_seconds().max(1),
        });
    }
    let user = app_user::Entity::find()
        .filter(app_user::Column::Email.eq(email.as_str()))
        .one(&state.db)
        .await?;
    let auth = &state.settings.auth;
    let ok = match &user {
        Some(u) => password::verify(auth, password_text, &u.password_hash).await? && !u.disabled,
        None => {
            // Spend the same effort as a real check so timing reveals nothing.
            let _ = password::hash(auth, password_text).await?;
            false
        }
    };
    let Some(user) = user.filter(|_| ok) else {
        record_failure(state, &email, throttle, now).await?;
        return Err(unauthenticated());
    };
    let token = new_token();
    let txn = super::tx::begin_write(&state.db).await?;
    login_throttle::Entity::delete_by_id(email)
        .exec(&txn)
        .await?;
    auth_token::ActiveModel {
        user_id: Set(user.id),
        token_hash: Set(token_hash(&token)),
        created_at: Set(now),
        expires_at: Set(now + Duration::hours(auth.token_ttl_hours)),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok((token, user))
}

async fn record_failure(
    state: &AppState,
    email: &str,
    previous: Option<login_throttle::Model>,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let failures = previous.as_ref().map_or(0, |t| t.failures) + 1;
    let locked_until = lockout(failures, state.settings.auth.login_max_failures).map(|d| now + d);
    let row = login_throttle::ActiveModel {
        email: Set(email.to_string()),
        failures: Set(failures),
        locked_until: Set(locked_until),
        updated_at: Set(now),
    };
    if previous.is_some() {
        row.update(&state.db).await?;
    } else {
        row.insert(&state.db).await?;
    }
    Ok(())
}

/// Revokes the token; revoking an unknown or already revoked token is a no-op.
pub async fn logout(state: &AppState, token: &str) -> ServiceResult<()> {
    let now = state.clock.now();
    let found = auth_token::Entity::find()
        .filter(auth_token::Column::TokenHash.eq(token_hash(token)))
        .one(&state.db)
        .await?;
    if let Some(row) = found.filter(|r| r.revoked_at.is_none()) {
        let mut active: auth_token::ActiveModel = row.into();
        active.revoked_at = Set(Some(now));
        active.update(&state.db).await?;
    }
    Ok(())
}

/// The viewer a bearer token stands for: UNAUTHENTICATED when unknown, expired, revoked or disabled.
pub async fn authenticate(state: &AppState, token: &str) -> ServiceResult<Viewer> {
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 128 {
        return Err(unauthenticated());
    }
    let now = state.clock.now();
    let row = auth_token::Entity::find()
        .filter(auth_token::Column::TokenHash.eq(token_hash(token)))
        .one(&state.db)
        .await?
        .ok_or_else(unauthenticated)?;
    if row.revoked_at.is_some() || row.expires_at <= now {
        return Err(unauthenticated());
    }
    let user = app_user::Entity::find_by_id(row.user_id)
        .one(&state.db)
        .await?
        .filter(|u| !u.disabled)
        .ok_or_else(unauthenticated)?;
    load_viewer(&state.db, user).await
}

/// Roles and scope of a user.
pub async fn load_viewer(
    db: &impl ConnectionTrait,
    user: app_user::Model,
) -> ServiceResult<Viewer> {
    let roles = user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(user.id))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|r| Role::parse(&r.role))
        .collect();
    let scope_ids: Vec<i64> = user_scope::Entity::find()
        .filter(user_scope::Column::UserId.eq(user.id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.jurisdiction_id)
        .collect();
    let scope = if scope_ids.is_empty() {
        Vec::new()
    } else {
        jurisdiction::Entity::find()
            .filter(jurisdiction::Column::Id.is_in(scope_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|j| ScopeNode {
                id: j.id,
                code: j.code,
                kind: j.kind,
                path: j.path,
            })
            .collect()
    };
    Ok(Viewer {
        user_id: user.id,
        email: user.email,
        name: user.name,
        roles,
        scope,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_lockout_before_the_limit() {
        assert_eq!(lockout(4, 5), None);
    }

    #[test]
    fn lockout_doubles_and_caps_at_fifteen_minutes() {
        assert_eq!(lockout(5, 5), Some(Duration::seconds(30)));
        assert_eq!(lockout(6, 5), Some(Duration::seconds(60)));
        assert_eq!(lockout(50, 5), Some(Duration::seconds(900)));
    }

    #[test]
    fn tokens_are_prefixed_random_and_hash_to_hex() {
        let a = new_token();
        let b = new_token();
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 64);
    }
}
