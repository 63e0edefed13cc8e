//! Scores reply as ZSCORE does under each protocol: bulk strings in RESP2, doubles in RESP3.
use crate::common::*;
use redis::Value;

fn resp3(server: &Server) -> redis::Connection {
    let client = redis::Client::open(format!("redis://127.0.0.1:{}/?protocol=resp3", server.port)).unwrap();
    client.get_connection().unwrap()
}

fn query(con: &mut redis::Connection, line: &str) -> Value {
    let mut words = line.split(' ');
    let mut command = redis::cmd(words.next().unwrap());
    for word in words {
        command.arg(word);
    }
    command.query(con).unwrap()
}

#[test]
fn scores_are_doubles_in_resp3_like_zscore() {
    let server = Server::start();
    let mut con = resp3(&server);
    for (delta, score) in
        [("10", 10.0), ("0.5", 10.5), ("-20.5", -10.0), ("9007199254740993", -10.0 + 9007199254740993.0)]
    {
        let reply = query(&mut con, &format!("TOURNEY.INCR lb alice {delta}"));
        let Value::Array(items) = &reply else { panic!("{reply:?}") };
        assert_eq!(items[0], Value::Double(score), "{delta}");
        assert_eq!(items[0], query(&mut con, "ZSCORE lb alice"), "{delta}");
    }
    let top = query(&mut con, "TOURNEY.TOP lb 1");
    assert_eq!(
        top,
        Value::Array(vec![Value::Array(vec![
            Value::BulkString(b"alice".to_vec()),
            query(&mut con, "ZSCORE lb alice"),
            Value::Int(1),
        ])])
    );
}

#[test]
fn whole_and_fractional_scores_match_zscore_in_resp2() {
    let server = Server::start();
    let mut con = server.connect();
    for value in ["10", "-3", "0", "0.1", "1e15", "9007199254740992", "1e17", "123.456", "-0.000001"] {
        sh(&mut con, &format!("TOURNEY.SUBMIT lb m {value} LATEST"));
        let zscore = sh(&mut con, "ZSCORE lb m");
        assert_eq!(sh(&mut con, "TOURNEY.RANK lb m WITHSCORE"), format!("[1, {zscore}]"), "{value}");
        assert_eq!(sh(&mut con, "TOURNEY.TOP lb 1"), format!("[[\"m\", {zscore}, 1]]"), "{value}");
    }
}
