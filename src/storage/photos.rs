//! The `photos` store: the image bytes behind each [`htx_core::visit::PhotoRef`],
//! kept as a browser `Blob` under its SHA-256 (the same name the server
//! gives it), with whether the server has confirmed holding it.
//!
//! Records are plain JS objects, not serde: a `Blob` has no serde form, and
//! IndexedDB stores it as a file without copying it through wasm memory.
use super::json::field;
use super::schema::stores;
use super::{DeviceStore, Result, StorageError};
use indexed_db_futures::prelude::*;
use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// One stored photo.
#[derive(Clone, Debug)]
pub struct StoredPhoto {
    pub sha256: String,
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub mime: String,
    pub blob: web_sys::Blob,
    /// The server answered 200/201 to its upload.
    pub uploaded: bool,
}

/// The SHA-256 of each photo a stored visit names, read without decoding it.
fn names_in_visit(visit: &JsValue) -> Vec<String> {
    let list = field(visit, "photos");
    if !js_sys::Array::is_array(&list) {
        return Vec::new();
    }
    js_sys::Array::from(&list)
        .iter()
        .filter_map(|p| field(&p, "sha256").as_string())
        .collect()
}

/// The same for a stored outbox entry: its `photos`, or for an entry an
/// earlier app queued, its record's (`record.visit.photos`).
pub(super) fn names_in_outbox_entry(entry: &JsValue) -> Vec<String> {
    let named = field(entry, "photos");
    if js_sys::Array::is_array(&named) {
        return js_sys::Array::from(&named)
            .iter()
            .filter_map(|p| p.as_string())
            .collect();
    }
    names_in_visit(&field(&field(entry, "record"), "visit"))
}

impl StoredPhoto {
    fn from_js(record: &JsValue) -> Result<Self> {
        let bad = |what: &str| StorageError::Decode(format!("photo record: {what}"));
        Ok(StoredPhoto {
            sha256: field(record, "sha256")
                .as_string()
                .ok_or_else(|| bad("sha256"))?,
            mime: field(record, "type").as_string().unwrap_or_default(),
            blob: field(record, "blob").dyn_into().map_err(|_| bad("blob"))?,
            uploaded: field(record, "uploaded").as_bool().unwrap_or(false),
        })
    }

    fn to_js(&self) -> JsValue {
        let o = Object::new();
        let set = |k: &str, v: &JsValue| {
            let _ = Reflect::set(&o, &JsValue::from_str(k), v);
        };
        set("sha256", &JsValue::from_str(&self.sha256));
        set("type", &JsValue::from_str(&self.mime));
        set("size", &JsValue::from_f64(self.blob.size()));
        set("blob", &self.blob);
        set("uploaded", &JsValue::from_bool(self.uploaded));
        o.into()
    }
}

impl DeviceStore {
    /// Stores a photo unless one with the same content is already there
    /// (then its upload state is kept).
    pub async fn put_photo(&self, sha256: &str, mime: &str, blob: &web_sys::Blob) -> Result<()> {
        let tx = self.tx(&[stores::PHOTOS], true)?;
        let store = tx.object_store(stores::PHOTOS)?;
        let present: Option<JsValue> = store.get(sha256).primitive()?.await?;
        if present.is_none() {
            let photo = StoredPhoto {
                sha256: sha256.into(),
                mime: mime.into(),
                blob: blob.clone(),
                uploaded: false,
            };
            store.put(photo.to_js()).primitive()?;
        }
        Ok(tx.commit().await?)
    }

    /// The photo stored under `sha256`, if this device has it.
    pub async fn photo(&self, sha256: &str) -> Result<Option<StoredPhoto>> {
        let tx = self.tx(&[stores::PHOTOS], false)?;
        let store = tx.object_store(stores::PHOTOS)?;
        let record: Option<JsValue> = store.get(sha256).primitive()?.await?;
        record.as_ref().map(StoredPhoto::from_js).transpose()
    }

