//! Randomized differential test, native half: generates thousands of cases from a fixed
//! seed (random keys with braces and arbitrary bytes, key groups, limiter call sequences,
//! rank maths, season keys), answers them with tally-core natively, and writes cases and answers to
//! `target/wasm-differential.json`. wasm/test/differential.test.mjs replays every case
//! through the .wasm and the JavaScript wrapper and requires identical answers (`make test`
//! runs this first).

mod common;
mod native;

use common::rng::{Random, SplitMix64};
use native::{hex, MAX_LOG_DEFAULT};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::Path;
use tally_core::number::{parse_finite_f64, ScoreText};
use tally_core::season::{season_at, season_key, Period};
use tally_core::tourney::{around_window, percentile, PageRanks, Ties};
use tally_core::{slot, Error};

const SEED: u64 = 0x7a11_9e37_79b9_7f4a;
const MAX_SAFE: u64 = (1 << 53) - 1;
const DAY_MS: i64 = 86_400_000;
/// The latest time whose seasons' expiries (at most 62 days on) are still exact f64s; the
/// wasm refuses a later one rather than round its expiry (wasm/test/api.test.mjs).
const SEASON_MAX_MS: i64 = MAX_SAFE as i64 - 70 * DAY_MS;

fn random_key(rng: &mut SplitMix64) -> Vec<u8> {
    let len = rng.below(24);
    (0..len)
        .map(|_| match rng.below(10) {
            0 | 1 => b'{',
            2 | 3 => b'}',
            4 => *rng.pick(b"abc"),
            5 => *rng.pick(&[0u8, b'\\', 0xff, 0x80, b'\'', b' ']),
            _ => rng.below(256) as u8,
        })
        .collect()
}

/// Keys built to collide sometimes: shared tags, tags that are empty or unclosed, plain keys.
fn group_key(rng: &mut SplitMix64) -> Vec<u8> {
    let tag = *rng.pick(&["t1", "t2", "user:1", "", "{", "}"]);
    let mut key = rng.pick(&["", "a", "k:", "\u{e9}"]).as_bytes().to_vec();
    match rng.below(5) {
        0 => key.extend_from_slice(format!("{{{tag}}}").as_bytes()),
        1 => key.extend_from_slice(format!("{{{tag}").as_bytes()),
        2 => key.extend(random_key(rng)),
        _ => key.extend_from_slice(format!("x{{{tag}}}{}", rng.below(3)).as_bytes()),
    }
    key
}

fn err_text(error: Error) -> Value {
    json!(error.to_string())
}

/// One argument as a client might send it: usually the value, sometimes junk.
fn number_arg(rng: &mut SplitMix64, value: i64) -> String {
    if rng.percent(3) {
        rng.pick(&["x", "-1", "0", "1.5", "", "99999999999999999999", " 1", "01"]).to_string()
    } else {
        value.to_string()
    }
}

fn cost_args(rng: &mut SplitMix64, max: i64, args: &mut Vec<String>) {
    match rng.below(10) {
        0..=4 => {}
        5 => {
            args.push(rng.pick(&["COST", "cost", "PRICE"]).to_string());
            if rng.percent(90) {
                args.push(rng.range(0, max + 1).to_string());
            }
        }
        6 => args.extend(["COST".to_string(), "0".to_string()]),
        _ => args.extend(["COST".to_string(), rng.range(1, max.max(1)).to_string()]),
    }
}

fn random_time_step(rng: &mut SplitMix64, now: &mut i64, scale: i64) {
    *now += match rng.below(10) {
        0..=2 => 0,
        3..=6 => rng.range(1, (scale / 2).max(1)),
        7 | 8 => rng.range(scale / 2, scale * 2),
        // The clock can step back (a failover to another machine).
        _ => -rng.range(0, scale),
    };
}

fn random_log(rng: &mut SplitMix64, now: i64, window: i64, max: i64) -> Vec<f64> {
    let count = rng.below((max + 4) as u64);
    (0..count)
        .map(|_| {
            let at = now - rng.range(-window / 10, window * 2);
            match rng.below(4) {
                0 => at as f64 + 0.5,
                1 => at as f64 + rng.below(1000) as f64 / 1000.0,
                _ => at as f64,
            }
        })
        .collect()
}

fn logs_value(logs: &BTreeMap<Vec<u8>, Vec<f64>>) -> Value {
    Value::Object(
        logs.iter()
            .filter(|(_, log)| !log.is_empty())
            .map(|(key, log)| (String::from_utf8(key.clone()).expect("ASCII keys"), json!(log)))
            .collect(),
    )
}

