//! Three years of synthetic field work for the demo (`--demo`): a few hundred
//! organisations across the communes of the former Kiên Giang, visits over
//! 2024-2026 whose facts, plan indicators and score sheets vary plausibly,
//! and review states of every kind (pending, approved, returned with a
//! comment, a fix waiting again, a conflict between two devices), a few
//! photos (drawn here) and GPS points.
//!
//! [`generate`] is pure and deterministic: a fixed seed, ids derived from
//! names, fixed dates (the last visits are from October 2026), so every
//! machine gets the same data. [`super::seed_history`] writes it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone};
use htx_core::money::Vnd;
use htx_core::organisation::{LegalStatus, OrganisationKind, Sector};
use htx_core::score::RatingFacts;
use htx_core::visit::{DirectorInfo, Gender, GeoFix, OcopProduct, PhotoRef, VisitState};
use htx_core::{
    Hierarchy, Organisation, PlaceRef, PlaceRegistry, Points, Rubric, RubricRegistry, ScoreSheet,
    Visit,
};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

use super::{DEMO_NAMESPACE, DEMO_ORGANISATIONS, DEMO_PREFIX};

/// The years of visits in the demo.
pub const YEARS: [i32; 3] = [2024, 2025, 2026];
/// Organisations generated beside the 40 hand-written ones.
pub const GENERATED_ORGANISATIONS: usize = 260;
/// Organisations found in the field, still waiting to be matched.
pub const PROVISIONAL_ORGANISATIONS: usize = 5;
/// The former Kiên Giang (old hierarchy), whose communes the demo covers.
pub const FORMER_PROVINCE: &str = "91";
const SEED: u64 = 0x4854_585f_4445_4d4f; // "HTX_DEMO"

/// The demo officers of the history: the two of the base dataset (the
/// communes of demo organisations 1-20 and 21-40) and two more for the rest
/// of the former province.
pub const HISTORY_OFFICERS: [&str; 4] = ["canbo1", "canbo2", "canbo3", "canbo4"];

/// One stored revision of the demo, as a device would have pushed it.
#[derive(Debug, Clone, PartialEq)]
pub struct SeededRevision {
    pub visit: Visit,
    /// Index into [`HISTORY_OFFICERS`].
    pub officer: usize,
    pub device: Uuid,
    pub received_at: DateTime<FixedOffset>,
}

/// A review decision of the demo reviewer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeededReview {
    pub visit_id: Uuid,
    pub revision: u32,
    pub approved: bool,
    pub comment: String,
    pub reviewed_at: DateTime<FixedOffset>,
}

/// A copy of a stored revision pushed from the officer's second device with
/// other content (same id and revision): a conflict for review.
#[derive(Debug, Clone, PartialEq)]
pub struct SeededConflict {
    pub copy: SeededRevision,
}

/// A photo the seeder drew, by its SHA-256, and the officer who took it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeededPhoto {
    pub sha256: String,
    pub png: Vec<u8>,
    pub officer: usize,
}

/// Everything the demo history holds.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    /// Generated registry organisations, then the provisional ones.
    pub organisations: Vec<Organisation>,
    /// Each officer's communes (index as [`HISTORY_OFFICERS`]).
    pub places: [BTreeSet<String>; 4],
    /// Oldest first; a visit's revisions in order.
    pub revisions: Vec<SeededRevision>,
    pub reviews: Vec<SeededReview>,
    pub conflicts: Vec<SeededConflict>,
    pub photos: Vec<SeededPhoto>,
}

const COMMENTS: &[&str] = &[
    "Số thành viên chính thức không khớp với danh sách trong sổ đăng ký thành viên, đề nghị kiểm tra lại.",
    "Thiếu doanh thu năm trước: bổ sung theo báo cáo tài chính đã nộp cơ quan thuế.",
    "Điểm tiêu chí 10 cao hơn minh chứng: đề nghị đối chiếu biên bản đại hội thành viên.",
    "Chưa ghi tên doanh nghiệp liên kết tiêu thụ sản phẩm, đề nghị bổ sung hợp đồng.",
    "Số cán bộ quản lý có trình độ đại học lớn hơn tổng số cán bộ quản lý đã báo cáo kỳ trước: kiểm tra lại.",
];

