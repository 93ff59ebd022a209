//! A visit (chuyến khảo sát): one officer's record of one organisation on one day.
//!
//! Stored on the device (IndexedDB) and on the server in this exact shape.
//! Every field added after the first release is `#[serde(default)]`, so older
//! stored records still deserialize. Maps are `BTreeMap` and there are no
//! floats, so the JSON (and the sync hash, see [`crate::sync`]) is canonical.

use crate::money::Vnd;
use crate::organisation::LegalStatus;
use crate::score::ScoreSheet;
use crate::time::vn_date;
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Draft visits may be incomplete; final ones must pass full validation.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[serde(rename_all = "snake_case")]
pub enum VisitState {
    /// Bản nháp.
    #[default]
    Draft,
    /// Hoàn thành (ready to sync / submitted).
    Final,
}

/// A GPS fix. Stored as integer micro-degrees (≈0.1 m) rather than floats so
/// the record hashes identically everywhere and round-trips exactly.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GeoFix {
    pub latitude_micro: i32,
    pub longitude_micro: i32,
    /// Horizontal accuracy radius in metres (rounded up).
    pub accuracy_m: u32,
}

impl GeoFix {
    /// From the browser's Geolocation API values. `None` for non-finite input.
    pub fn from_degrees(latitude: f64, longitude: f64, accuracy_m: f64) -> Option<GeoFix> {
        let micro = |v: f64| -> Option<i32> {
            let m = (v * 1e6).round();
            (v.is_finite() && m.abs() <= 180e6).then_some(m as i32)
        };
        if !accuracy_m.is_finite() || accuracy_m < 0.0 {
            return None;
        }
        Some(GeoFix {
            latitude_micro: micro(latitude)?,
            longitude_micro: micro(longitude)?,
            accuracy_m: accuracy_m.ceil().min(u32::MAX as f64) as u32,
        })
    }
    pub fn latitude(&self) -> f64 {
        self.latitude_micro as f64 / 1e6
    }
    pub fn longitude(&self) -> f64 {
        self.longitude_micro as f64 / 1e6
    }
}

/// Members by type. Which types apply depends on the organisation kind.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct MemberCounts {
    /// Thành viên chính thức (HTX, LHHTX, QTDND).
    #[serde(default)]
    pub official: Option<u32>,
    /// Thành viên liên kết góp vốn.
    #[serde(default)]
    pub associate_contributing: Option<u32>,
    /// Thành viên liên kết không góp vốn.
    #[serde(default)]
    pub associate_non_contributing: Option<u32>,
    /// Tổ viên (tổ hợp tác).
    #[serde(default)]
    pub group_members: Option<u32>,
    /// Member HTX of a liên hiệp HTX.
    #[serde(default)]
    pub member_cooperatives: Option<u32>,
    /// Total as reported; must equal the sum of the types given.
    #[serde(default)]
    pub total: Option<u32>,
}

impl MemberCounts {
    /// Sum of the per-type counts that are filled in (u64: cannot overflow).
    pub fn sum_of_types(&self) -> u64 {
        [
            self.official,
            self.associate_contributing,
            self.associate_non_contributing,
            self.group_members,
            self.member_cooperatives,
        ]
        .iter()
        .flatten()
        .map(|&v| u64::from(v))
        .sum()
    }
    pub fn any_type_given(&self) -> bool {
        self.official.is_some()
            || self.associate_contributing.is_some()
            || self.associate_non_contributing.is_some()
            || self.group_members.is_some()
            || self.member_cooperatives.is_some()
    }
    /// People who are members (excludes member HTX of a union).
    pub fn people(&self) -> u64 {
        [
            self.official,
            self.associate_contributing,
            self.associate_non_contributing,
            self.group_members,
        ]
        .iter()
        .flatten()
        .map(|&v| u64::from(v))
        .sum()
    }
}

/// Managers (cán bộ quản lý).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct ManagerCounts {
    #[serde(default)]
    pub total: Option<u32>,
    /// With a college or university degree (cao đẳng, đại học trở lên).
    #[serde(default)]
    pub with_degree: Option<u32>,
    /// Trained at sơ cấp / trung cấp level.
    #[serde(default)]
    pub vocational_trained: Option<u32>,
    /// Under 35 years old.
    #[serde(default)]
    pub under_35: Option<u32>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Female,
    Male,
}

