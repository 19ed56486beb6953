//! E-mail delivery over SMTP: plain-text alert e-mails, TLS by rustls.
//!
//! [`send`] checks the settings and every address first, so that a mistake is reported with
//! the field at fault (`smtp.from`, `recipients[2]`) before any connection is made. The
//! subject is made one line again whatever it holds, so no header can be injected through
//! it; the body is sent as `text/plain; charset=utf-8`.

use std::fmt;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

use crate::message::{clean_text, Alert, Lang};

/// How long one SMTP command may take.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// The most recipients of one e-mail.
pub const MAX_RECIPIENTS: usize = 100;

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// No TLS at all (a relay on the same host or network). Credentials are then refused
    /// unless the host is the loopback.
    None,
    /// A plain connection upgraded with STARTTLS, which is required (usually port 587).
    #[default]
    StartTls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

/// Where and how to send e-mail.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmtpSettings {
    /// The server's host name (checked against its TLS certificate) or address.
    pub host: String,
    /// The server's port.
    pub port: u16,
    /// How the connection is secured.
    pub security: SmtpSecurity,
    /// The user name, if the server wants one.
    pub username: Option<String>,
    /// The password; never shown by `Debug`.
    pub password: Option<String>,
    /// The sender: `alerts@example.org` or `Tutti <alerts@example.org>`.
    pub from: String,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .field("from", &self.from)
            .finish()
    }
}

/// Why an e-mail was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// A setting or an address is not valid; `field` names it (`smtp.from`, `recipients[2]`).
    #[error("{field}: {reason}")]
    Invalid {
        /// The field at fault.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The message could not be put together.
    #[error("could not build the e-mail: {0}")]
    Message(String),
    /// The SMTP server could not be reached, or refused the e-mail.
    #[error("SMTP: {0}")]
    Transport(String),
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> MailError {
    MailError::Invalid { field: field.into(), reason: reason.into() }
}

fn mailbox(field: String, value: &str) -> Result<Mailbox, MailError> {
    if value.trim().is_empty() {
        return Err(invalid(field, "an e-mail address is required"));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(field, "contains a control character"));
    }
    value.trim().parse::<Mailbox>().map_err(|e| invalid(field, format!("not a valid e-mail address ({e})")))
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl SmtpSettings {
    /// Checks every setting, naming the field at fault; gives the sender's mailbox.
    pub fn validate(&self) -> Result<Mailbox, MailError> {
        let host = self.host.trim();
        if host.is_empty() {
            return Err(invalid("smtp.host", "a host name is required"));
        }
        if host.chars().any(|c| c.is_control() || c.is_whitespace() || c == '/') {
            return Err(invalid("smtp.host", "not a host name"));
        }
        if self.port == 0 {
            return Err(invalid("smtp.port", "must be between 1 and 65535"));
        }
        let username = self.username.as_deref().filter(|u| !u.is_empty());
        let password = self.password.as_deref().filter(|p| !p.is_empty());
        match (username, password) {
            (Some(_), None) => return Err(invalid("smtp.password", "required with a user name")),
            (None, Some(_)) => return Err(invalid("smtp.username", "required with a password")),
            (Some(_), Some(_)) if self.security == SmtpSecurity::None && !is_loopback(host) => {
                return Err(invalid("smtp.security", "a password is only sent over TLS or STARTTLS"))
            }
            _ => {}
        }
        mailbox("smtp.from".into(), &self.from)
    }
}

/// Checks the recipients, naming the one at fault (`recipients[2]`).
pub fn validate_recipients(to: &[String]) -> Result<Vec<Mailbox>, MailError> {
    if to.is_empty() {
        return Err(invalid("recipients", "at least one recipient is required"));
    }
    if to.len() > MAX_RECIPIENTS {
        return Err(invalid("recipients", format!("at most {MAX_RECIPIENTS} recipients")));
    }
    to.iter().enumerate().map(|(i, address)| mailbox(format!("recipients[{i}]"), address)).collect()
}

/// The message as it will be sent: headers and a plain-text body. The subject is cut to one
/// line of at most 250 characters; the body's line endings are made CRLF.
pub fn build_message(
    settings: &SmtpSettings,
    to: &[String],
    subject: &str,
    body: &str,
) -> Result<Message, MailError> {
    let from = settings.validate()?;
    let recipients = validate_recipients(to)?;
    let mut builder = Message::builder().from(from).subject(clean_text(subject, 250));
    for recipient in recipients {
        builder = builder.to(recipient);
    }
    let body = body.replace("\r\n", "\n").replace('\r', "\n");
    builder.header(ContentType::TEXT_PLAIN).body(body).map_err(|e| MailError::Message(e.to_string()))
}

/// Sends a plain-text e-mail to every recipient (all in `To`).
pub async fn send(
    settings: &SmtpSettings,
    to: &[String],
    subject: &str,
    body: &str,
) -> Result<(), MailError> {
    let message = build_message(settings, to, subject, body)?;
    let host = settings.host.trim();
    let transport = |e: lettre::transport::smtp::Error| MailError::Transport(e.to_string());
    let mut builder = match settings.security {
        SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        SmtpSecurity::StartTls => {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host).map_err(transport)?
        }
        SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(transport)?,
    }
    .port(settings.port)
    .timeout(Some(SMTP_TIMEOUT));
    if let (Some(username), Some(password)) = (&settings.username, &settings.password) {
        if !username.is_empty() {
            builder = builder.credentials(Credentials::new(username.clone(), password.clone()));
        }
    }
    builder.build().send(message).await.map_err(transport)?;
    Ok(())
}

