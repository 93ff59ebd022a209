//! Collective-economy organisations (tổ chức kinh tế tập thể, KTTT).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Kind of organisation.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationKind {
    /// Tổ hợp tác (THT); members are tổ viên.
    CooperativeGroup,
    /// Hợp tác xã (HTX).
    Cooperative,
    /// Liên hiệp hợp tác xã (LHHTX); members are HTX.
    CooperativeUnion,
    /// Quỹ tín dụng nhân dân (QTDND), a credit cooperative.
    PeoplesCreditFund,
}

impl OrganisationKind {
    pub const ALL: [OrganisationKind; 4] = [
        Self::CooperativeGroup,
        Self::Cooperative,
        Self::CooperativeUnion,
        Self::PeoplesCreditFund,
    ];
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::CooperativeGroup => "Tổ hợp tác",
            Self::Cooperative => "Hợp tác xã",
            Self::CooperativeUnion => "Liên hiệp hợp tác xã",
            Self::PeoplesCreditFund => "Quỹ tín dụng nhân dân",
        }
    }
    pub fn label_en(self) -> &'static str {
        match self {
            Self::CooperativeGroup => "Cooperative group",
            Self::Cooperative => "Cooperative",
            Self::CooperativeUnion => "Cooperative union",
            Self::PeoplesCreditFund => "People's credit fund",
        }
    }
}

/// Sector (lĩnh vực). The agricultural sub-sectors are separate because the
/// agricultural rules (size, Thông tư 09/2017) apply to all of them.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Sector {
    /// Nông nghiệp – trồng trọt.
    Crops,
    /// Nông nghiệp – chăn nuôi.
    Livestock,
    /// Nông nghiệp – thủy sản.
    Aquaculture,
    /// Nông nghiệp – lâm nghiệp.
    Forestry,
    /// Nông nghiệp – diêm nghiệp (salt).
    Salt,
    /// Nông nghiệp, general / mixed.
    AgricultureGeneral,
    /// Công nghiệp – tiểu thủ công nghiệp.
    IndustryHandicraft,
    /// Xây dựng.
    Construction,
    /// Thương mại – dịch vụ.
    TradeServices,
    /// Vận tải.
    Transport,
    /// Tín dụng.
    Credit,
    /// Môi trường.
    Environment,
    /// Nhà ở.
    Housing,
    /// Khác.
    Other,
}

impl Sector {
    /// Codes that mean this sector in stored data: the code itself and the
    /// older `agriculture_*` spellings of the registry (demo data, imports).
    pub fn codes(self) -> &'static [&'static str] {
        match self {
            Self::Crops => &["crops", "agriculture_crops"],
            Self::Livestock => &["livestock", "agriculture_livestock"],
            Self::Aquaculture => &[
                "aquaculture",
                "agriculture_fisheries",
                "agriculture_aquaculture",
            ],
            Self::Forestry => &["forestry", "agriculture_forestry"],
            Self::Salt => &["salt", "agriculture_salt"],
            Self::AgricultureGeneral => &["agriculture_general", "agriculture"],
            Self::IndustryHandicraft => &["industry_handicraft"],
            Self::Construction => &["construction"],
            Self::TradeServices => &["trade_services"],
            Self::Transport => &["transport"],
            Self::Credit => &["credit"],
            Self::Environment => &["environment"],
            Self::Housing => &["housing"],
            Self::Other => &["other"],
        }
    }

    /// The sector a stored code means; unknown codes are [`Sector::Other`].
    pub fn from_code(code: &str) -> Sector {
        Self::ALL
            .into_iter()
            .find(|s| s.codes().contains(&code))
            .unwrap_or(Self::Other)
    }

    pub const ALL: [Sector; 14] = [
        Self::Crops,
        Self::Livestock,
        Self::Aquaculture,
        Self::Forestry,
        Self::Salt,
        Self::AgricultureGeneral,
        Self::IndustryHandicraft,
        Self::Construction,
        Self::TradeServices,
        Self::Transport,
        Self::Credit,
        Self::Environment,
        Self::Housing,
        Self::Other,
    ];
    pub fn is_agricultural(self) -> bool {
        matches!(
            self,
            Self::Crops
                | Self::Livestock
                | Self::Aquaculture
                | Self::Forestry
                | Self::Salt
                | Self::AgricultureGeneral
        )
    }
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Crops => "Nông nghiệp – trồng trọt",
            Self::Livestock => "Nông nghiệp – chăn nuôi",
            Self::Aquaculture => "Nông nghiệp – thủy sản",
            Self::Forestry => "Nông nghiệp – lâm nghiệp",
            Self::Salt => "Nông nghiệp – diêm nghiệp",
            Self::AgricultureGeneral => "Nông nghiệp – tổng hợp",
            Self::IndustryHandicraft => "Công nghiệp – tiểu thủ công nghiệp",
            Self::Construction => "Xây dựng",
            Self::TradeServices => "Thương mại – dịch vụ",
            Self::Transport => "Vận tải",
            Self::Credit => "Tín dụng",
            Self::Environment => "Môi trường",
            Self::Housing => "Nhà ở",
            Self::Other => "Khác",
        }
    }
    pub fn label_en(self) -> &'static str {
        match self {
            Self::Crops => "Agriculture – crops",
            Self::Livestock => "Agriculture – livestock",
            Self::Aquaculture => "Agriculture – aquaculture",
            Self::Forestry => "Agriculture – forestry",
            Self::Salt => "Agriculture – salt",
            Self::AgricultureGeneral => "Agriculture – general",
            Self::IndustryHandicraft => "Industry and handicrafts",
            Self::Construction => "Construction",
            Self::TradeServices => "Trade and services",
            Self::Transport => "Transport",
            Self::Credit => "Credit",
            Self::Environment => "Environment",
            Self::Housing => "Housing",
            Self::Other => "Other",
        }
    }
}

