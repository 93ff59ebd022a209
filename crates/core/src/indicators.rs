//! Plan indicators (Kế hoạch 251/KH-UBND, Phụ lục 1) measured from visits.
//!
//! For a year: take each organisation's latest *final* visit dated (local
//! time) in that year — optionally only revisions approved in review — and
//! compute every Phụ lục 1 row that visits or the organisation list can
//! measure, grouped by a place level of either hierarchy. Each value comes
//! with its numerator, denominator, the 2030 and 2045 targets, met / not met
//! / no data, and how many organisations in scope had no visit that year.
//!
//! Definitions (why each population was chosen):
//! - Counts of THT / HTX / LHHTX: organisations of that kind not dissolved,
//!   status taken from the latest visit if any, else the organisation record.
//! - Member sums: over organisations with a visit only (so they undercount;
//!   `organisations_without_visit` says by how much the base is incomplete).
//! - Shares: denominator = organisations (or managers) in scope whose visit
//!   records the fact; unknown values are no data, not "no".
//! - "Rated tốt/khá": HTX whose latest visit carries a score sheet that
//!   scores to a grade under its own rubric version; not-rated and
//!   unscorable sheets are excluded from the denominator.
//! - Managers, directors trained, female directors: HTX and LHHTX.
//! - "Operating effectively": any kind with a grade, graded tốt or khá.
//!
//! Not computed ([`NOT_MEASURED`]): the population share in KTTT
//! organisations needs population statistics, not visits.

use crate::organisation::{LegalStatus, Organisation, OrganisationKind};
use crate::place::{Hierarchy, PlaceLevel, PlaceRef, PlaceRegistry};
use crate::review::{decisions, ReviewDecision, ReviewOutcome};
use crate::rubric::{Grade, RubricRegistry};
use crate::visit::{Gender, Visit};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Phụ lục 1 rows that are not computed here, with the reason.
pub const NOT_MEASURED: &[(&str, &str)] = &[(
    "population_share_in_kttt",
    "Tỷ lệ dân số tham gia tổ chức KTTT: cần số liệu dân số, không đo được từ khảo sát",
)];

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorId {
    CooperativeGroups,
    CooperativeGroupMembers,
    Cooperatives,
    CooperativeMembers,
    Unions,
    UnionMemberCooperatives,
    CooperativesGoodOrFair,
    GoodOrFairInValueChain,
    OrganisationsInValueChain,
    ManagersWithDegree,
    DirectorsTrained,
    HighTechCooperatives,
    AgriCooperativesLinkedWithEnterprise,
    HaltedCooperatives,
    FemaleDirectors,
    EffectiveOrganisations,
}

impl IndicatorId {
    pub const ALL: [IndicatorId; 16] = [
        Self::CooperativeGroups,
        Self::CooperativeGroupMembers,
        Self::Cooperatives,
        Self::CooperativeMembers,
        Self::Unions,
        Self::UnionMemberCooperatives,
        Self::CooperativesGoodOrFair,
        Self::GoodOrFairInValueChain,
        Self::OrganisationsInValueChain,
        Self::ManagersWithDegree,
        Self::DirectorsTrained,
        Self::HighTechCooperatives,
        Self::AgriCooperativesLinkedWithEnterprise,
        Self::HaltedCooperatives,
        Self::FemaleDirectors,
        Self::EffectiveOrganisations,
    ];

