//! Diacritics-insensitive organisation search (tìm kiếm tổ chức).
//!
//! Officers type names without tone marks ("hop tac xa tan hiep"), with them
//! ("Hợp tác xã Tân Hiệp"), in decomposed form (some Android keyboards and
//! iOS produce NFD: `a` + U+0306 + U+0301), or abbreviated ("HTX Tân").
//! [`fold`] maps all of these to one lowercase ASCII-ish form, and
//! [`SearchIndex`] precomputes the folded words of every organisation once so
//! a search-as-you-type query over ~5,000 records only compares prefixes: no
//! allocation per organisation per query.
//!
//! Matching rule: every query token must be a prefix of some word of the
//! folded name (or of its abbreviation-expanded variant, see below), or the
//! query must occur in the registration code (case-insensitive substring,
//! separators ignored; only tried when the query contains a digit).
//!
//! Ranking: (0) the folded name equals the folded query, or the query is the
//! whole registration code; (1) the tokens match word starts in query order;
//! (2) everything else. Ties are broken by name.
//!
//! Abbreviations: names are written both ways ("HTX Tân Hiệp" and "Hợp tác xã
//! Tân Hiệp"), so each name also gets a variant with the common abbreviations
//! swapped (htx ↔ hop tac xa, tht ↔ to hop tac, lhhtx ↔ lien hiep hop tac xa,
//! qtdnd ↔ quy tin dung nhan dan); a name matches if either variant does.

use crate::organisation::{LegalStatus, Organisation, OrganisationKind, Sector};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Combining diacritical marks (U+0300–U+036F): Vietnamese NFD uses U+0300
/// grave, U+0301 acute, U+0302 circumflex, U+0303 tilde, U+0306 breve,
/// U+0309 hook above, U+031B horn, U+0323 dot below; the block also holds the
/// deprecated tone marks U+0340/U+0341 some old fonts/keyboards emit.
fn is_combining(c: char) -> bool {
    ('\u{0300}'..='\u{036F}').contains(&c)
}

/// Base letter of a lowercase precomposed Vietnamese (and a few common Latin)
/// letter; `None` if `c` is not one of them.
fn base_letter(c: char) -> Option<char> {
    Some(match c {
        'à' | 'á' | 'ả' | 'ã' | 'ạ' | 'ă' | 'ằ' | 'ắ' | 'ẳ' | 'ẵ' | 'ặ' | 'â' | 'ầ' | 'ấ' | 'ẩ'
        | 'ẫ' | 'ậ' | 'ä' | 'å' => 'a',
        'è' | 'é' | 'ẻ' | 'ẽ' | 'ẹ' | 'ê' | 'ề' | 'ế' | 'ể' | 'ễ' | 'ệ' | 'ë' => {
            'e'
        }
        'ì' | 'í' | 'ỉ' | 'ĩ' | 'ị' | 'î' | 'ï' => 'i',
        'ò' | 'ó' | 'ỏ' | 'õ' | 'ọ' | 'ô' | 'ồ' | 'ố' | 'ổ' | 'ỗ' | 'ộ' | 'ơ' | 'ờ' | 'ớ' | 'ở'
        | 'ỡ' | 'ợ' | 'ö' => 'o',
        'ù' | 'ú' | 'ủ' | 'ũ' | 'ụ' | 'ư' | 'ừ' | 'ứ' | 'ử' | 'ữ' | 'ự' | 'û' | 'ü' => {
            'u'
        }
        'ỳ' | 'ý' | 'ỷ' | 'ỹ' | 'ỵ' | 'ÿ' => 'y',
        // đ, and the look-alike ð (U+00F0) that some keyboards produce for Đ.
        'đ' | 'ð' => 'd',
        'ç' => 'c',
        'ñ' => 'n',
        _ => return None,
    })
}

