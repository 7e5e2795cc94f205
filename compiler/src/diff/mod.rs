//! The diff engine: what a change to an app's stacks will do, before anyone applies it. Given
//! two sides (each a root stack with its nested stacks, their templates, parameter values and
//! tags: a build, a convox-made bundle, a deployed app), it reports every changed stack, the
//! changed entries and resources with their property paths, whether each resource is replaced
//! (from the resource provider schemas' create-only properties, cascading to dependants), and its
//! class: benign, add, update, remove, replace, destroy (data lost), fail (CloudFormation will
//! refuse). Pure: `convoxc diff` and `convoxc apply` print the same report.
//!
//! It stands beside `back`: it may name the ground and `back` (to read a bundle), and nothing
//! names it but `compile` and other crates.

pub mod deletion;
mod engine;
pub mod facts;
mod keep;
mod model;
pub mod refusals;
pub mod render;
mod resources;
mod security;
pub mod side;
pub mod template_text;
pub mod tree;

pub use engine::{compare, compare_with};
pub use keep::keeps;
pub use model::*;