/// The director (giám đốc).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct DirectorInfo {
    #[serde(default)]
    pub gender: Option<Gender>,
    /// Completed sơ cấp nghề giám đốc HTX.
    #[serde(default)]
    pub trained: Option<bool>,
}

/// The organisation's facts as seen on the day of the visit.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct OrganisationFacts {
    #[serde(default)]
    pub status: Option<LegalStatus>,
    #[serde(default)]
    pub members: MemberCounts,
    /// Người lao động.
    #[serde(default)]
    pub workers: Option<u32>,
    /// Vốn điều lệ.
    #[serde(default)]
    pub charter_capital: Option<Vnd>,
    /// Tổng nguồn vốn.
    #[serde(default)]
    pub total_capital: Option<Vnd>,
    /// Tài sản không chia.
    #[serde(default)]
    pub indivisible_assets: Option<Vnd>,
    /// Doanh thu (last full year).
    #[serde(default)]
    pub revenue: Option<Vnd>,
    /// Lợi nhuận trước thuế; may be negative.
    #[serde(default)]
    pub pre_tax_profit: Option<Vnd>,
    /// Thu nhập bình quân của thành viên, VND per member per year.
    #[serde(default)]
    pub avg_member_income: Option<Vnd>,
    #[serde(default)]
    pub managers: ManagerCounts,
    #[serde(default)]
    pub director: DirectorInfo,
}

/// Digital transformation (chuyển đổi số).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct DigitalAdoption {
    /// Hóa đơn điện tử.
    #[serde(default)]
    pub e_invoice: Option<bool>,
    /// Phần mềm kế toán.
    #[serde(default)]
    pub accounting_software: Option<bool>,
    /// Thương mại điện tử.
    #[serde(default)]
    pub e_commerce: Option<bool>,
    /// Thanh toán QR.
    #[serde(default)]
    pub qr_payments: Option<bool>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum GapScheme {
    VietGap,
    GlobalGap,
    Other,
}

/// A good-agricultural-practice certificate.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct GapCertificate {
    pub scheme: GapScheme,
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub valid_until: Option<NaiveDate>,
}

/// An OCOP (Mỗi xã một sản phẩm) product and its star rating (3–5).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct OcopProduct {
    pub name: String,
    pub stars: u8,
}

/// The plan's indicators observed on the visit (Kế hoạch 251/KH-UBND).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct PlanIndicators {
    /// Tham gia liên kết chuỗi giá trị.
    #[serde(default)]
    pub value_chain: Option<bool>,
    /// Liên kết với doanh nghiệp.
    #[serde(default)]
    pub enterprise_link: Option<bool>,
    /// Name of the partner enterprise (required if linked, for a final visit).
    #[serde(default)]
    pub enterprise_partner: Option<String>,
    /// Ứng dụng công nghệ cao trong sản xuất và tiêu thụ.
    #[serde(default)]
    pub high_tech: Option<bool>,
    /// Truy xuất nguồn gốc sản phẩm.
    #[serde(default)]
    pub traceability: Option<bool>,
    #[serde(default)]
    pub digital: DigitalAdoption,
    /// Xuất khẩu trực tiếp.
    #[serde(default)]
    pub direct_export: Option<bool>,
    #[serde(default)]
    pub gap_certificates: Vec<GapCertificate>,
    #[serde(default)]
    pub ocop_products: Vec<OcopProduct>,
    /// Nhãn hiệu tập thể / thương hiệu.
    #[serde(default)]
    pub trademark: Option<bool>,
    /// Chỉ dẫn địa lý.
    #[serde(default)]
    pub geographical_indication: Option<bool>,
    /// Nợ tồn đọng.
    #[serde(default)]
    pub outstanding_debts: Option<Vnd>,
    /// Land in use, square metres (diện tích đất sử dụng).
    #[serde(default)]
    pub land_area_m2: Option<u64>,
}

/// A photo taken on the visit; the blob itself is stored and synced separately.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct PhotoRef {
    pub id: Uuid,
    /// Hex SHA-256 of the image bytes.
    pub sha256: String,
    #[serde(default)]
    pub caption: String,
}

