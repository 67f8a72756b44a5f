//! How the client reaches a server: a child process over its stdin and stdout, or any pair of
//! byte streams. A child process is stopped as the spec's stdio transport says (close its
//! stdin, give it a moment to exit, then kill it) and always reaped.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStderr, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use crate::client::ClientError;

/// The last lines of a server's stderr kept for error messages.
const STDERR_TAIL_LINES: usize = 8;
/// How long an exit report waits for the stderr of a server that has exited to be read to
/// its end (a grandchild may hold it open).
const STDERR_END_WAIT: Duration = Duration::from_millis(500);

/// The last lines of a server's stderr, and whether it has ended.
#[derive(Debug, Default)]
struct StderrTail {
    lines: VecDeque<String>,
    ended: bool,
}

/// A [`StderrTail`] shared with the thread that reads stderr.
#[derive(Debug, Default)]
struct SharedTail {
    tail: Mutex<StderrTail>,
    ended: Condvar,
}

impl SharedTail {
    fn lock(&self) -> std::sync::MutexGuard<'_, StderrTail> {
        self.tail.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, line: String) {
        let mut tail = self.lock();
        if tail.lines.len() == STDERR_TAIL_LINES {
            tail.lines.pop_front();
        }
        tail.lines.push_back(line);
    }

    fn end(&self) {
        self.lock().ended = true;
        self.ended.notify_all();
    }

    /// The lines, joined, once stderr has ended or `wait` has passed.
    fn joined_after(&self, wait: Duration) -> String {
        let tail = self.lock();
        let (tail, _timeout) = self
            .ended
            .wait_timeout_while(tail, wait, |tail| !tail.ended)
            .unwrap_or_else(PoisonError::into_inner);
        tail.lines
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" | ")
    }
}

/// The command that starts an MCP server speaking stdio, such as `courier mcp` or
/// `node server-everything/dist/index.js`. Its stderr is read by the client: each line is
/// logged at debug level, and the last few go into the error when the server exits.
#[derive(Clone, Debug)]
pub struct ServerCommand {
    program: OsString,
    args: Vec<OsString>,
    envs: Vec<(OsString, OsString)>,
    current_dir: Option<PathBuf>,
}

impl ServerCommand {
    /// A command running `program` (looked up in `PATH` as [`Command::new`] does).
    pub fn new(program: impl AsRef<OsStr>) -> ServerCommand {
        ServerCommand {
            program: program.as_ref().to_owned(),
            args: Vec::new(),
            envs: Vec::new(),
            current_dir: None,
        }
    }

