//! The push writer: one task writes every push, taking all the pushes that
//! wait for it into one transaction ([`crate::sync::write_pushes`]).
//!
//! Why: a push's reads and writes are a handful of statements whatever its
//! size, run one after another on the writing connection. With 200 devices
//! pushing 10 visits each, one transaction per push spent its time passing
//! those statements between threads, not storing visits; written together,
//! the 200 pushes need the statements of one. Each push waits for the COMMIT
//! of its group before it answers, so a receipt never names a visit the
//! server could still lose.

use std::sync::OnceLock;

use htx_core::sync::RecordOutcome;
use tokio::sync::{mpsc, oneshot};

use crate::error::{ApiResult, AppError};
use crate::sync::{write_pushes, PushJob};

/// Most records one group writes: one full push, or many small ones. Groups
/// of up to 1,000 were measured (sync_bench, 200 clients): about 15 % more
/// visits a second, but the server's memory rose from 70-80 MB to 100-120.
pub const MAX_GROUP_RECORDS: usize = 200;

/// Pushes read, parsed or waiting for the writer at once (the push route's
/// concurrency limit); more wait, their bodies unread, for a place. Two full
/// groups of small pushes: the writer never waits for a parse, and 200
/// devices pushing at once do not hold 200 parsed batches in memory.
pub const MAX_PUSHES_IN_PROGRESS: usize = 40;

/// A group failed: why, and whether the database said so.
#[derive(Clone, Debug)]
struct Failure {
    database: bool,
    message: String,
}

impl From<&AppError> for Failure {
    fn from(e: &AppError) -> Self {
        match e {
            // The driver's own words, for the log of every push of the group.
            AppError::Database(inner) => Failure {
                database: true,
                message: inner.to_string(),
            },
            other => Failure {
                database: false,
                message: other.to_string(),
            },
        }
    }
}

impl From<Failure> for AppError {
    fn from(f: Failure) -> Self {
        if f.database {
            AppError::Database(sqlx::Error::Protocol(f.message))
        } else {
            AppError::Internal(anyhow::anyhow!(f.message))
        }
    }
}

type Reply = oneshot::Sender<Result<Vec<RecordOutcome>, Failure>>;

/// Handed to every request through [`crate::AppState`]; the writer task
/// starts with the first push.
#[derive(Default)]
pub struct PushQueue {
    sender: OnceLock<mpsc::UnboundedSender<(PushJob, Reply)>>,
}

impl PushQueue {
    /// Queues a push and waits until its group is committed (or failed).
    pub async fn write(&self, job: PushJob) -> ApiResult<Vec<RecordOutcome>> {
        let sender = self.sender.get_or_init(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            tokio::spawn(run(receiver));
            sender
        });
        let (reply, answer) = oneshot::channel();
        sender
            .send((job, reply))
            .map_err(|_| AppError::Internal(anyhow::anyhow!("the push writer has stopped")))?;
        let outcome = answer
            .await
            .map_err(|_| AppError::Internal(anyhow::anyhow!("the push writer dropped a push")))?;
        outcome.map_err(AppError::from)
    }
}

/// Takes the pushes that wait, up to [`MAX_GROUP_RECORDS`], writes them
/// together, answers each. Ends when every sender is gone. Queued jobs hold
/// the server's state (and so a sender); the task itself holds none.
async fn run(mut receiver: mpsc::UnboundedReceiver<(PushJob, Reply)>) {
    let mut next = None;
    loop {
        let first = match next.take() {
            Some(first) => first,
            None => match receiver.recv().await {
                Some(first) => first,
                None => return,
            },
        };
        let mut records = first.0.records();
        let mut group = vec![first];
        while let Ok(job) = receiver.try_recv() {
            if records + job.0.records() > MAX_GROUP_RECORDS {
                next = Some(job);
                break;
            }
            records += job.0.records();
            group.push(job);
        }
        // In a task of its own: a panic while writing a group fails that
        // group's pushes (their handlers see the reply dropped), not the
        // writer and every push after it.
        if let Err(e) = tokio::spawn(write_group(group)).await {
            tracing::error!(error = %e, "push group writer panicked");
        }
    }
}

async fn write_group(group: Vec<(PushJob, Reply)>) {
    let (jobs, replies): (Vec<PushJob>, Vec<Reply>) = group.into_iter().unzip();
    match write_pushes(&jobs).await {
        Ok(outcomes) => {
            for (reply, outcome) in replies.into_iter().zip(outcomes) {
                let _ = reply.send(Ok(outcome));
            }
        }
        // One push the database refuses must not fail the others: write
        // each alone, so only that one fails.
        Err(error) if jobs.len() > 1 => {
            tracing::warn!(%error, pushes = jobs.len(), "push group failed; writing its pushes one by one");
            for (job, reply) in jobs.into_iter().zip(replies) {
                let alone = std::slice::from_ref(&job);
                let result = match write_pushes(alone).await {
                    Ok(mut outcomes) => Ok(outcomes.pop().unwrap_or_default()),
                    Err(e) => Err(Failure::from(&e)),
                };
                let _ = reply.send(result);
            }
        }
        Err(error) => {
            for reply in replies {
                let _ = reply.send(Err(Failure::from(&error)));
            }
        }
    }
}
