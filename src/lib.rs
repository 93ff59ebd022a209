//! htx-survey browser app (Leptos CSR, compiled to wasm32 by Trunk).
//!
//! Thin glue around `htx-core`: the domain rules live there and are tested
//! natively; this crate only renders, stores on the device and talks to the
//! server.
//!
//! Modules: [`app`] (the two bundles' shells), [`pages`] (the field app's
//! pages), [`console`] (the staff console's pages), [`components`] (shared
//! views), [`storage`] (IndexedDB), [`sync`] (the outbox's sync loop),
//! [`api`] (requests to the server), [`session`] (who is signed in), [`net`]
//! (connection state), [`data`] (reference data in memory), [`photo`],
//! [`download`], [`locale`], [`timing`] (bench marks).
#![allow(clippy::module_inception)]

include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));

pub mod api;
pub mod app;
pub mod components;
pub mod console;
pub mod data;
pub mod download;
pub mod locale;
pub mod net;
pub mod pages;
pub mod photo;
pub mod session;
pub mod storage;
pub mod sync;
pub mod timing;

/// Entry point of the field app (bin `htx-survey`, `src/main.rs`).
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::FieldApp);
}

/// Entry point of the staff console (bin `htx-console`, `src/bin/htx-console.rs`).
pub fn start_console() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(console::ConsoleApp);
}
