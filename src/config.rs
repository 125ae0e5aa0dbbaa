//! Typed settings: defaults, overlaid by an optional TOML file, then env vars, then CLI flags.
//! The merged `Settings` is passed down explicitly; nothing reads configuration globally.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono::NaiveTime;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

pub use crate::net::IpRange;

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
    pub smtp: SmtpSettings,
    pub notify: NotifySettings,
    pub rate_limit: RateLimitSettings,
    pub demo: bool,
}

/// Per-client request budgets on the API routes (`/graphql`, `/export/*`, `/evidence/*`), so one
/// runaway script or attacker cannot starve the database for everyone else.
#[derive(Debug, Clone)]
pub struct RateLimitSettings {
    pub enabled: bool,
    /// Sustained requests per minute from one client address; 0 turns this limit off.
    pub per_ip_per_minute: u32,
    /// Sustained requests per minute with one bearer token; 0 turns this limit off.
    pub per_user_per_minute: u32,
    /// Requests one client may send back to back after being idle. `None`: a full minute's
    /// allowance, so a page that fires many queries at once is never refused.
    pub burst: Option<u32>,
    /// Most clients tracked at once; idle ones are forgotten first, so memory stays bounded.
    pub max_keys: usize,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            per_ip_per_minute: 1200,
            per_user_per_minute: 600,
            burst: None,
            max_keys: 100_000,
        }
    }
}

/// The outgoing mail server. Without a URL, mail is written as `.eml` files instead.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    /// `smtp://[user@]host[:port]` (plain), `smtp://…?tls=starttls` (STARTTLS required;
    /// `tls=opportunistic` when offered), `smtps://…` (TLS from the start). A secret: it may
    /// carry credentials.
    pub url: Option<SecretString>,
    /// Overrides the user of the URL.
    pub username: Option<String>,
    /// Kept apart from the URL so it can come from the environment (`GRIDLOOP_SMTP_PASSWORD`).
    pub password: Option<SecretString>,
    /// The From header, e.g. `gridloop <noreply@example.org>`.
    pub from: String,
    /// How long one SMTP command may take.
    pub timeout_secs: u64,
}

impl Default for SmtpSettings {
    fn default() -> Self {
        Self {
            url: None,
            username: None,
            password: None,
            from: "gridloop <noreply@gridloop.local>".into(),
            timeout_secs: 30,
        }
    }
}

/// The outbox worker, the templates and the managers' daily digest.
#[derive(Debug, Clone)]
pub struct NotifySettings {
    /// Whether this process sends the outbox (several processes may; each row goes once).
    pub worker: bool,
    /// Where `.eml` files go when no SMTP server is configured.
    pub mail_dir: PathBuf,
    /// Ticket links in mail are `{base_url}/tickets/{number}`.
    pub base_url: String,
    /// The right-hand side of every Message-ID.
    pub message_id_domain: String,
    /// How often the worker looks for due mail.
    pub poll_interval_ms: u64,
    /// Rows claimed per round.
    pub batch_size: u64,
    /// Attempts before a row is marked FAILED.
    pub max_attempts: i32,
    /// First retry delay; doubles per failure (with jitter) up to `backoff_max_secs`.
    pub backoff_base_secs: i64,
    pub backoff_max_secs: i64,
    /// How long a claimed row stays reserved for the worker sending it.
    pub lease_secs: i64,
    pub digest_enabled: bool,
    /// Local time (the working calendar's timezone) after which the daily digest goes out.
    pub digest_time: NaiveTime,
}

