//! Every redis-cli example in the docs, replayed against a real server: the docs cannot
//! drift from what the module does.
//!
//! An *example* is a ```` ```text ```` block with at least one `$ ` line. For each page
//! (README.md and docs/*.md) a fresh server with the module is started and the page's
//! examples run in document order on it, so state carries over from block to block as the
//! writers captured it. Each `$ redis-cli ...` line is split with shell quoting rules
//! (single quotes, double quotes with backslash escapes, plain words, an unquoted `#` starts
//! a comment), run by the real `redis-cli -p <port> --no-raw`, and its stdout compared
//! with the lines shown under it (a trailing `  # remark` on a shown line is not output).
//! Lines that need a shell (pipes, loops, `$(...)`) run under `bash -c` with `redis-cli`
//! pointing at the test server. `$ sleep N` sleeps. A line `# (remark)` between commands is
//! a comment.
//!
//! A block may be preceded by one marker line, options separated by `;`:
//!
//! - `<!-- doc-test: times vary -->`: the block shows values that depend on the clock.
//!   Integers of 4 or more digits and stream IDs (`<ms>-<seq>`) then only need to be
//!   integers and IDs; everything else must match exactly. An ID (or a 13-digit ms time)
//!   shown again later must come back as the same real value: the first real value seen
//!   for a shown one is captured, and the shown one is replaced by it in later commands. A
//!   13-digit ms time that a command passes before any reply showed it (a client clock,
//!   e.g. the Lua script's `now_ms`) becomes the server's time when the command runs.
//!   `times vary: 959 37` also lets these smaller shown integers be any integer, and
//!   `exact: 3128` keeps these larger ones exact (a size, not a time).
//! - `wait 5000 ms`: wait before the block ("some seconds later");
//!   `wait 1100 ms at comments`: wait at each `# (remark)` line of the block.
//! - `any order`: the lines of each reply may come in any order (`KEYS`).
//! - `skip (reason)`: not run (needs a replica, a cluster, another program...).
//! - `redis7-only (reason)`: output that only Redis 7.0, the server the docs show, prints
//!   (sizes, error wording, lag counting): on Redis 8 and Valkey, run (so later blocks find
//!   their state) but not compared, and counted as skipped.
//!
//! The test fails on any mismatch, when a page has examples but none ran, and when more
//! than 20% of all examples were skipped. `cargo test --release --test it docs_examples:: -- --nocapture`
//! prints the counts per page.

use crate::common::scripts::SLIDING_WINDOW_LUA;
use crate::common::*;

use redis::Connection;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Most examples that may be skipped, in percent of all examples.
const MAX_SKIPPED_PERCENT: usize = 20;
/// Longest one command line may take (the examples' slowest is a 2 s blocking read).
const CLI_TIMEOUT: Duration = Duration::from_secs(30);

// ---- the docs --------------------------------------------------------------------------------

#[derive(Debug, Default, Clone, PartialEq)]
struct Marker {
    skip: Option<String>,
    redis7_only: Option<String>,
    times_vary: bool,
    /// Integers below 4 digits that are times too (`times vary: 959`).
    also_vary: Vec<String>,
    /// Integers of 4+ digits that are not times (`exact: 3128`).
    exact: Vec<String>,
    wait_before: Duration,
    wait_at_comments: Duration,
    any_order: bool,
}

#[derive(Debug, PartialEq)]
enum Step {
    Run { line: usize, command: String, expected: Vec<String> },
    Comment { line: usize },
}

#[derive(Debug)]
struct Example {
    line: usize,
    marker: Marker,
    steps: Vec<Step>,
}

fn parse_duration_ms(text: &str) -> Result<Duration, String> {
    let ms = text
        .strip_suffix("ms")
        .map(str::trim)
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(|| format!("`{text}`: a wait is `<n> ms`"))?;
    Ok(Duration::from_millis(ms))
}

fn reason(option: &str, word: &str) -> Result<String, String> {
    let rest = option[word.len()..].trim();
    match rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        Some(text) if !text.trim().is_empty() => Ok(text.trim().to_string()),
        _ => Err(format!("`{option}`: give the reason, as `{word} (reason)`")),
    }
}

