//! Washes started in the back office (norm 4.4.4; norm 7 for the files):
//! the uploaded list is spooled to a
//! temporary file, washed in the background into a result file, and the
//! page polls the job's progress (n of N numbers) until the result can be
//! downloaded. A result is deleted when downloaded, and any job (with its
//! files) an hour after it was started.
//!
//! Jobs live in this process's memory: a restart loses running jobs (their
//! files are swept at the next wash), which is acceptable for a list the
//! user can upload again.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::domain::dialer::coverage::NationalUse;
use crate::domain::dialer::wash::{Layout, Registers, ReservedCounts, Washer, trim_line};
use crate::domain::norm::WASH_FILES_KEEP_FOR;

/// Files of back-office washes start with this in the temporary directory.
pub const FILE_PREFIX: &str = "innsyn-wash-";
/// The washer reads the input in pieces of this size.
const CHUNK: usize = 64 * 1024;

/// Where a job stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobState {
    Running,
    Done { count_in: u64, count_callable: u64 },
    Failed,
}

/// One wash started in the back office.
#[derive(Debug)]
pub struct WashJob {
    pub id: String,
    /// Only this user sees the job and downloads its result.
    pub user_id: i32,
    pub campaign_id: Option<i32>,
    /// The campaign's code, for the file name.
    pub campaign_code: Option<String>,
    pub only_callable: bool,
    /// What the wash does with the national register.
    pub national: NationalUse,
    /// Numbers in the upload (lines, less a CSV header).
    pub total: u64,
    processed: AtomicU64,
    state: Mutex<JobState>,
    pub started: SystemTime,
    pub input: PathBuf,
    pub result: PathBuf,
}

impl WashJob {
    pub fn processed(&self) -> u64 {
        self.processed.load(Ordering::Relaxed)
    }
    pub fn state(&self) -> JobState {
        self.state
            .lock()
            .map(|s| s.clone())
            .unwrap_or(JobState::Failed)
    }
    pub fn set_state(&self, st: JobState) {
        if let Ok(mut s) = self.state.lock() {
            *s = st;
        }
    }
    /// Whole percent done, for the progress bar's text.
    pub fn percent(&self) -> u64 {
        (self.processed() * 100)
            .checked_div(self.total)
            .unwrap_or(100)
            .min(100)
    }
}

/// The jobs of this process.
#[derive(Default)]
pub struct WashJobs(Mutex<HashMap<String, Arc<WashJob>>>);

fn remove_files(job: &WashJob) {
    let _ = std::fs::remove_file(&job.input);
    let _ = std::fs::remove_file(&job.result);
}

/// A temporary file readable by this user only.
pub fn create_private(path: &Path) -> std::io::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

impl WashJobs {
    /// Paths for a new job's input and result in `dir`.
    pub fn paths(dir: &Path, id: &str) -> (PathBuf, PathBuf) {
        (
            dir.join(format!("{FILE_PREFIX}{id}.in")),
            dir.join(format!("{FILE_PREFIX}{id}.out")),
        )
    }

    #[allow(clippy::too_many_arguments)]
    pub fn start(
        &self,
        id: String,
        user_id: i32,
        campaign_id: Option<i32>,
        campaign_code: Option<String>,
        only_callable: bool,
        national: NationalUse,
        total: u64,
        input: PathBuf,
        result: PathBuf,
    ) -> Arc<WashJob> {
        self.sweep(input.parent());
        let job = Arc::new(WashJob {
            id: id.clone(),
            user_id,
            campaign_id,
            campaign_code,
            only_callable,
            national,
            total,
            processed: AtomicU64::new(0),
            state: Mutex::new(JobState::Running),
            started: SystemTime::now(),
            input,
            result,
        });
        if let Ok(mut m) = self.0.lock() {
            m.insert(id, job.clone());
        }
        job
    }

    /// The job `id` if it belongs to `user_id` and has not expired.
    pub fn get(&self, id: &str, user_id: i32) -> Option<Arc<WashJob>> {
        self.sweep(None);
        let m = self.0.lock().ok()?;
        m.get(id).filter(|j| j.user_id == user_id).cloned()
    }

    /// Takes a finished job out (its result is being downloaded): the
    /// caller opens the result and then calls [`WashJobs::forget_files`].
    pub fn take_done(&self, id: &str, user_id: i32) -> Option<Arc<WashJob>> {
        let mut m = self.0.lock().ok()?;
        let done = m
            .get(id)
            .is_some_and(|j| j.user_id == user_id && matches!(j.state(), JobState::Done { .. }));
        if done { m.remove(id) } else { None }
    }

    /// Deletes a job's files (an open result stays readable until closed).
    pub fn forget_files(job: &WashJob) {
        remove_files(job);
    }

