//! Rubric points as integer hundredths ("centi-points").
//!
//! Officers enter points such as 2.5 or 49.99 and grade bands have edges like
//! 64.99 vs 65, so summing `f64`s could drift across an edge. Points are stored
//! as `u32` hundredths and summed exactly. In JSON they appear as ordinary
//! decimal numbers with at most two decimals (`7`, `2.5`, `49.99`), so rubric
//! files stay readable; a third decimal is an error, not a rounding.

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Points(u32);

impl Points {
    pub const ZERO: Points = Points(0);

    /// From hundredths of a point: `Points::from_centi(4999)` is 49.99.
    pub const fn from_centi(c: u32) -> Points {
        Points(c)
    }
    /// Whole points.
    pub const fn whole(p: u32) -> Points {
        Points(p * 100)
    }
    pub const fn centi(self) -> u32 {
        self.0
    }
    pub fn checked_add(self, o: Points) -> Option<Points> {
        self.0.checked_add(o.0).map(Points)
    }
    /// Parse "49.99", "50", "2.5" exactly (no float involved).
    pub fn parse(s: &str) -> Result<Points, PointsError> {
        let s = s.trim();
        let (int, frac) = match s.split_once(['.', ',']) {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PointsError::Invalid(s.to_string()));
        }
        if frac.len() > 2 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PointsError::TooPrecise(s.to_string()));
        }
        let whole: u32 = int
            .parse()
            .map_err(|_| PointsError::Invalid(s.to_string()))?;
        let mut cents: u32 = if frac.is_empty() {
            0
        } else {
            frac.parse()
                .map_err(|_| PointsError::Invalid(s.to_string()))?
        };
        if frac.len() == 1 {
            cents *= 10;
        }
        whole
            .checked_mul(100)
            .and_then(|w| w.checked_add(cents))
            .map(Points)
            .ok_or_else(|| PointsError::Invalid(s.to_string()))
    }
    /// From a float as a UI might hold it; refuses more than two decimals.
    pub fn from_f64(v: f64) -> Result<Points, PointsError> {
        if !v.is_finite() || v < 0.0 || v > (u32::MAX / 100) as f64 {
            return Err(PointsError::Invalid(float_text(v)));
        }
        let scaled = v * 100.0;
        let rounded = scaled.round();
        // Tolerance only absorbs binary representation error (49.99*100 = 4998.999...).
        if (scaled - rounded).abs() > 1e-6 {
            return Err(PointsError::TooPrecise(float_text(v)));
        }
        Ok(Points(rounded as u32))
    }
    /// For display only; never sum these.
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

/// `v` as JSON writes it, for an error message: through serde_json's float
/// writer, which every build carries, not std's, which only this needed in
/// the field app.
fn float_text(v: f64) -> String {
    match serde_json::Number::from_f64(v) {
        Some(n) => n.to_string(),
        None if v.is_nan() => "NaN".into(),
        None if v > 0.0 => "inf".into(),
        None => "-inf".into(),
    }
}

impl std::iter::Sum for Points {
    /// Saturating so a hostile sheet cannot overflow; any sum this large is
    /// far above every maximum and is reported as an error anyway.
    fn sum<I: Iterator<Item = Points>>(iter: I) -> Points {
        Points(iter.fold(0u32, |a, p| a.saturating_add(p.0)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointsError {
    #[error("not a valid point value: {0}")]
    Invalid(String),
    #[error("points have at most two decimals: {0}")]
    TooPrecise(String),
}

impl fmt::Display for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (w, c) = (self.0 / 100, self.0 % 100);
        if c == 0 {
            write!(f, "{w}")
        } else if c % 10 == 0 {
            write!(f, "{w}.{}", c / 10)
        } else {
            write!(f, "{w}.{c:02}")
        }
    }
}

impl Serialize for Points {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Whole numbers as integers; otherwise the shortest float that parses
        // back to the same hundredths (ryu output is identical on every target).
        if self.0.is_multiple_of(100) {
            s.serialize_u32(self.0 / 100)
        } else {
            s.serialize_f64(self.as_f64())
        }
    }
}

impl<'de> Deserialize<'de> for Points {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Points, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Points;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a non-negative number of points with at most two decimals")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Points, E> {
                u32::try_from(v)
                    .ok()
                    .and_then(|v| v.checked_mul(100))
                    .map(Points)
                    .ok_or_else(|| E::custom("points out of range"))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Points, E> {
                if v < 0 {
                    return Err(E::custom("points may not be negative"));
                }
                self.visit_u64(v as u64)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Points, E> {
                Points::from_f64(v).map_err(E::custom)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Points, E> {
                Points::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display() {
        assert_eq!(Points::parse("49.99").unwrap(), Points::from_centi(4999));
        assert_eq!(Points::parse("2.5").unwrap(), Points::from_centi(250));
        assert_eq!(Points::parse("7").unwrap(), Points::whole(7));
        assert_eq!(Points::parse("64,99").unwrap(), Points::from_centi(6499));
        assert!(Points::parse("1.234").is_err());
        assert!(Points::parse("-1").is_err());
        assert!(Points::parse("").is_err());
        assert_eq!(Points::from_centi(4999).to_string(), "49.99");
        assert_eq!(Points::from_centi(250).to_string(), "2.5");
        assert_eq!(Points::from_centi(205).to_string(), "2.05");
    }

    #[test]
    fn json_numbers() {
        let p: Points = serde_json::from_str("49.99").unwrap();
        assert_eq!(p.centi(), 4999);
        assert_eq!(serde_json::to_string(&p).unwrap(), "49.99");
        assert_eq!(serde_json::to_string(&Points::whole(80)).unwrap(), "80");
        let too_precise = serde_json::from_str::<Points>("0.001").unwrap_err();
        assert!(too_precise.to_string().contains("0.001"), "{too_precise}");
        assert_eq!(
            Points::from_f64(12.345),
            Err(PointsError::TooPrecise("12.345".into()))
        );
        assert_eq!(
            Points::from_f64(f64::NAN),
            Err(PointsError::Invalid("NaN".into()))
        );
        assert_eq!(
            Points::from_f64(-0.5),
            Err(PointsError::Invalid("-0.5".into()))
        );
        assert!(serde_json::from_str::<Points>("-2").is_err());
        assert_eq!(
            serde_json::from_str::<Points>("\"64.99\"").unwrap().centi(),
            6499
        );
    }

    #[test]
    fn every_centi_value_round_trips_through_json() {
        for c in (0..=100_000u32).step_by(1) {
            let p = Points::from_centi(c);
            let s = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<Points>(&s).unwrap(), p, "{s}");
        }
    }
}
