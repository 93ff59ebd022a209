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
    /// Copy the database (photos included) into a new file in DIR while the
    /// server runs, check the copy and write its manifest beside it.
    Backup {
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Put a backup file in place as --database, which must not exist yet.
    Restore {
        #[arg(long)]
        from: std::path::PathBuf,
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
            let (file, m) = htx_server::backup::backup(&cli.config.database, &to).await?;
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
            let m = htx_server::backup::restore(&from, &cli.config.database).await?;
            println!(
                "restored {} as {}: {} visit revisions, {} photos",
                from.display(),
                cli.config.database.display(),
                m.visit_revisions,
                m.photos
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
