//! An instant as edgestack stores and shows it. Typed, so that a deadline is computed from a time
//! that parsed, never skipped over one that did not: a record whose time cannot be read fails to
//! load, with the value in the error.

use std::fmt;

use time::format_description::FormatItem;
use time::macros::format_description;
use time::{Duration, OffsetDateTime, UtcOffset};

/// RFC 3339 in UTC with milliseconds, one width for every instant: the text sorts as the time
/// does (the stacks table orders an owner's stacks by it), and stacks created in the same second
/// still order.
const FORMAT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    pub fn now() -> Self {
        Self::from(OffsetDateTime::now_utc())
    }

    /// Whole seconds from `earlier` to this instant (negative if `earlier` is later).
    pub fn seconds_since(self, earlier: Timestamp) -> i64 {
        (self.0 - earlier.0).whole_seconds()
    }

    /// Whole seconds from this instant until now.
    pub fn seconds_ago(self) -> i64 {
        Self::now().seconds_since(self)
    }

    pub fn plus_seconds(self, seconds: i64) -> Self {
        Self(self.0 + Duration::seconds(seconds))
    }

    /// Milliseconds from `earlier` to this instant (negative if `earlier` is later).
    pub fn millis_since(self, earlier: Timestamp) -> i64 {
        (self.0 - earlier.0).whole_milliseconds() as i64
    }

    pub fn plus_millis(self, millis: i64) -> Self {
        Self(self.0 + Duration::milliseconds(millis))
    }

    /// Milliseconds since the Unix epoch.
    pub fn unix_millis(self) -> i64 {
        (self.0.unix_timestamp_nanos() / 1_000_000) as i64
    }

    /// The instant `millis` milliseconds after the Unix epoch.
    pub fn from_unix_millis(millis: i64) -> Self {
        Self::from(OffsetDateTime::UNIX_EPOCH + Duration::milliseconds(millis))
    }

    /// Any RFC 3339 instant (an offset other than `Z` is converted to UTC).
    pub fn parse(raw: &str) -> Result<Self, String> {
        OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339)
            .map(Self::from)
            .map_err(|e| format!("{raw:?} is not an RFC 3339 time: {e}"))
    }
}

impl From<OffsetDateTime> for Timestamp {
    fn from(at: OffsetDateTime) -> Self {
        // Milliseconds are what is shown and stored; keeping more would make a time differ
        // from itself read back.
        let at = at.to_offset(UtcOffset::UTC);
        let millis = at.millisecond();
        Self(
            at.replace_millisecond(millis)
                .expect("a millisecond is in range"),
        )
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0.format(FORMAT).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// The n-th second of the domain's unit tests' clock.
#[cfg(test)]
pub(crate) fn test_clock(n: i64) -> Timestamp {
    Timestamp::parse("2026-11-25T10:00:00Z")
        .unwrap()
        .plus_seconds(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_reads_back_as_itself_and_sorts_as_text_does() {
        let earlier = Timestamp::parse("2026-11-25T10:00:00.5Z").unwrap();
        assert_eq!(earlier.to_string(), "2026-11-25T10:00:00.500Z");
        let later = earlier.plus_seconds(61);
        assert_eq!(later.to_string(), "2026-11-25T10:01:01.500Z");
        assert!(earlier.to_string() < later.to_string() && earlier < later);
        assert_eq!(later.seconds_since(earlier), 61);
        let now = Timestamp::now();
        let json = serde_json::to_string(&now).unwrap();
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), now);
    }

    #[test]
    fn an_offset_is_converted_to_utc() {
        let at = Timestamp::parse("2026-11-25T12:00:00+02:00").unwrap();
        assert_eq!(at.to_string(), "2026-11-25T10:00:00.000Z");
    }

    #[test]
    fn a_time_that_does_not_parse_is_an_error_naming_it() {
        let err = serde_json::from_str::<Timestamp>("\"yesterday\"").unwrap_err();
        assert!(
            err.to_string()
                .contains("\"yesterday\" is not an RFC 3339 time"),
            "{err}"
        );
    }

    #[test]
    fn milliseconds_since_the_epoch_go_both_ways() {
        let at = Timestamp::parse("2026-11-25T10:00:00.250Z").unwrap();
        assert_eq!(at.unix_millis(), 1_795_600_800_250);
        assert_eq!(Timestamp::from_unix_millis(1_795_600_800_250), at);
    }
}
