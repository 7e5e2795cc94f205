//! One module a command: its clap arguments and its `run`. Shared helpers live outside
//! (`args`, `input`, `names`, `compile`, `emit`, `output`, the AWS side in `aws`, `deploy` and `images`).

pub mod apply;
pub mod apps;
pub mod build;
pub mod deploy;
pub mod diff;
pub mod env;
pub mod exec;
pub mod images;
pub mod logs;
pub mod lsp;
pub mod ps;
pub mod rack;
pub mod racks;
pub mod releases;
pub mod resources;
pub mod restart;
pub mod run;
pub mod scale;
pub mod schema;
pub mod switch;
pub mod validate;