fn parse_marker(body: &str) -> Result<Marker, String> {
    let mut marker = Marker::default();
    for option in body.split(';').map(str::trim).filter(|o| !o.is_empty()) {
        if option.starts_with("skip") {
            marker.skip = Some(reason(option, "skip")?);
        } else if option.starts_with("redis7-only") {
            marker.redis7_only = Some(reason(option, "redis7-only")?);
        } else if let Some(rest) = option.strip_prefix("times vary") {
            marker.times_vary = true;
            if let Some(list) = rest.trim().strip_prefix(':') {
                for value in list.split_whitespace() {
                    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(format!("`{option}`: list integers"));
                    }
                    marker.also_vary.push(value.to_string());
                }
            } else if !rest.trim().is_empty() {
                return Err(format!("`{option}`: expected `times vary` or `times vary: n n`"));
            }
        } else if let Some(list) = option.strip_prefix("exact:") {
            for value in list.split_whitespace() {
                if !value.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!("`{option}`: list integers"));
                }
                marker.exact.push(value.to_string());
            }
        } else if option == "any order" {
            marker.any_order = true;
        } else if let Some(rest) = option.strip_prefix("wait ") {
            match rest.strip_suffix("at comments") {
                Some(duration) => marker.wait_at_comments = parse_duration_ms(duration.trim())?,
                None => marker.wait_before = parse_duration_ms(rest.trim())?,
            }
        } else {
            return Err(format!("unknown doc-test option `{option}`"));
        }
    }
    Ok(marker)
}

/// Removes up to `indent` leading spaces (blocks inside list items are indented).
fn unindent(line: &str, indent: usize) -> &str {
    let spaces = line.len() - line.trim_start_matches(' ').len();
    &line[spaces.min(indent)..]
}

/// A line of a block that is a comment rather than output: `# (remark)`.
fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with("# (")
}

/// The examples of a page, in order. Errors name the line.
fn examples(markdown: &str) -> Result<Vec<Example>, String> {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut found = Vec::new();
    let mut marker: Option<(usize, Marker)> = None;
    let mut i = 0;
    while i < lines.len() {
        let trimmed = lines[i].trim_start();
        if let Some(rest) = trimmed.strip_prefix("<!-- doc-test:") {
            let body = rest
                .trim_end()
                .strip_suffix("-->")
                .ok_or_else(|| format!("line {}: a marker is one line ending in `-->`", i + 1))?;
            if marker.is_some() {
                return Err(format!("line {}: two markers for one block", i + 1));
            }
            marker = Some((i + 1, parse_marker(body).map_err(|e| format!("line {}: {e}", i + 1))?));
            i += 1;
            continue;
        }
        if let Some(info) = trimmed.strip_prefix("```") {
            let indent = lines[i].len() - trimmed.len();
            let start = i + 1;
            let mut body = Vec::new();
            i += 1;
            while i < lines.len() && !lines[i].trim_start().starts_with("```") {
                body.push((i + 1, unindent(lines[i], indent)));
                i += 1;
            }
            if i == lines.len() {
                return Err(format!("line {start}: the block is not closed"));
            }
            i += 1;
            let is_example = info.trim() == "text" && body.iter().any(|(_, l)| l.starts_with("$ "));
            let block_marker = marker.take();
            if !is_example {
                if let Some((line, _)) = block_marker {
                    return Err(format!("line {line}: the marker is not followed by a redis-cli example"));
                }
                continue;
            }
            let steps = steps(&body).map_err(|e| format!("block at line {start}: {e}"))?;
            let marker = block_marker.map(|(_, m)| m).unwrap_or_default();
            if !marker.exact.is_empty() && !marker.times_vary {
                return Err(format!("block at line {start}: `exact:` only means something under `times vary`"));
            }
            for value in marker.also_vary.iter().chain(&marker.exact) {
                let shown = steps.iter().any(|step| match step {
                    Step::Run { expected, .. } => {
                        expected.iter().any(|l| tokens(l).iter().any(|t| matches!(t, Tok::Num(n) if n == value)))
                    }
                    Step::Comment { .. } => false,
                });
                if !shown {
                    return Err(format!("block at line {start}: the marker names {value}, but no reply shows it"));
                }
            }
            if marker.wait_at_comments > Duration::ZERO && !steps.iter().any(|s| matches!(s, Step::Comment { .. })) {
                return Err(format!("block at line {start}: `wait ... at comments`, but it has no `# (remark)` line"));
            }
            found.push(Example { line: start, marker, steps });
            continue;
        }
        if let Some((line, _)) = &marker {
            if !trimmed.is_empty() {
                return Err(format!("line {line}: a marker must come right before its block"));
            }
        }
        i += 1;
    }
    if let Some((line, _)) = marker {
        return Err(format!("line {line}: the marker is not followed by a block"));
    }
    Ok(found)
}