/// Vietnamese words for a sector, for generated names.
fn sector_words(s: Sector) -> &'static [&'static str] {
    match s {
        Sector::Crops => &[
            "Nông nghiệp",
            "Lúa gạo",
            "Rau an toàn",
            "Trồng khóm",
            "Dịch vụ nông nghiệp",
        ],
        Sector::Livestock => &["Chăn nuôi", "Nuôi heo", "Ong mật", "Chăn nuôi bò"],
        Sector::Aquaculture => &[
            "Thủy sản",
            "Nuôi tôm",
            "Tôm – Lúa",
            "Khai thác hải sản",
            "Nuôi cua",
        ],
        Sector::Forestry => &["Trồng rừng", "Trồng tràm"],
        Sector::AgricultureGeneral => &["Nông nghiệp tổng hợp", "Dịch vụ nông nghiệp"],
        Sector::IndustryHandicraft => &[
            "Nước mắm",
            "Đan lục bình",
            "Tiểu thủ công nghiệp",
            "Chế biến khô cá",
        ],
        Sector::TradeServices => &[
            "Thương mại – Dịch vụ",
            "Du lịch cộng đồng",
            "Dịch vụ tổng hợp",
        ],
        Sector::Transport => &["Vận tải", "Vận tải thủy"],
        Sector::Construction => &["Xây dựng"],
        Sector::Environment => &["Vệ sinh môi trường", "Cấp nước sạch"],
        _ => &["Dịch vụ"],
    }
}

fn pick_weighted<T: Copy>(rng: &mut ChaCha8Rng, options: &[(T, u32)]) -> T {
    let total: u32 = options.iter().map(|(_, w)| w).sum();
    let mut n = rng.gen_range(0..total);
    for &(v, w) in options {
        if n < w {
            return v;
        }
        n -= w;
    }
    options[options.len() - 1].0
}

fn vn(date: NaiveDate, hour: u32, minute: u32) -> DateTime<FixedOffset> {
    let offset = htx_core::time::VN_OFFSET;
    offset
        .from_local_datetime(&date.and_hms_opt(hour, minute, 0).expect("valid time"))
        .single()
        .expect("a fixed offset has one local time")
}

fn short_place_name(name: &str) -> &str {
    for prefix in ["Xã ", "Phường ", "Đặc khu ", "Thị trấn "] {
        if let Some(rest) = name.strip_prefix(prefix) {
            return rest;
        }
    }
    name
}

/// A deterministic id in the demo namespace.
fn demo_uuid(name: &str) -> Uuid {
    Uuid::new_v5(&DEMO_NAMESPACE, name.as_bytes())
}

/// Registration code of the `n`-th organisation of the history (after the
/// 40 of the base dataset).
fn history_code(n: usize) -> String {
    super::registration_code(DEMO_ORGANISATIONS.len() + n)
}

/// The officer of a commune: the base officers keep their communes, the
/// rest of the former province is split between the two others.
fn assign_places(communes: &BTreeSet<String>) -> [BTreeSet<String>; 4] {
    let base1: BTreeSet<String> = DEMO_ORGANISATIONS[..20]
        .iter()
        .map(|o| o.place_code.to_owned())
        .collect();
    let base2: BTreeSet<String> = DEMO_ORGANISATIONS[20..]
        .iter()
        .map(|o| o.place_code.to_owned())
        .collect();
    let rest: Vec<&String> = communes
        .iter()
        .filter(|c| !base1.contains(*c) && !base2.contains(*c))
        .collect();
    let half = rest.len() / 2;
    let third: BTreeSet<String> = rest[..half].iter().map(|c| (*c).clone()).collect();
    let fourth: BTreeSet<String> = rest[half..].iter().map(|c| (*c).clone()).collect();
    [base1, base2, third, fourth]
}

fn officer_of(places: &[BTreeSet<String>; 4], commune: &str) -> usize {
    places.iter().position(|p| p.contains(commune)).unwrap_or(2)
}

