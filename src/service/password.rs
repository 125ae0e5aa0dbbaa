//! argon2id password hashing, run off the async threads.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::config::AuthSettings;

use super::error::{ServiceError, ServiceResult};

/// Shortest and longest accepted password, in characters (the upper bound stops hashing abuse).
pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 128;

/// Hashes computed at once. Each argon2id hash holds `argon2_memory_kib` (19 MiB by default) while
/// it runs and hashing is CPU-bound, so a login storm of 64 clients would otherwise take over a
/// gigabyte for no gain in throughput; four at a time keeps that under 80 MiB on any core count we
/// deploy on. A process-wide limit because the memory and the cores are the process's.
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

fn hasher(settings: &AuthSettings) -> ServiceResult<Argon2<'static>> {
    let params = Params::new(
        settings.argon2_memory_kib.max(Params::MIN_M_COST),
        settings.argon2_iterations.max(1),
        1,
        None,
    )
    .map_err(|e| ServiceError::Internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Checks length rules; the error names the `password` field.
pub fn validate(password: &str) -> ServiceResult<()> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err(ServiceError::invalid(
            "password",
            format!("must be at least {MIN_LEN} characters"),
        ));
    }
    if len > MAX_LEN {
        return Err(ServiceError::invalid(
            "password",
            format!("must be at most {MAX_LEN} characters"),
        ));
    }
    Ok(())
}

/// Hashes a password into a PHC string (the parameters travel with the hash).
pub async fn hash(settings: &AuthSettings, password: &str) -> ServiceResult<String> {
    let argon = hasher(settings)?;
    let password = password.to_owned();
    let _permit = HASHING
        .acquire()
        .await
        .map_err(|e| ServiceError::Internal(format!("hashing limit: {e}")))?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ServiceError::Internal(format!("hashing: {e}")))
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("hashing task: {e}")))?
}

/// Verifies a password against a stored PHC string; a malformed hash simply fails.
pub async fn verify(settings: &AuthSettings, password: &str, stored: &str) -> ServiceResult<bool> {
    let argon = hasher(settings)?;
    let password = password.to_owned();
    let stored = stored.to_owned();
    let _permit = HASHING
        .acquire()
        .await
        .map_err(|e| ServiceError::Internal(format!("hashing limit: {e}")))?;
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|parsed| argon.verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false)
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("verify task: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> AuthSettings {
        AuthSettings {
            argon2_memory_kib: 64,
            argon2_iterations: 1,
            ..AuthSettings::default()
        }
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_no_other() {
        let h = hash(&cheap(), "correct horse").await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify(&cheap(), "correct horse", &h).await.unwrap());
        assert!(!verify(&cheap(), "wrong horse", &h).await.unwrap());
    }

    #[test]
    fn short_and_huge_passwords_are_rejected() {
        assert!(validate("short").is_err());
        assert!(validate(&"x".repeat(129)).is_err());
        assert!(validate("long enough").is_ok());
    }
}
