//! Sign-in: argon2id password hashes (computed on the blocking pool, never on
//! the async threads), random bearer tokens stored as their SHA-256, and the
//! [`AuthUser`] extractor that every protected handler takes.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};

use crate::db::{self, sessions, users};
use crate::error::AppError;
use crate::state::AppState;

pub use htx_core::api::Role;

/// The signed-in user of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthUser {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// A demo account: the organisations and accounts it creates are marked
    /// demo data, so `--demo` can tell a demo database from a real one.
    pub is_demo: bool,
    /// The SHA-256 of the token this request came with (sign-out revokes it).
    pub token_hash: String,
}

impl AuthUser {
    /// The user whose places limit what this user sees (`None`: everything).
    pub fn place_scope(&self) -> Option<&str> {
        (self.role == Role::Officer).then_some(self.id.as_str())
    }

    /// Refuses officers: the review console is for alliance staff.
    pub fn require_staff(&self) -> Result<(), AppError> {
        if self.role.is_staff() {
            Ok(())
        } else {
            Err(AppError::forbidden(
                "only reviewers and admins use the review console",
            ))
        }
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AppError::Unauthorized)?;
        let hashed = token_hash(token);
        let session = sessions::find(&state.db, &hashed)
            .await?
            .ok_or(AppError::Unauthorized)?;
        if session.expires_at <= db::now_millis() {
            return Err(AppError::TokenExpired);
        }
        let role = Role::parse(&session.role).ok_or(AppError::Unauthorized)?;
        Ok(AuthUser {
            id: session.user_id,
            username: session.username,
            display_name: session.display_name,
            role,
            is_demo: session.is_demo,
            token_hash: hashed,
        })
    }
}

/// A new random token: 32 bytes from the OS, lowercase hex.
pub fn new_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(hex::encode(bytes))
}

/// What is stored for a token: hex SHA-256.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn hasher(memory_kib: u32) -> anyhow::Result<Argon2<'static>> {
    let params = Params::new(memory_kib.max(8), 2, 1, None)
        .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password (argon2id, random salt) to a PHC string. CPU-heavy:
/// call from the blocking pool ([`hash_password_blocking`]).
pub fn hash_password(password: &str, memory_kib: u32) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let hash = hasher(memory_kib)?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing: {e}"))?;
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string (parameters come from it).
pub fn verify_password(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

pub async fn hash_password_blocking(password: String, memory_kib: u32) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash_password(&password, memory_kib)).await?
}

