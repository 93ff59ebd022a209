use clap::Parser;

/// mimalloc instead of the system allocator: see Cargo.toml.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    htx_server::init_tracing();
    htx_server::run(htx_server::Config::parse()).await
}
