//! Integration tests: the real binary on real fixture files.

mod common;
mod corpus;
mod loader_props;
mod plan;
mod state_backends;
mod validate_cli;
