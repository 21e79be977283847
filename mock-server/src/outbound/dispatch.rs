//! Sends the webhooks of created calls when they fall due on the mock's clock: the pre-call request before a
//! call rings (retried, and deciding whether the call goes ahead) and the `end-of-call-report` when it ends;
//! and, on demand, the report of any finished call ([`send_report`]).
//!
//! On a real clock a task ([`spawn_dispatcher`]) sleeps until the next webhook is due. On a virtual clock nothing is due
//! until the clock moves; [`advance_to`] moves it one due time at a time, sending what falls due at each and
//! waiting for the answers, so that when it returns every webhook due in the interval has been delivered or
//! has failed, and a call released by its pre-call receiver rings, talks and reports within it too.
//!
//! A pre-call attempt takes time of its call's own on a virtual clock, as it would of a real call's: its
//! answer's effect (the call released, the next attempt due, the call ended) comes at the attempt's time plus
//! the receiver's answer time ([`clock_ms_taken`]: 0 for a local receiver's quick answer, 3 s for a timeout).
//! Against a receiver that never answers, attempts go at `T`, `T + 4 s` (3 s timeout, then 1 s) and `T + 9 s`,
//! and the call ends at `T + 12 s`. The clock itself moves only when told: an advance that ends before an
//! answer's time leaves the call `registered`, and the next one carries on.

use std::sync::Arc;
use std::time::Duration;

use openmic_fixtures::{Call, EndOfCallReport, PreCallRequest};
use tokio::task::JoinHandle;

use crate::data::sets::DataSets;
use crate::outbound::deliveries::{DeliveryAttempt, DeliveryKind, clip, logged_body};
use crate::outbound::pre_call::{Verdict, clock_ms_taken, judge};
use crate::outbound::sender::{
    Answer, Outbound, POST_CALL_TIMEOUT, PRE_CALL_ATTEMPTS, PRE_CALL_DELAYS_MS, PRE_CALL_TIMEOUT,
};
use crate::outbound::targets::check_url;
use crate::state::AppState;
use crate::time::clock::{ClockError, ClockMode};
use crate::time::schedule::{Job, Schedule, Scheduled};

/// What a webhook job needs: the data sets whose calls it reports on, and what it is sent with.
#[derive(Clone)]
struct Dispatch {
    data: Arc<DataSets>,
    outbound: Arc<Outbound>,
}

impl Dispatch {
    fn of(state: &AppState) -> Self {
        Dispatch {
            data: state.data_handle().clone(),
            outbound: state.outbound().clone(),
        }
    }
}

/// The longest a real-clock dispatcher sleeps before looking again.
const MAX_NAP: Duration = Duration::from_secs(1);

/// Starts the task that sends `state`'s webhooks as they fall due. It holds the data sets weakly and ends when
/// they are dropped or the server stops ([`crate::MockServer`] stops its schedule when dropped).
pub fn spawn_dispatcher(state: &AppState) -> JoinHandle<()> {
    let weak = Arc::downgrade(state.data_handle());
    let outbound = state.outbound().clone();
    let schedule = state.data().schedule().clone();
    tokio::spawn(async move {
        loop {
            if schedule.is_stopped() {
                break;
            }
            let Some(data) = weak.upgrade() else { break };
            let now = data.clock().now_ms();
            let dispatch = Dispatch {
                data,
                outbound: outbound.clone(),
            };
            start_due(&dispatch, now);
            let data = dispatch.data;
            let nap = match (data.clock().mode(), schedule.next_due()) {
                (ClockMode::Real, Some(due)) => Some(
                    Duration::from_millis(due.saturating_sub(now))
                        .clamp(Duration::from_millis(1), MAX_NAP),
                ),
                (ClockMode::Real, None) => Some(MAX_NAP),
                (ClockMode::Virtual, _) => None,
            };
            drop(data);
            let woken = schedule.wake.notified();
            match nap {
                Some(nap) => {
                    tokio::select! {
                        () = woken => {}
                        () = tokio::time::sleep(nap) => {}
                    }
                }
                None => woken.await,
            }
        }
    })
}

