//! Classification rubrics (bộ tiêu chí đánh giá, xếp loại) as versioned data.
//!
//! A rubric is a JSON document (see `data/rubrics/`); the shipped default is
//! Thông tư 01/2020/TT-BKHĐT. New rubrics are added at run time with
//! [`Rubric::from_json`] + [`RubricRegistry::add`], no code change. A visit
//! stores `(rubric_id, rubric_version)`, so an old score keeps its meaning.

use crate::organisation::{OrganisationKind, Sector};
use crate::points::Points;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub const TT_01_2020_JSON: &str = include_str!("../data/rubrics/tt-01-2020-tt-bkhdt.v1.json");
/// Id of the default rubric.
pub const DEFAULT_RUBRIC_ID: &str = "tt-01-2020-tt-bkhdt";

/// Grade (xếp loại). Ordered worst to best, so `Weak < Good`. The four bands
/// are common to every known rubric (TT 01/2020, TT 09/2017); their point
/// edges are data.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    /// Yếu.
    Weak,
    /// Trung bình.
    Average,
    /// Khá.
    Fair,
    /// Tốt.
    Good,
}

impl Grade {
    /// Best first, as reports list them.
    pub const ALL: [Grade; 4] = [Grade::Good, Grade::Fair, Grade::Average, Grade::Weak];

    pub fn label_vi(self) -> &'static str {
        match self {
            Grade::Good => "Tốt",
            Grade::Fair => "Khá",
            Grade::Average => "Trung bình",
            Grade::Weak => "Yếu",
        }
    }
    pub fn label_en(self) -> &'static str {
        match self {
            Grade::Good => "Good",
            Grade::Fair => "Fair",
            Grade::Average => "Average",
            Grade::Weak => "Weak",
        }
    }
    /// Tốt or khá: what the plan counts as "rated good or fair".
    pub fn is_good_or_fair(self) -> bool {
        self >= Grade::Fair
    }
}

/// Points from `min_points` (inclusive) up to the next higher band's minimum
/// (exclusive); the highest band runs to the rubric maximum.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct GradeBand {
    pub grade: Grade,
    pub min_points: Points,
}

/// Why an organisation is excluded or has its grade forced. Read through
/// [`ExclusionRuleWire`], as `sync::RecordOutcome` is: serde's reader of an
/// internally tagged enum buffers every object whole first, and that
/// machinery weighed on the field app's download for this one type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(
    tag = "rule",
    rename_all = "snake_case",
    try_from = "ExclusionRuleWire"
)]
pub enum ExclusionRule {
    /// Not rated if founded less than `months` before the assessment date.
    FoundedWithinMonths { months: u32 },
    /// Not rated if halted more than `months` in the assessed year.
    /// Months are converted at 365/12 days (3 months: more than 91.25 days).
    HaltedOverMonths { months: u32 },
    /// An administrative penalty in the year forces at most `grade`
    /// (agricultural HTX: yếu, Thông tư 09/2017/TT-BNNPTNT).
    AdministrativePenalty {
        #[serde(default)]
        agricultural_only: bool,
        grade: Grade,
    },
}

/// An [`ExclusionRule`] as written: `rule` names the variant, the other
/// fields are its own (those of other variants are ignored, as before).
#[derive(Deserialize)]
struct ExclusionRuleWire {
    rule: RuleName,
    months: Option<u32>,
    #[serde(default)]
    agricultural_only: bool,
    grade: Option<Grade>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum RuleName {
    FoundedWithinMonths,
    HaltedOverMonths,
    AdministrativePenalty,
}

impl TryFrom<ExclusionRuleWire> for ExclusionRule {
    type Error = &'static str;

    fn try_from(w: ExclusionRuleWire) -> Result<Self, Self::Error> {
        let months = w.months.ok_or("missing field `months`");
        Ok(match w.rule {
            RuleName::FoundedWithinMonths => ExclusionRule::FoundedWithinMonths { months: months? },
            RuleName::HaltedOverMonths => ExclusionRule::HaltedOverMonths { months: months? },
            RuleName::AdministrativePenalty => ExclusionRule::AdministrativePenalty {
                agricultural_only: w.agricultural_only,
                grade: w.grade.ok_or("missing field `grade`")?,
            },
        })
    }
}

/// A scored line under a criterion (tiêu chí thành phần).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct SubItem {
    pub code: String,
    pub title_vi: String,
    #[serde(default)]
    pub title_en: String,
    pub max_points: Points,
}