    /// Adds an argument.
    #[must_use]
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> ServerCommand {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Adds arguments.
    #[must_use]
    pub fn args(mut self, args: impl IntoIterator<Item = impl AsRef<OsStr>>) -> ServerCommand {
        self.args
            .extend(args.into_iter().map(|arg| arg.as_ref().to_owned()));
        self
    }

    /// Sets an environment variable for the server.
    #[must_use]
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> ServerCommand {
        self.envs
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Sets the server's working directory.
    #[must_use]
    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> ServerCommand {
        self.current_dir = Some(dir.into());
        self
    }

    /// The program and arguments, for messages.
    pub(crate) fn label(&self) -> String {
        let mut label = self.program.to_string_lossy().into_owned();
        for arg in &self.args {
            label.push(' ');
            label.push_str(&arg.to_string_lossy());
        }
        label
    }

    /// Starts the server with piped stdin, stdout and stderr.
    pub(crate) fn spawn(&self) -> Result<Streams, ClientError> {
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .envs(self.envs.iter().map(|(key, value)| (key, value)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(dir) = &self.current_dir {
            command.current_dir(dir);
        }
        let label = self.label();
        let mut child = command.spawn().map_err(|source| ClientError::Spawn {
            program: label.clone(),
            source,
        })?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            unreachable!("all three streams were asked to be piped")
        };
        let process = Process::new(child, stderr, &label);
        Ok(Streams {
            label,
            reader: Box::new(stdout),
            writer: Box::new(stdin),
            process: Some(process),
        })
    }
}

/// A pair of byte streams to a server that is already running (a socket, a pipe, an
/// in-memory channel): the client reads JSON-RPC lines from `reader` and writes to `writer`.
/// Closing the session drops `writer`; the client's reader thread ends when `reader` does.
pub struct ByteStreams {
    label: String,
    reader: Box<dyn Read + Send>,
    writer: Box<dyn Write + Send>,
}

impl ByteStreams {
    /// Streams to a server that errors call `label`.
    pub fn new(
        label: impl Into<String>,
        reader: impl Read + Send + 'static,
        writer: impl Write + Send + 'static,
    ) -> ByteStreams {
        ByteStreams {
            label: label.into(),
            reader: Box::new(reader),
            writer: Box::new(writer),
        }
    }
}

impl fmt::Debug for ByteStreams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ByteStreams")
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

/// What a connection is opened over.
pub(crate) struct Streams {
    pub(crate) label: String,
    pub(crate) reader: Box<dyn Read + Send>,
    pub(crate) writer: Box<dyn Write + Send>,
    pub(crate) process: Option<Arc<Process>>,
}

impl From<ByteStreams> for Streams {
    fn from(streams: ByteStreams) -> Streams {
        Streams {
            label: streams.label,
            reader: streams.reader,
            writer: streams.writer,
            process: None,
        }
    }
}

/// A server's child process: the handle to kill and reap it, and the tail of its stderr.
#[derive(Debug)]
pub(crate) struct Process {
    child: Mutex<Child>,
    pid: u32,
    stderr_tail: Arc<SharedTail>,
}

impl Process {
    fn new(child: Child, stderr: ChildStderr, label: &str) -> Arc<Process> {
        let stderr_tail = Arc::new(SharedTail::default());
        let tail = Arc::clone(&stderr_tail);
        let server = label.to_owned();
        // The stderr reader ends when the server (and whatever inherited its stderr) exits.
        let spawned = thread::Builder::new()
            .name("mcp-client-stderr".to_owned())
            .spawn(move || {
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    tracing::debug!(server = %server, "stderr: {line}");
                    tail.push(line);
                }
                tail.end();
            });
        if let Err(error) = spawned {
            tracing::warn!("no thread to read the MCP server's stderr: {error}");
            stderr_tail.end();
        }
        Arc::new(Process {
            pid: child.id(),
            child: Mutex::new(child),
            stderr_tail,
        })
    }

    /// The server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    fn child(&self) -> std::sync::MutexGuard<'_, Child> {
        self.child.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits up to `wait` for the process to exit, without killing it.
    fn exit_status_within(&self, wait: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + wait;
        loop {
            // std has no wait-with-timeout: poll, parking between polls.
            if let Ok(Some(status)) = self.child().try_wait() {
                return Some(status);
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            thread::park_timeout((deadline - now).min(Duration::from_millis(10)));
        }
    }

    /// Why the server's output ended: its exit status (waiting up to `wait` for it) and the
    /// last lines of its stderr.
    pub(crate) fn exit_report(&self, wait: Duration) -> String {
        let (mut report, stderr_wait) = match self.exit_status_within(wait) {
            // Its last words may still be in the pipe: read them to the end first.
            Some(status) => (
                format!("the server (pid {}) exited with {status}", self.pid),
                STDERR_END_WAIT,
            ),
            None => (
                format!("the server (pid {}) closed its output", self.pid),
                Duration::ZERO,
            ),
        };
        let tail = self.stderr_tail.joined_after(stderr_wait);
        if !tail.is_empty() {
            report.push_str("; its last stderr lines: ");
            report.push_str(&tail);
        }
        report
    }

    /// Stops the server: its stdin is already closed, so a well-behaved server exits within
    /// `grace`; otherwise it is killed. Either way it is reaped.
    pub(crate) fn stop(&self, grace: Duration) {
        if self.exit_status_within(grace).is_some() {
            return;
        }
        let mut child = self.child();
        if let Err(error) = child.kill() {
            tracing::debug!(pid = self.pid, "kill: {error}");
        }
        if let Err(error) = child.wait() {
            tracing::warn!(pid = self.pid, "could not reap the MCP server: {error}");
        }
    }
}
