//! Money as whole Vietnamese đồng. VND has no minor unit in practice, so an
//! `i64` of đồng is exact; floats are never used for money.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount in VND (đồng). Signed because pre-tax profit may be negative;
/// fields that may not be negative are checked in [`crate::validation`].
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default,
)]
#[serde(transparent)]
pub struct Vnd(pub i64);

impl Vnd {
    pub const ZERO: Vnd = Vnd(0);
    /// One million đồng (triệu đồng).
    pub const MILLION: i64 = 1_000_000;
    /// One billion đồng (tỷ đồng), the unit the regulations use.
    pub const BILLION: i64 = 1_000_000_000;

    pub const fn dong(v: i64) -> Vnd {
        Vnd(v)
    }
    /// `n` tỷ đồng.
    pub const fn billion(n: i64) -> Vnd {
        Vnd(n * Self::BILLION)
    }
    /// `n` triệu đồng.
    pub const fn million(n: i64) -> Vnd {
        Vnd(n * Self::MILLION)
    }
    pub const fn get(self) -> i64 {
        self.0
    }
    pub fn checked_add(self, o: Vnd) -> Option<Vnd> {
        self.0.checked_add(o.0).map(Vnd)
    }
}

/// Digits grouped the Vietnamese way: `-1.250.000`.
pub fn group_thousands(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if v < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// Vietnamese grouping: `1.250.000 ₫`.
impl fmt::Display for Vnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ₫", group_thousands(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_groups_thousands() {
        assert_eq!(Vnd(0).to_string(), "0 ₫");
        assert_eq!(Vnd(1_250_000).to_string(), "1.250.000 ₫");
        assert_eq!(Vnd(-999).to_string(), "-999 ₫");
        assert_eq!(Vnd::billion(50).to_string(), "50.000.000.000 ₫");
    }

    #[test]
    fn serde_is_a_plain_integer() {
        assert_eq!(serde_json::to_string(&Vnd(-5)).unwrap(), "-5");
        assert_eq!(serde_json::from_str::<Vnd>("120").unwrap(), Vnd(120));
        assert!(serde_json::from_str::<Vnd>("1.5").is_err());
    }
}
