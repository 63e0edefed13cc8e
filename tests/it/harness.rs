//! The harness itself: a connection's blocking read survives child processes exiting in
//! other threads (other tests spawn redis-cli, date and servers all the time).
use crate::common::*;
use redis::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[test]
fn a_blocked_read_is_not_interrupted_by_children_exiting_elsewhere() {
    let server = Server::start();
    let mut con = server.connect();
    let reading = Arc::new(AtomicBool::new(true));
    // Two spawning threads, so that a child often exits while the other thread is inside a
    // spawn with its signals blocked: then the kernel gives the SIGCHLD to another thread.
    let spawners: Vec<_> = (0..2)
        .map(|_| {
            let reading = Arc::clone(&reading);
            std::thread::spawn(move || {
                let mut children = 0;
                while reading.load(Ordering::Relaxed) {
                    let _ = std::process::Command::new("true").status();
                    children += 1;
                }
                children
            })
        })
        .collect();
    let reply: redis::RedisResult<Value> = redis::cmd("BLPOP").arg("nothing").arg(2).query(&mut con);
    reading.store(false, Ordering::Relaxed);
    let children: u32 = spawners.into_iter().map(|spawner| spawner.join().unwrap_or(0)).sum();
    assert_eq!(reply.map_err(|error| error.to_string()), Ok(Value::Nil), "BLPOP timing out");
    assert!(children > 10, "only {children} child processes ran during the read");
}
