//! `silbato-hub --config FILE`: runs the hub until SIGINT or SIGTERM.

use std::path::PathBuf;
use std::process::ExitCode;

use silbato_hub::push::Gateways;
use silbato_hub::{Hub, HubConfig, HubError};

const USAGE: &str = "usage: silbato-hub --config FILE\n\nRuns a Silbato network hub. See docs/hub.md for the configuration file.\nLog level: RUST_LOG (default info).";

fn config_path() -> Result<Option<PathBuf>, String> {
    let mut args = std::env::args_os().skip(1);
    let mut config = None;
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy().into_owned();
        if text == "--help" || text == "-h" {
            return Ok(None);
        } else if text == "--version" || text == "-V" {
            println!("silbato-hub {}", env!("CARGO_PKG_VERSION"));
            std::process::exit(0);
        } else if text == "--config" || text == "-c" {
            config = Some(PathBuf::from(args.next().ok_or("--config needs a file")?));
        } else if let Some(v) = text.strip_prefix("--config=") {
            config = Some(PathBuf::from(v));
        } else {
            return Err(format!("unknown argument {text}"));
        }
    }
    config
        .map(Some)
        .ok_or_else(|| "--config FILE is required".to_owned())
}

fn run(path: PathBuf) -> Result<(), HubError> {
    // reqwest (push gateways) is built without a default TLS provider: ring is the one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = HubConfig::from_file(&path)?;
    let gateways = Gateways::from_config(&config.push)?;
    let listen = config.listen.clone();
    let hub = Hub::open(config, gateways)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .map_err(|source| HubError::Bind {
                listen: listen.clone(),
                source,
            })?;
        let addr = listener.local_addr()?;
        tracing::info!(%addr, "silbato-hub listening");
        silbato_hub::serve(listener, hub).await
    })
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(silbato_hub::log_filter(
            std::env::var("RUST_LOG").ok().as_deref(),
        ))
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    let path = match config_path() {
        Ok(Some(p)) => p,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("silbato-hub: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(path) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("silbato-hub: {e}");
            ExitCode::FAILURE
        }
    }
}
