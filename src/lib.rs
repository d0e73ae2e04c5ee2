//! postwright: GitOps for social posts (Instagram, Threads, and every
//! platform of [`platform`]'s registry). Posts are files in a git repository;
//! `validate` checks them, `plan` shows what is due, `apply` publishes each
//! exactly once.
//!
//! Data flows one way through the stages: [`content`] (load) →
//! [`validate`] → plan → apply → state. [`report`] prints the results and
//! [`cli`] ties it together behind `run()`, which returns the exit code.

pub mod apply;
pub mod auth;
pub mod cli;
pub mod commands;
pub mod config;
pub mod content;
pub mod diagnostic;
pub mod failpoints;
pub mod hex;
pub mod hosting;
pub mod import;
pub mod init;
pub mod lfs;
pub mod live;
pub mod media;
pub mod par;
pub mod plan;
pub mod platform;
pub mod preview;
pub mod report;
pub mod state;
pub mod suggest;
pub mod time;
pub mod validate;
