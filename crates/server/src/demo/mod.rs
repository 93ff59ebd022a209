//! The synthetic demo dataset (`--demo`): ~40 organisations in communes of the
//! former Kiên Giang province, now part of An Giang (units valid from
//! 2025-07-01). Every row is fictitious: the name starts with [`DEMO_PREFIX`],
//! the registration code with `DEMO-`, and `is_demo = 1`.
//!
//! Place codes and names are copied from `shared/data/admin-units-from-2025-07-01.json`
//! (Nghị quyết 1654/NQ-UBTVQH15; codes per Công văn 1027/CTK-CSCL, as compiled
//! by the MIT-licensed dvhcvn dataset). Deterministic: ids are UUID v5 of the
//! registration code, no randomness.

pub mod history;

use uuid::Uuid;

use crate::db::organisations::{self, OrganisationRow};
use crate::db::query_builder::Placeholders;
use crate::db::{self, meta, users, Db};

pub const DEMO_PREFIX: &str = "[DEMO] ";

/// Namespace of the demo ids (UUID v5 of the registration code).
const DEMO_NAMESPACE: Uuid = Uuid::from_u128(0x6a1e_7c2d_4b0f_4e8a_9d3c_1f2e_5a6b_7c8d);

/// One fictitious organisation: kind, name (without prefix), sector, legal
/// status, commune code, commune name, founding date.
pub struct DemoOrganisation {
    pub kind: &'static str,
    pub name: &'static str,
    pub sector: &'static str,
    pub legal_status: &'static str,
    pub place_code: &'static str,
    pub place_name: &'static str,
    pub founded_on: &'static str,
}

const fn org(
    kind: &'static str,
    name: &'static str,
    sector: &'static str,
    legal_status: &'static str,
    place_code: &'static str,
    place_name: &'static str,
    founded_on: &'static str,
) -> DemoOrganisation {
    DemoOrganisation {
        kind,
        name,
        sector,
        legal_status,
        place_code,
        place_name,
        founded_on,
    }
}

const THT: &str = "cooperative_group";
const HTX: &str = "cooperative";
const LHHTX: &str = "cooperative_union";
const QTDND: &str = "peoples_credit_fund";

