//! Local time for Vietnam. Asia/Ho_Chi_Minh has been a fixed UTC+07:00 with no
//! DST since 1975, so a fixed offset is exact and avoids shipping a tz database.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};

/// Seconds east of UTC for Asia/Ho_Chi_Minh.
pub const VN_OFFSET_SECONDS: i32 = 7 * 3600;

/// The Asia/Ho_Chi_Minh offset (+07:00).
pub const VN_OFFSET: FixedOffset = match FixedOffset::east_opt(VN_OFFSET_SECONDS) {
    Some(o) => o,
    None => panic!("valid offset"),
};

/// Same as [`VN_OFFSET`], as a function.
pub fn vn_offset() -> FixedOffset {
    VN_OFFSET
}

/// Convert any instant to Vietnam local time.
pub fn to_vn<Tz: TimeZone>(t: &DateTime<Tz>) -> DateTime<FixedOffset> {
    t.with_timezone(&VN_OFFSET)
}

/// Build a Vietnam-local timestamp from a UTC instant given as milliseconds
/// since the Unix epoch (what `Date.now()` returns in the browser).
pub fn from_unix_millis(ms: i64) -> Option<DateTime<FixedOffset>> {
    DateTime::<Utc>::from_timestamp_millis(ms).map(|t| to_vn(&t))
}

/// The local calendar date of an instant in Vietnam.
pub fn vn_date<Tz: TimeZone>(t: &DateTime<Tz>) -> NaiveDate {
    to_vn(t).date_naive()
}
