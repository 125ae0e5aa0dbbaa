//! Creating, updating, importing and listing users.

use std::collections::HashSet;

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::domain::role::Role;
use crate::entity::{app_user, jurisdiction, user_role, user_scope};
use crate::state::AppState;

use super::actor::Actor;
use super::error::{Problem, ServiceError, ServiceResult};
use super::{password, validate};

/// A password hash that no password matches: the account exists but cannot log in yet.
pub const NO_PASSWORD: &str = "!";

#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub phone: Option<String>,
    pub roles: Vec<Role>,
    pub scope_codes: Vec<String>,
    /// None: the account cannot log in until a password is set.
    pub password: Option<String>,
    pub locale: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub roles: Option<Vec<Role>>,
    pub scope_codes: Option<Vec<String>>,
    pub password: Option<String>,
    pub disabled: Option<bool>,
    pub locale: Option<String>,
}

fn locale(value: Option<&str>) -> ServiceResult<String> {
    match value.map(str::trim) {
        None | Some("") | Some("zh") => Ok("zh".into()),
        Some("en") => Ok("en".into()),
        Some(_) => Err(ServiceError::invalid("locale", "must be zh or en")),
    }
}

/// Jurisdiction ids for scope codes; unknown codes are an error naming the first one.
async fn scope_ids(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> ServiceResult<Vec<(i64, String)>> {
    let wanted: HashSet<&str> = codes.iter().map(|c| c.trim()).collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let found = jurisdiction::Entity::find()
        .filter(jurisdiction::Column::Code.is_in(wanted.iter().copied()))
        .all(db)
        .await?;
    if let Some(missing) = wanted.iter().find(|c| !found.iter().any(|j| j.code == **c)) {
        return Err(ServiceError::invalid(
            "scope",
            format!("unknown jurisdiction code {missing}"),
        ));
    }
    Ok(found.into_iter().map(|j| (j.id, j.path)).collect())
}

/// Roles and scope may only be granted within the actor's own scope.
fn check_grant(actor: &Actor<'_>, scope: &[(i64, String)]) -> ServiceResult<()> {
    scope
        .iter()
        .try_for_each(|(_, path)| actor.require_path(path, "the scope"))
}

async fn replace_roles_and_scope(
    db: &impl ConnectionTrait,
    user_id: i64,
    roles: Option<&[Role]>,
    scope: Option<&[(i64, String)]>,
) -> ServiceResult<()> {
    if let Some(roles) = roles {
        user_role::Entity::delete_many()
            .filter(user_role::Column::UserId.eq(user_id))
            .exec(db)
            .await?;
        let unique: HashSet<Role> = roles.iter().copied().collect();
        let rows = unique.into_iter().map(|r| user_role::ActiveModel {
            user_id: Set(user_id),
            role: Set(r.as_str().to_string()),
        });
        user_role::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    if let Some(scope) = scope {
        user_scope::Entity::delete_many()
            .filter(user_scope::Column::UserId.eq(user_id))
            .exec(db)
            .await?;
        let rows = scope.iter().map(|(id, _)| user_scope::ActiveModel {
            user_id: Set(user_id),
            jurisdiction_id: Set(*id),
        });
        user_scope::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Creates one user (ADMIN, or the system).
pub async fn create_user(
    state: &AppState,
    actor: Actor<'_>,
    input: NewUser,
) -> ServiceResult<app_user::Model> {
    actor.require_any(&[Role::Admin])?;
    let txn = super::tx::begin_write(&state.db).await?;
    let user = insert_user(state, &txn, &actor, input).await?;
    txn.commit().await?;
    Ok(user)
}

async fn insert_user(
    state: &AppState,
    db: &impl ConnectionTrait,
    actor: &Actor<'_>,
    input: NewUser,
) -> ServiceResult<app_user::Model> {
    let email = validate::email("email", &input.email)?;
    let name = validate::required_text("name", &input.name, 200)?;
    let phone = validate::phone("phone", input.phone.as_deref().unwrap_or(""))?;
    let locale = locale(input.locale.as_deref())?;
    if input.roles.is_empty() {
        return Err(ServiceError::invalid(
            "roles",
            "at least one role is required",
        ));
    }
    let password_hash = match &input.password {
        Some(p) => {
            password::validate(p)?;
            password::hash(&state.settings.auth, p).await?
        }
        None => NO_PASSWORD.to_string(),
    };
    let scope = scope_ids(db, &input.scope_codes).await?;
    check_grant(actor, &scope)?;
    let exists = app_user::Entity::find()
        .filter(app_user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?;
    if exists.is_some() {
        return Err(ServiceError::invalid(
            "email",
            format!("{email} is already registered"),
        ));
    }
    let now = state.clock.now();
    let user = app_user::ActiveModel {
        email: Set(email),
        name: Set(name),
        phone: Set(phone),
        password_hash: Set(password_hash),
        disabled: Set(false),
        locale: Set(locale),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    replace_roles_and_scope(db, user.id, Some(&input.roles), Some(&scope)).await?;
    Ok(user)
}

/// Updates a user's profile, roles, scope, password or disabled flag (ADMIN).
pub async fn update_user(
    state: &AppState,
    actor: Actor<'_>,
    user_id: i64,
    input: UserUpdate,
) -> ServiceResult<app_user::Model> {
    actor.require_any(&[Role::Admin])?;
    let txn = super::tx::begin_write(&state.db).await?;
    let user = app_user::Entity::find_by_id(user_id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::not_found("no such user"))?;
    let mut active: app_user::ActiveModel = user.into();
    if let Some(name) = &input.name {
        active.name = Set(validate::required_text("name", name, 200)?);
    }
    if let Some(phone) = &input.phone {
        active.phone = Set(validate::phone("phone", phone)?);
    }
    if let Some(l) = &input.locale {
        active.locale = Set(locale(Some(l))?);
    }
    if let Some(disabled) = input.disabled {
        active.disabled = Set(disabled);
    }
    if let Some(p) = &input.password {
        password::validate(p)?;
        active.password_hash = Set(password::hash(&state.settings.auth, p).await?);
    }
    if input.roles.as_ref().is_some_and(|r| r.is_empty()) {
        return Err(ServiceError::invalid(
            "roles",
            "at least one role is required",
        ));
    }
    let scope = match &input.scope_codes {
        Some(codes) => {
            let s = scope_ids(&txn, codes).await?;
            check_grant(&actor, &s)?;
            Some(s)
        }
        None => None,
    };
    active.updated_at = Set(state.clock.now());
    let user = active.update(&txn).await?;
    replace_roles_and_scope(&txn, user.id, input.roles.as_deref(), scope.as_deref()).await?;
    txn.commit().await?;
    Ok(user)
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserImportSummary {
    pub created: usize,
    pub updated: usize,
}

/// Imports `email,name,phone,role,scope` rows (roles and scope codes separated by `;` or `|`).
/// All-or-nothing: any bad row rejects the file with every problem and its line number.
/// Existing emails are updated in place (name, phone, roles, scope).
pub async fn import_users_csv(
    state: &AppState,
    actor: Actor<'_>,
    text: &str,
    initial_password: Option<&str>,
) -> ServiceResult<UserImportSummary> {
    actor.require_any(&[Role::Admin])?;
    let rows = super::csv::parse(text);
    let mut problems = Vec::new();
    let mut parsed = Vec::new();
    let mut seen = HashSet::new();
    for (line, fields) in rows {
        if line == 1
            && fields
                .first()
                .is_some_and(|f| f.trim().eq_ignore_ascii_case("email"))
        {
            continue;
        }
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        match parse_user_row(&fields) {
            Ok(user) if !seen.insert(user.email.clone()) => problems.push(Problem {
                index: Some(line),
                code: Some(user.email),
                message: "duplicate email in the file".into(),
            }),
            Ok(user) => parsed.push((line, user)),
            Err(message) => problems.push(Problem {
                index: Some(line),
                code: fields.first().map(|f| f.trim().to_string()),
                message,
            }),
        }
    }
    if !problems.is_empty() {
        return Err(ServiceError::Rejected {
            field: "file".into(),
            problems,
        });
    }
    let txn = super::tx::begin_write(&state.db).await?;
    let mut summary = UserImportSummary::default();
    for (line, mut user) in parsed {
        user.password = initial_password.map(str::to_string);
        let existing = app_user::Entity::find()
            .filter(app_user::Column::Email.eq(user.email.as_str()))
            .one(&txn)
            .await?;
        let result = match existing {
            Some(found) => update_from_import(state, &txn, &actor, found, user)
                .await
                .map(|_| summary.updated += 1),
            None => insert_user(state, &txn, &actor, user)
                .await
                .map(|_| summary.created += 1),
        };
        if let Err(err) = result {
            problems.push(Problem {
                index: Some(line),
                code: None,
                message: err.to_string(),
            });
        }
    }
    if !problems.is_empty() {
        return Err(ServiceError::Rejected {
            field: "file".into(),
            problems,
        });
    }
    txn.commit().await?;
    Ok(summary)
}

async fn update_from_import(
    state: &AppState,
    db: &impl ConnectionTrait,
    actor: &Actor<'_>,
    found: app_user::Model,
    user: NewUser,
) -> ServiceResult<()> {
    let scope = scope_ids(db, &user.scope_codes).await?;
    check_grant(actor, &scope)?;
    let id = found.id;
    let mut active: app_user::ActiveModel = found.into();
    active.name = Set(validate::required_text("name", &user.name, 200)?);
    active.phone = Set(validate::phone(
        "phone",
        user.phone.as_deref().unwrap_or(""),
    )?);
    active.updated_at = Set(state.clock.now());
    active.update(db).await?;
    replace_roles_and_scope(db, id, Some(&user.roles), Some(&scope)).await
}

fn split_list(s: &str) -> Vec<String> {
    s.split([';', '|'])
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

fn parse_user_row(fields: &[String]) -> Result<NewUser, String> {
    if fields.len() < 4 {
        return Err("expected columns email,name,phone,role,scope".into());
    }
    let get = |i: usize| {
        fields
            .get(i)
            .map(|f| f.trim().to_string())
            .unwrap_or_default()
    };
    let email = validate::email("email", &get(0)).map_err(|e| e.to_string())?;
    let name = validate::required_text("name", &get(1), 200).map_err(|e| e.to_string())?;
    let phone = validate::phone("phone", &get(2)).map_err(|e| e.to_string())?;
    let mut roles = Vec::new();
    for r in split_list(&get(3)) {
        roles.push(Role::parse(&r).ok_or_else(|| format!("role: unknown role {r}"))?);
    }
    if roles.is_empty() {
        return Err("role: at least one role is required".into());
    }
    Ok(NewUser {
        email,
        name,
        phone,
        roles,
        scope_codes: split_list(&get(4)),
        password: None,
        locale: None,
    })
}

/// Whether the user lies inside the actor's scope, as `list_users` decides it: one of the
/// user's jurisdictions is in the actor's scope (admins and the system see everyone).
pub async fn in_scope(state: &AppState, actor: &Actor<'_>, user_id: i64) -> ServiceResult<bool> {
    let Some(prefixes) = actor.scope_prefixes() else {
        return Ok(true);
    };
    let paths: Vec<String> = jurisdiction::Entity::find()
        .filter(
            jurisdiction::Column::Id.in_subquery(
                Query::select()
                    .column(user_scope::Column::JurisdictionId)
                    .from(user_scope::Entity)
                    .and_where(Expr::col(user_scope::Column::UserId).eq(user_id))
                    .to_owned(),
            ),
        )
        .all(&state.db)
        .await?
        .into_iter()
        .map(|j| j.path)
        .collect();
    Ok(paths
        .iter()
        .any(|path| prefixes.iter().any(|p| path.starts_with(p.as_str()))))
}

/// A page of users inside the actor's scope (ADMIN, MANAGER), ordered by id.
pub async fn list_users(
    state: &AppState,
    actor: Actor<'_>,
    role: Option<Role>,
    after_id: Option<i64>,
    limit: u64,
) -> ServiceResult<Vec<app_user::Model>> {
    actor.require_any(&[Role::Admin, Role::Manager])?;
    let mut query = app_user::Entity::find().order_by_asc(app_user::Column::Id);
    if let Some(after) = after_id {
        query = query.filter(app_user::Column::Id.gt(after));
    }
    if let Some(role) = role {
        query = query.filter(
            app_user::Column::Id.in_subquery(
                Query::select()
                    .column(user_role::Column::UserId)
                    .from(user_role::Entity)
                    .and_where(Expr::col(user_role::Column::Role).eq(role.as_str()))
                    .to_owned(),
            ),
        );
    }
    if let Some(prefixes) = actor.scope_prefixes() {
        let mut any = Condition::any();
        for p in prefixes {
            any = any.add(
                Expr::col((jurisdiction::Entity, jurisdiction::Column::Path)).like(format!("{p}%")),
            );
        }
        query = query.filter(
            app_user::Column::Id.in_subquery(
                Query::select()
                    .column((user_scope::Entity, user_scope::Column::UserId))
                    .from(user_scope::Entity)
                    .inner_join(
                        jurisdiction::Entity,
                        Expr::col((jurisdiction::Entity, jurisdiction::Column::Id))
                            .equals((user_scope::Entity, user_scope::Column::JurisdictionId)),
                    )
                    .cond_where(any)
                    .to_owned(),
            ),
        );
    }
    Ok(query.limit(limit).all(&state.db).await?)
}

/// One user by id, or NOT_FOUND.
pub async fn get(state: &AppState, user_id: i64) -> ServiceResult<app_user::Model> {
    app_user::Entity::find_by_id(user_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ServiceError::not_found("no such user"))
}

/// One user by email (case-insensitive), or NOT_FOUND.
pub async fn get_by_email(state: &AppState, email: &str) -> ServiceResult<app_user::Model> {
    app_user::Entity::find()
        .filter(app_user::Column::Email.eq(email.trim().to_lowercase()))
        .one(&state.db)
        .await?
        .ok_or_else(|| ServiceError::not_found("no such user"))
}
