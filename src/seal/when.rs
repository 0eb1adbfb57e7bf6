//! Times an admin writes and reads: `SessionCryptoNotBefore` takes Unix
//! seconds or an RFC 3339 time; the admin CLI prints RFC 3339.

use std::fmt;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeError(String);

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' is neither Unix seconds nor an RFC 3339 time (like 2026-11-23T18:00:00Z)",
            self.0
        )
    }
}

impl std::error::Error for TimeError {}

/// Unix seconds (`1795000000`) or an RFC 3339 time
/// (`2026-11-23T18:00:00Z`, `2026-11-23T19:00:00+01:00`), at or after 1970.
pub fn parse_time(text: &str) -> Result<i64, TimeError> {
    let err = || TimeError(text.escape_default().to_string());
    let seconds = if text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse::<i64>().map_err(|_| err())?
    } else {
        OffsetDateTime::parse(text, &Rfc3339)
            .map_err(|_| err())?
            .unix_timestamp()
    };
    if seconds < 0 { Err(err()) } else { Ok(seconds) }
}

/// `seconds` as an RFC 3339 time in UTC.
pub fn format_time(seconds: u64) -> String {
    i64::try_from(seconds)
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("{seconds} (Unix seconds)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_seconds_and_rfc3339() {
        assert_eq!(parse_time("1795000000"), Ok(1_795_000_000));
        assert_eq!(parse_time("2026-11-23T18:00:00Z"), Ok(1_795_456_800));
        assert_eq!(parse_time("2026-11-23T19:00:00+01:00"), Ok(1_795_456_800));
        assert_eq!(format_time(1_795_456_800), "2026-11-23T18:00:00Z");
    }

    #[test]
    fn refusals() {
        for bad in [
            "",
            "-5",
            "yesterday",
            "2026-11-23",
            "1969-12-31T23:59:59Z",
            "99999999999999999999",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
        assert!(
            parse_time("soon")
                .unwrap_err()
                .to_string()
                .contains("RFC 3339")
        );
    }
}