/// Splits a block's lines into commands (with the output shown under each) and comments.
fn steps(body: &[(usize, &str)]) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    let mut j = 0;
    while j < body.len() {
        let (line, text) = body[j];
        if let Some(command) = text.strip_prefix("$ ") {
            let mut command = command.to_string();
            // A line ending in a backslash continues on the next one.
            while command.ends_with('\\') {
                command.pop();
                j += 1;
                let (_, next) = body.get(j).ok_or_else(|| format!("line {line}: continued past the block"))?;
                command.push_str(next);
            }
            steps.push(Step::Run { line, command, expected: Vec::new() });
        } else if is_comment(text) {
            steps.push(Step::Comment { line });
        } else {
            match steps.last_mut() {
                Some(Step::Run { expected, .. }) => expected.push(strip_remark(text).trim_end().to_string()),
                _ => return Err(format!("line {line}: output before any command")),
            }
        }
        j += 1;
    }
    Ok(steps)
}

/// A shown output line without a trailing remark: two or more spaces then `# ...`
/// outside a quoted string (`1) (integer) 1      # allowed`).
fn strip_remark(line: &str) -> &str {
    let bytes = line.as_bytes();
    let mut quoted = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quoted => i += 1,
            b'"' => quoted = !quoted,
            b'#' if !quoted && i >= 2 && bytes[i - 1] == b' ' && bytes[i - 2] == b' ' => return &line[..i],
            _ => {}
        }
        i += 1;
    }
    line
}

// ---- shell words -------------------------------------------------------------------------------

#[derive(Debug, PartialEq)]
struct ShellLine {
    words: Vec<String>,
    /// Pipes, redirections, `;`, `$(...)`, variables: run it under bash.
    needs_shell: bool,
}

/// Splits a command line as the shell does for plain commands: single quotes keep everything,
/// double quotes keep everything but `\"`, `\\`, `\$` and `` \` ``, a backslash outside quotes
/// escapes the next character, and an unquoted `#` at the start of a word starts a comment.
fn shell_words(line: &str) -> Result<ShellLine, String> {
    let chars: Vec<char> = line.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut needs_shell = false;
    let expands =
        |next: Option<&char>| matches!(next, Some(c) if c.is_ascii_alphanumeric() || "({_?@*#$!-".contains(*c));
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '#' if !in_word => break,
            '\'' => {
                in_word = true;
                let end = chars[i + 1..]
                    .iter()
                    .position(|&c| c == '\'')
                    .ok_or_else(|| format!("unterminated single quote in `{line}`"))?;
                word.extend(&chars[i + 1..i + 1 + end]);
                i += end + 1;
            }
            '"' => {
                in_word = true;
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(format!("unterminated double quote in `{line}`")),
                        Some('"') => break,
                        Some('\\') if matches!(chars.get(i + 1), Some('"' | '\\' | '$' | '`')) => {
                            word.push(chars[i + 1]);
                            i += 1;
                        }
                        Some('`') => needs_shell = true,
                        Some('$') if expands(chars.get(i + 1)) => needs_shell = true,
                        Some(&c) => word.push(c),
                    }
                    i += 1;
                }
            }
            '\\' => {
                in_word = true;
                let next = chars.get(i + 1).ok_or_else(|| format!("trailing backslash in `{line}`"))?;
                word.push(*next);
                i += 1;
            }
            '|' | '&' | ';' | '<' | '>' | '(' | ')' | '`' => {
                needs_shell = true;
                in_word = true;
                word.push(c);
            }
            '$' if expands(chars.get(i + 1)) => {
                needs_shell = true;
                in_word = true;
                word.push(c);
            }
            _ => {
                in_word = true;
                word.push(c);
            }
        }
        i += 1;
    }
    if in_word {
        words.push(word);
    }
    Ok(ShellLine { words, needs_shell })
}

