//! gridloop: the closed loop of grid-based urban management (网格化管理) as a GraphQL service.
//!
//! Layers read as a pipeline: `config` → `domain` (pure rules) → `store` (database) →
//! `service` (use cases) → `graphql` and `http`. `main.rs` only parses the CLI and calls `cli::run`.

pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod entity;
pub mod error;
pub mod graphql;
pub mod http;
pub mod loadgen;
pub mod net;
pub mod secret_url;
pub mod seed;
pub mod service;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod workers;

pub use startup::Application;
