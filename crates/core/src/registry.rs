//! Importing the registry of organisations (danh bạ tổ chức KTTT) from a CSV
//! file, as the alliance keeps it in a spreadsheet. Every row is checked
//! before anything is written; each problem names its line and column in
//! Vietnamese and English, so staff can fix the file and import it again.
//!
//! Columns (header row required, any order, extra columns ignored):
//! `ma_so` (registration code), `ten` (name), `loai_hinh` (kind), `linh_vuc`
//! (sector), `tinh_trang` (legal status), `ma_xa` (commune code, current
//! hierarchy), `ngay_thanh_lap` (dd/mm/yyyy), `dia_chi` (address). Kinds,
//! sectors and statuses are accepted as codes or as their Vietnamese names,
//! with or without diacritics.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;

use crate::format::parse_date_vn;
use crate::organisation::{LegalStatus, Organisation, OrganisationKind, Sector};
use crate::place::PlaceRegistry;
use crate::search::fold;
use crate::validation::validate_organisation;

/// A problem with one cell (or row) of the file.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    /// Line in the file (the header is line 1).
    pub line: usize,
    /// Column name, or a field path of the organisation.
    pub column: String,
    pub message_vi: String,
    pub message_en: String,
}

impl RowError {
    fn new(line: usize, column: &str, vi: impl Into<String>, en: impl Into<String>) -> RowError {
        RowError {
            line,
            column: column.to_owned(),
            message_vi: vi.into(),
            message_en: en.into(),
        }
    }
}

pub const COLUMNS: [&str; 8] = [
    "ma_so",
    "ten",
    "loai_hinh",
    "linh_vuc",
    "tinh_trang",
    "ma_xa",
    "ngay_thanh_lap",
    "dia_chi",
];
const REQUIRED: [&str; 4] = ["ten", "loai_hinh", "linh_vuc", "ma_xa"];

/// A value given as a code or a Vietnamese name (folded comparison).
fn choice<T: crate::Coded>(input: &str, all: &[T], label: impl Fn(T) -> &'static str) -> Option<T> {
    let input = input.trim();
    T::from_code(input).or_else(|| {
        let wanted = fold(input);
        all.iter().copied().find(|&v| fold(label(v)) == wanted)
    })
}

