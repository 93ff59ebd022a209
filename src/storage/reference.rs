//! Reference data downloaded in the office (organisations, places, rubrics)
//! and small device facts in `meta`.
use super::json::{get_as, put_keyed, to_js};
use super::schema::stores;
use super::{DeviceStore, Result};
use htx_core::device::VisitSummary;
use htx_core::sync::{Cursor, PullResponse};
use htx_core::{Organisation, Place, Rubric};
use indexed_db_futures::prelude::*;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;

pub mod keys {
    pub const PLACES: &str = "places";
    pub const RUBRICS: &str = "rubrics";
    pub const PULL_CURSOR: &str = "pull_cursor";
    /// The account whose pull the cursor continues (review outcomes and
    /// returned visits are an officer's own; another account starts at 0).
    pub const PULL_ACCOUNT: &str = "pull_account";
    pub const PULLED_AT: &str = "pulled_at";
}

/// Everything the field app needs to work offline, read in one go.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reference {
    pub organisations: Vec<Organisation>,
    pub places: Vec<Place>,
    pub rubrics: Vec<Rubric>,
    pub pulled_at: Option<String>,
}

impl DeviceStore {
    /// Stores one page of a pull: organisations, review outcomes of the
    /// officer's visits, and the places and rubrics
    /// when the server sent them (first page of a full pull), then the cursor,
    /// all in one transaction so a cut download resumes from a true cursor.
    /// An empty page at the stored cursor writes nothing (`pulled_at` is the
    /// last pull that brought something).
    ///
    /// Returned visits it brings belong to `account`, the puller.
    pub async fn apply_pull(
        &self,
        pull: &PullResponse,
        account: &str,
        pulled_at: &str,
    ) -> Result<()> {
        // Nothing changed (the usual answer between syncs): no write at all.
        let empty = pull.organisations.is_empty()
            && pull.places.is_empty()
            && pull.rubrics.is_empty()
            && pull.reviews.is_empty()
            && pull.returned_visits.is_empty();
        if empty && self.pull_cursor(account).await?.as_ref() == Some(&pull.cursor) {
            return Ok(());
        }
        let tx = self.tx(
            &[
                stores::ORGANISATIONS,
                stores::META,
                stores::VISIT_SUMMARIES,
                stores::VISITS,
                stores::OUTBOX,
            ],
            true,
        )?;
        let orgs = tx.object_store(stores::ORGANISATIONS)?;
        for o in &pull.organisations {
            orgs.put(to_js(o)?).primitive()?;
        }
        let summaries = tx.object_store(stores::VISIT_SUMMARIES)?;
        // Returned visits this device does not hold (a new phone): kept, so
        // the officer can fix them; a visit already here is never replaced.
        let visits = tx.object_store(stores::VISITS)?;
        let now_ms = js_sys::Date::now() as i64;
        for v in &pull.returned_visits {
            let id = v.id.to_string();
            let held: Option<JsValue> = summaries.get(id.as_str()).primitive()?.await?;
            if held.is_some() {
                continue;
            }
            let org: Option<Organisation> = get_as(&orgs, &v.organisation_id.to_string()).await?;
            visits.put(to_js(v)?).primitive()?;
            summaries
                .put(to_js(&VisitSummary::received(
                    v,
                    org.as_ref(),
                    account,
                    now_ms,
                ))?)
                .primitive()?;
        }
        super::outbox::apply_reviews(&summaries, &tx.object_store(stores::OUTBOX)?, &pull.reviews)
            .await?;
        let meta = tx.object_store(stores::META)?;
        if !pull.places.is_empty() {
            put_keyed(&meta, keys::PLACES, &pull.places)?;
        }
        if !pull.rubrics.is_empty() {
            put_keyed(&meta, keys::RUBRICS, &pull.rubrics)?;
        }
        put_keyed(&meta, keys::PULL_CURSOR, &pull.cursor)?;
        put_keyed(&meta, keys::PULL_ACCOUNT, account)?;
        put_keyed(&meta, keys::PULLED_AT, pulled_at)?;
        Ok(tx.commit().await?)
    }

    /// Where `account`'s next pull starts: the stored cursor if the last
    /// pull was theirs (or, before accounts were recorded, anyone's: the
    /// device then had one officer), else from the start.
    pub async fn pull_cursor(&self, account: &str) -> Result<Option<Cursor>> {
        // Both read at once, in one transaction: this is most of what a
        // sync with nothing new does on the device.
        let tx = self.tx(&[stores::META], false)?;
        let meta = tx.object_store(stores::META)?;
        let (whose, cursor) = futures::join!(
            get_as::<String>(&meta, keys::PULL_ACCOUNT),
            get_as::<Cursor>(&meta, keys::PULL_CURSOR)
        );
        match whose? {
            Some(a) if a != account => Ok(None),
            _ => cursor,
        }
    }

    /// An organisation recorded in the field (provisional) or any single one.
    pub async fn put_organisation(&self, o: &Organisation) -> Result<()> {
        self.put_one(stores::ORGANISATIONS, o).await
    }

    pub async fn reference(&self) -> Result<Reference> {
        Ok(Reference {
            organisations: self.get_every(stores::ORGANISATIONS).await?,
            places: self.meta(keys::PLACES).await?.unwrap_or_default(),
            rubrics: self.meta(keys::RUBRICS).await?.unwrap_or_default(),
            pulled_at: self.meta(keys::PULLED_AT).await?,
        })
    }

    /// Organisations on the device, counted without reading them.
    pub async fn count_organisations(&self) -> Result<u32> {
        self.count_of(stores::ORGANISATIONS).await
    }

    pub async fn meta<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        self.get_one(stores::META, key).await
    }
}
