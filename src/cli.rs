//! The `gridloop` command line. Every flag also reads a `GRIDLOOP_*` env var;
//! flags beat env beat the config file beat defaults.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use std::path::Path;
use std::sync::Arc;

use crate::clock::SystemClock;
use crate::config::{LogFormat, Overrides, Settings};
use crate::domain::role::Role;
use crate::service::users::NewUser;
use crate::service::{Actor, ServiceError};
use crate::startup::Application;
use crate::state::AppState;

#[derive(Debug, Parser)]
#[command(
    name = "gridloop",
    version,
    about = "Grid-based urban management: report → dispatch → handle → verify → close."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// TOML config file (keys: bind, database_url, log_format, log_filter, ...).
    #[arg(long, global = true, env = "GRIDLOOP_CONFIG")]
    pub config: Option<PathBuf>,
    /// Database URL: sqlite://FILE or postgres://USER@HOST/DB. Default: sqlite://gridloop.db
    #[arg(
        long = "database",
        global = true,
        env = "GRIDLOOP_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Log format.
    #[arg(long, global = true, env = "GRIDLOOP_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Log filter, e.g. `info,gridloop=debug` (RUST_LOG wins when set).
    #[arg(long, global = true, env = "GRIDLOOP_LOG")]
    pub log_filter: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (migrations run first).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the GraphQL schema (SDL) to stdout.
    ExportSchema,
    /// Import jurisdictions from a GeoJSON FeatureCollection (all-or-nothing).
    ImportJurisdictions {
        /// The .geojson file.
        file: PathBuf,
    },
    /// Import users from CSV: email,name,phone,role,scope (roles and scope codes separated by `;`).
    ImportUsers {
        /// The .csv file.
        file: PathBuf,
        /// Read one initial password for every new user from stdin (otherwise they cannot log in until one is set).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Add holidays and make-up working days to a calendar: one `YYYY-MM-DD HOLIDAY|WORKDAY` per line.
    ImportCalendar {
        /// The date list.
        file: PathBuf,
        /// Which calendar (default CN).
        #[arg(long, default_value = "CN")]
        calendar: String,
    },
    /// Recompute the statistics rollups from the tickets (normally only needed after restoring
    /// tickets by hand; the first start after an upgrade does it by itself).
    RebuildStatistics,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Fill an empty database with a synthetic city and a ticket history, at bulk speed.
    Seed(SeedArgs),
    /// Drive a running gridloop (loopback only) with many seeded users and print latency percentiles.
    /// Serve it with `--rate-limit-enabled false`: every virtual user shares one address.
    Loadgen(LoadgenArgs),
}

