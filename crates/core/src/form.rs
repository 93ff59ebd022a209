//! The visit form as data (phiếu khảo sát): which fields, in which section,
//! of which kind, and how the text an officer types becomes a [`Visit`]
//! field. The browser form is a loop over [`SECTIONS`]; parsing and the
//! per-field error messages live here so they are tested natively.
//!
//! Fields are addressed by the same dotted paths as [`ValidationError::path`]
//! (`facts.members.official`), so a validation error lands next to its field.
//!
//! [`ValidationError::path`]: crate::problem::ValidationError

use crate::format::{parse_vnd, ParseError};
use crate::money::group_thousands;
use crate::organisation::{LegalStatus, Organisation};
use crate::points::Points;
use crate::rubric::Rubric;
use crate::score::ScoreSheet;
use crate::visit::Visit;
use serde_json::{Map, Value};

/// How a field is entered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// A head count: numeric keyboard, whole number ≥ 0.
    Count,
    /// An amount in đồng: numeric keyboard, shown with thousands separators.
    Money,
    /// Có / Không / chưa trả lời.
    YesNo,
    /// Free text.
    Text,
    /// One of `options` (serde names of an enum, with labels).
    Choice(&'static [ChoiceOption]),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChoiceOption {
    pub value: &'static str,
    pub label_vi: &'static str,
    pub label_en: &'static str,
}

const fn opt(value: &'static str, label_vi: &'static str, label_en: &'static str) -> ChoiceOption {
    ChoiceOption {
        value,
        label_vi,
        label_en,
    }
}

const fn status(s: LegalStatus) -> ChoiceOption {
    opt(s.as_str(), s.label_vi(), s.label_en())
}

/// Tình trạng hoạt động: [`LegalStatus`]'s codes and labels.
pub const STATUS_OPTIONS: &[ChoiceOption] = &[
    status(LegalStatus::Active),
    status(LegalStatus::Halted),
    status(LegalStatus::PendingDissolution),
    status(LegalStatus::Dissolved),
    status(LegalStatus::NonCompliant),
];

/// Giới tính giám đốc ([`crate::visit::Gender`]).
pub const GENDER_OPTIONS: &[ChoiceOption] =
    &[opt("female", "Nữ", "Female"), opt("male", "Nam", "Male")];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FormField {
    pub path: &'static str,
    pub kind: FieldKind,
}

const fn f(path: &'static str, kind: FieldKind) -> FormField {
    FormField { path, kind }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FormSection {
    pub id: &'static str,
    pub title_vi: &'static str,
    pub title_en: &'static str,
    pub fields: &'static [FormField],
}

use FieldKind::{Count, Money, Text, YesNo};

/// The form's sections with their fields, in display order. The score sheet
/// (from the rubric), notes and GPS are drawn separately.
pub const SECTIONS: &[FormSection] = &[
    FormSection {
        id: "facts",
        title_vi: "Thông tin tổ chức",
        title_en: "Organisation facts",
        fields: &[
            f("facts.status", FieldKind::Choice(STATUS_OPTIONS)),
            f("facts.members.official", Count),
            f("facts.members.associate_contributing", Count),
            f("facts.members.associate_non_contributing", Count),
            f("facts.members.group_members", Count),
            f("facts.members.member_cooperatives", Count),
            f("facts.members.total", Count),
            f("facts.workers", Count),
            f("facts.charter_capital", Money),
            f("facts.total_capital", Money),
            f("facts.indivisible_assets", Money),
            f("facts.revenue", Money),
            f("facts.pre_tax_profit", Money),
            f("facts.avg_member_income", Money),
            f("facts.managers.total", Count),
            f("facts.managers.with_degree", Count),
            f("facts.managers.vocational_trained", Count),
            f("facts.managers.under_35", Count),
            f("facts.director.gender", FieldKind::Choice(GENDER_OPTIONS)),
            f("facts.director.trained", YesNo),
        ],
    },
    FormSection {
        id: "plan",
        title_vi: "Chỉ tiêu Kế hoạch",
        title_en: "Plan indicators",
        fields: &[
            f("plan.value_chain", YesNo),
            f("plan.enterprise_link", YesNo),
            f("plan.enterprise_partner", Text),
            f("plan.high_tech", YesNo),
            f("plan.traceability", YesNo),
            f("plan.digital.e_invoice", YesNo),
            f("plan.digital.accounting_software", YesNo),
            f("plan.digital.e_commerce", YesNo),
            f("plan.digital.qr_payments", YesNo),
            f("plan.direct_export", YesNo),
            f("plan.trademark", YesNo),
            f("plan.geographical_indication", YesNo),
            f("plan.outstanding_debts", Money),
            f("plan.land_area_m2", Count),
        ],
    },
];

/// Why typed text cannot be stored in a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub path: String,
    pub message_vi: String,
    pub message_en: String,
}