#[rustfmt::skip]
pub const DEMO_ORGANISATIONS: &[DemoOrganisation] = &[
    org(HTX, "Hợp tác xã Nông nghiệp Tân Hiệp", "agriculture_crops", "active", "30850", "Xã Tân Hiệp", "2016-03-15"),
    org(THT, "Tổ hợp tác nuôi tôm An Minh", "agriculture_fisheries", "active", "31018", "Xã An Minh", "2021-08-02"),
    org(HTX, "Hợp tác xã Dịch vụ Nông nghiệp Thạnh Đông", "agriculture_crops", "active", "30874", "Xã Thạnh Đông", "2018-05-20"),
    org(QTDND, "Quỹ tín dụng nhân dân Tân Hội", "credit", "active", "30856", "Xã Tân Hội", "2003-11-10"),
    org(HTX, "Hợp tác xã Lúa gạo Giồng Riềng", "agriculture_crops", "active", "30904", "Xã Giồng Riềng", "2017-09-01"),
    org(HTX, "Hợp tác xã Nuôi trồng thủy sản Vân Khánh", "agriculture_fisheries", "active", "31042", "Xã Vân Khánh", "2019-04-18"),
    org(LHHTX, "Liên hiệp Hợp tác xã Lúa gạo Rạch Giá", "agriculture_crops", "active", "30742", "Phường Rạch Giá", "2020-12-05"),
    org(HTX, "Hợp tác xã Vận tải thủy Vĩnh Thông", "transport", "active", "30760", "Phường Vĩnh Thông", "2012-06-30"),
    org(HTX, "Hợp tác xã Nước mắm Phú Quốc", "industry_handicraft", "active", "31078", "Đặc khu Phú Quốc", "2014-02-14"),
    org(HTX, "Hợp tác xã Khai thác hải sản Nam Du", "agriculture_fisheries", "active", "31108", "Đặc khu Kiên Hải", "2015-07-22"),
    org(HTX, "Hợp tác xã Du lịch cộng đồng Tiên Hải", "trade_services", "active", "30781", "Xã Tiên Hải", "2025-02-11"),
    org(HTX, "Hợp tác xã Nông nghiệp Hòa Điền", "agriculture_crops", "active", "30790", "Xã Hòa Điền", "2015-10-08"),
    org(THT, "Tổ hợp tác trồng khóm Châu Thành", "agriculture_crops", "active", "30880", "Xã Châu Thành", "2022-01-17"),
    org(HTX, "Hợp tác xã Nông nghiệp Mỹ Thuận", "agriculture_crops", "active", "30838", "Xã Mỹ Thuận", "2013-04-09"),
    org(HTX, "Hợp tác xã Sản xuất lúa giống Hòn Đất", "agriculture_crops", "active", "30817", "Xã Hòn Đất", "2011-12-01"),
    org(HTX, "Hợp tác xã Nông nghiệp Giang Thành", "agriculture_crops", "active", "30796", "Xã Giang Thành", "2019-08-26"),
    org(THT, "Tổ hợp tác trồng tràm Vĩnh Điều", "agriculture_forestry", "active", "30793", "Xã Vĩnh Điều", "2020-03-03"),
    org(HTX, "Hợp tác xã Xây dựng Kiên Lương", "construction", "suspended", "30787", "Xã Kiên Lương", "2010-05-19"),
    org(THT, "Tổ hợp tác nuôi cá lồng bè Sơn Hải", "agriculture_fisheries", "active", "30811", "Xã Sơn Hải", "2023-06-14"),
    org(HTX, "Hợp tác xã Thương mại – Dịch vụ Tô Châu", "trade_services", "active", "30766", "Phường Tô Châu", "2016-11-28"),
    org(QTDND, "Quỹ tín dụng nhân dân Hà Tiên", "credit", "active", "30769", "Phường Hà Tiên", "2001-09-05"),
    org(HTX, "Hợp tác xã Nông nghiệp Bình Sơn", "agriculture_crops", "suspended", "30823", "Xã Bình Sơn", "2014-08-12"),
    org(THT, "Tổ hợp tác nuôi tôm càng xanh Sơn Kiên", "agriculture_fisheries", "active", "30835", "Xã Sơn Kiên", "2022-10-20"),
    org(HTX, "Hợp tác xã Rau an toàn Thạnh Lộc", "agriculture_crops", "active", "30886", "Xã Thạnh Lộc", "2018-02-27"),
    org(HTX, "Hợp tác xã Vệ sinh môi trường Bình An", "environment", "active", "30898", "Xã Bình An", "2017-06-06"),
    org(HTX, "Hợp tác xã Nông nghiệp Thạnh Hưng", "agriculture_crops", "non_compliant", "30910", "Xã Thạnh Hưng", "2008-03-18"),
    org(THT, "Tổ hợp tác chăn nuôi heo Ngọc Chúc", "agriculture_livestock", "active", "30928", "Xã Ngọc Chúc", "2021-04-07"),
    org(QTDND, "Quỹ tín dụng nhân dân Hòa Hưng", "credit", "active", "30934", "Xã Hòa Hưng", "2005-01-24"),
    org(HTX, "Hợp tác xã Nông nghiệp Gò Quao", "agriculture_crops", "active", "30952", "Xã Gò Quao", "2016-09-13"),
    org(THT, "Tổ hợp tác đan lục bình Định Hòa", "industry_handicraft", "active", "30958", "Xã Định Hòa", "2023-02-02"),
    org(HTX, "Hợp tác xã Nông nghiệp Vĩnh Hòa Hưng Bắc", "agriculture_crops", "pending_dissolution", "30970", "Xã Vĩnh Hòa Hưng", "2009-10-30"),
    org(LHHTX, "Liên hiệp Hợp tác xã Tôm – Lúa An Biên", "agriculture_fisheries", "active", "30985", "Xã An Biên", "2022-05-25"),
    org(HTX, "Hợp tác xã Tôm – Lúa Tây Yên", "agriculture_fisheries", "active", "30988", "Xã Tây Yên", "2018-07-16"),
    org(THT, "Tổ hợp tác nuôi cua Đông Thái", "agriculture_fisheries", "active", "31006", "Xã Đông Thái", "2024-09-09"),
    org(HTX, "Hợp tác xã Nông nghiệp Vĩnh Hòa", "agriculture_crops", "active", "31012", "Xã Vĩnh Hòa", "2019-12-19"),
    org(HTX, "Hợp tác xã Ong mật U Minh Thượng", "agriculture_livestock", "active", "31027", "Xã U Minh Thượng", "2020-08-21"),
    org(QTDND, "Quỹ tín dụng nhân dân Vĩnh Thuận", "credit", "active", "31051", "Xã Vĩnh Phong", "2002-04-15"),
    org(THT, "Tổ hợp tác nuôi tôm Vĩnh Bình Bắc", "agriculture_fisheries", "active", "31064", "Xã Vĩnh Bình", "2023-11-03"),
    org(HTX, "Hợp tác xã Nông nghiệp Tân Thuận", "agriculture_crops", "dissolved", "31069", "Xã Vĩnh Thuận", "2007-06-11"),
    org(THT, "Tổ hợp tác dịch vụ hậu cần nghề cá Thổ Châu", "trade_services", "active", "31105", "Đặc khu Thổ Châu", "2024-03-29"),
];

