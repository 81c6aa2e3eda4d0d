//! The `innsyn` command line.

use std::net::SocketAddr;
use std::process::ExitCode;

use chrono::Utc;
use clap::{Parser, Subcommand};
use innsyn::config::Config;
use innsyn::domain::{dialer::api_tokens, email::EmailAddress, staff::users};
use migration::{Migrator, MigratorTrait};

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
    /// Fill the database with a believable demo centre.
    SeedDemo,
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
    /// Wash N numbers against N reservations through HTTP on loopback, and
    /// compare with `sort` + `comm` on the same files.
    Wash {
        #[arg(long, default_value_t = 1_000_000)]
        numbers: usize,
        #[arg(long, default_value_t = 1_000_000)]
        reservations: usize,
    },
    /// 12 months of daily figures for 200 campaigns: query and export times.
    Stats {
        #[arg(long, default_value_t = 200)]
        campaigns: usize,
        #[arg(long, default_value_t = 365)]
        days: usize,
    },
    /// Server time of the SLA queue page with many open cases (a temporary
    /// SQLite database, or DATABASE_URL when it is set to PostgreSQL).
    Queue {
        #[arg(long, default_value_t = 100_000)]
        cases: usize,
        #[arg(long, default_value_t = 50)]
        rounds: usize,
    },
}

