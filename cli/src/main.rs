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
    /// The patroller's encrypted, tamper-evident sighting log.
    #[command(subcommand)]
    Vault(Box<VaultCmd>),
    /// Check a plate against the installed watch-lists of known enforcement vehicles.
    #[command(subcommand)]
    Plates(PlatesCmd),
    /// Signed plate watch-lists: install (devices) and build (organizers).
    #[command(subcommand)]
    Watchlist(WatchlistCmd),
    /// Rapid-response network profiles: install (devices), create and sign (organizers).
    #[command(subcommand)]
    Network(NetworkCmd),
    /// Places you care about (home, school, work). They never leave this device.
    #[command(subcommand)]
    Places(PlacesCmd),
    /// Region codes to follow (the only location a hub may learn).
    Regions {
        #[arg(long, value_name = "CODE")]
        follow: Option<String>,
        #[arg(long, value_name = "CODE")]
        unfollow: Option<String>,
    },
    /// The verified alert inbox.
    #[command(subcommand)]
    Alerts(AlertsCmd),
    /// Dispatchers: write and sign alerts.
    #[command(subcommand)]
    Alert(AlertCmd),
    /// Push payloads: ingest (devices), seal (hubs, tests).
    #[command(subcommand)]
    Push(PushCmd),
    /// Start a hub on 127.0.0.1 and walk the three journeys, narrated.
    Demo,
    /// Sync with the hub: profile, packs, watch-list, alerts, and the outbox of reports.
    Sync {
        /// Default: the hub of every confirmed network.
        #[arg(long, value_name = "URL")]
        hub: Option<String>,
    },
    /// Sealed reports waiting to reach the hub.
    #[command(subcommand)]
    Outbox(OutboxCmd),
    /// Dispatchers: fetch and open sealed reports.
    #[command(subcommand)]
    Dispatch(DispatchCmd),
}