    /// (Vietnamese label, English label, responsible department).
    pub fn labels(self) -> (&'static str, &'static str, &'static str) {
        use IndicatorId::*;
        match self {
            CooperativeGroups => (
                "Số tổ hợp tác",
                "Cooperative groups",
                "Sở Kế hoạch và Đầu tư; UBND cấp huyện",
            ),
            CooperativeGroupMembers => (
                "Số thành viên tổ hợp tác",
                "Cooperative group members",
                "Liên minh HTX tỉnh",
            ),
            Cooperatives => ("Số hợp tác xã", "Cooperatives", "Sở Kế hoạch và Đầu tư"),
            CooperativeMembers => (
                "Số thành viên hợp tác xã",
                "Cooperative members",
                "Liên minh HTX tỉnh",
            ),
            Unions => (
                "Số liên hiệp hợp tác xã",
                "Cooperative unions",
                "Sở Kế hoạch và Đầu tư",
            ),
            UnionMemberCooperatives => (
                "Số HTX thành viên của liên hiệp",
                "Member cooperatives of unions",
                "Liên minh HTX tỉnh",
            ),
            CooperativesGoodOrFair => (
                "Tỷ lệ HTX xếp loại tốt, khá",
                "Cooperatives rated good or fair",
                "Liên minh HTX tỉnh",
            ),
            GoodOrFairInValueChain => (
                "Tỷ lệ HTX tốt, khá tham gia liên kết chuỗi giá trị",
                "Good/fair cooperatives in value chains",
                "Sở Nông nghiệp và PTNT",
            ),
            OrganisationsInValueChain => (
                "Tỷ lệ tổ chức KTTT tham gia chuỗi giá trị",
                "Collective organisations in value chains",
                "Sở Nông nghiệp và PTNT",
            ),
            ManagersWithDegree => (
                "Tỷ lệ cán bộ quản lý có trình độ cao đẳng, đại học",
                "Managers with a college/university degree",
                "Liên minh HTX tỉnh",
            ),
            DirectorsTrained => (
                "Tỷ lệ giám đốc HTX được đào tạo sơ cấp nghề giám đốc",
                "Cooperative directors trained",
                "Liên minh HTX tỉnh",
            ),
            HighTechCooperatives => (
                "Số HTX ứng dụng công nghệ cao",
                "Cooperatives applying high technology",
                "Sở Nông nghiệp và PTNT",
            ),
            AgriCooperativesLinkedWithEnterprise => (
                "Tỷ lệ HTX nông nghiệp liên kết với doanh nghiệp",
                "Agricultural cooperatives linked with an enterprise",
                "Sở Nông nghiệp và PTNT",
            ),
            HaltedCooperatives => (
                "Số HTX ngừng hoạt động chưa xử lý",
                "Halted cooperatives unresolved",
                "UBND cấp huyện",
            ),
            FemaleDirectors => (
                "Tỷ lệ nữ giám đốc HTX, liên hiệp HTX",
                "Female directors of cooperatives and unions",
                "Liên minh HTX tỉnh",
            ),
            EffectiveOrganisations => (
                "Tỷ lệ tổ chức KTTT hoạt động hiệu quả",
                "Collective organisations operating effectively",
                "Liên minh HTX tỉnh",
            ),
        }
    }

    /// Targets for 2030 and 2045 (Phụ lục 1). "~N" and ranges are read as
    /// "at least the lower figure".
    pub fn targets(self) -> (Option<Target>, Option<Target>) {
        use IndicatorId::*;
        use Target::*;
        let pct = |p: u32| p * 100;
        match self {
            CooperativeGroups => (
                Some(AtLeast { value: 3_000 }),
                Some(AtLeast { value: 5_000 }),
            ),
            CooperativeGroupMembers => (
                Some(AtLeast { value: 63_000 }),
                Some(AtLeast { value: 110_000 }),
            ),
            Cooperatives => (Some(AtLeast { value: 700 }), Some(AtLeast { value: 1_000 })),
            CooperativeMembers => (
                Some(AtLeast { value: 100_000 }),
                Some(AtLeast { value: 200_000 }),
            ),
            Unions => (Some(AtLeast { value: 3 }), Some(AtLeast { value: 10 })),
            UnionMemberCooperatives => (Some(AtLeast { value: 20 }), Some(AtLeast { value: 400 })),
            CooperativesGoodOrFair => (
                Some(ShareRange {
                    low_basis_points: pct(70),
                    high_basis_points: pct(85),
                }),
                Some(ShareRange {
                    low_basis_points: pct(75),
                    high_basis_points: pct(90),
                }),
            ),
            GoodOrFairInValueChain => (
                Some(ShareAtLeast {
                    basis_points: pct(50),
                }),
                None,
            ),
            OrganisationsInValueChain => (
                None,
                Some(ShareAtLeast {
                    basis_points: pct(75),
                }),
            ),
            ManagersWithDegree => (
                Some(ShareAtLeast {
                    basis_points: pct(29),
                }),
                Some(ShareAtLeast {
                    basis_points: pct(65),
                }),
            ),
            DirectorsTrained => (
                Some(ShareAtLeast {
                    basis_points: pct(80),
                }),
                Some(ShareAtLeast {
                    basis_points: pct(90),
                }),
            ),
            HighTechCooperatives => (Some(MoreThan { value: 100 }), Some(MoreThan { value: 200 })),
            AgriCooperativesLinkedWithEnterprise => (
                Some(ShareAtLeast {
                    basis_points: pct(50),
                }),
                Some(ShareAtLeast {
                    basis_points: pct(90),
                }),
            ),
            HaltedCooperatives => (Some(AtMost { value: 0 }), Some(AtMost { value: 0 })),
            FemaleDirectors => (
                None,
                Some(ShareAtLeast {
                    basis_points: pct(30),
                }),
            ),
            EffectiveOrganisations => (
                None,
                Some(ShareMoreThan {
                    basis_points: pct(90),
                }),
            ),
        }
    }
}