fn decision_value(d: tally_core::limit::Decision) -> Value {
    json!(d.as_array())
}

/// One sliding-log sequence (LIMIT.SLIDE or LIMIT.MULTI) with its native answers.
fn log_sequence(rng: &mut SplitMix64, multi: bool) -> Value {
    let require = rng.percent(10);
    let max_log = if rng.percent(10) { rng.range(1, 50) } else { MAX_LOG_DEFAULT };
    let numkeys = if multi { rng.range(1, 3) } else { 1 };
    let tag = if rng.percent(85) { "{m}" } else { "" };
    let keys: Vec<String> = (0..numkeys).map(|i| format!("{tag}k{i}")).collect();
    let mut windows: Vec<(i64, i64)> = (0..numkeys)
        .map(|_| (*rng.pick(&[1, 2, 10, 100, 1000, 5000, 60_000, 31_536_000_000]), rng.range(1, 20)))
        .collect();
    let mut now = rng.range(0, 2_000_000_000_000);
    let mut logs: BTreeMap<Vec<u8>, Vec<f64>> = BTreeMap::new();
    for (key, (window, max)) in keys.iter().zip(&windows) {
        logs.insert(key.as_bytes().to_vec(), random_log(rng, now, (*window).min(100_000), *max));
    }
    let initial = logs_value(&logs);
    let mut steps = Vec::new();
    for _ in 0..rng.range(5, 25) {
        random_time_step(rng, &mut now, windows[0].0.min(100_000));
        if rng.percent(10) {
            let i = rng.below(windows.len() as u64) as usize;
            windows[i].1 = rng.range(1, 20);
        }
        let mut step_keys = keys.clone();
        if multi && rng.percent(4) && step_keys.len() > 1 {
            step_keys[1] = step_keys[0].clone();
        }
        if multi && rng.percent(4) {
            step_keys[0] = "other".to_string();
        }
        let mut args: Vec<String> = Vec::new();
        if multi {
            args.push(number_arg(rng, numkeys));
            args.extend(step_keys.iter().cloned());
        } else {
            args.push(step_keys[0].clone());
        }
        for (window, max) in &windows {
            args.push(number_arg(rng, *window));
            args.push(number_arg(rng, *max));
        }
        let smallest = windows.iter().map(|w| w.1).min().unwrap_or(1);
        cost_args(rng, smallest, &mut args);
        if rng.percent(2) {
            args.pop();
        }
        let command = if multi { "limit.multi" } else { "limit.slide" };
        let argv: Vec<&[u8]> =
            std::iter::once(command.as_bytes()).chain(args.iter().map(std::string::String::as_bytes)).collect();
        let call = if multi { native::multi } else { native::slide };
        let mut step = Map::new();
        step.insert("now_ms".into(), json!(now));
        step.insert("args".into(), json!(args));
        match call(&argv, max_log, require, now, &logs) {
            Ok(out) => {
                step.insert("reply".into(), decision_value(out.decision));
                let mut expire = Map::new();
                for (key, log, at) in out.keys {
                    if let Some(at) = at {
                        expire.insert(String::from_utf8(key.clone()).expect("ASCII"), json!(at));
                    }
                    logs.insert(key, log);
                }
                step.insert("expire_at_ms".into(), Value::Object(expire));
            }
            Err(error) => {
                step.insert("error".into(), err_text(error));
            }
        }
        step.insert("logs".into(), logs_value(&logs));
        steps.push(Value::Object(step));
    }
    json!({ "command": if multi { "multi" } else { "slide" }, "max_log": max_log, "require_hashtag": require,
            "logs": initial, "steps": steps })
}

