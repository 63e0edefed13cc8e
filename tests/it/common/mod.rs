//! Test harness shared by every integration test: real servers with the built module,
//! on free loopback ports in temporary folders, stopped and removed on drop (also when a
//! test fails). Readiness is polled, never slept for.
//!
//! `TALLY_SERVER` picks the server binary (default `redis-server`); the module is
//! `target/release/libtally.so` (`make test` builds it first).
//!
//! Beside it: `reply` (raw replies and their accessors), `aof` (AOF files and replication
//! marks), `rng` (seeded generators, also used by the core tests), `registration` (COMMAND
//! INFO / DOCS checks), `scripts` (Lua from the docs) and `cluster`.

pub mod aof;
pub mod cluster;
pub mod registration;
pub mod reply;
pub mod rng;
pub mod scripts;

use redis::{Connection, Value};
use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

const READY_TIMEOUT: Duration = Duration::from_secs(20);

pub fn module_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/libtally.so")
}

pub fn server_binary() -> String {
    std::env::var("TALLY_SERVER").unwrap_or_else(|_| "redis-server".to_string())
}

pub struct Server {
    child: Child,
    pub port: u16,
    pub dir: PathBuf,
}

/// Options for starting a server.
#[derive(Default, Clone)]
pub struct Options {
    /// Arguments after `--loadmodule <path>` (module configs).
    pub module_args: Vec<String>,
    /// Extra server arguments, e.g. `["--appendonly", "yes"]`.
    pub server_args: Vec<String>,
    /// Reuse this folder (to restart a server on its own data).
    pub dir: Option<PathBuf>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free loopback port")
}

fn fresh_dir() -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "tally-test-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("create the test folder");
    dir
}

impl Server {
    pub fn start() -> Server {
        Server::start_with(Options::default())
    }

    pub fn start_with_module_args(module_args: &[&str]) -> Server {
        Server::start_with(Options {
            module_args: module_args.iter().map(std::string::ToString::to_string).collect(),
            ..Options::default()
        })
    }

    pub fn start_with(options: Options) -> Server {
        let dir = options.dir.clone().unwrap_or_else(fresh_dir);
        // A port picked as free can be taken before the server binds it: try again.
        for _ in 0..5 {
            let port = free_port();
            let mut command = Command::new(server_binary());
            command
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--dir", dir.to_str().expect("utf-8 temp path")])
                .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
                .args(["--logfile", "server.log"])
                .args(&options.server_args)
                .arg("--loadmodule")
                .arg(module_path())
                .args(&options.module_args)
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            let child = command.spawn().expect("start the server binary");
            let mut server = Server { child, port, dir: dir.clone() };
            if server.wait_ready() {
                return server;
            }
            // Keep the folder for the next try; only the process goes.
            let _ = server.child.kill();
            let _ = server.child.wait();
            std::mem::forget(server);
        }
        panic!("server did not start; log:\n{}", std::fs::read_to_string(dir.join("server.log")).unwrap_or_default());
    }

