//! Typed settings: defaults, overlaid by an optional TOML file, then env vars, then CLI flags.
//! The merged `Settings` is passed down explicitly; nothing reads configuration globally.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Default database: an embedded SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://gridloop.db?mode=rwc";
/// Default listen address.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

/// Everything the service needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: SocketAddr,
    pub database: DatabaseSettings,
    pub http: HttpSettings,
    pub log: LogSettings,
    pub auth: AuthSettings,
    pub evidence: EvidenceSettings,
    pub workers: WorkerSettings,
    pub demo: bool,
}

/// Background workers.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// How often the SLA sweeper looks for due checkpoints; 0 turns it off.
    pub sla_sweep_interval_ms: u64,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            sla_sweep_interval_ms: 2_000,
        }
    }
}

/// Where evidence photos live and how large they may be.
#[derive(Debug, Clone)]
pub struct EvidenceSettings {
    /// Directory of the content-addressed store (`<dir>/<ab>/<sha256>`).
    pub dir: PathBuf,
    /// Largest accepted photo, in bytes.
    pub max_bytes: usize,
}

impl Default for EvidenceSettings {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("evidence"),
            max_bytes: 10 * 1024 * 1024,
        }
    }
}

/// Login, tokens and password hashing.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// How long a bearer token stays valid.
    pub token_ttl_hours: i64,
    /// argon2id memory cost in KiB (OWASP minimum 19 MiB); tests lower it for speed.
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    /// Consecutive failed logins for one email before attempts are slowed down.
    pub login_max_failures: i32,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            token_ttl_hours: 7 * 24,
            argon2_memory_kib: 19 * 1024,
            argon2_iterations: 2,
            login_max_failures: 5,
        }
    }
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    /// May carry a password, so it is a secret and never logged.
    pub url: SecretString,
    pub max_connections: u32,
}

impl DatabaseSettings {
    /// True when the URL selects PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        let url = self.url.expose_secret();
        url.starts_with("postgres://") || url.starts_with("postgresql://")
    }
}

#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Largest accepted request body, in bytes (uploads included).
    pub body_limit_bytes: usize,
    /// Longest a request may take before it is answered with 408.
    pub request_timeout_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

#[derive(Debug, Clone)]
pub struct LogSettings {
    pub format: LogFormat,
    /// An `EnvFilter` directive such as `info,gridloop=debug`.
    pub filter: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bind: DEFAULT_BIND
                .parse()
                .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 8080))),
            database: DatabaseSettings {
                url: SecretString::from(DEFAULT_DATABASE_URL),
                max_connections: 10,
            },
            http: HttpSettings {
                body_limit_bytes: 12 * 1024 * 1024,
                request_timeout_secs: 30,
            },
            log: LogSettings {
                format: LogFormat::Text,
                filter: "info".into(),
            },
            auth: AuthSettings::default(),
            evidence: EvidenceSettings::default(),
            workers: WorkerSettings::default(),
            demo: false,
        }
    }
}

/// The optional TOML file. Every key is optional; missing keys keep their defaults.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    pub bind: Option<SocketAddr>,
    pub database_url: Option<SecretString>,
    pub database_max_connections: Option<u32>,
    pub body_limit_bytes: Option<usize>,
    pub request_timeout_secs: Option<u64>,
    pub log_format: Option<LogFormat>,
    pub log_filter: Option<String>,
    pub demo: Option<bool>,
    pub token_ttl_hours: Option<i64>,
    pub argon2_memory_kib: Option<u32>,
    pub argon2_iterations: Option<u32>,
    pub login_max_failures: Option<i32>,
    pub evidence_dir: Option<PathBuf>,
    pub evidence_max_bytes: Option<usize>,
    pub sla_sweep_interval_ms: Option<u64>,
}

/// Values given on the command line or in the environment (clap merges those two, flags first).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub bind: Option<SocketAddr>,
    pub database_url: Option<String>,
    pub log_format: Option<LogFormat>,
    pub log_filter: Option<String>,
    pub demo: Option<bool>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
}

impl Settings {
    /// Merges defaults < file < env/flags.
    pub fn load(config_file: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        let file = match config_file {
            Some(path) => read_file(path)?,
            None => FileSettings::default(),
        };
        Ok(Self::merge(file, overrides))
    }

    fn merge(file: FileSettings, overrides: &Overrides) -> Self {
        let mut s = Settings::default();
        if let Some(v) = file.bind {
            s.bind = v;
        }
        if let Some(v) = file.database_url {
            s.database.url = v;
        }
        if let Some(v) = file.database_max_connections {
            s.database.max_connections = v.max(1);
        }
        if let Some(v) = file.body_limit_bytes {
            s.http.body_limit_bytes = v;
        }
        if let Some(v) = file.request_timeout_secs {
            s.http.request_timeout_secs = v;
        }
        if let Some(v) = file.log_format {
            s.log.format = v;
        }
        if let Some(v) = file.log_filter {
            s.log.filter = v;
        }
        if let Some(v) = file.demo {
            s.demo = v;
        }
        if let Some(v) = file.token_ttl_hours {
            s.auth.token_ttl_hours = v.max(1);
        }
        if let Some(v) = file.argon2_memory_kib {
            s.auth.argon2_memory_kib = v;
        }
        if let Some(v) = file.argon2_iterations {
            s.auth.argon2_iterations = v.max(1);
        }
        if let Some(v) = file.evidence_dir {
            s.evidence.dir = v;
        }
        if let Some(v) = file.sla_sweep_interval_ms {
            s.workers.sla_sweep_interval_ms = v;
        }
        if let Some(v) = file.evidence_max_bytes {
            s.evidence.max_bytes = v;
        }
        if let Some(v) = file.login_max_failures {
            s.auth.login_max_failures = v.max(1);
        }
        if let Some(v) = overrides.bind {
            s.bind = v;
        }
        if let Some(v) = &overrides.database_url {
            s.database.url = SecretString::from(v.clone());
        }
        if let Some(v) = overrides.log_format {
            s.log.format = v;
        }
        if let Some(v) = &overrides.log_filter {
            s.log.filter = v.clone();
        }
        if let Some(v) = overrides.demo {
            s.demo = v;
        }
        s
    }
}

fn read_file(path: &Path) -> Result<FileSettings, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    toml::from_str(&text).map_err(|source| ConfigError::Parse {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_file_and_file_beats_defaults() {
        let file: FileSettings =
            toml::from_str("bind = \"0.0.0.0:9000\"\nlog_filter = \"debug\"\n").unwrap();
        let overrides = Overrides {
            bind: Some("127.0.0.1:7000".parse().unwrap()),
            ..Default::default()
        };
        let s = Settings::merge(file, &overrides);
        assert_eq!(s.bind.port(), 7000);
        assert_eq!(s.log.filter, "debug");
    }

    #[test]
    fn default_database_is_an_embedded_sqlite_file() {
        let s = Settings::default();
        assert!(!s.database.is_postgres());
        assert!(s.database.url.expose_secret().contains("gridloop.db"));
    }

    #[test]
    fn unknown_keys_in_the_file_are_rejected() {
        assert!(toml::from_str::<FileSettings>("bnid = \"x\"").is_err());
    }
}
