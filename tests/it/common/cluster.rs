//! A Redis Cluster of real servers with the module loaded on every node, on loopback
//! ports in temporary folders, built with `redis-cli --cluster create`. Every wait is a
//! poll. Dropping the cluster stops every node and removes every folder, also of nodes a
//! test killed.
//!
//! `ClusterClient` is a small cluster-aware client: it routes by hash slot and follows
//! `MOVED` / `ASK` redirections, as users' cluster clients do (redis-rs has one only with
//! its `cluster` feature, which the project does not enable).

use super::{connect_port, free_port, poll_until, Options, Server};
use redis::{Connection, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `cluster-node-timeout`: a killed primary is failed over about this long after its death.
pub const NODE_TIMEOUT_MS: u64 = 2000;

/// How long forming the cluster, or a failover, may take before the test fails.
pub const SETTLE_TIMEOUT: Duration = Duration::from_secs(30);

pub const SLOTS: u16 = 16384;

/// The slot of a key as a cluster client computes it (CRC16-XMODEM of the hash tag, or of
/// the whole key when it has no non-empty `{...}`), to route commands.
pub fn client_slot(key: &[u8]) -> u16 {
    let hashed = match key.iter().position(|&b| b == b'{') {
        Some(open) => match key[open + 1..].iter().position(|&b| b == b'}') {
            Some(0) | None => key,
            Some(len) => &key[open + 1..open + 1 + len],
        },
        None => key,
    };
    let mut crc: u16 = 0;
    for &byte in hashed {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
        }
    }
    crc % SLOTS
}

/// One line of `CLUSTER NODES`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeEntry {
    pub id: String,
    pub port: u16,
    pub flags: Vec<String>,
    /// The primary's id for a replica.
    pub primary_id: Option<String>,
    /// Slot ranges served (inclusive), for a primary.
    pub slots: Vec<(u16, u16)>,
}

impl NodeEntry {
    pub fn is_primary(&self) -> bool {
        self.flags.iter().any(|f| f == "master")
    }
    pub fn is_replica(&self) -> bool {
        self.flags.iter().any(|f| f == "slave" || f == "replica")
    }
    pub fn is_failed(&self) -> bool {
        self.flags.iter().any(|f| f == "fail" || f == "fail?" || f == "noaddr" || f == "handshake")
    }
}

/// Parses `CLUSTER NODES` output.
pub fn parse_cluster_nodes(text: &str) -> Vec<NodeEntry> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            assert!(fields.len() >= 8, "unexpected CLUSTER NODES line: {line}");
            // ip:port@cport[,hostname]
            let address = fields[1].split('@').next().unwrap_or_default();
            let port = address.rsplit(':').next().and_then(|p| p.parse().ok()).unwrap_or(0);
            let slots = fields[8..]
                .iter()
                .filter(|s| !s.starts_with('[')) // importing / migrating markers
                .map(|s| match s.split_once('-') {
                    Some((a, b)) => (a.parse().expect("slot"), b.parse().expect("slot")),
                    None => {
                        let slot = s.parse().expect("slot");
                        (slot, slot)
                    }
                })
                .collect();
            NodeEntry {
                id: fields[0].to_string(),
                port,
                flags: fields[2].split(',').map(str::to_string).collect(),
                primary_id: (fields[3] != "-").then(|| fields[3].to_string()),
                slots,
            }
        })
        .collect()
}

fn info_field(info: &str, name: &str) -> Option<String> {
    info.lines().find_map(|line| line.trim_end().strip_prefix(name)?.strip_prefix(':').map(str::to_string))
}

pub struct Cluster {
    /// Live nodes by port.
    nodes: BTreeMap<u16, Server>,
    /// Folders of killed nodes, removed on drop.
    dead: Vec<PathBuf>,
    /// Every node ever started (dead ones stay in the others' node tables).
    started: usize,
}

