//! Display and input helpers in Vietnamese conventions: money as
//! `1.250.000 ₫` (dot groups thousands, comma would be the decimal mark),
//! dates as `dd/mm/yyyy`, times as `dd/mm/yyyy HH:MM` in Vietnam time (+07:00).
//!
//! Parsers are strict on purpose: an officer typing `1,5` (tỷ?) or `1.25`
//! gets an error telling them to enter whole đồng, rather than a silently
//! wrong amount. Every error has a Vietnamese and an English message.

use crate::money::Vnd;
use crate::time::to_vn;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Timelike};
use std::fmt;

/// Why a typed value was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Nothing entered.
    Empty,
    /// Not a whole number of đồng.
    NotANumber { input: String },
    /// Has a decimal part ("1,5", "1.25"); VND amounts are whole đồng.
    Decimal { input: String },
    /// Thousands separators in the wrong places ("12.34.567").
    BadGrouping { input: String },
    /// Beyond what an amount can hold (±9,2 × 10¹⁸ đồng).
    TooLarge { input: String },
    /// Not `dd/mm/yyyy`, `d/m/yyyy` or `yyyy-mm-dd`.
    BadDateFormat { input: String },
    /// Well-formed but no such day (31/02/2025).
    NoSuchDate { input: String },
}

impl ParseError {
    pub fn message_vi(&self) -> String {
        match self {
            Self::Empty => "Chưa nhập giá trị".into(),
            Self::NotANumber { input } => {
                format!("“{input}” không phải là số tiền hợp lệ (ví dụ: 1.250.000)")
            }
            Self::Decimal { input } => format!(
                "“{input}”: số tiền phải là số đồng nguyên, không có phần thập phân (ví dụ: 1.250.000)"
            ),
            Self::BadGrouping { input } => format!(
                "“{input}”: dấu phân cách hàng nghìn đặt sai chỗ (ví dụ đúng: 1.250.000)"
            ),
            Self::TooLarge { input } => format!("“{input}”: số tiền quá lớn"),
            Self::BadDateFormat { input } => format!(
                "“{input}” không phải là ngày hợp lệ; nhập theo dạng ngày/tháng/năm, ví dụ 05/03/2025"
            ),
            Self::NoSuchDate { input } => format!("Ngày “{input}” không tồn tại"),
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            Self::Empty => "No value entered".into(),
            Self::NotANumber { input } => {
                format!("\"{input}\" is not a valid amount (example: 1.250.000)")
            }
            Self::Decimal { input } => format!(
                "\"{input}\": amounts are whole đồng, without decimals (example: 1.250.000)"
            ),
            Self::BadGrouping { input } => format!(
                "\"{input}\": thousands separators are misplaced (correct example: 1.250.000)"
            ),
            Self::TooLarge { input } => format!("\"{input}\": the amount is too large"),
            Self::BadDateFormat { input } => {
                format!("\"{input}\" is not a valid date; enter day/month/year, e.g. 05/03/2025")
            }
            Self::NoSuchDate { input } => format!("The date \"{input}\" does not exist"),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message_en())
    }
}

impl std::error::Error for ParseError {}

/// `1.250.000 ₫` (the [`Vnd`] `Display`, named for the UI).
pub fn format_vnd(v: Vnd) -> String {
    v.to_string()
}

/// Space-like thousands separators: space, no-break space, narrow no-break
/// space (what `Intl.NumberFormat` and some keyboards produce).
fn is_space_sep(c: char) -> bool {
    matches!(c, ' ' | '\u{00A0}' | '\u{202F}')
}

