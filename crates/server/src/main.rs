use clap::{Parser, Subcommand};

/// mimalloc instead of the system allocator: see Cargo.toml.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "htx-server",
    version,
    about = "htx-survey server: the built app and its JSON API"
)]
struct Cli {
    #[command(flatten)]
    config: htx_server::Config,
    /// What to do instead of serving.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Remove the photos no stored visit names that were uploaded more than
    /// --unreferenced-photo-days ago (the server also does this daily), then exit.
    GcPhotos,
    /// Copy the SQLite database (photos included) into a new file in DIR
    /// while the server runs, check the copy and write its manifest beside
    /// it. (PostgreSQL: pg_dump, see the README.)
    Backup {
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Put a backup file in place as --database, which must not exist yet.
    Restore {
        #[arg(long)]
        from: std::path::PathBuf,
    },
    /// Copy every table and photo of one database into another that holds
    /// no data yet, e.g. a province's SQLite file into PostgreSQL, then
    /// check that both hold the same rows (counts and content hashes).
    /// Stop the servers of the source first: what they write meanwhile is
    /// not copied.
    Copy {
        /// The database to read: a SQLite file or a postgres:// URL.
        #[arg(long)]
        from: htx_server::db::Location,
        /// The database to fill (created and migrated if need be).
        #[arg(long)]
        to: htx_server::db::Location,
    },
    /// Add an admin account with no scope (every place), e.g. the first
    /// account of a real deployment, then exit. The password is read from
    /// HTX_ADMIN_PASSWORD, else from the first line of standard input.
    CreateAdmin {
        #[arg(long)]
        username: String,
        /// The name shown in the console (default: the username).
        #[arg(long)]
        display_name: Option<String>,
    },
}

/// mimalloc's `mi_option_purge_delay`: the option before `use_numa_nodes` in
/// mimalloc.h (v2 and v3); libmimalloc-sys names only the latter.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t =
    libmimalloc_sys::mi_option_use_numa_nodes - 1;

/// Freed pages go back to the system 10 ms after they are freed (mimalloc
/// v2's default), not up to a second later (v3's): 200 devices pushing at
/// once otherwise lift the server's peak memory by 30-40 MB of pages that
/// hold nothing. At 0 ms a steady push stream pays for re-faulting its
/// buffers. `MIMALLOC_PURGE_DELAY` in the environment still wins.
fn return_freed_memory_soon() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one of mimalloc's numeric options; it reads them on
        // every use, and any value is valid for this one.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 10) };
    }
}

/// The SQLite file of `--database`: backups and restores copy files.
fn sqlite_file(config: &htx_server::Config) -> anyhow::Result<&std::path::Path> {
    config.database.sqlite_path().ok_or_else(|| {
        anyhow::anyhow!(
            "backup and restore copy a SQLite file; back up PostgreSQL with pg_dump and restore \
             with pg_restore (README, PostgreSQL)"
        )
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    return_freed_memory_soon();
    htx_server::init_tracing();
    let cli = Cli::parse();
    match cli.command {
        None => htx_server::run(cli.config).await,
        Some(Command::GcPhotos) => {
            let removed = htx_server::gc_photos_once(cli.config).await?;
            println!("removed {removed} unreferenced photos");
            Ok(())
        }
        Some(Command::Backup { to }) => {
            let (file, m) = htx_server::backup::backup(sqlite_file(&cli.config)?, &to).await?;
            println!(
                "backup {}: {} bytes, sha256 {}, {} visit revisions, {} photos",
                file.display(),
                m.bytes,
                m.sha256,
                m.visit_revisions,
                m.photos
            );
            Ok(())
        }
        Some(Command::Restore { from }) => {
            let m = htx_server::backup::restore(&from, sqlite_file(&cli.config)?).await?;
            println!(
                "restored {} as {}: {} visit revisions, {} photos",
                from.display(),
                cli.config.database,
                m.visit_revisions,
                m.photos
            );
            Ok(())
        }
        Some(Command::Copy { from, to }) => {
            let report = htx_server::db::copy::copy(&from, &to).await?;
            for t in &report.tables {
                println!("{:<16} {:>9} rows  sha256 {}", t.table, t.rows, t.sha256);
            }
            println!(
                "copied {from} to {to}: {} rows in {} tables, each table's rows and content \
                 hashes the same in both",
                report.rows(),
                report.tables.len()
            );
            Ok(())
        }
        Some(Command::CreateAdmin {
            username,
            display_name,
        }) => {
            let password = match std::env::var("HTX_ADMIN_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    eprintln!("password for {username} (one line on standard input):");
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let name = display_name.unwrap_or_else(|| username.clone());
            htx_server::create_admin(cli.config, &username, &name, password).await?;
            println!("admin account {username} created");
            Ok(())
        }
    }
}
