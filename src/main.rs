use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = gridloop::cli::Cli::parse();
    match gridloop::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("gridloop: {err}");
            ExitCode::FAILURE
        }
    }
}