/// Parse an amount as officers type or paste it: `1.250.000`, `1250000`,
/// `1 250 000`, `1.250.000 ₫`, `1.250.000 đ`, `1.250.000 VND`, `-5.000.000`.
/// Thousands may be grouped with dots or spaces (not both), in groups of three.
/// A comma or a dot followed by other than three digits is a decimal and is
/// refused. Negative amounts are accepted; the caller decides sign rules.
pub fn parse_vnd(s: &str) -> Result<Vnd, ParseError> {
    let input = s.trim();
    if input.is_empty() {
        return Err(ParseError::Empty);
    }
    let owned = || input.to_string();
    // Currency suffix.
    let mut body = input;
    for suffix in ["₫", "đồng", "đ", "vnđ", "vnd", "VNĐ", "VND", "Đ"] {
        if let Some(rest) = body.strip_suffix(suffix) {
            body = rest.trim_end_matches(is_space_sep).trim_end();
            break;
        }
    }
    let (negative, digits) = match body.strip_prefix(['-', '\u{2212}']) {
        Some(rest) => (true, rest.trim_start()),
        None => (false, body.strip_prefix('+').unwrap_or(body)),
    };
    if digits.is_empty() {
        return Err(ParseError::NotANumber { input: owned() });
    }
    if digits.contains(',') {
        // In Vietnamese the comma is the decimal mark.
        return Err(ParseError::Decimal { input: owned() });
    }
    if !digits
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || is_space_sep(c))
    {
        return Err(ParseError::NotANumber { input: owned() });
    }
    let has_dot = digits.contains('.');
    let has_space = digits.chars().any(is_space_sep);
    if has_dot && has_space {
        return Err(ParseError::BadGrouping { input: owned() });
    }
    let groups: Vec<&str> = if has_dot {
        digits.split('.').collect()
    } else if has_space {
        digits.split(is_space_sep).collect()
    } else {
        vec![digits]
    };
    if groups.len() > 1 {
        let first = groups[0];
        let rest = &groups[1..];
        if first.is_empty() || rest.iter().any(|g| g.is_empty()) {
            return Err(ParseError::BadGrouping { input: owned() });
        }
        // "1.25" / "12.5": one short trailing group after a dot reads as a decimal.
        if has_dot && rest.len() == 1 && rest[0].len() != 3 {
            return Err(ParseError::Decimal { input: owned() });
        }
        if first.len() > 3 || rest.iter().any(|g| g.len() != 3) {
            return Err(ParseError::BadGrouping { input: owned() });
        }
    }
    let mut magnitude: i128 = 0;
    for g in &groups {
        for b in g.bytes() {
            magnitude = magnitude * 10 + i128::from(b - b'0');
            if magnitude > i128::from(i64::MAX) + 1 {
                return Err(ParseError::TooLarge { input: owned() });
            }
        }
    }
    let value = if negative { -magnitude } else { magnitude };
    i64::try_from(value)
        .map(Vnd)
        .map_err(|_| ParseError::TooLarge { input: owned() })
}

/// `05/03/2025`. Years outside 0–9999 are printed as they are (not re-parsable).
pub fn format_date_vn(d: NaiveDate) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), d.month(), d.year())
}

/// `n / d` rounded to one decimal, `sep` before the decimal (`12,3`). In
/// integers: the field app need not carry the float formatter for it.
pub fn one_decimal(n: u64, d: u64, sep: char) -> String {
    let d = d.max(1);
    let tenths = (n.saturating_mul(10) + d / 2) / d;
    format!("{}{sep}{}", tenths / 10, tenths % 10)
}

/// A GPS coordinate in micro-degrees as degrees with six decimals
/// (`10.012345`, `-0.000001`).
pub fn micro_degrees(m: i32) -> String {
    let sign = if m < 0 { "-" } else { "" };
    let a = m.unsigned_abs();
    format!("{sign}{}.{:06}", a / 1_000_000, a % 1_000_000)
}

/// `05/03/2025 14:07`, in Vietnam time whatever the offset of `t`.
pub fn format_datetime_vn(t: DateTime<FixedOffset>) -> String {
    let t = to_vn(&t);
    format!(
        "{} {:02}:{:02}",
        format_date_vn(t.date_naive()),
        t.hour(),
        t.minute()
    )
}