/// Sends an alert's [e-mail](Alert::email) in the given language.
pub async fn send_alert(
    settings: &SmtpSettings,
    to: &[String],
    alert: &Alert,
    lang: Lang,
) -> Result<(), MailError> {
    let email = alert.email(lang);
    send(settings, to, &email.subject, &email.body).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> SmtpSettings {
        SmtpSettings {
            host: "smtp.example.org".into(),
            port: 587,
            security: SmtpSecurity::StartTls,
            username: Some("alerts".into()),
            password: Some("hunter2-very-secret".into()),
            from: "Tutti <alerts@example.org>".into(),
        }
    }

    fn field(result: Result<impl fmt::Debug, MailError>) -> String {
        match result {
            Err(MailError::Invalid { field, .. }) => field,
            other => panic!("expected an invalid field, got {other:?}"),
        }
    }

    #[test]
    fn debug_hides_the_password() {
        let shown = format!("{:?}", settings());
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("<hidden>") && shown.contains("smtp.example.org"));
        let none = SmtpSettings { password: None, ..settings() };
        assert!(format!("{none:?}").contains("password: None"));
    }

    #[test]
    fn settings_errors_name_the_field() {
        let cases = [
            (SmtpSettings { host: " ".into(), ..settings() }, "smtp.host"),
            (SmtpSettings { host: "smtp.example.org\r\nX: y".into(), ..settings() }, "smtp.host"),
            (SmtpSettings { port: 0, ..settings() }, "smtp.port"),
            (SmtpSettings { from: "".into(), ..settings() }, "smtp.from"),
            (SmtpSettings { from: "not an address".into(), ..settings() }, "smtp.from"),
            (SmtpSettings { from: "a@example.org\r\nBcc: x@y.z".into(), ..settings() }, "smtp.from"),
            (SmtpSettings { password: None, ..settings() }, "smtp.password"),
            (SmtpSettings { username: None, ..settings() }, "smtp.username"),
            (SmtpSettings { security: SmtpSecurity::None, ..settings() }, "smtp.security"),
        ];
        for (settings, expected) in cases {
            assert_eq!(field(settings.validate()), expected, "{settings:?}");
        }
        assert!(settings().validate().is_ok());
        let local = SmtpSettings { host: "127.0.0.1".into(), security: SmtpSecurity::None, ..settings() };
        assert!(local.validate().is_ok(), "a password to a relay on the loopback is fine");
        let anonymous =
            SmtpSettings { security: SmtpSecurity::None, username: None, password: None, ..settings() };
        assert!(anonymous.validate().is_ok());
    }

    #[test]
    fn recipient_errors_name_the_index() {
        let to = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(field(validate_recipients(&[])), "recipients");
        assert_eq!(
            field(validate_recipients(&to(&["a@example.org", "b@example.org", "nope"]))),
            "recipients[2]"
        );
        assert_eq!(field(validate_recipients(&to(&["", "b@example.org"]))), "recipients[0]");
        assert_eq!(
            field(validate_recipients(&to(&["a@example.org", "b@example.org\nBcc: c@x.y"]))),
            "recipients[1]"
        );
        let many = vec!["a@example.org".to_string(); MAX_RECIPIENTS + 1];
        assert_eq!(field(validate_recipients(&many)), "recipients");
        let ok = validate_recipients(&to(&["a@example.org", "Bob <b@example.org>"])).unwrap();
        assert_eq!(ok[1].email.to_string(), "b@example.org");
        // Build checks the settings too.
        let bad = SmtpSettings { from: "x".into(), ..settings() };
        assert_eq!(field(build_message(&bad, &to(&["a@example.org"]), "s", "b")), "smtp.from");
    }

    #[test]
    fn message_headers_cannot_be_injected() {
        let to = vec!["a@example.org".to_string()];
        let message =
            build_message(&settings(), &to, "Hi\r\nBcc: evil@example.org", "line 1\rline 2\n").unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        let (headers, _) = raw.split_once("\r\n\r\n").unwrap();
        assert!(!headers.lines().any(|l| l.starts_with("Bcc")), "{headers}");
        assert!(headers.contains("Subject: Hi Bcc: evil@example.org"), "{headers}");
        assert!(headers.contains("Content-Type: text/plain; charset=utf-8"), "{headers}");
        assert_eq!(message.envelope().to().len(), 1);
    }

    #[test]
    fn settings_serialise_with_snake_case_security() {
        let json = serde_json::to_value(settings()).unwrap();
        assert_eq!(json["security"], "start_tls");
        let back: SmtpSettings = serde_json::from_value(json).unwrap();
        assert_eq!(back, settings());
    }
}
