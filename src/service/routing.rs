//! The live routing index: built from the jurisdictions table, swapped atomically after an import.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use sea_orm::{ConnectionTrait, EntityTrait};

use crate::domain::geometry::parse_geometry;
use crate::domain::places::PlaceKind;
use crate::domain::routing::{Chief, HandlerLevel, Place, RouteDecision, RoutingIndex};
use crate::entity::{app_user, jurisdiction};

use super::error::ServiceResult;

/// Shared handle to the current index; readers never wait for a rebuild.
#[derive(Clone)]
pub struct RoutingHandle {
    current: Arc<RwLock<Arc<RoutingIndex>>>,
}

impl Default for RoutingHandle {
    fn default() -> Self {
        Self {
            current: Arc::new(RwLock::new(Arc::new(RoutingIndex::build(Vec::new())))),
        }
    }
}

impl RoutingHandle {
    pub fn current(&self) -> Arc<RoutingIndex> {
        match self.current.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    fn replace(&self, index: RoutingIndex) {
        let fresh = Arc::new(index);
        match self.current.write() {
            Ok(mut guard) => *guard = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
    }

    /// Reloads every place from the database and swaps the new index in.
    pub async fn rebuild(&self, db: &impl ConnectionTrait) -> ServiceResult<usize> {
        let places = load_places(db).await?;
        let index = tokio::task::spawn_blocking(move || RoutingIndex::build(places))
            .await
            .map_err(|e| super::ServiceError::Internal(format!("routing index build: {e}")))?;
        let size = index.len();
        self.replace(index);
        tracing::info!(places = size, "routing index rebuilt");
        Ok(size)
    }

    /// Routes a point for a category handled at `level`.
    pub fn route(
        &self,
        lat: f64,
        lon: f64,
        level: HandlerLevel,
        category_label: &str,
    ) -> RouteDecision {
        self.current().route(lat, lon, level, category_label)
    }
}

async fn load_places(db: &impl ConnectionTrait) -> ServiceResult<Vec<Place>> {
    let rows = jurisdiction::Entity::find().all(db).await?;
    let chiefs: HashMap<i64, String> = app_user::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let codes: HashMap<i64, String> = rows.iter().map(|j| (j.id, j.code.clone())).collect();
    let mut places = Vec::with_capacity(rows.len());
    for j in rows {
        let Some(kind) = PlaceKind::parse(&j.kind) else {
            continue;
        };
        let geometry = match j.geometry.as_deref() {
            Some(text) => serde_json::from_str(text)
                .ok()
                .and_then(|v| parse_geometry(&v).ok().flatten()),
            None => None,
        };
        places.push(Place {
            id: j.id,
            kind,
            parent_code: j.parent_id.and_then(|p| codes.get(&p).cloned()),
            chief: j.chief_id.and_then(|id| {
                chiefs.get(&id).map(|name| Chief {
                    user_id: id,
                    name: name.clone(),
                })
            }),
            geometry,
            buffer_meters: j.buffer_meters.unwrap_or(0.0),
            code: j.code,
            name: j.name,
        });
    }
    Ok(places)
}