/// The command line without its comment, for `bash -c`.
fn without_comment(line: &str) -> String {
    // Re-scan with the same quoting rules to find where an unquoted `#` word starts.
    let bytes = line.as_bytes();
    let (mut i, mut quote, mut at_word_start) = (0, None::<u8>, true);
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == b'\\' && q == b'"' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None => match b {
                b'#' if at_word_start => return line[..i].trim_end().to_string(),
                b'\'' | b'"' => quote = Some(b),
                b'\\' => i += 1,
                _ => {}
            },
        }
        at_word_start = quote.is_none() && (b == b' ' || b == b'\t' || b == b';' || b == b'|');
        i += 1;
    }
    line.trim_end().to_string()
}

// ---- comparing output ----------------------------------------------------------------------

#[derive(Debug, PartialEq)]
enum Tok<'a> {
    Text(&'a str),
    Num(&'a str),
    /// `<ms>-<seq>`: the whole ID and its ms part.
    Id(&'a str, &'a str),
}

fn tokens(text: &str) -> Vec<Tok<'_>> {
    let bytes = text.as_bytes();
    let digits_from = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let end = digits_from(i);
            if end + 1 < bytes.len() && bytes[end] == b'-' && bytes[end + 1].is_ascii_digit() {
                let id_end = digits_from(end + 1);
                out.push(Tok::Id(&text[i..id_end], &text[i..end]));
                i = id_end;
            } else {
                out.push(Tok::Num(&text[i..end]));
                i = end;
            }
        } else {
            let start = i;
            while i < bytes.len() && !bytes[i].is_ascii_digit() {
                i += 1;
            }
            out.push(Tok::Text(&text[start..i]));
        }
    }
    out
}

/// A stream ID made from a clock (its ms part has 10+ digits), not `0-0` or `12-3`.
fn time_like_id(ms: &str) -> bool {
    ms.len() >= 10
}

/// Shown values mapped to the real ones, for one page.
#[derive(Default)]
struct Captured {
    /// shown ID -> real ID, and back (one shown ID is one real ID).
    ids: HashMap<String, String>,
    ids_back: HashMap<String, String>,
    /// shown 13-digit ms time -> real one (also the ms parts of captured IDs).
    times: HashMap<String, String>,
}

/// Compares one reply with the shown output. Under `times vary`, captures the real values
/// of shown IDs and times (see the file header).
fn compare(expected: &str, actual: &str, marker: &Marker, captured: &mut Captured) -> Result<(), String> {
    let (want, got) = (tokens(expected), tokens(actual));
    if want.len() != got.len() {
        return Err("different shape".into());
    }
    for (w, g) in want.iter().zip(&got) {
        let ok = match (w, g) {
            (Tok::Id(shown, shown_ms), Tok::Id(real, real_ms))
                if marker.times_vary && time_like_id(shown_ms) && time_like_id(real_ms) =>
            {
                match (captured.ids.get(*shown), captured.ids_back.get(*real)) {
                    (Some(mapped), _) => mapped == real,
                    (None, Some(other)) => {
                        return Err(format!("{real} came back for {shown}, but it already stood for {other}"))
                    }
                    (None, None) => {
                        captured.ids.insert(shown.to_string(), real.to_string());
                        captured.ids_back.insert(real.to_string(), shown.to_string());
                        if shown_ms.len() == 13 {
                            captured.times.entry(shown_ms.to_string()).or_insert_with(|| real_ms.to_string());
                        }
                        true
                    }
                }
            }
            (Tok::Num(shown), Tok::Num(real))
                if marker.times_vary
                    && !marker.exact.iter().any(|v| v == shown)
                    && (shown.len() >= 4 || marker.also_vary.iter().any(|v| v == shown)) =>
            {
                if shown.len() == 13 {
                    let mapped = captured.times.entry(shown.to_string()).or_insert_with(|| real.to_string());
                    mapped == real
                } else {
                    true
                }
            }
            (Tok::Text(a), Tok::Text(b)) | (Tok::Num(a), Tok::Num(b)) => a == b,
            (Tok::Id(a, _), Tok::Id(b, _)) => a == b,
            _ => false,
        };
        if !ok {
            return Err(format!("{w:?} shown, {g:?} printed"));
        }
    }
    Ok(())
}

