//! Turning an outbox row into an email and handing it to lettre: SMTP (plain, STARTTLS or
//! implicit TLS, with optional auth) or, when no server is configured, `.eml` files.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{
    Address, AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use secrecy::ExposeSecret;

use crate::config::{NotifySettings, SmtpSettings};
use crate::domain::notification::message_id;
use crate::entity::notification;
use crate::service::error::{ServiceError, ServiceResult};

/// Why one send did not go through. `permanent` failures (a 5xx reply, an address that cannot
/// be mailed) are not retried automatically.
#[derive(Debug, Clone)]
pub struct SendFailure {
    pub permanent: bool,
    pub reason: String,
}

#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

/// A configured sender. Cheap to clone (the SMTP connection pool is shared).
#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    domain: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.transport {
            Transport::Smtp(_) => "smtp",
            Transport::Files(..) => "files",
        };
        f.debug_struct("Mailer")
            .field("transport", &kind)
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl Mailer {
    /// Builds the transport the settings describe. Fails on a URL or From address that cannot
    /// work, so a misconfiguration stops startup instead of failing every mail later. Error
    /// messages never include the URL: it may carry a password.
    pub fn from_settings(smtp: &SmtpSettings, notify: &NotifySettings) -> ServiceResult<Self> {
        let from: Mailbox = smtp
            .from
            .parse()
            .map_err(|e| ServiceError::invalid("smtp_from", format!("not a mailbox: {e}")))?;
        let transport = match &smtp.url {
            None => Transport::Files(
                AsyncFileTransport::<Tokio1Executor>::new(&notify.mail_dir),
                notify.mail_dir.clone(),
            ),
            Some(url) => Transport::Smtp(smtp_transport(url.expose_secret(), smtp)?),
        };
        Ok(Self {
            transport,
            from,
            domain: notify.message_id_domain.clone(),
        })
    }

    /// Where `.eml` files go, when this mailer writes files.
    pub fn mail_dir(&self) -> Option<&PathBuf> {
        match &self.transport {
            Transport::Files(_, dir) => Some(dir),
            Transport::Smtp(_) => None,
        }
    }

    /// The email for an outbox row. Its Message-ID comes from the row, so a resend is recognisable.
    pub fn message(&self, row: &notification::Model) -> Result<Message, SendFailure> {
        let permanent = |reason: String| SendFailure {
            permanent: true,
            reason,
        };
        let to: Address = row
            .email
            .parse()
            .map_err(|e| permanent(format!("recipient address: {e}")))?;
        let id = row
            .message_id
            .clone()
            .unwrap_or_else(|| message_id(row.id, &self.domain));
        Message::builder()
            .message_id(Some(id))
            .date(row.created_at.into())
            .from(self.from.clone())
            .to(Mailbox::new(None, to))
            .subject(row.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                row.body_text.clone(),
                row.body_html.clone(),
            ))
            .map_err(|e| permanent(format!("building the message: {e}")))
    }

    /// Sends one row's email.
    pub async fn send(&self, row: &notification::Model) -> Result<(), SendFailure> {
        let message = self.message(row)?;
        match &self.transport {
            Transport::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| SendFailure {
                permanent: e.is_permanent(),
                reason: e.to_string(),
            }),
            Transport::Files(t, dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| SendFailure {
                        permanent: false,
                        reason: format!("mail directory: {e}"),
                    })?;
                t.send(message).await.map(|_| ()).map_err(|e| SendFailure {
                    permanent: false,
                    reason: e.to_string(),
                })
            }
        }
    }
}

/// `smtp://`, `smtps://`, `?tls=starttls|required|opportunistic`; credentials from the URL's
/// user and the configured password (the URL's own password is used only when none is set).
fn smtp_transport(
    url: &str,
    smtp: &SmtpSettings,
) -> ServiceResult<AsyncSmtpTransport<Tokio1Executor>> {
    let normalized = url.replace("tls=starttls", "tls=required");
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&normalized)
        .map_err(|e| ServiceError::invalid("smtp_url", format!("unusable SMTP URL: {e}")))?
        .timeout(Some(Duration::from_secs(smtp.timeout_secs)));
    let user = smtp.username.clone().or_else(|| url_user(&normalized));
    if let (Some(user), Some(password)) = (user, &smtp.password) {
        builder = builder.credentials(Credentials::new(user, password.expose_secret().to_string()));
    }
    Ok(builder.build())
}

/// The percent-decoded user part of `scheme://user[:password]@host…`, if any.
fn url_user(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let (userinfo, _) = authority.rsplit_once('@')?;
    let user = userinfo.split(':').next()?;
    (!user.is_empty()).then(|| percent_decode(user))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    #[test]
    fn the_user_comes_from_the_url() {
        assert_eq!(
            url_user("smtp://ops%40x.org@mail:587?tls=required").as_deref(),
            Some("ops@x.org")
        );
        assert_eq!(url_user("smtps://u:p@mail").as_deref(), Some("u"));
        assert_eq!(url_user("smtp://mail:25"), None);
    }

    /// The SMTP pool spawns its reaper task, so building needs a runtime (startup has one).
    #[tokio::test]
    async fn every_documented_url_form_builds() {
        let notify = NotifySettings::default();
        for url in [
            "smtp://127.0.0.1:2525",
            "smtp://user@mail.example.org:587?tls=starttls",
            "smtp://mail.example.org?tls=opportunistic",
            "smtps://user@mail.example.org",
        ] {
            let smtp = SmtpSettings {
                url: Some(SecretString::from(url)),
                password: Some(SecretString::from("hunter2")),
                ..SmtpSettings::default()
            };
            assert!(Mailer::from_settings(&smtp, &notify).is_ok(), "{url}");
        }
    }

    #[test]
    fn a_bad_url_fails_without_echoing_it() {
        let smtp = SmtpSettings {
            url: Some(SecretString::from("ftp://user:hunter2@mail")),
            ..SmtpSettings::default()
        };
        let err = Mailer::from_settings(&smtp, &NotifySettings::default()).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
