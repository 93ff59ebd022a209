//! The field table: every form field's labels, unit and sane range, read by
//! validation's messages and by the form's inputs.
use serde::{Deserialize, Serialize};

/// Unit of a numeric field.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// người / tổ chức (a head count).
    Count,
    /// đồng.
    Vnd,
    /// đồng per member per year.
    VndPerMemberYear,
    /// mét.
    Metres,
    /// m².
    SquareMetres,
    /// micro-degrees of latitude/longitude.
    MicroDegrees,
    /// sao (OCOP stars).
    Stars,
    /// ngày.
    Days,
    /// năm (a calendar year).
    Year,
    /// characters of text.
    Characters,
}

impl Unit {
    pub fn label_vi(self) -> &'static str {
        match self {
            Unit::Count => "",
            Unit::Vnd => "đồng",
            Unit::VndPerMemberYear => "đồng/thành viên/năm",
            Unit::Metres => "m",
            Unit::SquareMetres => "m²",
            Unit::MicroDegrees => "micro-độ",
            Unit::Stars => "sao",
            Unit::Days => "ngày",
            Unit::Year => "",
            Unit::Characters => "ký tự",
        }
    }
    pub fn label_en(self) -> &'static str {
        match self {
            Unit::Count => "",
            Unit::Vnd => "VND",
            Unit::VndPerMemberYear => "VND/member/year",
            Unit::Metres => "m",
            Unit::SquareMetres => "m²",
            Unit::MicroDegrees => "micro-degrees",
            Unit::Stars => "stars",
            Unit::Days => "days",
            Unit::Year => "",
            Unit::Characters => "characters",
        }
    }
}

/// A field's label, unit and sane range (inclusive). Public so the UI can
/// show units, set input bounds and label errors from one table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldSpec {
    pub path: &'static str,
    pub label_vi: &'static str,
    pub label_en: &'static str,
    pub unit: Unit,
    pub min: i64,
    pub max: i64,
}

const BN: i64 = 1_000_000_000;

macro_rules! spec {
    ($p:expr, $vi:expr, $en:expr, $u:ident, $min:expr, $max:expr) => {
        FieldSpec {
            path: $p,
            label_vi: $vi,
            label_en: $en,
            unit: Unit::$u,
            min: $min,
            max: $max,
        }
    };
}

