//! Apps that send their mail to the loopback SMTP server, and looking into the outbox.
#![allow(dead_code)]

use std::time::Duration;

use gridloop::clock::Clock;
use gridloop::config::Settings;
use gridloop::entity::notification;
use sea_orm::{EntityTrait, QueryOrder};
use secrecy::SecretString;

use super::smtp::SmtpServer;
use super::{TestApp, spawn_app_with};

pub const BASE_URL: &str = "https://grid.example.test";
pub const DOMAIN: &str = "mail.gridloop.test";

/// The test town, mailing through `server`, polling every 50 ms, retrying after 1–4 s of clock.
pub async fn mail_app(server: &SmtpServer, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let url = server.url();
    let app = spawn_app_with(|s| {
        s.smtp.url = Some(SecretString::from(url));
        quick(s);
        adjust(s);
    })
    .await;
    app.import_town().await;
    app
}

/// Fast polling and short backoff, for any transport.
pub fn quick(s: &mut Settings) {
    s.notify.poll_interval_ms = 50;
    s.notify.backoff_base_secs = 1;
    s.notify.backoff_max_secs = 4;
    s.notify.base_url = BASE_URL.into();
    s.notify.message_id_domain = DOMAIN.into();
}

impl TestApp {
    /// Every outbox row, oldest first.
    pub async fn outbox_rows(&self) -> Vec<notification::Model> {
        notification::Entity::find()
            .order_by_asc(notification::Column::Id)
            .all(&self.db)
            .await
            .expect("read the outbox")
    }

    /// Rows of one kind, as (email, status).
    pub async fn outbox_of(&self, kind: &str) -> Vec<(String, String)> {
        self.outbox_rows()
            .await
            .into_iter()
            .filter(|r| r.kind == kind)
            .map(|r| (r.email, r.status))
            .collect()
    }

    /// Lets the worker drain the outbox: waits (bounded) until no row is PENDING, moving the
    /// manual clock to the next retry time whenever nothing is due.
    pub async fn deliver_all(&self) -> Vec<notification::Model> {
        for _ in 0..400 {
            let rows = self.outbox_rows().await;
            let pending: Vec<&notification::Model> =
                rows.iter().filter(|r| r.status == "PENDING").collect();
            if pending.is_empty() {
                return rows;
            }
            let now = self.clock.now();
            if let Some(next) = pending.iter().map(|r| r.next_attempt_at).min()
                && next > now
            {
                self.clock.set(next);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the outbox did not drain: {:?}", self.outbox_rows().await);
    }

    /// Waits (bounded) until `check` holds for the outbox.
    pub async fn wait_outbox(&self, what: &str, check: impl Fn(&[notification::Model]) -> bool) {
        for _ in 0..300 {
            if check(&self.outbox_rows().await) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{what}: {:?}", self.outbox_rows().await);
    }
}