/// Parse `dd/mm/yyyy`, `d/m/yyyy` (also with `-` or `.` between the parts)
/// or ISO `yyyy-mm-dd`. The year must have four digits (no `5/3/25`).
pub fn parse_date_vn(s: &str) -> Result<NaiveDate, ParseError> {
    let input = s.trim();
    if input.is_empty() {
        return Err(ParseError::Empty);
    }
    let bad = || ParseError::BadDateFormat {
        input: input.to_string(),
    };
    let parts: Vec<&str> = input.split(['/', '-', '.']).map(str::trim).collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(bad());
    }
    let (y, m, d) = if parts[0].len() == 4 && input.contains('-') && !input.contains('/') {
        // ISO yyyy-mm-dd.
        (parts[0], parts[1], parts[2])
    } else {
        (parts[2], parts[1], parts[0])
    };
    if y.len() != 4 || m.len() > 2 || d.len() > 2 {
        return Err(bad());
    }
    let (y, m, d): (i32, u32, u32) = (
        y.parse().map_err(|_| bad())?,
        m.parse().map_err(|_| bad())?,
        d.parse().map_err(|_| bad())?,
    );
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| ParseError::NoSuchDate {
        input: input.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::VN_OFFSET;
    use chrono::{TimeZone, Utc};

    #[test]
    fn decimals_without_floats() {
        assert_eq!(one_decimal(12_595, 1024, '.'), "12.3");
        assert_eq!(one_decimal(1_572_864, 1_048_576, ','), "1,5");
        assert_eq!(one_decimal(0, 1024, '.'), "0.0");
        assert_eq!(micro_degrees(10_012_345), "10.012345");
        assert_eq!(micro_degrees(-1), "-0.000001");
        assert_eq!(micro_degrees(105_000_000), "105.000000");
        assert_eq!(micro_degrees(i32::MIN), "-2147.483648");
    }
    use proptest::prelude::*;

    #[test]
    fn vnd_formats_like_money_display() {
        assert_eq!(format_vnd(Vnd(1_250_000)), "1.250.000 ₫");
        assert_eq!(format_vnd(Vnd(-5_000_000)), "-5.000.000 ₫");
        assert_eq!(format_vnd(Vnd(0)), "0 ₫");
    }

    #[test]
    fn vnd_parses_what_officers_type() {
        for s in [
            "1.250.000",
            "1250000",
            "1 250 000",
            "1.250.000 ₫",
            "1.250.000₫",
            "1.250.000 đ",
            "1.250.000 VND",
            "  1\u{00A0}250\u{00A0}000 ",
            "+1.250.000",
        ] {
            assert_eq!(parse_vnd(s), Ok(Vnd(1_250_000)), "{s}");
        }
        assert_eq!(parse_vnd("-5.000.000"), Ok(Vnd(-5_000_000)));
        assert_eq!(parse_vnd("- 5.000.000 ₫"), Ok(Vnd(-5_000_000)));
        assert_eq!(parse_vnd("0"), Ok(Vnd(0)));
        assert_eq!(parse_vnd("1.250"), Ok(Vnd(1_250)));
        assert_eq!(parse_vnd("007"), Ok(Vnd(7)));
        assert_eq!(parse_vnd("-9.223.372.036.854.775.808"), Ok(Vnd(i64::MIN)));
        assert_eq!(parse_vnd(&format_vnd(Vnd(i64::MAX))), Ok(Vnd(i64::MAX)));
    }

    #[test]
    fn vnd_rejects_decimals_and_garbage() {
        let e = |s: &str| parse_vnd(s).unwrap_err();
        assert_eq!(e(""), ParseError::Empty);
        assert_eq!(e("   "), ParseError::Empty);
        assert!(matches!(e("1,5"), ParseError::Decimal { .. }));
        assert!(matches!(e("1.25"), ParseError::Decimal { .. }));
        assert!(matches!(e("1.250,50"), ParseError::Decimal { .. }));
        assert!(matches!(e("12.34.567"), ParseError::BadGrouping { .. }));
        assert!(matches!(e("1234.567"), ParseError::BadGrouping { .. }));
        assert!(matches!(e("1.250 000"), ParseError::BadGrouping { .. }));
        assert!(matches!(e(".250"), ParseError::BadGrouping { .. }));
        assert!(matches!(e("1..250"), ParseError::BadGrouping { .. }));
        assert!(matches!(e("abc"), ParseError::NotANumber { .. }));
        assert!(matches!(e("1.2e6"), ParseError::NotANumber { .. }));
        assert!(matches!(e("--5"), ParseError::NotANumber { .. }));
        assert!(matches!(e("-"), ParseError::NotANumber { .. }));
        assert!(matches!(e("₫"), ParseError::NotANumber { .. }));
        assert!(matches!(
            e("9.223.372.036.854.775.808"),
            ParseError::TooLarge { .. }
        ));
        assert!(matches!(e(&"9".repeat(60)), ParseError::TooLarge { .. }));
        let d = e("1,5");
        assert!(d.message_vi().contains("thập phân"), "{}", d.message_vi());
        assert!(d.message_en().contains("decimals"));
        assert_eq!(d.to_string(), d.message_en());
    }

    #[test]
    fn dates() {
        let d = NaiveDate::from_ymd_opt(2025, 3, 5).unwrap();
        assert_eq!(format_date_vn(d), "05/03/2025");
        for s in [
            "05/03/2025",
            "5/3/2025",
            "2025-03-05",
            "2025-3-5",
            " 05-03-2025 ",
            "5.3.2025",
        ] {
            assert_eq!(parse_date_vn(s), Ok(d), "{s}");
        }
        let e = |s: &str| parse_date_vn(s).unwrap_err();
        assert_eq!(e(""), ParseError::Empty);
        assert!(matches!(e("31/02/2025"), ParseError::NoSuchDate { .. }));
        assert!(matches!(e("2025-02-30"), ParseError::NoSuchDate { .. }));
        assert!(matches!(e("5/3/25"), ParseError::BadDateFormat { .. }));
        assert!(matches!(e("05/03"), ParseError::BadDateFormat { .. }));
        assert!(matches!(e("hôm nay"), ParseError::BadDateFormat { .. }));
        assert!(matches!(e("005/03/2025"), ParseError::BadDateFormat { .. }));
        assert!(matches!(e("2025/03/05"), ParseError::BadDateFormat { .. }));
        assert!(e("31/02/2025").message_vi().contains("không tồn tại"));
        assert!(e("x").message_vi().contains("ngày/tháng/năm"));
    }

    #[test]
    fn datetimes_in_vietnam_time() {
        let t = VN_OFFSET.with_ymd_and_hms(2025, 7, 1, 8, 5, 59).unwrap();
        assert_eq!(format_datetime_vn(t), "01/07/2025 08:05");
        // 17:30 UTC on 30 June is 00:30 on 1 July in Vietnam.
        let utc = Utc.with_ymd_and_hms(2025, 6, 30, 17, 30, 0).unwrap();
        assert_eq!(format_datetime_vn(utc.fixed_offset()), "01/07/2025 00:30");
    }

    proptest! {
        #[test]
        fn vnd_round_trips(v in any::<i64>()) {
            prop_assert_eq!(parse_vnd(&format_vnd(Vnd(v))), Ok(Vnd(v)));
            prop_assert_eq!(parse_vnd(&v.to_string()), Ok(Vnd(v)));
        }

        #[test]
        fn date_round_trips(days in 0i32..3_652_059) {
            // 0001-01-01 ..= 9999-12-31.
            let d = NaiveDate::from_num_days_from_ce_opt(days + 1).unwrap();
            prop_assert_eq!(parse_date_vn(&format_date_vn(d)), Ok(d));
            prop_assert_eq!(parse_date_vn(&d.format("%Y-%m-%d").to_string()), Ok(d));
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,30}|[0-9., ₫đ/-]{0,30}") {
            let _ = parse_vnd(&s);
            let _ = parse_date_vn(&s);
        }
    }
}