fn init_tracing(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into());
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
    init_tracing(config.log_json);
    match run(cli, config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("innsyn: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The database, its schema checked (or migrated, on SQLite).
async fn ready_db(config: &Config) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let db = innsyn::app::connect(config).await?;
    innsyn::app::ensure_schema(&db, config).await?;
    Ok(db)
}

/// What the jobs and commands that act like the server need.
async fn ready_state(config: Config) -> anyhow::Result<innsyn::state::AppState> {
    let db = ready_db(&config).await?;
    innsyn::state::AppState::new(db, config, std::sync::Arc::new(innsyn::clock::SystemClock))
}

async fn run(cli: Cli, config: Config) -> anyhow::Result<()> {
    let command = cli.command.unwrap_or(Command::Serve {
        bind: "127.0.0.1:3000".parse()?,
        no_jobs: false,
    });
    match command {
        Command::Serve { bind, no_jobs } => innsyn::app::serve(config, bind, !no_jobs).await,
        Command::Migrate => {
            let db = innsyn::app::connect(&config).await?;
            Migrator::up(&db, None).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::IngestMail => {
            use std::io::Read;
            let db = ready_db(&config).await?;
            let mut raw = Vec::new();
            std::io::stdin()
                .take(innsyn::domain::inbound::mail::MAX_MAIL_BYTES as u64 + 1)
                .read_to_end(&mut raw)?;
            use innsyn::domain::inbound::mail::{MailError, ingest};
            match ingest(&db, &config.case_reference_prefix, &raw, Utc::now()).await {
                Ok(o) => {
                    println!("{}", innsyn::routes::mail_outcome_json(&o));
                    Ok(())
                }
                Err(MailError::Db(e)) => {
                    eprintln!("innsyn: database error, try again later: {e}");
                    std::process::exit(75)
                }
                Err(e) => {
                    eprintln!("innsyn: message refused: {e}");
                    std::process::exit(65)
                }
            }
        }
        Command::Retention {
            what: RetentionCommand::Run { dry_run, as_of },
        } => {
            use innsyn::domain::privacy::retention;
            let db = ready_db(&config).await?;
            let now = Utc::now();
            let today = innsyn::domain::time::oslo_today(now);
            let as_of = as_of.unwrap_or(today);
            if !dry_run && as_of > today {
                anyhow::bail!("--as-of in the future is only for --dry-run: nothing was deleted");
            }
            let (counts, failures) = if dry_run {
                let p = retention::policy(&db).await?;
                let days = config.abandoned_agent_required_days;
                (
                    retention::preview(&db, &p, as_of, days).await?,
                    Default::default(),
                )
            } else {
                let twilio = innsyn::sms::Twilio::new(&config)?;
                let opts = retention::RunOptions::of(&config);
                let r = retention::run(&db, &twilio, as_of, now, opts).await?;
                (r.counts, r.failures)
            };
            println!(
                "{} as of {as_of}:",
                if dry_run { "would delete" } else { "deleted" }
            );
            for (kind, c) in &counts {
                match c.oldest {
                    Some(d) if dry_run => println!("  {kind:16} {:>8}  oldest {d}", c.count),
                    _ => println!("  {kind:16} {:>8}", c.count),
                }
            }
            if !failures.is_empty() {
                for (kind, why) in &failures {
                    eprintln!("  {kind}: not finished: {why}");
                }
                anyhow::bail!("some kinds were not purged; the next run retries them");
            }
            Ok(())
        }
        Command::Reindex => {
            if config.meili.is_none() {
                println!(
                    "MEILI_URL is not set: search runs on the database, there is no index to rebuild"
                );
                return Ok(());
            }
            let state = ready_state(config).await?;
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg} [{bar:40}] {pos}/{len} ({eta} left)",
                )?
                .progress_chars("=> "),
            );
            bar.set_message("cases");
            let (cases, clients) = innsyn::jobs::search_index::reindex(&state, |done, total| {
                bar.set_length(total);
                bar.set_position(done);
            })
            .await?;
            bar.finish_and_clear();
            println!("reindexed {cases} case(s) and {clients} public client(s); settings applied");
            Ok(())
        }
        Command::Worker => {
            let state = ready_state(config).await?;
            let jobs = innsyn::jobs::spawn_all(state);
            println!("innsyn worker running; Ctrl-C stops it");
            tokio::signal::ctrl_c().await?;
            jobs.shutdown().await;
            Ok(())
        }
        Command::Bench { what } => match what {
            BenchCommand::Queue { cases, rounds } => {
                innsyn::bench::queue::run(config, cases, rounds.max(1)).await
            }
            BenchCommand::Stats { campaigns, days } => {
                innsyn::bench::stats::run(config, campaigns, days).await
            }
            BenchCommand::Wash {
                numbers,
                reservations,
            } => innsyn::bench::wash::run(numbers, reservations).await,
        },
        Command::SeedDemo => {
            let db = ready_db(&config).await?;
            let created = innsyn::seed::seed_demo(&db, Utc::now()).await?;
            println!(
                "{}",
                if created {
                    "demo data created"
                } else {
                    "demo data already present"
                }
            );
            Ok(())
        }
        Command::CreateUser {
            email,
            role,
            password,
        } => {
            let db = ready_db(&config).await?;
            let email = EmailAddress::parse(&email)
                .map_err(|_| anyhow::anyhow!("--email: not an e-mail address"))?;
            let role = users::parse_role(&role)
                .ok_or_else(|| anyhow::anyhow!("--role: admin, manager or handler"))?;
            let (u, pw) =
                users::create_user(&db, &email, role, password.as_deref(), Utc::now()).await?;
            match pw {
                Some(pw) => println!("created {} ({role:?}); one-time password: {pw}", u.email),
                None => println!("created {} ({role:?})", u.email),
            }
            Ok(())
        }
        Command::CreateToken { name } => {
            if name.trim().is_empty() {
                anyhow::bail!("--name: give the token a name, e.g. dialer-prod");
            }
            let db = ready_db(&config).await?;
            let (row, token) = api_tokens::create(&db, &name, Utc::now()).await?;
            println!(
                "created API token {} ({}); it is shown only now:",
                row.id, row.name
            );
            println!("{token}");
            Ok(())
        }
        Command::RevokeToken { id } => {
            let db = ready_db(&config).await?;
            if api_tokens::revoke(&db, id, Utc::now()).await? {
                println!("revoked API token {id}");
                Ok(())
            } else {
                anyhow::bail!("no live API token with id {id}")
            }
        }
        Command::ImportClientRegister { client } => {
            let db = ready_db(&config).await?;
            let stdin = std::io::stdin().lock();
            let r = innsyn::domain::dialer::registers::import_client_register(
                &db,
                client,
                stdin,
                Utc::now(),
            )
            .await?;
            println!(
                "client {client}: {} added, {} already present, {} invalid line(s)",
                r.added,
                r.already_present,
                r.invalid_lines.len()
            );
            if !r.invalid_lines.is_empty() {
                let shown: Vec<String> = r
                    .invalid_lines
                    .iter()
                    .take(20)
                    .map(u64::to_string)
                    .collect();
                println!(
                    "invalid lines: {}{}",
                    shown.join(", "),
                    if r.invalid_lines.len() > 20 {
                        ", ..."
                    } else {
                        ""
                    }
                );
            }
            Ok(())
        }
    }
}