/// Legal / operating status (tình trạng pháp lý, hoạt động).
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum LegalStatus {
    /// Đang hoạt động.
    #[default]
    Active,
    /// Tạm ngừng / ngừng hoạt động.
    Halted,
    /// Chờ giải thể.
    PendingDissolution,
    /// Đã giải thể.
    Dissolved,
    /// Hoạt động không đúng Luật HTX (needs reorganising).
    NonCompliant,
}

impl LegalStatus {
    pub const ALL: [LegalStatus; 5] = [
        Self::Active,
        Self::Halted,
        Self::PendingDissolution,
        Self::Dissolved,
        Self::NonCompliant,
    ];
    pub const fn label_en(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Halted => "Halted",
            Self::PendingDissolution => "Awaiting dissolution",
            Self::Dissolved => "Dissolved",
            Self::NonCompliant => "Not compliant with the Cooperative Law",
        }
    }
    /// Still exists as an organisation (counts towards the plan's totals).
    pub fn exists(self) -> bool {
        !matches!(self, Self::Dissolved)
    }
    pub const fn label_vi(self) -> &'static str {
        match self {
            Self::Active => "Đang hoạt động",
            Self::Halted => "Tạm ngừng / ngừng hoạt động",
            Self::PendingDissolution => "Chờ giải thể",
            Self::Dissolved => "Đã giải thể",
            Self::NonCompliant => "Hoạt động không đúng Luật HTX",
        }
    }
}

/// An organisation record (reference data, handed to devices by the server).
///
/// Places: `place_old` is a commune code (level 3) of the hierarchy valid
/// until 30 June 2025, `place_new` a commune code (xã/phường/đặc khu) of the
/// hierarchy from 1 July 2025; either or both may be set (see [`crate::place`]).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Organisation {
    pub id: Uuid,
    pub kind: OrganisationKind,
    /// Mã số HTX / mã số thuế; `None` for an unregistered tổ hợp tác.
    #[serde(default)]
    pub registration_code: Option<String>,
    pub name: String,
    pub sector: Sector,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub place_old: Option<String>,
    #[serde(default)]
    pub place_new: Option<String>,
    #[serde(default)]
    pub founded_on: Option<NaiveDate>,
    #[serde(default)]
    pub legal_status: LegalStatus,
    /// Recorded by an officer in the field (tổ chức mới phát hiện), not yet
    /// matched to the registry by alliance staff.
    #[serde(default, skip_serializing_if = "is_false")]
    pub provisional: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Organisation {
    pub fn new(
        id: Uuid,
        kind: OrganisationKind,
        name: impl Into<String>,
        sector: Sector,
    ) -> Organisation {
        Organisation {
            id,
            kind,
            registration_code: None,
            name: name.into(),
            sector,
            address: String::new(),
            place_old: None,
            place_new: None,
            founded_on: None,
            legal_status: LegalStatus::Active,
            provisional: false,
        }
    }
    pub fn is_agricultural(&self) -> bool {
        self.sector.is_agricultural()
    }
}