fn gcra_sequence(rng: &mut SplitMix64) -> Value {
    let require = rng.percent(10);
    let key = if rng.percent(85) { "{g}k" } else { "k" };
    let mut burst = if rng.percent(5) { 1_000_000_000 } else { rng.range(0, 10) };
    let count = if rng.percent(5) { 1_000_000_000 } else { rng.range(1, 100) };
    let period = *rng.pick(&[1, 10, 1000, 60_000, 3_600_000, 31_536_000_000]);
    let emission_ms = (period / count).max(1);
    let mut now = rng.range(0, 2_000_000_000_000);
    let mut state: Option<String> = match rng.below(6) {
        0 | 1 => None,
        2 => Some(rng.pick(&["abc", "1.5", "", "-", "0123", "99999999999999999999999999999999999"]).to_string()),
        _ => Some((now * 1000 + rng.range(-2_000_000, 20_000_000)).to_string()),
    };
    let initial = json!(state);
    let mut steps = Vec::new();
    for _ in 0..rng.range(5, 25) {
        random_time_step(rng, &mut now, emission_ms.min(100_000) * 2);
        if rng.percent(5) {
            burst = rng.range(0, 10);
        }
        let mut args = vec![key.to_string(), number_arg(rng, burst), number_arg(rng, count), number_arg(rng, period)];
        cost_args(rng, burst + 1, &mut args);
        if rng.percent(2) {
            args.truncate(3);
        }
        let argv: Vec<&[u8]> =
            std::iter::once(&b"limit.gcra"[..]).chain(args.iter().map(std::string::String::as_bytes)).collect();
        let mut step = Map::new();
        step.insert("now_ms".into(), json!(now));
        step.insert("args".into(), json!(args));
        match native::gcra(&argv, require, now, state.as_deref().map(str::as_bytes)) {
            Ok((decision, tat, expire)) => {
                step.insert("reply".into(), decision_value(decision));
                if let Some(tat) = tat {
                    state = Some(tat);
                }
                step.insert("expire_at_ms".into(), json!(expire));
            }
            Err(error) => {
                step.insert("error".into(), err_text(error));
            }
        }
        step.insert("tat_us".into(), json!(state));
        steps.push(Value::Object(step));
    }
    json!({ "command": "gcra", "require_hashtag": require, "tat_us": initial, "steps": steps })
}

fn count_arg(rng: &mut SplitMix64) -> u64 {
    match rng.below(4) {
        0 => rng.below(10),
        1 => rng.below(1_000_000),
        2 => MAX_SAFE - rng.below(10),
        _ => rng.below(MAX_SAFE + 1),
    }
}

fn random_f64(rng: &mut SplitMix64) -> f64 {
    loop {
        let value = match rng.below(4) {
            0 => f64::from_bits(rng.next()),
            1 => rng.range(-1_000_000, 1_000_000) as f64,
            2 => rng.range(-1_000_000, 1_000_000) as f64 / 1000.0,
            _ => (rng.next() >> 11) as f64 * if rng.percent(50) { 1.0 } else { -1.0 },
        };
        if value.is_finite() {
            return value;
        }
    }
}

/// A time for a season: anywhere up to SEASON_MAX_MS, in this era, or close to where
/// seasons change (midnights, year ends, where ISO week years differ from calendar years).
fn season_time(rng: &mut SplitMix64) -> i64 {
    let era_days = 200 * 365;
    let ms = match rng.below(6) {
        0 => rng.range(0, SEASON_MAX_MS),
        1 => rng.range(0, era_days * DAY_MS),
        2 => rng.range(1, era_days) * DAY_MS + rng.range(-1, 1),
        3 => {
            // Around 1 January of a year up to 2300 (365.2425 days a year on average).
            let year = rng.range(0, 330) as f64;
            let day = (year * 365.2425) as i64 + rng.range(-6, 6);
            day * DAY_MS + rng.range(0, DAY_MS - 1)
        }
        4 => rng.range(0, 3 * DAY_MS),
        _ => SEASON_MAX_MS - rng.range(0, 400 * DAY_MS),
    };
    ms.clamp(0, SEASON_MAX_MS)
}

