//! The foundation: centre, clients, campaigns, caller numbers, reservations,
//! cases and their messages, staff users, the mail outbox.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Centre {
    Table,
    Id,
    Name,
    OrgNumber,
    ContactPhone,
    ContactEmail,
    PostalAddress,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
    Name,
    OrgNumber,
    Description,
    Website,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
    ClientId,
    Code,
    Name,
    Purpose,
    Kind,
    StartsOn,
    EndsOn,
    DialerMode,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CallerNumbers {
    Table,
    Id,
    E164,
    CampaignId,
    ValidFrom,
    ValidTo,
    Message,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Reservations {
    Table,
    Id,
    E164,
    Source,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CaseSequences {
    Table,
    Year,
    LastValue,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
    Reference,
    SourceKey,
    Channel,
    ConsumerName,
    ConsumerPhone,
    ConsumerEmail,
    CalledFrom,
    CallerNumberId,
    CampaignId,
    ClientId,
    Category,
    Status,
    ReceivedAt,
    DueAt,
    FirstResponseAt,
    ClosedAt,
    AssigneeId,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    CaseId,
    Direction,
    Channel,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    PasswordHash,
    Role,
    Active,
    MustChangePassword,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MailOutbox {
    Table,
    Id,
    CaseId,
    ToAddr,
    Subject,
    Body,
    MessageId,
    Attempts,
    NextAttemptAt,
    ClaimedUntil,
    LastError,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Centre::Table)
                .col(pk_auto(Centre::Id))
                .col(string(Centre::Name))
                .col(string(Centre::OrgNumber))
                .col(string(Centre::ContactPhone))
                .col(string(Centre::ContactEmail))
                .col(text(Centre::PostalAddress))
                .col(timestamp_with_time_zone(Centre::UpdatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Clients::Table)
                .col(pk_auto(Clients::Id))
                .col(string(Clients::Name))
                .col(string(Clients::OrgNumber))
                .col(text(Clients::Description))
                .col(string_null(Clients::Website))
                .col(boolean(Clients::Active))
                .col(timestamp_with_time_zone(Clients::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Campaigns::Table)
                .col(pk_auto(Campaigns::Id))
                .col(integer(Campaigns::ClientId))
                .col(string_uniq(Campaigns::Code))
                .col(string(Campaigns::Name))
                .col(text(Campaigns::Purpose))
                .col(string_len(Campaigns::Kind, 24))
                .col(date(Campaigns::StartsOn))
                .col(date_null(Campaigns::EndsOn))
                .col(string_len(Campaigns::DialerMode, 16))
                .col(timestamp_with_time_zone(Campaigns::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Campaigns::Table, Campaigns::ClientId)
                        .to(Clients::Table, Clients::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(CallerNumbers::Table)
                .col(pk_auto(CallerNumbers::Id))
                .col(string_len(CallerNumbers::E164, 20))
                .col(integer(CallerNumbers::CampaignId))
                .col(date(CallerNumbers::ValidFrom))
                .col(date_null(CallerNumbers::ValidTo))
                .col(text(CallerNumbers::Message))
                .col(timestamp_with_time_zone(CallerNumbers::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(CallerNumbers::Table, CallerNumbers::CampaignId)
                        .to(Campaigns::Table, Campaigns::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_caller_numbers_e164")
                .table(CallerNumbers::Table)
                .col(CallerNumbers::E164)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Reservations::Table)
                .col(pk_auto(Reservations::Id))
                .col(string_len_uniq(Reservations::E164, 20))
                .col(string_len(Reservations::Source, 16))
                .col(timestamp_with_time_zone(Reservations::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(CaseSequences::Table)
                .col(integer(CaseSequences::Year).primary_key())
                .col(integer(CaseSequences::LastValue))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Cases::Table)
                .col(pk_auto(Cases::Id))
                .col(string_len_uniq(Cases::Reference, 32))
                .col(string_null(Cases::SourceKey).unique_key())
                .col(string_len(Cases::Channel, 16))
                .col(string_null(Cases::ConsumerName))
                .col(string_null(Cases::ConsumerPhone))
                .col(string_null(Cases::ConsumerEmail))
                .col(string_len_null(Cases::CalledFrom, 20))
                .col(integer_null(Cases::CallerNumberId))
                .col(integer_null(Cases::CampaignId))
                .col(integer_null(Cases::ClientId))
                .col(string_len(Cases::Category, 32))
                .col(string_len(Cases::Status, 16))
                .col(timestamp_with_time_zone(Cases::ReceivedAt))
                .col(timestamp_with_time_zone(Cases::DueAt))
                .col(timestamp_with_time_zone_null(Cases::FirstResponseAt))
                .col(timestamp_with_time_zone_null(Cases::ClosedAt))
                .col(integer_null(Cases::AssigneeId))
                .to_owned(),
        )
        .await?;
        // The SLA queue reads open cases by deadline.
        m.create_index(
            Index::create()
                .name("idx_cases_status_due")
                .table(Cases::Table)
                .col(Cases::Status)
                .col(Cases::DueAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_cases_consumer_phone")
                .table(Cases::Table)
                .col(Cases::ConsumerPhone)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Messages::Table)
                .col(pk_auto(Messages::Id))
                .col(integer(Messages::CaseId))
                .col(string_len(Messages::Direction, 16))
                .col(string_len(Messages::Channel, 16))
                .col(text(Messages::Body))
                .col(timestamp_with_time_zone(Messages::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Messages::Table, Messages::CaseId)
                        .to(Cases::Table, Cases::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_messages_case")
                .table(Messages::Table)
                .col(Messages::CaseId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(pk_auto(Users::Id))
                .col(string_uniq(Users::Email))
                .col(string(Users::PasswordHash))
                .col(string_len(Users::Role, 16))
                .col(boolean(Users::Active))
                .col(boolean(Users::MustChangePassword))
                .col(timestamp_with_time_zone(Users::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(MailOutbox::Table)
                .col(pk_auto(MailOutbox::Id))
                .col(integer_null(MailOutbox::CaseId))
                .col(string(MailOutbox::ToAddr))
                .col(string(MailOutbox::Subject))
                .col(text(MailOutbox::Body))
                .col(string(MailOutbox::MessageId))
                .col(integer(MailOutbox::Attempts))
                .col(timestamp_with_time_zone(MailOutbox::NextAttemptAt))
                .col(timestamp_with_time_zone_null(MailOutbox::ClaimedUntil))
                .col(text_null(MailOutbox::LastError))
                .col(timestamp_with_time_zone(MailOutbox::CreatedAt))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            MailOutbox::Table.into_iden(),
            Users::Table.into_iden(),
            Messages::Table.into_iden(),
            Cases::Table.into_iden(),
            CaseSequences::Table.into_iden(),
            Reservations::Table.into_iden(),
            CallerNumbers::Table.into_iden(),
            Campaigns::Table.into_iden(),
            Clients::Table.into_iden(),
            Centre::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
