//! The category catalogue: listing and ADMIN upserts.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
};

use crate::domain::role::Role;
use crate::entity::category;
use crate::state::AppState;

use super::actor::Actor;
use super::error::{ServiceError, ServiceResult};
use super::validate;

/// Every field of a category; `upsertCategory` replaces the whole row.
#[derive(Debug, Clone)]
pub struct CategoryInput {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub handler_level: String,
    pub priority: String,
    pub dispatch_limit_minutes: i32,
    pub handle_limit_minutes: i32,
    pub verify_limit_minutes: i32,
    pub calendar_kind: String,
    pub duplicate_radius_meters: f64,
    pub duplicate_window_minutes: i32,
    pub auto_dispatch: bool,
    pub active: bool,
    /// The working-time calendar; default CN.
    pub calendar_code: Option<String>,
}

/// Codes are 大类 2 digits + 小类 2 digits.
pub fn valid_code(code: &str) -> bool {
    code.len() == 4 && code.chars().all(|c| c.is_ascii_digit())
}

fn one_of(field: &str, value: &str, allowed: &[&str]) -> ServiceResult<String> {
    let v = value.trim().to_ascii_uppercase();
    if allowed.contains(&v.as_str()) {
        Ok(v)
    } else {
        Err(ServiceError::invalid(
            field,
            format!("must be one of {}", allowed.join(", ")),
        ))
    }
}

fn minutes(field: &str, value: i32) -> ServiceResult<i32> {
    if (1..=60 * 24 * 366).contains(&value) {
        Ok(value)
    } else {
        Err(ServiceError::invalid(
            field,
            "must be between 1 minute and one year",
        ))
    }
}

pub async fn list(state: &AppState, include_inactive: bool) -> ServiceResult<Vec<category::Model>> {
    let mut q = category::Entity::find().order_by_asc(category::Column::Code);
    if !include_inactive {
        q = q.filter(category::Column::Active.eq(true));
    }
    Ok(q.all(&state.db).await?)
}

/// The category or a BAD_USER_INPUT naming `field`.
pub async fn get(state: &AppState, code: &str, field: &str) -> ServiceResult<category::Model> {
    category::Entity::find_by_id(code.trim().to_string())
        .one(&state.db)
        .await?
        .ok_or_else(|| {
            ServiceError::invalid(field, format!("unknown category code {}", code.trim()))
        })
}

pub async fn upsert(
    state: &AppState,
    actor: Actor<'_>,
    input: CategoryInput,
) -> ServiceResult<category::Model> {
    actor.require_any(&[Role::Admin])?;
    let code = input.code.trim().to_string();
    if !valid_code(&code) {
        return Err(ServiceError::invalid(
            "code",
            "must be four digits (大类 + 小类)",
        ));
    }
    let radius = input.duplicate_radius_meters;
    if !radius.is_finite() || !(0.0..=5000.0).contains(&radius) {
        return Err(ServiceError::invalid(
            "duplicateRadiusMeters",
            "must be between 0 and 5000",
        ));
    }
    let model = category::Model {
        code: code.clone(),
        name: validate::required_text("name", &input.name, 100)?,
        name_en: validate::required_text("nameEn", &input.name_en, 100)?,
        handler_level: one_of("handlerLevel", &input.handler_level, &["LANE", "STREET"])?,
        priority: one_of("priority", &input.priority, &["URGENT", "NORMAL"])?,
        dispatch_limit_minutes: minutes("dispatchLimitMinutes", input.dispatch_limit_minutes)?,
        handle_limit_minutes: minutes("handleLimitMinutes", input.handle_limit_minutes)?,
        verify_limit_minutes: minutes("verifyLimitMinutes", input.verify_limit_minutes)?,
        calendar_kind: one_of(
            "calendarKind",
            &input.calendar_kind,
            &["WORKING", "NATURAL"],
        )?,
        duplicate_radius_meters: radius,
        duplicate_window_minutes: minutes(
            "duplicateWindowMinutes",
            input.duplicate_window_minutes,
        )?,
        auto_dispatch: input.auto_dispatch,
        active: input.active,
        calendar_code: input
            .calendar_code
            .clone()
            .unwrap_or_else(|| super::calendars::DEFAULT_CALENDAR.into()),
    };
    if !super::calendars::exists(&state.db, &model.calendar_code).await? {
        return Err(ServiceError::invalid("calendarCode", "unknown calendar"));
    }
    let exists = category::Entity::find_by_id(code)
        .one(&state.db)
        .await?
        .is_some();
    let mut active = model.into_active_model();
    let saved = if exists {
        active = active.reset_all();
        active.update(&state.db).await?
    } else {
        active.insert(&state.db).await?
    };
    Ok(saved)
}