/// The lowercase of a letter of the scripts names here are written in:
/// Latin (every Vietnamese letter among them), Greek and Cyrillic; any other
/// character as it is. std's `char::to_lowercase` covers every script, with
/// tables the field app would download for letters no name here uses.
pub fn lowercase(c: char) -> char {
    let u = c as u32;
    let lower = match u {
        0x41..=0x5A => u + 0x20,
        0x130 => 0x69, // İ: i (std adds a combining dot, which fold drops)
        0xC0..=0xDE if u != 0xD7 => u + 0x20,
        0x100..=0x137 | 0x14A..=0x177 | 0x1E00..=0x1E95 | 0x1EA0..=0x1EFF
            if u.is_multiple_of(2) =>
        {
            u + 1
        }
        0x139..=0x148 | 0x179..=0x17E if !u.is_multiple_of(2) => u + 1,
        0x178 => 0xFF,          // Ÿ
        0x1A0 | 0x1AF => u + 1, // Ơ, Ư
        0x1E9E => 0xDF,         // ẞ
        0x386 => 0x3AC,
        0x388..=0x38A => u + 37,
        0x38C => 0x3CC,
        0x38E..=0x38F => u + 63,
        0x391..=0x3AB if u != 0x3A2 => u + 0x20,
        0x400..=0x40F => u + 0x50,
        0x410..=0x42F => u + 0x20,
        _ => u,
    };
    char::from_u32(lower).unwrap_or(c)
}

/// `s` with every letter [`lowercase`] knows in lowercase.
pub fn to_lowercase(s: &str) -> String {
    s.chars().map(lowercase).collect()
}

/// Fold text for searching: lowercase, Vietnamese tone marks stripped,
/// ă â ê ô ơ ư đ → a a e o o u d (precomposed NFC or decomposed NFD input),
/// runs of whitespace collapsed to one ASCII space, trimmed.
/// Idempotent; total (never panics). Punctuation is kept.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    let push = |out: &mut String, c: char, pending: &mut bool| {
        if *pending {
            out.push(' ');
            *pending = false;
        }
        out.push(c);
    };
    for c in s.chars() {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if c.is_ascii() {
            push(&mut out, c.to_ascii_lowercase(), &mut pending_space);
        } else if is_combining(c) {
            continue;
        } else if let Some(b) = base_letter(c) {
            push(&mut out, b, &mut pending_space);
        } else {
            let l = lowercase(c);
            if !l.is_whitespace() {
                push(&mut out, base_letter(l).unwrap_or(l), &mut pending_space);
            }
        }
    }
    out
}

/// What searching an organisation matches: its name and registration code,
/// folded: the console's visit list and the registry match it alike.
pub fn organisation_key(name: &str, registration_code: Option<&str>) -> String {
    fold(&format!("{name} {}", registration_code.unwrap_or("")))
}

/// Folded words of `s`, split on anything that is not a letter or digit,
/// joined by single spaces ("HTX NN-DV Tân Hiệp" → "htx nn dv tan hiep").
fn folded_words(s: &str) -> String {
    let f = fold(s);
    let mut out = String::with_capacity(f.len());
    for w in f
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// Registration code folded and stripped of separators ("0101-234 567" → "0101234567").
fn compact_code(s: &str) -> String {
    fold(s).chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Abbreviation ↔ long form, as folded word sequences.
const ABBREVIATIONS: &[(&str, &[&str])] = &[
    ("lhhtx", &["lien", "hiep", "hop", "tac", "xa"]),
    ("htx", &["hop", "tac", "xa"]),
    ("tht", &["to", "hop", "tac"]),
    ("qtdnd", &["quy", "tin", "dung", "nhan", "dan"]),
];

/// The name with abbreviations swapped both ways; `None` if nothing changes.
fn abbreviation_variant(words: &str) -> Option<String> {
    let ws: Vec<&str> = words.split(' ').filter(|w| !w.is_empty()).collect();
    let mut out: Vec<&str> = Vec::with_capacity(ws.len() + 4);
    let mut i = 0;
    let mut changed = false;
    'outer: while i < ws.len() {
        for (short, long) in ABBREVIATIONS {
            if ws[i..].starts_with(long) {
                out.push(short);
                i += long.len();
                changed = true;
                continue 'outer;
            }
        }
        for (short, long) in ABBREVIATIONS {
            if ws[i] == *short {
                out.extend_from_slice(long);
                i += 1;
                changed = true;
                continue 'outer;
            }
        }
        out.push(ws[i]);
        i += 1;
    }
    changed.then(|| out.join(" "))
}

/// Filters for the organisation list. `None` means "any".
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct OrgFilter {
    /// Commune code (xã/phường/đặc khu) of the hierarchy from 1 July 2025.
    #[serde(default)]
    pub place_new: Option<String>,
    /// Commune code of the hierarchy valid until 30 June 2025.
    #[serde(default)]
    pub place_old: Option<String>,
    #[serde(default)]
    pub kind: Option<OrganisationKind>,
    #[serde(default)]
    pub sector: Option<Sector>,
    /// Legal status ([`Organisation::legal_status`]).
    #[serde(default)]
    pub status: Option<LegalStatus>,
}

impl OrgFilter {
    /// No criterion set.
    pub fn is_empty(&self) -> bool {
        *self == OrgFilter::default()
    }
    pub fn matches(&self, o: &Organisation) -> bool {
        self.matches_parts(
            o.place_new.as_deref(),
            o.place_old.as_deref(),
            o.kind,
            o.sector,
            o.legal_status,
        )
    }
    fn matches_parts(
        &self,
        place_new: Option<&str>,
        place_old: Option<&str>,
        kind: OrganisationKind,
        sector: Sector,
        status: LegalStatus,
    ) -> bool {
        self.place_new
            .as_deref()
            .is_none_or(|p| place_new == Some(p))
            && self
                .place_old
                .as_deref()
                .is_none_or(|p| place_old == Some(p))
            && self.kind.is_none_or(|k| k == kind)
            && self.sector.is_none_or(|s| s == sector)
            && self.status.is_none_or(|s| s == status)
    }
}

#[derive(Clone, Debug, PartialEq)]
struct Entry {
    id: Uuid,
    /// Folded name words joined by single spaces.
    words: String,
    /// Same with abbreviations swapped, if any.
    alt_words: Option<String>,
    /// Folded registration code without separators ("" if none).
    code: String,
    place_new: Option<String>,
    place_old: Option<String>,
    kind: OrganisationKind,
    sector: Sector,
    status: LegalStatus,
}

/// Every token is a prefix of some word (tokens may share a word).
fn all_tokens_match(words: &str, tokens: &[&str]) -> bool {
    tokens
        .iter()
        .all(|t| words.split(' ').any(|w| w.starts_with(t)))
}

/// The tokens match the starts of words in query order (a subsequence;
/// greedy earliest matching is optimal for this).
fn tokens_in_order(words: &str, tokens: &[&str]) -> bool {
    let mut k = 0;
    for w in words.split(' ') {
        if k == tokens.len() {
            break;
        }
        if w.starts_with(tokens[k]) {
            k += 1;
        }
    }
    k == tokens.len()
}

/// Precomputed search data for a set of organisations. Build once when the
/// reference data changes; query on every keystroke.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SearchIndex {
    /// Sorted by folded name, then original name, then id (the tie order).
    entries: Vec<Entry>,
}

