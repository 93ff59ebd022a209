use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use crate::auth::Passwords;
use crate::config::Config;
use crate::db::{Db, WriteGate, WriteTx};
use crate::index_follower::IndexFollower;
use crate::push_queue::PushQueue;
use htx_core::{PlaceRegistry, RubricRegistry};

/// Shared state handed to every handler (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    /// One writer at a time, in arrival order (see [`WriteGate`]).
    write_gate: WriteGate,
    /// Pushes wait here for the push writer, which writes them in groups.
    push_queue: Arc<PushQueue>,
    /// Writes the console's list rows of stored revisions.
    follower: Arc<IndexFollower>,
    pub config: Arc<Config>,
    /// Reference data shipped with the server (handed to devices by pull,
    /// used to validate pushed visits).
    pub reference: Arc<Reference>,
    /// The rubrics in force: built-in plus published ones.
    rubrics: Arc<RubricsInForce>,
    /// Password hashing, bounded (sign-in, account changes).
    pub passwords: Arc<Passwords>,
    /// Wrong passwords per account and per address (sign-in).
    pub throttle: Arc<crate::throttle::SignInThrottle>,
}

/// What the push writer needs of the server, and nothing else: a turn to
/// write, the reference data records are checked against, the rubrics in
/// force.
#[derive(Clone)]
pub struct WriteHandle {
    pub db: Db,
    write_gate: WriteGate,
    pub reference: Arc<Reference>,
    rubrics: Arc<RubricsInForce>,
    pub(crate) follower: Arc<IndexFollower>,
}

impl WriteHandle {
    /// A write transaction, when it is this writer's turn.
    pub async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        self.write_gate.begin(&self.db).await
    }

    /// The rubrics in force as this process last loaded them.
    pub fn rubrics(&self) -> Arc<RubricRegistry> {
        self.rubrics.current()
    }

    /// The rubrics in force now, including those published through
    /// another server process since they were loaded.
    pub async fn fresh_rubrics(&self) -> anyhow::Result<Arc<RubricRegistry>> {
        self.rubrics.fresh(&self.db).await
    }
}

/// The rubrics in force: built-in plus published, as loaded from the
/// database, replaced whole when that changes; readers take a snapshot.
/// Published versions are rows of `rubrics`, never removed, so their count
/// tells whether another process on the database published one since.
pub struct RubricsInForce {
    registry: RwLock<Arc<RubricRegistry>>,
    /// Published versions in `registry`.
    published: AtomicI64,
}

impl RubricsInForce {
    fn builtin() -> Self {
        RubricsInForce {
            registry: RwLock::new(Arc::new(RubricRegistry::builtin())),
            published: AtomicI64::new(0),
        }
    }

    fn current(&self) -> Arc<RubricRegistry> {
        self.registry
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Loads the published rubrics on top of the built-in ones; returns how
    /// many were published.
    async fn load(&self, db: &Db) -> anyhow::Result<usize> {
        let mut registry = RubricRegistry::builtin();
        let bodies = crate::db::rubrics::all(db).await?;
        for body in &bodies {
            registry
                .add_json(body)
                .map_err(|e| anyhow::anyhow!("stored rubric: {e}"))?;
        }
        *self.registry.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(registry);
        self.published.store(bodies.len() as i64, Ordering::SeqCst);
        Ok(bodies.len())
    }

    /// [`current`](Self::current), loaded again first if the database holds
    /// another number of published versions (one small count per call).
    async fn fresh(&self, db: &Db) -> anyhow::Result<Arc<RubricRegistry>> {
        let published = crate::db::rubrics::count(db).await?;
        if published != self.published.load(Ordering::SeqCst) {
            self.load(db).await?;
        }
        Ok(self.current())
    }
}

/// Places and rubrics built into this server.
pub struct Reference {
    pub places: PlaceRegistry,
    /// Built-in rubrics only; use [`AppState::rubrics`] for the ones in force.
    pub rubrics: RubricRegistry,
}

impl AppState {
    pub fn new(db: Db, config: Config) -> Self {
        let passwords = Arc::new(Passwords::new(
            config.hash_jobs(),
            config.password_hash_queue,
            config.argon2_memory_kib,
        ));
        let throttle = Arc::new(crate::throttle::SignInThrottle::new(
            config.sign_in_max_failures,
            config.sign_in_max_failures_per_address,
            std::time::Duration::from_secs(config.sign_in_window_secs),
        ));
        Self {
            db,
            write_gate: WriteGate::default(),
            push_queue: Arc::default(),
            follower: Arc::new(IndexFollower::new(config.hold_console_index)),
            config: Arc::new(config),
            reference: Arc::new(Reference {
                places: PlaceRegistry::seed(),
                rubrics: RubricRegistry::builtin(),
            }),
            rubrics: Arc::new(RubricsInForce::builtin()),
            passwords,
            throttle,
        }
    }

    /// The push writer's narrow view of this state.
    pub fn write_handle(&self) -> WriteHandle {
        WriteHandle {
            db: self.db.clone(),
            write_gate: self.write_gate.clone(),
            reference: self.reference.clone(),
            rubrics: self.rubrics.clone(),
            follower: self.follower.clone(),
        }
    }

    pub fn push_queue(&self) -> &PushQueue {
        &self.push_queue
    }

    /// A write transaction, when it is this request's turn to write.
    pub async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        self.write_gate.begin(&self.db).await
    }

    /// Whose turn it is to write, in this process.
    pub fn write_gate(&self) -> &WriteGate {
        &self.write_gate
    }

    /// The rubrics in force (built-in and published) as this process last
    /// loaded them.
    pub fn rubrics(&self) -> Arc<RubricRegistry> {
        self.rubrics.current()
    }

    /// The rubrics in force now, including those published through another
    /// server process on the database since they were loaded.
    pub async fn fresh_rubrics(&self) -> anyhow::Result<Arc<RubricRegistry>> {
        self.rubrics.fresh(&self.db).await
    }

    /// Loads the published rubrics from the database on top of the built-in ones.
    pub async fn load_rubrics(&self) -> anyhow::Result<usize> {
        self.rubrics.load(&self.db).await
    }
}
