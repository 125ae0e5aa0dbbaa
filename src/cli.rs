//! The `gridloop` command line. Every flag also reads a `GRIDLOOP_*` env var;
//! flags beat env beat the config file beat defaults.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::{LogFormat, Overrides, Settings};
use crate::startup::Application;

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
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on. Default: 127.0.0.1:8080
    #[arg(long, env = "GRIDLOOP_BIND")]
    pub bind: Option<SocketAddr>,
    /// Seed a demo town into an empty database.
    #[arg(long, env = "GRIDLOOP_DEMO")]
    pub demo: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Startup(#[from] crate::startup::StartupError),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
}

impl Cli {
    fn settings(&self, serve: Option<&ServeArgs>) -> Result<Settings, CliError> {
        let overrides = Overrides {
            bind: serve.and_then(|s| s.bind),
            database_url: self.global.database_url.clone(),
            log_format: self.global.log_format,
            log_filter: self.global.log_filter.clone(),
            demo: serve.and_then(|s| s.demo.then_some(true)),
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
    }
    Ok(())
}