/// Starts sending every webhook due at `now`, each in its own task.
fn start_due(dispatch: &Dispatch, now: u64) {
    let schedule = dispatch.data.schedule();
    if schedule.is_stopped() {
        return;
    }
    for (_, item) in schedule.take_due(now) {
        let dispatch = dispatch.clone();
        tokio::spawn(async move {
            // Counted done however the job ends, a panic included, so no waiter waits for ever.
            let _done = Done(dispatch.data.schedule().clone());
            run(&dispatch, item).await;
        });
    }
}

/// Marks a job done when dropped.
struct Done(Arc<Schedule>);

impl Drop for Done {
    fn drop(&mut self) {
        self.0.done();
    }
}

/// Sends what is due at the clock's time and waits until nothing due is left and nothing is being sent.
pub async fn settle(state: &AppState) {
    settle_dispatch(&Dispatch::of(state)).await;
}

async fn settle_dispatch(dispatch: &Dispatch) {
    let data = &dispatch.data;
    let schedule = data.schedule().clone();
    let mut in_flight = schedule.in_flight.subscribe();
    loop {
        start_due(dispatch, data.clock().now_ms());
        let _ = in_flight.wait_for(|n| *n == 0).await;
        let now = data.clock().now_ms();
        if schedule.is_stopped() || schedule.next_due().is_none_or(|due| due > now) {
            break;
        }
    }
}

/// Moves a virtual clock to `target`, stopping at each time a webhook falls due on the way to send it and wait
/// for it (see the module's documentation). Returns the new time; the errors of [`crate::time::clock::Clock::set`].
pub async fn advance_to(state: &AppState, target: u64) -> Result<u64, ClockError> {
    move_clock(state, Move::To(target)).await
}

/// Moves a virtual clock forward by `ms` from its time when this advance's turn comes, as [`advance_to`] does:
/// advances sent together each add their own `ms`, one after the other, and none fails for waiting behind
/// another.
pub async fn advance_by(state: &AppState, ms: u64) -> Result<u64, ClockError> {
    move_clock(state, Move::By(ms)).await
}

/// Where a clock move goes: to a time, or forward from the time it finds once the other moves are done.
#[derive(Debug, Clone, Copy)]
enum Move {
    To(u64),
    By(u64),
}

async fn move_clock(state: &AppState, to: Move) -> Result<u64, ClockError> {
    let dispatch = Dispatch::of(state);
    let data = &dispatch.data;
    let schedule = data.schedule().clone();
    let _one_at_a_time = dispatch.outbound.advancing.lock().await;
    let clock = data.clock();
    if clock.mode() == ClockMode::Real {
        return Err(ClockError::Real);
    }
    // Read under the lock: an advance that waited for another starts from where that one left the clock.
    let target = match to {
        Move::To(target) => target,
        Move::By(ms) => clock.now_ms().checked_add(ms).ok_or(ClockError::TooLate)?,
    };
    if target < clock.now_ms() {
        // The clock's own error, which names both times.
        return clock.set(target);
    }
    loop {
        settle_dispatch(&dispatch).await;
        match schedule.next_due() {
            Some(due) if due <= target && !schedule.is_stopped() => {
                if due > clock.now_ms() {
                    clock.set(due)?;
                }
            }
            _ => break,
        }
    }
    let now = clock.set(target)?;
    settle_dispatch(&dispatch).await;
    Ok(now)
}

/// The `end-of-call-report` of a finished call. `createdAt` is "when call was initiated" (the vendor's words):
/// a created call's creation on the clock (an inbound call's arrival), which comes before its pre-call webhook,
/// its ringing and its start; a loaded call has no creation time, and its `start_timestamp` stands in.
fn report_of(call: &Call, reason: &str, created_ms: Option<u64>) -> Option<EndOfCallReport> {
    let mut report = EndOfCallReport::from_call(call, reason)?;
    if let Some(created) = created_ms {
        report.created_at = openmic_fixtures::rfc3339_ms(created);
    }
    Some(report)
}

