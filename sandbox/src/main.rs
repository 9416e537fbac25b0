use clap::Parser;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let options = linkdesk_sandbox::Options::parse();
    let sandbox = linkdesk_sandbox::start(options).await?;
    println!("listening on {}", sandbox.url());
    tokio::signal::ctrl_c().await?;
    sandbox.stop().await;
    Ok(())
}
