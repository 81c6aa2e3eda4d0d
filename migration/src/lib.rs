//! Schema migrations, one file per change, each with `up` and `down`; run on
//! PostgreSQL and SQLite alike.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_initial;
mod m20261123_000002_back_office;
mod m20261123_000003_dialer;
mod m20261123_000004_inbound;
mod m20261123_000005_retention;
mod m20261123_000006_stats;
mod m20261123_000007_search;
mod m20261123_000008_dialer_screens;
mod m20261123_000009_queue_indexes;
mod m20261130_000010_email_normalised;
mod m20261130_000011_purge_steps;
mod m20261130_000012_signin_attempts;
mod m20261130_000014_delivery_states;
mod m20261130_000015_open_data;
mod m20261130_000016_national_register;
mod m20261130_000017_text_blocks;
mod m20261130_000018_search_tasks;
mod m20261201_000019_wash_jobs;
mod m20261201_000020_queue_page_index;
mod m20261208_000021_one_national_import;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_initial::Migration),
            Box::new(m20261123_000002_back_office::Migration),
            Box::new(m20261123_000003_dialer::Migration),
            Box::new(m20261123_000004_inbound::Migration),
            Box::new(m20261123_000005_retention::Migration),
            Box::new(m20261123_000006_stats::Migration),
            Box::new(m20261123_000007_search::Migration),
            Box::new(m20261123_000008_dialer_screens::Migration),
            Box::new(m20261123_000009_queue_indexes::Migration),
            Box::new(m20261130_000010_email_normalised::Migration),
            Box::new(m20261130_000011_purge_steps::Migration),
            Box::new(m20261130_000012_signin_attempts::Migration),
            Box::new(m20261130_000014_delivery_states::Migration),
            Box::new(m20261130_000015_open_data::Migration),
            Box::new(m20261130_000016_national_register::Migration),
            Box::new(m20261130_000017_text_blocks::Migration),
            Box::new(m20261130_000018_search_tasks::Migration),
            Box::new(m20261201_000019_wash_jobs::Migration),
            Box::new(m20261201_000020_queue_page_index::Migration),
            Box::new(m20261208_000021_one_national_import::Migration),
        ]
    }
}
