//! Command-line / environment configuration. Every flag can also be given as
//! an `HTX_*` environment variable; the flag wins over the variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Parser};

#[derive(Debug, Clone, Parser)]
#[command(
    name = "htx-server",
    version,
    about = "htx-survey server: the built app and its JSON API"
)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "HTX_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// SQLite database file (created with its parent directory if missing),
    /// relative to the working directory.
    #[arg(long, env = "HTX_DATABASE", default_value = "data/htx-survey.sqlite3")]
    pub database: PathBuf,

    /// Directory of the built app (Trunk's dist/).
    #[arg(long, env = "HTX_STATIC_DIR", default_value = "dist")]
    pub static_dir: PathBuf,

    /// Seed the synthetic demo dataset if it is not there yet
    /// (HTX_DEMO=1/true/yes/on).
    #[arg(long, env = "HTX_DEMO", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub demo: bool,

    /// Lifetime of a sign-in token, in seconds (default 14 days: a device
    /// may stay offline for days; it signs in again before its next push).
    #[arg(long, env = "HTX_TOKEN_TTL_SECS", default_value_t = 14 * 24 * 3600)]
    pub token_ttl_secs: u64,

    /// Memory cost of the argon2id password hash, in KiB (OWASP minimum
    /// 19456). Lower only for tests.
    #[arg(long, env = "HTX_ARGON2_MEMORY_KIB", default_value_t = 19456)]
    pub argon2_memory_kib: u32,
}

impl Config {
    /// A configuration with the defaults above, for tests and embedding.
    pub fn with_defaults() -> Self {
        Self::parse_from(["htx-server"])
    }
}