/// Registration code of the `index`-th (0-based) demo organisation.
pub fn registration_code(index: usize) -> String {
    format!("DEMO-KG-{:04}", index + 1)
}

/// The demo rows as stored, with `now` as created_at/updated_at.
pub fn demo_rows(now: &str) -> Vec<OrganisationRow> {
    DEMO_ORGANISATIONS
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let code = registration_code(i);
            OrganisationRow {
                id: organisation_id(i).to_string(),
                registration_code: Some(code),
                name: format!("{DEMO_PREFIX}{}", o.name),
                kind: o.kind.to_owned(),
                sector: o.sector.to_owned(),
                legal_status: o.legal_status.to_owned(),
                place_code: o.place_code.to_owned(),
                place_name: o.place_name.to_owned(),
                founded_on: Some(o.founded_on.to_owned()),
                is_demo: true,
                provisional: false,
                created_at: now.to_owned(),
                updated_at: now.to_owned(),
            }
        })
        .collect()
}

/// What [`seed`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedOutcome {
    /// Organisations inserted by this call (0 when already seeded).
    pub inserted: usize,
    /// Whether the dataset was already recorded as seeded before this call.
    pub already_seeded: bool,
}

/// Seeds the demo dataset in one transaction, unless already done. Idempotent:
/// existing rows (same id or registration code) are left untouched.
pub async fn seed(db: &Db) -> Result<SeedOutcome, sqlx::Error> {
    // The write lock: two servers started at once on one PostgreSQL seed once.
    let mut tx = crate::db::begin_exclusive(db).await?;
    if meta::get(&mut *tx, meta::DEMO_SEEDED_AT).await?.is_some() {
        tx.commit().await?;
        return Ok(SeedOutcome {
            inserted: 0,
            already_seeded: true,
        });
    }
    let now = db::now_timestamp();
    let mut inserted = 0;
    for row in demo_rows(&now) {
        if organisations::insert_if_absent(&mut tx, &row).await? {
            inserted += 1;
        }
    }
    meta::set_if_absent(&mut *tx, meta::DEMO_SEEDED_AT, &now, &now).await?;
    tx.commit().await?;
    Ok(SeedOutcome {
        inserted,
        already_seeded: false,
    })
}

/// A demo account: username, password, role, display name, and the demo
/// organisations (index range) whose communes an officer is assigned.
pub struct DemoAccount {
    pub username: &'static str,
    pub password: &'static str,
    pub role: &'static str,
    pub display_name: &'static str,
    pub organisations: std::ops::Range<usize>,
}

/// The demo accounts (documented; only ever created with `--demo`).
pub const DEMO_ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        username: "canbo1",
        password: "canbo1-demo",
        role: "officer",
        display_name: "[DEMO] Cán bộ 1",
        organisations: 0..20,
    },
    DemoAccount {
        username: "canbo2",
        password: "canbo2-demo",
        role: "officer",
        display_name: "[DEMO] Cán bộ 2",
        organisations: 20..40,
    },
    DemoAccount {
        username: "canbo3",
        password: "canbo3-demo",
        role: "officer",
        display_name: "[DEMO] Cán bộ 3",
        // Communes of the history's organisations (history::assign_places).
        organisations: 0..0,
    },
    DemoAccount {
        username: "canbo4",
        password: "canbo4-demo",
        role: "officer",
        display_name: "[DEMO] Cán bộ 4",
        organisations: 0..0,
    },
    DemoAccount {
        username: "kiemduyet",
        password: "kiemduyet-demo",
        role: "reviewer",
        display_name: "[DEMO] Kiểm duyệt",
        organisations: 0..0,
    },
    DemoAccount {
        username: "quantri",
        password: "quantri-demo",
        role: "admin",
        display_name: "[DEMO] Quản trị",
        organisations: 0..0,
    },
];