/// Bounds password hashing: `jobs` threads of its own compute argon2 (each
/// hash takes its configured memory, 19 MiB by default), at most `queue`
/// hashes wait for them, and beyond that the caller is told the server is
/// busy. Before, every sign-in attempt took a thread of the blocking pool
/// (up to 512) and its argon2 memory: 300 concurrent wrong sign-ins took the
/// server from 28 MB to 3.9 GB. Threads of its own, not the blocking pool
/// under a semaphore: each keeps reusing its own memory, where the pool's
/// changing threads each kept an allocator arena with a freed 19 MiB block
/// (290 MB after 20 hashes, measured by tests/login_flood.rs).
pub struct HashLimiter {
    jobs: std::sync::mpsc::SyncSender<HashJob>,
    /// Hashes computed so far (what a sign-in costs, seen from outside).
    done: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

type HashJob = Box<dyn FnOnce() + Send>;

/// Seconds a refused sign-in is asked to wait (`Retry-After`).
pub const BUSY_RETRY_SECS: u64 = 2;

impl HashLimiter {
    /// Starts `jobs` hashing threads; they end when the limiter is dropped.
    pub fn new(jobs: usize, queue: usize) -> Self {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<HashJob>(queue);
        let receiver = std::sync::Arc::new(std::sync::Mutex::new(receiver));
        for n in 0..jobs.max(1) {
            let receiver = receiver.clone();
            let worker = move || loop {
                // The lock is held only while taking a job, not while running it.
                let job = receiver.lock().unwrap_or_else(|e| e.into_inner()).recv();
                match job {
                    Ok(job) => {
                        // A panicking job must not take a worker with it.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                    Err(_) => return,
                }
            };
            std::thread::Builder::new()
                .name(format!("password-hash-{n}"))
                .spawn(worker)
                .expect("starting a password hashing thread");
        }
        Self {
            jobs: sender,
            done: Default::default(),
        }
    }

    /// How many hashes have been computed: a sign-in of an unknown user
    /// costs one, as a known user's does.
    pub fn hashes_done(&self) -> u64 {
        self.done.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Runs `work` on a hashing thread; `Busy` when every thread is taken
    /// and the queue is full. Work whose caller has gone (the request was
    /// dropped while it waited) is skipped.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let done = self.done.clone();
        let job: HashJob = Box::new(move || {
            if !reply.is_closed() {
                let result = work();
                done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let _ = reply.send(result);
            }
        });
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(std::sync::mpsc::TrySendError::Full(_)) => {
                return Err(AppError::Busy {
                    retry_after_secs: BUSY_RETRY_SECS,
                })
            }
            Err(std::sync::mpsc::TrySendError::Disconnected(_)) => {
                return Err(AppError::Internal(anyhow::anyhow!(
                    "the password hashing threads have stopped"
                )))
            }
        }
        answer
            .await
            .map_err(|_| AppError::Internal(anyhow::anyhow!("a password hash was dropped")))
    }
}

/// The server's password hashing: argon2id at the configured cost, a
/// bounded number of jobs at once ([`HashLimiter`]), and the hash of no one's
/// password that sign-ins of unknown users are verified against.
pub struct Passwords {
    limiter: HashLimiter,
    memory_kib: u32,
    dummy: tokio::sync::OnceCell<String>,
}

impl Passwords {
    pub fn new(jobs: usize, queue: usize, memory_kib: u32) -> Self {
        Self {
            limiter: HashLimiter::new(jobs, queue),
            memory_kib,
            dummy: tokio::sync::OnceCell::new(),
        }
    }

    /// A new hash of `password` (account creation, password changes).
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let memory_kib = self.memory_kib;
        Ok(self
            .limiter
            .run(move || hash_password(&password, memory_kib))
            .await??)
    }

    /// Whether `password` matches `phc`.
    pub async fn verify(&self, password: String, phc: String) -> Result<bool, AppError> {
        self.limiter
            .run(move || verify_password(&password, &phc))
            .await
    }

    /// The hash unknown users are checked against, made once.
    async fn dummy(&self) -> anyhow::Result<String> {
        let memory_kib = self.memory_kib;
        self.dummy
            .get_or_try_init(|| hash_password_blocking("no such user".to_owned(), memory_kib))
            .await
            .cloned()
    }

    /// The job limiter (its counters, for tests).
    pub fn limiter(&self) -> &HashLimiter {
        &self.limiter
    }
}

/// Checks credentials. An unknown user costs one hash verification too
/// (against a dummy hash), so timing does not reveal which usernames exist.
pub async fn check_credentials(
    state: &AppState,
    username: &str,
    password: String,
) -> Result<users::UserRow, AppError> {
    let user = users::find_by_username(&state.db, username).await?;
    let phc = match &user {
        Some(u) => u.password_hash.clone(),
        None => state.passwords.dummy().await?,
    };
    let ok = state.passwords.verify(password, phc).await?;
    match user {
        Some(u) if ok => Ok(u),
        _ => Err(AppError::InvalidCredentials),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash_password("mật khẩu", 64).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("mật khẩu", &h));
        assert!(!verify_password("mat khau", &h));
        assert!(!verify_password("x", "not a hash"));
        assert_ne!(hash_password("mật khẩu", 64).unwrap(), h, "salted");
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = new_token().unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_token().unwrap());
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