/// Every numeric / text field with its range.
pub const FIELD_SPECS: &[FieldSpec] = &[
    spec!("officer", "Cán bộ khảo sát", "Officer", Characters, 1, 200),
    spec!("notes", "Ghi chú", "Notes", Characters, 0, 20_000),
    spec!(
        "photos.caption",
        "Chú thích ảnh",
        "Photo caption",
        Characters,
        0,
        500
    ),
    spec!(
        "location.latitude_micro",
        "Vĩ độ",
        "Latitude",
        MicroDegrees,
        6_000_000,
        24_000_000
    ),
    spec!(
        "location.longitude_micro",
        "Kinh độ",
        "Longitude",
        MicroDegrees,
        100_000_000,
        118_000_000
    ),
    spec!(
        "location.accuracy_m",
        "Độ chính xác GPS",
        "GPS accuracy",
        Metres,
        0,
        100_000
    ),
    spec!(
        "facts.members.official",
        "Thành viên chính thức",
        "Official members",
        Count,
        0,
        1_000_000
    ),
    spec!(
        "facts.members.associate_contributing",
        "Thành viên liên kết góp vốn",
        "Associate members (contributing)",
        Count,
        0,
        1_000_000
    ),
    spec!(
        "facts.members.associate_non_contributing",
        "Thành viên liên kết không góp vốn",
        "Associate members (non-contributing)",
        Count,
        0,
        1_000_000
    ),
    spec!(
        "facts.members.group_members",
        "Tổ viên",
        "Group members",
        Count,
        0,
        10_000
    ),
    spec!(
        "facts.members.member_cooperatives",
        "HTX thành viên",
        "Member cooperatives",
        Count,
        0,
        10_000
    ),
    spec!(
        "facts.members.total",
        "Tổng số thành viên",
        "Total members",
        Count,
        0,
        3_000_000
    ),
    spec!("facts.workers", "Số lao động", "Workers", Count, 0, 100_000),
    spec!(
        "facts.charter_capital",
        "Vốn điều lệ",
        "Charter capital",
        Vnd,
        0,
        10_000 * BN
    ),
    spec!(
        "facts.total_capital",
        "Tổng nguồn vốn",
        "Total capital",
        Vnd,
        0,
        100_000 * BN
    ),
    spec!(
        "facts.indivisible_assets",
        "Tài sản không chia",
        "Indivisible assets",
        Vnd,
        0,
        100_000 * BN
    ),
    spec!(
        "facts.revenue",
        "Doanh thu",
        "Revenue",
        Vnd,
        0,
        100_000 * BN
    ),
    spec!(
        "facts.pre_tax_profit",
        "Lợi nhuận trước thuế",
        "Pre-tax profit",
        Vnd,
        -10_000 * BN,
        10_000 * BN
    ),
    spec!(
        "facts.avg_member_income",
        "Thu nhập bình quân thành viên",
        "Average member income",
        VndPerMemberYear,
        0,
        10 * BN
    ),
    spec!(
        "facts.managers.total",
        "Số cán bộ quản lý",
        "Managers",
        Count,
        0,
        1_000
    ),
    spec!(
        "facts.managers.with_degree",
        "Cán bộ quản lý có trình độ cao đẳng, đại học",
        "Managers with a college/university degree",
        Count,
        0,
        1_000
    ),
    spec!(
        "facts.managers.vocational_trained",
        "Cán bộ quản lý được đào tạo sơ cấp, trung cấp",
        "Managers trained at elementary/intermediate level",
        Count,
        0,
        1_000
    ),
    spec!(
        "facts.managers.under_35",
        "Cán bộ quản lý dưới 35 tuổi",
        "Managers under 35",
        Count,
        0,
        1_000
    ),
    spec!(
        "plan.enterprise_partner",
        "Doanh nghiệp liên kết",
        "Partner enterprise",
        Characters,
        0,
        300
    ),
    spec!(
        "plan.outstanding_debts",
        "Nợ tồn đọng",
        "Outstanding debts",
        Vnd,
        0,
        100_000 * BN
    ),
    spec!(
        "plan.land_area_m2",
        "Diện tích đất sử dụng",
        "Land in use",
        SquareMetres,
        0,
        10_000_000_000
    ),
    spec!(
        "plan.ocop_products.stars",
        "Số sao OCOP",
        "OCOP stars",
        Stars,
        3,
        5
    ),
    spec!(
        "score_sheet.year",
        "Năm đánh giá",
        "Assessed year",
        Year,
        2000,
        2100
    ),
    spec!(
        "score_sheet.facts.halted_days_in_year",
        "Số ngày ngừng hoạt động trong năm",
        "Days halted in the year",
        Days,
        0,
        366
    ),
    spec!("name", "Tên tổ chức", "Name", Characters, 1, 300),
    spec!(
        "registration_code",
        "Mã số HTX",
        "Registration code",
        Characters,
        0,
        30
    ),
];

/// The spec for a path (list indices and item codes stripped: `plan.ocop_products.stars`).
pub fn field_spec(path: &str) -> Option<&'static FieldSpec> {
    FIELD_SPECS.iter().find(|s| s.path == path)
}

pub(super) fn spec_of(path: &str) -> FieldSpec {
    // Every caller passes a path from the table; a fallback keeps this total.
    field_spec(path).copied().unwrap_or(FieldSpec {
        path: "",
        label_vi: "Trường",
        label_en: "Field",
        unit: Unit::Count,
        min: i64::MIN,
        max: i64::MAX,
    })
}

/// Vietnamese and English labels of a field path (form labels, messages).
pub fn field_label(path: &str) -> (&'static str, &'static str) {
    (label_vi_for(path), label_en_for(path))
}