    /// Starts a server whose module load must fail; returns the server log once the
    /// process has exited.
    pub fn start_failing(module_args: &[&str]) -> String {
        let dir = fresh_dir();
        // A unix socket instead of a TCP port: nothing to collide with, and the server
        // gets as far as loading the module.
        let mut child = Command::new(server_binary())
            .args(["--port", "0", "--unixsocket", "server.sock"])
            .args(["--dir", dir.to_str().expect("utf-8 temp path")])
            .args(["--save", "", "--logfile", "server.log", "--loadmodule"])
            .arg(module_path())
            .args(module_args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run the server binary");
        let deadline = Instant::now() + READY_TIMEOUT;
        let status = loop {
            if let Ok(Some(status)) = child.try_wait() {
                break Some(status);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            matches!(status, Some(status) if !status.success()),
            "the server started with module args {module_args:?}:\n{log}"
        );
        assert!(log.contains("Module ") && log.contains("initialization failed"), "{log}");
        log
    }

    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + READY_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if let Ok(mut con) = self.try_connect() {
                // LOADING replies an error until the data set is in memory; and the port
                // may have been taken by another process's server, so check it is ours.
                if redis::cmd("PING").query::<String>(&mut con).is_ok() {
                    return self.answers_as_our_process(&mut con);
                }
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }

    /// The server's `redis_version` (Valkey reports the Redis version it is compatible with).
    pub fn version(&self) -> String {
        let mut con = self.connect();
        let info: String = redis::cmd("INFO").arg("server").query(&mut con).unwrap_or_default();
        info.lines().find_map(|line| line.strip_prefix("redis_version:")).unwrap_or_default().trim().to_string()
    }

    /// True when the server is Valkey (its INFO has `valkey_version`).
    pub fn is_valkey(&self) -> bool {
        let mut con = self.connect();
        let info: String = redis::cmd("INFO").arg("server").query(&mut con).unwrap_or_default();
        info.contains("valkey_version:")
    }

    fn answers_as_our_process(&self, con: &mut Connection) -> bool {
        let info: String = redis::cmd("INFO").arg("server").query(con).unwrap_or_default();
        let ours = format!("process_id:{}", self.child.id());
        info.lines().any(|line| line.trim_end() == ours)
    }

    fn try_connect(&self) -> redis::RedisResult<Connection> {
        connect_port(self.port)
    }

    pub fn connect(&self) -> Connection {
        self.try_connect().expect("connect to the test server")
    }

    /// Starts a replica of this server and waits until its link is up.
    pub fn start_replica(&self) -> Server {
        let replica = Server::start_with(Options {
            server_args: vec!["--replicaof".into(), "127.0.0.1".into(), self.port.to_string()],
            ..Options::default()
        });
        let mut con = replica.connect();
        poll_until(Duration::from_secs(20), || {
            let info: String = redis::cmd("INFO").arg("replication").query(&mut con).unwrap_or_default();
            info.contains("master_link_status:up")
        });
        replica
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// True while the process runs and answers PING.
    pub fn is_up(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
            && self.try_connect().and_then(|mut c| redis::cmd("PING").query::<String>(&mut c)).is_ok()
    }

    /// Kills the process (SIGKILL) but keeps its folder, for restart tests.
    pub fn kill(mut self) -> PathBuf {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let dir = self.dir.clone();
        std::mem::forget(self);
        dir
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A connection whose reads and writes give up after 30 s, so a hung server fails its test
/// instead of stalling the run.
pub fn connect_port(port: u16) -> redis::RedisResult<Connection> {
    hold_child_signals();
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/"))?;
    let con = client.get_connection_with_timeout(Duration::from_secs(2))?;
    con.set_read_timeout(Some(Duration::from_secs(30)))?;
    con.set_write_timeout(Some(Duration::from_secs(30)))?;
    Ok(con)
}

/// Blocks SIGCHLD in the calling thread (and the threads it starts). A socket with a timeout
/// is never restarted after a signal: when a child process exits while the thread that
/// started it is inside another spawn (signals blocked), the kernel hands the SIGCHLD to
/// some other thread, and a read there fails with EINTR, even though SIGCHLD is ignored.
/// All tests share one process, and some spawn hundreds of processes (redis-cli, date), so
/// this happens. Child processes start with an empty mask (std resets it).
fn hold_child_signals() {
    // SAFETY: plain libc calls on a local, zero-initialised sigset_t.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&raw mut set);
        libc::sigaddset(&raw mut set, libc::SIGCHLD);
        libc::pthread_sigmask(libc::SIG_BLOCK, &raw const set, std::ptr::null_mut());
    }
}

/// Polls `condition` every 10 ms until it holds; panics after `timeout`.
pub fn poll_until(timeout: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !condition() {
        assert!(Instant::now() < deadline, "condition not met within {timeout:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs a command given as separate arguments and renders the reply like a compact
/// redis-cli: bulk strings quoted, integers bare, `nil`, arrays as `[a, b]`, and errors as
/// `(error) <text>`.
pub fn run<A: AsRef<[u8]>>(con: &mut Connection, args: &[A]) -> String {
    let mut command = redis::cmd(std::str::from_utf8(args[0].as_ref()).unwrap());
    for arg in &args[1..] {
        command.arg(arg.as_ref());
    }
    match command.query::<Value>(con) {
        Ok(value) => render(&value),
        Err(error) => format!("(error) {}", error_text(&error)),
    }
}

/// `run` with a command line split on spaces (for arguments without spaces).
pub fn sh(con: &mut Connection, line: &str) -> String {
    run(con, &words(line))
}

/// `sh` of a command line that must succeed: the rendered reply, never an error.
pub fn sh_ok(con: &mut Connection, line: &str) -> String {
    let reply = sh(con, line);
    assert!(!reply.starts_with("(error)"), "{line} -> {reply}");
    reply
}

/// A tournament's settings value (or a reply or command showing it) without the creation
/// time TOURNEY.CREATE records after the options (` created <unix ms>`).
pub fn without_created(text: &str) -> String {
    match text.find(" created ") {
        Some(at) => {
            let digits = text[at + 9..].bytes().take_while(u8::is_ascii_digit).count();
            format!("{}{}", &text[..at], &text[at + 9 + digits..])
        }
        None => text.to_string(),
    }
}

/// A command line split on spaces.
pub fn words(line: &str) -> Vec<&str> {
    line.split(' ').collect()
}

/// A command line split on spaces, as byte arguments.
pub fn byte_words(line: &str) -> Vec<Vec<u8>> {
    line.split(' ').map(|word| word.as_bytes().to_vec()).collect()
}

/// Keys with their DUMP payload and absolute expiry (PEXPIRETIME).
pub type KeyDumps = BTreeMap<Vec<u8>, (Vec<u8>, i64)>;

/// Every key with its DUMP payload and absolute expiry: equal dumps mean nothing was written.
pub fn key_dumps(con: &mut Connection) -> KeyDumps {
    key_dumps_where(con, |_| true)
}

/// `key_dumps` of the keys that `keep` accepts.
pub fn key_dumps_where(con: &mut Connection, keep: impl Fn(&[u8]) -> bool) -> KeyDumps {
    let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(con).expect("KEYS");
    keys.into_iter()
        .filter(|key| keep(key))
        .map(|key| {
            let dump: Vec<u8> = redis::cmd("DUMP").arg(&key).query(con).expect("DUMP");
            let expiry: i64 = redis::cmd("PEXPIRETIME").arg(&key).query(con).expect("PEXPIRETIME");
            (key, (dump, expiry))
        })
        .collect()
}

/// A connection authenticated as `user` (created with `nopass`, so any password works).
pub fn login(server: &Server, user: &str) -> Connection {
    let mut con = server.connect();
    assert_eq!(run(&mut con, &["AUTH", user, "any-password"]), "OK");
    con
}

/// The keyspace events (event names, in order) that command `lines`, which must succeed, fire on `key`.
pub fn key_events(server: &Server, key: &str, lines: &[&str]) -> Vec<String> {
    keyspace_events(server, key, |con| {
        for line in lines {
            assert!(!sh(con, line).starts_with("(error)"), "{line}");
        }
    })
}

/// The keyspace events (event names, in order) that `steps` fire on `key`. A final SET on
/// a sentinel key marks the end, so no wait is needed.
pub fn keyspace_events(server: &Server, key: &str, steps: impl FnOnce(&mut Connection)) -> Vec<String> {
    let mut con = server.connect();
    assert_eq!(sh(&mut con, "CONFIG SET notify-keyspace-events KEA"), "OK");
    let mut listener = server.connect();
    let mut pubsub = listener.as_pubsub();
    pubsub.psubscribe(format!("__keyspace@0__:{key}")).expect("PSUBSCRIBE");
    pubsub.psubscribe("__keyspace@0__:sentinel").expect("PSUBSCRIBE");
    steps(&mut con);
    assert_eq!(sh(&mut con, "SET sentinel 1"), "OK");
    let mut events = Vec::new();
    loop {
        let message = pubsub.get_message().expect("a keyspace event");
        if message.get_channel_name().ends_with(":sentinel") {
            return events;
        }
        events.push(message.get_payload::<String>().expect("an event name"));
    }
}

/// The full RESP error text of a failed command (code word first).
pub fn error_text(error: &redis::RedisError) -> String {
    match (error.code(), error.detail()) {
        (Some(code), Some(detail)) => format!("{code} {detail}"),
        (Some(code), None) => code.to_string(),
        _ => error.to_string(),
    }
}

pub fn render(value: &Value) -> String {
    match value {
        Value::Nil => "nil".into(),
        Value::Int(i) => i.to_string(),
        Value::BulkString(bytes) => format!("\"{}\"", String::from_utf8_lossy(bytes)),
        Value::SimpleString(s) => s.clone(),
        Value::Okay => "OK".into(),
        Value::Double(d) => format!("{d}"),
        Value::Boolean(b) => b.to_string(),
        Value::Array(items) | Value::Set(items) => {
            format!("[{}]", items.iter().map(render).collect::<Vec<_>>().join(", "))
        }
        Value::Map(pairs) => format!(
            "{{{}}}",
            pairs.iter().map(|(k, v)| format!("{}: {}", render(k), render(v))).collect::<Vec<_>>().join(", ")
        ),
        Value::ServerError(error) => format!("(error) {} {}", error.code(), error.details().unwrap_or_default()),
        other => format!("{other:?}"),
    }
}
