//! Sign-in hardening:
//! - `sessions.user_id`, so every session of a user can be ended at once
//!   (password reset, password change, deactivation). Sessions from before
//!   this change carry no owner and could not be ended that way, so they are
//!   removed: everyone signs in once more after the upgrade.
//! - `signin_keys`: the installation's secret for keyed hashes of typed
//!   sign-in addresses (made by the application at first use).
//! - `signin_known_addresses`: keyed hashes of (account, client address)
//!   pairs that have signed in, spared by the account-wide cap.
//! - The audit log stops keeping e-mail addresses typed into the sign-in
//!   form: existing failed and locked attempts lose the typed address (an
//!   attempt on a staff account keeps that account as its object), and the
//!   throttle rows keyed on typed addresses are dropped (they live 15 minutes).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sessions {
    Table,
    UserId,
}

#[derive(DeriveIden)]
enum SigninKeys {
    Table,
    Id,
    Secret,
}

#[derive(DeriveIden)]
enum SigninKnownAddresses {
    Table,
    PairHash,
    LastSignedInAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared("DELETE FROM sessions").await?;
        m.alter_table(
            Table::alter()
                .table(Sessions::Table)
                .add_column(integer_null(Sessions::UserId))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_sessions_user")
                .table(Sessions::Table)
                .col(Sessions::UserId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SigninKeys::Table)
                .col(integer(SigninKeys::Id).primary_key())
                .col(string_len(SigninKeys::Secret, 64))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SigninKnownAddresses::Table)
                .col(string_len(SigninKnownAddresses::PairHash, 64).primary_key())
                .col(timestamp_with_time_zone(
                    SigninKnownAddresses::LastSignedInAt,
                ))
                .to_owned(),
        )
        .await?;
        // The same statements on PostgreSQL and SQLite.
        db.execute_unprepared(
            "UPDATE audit_log SET object_type = 'user', \
               object_id = (SELECT CAST(users.id AS TEXT) FROM users \
                            WHERE users.email = LOWER(audit_log.actor_email)) \
             WHERE action IN ('auth.failed', 'auth.locked') AND actor_id IS NULL \
               AND object_type IS NULL \
               AND EXISTS (SELECT 1 FROM users WHERE users.email = LOWER(audit_log.actor_email))",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE audit_log SET actor_email = NULL \
             WHERE action IN ('auth.failed', 'auth.locked') AND actor_id IS NULL",
        )
        .await?;
        db.execute_unprepared("DELETE FROM login_throttle").await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // The typed addresses removed from the audit log do not come back.
        m.drop_table(Table::drop().table(SigninKnownAddresses::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(SigninKeys::Table).to_owned())
            .await?;
        m.drop_index(
            Index::drop()
                .name("idx_sessions_user")
                .table(Sessions::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Sessions::Table)
                .drop_column(Sessions::UserId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
