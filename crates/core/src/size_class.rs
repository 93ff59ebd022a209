//! Cooperative size (quy mô HTX, Nghị định 113/2024/NĐ-CP) as data.
//!
//! A class is reached when official members ≥ the minimum AND (revenue ≥ its
//! minimum OR total capital ≥ its minimum); classes are tried from the largest
//! down and anything below the smallest is siêu nhỏ. Thresholds differ by
//! sector, so each table names the sectors it covers; the shipped file has
//! the agricultural table only.

use crate::money::Vnd;
use crate::organisation::{OrganisationKind, Sector};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub const ND_113_2024_JSON: &str = include_str!("../data/size-classes/nd-113-2024.v1.json");

/// Size class, ordered smallest to largest.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum SizeClass {
    /// Siêu nhỏ.
    Micro,
    /// Nhỏ.
    Small,
    /// Vừa.
    Medium,
    /// Lớn.
    Large,
}

impl SizeClass {
    pub fn label_vi(self) -> &'static str {
        match self {
            SizeClass::Micro => "Siêu nhỏ",
            SizeClass::Small => "Nhỏ",
            SizeClass::Medium => "Vừa",
            SizeClass::Large => "Lớn",
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct SizeThreshold {
    pub class: SizeClass,
    pub min_official_members: u32,
    pub min_revenue: Vnd,
    pub min_total_capital: Vnd,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct SizeTable {
    #[serde(default)]
    pub label: String,
    /// Empty = any kind.
    #[serde(default)]
    pub kinds: Vec<OrganisationKind>,
    /// Empty = any sector.
    #[serde(default)]
    pub sectors: Vec<Sector>,
    pub classes: Vec<SizeThreshold>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct SizeClassRules {
    pub id: String,
    pub version: u32,
    pub title_vi: String,
    #[serde(default)]
    pub title_en: String,
    pub legal_basis: String,
    pub valid_from: NaiveDate,
    #[serde(default)]
    pub valid_until: Option<NaiveDate>,
    #[serde(default)]
    pub note: Option<String>,
    pub tables: Vec<SizeTable>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizeRulesError {
    #[error("size rules JSON: {0}")]
    Json(String),
    #[error("table {0}: classes must be distinct, larger first, with non-increasing thresholds, and not include siêu nhỏ")]
    Order(usize),
    #[error("rules id is empty or version is 0")]
    MissingIdentity,
}

impl SizeClassRules {
    pub fn from_json(json: &str) -> Result<SizeClassRules, SizeRulesError> {
        let r: SizeClassRules =
            serde_json::from_str(json).map_err(|e| SizeRulesError::Json(e.to_string()))?;
        r.check()?;
        Ok(r)
    }
    /// The shipped rules (Nghị định 113/2024/NĐ-CP, agriculture).
    pub fn nd_113_2024() -> SizeClassRules {
        SizeClassRules::from_json(ND_113_2024_JSON).expect("embedded size rules are valid")
    }
    pub fn check(&self) -> Result<(), SizeRulesError> {
        if self.id.trim().is_empty() || self.version == 0 {
            return Err(SizeRulesError::MissingIdentity);
        }
        for (i, t) in self.tables.iter().enumerate() {
            let ok = t.classes.iter().all(|c| c.class != SizeClass::Micro)
                && t.classes.windows(2).all(|w| {
                    w[0].class > w[1].class
                        && w[0].min_official_members >= w[1].min_official_members
                        && w[0].min_revenue >= w[1].min_revenue
                        && w[0].min_total_capital >= w[1].min_total_capital
                });
            if !ok {
                return Err(SizeRulesError::Order(i));
            }
        }
        Ok(())
    }
    /// The table for this organisation, if any.
    pub fn table_for(&self, kind: OrganisationKind, sector: Sector) -> Option<&SizeTable> {
        self.tables.iter().find(|t| {
            (t.kinds.is_empty() || t.kinds.contains(&kind))
                && (t.sectors.is_empty() || t.sectors.contains(&sector))
        })
    }
    /// Classify; `None` when no table covers this kind and sector.
    pub fn classify(
        &self,
        kind: OrganisationKind,
        sector: Sector,
        official_members: u32,
        revenue: Vnd,
        total_capital: Vnd,
    ) -> Option<SizeClass> {
        let t = self.table_for(kind, sector)?;
        Some(
            t.classes
                .iter()
                .find(|c| {
                    official_members >= c.min_official_members
                        && (revenue >= c.min_revenue || total_capital >= c.min_total_capital)
                })
                .map(|c| c.class)
                .unwrap_or(SizeClass::Micro),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(m: u32, rev_bn: i64, cap_bn: i64) -> Option<SizeClass> {
        SizeClassRules::nd_113_2024().classify(
            OrganisationKind::Cooperative,
            Sector::Crops,
            m,
            Vnd::billion(rev_bn),
            Vnd::billion(cap_bn),
        )
    }

    #[test]
    fn agricultural_thresholds() {
        assert_eq!(c(300, 50, 0), Some(SizeClass::Large));
        assert_eq!(c(300, 0, 10), Some(SizeClass::Large));
        assert_eq!(c(299, 50, 10), Some(SizeClass::Medium));
        assert_eq!(c(300, 49, 9), Some(SizeClass::Medium));
        assert_eq!(c(200, 10, 0), Some(SizeClass::Medium));
        assert_eq!(c(200, 9, 4), Some(SizeClass::Small));
        assert_eq!(c(50, 2, 0), Some(SizeClass::Small));
        assert_eq!(c(50, 0, 1), Some(SizeClass::Small));
        assert_eq!(c(49, 100, 100), Some(SizeClass::Micro));
        assert_eq!(c(1000, 1, 0), Some(SizeClass::Micro));
    }

    #[test]
    fn other_sectors_have_no_table_yet() {
        let r = SizeClassRules::nd_113_2024();
        assert_eq!(
            r.classify(
                OrganisationKind::Cooperative,
                Sector::Transport,
                500,
                Vnd::billion(99),
                Vnd(0)
            ),
            None
        );
    }

    #[test]
    fn bad_order_is_refused() {
        let mut r = SizeClassRules::nd_113_2024();
        r.tables[0].classes.swap(0, 1);
        assert_eq!(r.check(), Err(SizeRulesError::Order(0)));
    }
}
