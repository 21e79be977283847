//! Sends the webhooks of created calls when they fall due on the mock's clock: the pre-call request before a
//! call rings (retried, and deciding whether the call goes ahead) and the `end-of-call-report` when it ends;
//! and, on demand, the report of any finished call ([`send_report`]).
//!
//! On a real clock a task ([`spawn_dispatcher`]) sleeps until the next webhook is due. On a virtual clock nothing is due
//! until the clock moves; [`advance_to`] moves it one due time at a time, sending what falls due at each and
//! waiting for the answers, so that when it returns every webhook due in the interval has been delivered or
//! has failed: a pre-call attempt that fails at `T` is retried at `T + 1 s` and `T + 3 s` within the same
//! advance, and a call released by its pre-call receiver rings, talks and reports within it too.

use std::sync::Arc;
use std::time::Duration;

use openmic_fixtures::{EndOfCallReport, PreCallReply, PreCallRequest};
use tokio::task::JoinHandle;

use crate::data::sets::DataSets;
use crate::outbound::deliveries::{DeliveryAttempt, DeliveryKind, clip, logged_body};
use crate::outbound::sender::{
    Outbound, POST_CALL_TIMEOUT, PRE_CALL_ATTEMPTS, PRE_CALL_DELAYS_MS, PRE_CALL_TIMEOUT,
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

/// Sends one scheduled webhook, if its call still belongs to its data set.
async fn run(dispatch: &Dispatch, item: Scheduled) {
    let data = &dispatch.data;
    let Some(config) = data.webhook_target(&item) else {
        return;
    };
    match item.job {
        Job::PostCall => {
            let call = item.call.at(item.call.end_ms());
            let Some(report) = EndOfCallReport::from_call(&call, &item.call.disconnection_reason)
            else {
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
                async move {
                    deliver(
                        &outbound,
                        kind,
                        &url,
                        &call_id,
                        1,
                        sent_at,
                        body,
                        POST_CALL_TIMEOUT,
                    )
                    .await
                }
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
                data.settle_pre_call(&item, item.call.released(now, None, Default::default()));
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
            let sent_at = data.clock().now_ms();
            let delivery = deliver(
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
            let now = data.clock().now_ms();
            match delivery.reply {
                Ok(reply) => {
                    data.settle_pre_call(
                        &item,
                        item.call
                            .released(now, reply.customer_id, reply.dynamic_variables),
                    );
                }
                Err(()) if attempt < PRE_CALL_ATTEMPTS => {
                    let delay = PRE_CALL_DELAYS_MS[(attempt - 1) as usize];
                    data.schedule().push(
                        now.saturating_add(delay),
                        Scheduled {
                            job: Job::PreCall {
                                attempt: attempt + 1,
                            },
                            ..item
                        },
                    );
                }
                Err(()) => {
                    data.settle_pre_call(&item, item.call.failed_before_start(now));
                }
            }
        }
    }
}

/// The outcome of one attempt: the journal's entry, and for a pre-call the reply read.
struct Sent {
    entry: DeliveryAttempt,
    reply: Result<PreCallReply, ()>,
}

/// Sends one request, journals it, and for a pre-call reads the reply.
#[allow(clippy::too_many_arguments)]
async fn deliver(
    outbound: &Outbound,
    kind: DeliveryKind,
    url: &str,
    call_id: &str,
    attempt: u32,
    sent_at: u64,
    body: String,
    timeout: Duration,
) -> Sent {
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
        return Sent {
            entry: outbound.deliveries.push(entry),
            reply: Err(()),
        };
    }
    let answer = outbound.sender().post(url, body, timeout).await;
    entry.status = answer.status;
    entry.duration_ms = answer.elapsed.as_millis() as u64;
    entry.reply =
        (answer.status.is_some()).then(|| clip(&String::from_utf8_lossy(&answer.body), 4096).0);
    let mut reply = Err(());
    entry.error = match (answer.error, kind) {
        (Some(why), _) => Some(why),
        (None, DeliveryKind::PreCall) => match PreCallReply::parse(&answer.body) {
            Ok(parsed) => {
                reply = Ok(parsed);
                None
            }
            Err(why) => Some(why),
        },
        (None, _) => None,
    };
    match &entry.error {
        None => tracing::info!(
            kind = kind.as_str(),
            url,
            call_id,
            attempt,
            "webhook delivered"
        ),
        Some(why) => {
            tracing::warn!(kind = kind.as_str(), url, call_id, attempt, error = %why, "webhook failed")
        }
    }
    Sent {
        entry: outbound.deliveries.push(entry),
        reply,
    }
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
    let (call, reason) = data
        .finished_call(tenant, call_id)
        .map_err(SendError::Call)?;
    let report = EndOfCallReport::from_call(&call, &reason).ok_or(SendError::Call(
        crate::data::webhooks::FinishedCallError::NotFinished(call.call_status),
    ))?;
    let body = serde_json::to_string(&report).unwrap_or_default();
    let sent = deliver(
        state.outbound(),
        DeliveryKind::PostCall,
        &url,
        call_id,
        1,
        data.clock().now_ms(),
        body,
        POST_CALL_TIMEOUT,
    )
    .await;
    Ok(sent.entry)
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