#[derive(Subcommand)]
enum NetworkCmd {
    /// Install or update a signed profile from a file or from a QR code's text.
    Install {
        #[arg(required_unless_present = "qr")]
        file: Option<PathBuf>,
        #[arg(long, value_name = "TEXT", conflicts_with = "file")]
        qr: Option<String>,
        /// The fingerprint your organizer gave you; confirms the network at once.
        #[arg(long, value_name = "FINGERPRINT")]
        fingerprint: Option<String>,
    },
    /// Confirm a network after comparing its fingerprint with your organizer's.
    Confirm {
        id: String,
        fingerprint: String,
    },
    List,
    Show {
        id: String,
    },
    /// Print the QR text of a signed profile (one QR code holds 2,953 bytes; share a longer
    /// profile as the file).
    Qr {
        file: PathBuf,
    },
    /// Remove a network from this device, with its alerts and queued reports.
    Remove {
        id: String,
    },
    /// Write an unsigned profile (organizers).
    Create(Box<commands::inbox::NetworkCreateArgs>),
    /// Sign a profile with a root key (again with another key to add a signature).
    Sign {
        file: PathBuf,
        #[arg(long, value_name = "ROOTKEY")]
        key: PathBuf,
        /// Default: replace FILE.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum PlacesCmd {
    Add {
        #[arg(long)]
        label: String,
        #[arg(long, allow_hyphen_values = true)]
        lat: f64,
        #[arg(long, allow_hyphen_values = true)]
        lon: f64,
        /// Metres.
        #[arg(long, default_value_t = 500.0)]
        radius: f64,
    },
    List,
    Remove {
        id: String,
    },
}

#[derive(Subcommand)]
enum AlertsCmd {
    /// Alerts in force, most relevant first; --all for the history.
    List {
        #[arg(long)]
        all: bool,
        #[arg(long, value_name = "L")]
        lang: Option<String>,
    },
    Show {
        id: String,
        /// The alert's network, when several networks have an alert with this id.
        #[arg(long, value_name = "ID")]
        network: Option<String>,
        #[arg(long, value_name = "L")]
        lang: Option<String>,
    },
    /// Mark an alert read.
    Read {
        id: String,
        /// The alert's network, when several networks have an alert with this id.
        #[arg(long, value_name = "ID")]
        network: Option<String>,
    },
    /// Verify and store a signed alert file.
    Ingest { file: PathBuf },
}

#[derive(Subcommand)]
enum AlertCmd {
    /// Write an alert and sign it (--sign twice for the two-person rule).
    New(Box<commands::inbox::AlertNewArgs>),
    /// Add a second dispatcher's signature to an alert file, and say whether the network's
    /// policy is now met.
    Sign {
        file: PathBuf,
        #[arg(long, value_name = "KEYFILE")]
        key: PathBuf,
        /// The network's profile; default: the network installed on this device.
        #[arg(long, value_name = "FILE")]
        profile: Option<PathBuf>,
    },
    /// Print an alert as CAP 1.2 XML.
    ToCap {
        file: PathBuf,
        /// CAP `sender`; default: the network id.
        #[arg(long)]
        sender: Option<String>,
    },
    /// Read CAP 1.2 XML into an unsigned alert (then `alert sign`).
    FromCap {
        file: PathBuf,
        #[arg(long, value_name = "ID")]
        network: String,
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Send a signed alert to the hub (it checks the network's policy too).
    Publish {
        file: PathBuf,
        #[arg(long, value_name = "URL")]
        hub: String,
    },
}

#[derive(Subcommand)]
enum OutboxCmd {
    List,
}

#[derive(Subcommand)]
enum DispatchCmd {
    /// Fetch the sealed reports from the hub and open those addressed to your key.
    Reports {
        #[arg(long, value_name = "URL")]
        hub: String,
        /// Your dispatcher key file (`keys generate-dispatcher`).
        #[arg(long, value_name = "KEYFILE")]
        key: PathBuf,
        #[arg(long, value_name = "CURSOR", default_value = "0")]
        after: String,
    },
}

#[derive(Subcommand)]
enum PushCmd {
    /// Hand a push payload to the inbox; prints what to show.
    Ingest {
        file: PathBuf,
        #[arg(long, value_name = "L")]
        lang: Option<String>,
    },
    /// Seal a signed alert to a device's push key.
    Seal {
        alert_file: PathBuf,
        #[arg(long, value_name = "DEVICE_PUBKEY")]
        to: String,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Write a content-free wake-up payload.
    Wake {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Register this device's push endpoint with the hub, for region codes (never a place).
    Subscribe {
        #[arg(long, value_name = "URL")]
        endpoint: String,
        /// Region codes; default: the followed regions.
        #[arg(long, value_name = "R")]
        region: Vec<String>,
        #[arg(long, default_value = "webpush", value_parser = ["webpush", "unifiedpush", "fcm", "apns"])]
        provider: String,
        #[arg(long, value_name = "URL")]
        hub: Option<String>,
    },
    /// Delete this device's push subscription at every hub it was registered with (or only
    /// --hub), signed by the device's subscription key.
    Unsubscribe {
        #[arg(long, value_name = "URL")]
        hub: Option<String>,
    },
    /// This device's push public key (what a hub subscription carries).
    Key,
    /// Show alert headlines in notifications (off by default).
    Headlines {
        #[arg(value_parser = ["on", "off"])]
        state: String,
    },
}

#[derive(Subcommand)]
enum VaultCmd {
    /// Create the vault and choose its passphrase.
    Init {
        #[command(flatten)]
        pass: commands::vault::PassArgs,
        #[command(flatten)]
        kdf: commands::vault::KdfArgs,
    },
    /// Record a sighting. At least --activity and --agency.
    Log {
        #[command(flatten)]
        fields: commands::vault::SightingArgs,
        #[command(flatten)]
        pass: commands::vault::PassArgs,
    },
    /// The records, newest first.
    List {
        #[command(flatten)]
        pass: commands::vault::PassArgs,
    },
    /// One record and its amendments.
    Show {
        id: String,
        #[command(flatten)]
        pass: commands::vault::PassArgs,
    },
    /// Correct a record: an amendment entry; the original stays in the log.
    Amend {
        id: String,
        #[command(flatten)]
        fields: commands::vault::SightingArgs,
        /// Why it was corrected.
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        pass: commands::vault::PassArgs,
    },
    /// Write a verifiable bundle of the log: sealed to a recipient, or in clear.
    Export {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The recipient's public key (x25519:...); see `keys generate-recipient`.
        #[arg(long, value_name = "PUBKEY")]
        to: Option<String>,
        /// Write it readable by anyone who gets the file.
        #[arg(long)]
        clear: bool,
        #[command(flatten)]
        pass: commands::vault::PassArgs,
    },
    /// Check an export: names any entry changed, dropped or reordered. No vault needed.
    VerifyExport {
        file: PathBuf,
        /// The recipient's key file, for a sealed export.
        #[arg(long, value_name = "KEYFILE")]
        key: Option<PathBuf>,
    },
    /// Check this device's own chain.
    Verify {
        #[command(flatten)]
        pass: commands::vault::PassArgs,
    },
    /// Change the passphrase (the records are not re-encrypted; only the key is rewrapped).
    Passphrase {
        #[command(flatten)]
        pass: commands::vault::PassArgs,
        #[command(flatten)]
        kdf: commands::vault::KdfArgs,
    },
    /// Securely delete entries older than a number of days (the purge is recorded in the chain).
    Purge {
        #[arg(long, value_name = "DAYS")]
        older_than: u32,
        #[command(flatten)]
        pass: commands::vault::PassArgs,
    },
    /// Keep entries for a number of days, then purge them securely on each unlock.
    Retention {
        /// Days to keep; omit with --off to keep everything.
        #[arg(long, value_name = "DAYS", conflicts_with = "off")]
        days: Option<u32>,
        #[arg(long)]
        off: bool,
        #[command(flatten)]
        pass: commands::vault::PassArgs,
    },
    /// Report a record to the network: sealed at once to its dispatchers, sent by the next sync.
    Report {
        id: String,
        /// Which network (needed when several are installed).
        #[arg(long, value_name = "ID")]
        network: Option<String>,
        #[command(flatten)]
        pass: commands::vault::PassArgs,
    },
    /// Panic wipe: destroy the keys, the log and photos, saved places, followed regions, networks,
    /// alerts and the outbox. Know-your-rights cards keep working.
    Wipe {
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Subcommand)]
enum PlatesCmd {
    /// Check a plate (partial welcome; `?` for an unknown character).
    Check {
        plate: String,
        /// Only entries of this state, e.g. IL.
        #[arg(long, value_name = "ST")]
        state: Option<String>,
    },
}

#[derive(Subcommand)]
enum WatchlistCmd {
    /// Install a signed watch-list from a trusted publisher.
    Install {
        file: PathBuf,
        /// Let a list with no vehicles replace one that has some (it must also be built so).
        #[arg(long)]
        allow_empty: bool,
    },
    /// The installed watch-lists.
    List,
    /// Build and sign a watch-list from a CSV: plate,state,description,last_seen.
    Build {
        csv: PathBuf,
        #[arg(long, value_name = "KEYFILE")]
        key: PathBuf,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[arg(long, value_name = "ID", default_value = "plates")]
        list_id: String,
        #[arg(long, value_name = "ID", default_value = "network")]
        publisher: String,
        /// Default: the current time in seconds, so each build is newer than the last.
        #[arg(long, value_name = "N")]
        version: Option<u64>,
        /// Publish a list with no vehicles on purpose (signed into the list, so devices can tell).
        #[arg(long)]
        allow_empty: bool,
    },
}

#[derive(Args)]
struct LangArg {
    /// Language (en, es, es-MX, ...; a list like `es,en` too). Default: from LANGUAGE, LC_ALL,
    /// LC_MESSAGES or LANG, else English; a regional variant falls back to its language.
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
    /// Search the cards in your language (accents optional, word beginnings match); when nothing
    /// matches there, every language.
    Search {
        #[arg(required = true, num_args = 1..)]
        query: Vec<String>,
        /// Language (as for `rights list`; cards not translated into it are searched in English).
        #[arg(long, value_name = "L")]
        lang: Option<String>,
        #[arg(long, value_name = "N", default_value_t = 10)]
        limit: usize,
        /// Only cards in this category.
        #[arg(long, value_name = "C")]
        category: Option<String>,
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
        #[command(flatten)]
        lang: LangArg,
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
    /// Generate a dispatcher's keys (signing, and X25519 to open reports); prints both public keys.
    GenerateDispatcher {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Generate an X25519 key to receive sealed vault exports; prints its public key.
    GenerateRecipient {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
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
    /// Let a key replace one pack (even the bundled one), after comparing its fingerprint.
    Trust {
        /// The key (ed25519:...), or a file: a public key, or a pack it signed.
        key: String,
        #[arg(long, value_name = "ID")]
        for_pack: String,
        /// The key's fingerprint, as the publisher gave it to you.
        #[arg(long, value_name = "FP")]
        fingerprint: String,
    },
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
    // A `--hub` no client would take is a usage error, like clap's own (exit code 2).
    if let Command::Sync { hub: Some(hub) } = &cli.command
        && let Err(message) = commands::sync::check_hub_arg(hub)
    {
        use clap::CommandFactory;
        let _ = Cli::command()
            .error(clap::error::ErrorKind::ValueValidation, message)
            .print();
        return ExitCode::from(2);
    }
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
    use commands::{inbox, organizer, rights, sync, vault};
    match command {
        Command::Rights(cmd) => match cmd {
            RightsCmd::List { lang, category } => rights::list(ctx, lang.lang, category),
            RightsCmd::Show { id, lang } => rights::show(ctx, &id, lang.lang),
            RightsCmd::Search {
                query,
                lang,
                limit,
                category,
            } => rights::search(ctx, &query.join(" "), lang, limit, category.as_deref()),
            RightsCmd::Card { id, lang } => rights::agent_card(ctx, &id, lang.lang),
            RightsCmd::Hotlines { region, lang } => rights::hotlines(ctx, region, lang.lang),
            RightsCmd::Install { file } => rights::install(ctx, &file),
            RightsCmd::Packs => rights::packs(ctx),
            RightsCmd::Categories { lang } => rights::categories(ctx, lang.lang),
            RightsCmd::Languages => rights::languages(ctx),
        },
        Command::Keys(cmd) => match cmd {
            KeysCmd::Generate { out } => organizer::keys_generate(ctx, &out),
            KeysCmd::Public { file } => organizer::keys_public(ctx, &file),
            KeysCmd::GenerateRecipient { out } => vault::keys_generate_recipient(ctx, &out),
            KeysCmd::GenerateDispatcher { out } => sync::keys_generate_dispatcher(ctx, &out),
        },
        Command::Publishers(cmd) => match cmd {
            PublishersCmd::Add { pubkey, name } => organizer::publishers_add(ctx, &pubkey, &name),
            PublishersCmd::List => organizer::publishers_list(ctx),
            PublishersCmd::Remove { pubkey } => organizer::publishers_remove(ctx, &pubkey),
            PublishersCmd::Trust {
                key,
                for_pack,
                fingerprint,
            } => rights::publishers_trust(ctx, &key, &for_pack, &fingerprint),
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
        Command::Vault(cmd) => match *cmd {
            VaultCmd::Init { pass, kdf } => vault::init(ctx, &pass, &kdf),
            VaultCmd::Log { fields, pass } => vault::log(ctx, &fields, &pass),
            VaultCmd::List { pass } => vault::list(ctx, &pass),
            VaultCmd::Show { id, pass } => vault::show(ctx, &id, &pass),
            VaultCmd::Amend {
                id,
                fields,
                reason,
                pass,
            } => vault::amend(ctx, &id, &fields, reason, &pass),
            VaultCmd::Export {
                out,
                to,
                clear,
                pass,
            } => vault::export(ctx, &out, to.as_deref(), clear, &pass),
            VaultCmd::VerifyExport { file, key } => {
                vault::verify_export_cmd(ctx, &file, key.as_deref())
            }
            VaultCmd::Verify { pass } => vault::verify_chain(ctx, &pass),
            VaultCmd::Passphrase { pass, kdf } => vault::change_passphrase(ctx, &pass, &kdf),
            VaultCmd::Purge { older_than, pass } => vault::purge(ctx, older_than, &pass),
            VaultCmd::Retention { days, off, pass } => vault::retention(ctx, days, off, &pass),
            VaultCmd::Report { id, network, pass } => {
                sync::vault_report(ctx, &id, network.as_deref(), &pass)
            }
            VaultCmd::Wipe { yes } => vault::wipe(ctx, yes),
        },
        Command::Plates(PlatesCmd::Check { plate, state }) => {
            vault::plates_check(ctx, &plate, state.as_deref())
        }
        Command::Watchlist(cmd) => match cmd {
            WatchlistCmd::Install { file, allow_empty } => {
                vault::watchlist_install(ctx, &file, allow_empty)
            }
            WatchlistCmd::List => vault::watchlist_list(ctx),
            WatchlistCmd::Build {
                csv,
                key,
                out,
                list_id,
                publisher,
                version,
                allow_empty,
            } => vault::watchlist_build(
                ctx,
                &vault::BuildArgs {
                    csv: &csv,
                    key: &key,
                    out: &out,
                    list_id: &list_id,
                    publisher: &publisher,
                    version,
                    allow_empty,
                },
            ),
        },
        Command::Network(cmd) => match cmd {
            NetworkCmd::Install {
                file,
                qr,
                fingerprint,
            } => {
                inbox::network_install(ctx, file.as_deref(), qr.as_deref(), fingerprint.as_deref())
            }
            NetworkCmd::Confirm { id, fingerprint } => {
                inbox::network_confirm(ctx, &id, &fingerprint)
            }
            NetworkCmd::List => inbox::network_list(ctx),
            NetworkCmd::Show { id } => inbox::network_show(ctx, &id),
            NetworkCmd::Qr { file } => inbox::network_qr(ctx, &file),
            NetworkCmd::Remove { id } => inbox::network_remove(ctx, &id),
            NetworkCmd::Create(args) => inbox::network_create(ctx, &args),
            NetworkCmd::Sign { file, key, out } => {
                inbox::network_sign(ctx, &file, &key, out.as_deref())
            }
        },
        Command::Places(cmd) => match cmd {
            PlacesCmd::Add {
                label,
                lat,
                lon,
                radius,
            } => inbox::places_add(ctx, &label, lat, lon, radius),
            PlacesCmd::List => inbox::places_list(ctx),
            PlacesCmd::Remove { id } => inbox::places_remove(ctx, &id),
        },
        Command::Regions { follow, unfollow } => {
            inbox::regions(ctx, follow.as_deref(), unfollow.as_deref())
        }
        Command::Alerts(cmd) => match cmd {
            AlertsCmd::List { all, lang } => inbox::alerts_list(ctx, all, lang),
            AlertsCmd::Show { id, network, lang } => {
                inbox::alerts_show(ctx, &id, network.as_deref(), lang)
            }
            AlertsCmd::Read { id, network } => inbox::alerts_read(ctx, &id, network.as_deref()),
            AlertsCmd::Ingest { file } => inbox::alerts_ingest(ctx, &file),
        },
        Command::Alert(cmd) => match cmd {
            AlertCmd::New(args) => inbox::alert_new(ctx, &args),
            AlertCmd::Sign { file, key, profile } => {
                inbox::alert_sign(ctx, &file, &key, profile.as_deref())
            }
            AlertCmd::Publish { file, hub } => sync::alert_publish(ctx, &file, &hub),
            AlertCmd::ToCap { file, sender } => inbox::alert_to_cap(ctx, &file, sender.as_deref()),
            AlertCmd::FromCap { file, network, out } => {
                inbox::alert_from_cap(ctx, &file, &network, out.as_deref())
            }
        },
        Command::Demo => commands::demo::demo(ctx),
        Command::Sync { hub } => sync::sync_cmd(ctx, hub.as_deref()),
        Command::Outbox(OutboxCmd::List) => sync::outbox_list(ctx),
        Command::Dispatch(DispatchCmd::Reports { hub, key, after }) => {
            sync::dispatch_reports(ctx, &hub, &key, &after)
        }
        Command::Push(cmd) => match cmd {
            PushCmd::Ingest { file, lang } => inbox::push_ingest(ctx, &file, lang),
            PushCmd::Seal {
                alert_file,
                to,
                out,
            } => inbox::push_seal(ctx, &alert_file, &to, &out),
            PushCmd::Wake { out } => inbox::push_wake(ctx, &out),
            PushCmd::Subscribe {
                endpoint,
                region,
                provider,
                hub,
            } => sync::push_subscribe(ctx, &endpoint, &region, &provider, hub.as_deref()),
            PushCmd::Unsubscribe { hub } => inbox::push_unsubscribe(ctx, hub.as_deref()),
            PushCmd::Key => inbox::push_key(ctx),
            PushCmd::Headlines { state } => inbox::push_headlines(ctx, state == "on"),
        },
    }
}