impl Default for NotifySettings {
    fn default() -> Self {
        Self {
            worker: true,
            mail_dir: PathBuf::from("outbox-mail"),
            base_url: "http://127.0.0.1:8080".into(),
            message_id_domain: "gridloop.local".into(),
            poll_interval_ms: 1000,
            batch_size: 20,
            max_attempts: 8,
            backoff_base_secs: 30,
            backoff_max_secs: 3600,
            lease_secs: 120,
            digest_enabled: true,
            digest_time: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or(NaiveTime::MIN),
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
    /// Browser origins (`https://ui.example.org`) allowed to call the API cross-origin. Empty
    /// (the default): no CORS headers at all, so browsers only allow same-origin pages.
    pub cors_allowed_origins: Vec<String>,
    /// Reverse proxies whose `X-Forwarded-For` is believed when finding the client address (for
    /// rate limits). Empty (the default): the peer address is the client, whatever headers say.
    pub trusted_proxies: Vec<IpRange>,
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
                cors_allowed_origins: Vec::new(),
                trusted_proxies: Vec::new(),
            },
            log: LogSettings {
                format: LogFormat::Text,
                filter: "info".into(),
            },
            auth: AuthSettings::default(),
            evidence: EvidenceSettings::default(),
            workers: WorkerSettings::default(),
            smtp: SmtpSettings::default(),
            notify: NotifySettings::default(),
            rate_limit: RateLimitSettings::default(),
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
    pub smtp_url: Option<SecretString>,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<SecretString>,
    pub smtp_from: Option<String>,
    pub smtp_timeout_secs: Option<u64>,
    pub mail_worker: Option<bool>,
    pub mail_dir: Option<PathBuf>,
    pub public_base_url: Option<String>,
    pub message_id_domain: Option<String>,
    pub mail_poll_interval_ms: Option<u64>,
    pub mail_batch_size: Option<u64>,
    pub mail_max_attempts: Option<i32>,
    pub mail_backoff_base_secs: Option<i64>,
    pub mail_backoff_max_secs: Option<i64>,
    pub mail_lease_secs: Option<i64>,
    pub digest_enabled: Option<bool>,
    /// `HH:MM`, local time.
    pub digest_time: Option<String>,
    pub cors_allowed_origins: Option<Vec<String>>,
    /// IP addresses or CIDR ranges (`10.0.0.0/8`).
    pub trusted_proxies: Option<Vec<String>>,
    pub rate_limit_enabled: Option<bool>,
    pub rate_limit_per_ip_per_minute: Option<u32>,
    pub rate_limit_per_user_per_minute: Option<u32>,
    pub rate_limit_burst: Option<u32>,
    pub rate_limit_max_keys: Option<usize>,
}

/// Values given on the command line or in the environment (clap merges those two, flags first).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub bind: Option<SocketAddr>,
    pub database_url: Option<String>,
    pub log_format: Option<LogFormat>,
    pub log_filter: Option<String>,
    pub demo: Option<bool>,
    pub smtp_url: Option<String>,
    /// Only from the environment: a password on the command line shows in `ps`.
    pub smtp_password: Option<String>,
    pub cors_allowed_origins: Option<Vec<String>>,
    pub trusted_proxies: Option<Vec<String>>,
    pub rate_limit_enabled: Option<bool>,
    pub rate_limit_per_ip_per_minute: Option<u32>,
    pub rate_limit_per_user_per_minute: Option<u32>,
    pub rate_limit_burst: Option<u32>,
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
    #[error("invalid setting {key}: {message}")]
    Invalid { key: &'static str, message: String },
}

impl Settings {
    /// Merges defaults < file < env/flags.
    pub fn load(config_file: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        let file = match config_file {
            Some(path) => read_file(path)?,
            None => FileSettings::default(),
        };
        Self::merge(file, overrides)
    }