/// A criterion (tiêu chí). If it has no sub-items, points are entered for the
/// criterion itself; otherwise for each sub-item.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Criterion {
    pub code: String,
    pub title_vi: String,
    #[serde(default)]
    pub title_en: String,
    pub max_points: Points,
    #[serde(default)]
    pub provisional: bool,
    #[serde(default)]
    pub sub_items: Vec<SubItem>,
}

impl Criterion {
    /// The codes points are entered under, with their maxima.
    pub fn scored_items(&self) -> Vec<(&str, Points)> {
        if self.sub_items.is_empty() {
            vec![(self.code.as_str(), self.max_points)]
        } else {
            self.sub_items
                .iter()
                .map(|s| (s.code.as_str(), s.max_points))
                .collect()
        }
    }
}

/// A group of criteria (nhóm tiêu chí).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct CriteriaGroup {
    pub code: String,
    pub title_vi: String,
    #[serde(default)]
    pub title_en: String,
    pub max_points: Points,
    /// Points within the group are not from a primary source.
    #[serde(default)]
    pub provisional: bool,
    #[serde(default)]
    pub provisional_note: Option<String>,
    pub criteria: Vec<Criterion>,
}

/// Which organisations a rubric is for. Empty lists mean "any".
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct RubricScope {
    #[serde(default)]
    pub kinds: Vec<OrganisationKind>,
    #[serde(default)]
    pub sectors: Vec<Sector>,
}

