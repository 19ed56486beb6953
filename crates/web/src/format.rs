//! Dates in the reader's language and time zone: « 22 nov. 2026, 14 h 30 », "Nov 22, 2026, 2:30 PM".

use chrono::{DateTime, Datelike, TimeZone as _, Timelike, Utc};
use tutti_domain::Locale;

const FR_MONTHS: [&str; 12] =
    ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."];
const EN_MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Formats a time (ms since the epoch) for a reader in `tz` speaking `locale`.
pub fn datetime(ms: i64, tz: &str, locale: Locale) -> String {
    let tz: chrono_tz::Tz = tz.parse().unwrap_or(chrono_tz::Europe::Paris);
    let Some(utc) = DateTime::<Utc>::from_timestamp_millis(ms) else {
        return String::new();
    };
    let t = tz.from_utc_datetime(&utc.naive_utc());
    let month = t.month0() as usize;
    match locale {
        Locale::Fr => {
            format!("{} {} {}, {} h {:02}", t.day(), FR_MONTHS[month], t.year(), t.hour(), t.minute())
        }
        Locale::En => {
            let (pm, h12) = t.hour12();
            format!(
                "{} {}, {}, {}:{:02} {}",
                EN_MONTHS[month],
                t.day(),
                t.year(),
                h12,
                t.minute(),
                if pm { "PM" } else { "AM" }
            )
        }
    }
}

/// The ISO 8601 form, for `<time datetime>` and machines.
pub fn iso(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// Parses a `YYYY-MM-DD` day in `tz` into its first millisecond.
pub fn day_start(day: &str, tz: &str) -> Option<i64> {
    let tz: chrono_tz::Tz = tz.parse().ok()?;
    let date = chrono::NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d").ok()?;
    tz.from_local_datetime(&date.and_hms_opt(0, 0, 0)?).earliest().map(|t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_follow_each_locale_and_zone() {
        // 2026-11-22T13:30:00Z is 14:30 in Paris and 08:30 in Montreal.
        let ms = 1_795_354_200_000;
        assert_eq!(datetime(ms, "Europe/Paris", Locale::Fr), "22 nov. 2026, 14 h 30");
        assert_eq!(datetime(ms, "Europe/Paris", Locale::En), "Nov 22, 2026, 2:30 PM");
        assert_eq!(datetime(ms, "America/Montreal", Locale::En), "Nov 22, 2026, 8:30 AM");
        assert_eq!(iso(ms), "2026-11-22T13:30:00Z");
    }

    #[test]
    fn a_day_starts_at_local_midnight() {
        assert_eq!(day_start("2026-11-22", "Europe/Paris"), Some(1_795_302_000_000));
        assert_eq!(day_start("22/11/2026", "Europe/Paris"), None);
    }
}