#[derive(Debug, Args)]
pub struct LoadgenArgs {
    /// Base URL of the service (loopback only).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Virtual users, each sending one request at a time.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Seconds to run.
    #[arg(long, default_value_t = 20)]
    pub duration: u64,
    /// Stop after this many requests in all.
    #[arg(long, default_value_t = 1_000_000)]
    pub max_requests: u64,
    /// Operation weights.
    #[arg(long, default_value = "report=70,accept=10,resolve=10,query=10")]
    pub mix: String,
    /// The login used to list grids, users and tickets, and to read tickets.
    #[arg(long, default_value = "admin@seed.gridloop")]
    pub admin_email: String,
    /// Password of every login used (the seeded one by default).
    #[arg(long, default_value = crate::seed::SEED_PASSWORD)]
    pub password: String,
    /// Grids fetched to report in.
    #[arg(long, default_value_t = 1_000)]
    pub max_grids: usize,
    /// Print the summary as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Write every acknowledged report here, one `clientRequestId number` per line, so a run
    /// can be checked against the database afterwards (e.g. after a crash).
    #[arg(long)]
    pub journal: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Tickets to generate.
    #[arg(long, default_value_t = 10_000)]
    pub tickets: usize,
    /// Days the tickets are spread over, ending now.
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    /// Grids of 100 m (communities of 10×10, towns of 100×100).
    #[arg(long, default_value_t = 10_000)]
    pub grids: usize,
    /// Lanes branching off the streets.
    #[arg(long, default_value_t = 5_000)]
    pub lanes: usize,
    /// Seed of the generator (same seed, same city and tickets).
    #[arg(long, default_value_t = 20_261_129)]
    pub seed: u64,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the password comes from --password-stdin or a prompt.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// GRID_WORKER, LANE_CHIEF, STREET_CHIEF, DISPATCHER, MANAGER or ADMIN (repeatable).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Jurisdiction codes the user belongs to (repeatable).
        #[arg(long = "scope")]
        scope: Vec<String>,
        #[arg(long)]
        phone: Option<String>,
        /// Read the password from stdin instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on. Default: 127.0.0.1:8080
    #[arg(long, env = "GRIDLOOP_BIND")]
    pub bind: Option<SocketAddr>,
    /// Seed a demo town into an empty database.
    #[arg(long, env = "GRIDLOOP_DEMO")]
    pub demo: bool,
    /// Outgoing mail server, e.g. smtps://user@mail.example.org or smtp://host:587?tls=starttls.
    /// Default: none (mail is written as .eml files). The password comes from GRIDLOOP_SMTP_PASSWORD.
    #[arg(long, env = "GRIDLOOP_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Browser origins allowed to call the API cross-origin (comma-separated, exact
    /// `https://host[:port]`). Default: none, no CORS headers.
    #[arg(long, env = "GRIDLOOP_CORS_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub cors_allowed_origins: Option<Vec<String>>,
    /// Reverse proxies (IPs or CIDR ranges, comma-separated) whose X-Forwarded-For is believed.
    /// Default: none.
    #[arg(long, env = "GRIDLOOP_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Option<Vec<String>>,
    /// Turn the per-address and per-token rate limits on or off. Default: true.
    #[arg(long, env = "GRIDLOOP_RATE_LIMIT_ENABLED", value_name = "BOOL")]
    pub rate_limit_enabled: Option<bool>,
    /// Requests per minute from one client address (0: no limit). Default: 1200.
    #[arg(long, env = "GRIDLOOP_RATE_LIMIT_PER_IP_PER_MINUTE")]
    pub rate_limit_per_ip_per_minute: Option<u32>,
    /// Requests per minute with one bearer token (0: no limit). Default: 600.
    #[arg(long, env = "GRIDLOOP_RATE_LIMIT_PER_USER_PER_MINUTE")]
    pub rate_limit_per_user_per_minute: Option<u32>,
    /// Requests one client may send back to back. Default: a full minute's allowance.
    #[arg(long, env = "GRIDLOOP_RATE_LIMIT_BURST")]
    pub rate_limit_burst: Option<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Startup(#[from] crate::startup::StartupError),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("{0}")]
    Service(#[from] crate::service::ServiceError),
    #[error("{0}")]
    Input(String),
}

impl Cli {
    fn settings(&self, serve: Option<&ServeArgs>) -> Result<Settings, CliError> {
        let overrides = Overrides {
            bind: serve.and_then(|s| s.bind),
            database_url: self.global.database_url.clone(),
            log_format: self.global.log_format,
            log_filter: self.global.log_filter.clone(),
            demo: serve.and_then(|s| s.demo.then_some(true)),
            smtp_url: serve.and_then(|s| s.smtp_url.clone()),
            smtp_password: std::env::var("GRIDLOOP_SMTP_PASSWORD")
                .ok()
                .filter(|p| !p.is_empty()),
            cors_allowed_origins: serve.and_then(|s| s.cors_allowed_origins.clone()),
            trusted_proxies: serve.and_then(|s| s.trusted_proxies.clone()),
            rate_limit_enabled: serve.and_then(|s| s.rate_limit_enabled),
            rate_limit_per_ip_per_minute: serve.and_then(|s| s.rate_limit_per_ip_per_minute),
            rate_limit_per_user_per_minute: serve.and_then(|s| s.rate_limit_per_user_per_minute),
            rate_limit_burst: serve.and_then(|s| s.rate_limit_burst),
        };
        let file = self
            .global
            .config
            .clone()
            .or_else(|| Some(PathBuf::from("gridloop.toml")).filter(|p| p.exists()));
        Ok(Settings::load(file.as_deref(), &overrides)?)
    }
}

/// Runs one CLI command to completion.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    match &cli.command {
        Command::Serve(args) => {
            let settings = cli.settings(Some(args))?;
            crate::telemetry::init(&settings.log, std::io::stdout);
            let app = Application::build(settings).await?;
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            let settings = cli.settings(None)?;
            crate::telemetry::init(&settings.log, std::io::stderr);
            let db = crate::db::connect(&settings.database).await?;
            crate::db::migrate(&db).await?;
            tracing::info!("migrations applied");
        }
        Command::ExportSchema => {
            print!("{}", crate::graphql::sdl());
        }
        Command::ImportJurisdictions { file } => {
            let state = one_shot(&cli).await?;
            let text = read(file)?;
            let summary =
                crate::service::places::import_jurisdictions(&state, Actor::System, &text)
                    .await
                    .map_err(report_problems)?;
            println!(
                "imported {} created, {} updated",
                summary.created, summary.updated
            );
        }
        Command::ImportUsers {
            file,
            password_stdin,
        } => {
            let state = one_shot(&cli).await?;
            let text = read(file)?;
            let password = if *password_stdin {
                Some(read_password(true)?)
            } else {
                None
            };
            let summary = crate::service::users::import_users_csv(
                &state,
                Actor::System,
                &text,
                password.as_deref(),
            )
            .await
            .map_err(report_problems)?;
            println!(
                "imported {} created, {} updated",
                summary.created, summary.updated
            );
        }
        Command::ImportCalendar { file, calendar } => {
            let state = one_shot(&cli).await?;
            let text = read(file)?;
            let n = crate::service::calendars::import_dates(&state, Actor::System, calendar, &text)
                .await?;
            println!("imported {n} dates into calendar {calendar}");
        }
        Command::RebuildStatistics => {
            let state = one_shot(&cli).await?;
            let summary = crate::service::statistics::rebuild::rebuild(&state).await?;
            println!(
                "rebuilt statistics rollups: {} tickets, {} rows",
                summary.tickets, summary.rows
            );
        }
        Command::User(UserCommand::Create {
            email,
            name,
            roles,
            scope,
            phone,
            password_stdin,
        }) => {
            let mut parsed = Vec::new();
            for r in roles {
                parsed.push(
                    Role::parse(r).ok_or_else(|| CliError::Input(format!("unknown role {r}")))?,
                );
            }
            let password = read_password(*password_stdin)?;
            let state = one_shot(&cli).await?;
            let user = crate::service::users::create_user(
                &state,
                Actor::System,
                NewUser {
                    email: email.clone(),
                    name: name.clone(),
                    phone: phone.clone(),
                    roles: parsed,
                    scope_codes: scope.clone(),
                    password: Some(password),
                    locale: None,
                },
            )
            .await?;
            println!("created user {} ({})", user.email, user.id);
        }
        Command::Loadgen(args) => {
            let cfg = crate::loadgen::LoadConfig {
                url: args.url.clone(),
                concurrency: args.concurrency,
                duration: std::time::Duration::from_secs(args.duration),
                max_requests: args.max_requests,
                mix: crate::loadgen::parse_mix(&args.mix).map_err(CliError::Input)?,
                admin_email: args.admin_email.clone(),
                password: args.password.clone(),
                max_grids: args.max_grids,
                journal: args.journal.clone(),
            };
            let summary = crate::loadgen::run(&cfg).await.map_err(CliError::Input)?;
            if args.json {
                let text = serde_json::to_string_pretty(&summary)
                    .map_err(|e| CliError::Input(e.to_string()))?;
                println!("{text}");
            } else {
                print!("{summary}");
            }
        }
        Command::Seed(args) => {
            let state = one_shot(&cli).await?;
            let params = crate::seed::SeedParams {
                tickets: args.tickets,
                days: args.days,
                grids: args.grids,
                lanes: args.lanes,
                seed: args.seed,
                ..Default::default()
            };
            let s = crate::seed::run(&state, params)
                .await
                .map_err(|e| CliError::Input(e.to_string()))?;
            let secs = s.elapsed.as_secs_f64();
            println!(
                "seeded {} places, {} users, {} tickets, {} events, {} feedback in {secs:.1} s ({:.0} tickets/s)",
                s.places,
                s.users,
                s.tickets,
                s.events,
                s.feedback,
                s.tickets as f64 / secs.max(1e-9)
            );
            let statuses: Vec<String> =
                s.statuses.iter().map(|(k, v)| format!("{k} {v}")).collect();
            println!("statuses: {}", statuses.join(", "));
            println!(
                "logins (password {}): admin@, manager@, dispatcher@, dispatcherN@, workerN@, laneN@, streetN@, communityN@, townN@{}",
                crate::seed::SEED_PASSWORD,
                crate::seed::city::EMAIL_DOMAIN
            );
        }
    }
    Ok(())
}

