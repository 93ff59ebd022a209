//! Scoring a sheet against a rubric: totals, subtotals, grade or "not rated".

use crate::points::Points;
use crate::rubric::{ExclusionRule, Grade, Rubric};
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Facts the exclusion rules need. They are copied into the sheet (from the
/// organisation and the visit) so a stored sheet scores the same forever.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct RatingFacts {
    /// Reference date for "founded less than N months ago"; defaults to
    /// 31 December of the sheet's year.
    #[serde(default)]
    pub assessed_on: Option<NaiveDate>,
    #[serde(default)]
    pub founded_on: Option<NaiveDate>,
    /// Days halted (tạm ngừng hoạt động) in the assessed year.
    #[serde(default)]
    pub halted_days_in_year: u16,
    /// Bị xử phạt vi phạm hành chính trong năm.
    #[serde(default)]
    pub administrative_penalty_in_year: bool,
    /// The organisation is in an agricultural sector.
    #[serde(default)]
    pub agricultural: bool,
}

/// Points entered per scored item (sub-item code, or criterion code when it
/// has no sub-items), for one year, under one rubric version.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ScoreSheet {
    pub rubric_id: String,
    pub rubric_version: u32,
    /// The assessed year (năm đánh giá).
    pub year: i32,
    #[serde(default)]
    pub facts: RatingFacts,
    /// BTreeMap: ordered, so serialisation (and the sync hash) is canonical.
    #[serde(default)]
    pub points: BTreeMap<String, Points>,
}

