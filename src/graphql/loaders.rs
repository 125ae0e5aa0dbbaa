//! Batch loading (DataLoader): a page of tickets costs one query per related kind, not one per row.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use crate::entity::{app_user, category, jurisdiction};

use super::error::ApiError;

pub struct UserLoader(DatabaseConnection);
pub struct CategoryLoader(DatabaseConnection);
pub struct PlaceLoader(DatabaseConnection);

impl Loader<i64> for UserLoader {
    type Value = app_user::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = app_user::Entity::find()
            .filter(app_user::Column::Id.is_in(keys.iter().copied()))
            .all(&self.0)
            .await
            .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}

impl Loader<String> for CategoryLoader {
    type Value = category::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let rows = category::Entity::find()
            .filter(category::Column::Code.is_in(keys.iter().cloned()))
            .all(&self.0)
            .await
            .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|r| (r.code.clone(), r)).collect())
    }
}

impl Loader<i64> for PlaceLoader {
    type Value = jurisdiction::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = jurisdiction::Entity::find()
            .filter(jurisdiction::Column::Id.is_in(keys.iter().copied()))
            .all(&self.0)
            .await
            .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}

/// The per-request set of loaders (caches live for one HTTP request only).
#[derive(Clone)]
pub struct Loaders {
    pub users: Arc<DataLoader<UserLoader>>,
    pub categories: Arc<DataLoader<CategoryLoader>>,
    pub places: Arc<DataLoader<PlaceLoader>>,
}

impl Loaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        Self {
            users: Arc::new(DataLoader::new(UserLoader(db.clone()), tokio::spawn)),
            categories: Arc::new(DataLoader::new(CategoryLoader(db.clone()), tokio::spawn)),
            places: Arc::new(DataLoader::new(PlaceLoader(db.clone()), tokio::spawn)),
        }
    }
}

pub fn loaders<'a>(ctx: &async_graphql::Context<'a>) -> Result<&'a Loaders, ApiError> {
    ctx.data::<Loaders>()
        .map_err(|_| ApiError::internal_msg("loaders missing"))
}

/// Maps a loader failure to an internal error (logged, not sent).
pub fn load_failed(e: Arc<DbErr>) -> ApiError {
    ApiError::internal_msg(format!("batch load: {e}"))
}
