//! Dates in the reader's language and time zone: « 22 nov. 2026, 14 h 30 », "Nov 22, 2026, 2:30 PM";
//! numbers in the locale's rules; local days and times in a workspace's zone; excerpts of text.
//!
//! Local times are turned into instants with `chrono-tz`, so a post at 10:00 stays at 10:00
//! across a change of daylight saving time.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone as _, Timelike, Utc};
use chrono_tz::Tz;
use tutti_domain::Locale;
use unicode_segmentation::UnicodeSegmentation;

const FR_MONTHS_SHORT: [&str; 12] =
    ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."];
const EN_MONTHS_SHORT: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const FR_MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const FR_DAYS: [&str; 7] = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"];
const FR_DAYS_SHORT: [&str; 7] = ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."];
const EN_DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

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
            format!("{} {} {}, {} h {:02}", t.day(), FR_MONTHS_SHORT[month], t.year(), t.hour(), t.minute())
        }
        Locale::En => {
            let (pm, h12) = t.hour12();
            format!(
                "{} {}, {}, {}:{:02} {}",
                EN_MONTHS_SHORT[month],
                t.day(),
                t.year(),
                h12,
                t.minute(),
                if pm { "PM" } else { "AM" }
            )
        }
    }
}

/// A number with `decimals` decimals in the reader's locale: « 12 345,6 », "12,345.6". Float
/// noise goes (`0.4000000059604645` with 2 decimals is « 0,4 »): trailing zeros are dropped
/// when `trim` is set.
pub fn number(v: f64, decimals: usize, locale: Locale) -> String {
    if !v.is_finite() {
        return "—".to_owned();
    }
    let text = format!("{:.*}", decimals, v.abs());
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i.to_owned(), f.trim_end_matches('0').to_owned()),
        None => (text.clone(), String::new()),
    };
    let (group, point) = match locale {
        Locale::Fr => ('\u{202F}', ','),
        Locale::En => (',', '.'),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(c);
    }
    let negative = v < 0.0 && (grouped.chars().any(|c| c != '0' && c != group) || !frac.is_empty());
    let mut out = if negative { format!("−{grouped}") } else { grouped };
    if !frac.is_empty() {
        out.push(point);
        out.push_str(&frac);
    }
    out
}

/// A signed number (`+0,25`, "−0.1"), for scores that go from −1 to 1.
pub fn signed(v: f64, decimals: usize, locale: Locale) -> String {
    let n = number(v, decimals, locale);
    if v > 0.0 && n.chars().any(|c| c.is_ascii_digit() && c != '0') {
        format!("+{n}")
    } else {
        n
    }
}

/// A share from 0 to 1 as a percentage: « 40 % », "40%".
pub fn percent(share: f64, decimals: usize, locale: Locale) -> String {
    let n = number(share * 100.0, decimals, locale);
    match locale {
        Locale::Fr => format!("{n}\u{202F}%"),
        Locale::En => format!("{n}%"),
    }
}

/// A day as chart axes write it: « 22 nov. », "Nov 22".
pub fn day_month(ms: i64, tz: &str, locale: Locale) -> String {
    let tz: chrono_tz::Tz = tz.parse().unwrap_or(chrono_tz::Europe::Paris);
    let Some(utc) = DateTime::<Utc>::from_timestamp_millis(ms) else {
        return String::new();
    };
    let t = tz.from_utc_datetime(&utc.naive_utc());
    match locale {
        Locale::Fr => format!("{} {}", t.day(), FR_MONTHS_SHORT[t.month0() as usize]),
        Locale::En => format!("{} {}", EN_MONTHS_SHORT[t.month0() as usize], t.day()),
    }
}

/// An hour as chart axes write it: « 14 h », "2 PM".
pub fn hour(h: u32, locale: Locale) -> String {
    match locale {
        Locale::Fr => format!("{h} h"),
        Locale::En => {
            let h12 = match h % 12 {
                0 => 12,
                x => x,
            };
            format!("{h12} {}", if h < 12 { "AM" } else { "PM" })
        }
    }
}

/// The hour of the day (0–23) of a time in `tz`.
pub fn hour_of(ms: i64, tz: &str) -> u32 {
    let tz: chrono_tz::Tz = tz.parse().unwrap_or(chrono_tz::Europe::Paris);
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|u| tz.from_utc_datetime(&u.naive_utc()).hour())
        .unwrap_or(0)
}