/// Parses and checks the whole file. `id_for(line)` gives each new
/// organisation its id. Either every row is good (`Ok`: line and
/// organisation, in file order) or
/// the list of every problem found (`Err`).
pub fn parse_registry_csv(
    text: &str,
    today: NaiveDate,
    places: &PlaceRegistry,
    mut id_for: impl FnMut(usize) -> Uuid,
) -> Result<Vec<(usize, Organisation)>, Vec<RowError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| fold(c).replace(' ', "_")).collect(),
        Err(e) => {
            return Err(vec![RowError::new(
                1,
                "",
                format!("Không đọc được dòng tiêu đề: {e}"),
                format!("Cannot read the header row: {e}"),
            )])
        }
    };
    let index: HashMap<&str, usize> = COLUMNS
        .iter()
        .filter_map(|c| headers.iter().position(|h| h == c).map(|i| (*c, i)))
        .collect();
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|c| !index.contains_key(c))
        .collect();
    if !missing.is_empty() {
        let list = missing.join(", ");
        return Err(vec![RowError::new(
            1,
            &list,
            format!(
                "Thiếu cột bắt buộc: {list} (các cột: {})",
                COLUMNS.join(", ")
            ),
            format!(
                "Required columns missing: {list} (columns: {})",
                COLUMNS.join(", ")
            ),
        )]);
    }
    let mut errors = Vec::new();
    let mut out = Vec::new();
    let mut codes: HashMap<String, usize> = HashMap::new();
    for (i, record) in reader.records().enumerate() {
        // The line in the file as an editor shows it: blank lines and quoted
        // line breaks make it differ from the record's number.
        let line = |p: Option<&csv::Position>| p.map_or(i + 2, |p| p.line() as usize);
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(RowError::new(
                    line(e.position()),
                    "",
                    format!("Dòng không đọc được: {e}"),
                    format!("Unreadable line: {e}"),
                ));
                continue;
            }
        };
        if record.iter().all(|c| c.is_empty()) {
            continue;
        }
        let line = line(record.position());
        let cell = |c: &str| {
            index
                .get(c)
                .and_then(|&i| record.get(i))
                .unwrap_or("")
                .to_owned()
        };
        let before = errors.len();
        for c in REQUIRED {
            if cell(c).is_empty() {
                errors.push(RowError::new(line, c, "Bắt buộc", "Required"));
            }
        }
        let kind = choice(
            &cell("loai_hinh"),
            &OrganisationKind::ALL,
            OrganisationKind::label_vi,
        );
        if kind.is_none() && !cell("loai_hinh").is_empty() {
            errors.push(RowError::new(
                line,
                "loai_hinh",
                format!("Loại hình không rõ: «{}»", cell("loai_hinh")),
                format!("Unknown kind: «{}»", cell("loai_hinh")),
            ));
        }
        let sector = choice(&cell("linh_vuc"), &Sector::ALL, Sector::label_vi).or_else(|| {
            Sector::ALL
                .into_iter()
                .find(|s| s.codes().contains(&cell("linh_vuc").as_str()))
        });
        if sector.is_none() && !cell("linh_vuc").is_empty() {
            errors.push(RowError::new(
                line,
                "linh_vuc",
                format!("Lĩnh vực không rõ: «{}»", cell("linh_vuc")),
                format!("Unknown sector: «{}»", cell("linh_vuc")),
            ));
        }
        let status = match cell("tinh_trang") {
            s if s.is_empty() => Some(LegalStatus::Active),
            s => choice(&s, &LegalStatus::ALL, LegalStatus::label_vi),
        };
        if status.is_none() {
            errors.push(RowError::new(
                line,
                "tinh_trang",
                format!("Tình trạng không rõ: «{}»", cell("tinh_trang")),
                format!("Unknown status: «{}»", cell("tinh_trang")),
            ));
        }
        let founded_on = match cell("ngay_thanh_lap") {
            s if s.is_empty() => None,
            s => match parse_date_vn(&s) {
                Ok(d) => Some(d),
                Err(e) => {
                    errors.push(RowError::new(
                        line,
                        "ngay_thanh_lap",
                        e.message_vi(),
                        e.message_en(),
                    ));
                    None
                }
            },
        };
        let code = Some(cell("ma_so")).filter(|c| !c.is_empty());
        if let Some(c) = &code {
            if let Some(first) = codes.insert(c.clone(), line) {
                errors.push(RowError::new(
                    line,
                    "ma_so",
                    format!("Mã số {c} trùng với dòng {first}"),
                    format!("Code {c} repeats line {first}"),
                ));
            }
        }
        let (Some(kind), Some(sector)) = (kind, sector) else {
            continue;
        };
        if errors.len() > before {
            continue;
        }
        let mut o = Organisation::new(id_for(line), kind, cell("ten"), sector);
        o.registration_code = code;
        o.address = cell("dia_chi");
        o.place_new = Some(cell("ma_xa"));
        o.founded_on = founded_on;
        o.legal_status = status.unwrap_or_default();
        for e in validate_organisation(&o, today, Some(places)) {
            let column = match e.path.as_str() {
                "registration_code" => "ma_so",
                "name" => "ten",
                "place_new" => "ma_xa",
                "founded_on" => "ngay_thanh_lap",
                other => other,
            };
            errors.push(RowError::new(line, column, e.message_vi, e.message_en));
        }
        out.push((line, o));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 12, 1).unwrap()
    }

    fn parse(text: &str) -> Result<Vec<(usize, Organisation)>, Vec<RowError>> {
        let mut n = 0u128;
        parse_registry_csv(text, today(), &PlaceRegistry::seed(), |_| {
            n += 1;
            Uuid::from_u128(n)
        })
    }

    #[test]
    fn good_rows_with_codes_or_vietnamese_names() {
        let text = "\u{feff}ma_so,ten,loai_hinh,linh_vuc,tinh_trang,ma_xa,ngay_thanh_lap\n\
            1700999001,HTX Dịch vụ Nông nghiệp Thạnh Đông,Hợp tác xã,crops,Đang hoạt động,30850,15/03/2016\n\
            ,Tổ hợp tác nuôi tôm,to hop tac,aquaculture,,30850,\n";
        let orgs: Vec<Organisation> = parse(text).unwrap().into_iter().map(|(_, o)| o).collect();
        assert_eq!(orgs.len(), 2);
        assert_eq!(orgs[0].kind, OrganisationKind::Cooperative);
        assert_eq!(orgs[0].founded_on, NaiveDate::from_ymd_opt(2016, 3, 15));
        assert_eq!(orgs[1].kind, OrganisationKind::CooperativeGroup);
        assert_eq!(
            orgs[1].registration_code, None,
            "a tổ hợp tác may have no code"
        );
        assert_eq!(orgs[1].legal_status, LegalStatus::Active);
    }

    #[test]
    fn every_problem_is_reported_with_its_line_and_nothing_passes() {
        let text = "ten,loai_hinh,linh_vuc,ma_xa,ma_so,ngay_thanh_lap\n\
            HTX A,Hợp tác xã,crops,30850,111,01/01/2020\n\
            HTX B,Hợp tác xã,crops,99999,111,31/02/2020\n\
            ,hợp tác xã kiểu mới,crops,30850,222,\n\
            HTX D,Hợp tác xã,crops,30850,,\n";
        let errors = parse(text).unwrap_err();
        let found: Vec<(usize, &str)> =
            errors.iter().map(|e| (e.line, e.column.as_str())).collect();
        assert!(
            found.contains(&(3, "ma_so")),
            "duplicate code in the file: {errors:#?}"
        );
        assert!(found.contains(&(3, "ngay_thanh_lap")), "{errors:#?}");
        assert!(found.contains(&(4, "ten")), "{errors:#?}");
        assert!(found.contains(&(4, "loai_hinh")), "{errors:#?}");
        assert!(
            found.contains(&(5, "ma_so")),
            "an HTX needs a code: {errors:#?}"
        );
        assert!(
            !found.iter().any(|(l, _)| *l == 2),
            "line 2 is fine: {errors:#?}"
        );
        assert!(errors
            .iter()
            .all(|e| !e.message_vi.is_empty() && !e.message_en.is_empty()));
    }

    #[test]
    fn lines_are_counted_as_an_editor_shows_them() {
        // A blank line and a name with a quoted line break come before the bad row.
        let text = "ten,loai_hinh,linh_vuc,ma_xa,ma_so\n\
            \n\
            \"HTX A\nchi nhánh\",Hợp tác xã,crops,30850,111\n\
            HTX B,Hợp tác xã,crops,99999,112\n";
        let errors = parse(text).unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [5], "{errors:#?}");
    }

    #[test]
    fn missing_columns_are_named() {
        let errors = parse("ten,ma_so\nHTX A,1\n").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message_vi.contains("loai_hinh"), "{errors:?}");
    }
}
