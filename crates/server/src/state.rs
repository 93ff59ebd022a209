use std::sync::Arc;

use htx_core::{PlaceRegistry, RubricRegistry};
use tokio::sync::OnceCell;

use crate::config::Config;
use crate::db::Db;

/// Shared state handed to every handler (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    /// Reference data shipped with the server (handed to devices by pull,
    /// used to validate pushed visits).
    pub reference: Arc<Reference>,
    dummy_hash: Arc<OnceCell<String>>,
}

/// Places and rubrics built into this server.
pub struct Reference {
    pub places: PlaceRegistry,
    pub rubrics: RubricRegistry,
    pub size_rules: Vec<htx_core::size_class::SizeClassRules>,
}

impl AppState {
    pub fn new(db: Db, config: Config) -> Self {
        Self {
            db,
            config: Arc::new(config),
            reference: Arc::new(Reference {
                places: PlaceRegistry::seed(),
                rubrics: RubricRegistry::builtin(),
                size_rules: vec![htx_core::size_class::SizeClassRules::nd_113_2024()],
            }),
            dummy_hash: Arc::new(OnceCell::new()),
        }
    }

    /// A hash of no one's password, with the configured cost: verified
    /// against on sign-in attempts for unknown users.
    pub async fn dummy_password_hash(&self) -> anyhow::Result<String> {
        let memory_kib = self.config.argon2_memory_kib;
        self.dummy_hash
            .get_or_try_init(|| {
                crate::auth::hash_password_blocking("no such user".to_owned(), memory_kib)
            })
            .await
            .cloned()
    }
}