impl RubricScope {
    pub fn covers(&self, kind: OrganisationKind, sector: Sector) -> bool {
        (self.kinds.is_empty() || self.kinds.contains(&kind))
            && (self.sectors.is_empty() || self.sectors.contains(&sector))
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Rubric {
    pub id: String,
    pub version: u32,
    pub title_vi: String,
    #[serde(default)]
    pub title_en: String,
    /// Văn bản pháp lý.
    pub legal_basis: String,
    pub valid_from: NaiveDate,
    #[serde(default)]
    pub valid_until: Option<NaiveDate>,
    #[serde(default)]
    pub applies_to: RubricScope,
    #[serde(default)]
    pub note: Option<String>,
    pub max_points: Points,
    pub groups: Vec<CriteriaGroup>,
    pub grade_bands: Vec<GradeBand>,
    #[serde(default)]
    pub exclusions: Vec<ExclusionRule>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RubricError {
    #[error("rubric JSON: {0}")]
    Json(String),
    #[error("rubric id is empty or version is 0")]
    MissingIdentity,
    #[error("duplicate code {0}")]
    DuplicateCode(String),
    #[error("{code}: maximum {declared} but parts add up to {sum}")]
    MaxMismatch {
        code: String,
        declared: Points,
        sum: Points,
    },
    #[error("{0}: maximum must be above zero")]
    ZeroMax(String),
    #[error("grade bands: {0}")]
    Bands(String),
    #[error("exclusion rule: {0}")]
    Exclusion(String),
    #[error("valid_until is before valid_from")]
    ValidityRange,
    #[error("rubric {id} v{version} already registered with different content")]
    Conflict { id: String, version: u32 },
}

impl Rubric {
    /// Parse and check a rubric document (administrator upload, pulled data).
    pub fn from_json(json: &str) -> Result<Rubric, RubricError> {
        let r: Rubric = serde_json::from_str(json).map_err(|e| RubricError::Json(e.to_string()))?;
        r.check()?;
        Ok(r)
    }

    /// The shipped default, Thông tư 01/2020/TT-BKHĐT (group III provisional).
    pub fn tt_01_2020() -> Rubric {
        Rubric::from_json(TT_01_2020_JSON).expect("embedded rubric is valid")
    }

    /// Structural checks: unique codes, maxima add up, bands cover 0..=max.
    pub fn check(&self) -> Result<(), RubricError> {
        if self.id.trim().is_empty() || self.version == 0 {
            return Err(RubricError::MissingIdentity);
        }
        if let Some(u) = self.valid_until {
            if u < self.valid_from {
                return Err(RubricError::ValidityRange);
            }
        }
        let mut codes = BTreeSet::new();
        let mut dup = |c: &str| -> Result<(), RubricError> {
            if c.trim().is_empty() || !codes.insert(c.to_string()) {
                Err(RubricError::DuplicateCode(c.to_string()))
            } else {
                Ok(())
            }
        };
        let mut total = Points::ZERO;
        for g in &self.groups {
            dup(&g.code)?;
            let mut gsum = Points::ZERO;
            for c in &g.criteria {
                dup(&c.code)?;
                if c.max_points == Points::ZERO {
                    return Err(RubricError::ZeroMax(c.code.clone()));
                }
                if !c.sub_items.is_empty() {
                    let mut s = Points::ZERO;
                    for si in &c.sub_items {
                        dup(&si.code)?;
                        if si.max_points == Points::ZERO {
                            return Err(RubricError::ZeroMax(si.code.clone()));
                        }
                        s = add(s, si.max_points, &c.code)?;
                    }
                    if s != c.max_points {
                        return Err(RubricError::MaxMismatch {
                            code: c.code.clone(),
                            declared: c.max_points,
                            sum: s,
                        });
                    }
                }
                gsum = add(gsum, c.max_points, &g.code)?;
            }
            if gsum != g.max_points {
                return Err(RubricError::MaxMismatch {
                    code: g.code.clone(),
                    declared: g.max_points,
                    sum: gsum,
                });
            }
            total = add(total, g.max_points, &self.id)?;
        }
        if total != self.max_points || total == Points::ZERO {
            return Err(RubricError::MaxMismatch {
                code: self.id.clone(),
                declared: self.max_points,
                sum: total,
            });
        }
        self.check_bands()?;
        for e in &self.exclusions {
            match e {
                ExclusionRule::FoundedWithinMonths { months }
                | ExclusionRule::HaltedOverMonths { months }
                    if *months == 0 || *months > 120 =>
                {
                    return Err(RubricError::Exclusion(format!(
                        "months must be 1..=120, got {months}"
                    )));
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn check_bands(&self) -> Result<(), RubricError> {
        if self.grade_bands.is_empty() {
            return Err(RubricError::Bands("no bands".into()));
        }
        let mut grades = BTreeSet::new();
        let mut mins = BTreeSet::new();
        for b in &self.grade_bands {
            if !grades.insert(b.grade) {
                return Err(RubricError::Bands(format!("grade {:?} twice", b.grade)));
            }
            if !mins.insert(b.min_points) {
                return Err(RubricError::Bands(format!(
                    "two bands start at {}",
                    b.min_points
                )));
            }
            if b.min_points > self.max_points {
                return Err(RubricError::Bands(format!(
                    "band starts at {} above the maximum",
                    b.min_points
                )));
            }
        }
        if !mins.contains(&Points::ZERO) {
            return Err(RubricError::Bands("no band starts at 0".into()));
        }
        // Monotone: a higher band must be a better grade.
        let mut sorted: Vec<&GradeBand> = self.grade_bands.iter().collect();
        sorted.sort_by_key(|b| b.min_points);
        if sorted.windows(2).any(|w| w[0].grade >= w[1].grade) {
            return Err(RubricError::Bands(
                "higher points must give a better grade".into(),
            ));
        }
        Ok(())
    }

    /// The grade a total falls in (bands are checked to start at 0).
    pub fn grade_for(&self, total: Points) -> Grade {
        self.grade_bands
            .iter()
            .filter(|b| b.min_points <= total)
            .max_by_key(|b| b.min_points)
            .map(|b| b.grade)
            .unwrap_or(Grade::Weak)
    }

    /// Every code points are entered under, with its maximum, in rubric order.
    pub fn scored_items(&self) -> Vec<(&str, Points)> {
        self.groups
            .iter()
            .flat_map(|g| &g.criteria)
            .flat_map(|c| c.scored_items())
            .collect()
    }

    /// Valid on a date and meant for this kind of organisation.
    pub fn applies(&self, kind: OrganisationKind, sector: Sector, on: NaiveDate) -> bool {
        self.valid_from <= on
            && self.valid_until.is_none_or(|u| on <= u)
            && self.applies_to.covers(kind, sector)
    }
}

fn add(a: Points, b: Points, code: &str) -> Result<Points, RubricError> {
    a.checked_add(b)
        .ok_or_else(|| RubricError::ZeroMax(code.to_string()))
}

/// Rubrics known to a device or server, keyed by (id, version).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RubricRegistry {
    rubrics: BTreeMap<(String, u32), Rubric>,
}

impl RubricRegistry {
    pub fn new() -> RubricRegistry {
        RubricRegistry::default()
    }
    /// The shipped rubrics.
    pub fn builtin() -> RubricRegistry {
        let mut r = RubricRegistry::new();
        r.add(Rubric::tt_01_2020())
            .expect("builtin rubrics are consistent");
        r
    }
    /// Add a checked rubric. Re-adding identical content is a no-op; the same
    /// id and version with other content is refused (scores would change meaning).
    pub fn add(&mut self, rubric: Rubric) -> Result<(), RubricError> {
        rubric.check()?;
        let key = (rubric.id.clone(), rubric.version);
        match self.rubrics.get(&key) {
            Some(existing) if *existing == rubric => Ok(()),
            Some(_) => Err(RubricError::Conflict {
                id: rubric.id,
                version: rubric.version,
            }),
            None => {
                self.rubrics.insert(key, rubric);
                Ok(())
            }
        }
    }
    pub fn add_json(&mut self, json: &str) -> Result<(), RubricError> {
        self.add(Rubric::from_json(json)?)
    }
    pub fn get(&self, id: &str, version: u32) -> Option<&Rubric> {
        self.rubrics.get(&(id.to_string(), version))
    }
    pub fn iter(&self) -> impl Iterator<Item = &Rubric> {
        self.rubrics.values()
    }
    /// The rubric to use for an organisation on a date: among those that
    /// apply, prefer a sector-specific one, then the latest `valid_from`,
    /// then the highest version.
    pub fn select(&self, kind: OrganisationKind, sector: Sector, on: NaiveDate) -> Option<&Rubric> {
        self.rubrics
            .values()
            .filter(|r| r.applies(kind, sector, on))
            .max_by_key(|r| (!r.applies_to.sectors.is_empty(), r.valid_from, r.version))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_rubric_shape() {
        let r = Rubric::tt_01_2020();
        assert_eq!(r.max_points, Points::whole(100));
        let crit: usize = r.groups.iter().map(|g| g.criteria.len()).sum();
        assert_eq!(crit, 15);
        let maxes: Vec<_> = r.groups.iter().map(|g| g.max_points).collect();
        assert_eq!(
            maxes,
            vec![Points::whole(30), Points::whole(30), Points::whole(40)]
        );
        let g3 = &r.groups[2];
        assert!(g3.provisional && g3.provisional_note.is_some());
        assert!(g3.criteria.iter().all(|c| c.provisional));
        assert!(r.groups[..2].iter().all(|g| !g.provisional));
        assert_eq!(r.exclusions.len(), 3);
    }

    #[test]
    fn registry_select_and_conflict() {
        let mut reg = RubricRegistry::builtin();
        let d = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        assert_eq!(
            reg.select(OrganisationKind::Cooperative, Sector::Crops, d)
                .unwrap()
                .id,
            DEFAULT_RUBRIC_ID
        );
        assert!(reg
            .select(OrganisationKind::CooperativeGroup, Sector::Crops, d)
            .is_none());
        assert!(reg
            .select(
                OrganisationKind::Cooperative,
                Sector::Crops,
                NaiveDate::from_ymd_opt(2019, 1, 1).unwrap()
            )
            .is_none());

        // An administrator adds a sector-specific rubric without code changes.
        let mut agri = Rubric::tt_01_2020();
        agri.id = "agri-test".into();
        agri.applies_to.sectors = vec![Sector::Crops];
        reg.add_json(&serde_json::to_string(&agri).unwrap())
            .unwrap();
        assert_eq!(
            reg.select(OrganisationKind::Cooperative, Sector::Crops, d)
                .unwrap()
                .id,
            "agri-test"
        );
        assert_eq!(
            reg.select(OrganisationKind::Cooperative, Sector::Transport, d)
                .unwrap()
                .id,
            DEFAULT_RUBRIC_ID
        );

        // Same id+version, other content: refused.
        let mut changed = Rubric::tt_01_2020();
        changed.title_vi = "khác".into();
        assert!(matches!(
            reg.add(changed),
            Err(RubricError::Conflict { .. })
        ));
        // Identical: fine.
        reg.add(Rubric::tt_01_2020()).unwrap();
    }

    #[test]
    fn structural_errors_are_caught() {
        let base = Rubric::tt_01_2020();

        let mut r = base.clone();
        r.groups[0].criteria[0].sub_items[0].max_points = Points::whole(5);
        assert!(matches!(r.check(), Err(RubricError::MaxMismatch { .. })));

        let mut r = base.clone();
        r.groups[1].criteria[0].code = "TC1".into();
        assert!(matches!(r.check(), Err(RubricError::DuplicateCode(_))));

        let mut r = base.clone();
        r.grade_bands.retain(|b| b.grade != Grade::Weak);
        assert!(matches!(r.check(), Err(RubricError::Bands(_))));

        let mut r = base.clone();
        r.grade_bands[0].grade = Grade::Weak;
        assert!(matches!(r.check(), Err(RubricError::Bands(_))));

        let mut r = base.clone();
        r.exclusions
            .push(ExclusionRule::HaltedOverMonths { months: 0 });
        assert!(matches!(r.check(), Err(RubricError::Exclusion(_))));

        let mut r = base;
        r.version = 0;
        assert!(matches!(r.check(), Err(RubricError::MissingIdentity)));

        assert!(matches!(Rubric::from_json("{"), Err(RubricError::Json(_))));
    }

    /// Every rule reads back as written; a rule missing its own field, or of
    /// an unknown name, is refused; another rule's field is ignored.
    #[test]
    fn exclusion_rules_read_as_written() {
        let rules = vec![
            ExclusionRule::FoundedWithinMonths { months: 12 },
            ExclusionRule::HaltedOverMonths { months: 3 },
            ExclusionRule::AdministrativePenalty {
                agricultural_only: true,
                grade: Grade::Weak,
            },
            ExclusionRule::AdministrativePenalty {
                agricultural_only: false,
                grade: Grade::Average,
            },
        ];
        let json = serde_json::to_string(&rules).unwrap();
        assert!(json.contains(r#"{"rule":"founded_within_months","months":12}"#));
        let back: Vec<ExclusionRule> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, rules);

        let read = |s: &str| serde_json::from_str::<ExclusionRule>(s);
        assert_eq!(
            read(r#"{"rule":"administrative_penalty","grade":"fair"}"#).unwrap(),
            ExclusionRule::AdministrativePenalty {
                agricultural_only: false,
                grade: Grade::Fair,
            }
        );
        assert_eq!(
            read(r#"{"months":6,"grade":"good","rule":"halted_over_months"}"#).unwrap(),
            ExclusionRule::HaltedOverMonths { months: 6 }
        );
        let missing = read(r#"{"rule":"founded_within_months"}"#).unwrap_err();
        assert!(missing.to_string().contains("months"), "{missing}");
        assert!(read(r#"{"rule":"administrative_penalty"}"#).is_err());
        assert!(read(r#"{"rule":"halted_over","months":3}"#).is_err());
        assert!(read(r#"{"months":3}"#).is_err());
        assert!(read(r#"{"rule":"halted_over_months","months":-1}"#).is_err());
    }
}