#[test]
fn write_native_answers_for_the_wasm_replay() {
    let mut rng = SplitMix64(SEED);

    let keys: Vec<Value> = (0..3000)
        .map(|_| {
            let key = random_key(&mut rng);
            json!({ "hex": hex(&key), "slot": slot::hash_slot(&key), "tag_hex": slot::hash_tag(&key).map(hex) })
        })
        .collect();

    let mut outcomes = [0usize; 2];
    let validate: Vec<Value> = (0..2000)
        .map(|_| {
            let group: Vec<Vec<u8>> = (0..rng.range(0, 5)).map(|_| group_key(&mut rng)).collect();
            let require = rng.percent(50);
            let error = slot::validate_keys(&group, require).err().map(|e| e.to_string());
            outcomes[usize::from(error.is_some())] += 1;
            json!({ "keys_hex": group.iter().map(|k| hex(k)).collect::<Vec<_>>(), "require_hashtag": require, "error": error })
        })
        .collect();
    assert!(outcomes.iter().all(|&n| n > 300), "key groups pass and fail: {outcomes:?}");

    let mut sequences = Vec::new();
    for _ in 0..200 {
        sequences.push(log_sequence(&mut rng, false));
    }
    for _ in 0..150 {
        sequences.push(log_sequence(&mut rng, true));
    }
    for _ in 0..200 {
        sequences.push(gcra_sequence(&mut rng));
    }
    // The sequences must exercise allowed, refused and erroneous calls alike.
    let mut kinds = BTreeMap::new();
    for sequence in &sequences {
        for step in sequence["steps"].as_array().unwrap() {
            let kind = match &step["reply"] {
                Value::Null => "error",
                reply if reply[0] == 1 => "allowed",
                _ => "refused",
            };
            *kinds.entry((sequence["command"].as_str().unwrap().to_string(), kind)).or_insert(0usize) += 1;
        }
    }
    assert_eq!(kinds.len(), 9, "{kinds:?}");
    assert!(kinds.values().all(|&n| n >= 50), "{kinds:?}");

    let percentiles: Vec<Value> = (0..1000)
        .map(|_| {
            let (a, n) = (count_arg(&mut rng), count_arg(&mut rng));
            json!([a, n, percentile(a, n)])
        })
        .collect();
    let arounds: Vec<Value> = (0..1000)
        .map(|_| {
            let len = count_arg(&mut rng);
            let rank = if rng.percent(80) && len > 0 { rng.below(len) } else { count_arg(&mut rng) };
            let radius = count_arg(&mut rng);
            json!([rank, radius, len, around_window(rank, radius, len).map(|(s, e)| [s, e])])
        })
        .collect();
    let page_ranks: Vec<Value> = (0..300)
        .map(|_| {
            let (ties, name) =
                *rng.pick(&[(Ties::Ordinal, "ordinal"), (Ties::Competition, "competition"), (Ties::Dense, "dense")]);
            let first_position = rng.range(1, 1000) as u64;
            let first_rank = rng.range(1, first_position as i64) as u64;
            let mut score = rng.range(-50, 50) as f64;
            let scores: Vec<f64> = (0..rng.below(30))
                .map(|_| {
                    if rng.percent(60) {
                        score -= rng.below(3) as f64 * 0.5;
                    }
                    score
                })
                .collect();
            let mut ranks = PageRanks::new(ties, first_position, first_rank);
            let got: Vec<u64> = scores.iter().map(|&s| ranks.next(s)).collect();
            json!([name, first_position, first_rank, scores, got])
        })
        .collect();
    let formats: Vec<Value> = (0..2000)
        .map(|_| {
            let value = random_f64(&mut rng);
            json!([value, ScoreText::new(value).as_str()])
        })
        .collect();
    let parses: Vec<Value> = (0..2000)
        .map(|_| {
            let text: String = (0..rng.below(12))
                .map(|_| *rng.pick(&['0', '1', '9', '.', '-', '+', 'e', 'E', ' ', 'n', 'a', 'i', 'f', 'x']))
                .collect();
            match parse_finite_f64(text.as_bytes()) {
                Ok(value) => json!([text, value, null]),
                Err(error) => json!([text, null, error.to_string()]),
            }
        })
        .collect();

    let mut season_outcomes = BTreeMap::new();
    let seasons: Vec<Value> = (0..3000)
        .map(|_| {
            let key = match rng.below(4) {
                0 => random_key(&mut rng),
                1 => group_key(&mut rng),
                _ => rng.pick(&["lb", "game:{g1}:scores", "t:{x}:lb", "a}b", "{lb}", ""]).as_bytes().to_vec(),
            };
            let (period, name) =
                *rng.pick(&[(Period::Daily, "daily"), (Period::Weekly, "weekly"), (Period::Monthly, "monthly")]);
            let now_ms = season_time(&mut rng);
            let season = season_at(period, now_ms);
            assert!(season.expire_at_ms <= MAX_SAFE as i64 && season.expire_at_ms > now_ms, "{now_ms}");
            let answer = match season_key(&key, &season) {
                Ok(season_key) => {
                    json!({ "key_hex": hex(&season_key), "name": season.name, "expire_at_ms": season.expire_at_ms })
                }
                Err(error) => json!({ "error": error.to_string() }),
            };
            *season_outcomes.entry((name, answer["error"].is_null())).or_insert(0usize) += 1;
            json!({ "key_hex": hex(&key), "period": name, "now_ms": now_ms, "season": answer })
        })
        .collect();
    assert_eq!(season_outcomes.len(), 6, "{season_outcomes:?}");
    assert!(season_outcomes.values().all(|&n| n >= 50), "{season_outcomes:?}");

    let all = json!({
        "about": "Written by core/tests/differential.rs; replayed by wasm/test/differential.test.mjs.",
        "seed": SEED.to_string(),
        "keys": keys,
        "validate_keys": validate,
        "sequences": sequences,
        "percentile": percentiles,
        "around": arounds,
        "page_ranks": page_ranks,
        "format_score": formats,
        "parse_score": parses,
        "season": seasons,
    });
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/wasm-differential.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let text = serde_json::to_string(&all).unwrap();
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}
