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

    /// Where the data lives: a SQLite file (a path, relative to the working
    /// directory, or `sqlite://path`; created with its parent directory if
    /// missing) or a PostgreSQL database (`postgres://user:password@host/db`,
    /// which must exist; the server creates its tables).
    #[arg(long, env = "HTX_DATABASE", default_value = "data/htx-survey.sqlite3")]
    pub database: crate::db::Location,

    /// Database connections each server process keeps open (PostgreSQL:
    /// several processes share the server's max_connections). Each holds
    /// its own page cache: more than the machine's cores add memory, not
    /// speed, with one writer at a time.
    #[arg(long, env = "HTX_DATABASE_POOL_SIZE", default_value_t = 4)]
    pub database_pool_size: u32,

    /// Directory of the built app (Trunk's dist/).
    #[arg(long, env = "HTX_STATIC_DIR", default_value = "dist")]
    pub static_dir: PathBuf,

    /// Certificate chain (PEM) to serve HTTPS with, e.g. Let's Encrypt's
    /// fullchain.pem; with --tls-key. Without them the server speaks plain
    /// HTTP (behind a reverse proxy that does HTTPS, or on localhost).
    #[arg(long, env = "HTX_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The certificate's private key (PEM).
    #[arg(long, env = "HTX_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// With HTTPS: also listen on this address for plain HTTP, answering
    /// every request with a redirect to HTTPS (e.g. 0.0.0.0:80).
    #[arg(long, env = "HTX_HTTP_REDIRECT_ADDR", requires = "tls_cert")]
    pub http_redirect_addr: Option<SocketAddr>,

    /// Seed the synthetic demo dataset if it is not there yet
    /// (HTX_DEMO=1/true/yes/on).
    #[arg(long, env = "HTX_DEMO", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub demo: bool,

    /// With --demo, also seed three years of synthetic visits, reviews and
    /// photos (the demo history); `--demo-history=false` seeds only the
    /// organisations and accounts (what the tests build on).
    #[arg(long, env = "HTX_DEMO_HISTORY", default_value_t = true, action = ArgAction::Set, value_parser = BoolishValueParser::new())]
    pub demo_history: bool,

    /// Serve a database holding demo accounts (their passwords are published)
    /// on an address other than loopback. Without it the server refuses, so a
    /// demo is never reachable from the network by accident
    /// (HTX_ALLOW_DEMO_ON_NETWORK=1/true/yes/on).
    #[arg(long, env = "HTX_ALLOW_DEMO_ON_NETWORK", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub allow_demo_on_network: bool,

    /// Lifetime of a sign-in token, in seconds (default 14 days: a device
    /// may stay offline for days; it signs in again before its next push).
    #[arg(long, env = "HTX_TOKEN_TTL_SECS", default_value_t = 14 * 24 * 3600)]
    pub token_ttl_secs: u64,

    /// Memory cost of the argon2id password hash, in KiB (OWASP minimum
    /// 19456). Lower only for tests.
    #[arg(long, env = "HTX_ARGON2_MEMORY_KIB", default_value_t = 19456)]
    pub argon2_memory_kib: u32,

    /// Wrong passwords for one account within the window before sign-in is
    /// refused (429) for the rest of it, whatever the password.
    #[arg(long, env = "HTX_SIGN_IN_MAX_FAILURES", default_value_t = 5)]
    pub sign_in_max_failures: u32,

    /// Wrong passwords from one client address within the window (higher:
    /// the officers of one office share its address).
    #[arg(
        long,
        env = "HTX_SIGN_IN_MAX_FAILURES_PER_ADDRESS",
        default_value_t = 20
    )]
    pub sign_in_max_failures_per_address: u32,

    /// The sign-in throttle's window, seconds.
    #[arg(long, env = "HTX_SIGN_IN_WINDOW_SECS", default_value_t = 15 * 60)]
    pub sign_in_window_secs: u64,

    /// Address of a reverse proxy in front of this server (repeatable, or
    /// comma-separated in the variable): from it, the client address is the
    /// last entry of X-Forwarded-For; from anyone else it is the peer.
    #[arg(long, env = "HTX_TRUSTED_PROXY", value_delimiter = ',')]
    pub trusted_proxy: Vec<std::net::IpAddr>,

    /// Password hashes computed at once (each takes the argon2 memory above);
    /// 0: one per CPU core. Sign-ins beyond them wait in a short queue.
    #[arg(long, env = "HTX_PASSWORD_HASH_JOBS", default_value_t = 0)]
    pub password_hash_jobs: usize,

    /// Sign-ins that may wait for a password hash; more are answered 503
    /// with Retry-After, so a flood of sign-ins cannot take the memory.
    #[arg(long, env = "HTX_PASSWORD_HASH_QUEUE", default_value_t = 32)]
    pub password_hash_queue: usize,

    /// Let admins push visits (they may still never review a visit they
    /// pushed). Off by default: staff review what officers record
    /// (HTX_ALLOW_STAFF_PUSH=1/true/yes/on).
    #[arg(long, env = "HTX_ALLOW_STAFF_PUSH", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub allow_staff_push: bool,

    /// Photos an account may have uploaded that no stored visit names yet.
    /// A device uploads a batch's photos just before pushing it: a batch
    /// names at most 4,000 (`htx_core::outbox::MAX_BATCH_PHOTOS`).
    #[arg(long, env = "HTX_PHOTO_QUOTA_COUNT", default_value_t = 5000)]
    pub photo_quota_count: u64,

    /// Bytes (MiB) of such photos an account may hold.
    #[arg(long, env = "HTX_PHOTO_QUOTA_MIB", default_value_t = 2048)]
    pub photo_quota_mib: u64,

    /// Photos no visit names are deleted once they are this many days old
    /// (checked at start-up and daily; `htx-server gc-photos` runs it now).
    #[arg(long, env = "HTX_UNREFERENCED_PHOTO_DAYS", default_value_t = 30)]
    pub unreferenced_photo_days: u32,

    /// Never writes the console's list rows of pushed visits (they wait in
    /// the database until a server without it starts). For the test of a
    /// server killed after a push and before its list rows; never in use.
    #[arg(long, env = "HTX_HOLD_CONSOLE_INDEX", hide = true, action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub hold_console_index: bool,

    /// Never answers a device's receipt query (the request waits until the
    /// server stops). For the test of a server killed while a device has
    /// two pushed batches waiting for their receipts; never in use.
    #[arg(long, env = "HTX_HOLD_RECEIPTS", hide = true, action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub hold_receipts: bool,
}

impl Config {
    /// Whether the server speaks HTTPS itself (a certificate and key given).
    pub fn tls(&self) -> bool {
        self.tls_cert.is_some() && self.tls_key.is_some()
    }

    /// Concurrent password hashes: as configured, else one per core.
    pub fn hash_jobs(&self) -> usize {
        if self.password_hash_jobs > 0 {
            return self.password_hash_jobs;
        }
        std::thread::available_parallelism().map_or(1, usize::from)
    }

    /// A configuration with the defaults above, for tests and embedding.
    pub fn with_defaults() -> Self {
        Self::parse_from(["htx-server"])
    }
}
