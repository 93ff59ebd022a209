//! Test fixtures shared by htx-core's own tests and the server's tests
//! (feature `fixtures`), so "a complete final visit" means one thing everywhere.
use crate::money::Vnd;
use crate::organisation::LegalStatus;
use crate::visit::{Gender, Visit, VisitState};
use chrono::Duration;

/// Turns a draft into a final visit that passes validation for a cooperative
/// (every fact and plan indicator a final visit requires is filled in).
pub fn complete_final(mut v: Visit) -> Visit {
    v.state = VisitState::Final;
    v.finished_at = Some(v.started_at + Duration::hours(1));
    let f = &mut v.facts;
    f.status = Some(LegalStatus::Active);
    f.members.official = Some(120);
    f.members.associate_contributing = Some(10);
    f.members.total = Some(130);
    f.workers = Some(15);
    f.charter_capital = Some(Vnd::billion(2));
    f.total_capital = Some(Vnd::billion(5));
    f.revenue = Some(Vnd::billion(8));
    f.pre_tax_profit = Some(Vnd::million(-300));
    f.managers.total = Some(5);
    f.managers.with_degree = Some(2);
    f.managers.vocational_trained = Some(3);
    f.managers.under_35 = Some(1);
    f.director.gender = Some(Gender::Female);
    f.director.trained = Some(true);
    let p = &mut v.plan;
    p.value_chain = Some(true);
    p.enterprise_link = Some(true);
    p.enterprise_partner = Some("Công ty Lúa gạo Kiên Giang".into());
    p.high_tech = Some(false);
    p.traceability = Some(true);
    p.direct_export = Some(false);
    v
}
