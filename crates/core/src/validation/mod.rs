//! Validation of visits and organisations.
//!
//! Every error names the field (`path`, e.g. `facts.managers.with_degree`),
//! has a stable machine code and a message in Vietnamese and English. A draft
//! may be incomplete (missing values are fine, wrong values are not); a final
//! visit must be complete. Validation is total: it never panics.

use crate::organisation::{Organisation, OrganisationKind};
use crate::photo::{is_sha256_hex, MAX_PHOTOS_PER_VISIT};
use crate::place::{Hierarchy, PlaceLevel, PlaceRegistry};
use crate::rubric::RubricRegistry;
use crate::score::{score, ScoreError, ScoreIssue};
use crate::visit::{Visit, VisitState};
use chrono::{DateTime, Duration, FixedOffset, NaiveDate};

mod fields;

use crate::problem::{ErrorCode, ValidationError};
pub use fields::*;
use fields::{spec_of, strip_indices};

fn fmt_num(v: i64) -> String {
    crate::money::group_thousands(v)
}

fn with_unit(n: String, u: &str) -> String {
    if u.is_empty() {
        n
    } else {
        format!("{n} {u}")
    }
}

// ---- error constructors (one place for the bilingual wording) ----

pub fn required(path: &str) -> ValidationError {
    let key = strip_indices(path);
    ValidationError::new(
        path,
        ErrorCode::Required,
        format!("{}: bắt buộc nhập", label_vi_for(&key)),
        format!("{}: required", label_en_for(&key)),
    )
}

pub fn out_of_range(path: &str, value: i64) -> ValidationError {
    let s = spec_of(&strip_indices(path));
    let (vi_u, en_u) = (s.unit.label_vi(), s.unit.label_en());
    ValidationError::new(
        path,
        ErrorCode::OutOfRange,
        format!(
            "{}: giá trị {} nằm ngoài khoảng cho phép từ {} đến {}",
            s.label_vi,
            fmt_num(value),
            fmt_num(s.min),
            with_unit(fmt_num(s.max), vi_u)
        ),
        format!(
            "{}: value {} is outside the allowed range {} to {}",
            s.label_en,
            value,
            s.min,
            with_unit(s.max.to_string(), en_u)
        ),
    )
}

fn too_long(path: &str, len: usize) -> ValidationError {
    let s = spec_of(path);
    ValidationError::new(
        path,
        ErrorCode::TooLong,
        format!("{}: dài {} ký tự, tối đa {} ký tự", s.label_vi, len, s.max),
        format!(
            "{}: {} characters, at most {} allowed",
            s.label_en, len, s.max
        ),
    )
}

fn in_future(path: &str) -> ValidationError {
    ValidationError::new(
        path,
        ErrorCode::InFuture,
        format!("{}: không được ở tương lai", label_vi_for(path)),
        format!("{}: must not be in the future", label_en_for(path)),
    )
}

fn exceeds(path: &str, total_path: &str, part: u64, total: u64) -> ValidationError {
    ValidationError::new(
        path,
        ErrorCode::ExceedsTotal,
        format!(
            "{} ({}) không được lớn hơn {} ({})",
            label_vi_for(path),
            part,
            crate::search::to_lowercase(label_vi_for(total_path)),
            total
        ),
        format!(
            "{} ({}) must not exceed {} ({})",
            label_en_for(path),
            part,
            label_en_for(total_path).to_ascii_lowercase(),
            total
        ),
    )
}

fn check_range(errs: &mut Vec<ValidationError>, path: &str, v: Option<i64>) {
    if let Some(v) = v {
        let s = spec_of(&strip_indices(path));
        if v < s.min || v > s.max {
            errs.push(out_of_range(path, v));
        }
    }
}

fn check_len(errs: &mut Vec<ValidationError>, path: &str, text: &str) {
    let n = text.chars().count();
    let s = spec_of(path);
    if (n as i64) > s.max {
        errs.push(too_long(path, n));
    } else if (n as i64) < s.min || (s.min > 0 && text.trim().is_empty()) {
        errs.push(required(path));
    }
}

/// What validation needs besides the record. `now` is passed in: core never
/// reads a clock.
#[derive(Clone, Copy, Debug)]
pub struct ValidationContext<'a> {
    pub now: DateTime<FixedOffset>,
    /// How far in the future a timestamp may be (device clocks drift).
    pub clock_skew: Duration,
    /// The visited organisation, if known (kind-specific completeness).
    pub organisation: Option<&'a Organisation>,
    /// Known rubrics, to check the score sheet.
    pub rubrics: Option<&'a RubricRegistry>,
}