/// Sends one scheduled webhook, if its call still belongs to its data set.
async fn run(dispatch: &Dispatch, item: Scheduled) {
    let data = &dispatch.data;
    let Some(config) = data.webhook_target(&item) else {
        return;
    };
    match item.job {
        Job::PostCall => {
            let call = item.call.at(item.call.end_ms());
            let Some(report) = report_of(
                &call,
                &item.call.disconnection_reason,
                Some(item.call.created_ms),
            ) else {
                return;
            };
            let body = serde_json::to_string(&report).unwrap_or_default();
            let mut targets = Vec::new();
            if let Some(url) = config.post_call_url {
                targets.push((DeliveryKind::PostCall, url));
            }
            if let Some(url) = item.call.callback_url.clone()
                && dispatch.outbound.callbacks()
            {
                targets.push((DeliveryKind::Callback, url));
            }
            let sends = targets.into_iter().map(|(kind, url)| {
                let body = body.clone();
                let call_id = call.call_id.clone();
                let outbound = dispatch.outbound.clone();
                let sent_at = data.clock().now_ms();
                async move { deliver_report(&outbound, kind, &url, &call_id, sent_at, body).await }
            });
            let handles: Vec<_> = sends.map(tokio::spawn).collect();
            for handle in handles {
                let _ = handle.await;
            }
        }
        Job::PreCall { attempt } => {
            let registered = item.call.registered();
            let url = config
                .pre_call_url
                .filter(|_| config.direction.matches(registered.direction));
            let Some(url) = url else {
                // The pre-call webhook was turned off meanwhile: the call goes ahead without it.
                let now = data.clock().now_ms();
                data.settle_pre_call(&item, item.call.released(now, None));
                return;
            };
            let request = PreCallRequest::new(
                registered.direction.as_str(),
                &registered.agent_id,
                &registered.from_number,
                &registered.to_number,
                attempt,
            );
            let body = serde_json::to_string(&request).unwrap_or_default();
            let clock = data.clock();
            let sent_at = clock.now_ms();
            let (mut entry, answer) = send(
                &dispatch.outbound,
                DeliveryKind::PreCall,
                &url,
                &registered.call_id,
                attempt,
                sent_at,
                body,
                PRE_CALL_TIMEOUT,
            )
            .await;
            let verdict = match &answer {
                Some(answer) => judge(answer),
                None => Verdict::Fail(entry.error.clone().unwrap_or_default()),
            };
            // When the answer takes effect: on a virtual clock, the attempt took its answer time (or its timeout)
            // of the call's time, as it would of a real call's; a real clock has moved by itself.
            let answered_at = match clock.mode() {
                ClockMode::Virtual => sent_at.saturating_add(
                    answer
                        .as_ref()
                        .map_or(0, |a| clock_ms_taken(a.elapsed, PRE_CALL_TIMEOUT)),
                ),
                ClockMode::Real => clock.now_ms(),
            };
            // The wait before the next attempt; none after the last (one delay per retry: a unit test holds it).
            let retry_delay = (attempt < PRE_CALL_ATTEMPTS).then(|| {
                PRE_CALL_DELAYS_MS
                    .get(attempt.saturating_sub(1) as usize)
                    .copied()
                    .unwrap_or_default()
            });
            entry.error = match (&verdict, retry_delay) {
                (Verdict::Use(_), _) => None,
                (Verdict::Ignore(why), _) => Some(format!(
                    "{why}; the call goes ahead without the reply's values"
                )),
                (Verdict::Fail(why), Some(delay)) => Some(format!(
                    "{why}; retried {} later",
                    crate::text::seconds(delay / 1000)
                )),
                (Verdict::Fail(why), None) => {
                    Some(format!("{why}; that was the last attempt: the call ends"))
                }
            };
            record(&dispatch.outbound, entry);
            match (verdict, retry_delay) {
                (Verdict::Use(reply), _) => {
                    data.settle_pre_call(&item, item.call.released(answered_at, Some(reply)));
                }
                (Verdict::Ignore(_), _) => {
                    data.settle_pre_call(&item, item.call.released(answered_at, None));
                }
                (Verdict::Fail(_), Some(delay)) => {
                    data.schedule().push(
                        answered_at.saturating_add(delay),
                        Scheduled {
                            job: Job::PreCall {
                                attempt: attempt + 1,
                            },
                            ..item
                        },
                    );
                }
                (Verdict::Fail(_), None) => {
                    data.settle_pre_call(&item, item.call.failed_before_start(answered_at));
                }
            }
        }
    }
}

