//! The real `htx-server` binary as a child process.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use tempfile::TempDir;

use crate::paths::{dist_dir, free_port, server_bin, tail_of_file};

/// A site served over HTTPS in a test: its host name, the certificate made
/// for it, and the SHA-256 of the certificate's public key (what Chromium's
/// `--ignore-certificate-errors-spki-list` trusts).
#[derive(Clone, Debug)]
pub struct TlsSite {
    pub host: String,
    pub cert_pem: String,
    pub spki_sha256: String,
    _dir: std::sync::Arc<TempDir>,
}

/// How long [`ServerProcess::start`] waits for `GET /api/health` to answer 200.
pub const HEALTH_TIMEOUT: Duration = Duration::from_secs(30);
/// How long [`ServerProcess::stop`] waits after SIGTERM before it gives up and SIGKILLs.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// `htx-server --addr 127.0.0.1:<port> --database <tmp>/htx.sqlite3 --static-dir <dist> --demo`.
///
/// The port, database and log file stay the same across [`stop`](Self::stop) /
/// [`kill`](Self::kill) and [`restart`](Self::restart), so a test can take the
/// server away mid-sync and bring it back with the same data. stdout and
/// stderr of every run are appended to `server.log` in the temporary
/// directory ([`log`](Self::log)). Dropping it SIGKILLs a running server.
pub struct ServerProcess {
    child: Option<Child>,
    port: u16,
    bin: PathBuf,
    dist: PathBuf,
    database: PathBuf,
    /// A PostgreSQL database to serve from instead of the file above
    /// (`HTX_TEST_POSTGRES`, see [`postgres_database`]).
    postgres: Option<String>,
    log_path: PathBuf,
    extra_args: Vec<String>,
    /// Served over HTTPS under this host name (see [`ServerProcess::start_tls`]).
    tls: Option<TlsSite>,
    runs: u32,
    // Last: removed after the child is gone.
    dir: TempDir,
}

impl ServerProcess {
    /// Starts the server on a free port with a fresh database and waits until it is healthy.
    pub async fn start() -> Result<Self> {
        Self::start_with_args(&[]).await
    }

    /// Like [`start`](Self::start), with extra command-line arguments after the standard ones.
    pub async fn start_with_args(extra_args: &[&str]) -> Result<Self> {
        Self::start_custom(server_bin()?, dist_dir()?, extra_args).await
    }

