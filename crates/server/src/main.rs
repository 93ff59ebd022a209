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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    htx_server::init_tracing();
    let cli = Cli::parse();
    match cli.command {
        None => htx_server::run(cli.config).await,
        Some(Command::GcPhotos) => {
            let removed = htx_server::gc_photos_once(cli.config).await?;
            println!("removed {removed} unreferenced photos");
            Ok(())
        }
    }
}