impl ScoreSheet {
    pub fn new(rubric: &Rubric, year: i32) -> ScoreSheet {
        ScoreSheet {
            rubric_id: rubric.id.clone(),
            rubric_version: rubric.version,
            year,
            facts: RatingFacts::default(),
            points: BTreeMap::new(),
        }
    }
    pub fn set(&mut self, code: impl Into<String>, p: Points) -> &mut Self {
        self.points.insert(code.into(), p);
        self
    }
    pub fn assessed_on(&self) -> Option<NaiveDate> {
        self.facts
            .assessed_on
            .or_else(|| NaiveDate::from_ymd_opt(self.year, 12, 31))
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Subtotal {
    pub code: String,
    pub points: Points,
    pub max_points: Points,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct GroupSubtotal {
    pub code: String,
    pub points: Points,
    pub max_points: Points,
    pub criteria: Vec<Subtotal>,
}

/// Why no grade is given.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum NotRatedReason {
    /// Thành lập chưa đủ N tháng.
    FoundedTooRecently {
        founded_on: NaiveDate,
        months_required: u32,
    },
    /// Ngừng hoạt động quá N tháng trong năm.
    HaltedTooLong { halted_days: u16, months_limit: u32 },
}

impl NotRatedReason {
    pub fn message_vi(&self) -> String {
        match self {
            Self::FoundedTooRecently {
                founded_on,
                months_required,
            } => format!(
                "Không xếp loại: thành lập ngày {} chưa đủ {months_required} tháng",
                crate::format::format_date_vn(*founded_on)
            ),
            Self::HaltedTooLong {
                halted_days,
                months_limit,
            } => {
                format!("Không xếp loại: ngừng hoạt động {halted_days} ngày, quá {months_limit} tháng trong năm")
            }
        }
    }
    pub fn message_en(&self) -> String {
        match self {
            Self::FoundedTooRecently {
                founded_on,
                months_required,
            } => {
                format!("Not rated: founded on {founded_on}, less than {months_required} months before assessment")
            }
            Self::HaltedTooLong {
                halted_days,
                months_limit,
            } => {
                format!("Not rated: halted {halted_days} days, more than {months_limit} months in the year")
            }
        }
    }
}

/// Why a grade was lowered by a rule.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum ForcedReason {
    /// Bị xử phạt vi phạm hành chính trong năm.
    AdministrativePenalty { points_grade: Grade },
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Rating {
    Graded {
        grade: Grade,
        #[serde(default)]
        forced: Option<ForcedReason>,
    },
    NotRated(NotRatedReason),
}

impl Rating {
    pub fn grade(&self) -> Option<Grade> {
        match self {
            Rating::Graded { grade, .. } => Some(*grade),
            Rating::NotRated(_) => None,
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ScoreResult {
    pub rubric_id: String,
    pub rubric_version: u32,
    pub total: Points,
    pub max_points: Points,
    pub groups: Vec<GroupSubtotal>,
    pub rating: Rating,
}

/// One problem with a sheet's points.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "issue", rename_all = "snake_case")]
pub enum ScoreIssue {
    AboveMaximum {
        item: String,
        points: Points,
        max_points: Points,
    },
    UnknownItem {
        item: String,
    },
    MissingItem {
        item: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScoreError {
    #[error("sheet is for rubric {sheet_id} v{sheet_version}, not {rubric_id} v{rubric_version}")]
    RubricMismatch {
        sheet_id: String,
        sheet_version: u32,
        rubric_id: String,
        rubric_version: u32,
    },
    #[error("{} problem(s) in the score sheet", .0.len())]
    Items(Vec<ScoreIssue>),
}

/// Exclusion rules in force for these facts, if any (checked before points).
pub fn not_rated_reason(sheet: &ScoreSheet, rubric: &Rubric) -> Option<NotRatedReason> {
    for rule in &rubric.exclusions {
        match *rule {
            ExclusionRule::FoundedWithinMonths { months } => {
                if let (Some(founded), Some(on)) = (sheet.facts.founded_on, sheet.assessed_on()) {
                    // Rated only once `months` full months have passed.
                    let enough = founded
                        .checked_add_months(Months::new(months))
                        .is_some_and(|d| d <= on);
                    if !enough {
                        return Some(NotRatedReason::FoundedTooRecently {
                            founded_on: founded,
                            months_required: months,
                        });
                    }
                }
            }
            ExclusionRule::HaltedOverMonths { months } => {
                let d = u64::from(sheet.facts.halted_days_in_year);
                if d * 12 > u64::from(months) * 365 {
                    return Some(NotRatedReason::HaltedTooLong {
                        halted_days: sheet.facts.halted_days_in_year,
                        months_limit: months,
                    });
                }
            }
            ExclusionRule::AdministrativePenalty { .. } => {}
        }
    }
    None
}

/// The score of a visit's sheet under the rubric version it names, if the
/// visit has a sheet and that version is known and the sheet scores.
pub fn score_visit(
    visit: &crate::visit::Visit,
    rubrics: &crate::rubric::RubricRegistry,
) -> Option<ScoreResult> {
    let sheet = visit.score_sheet.as_ref()?;
    let rubric = rubrics.get(&sheet.rubric_id, sheet.rubric_version)?;
    score(sheet, rubric).ok()
}

/// Score a sheet. Points above an item's maximum, unknown item codes and
/// (for a rated organisation) missing items are errors; nothing is clamped.
/// A not-rated organisation may leave items out.
pub fn score(sheet: &ScoreSheet, rubric: &Rubric) -> Result<ScoreResult, ScoreError> {
    if sheet.rubric_id != rubric.id || sheet.rubric_version != rubric.version {
        return Err(ScoreError::RubricMismatch {
            sheet_id: sheet.rubric_id.clone(),
            sheet_version: sheet.rubric_version,
            rubric_id: rubric.id.clone(),
            rubric_version: rubric.version,
        });
    }
    let excluded = not_rated_reason(sheet, rubric);
    let mut issues = Vec::new();
    let known: BTreeMap<&str, Points> = rubric.scored_items().into_iter().collect();
    for (code, p) in &sheet.points {
        match known.get(code.as_str()) {
            None => issues.push(ScoreIssue::UnknownItem { item: code.clone() }),
            Some(max) if p > max => issues.push(ScoreIssue::AboveMaximum {
                item: code.clone(),
                points: *p,
                max_points: *max,
            }),
            Some(_) => {}
        }
    }
    if excluded.is_none() {
        for (code, _) in rubric.scored_items() {
            if !sheet.points.contains_key(code) {
                issues.push(ScoreIssue::MissingItem {
                    item: code.to_string(),
                });
            }
        }
    }
    if !issues.is_empty() {
        return Err(ScoreError::Items(issues));
    }

    let get = |c: &str| sheet.points.get(c).copied().unwrap_or(Points::ZERO);
    let groups: Vec<GroupSubtotal> = rubric
        .groups
        .iter()
        .map(|g| {
            let criteria: Vec<Subtotal> = g
                .criteria
                .iter()
                .map(|c| Subtotal {
                    code: c.code.clone(),
                    points: c
                        .scored_items()
                        .into_iter()
                        .map(|(code, _)| get(code))
                        .sum(),
                    max_points: c.max_points,
                })
                .collect();
            GroupSubtotal {
                code: g.code.clone(),
                points: criteria.iter().map(|c| c.points).sum(),
                max_points: g.max_points,
                criteria,
            }
        })
        .collect();
    let total: Points = groups.iter().map(|g| g.points).sum();

    let rating = match excluded {
        Some(reason) => Rating::NotRated(reason),
        None => {
            let by_points = rubric.grade_for(total);
            let mut grade = by_points;
            let mut forced = None;
            for rule in &rubric.exclusions {
                if let ExclusionRule::AdministrativePenalty {
                    agricultural_only,
                    grade: cap,
                } = *rule
                {
                    let applies = sheet.facts.administrative_penalty_in_year
                        && (!agricultural_only || sheet.facts.agricultural);
                    if applies && cap < grade {
                        grade = cap;
                        forced = Some(ForcedReason::AdministrativePenalty {
                            points_grade: by_points,
                        });
                    }
                }
            }
            Rating::Graded { grade, forced }
        }
    };

    Ok(ScoreResult {
        rubric_id: rubric.id.clone(),
        rubric_version: rubric.version,
        total,
        max_points: rubric.max_points,
        groups,
        rating,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A full sheet whose total is exactly `total_centi` hundredths, filled
    /// item by item in rubric order.
    pub(crate) fn sheet_with_total(rubric: &Rubric, total_centi: u32) -> ScoreSheet {
        let mut s = ScoreSheet::new(rubric, 2024);
        let mut left = total_centi;
        for (code, max) in rubric.scored_items() {
            let p = left.min(max.centi());
            left -= p;
            s.set(code, Points::from_centi(p));
        }
        assert_eq!(left, 0);
        s
    }

    fn grade_at(centi: u32) -> Option<Grade> {
        let r = Rubric::tt_01_2020();
        let res = score(&sheet_with_total(&r, centi), &r).unwrap();
        assert_eq!(res.total.centi(), centi);
        res.rating.grade()
    }

    #[test]
    fn grade_band_edges() {
        assert_eq!(grade_at(0), Some(Grade::Weak));
        assert_eq!(grade_at(4999), Some(Grade::Weak));
        assert_eq!(grade_at(5000), Some(Grade::Average));
        assert_eq!(grade_at(6499), Some(Grade::Average));
        assert_eq!(grade_at(6500), Some(Grade::Fair));
        assert_eq!(grade_at(7999), Some(Grade::Fair));
        assert_eq!(grade_at(8000), Some(Grade::Good));
        assert_eq!(grade_at(10000), Some(Grade::Good));
    }

    #[test]
    fn subtotals() {
        let r = Rubric::tt_01_2020();
        let res = score(&sheet_with_total(&r, 4550), &r).unwrap();
        let g: Vec<u32> = res.groups.iter().map(|g| g.points.centi()).collect();
        assert_eq!(g, vec![3000, 1550, 0]);
        assert_eq!(res.groups[0].criteria[0].points, Points::whole(7));
        assert_eq!(res.max_points, Points::whole(100));
    }

    #[test]
    fn above_maximum_unknown_and_missing_are_errors() {
        let r = Rubric::tt_01_2020();
        let mut s = sheet_with_total(&r, 9000);
        s.set("TC1.2", Points::from_centi(101));
        s.set("TC99", Points::whole(1));
        s.points.remove("TC5");
        let Err(ScoreError::Items(issues)) = score(&s, &r) else {
            panic!("expected errors")
        };
        assert!(issues.contains(&ScoreIssue::AboveMaximum {
            item: "TC1.2".into(),
            points: Points::from_centi(101),
            max_points: Points::whole(1)
        }));
        assert!(issues.contains(&ScoreIssue::UnknownItem {
            item: "TC99".into()
        }));
        assert!(issues.contains(&ScoreIssue::MissingItem { item: "TC5".into() }));
        // A criterion with sub-items is not itself a scored item.
        let mut s = sheet_with_total(&r, 9000);
        s.set("TC1", Points::whole(1));
        assert!(score(&s, &r).is_err());
    }

    #[test]
    fn rubric_mismatch() {
        let r = Rubric::tt_01_2020();
        let mut s = sheet_with_total(&r, 100);
        s.rubric_version = 2;
        assert!(matches!(
            score(&s, &r),
            Err(ScoreError::RubricMismatch { .. })
        ));
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn exclusion_founded_under_12_months() {
        let r = Rubric::tt_01_2020();
        let mut s = sheet_with_total(&r, 9000);
        s.facts.assessed_on = Some(d(2024, 12, 31));
        s.facts.founded_on = Some(d(2024, 1, 1));
        let res = score(&s, &r).unwrap();
        assert_eq!(
            res.rating,
            Rating::NotRated(NotRatedReason::FoundedTooRecently {
                founded_on: d(2024, 1, 1),
                months_required: 12
            })
        );
        // Exactly 12 months: rated.
        s.facts.founded_on = Some(d(2023, 12, 31));
        assert_eq!(score(&s, &r).unwrap().rating.grade(), Some(Grade::Good));
        // Default reference date is 31 Dec of the year.
        s.facts.assessed_on = None;
        s.facts.founded_on = Some(d(2024, 3, 1));
        assert!(score(&s, &r).unwrap().rating.grade().is_none());
        // A not-rated organisation may leave items out.
        s.points.clear();
        assert!(score(&s, &r).unwrap().rating.grade().is_none());
    }

    #[test]
    fn exclusion_halted_over_3_months() {
        let r = Rubric::tt_01_2020();
        let mut s = sheet_with_total(&r, 7000);
        s.facts.halted_days_in_year = 91;
        assert_eq!(score(&s, &r).unwrap().rating.grade(), Some(Grade::Fair));
        s.facts.halted_days_in_year = 92;
        assert_eq!(
            score(&s, &r).unwrap().rating,
            Rating::NotRated(NotRatedReason::HaltedTooLong {
                halted_days: 92,
                months_limit: 3
            })
        );
    }

    #[test]
    fn exclusion_agricultural_penalty() {
        let r = Rubric::tt_01_2020();
        let mut s = sheet_with_total(&r, 9500);
        s.facts.administrative_penalty_in_year = true;
        // Non-agricultural: rule does not apply.
        assert_eq!(score(&s, &r).unwrap().rating.grade(), Some(Grade::Good));
        s.facts.agricultural = true;
        assert_eq!(
            score(&s, &r).unwrap().rating,
            Rating::Graded {
                grade: Grade::Weak,
                forced: Some(ForcedReason::AdministrativePenalty {
                    points_grade: Grade::Good
                })
            }
        );
        // Already weak: nothing forced.
        let mut s = sheet_with_total(&r, 1000);
        s.facts.administrative_penalty_in_year = true;
        s.facts.agricultural = true;
        assert_eq!(
            score(&s, &r).unwrap().rating,
            Rating::Graded {
                grade: Grade::Weak,
                forced: None
            }
        );
    }

    #[test]
    fn not_rated_messages_bilingual() {
        let r = NotRatedReason::HaltedTooLong {
            halted_days: 100,
            months_limit: 3,
        };
        assert!(r.message_vi().contains("Không xếp loại"));
        assert!(r.message_en().contains("Not rated"));
    }
}