    fn merge(mut file: FileSettings, overrides: &Overrides) -> Result<Self, ConfigError> {
        let mut s = Settings::default();
        merge_mail(&mut s, &mut file)?;
        merge_protection(&mut s, &mut file, overrides)?;
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
        if let Some(v) = &overrides.smtp_url {
            s.smtp.url = Some(SecretString::from(v.clone()));
        }
        if let Some(v) = &overrides.smtp_password {
            s.smtp.password = Some(SecretString::from(v.clone()));
        }
        Ok(s)
    }
}

/// CORS, trusted proxies and rate limits, from the file and then env/flags.
fn merge_protection(
    s: &mut Settings,
    file: &mut FileSettings,
    overrides: &Overrides,
) -> Result<(), ConfigError> {
    let origins = overrides
        .cors_allowed_origins
        .clone()
        .or(file.cors_allowed_origins.take());
    if let Some(v) = origins {
        s.http.cors_allowed_origins = v
            .iter()
            .map(|o| parse_origin(o))
            .collect::<Result<_, _>>()?;
    }
    let proxies = overrides
        .trusted_proxies
        .clone()
        .or(file.trusted_proxies.take());
    if let Some(v) = proxies {
        s.http.trusted_proxies = v
            .iter()
            .map(|p| {
                p.parse().map_err(|e| ConfigError::Invalid {
                    key: "trusted_proxies",
                    message: format!("{p:?}: {e}"),
                })
            })
            .collect::<Result<_, _>>()?;
    }
    let r = &mut s.rate_limit;
    if let Some(v) = overrides.rate_limit_enabled.or(file.rate_limit_enabled) {
        r.enabled = v;
    }
    let per_ip = overrides.rate_limit_per_ip_per_minute;
    if let Some(v) = per_ip.or(file.rate_limit_per_ip_per_minute) {
        r.per_ip_per_minute = v;
    }
    let per_user = overrides.rate_limit_per_user_per_minute;
    if let Some(v) = per_user.or(file.rate_limit_per_user_per_minute) {
        r.per_user_per_minute = v;
    }
    if let Some(v) = overrides.rate_limit_burst.or(file.rate_limit_burst) {
        r.burst = Some(v.max(1));
    }
    if let Some(v) = file.rate_limit_max_keys {
        r.max_keys = v.max(1);
    }
    Ok(())
}

/// An allowed CORS origin is exactly `scheme://host[:port]`, as browsers send it.
fn parse_origin(origin: &str) -> Result<String, ConfigError> {
    let o = origin.trim().trim_end_matches('/');
    let invalid = |why: &str| ConfigError::Invalid {
        key: "cors_allowed_origins",
        message: format!("{origin:?} {why}"),
    };
    let Some((scheme, host)) = o.split_once("://") else {
        return Err(invalid("is not scheme://host[:port]"));
    };
    if !matches!(scheme, "http" | "https") {
        return Err(invalid("must start with http:// or https://"));
    }
    let bad_char = |c: char| c.is_whitespace() || c.is_control() || matches!(c, '/' | '*' | ',');
    if host.is_empty() || host.contains(bad_char) {
        return Err(invalid(
            "must be one exact origin, without path or wildcard",
        ));
    }
    Ok(o.to_string())
}

/// The mail keys of the file (split out to keep `merge` readable).
fn merge_mail(s: &mut Settings, file: &mut FileSettings) -> Result<(), ConfigError> {
    let (smtp, notify) = (&mut s.smtp, &mut s.notify);
    if let Some(v) = file.smtp_url.take() {
        smtp.url = Some(v);
    }
    if let Some(v) = file.smtp_username.take() {
        smtp.username = Some(v);
    }
    if let Some(v) = file.smtp_password.take() {
        smtp.password = Some(v);
    }
    if let Some(v) = file.smtp_from.take() {
        smtp.from = v;
    }
    if let Some(v) = file.smtp_timeout_secs.take() {
        smtp.timeout_secs = v.max(1);
    }
    if let Some(v) = file.mail_worker.take() {
        notify.worker = v;
    }
    if let Some(v) = file.mail_dir.take() {
        notify.mail_dir = v;
    }
    if let Some(v) = file.public_base_url.take() {
        notify.base_url = v.trim_end_matches('/').to_string();
    }
    if let Some(v) = file.message_id_domain.take() {
        notify.message_id_domain = v;
    }
    if let Some(v) = file.mail_poll_interval_ms.take() {
        notify.poll_interval_ms = v.max(10);
    }
    if let Some(v) = file.mail_batch_size.take() {
        notify.batch_size = v.max(1);
    }
    if let Some(v) = file.mail_max_attempts.take() {
        notify.max_attempts = v.max(1);
    }
    if let Some(v) = file.mail_backoff_base_secs.take() {
        notify.backoff_base_secs = v.max(1);
    }
    if let Some(v) = file.mail_backoff_max_secs.take() {
        notify.backoff_max_secs = v.max(1);
    }
    if let Some(v) = file.mail_lease_secs.take() {
        notify.lease_secs = v.max(1);
    }
    if let Some(v) = file.digest_enabled.take() {
        notify.digest_enabled = v;
    }
    if let Some(v) = file.digest_time.take() {
        notify.digest_time =
            NaiveTime::parse_from_str(v.trim(), "%H:%M").map_err(|e| ConfigError::Invalid {
                key: "digest_time",
                message: format!("{v:?} is not HH:MM ({e})"),
            })?;
    }
    Ok(())
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
        let s = Settings::merge(file, &overrides).unwrap();
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
    fn mail_keys_are_read_and_the_digest_time_is_checked() {
        let file: FileSettings = toml::from_str(
            "smtp_url = \"smtp://mail.example.org:587?tls=starttls\"\nsmtp_password = \"pw\"\ndigest_time = \"07:30\"\npublic_base_url = \"https://grid.example.org/\"\n",
        )
        .unwrap();
        let s = Settings::merge(file, &Overrides::default()).unwrap();
        assert!(s.smtp.url.is_some());
        assert_eq!(s.notify.digest_time.to_string(), "07:30:00");
        assert_eq!(s.notify.base_url, "https://grid.example.org");
        assert!(
            !format!("{:?}", s.smtp).contains("pw"),
            "secrets are redacted"
        );
        let bad: FileSettings = toml::from_str("digest_time = \"8 am\"").unwrap();
        assert!(Settings::merge(bad, &Overrides::default()).is_err());
    }

    #[test]
    fn without_smtp_mail_goes_to_files() {
        let s = Settings::default();
        assert!(s.smtp.url.is_none());
        assert_eq!(s.notify.mail_dir, PathBuf::from("outbox-mail"));
    }

    #[test]
    fn rate_limits_are_on_by_default_and_generous() {
        let s = Settings::default();
        assert!(s.rate_limit.enabled);
        assert!(s.rate_limit.per_user_per_minute >= 600);
        assert!(s.rate_limit.per_ip_per_minute >= 1200);
        assert!(s.http.cors_allowed_origins.is_empty());
        assert!(s.http.trusted_proxies.is_empty());
    }

    #[test]
    fn env_and_flags_beat_the_file_for_protection_keys() {
        let file: FileSettings = toml::from_str(
            "rate_limit_per_ip_per_minute = 10\nrate_limit_enabled = false\ncors_allowed_origins = [\"https://a.example.org/\"]\ntrusted_proxies = [\"10.0.0.0/8\"]\n",
        )
        .unwrap();
        let overrides = Overrides {
            rate_limit_per_ip_per_minute: Some(20),
            ..Default::default()
        };
        let s = Settings::merge(file, &overrides).unwrap();
        assert_eq!(s.rate_limit.per_ip_per_minute, 20);
        assert!(!s.rate_limit.enabled);
        assert_eq!(s.http.cors_allowed_origins, vec!["https://a.example.org"]);
        assert_eq!(s.http.trusted_proxies.len(), 1);
    }

    #[test]
    fn a_wildcard_or_a_path_is_not_an_allowed_origin() {
        for bad in [
            "*",
            "https://*.example.org",
            "https://a.example.org/app",
            "a.example.org",
        ] {
            let file = FileSettings {
                cors_allowed_origins: Some(vec![bad.into()]),
                ..Default::default()
            };
            assert!(
                Settings::merge(file, &Overrides::default()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_malformed_trusted_proxy_is_rejected() {
        let file = FileSettings {
            trusted_proxies: Some(vec!["10.0.0.0/40".into()]),
            ..Default::default()
        };
        assert!(Settings::merge(file, &Overrides::default()).is_err());
    }

    #[test]
    fn unknown_keys_in_the_file_are_rejected() {
        assert!(toml::from_str::<FileSettings>("bnid = \"x\"").is_err());
    }
}