/// The province of the demo dataset (new hierarchy: An Giang, which took in
/// Kiên Giang); the demo reviewer is scoped to it.
pub const DEMO_PROVINCE: &str = "91";

/// Id of a demo user (UUID v5 of the username).
pub fn demo_user_id(username: &str) -> String {
    Uuid::new_v5(&DEMO_NAMESPACE, format!("user:{username}").as_bytes()).to_string()
}

/// Creates the demo accounts that do not exist yet (hashing their passwords
/// on the blocking pool), assigns the officers their communes and the
/// reviewer the demo province. Idempotent.
pub async fn seed_users(db: &Db, argon2_memory_kib: u32) -> anyhow::Result<usize> {
    let mut created = 0;
    for account in DEMO_ACCOUNTS {
        let id = demo_user_id(account.username);
        if users::find_by_username(db, account.username)
            .await?
            .is_none()
        {
            let password_hash =
                crate::auth::hash_password_blocking(account.password.to_owned(), argon2_memory_kib)
                    .await?;
            let row = users::UserRow {
                id: id.clone(),
                username: account.username.to_owned(),
                display_name: account.display_name.to_owned(),
                role: account.role.to_owned(),
                password_hash,
            };
            if users::insert_if_absent(db, &row, true, &db::now_timestamp()).await? {
                created += 1;
            }
        }
        for o in &DEMO_ORGANISATIONS[account.organisations.clone()] {
            users::assign_place(db, &id, o.place_code).await?;
        }
        if account.role == "reviewer" {
            let province = htx_core::PlaceRef::new(htx_core::Hierarchy::New, DEMO_PROVINCE);
            users::assign_scope(db, &id, &province).await?;
        }
    }
    Ok(created)
}

/// What [`seed_history`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HistoryOutcome {
    pub organisations: usize,
    pub revisions: usize,
    pub reviews: usize,
    pub already_seeded: bool,
}