/// The lines of a reply in a fixed order, without their `N) ` positions (`any order`).
fn sorted_lines(lines: &[String]) -> Vec<String> {
    let mut out: Vec<String> = lines
        .iter()
        .map(|line| {
            let trimmed = line.trim_start();
            match trimmed.split_once(") ") {
                Some((n, rest)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => rest.to_string(),
                _ => trimmed.to_string(),
            }
        })
        .collect();
    out.sort();
    out
}

// ---- replaying a page --------------------------------------------------------------------------

#[derive(Debug, Default)]
struct Counts {
    examples: usize,
    ran: usize,
    skipped: usize,
    commands: usize,
    /// `page:line: reason` of each example skipped.
    skips: Vec<String>,
    failures: Vec<String>,
}

fn find_in_path(program: &str) -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|dir| dir.join(program)).find(|p| p.is_file()))
        .unwrap_or_else(|| panic!("{program} is not on PATH (the docs test runs the real client)"))
}

/// Runs a process with a time limit, killing it (by its id) when it overruns.
fn output_within(mut command: Command, limit: Duration) -> Output {
    let child =
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start the client");
    let pid = child.id();
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(child.wait_with_output());
    });
    match receive.recv_timeout(limit) {
        Ok(output) => output.expect("wait for the client"),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("the client ran longer than {limit:?}: {command:?}");
        }
    }
}

struct Replay {
    server: Server,
    con: Connection,
    /// The server is Redis 7.0, whose output the docs show.
    redis7: bool,
    cli: PathBuf,
    /// Working folder of shell lines: `bin/redis-cli` (the test server's client) and
    /// `sliding_window.lua`.
    workdir: PathBuf,
    captured: Captured,
}

impl Replay {
    fn start(cli: &Path) -> Replay {
        let server = Server::start();
        let con = server.connect();
        let redis7 = !server.is_valkey() && server.version().starts_with("7.");
        let workdir = server.dir.join("doc-examples");
        std::fs::create_dir_all(workdir.join("bin")).expect("create the examples folder");
        let wrapper = workdir.join("bin/redis-cli");
        std::fs::write(&wrapper, format!("#!/bin/sh\nexec '{}' -p {} --no-raw \"$@\"\n", cli.display(), server.port))
            .expect("write the redis-cli wrapper");
        let made_executable = Command::new("chmod").arg("+x").arg(&wrapper).status().expect("run chmod");
        assert!(made_executable.success());
        std::fs::write(workdir.join("sliding_window.lua"), SLIDING_WINDOW_LUA).expect("write the script");
        Replay { server, con, redis7, cli: cli.to_path_buf(), workdir, captured: Captured::default() }
    }

    fn server_ms(&mut self) -> u64 {
        let (secs, micros): (u64, u64) = redis::cmd("TIME").query(&mut self.con).expect("TIME");
        secs * 1000 + micros / 1000
    }

    /// A server ms time strictly after everything that ran before, and after which later
    /// commands run: a shown client time becomes "now" in the same order as shown.
    fn fresh_now(&mut self) -> u64 {
        let before = self.server_ms();
        let mut now = self.server_ms();
        poll_until(Duration::from_secs(5), || {
            now = self.server_ms();
            now > before
        });
        let mapped = now;
        poll_until(Duration::from_secs(5), || self.server_ms() > mapped);
        mapped
    }

    /// The command with shown IDs and ms times replaced by their real values.
    fn substitute(&mut self, command: &str, times_vary: bool) -> String {
        let mut out = String::new();
        let mut rest = command;
        while !rest.is_empty() {
            let start = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
            out.push_str(&rest[..start]);
            rest = &rest[start..];
            if rest.is_empty() {
                break;
            }
            // The word-boundary check: a digit run inside a longer word of digits never splits.
            let token = tokens(rest).into_iter().next().expect("a digit starts a token");
            let (text, replacement) = match token {
                Tok::Id(id, _) => (id, self.captured.ids.get(id).cloned()),
                Tok::Num(n) if n.len() == 13 => {
                    let known = self.captured.times.get(n).cloned();
                    let replacement = match known {
                        Some(real) => Some(real),
                        None if times_vary => {
                            let now = self.fresh_now().to_string();
                            self.captured.times.insert(n.to_string(), now.clone());
                            Some(now)
                        }
                        None => None,
                    };
                    (n, replacement)
                }
                Tok::Num(n) => (n, None),
                Tok::Text(_) => unreachable!(),
            };
            out.push_str(replacement.as_deref().unwrap_or(text));
            rest = &rest[text.len()..];
        }
        out
    }

