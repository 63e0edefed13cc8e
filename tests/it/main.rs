//! Every integration test, in one binary: each module starts its own servers (`common`) on
//! the server `TALLY_SERVER` names (`redis-server` on PATH by default).

mod acl_roles;
mod audit;
mod audit_refuse_chain;
mod cluster;
mod command_registry;
mod common;
mod docs_examples;
mod fuzz;
mod harness;
mod info_section;
mod limit;
mod limit_fixed;
mod limit_lease;
mod limit_server;
mod limit_shadow;
mod load_args;
mod oom;
mod persistence;
mod resp3;
mod seasons;
mod tourney;
mod tourney_data;
mod tourney_ranks;
mod tourney_seasons_and_ties;
mod tourney_server;
mod tourney_ties;
mod vectors_server;