impl Cluster {
    /// Starts `primaries` primaries, each with `replicas_per_primary` replicas, forms the
    /// cluster with `redis-cli --cluster create` and waits until every node agrees on it.
    pub fn start(primaries: usize, replicas_per_primary: usize) -> Cluster {
        assert!(primaries >= 3, "redis-cli --cluster create needs at least 3 primaries");
        let total = primaries * (1 + replicas_per_primary);
        let mut cluster = Cluster { nodes: BTreeMap::new(), dead: Vec::new(), started: total };
        for _ in 0..total {
            let server = start_node();
            cluster.nodes.insert(server.port, server);
        }
        let mut command = Command::new("redis-cli");
        command.arg("--cluster").arg("create");
        for port in cluster.nodes.keys() {
            command.arg(format!("127.0.0.1:{port}"));
        }
        command.args(["--cluster-replicas", &replicas_per_primary.to_string(), "--cluster-yes"]);
        let output = run_with_timeout(command, SETTLE_TIMEOUT);
        assert!(
            output.0 && output.1.contains("All 16384 slots covered"),
            "redis-cli --cluster create failed:\n{}\n{}",
            output.1,
            cluster.logs()
        );
        cluster.wait_stable();
        let view = cluster.topology();
        let serving = view.iter().filter(|n| n.is_primary() && !n.slots.is_empty()).count();
        assert_eq!(serving, primaries, "{view:?}");
        assert_eq!(view.iter().filter(|n| n.is_replica()).count(), total - primaries, "{view:?}");
        cluster
    }

    /// Ports of the live nodes.
    pub fn ports(&self) -> Vec<u16> {
        self.nodes.keys().copied().collect()
    }

    pub fn server(&self, port: u16) -> &Server {
        self.nodes.get(&port).unwrap_or_else(|| panic!("no live node on port {port}"))
    }

    pub fn connect(&self, port: u16) -> Connection {
        self.server(port).connect()
    }

    /// A connection to some live node.
    pub fn any(&self) -> Connection {
        self.connect(*self.nodes.keys().next().expect("a live node"))
    }

    /// `CLUSTER KEYSLOT key`, asked of a live node.
    pub fn keyslot(&self, key: &[u8]) -> u16 {
        redis::cmd("CLUSTER").arg("KEYSLOT").arg(key).query(&mut self.any()).expect("CLUSTER KEYSLOT")
    }

    /// The cluster as a live node sees it.
    pub fn topology(&self) -> Vec<NodeEntry> {
        let text: String = redis::cmd("CLUSTER").arg("NODES").query(&mut self.any()).expect("CLUSTER NODES");
        parse_cluster_nodes(&text)
    }

    /// The port of the primary serving `slot`.
    pub fn owner_of_slot(&self, slot: u16) -> u16 {
        self.topology()
            .iter()
            .find(|n| n.is_primary() && !n.is_failed() && n.slots.iter().any(|&(a, b)| (a..=b).contains(&slot)))
            .unwrap_or_else(|| panic!("no primary serves slot {slot}"))
            .port
    }

    /// The port of the primary serving `key` (its slot asked of the server).
    pub fn owner_of_key(&self, key: &[u8]) -> u16 {
        self.owner_of_slot(self.keyslot(key))
    }

    /// A connection to the primary serving `key`.
    pub fn connect_to_owner(&self, key: &[u8]) -> Connection {
        self.connect(self.owner_of_key(key))
    }

    /// Ports of the live primaries that serve slots.
    pub fn primaries(&self) -> Vec<u16> {
        let mut ports: Vec<u16> = self
            .topology()
            .iter()
            .filter(|n| n.is_primary() && !n.is_failed() && !n.slots.is_empty())
            .map(|n| n.port)
            .collect();
        ports.sort_unstable();
        ports
    }

