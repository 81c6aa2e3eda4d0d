//! The national reservation register's import (norm 10), started by the
//! admin's upload: reads the spooled file into the version record the
//! upload began, then loads the new copy into memory. Started through
//! [`start`], as part of this process's jobs: a shutdown waits for it (the
//! grace period), then stops it; an import cut off so is marked failed
//! after `national::IMPORT_ABANDONED_AFTER`, and the admin uploads again.

use std::path::PathBuf;

use entity::national_register_version as version;

use crate::domain::dialer::national;
use crate::domain::privacy::audit::Actor;
use crate::state::AppState;

/// Imports the file at `path` (deleted once open) into version `v`, in
/// the background.
pub fn start(s: &AppState, v: version::Model, path: PathBuf, actor: Actor) {
    s.jobs.spawn(import(s.clone(), v, path, actor));
}

async fn import(s: AppState, v: version::Model, path: PathBuf, actor: Actor) {
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(error = %e, "the national register upload vanished");
            return;
        }
    };
    // The file is gone from the directory at once; the open handle reads it.
    let _ = std::fs::remove_file(&path);
    let r = national::import_into(&s.db, v, file, &actor, s.clock.now(), &mut |_| {}).await;
    match r {
        Ok(r) => tracing::info!(
            count = r.count,
            invalid = r.invalid_count,
            "national register imported"
        ),
        Err(e) => tracing::warn!(error = %e, "a national register import failed"),
    }
    // Load the new copy now, so the next wash does not wait for it.
    if let Err(e) = s.registers.national.get(&s.db).await {
        tracing::warn!(error = %e, "could not load the national register");
    }
}
