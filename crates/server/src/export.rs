//! Files for alliance staff: the visits and the indicator table of a report
//! ([`crate::report`]) as CSV and XLSX, Vietnamese headers.
//!
//! A report becomes [`Table`]s of typed [`Cell`]s (what a row says), then a
//! writer turns tables into bytes (how a file says it):
//! - CSV: UTF-8 with a byte-order mark (so Excel on Windows reads the
//!   diacritics), comma-separated, quoted where needed, CRLF line ends
//!   (RFC 4180); numbers in plain notation with a decimal point, dates as
//!   `dd/mm/yyyy`, money in whole đồng;
//! - XLSX (`rust_xlsxwriter`): numbers and dates as real cells (dates shown
//!   `dd/mm/yyyy`), bold frozen header row, fitted column widths.

use chrono::{Datelike, NaiveDate};
use htx_core::indicators::{target_vi, IndicatorValue, TargetStatus};
use htx_core::review::ReviewDecision;
use htx_core::Vnd;
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook};

use crate::report::{NotMeasured, OrganisationSummary, VisitLine};

/// `Content-Type` of the CSV files.
pub const CSV_CONTENT_TYPE: &str = "text/csv; charset=utf-8";
/// `Content-Type` of the XLSX files.
pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// What starts every CSV file: the UTF-8 byte-order mark.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// One value of a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    /// A decimal: `value` for a spreadsheet, `text` (decimal point) for CSV.
    Decimal {
        value: f64,
        text: String,
    },
    Date(NaiveDate),
}

impl Cell {
    fn text(s: impl Into<String>) -> Cell {
        let s = s.into();
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s)
        }
    }
    fn opt_int(v: Option<impl Into<i64>>) -> Cell {
        v.map_or(Cell::Empty, |v| Cell::Int(v.into()))
    }
    fn vnd(v: Option<Vnd>) -> Cell {
        v.map_or(Cell::Empty, |v| Cell::Int(v.0))
    }
    fn yes_no(v: Option<bool>) -> Cell {
        match v {
            Some(true) => Cell::text("Có"),
            Some(false) => Cell::text("Không"),
            None => Cell::Empty,
        }
    }
    /// Hundredths as a decimal with two places (`3333` → `33.33`).
    fn hundredths(v: u64) -> Cell {
        Cell::Decimal {
            value: v as f64 / 100.0,
            text: format!("{}.{:02}", v / 100, v % 100),
        }
    }
    fn csv_field(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => csv_safe_text(s),
            Cell::Int(i) => i.to_string(),
            Cell::Decimal { text, .. } => text.clone(),
            Cell::Date(d) => htx_core::format::format_date_vn(*d),
        }
    }
}

/// Text as a CSV field that a spreadsheet will not run as a formula: names
/// and comments come from the field, and a cell starting with `=`, `+`, `-`,
/// `@` or a control character would be evaluated when the file is opened
/// (CSV injection), so it is prefixed with an apostrophe, which spreadsheets
/// hide. Numbers are written as numbers, never through here.
fn csv_safe_text(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// A sheet: a name (at most 31 characters), headers, rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub sheet: &'static str,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

/// The table as CSV bytes (BOM, header row, data rows).
pub fn to_csv(table: &Table) -> anyhow::Result<Vec<u8>> {
    let mut out = UTF8_BOM.to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        w.write_record(&table.headers)?;
        for row in &table.rows {
            w.write_record(row.iter().map(Cell::csv_field))?;
        }
        w.flush()?;
    }
    Ok(out)
}

