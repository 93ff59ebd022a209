//! The visit form's parts (phần của phiếu) and how far each is filled: what
//! the form's section navigator shows. A part is complete when something
//! in it is answered and "Hoàn tất" would find nothing wrong or missing in
//! it, so "complete" means exactly what validation means by it (members of
//! a union, not of a cooperative; a partner only with an enterprise link).
use crate::form::SECTIONS;
use crate::validation::{validate_visit, ValidationContext};
use crate::{ErrorCode, Organisation, Rubric, RubricRegistry, Visit, VisitState};
use chrono::{DateTime, FixedOffset};
use serde_json::Value;

/// One part of the visit form, in the order the officer goes through them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FormPart {
    /// Thông tin tổ chức.
    Facts,
    /// Chỉ tiêu Kế hoạch.
    Plan,
    /// Phiếu chấm điểm (the rating facts and the rubric's items).
    Score,
    /// Ảnh.
    Photos,
    /// Ghi chú và vị trí GPS.
    Notes,
}

impl FormPart {
    pub const ALL: [FormPart; 5] = [
        FormPart::Facts,
        FormPart::Plan,
        FormPart::Score,
        FormPart::Photos,
        FormPart::Notes,
    ];

    /// The part's code in URLs (`?part=score`) and test ids.
    pub const fn as_str(self) -> &'static str {
        match self {
            FormPart::Facts => "facts",
            FormPart::Plan => "plan",
            FormPart::Score => "score",
            FormPart::Photos => "photos",
            FormPart::Notes => "notes",
        }
    }

    pub fn from_code(code: &str) -> Option<FormPart> {
        FormPart::ALL.into_iter().find(|p| p.as_str() == code)
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            FormPart::Facts => "Thông tin tổ chức",
            FormPart::Plan => "Chỉ tiêu Kế hoạch",
            FormPart::Score => "Phiếu chấm điểm",
            FormPart::Photos => "Ảnh",
            FormPart::Notes => "Ghi chú và GPS",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            FormPart::Facts => "Organisation facts",
            FormPart::Plan => "Plan indicators",
            FormPart::Score => "Score sheet",
            FormPart::Photos => "Photos",
            FormPart::Notes => "Notes and GPS",
        }
    }

    /// The label in the navigator, short enough for five on a phone's width.
    pub fn short_vi(self) -> &'static str {
        match self {
            FormPart::Facts => "Tổ chức",
            FormPart::Plan => "Chỉ tiêu",
            FormPart::Score => "Chấm điểm",
            FormPart::Photos => "Ảnh",
            FormPart::Notes => "Ghi chú",
        }
    }

    pub fn short_en(self) -> &'static str {
        match self {
            FormPart::Facts => "Facts",
            FormPart::Plan => "Plan",
            FormPart::Score => "Score",
            FormPart::Photos => "Photos",
            FormPart::Notes => "Notes",
        }
    }

    /// The part after this one ("Phần tiếp"), none after the last.
    pub fn next(self) -> Option<FormPart> {
        let i = FormPart::ALL.iter().position(|p| *p == self)?;
        FormPart::ALL.get(i + 1).copied()
    }

    /// The part whose input holds the field at `path` (a validation error's
    /// or an input error's path); none for what the officer does not type
    /// (times, the officer's name, the organisation).
    pub fn of_path(path: &str) -> Option<FormPart> {
        let head = path.split('.').next().unwrap_or_default();
        match head {
            "facts" => Some(FormPart::Facts),
            "plan" => Some(FormPart::Plan),
            "score_sheet" => Some(FormPart::Score),
            "photos" => Some(FormPart::Photos),
            "notes" | "location" => Some(FormPart::Notes),
            _ => None,
        }
    }
}

/// The id of the input that holds `path` on the form, so an error can lead
/// the officer to it: `s-<code>` for a score item, `visit-notes`,
/// `visit-location` for GPS, `f-<path with dashes>` for the rest.
pub fn input_id(path: &str) -> String {
    if let Some(code) = path.strip_prefix("score_sheet.points.") {
        return format!("s-{code}");
    }
    match FormPart::of_path(path) {
        Some(FormPart::Notes) if path == "notes" => "visit-notes".into(),
        Some(FormPart::Notes) => "visit-location".into(),
        Some(FormPart::Photos) => "visit-photos".into(),
        _ => format!("f-{}", path.replace('.', "-")),
    }
}

/// How far a part is filled, as the navigator shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartState {
    /// Chưa bắt đầu: nothing answered.
    NotStarted,
    /// Đang điền: answered in part; "Hoàn tất" would still ask for more.
    InProgress,
    /// Đã xong: answered, nothing missing or wrong.
    Complete,
    /// Có lỗi: a value the form refused, or an error "Hoàn tất" found.
    Errors,
}

