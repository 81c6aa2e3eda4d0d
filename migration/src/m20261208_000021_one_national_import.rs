//! One national register import at a time, enforced by the database: at
//! most one version row may be `importing` (a partial unique index), so
//! two uploads, or an upload and `innsyn import-national-register`, cannot
//! both start one. Older imports left `importing` are marked failed first
//! (the next import's flip deletes their numbers).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // The same statements work on PostgreSQL and SQLite.
        let db = m.get_connection();
        db.execute_unprepared(
            "UPDATE national_register_versions SET state = 'failed' \
             WHERE state = 'importing' AND id < \
             (SELECT max(id) FROM national_register_versions WHERE state = 'importing')",
        )
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX idx_national_one_import ON national_register_versions (state) \
             WHERE state = 'importing'",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared("DROP INDEX idx_national_one_import")
            .await?;
        Ok(())
    }
}