    /// The photos named that this device has, in the order named (each
    /// once). One transaction, every read in flight at once: a batch of
    /// visits may name hundreds of photos (before every push, in an export).
    pub async fn photos(&self, names: &[String]) -> Result<Vec<StoredPhoto>> {
        let mut seen = std::collections::HashSet::new();
        let names: Vec<&str> = names
            .iter()
            .map(String::as_str)
            .filter(|n| seen.insert(*n))
            .collect();
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let tx = self.tx(&[stores::PHOTOS], false)?;
        let store = tx.object_store(stores::PHOTOS)?;
        let mut reads = Vec::with_capacity(names.len());
        for name in names {
            reads.push(store.get(name).primitive()?);
        }
        let found: Vec<Option<JsValue>> = futures::future::join_all(reads)
            .await
            .into_iter()
            .collect::<std::result::Result<_, _>>()?;
        found.iter().flatten().map(StoredPhoto::from_js).collect()
    }

    /// Of the photos named, those stored here and not yet on the server, in
    /// the order named (each once).
    pub async fn photos_to_upload(&self, names: &[String]) -> Result<Vec<StoredPhoto>> {
        Ok(self
            .photos(names)
            .await?
            .into_iter()
            .filter(|p| !p.uploaded)
            .collect())
    }

    /// Records that the server holds this photo.
    pub async fn mark_photo_uploaded(&self, sha256: &str) -> Result<()> {
        let tx = self.tx(&[stores::PHOTOS], true)?;
        let store = tx.object_store(stores::PHOTOS)?;
        let record: Option<JsValue> = store.get(sha256).primitive()?.await?;
        if let Some(r) = record {
            let mut p = StoredPhoto::from_js(&r)?;
            p.uploaded = true;
            store.put(p.to_js()).primitive()?;
        }
        Ok(tx.commit().await?)
    }

    /// How many photos the device holds.
    pub async fn count_photos(&self) -> Result<u32> {
        self.count_of(stores::PHOTOS).await
    }

    /// Photos on the device and their bytes, for the storage panel.
    pub async fn photo_usage(&self) -> Result<PhotoUsage> {
        let tx = self.tx(&[stores::PHOTOS], false)?;
        let store = tx.object_store(stores::PHOTOS)?;
        let all = all_of(&store).await?;
        Ok(PhotoUsage {
            count: all.len() as u32,
            bytes: all
                .iter()
                .map(|r| field(r, "size").as_f64().unwrap_or(0.0))
                .sum(),
        })
    }

    /// Deletes the photos no visit on the device names any more (removed
    /// from a draft, replaced by another picture), in one transaction with
    /// the visits it reads, so a visit saved meanwhile is seen. A photo is
    /// stored just before the visit naming it is saved: this must not run
    /// from the visit form.
    pub async fn remove_unused_photos(&self) -> Result<PhotoUsage> {
        let tx = self.tx(&[stores::VISITS, stores::OUTBOX, stores::PHOTOS], true)?;
        let visits = tx.object_store(stores::VISITS)?;
        let outbox = tx.object_store(stores::OUTBOX)?;
        let photos = tx.object_store(stores::PHOTOS)?;
        // Named by a visit as it is now, or by a revision still waiting to be
        // sent (its photos go up before it, even if a later edit dropped them).
        let mut named = std::collections::HashSet::new();
        for v in all_of(&visits).await? {
            named.extend(names_in_visit(&v));
        }
        for e in all_of(&outbox).await? {
            named.extend(names_in_outbox_entry(&e));
        }
        let mut removed = PhotoUsage::default();
        for p in all_of(&photos).await? {
            let Some(sha) = field(&p, "sha256").as_string() else {
                continue;
            };
            if !named.contains(&sha) {
                photos.delete(sha.as_str()).primitive()?;
                removed.count += 1;
                removed.bytes += field(&p, "size").as_f64().unwrap_or(0.0);
            }
        }
        tx.commit().await?;
        Ok(removed)
    }
}

/// A number of photos and their bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PhotoUsage {
    pub count: u32,
    pub bytes: f64,
}

/// Every record of `store` as stored (no decoding).
async fn all_of(store: &indexed_db_futures::object_store::ObjectStore<'_>) -> Result<Vec<JsValue>> {
    Ok(store
        .get_all()
        .primitive()?
        .await?
        .collect::<std::result::Result<_, _>>()?)
}