    /// Ports of the live replicas of the primary on `primary_port`.
    pub fn replicas_of(&self, primary_port: u16) -> Vec<u16> {
        let view = self.topology();
        let id = &view.iter().find(|n| n.port == primary_port).expect("the primary in CLUSTER NODES").id;
        let mut ports: Vec<u16> = view
            .iter()
            .filter(|n| n.is_replica() && n.primary_id.as_ref() == Some(id) && self.nodes.contains_key(&n.port))
            .map(|n| n.port)
            .collect();
        ports.sort_unstable();
        ports
    }

    /// The (first) live replica of the primary on `primary_port`.
    pub fn replica_of(&self, primary_port: u16) -> u16 {
        *self.replicas_of(primary_port).first().unwrap_or_else(|| panic!("primary {primary_port} has no replica"))
    }

    /// Kills the node on `port` with SIGKILL (its folder goes when the cluster is dropped).
    pub fn kill(&mut self, port: u16) {
        let server = self.nodes.remove(&port).unwrap_or_else(|| panic!("no live node on port {port}"));
        self.dead.push(server.kill());
    }

    /// A cluster-aware client seeded with the live nodes.
    pub fn client(&self) -> ClusterClient {
        ClusterClient::new(self.ports())
    }

    /// The logs of the live nodes, for failure messages.
    pub fn logs(&self) -> String {
        self.nodes
            .iter()
            .map(|(port, server)| {
                let log = server.log();
                let tail: Vec<&str> = log.lines().rev().take(30).collect();
                format!("--- node {port} ---\n{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n"))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Polls until every live node reports `cluster_state:ok` with all slots, all live
    /// nodes see the same primaries, replicas and slot owners (all of them live), and every
    /// live replica's link to its primary is up.
    pub fn wait_stable(&self) {
        let deadline = Instant::now() + SETTLE_TIMEOUT;
        loop {
            let last = match self.stable() {
                Ok(()) => return,
                Err(why) => why,
            };
            assert!(Instant::now() < deadline, "cluster not stable within {SETTLE_TIMEOUT:?}: {last}\n{}", self.logs());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stable(&self) -> Result<(), String> {
        let mut reference: Option<String> = None;
        for (&port, server) in &self.nodes {
            let mut con = server.try_connect().map_err(|e| format!("{port}: {e}"))?;
            let info: String = redis::cmd("CLUSTER").arg("INFO").query(&mut con).map_err(|e| format!("{port}: {e}"))?;
            for (field, want) in [
                ("cluster_state", "ok".to_string()),
                ("cluster_slots_assigned", SLOTS.to_string()),
                ("cluster_slots_ok", SLOTS.to_string()),
                ("cluster_known_nodes", self.started.to_string()),
            ] {
                let got = info_field(&info, field).unwrap_or_default();
                if got != want {
                    return Err(format!("node {port}: {field}:{got}"));
                }
            }
            let text: String =
                redis::cmd("CLUSTER").arg("NODES").query(&mut con).map_err(|e| format!("{port}: {e}"))?;
            let view = parse_cluster_nodes(&text);
            let canonical = self.canonical(&view).map_err(|why| format!("node {port}: {why}"))?;
            match &reference {
                None => reference = Some(canonical),
                Some(first) if *first != canonical => {
                    return Err(format!("nodes disagree:\n{first}\nvs node {port}:\n{canonical}"))
                }
                Some(_) => {}
            }
            let me = view.iter().find(|n| n.flags.iter().any(|f| f == "myself")).ok_or("no myself line")?;
            let replication: String =
                redis::cmd("INFO").arg("replication").query(&mut con).map_err(|e| format!("{port}: {e}"))?;
            let role = info_field(&replication, "role").unwrap_or_default();
            if me.is_replica() {
                if role != "slave" && role != "replica" {
                    return Err(format!("node {port} is a replica in CLUSTER NODES but role:{role}"));
                }
                if info_field(&replication, "master_link_status").as_deref() != Some("up") {
                    return Err(format!("replica {port}: link to its primary not up"));
                }
            } else if role != "master" && role != "primary" {
                return Err(format!("node {port} is a primary in CLUSTER NODES but role:{role}"));
            }
        }
        Ok(())
    }

    /// The live part of one node's view, in a comparable form.
    fn canonical(&self, view: &[NodeEntry]) -> Result<String, String> {
        let port_of: HashMap<&str, u16> = view.iter().map(|n| (n.id.as_str(), n.port)).collect();
        let mut lines = Vec::new();
        for node in view {
            let live = self.nodes.contains_key(&node.port);
            if !live {
                if !node.slots.is_empty() {
                    return Err(format!("dead node {} still serves {:?}", node.port, node.slots));
                }
                continue;
            }
            if node.is_failed() {
                return Err(format!("live node {} flagged {:?}", node.port, node.flags));
            }
            let line = if node.is_replica() {
                let primary = node.primary_id.as_deref().and_then(|id| port_of.get(id)).copied().unwrap_or(0);
                if !self.nodes.contains_key(&primary) {
                    return Err(format!("replica {} follows {primary}, not a live node", node.port));
                }
                format!("{} replica of {primary}", node.port)
            } else {
                let mut slots = node.slots.clone();
                slots.sort_unstable();
                format!("{} primary {slots:?}", node.port)
            };
            lines.push(line);
        }
        lines.sort();
        if lines.len() != self.nodes.len() {
            return Err(format!("sees {} of {} live nodes", lines.len(), self.nodes.len()));
        }
        Ok(lines.join("\n"))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.nodes.clear(); // each Server stops its process and removes its folder
        for dir in &self.dead {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Starts one cluster-enabled node. Its bus port is picked free explicitly: the default
/// (port + 10000) can be taken, or above 65535 for high ephemeral ports.
fn start_node() -> Server {
    let bus_port = free_port();
    Server::start_with(Options {
        server_args: [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-node-timeout",
            &NODE_TIMEOUT_MS.to_string(),
            "--cluster-port",
            &bus_port.to_string(),
            // The first full sync of a replica starts at once instead of after 5 s.
            "--repl-diskless-sync-delay",
            "0",
        ]
        .iter()
        .map(std::string::ToString::to_string)
        .collect(),
        ..Options::default()
    })
}

/// Runs a command to completion within `timeout`; returns (success, stdout + stderr).
fn run_with_timeout(mut command: Command, timeout: Duration) -> (bool, String) {
    let out = std::env::temp_dir().join(format!("tally-cluster-create-{}-{}.out", std::process::id(), free_port()));
    let file = std::fs::File::create(&out).expect("create the output file");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(file.try_clone().expect("clone the output file"))
        .stderr(file)
        .spawn()
        .expect("run redis-cli (package redis-tools)");
    let deadline = Instant::now() + timeout;
    let success = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status.success();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break false;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    let _ = std::fs::remove_file(&out);
    (success, text)
}

/// A cluster-aware client: routes each command to the node its cached slot table names
/// (any node when the slot is unknown), follows `MOVED` (updating the table) and `ASK`
/// (one `ASKING` + retry), and skips nodes that no longer answer.
pub struct ClusterClient {
    seeds: Vec<u16>,
    connections: HashMap<u16, Connection>,
    slots: HashMap<u16, u16>,
    next_seed: usize,
    /// MOVED redirections followed so far.
    pub moved: usize,
}

const MAX_REDIRECTS: usize = 16;

impl ClusterClient {
    pub fn new(seeds: Vec<u16>) -> ClusterClient {
        ClusterClient { seeds, connections: HashMap::new(), slots: HashMap::new(), next_seed: 0, moved: 0 }
    }

    fn connection(&mut self, port: u16) -> Option<&mut Connection> {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.connections.entry(port) {
            slot.insert(connect_port(port).ok()?);
        }
        self.connections.get_mut(&port)
    }

    fn forget(&mut self, port: u16) {
        self.connections.remove(&port);
        self.slots.retain(|_, owner| *owner != port);
        self.seeds.retain(|&seed| seed != port);
    }

    /// Sends a command routed by its first key (`args[1]`, or `args[2]` after the
    /// `numkeys` of LIMIT.MULTI); server errors come back as `Err(text)`.
    pub fn query<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Result<Value, String> {
        let name = args.first().map(|a| a.as_ref().to_ascii_lowercase()).unwrap_or_default();
        let position = if name == b"limit.multi" { 2 } else { 1 };
        let key = args.get(position).map(|a| a.as_ref().to_vec()).unwrap_or_default();
        self.query_routed(&key, args)
    }

    /// Sends a command routed by `key`.
    pub fn query_routed<A: AsRef<[u8]>>(&mut self, key: &[u8], args: &[A]) -> Result<Value, String> {
        let slot = client_slot(key);
        let mut target = self.slots.get(&slot).copied();
        let mut asking = false;
        for _ in 0..MAX_REDIRECTS {
            let port = match target {
                Some(port) => port,
                None => {
                    assert!(!self.seeds.is_empty(), "no cluster node answers");
                    self.next_seed = (self.next_seed + 1) % self.seeds.len();
                    self.seeds[self.next_seed]
                }
            };
            let Some(con) = self.connection(port) else {
                self.forget(port);
                target = None;
                continue;
            };
            if asking {
                let _: redis::RedisResult<Value> = redis::cmd("ASKING").query(con);
                asking = false;
            }
            let mut command = redis::cmd(std::str::from_utf8(args[0].as_ref()).expect("utf-8 command name"));
            for arg in &args[1..] {
                command.arg(arg.as_ref());
            }
            match command.query::<Value>(con) {
                Ok(value) => {
                    self.slots.insert(slot, port);
                    return Ok(value);
                }
                Err(error) => match error.code() {
                    Some(code @ ("MOVED" | "ASK")) => {
                        let detail = error.detail().unwrap_or_default().to_string();
                        let (moved_slot, address) = detail.split_once(' ').expect("MOVED <slot> <host:port>");
                        let moved_slot: u16 = moved_slot.parse().expect("a slot number");
                        let new_port: u16 =
                            address.rsplit(':').next().and_then(|p| p.parse().ok()).expect("a port in the redirect");
                        if code == "MOVED" {
                            assert_eq!(moved_slot, slot, "MOVED names another slot than the key's");
                            self.moved += 1;
                            self.slots.insert(slot, new_port);
                            if !self.seeds.contains(&new_port) {
                                self.seeds.push(new_port);
                            }
                        } else {
                            asking = true;
                        }
                        target = Some(new_port);
                    }
                    Some(_) => return Err(super::error_text(&error)),
                    None => {
                        // The node went away (or the link broke): try elsewhere.
                        self.forget(port);
                        target = None;
                    }
                },
            }
        }
        Err(format!("too many redirections for key {:?}", String::from_utf8_lossy(key)))
    }

    /// `query` that must succeed.
    pub fn ok<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Value {
        self.query(args).unwrap_or_else(|error| {
            let shown: Vec<String> = args.iter().map(|a| String::from_utf8_lossy(a.as_ref()).into_owned()).collect();
            panic!("{shown:?} failed: {error}")
        })
    }

    /// `query` rendered like the harness's `run`.
    pub fn run<A: AsRef<[u8]>>(&mut self, args: &[A]) -> String {
        match self.query(args) {
            Ok(value) => super::render(&value),
            Err(error) => format!("(error) {error}"),
        }
    }

    /// `run` with a command line split on spaces.
    pub fn sh(&mut self, line: &str) -> String {
        let args: Vec<&str> = line.split(' ').collect();
        self.run(&args)
    }
}

/// Waits until `port` answers `role` in `INFO replication` (`master` after a failover).
pub fn wait_role(port: u16, role: &str) {
    poll_until(SETTLE_TIMEOUT, || {
        connect_port(port)
            .and_then(|mut con| redis::cmd("INFO").arg("replication").query::<String>(&mut con))
            .is_ok_and(|info| info_field(&info, "role").as_deref() == Some(role))
    });
}
