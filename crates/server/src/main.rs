use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    htx_server::init_tracing();
    htx_server::run(htx_server::Config::parse()).await
}
