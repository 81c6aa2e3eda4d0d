//! A wash whose list arrives as a stream of pieces (an HTTP body), in
//! three stages that run side by side: a task reads the list into batches,
//! a blocking thread washes each batch (a large one on two threads, see
//! [`Washer::feed_parallel`]), and the answer's pieces come out of
//! [`WashStream::next`] in input order. While one batch is washed, the next
//! is read and the last one's verdicts are sent. Every channel between the
//! stages holds a few batches at most, so a list of any length runs in
//! bounded memory, and a client that stops reading stops the wash.

use bytes::Bytes;
use futures_util::{FutureExt, Stream, StreamExt};
use tokio::sync::mpsc;

use crate::domain::dialer::wash::Washer;

/// A batch is handed to the washer once it holds this much, or earlier
/// when no more input is waiting and the washer has nothing to do (a list
/// sent slowly still gets its verdicts as it goes).
pub const BATCH: usize = 1024 * 1024;

/// Batches waiting for the washer, and answer pieces waiting to be sent.
const QUEUED: usize = 2;

/// What the reader hands the washer.
enum Input {
    Batch(Vec<u8>),
    /// The list could not be read to its end (the client went away or
    /// stalled): nothing more will come.
    Failed(std::io::Error),
}

/// What [`WashStream::next`] gives.
pub enum Next {
    /// The next piece of the answer.
    Piece(Bytes),
    /// The wash stopped: the list could not be read, or the washer failed.
    Failed(std::io::Error),
    /// The list is washed: the washer with its counts, and the answer's
    /// last piece (send it once the wash is recorded).
    Finished(Box<Washer>, Vec<u8>),
}

/// The washer with its counts and the answer's last piece, when the whole
/// list was washed.
type Washed = Option<(Washer, Vec<u8>)>;

/// A wash under way.
pub struct WashStream {
    pieces: mpsc::Receiver<Result<Bytes, std::io::Error>>,
    washer: Option<tokio::task::JoinHandle<Washed>>,
}

impl WashStream {
    /// Starts washing `input` (after `first`, a piece already read) with
    /// `washer`; `out` holds what the answer starts with (the header).
    pub fn start<S, E>(
        input: S,
        first: Option<Result<Bytes, E>>,
        washer: Washer,
        out: Vec<u8>,
    ) -> WashStream
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin + 'static,
        E: std::fmt::Display + Send + 'static,
    {
        let (batches, batches_rx) = mpsc::channel(QUEUED);
        let (pieces_tx, pieces) = mpsc::channel(QUEUED);
        tokio::spawn(read(input, first, batches));
        let washer = tokio::task::spawn_blocking(move || wash(washer, out, batches_rx, pieces_tx));
        WashStream {
            pieces,
            washer: Some(washer),
        }
    }

    /// The next piece of the answer, the failure that stopped it, or the
    /// end. After [`Next::Failed`] or [`Next::Finished`] there is nothing
    /// more.
    pub async fn next(&mut self) -> Next {
        if let Some(piece) = self.pieces.recv().await {
            return match piece {
                Ok(p) => Next::Piece(p),
                Err(e) => Next::Failed(e),
            };
        }
        let Some(washer) = self.washer.take() else {
            return Next::Failed(std::io::Error::other("the wash is over"));
        };
        match washer.await {
            Ok(Some((w, last))) => Next::Finished(Box::new(w), last),
            Ok(None) => Next::Failed(std::io::Error::other("the wash stopped")),
            Err(e) => {
                tracing::error!(error = %e, "a wash failed");
                Next::Failed(std::io::Error::other("the wash failed"))
            }
        }
    }
}

/// Reads the list into batches for the washer, until the list ends, it
/// fails, or the washer is gone.
async fn read<S, E>(mut input: S, first: Option<Result<Bytes, E>>, batches: mpsc::Sender<Input>)
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut batch = Vec::with_capacity(BATCH + 64 * 1024);
    let mut next = first;
    loop {
        let piece = match next.take() {
            Some(p) => Some(p),
            None => {
                // Nothing waiting: rather than sit on what is gathered,
                // hand it over if the washer is idle.
                match input.next().now_or_never() {
                    Some(p) => p,
                    None => {
                        if !batch.is_empty() && batches.capacity() == QUEUED {
                            let full = std::mem::replace(
                                &mut batch,
                                Vec::with_capacity(BATCH + 64 * 1024),
                            );
                            if batches.send(Input::Batch(full)).await.is_err() {
                                return;
                            }
                        }
                        input.next().await
                    }
                }
            }
        };
        match piece {
            Some(Ok(p)) => {
                batch.extend_from_slice(&p);
                if batch.len() >= BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH + 64 * 1024));
                    if batches.send(Input::Batch(full)).await.is_err() {
                        return;
                    }
                }
            }
            Some(Err(e)) => {
                let _ = batches
                    .send(Input::Failed(std::io::Error::other(e.to_string())))
                    .await;
                return;
            }
            None => {
                if !batch.is_empty() {
                    let _ = batches.send(Input::Batch(batch)).await;
                }
                return;
            }
        }
    }
}

/// Washes the batches as they come and sends their verdicts; at the end of
/// the list gives back the washer and the answer's last piece. `None` when
/// the list failed or nobody reads the answer any more.
fn wash(
    mut washer: Washer,
    mut out: Vec<u8>,
    mut batches: mpsc::Receiver<Input>,
    pieces: mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> Washed {
    let send = |piece: Vec<u8>| -> bool {
        piece.is_empty() || pieces.blocking_send(Ok(Bytes::from(piece))).is_ok()
    };
    while let Some(input) = batches.blocking_recv() {
        match input {
            Input::Batch(batch) => {
                let second = washer.feed_parallel(&batch, &mut out);
                let first = std::mem::replace(&mut out, Vec::with_capacity(batch.len() * 3));
                if !send(first) || !send(second) {
                    return None;
                }
            }
            Input::Failed(e) => {
                let _ = pieces.blocking_send(Err(e));
                return None;
            }
        }
    }
    washer.finish(&mut out);
    Some((washer, out))
}
