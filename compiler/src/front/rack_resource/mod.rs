//! The arguments of `convoxc resources build TYPE --name NAME [K=V ...]` → a checked
//! `ir::rack_resource::Resource`.

mod checks;
mod load;

pub use load::{COMMAND_LINE, Loaded, Request, camelize, load};