/// A target. Shares are in basis points (1/100 of a percent; 10 000 = 100 %),
/// compared exactly by cross-multiplication, never via floats.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    AtLeast {
        value: u64,
    },
    MoreThan {
        value: u64,
    },
    AtMost {
        value: u64,
    },
    ShareAtLeast {
        basis_points: u32,
    },
    ShareMoreThan {
        basis_points: u32,
    },
    /// Met when at least `low`; `high` is the plan's upper aspiration.
    ShareRange {
        low_basis_points: u32,
        high_basis_points: u32,
    },
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TargetStatus {
    Met,
    NotMet,
    NoData,
    /// The plan sets no target for that year.
    NoTarget,
}

impl Target {
    /// Evaluate a measure. Counts use the numerator; shares need a
    /// non-zero denominator.
    pub fn status(&self, numerator: u64, denominator: Option<u64>) -> TargetStatus {
        let share_cmp = |bp: u32| -> Option<std::cmp::Ordering> {
            let d = denominator.filter(|&d| d > 0)?;
            Some((u128::from(numerator) * 10_000).cmp(&(u128::from(bp) * u128::from(d))))
        };
        let met = match *self {
            Target::AtLeast { value } => Some(numerator >= value),
            Target::MoreThan { value } => Some(numerator > value),
            Target::AtMost { value } => Some(numerator <= value),
            Target::ShareAtLeast { basis_points }
            | Target::ShareRange {
                low_basis_points: basis_points,
                ..
            } => share_cmp(basis_points).map(|o| o.is_ge()),
            Target::ShareMoreThan { basis_points } => share_cmp(basis_points).map(|o| o.is_gt()),
        };
        match met {
            Some(true) => TargetStatus::Met,
            Some(false) => TargetStatus::NotMet,
            None => TargetStatus::NoData,
        }
    }
}

/// A share in basis points as Vietnamese text: `29%`, `33,33%`.
pub fn percent_vi(basis_points: u32) -> String {
    let (w, f) = (basis_points / 100, basis_points % 100);
    match f {
        0 => format!("{w}%"),
        f if f % 10 == 0 => format!("{w},{}%", f / 10),
        f => format!("{w},{f:02}%"),
    }
}

/// A target as the plan writes it: `≥ 3.000`, `> 100`, `70–85%` (empty
/// when the plan sets none).
pub fn target_vi(t: Option<Target>) -> String {
    let Some(t) = t else {
        return String::new();
    };
    let n = |v: u64| crate::money::group_thousands(i64::try_from(v).unwrap_or(i64::MAX));
    match t {
        Target::AtLeast { value } => format!("≥ {}", n(value)),
        Target::MoreThan { value } => format!("> {}", n(value)),
        Target::AtMost { value } => format!("≤ {}", n(value)),
        Target::ShareAtLeast { basis_points } => format!("≥ {}", percent_vi(basis_points)),
        Target::ShareMoreThan { basis_points } => format!("> {}", percent_vi(basis_points)),
        Target::ShareRange {
            low_basis_points,
            high_basis_points,
        } => format!(
            "{}–{}",
            percent_vi(low_basis_points).trim_end_matches('%'),
            percent_vi(high_basis_points)
        ),
    }
}

