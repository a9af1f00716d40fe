//! `silbato`: the terminal shell over the core, and the organizer's tools.
//!
//! Parses arguments, opens the data directory, calls the core and prints what it returns. It holds
//! no behaviour of its own beyond presentation, and never prints user content to stderr.

mod commands;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::output::Out;

#[derive(Parser)]
#[command(
    name = "silbato",
    version,
    about = "Know your rights, offline. Tools for rapid-response networks."
)]
struct Cli {
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Where Silbato keeps its files (default: the platform's data directory).
    #[arg(long, global = true, env = "SILBATO_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Know-your-rights cards: read, search, show to an agent, hotlines.
    #[command(subcommand)]
    Rights(RightsCmd),
    /// Signing keys for organizers.
    #[command(subcommand)]
    Keys(KeysCmd),
    /// Publishers whose signed packs this device accepts.
    #[command(subcommand)]
    Publishers(PublishersCmd),
    /// Build and check content packs (organizers).
    #[command(subcommand)]
    Pack(PackCmd),
}

#[derive(Args)]
struct LangArg {
    /// Language code (en, es, ...). Default: from LANG, else English.
    #[arg(long, value_name = "L")]
    lang: Option<String>,
}

#[derive(Subcommand)]
enum RightsCmd {
    /// List the cards.
    List {
        #[command(flatten)]
        lang: LangArg,
        /// Only cards in this category.
        #[arg(long, value_name = "C")]
        category: Option<String>,
    },
    /// Read one card.
    Show {
        id: String,
        #[command(flatten)]
        lang: LangArg,
    },
    /// Search every card, in every language (accents optional, word beginnings match).
    Search {
        #[arg(required = true, num_args = 1..)]
        query: Vec<String>,
        /// Only this language (cards not translated into it are searched in English).
        #[arg(long, value_name = "L")]
        lang: Option<String>,
        #[arg(long, value_name = "N", default_value_t = 10)]
        limit: usize,
    },
    /// The text to show an agent through a door or window, large and plain.
    Card {
        id: String,
        #[command(flatten)]
        lang: LangArg,
    },
    /// Hotlines, optionally for a region such as US-IL.
    Hotlines {
        #[arg(long, value_name = "R")]
        region: Option<String>,
    },
    /// Install a signed content pack.
    Install { file: PathBuf },
    /// The installed packs.
    Packs,
    /// The categories of cards.
    Categories {
        #[command(flatten)]
        lang: LangArg,
    },
    /// The languages the installed content is available in.
    Languages,
}

#[derive(Subcommand)]
enum KeysCmd {
    /// Generate an Ed25519 signing key; prints its public key.
    Generate {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Print the public key of a key file.
    Public { file: PathBuf },
}

#[derive(Subcommand)]
enum PublishersCmd {
    /// Trust a publisher's public key (ed25519:...).
    Add {
        pubkey: String,
        #[arg(long)]
        name: String,
    },
    /// The trusted publishers.
    List,
    /// Stop trusting a publisher's key.
    Remove { pubkey: String },
}

#[derive(Subcommand)]
enum PackCmd {
    /// Build and sign a pack from a content directory.
    Build {
        content_dir: PathBuf,
        #[arg(long, value_name = "KEYFILE")]
        key: PathBuf,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Override the version in pack.toml.
        #[arg(long, value_name = "N")]
        version: Option<u64>,
    },
    /// Check a pack file's signature and content.
    Verify { file: PathBuf },
}

fn main() -> ExitCode {
    // A panic message could carry user content; say only that something went wrong.
    std::panic::set_hook(Box::new(|_| {
        eprintln!("silbato: internal error (this is a bug; nothing you typed was shown)");
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let out = Out::new(cli.json);
    let ctx = commands::Ctx {
        out,
        data_dir: cli.data_dir,
    };
    match run(&ctx, cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            if ctx.out.json {
                let body = serde_json::json!({ "error": message });
                eprintln!("{body}");
            } else {
                eprintln!("silbato: {message}");
            }
            ExitCode::from(1)
        }
    }
}

fn run(ctx: &commands::Ctx, command: Command) -> Result<(), String> {
    use commands::{organizer, rights};
    match command {
        Command::Rights(cmd) => match cmd {
            RightsCmd::List { lang, category } => rights::list(ctx, lang.lang, category),
            RightsCmd::Show { id, lang } => rights::show(ctx, &id, lang.lang),
            RightsCmd::Search { query, lang, limit } => {
                rights::search(ctx, &query.join(" "), lang, limit)
            }
            RightsCmd::Card { id, lang } => rights::agent_card(ctx, &id, lang.lang),
            RightsCmd::Hotlines { region } => rights::hotlines(ctx, region),
            RightsCmd::Install { file } => rights::install(ctx, &file),
            RightsCmd::Packs => rights::packs(ctx),
            RightsCmd::Categories { lang } => rights::categories(ctx, lang.lang),
            RightsCmd::Languages => rights::languages(ctx),
        },
        Command::Keys(cmd) => match cmd {
            KeysCmd::Generate { out } => organizer::keys_generate(ctx, &out),
            KeysCmd::Public { file } => organizer::keys_public(ctx, &file),
        },
        Command::Publishers(cmd) => match cmd {
            PublishersCmd::Add { pubkey, name } => organizer::publishers_add(ctx, &pubkey, &name),
            PublishersCmd::List => organizer::publishers_list(ctx),
            PublishersCmd::Remove { pubkey } => organizer::publishers_remove(ctx, &pubkey),
        },
        Command::Pack(cmd) => match cmd {
            PackCmd::Build {
                content_dir,
                key,
                out,
                version,
            } => organizer::pack_build(ctx, &content_dir, &key, &out, version),
            PackCmd::Verify { file } => organizer::pack_verify(ctx, &file),
        },
    }
}