    /// Starts `bin` (any program taking the same flags and answering
    /// `/api/health`) serving `dist`; the harness's own tests use a stand-in.
    pub async fn start_custom(bin: PathBuf, dist: PathBuf, extra_args: &[&str]) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("htx-e2e-server-")
            .tempdir()?;
        let mut server = ServerProcess {
            child: None,
            port: free_port()?,
            bin,
            dist,
            database: dir.path().join("htx.sqlite3"),
            postgres: postgres_database().await?,
            log_path: dir.path().join("server.log"),
            extra_args: extra_args.iter().map(|s| s.to_string()).collect(),
            tls: None,
            runs: 0,
            dir,
        };
        server.spawn_and_wait().await?;
        server.check_backend().await?;
        Ok(server)
    }

    /// On a PostgreSQL test run, that the server says it serves from
    /// PostgreSQL (a test must not pass on SQLite by mistake).
    async fn check_backend(&self) -> Result<()> {
        if self.postgres.is_none() {
            return Ok(());
        }
        let health: serde_json::Value = self
            .client()
            .get(self.url("/api/health"))
            .send()
            .await?
            .json()
            .await?;
        anyhow::ensure!(
            health["database"]["backend"] == "postgresql",
            "HTX_TEST_POSTGRES is set but the server reports {health}"
        );
        Ok(())
    }

    /// Starts the server over HTTPS for `host` (which clients map to
    /// 127.0.0.1), with a certificate made for it now; the returned site
    /// tells a browser which certificate to trust.
    pub async fn start_tls(host: &str) -> Result<(Self, TlsSite)> {
        let dir = tempfile::Builder::new().prefix("htx-e2e-tls-").tempdir()?;
        let made = rcgen::generate_simple_self_signed(vec![host.to_owned()])?;
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        std::fs::write(&cert, made.cert.pem())?;
        std::fs::write(&key, made.key_pair.serialize_pem())?;
        use base64::Engine;
        use sha2::Digest;
        let site = TlsSite {
            host: host.to_owned(),
            cert_pem: made.cert.pem(),
            spki_sha256: base64::engine::general_purpose::STANDARD
                .encode(sha2::Sha256::digest(made.key_pair.public_key_der())),
            _dir: std::sync::Arc::new(dir),
        };
        let (cert, key) = (cert.display().to_string(), key.display().to_string());
        let mut server = ServerProcess {
            child: None,
            port: free_port()?,
            bin: server_bin()?,
            dist: dist_dir()?,
            database: site._dir.path().join("htx.sqlite3"),
            postgres: postgres_database().await?,
            log_path: site._dir.path().join("server.log"),
            extra_args: vec!["--tls-cert".into(), cert, "--tls-key".into(), key],
            tls: Some(site.clone()),
            runs: 0,
            dir: tempfile::Builder::new()
                .prefix("htx-e2e-server-")
                .tempdir()?,
        };
        server.spawn_and_wait().await?;
        Ok((server, site))
    }

    /// Starts the server again (after [`stop`](Self::stop) or [`kill`](Self::kill))
    /// on the same port and database, and waits until it is healthy. Retries
    /// for a while if the port is still held by the previous run.
    pub async fn restart(&mut self) -> Result<()> {
        if self.is_running() {
            bail!(
                "restart: the server (pid {}) is still running; stop() or kill() it first",
                self.pid().unwrap_or(0)
            );
        }
        self.spawn_and_wait().await
    }

    /// Like [`restart`](Self::restart), with these extra flags from now on
    /// instead of those it was started with.
    pub async fn restart_with_args(&mut self, extra_args: &[&str]) -> Result<()> {
        if self.is_running() {
            bail!("restart_with_args: the server (pid {}) is still running; stop() or kill() it first", self.pid().unwrap_or(0));
        }
        self.extra_args = extra_args.iter().map(|s| s.to_string()).collect();
        self.spawn_and_wait().await
    }

    /// Like [`restart`](Self::restart), but serving `static_dir` from now on
    /// (same port, same database): a redeploy of a new build of the app.
    pub async fn restart_with_static_dir(&mut self, static_dir: impl Into<PathBuf>) -> Result<()> {
        if self.is_running() {
            bail!("restart_with_static_dir: the server (pid {}) is still running; stop() or kill() it first", self.pid().unwrap_or(0));
        }
        self.dist = static_dir.into();
        self.spawn_and_wait().await
    }

    /// `http://127.0.0.1:<port>`, or `https://<host>:<port>` over TLS.
    pub fn base_url(&self) -> String {
        match &self.tls {
            Some(t) => format!("https://{}:{}", t.host, self.port),
            None => format!("http://127.0.0.1:{}", self.port),
        }
    }

    /// A client for this server: plain, or trusting its certificate and
    /// mapping its host name to 127.0.0.1.
    pub fn client(&self) -> reqwest::Client {
        match &self.tls {
            None => crate::http_client(),
            Some(t) => reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(30))
                .add_root_certificate(
                    reqwest::Certificate::from_pem(t.cert_pem.as_bytes())
                        .expect("the certificate made"),
                )
                .resolve(&t.host, self.addr())
                .build()
                .expect("reqwest client"),
        }
    }

    /// `http://127.0.0.1:<port><path>`; `path` starts with `/`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url(), path)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// The SQLite file served (unless [`postgres`](Self::postgres)).
    pub fn database_path(&self) -> &Path {
        &self.database
    }

    /// The PostgreSQL database served, if the tests run on PostgreSQL.
    pub fn postgres(&self) -> Option<&str> {
        self.postgres.as_deref()
    }

    pub fn dist_dir(&self) -> &Path {
        &self.dist
    }

    /// The temporary directory holding the database and the log.
    pub fn temp_dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// The whole log of every run so far (stdout and stderr).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// The last `max_bytes` of the log, for failure messages.
    pub fn log_tail(&self, max_bytes: usize) -> String {
        tail_of_file(&self.log_path, max_bytes)
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// Whether the child process is alive (reaps it if it has exited).
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            None => false,
            Some(c) => match c.try_wait() {
                Ok(None) => true,
                _ => {
                    self.child = None;
                    false
                }
            },
        }
    }

    /// Whether something accepts TCP connections on the server's port now.
    pub fn port_accepts_connections(&self) -> bool {
        TcpStream::connect_timeout(&self.addr(), Duration::from_millis(500)).is_ok()
    }

    /// Graceful stop: SIGTERM, then wait for the exit (SIGKILL and an error
    /// after [`STOP_TIMEOUT`]). Returns the exit status.
    pub async fn stop(&mut self) -> Result<ExitStatus> {
        let Some(child) = self.child.as_mut() else {
            bail!("stop: the server is not running");
        };
        let pid = child.id();
        signal(pid, libc::SIGTERM);
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            if let Some(status) = child.try_wait()? {
                self.child = None;
                self.note(&format!("stopped by SIGTERM: {status}"));
                return Ok(status);
            }
            if Instant::now() >= deadline {
                signal(pid, libc::SIGKILL);
                let status = child.wait();
                self.child = None;
                bail!(
                    "the server (pid {pid}) did not exit within {STOP_TIMEOUT:?} of SIGTERM; SIGKILLed ({status:?}). Log tail:\n{}",
                    self.log_tail(8000)
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Abrupt stop: SIGKILL and reap. A no-op if the server is not running.
    pub async fn kill(&mut self) -> Result<()> {
        self.kill_now();
        Ok(())
    }

    fn kill_now(&mut self) {
        if let Some(mut child) = self.child.take() {
            if matches!(child.try_wait(), Ok(None)) {
                signal(child.id(), libc::SIGKILL);
            }
            let status = child.wait();
            self.note(&format!("killed by SIGKILL: {status:?}"));
        }
    }

    /// Appends a harness note to the log, so the log reads as a timeline.
    fn note(&self, what: &str) {
        if let Ok(mut f) = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
        {
            let _ = writeln!(f, "----- htx-e2e: {what} -----");
        }
    }

    fn spawn(&mut self) -> Result<()> {
        self.runs += 1;
        let log = log_file(&self.log_path)?;
        let args = self.args();
        self.note(&format!(
            "run {}: {} {}",
            self.runs,
            self.bin.display(),
            args.join(" ")
        ));
        let mut cmd = Command::new(&self.bin);
        cmd.args(&args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            // The flags win over these anyway; keep the environment out of it.
            .env_remove("HTX_ADDR")
            .env_remove("HTX_DATABASE")
            .env_remove("HTX_STATIC_DIR")
            .env_remove("HTX_DEMO")
            // The demo's organisations and accounts without its three years
            // of visits: the tests count what they push.
            .env("HTX_DEMO_HISTORY", "false")
            // Own process group: a Ctrl-C in the terminal reaches the test
            // runner, whose Drop then stops the server.
            .process_group(0);
        if std::env::var_os("RUST_LOG").is_none() {
            cmd.env("RUST_LOG", "info");
        }
        let child = cmd
            .spawn()
            .with_context(|| format!("spawning {}", self.bin.display()))?;
        self.child = Some(child);
        Ok(())
    }

    fn args(&self) -> Vec<String> {
        let mut args = vec![
            "--addr".to_string(),
            self.addr().to_string(),
            "--database".to_string(),
            match &self.postgres {
                Some(url) => url.clone(),
                None => self.database.display().to_string(),
            },
            "--static-dir".to_string(),
            self.dist.display().to_string(),
            "--demo".to_string(),
        ];
        args.extend(self.extra_args.iter().cloned());
        args
    }

    /// Spawns and polls `/api/health`. If the process exits before it is
    /// healthy (typically: the port is still held by a previous run or was
    /// taken), spawns again until the deadline.
    async fn spawn_and_wait(&mut self) -> Result<()> {
        let http = self.client();
        let health = self.url("/api/health");
        let deadline = Instant::now() + HEALTH_TIMEOUT;
        self.spawn()?;
        let mut last = String::from("no answer yet");
        loop {
            if !self.is_running() {
                if Instant::now() >= deadline {
                    break;
                }
                last = "the server exited before it was healthy".into();
                tokio::time::sleep(Duration::from_millis(300)).await;
                self.spawn()?;
                continue;
            }
            match http
                .get(&health)
                .timeout(Duration::from_secs(2))
                .send()
                .await
            {
                // Ours only if our child is still alive: a server that failed to
                // bind exits, and whoever holds the port may answer meanwhile.
                Ok(r) if r.status() == reqwest::StatusCode::OK && self.is_running() => {
                    return Ok(())
                }
                Ok(r) => last = format!("GET /api/health answered {}", r.status()),
                Err(e) => last = format!("GET /api/health failed: {e}"),
            }
            if Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.kill_now();
        Err(anyhow!(
            "htx-server did not become healthy on {} within {HEALTH_TIMEOUT:?} ({last}).\n\
             binary: {}\nlog {}:\n{}",
            self.base_url(),
            self.bin.display(),
            self.log_path.display(),
            self.log_tail(16000)
        ))
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill_now();
        if std::thread::panicking() {
            eprintln!(
                "----- htx-server log ({}) -----\n{}\n----- end of server log -----",
                self.log_path.display(),
                self.log_tail(16000)
            );
        }
    }
}

fn signal(pid: u32, sig: libc::c_int) {
    // SAFETY: kill(2) with the pid of our own, not yet reaped, child.
    unsafe {
        libc::kill(pid as libc::pid_t, sig);
    }
}

/// Opens (creates) a file for a child's output.
pub(crate) fn log_file(path: &Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))
}

/// With `HTX_TEST_POSTGRES` (the URL of a PostgreSQL server's maintenance
/// database whose role may create databases; scripts/test.sh starts one),
/// a new, empty database on that server for one test server to fill;
/// without it, None: the server uses a SQLite file.
pub async fn postgres_database() -> Result<Option<String>> {
    let admin = match std::env::var("HTX_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => url,
        _ => return Ok(None),
    };
    use sqlx::{Connection, Executor};
    let name = format!("htx_e2e_{}", uuid::Uuid::now_v7().simple());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .context("HTX_TEST_POSTGRES: connecting")?;
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await?;
    conn.close().await?;
    let mut url = url::Url::parse(&admin).context("HTX_TEST_POSTGRES is not a URL")?;
    url.set_path(&format!("/{name}"));
    Ok(Some(url.to_string()))
}