impl TargetStatus {
    pub fn label_vi(self) -> &'static str {
        match self {
            TargetStatus::Met => "Đạt",
            TargetStatus::NotMet => "Chưa đạt",
            TargetStatus::NoData => "Chưa có số liệu",
            TargetStatus::NoTarget => "Không đặt mục tiêu",
        }
    }
    pub fn label_en(self) -> &'static str {
        match self {
            TargetStatus::Met => "Met",
            TargetStatus::NotMet => "Not met",
            TargetStatus::NoData => "No data",
            TargetStatus::NoTarget => "No target",
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct IndicatorValue {
    pub id: IndicatorId,
    pub label_vi: String,
    pub label_en: String,
    pub responsible: String,
    pub numerator: u64,
    /// `None` for counts and sums.
    pub denominator: Option<u64>,
    /// numerator / denominator in basis points, rounded down (display only).
    pub share_basis_points: Option<u32>,
    pub target_2030: Option<Target>,
    pub target_2045: Option<Target>,
    pub status_2030: TargetStatus,
    pub status_2045: TargetStatus,
    /// Organisations in this indicator's population.
    pub organisations_in_scope: u32,
    /// Of those, how many contributed a value.
    pub organisations_with_data: u32,
    /// Of those, how many have no qualifying visit in the year.
    pub organisations_without_visit: u32,
}

/// How to compute.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndicatorOptions {
    pub year: i32,
    /// Use only visit revisions approved in review (the dashboard default).
    pub only_reviewed: bool,
    /// Group by this level of this hierarchy; `None` = one group for all.
    pub group_by: Option<(Hierarchy, PlaceLevel)>,
}

/// Inputs, all already loaded by the caller.
#[derive(Clone, Copy, Debug)]
pub struct IndicatorInput<'a> {
    pub organisations: &'a [Organisation],
    /// Any number of revisions of any visits; drafts are ignored.
    pub visits: &'a [Visit],
    pub reviews: &'a [ReviewOutcome],
    pub rubrics: &'a RubricRegistry,
    /// Needed only when grouping.
    pub places: Option<&'a PlaceRegistry>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct IndicatorGroup {
    /// `None`: all organisations (no grouping), or those whose place could
    /// not be resolved at the requested level.
    pub place: Option<PlaceRef>,
    pub place_name: Option<String>,
    pub organisations: u32,
    pub organisations_without_visit: u32,
    pub indicators: Vec<IndicatorValue>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct IndicatorReport {
    pub year: i32,
    pub only_reviewed: bool,
    pub groups: Vec<IndicatorGroup>,
}

/// The visit that counts for each organisation: the latest final revision
/// dated in `year` (Vietnam local date), optionally only approved ones.
pub fn latest_visits<'a>(
    visits: &'a [Visit],
    reviews: &[ReviewOutcome],
    year: i32,
    only_reviewed: bool,
) -> BTreeMap<Uuid, &'a Visit> {
    use chrono::Datelike;
    // Highest qualifying revision per visit id.
    let decided = if only_reviewed {
        decisions(reviews)
    } else {
        Default::default()
    };
    let mut by_visit: BTreeMap<Uuid, &Visit> = BTreeMap::new();
    for v in visits {
        if !v.is_final() || v.local_date().year() != year {
            continue;
        }
        if only_reviewed && decided.get(&(v.id, v.revision)) != Some(&ReviewDecision::Approved) {
            continue;
        }
        let e = by_visit.entry(v.id).or_insert(v);
        if v.revision > e.revision {
            *e = v;
        }
    }
    // Latest visit per organisation (ties: the larger UUID v7, i.e. created later).
    let mut by_org: BTreeMap<Uuid, &Visit> = BTreeMap::new();
    for v in by_visit.into_values() {
        let e = by_org.entry(v.organisation_id).or_insert(v);
        if (v.started_at, v.id) > (e.started_at, e.id) {
            *e = v;
        }
    }
    by_org
}