/// Sends one request and makes its journal entry (not yet recorded: see [`record`]), with the error a
/// post-call report reads: no answer in time, a connection error, a status that is not 2xx. `None` for the
/// answer when the URL was refused before sending.
#[allow(clippy::too_many_arguments)]
async fn send(
    outbound: &Outbound,
    kind: DeliveryKind,
    url: &str,
    call_id: &str,
    attempt: u32,
    sent_at: u64,
    body: String,
    timeout: Duration,
) -> (DeliveryAttempt, Option<Answer>) {
    let (logged, body_clipped) = logged_body(&body);
    let mut entry = DeliveryAttempt {
        seq: 0,
        kind,
        url: url.to_string(),
        call_id: call_id.to_string(),
        attempt,
        sent_at,
        body: logged,
        body_clipped,
        status: None,
        error: None,
        reply: None,
        duration_ms: 0,
    };
    if let Err(why) = check_url(url) {
        entry.error = Some(format!("not sent: {why}"));
        return (entry, None);
    }
    let answer = outbound.sender().post(url, body, timeout).await;
    entry.status = answer.status;
    entry.duration_ms = answer.elapsed.as_millis() as u64;
    entry.reply =
        (answer.status.is_some()).then(|| clip(&String::from_utf8_lossy(&answer.body), 4096).0);
    entry.error = answer.error.clone();
    (entry, Some(answer))
}

/// Logs an attempt and keeps it in the deliveries journal; returns it as kept.
fn record(outbound: &Outbound, entry: DeliveryAttempt) -> DeliveryAttempt {
    let (kind, url, call_id, attempt) = (
        entry.kind.as_str(),
        entry.url.as_str(),
        entry.call_id.as_str(),
        entry.attempt,
    );
    match &entry.error {
        None => tracing::info!(kind, url, call_id, attempt, "webhook delivered"),
        Some(why) => {
            tracing::warn!(kind, url, call_id, attempt, error = %why, "webhook failed")
        }
    }
    outbound.deliveries.push(entry)
}

/// Sends a post-call report (or a callback) and records the attempt.
async fn deliver_report(
    outbound: &Outbound,
    kind: DeliveryKind,
    url: &str,
    call_id: &str,
    sent_at: u64,
    body: String,
) -> DeliveryAttempt {
    let (entry, _) = send(
        outbound,
        kind,
        url,
        call_id,
        1,
        sent_at,
        body,
        POST_CALL_TIMEOUT,
    )
    .await;
    record(outbound, entry)
}

/// Sends the `end-of-call-report` of a finished call of the default data set (`tenant: None`) or a tenant's to
/// that data set's post-call URL now, and returns the attempt as journaled.
pub async fn send_report(
    state: &AppState,
    tenant: Option<&str>,
    call_id: &str,
) -> Result<DeliveryAttempt, SendError> {
    let data = state.data();
    let url = data
        .webhooks(tenant)
        .map_err(|e| SendError::Call(crate::data::webhooks::FinishedCallError::Data(e)))?
        .post_call_url
        .ok_or(SendError::NoUrl)?;
    let finished = data
        .finished_call(tenant, call_id)
        .map_err(SendError::Call)?;
    let report =
        report_of(&finished.call, &finished.reason, finished.created_ms).ok_or(SendError::Call(
            crate::data::webhooks::FinishedCallError::NotFinished(finished.call.call_status),
        ))?;
    let body = serde_json::to_string(&report).unwrap_or_default();
    Ok(deliver_report(
        state.outbound(),
        DeliveryKind::PostCall,
        &url,
        call_id,
        data.clock().now_ms(),
        body,
    )
    .await)
}

/// Why a report sent on demand ([`MockServer::send_webhook`](crate::MockServer::send_webhook), `POST /__admin/webhooks/send`) was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// No post-call URL is configured for the data set.
    #[error(
        "no post-call webhook is configured; set one with PUT /__admin/webhooks or --post-call-webhook"
    )]
    NoUrl,
    /// The call cannot be reported.
    #[error(transparent)]
    Call(crate::data::webhooks::FinishedCallError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pre_call_delays_cover_every_retry() {
        assert_eq!(PRE_CALL_DELAYS_MS.len() as u32, PRE_CALL_ATTEMPTS - 1);
    }
}