impl SearchIndex {
    pub fn new(orgs: &[Organisation]) -> SearchIndex {
        let mut keyed: Vec<(String, &Organisation)> =
            orgs.iter().map(|o| (folded_words(&o.name), o)).collect();
        keyed.sort_by(|(a, oa), (b, ob)| {
            a.cmp(b)
                .then_with(|| oa.name.cmp(&ob.name))
                .then_with(|| oa.id.cmp(&ob.id))
        });
        let entries = keyed
            .into_iter()
            .map(|(words, o)| Entry {
                id: o.id,
                alt_words: abbreviation_variant(&words),
                words,
                code: o
                    .registration_code
                    .as_deref()
                    .map(compact_code)
                    .unwrap_or_default(),
                place_new: o.place_new.clone(),
                place_old: o.place_old.clone(),
                kind: o.kind,
                sector: o.sector,
                status: o.legal_status,
            })
            .collect();
        SearchIndex { entries }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Ids of the organisations matching `q` and `filter`, best first, at
    /// most `limit`. An empty query lists everything the filter admits, by name.
    pub fn query(&self, q: &str, filter: &OrgFilter, limit: usize) -> Vec<Uuid> {
        if limit == 0 {
            return Vec::new();
        }
        let qwords = folded_words(q);
        let tokens: Vec<&str> = qwords.split(' ').filter(|t| !t.is_empty()).collect();
        let qcode = compact_code(q);
        let try_code = qcode.bytes().any(|b| b.is_ascii_digit());

        // (tier, position in name order): positions are unique, so sorting
        // the pairs gives tier first, then name.
        let mut hits: Vec<(u8, u32)> = Vec::new();
        let mut exact = 0usize;
        for (pos, e) in self.entries.iter().enumerate() {
            if !filter.matches_parts(
                e.place_new.as_deref(),
                e.place_old.as_deref(),
                e.kind,
                e.sector,
                e.status,
            ) {
                continue;
            }
            let tier = if tokens.is_empty() {
                Some(2)
            } else {
                Self::tier(e, &qwords, &tokens, try_code.then_some(qcode.as_str()))
            };
            if let Some(t) = tier {
                hits.push((t, pos as u32));
                // Tier-0 hits come in name order and beat everything else:
                // once there are `limit` of them the answer is fixed.
                if t == 0 {
                    exact += 1;
                    if exact >= limit {
                        break;
                    }
                }
            }
        }
        hits.sort_unstable();
        hits.into_iter()
            .take(limit)
            .map(|(_, pos)| self.entries[pos as usize].id)
            .collect()
    }

    fn tier(e: &Entry, qwords: &str, tokens: &[&str], qcode: Option<&str>) -> Option<u8> {
        let code_exact = qcode.is_some_and(|c| !e.code.is_empty() && e.code == c);
        if e.words == qwords || e.alt_words.as_deref() == Some(qwords) || code_exact {
            return Some(0);
        }
        let variants = std::iter::once(e.words.as_str()).chain(e.alt_words.as_deref());
        let mut any = false;
        for v in variants {
            if tokens_in_order(v, tokens) {
                return Some(1);
            }
            any = any || all_tokens_match(v, tokens);
        }
        if any || qcode.is_some_and(|c| e.code.contains(c)) {
            return Some(2);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn org(n: u128, name: &str, code: Option<&str>) -> Organisation {
        let mut o = Organisation::new(
            Uuid::from_u128(n),
            OrganisationKind::Cooperative,
            name,
            Sector::Crops,
        );
        o.registration_code = code.map(str::to_string);
        o
    }

    fn sample() -> Vec<Organisation> {
        let mut v = vec![
            org(1, "Hợp tác xã Tân Hiệp", Some("1700123456")),
            org(2, "HTX Nông nghiệp Tân Hội", Some("1700654321-001")),
            org(3, "Tổ hợp tác Hiệp Thành", None),
            org(4, "HTX Dịch vụ Đồng Tâm", Some("1700999888")),
            org(5, "Quỹ tín dụng nhân dân Rạch Giá", Some("1700111222")),
            org(6, "HTX Tân Hiệp A", Some("1700123999")),
            org(7, "Hợp tác xã Đông Hòa", Some("1700222333")),
        ];
        v[2].kind = OrganisationKind::CooperativeGroup;
        v[3].sector = Sector::TradeServices;
        v[4].kind = OrganisationKind::PeoplesCreditFund;
        v[4].sector = Sector::Credit;
        v[6].legal_status = LegalStatus::Halted;
        v[0].place_new = Some("31000".into());
        v[1].place_new = Some("31000".into());
        v[0].place_old = Some("30733".into());
        v
    }

    fn q(idx: &SearchIndex, s: &str) -> Vec<u128> {
        idx.query(s, &OrgFilter::default(), 50)
            .into_iter()
            .map(|u| u.as_u128())
            .collect()
    }

    #[test]
    fn fold_basics() {
        assert_eq!(fold("Hợp tác xã Tân Hiệp"), "hop tac xa tan hiep");
        assert_eq!(fold("  ĐỒNG   Tâm\t\n Ấp "), "dong tam ap");
        assert_eq!(fold("Đđ ĂăÂâ ÊêÔôƠơƯư"), "dd aaaa eeoooouu");
        assert_eq!(fold("Quỹ tín dụng ỹ Ỵ"), "quy tin dung y y");
        // NFD: a + breve + acute, e + circumflex + dot below, u + horn + hook.
        assert_eq!(
            fold("Ta\u{0306}\u{0301}ng Hie\u{0302}\u{0323}p"),
            "tang hiep"
        );
        assert_eq!(fold("U\u{031B}\u{0309}"), "u");
        assert_eq!(fold("Tân Hiệp"), fold("Ta\u{0302}n Hie\u{0323}\u{0302}p"));
        assert_eq!(fold(""), "");
        assert_eq!(fold(" \u{0301} "), "");
        assert_eq!(fold("HTX NN-DV (Kiên Giang)"), "htx nn-dv (kien giang)");
    }

    #[test]
    fn abbreviation_variants() {
        assert_eq!(
            abbreviation_variant("hop tac xa tan hiep").as_deref(),
            Some("htx tan hiep")
        );
        assert_eq!(
            abbreviation_variant("htx tan hiep").as_deref(),
            Some("hop tac xa tan hiep")
        );
        assert_eq!(
            abbreviation_variant("lien hiep hop tac xa a").as_deref(),
            Some("lhhtx a")
        );
        assert_eq!(abbreviation_variant("dong tam"), None);
    }

    #[test]
    fn finds_by_folded_name_and_abbreviation() {
        let idx = SearchIndex::new(&sample());
        assert_eq!(idx.len(), 7);
        assert_eq!(q(&idx, "hop tac xa tan hiep")[0], 1);
        assert!(q(&idx, "hop tac xa tan hiep").contains(&6));
        assert_eq!(q(&idx, "Hợp tác xã Tân Hiệp")[0], 1);
        let htx_tan = q(&idx, "HTX Tân");
        assert!(htx_tan.contains(&1) && htx_tan.contains(&2) && htx_tan.contains(&6));
        assert!(!htx_tan.contains(&4));
        let tan_hiep = q(&idx, "tan hiep");
        assert_eq!(&tan_hiep[..2], &[1, 6]);
        assert!(!tan_hiep.contains(&2));
        // Prefixes of words, any case, NFD query.
        assert_eq!(q(&idx, "TÂN HIỆ"), vec![1, 6]);
        assert_eq!(q(&idx, "ta\u{0302}n hie\u{0323}\u{0302}p"), vec![1, 6]);
        // đ/Đ fold to d, whichever side carries the mark.
        assert_eq!(q(&idx, "dong tam"), vec![4]);
        assert_eq!(q(&idx, "ĐỒNG TÂM"), vec![4]);
        assert_eq!(q(&idx, "đông"), vec![7, 4]);
        assert_eq!(q(&idx, "qtdnd rach"), vec![5]);
        assert!(q(&idx, "hiep xyz").is_empty());
        // Tokens must match word starts, not middles.
        assert!(q(&idx, "iep").is_empty());
    }

    #[test]
    fn finds_by_registration_code_fragment() {
        let idx = SearchIndex::new(&sample());
        assert_eq!(q(&idx, "1700123"), vec![1, 6]);
        assert_eq!(q(&idx, "654321-001"), vec![2]);
        assert_eq!(q(&idx, "654321001"), vec![2]);
        assert_eq!(q(&idx, "999"), vec![4, 6]);
        // A whole code ranks first.
        assert_eq!(q(&idx, "1700123999"), vec![6]);
        assert!(q(&idx, "42424242").is_empty());
    }

    #[test]
    fn ranking_exact_then_in_order_then_others() {
        let orgs = vec![
            org(1, "Hiệp Tân", None),
            org(2, "Tân Hiệp Phát", None),
            org(3, "Tân Hiệp", None),
            org(4, "An Tân Hiệp", None),
            org(5, "Hiệp Hòa Tân", None),
        ];
        let idx = SearchIndex::new(&orgs);
        // exact (3), then in order by name (4 "an tan hiep", 2 "tan hiep phat"),
        // then out of order by name (1 "hiep tan", 5 "hiep hoa tan").
        assert_eq!(q(&idx, "tân hiệp"), vec![3, 4, 2, 5, 1]);
        assert_eq!(idx.query("tan hiep", &OrgFilter::default(), 2).len(), 2);
        assert!(idx.query("tan", &OrgFilter::default(), 0).is_empty());
    }

    #[test]
    fn filters_and_empty_query() {
        let idx = SearchIndex::new(&sample());
        let all = q(&idx, "");
        assert_eq!(all.len(), 7);
        // Name order of folded names: "hop tac xa dong hoa" < "hop tac xa tan hiep" < "htx ...".
        assert_eq!(&all[..2], &[7, 1]);
        let f = OrgFilter {
            place_new: Some("31000".into()),
            ..Default::default()
        };
        let ids = |s: &str, f: &OrgFilter| -> Vec<u128> {
            idx.query(s, f, 50)
                .into_iter()
                .map(|u| u.as_u128())
                .collect()
        };
        assert_eq!(ids("tan", &f), vec![1, 2]);
        let f = OrgFilter {
            place_old: Some("30733".into()),
            ..Default::default()
        };
        assert_eq!(ids("", &f), vec![1]);
        let f = OrgFilter {
            kind: Some(OrganisationKind::CooperativeGroup),
            ..Default::default()
        };
        assert_eq!(ids("hiep", &f), vec![3]);
        let f = OrgFilter {
            sector: Some(Sector::Credit),
            ..Default::default()
        };
        assert_eq!(ids("", &f), vec![5]);
        let f = OrgFilter {
            status: Some(LegalStatus::Halted),
            ..Default::default()
        };
        assert_eq!(ids("hop tac xa", &f), vec![7]);
        assert!(OrgFilter::default().is_empty() && !f.is_empty());
        assert!(f.matches(&sample()[6]) && !f.matches(&sample()[0]));
    }

    #[test]
    fn five_thousand_organisations_are_fast_enough() {
        let communes = ["Tân Hiệp", "Hòn Đất", "Giồng Riềng", "Gò Quao", "An Biên"];
        let words = ["Nông nghiệp", "Dịch vụ", "Thủy sản", "Đồng Tâm", "Phát Đạt"];
        let orgs: Vec<Organisation> = (0..5000u128)
            .map(|i| {
                org(
                    i,
                    &format!(
                        "Hợp tác xã {} {} {}",
                        words[(i % 5) as usize],
                        communes[(i / 5 % 5) as usize],
                        i
                    ),
                    Some(&format!("17{:08}", i)),
                )
            })
            .collect();
        let idx = SearchIndex::new(&orgs);
        let start = std::time::Instant::now();
        let mut n = 0;
        for s in [
            "h",
            "ho",
            "hop tac",
            "htx nong",
            "dong tam gio",
            "tan hiep 42",
            "1700004",
        ] {
            n += idx.query(s, &OrgFilter::default(), 50).len();
        }
        assert!(n > 0);
        // Generous bound (debug build, shared machine); wasm release is far faster.
        assert!(start.elapsed().as_millis() < 2_000, "{:?}", start.elapsed());
    }

    fn vietnamese_letters() -> Vec<char> {
        "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"
            .chars()
            .flat_map(|c| [c].into_iter().chain(c.to_uppercase()))
            .collect()
    }

    /// Wherever [`lowercase`] claims a script, it agrees with std's
    /// Unicode lowercase (İ aside: std adds a combining dot fold drops).
    #[test]
    fn lowercase_agrees_with_unicode_for_latin_greek_and_cyrillic() {
        let claimed = (0u32..=0x24F)
            .chain(0x370..=0x3FF)
            .chain(0x400..=0x45F)
            .chain(0x1E00..=0x1EFF);
        let mut changed = 0;
        for c in claimed.filter_map(char::from_u32) {
            let std: Vec<char> = c.to_lowercase().collect();
            match (c, std.as_slice()) {
                ('İ', _) => assert_eq!(lowercase(c), 'i'),
                (_, [l]) if (0x180..=0x24F).contains(&(c as u32)) && !"ƠƯ".contains(c) => {
                    // Latin Extended-B: only Ơ and Ư are claimed.
                    assert!(lowercase(c) == c || lowercase(c) == *l, "{c:?}");
                }
                (_, [l])
                    if !(0x386..=0x3AF).contains(&(c as u32))
                        && (0x370..=0x3FF).contains(&(c as u32)) =>
                {
                    // Greek beyond the modern capitals: not claimed.
                    assert!(lowercase(c) == c || lowercase(c) == *l, "{c:?}");
                }
                (_, [l]) => {
                    assert_eq!(lowercase(c), *l, "{c:?} U+{:04X}", c as u32);
                    changed += usize::from(*l != c);
                }
                _ => panic!("{c:?} lowercases to several characters"),
            }
        }
        assert!(changed > 300, "{changed}");
        assert_eq!(to_lowercase("Tổng Số ĐƯỢC ÁP DỤNG"), "tổng số được áp dụng");
        assert_eq!(
            fold("ỨNG DỤNG Ư Ơ Đ ΑΘΗΝΑ МОСКВА"),
            "ung dung u o d αθηνα москва"
        );
    }

    proptest! {
        #[test]
        fn fold_is_idempotent_and_total(s in "\\PC{0,40}|.{0,20}|[\\u{300}-\\u{36f} aA\\u{1ea0}-\\u{1ef9}]{0,20}") {
            let f = fold(&s);
            prop_assert_eq!(fold(&f), f.clone());
            prop_assert!(!f.starts_with(' ') && !f.ends_with(' ') && !f.contains("  "));
        }

        #[test]
        fn fold_of_vietnamese_letters_is_ascii(
            idx in prop::collection::vec((0usize..1000, any::<bool>(), any::<bool>()), 0..30)
        ) {
            let letters = vietnamese_letters();
            let mut s = String::new();
            for (i, space, nfd) in idx {
                let c = letters[i % letters.len()];
                if space { s.push(' '); }
                // A crude NFD: the base letter followed by marks.
                if nfd && !c.is_ascii() {
                    s.push('e');
                    s.push('\u{0302}');
                    s.push('\u{0301}');
                } else {
                    s.push(c);
                }
            }
            let f = fold(&s);
            prop_assert!(f.is_ascii(), "{} -> {}", s, f);
            prop_assert_eq!(fold(&s.to_uppercase()), f);
        }
    }
}