/// Per-organisation facts the indicators read, resolved once.
struct Row<'a> {
    org: &'a Organisation,
    visit: Option<&'a Visit>,
    grade: Option<Grade>,
}

impl Row<'_> {
    fn status(&self) -> LegalStatus {
        self.visit
            .and_then(|v| v.facts.status)
            .unwrap_or(self.org.legal_status)
    }
    fn exists(&self) -> bool {
        self.status().exists()
    }
    fn kind(&self) -> OrganisationKind {
        self.org.kind
    }
}

#[derive(Default)]
struct Acc {
    num: u64,
    den: u64,
    scope: u32,
    with_data: u32,
    without_visit: u32,
}

impl Acc {
    fn in_scope(&mut self, r: &Row) {
        self.scope += 1;
        if r.visit.is_none() {
            self.without_visit += 1;
        }
    }
}

fn grade_of(v: &Visit, rubrics: &RubricRegistry) -> Option<Grade> {
    crate::score::score_visit(v, rubrics)?.rating.grade()
}

fn compute_rows(rows: &[Row]) -> Vec<IndicatorValue> {
    IndicatorId::ALL
        .iter()
        .map(|&id| compute_one(id, rows))
        .collect()
}

fn compute_one(id: IndicatorId, rows: &[Row]) -> IndicatorValue {
    use IndicatorId::*;
    use OrganisationKind as K;
    let mut a = Acc::default();
    let mut is_share = false;
    // Whether the figure needs visits at all (registry counts do not).
    let mut needs_visits = true;
    let existing = rows.iter().filter(|r| r.exists());
    match id {
        CooperativeGroups | Cooperatives | Unions | HaltedCooperatives => {
            needs_visits = false;
            let kind = match id {
                CooperativeGroups => K::CooperativeGroup,
                Unions => K::CooperativeUnion,
                _ => K::Cooperative,
            };
            for r in existing.filter(|r| r.kind() == kind) {
                a.in_scope(r);
                a.with_data += 1;
                if id != HaltedCooperatives || r.status() == LegalStatus::Halted {
                    a.num += 1;
                }
            }
        }
        CooperativeGroupMembers | CooperativeMembers | UnionMemberCooperatives => {
            let kind = match id {
                CooperativeGroupMembers => K::CooperativeGroup,
                CooperativeMembers => K::Cooperative,
                _ => K::CooperativeUnion,
            };
            for r in existing.filter(|r| r.kind() == kind) {
                a.in_scope(r);
                let Some(v) = r.visit else { continue };
                let m = &v.facts.members;
                let value = match id {
                    UnionMemberCooperatives => m.member_cooperatives.map(u64::from),
                    _ => m
                        .total
                        .map(u64::from)
                        .or(m.any_type_given().then(|| m.people())),
                };
                if let Some(x) = value {
                    a.with_data += 1;
                    a.num += x;
                }
            }
        }
        CooperativesGoodOrFair | EffectiveOrganisations => {
            is_share = true;
            for r in existing.filter(|r| id == EffectiveOrganisations || r.kind() == K::Cooperative)
            {
                a.in_scope(r);
                if let Some(g) = r.grade {
                    a.with_data += 1;
                    a.den += 1;
                    a.num += u64::from(g.is_good_or_fair());
                }
            }
        }
        GoodOrFairInValueChain => {
            is_share = true;
            for r in existing.filter(|r| r.kind() == K::Cooperative) {
                a.in_scope(r);
                if !r.grade.is_some_and(Grade::is_good_or_fair) {
                    continue;
                }
                if let Some(vc) = r.visit.and_then(|v| v.plan.value_chain) {
                    a.with_data += 1;
                    a.den += 1;
                    a.num += u64::from(vc);
                }
            }
        }
        OrganisationsInValueChain => {
            is_share = true;
            for r in existing {
                a.in_scope(r);
                if let Some(vc) = r.visit.and_then(|v| v.plan.value_chain) {
                    a.with_data += 1;
                    a.den += 1;
                    a.num += u64::from(vc);
                }
            }
        }
        ManagersWithDegree => {
            is_share = true;
            for r in existing.filter(|r| matches!(r.kind(), K::Cooperative | K::CooperativeUnion)) {
                a.in_scope(r);
                let Some(v) = r.visit else { continue };
                if let (Some(t), Some(d)) = (v.facts.managers.total, v.facts.managers.with_degree) {
                    a.with_data += 1;
                    a.den += u64::from(t);
                    a.num += u64::from(d.min(t));
                }
            }
        }
        DirectorsTrained | FemaleDirectors => {
            is_share = true;
            let kinds: &[K] = if id == DirectorsTrained {
                &[K::Cooperative]
            } else {
                &[K::Cooperative, K::CooperativeUnion]
            };
            for r in existing.filter(|r| kinds.contains(&r.kind())) {
                a.in_scope(r);
                let Some(v) = r.visit else { continue };
                let yes = match id {
                    DirectorsTrained => v.facts.director.trained,
                    _ => v.facts.director.gender.map(|g| g == Gender::Female),
                };
                if let Some(y) = yes {
                    a.with_data += 1;
                    a.den += 1;
                    a.num += u64::from(y);
                }
            }
        }
        HighTechCooperatives => {
            for r in existing.filter(|r| r.kind() == K::Cooperative) {
                a.in_scope(r);
                if let Some(h) = r.visit.and_then(|v| v.plan.high_tech) {
                    a.with_data += 1;
                    a.num += u64::from(h);
                }
            }
        }
        AgriCooperativesLinkedWithEnterprise => {
            is_share = true;
            for r in existing.filter(|r| r.kind() == K::Cooperative && r.org.is_agricultural()) {
                a.in_scope(r);
                if let Some(l) = r.visit.and_then(|v| v.plan.enterprise_link) {
                    a.with_data += 1;
                    a.den += 1;
                    a.num += u64::from(l);
                }
            }
        }
    }

    let (vi, en, resp) = id.labels();
    let (t30, t45) = id.targets();
    let denominator = is_share.then_some(a.den);
    let no_data = needs_visits && a.with_data == 0;
    let status = |t: Option<Target>| match t {
        None => TargetStatus::NoTarget,
        Some(_) if no_data => TargetStatus::NoData,
        Some(t) => t.status(a.num, denominator),
    };
    IndicatorValue {
        id,
        label_vi: vi.to_string(),
        label_en: en.to_string(),
        responsible: resp.to_string(),
        numerator: a.num,
        denominator,
        share_basis_points: denominator
            .filter(|&d| d > 0)
            .map(|d| u32::try_from(u128::from(a.num) * 10_000 / u128::from(d)).unwrap_or(u32::MAX)),
        target_2030: t30,
        target_2045: t45,
        status_2030: status(t30),
        status_2045: status(t45),
        organisations_in_scope: a.scope,
        organisations_with_data: a.with_data,
        organisations_without_visit: a.without_visit,
    }
}