    /// Deletes these wash files and drops the jobs they belong to (a
    /// person's erasure: the list held their number).
    pub fn forget_paths(&self, paths: &[PathBuf]) {
        if paths.is_empty() {
            return;
        }
        if let Ok(mut m) = self.0.lock() {
            m.retain(|_, j| {
                let hit = paths.iter().any(|p| *p == j.input || *p == j.result);
                if hit {
                    remove_files(j);
                }
                !hit
            });
        }
        for p in paths {
            let _ = std::fs::remove_file(p);
        }
    }

    /// Drops jobs older than [`WASH_FILES_KEEP_FOR`] with their files; with `dir`,
    /// also deletes stale wash files left there by an earlier process.
    pub fn sweep(&self, dir: Option<&Path>) {
        let now = SystemTime::now();
        let old = |t: SystemTime| now.duration_since(t).is_ok_and(|d| d > WASH_FILES_KEEP_FOR);
        if let Ok(mut m) = self.0.lock() {
            m.retain(|_, j| {
                if old(j.started) && j.state() != JobState::Running {
                    remove_files(j);
                    false
                } else {
                    true
                }
            });
        }
        if let Some(dir) = dir
            && let Ok(entries) = std::fs::read_dir(dir)
        {
            for e in entries.flatten() {
                let stale = e.file_name().to_string_lossy().starts_with(FILE_PREFIX)
                    && e.metadata().and_then(|m| m.modified()).is_ok_and(old);
                if stale {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }
}

/// Counts the numbers in an upload as it streams past: lines, less a CSV
/// header (decided on the first line exactly as the washer decides it).
#[derive(Default)]
pub struct LineCounter {
    newlines: u64,
    bytes: u64,
    last: Option<u8>,
    first_line: Vec<u8>,
    first_done: bool,
}

impl LineCounter {
    pub fn feed(&mut self, chunk: &[u8]) {
        if chunk.is_empty() {
            return;
        }
        if !self.first_done {
            let end = chunk.iter().position(|&c| c == b'\n');
            let part = &chunk[..end.unwrap_or(chunk.len())];
            let room = 4096usize.saturating_sub(self.first_line.len());
            self.first_line
                .extend_from_slice(&part[..part.len().min(room)]);
            self.first_done = end.is_some();
        }
        self.newlines += chunk.iter().filter(|&&c| c == b'\n').count() as u64;
        self.bytes += chunk.len() as u64;
        self.last = chunk.last().copied();
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The numbers the washer will give a verdict for.
    pub fn numbers(&self) -> u64 {
        let lines = self.newlines + u64::from(self.last.is_some_and(|c| c != b'\n'));
        let header = Layout::detect(trim_line(&self.first_line)).is_csv();
        lines.saturating_sub(u64::from(header))
    }
}

/// What a finished back-office wash found.
pub struct Washed {
    pub count_in: u64,
    pub count_callable: u64,
    pub reserved: ReservedCounts,
    pub register_version: i64,
    pub national_version: Option<entity::national_register_version::Model>,
}

/// Washes `job.input` into `job.result`, updating the job's progress as it
/// goes. Blocking: run it on a blocking thread.
pub fn run(job: &WashJob, registers: Registers) -> std::io::Result<Washed> {
    let mut input = File::open(&job.input)?;
    let mut out = BufWriter::new(create_private(&job.result)?);
    let mut buf = Vec::with_capacity(CHUNK * 2);
    let mut washer = Washer::new(registers, job.only_callable, &mut buf);
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let n = input.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        washer.feed(&chunk[..n], &mut buf);
        out.write_all(&buf)?;
        buf.clear();
        job.processed.store(washer.count_in, Ordering::Relaxed);
    }
    washer.finish(&mut buf);
    out.write_all(&buf)?;
    out.flush()?;
    job.processed.store(washer.count_in, Ordering::Relaxed);
    let _ = std::fs::remove_file(&job.input);
    Ok(Washed {
        count_in: washer.count_in,
        count_callable: washer.count_callable,
        reserved: washer.reserved,
        register_version: washer.registers().version,
        national_version: washer
            .registers()
            .national
            .as_ref()
            .map(|n| n.version.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(chunks: &[&str]) -> u64 {
        let mut c = LineCounter::default();
        for ch in chunks {
            c.feed(ch.as_bytes());
        }
        c.numbers()
    }

    #[test]
    fn the_line_counter_agrees_with_the_washer_on_what_a_number_is() {
        assert_eq!(count(&[]), 0);
        assert_eq!(count(&["912 34 567"]), 1);
        assert_eq!(count(&["912 34 567\n"]), 1);
        assert_eq!(count(&["912 34 567\n\n22334455"]), 3);
        assert_eq!(count(&["num", "ber;name\n9123", "4567;Ola\n"]), 1);
        assert_eq!(count(&["number\r\n1\r\n2\r\n"]), 2);
    }
}
