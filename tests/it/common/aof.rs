//! Append-only files: servers that write them, and the commands the files hold.

use super::reply::info_field;
use super::{Options, Server};
use redis::Connection;
use std::path::{Path, PathBuf};

/// Options for a server with AOF on (fsync always), plus `extra` server arguments.
pub fn aof_options(extra: &[&str]) -> Options {
    let args = ["--appendonly", "yes", "--appendfsync", "always"].iter().chain(extra);
    Options { server_args: args.map(std::string::ToString::to_string).collect(), ..Options::default() }
}

/// A primary with AOF on and no periodic replication PINGs (so its offset only moves
/// with writes), and a replica whose link is up.
pub fn primary_with_replica() -> (Server, Server) {
    let primary = Server::start_with(aof_options(&["--repl-ping-replica-period", "3600"]));
    let replica = primary.start_replica();
    (primary, replica)
}

/// The replication offset and the AOF size: both move with every propagated byte.
pub fn propagation_mark(con: &mut Connection, dir: &Path) -> (String, usize) {
    (info_field(con, "replication", "master_repl_offset"), aof_bytes(dir).len())
}

/// The incremental AOF files of a Redis 7 server (`appendonlydir/*.incr.aof`), in order.
pub fn incr_aof_files(dir: &Path) -> Vec<PathBuf> {
    let aof_dir = dir.join("appendonlydir");
    let mut files: Vec<_> = std::fs::read_dir(&aof_dir)
        .unwrap_or_else(|error| panic!("read {}: {error}", aof_dir.display()))
        .map(|entry| entry.expect("AOF folder entry").path())
        .filter(|path| path.to_string_lossy().ends_with(".incr.aof"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no incremental AOF file in {}", aof_dir.display());
    files
}

/// The incremental AOF files concatenated in order.
pub fn aof_bytes(dir: &Path) -> Vec<u8> {
    incr_aof_files(dir).iter().flat_map(|path| std::fs::read(path).expect("read the AOF")).collect()
}

/// The commands of an AOF (RESP arrays of bulk strings; `#` annotation lines skipped).
pub fn parse_aof(mut rest: &[u8]) -> Vec<Vec<Vec<u8>>> {
    fn line<'a>(rest: &mut &'a [u8]) -> &'a [u8] {
        let end = rest.windows(2).position(|w| w == b"\r\n").expect("a CRLF-terminated AOF line");
        let (line, tail) = rest.split_at(end);
        *rest = &tail[2..];
        line
    }
    fn header(rest: &mut &[u8], prefix: u8) -> usize {
        let line = line(rest);
        assert_eq!(line.first(), Some(&prefix), "AOF line {:?}", String::from_utf8_lossy(line));
        std::str::from_utf8(&line[1..]).ok().and_then(|n| n.parse().ok()).expect("an AOF length")
    }
    let mut commands = Vec::new();
    while !rest.is_empty() {
        if rest[0] == b'#' {
            line(&mut rest);
            continue;
        }
        let count = header(&mut rest, b'*');
        let command = (0..count)
            .map(|_| {
                let len = header(&mut rest, b'$');
                let (arg, tail) = rest.split_at(len);
                assert_eq!(&tail[..2], b"\r\n", "bulk string end in the AOF");
                rest = &tail[2..];
                arg.to_vec()
            })
            .collect();
        commands.push(command);
    }
    commands
}

/// True when `command` is named `name` (ASCII case ignored).
pub fn is_named(command: &[Vec<u8>], name: &str) -> bool {
    command[0].eq_ignore_ascii_case(name.as_bytes())
}

/// True for SELECT and the MULTI/EXEC that wrap propagated effects.
pub fn is_wrapping(command: &[Vec<u8>]) -> bool {
    ["SELECT", "MULTI", "EXEC"].iter().any(|name| is_named(command, name))
}

/// The data commands of the AOF in `dir` (without SELECT and the MULTI/EXEC wrapping).
pub fn aof_data_commands(dir: &Path) -> Vec<Vec<Vec<u8>>> {
    parse_aof(&aof_bytes(dir)).into_iter().filter(|command| !is_wrapping(command)).collect()
}

/// True when `needle` occurs in `haystack`, ASCII case ignored.
pub fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window.eq_ignore_ascii_case(needle))
}