/// A visit record. `id` is a UUID v7 generated by the caller.
/// `organisation_id` is the [`Uuid`] of the [`crate::Organisation`] record
/// (not the registration code, which can change or be missing for a tổ hợp tác).
///
/// Revisions: each edit after a sync is a new revision of the same `id`;
/// `replaces_revision` names the one it supersedes.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Visit {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub officer: String,
    /// Local time with the +07:00 offset.
    pub started_at: DateTime<FixedOffset>,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub state: VisitState,
    #[serde(default)]
    pub revision: u32,
    #[serde(default)]
    pub replaces_revision: Option<u32>,
    #[serde(default)]
    pub finished_at: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub location: Option<GeoFix>,
    #[serde(default)]
    pub facts: OrganisationFacts,
    #[serde(default)]
    pub plan: PlanIndicators,
    /// Classification for a year (xếp loại), if done on this visit.
    #[serde(default)]
    pub score_sheet: Option<ScoreSheet>,
    #[serde(default)]
    pub photos: Vec<PhotoRef>,
    /// The organisation itself, when the officer found it in the field and
    /// the server does not know it yet (provisional). Absent otherwise, so
    /// the content hash of ordinary visits is unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_organisation: Option<crate::organisation::Organisation>,
}

impl Visit {
    /// A fresh draft, revision 0, with everything else empty.
    pub fn new_draft(
        id: Uuid,
        organisation_id: Uuid,
        officer: impl Into<String>,
        started_at: DateTime<FixedOffset>,
    ) -> Visit {
        Visit {
            id,
            organisation_id,
            officer: officer.into(),
            started_at,
            notes: String::new(),
            state: VisitState::Draft,
            revision: 0,
            replaces_revision: None,
            finished_at: None,
            location: None,
            facts: OrganisationFacts::default(),
            plan: PlanIndicators::default(),
            score_sheet: None,
            photos: Vec::new(),
            new_organisation: None,
        }
    }

    /// The next revision of this visit (for an edit after it was synced).
    pub fn next_revision(&self) -> Visit {
        let mut v = self.clone();
        v.replaces_revision = Some(self.revision);
        v.revision = self.revision.saturating_add(1);
        v
    }

    /// Local (Vietnam) date of the visit.
    pub fn local_date(&self) -> NaiveDate {
        vn_date(&self.started_at)
    }

    pub fn is_final(&self) -> bool {
        self.state == VisitState::Final
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::VN_OFFSET;
    use chrono::TimeZone;

    #[test]
    fn minimal_stored_record_still_deserializes() {
        // The shape stored by the first app build (before facts etc. existed).
        let json = r#"{"id":"01936b6e-0000-7000-8000-000000000001","organisation_id":"01936b6e-0000-7000-8000-000000000002",
            "officer":"Nguyễn Văn A","started_at":"2025-03-01T08:30:00+07:00","notes":"","state":"draft","revision":0}"#;
        let v: Visit = serde_json::from_str(json).unwrap();
        assert_eq!(v.state, VisitState::Draft);
        assert_eq!(v.facts, OrganisationFacts::default());
    }

    #[test]
    fn new_draft_and_next_revision() {
        let t = VN_OFFSET.with_ymd_and_hms(2025, 7, 2, 23, 30, 0).unwrap();
        let v = Visit::new_draft(Uuid::nil(), Uuid::nil(), "A", t);
        assert_eq!(v.local_date(), NaiveDate::from_ymd_opt(2025, 7, 2).unwrap());
        let s = serde_json::to_value(&v).unwrap();
        assert_eq!(s["state"], "draft");
        let n = v.next_revision();
        assert_eq!((n.revision, n.replaces_revision), (1, Some(0)));
    }

    #[test]
    fn geofix_from_degrees() {
        let g = GeoFix::from_degrees(10.012345, 105.0800001, 12.2).unwrap();
        assert_eq!(g.latitude_micro, 10_012_345);
        assert_eq!(g.longitude_micro, 105_080_000);
        assert_eq!(g.accuracy_m, 13);
        assert!(GeoFix::from_degrees(f64::NAN, 0.0, 1.0).is_none());
        assert!(GeoFix::from_degrees(0.0, 0.0, -1.0).is_none());
    }
}
