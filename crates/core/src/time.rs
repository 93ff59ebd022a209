//! Local time for Vietnam. Asia/Ho_Chi_Minh has been a fixed UTC+07:00 with no
//! DST since 1975, so a fixed offset is exact and avoids shipping a tz database.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};

/// Seconds east of UTC for Asia/Ho_Chi_Minh.
pub const VN_OFFSET_SECONDS: i32 = 7 * 3600;

/// The Asia/Ho_Chi_Minh offset (+07:00).
pub const VN_OFFSET: FixedOffset = match FixedOffset::east_opt(VN_OFFSET_SECONDS) {
    Some(o) => o,
    None => panic!("valid offset"),
};

/// Convert any instant to Vietnam local time.
pub fn to_vn<Tz: TimeZone>(t: &DateTime<Tz>) -> DateTime<FixedOffset> {
    t.with_timezone(&VN_OFFSET)
}

/// The local calendar date of an instant in Vietnam.
pub fn vn_date<Tz: TimeZone>(t: &DateTime<Tz>) -> NaiveDate {
    to_vn(t).date_naive()
}
