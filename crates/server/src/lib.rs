//! htx-server: serves the built htx-survey app and its JSON API over SQLite.
//!
//! Layout: [`config`] (CLI/env), [`state`] (shared state), [`error`] (the one
//! API error type), [`extract`] (request extractors that refuse with it, role
//! checks), [`routes`] (API handlers, one module per resource), [`db`] (all
//! SQL, one module per table; migrations in `../migrations`), [`sync`] and
//! [`push_queue`] (storing pushed revisions), [`auth`] and [`throttle`]
//! (sign-in), [`scope`] (what a user may see), [`console`],
//! [`index_follower`] and [`report`] (the review console's rows, written
//! after the push, and the plan's figures), [`export`] (CSV/XLSX),
//! [`security`] (response headers), [`backup`], [`static_files`] (the app's
//! files and SPA fallback), [`demo`] (synthetic dataset).

pub mod auth;
pub mod backup;
pub mod config;
pub mod console;
pub mod db;
pub mod demo;
pub mod error;
pub mod export;
pub mod extract;
pub mod index_follower;
pub mod push_queue;
pub mod report;
pub mod routes;
pub mod scope;
pub mod security;
pub mod state;
pub mod static_files;
pub mod sync;
pub mod throttle;

use std::future::Future;
use std::net::SocketAddr;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use config::Config;
pub use error::{ApiResult, AppError};
pub use state::AppState;

/// The whole application: `/api/...` plus the static app as fallback, with
/// the security headers ([`security`]) on every response.
pub fn router(state: AppState) -> Router {
    let csp = security::content_security_policy(&state.config.static_dir);
    let mut app = Router::new()
        .nest("/api", routes::api_router())
        .fallback(static_files::serve);
    for (name, value) in security::headers(&csp, state.config.tls()) {
        app = app.layer(SetResponseHeaderLayer::if_not_present(name, value));
    }
    app
        // gzip and br, negotiated from Accept-Encoding; the default predicate
        // compresses application/wasm, JS, CSS, HTML and JSON above 32 bytes.
        .layer(CompressionLayer::new().gzip(true).br(true))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}

/// Logs to stderr; `RUST_LOG` overrides the default filter.
pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("htx_server=info,tower_http=info,sqlx=warn"));
    use std::io::IsTerminal;
    // Ignore the error when a subscriber is already set.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// A server with its database open and migrated and its socket bound, not yet
/// serving. Lets callers (tests) learn the port when binding to port 0.
pub struct Server {
    listener: TcpListener,
    /// HTTPS: the certificate and key, loaded (and checked) at bind.
    tls: Option<axum_server::tls_rustls::RustlsConfig>,
    /// HTTPS: the plain-HTTP listener that only redirects, if asked for.
    redirect: Option<TcpListener>,
    state: AppState,
}