/// Writes the demo's three years of visits ([`history::generate`]) in one
/// transaction, unless already done: the organisations, the officers'
/// communes, every revision as the officers' devices would have pushed it
/// (with its console list row), the reviews, the conflicting copies and the
/// photos. Needs the base dataset and the demo accounts.
pub async fn seed_history(state: &crate::AppState) -> anyhow::Result<HistoryOutcome> {
    use crate::db::{audit, blobs, reviews, visits};
    use htx_core::sync::VisitRevision;

    if meta::get(&state.db, meta::DEMO_HISTORY_SEEDED_AT)
        .await?
        .is_some()
    {
        return Ok(HistoryOutcome {
            already_seeded: true,
            ..Default::default()
        });
    }
    let h = history::generate(&state.reference.places, &state.rubrics());
    let stamp = |t: &chrono::DateTime<chrono::FixedOffset>| {
        t.with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let officer_ids: Vec<String> = history::HISTORY_OFFICERS
        .iter()
        .map(|u| demo_user_id(u))
        .collect();
    let reviewer = demo_user_id("kiemduyet");
    let mut tx = state.begin_write().await?;

    // Organisations (the registry's and those found in the field).
    let mut rows: std::collections::HashMap<String, OrganisationRow> =
        demo_rows("2024-01-01T00:00:00Z")
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
    for o in &h.organisations {
        let commune = o.place_new.as_deref().unwrap_or_default();
        let place_name = state
            .reference
            .places
            .get(htx_core::Hierarchy::New, commune)
            .map_or(commune, |p| p.name.as_str());
        let mut row =
            organisations::row_from_core(o, place_name, o.provisional, "2024-01-01T00:00:00Z")
                .ok_or_else(|| {
                    anyhow::anyhow!("demo organisation {}: not representable", o.name)
                })?;
        row.is_demo = true;
        organisations::insert_if_absent(&mut tx, &row).await?;
        rows.insert(row.id.clone(), row);
    }
    for (officer, communes) in officer_ids.iter().zip(&h.places) {
        for commune in communes {
            users::assign_place(&mut *tx, officer, commune).await?;
        }
    }
    for p in &h.photos {
        blobs::insert_if_absent(
            &mut *tx,
            &p.sha256,
            &p.png,
            &officer_ids[p.officer],
            "2025-01-01T00:00:00Z",
        )
        .await?;
    }

    // Revisions, as pushed (their list rows are written by the index
    // follower, as a push's are).
    let revision_row = |r: &history::SeededRevision| -> anyhow::Result<visits::RevisionRow> {
        let record = VisitRevision::new(r.visit.clone());
        let body = record
            .canonical_if_matches()
            .ok_or_else(|| anyhow::anyhow!("demo visit {}: hash", r.visit.id))?;
        let org = rows
            .get(&r.visit.organisation_id.to_string())
            .ok_or_else(|| anyhow::anyhow!("demo visit {}: no organisation", r.visit.id))?;
        Ok(visits::RevisionRow {
            visit_id: r.visit.id.to_string(),
            revision: i64::from(r.visit.revision),
            replaces_revision: r.visit.replaces_revision.map(i64::from),
            organisation_id: org.id.clone(),
            place_code: org.place_code.clone(),
            content_hash: record.hash.0,
            body,
            pushed_by: officer_ids[r.officer].clone(),
            device_id: r.device.to_string(),
            batch_id: Uuid::new_v5(
                &DEMO_NAMESPACE,
                format!("batch:{}:{}", r.visit.id, r.visit.revision).as_bytes(),
            )
            .to_string(),
            received_at: stamp(&r.received_at),
        })
    };
    let mut stored = Vec::with_capacity(h.revisions.len());
    let mut photos = Vec::new();
    for r in &h.revisions {
        let row = revision_row(r)?;
        photos.extend(
            r.visit
                .photos
                .iter()
                .map(|p| (p.sha256.clone(), row.visit_id.clone())),
        );
        stored.push(row);
    }
    let placeholders = Placeholders::for_backend(tx.kind());
    for chunk in stored.chunks(500) {
        visits::insert_many(&mut *tx, placeholders, chunk).await?;
    }
    visits::link_photos(&mut *tx, placeholders, &photos).await?;

    // Reviews, in the order they were made, with their audit entries.
    for r in &h.reviews {
        let id = Uuid::new_v5(
            &DEMO_NAMESPACE,
            format!("review:{}:{}", r.visit_id, r.revision).as_bytes(),
        )
        .to_string();
        let (decision, action) = if r.approved {
            ("approved", "visit.approve")
        } else {
            ("returned", "visit.return")
        };
        let (visit_id, at) = (r.visit_id.to_string(), stamp(&r.reviewed_at));
        reviews::insert(
            &mut tx,
            &id,
            &visit_id,
            i64::from(r.revision),
            decision,
            &r.comment,
            &reviewer,
            &at,
        )
        .await?;
        let detail =
            serde_json::json!({ "revision": r.revision, "comment": r.comment, "review_id": id });
        audit::record(
            &mut *tx,
            &at,
            &reviewer,
            action,
            audit::ENTITY_VISIT,
            &visit_id,
            &detail,
        )
        .await?;
    }
    // The same revisions again from the officers' second phones.
    for c in &h.conflicts {
        let row = revision_row(&c.copy)?;
        let server_hash = htx_core::hash::content_hash(
            &h.revisions
                .iter()
                .find(|r| {
                    r.visit.id == c.copy.visit.id && r.visit.revision == c.copy.visit.revision
                })
                .ok_or_else(|| anyhow::anyhow!("demo conflict without its revision"))?
                .visit,
        );
        let conflict = visits::ConflictRow {
            visit_id: row.visit_id.clone(),
            revision: row.revision,
            content_hash: row.content_hash,
            reason: visits::SAME_REVISION_OTHER_CONTENT.to_owned(),
            server_hash: server_hash.0,
            body: row.body,
            pushed_by: row.pushed_by,
            device_id: row.device_id,
            received_at: row.received_at,
        };
        visits::insert_conflict(&mut *tx, &conflict).await?;
    }
    let now = db::now_timestamp();
    meta::set_if_absent(&mut *tx, meta::DEMO_HISTORY_SEEDED_AT, &now, &now).await?;
    tx.commit().await?;
    Ok(HistoryOutcome {
        organisations: h.organisations.len(),
        revisions: h.revisions.len(),
        reviews: h.reviews.len(),
        already_seeded: false,
    })
}

/// Id of the `index`-th demo organisation.
pub fn organisation_id(index: usize) -> Uuid {
    Uuid::new_v5(&DEMO_NAMESPACE, registration_code(index).as_bytes())
}

/// What in this database is not demo data, described, or `None`: `--demo`
/// adds accounts with published passwords and must never touch a real
/// database. Demo data is what the demo seeded and what demo accounts
/// created (organisations, accounts, visits). Reads only, and works on a
/// database of any schema version (it is asked before migrating).
pub async fn foreign_data(db: &Db) -> Result<Option<String>, sqlx::Error> {
    let tables = meta::tables(db).await?;
    let mut found = Vec::new();
    let count =
        |sql: &'static str| async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(db).await };
    if tables.contains("organisations") {
        // Organisations found in the field by demo officers before their
        // rows were marked (older servers) are demo data too.
        let n = if tables.contains("visit_revisions") && tables.contains("users") {
            count(
                "SELECT COUNT(*) FROM organisations o WHERE o.is_demo = 0 AND NOT (o.provisional = 1 AND EXISTS \
                 (SELECT 1 FROM visit_revisions r JOIN users u ON u.id = r.pushed_by \
                  WHERE r.organisation_id = o.id AND u.is_demo = 1))",
            )
            .await?
        } else {
            count("SELECT COUNT(*) FROM organisations WHERE is_demo = 0").await?
        };
        if n > 0 {
            found.push(format!("{n} organisations"));
        }
    }
    if tables.contains("users") {
        let n = count("SELECT COUNT(*) FROM users WHERE is_demo = 0").await?;
        if n > 0 {
            found.push(format!("{n} accounts"));
        }
        if tables.contains("visit_revisions") {
            let n = count(
                "SELECT COUNT(*) FROM visit_revisions r JOIN users u ON u.id = r.pushed_by WHERE u.is_demo = 0",
            )
            .await?;
            if n > 0 {
                found.push(format!("{n} visit revisions"));
            }
        }
    }
    Ok((!found.is_empty()).then(|| format!("{} that are not demo data", found.join(", "))))
}

/// How many demo accounts (published passwords) this database holds.
pub async fn demo_accounts(db: &Db) -> Result<i64, sqlx::Error> {
    if !meta::tables(db).await?.contains("users") {
        return Ok(0);
    }
    sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE is_demo = 1")
        .fetch_one(db)
        .await
}

/// Whether the demo dataset has been seeded into this database.
pub async fn is_seeded(db: &Db) -> Result<bool, sqlx::Error> {
    Ok(meta::get(db, meta::DEMO_SEEDED_AT).await?.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn forty_distinct_well_formed_organisations() {
        assert_eq!(DEMO_ORGANISATIONS.len(), 40);
        let rows = demo_rows("2025-07-01T00:00:00Z");
        let ids: HashSet<_> = rows.iter().map(|r| r.id.clone()).collect();
        let names: HashSet<_> = rows.iter().map(|r| r.name.clone()).collect();
        assert_eq!(ids.len(), 40);
        assert_eq!(names.len(), 40);
        for r in &rows {
            assert!(r.name.starts_with(DEMO_PREFIX), "{}", r.name);
            assert!(r.is_demo);
            assert!(matches!(
                r.kind.as_str(),
                "cooperative_group" | "cooperative" | "cooperative_union" | "peoples_credit_fund"
            ));
            let date = r.founded_on.as_deref().unwrap();
            assert!(
                chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok(),
                "{date}"
            );
        }
        // Same input, same output: no randomness.
        assert_eq!(rows, demo_rows("2025-07-01T00:00:00Z"));
        for kind in [THT, HTX, LHHTX, QTDND] {
            assert!(rows.iter().any(|r| r.kind == kind), "no {kind}");
        }
    }

    /// The place codes and names match the shared reference data (when the
    /// `shared/` checkout sits beside the repository, as in CI).
    #[test]
    fn places_match_reference_data() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/admin-units-from-2025-07-01.json"
        );
        let Ok(text) = std::fs::read_to_string(path) else {
            eprintln!("skipped: {path} not found");
            return;
        };
        let data: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut units = std::collections::HashMap::new();
        for province in data["provinces"].as_array().unwrap() {
            for unit in province["level2s"].as_array().unwrap() {
                units.insert(
                    unit["level2_id"].as_str().unwrap().to_owned(),
                    unit["name"].as_str().unwrap().to_owned(),
                );
            }
        }
        for o in DEMO_ORGANISATIONS {
            assert_eq!(
                units.get(o.place_code).map(String::as_str),
                Some(o.place_name),
                "place {}",
                o.place_code
            );
        }
    }
}
