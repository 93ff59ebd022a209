//! One code and one pair of labels per value of the domain's code lists
//! (organisation kind, sector, legal status, grade, review decision, role,
//! a visit's state on the device). The code is what serde writes, what the
//! database stores and what forms and addresses carry; nothing converts
//! through serde to find it.
use crate::api::Role;
use crate::device::LocalStatus;
use crate::organisation::{LegalStatus, OrganisationKind, Sector};
use crate::review::ReviewDecision;
use crate::rubric::Grade;

/// A code list: every value, its stable code and its labels.
pub trait Coded: Copy + PartialEq + 'static {
    /// Every value, in the order lists show them.
    fn all() -> &'static [Self];
    /// The stable code (`cooperative`, `pending_dissolution`, `good`).
    fn code(self) -> &'static str;
    fn label_vi(self) -> &'static str;
    fn label_en(self) -> &'static str;

    /// The value of `code`, if it is one.
    fn from_code(code: &str) -> Option<Self> {
        Self::all().iter().copied().find(|v| v.code() == code)
    }
}

macro_rules! coded {
    ($t:ident { $($v:ident => $c:literal),+ $(,)? }) => {
        impl $t {
            /// The stable code (see [`Coded`]).
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$v => $c),+ }
            }
        }
        impl Coded for $t {
            fn all() -> &'static [Self] {
                &$t::ALL
            }
            fn code(self) -> &'static str {
                self.as_str()
            }
            fn label_vi(self) -> &'static str {
                $t::label_vi(self)
            }
            fn label_en(self) -> &'static str {
                $t::label_en(self)
            }
        }
    };
}

coded!(OrganisationKind {
    CooperativeGroup => "cooperative_group",
    Cooperative => "cooperative",
    CooperativeUnion => "cooperative_union",
    PeoplesCreditFund => "peoples_credit_fund",
});

coded!(Sector {
    Crops => "crops",
    Livestock => "livestock",
    Aquaculture => "aquaculture",
    Forestry => "forestry",
    Salt => "salt",
    AgricultureGeneral => "agriculture_general",
    IndustryHandicraft => "industry_handicraft",
    Construction => "construction",
    TradeServices => "trade_services",
    Transport => "transport",
    Credit => "credit",
    Environment => "environment",
    Housing => "housing",
    Other => "other",
});

coded!(LegalStatus {
    Active => "active",
    Halted => "halted",
    PendingDissolution => "pending_dissolution",
    Dissolved => "dissolved",
    NonCompliant => "non_compliant",
});

coded!(Grade {
    Weak => "weak",
    Average => "average",
    Fair => "fair",
    Good => "good",
});

coded!(ReviewDecision {
    Approved => "approved",
    Returned => "returned",
});

impl Coded for Role {
    fn all() -> &'static [Self] {
        &Role::ALL
    }
    fn code(self) -> &'static str {
        self.as_str()
    }
    fn label_vi(self) -> &'static str {
        Role::label_vi(self)
    }
    fn label_en(self) -> &'static str {
        Role::label_en(self)
    }
}

impl Coded for LocalStatus {
    fn all() -> &'static [Self] {
        &LocalStatus::ALL
    }
    fn code(self) -> &'static str {
        self.as_str()
    }
    fn label_vi(self) -> &'static str {
        LocalStatus::label_vi(self)
    }
    fn label_en(self) -> &'static str {
        LocalStatus::label_en(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The code is what serde writes and reads (stored data, the API), every
    /// value is listed once, and each has both labels.
    fn check<T: Coded + serde::Serialize + serde::de::DeserializeOwned + std::fmt::Debug>() {
        let all = T::all();
        for (i, &v) in all.iter().enumerate() {
            assert_eq!(serde_json::to_value(v).unwrap(), v.code(), "{v:?}");
            assert_eq!(serde_json::from_value::<T>(v.code().into()).unwrap(), v);
            assert_eq!(T::from_code(v.code()), Some(v));
            assert!(
                !v.label_vi().is_empty() && !v.label_en().is_empty(),
                "{v:?}"
            );
            assert!(!all[..i].contains(&v), "{v:?} listed twice");
        }
        assert_eq!(T::from_code("no_such_code"), None);
    }

    #[test]
    fn every_code_list_agrees_with_serde() {
        check::<OrganisationKind>();
        check::<Sector>();
        check::<LegalStatus>();
        check::<Grade>();
        check::<ReviewDecision>();
        check::<Role>();
        check::<LocalStatus>();
    }
}