impl Server {
    /// Opens the database, runs migrations, seeds the demo dataset if asked,
    /// binds the address.
    pub async fn bind(config: Config) -> anyhow::Result<Self> {
        tracing::info!(
            addr = %config.addr,
            database = %config.database,
            static_dir = %config.static_dir.display(),
            demo = config.demo,
            "effective config"
        );
        if !config.static_dir.join("index.html").is_file() {
            tracing::warn!(
                static_dir = %config.static_dir.display(),
                "no index.html in the static dir: the app is not built (run scripts/run.sh)"
            );
        }
        let db = db::connect_serving(&config.database, config.database_pool_size).await?;
        // Before anything is written (migrations included): the demo adds
        // accounts with published passwords, never to a real database.
        if config.demo {
            if let Some(what) = demo::foreign_data(&db).await? {
                db.close().await;
                anyhow::bail!(
                    "--demo refused: {} holds {what}. The demo adds accounts whose passwords are \
                     published; run without --demo, or give --database a new file for the demo",
                    config.database
                );
            }
        }
        db::migrate(&db).await?;
        let schema_version = db::schema_version(&db).await?;
        tracing::info!(schema_version, "database ready");
        if config.demo {
            let outcome = demo::seed(&db).await.context("seeding the demo dataset")?;
            if outcome.already_seeded {
                tracing::info!("demo dataset already present");
            } else {
                tracing::info!(inserted = outcome.inserted, "demo dataset seeded");
            }
            let created = demo::seed_users(&db, config.argon2_memory_kib)
                .await
                .context("creating the demo accounts")?;
            if created > 0 {
                tracing::info!(created, "demo accounts created");
            }
        }
        let demo_accounts = demo::demo_accounts(&db).await?;
        if demo_accounts > 0 {
            tracing::warn!(
                demo_accounts,
                "THIS DATABASE HOLDS DEMO ACCOUNTS WHOSE PASSWORDS ARE PUBLISHED (README): \
                 anyone who reaches this server can sign in as an admin (quantri / quantri-demo). \
                 Never use it for real data"
            );
            if !config.addr.ip().is_loopback() && !config.allow_demo_on_network {
                db.close().await;
                anyhow::bail!(
                    "refusing to serve demo accounts on {}: their passwords are published. \
                     Serve the demo on 127.0.0.1, or pass --allow-demo-on-network if this \
                     network is yours alone",
                    config.addr
                );
            }
        }
        let listener = TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("binding {}", config.addr))?;
        let tls = match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => {
                // ring, the one provider built in (no OpenSSL, no aws-lc).
                let _ = rustls::crypto::ring::default_provider().install_default();
                Some(
                    axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                        .await
                        .with_context(|| {
                            format!(
                                "loading the TLS certificate {} and key {}",
                                cert.display(),
                                key.display()
                            )
                        })?,
                )
            }
            _ => None,
        };
        let redirect = match config.http_redirect_addr {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("binding {addr} (HTTP redirect)"))?,
            ),
            None => None,
        };
        let state = AppState::new(db, config);
        let published = state
            .load_rubrics()
            .await
            .context("loading published rubrics")?;
        if published > 0 {
            tracing::info!(published, "published rubrics loaded");
        }
        if state.config.demo && state.config.demo_history {
            let started = std::time::Instant::now();
            let h = demo::seed_history(&state)
                .await
                .context("seeding the demo history")?;
            if !h.already_seeded {
                tracing::info!(
                    organisations = h.organisations,
                    revisions = h.revisions,
                    reviews = h.reviews,
                    ms = started.elapsed().as_millis() as u64,
                    "demo history seeded (2024-2026)"
                );
            }
        }
        if !state.config.hold_console_index {
            // What a server killed after a push and before its list rows left.
            let indexed = index_follower::catch_up(&state.write_handle())
                .await
                .context("writing the console's list rows of stored visits")?;
            if indexed > 0 {
                tracing::info!(indexed, "stored visits listed for the review console");
            }
        }
        let indexed = console::backfill(&state)
            .await
            .context("indexing stored visits for the review console")?;
        if indexed > 0 {
            tracing::info!(indexed, "visits indexed for the review console");
        }
        Ok(Self {
            listener,
            tls,
            redirect,
            state,
        })
    }

    /// The plain-HTTP redirect listener's address, if there is one.
    pub fn redirect_addr(&self) -> Option<SocketAddr> {
        self.redirect.as_ref().and_then(|l| l.local_addr().ok())
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish
    /// and closes the database pool.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let addr = self.local_addr();
        let db = self.state.db.clone();
        let maintenance = tokio::spawn(maintenance(self.state.clone()));
        let checkpoints = tokio::spawn(checkpoints(self.state.clone()));
        let app = router(self.state);
        // With each connection's peer address: the sign-in throttle counts by it.
        let make_service = app.into_make_service_with_connect_info::<SocketAddr>();
        let served = match self.tls {
            None => {
                tracing::info!("listening on http://{addr}");
                axum::serve(self.listener, make_service)
                    .with_graceful_shutdown(shutdown)
                    .await
            }
            Some(tls) => {
                tracing::info!("listening on https://{addr}");
                let handle = axum_server::Handle::new();
                let redirect = self.redirect.map(|l| {
                    let port = addr.port();
                    tracing::info!(addr = %l.local_addr().map(|a| a.to_string()).unwrap_or_default(), "redirecting plain HTTP to HTTPS");
                    // Stopped with the HTTPS server (it has nothing in flight worth waiting for).
                    tokio::spawn(async move {
                        let app = Router::new().fallback(move |req: axum::extract::Request| redirect_to_https(req, port));
                        axum::serve(l, app).await
                    })
                });
                let stopper = handle.clone();
                tokio::spawn(async move {
                    shutdown.await;
                    stopper.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
                });
                let served = axum_server::from_tcp_rustls(self.listener.into_std()?, tls)?
                    .handle(handle)
                    .serve(make_service)
                    .await;
                if let Some(r) = redirect {
                    r.abort();
                }
                served
            }
        };
        maintenance.abort();
        checkpoints.abort();
        tracing::info!("shutting down: closing the database");
        db.close().await;
        served.context("serving HTTP")?;
        tracing::info!("stopped");
        Ok(())
    }
}

/// The plain-HTTP answer with `--http-redirect-addr`: the same path on
/// HTTPS (permanent), on the HTTPS port when it is not 443.
async fn redirect_to_https(
    req: axum::extract::Request,
    https_port: u16,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let host = req
        .headers()
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    // The host without its port (an IPv6 literal keeps its brackets).
    let name = match host.rfind(':') {
        Some(i) if !host[i..].contains(']') => &host[..i],
        _ => host,
    };
    let port = if https_port == 443 {
        String::new()
    } else {
        format!(":{https_port}")
    };
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
    axum::response::Redirect::permanent(&format!("https://{name}{port}{path}")).into_response()
}