/// The demo history, the same on every machine.
pub fn generate(places: &PlaceRegistry, rubrics: &RubricRegistry) -> History {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let former = PlaceRef::new(Hierarchy::Old, FORMER_PROVINCE);
    let mut communes = places.new_communes_within(&former);
    // The base dataset's communes belong to the demo too.
    communes.extend(DEMO_ORGANISATIONS.iter().map(|o| o.place_code.to_owned()));
    let officer_places = assign_places(&communes);
    let commune_list: Vec<&String> = communes.iter().collect();

    // Registry organisations: the 40 of the base dataset, then generated ones.
    let mut registry: Vec<Organisation> = super::demo_rows("2024-01-01T00:00:00Z")
        .iter()
        .filter_map(crate::db::organisations::to_core)
        .collect();
    let mut names = BTreeSet::new();
    let mut generated = Vec::with_capacity(GENERATED_ORGANISATIONS);
    for n in 0..GENERATED_ORGANISATIONS {
        use OrganisationKind as K;
        let kind = pick_weighted(
            &mut rng,
            &[
                (K::Cooperative, 55),
                (K::CooperativeGroup, 35),
                (K::PeoplesCreditFund, 4),
                (K::CooperativeUnion, 6),
            ],
        );
        let sector = if kind == K::PeoplesCreditFund {
            Sector::Credit
        } else {
            pick_weighted(
                &mut rng,
                &[
                    (Sector::Crops, 34),
                    (Sector::Aquaculture, 22),
                    (Sector::Livestock, 9),
                    (Sector::Forestry, 3),
                    (Sector::AgricultureGeneral, 5),
                    (Sector::IndustryHandicraft, 9),
                    (Sector::TradeServices, 10),
                    (Sector::Transport, 4),
                    (Sector::Construction, 2),
                    (Sector::Environment, 2),
                ],
            )
        };
        let commune = commune_list[rng.gen_range(0..commune_list.len())];
        let place = places.get(Hierarchy::New, commune);
        let place_name = place.map(|p| short_place_name(&p.name)).unwrap_or(commune);
        let kind_name = match kind {
            K::Cooperative => "Hợp tác xã",
            K::CooperativeGroup => "Tổ hợp tác",
            K::CooperativeUnion => "Liên hiệp Hợp tác xã",
            K::PeoplesCreditFund => "Quỹ tín dụng nhân dân",
        };
        let base = if kind == K::PeoplesCreditFund {
            format!("{kind_name} {place_name}")
        } else {
            let word = sector_words(sector)
                .choose(&mut rng)
                .copied()
                .unwrap_or("Dịch vụ");
            format!("{kind_name} {word} {place_name}")
        };
        let mut name = base.clone();
        let mut k = 2;
        while !names.insert(name.clone()) {
            name = format!("{base} {k}");
            k += 1;
        }
        let (older, recent) = (rng.gen_range(1997..2015), rng.gen_range(2015..2024));
        let founded_year = pick_weighted(
            &mut rng,
            &[(older, 45), (recent, 45), (2024, 4), (2025, 4), (2026, 2)],
        );
        let founded_on =
            NaiveDate::from_ymd_opt(founded_year, rng.gen_range(1..=12), rng.gen_range(1..=28))
                .map(|d| d.min(NaiveDate::from_ymd_opt(2026, 6, 30).expect("date")));
        let legal_status = pick_weighted(
            &mut rng,
            &[
                (LegalStatus::Active, 82),
                (LegalStatus::Halted, 7),
                (LegalStatus::PendingDissolution, 4),
                (LegalStatus::Dissolved, 3),
                (LegalStatus::NonCompliant, 4),
            ],
        );
        let code = history_code(n);
        let mut o = Organisation::new(
            demo_uuid(&code),
            kind,
            format!("{DEMO_PREFIX}{name}"),
            sector,
        );
        o.registration_code = Some(code);
        o.place_new = Some(commune.clone());
        o.founded_on = founded_on;
        o.legal_status = legal_status;
        o.address = format!(
            "Ấp {}, {}",
            rng.gen_range(1..9),
            place.map_or(commune.as_str(), |p| p.name.as_str())
        );
        generated.push(o);
    }
    registry.extend(generated.iter().cloned());

    // Organisations found in the field by officers, waiting to be matched.
    let mut provisional = Vec::new();
    for n in 0..PROVISIONAL_ORGANISATIONS {
        let officer = [0, 2, 3, 0, 1][n % 5];
        let commune = officer_places[officer]
            .iter()
            .nth(n * 3 % officer_places[officer].len().max(1))
            .cloned()
            .unwrap_or_default();
        let place_name = places
            .get(Hierarchy::New, &commune)
            .map(|p| short_place_name(&p.name).to_owned())
            .unwrap_or_default();
        let sector = [
            Sector::Aquaculture,
            Sector::Crops,
            Sector::IndustryHandicraft,
            Sector::Livestock,
            Sector::TradeServices,
        ][n];
        let kind = if n % 2 == 0 {
            OrganisationKind::CooperativeGroup
        } else {
            OrganisationKind::Cooperative
        };
        let words = sector_words(sector);
        let kind_name = if kind == OrganisationKind::Cooperative {
            "Hợp tác xã"
        } else {
            "Tổ hợp tác"
        };
        let mut o = Organisation::new(
            demo_uuid(&format!("provisional:{n}")),
            kind,
            format!(
                "{DEMO_PREFIX}{kind_name} {} {place_name} (mới phát hiện)",
                words[n % words.len()]
            ),
            sector,
        );
        o.place_new = Some(commune);
        o.founded_on = NaiveDate::from_ymd_opt(2019 + n as i32, 3, 1);
        o.provisional = true;
        provisional.push(o);
    }

    let mut history = History {
        organisations: generated
            .into_iter()
            .chain(provisional.iter().cloned())
            .collect(),
        places: officer_places.clone(),
        revisions: Vec::new(),
        reviews: Vec::new(),
        conflicts: Vec::new(),
        photos: Vec::new(),
    };
    let rubric = rubrics
        .get("tt-01-2020-tt-bkhdt", 1)
        .cloned()
        .unwrap_or_else(Rubric::tt_01_2020);
    let devices: Vec<Uuid> = (0..HISTORY_OFFICERS.len() * 2)
        .map(|i| demo_uuid(&format!("device:{i}")))
        .collect();

    // Each organisation's standing, drifting a little year to year.
    let mut quality: BTreeMap<Uuid, f64> = BTreeMap::new();
    let everyone: Vec<(Organisation, bool)> = registry
        .iter()
        .cloned()
        .map(|o| (o, false))
        .chain(provisional.into_iter().map(|o| (o, true)))
        .collect();
    let mut returned_unfixed: [usize; 4] = [0; 4];
    let mut photo_visits = 0;
    let mut conflicts = 0;
    for year in YEARS {
        for (org, is_provisional) in &everyone {
            let commune = org.place_new.clone().unwrap_or_default();
            let officer = officer_of(&officer_places, &commune);
            // Found in the field in 2026: only that year's visit brought it.
            if *is_provisional && year != 2026 {
                continue;
            }
            let q = quality
                .entry(org.id)
                .or_insert_with(|| rng.gen_range(0.42..0.98));
            *q = (*q + rng.gen_range(-0.08..0.08)).clamp(0.2, 1.0);
            let q = *q;
            let (first, last) = if year == 2026 {
                ((1, 15), (10, 25))
            } else {
                ((2, 1), (11, 28))
            };
            let window_start = NaiveDate::from_ymd_opt(year, first.0, first.1).expect("date");
            let window_end = NaiveDate::from_ymd_opt(year, last.0, last.1).expect("date");
            let start = org
                .founded_on
                .map_or(window_start, |f| f.max(window_start) + Duration::days(20));
            if start >= window_end {
                continue;
            }
            // Some organisations go unvisited in a year; a dissolved one is
            // visited no more after 2024.
            let visit_chance = match org.legal_status {
                LegalStatus::Dissolved if year > 2024 => 0.0,
                LegalStatus::Active => 0.82,
                _ => 0.6,
            };
            if !*is_provisional && !rng.gen_bool(visit_chance) {
                continue;
            }
            let days = (window_end - start).num_days();
            let date = start + Duration::days(rng.gen_range(0..=days));
            let started_at = vn(date, rng.gen_range(7..15), rng.gen_range(0..60));
            let id = demo_uuid(&format!("visit:{}:{year}", org.id));
            let mut v = Visit::new_draft(
                id,
                org.id,
                super::DEMO_ACCOUNTS[officer_account(officer)].display_name,
                started_at,
            );
            fill(&mut v, org, q, year, &rubric, &mut rng);
            if *is_provisional {
                v.new_organisation = Some(org.clone());
            }
            if rng.gen_bool(0.6) {
                v.location = GeoFix::from_degrees(
                    rng.gen_range(9.55..10.55),
                    rng.gen_range(104.45..105.35),
                    rng.gen_range(4.0..35.0),
                );
            }
            if photo_visits < 12 && year >= 2025 && rng.gen_bool(0.05) {
                photo_visits += 1;
                for p in 0..rng.gen_range(1..=2) {
                    let png = draw_photo(&mut rng);
                    let sha256 = htx_core::photo::sha256_hex(&png);
                    v.photos.push(PhotoRef {
                        id: demo_uuid(&format!("photo:{id}:{p}")),
                        sha256: sha256.clone(),
                        caption: [
                            "Trụ sở hợp tác xã",
                            "Kho chứa sản phẩm",
                            "Ruộng lúa của thành viên",
                            "Bảng niêm yết báo cáo tài chính",
                        ][p + photo_visits % 3]
                            .to_owned(),
                    });
                    history.photos.push(SeededPhoto {
                        sha256,
                        png,
                        officer,
                    });
                }
            }
            let device = devices[officer * 2];
            let received_at = started_at
                + Duration::days(rng.gen_range(1..6))
                + Duration::hours(rng.gen_range(0..8));
            history.revisions.push(SeededRevision {
                visit: v.clone(),
                officer,
                device,
                received_at,
            });

            // Review: older years are mostly settled; this year's still moving.
            let reviewed_at = received_at + Duration::days(rng.gen_range(2..20));
            let roll: f64 = rng.gen_range(0.0..1.0);
            let (approved_share, returned_share) = if year < 2026 {
                (0.86, 0.08)
            } else {
                (0.45, 0.27)
            };
            if roll < approved_share {
                history.reviews.push(SeededReview {
                    visit_id: id,
                    revision: 0,
                    approved: true,
                    comment: String::new(),
                    reviewed_at,
                });
            } else if roll < approved_share + returned_share {
                let comment = COMMENTS[rng.gen_range(0..COMMENTS.len())].to_owned();
                history.reviews.push(SeededReview {
                    visit_id: id,
                    revision: 0,
                    approved: false,
                    comment,
                    reviewed_at,
                });
                // Most returns are fixed; some of 2026 still wait on the
                // officer (every officer has a few on their phone).
                let leave = year == 2026 && (returned_unfixed[officer] < 2 || rng.gen_bool(0.3));
                if leave {
                    returned_unfixed[officer] += 1;
                } else {
                    let mut fix = v.next_revision();
                    fix.notes = format!("{} Đã sửa theo nhận xét của Liên minh.", fix.notes)
                        .trim()
                        .to_owned();
                    fix.facts.workers = fix.facts.workers.map(|w| w + 1);
                    let fixed_at = reviewed_at + Duration::days(rng.gen_range(1..10));
                    history.revisions.push(SeededRevision {
                        visit: fix,
                        officer,
                        device,
                        received_at: fixed_at,
                    });
                    // A fix of an older year was approved; this year's waits again.
                    if year < 2026 {
                        let approved_at = fixed_at + Duration::days(rng.gen_range(1..10));
                        history.reviews.push(SeededReview {
                            visit_id: id,
                            revision: 1,
                            approved: true,
                            comment: String::new(),
                            reviewed_at: approved_at,
                        });
                    }
                }
            } else if year == 2026 && conflicts < 3 && !*is_provisional {
                // The officer's second phone held an older copy of the same
                // revision and pushed it with other content.
                conflicts += 1;
                let mut copy = v.clone();
                copy.notes = format!("{} (bản trên máy thứ hai)", copy.notes)
                    .trim()
                    .to_owned();
                copy.facts.workers = copy.facts.workers.map(|w| w + 2);
                history.conflicts.push(SeededConflict {
                    copy: SeededRevision {
                        visit: copy,
                        officer,
                        device: devices[officer * 2 + 1],
                        received_at: received_at + Duration::hours(3),
                    },
                });
            }
        }
    }
    history.revisions.sort_by_key(|r| r.received_at);
    history.reviews.sort_by_key(|r| r.reviewed_at);
    history
}