/// The tables as one XLSX workbook, a worksheet each.
pub fn to_xlsx(tables: &[Table]) -> anyhow::Result<Vec<u8>> {
    let mut workbook = Workbook::new();
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_background_color("#DDEBF7");
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let decimal = Format::new().set_num_format("0.00");
    let integer = Format::new().set_num_format("#,##0");
    for table in tables {
        let sheet = workbook.add_worksheet();
        sheet.set_name(table.sheet)?;
        for (c, h) in table.headers.iter().enumerate() {
            sheet.write_string_with_format(0, col(c)?, *h, &header)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        for (r, cells) in table.rows.iter().enumerate() {
            let r = u32::try_from(r + 1)?;
            for (c, cell) in cells.iter().enumerate() {
                let c = col(c)?;
                match cell {
                    Cell::Empty => {}
                    Cell::Text(s) => {
                        sheet.write_string(r, c, s)?;
                    }
                    Cell::Int(i) => {
                        // Exact up to 2^53 đồng (9 million billion).
                        sheet.write_number_with_format(r, c, *i as f64, &integer)?;
                    }
                    Cell::Decimal { value, .. } => {
                        sheet.write_number_with_format(r, c, *value, &decimal)?;
                    }
                    Cell::Date(d) => {
                        let (y, m, day) = (d.year(), d.month(), d.day());
                        let dt = ExcelDateTime::from_ymd(u16::try_from(y)?, m as u8, day as u8)?;
                        sheet.write_datetime_with_format(r, c, &dt, &date)?;
                    }
                }
            }
        }
        sheet.set_autofit_max_width(360);
        sheet.autofit();
    }
    Ok(workbook.save_to_buffer()?)
}

fn col(c: usize) -> anyhow::Result<u16> {
    Ok(u16::try_from(c)?)
}

/// `Content-Disposition` of a download.
pub fn attachment(file_name: &str) -> String {
    format!("attachment; filename=\"{file_name}\"")
}

// ---- Visits -------------------------------------------------------------

const VISIT_HEADERS: [&str; 24] = [
    "Mã lượt khảo sát",
    "Phiên bản",
    "Ngày khảo sát",
    "Tên tổ chức",
    "Mã số đăng ký",
    "Loại hình",
    "Lĩnh vực",
    "Xã/phường/đặc khu",
    "Mã xã",
    "Cán bộ khảo sát",
    "Tình trạng hoạt động",
    "Tổng số thành viên",
    "Thành viên chính thức",
    "Số lao động",
    "Vốn điều lệ (đồng)",
    "Doanh thu (đồng)",
    "Lợi nhuận trước thuế (đồng)",
    "Cán bộ quản lý",
    "Tham gia chuỗi giá trị",
    "Liên kết với doanh nghiệp",
    "Ứng dụng công nghệ cao",
    "Điểm đánh giá",
    "Xếp loại",
    "Trạng thái duyệt",
];

pub fn review_label(r: Option<ReviewDecision>) -> &'static str {
    match r {
        Some(ReviewDecision::Approved) => "Đã duyệt",
        Some(ReviewDecision::Returned) => "Trả lại",
        None => "Chờ duyệt",
    }
}

/// One row per visit (its revision that counts).
pub fn visits_table(lines: &[VisitLine]) -> Table {
    let rows = lines
        .iter()
        .map(|l| {
            let v = l.visit;
            let f = &v.facts;
            let m = &f.members;
            let members = m
                .total
                .map(u64::from)
                .or(m.any_type_given().then(|| m.people()));
            vec![
                Cell::text(v.id.to_string()),
                Cell::Int(i64::from(v.revision)),
                Cell::Date(v.local_date()),
                Cell::text(&l.organisation_row.name),
                Cell::text(
                    l.organisation_row
                        .registration_code
                        .clone()
                        .unwrap_or_default(),
                ),
                Cell::text(l.organisation.kind.label_vi()),
                Cell::text(l.organisation.sector.label_vi()),
                Cell::text(&l.organisation_row.place_name),
                Cell::text(&l.organisation_row.place_code),
                Cell::text(&l.stored.officer_name),
                Cell::text(f.status.map(|s| s.label_vi()).unwrap_or_default()),
                Cell::opt_int(members.map(|n| i64::try_from(n).unwrap_or(i64::MAX))),
                Cell::opt_int(m.official),
                Cell::opt_int(f.workers),
                Cell::vnd(f.charter_capital),
                Cell::vnd(f.revenue),
                Cell::vnd(f.pre_tax_profit),
                Cell::opt_int(f.managers.total),
                Cell::yes_no(v.plan.value_chain),
                Cell::yes_no(v.plan.enterprise_link),
                Cell::yes_no(v.plan.high_tech),
                l.score.as_ref().map_or(Cell::Empty, |s| {
                    Cell::hundredths(u64::from(s.total.centi()))
                }),
                Cell::text(
                    l.score
                        .as_ref()
                        .and_then(|s| s.rating.grade())
                        .map(|g| g.label_vi())
                        .unwrap_or_default(),
                ),
                Cell::text(review_label(l.review)),
            ]
        })
        .collect();
    Table {
        sheet: "Lượt khảo sát",
        headers: VISIT_HEADERS.to_vec(),
        rows,
    }
}

// ---- Indicators ---------------------------------------------------------

const INDICATOR_HEADERS: [&str; 15] = [
    "STT",
    "Mã chỉ tiêu",
    "Chỉ tiêu",
    "Đơn vị chủ trì",
    "Tử số",
    "Mẫu số",
    "Tỷ lệ (%)",
    "Mục tiêu 2030",
    "Mục tiêu 2045",
    "Đánh giá 2030",
    "Đánh giá 2045",
    "Số tổ chức thuộc phạm vi",
    "Số tổ chức có số liệu",
    "Số tổ chức chưa khảo sát trong năm",
    "Ghi chú",
];

pub fn status_vi(s: TargetStatus) -> &'static str {
    s.label_vi()
}

