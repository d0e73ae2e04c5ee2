//! Integration tests: the real binary on real fixture files.

mod action;
mod api_quirks;
mod apply_e2e;
mod apply_faults;
mod auth;
mod color;
mod common;
mod corpus;
mod crash;
mod features_e2e;
mod formats;
mod graph;
mod graph_features;
mod graph_server;
mod hostile;
mod init;
mod loader_props;
mod mistakes;
mod plan;
mod pr_plan;
mod progress;
mod push_cost;
mod remote;
mod state_backends;
mod state_remote;
mod validate_cli;