/// Default allowance for device clock drift.
pub const DEFAULT_CLOCK_SKEW_MINUTES: i64 = 10;

impl<'a> ValidationContext<'a> {
    pub fn new(now: DateTime<FixedOffset>) -> Self {
        ValidationContext {
            now,
            clock_skew: Duration::minutes(DEFAULT_CLOCK_SKEW_MINUTES),
            organisation: None,
            rubrics: None,
        }
    }
    pub fn with_organisation(mut self, o: &'a Organisation) -> Self {
        self.organisation = Some(o);
        self
    }
    pub fn with_rubrics(mut self, r: &'a RubricRegistry) -> Self {
        self.rubrics = Some(r);
        self
    }
}

fn opt_i(v: Option<u32>) -> Option<i64> {
    v.map(i64::from)
}

/// Most revisions one visit may have (0 ..= `MAX_REVISIONS - 1`): an
/// officer's fixes after review are a handful; the bound keeps a visit's page
/// (which parses and compares every revision) and its history small.
pub const MAX_REVISIONS: u32 = 50;

/// A revision follows the one it replaces: revision 0 replaces none,
/// revision n replaces n - 1, and no visit goes past [`MAX_REVISIONS`].
/// Anything else could freeze a visit (revision 4294967295 leaves no
/// successor) or skip over what a reviewer saw.
pub fn check_revision_numbering(v: &Visit) -> Option<ValidationError> {
    if v.revision >= MAX_REVISIONS {
        return Some(ValidationError::new(
            "revision",
            ErrorCode::TooManyRevisions,
            format!(
                "Chuyến khảo sát đã có {MAX_REVISIONS} phiên bản, không thể sửa thêm: hãy tạo chuyến khảo sát mới"
            ),
            format!("A visit has at most {MAX_REVISIONS} revisions: record a new visit instead"),
        ));
    }
    let expected = v.revision.checked_sub(1);
    if v.replaces_revision == expected {
        return None;
    }
    let (vi, en) = match v.replaces_revision {
        None => (
            format!("Phiên bản {} phải thay thế phiên bản {}", v.revision, v.revision - 1),
            format!("Revision {} must replace revision {}", v.revision, v.revision - 1),
        ),
        Some(r) => (
            format!(
                "Phiên bản phải nối tiếp phiên bản nó thay thế: phiên bản {} không thể thay thế phiên bản {r}",
                v.revision
            ),
            format!(
                "A revision must follow the one it replaces: revision {} cannot replace revision {r}",
                v.revision
            ),
        ),
    };
    Some(ValidationError::new(
        "replaces_revision",
        ErrorCode::InvalidRevision,
        vi,
        en,
    ))
}

/// Validate a visit. Empty result = valid. Drafts are checked for wrong
/// values only; final visits must also be complete.
pub fn validate_visit(v: &Visit, ctx: &ValidationContext) -> Vec<ValidationError> {
    let mut e = Vec::new();
    let is_final = v.state == VisitState::Final;
    let kind = ctx.organisation.map(|o| o.kind);

    // Identity and text.
    check_len(&mut e, "officer", &v.officer);
    check_len(&mut e, "notes", &v.notes);
    if let Some(o) = ctx.organisation {
        if o.id != v.organisation_id {
            e.push(ValidationError::new(
                "organisation_id",
                ErrorCode::UnknownReference,
                "Chuyến khảo sát ghi sai tổ chức",
                "The visit names a different organisation",
            ));
        }
    }
    e.extend(check_revision_numbering(v));

    // Times.
    let limit = ctx
        .now
        .checked_add_signed(ctx.clock_skew)
        .unwrap_or(ctx.now);
    if v.started_at > limit {
        e.push(in_future("started_at"));
    }
    let earliest = NaiveDate::from_ymd_opt(2000, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0));
    if earliest.is_some_and(|t| v.started_at.naive_utc() < t) {
        e.push(ValidationError::new(
            "started_at",
            ErrorCode::BeforeStart,
            "Thời gian bắt đầu trước năm 2000, kiểm tra lại đồng hồ thiết bị",
            "Start time is before 2000; check the device clock",
        ));
    }
    match v.finished_at {
        Some(f) => {
            if f < v.started_at {
                e.push(ValidationError::new(
                    "finished_at",
                    ErrorCode::BeforeStart,
                    "Thời gian kết thúc trước thời gian bắt đầu",
                    "Finish time is before the start time",
                ));
            }
            if f > limit {
                e.push(in_future("finished_at"));
            }
        }
        None if is_final => e.push(required("finished_at")),
        None => {}
    }

    // GPS.
    if let Some(g) = v.location {
        check_range(
            &mut e,
            "location.latitude_micro",
            Some(g.latitude_micro.into()),
        );
        check_range(
            &mut e,
            "location.longitude_micro",
            Some(g.longitude_micro.into()),
        );
        check_range(&mut e, "location.accuracy_m", Some(g.accuracy_m.into()));
    }

    validate_photos(v, &mut e);
    validate_facts(v, kind, is_final, &mut e);
    validate_plan(v, is_final, &mut e);
    validate_sheet(v, ctx, is_final, &mut e);
    e
}