impl PartState {
    pub const fn as_str(self) -> &'static str {
        match self {
            PartState::NotStarted => "not_started",
            PartState::InProgress => "in_progress",
            PartState::Complete => "complete",
            PartState::Errors => "errors",
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            PartState::NotStarted => "Chưa bắt đầu",
            PartState::InProgress => "Đang điền",
            PartState::Complete => "Đã xong",
            PartState::Errors => "Có lỗi",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            PartState::NotStarted => "Not started",
            PartState::InProgress => "In progress",
            PartState::Complete => "Complete",
            PartState::Errors => "Has errors",
        }
    }
}

/// What the form knows besides the visit: its organisation and rubric, and
/// "now" (a final visit may not be finished in the future).
pub struct FormContext<'a> {
    pub organisation: Option<&'a Organisation>,
    pub rubric: Option<&'a Rubric>,
    pub now: DateTime<FixedOffset>,
}

impl FormContext<'_> {
    /// What validation finds wrong (or, for a final visit, missing) in
    /// `visit` against this organisation and rubric: "Hoàn tất"'s check.
    pub fn validate(&self, visit: &Visit) -> Vec<crate::ValidationError> {
        let mut rubrics = RubricRegistry::new();
        if let Some(r) = self.rubric {
            let _ = rubrics.add(r.clone());
        }
        let mut vcx = ValidationContext::new(self.now).with_rubrics(&rubrics);
        if let Some(o) = self.organisation {
            vcx = vcx.with_organisation(o);
        }
        validate_visit(visit, &vcx)
    }
}

/// Each part's state, in [`FormPart::ALL`] order. `shown_errors` are the
/// paths of the errors on screen (refused input, or what the last
/// "Hoàn tất" found): their parts show errors until they are fixed.
pub fn part_states<'p>(
    visit: &Visit,
    cx: &FormContext<'_>,
    shown_errors: impl IntoIterator<Item = &'p str>,
) -> Vec<(FormPart, PartState)> {
    let mut with_errors: Vec<FormPart> = shown_errors
        .into_iter()
        .filter_map(FormPart::of_path)
        .collect();
    // What "Hoàn tất" would say now, for the parts still missing something.
    let mut as_final = visit.clone();
    as_final.state = VisitState::Final;
    as_final.finished_at.get_or_insert(cx.now);
    let mut incomplete = Vec::new();
    for e in cx.validate(&as_final) {
        if let Some(p) = FormPart::of_path(&e.path) {
            match e.code {
                // Not answered yet: missing, not wrong.
                ErrorCode::Required | ErrorCode::MissingItem => incomplete.push(p),
                _ => with_errors.push(p),
            }
        }
    }
    let answered = answered_parts(visit);
    FormPart::ALL
        .into_iter()
        .map(|p| {
            let state = if with_errors.contains(&p) {
                PartState::Errors
            } else if !answered.contains(&p) {
                PartState::NotStarted
            } else if incomplete.contains(&p) {
                PartState::InProgress
            } else {
                PartState::Complete
            };
            (p, state)
        })
        .collect()
}

