//! A client in any language, driven over a pipe: [`AdapterClient`] runs a command (the adapter) with
//! `OPENMIC_BASE_URL` and `OPENMIC_API_KEY` in its environment and speaks JSON Lines with it, one request at
//! a time, as `docs/client-adapter.md` specifies. It implements [`ClientUnderTest`], so the same properties
//! check a Rust client and an adapter.
//!
//! The adapter's stdout is read on a thread of its own so that every answer can be waited for with a timeout:
//! a hung adapter must fail its property, not hang the kit. Its stderr passes through to the kit's stderr.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::client::under_test::{
    CallsPage, ClientError, ClientParams, ClientUnderTest, CreateCallParams, ErrorKind, WaitParams,
};
use crate::report::clip;

/// How long the kit waits for one answer by default, as the protocol promises adapters.
pub const DEFAULT_ADAPTER_TIMEOUT: Duration = Duration::from_secs(30);

/// How long an adapter whose stdout closed is given to exit, so its exit status can be reported.
const STDOUT_CLOSED_GRACE: Duration = Duration::from_secs(1);

/// How long a closed stdin is given to end the adapter before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(3);

/// A running adapter process.
#[derive(Debug)]
pub struct AdapterClient {
    command: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<std::io::Result<String>>,
    next_id: u64,
    timeout: Duration,
    broken: Option<String>,
    /// Answers received so far: an adapter that ends before its first one never started.
    answered: u64,
    /// Set when the adapter ended on its own before answering anything: how it ended.
    never_started: Option<String>,
}

impl AdapterClient {
    /// Starts `command` (run by `sh -c`, so quoting, pipes and `VAR=value` prefixes work) for this base URL
    /// and key.
    pub fn spawn(
        command: &str,
        base_url: &str,
        api_key: &str,
        timeout: Duration,
    ) -> std::io::Result<Self> {
        // Not `exec {command}`: `exec VAR=value cmd` looks for a program called `VAR=value`. The shell runs the
        // command line as typed, in a process group of its own, so a hung adapter and anything it started can
        // be killed together.
        let mut shell = Command::new("sh");
        shell
            .arg("-c")
            .arg(command)
            .env("OPENMIC_BASE_URL", base_url)
            .env("OPENMIC_API_KEY", api_key)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut shell, 0);
        let mut child = shell.spawn()?;
        let stdin = child.stdin.take();
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| std::io::Error::other("the adapter's stdout is not a pipe"))?;
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Self {
            command: command.to_string(),
            child,
            stdin,
            lines,
            next_id: 1,
            timeout,
            broken: None,
            answered: 0,
            never_started: None,
        })
    }

    /// The command line, for messages.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// Sends one request and waits for the answer with the same `id`: its `ok` value, its `error` as a
    /// [`ClientError`], or `unsupported`. A protocol violation, a timeout or an exited adapter is an
    /// [`ErrorKind::Other`] whose message starts with `adapter:`, and every later request fails the same way.
    pub fn request(&mut self, mut message: Value) -> Result<Value, ClientError> {
        if let Some(why) = &self.broken {
            return Err(protocol_error(why.clone()));
        }
        let id = self.next_id;
        self.next_id += 1;
        message["id"] = json!(id);
        let result = self.exchange(id, &message);
        match &result {
            Ok(_) => self.answered += 1,
            Err(why) => {
                if self.answered == 0
                    && let Ok(Some(status)) = self.child.try_wait()
                {
                    self.never_started = Some(status.to_string());
                }
                self.broken = Some(why.clone());
                self.kill();
            }
        }
        match result {
            Ok(answer) => interpret(answer),
            Err(why) => Err(protocol_error(why)),
        }
    }

    fn exchange(&mut self, id: u64, message: &Value) -> Result<Value, String> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| "stdin is closed".to_string())?;
        writeln!(stdin, "{message}")
            .and_then(|()| stdin.flush())
            .map_err(|e| format!("cannot write request {id}: {e} (has the adapter exited?)"))?;
        let deadline = Instant::now() + self.timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match self.lines.recv_timeout(left) {
                Ok(Ok(line)) => line,
                Ok(Err(e)) => return Err(format!("cannot read its stdout: {e}")),
                Err(RecvTimeoutError::Timeout) => {
                    return Err(format!(
                        "no answer to request {id} within {:.0} s",
                        self.timeout.as_secs_f64()
                    ));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(format!(
                        "exited before answering request {id} ({})",
                        self.exit_status(STDOUT_CLOSED_GRACE)
                            .map_or("still running, stdout closed".into(), |s| s.to_string())
                    ));
                }
            };
            if line.trim().is_empty() {
                continue;
            }
            let answer: Value = serde_json::from_str(&line).map_err(|e| {
                format!(
                    "answered a line that is not JSON ({e}): {}",
                    clip(&line, 300)
                )
            })?;
            match answer.get("id").and_then(Value::as_u64) {
                Some(got) if got == id => return Ok(answer),
                _ => {
                    return Err(format!(
                        "answered with the wrong id (expected {id}): {}",
                        clip(&line, 300)
                    ));
                }
            }
        }
    }
}