/// Compute the indicators for a year, grouped as asked.
pub fn compute_indicators(input: &IndicatorInput, opts: &IndicatorOptions) -> IndicatorReport {
    let latest = latest_visits(input.visits, input.reviews, opts.year, opts.only_reviewed);
    let rows: Vec<Row> = input
        .organisations
        .iter()
        .map(|org| {
            let visit = latest.get(&org.id).copied();
            Row {
                org,
                visit,
                grade: visit.and_then(|v| grade_of(v, input.rubrics)),
            }
        })
        .collect();

    let mut buckets: BTreeMap<Option<PlaceRef>, (Option<String>, Vec<Row>)> = BTreeMap::new();
    for r in rows {
        let (key, name) = match (opts.group_by, input.places) {
            (Some((h, level)), Some(places)) => {
                match places.locate(
                    r.org.place_old.as_deref(),
                    r.org.place_new.as_deref(),
                    h,
                    level,
                ) {
                    Some(p) => (Some(p.place_ref()), Some(p.name.clone())),
                    None => (None, None),
                }
            }
            _ => (None, None),
        };
        buckets
            .entry(key)
            .or_insert_with(|| (name, Vec::new()))
            .1
            .push(r);
    }
    // Ungrouped, there is always one group, even with no organisation.
    if opts.group_by.is_none() && buckets.is_empty() {
        buckets.insert(None, (None, Vec::new()));
    }
    // Resolved places first (by code), the unresolved bucket last.
    let mut groups: Vec<IndicatorGroup> = buckets
        .into_iter()
        .map(|(place, (place_name, rows))| IndicatorGroup {
            organisations: rows.len() as u32,
            organisations_without_visit: rows.iter().filter(|r| r.visit.is_none()).count() as u32,
            indicators: compute_rows(&rows),
            place,
            place_name,
        })
        .collect();
    groups.sort_by_key(|g| g.place.is_none());
    IndicatorReport {
        year: opts.year,
        only_reviewed: opts.only_reviewed,
        groups,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_scope_still_has_its_one_group() {
        let rubrics = RubricRegistry::builtin();
        let input = IndicatorInput {
            organisations: &[],
            visits: &[],
            reviews: &[],
            rubrics: &rubrics,
            places: None,
        };
        let opts = IndicatorOptions {
            year: 2025,
            only_reviewed: true,
            group_by: None,
        };
        let report = compute_indicators(&input, &opts);
        assert_eq!(report.groups.len(), 1);
        let g = &report.groups[0];
        assert_eq!((g.organisations, g.organisations_without_visit), (0, 0));
        assert_eq!(g.indicators.len(), IndicatorId::ALL.len());
        let shares = g
            .indicators
            .iter()
            .find(|i| i.id == IndicatorId::CooperativesGoodOrFair)
            .unwrap();
        assert_eq!(
            shares.status_2030,
            TargetStatus::NoData,
            "no organisation is no data, not a miss"
        );
    }

    #[test]
    fn targets_read_as_the_plan_writes_them() {
        assert_eq!(target_vi(Some(Target::AtLeast { value: 3_000 })), "≥ 3.000");
        assert_eq!(target_vi(Some(Target::MoreThan { value: 100 })), "> 100");
        assert_eq!(target_vi(Some(Target::AtMost { value: 0 })), "≤ 0");
        assert_eq!(
            target_vi(Some(Target::ShareAtLeast { basis_points: 2900 })),
            "≥ 29%"
        );
        assert_eq!(
            target_vi(Some(Target::ShareMoreThan { basis_points: 9050 })),
            "> 90,5%"
        );
        let range = Target::ShareRange {
            low_basis_points: 7000,
            high_basis_points: 8500,
        };
        assert_eq!(target_vi(Some(range)), "70–85%");
        assert_eq!(target_vi(None), "");
        assert_eq!(percent_vi(3333), "33,33%");
    }

    #[test]
    fn target_status_is_exact() {
        let t = Target::ShareAtLeast { basis_points: 2900 };
        assert_eq!(t.status(29, Some(100)), TargetStatus::Met);
        assert_eq!(t.status(28, Some(100)), TargetStatus::NotMet);
        assert_eq!(t.status(0, Some(0)), TargetStatus::NoData);
        let t = Target::ShareMoreThan { basis_points: 9000 };
        assert_eq!(t.status(9, Some(10)), TargetStatus::NotMet);
        assert_eq!(t.status(91, Some(100)), TargetStatus::Met);
        assert_eq!(
            Target::MoreThan { value: 100 }.status(100, None),
            TargetStatus::NotMet
        );
        assert_eq!(
            Target::AtMost { value: 0 }.status(0, None),
            TargetStatus::Met
        );
        let r = Target::ShareRange {
            low_basis_points: 7000,
            high_basis_points: 8500,
        };
        assert_eq!(r.status(7, Some(10)), TargetStatus::Met);
        assert_eq!(r.status(95, Some(100)), TargetStatus::Met);
    }
}
