//! Records cross into IndexedDB as JSON: serde_json (which the app carries
//! for the network anyway) writes the text and the browser's `JSON.parse`
//! makes the object IndexedDB stores and indexes. Reading is the reverse.
//! Every stored type then has one serde instance (serde_json's) in the wasm
//! instead of a second one per type for serde-wasm-bindgen, and the records
//! stay plain objects, so the schema and its indexes do not change.
use super::{Result, StorageError};
use indexed_db_futures::object_store::ObjectStore;
use indexed_db_futures::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::JsValue;

/// `value` as the object IndexedDB stores.
pub(crate) fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue> {
    let text = serde_json::to_string(value).map_err(StorageError::decode)?;
    js_sys::JSON::parse(&text).map_err(|_| StorageError::decode("JSON.parse"))
}

/// A stored object read back into `T`.
pub(crate) fn from_js<T: DeserializeOwned>(raw: &JsValue) -> Result<T> {
    let text: String = js_sys::JSON::stringify(raw)
        .map_err(|_| StorageError::decode("JSON.stringify"))?
        .into();
    serde_json::from_str(&text).map_err(StorageError::decode)
}

/// Only the properties named in `fields`, at every depth, of a stored
/// object (or array of them), read into `T`: the few fields a decision
/// needs, without copying the rest (an outbox entry carries its visit).
pub(crate) fn from_js_fields<T: DeserializeOwned>(raw: &JsValue, fields: &[&str]) -> Result<T> {
    let names: js_sys::Array = fields.iter().map(|f| JsValue::from_str(f)).collect();
    let text: String = js_sys::JSON::stringify_with_replacer(raw, &names)
        .map_err(|_| StorageError::decode("JSON.stringify"))?
        .into();
    serde_json::from_str(&text).map_err(StorageError::decode)
}

/// Property `name` of a stored object, read without decoding the object
/// (undefined if absent).
pub(crate) fn field(record: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(record, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// Sets property `name` of a stored object in place (the rest of it is
/// neither decoded nor rewritten).
pub(crate) fn set_field(record: &JsValue, name: &str, value: &JsValue) -> Result<()> {
    js_sys::Reflect::set(record, &JsValue::from_str(name), value)
        .map(|_| ())
        .map_err(|_| StorageError::decode(name))
}

/// The record of `key` in `store`, if there is one.
pub(crate) async fn get_as<T: DeserializeOwned>(
    store: &ObjectStore<'_>,
    key: &str,
) -> Result<Option<T>> {
    let raw: Option<JsValue> = store.get(key).primitive()?.await?;
    raw.map(|r| from_js(&r)).transpose()
}

/// Stores `value` under `key` in a store with out-of-line keys (`meta`).
pub(crate) fn put_keyed<T: Serialize + ?Sized>(
    store: &ObjectStore<'_>,
    key: &str,
    value: &T,
) -> Result<()> {
    store
        .put(to_js(value)?)
        .with_key(key)
        .without_key_type()
        .primitive()?;
    Ok(())
}

/// Every record of a `getAll`, read with one `JSON.stringify` of the whole
/// array (one crossing of the JS boundary, not one per record).
pub(crate) fn from_js_all<T: DeserializeOwned>(
    raw: impl IntoIterator<Item = std::result::Result<JsValue, indexed_db_futures::error::Error>>,
) -> Result<Vec<T>> {
    let array = js_sys::Array::new();
    for v in raw {
        array.push(&v?);
    }
    from_js(&array)
}
