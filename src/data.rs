//! The reference data the field app works from, read from IndexedDB once and
//! kept in memory with its search index (5,000 organisations search in well
//! under a frame; reading them from IndexedDB on every keystroke would not).
use crate::storage::{DeviceStore, Result};
use htx_core::search::SearchIndex;
use htx_core::{Organisation, Place, Rubric, RubricRegistry};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use uuid::Uuid;

pub struct RefData {
    pub organisations: Vec<Organisation>,
    by_id: HashMap<Uuid, usize>,
    pub index: SearchIndex,
    pub rubrics: RubricRegistry,
    pub places: Vec<Place>,
    pub pulled_at: Option<String>,
}

impl RefData {
    pub fn organisation(&self, id: Uuid) -> Option<&Organisation> {
        self.by_id.get(&id).map(|&i| &self.organisations[i])
    }

    /// The rubric for scoring `o` on a visit started on `on`.
    pub fn rubric_for(&self, o: &Organisation, on: chrono::NaiveDate) -> Option<&Rubric> {
        self.rubrics.select(o.kind, o.sector, on)
    }

    pub fn place_name(&self, code: &str) -> Option<&str> {
        self.places
            .iter()
            .find(|p| p.code == code)
            .map(|p| p.name.as_str())
    }
}

thread_local! {
    static CACHE: RefCell<Option<Rc<RefData>>> = const { RefCell::new(None) };
}

/// The cached reference data, loading it on first use.
pub async fn ref_data() -> Result<Rc<RefData>> {
    if let Some(d) = CACHE.with(|c| c.borrow().clone()) {
        return Ok(d);
    }
    let store = DeviceStore::shared().await?;
    let r = store.reference().await?;
    let mut rubrics = RubricRegistry::new();
    for rubric in r.rubrics {
        // A rubric that fails htx-core's checks is not used for scoring.
        let _ = rubrics.add(rubric);
    }
    let by_id = r
        .organisations
        .iter()
        .enumerate()
        .map(|(i, o)| (o.id, i))
        .collect();
    let data = Rc::new(RefData {
        index: SearchIndex::new(&r.organisations),
        organisations: r.organisations,
        by_id,
        rubrics,
        places: r.places,
        pulled_at: r.pulled_at,
    });
    CACHE.with(|c| *c.borrow_mut() = Some(data.clone()));
    Ok(data)
}

/// Forget the cache after the reference data changed (pull, new organisation).
pub fn invalidate() {
    CACHE.with(|c| *c.borrow_mut() = None);
}

/// Picks the label in the UI language.
pub fn pick<'a>(vi: &'a str, en: &'a str) -> &'a str {
    if crate::locale::is_english() {
        en
    } else {
        vi
    }
}
