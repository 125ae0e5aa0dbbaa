//! `categories`, `upsertCategory`.

use async_graphql::{Context, InputObject, Object, SimpleObject};

use crate::service::categories::{self, CategoryInput};

use super::context::{actor, app_state, viewer};
use super::error::ApiResult;
use super::types::Category;
use super::types::category::{CalendarKind, HandlerLevel, Priority};

#[derive(InputObject)]
pub struct UpsertCategoryInput {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub handler_level: HandlerLevel,
    pub priority: Priority,
    pub dispatch_limit_minutes: i32,
    pub handle_limit_minutes: i32,
    pub verify_limit_minutes: i32,
    pub calendar_kind: CalendarKind,
    #[graphql(default = 50.0)]
    pub duplicate_radius_meters: f64,
    #[graphql(default = 1440)]
    pub duplicate_window_minutes: i32,
    #[graphql(default = true)]
    pub auto_dispatch: bool,
    #[graphql(default = true)]
    pub active: bool,
    /// The working-time calendar (default CN).
    pub calendar_code: Option<String>,
}

#[derive(SimpleObject)]
pub struct UpsertCategoryPayload {
    pub category: Category,
}

#[derive(Default)]
pub struct CategoriesQuery;

#[Object]
impl CategoriesQuery {
    /// The category catalogue, by code (any logged-in user).
    async fn categories(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] include_inactive: bool,
    ) -> ApiResult<Vec<Category>> {
        let state = app_state(ctx)?;
        viewer(ctx)?;
        let rows = categories::list(state, include_inactive).await?;
        Ok(rows.into_iter().map(Category::from).collect())
    }
}

#[derive(Default)]
pub struct CategoriesMutation;

#[Object]
impl CategoriesMutation {
    /// Creates or replaces a category (ADMIN).
    async fn upsert_category(
        &self,
        ctx: &Context<'_>,
        input: UpsertCategoryInput,
    ) -> ApiResult<UpsertCategoryPayload> {
        let state = app_state(ctx)?;
        let actor = actor(ctx)?;
        let saved = categories::upsert(
            state,
            actor,
            CategoryInput {
                code: input.code,
                name: input.name,
                name_en: input.name_en,
                handler_level: input.handler_level.as_str().into(),
                priority: input.priority.as_str().into(),
                dispatch_limit_minutes: input.dispatch_limit_minutes,
                handle_limit_minutes: input.handle_limit_minutes,
                verify_limit_minutes: input.verify_limit_minutes,
                calendar_kind: input.calendar_kind.as_str().into(),
                duplicate_radius_meters: input.duplicate_radius_meters,
                duplicate_window_minutes: input.duplicate_window_minutes,
                auto_dispatch: input.auto_dispatch,
                active: input.active,
                calendar_code: input.calendar_code,
            },
        )
        .await?;
        Ok(UpsertCategoryPayload {
            category: saved.into(),
        })
    }
}