    /// Runs one command line; returns its stdout lines, or why it cannot run.
    fn run(&mut self, command: &str) -> Result<Vec<String>, String> {
        let parsed = shell_words(command)?;
        let mut process = if parsed.needs_shell {
            if !parsed.words.iter().any(|w| w.contains("redis-cli")) {
                return Err("a shell line without redis-cli: mark the block `skip (reason)`".into());
            }
            let mut path = self.workdir.join("bin").into_os_string();
            path.push(":");
            path.push(std::env::var_os("PATH").unwrap_or_default());
            let mut process = Command::new("bash");
            process.arg("-c").arg(without_comment(command)).env("PATH", path);
            process
        } else {
            match parsed.words.first().map(String::as_str) {
                Some("redis-cli") => {
                    let mut process = Command::new(&self.cli);
                    process.args(["-p", &self.server.port.to_string(), "--no-raw"]).args(&parsed.words[1..]);
                    process
                }
                Some("sleep") if parsed.words.len() == 2 => {
                    let secs: f64 = parsed.words[1].parse().map_err(|_| format!("sleep `{}`?", parsed.words[1]))?;
                    std::thread::sleep(Duration::from_secs_f64(secs));
                    return Ok(Vec::new());
                }
                _ => return Err("not a redis-cli command: mark the block `skip (reason)`".into()),
            }
        };
        process.current_dir(&self.workdir);
        let output = output_within(process, CLI_TIMEOUT);
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !stderr.trim().is_empty() {
            return Err(format!("stderr: {stderr}"));
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        Ok(stdout.lines().map(|l| l.trim_end().to_string()).collect())
    }

    fn example(&mut self, page: &str, example: &Example, counts: &mut Counts) {
        let marker = &example.marker;
        counts.examples += 1;
        if let Some(reason) = &marker.skip {
            counts.skipped += 1;
            counts.skips.push(format!("{page}:{}: skipped: {reason}", example.line));
            return;
        }
        // Other servers print some replies differently: run (later blocks need the state), do not compare.
        let compared = marker.redis7_only.is_none() || self.redis7;
        if compared {
            counts.ran += 1;
        } else {
            counts.skipped += 1;
            let reason = marker.redis7_only.as_deref().unwrap_or_default();
            counts.skips.push(format!("{page}:{}: not compared on this server: {reason}", example.line));
        }
        std::thread::sleep(marker.wait_before);
        for step in &example.steps {
            let (line, command, expected) = match step {
                Step::Comment { .. } => {
                    std::thread::sleep(marker.wait_at_comments);
                    continue;
                }
                Step::Run { line, command, expected } => (line, command, expected),
            };
            counts.commands += 1;
            let real_command = self.substitute(command, marker.times_vary);
            let actual = match self.run(&real_command) {
                Ok(actual) => actual,
                Err(why) => {
                    counts.failures.push(format!("{page}:{line}: `{command}`: {why}"));
                    continue;
                }
            };
            let (want, got) = if marker.any_order {
                (sorted_lines(expected), sorted_lines(&actual))
            } else {
                (expected.clone(), actual.clone())
            };
            let verdict = compare(&want.join("\n"), &got.join("\n"), marker, &mut self.captured);
            if let (true, Err(why)) = (compared, verdict) {
                counts.failures.push(format!(
                    "{page}:{line}: `{command}`{}: {why}\n--- shown:\n{}\n--- printed:\n{}\n",
                    if &real_command == command { String::new() } else { format!(" (ran as `{real_command}`)") },
                    expected.join("\n"),
                    actual.join("\n"),
                ));
            }
        }
    }
}

fn replay_page(root: &Path, page: &str, cli: &Path) -> Counts {
    let markdown = std::fs::read_to_string(root.join(page)).unwrap_or_else(|e| panic!("read {page}: {e}"));
    let mut counts = Counts::default();
    let examples = match examples(&markdown) {
        Ok(examples) => examples,
        Err(why) => {
            counts.failures.push(format!("{page}: {why}"));
            return counts;
        }
    };
    if examples.is_empty() {
        return counts;
    }
    let mut replay = Replay::start(cli);
    for example in &examples {
        replay.example(page, example, &mut counts);
    }
    if counts.ran == 0 {
        counts.failures.push(format!("{page}: {} examples, none ran", counts.examples));
    }
    counts
}

fn pages(root: &Path) -> Vec<String> {
    let mut pages = vec!["README.md".to_string()];
    let mut docs: Vec<String> = std::fs::read_dir(root.join("docs"))
        .expect("list docs/")
        .map(|entry| format!("docs/{}", entry.expect("a docs/ entry").file_name().to_string_lossy()))
        .filter(|name| name.ends_with(".md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

#[test]
fn every_doc_example_prints_what_the_docs_show() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cli = find_in_path("redis-cli");
    let pages = pages(root);
    // One server per page, pages in parallel.
    let handles: Vec<_> = pages
        .iter()
        .map(|page| {
            let (root, page, cli) = (root.to_path_buf(), page.clone(), cli.clone());
            std::thread::spawn(move || replay_page(&root, &page, &cli))
        })
        .collect();
    let results: Vec<(String, Counts)> =
        pages.iter().cloned().zip(handles.into_iter().map(|h| h.join().expect("a page's replay panicked"))).collect();

    println!("server: {}", server_binary());
    println!("{:<34} {:>8} {:>4} {:>8} {:>9}", "page", "examples", "ran", "skipped", "commands");
    let (mut examples, mut skipped) = (0, 0);
    let mut failures = Vec::new();
    for (page, counts) in &results {
        println!("{page:<34} {:>8} {:>4} {:>8} {:>9}", counts.examples, counts.ran, counts.skipped, counts.commands);
        examples += counts.examples;
        skipped += counts.skipped;
        failures.extend(counts.failures.iter().cloned());
    }
    for (_, counts) in &results {
        for skip in &counts.skips {
            println!("{skip}");
        }
    }
    assert!(failures.is_empty(), "{} doc examples differ:\n\n{}", failures.len(), failures.join("\n"));
    assert!(examples > 0, "no examples found");
    assert!(
        skipped * 100 <= examples * MAX_SKIPPED_PERCENT,
        "{skipped} of {examples} doc examples skipped (at most {MAX_SKIPPED_PERCENT}%)"
    );
}

// ---- the parts, on their own --------------------------------------------------------------------

#[test]
fn shell_words_follow_shell_quoting() {
    let split = |line: &str| shell_words(line).unwrap();
    assert_eq!(
        split(r"redis-cli TOURNEY.INCR 'tournament:{t1}:scores' alice 10").words,
        ["redis-cli", "TOURNEY.INCR", "tournament:{t1}:scores", "alice", "10"]
    );
    assert_eq!(split(r#"redis-cli SET k "a \"b\" \\ \x $""#).words, ["redis-cli", "SET", "k", r#"a "b" \ \x $"#]);
    assert_eq!(split(r"redis-cli SET k 'it''s' a\ b ''").words, ["redis-cli", "SET", "k", "its", "a b", ""]);
    assert_eq!(
        split("redis-cli ZRANGE k 0 -1   # still a native sorted set").words,
        ["redis-cli", "ZRANGE", "k", "0", "-1"]
    );
    assert_eq!(split("redis-cli GET a#b").words, ["redis-cli", "GET", "a#b"]);
    assert_eq!(split("redis-cli GET '#x'").words, ["redis-cli", "GET", "#x"]);
    assert!(!split("redis-cli GET k").needs_shell);
    assert!(split(r#"redis-cli SCRIPT LOAD "$(cat x.lua)""#).needs_shell);
    assert!(split("for i in 1 2; do echo PING; done | redis-cli").needs_shell);
    assert!(!split("redis-cli XGROUP CREATE k g $ MKSTREAM").needs_shell);
    assert!(shell_words("redis-cli GET 'open").is_err());
    assert_eq!(without_comment("a 'b # c' # d"), "a 'b # c'");
    assert_eq!(without_comment("echo \"x\" | redis-cli > /dev/null"), "echo \"x\" | redis-cli > /dev/null");
}

#[test]
fn shown_remarks_are_not_output() {
    assert_eq!(strip_remark("1) (integer) 1      # allowed").trim_end(), "1) (integer) 1");
    assert_eq!(strip_remark(r#""a  # not a remark""#), r#""a  # not a remark""#);
    assert_eq!(strip_remark(r#"1# "length" => (integer) 1"#), r#"1# "length" => (integer) 1"#);
}

#[test]
fn markers_and_blocks_are_parsed() {
    let page = "intro\n\n<!-- doc-test: times vary: 959; wait 100 ms -->\n```text\n$ redis-cli PING\nPONG\n\
                # (later)\n$ redis-cli ECHO 959\n\"959\"\n```\n\n```text\nreplicated: no dollar\n```\n\
                1. item\n   ```text\n   $ redis-cli GET x\n   (nil)\n   ```\n";
    let found = examples(page).unwrap();
    assert_eq!(found.len(), 2);
    assert!(found[0].marker.times_vary);
    assert_eq!(found[0].marker.also_vary, ["959"]);
    assert_eq!(found[0].marker.wait_before, Duration::from_millis(100));
    assert_eq!(
        found[0].steps,
        [
            Step::Run { line: 5, command: "redis-cli PING".into(), expected: vec!["PONG".into()] },
            Step::Comment { line: 7 },
            Step::Run { line: 8, command: "redis-cli ECHO 959".into(), expected: vec!["\"959\"".into()] },
        ]
    );
    assert_eq!(
        found[1].steps,
        [Step::Run { line: 17, command: "redis-cli GET x".into(), expected: vec!["(nil)".into()] }]
    );
    assert!(examples("<!-- doc-test: sometimes -->\n```text\n$ redis-cli PING\n```\n").is_err());
    assert!(examples("<!-- doc-test: skip -->\n```text\n$ redis-cli PING\n```\n").is_err(), "a skip needs a reason");
    assert!(examples("<!-- doc-test: times vary: 12 -->\n```text\n$ redis-cli PING\nPONG\n```\n").is_err());
    assert!(examples("<!-- doc-test: exact: 3128 -->\n```text\n$ redis-cli PING\n(integer) 3128\n```\n").is_err());
    assert!(examples("<!-- doc-test: times vary -->\n\ntext\n```text\n$ redis-cli PING\n```\n").is_err());
    assert!(examples("<!-- doc-test: times vary -->\n```sh\nmake run\n```\n").is_err());
}

#[test]
fn times_compare_by_shape_and_ids_consistently() {
    let vary = Marker { times_vary: true, also_vary: vec!["959".into()], ..Marker::default() };
    let exact = Marker::default();
    let mut captured = Captured::default();
    // Exact outside `times vary`.
    assert!(compare("(integer) 59983", "(integer) 59990", &exact, &mut captured).is_err());
    assert!(compare("(integer) 59983", "(integer) 59990", &vary, &mut captured).is_ok());
    assert!(compare("(integer) 3", "(integer) 4", &vary, &mut captured).is_err());
    assert!(compare("4) (integer) 959", "4) (integer) 996", &vary, &mut captured).is_ok());
    assert!(compare("(integer) 1000", "\"1000\"", &vary, &mut captured).is_err());
    let sized = Marker { times_vary: true, exact: vec!["3128".into()], ..Marker::default() };
    assert!(compare("(integer) 3128", "(integer) 2848", &sized, &mut captured).is_err());
    assert!(compare("(integer) 3129", "(integer) 2848", &sized, &mut captured).is_ok());
    // An ID, then the same ID and its ms part elsewhere.
    assert!(compare("\"1795667327629-0\"", "\"1795700000000-0\"", &vary, &mut captured).is_ok());
    assert!(compare("2) \"42 1795667327629-0\"", "2) \"42 1795700000000-0\"", &vary, &mut captured).is_ok());
    assert!(compare("\"1795667327629-0\"", "\"1795700000001-0\"", &vary, &mut captured).is_err());
    assert!(compare("\"1795667327629\"", "\"1795700000000\"", &vary, &mut captured).is_ok());
    assert!(compare("\"1795667327629\"", "\"1795700000009\"", &vary, &mut captured).is_err());
    // Two shown IDs cannot be one real one.
    assert!(compare("\"1795667327663-0\"", "\"1795700000000-0\"", &vary, &mut captured).is_err());
    // Not clock IDs, not IDs in text.
    assert!(compare("1) \"0-0\"", "1) \"0-1\"", &vary, &mut captured).is_err());
    assert!(compare("\"sku-1\"", "\"sku-2\"", &vary, &mut captured).is_err());
    assert!(compare("1) \"a\"", "1) \"a\"\n2) \"b\"", &vary, &mut captured).is_err());
    assert_eq!(sorted_lines(&["1) \"b\"".into(), "2) \"a\"".into()]), ["\"a\"", "\"b\""]);
}