/// An error as a list of errors shows it, away from its field: "label:
/// message" (Vietnamese, English), the label once when the message begins
/// with it ("Thời gian bắt đầu: không được ở tương lai").
pub fn labelled_message(e: &crate::problem::ValidationError) -> (String, String) {
    let (vi, en) = field_label(&e.path);
    let join = |label: &str, message: &str| {
        if label.is_empty() || message.starts_with(label) {
            message.to_string()
        } else {
            format!("{label}: {message}")
        }
    };
    (join(vi, &e.message_vi), join(en, &e.message_en))
}

pub(super) fn label_vi_for(path: &str) -> &'static str {
    labels_for(path).0
}
pub(super) fn label_en_for(path: &str) -> &'static str {
    labels_for(path).1
}

/// A path's labels; a list item's path ("photos.2.caption", "photos.2") is
/// labelled as its list's ("photos.caption", "photos") when it has none.
pub(super) fn labels_for(path: &str) -> (&'static str, &'static str) {
    let spec = |p: &str| field_spec(p).map(|s| (s.label_vi, s.label_en));
    spec(path).unwrap_or_else(|| {
        let key = strip_indices(path);
        spec(&key).unwrap_or_else(|| label_extra(&key))
    })
}

/// Labels of non-numeric fields used in messages.
pub(super) fn label_extra(path: &str) -> (&'static str, &'static str) {
    match path {
        "started_at" => ("Thời gian bắt đầu", "Start time"),
        "finished_at" => ("Thời gian kết thúc", "Finish time"),
        "organisation_id" => ("Tổ chức", "Organisation"),
        "revision" | "replaces_revision" => ("Số phiên bản", "Revision"),
        "photos" => ("Ảnh", "Photos"),
        "score_sheet.facts.administrative_penalty_in_year" => (
            "Bị xử phạt vi phạm hành chính trong năm",
            "Administrative penalty in the year",
        ),
        "facts.status" => ("Tình trạng hoạt động", "Operating status"),
        "facts.director.gender" => ("Giới tính giám đốc", "Director's gender"),
        "facts.director.trained" => (
            "Giám đốc đã qua đào tạo sơ cấp nghề giám đốc HTX",
            "Director trained",
        ),
        "plan.value_chain" => ("Liên kết chuỗi giá trị", "Value-chain linkage"),
        "plan.enterprise_link" => ("Liên kết với doanh nghiệp", "Linked with an enterprise"),
        "plan.high_tech" => ("Ứng dụng công nghệ cao", "High technology"),
        "plan.traceability" => ("Truy xuất nguồn gốc", "Traceability"),
        "plan.direct_export" => ("Xuất khẩu trực tiếp", "Direct export"),
        "plan.digital.e_invoice" => ("Dùng hóa đơn điện tử", "E-invoices"),
        "plan.digital.accounting_software" => ("Dùng phần mềm kế toán", "Accounting software"),
        "plan.digital.e_commerce" => ("Bán hàng trên sàn thương mại điện tử", "E-commerce"),
        "plan.digital.qr_payments" => (
            "Thanh toán không dùng tiền mặt (QR)",
            "Cashless (QR) payments",
        ),
        "plan.trademark" => ("Có nhãn hiệu tập thể / thương hiệu", "Collective trademark"),
        "plan.geographical_indication" => ("Có chỉ dẫn địa lý", "Geographical indication"),
        "plan.ocop_products.name" => ("Tên sản phẩm OCOP", "OCOP product name"),
        "score_sheet" => ("Phiếu chấm điểm", "Score sheet"),
        "founded_on" => ("Ngày thành lập", "Founding date"),
        "place_old" => ("Địa bàn (trước 01/7/2025)", "Place (before 1 July 2025)"),
        "place_new" => ("Địa bàn (từ 01/7/2025)", "Place (from 1 July 2025)"),
        _ => ("Trường dữ liệu", "Field"),
    }
}

/// Drop numeric list indices: `plan.ocop_products.2.stars` -> `plan.ocop_products.stars`.
pub(super) fn strip_indices(path: &str) -> String {
    path.split('.')
        .filter(|s| s.parse::<usize>().is_err())
        .collect::<Vec<_>>()
        .join(".")
}
