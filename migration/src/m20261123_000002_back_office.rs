//! Back office: server-side sessions, the audit log, sign-in throttling,
//! SLA alert marks on cases, threading ids on messages and outgoing mail.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sessions {
    Table,
    IdHash,
    Data,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    ActorId,
    ActorEmail,
    Action,
    ObjectType,
    ObjectId,
    Detail,
}

#[derive(DeriveIden)]
enum LoginThrottle {
    Table,
    Key,
    Failures,
    FirstFailureAt,
    LockedUntil,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    AtRiskAlertedAt,
    BreachAlertedAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    ExternalId,
    AuthorId,
}

#[derive(DeriveIden)]
enum MailOutbox {
    Table,
    InReplyTo,
    ReferencesHdr,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(string_len(Sessions::IdHash, 64).primary_key())
                .col(text(Sessions::Data))
                .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_sessions_expires")
                .table(Sessions::Table)
                .col(Sessions::ExpiresAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(pk_auto(AuditLog::Id))
                .col(timestamp_with_time_zone(AuditLog::At))
                .col(integer_null(AuditLog::ActorId))
                .col(string_null(AuditLog::ActorEmail))
                .col(string_len(AuditLog::Action, 48))
                .col(string_len_null(AuditLog::ObjectType, 32))
                .col(string_null(AuditLog::ObjectId))
                .col(text_null(AuditLog::Detail))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_audit_at")
                .table(AuditLog::Table)
                .col(AuditLog::At)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(LoginThrottle::Table)
                .col(string(LoginThrottle::Key).primary_key())
                .col(integer(LoginThrottle::Failures))
                .col(timestamp_with_time_zone(LoginThrottle::FirstFailureAt))
                .col(timestamp_with_time_zone_null(LoginThrottle::LockedUntil))
                .to_owned(),
        )
        .await?;

        m.alter_table(
            Table::alter()
                .table(Cases::Table)
                .add_column(timestamp_with_time_zone_null(Cases::AtRiskAlertedAt))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Cases::Table)
                .add_column(timestamp_with_time_zone_null(Cases::BreachAlertedAt))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Messages::Table)
                .add_column(string_null(Messages::ExternalId))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Messages::Table)
                .add_column(integer_null(Messages::AuthorId))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_messages_external_id")
                .table(Messages::Table)
                .col(Messages::ExternalId)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(MailOutbox::Table)
                .add_column(string_null(MailOutbox::InReplyTo))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(MailOutbox::Table)
                .add_column(text_null(MailOutbox::ReferencesHdr))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite drops one column per statement.
        for (t, c) in [
            (
                MailOutbox::Table.into_iden(),
                MailOutbox::ReferencesHdr.into_iden(),
            ),
            (
                MailOutbox::Table.into_iden(),
                MailOutbox::InReplyTo.into_iden(),
            ),
        ] {
            m.alter_table(Table::alter().table(t).drop_column(c).to_owned())
                .await?;
        }
        m.drop_index(
            Index::drop()
                .name("idx_messages_external_id")
                .table(Messages::Table)
                .to_owned(),
        )
        .await?;
        for (t, c) in [
            (Messages::Table.into_iden(), Messages::AuthorId.into_iden()),
            (
                Messages::Table.into_iden(),
                Messages::ExternalId.into_iden(),
            ),
            (Cases::Table.into_iden(), Cases::BreachAlertedAt.into_iden()),
            (Cases::Table.into_iden(), Cases::AtRiskAlertedAt.into_iden()),
        ] {
            m.alter_table(Table::alter().table(t).drop_column(c).to_owned())
                .await?;
        }
        for t in [
            LoginThrottle::Table.into_iden(),
            AuditLog::Table.into_iden(),
            Sessions::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
