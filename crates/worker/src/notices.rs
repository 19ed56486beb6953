//! E-mailing notices (a channel that needs reconnecting) to the member they are for, in their
//! language, through the SMTP server the alerts use. Each notice is one job, enqueued with the
//! notice in the same transaction, under the key `notice:<id>`.

use tracing::{info, warn};
use tutti_store::{notices, users, Store, StoreError};

use crate::alerting::{AlertingConfig, AlertingError};

/// The subject and body of a notice's e-mail in `locale` (`fr` or anything else for English).
pub fn notice_mail(n: &notices::Notice, locale: Option<&str>, public_url: &str) -> (String, String) {
    let link = format!("{}{}", public_url.trim_end_matches('/'), n.link);
    // The handle and the network's message come from outside: kept on one line each.
    let one_line = |s: &str| s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>();
    let (subject, detail) = (one_line(&n.subject), one_line(&n.detail));
    if locale == Some("fr") {
        (
            format!("Tutti : le compte {subject} doit être reconnecté"),
            format!(
                "Le réseau a refusé les identifiants du compte {subject} :\n  {detail}\n\n\
                 Ses publications attendent, rien n'est perdu. Reconnectez-le ici :\n{link}\n"
            ),
        )
    } else {
        (
            format!("Tutti: the account {subject} needs reconnecting"),
            format!(
                "The network refused the credentials of {subject}:\n  {detail}\n\n\
                 Its posts are waiting; nothing is lost. Reconnect it here:\n{link}\n"
            ),
        )
    }
}

/// Sends the notice of a job (payload `{"notice": id}`). Without an SMTP server the notice
/// stays in the app only.
pub async fn deliver(store: &Store, config: &AlertingConfig, payload: &str) -> Result<(), AlertingError> {
    let v: serde_json::Value = serde_json::from_str(payload).unwrap_or_default();
    let Some(id) = v["notice"].as_i64() else {
        warn!(payload, "skipping a malformed notice delivery");
        return Ok(());
    };
    let Some(smtp) = &config.smtp else {
        return Ok(());
    };
    let mut db = store.conn().await?;
    let n = match notices::by_id(&mut db, id).await {
        Ok(n) => n,
        Err(StoreError::NotFound) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let user = users::by_id(&mut db, n.user_id).await?;
    drop(db);
    let (subject, body) = notice_mail(&n, user.locale.as_deref(), &config.public_url);
    tutti_alerts::mail::send(smtp, std::slice::from_ref(&user.email), &subject, &body)
        .await
        .map_err(|e| AlertingError::Delivery(format!("e-mail: {e}")))?;
    info!(notice = id, "notice e-mailed");
    Ok(())
}
