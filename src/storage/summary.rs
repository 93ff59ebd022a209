//! What the home page shows about the device: read in one go.
use super::{DeviceStore, Result};
use htx_core::Visit;

#[derive(Clone, Debug, PartialEq)]
pub struct DeviceSummary {
    pub schema_version: u32,
    pub visits: Vec<Visit>,
}

pub async fn load_summary() -> Result<DeviceSummary> {
    let store = DeviceStore::open().await?;
    let visits = store.list_visits().await;
    let schema_version = store.version();
    store.close();
    Ok(DeviceSummary { schema_version, visits: visits? })
}

/// Saves one visit; opens and closes the database around it.
pub async fn save_visit(visit: &Visit) -> Result<()> {
    let store = DeviceStore::open().await?;
    let result = store.put_visit(visit).await;
    store.close();
    result
}