/// Index of an officer of [`HISTORY_OFFICERS`] in [`super::DEMO_ACCOUNTS`].
pub fn officer_account(officer: usize) -> usize {
    super::DEMO_ACCOUNTS
        .iter()
        .position(|a| a.username == HISTORY_OFFICERS[officer])
        .expect("every history officer is a demo account")
}

/// Facts, plan indicators and score sheet of a final visit to `org` whose
/// standing is `q` (0-1): valid for the server's checks, as an officer
/// would finalize it.
fn fill(
    v: &mut Visit,
    org: &Organisation,
    q: f64,
    year: i32,
    rubric: &Rubric,
    rng: &mut ChaCha8Rng,
) {
    use OrganisationKind as K;
    v.state = VisitState::Final;
    v.finished_at = Some(v.started_at + Duration::minutes(rng.gen_range(40..150)));
    let f = &mut v.facts;
    f.status = Some(
        if org.legal_status == LegalStatus::Active && rng.gen_bool(0.03) {
            LegalStatus::Halted
        } else {
            org.legal_status
        },
    );
    let m = &mut f.members;
    match org.kind {
        K::CooperativeGroup => {
            let n = rng.gen_range(6..45);
            m.group_members = Some(n);
            m.total = Some(n);
            f.workers = Some(rng.gen_range(0..8));
        }
        K::CooperativeUnion => {
            let n = rng.gen_range(3..14);
            m.member_cooperatives = Some(n);
            m.total = Some(n);
            f.workers = Some(rng.gen_range(3..25));
        }
        K::Cooperative | K::PeoplesCreditFund => {
            let official = if org.kind == K::PeoplesCreditFund {
                rng.gen_range(400..4000)
            } else {
                rng.gen_range(12..320)
            };
            let associate = rng.gen_range(0..official / 6 + 1);
            m.official = Some(official);
            m.associate_contributing = Some(associate);
            m.total = Some(official + associate);
            f.workers = Some(rng.gen_range(2..40));
        }
    }
    if org.kind != K::CooperativeGroup {
        let scale = 1 + i64::from(f.members.total.unwrap_or(10)) / 40;
        f.charter_capital = Some(Vnd::million(rng.gen_range(200..2000) * scale));
        f.total_capital = Some(Vnd::million(rng.gen_range(600..6000) * scale));
        f.revenue = Some(Vnd::million(
            (rng.gen_range(300.0..9000.0) * q) as i64 * scale,
        ));
        f.pre_tax_profit = Some(Vnd::million(
            ((q - 0.45) * rng.gen_range(200.0..1500.0)) as i64 * scale,
        ));
        let managers = rng.gen_range(3..9);
        f.managers.total = Some(managers);
        f.managers.with_degree =
            Some(((f64::from(managers) * q * rng.gen_range(0.3..0.9)) as u32).min(managers));
        f.managers.vocational_trained = Some(rng.gen_range(0..=managers));
        f.managers.under_35 = Some(rng.gen_range(0..=managers / 2));
        f.director = DirectorInfo {
            gender: Some(if rng.gen_bool(0.22) {
                Gender::Female
            } else {
                Gender::Male
            }),
            trained: Some(rng.gen_bool((0.3 + q * 0.6).min(0.95))),
        };
    }
    let p = &mut v.plan;
    p.value_chain = Some(rng.gen_bool((q * 0.7).min(0.9)));
    let linked = org.is_agricultural() && rng.gen_bool((q * 0.65).min(0.9));
    p.enterprise_link = Some(linked);
    p.enterprise_partner = linked.then(|| {
        [
            "Công ty TNHH Lúa gạo Kiên Giang",
            "Công ty CP Thủy sản Rạch Giá",
            "Công ty CP Tập đoàn Lộc Trời",
            "Công ty TNHH Nước mắm Phú Quốc",
        ][rng.gen_range(0..4)]
        .to_owned()
    });
    p.high_tech = Some(rng.gen_bool((q * 0.25).min(0.5)));
    p.traceability = Some(rng.gen_bool((q * 0.5).min(0.8)));
    p.direct_export = Some(rng.gen_bool(0.04));
    p.trademark = Some(rng.gen_bool(q * 0.4));
    if q > 0.75 && rng.gen_bool(0.3) {
        p.ocop_products.push(OcopProduct {
            name: "Sản phẩm đặc trưng của địa phương".into(),
            stars: rng.gen_range(3..=4),
        });
    }
    v.notes = [
        "",
        "Ban giám đốc tiếp đoàn, cung cấp đủ sổ sách.",
        "Đang chuẩn bị đại hội thành viên thường niên.",
        "Thành viên phản ánh giá vật tư đầu vào tăng.",
    ][rng.gen_range(0..4)]
    .to_owned();

    // The score sheet of the kinds the rubric covers.
    if !rubric.applies_to.covers(org.kind, org.sector) {
        return;
    }
    let mut sheet = ScoreSheet::new(rubric, year);
    let halted = v.facts.status == Some(LegalStatus::Halted);
    sheet.facts = RatingFacts {
        assessed_on: None,
        founded_on: org.founded_on,
        halted_days_in_year: if halted { rng.gen_range(60..300) } else { 0 },
        administrative_penalty_in_year: org.is_agricultural() && rng.gen_bool(0.03),
        agricultural: org.is_agricultural(),
    };
    for (code, max) in rubric.scored_items() {
        let max = max.centi() / 100;
        let share = (q + rng.gen_range(-0.2..0.2)).clamp(0.0, 1.0);
        let points = (f64::from(max) * share).round() as u32;
        sheet.set(code, Points::whole(points.min(max)));
    }
    v.score_sheet = Some(sheet);
}

