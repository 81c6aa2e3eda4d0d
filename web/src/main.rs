//! The `innsyn` command line: the commands and their flags, each command
//! carried out by its module in `commands/`.

mod commands;

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use innsyn::config::Config;

#[derive(Parser)]
#[command(
    name = "innsyn",
    version,
    about = "Transparency portal and inbound desk for a call centre"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (the default).
    Serve {
        #[arg(long, default_value = "127.0.0.1:3000")]
        bind: SocketAddr,
        /// Do not run scheduled jobs in this process (run `innsyn worker` instead).
        #[arg(long)]
        no_jobs: bool,
    },
    /// Apply pending database migrations (the deploy step on PostgreSQL).
    Migrate,
    /// File one raw RFC 822 message read from standard input (an MTA pipe:
    /// Postfix `pipe`, procmail). Exit 0 filed or ignored, 65 refused, 75 try later.
    IngestMail,
    /// The retention purge (also run daily by `serve` and `worker`).
    Retention {
        #[command(subcommand)]
        what: RetentionCommand,
    },
    /// Run the scheduled jobs (mail, SLA alerts, search index, clean-up) without serving pages.
    Worker,
    /// Rebuild the Meilisearch indexes (cases, clients) from the database and
    /// apply their settings. Safe to rerun; without MEILI_URL there is nothing to do.
    Reindex,
    /// Print performance figures (run them from a release build).
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
    /// Fill the database with a believable demo centre: clients, campaigns,
    /// numbers, 60 days of dialer figures and cases in every state.
    SeedDemo {
        /// Only the centre, clients, campaigns and numbers: no figures, no
        /// cases (the browser journeys start from an empty queue).
        #[arg(long)]
        minimal: bool,
    },
    /// Create a staff user; prints a one-time password when none is given.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = ["admin", "manager", "handler"])]
        role: String,
        /// At least 12 characters. Prefer leaving it out: a one-time password is printed.
        #[arg(long, env = "INNSYN_NEW_USER_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Create a dialer API token; prints it once (only its hash is stored).
    CreateToken {
        #[arg(long)]
        name: String,
    },
    /// Revoke a dialer API token by its id.
    RevokeToken {
        #[arg(long)]
        id: i32,
    },
    /// Import a client's own reservation register from CSV on standard input
    /// (one number per line, or a header with a `number` column).
    ImportClientRegister {
        #[arg(long)]
        client: i32,
    },
    /// Import a whole copy of the national reservation register
    /// (Reservasjonsregisteret): one number per line, or CSV with a `number`
    /// column. Replaces the copy in use atomically.
    ImportNationalRegister {
        /// The date Brønnøysundregistrene extracted the copy (YYYY-MM-DD).
        #[arg(long, value_parser = parse_date)]
        extract_date: chrono::NaiveDate,
        /// The file; standard input without it.
        #[arg(long)]
        file: Option<std::path::PathBuf>,
    },
    /// Check a wash receipt's signature (exit 0 valid, 1 not).
    VerifyReceipt {
        /// The receipt (JSON) as downloaded from /admin/vask.
        file: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum RetentionCommand {
    /// Delete what the retention policy says is due.
    Run {
        /// Print, per kind, what would be deleted (count, oldest date); change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Apply the policy as on this date (YYYY-MM-DD) instead of today.
        #[arg(long, value_parser = parse_date)]
        as_of: Option<chrono::NaiveDate>,
    },
}

fn parse_date(s: &str) -> Result<chrono::NaiveDate, String> {
    innsyn::domain::time::parse_date(s).ok_or_else(|| "expected YYYY-MM-DD, years 1900-2200".into())
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Wash N numbers against N reservations with curl through the real
    /// server on loopback, and compare with `sort` + `comm` on the same
    /// files (a temporary SQLite database, or DATABASE_URL when it is set
    /// to PostgreSQL).
    Wash {
        #[arg(long, default_value_t = 1_000_000)]
        numbers: usize,
        #[arg(long, default_value_t = 1_000_000)]
        reservations: usize,
        /// Also import a national register copy of this many numbers
        /// (3000000 for the real size) and wash against all three registers.
        #[arg(long, default_value_t = 0)]
        national: usize,
        /// Warm washes with and without `Expect: 100-continue` (medians
        /// printed), and rounds of sort+comm.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
    },
    /// 12 months of daily figures for 200 campaigns: query and export times.
    Stats {
        #[arg(long, default_value_t = 200)]
        campaigns: usize,
        #[arg(long, default_value_t = 365)]
        days: usize,
        /// A fresh database of this kind instead (see `bench queue`).
        #[arg(long, value_enum)]
        backend: Option<innsyn::bench::Backend>,
    },
    /// Server time of a search in the SLA queue with many cases, each with a
    /// message (a temporary SQLite database, or DATABASE_URL when it is set
    /// to PostgreSQL); the database fallback, or Meilisearch when MEILI_URL
    /// is set (reindexed first).
    Search {
        #[arg(long, default_value_t = 100_000)]
        cases: usize,
        #[arg(long, default_value_t = 20)]
        rounds: usize,
    },
    /// Server time of the SLA queue page with many open cases (a temporary
    /// SQLite database, or DATABASE_URL when it is set to PostgreSQL).
    Queue {
        #[arg(long, default_value_t = 100_000)]
        cases: usize,
        #[arg(long, default_value_t = 50)]
        rounds: usize,
        /// A fresh database of this kind instead (PostgreSQL: created on
        /// DATABASE_URL's server, PG_ADMIN_URL or the local one, then dropped).
        #[arg(long, value_enum)]
        backend: Option<innsyn::bench::Backend>,
    },
    /// Complaints through the real form (GET /klage, then the POST with its
    /// CSRF cookie and field) from concurrent clients against the server on
    /// loopback, on a fresh database; then every receipt checked against the
    /// stored cases.
    Intake {
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        #[arg(long, default_value_t = 32)]
        clients: usize,
        #[arg(long, value_enum, default_value = "both")]
        backend: innsyn::bench::Backend,
    },
}

/// `quiet`: warnings only unless RUST_LOG says otherwise (the benches: a
/// log line per request would be part of what they measure).
fn init_tracing(json: bool, quiet: bool) {
    let default = if quiet {
        "warn"
    } else {
        "info,sqlx=warn,sea_orm=warn"
    };
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default.into());
    let b = tracing_subscriber::fmt().with_env_filter(filter);
    if json {
        b.json().init();
    } else {
        b.init();
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("innsyn: {e}");
            return ExitCode::from(2);
        }
    };
    init_tracing(
        config.log_json,
        matches!(cli.command, Some(Command::Bench { .. })),
    );
    match run(cli, config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("innsyn: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli, config: Config) -> anyhow::Result<()> {
    let command = cli.command.unwrap_or(Command::Serve {
        bind: "127.0.0.1:3000".parse()?,
        no_jobs: false,
    });
    match command {
        Command::Serve { bind, no_jobs } => innsyn::app::serve(config, bind, !no_jobs).await,
        Command::Migrate => commands::migrate::run(config).await,
        Command::IngestMail => commands::ingest_mail::run(config).await,
        Command::Retention {
            what: RetentionCommand::Run { dry_run, as_of },
        } => commands::retention::run(config, dry_run, as_of).await,
        Command::Reindex => commands::reindex::run(config).await,
        Command::Worker => commands::worker::run(config).await,
        Command::Bench { what } => match what {
            BenchCommand::Queue {
                cases,
                rounds,
                backend,
            } => innsyn::bench::queue::run(config, cases, rounds.max(1), backend).await,
            BenchCommand::Intake {
                seconds,
                clients,
                backend,
            } => innsyn::bench::intake::run(config, seconds, clients, backend).await,
            BenchCommand::Search { cases, rounds } => {
                innsyn::bench::search::run(config, cases, rounds.max(1)).await
            }
            BenchCommand::Stats {
                campaigns,
                days,
                backend,
            } => innsyn::bench::stats::run(config, campaigns, days, backend).await,
            BenchCommand::Wash {
                numbers,
                reservations,
                national,
                rounds,
            } => innsyn::bench::wash::run(config, numbers, reservations, national, rounds).await,
        },
        Command::SeedDemo { minimal } => commands::seed_demo::run(config, minimal).await,
        Command::CreateUser {
            email,
            role,
            password,
        } => commands::create_user::run(config, email, role, password).await,
        Command::CreateToken { name } => commands::tokens::create(config, name).await,
        Command::RevokeToken { id } => commands::tokens::revoke(config, id).await,
        Command::ImportClientRegister { client } => {
            commands::import_client_register::run(config, client).await
        }
        Command::ImportNationalRegister { extract_date, file } => {
            commands::import_national_register::run(config, extract_date, file).await
        }
        Command::VerifyReceipt { file } => commands::verify_receipt::run(config, file).await,
    }
}
