//! Evidence photos: type and size checks, a content-addressed store on disk, and faked-fix signals.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};

use crate::config::EvidenceSettings;
use crate::domain::distance::meters_between;
use crate::entity::{evidence, ticket};

use super::error::{ServiceError, ServiceResult};

/// An AFTER photo further than this from the ticket is flagged as a possibly faked fix.
pub const FAKE_FIX_DISTANCE_M: f64 = 200.0;

/// A photo as uploaded, before it is stored.
#[derive(Debug, Clone)]
pub struct NewPhoto {
    pub bytes: Vec<u8>,
    pub taken_at: Option<DateTime<Utc>>,
    /// Where the app says the photo was taken.
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

/// A photo that passed the checks and is on disk.
#[derive(Debug, Clone)]
pub struct StoredPhoto {
    pub sha256: String,
    pub content_type: &'static str,
    pub size: usize,
    pub taken_at: Option<DateTime<Utc>>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

/// The image type by its magic bytes: JPEG, PNG or WebP only.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

fn path_for(settings: &EvidenceSettings, sha256: &str) -> PathBuf {
    settings.dir.join(&sha256[..2]).join(sha256)
}

/// Checks every photo first (so a bad one stores nothing), then writes them content-addressed.
pub async fn store(
    settings: &EvidenceSettings,
    field: &str,
    photos: Vec<NewPhoto>,
) -> ServiceResult<Vec<StoredPhoto>> {
    let mut checked = Vec::with_capacity(photos.len());
    for (i, p) in photos.into_iter().enumerate() {
        let at = format!("{field}[{i}]");
        if p.bytes.len() > settings.max_bytes {
            return Err(ServiceError::invalid(
                at,
                format!("is larger than {} bytes", settings.max_bytes),
            ));
        }
        let content_type = sniff(&p.bytes)
            .ok_or_else(|| ServiceError::invalid(&at, "must be a JPEG, PNG or WebP image"))?;
        match (p.lat, p.lon) {
            (Some(lat), Some(lon)) => super::validate::coordinates(lat, lon)
                .map_err(|_| ServiceError::invalid(&at, "lat/lon out of range"))?,
            (None, None) => {}
            _ => {
                return Err(ServiceError::invalid(
                    at,
                    "give both lat and lon, or neither",
                ));
            }
        }
        let sha256 = hex::encode(Sha256::digest(&p.bytes));
        checked.push((p, sha256, content_type));
    }
    let mut stored = Vec::with_capacity(checked.len());
    for (p, sha256, content_type) in checked {
        let path = path_for(settings, &sha256);
        if tokio::fs::try_exists(&path).await.unwrap_or(false) {
            // Same content, same name: nothing to write.
        } else {
            write_atomically(&path, &p.bytes).await?;
        }
        stored.push(StoredPhoto {
            size: p.bytes.len(),
            sha256,
            content_type,
            taken_at: p.taken_at,
            lat: p.lat,
            lon: p.lon,
        });
    }
    Ok(stored)
}

async fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> ServiceResult<()> {
    let io = |e: std::io::Error| ServiceError::Internal(format!("evidence store: {e}"));
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await.map_err(io)?;
    }
    let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
    tokio::fs::write(&tmp, bytes).await.map_err(io)?;
    tokio::fs::rename(&tmp, path).await.map_err(io)
}

/// Reads a stored photo back.
pub async fn read(settings: &EvidenceSettings, sha256: &str) -> ServiceResult<Vec<u8>> {
    if sha256.len() != 64
        || !sha256
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    {
        return Err(ServiceError::not_found("no such evidence"));
    }
    tokio::fs::read(path_for(settings, sha256))
        .await
        .map_err(|_| ServiceError::not_found("no such evidence"))
}

/// Records stored photos against a ticket and event.
pub async fn attach(
    db: &impl ConnectionTrait,
    ticket_id: i64,
    event_id: Option<i64>,
    kind: &str,
    uploader_id: i64,
    photos: &[StoredPhoto],
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    for p in photos {
        evidence::ActiveModel {
            ticket_id: Set(ticket_id),
            event_id: Set(event_id),
            kind: Set(kind.to_string()),
            sha256: Set(p.sha256.clone()),
            content_type: Set(p.content_type.to_string()),
            size_bytes: Set(p.size as i64),
            uploader_id: Set(uploader_id),
            taken_at: Set(p.taken_at),
            lat: Set(p.lat),
            lon: Set(p.lon),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Reasons to suspect a faked fix: an AFTER photo already used on another ticket, or taken
/// more than 200 m from the ticket.
pub async fn fake_fix_reasons(
    db: &impl ConnectionTrait,
    t: &ticket::Model,
    photos: &[StoredPhoto],
) -> ServiceResult<Vec<String>> {
    let mut reasons = Vec::new();
    for p in photos {
        let reused = evidence::Entity::find()
            .filter(evidence::Column::Sha256.eq(p.sha256.as_str()))
            .filter(evidence::Column::TicketId.ne(t.id))
            .one(db)
            .await?;
        if let Some(other) = reused {
            let number = ticket::Entity::find_by_id(other.ticket_id)
                .one(db)
                .await?
                .map_or_else(|| other.ticket_id.to_string(), |o| o.number);
            reasons.push(format!(
                "photo {} was already used on ticket {number}",
                &p.sha256[..12]
            ));
        }
        if let (Some(lat), Some(lon)) = (p.lat, p.lon) {
            let d = meters_between(lat, lon, t.lat, t.lon);
            if d > FAKE_FIX_DISTANCE_M {
                reasons.push(format!(
                    "photo {} was taken {:.0} m from the ticket",
                    &p.sha256[..12],
                    d
                ));
            }
        }
    }
    Ok(reasons)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_jpeg_png_and_webp_are_recognised() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(b"<svg>"), None);
    }

    #[tokio::test]
    async fn a_bad_photo_stores_nothing() {
        let dir = std::env::temp_dir().join(format!("gl-ev-{}", uuid::Uuid::new_v4().simple()));
        let settings = EvidenceSettings {
            dir: dir.clone(),
            max_bytes: 1024,
        };
        let good = NewPhoto {
            bytes: b"\x89PNG\r\n\x1a\nxx".to_vec(),
            taken_at: None,
            lat: None,
            lon: None,
        };
        let bad = NewPhoto {
            bytes: b"not an image".to_vec(),
            ..good.clone()
        };
        let err = store(&settings, "photos", vec![good, bad])
            .await
            .unwrap_err();
        assert!(err.to_string().starts_with("photos[1]"));
        assert!(!dir.exists());
    }

    #[tokio::test]
    async fn the_same_content_is_stored_once_under_its_hash() {
        let dir = std::env::temp_dir().join(format!("gl-ev-{}", uuid::Uuid::new_v4().simple()));
        let settings = EvidenceSettings {
            dir,
            max_bytes: 1024,
        };
        let p = NewPhoto {
            bytes: vec![0xFF, 0xD8, 0xFF, 1, 2, 3],
            taken_at: None,
            lat: None,
            lon: None,
        };
        let a = store(&settings, "photos", vec![p.clone()]).await.unwrap();
        let b = store(&settings, "photos", vec![p]).await.unwrap();
        assert_eq!(a[0].sha256, b[0].sha256);
        assert_eq!(
            read(&settings, &a[0].sha256).await.unwrap(),
            vec![0xFF, 0xD8, 0xFF, 1, 2, 3]
        );
    }
}