/// A month written `2026-11` as people read it: « nov. 2026 », "Nov 2026" (as given otherwise).
pub fn month(ym: &str, locale: Locale) -> String {
    let parsed =
        ym.split_once('-').and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<usize>().ok()?)));
    match parsed {
        Some((y, m)) if (1..=12).contains(&m) => match locale {
            Locale::Fr => format!("{} {y}", FR_MONTHS_SHORT[m - 1]),
            Locale::En => format!("{} {y}", EN_MONTHS_SHORT[m - 1]),
        },
        _ => ym.to_owned(),
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

/// A stored zone name as a zone (Paris if the name is unknown, as everywhere a zone is read).
pub fn zone_named(name: &str) -> Tz {
    name.parse().unwrap_or(chrono_tz::Europe::Paris)
}

/// An instant (ms since the epoch) in `tz`.
pub fn local(ms: i64, tz: Tz) -> DateTime<Tz> {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default().with_timezone(&tz)
}

/// The first instant of a local day (the earliest after midnight where midnight is skipped).
pub fn date_start(date: NaiveDate, tz: Tz) -> i64 {
    (0..3)
        .find_map(|h| tz.from_local_datetime(&date.and_hms_opt(h, 0, 0)?).earliest())
        .map(|t| t.timestamp_millis())
        .unwrap_or_else(|| date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().timestamp_millis())
}

/// A time of day: « 14 h 30 », "2:30 PM".
pub fn clock(hour: u32, minute: u32, locale: Locale) -> String {
    match locale {
        Locale::Fr => format!("{hour} h {minute:02}"),
        Locale::En => {
            let h12 = match hour % 12 {
                0 => 12,
                h => h,
            };
            format!("{h12}:{minute:02} {}", if hour < 12 { "AM" } else { "PM" })
        }
    }
}

/// « mars 2026 », "March 2026".
pub fn month_title(d: NaiveDate, locale: Locale) -> String {
    match locale {
        Locale::Fr => format!("{} {}", FR_MONTHS[d.month0() as usize], d.year()),
        Locale::En => format!("{} {}", EN_MONTHS[d.month0() as usize], d.year()),
    }
}

/// A local day without its year: « 23 mars », "Mar 23".
pub fn date_day_month(d: NaiveDate, locale: Locale) -> String {
    match locale {
        Locale::Fr => format!("{} {}", d.day(), FR_MONTHS_SHORT[d.month0() as usize]),
        Locale::En => format!("{} {}", EN_MONTHS_SHORT[d.month0() as usize], d.day()),
    }
}

/// « dimanche 29 mars 2026 », "Sunday, March 29, 2026".
pub fn long_day(d: NaiveDate, locale: Locale) -> String {
    let wd = d.weekday().num_days_from_monday() as usize;
    match locale {
        Locale::Fr => format!("{} {} {} {}", FR_DAYS[wd], d.day(), FR_MONTHS[d.month0() as usize], d.year()),
        Locale::En => {
            format!("{}, {} {}, {}", EN_DAYS[wd], EN_MONTHS[d.month0() as usize], d.day(), d.year())
        }
    }
}

/// The weekday `i` (0 is Monday), short: « lun. », "Mon".
pub fn short_weekday(i: usize, locale: Locale) -> String {
    match locale {
        Locale::Fr => FR_DAYS_SHORT[i].to_owned(),
        Locale::En => EN_DAYS[i][..3].to_owned(),
    }
}

/// The first graphemes of a text, with an ellipsis if it was longer.
pub fn excerpt(text: &str, max: usize) -> String {
    let mut g = text.graphemes(true);
    let head: String = g.by_ref().take(max).collect();
    if g.next().is_some() {
        format!("{}…", head.trim_end())
    } else {
        head
    }
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
        assert_eq!(day_month(ms, "Europe/Paris", Locale::Fr), "22 nov.");
        assert_eq!(day_month(ms, "Europe/Paris", Locale::En), "Nov 22");
        assert_eq!(hour(14, Locale::Fr), "14 h");
        assert_eq!(hour(14, Locale::En), "2 PM");
        assert_eq!(hour(0, Locale::En), "12 AM");
        assert_eq!(month("2026-11", Locale::En), "Nov 2026");
    }

    #[test]
    fn numbers_follow_each_locale_without_float_noise() {
        assert_eq!(number(12345.6, 1, Locale::Fr), "12\u{202F}345,6");
        assert_eq!(number(12345.6, 1, Locale::En), "12,345.6");
        assert_eq!(number(0.4000000059604645, 2, Locale::Fr), "0,4");
        assert_eq!(number(3.0, 2, Locale::En), "3");
        assert_eq!(number(-0.001, 2, Locale::En), "0");
        assert_eq!(signed(0.25, 2, Locale::Fr), "+0,25");
        assert_eq!(signed(-0.1, 2, Locale::En), "−0.1");
        assert_eq!(percent(0.4000000059604645, 0, Locale::Fr), "40\u{202F}%");
        assert_eq!(percent(0.125, 1, Locale::En), "12.5%");
    }

    #[test]
    fn times_and_days_read_as_each_language_writes_them() {
        assert_eq!(clock(14, 30, Locale::Fr), "14 h 30");
        assert_eq!(clock(14, 30, Locale::En), "2:30 PM");
        assert_eq!(clock(0, 5, Locale::En), "12:05 AM");
        let d = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        assert_eq!(long_day(d, Locale::Fr), "dimanche 29 mars 2026");
        assert_eq!(long_day(d, Locale::En), "Sunday, March 29, 2026");
        assert_eq!(month_title(d, Locale::Fr), "mars 2026");
    }

    #[test]
    fn excerpts_cut_between_graphemes() {
        assert_eq!(excerpt("ab👨‍👩‍👧‍👦cd", 3), "ab👨‍👩‍👧‍👦…");
    }

    #[test]
    fn a_day_starts_at_local_midnight() {
        assert_eq!(day_start("2026-11-22", "Europe/Paris"), Some(1_795_302_000_000));
        assert_eq!(day_start("22/11/2026", "Europe/Paris"), None);
    }
}