/// Photo references: well-formed names, each photo once, a bounded number.
fn validate_photos(v: &Visit, e: &mut Vec<ValidationError>) {
    if v.photos.len() > MAX_PHOTOS_PER_VISIT {
        e.push(ValidationError::new(
            "photos",
            ErrorCode::OutOfRange,
            format!(
                "Tối đa {MAX_PHOTOS_PER_VISIT} ảnh cho một chuyến khảo sát, đang có {}",
                v.photos.len()
            ),
            format!(
                "At most {MAX_PHOTOS_PER_VISIT} photos per visit, this one has {}",
                v.photos.len()
            ),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, p) in v.photos.iter().enumerate() {
        let path = format!("photos.{i}");
        if !is_sha256_hex(&p.sha256) {
            e.push(ValidationError::new(
                path.clone(),
                ErrorCode::Malformed,
                "Ảnh không hợp lệ (mã SHA-256 sai dạng)",
                "Invalid photo (its SHA-256 name is malformed)",
            ));
        } else if !seen.insert(p.sha256.as_str()) {
            e.push(ValidationError::new(
                path.clone(),
                ErrorCode::Duplicate,
                "Ảnh này đã được đính kèm",
                "This photo is attached twice",
            ));
        }
        let n = p.caption.chars().count();
        let max = spec_of("photos.caption").max;
        if n as i64 > max {
            e.push(ValidationError::new(
                format!("{path}.caption"),
                ErrorCode::TooLong,
                format!("Chú thích ảnh: dài {n} ký tự, tối đa {max} ký tự"),
                format!("Photo caption: {n} characters, at most {max} allowed"),
            ));
        }
    }
}

fn validate_facts(
    v: &Visit,
    kind: Option<OrganisationKind>,
    is_final: bool,
    e: &mut Vec<ValidationError>,
) {
    let f = &v.facts;
    let m = &f.members;
    check_range(e, "facts.members.official", opt_i(m.official));
    check_range(
        e,
        "facts.members.associate_contributing",
        opt_i(m.associate_contributing),
    );
    check_range(
        e,
        "facts.members.associate_non_contributing",
        opt_i(m.associate_non_contributing),
    );
    check_range(e, "facts.members.group_members", opt_i(m.group_members));
    check_range(
        e,
        "facts.members.member_cooperatives",
        opt_i(m.member_cooperatives),
    );
    check_range(e, "facts.members.total", opt_i(m.total));
    if let Some(total) = m.total {
        let sum = m.sum_of_types();
        let total = u64::from(total);
        // A draft may still be filling in types; only an excess is wrong yet.
        let bad = if is_final {
            m.any_type_given() && sum != total
        } else {
            sum > total
        };
        if bad {
            e.push(ValidationError::new(
                "facts.members.total",
                ErrorCode::CountsMismatch,
                format!("Tổng số thành viên ({total}) không khớp tổng theo loại ({sum})"),
                format!("Total members ({total}) does not equal the sum by type ({sum})"),
            ));
        }
    }
    check_range(e, "facts.workers", opt_i(f.workers));
    for (p, val) in [
        ("facts.charter_capital", f.charter_capital),
        ("facts.total_capital", f.total_capital),
        ("facts.indivisible_assets", f.indivisible_assets),
        ("facts.revenue", f.revenue),
        ("facts.pre_tax_profit", f.pre_tax_profit),
        ("facts.avg_member_income", f.avg_member_income),
    ] {
        check_range(e, p, val.map(|x| x.0));
    }
    let mg = &f.managers;
    check_range(e, "facts.managers.total", opt_i(mg.total));
    for (p, val) in [
        ("facts.managers.with_degree", mg.with_degree),
        ("facts.managers.vocational_trained", mg.vocational_trained),
        ("facts.managers.under_35", mg.under_35),
    ] {
        check_range(e, p, opt_i(val));
        if let (Some(part), Some(total)) = (val, mg.total) {
            if part > total {
                e.push(exceeds(
                    p,
                    "facts.managers.total",
                    part.into(),
                    total.into(),
                ));
            }
        }
    }

    if !is_final {
        return;
    }
    // Completeness of a final visit; which facts apply depends on the kind.
    if f.status.is_none() {
        e.push(required("facts.status"));
    }
    let member_field = match kind {
        Some(OrganisationKind::CooperativeGroup) => {
            ("facts.members.group_members", m.group_members)
        }
        Some(OrganisationKind::CooperativeUnion) => {
            ("facts.members.member_cooperatives", m.member_cooperatives)
        }
        _ => ("facts.members.official", m.official),
    };
    if member_field.1.is_none() {
        e.push(required(member_field.0));
    }
    if f.workers.is_none() {
        e.push(required("facts.workers"));
    }
    if kind != Some(OrganisationKind::CooperativeGroup) {
        for (p, val) in [
            ("facts.charter_capital", f.charter_capital),
            ("facts.total_capital", f.total_capital),
            ("facts.revenue", f.revenue),
            ("facts.pre_tax_profit", f.pre_tax_profit),
        ] {
            if val.is_none() {
                e.push(required(p));
            }
        }
        for (p, val) in [
            ("facts.managers.total", mg.total),
            ("facts.managers.with_degree", mg.with_degree),
            ("facts.managers.vocational_trained", mg.vocational_trained),
            ("facts.managers.under_35", mg.under_35),
        ] {
            if val.is_none() {
                e.push(required(p));
            }
        }
        if f.director.gender.is_none() {
            e.push(required("facts.director.gender"));
        }
        if f.director.trained.is_none() {
            e.push(required("facts.director.trained"));
        }
    }
}

fn validate_plan(v: &Visit, is_final: bool, e: &mut Vec<ValidationError>) {
    let p = &v.plan;
    if let Some(name) = &p.enterprise_partner {
        check_len(e, "plan.enterprise_partner", name);
    }
    check_range(
        e,
        "plan.outstanding_debts",
        p.outstanding_debts.map(|x| x.0),
    );
    check_range(
        e,
        "plan.land_area_m2",
        p.land_area_m2.map(|x| i64::try_from(x).unwrap_or(i64::MAX)),
    );
    for (i, o) in p.ocop_products.iter().enumerate() {
        check_range(
            e,
            &format!("plan.ocop_products.{i}.stars"),
            Some(o.stars.into()),
        );
        if o.name.trim().is_empty() {
            e.push(required(&format!("plan.ocop_products.{i}.name")));
        }
    }
    if !is_final {
        return;
    }
    for (path, val) in [
        ("plan.value_chain", p.value_chain),
        ("plan.enterprise_link", p.enterprise_link),
        ("plan.high_tech", p.high_tech),
        ("plan.traceability", p.traceability),
        ("plan.direct_export", p.direct_export),
    ] {
        if val.is_none() {
            e.push(required(path));
        }
    }
    if p.enterprise_link == Some(true)
        && p.enterprise_partner
            .as_deref()
            .is_none_or(|s| s.trim().is_empty())
    {
        e.push(required("plan.enterprise_partner"));
    }
}

fn validate_sheet(
    v: &Visit,
    ctx: &ValidationContext,
    is_final: bool,
    e: &mut Vec<ValidationError>,
) {
    let Some(sheet) = &v.score_sheet else { return };
    check_range(e, "score_sheet.year", Some(sheet.year.into()));
    check_range(
        e,
        "score_sheet.facts.halted_days_in_year",
        Some(sheet.facts.halted_days_in_year.into()),
    );
    if let Some(founded) = sheet.facts.founded_on {
        if founded > ctx.now.date_naive() {
            e.push(in_future("founded_on"));
        }
    }
    let Some(reg) = ctx.rubrics else { return };
    let Some(rubric) = reg.get(&sheet.rubric_id, sheet.rubric_version) else {
        e.push(ValidationError::new(
            "score_sheet.rubric_id",
            ErrorCode::UnknownRubric,
            format!(
                "Không có bộ tiêu chí {} phiên bản {}",
                sheet.rubric_id, sheet.rubric_version
            ),
            format!(
                "Unknown rubric {} version {}",
                sheet.rubric_id, sheet.rubric_version
            ),
        ));
        return;
    };
    match score(sheet, rubric) {
        Ok(_) => {}
        Err(ScoreError::RubricMismatch { .. }) => {} // cannot happen: looked up by id/version
        Err(ScoreError::Items(issues)) => {
            for i in issues {
                // Missing items only matter once the visit is final.
                if matches!(i, ScoreIssue::MissingItem { .. }) && !is_final {
                    continue;
                }
                e.push(score_issue_error(&i));
            }
        }
    }
}

/// A score sheet problem as a validation error (`score_sheet.points.<code>`).
pub fn score_issue_error(i: &ScoreIssue) -> ValidationError {
    match i {
        ScoreIssue::AboveMaximum {
            item,
            points,
            max_points,
        } => ValidationError::new(
            format!("score_sheet.points.{item}"),
            ErrorCode::AboveMaximum,
            format!("Tiêu chí {item}: {points} điểm vượt điểm tối đa {max_points}"),
            format!("Criterion {item}: {points} points exceeds the maximum of {max_points}"),
        ),
        ScoreIssue::UnknownItem { item } => ValidationError::new(
            format!("score_sheet.points.{item}"),
            ErrorCode::UnknownItem,
            format!("Tiêu chí {item} không có trong bộ tiêu chí"),
            format!("Criterion {item} is not in the rubric"),
        ),
        ScoreIssue::MissingItem { item } => ValidationError::new(
            format!("score_sheet.points.{item}"),
            ErrorCode::MissingItem,
            format!("Chưa chấm điểm tiêu chí {item}"),
            format!("Criterion {item} has not been scored"),
        ),
    }
}

/// Validate an organisation record. `today` is the local date (no clock in core).
pub fn validate_organisation(
    o: &Organisation,
    today: NaiveDate,
    places: Option<&PlaceRegistry>,
) -> Vec<ValidationError> {
    let mut e = Vec::new();
    check_len(&mut e, "name", &o.name);
    if let Some(code) = &o.registration_code {
        check_len(&mut e, "registration_code", code);
    } else if o.kind != OrganisationKind::CooperativeGroup {
        // Only an unregistered tổ hợp tác may lack a code.
        e.push(required("registration_code"));
    }
    if o.founded_on.is_some_and(|d| d > today) {
        e.push(in_future("founded_on"));
    }
    if let Some(reg) = places {
        for (path, code, h) in [
            ("place_old", &o.place_old, Hierarchy::Old),
            ("place_new", &o.place_new, Hierarchy::New),
        ] {
            if let Some(code) = code {
                if reg
                    .get(h, code)
                    .is_none_or(|p| p.level != PlaceLevel::Commune)
                {
                    e.push(ValidationError::new(
                        path,
                        ErrorCode::UnknownReference,
                        format!(
                            "{}: không có đơn vị hành chính cấp xã mã {code}",
                            label_vi_for(path)
                        ),
                        format!(
                            "{}: no commune-level unit with code {code}",
                            label_en_for(path)
                        ),
                    ));
                }
            }
        }
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Vnd;
    use crate::organisation::Sector;
    use crate::points::Points;
    use crate::rubric::Rubric;
    use crate::score::ScoreSheet;
    use crate::time::VN_OFFSET;
    use crate::visit::{GeoFix, OcopProduct};
    use chrono::TimeZone;
    use uuid::Uuid;

    fn now() -> DateTime<FixedOffset> {
        VN_OFFSET.with_ymd_and_hms(2025, 9, 1, 12, 0, 0).unwrap()
    }
    fn org() -> Organisation {
        let mut o = Organisation::new(
            Uuid::from_u128(7),
            OrganisationKind::Cooperative,
            "HTX Thạnh Lộc",
            Sector::Crops,
        );
        o.registration_code = Some("1700123456".into());
        o
    }
    fn draft() -> Visit {
        Visit::new_draft(
            Uuid::from_u128(1),
            Uuid::from_u128(7),
            "Trần Thị B",
            now() - Duration::hours(2),
        )
    }
    use crate::fixtures::complete_final as complete;
    fn codes(errs: &[ValidationError]) -> Vec<(String, ErrorCode)> {
        errs.iter().map(|e| (e.path.clone(), e.code)).collect()
    }

    #[test]
    fn photo_references_are_checked_with_their_list_labels() {
        use crate::visit::PhotoRef;
        let o = org();
        let ctx = ValidationContext::new(now()).with_organisation(&o);
        let photo = |n: u8, caption: &str| PhotoRef {
            id: Uuid::from_u128(100 + u128::from(n)),
            sha256: crate::photo::sha256_hex(&[n]),
            caption: caption.into(),
        };
        let mut v = draft();
        v.photos = vec![photo(1, "Bảng hiệu HTX"), photo(2, "")];
        assert_eq!(
            validate_visit(&v, &ctx),
            vec![],
            "two distinct, well-named photos"
        );

        v.photos.push(photo(1, "again"));
        v.photos.push(PhotoRef {
            sha256: "not-a-hash".into(),
            ..photo(3, "")
        });
        v.photos.push(photo(4, &"x".repeat(501)));
        let errs = validate_visit(&v, &ctx);
        assert_eq!(
            codes(&errs),
            vec![
                ("photos.2".into(), ErrorCode::Duplicate),
                ("photos.3".into(), ErrorCode::Malformed),
                ("photos.4.caption".into(), ErrorCode::TooLong),
            ]
        );
        assert_eq!(field_label("photos.3"), ("Ảnh", "Photos"));
        assert_eq!(field_label("photos.4.caption").0, "Chú thích ảnh");
        assert!(errs[2].message_vi.contains("501"), "{}", errs[2].message_vi);

        v.photos = (0..=crate::photo::MAX_PHOTOS_PER_VISIT as u8)
            .map(|n| photo(n, ""))
            .collect();
        assert_eq!(
            codes(&validate_visit(&v, &ctx)),
            vec![("photos".into(), ErrorCode::OutOfRange)]
        );
    }

    /// In the list of what "Hoàn tất" found, each error names its field
    /// once, whether or not its message begins with the field's label.
    #[test]
    fn a_listed_error_names_its_field_once() {
        assert_eq!(
            labelled_message(&in_future("started_at")),
            (
                "Thời gian bắt đầu: không được ở tương lai".to_string(),
                "Start time: must not be in the future".to_string()
            )
        );
        assert_eq!(
            labelled_message(&required("facts.members.official")).0,
            "Thành viên chính thức: bắt buộc nhập"
        );
        let before = ValidationError::new(
            "finished_at",
            ErrorCode::BeforeStart,
            "Trước thời gian bắt đầu",
            "Before the start time",
        );
        assert_eq!(
            labelled_message(&before),
            (
                "Thời gian kết thúc: Trước thời gian bắt đầu".to_string(),
                "Finish time: Before the start time".to_string()
            )
        );
    }

    #[test]
    fn empty_draft_is_valid_and_final_is_not() {
        let o = org();
        let ctx = ValidationContext::new(now()).with_organisation(&o);
        assert_eq!(validate_visit(&draft(), &ctx), vec![]);
        let mut v = draft();
        v.state = VisitState::Final;
        let errs = validate_visit(&v, &ctx);
        assert!(
            errs.iter().all(|e| e.code == ErrorCode::Required),
            "{errs:?}"
        );
        assert!(codes(&errs).contains(&("facts.members.official".into(), ErrorCode::Required)));
        assert!(codes(&errs).contains(&("finished_at".into(), ErrorCode::Required)));
        assert_eq!(
            validate_visit(&complete(draft()), &ctx),
            vec![],
            "negative profit is allowed"
        );
    }

    #[test]
    fn kind_specific_completeness() {
        let mut o = org();
        o.kind = OrganisationKind::CooperativeGroup;
        let ctx = ValidationContext::new(now()).with_organisation(&o);
        let mut v = complete(draft());
        v.facts.members = Default::default();
        let c = codes(&validate_visit(&v, &ctx));
        assert_eq!(
            c,
            vec![("facts.members.group_members".into(), ErrorCode::Required)]
        );
    }

    #[test]
    fn cross_field_rules() {
        let ctx = ValidationContext::new(now());
        let mut v = draft();
        v.facts.managers.total = Some(3);
        v.facts.managers.with_degree = Some(4);
        v.facts.members.total = Some(10);
        v.facts.members.official = Some(11);
        v.facts.revenue = Some(Vnd(-1));
        v.facts.pre_tax_profit = Some(Vnd(-5_000_000));
        let c = codes(&validate_visit(&v, &ctx));
        assert!(c.contains(&("facts.managers.with_degree".into(), ErrorCode::ExceedsTotal)));
        assert!(c.contains(&("facts.members.total".into(), ErrorCode::CountsMismatch)));
        assert!(c.contains(&("facts.revenue".into(), ErrorCode::OutOfRange)));
        assert!(!c.iter().any(|(p, _)| p == "facts.pre_tax_profit"));

        // Draft: a total bigger than the types entered so far is fine; final: must add up.
        let mut v = complete(draft());
        v.facts.members.total = Some(200);
        let c = codes(&validate_visit(&v, &ctx));
        assert_eq!(
            c,
            vec![("facts.members.total".into(), ErrorCode::CountsMismatch)]
        );
        v.state = VisitState::Draft;
        assert!(validate_visit(&v, &ctx).is_empty());
    }

    #[test]
    fn future_dates_and_clock_skew() {
        let ctx = ValidationContext::new(now());
        let mut v = draft();
        v.started_at = now() + Duration::minutes(9);
        assert!(validate_visit(&v, &ctx).is_empty());
        v.started_at = now() + Duration::minutes(11);
        assert_eq!(
            codes(&validate_visit(&v, &ctx)),
            vec![("started_at".into(), ErrorCode::InFuture)]
        );
        let mut v = draft();
        v.finished_at = Some(v.started_at - Duration::minutes(1));
        assert_eq!(
            codes(&validate_visit(&v, &ctx)),
            vec![("finished_at".into(), ErrorCode::BeforeStart)]
        );

        let mut o = org();
        o.founded_on = Some(NaiveDate::from_ymd_opt(2025, 9, 2).unwrap());
        let c = codes(&validate_organisation(&o, now().date_naive(), None));
        assert_eq!(c, vec![("founded_on".into(), ErrorCode::InFuture)]);
        o.founded_on = Some(now().date_naive());
        assert!(validate_organisation(&o, now().date_naive(), None).is_empty());
    }

    #[test]
    fn ranges_gps_ocop_and_partner() {
        let ctx = ValidationContext::new(now());
        let mut v = complete(draft());
        v.location = GeoFix::from_degrees(48.85, 2.35, 5.0);
        v.plan.ocop_products.push(OcopProduct {
            name: "Nước mắm".into(),
            stars: 6,
        });
        v.plan.enterprise_partner = Some(" ".into());
        let c = codes(&validate_visit(&v, &ctx));
        assert!(c.contains(&("location.latitude_micro".into(), ErrorCode::OutOfRange)));
        assert!(c.contains(&("location.longitude_micro".into(), ErrorCode::OutOfRange)));
        assert!(c.contains(&("plan.ocop_products.0.stars".into(), ErrorCode::OutOfRange)));
        assert!(c.contains(&("plan.enterprise_partner".into(), ErrorCode::Required)));
        let stars = validate_visit(&v, &ctx)
            .into_iter()
            .find(|e| e.path == "plan.ocop_products.0.stars")
            .unwrap();
        assert!(
            stars.message_vi.contains("Số sao OCOP"),
            "{}",
            stars.message_vi
        );
    }

    #[test]
    fn score_sheet_errors_become_field_errors() {
        let reg = RubricRegistry::builtin();
        let ctx = ValidationContext::new(now()).with_rubrics(&reg);
        let r = Rubric::tt_01_2020();
        let mut v = draft();
        let mut s = ScoreSheet::new(&r, 2024);
        s.set("TC1.1", Points::from_centi(601))
            .set("TC42", Points::whole(1));
        v.score_sheet = Some(s.clone());
        let c = codes(&validate_visit(&v, &ctx));
        assert_eq!(
            c,
            vec![
                ("score_sheet.points.TC1.1".into(), ErrorCode::AboveMaximum),
                ("score_sheet.points.TC42".into(), ErrorCode::UnknownItem)
            ]
        );
        let mut v = complete(draft());
        s.points.clear();
        v.score_sheet = Some(s.clone());
        let c = codes(&validate_visit(&v, &ctx));
        assert_eq!(c.len(), r.scored_items().len());
        assert!(c.iter().all(|(_, code)| *code == ErrorCode::MissingItem));
        s.rubric_version = 9;
        v.score_sheet = Some(s);
        assert_eq!(
            codes(&validate_visit(&v, &ctx)),
            vec![("score_sheet.rubric_id".into(), ErrorCode::UnknownRubric)]
        );
    }

    #[test]
    fn a_revision_follows_the_one_it_replaces_up_to_the_bound() {
        let ctx = ValidationContext::new(now());
        let numbering = |rev: u32, rep: Option<u32>| {
            let mut v = draft();
            v.revision = rev;
            v.replaces_revision = rep;
            let errs: Vec<_> = validate_visit(&v, &ctx)
                .into_iter()
                .filter(|e| e.path.contains("revision"))
                .map(|e| (e.path, e.code))
                .collect();
            errs
        };
        assert!(numbering(0, None).is_empty());
        assert!(numbering(1, Some(0)).is_empty());
        assert!(numbering(MAX_REVISIONS - 1, Some(MAX_REVISIONS - 2)).is_empty());
        let invalid = vec![("replaces_revision".to_string(), ErrorCode::InvalidRevision)];
        assert_eq!(numbering(0, Some(0)), invalid);
        assert_eq!(numbering(2, Some(0)), invalid, "skips revision 1");
        assert_eq!(numbering(3, None), invalid);
        let too_many = vec![("revision".to_string(), ErrorCode::TooManyRevisions)];
        assert_eq!(numbering(MAX_REVISIONS, Some(MAX_REVISIONS - 1)), too_many);
        assert_eq!(
            numbering(u32::MAX, Some(u32::MAX - 1)),
            too_many,
            "cannot freeze a visit"
        );
        let e = check_revision_numbering(&{
            let mut v = draft();
            v.revision = 2;
            v.replaces_revision = Some(0);
            v
        })
        .unwrap();
        assert!(
            e.message_en.contains("must follow the one it replaces"),
            "{e:?}"
        );
        assert!(e.message_vi.contains("nối tiếp"), "{e:?}");
    }

    #[test]
    fn messages_in_both_languages() {
        let ctx = ValidationContext::new(now());
        let mut v = draft();
        v.state = VisitState::Final;
        v.officer = String::new();
        v.facts.managers.total = Some(1);
        v.facts.managers.under_35 = Some(2);
        v.facts.workers = Some(1_000_000);
        v.replaces_revision = Some(3);
        v.started_at = now() + Duration::days(1);
        let errs = validate_visit(&v, &ctx);
        assert!(errs.len() > 10);
        for e in &errs {
            assert!(
                !e.message_vi.is_empty() && !e.message_en.is_empty(),
                "{e:?}"
            );
            assert_ne!(e.message_vi, e.message_en, "{e:?}");
            assert!(
                !e.message_vi.starts_with("Trường dữ liệu"),
                "unlabelled field: {e:?}"
            );
            assert!(
                !e.message_en.starts_with("Field"),
                "unlabelled field: {e:?}"
            );
        }
        let w = errs.iter().find(|e| e.path == "facts.workers").unwrap();
        assert_eq!(
            w.message_vi,
            "Số lao động: giá trị 1.000.000 nằm ngoài khoảng cho phép từ 0 đến 100.000"
        );
        assert_eq!(w.code.as_str(), "out_of_range");
        assert_eq!(serde_json::to_value(w.code).unwrap(), "out_of_range");
    }

    #[test]
    fn organisation_places_checked() {
        let reg = PlaceRegistry::seed();
        let mut o = org();
        o.place_old = Some("30289".into());
        o.place_new = Some("883".into()); // an old district code, not a new commune
        let c = codes(&validate_organisation(&o, now().date_naive(), Some(&reg)));
        assert_eq!(c, vec![("place_new".into(), ErrorCode::UnknownReference)]);
        o.registration_code = None;
        let c = codes(&validate_organisation(&o, now().date_naive(), None));
        assert_eq!(c, vec![("registration_code".into(), ErrorCode::Required)]);
    }
}