/// The parts with at least one answer.
fn answered_parts(visit: &Visit) -> Vec<FormPart> {
    let mut out = Vec::new();
    // One serialisation for all the form's fields (form::read would make one each).
    let json = crate::json_tree::to_tree(visit).unwrap_or(Value::Null);
    for (part, section) in [(FormPart::Facts, "facts"), (FormPart::Plan, "plan")] {
        let any = SECTIONS
            .iter()
            .filter(|s| s.id == section)
            .flat_map(|s| s.fields)
            .any(|f| {
                let pointer = format!("/{}", f.path.replace('.', "/"));
                !matches!(json.pointer(&pointer), None | Some(Value::Null))
            });
        if any {
            out.push(part);
        }
    }
    // The sheet starts with the first rating fact or points typed.
    if visit.score_sheet.is_some() {
        out.push(FormPart::Score);
    }
    if !visit.photos.is_empty() {
        out.push(FormPart::Photos);
    }
    if !visit.notes.trim().is_empty() || visit.location.is_some() {
        out.push(FormPart::Notes);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::complete_final;
    use crate::form;
    use crate::time::VN_OFFSET;
    use crate::{OrganisationKind, Sector};
    use chrono::TimeZone;
    use uuid::Uuid;

    fn now() -> DateTime<FixedOffset> {
        VN_OFFSET.with_ymd_and_hms(2025, 9, 1, 12, 0, 0).unwrap()
    }
    fn org() -> Organisation {
        Organisation::new(
            Uuid::from_u128(7),
            OrganisationKind::Cooperative,
            "HTX Thạnh Lộc",
            Sector::Crops,
        )
    }
    fn draft() -> Visit {
        Visit::new_draft(
            Uuid::from_u128(1),
            Uuid::from_u128(7),
            "canbo1",
            now() - chrono::Duration::hours(2),
        )
    }
    fn states(v: &Visit, o: &Organisation, r: &Rubric, shown: &[&str]) -> Vec<&'static str> {
        let cx = FormContext {
            organisation: Some(o),
            rubric: Some(r),
            now: now(),
        };
        part_states(v, &cx, shown.iter().copied())
            .into_iter()
            .map(|(_, s)| s.as_str())
            .collect()
    }

    #[test]
    fn a_new_draft_has_every_part_not_started() {
        let (o, r) = (org(), Rubric::tt_01_2020());
        assert_eq!(states(&draft(), &o, &r, &[]), ["not_started"; 5]);
    }

    #[test]
    fn a_part_is_in_progress_until_validation_finds_nothing_missing_in_it() {
        let (o, r) = (org(), Rubric::tt_01_2020());
        let mut v = draft();
        form::write(&mut v, "facts.members.official", "120").unwrap();
        assert_eq!(states(&v, &o, &r, &[])[0], "in_progress");
        // Everything a final cooperative visit needs, as a draft.
        let mut full = complete_final(draft());
        full.state = VisitState::Draft;
        full.finished_at = None;
        let s = states(&full, &o, &r, &[]);
        assert_eq!(&s[..2], ["complete", "complete"]);
        // A union's members are other cooperatives: the same facts are not enough.
        let mut union = org();
        union.kind = OrganisationKind::CooperativeUnion;
        assert_eq!(states(&full, &union, &r, &[])[0], "in_progress");
    }

    #[test]
    fn a_wrong_value_or_an_error_on_screen_marks_its_part() {
        let (o, r) = (org(), Rubric::tt_01_2020());
        let mut v = complete_final(draft());
        v.state = VisitState::Draft;
        // More managers with a degree than managers: wrong, not missing.
        v.facts.managers.with_degree = Some(9);
        assert_eq!(states(&v, &o, &r, &[])[0], "errors");
        // Text the form refused never reached the visit; the screen says so.
        let v = draft();
        let s = states(&v, &o, &r, &["plan.land_area_m2", "score_sheet.points.1.1"]);
        assert_eq!(
            s,
            [
                "not_started",
                "errors",
                "errors",
                "not_started",
                "not_started"
            ]
        );
    }

    #[test]
    fn the_score_sheet_is_complete_when_every_item_is_scored() {
        let (o, r) = (org(), Rubric::tt_01_2020());
        let mut v = draft();
        let items: Vec<(String, crate::Points)> = r
            .groups
            .iter()
            .flat_map(|g| &g.criteria)
            .flat_map(|c| c.scored_items())
            .map(|(code, max)| (code.to_string(), max))
            .collect();
        let (first, max) = &items[0];
        form::write_points(&mut v, &r, first, *max, "1").unwrap();
        assert_eq!(states(&v, &o, &r, &[])[2], "in_progress");
        for (code, max) in &items {
            form::write_points(&mut v, &r, code, *max, "0").unwrap();
        }
        assert_eq!(states(&v, &o, &r, &[])[2], "complete");
    }

    #[test]
    fn photos_notes_and_gps_are_complete_once_given() {
        let (o, r) = (org(), Rubric::tt_01_2020());
        let mut v = draft();
        v.notes = "Đã đối chiếu sổ sách".into();
        assert_eq!(states(&v, &o, &r, &[])[4], "complete");
        v.location = Some(crate::visit::GeoFix {
            latitude_micro: 99,
            longitude_micro: 105_000_000,
            accuracy_m: 10,
        });
        // A latitude outside Vietnam is wrong wherever it came from.
        assert_eq!(states(&v, &o, &r, &[])[4], "errors");
    }

    #[test]
    fn every_error_path_leads_to_a_part_and_an_input() {
        assert_eq!(
            FormPart::of_path("facts.members.total"),
            Some(FormPart::Facts)
        );
        assert_eq!(
            FormPart::of_path("score_sheet.facts.halted_days_in_year"),
            Some(FormPart::Score)
        );
        assert_eq!(
            FormPart::of_path("location.latitude_micro"),
            Some(FormPart::Notes)
        );
        assert_eq!(FormPart::of_path("finished_at"), None);
        assert_eq!(input_id("facts.members.total"), "f-facts-members-total");
        assert_eq!(input_id("score_sheet.points.2.1"), "s-2.1");
        assert_eq!(input_id("notes"), "visit-notes");
        // Every field of the form's sections belongs to the part it is drawn in.
        for s in form::SECTIONS {
            for f in s.fields {
                assert_eq!(FormPart::of_path(f.path).map(FormPart::as_str), Some(s.id));
            }
        }
        for p in FormPart::ALL {
            assert_eq!(FormPart::from_code(p.as_str()), Some(p));
        }
        assert_eq!(FormPart::Notes.next(), None);
        assert_eq!(FormPart::Facts.next(), Some(FormPart::Plan));
    }
}
