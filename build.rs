//! Generates the `i18n` module from locales/*.json (leptos_i18n), so every
//! translation key is checked at compile time and nothing is fetched at run time.
use leptos_i18n_build::{Config, TranslationsInfos};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=Cargo.toml");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR not set")?).join("i18n");
    // Vietnamese is the officers' language; English is the second.
    let cfg = Config::new("vi")?.add_locale("en")?;
    let infos = TranslationsInfos::parse(cfg)?;
    infos.emit_diagnostics();
    infos.rerun_if_locales_changed();
    infos.generate_i18n_module(out)?;
    Ok(())
}