/// State for a command that runs once and exits (no HTTP, no demo).
async fn one_shot(cli: &Cli) -> Result<AppState, CliError> {
    let settings = cli.settings(None)?;
    crate::telemetry::init(&settings.log, std::io::stderr);
    Ok(crate::startup::prepare(settings, Arc::new(SystemClock)).await?)
}

fn read(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path)
        .map_err(|e| CliError::Input(format!("cannot read {}: {e}", path.display())))
}

/// Reads a password from stdin (one line), or prompts on the terminal.
fn read_password(from_stdin: bool) -> Result<String, CliError> {
    if !from_stdin {
        eprint!("password: ");
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| CliError::Input(format!("cannot read password: {e}")))?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    if password.is_empty() {
        return Err(CliError::Input("empty password".into()));
    }
    Ok(password)
}

/// Prints every problem of a rejected file, one per line, before failing.
fn report_problems(err: ServiceError) -> CliError {
    if let ServiceError::Rejected { problems, .. } = &err {
        for p in problems {
            match (p.index, &p.code) {
                (Some(i), Some(c)) => eprintln!("  #{i} ({c}): {}", p.message),
                (Some(i), None) => eprintln!("  #{i}: {}", p.message),
                _ => eprintln!("  file: {}", p.message),
            }
        }
    }
    CliError::Service(err)
}