impl AdapterClient {
    /// How the adapter ended, waiting up to `grace` for it: a closed stdout usually means an exit under way.
    fn exit_status(&mut self, grace: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + grace;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Err(_) => return None,
                Ok(None) if Instant::now() >= deadline => return None,
                // Polling an exit, not readiness: the child has no other way to say it ended.
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    }

    /// Kills the adapter and everything in its process group (the shell, the program it runs, its children).
    fn kill(&mut self) {
        #[cfg(unix)]
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
    }
}

/// An answer line as a result.
fn interpret(answer: Value) -> Result<Value, ClientError> {
    if let Some(ok) = answer.get("ok") {
        return Ok(ok.clone());
    }
    if answer.get("unsupported") == Some(&Value::Bool(true)) {
        return Err(ClientError::unsupported());
    }
    if let Some(error) = answer.get("error") {
        let kind_text = error.get("kind").and_then(Value::as_str).unwrap_or("");
        let Some(kind) = ErrorKind::parse(kind_text) else {
            return Err(protocol_error(format!(
                "answered an error of unknown kind {kind_text:?}: {answer}"
            )));
        };
        return Err(ClientError {
            kind,
            status: error
                .get("status")
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok()),
            message: error
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        });
    }
    Err(protocol_error(format!(
        "answered neither `ok`, `error` nor `unsupported`: {}",
        clip(&answer.to_string(), 300)
    )))
}

fn protocol_error(why: String) -> ClientError {
    ClientError::new(ErrorKind::Other, format!("adapter: {why}"))
}

fn expect_page(value: Value) -> Result<CallsPage, ClientError> {
    let calls = value.get("calls").and_then(Value::as_array).cloned();
    let pagination = value.get("pagination").cloned();
    match (calls, pagination) {
        (Some(calls), Some(pagination)) => Ok(CallsPage { calls, pagination }),
        _ => Err(protocol_error(format!(
            "list_calls answered `ok` without `calls` and `pagination`: {}",
            clip(&value.to_string(), 300)
        ))),
    }
}

impl ClientUnderTest for AdapterClient {
    fn list_calls(&mut self, params: &ClientParams) -> Result<CallsPage, ClientError> {
        let ok = self.request(json!({"op": "list_calls", "params": params.to_json()}))?;
        expect_page(ok)
    }

    fn get_call(&mut self, call_id: &str) -> Result<Value, ClientError> {
        self.request(json!({"op": "get_call", "call_id": call_id}))
    }

    fn start_failure(&mut self) -> Option<String> {
        self.never_started.as_ref().map(|how| {
            format!(
                "the adapter `{}` did not start: it exited ({how}) before answering its first request; its stderr, if any, is above",
                self.command
            )
        })
    }

    fn create_call(&mut self, params: &CreateCallParams) -> Result<Value, ClientError> {
        self.request(json!({"op": "create_call", "params": params.to_json()}))
    }

    fn wait_for_end(&mut self, call_id: &str, wait: &WaitParams) -> Result<Value, ClientError> {
        self.request(json!({
            "op": "wait_for_end",
            "call_id": call_id,
            "min_interval_ms": wait.min_interval.as_millis() as u64,
            "timeout_ms": wait.timeout.as_millis() as u64,
        }))
    }

    fn list_all(&mut self, params: &ClientParams) -> Result<Vec<Value>, ClientError> {
        match self.request(json!({"op": "list_all", "params": params.to_json()}))? {
            Value::Array(calls) => Ok(calls),
            other => Err(protocol_error(format!(
                "list_all answered `ok` with something other than an array: {}",
                clip(&other.to_string(), 300)
            ))),
        }
    }
}

impl Drop for AdapterClient {
    /// Closes stdin (the protocol's "exit"), gives the adapter a moment to end, then kills it.
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + EXIT_GRACE;
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                // Polling an exit, not readiness: the child has no other way to say it ended.
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
        self.kill();
        let _ = self.child.wait();
    }
}

#[cfg(unix)]
#[cfg(test)]
mod tests {
    use super::*;