/// How often the server copies SQLite's WAL into the database file.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

/// WAL pages (of 4 KiB) past which the WAL is made to start over.
const WAL_RESTART_PAGES: i64 = 4096;

/// Copies SQLite's WAL into the database file every [`CHECKPOINT_EVERY`]
/// ([`db::connect_serving`]); closing the database at shutdown does the
/// last. Beside the writers, so no push waits for the copy. But a WAL
/// starts over only when a write begins with all of it copied and no reader
/// in it, which a steady stream of pushes hardly ever allows: past
/// [`WAL_RESTART_PAGES`], the last pages are copied with this process's
/// writers held back for that moment, and the WAL starts over unless a
/// reader is still in it ([`db::restart_wal`]; tried again at the next
/// round).
async fn checkpoints(state: AppState) {
    let mut every = tokio::time::interval(CHECKPOINT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let done = match db::checkpoint(&state.db).await {
            Ok(in_wal) if in_wal > WAL_RESTART_PAGES => {
                let _turn = state.write_gate().turn().await;
                db::restart_wal(&state.db).await.map(|_| ())
            }
            done => done.map(|_| ()),
        };
        if let Err(e) = done {
            tracing::warn!(error = %e, "copying the WAL into the database file failed");
        }
    }
}

/// Daily upkeep while serving, the first run at start-up: photos no visit
/// names are removed once older than `--unreferenced-photo-days`.
async fn maintenance(state: AppState) {
    let mut daily = tokio::time::interval(std::time::Duration::from_secs(24 * 3600));
    loop {
        daily.tick().await;
        match gc_photos(&state).await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "unreferenced photos removed"),
            Err(e) => tracing::error!(error = %e, "removing unreferenced photos failed"),
        }
    }
}

/// Removes the photos no visit names that are older than the configured age
/// (`htx-server gc-photos` and the daily upkeep); returns how many.
pub async fn gc_photos(state: &AppState) -> anyhow::Result<u64> {
    let before = routes::blobs::unreferenced_cutoff(state.config.unreferenced_photo_days);
    // Through the write gate, as every write of this process: one writer at a time.
    let mut tx = state.begin_write().await?;
    let removed = db::blobs::delete_unreferenced_before(&mut *tx, &before).await?;
    tx.commit().await?;
    Ok(removed)
}

/// `htx-server gc-photos`: opens the database (migrating it), removes the
/// photos no visit names that are older than the configured age, and
/// returns how many. Safe while a server runs on the same database.
pub async fn gc_photos_once(config: Config) -> anyhow::Result<u64> {
    let db = db::connect(&config.database, config.database_pool_size).await?;
    db::migrate(&db).await?;
    // One statement in a process of its own: a server on the same file
    // waits for it at SQLite's lock (busy timeout) like for any writer.
    let before = routes::blobs::unreferenced_cutoff(config.unreferenced_photo_days);
    let removed = db::blobs::delete_unreferenced_before(&db, &before).await;
    db.close().await;
    Ok(removed?)
}

/// `htx-server create-admin`: opens the database (migrating it) and adds an
/// admin account with no scope (every place): the first account of a real
/// deployment, which then creates the others in the console.
pub async fn create_admin(
    config: Config,
    username: &str,
    display_name: &str,
    password: String,
) -> anyhow::Result<()> {
    use routes::users::{valid_username, MIN_PASSWORD};
    if !valid_username(username) {
        anyhow::bail!("the username must be 3 to 40 of a-z, 0-9, '.', '_', '-'");
    }
    if password.chars().count() < MIN_PASSWORD {
        anyhow::bail!("the password must have at least {MIN_PASSWORD} characters");
    }
    let db = db::connect(&config.database, config.database_pool_size).await?;
    db::migrate(&db).await?;
    let created = async {
        if db::users::find_by_username(&db, username).await?.is_some() {
            anyhow::bail!("the username {username} is taken");
        }
        let hash = auth::hash_password_blocking(password, config.argon2_memory_kib).await?;
        let row = db::users::UserRow {
            id: uuid::Uuid::now_v7().to_string(),
            username: username.to_owned(),
            display_name: display_name.to_owned(),
            role: auth::Role::Admin.as_str().to_owned(),
            password_hash: hash,
        };
        db::users::insert_if_absent(&db, &row, false, &db::now_timestamp()).await?;
        Ok(())
    }
    .await;
    db.close().await;
    created
}

/// Runs the server until SIGINT (Ctrl-C) or SIGTERM.
pub async fn run(config: Config) -> anyhow::Result<()> {
    run_with_shutdown(config, shutdown_signal()).await
}

/// Runs the server until `shutdown` completes.
pub async fn run_with_shutdown(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    Server::bind(config).await?.run_until(shutdown).await
}

/// Completes on SIGINT or (on Unix) SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received"),
        () = terminate => tracing::info!("SIGTERM received"),
    }
}