/// One row per Phụ lục 1 indicator, then the rows visits cannot measure.
pub fn indicators_table(values: &[IndicatorValue], not_measured: &[NotMeasured]) -> Table {
    let mut rows: Vec<Vec<Cell>> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let id = serde_json::to_value(v.id)
                .ok()
                .and_then(|j| j.as_str().map(str::to_owned))
                .unwrap_or_default();
            vec![
                Cell::Int(i as i64 + 1),
                Cell::text(id),
                Cell::text(&v.label_vi),
                Cell::text(&v.responsible),
                Cell::Int(i64::try_from(v.numerator).unwrap_or(i64::MAX)),
                Cell::opt_int(v.denominator.map(|d| i64::try_from(d).unwrap_or(i64::MAX))),
                v.share_basis_points
                    .map_or(Cell::Empty, |bp| Cell::hundredths(u64::from(bp))),
                Cell::text(target_vi(v.target_2030)),
                Cell::text(target_vi(v.target_2045)),
                Cell::text(status_vi(v.status_2030)),
                Cell::text(status_vi(v.status_2045)),
                Cell::Int(i64::from(v.organisations_in_scope)),
                Cell::Int(i64::from(v.organisations_with_data)),
                Cell::Int(i64::from(v.organisations_without_visit)),
                Cell::Empty,
            ]
        })
        .collect();
    for (i, n) in not_measured.iter().enumerate() {
        let mut row = vec![Cell::Empty; INDICATOR_HEADERS.len()];
        row[0] = Cell::Int((values.len() + i) as i64 + 1);
        row[1] = Cell::text(&n.id);
        row[2] = Cell::text(&n.label_vi);
        row[9] = Cell::text("Không đo được");
        row[10] = Cell::text("Không đo được");
        row[14] = Cell::text(&n.reason_vi);
        rows.push(row);
    }
    Table {
        sheet: "Chỉ tiêu",
        headers: INDICATOR_HEADERS.to_vec(),
        rows,
    }
}

const WITHOUT_VISIT_HEADERS: [&str; 7] = [
    "STT",
    "Tên tổ chức",
    "Mã số đăng ký",
    "Loại hình",
    "Tình trạng (theo danh bạ)",
    "Xã/phường/đặc khu",
    "Mã xã",
];

/// The organisations with no visit counted in the year (second sheet of the
/// indicators workbook).
pub fn without_visit_table(list: &[OrganisationSummary]) -> Table {
    let rows = list
        .iter()
        .enumerate()
        .map(|(i, o)| {
            vec![
                Cell::Int(i as i64 + 1),
                Cell::text(&o.name),
                Cell::text(o.registration_code.clone().unwrap_or_default()),
                Cell::text(&o.kind_label),
                Cell::text(o.legal_status.label_vi()),
                Cell::text(&o.place_name),
                Cell::text(&o.place_code),
            ]
        })
        .collect();
    Table {
        sheet: "Chưa khảo sát",
        headers: WITHOUT_VISIT_HEADERS.to_vec(),
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_has_a_bom_crlf_and_quotes_where_needed() {
        let t = Table {
            sheet: "x",
            headers: vec!["Tên", "Số"],
            rows: vec![
                vec![Cell::text("Hợp tác xã \"A\", B"), Cell::Int(5)],
                vec![Cell::Empty, Cell::hundredths(3333)],
                vec![
                    Cell::Date(NaiveDate::from_ymd_opt(2025, 3, 5).unwrap()),
                    Cell::Int(-300_000_000),
                ],
            ],
        };
        let bytes = to_csv(&t).unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "\u{feff}Tên,Số\r\n\"Hợp tác xã \"\"A\"\", B\",5\r\n,33.33\r\n05/03/2025,-300000000\r\n"
        );
    }

    #[test]
    fn csv_text_that_a_spreadsheet_would_run_is_defused() {
        let t = Table {
            sheet: "x",
            headers: vec!["Ghi chú"],
            rows: [
                "=HYPERLINK(\"http://x\")",
                "+1",
                "-2",
                "@SUM(A1)",
                "\tx",
                "Tốt = 80",
            ]
            .into_iter()
            .map(|s| vec![Cell::text(s)])
            .collect(),
        };
        let text = String::from_utf8(to_csv(&t).unwrap()).unwrap();
        let cells: Vec<&str> = text
            .trim_start_matches('\u{feff}')
            .split("\r\n")
            .skip(1)
            .collect();
        assert_eq!(
            cells,
            [
                "\"'=HYPERLINK(\"\"http://x\"\")\"",
                "'+1",
                "'-2",
                "'@SUM(A1)",
                "'\tx",
                "Tốt = 80",
                ""
            ]
        );
    }
}