/// A small picture (a sky, fields and a road, in colours of its own) as PNG.
fn draw_photo(rng: &mut ChaCha8Rng) -> Vec<u8> {
    const W: u32 = 320;
    const H: u32 = 240;
    let sky = [rng.gen_range(120..200u8), rng.gen_range(170..230u8), 255u8];
    let field = [
        rng.gen_range(40..120u8),
        rng.gen_range(140..210u8),
        rng.gen_range(30..90u8),
    ];
    let horizon = rng.gen_range(70..130u32);
    let mut pixels = Vec::with_capacity((W * H * 3) as usize);
    for y in 0..H {
        for x in 0..W {
            let road = y > horizon
                && (x as i64 - W as i64 / 2).unsigned_abs() < u64::from((y - horizon) / 2 + 4);
            let c = if y < horizon {
                sky
            } else if road {
                [150, 130, 110]
            } else {
                let stripe = ((y - horizon) / 12 % 2) as u8 * 20;
                [field[0].saturating_add(stripe), field[1], field[2]]
            };
            pixels.extend_from_slice(&c);
        }
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, W, H);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().expect("PNG header into memory");
        writer
            .write_image_data(&pixels)
            .expect("PNG data into memory");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use htx_core::{validate_visit, ValidationContext};

    fn history() -> History {
        generate(&PlaceRegistry::seed(), &RubricRegistry::builtin())
    }

    #[test]
    fn the_same_history_on_every_run() {
        assert_eq!(history(), history());
    }

    #[test]
    fn a_few_hundred_organisations_across_the_former_province() {
        let h = history();
        let communes: BTreeSet<_> = h
            .organisations
            .iter()
            .filter_map(|o| o.place_new.clone())
            .collect();
        assert!(h.organisations.len() + DEMO_ORGANISATIONS.len() >= 300);
        let former = PlaceRegistry::seed()
            .new_communes_within(&PlaceRef::new(Hierarchy::Old, FORMER_PROVINCE));
        assert!(
            communes.len() * 4 >= former.len() * 3,
            "{} of {} communes",
            communes.len(),
            former.len()
        );
        assert!(h
            .organisations
            .iter()
            .all(|o| o.name.starts_with(DEMO_PREFIX)));
        assert_eq!(
            h.organisations.iter().filter(|o| o.provisional).count(),
            PROVISIONAL_ORGANISATIONS
        );
        for kind in [
            OrganisationKind::Cooperative,
            OrganisationKind::CooperativeGroup,
            OrganisationKind::CooperativeUnion,
            OrganisationKind::PeoplesCreditFund,
        ] {
            assert!(h.organisations.iter().any(|o| o.kind == kind), "{kind:?}");
        }
        for status in LegalStatus::ALL {
            assert!(
                h.organisations.iter().any(|o| o.legal_status == status),
                "{status:?}"
            );
        }
        // Every officer's communes are theirs alone.
        let all: usize = h.places.iter().map(BTreeSet::len).sum();
        let union: BTreeSet<_> = h.places.iter().flatten().collect();
        assert_eq!(all, union.len());
    }

    /// Every revision passes the server's validation as of today, grades
    /// spread over every band, and every review state is there.
    #[test]
    fn visits_are_valid_and_varied() {
        let h = history();
        let rubrics = RubricRegistry::builtin();
        let now = htx_core::time::to_vn(&chrono::Utc::now());
        let orgs: BTreeMap<Uuid, Organisation> = h
            .organisations
            .iter()
            .cloned()
            .chain(
                super::super::demo_rows("x")
                    .iter()
                    .filter_map(crate::db::organisations::to_core),
            )
            .map(|o| (o.id, o))
            .collect();
        let mut grades = BTreeMap::new();
        for r in &h.revisions {
            let org = &orgs[&r.visit.organisation_id];
            let ctx = ValidationContext::new(now)
                .with_rubrics(&rubrics)
                .with_organisation(org);
            let errors = validate_visit(&r.visit, &ctx);
            assert!(
                errors.is_empty(),
                "{} {:?}: {errors:?}",
                org.name,
                r.visit.started_at
            );
            assert!(r.received_at > r.visit.started_at && r.received_at < now);
            let grade = htx_core::score_visit(&r.visit, &rubrics).map(|s| s.rating.grade());
            *grades.entry(format!("{grade:?}")).or_insert(0) += 1;
        }
        println!(
            "grades: {grades:?}; revisions {}, reviews {}, photos {}",
            h.revisions.len(),
            h.reviews.len(),
            h.photos.len()
        );
        for g in [
            "None",
            "Some(None)",
            "Some(Some(Good))",
            "Some(Some(Fair))",
            "Some(Some(Average))",
            "Some(Some(Weak))",
        ] {
            assert!(grades.get(g).is_some_and(|&n| n > 3), "{g}: {grades:?}");
        }
        for year in YEARS {
            let visits = h
                .revisions
                .iter()
                .filter(|r| r.visit.local_date().year() == year)
                .count();
            assert!(visits > 150, "{year}: {visits}");
        }
        assert!(h.reviews.iter().any(|r| r.approved));
        assert!(h.reviews.iter().any(|r| !r.approved));
        assert!(h.revisions.iter().any(|r| r.visit.revision == 1));
        assert_eq!(h.conflicts.len(), 3);
        assert!(!h.photos.is_empty());
        assert!(h.revisions.iter().any(|r| r.visit.location.is_some()));
        assert!(h
            .photos
            .iter()
            .all(|p| htx_core::photo::ImageType::sniff(&p.png).is_some()));
    }

    use chrono::Datelike;
}