    /// An adapter running the shell script `script`, with a short answer timeout.
    fn adapter(script: &str) -> AdapterClient {
        AdapterClient::spawn(script, "http://127.0.0.1:9", "key", Duration::from_secs(10))
            .expect("sh starts")
    }

    fn ask(client: &mut AdapterClient) -> Result<Value, ClientError> {
        client.request(json!({"op": "get_call", "call_id": "c"}))
    }

    /// A file path of this test's own under the temporary directory.
    fn scratch(name: &str) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("adapter-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        path
    }

    #[test]
    fn the_command_line_is_kept_as_given_for_messages() {
        let client = adapter("cat >/dev/null # an adapter");
        assert_eq!(client.command(), "cat >/dev/null # an adapter");
    }

    #[test]
    fn requests_are_numbered_one_by_one_and_an_answer_must_carry_its_number() {
        let mut client = adapter(
            r#"read a; echo '{"id":1,"ok":"one"}'; read b; echo '{"id":2,"ok":"two"}'; read c; echo '{"id":2,"ok":"again"}'; cat >/dev/null"#,
        );
        assert_eq!(ask(&mut client).unwrap(), json!("one"));
        assert_eq!(ask(&mut client).unwrap(), json!("two"));
        let wrong = ask(&mut client).unwrap_err();
        assert!(
            wrong
                .message
                .contains("answered with the wrong id (expected 3)"),
            "{}",
            wrong.message
        );
    }

    #[test]
    fn an_adapter_that_answered_and_then_ended_did_start_and_its_exit_is_reported() {
        let mut client = adapter(r#"read a; echo '{"id":1,"ok":1}'; read b; exit 3"#);
        assert_eq!(ask(&mut client).unwrap(), json!(1));
        let ended = ask(&mut client).unwrap_err();
        assert!(
            ended
                .message
                .contains("exited before answering request 2 (exit status: 3)"),
            "{}",
            ended.message
        );
        assert_eq!(client.start_failure(), None);
    }

    #[test]
    fn an_adapter_ending_just_after_closing_its_stdout_is_waited_for() {
        // The exit comes 0.2 s after stdout closes: within the grace, so its status is what is reported.
        let mut client = adapter("read a; exec 1>&-; sleep 0.2; exit 4");
        let ended = ask(&mut client).unwrap_err();
        assert!(
            ended.message.contains("(exit status: 4)"),
            "{}",
            ended.message
        );
        assert!(client.start_failure().unwrap().contains("exit status: 4"));
    }

    #[test]
    fn an_adapter_running_on_with_its_stdout_closed_is_reported_as_such_after_the_grace() {
        let mut client = adapter("read a; exec 1>&-; exec sleep 30");
        let started = Instant::now();
        let closed = ask(&mut client).unwrap_err();
        assert!(
            closed.message.contains("(still running, stdout closed)"),
            "{}",
            closed.message
        );
        assert!(started.elapsed() >= STDOUT_CLOSED_GRACE);
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn dropped_the_adapter_gets_its_grace_to_finish() {
        let mark = scratch("finished");
        let client = adapter(&format!(
            "cat >/dev/null; sleep 0.3; touch '{}'",
            mark.display()
        ));
        drop(client);
        assert!(
            mark.exists(),
            "the adapter was killed before it could finish"
        );
        let _ = std::fs::remove_file(&mark);
    }

    #[test]
    fn dropped_an_adapter_that_does_not_end_is_killed() {
        let pid_file = scratch("pid");
        let client = adapter(&format!(
            "echo $$ > '{}'; exec sleep 60",
            pid_file.display()
        ));
        let started = Instant::now();
        let pid = loop {
            match std::fs::read_to_string(&pid_file) {
                Ok(text) if text.ends_with('\n') => break text.trim().to_string(),
                _ if started.elapsed() > Duration::from_secs(10) => {
                    panic!("the adapter never started")
                }
                _ => std::thread::sleep(Duration::from_millis(10)),
            }
        };
        drop(client);
        let elapsed = started.elapsed();
        assert!(
            elapsed >= EXIT_GRACE,
            "killed without its grace: {elapsed:?}"
        );
        assert!(
            elapsed < EXIT_GRACE + Duration::from_secs(20),
            "waited for the adapter to end instead of killing it: {elapsed:?}"
        );
        // `kill -0` asks whether the process exists (a zombie would: the drop reaps it).
        let alive = Command::new("kill")
            .args(["-0", &pid])
            .stderr(Stdio::null())
            .status()
            .expect("kill runs")
            .success();
        assert!(!alive, "the adapter {pid} is still there");
        let _ = std::fs::remove_file(&pid_file);
    }
}