impl InputError {
    fn new(path: &str, vi: impl Into<String>, en: impl Into<String>) -> InputError {
        InputError {
            path: path.to_string(),
            message_vi: vi.into(),
            message_en: en.into(),
        }
    }
}

/// The field with this path, if it is on the form.
pub fn field(path: &str) -> Option<&'static FormField> {
    SECTIONS
        .iter()
        .flat_map(|s| s.fields.iter())
        .find(|f| f.path == path)
}

fn pointer(path: &str) -> String {
    format!("/{}", path.replace('.', "/"))
}

/// The text to show in the input for `path` ("" when not answered).
/// Money is grouped (`1.250.000`), yes/no is `yes` / `no`.
pub fn read(visit: &Visit, path: &str) -> String {
    let Ok(v) = crate::json_tree::to_tree(visit) else {
        return String::new();
    };
    let kind = field(path).map(|f| f.kind);
    match v.pointer(&pointer(path)) {
        None | Some(Value::Null) => String::new(),
        Some(Value::Bool(b)) => if *b { "yes" } else { "no" }.to_string(),
        Some(Value::Number(n)) => match (kind, n.as_i64()) {
            (Some(Money), Some(i)) => group_thousands(i),
            _ => n.to_string(),
        },
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Stores what the officer typed into `path`. Empty input clears the field.
/// On error the visit is unchanged and the message says what to type.
pub fn write(visit: &mut Visit, path: &str, input: &str) -> Result<(), InputError> {
    let Some(field) = field(path) else {
        return Err(InputError::new(
            path,
            "Trường không có trên phiếu",
            "Not a form field",
        ));
    };
    let input = input.trim();
    let value = if input.is_empty() {
        Value::Null
    } else {
        match field.kind {
            Count => parse_count(path, input)?,
            Money => match parse_vnd(input) {
                Ok(v) => Value::from(v.get()),
                Err(e) => return Err(parse_error(path, &e)),
            },
            YesNo => match input {
                "yes" => Value::Bool(true),
                "no" => Value::Bool(false),
                _ => {
                    return Err(InputError::new(
                        path,
                        "Chọn Có hoặc Không",
                        "Choose yes or no",
                    ))
                }
            },
            Text => Value::String(input.to_string()),
            FieldKind::Choice(options) => {
                if !options.iter().any(|o| o.value == input) {
                    return Err(InputError::new(
                        path,
                        "Lựa chọn không hợp lệ",
                        "Not one of the choices",
                    ));
                }
                Value::String(input.to_string())
            }
        }
    };
    let mut doc = crate::json_tree::to_tree(visit)
        .map_err(|e| InputError::new(path, e.to_string(), e.to_string()))?;
    set_path(&mut doc, path, value);
    let updated: Visit = crate::json_tree::from_tree(doc).map_err(|_| {
        InputError::new(
            path,
            "Giá trị quá lớn hoặc không hợp lệ",
            "Value too large or invalid",
        )
    })?;
    *visit = updated;
    Ok(())
}

fn parse_count(path: &str, input: &str) -> Result<Value, InputError> {
    // Officers group thousands too ("1.200"); a count has no decimals.
    let digits: String = input
        .chars()
        .filter(|c| !matches!(c, '.' | ' ' | '\u{a0}'))
        .collect();
    match digits.parse::<u64>() {
        Ok(n) if u32::try_from(n).is_ok() || path == "plan.land_area_m2" => Ok(Value::from(n)),
        Ok(_) => Err(InputError::new(path, "Số quá lớn", "Number too large")),
        Err(_) if digits.starts_with('-') => Err(InputError::new(
            path,
            "Không được là số âm",
            "Cannot be negative",
        )),
        Err(_) => Err(InputError::new(
            path,
            format!("“{input}” không phải là số nguyên (ví dụ: 120)"),
            format!("“{input}” is not a whole number (e.g. 120)"),
        )),
    }
}

fn parse_error(path: &str, e: &ParseError) -> InputError {
    InputError::new(path, e.message_vi(), e.message_en())
}

/// Sets `path` in a JSON document, creating missing objects on the way.
fn set_path(doc: &mut Value, path: &str, value: Value) {
    let mut node = doc;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        let Value::Object(map) = node else { return };
        if parts.peek().is_none() {
            map.insert(part.to_string(), value);
            return;
        }
        node = map
            .entry(part.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

/// Points entered for a score-sheet item, as typed ("" when not scored).
pub fn read_points(visit: &Visit, code: &str) -> String {
    visit
        .score_sheet
        .as_ref()
        .and_then(|s| s.points.get(code))
        .map(|p| p.to_string())
        .unwrap_or_default()
}

/// Stores points for a score-sheet item, starting the sheet (for the visit's
/// year) on the first entry. Empty input removes the item. Points above the
/// item's maximum are refused here, so the running total never overstates.
pub fn write_points(
    visit: &mut Visit,
    rubric: &Rubric,
    code: &str,
    max: Points,
    input: &str,
) -> Result<(), InputError> {
    let path = format!("score_sheet.points.{code}");
    let input = input.trim();
    if input.is_empty() {
        if let Some(sheet) = visit.score_sheet.as_mut() {
            sheet.points.remove(code);
        }
        return Ok(());
    }
    let p = Points::parse(&input.replace(',', ".")).map_err(|_| {
        InputError::new(
            &path,
            format!("“{input}” không phải là số điểm hợp lệ (ví dụ: 7 hoặc 7,5)"),
            format!("“{input}” is not a valid score (e.g. 7 or 7.5)"),
        )
    })?;
    if p > max {
        return Err(InputError::new(
            &path,
            format!("Tối đa {max} điểm"),
            format!("At most {max} points"),
        ));
    }
    start_sheet(visit, rubric).set(code, p);
    Ok(())
}

/// The visit's score sheet, started (for the visit's year) if it was not.
fn start_sheet<'a>(visit: &'a mut Visit, rubric: &Rubric) -> &'a mut ScoreSheet {
    let year = chrono::Datelike::year(&visit.local_date());
    visit
        .score_sheet
        .get_or_insert_with(|| ScoreSheet::new(rubric, year))
}

/// Rating facts the officer answers on the score sheet (the exclusion and
/// penalty rules need them): days halted in the year (tạm ngừng hoạt động)
/// and an administrative penalty in the year (bị xử phạt vi phạm hành chính).
pub const HALTED_DAYS: &str = "score_sheet.facts.halted_days_in_year";
pub const ADMIN_PENALTY: &str = "score_sheet.facts.administrative_penalty_in_year";
pub static RATING_FACTS: [FormField; 2] = [f(HALTED_DAYS, Count), f(ADMIN_PENALTY, YesNo)];

/// The text to show for a rating fact: before the sheet is started, no
/// days ("") and no penalty ("no", the rules' default).
pub fn read_fact(visit: &Visit, path: &str) -> String {
    let Some(sheet) = &visit.score_sheet else {
        return if path == ADMIN_PENALTY {
            "no".into()
        } else {
            String::new()
        };
    };
    match path {
        HALTED_DAYS => sheet.facts.halted_days_in_year.to_string(),
        ADMIN_PENALTY => if sheet.facts.administrative_penalty_in_year {
            "yes"
        } else {
            "no"
        }
        .to_string(),
        _ => String::new(),
    }
}

/// Stores a rating fact as typed, starting the sheet if needed (empty input
/// means none: 0 days, no penalty). On error the visit is unchanged.
pub fn write_fact(
    visit: &mut Visit,
    rubric: &Rubric,
    path: &str,
    input: &str,
) -> Result<(), InputError> {
    let input = input.trim();
    match path {
        HALTED_DAYS => {
            let days = if input.is_empty() {
                0
            } else {
                parse_count(path, input)?.as_u64().unwrap_or(u64::MAX)
            };
            if days > 366 {
                return Err(InputError::new(
                    path,
                    "Một năm có nhiều nhất 366 ngày",
                    "A year has at most 366 days",
                ));
            }
            start_sheet(visit, rubric).facts.halted_days_in_year = days as u16;
        }
        ADMIN_PENALTY => {
            let yes = match input {
                "yes" => true,
                "no" | "" => false,
                _ => {
                    return Err(InputError::new(
                        path,
                        "Chọn Có hoặc Không",
                        "Choose yes or no",
                    ))
                }
            };
            start_sheet(visit, rubric)
                .facts
                .administrative_penalty_in_year = yes;
        }
        _ => {
            return Err(InputError::new(
                path,
                "Trường không có trên phiếu",
                "Not a form field",
            ))
        }
    }
    Ok(())
}

/// Copies into a started score sheet the facts that come from the registry
/// (founding date, agricultural sector), so the exclusion rules (founded
/// less than 12 months before) and the agricultural rules apply, and the
/// stored sheet keeps scoring the same if the registry changes later.
pub fn copy_organisation_facts(visit: &mut Visit, organisation: &Organisation) {
    if let Some(sheet) = visit.score_sheet.as_mut() {
        sheet.facts.founded_on = organisation.founded_on;
        sheet.facts.agricultural = organisation.is_agricultural();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::VN_OFFSET;
    use crate::validation::field_label;
    use chrono::TimeZone;
    use uuid::Uuid;

    fn draft() -> Visit {
        let t = VN_OFFSET.with_ymd_and_hms(2025, 9, 3, 8, 30, 0).unwrap();
        Visit::new_draft(Uuid::nil(), Uuid::nil(), "canbo1", t)
    }

    #[test]
    fn every_form_field_has_a_real_label_and_exists_on_a_visit() {
        let mut v = draft();
        for s in SECTIONS {
            for fld in s.fields {
                let (vi, en) = field_label(fld.path);
                assert_ne!(vi, "Trường dữ liệu", "{} has no Vietnamese label", fld.path);
                assert_ne!(en, "Field", "{} has no English label", fld.path);
                let sample = match fld.kind {
                    Count => "12",
                    Money => "1.250.000",
                    YesNo => "yes",
                    Text => "Công ty A",
                    FieldKind::Choice(o) => o[0].value,
                };
                write(&mut v, fld.path, sample).unwrap_or_else(|e| panic!("{}: {e:?}", fld.path));
                assert_eq!(
                    read(&v, fld.path),
                    sample,
                    "{} does not round-trip",
                    fld.path
                );
            }
        }
        assert_eq!(v.facts.members.official, Some(12));
        assert_eq!(v.facts.charter_capital.map(|x| x.get()), Some(1_250_000));
        assert_eq!(v.plan.digital.qr_payments, Some(true));
    }

    #[test]
    fn empty_input_clears_and_bad_input_changes_nothing() {
        let mut v = draft();
        write(&mut v, "facts.workers", "15").unwrap();
        let before = v.clone();
        let e = write(&mut v, "facts.workers", "mười lăm").unwrap_err();
        assert!(e.message_vi.contains("không phải là số nguyên"), "{e:?}");
        let e = write(&mut v, "facts.workers", "-3").unwrap_err();
        assert_eq!(e.message_vi, "Không được là số âm");
        let e = write(&mut v, "facts.revenue", "1,5").unwrap_err();
        assert!(e.message_vi.contains("phần thập phân"), "{e:?}");
        assert_eq!(v, before);
        write(&mut v, "facts.workers", " ").unwrap();
        assert_eq!(v.facts.workers, None);
        assert_eq!(read(&v, "facts.workers"), "");
    }

    #[test]
    fn counts_accept_grouped_thousands_and_refuse_overflow() {
        let mut v = draft();
        write(&mut v, "facts.members.official", "1.200").unwrap();
        assert_eq!(v.facts.members.official, Some(1200));
        assert!(write(&mut v, "facts.members.official", "99999999999").is_err());
        write(&mut v, "plan.land_area_m2", "99999999999").unwrap();
        assert_eq!(v.plan.land_area_m2, Some(99_999_999_999));
    }

    #[test]
    fn rating_facts_start_the_sheet_and_come_from_the_registry() {
        use crate::device::running_score;
        let rubric = Rubric::tt_01_2020();
        let mut v = draft();
        assert_eq!(
            (
                read_fact(&v, HALTED_DAYS).as_str(),
                read_fact(&v, ADMIN_PENALTY).as_str()
            ),
            ("", "no")
        );
        let e = write_fact(&mut v, &rubric, HALTED_DAYS, "400").unwrap_err();
        assert!(e.message_vi.contains("366"), "{e:?}");
        assert!(v.score_sheet.is_none(), "a refused input changes nothing");
        write_fact(&mut v, &rubric, HALTED_DAYS, "120").unwrap();
        write_fact(&mut v, &rubric, ADMIN_PENALTY, "yes").unwrap();
        assert_eq!(
            (
                read_fact(&v, HALTED_DAYS).as_str(),
                read_fact(&v, ADMIN_PENALTY).as_str()
            ),
            ("120", "yes")
        );
        // Halted four months of the year: not rated, whatever the points.
        let score = running_score(&v, &rubric).unwrap();
        assert_eq!(score.grade, None);
        assert!(score.note_vi.unwrap().contains("ngừng hoạt động 120 ngày"));
        write_fact(&mut v, &rubric, HALTED_DAYS, "").unwrap();
        assert_eq!(read_fact(&v, HALTED_DAYS), "0");
        assert!(running_score(&v, &rubric).unwrap().grade.is_some());

        // Founded less than 12 months before the end of the year: not rated.
        let mut o = crate::Organisation::new(
            Uuid::nil(),
            crate::OrganisationKind::Cooperative,
            "HTX Mới",
            crate::Sector::Crops,
        );
        o.founded_on = chrono::NaiveDate::from_ymd_opt(2025, 3, 1);
        copy_organisation_facts(&mut v, &o);
        let sheet = v.score_sheet.as_ref().unwrap();
        assert_eq!(
            (sheet.facts.founded_on, sheet.facts.agricultural),
            (o.founded_on, o.is_agricultural())
        );
        assert_eq!(running_score(&v, &rubric).unwrap().grade, None);
        // No sheet, nothing copied.
        let mut blank = draft();
        copy_organisation_facts(&mut blank, &o);
        assert!(blank.score_sheet.is_none());
    }

    #[test]
    fn points_start_the_sheet_and_respect_the_maximum() {
        let rubric = Rubric::tt_01_2020();
        let mut v = draft();
        let (code, max) = rubric.groups[0].criteria[0].scored_items()[0];
        let (code, max) = (code.to_string(), max);
        write_points(&mut v, &rubric, &code, max, "3,5").unwrap();
        let sheet = v.score_sheet.as_ref().unwrap();
        assert_eq!(sheet.year, 2025);
        assert_eq!(read_points(&v, &code), Points::from_centi(350).to_string());
        let too_many = format!("{}", max.as_f64() + 1.0);
        let e = write_points(&mut v, &rubric, &code, max, &too_many).unwrap_err();
        assert!(e.message_vi.starts_with("Tối đa"), "{e:?}");
        write_points(&mut v, &rubric, &code, max, "").unwrap();
        assert_eq!(read_points(&v, &code), "");
    }
}
