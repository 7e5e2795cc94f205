//! What the commands that work on a deployed rack or app name: `--rack` (else the current rack,
//! `current.rs`), `--app` (else the current directory's name), and where AWS is.

use crate::args::USAGE;
use crate::aws::clients::AwsArgs;
use crate::names::{app_here, valid_name};
use clap::Args;
use std::process::ExitCode;

#[derive(Args, Clone)]
pub struct RackTarget {
    /// The rack (default: the current rack, `convoxc switch`).
    #[arg(long, value_name = "NAME")]
    pub rack: Option<String>,
    #[command(flatten)]
    pub aws: AwsArgs,
}

impl RackTarget {
    /// The rack, resolved and checked (a usage error otherwise).
    pub fn rack(&mut self) -> Result<String, ExitCode> {
        crate::current::fill(&mut self.rack)?;
        let rack = self.rack.clone().unwrap_or_default();
        valid_name("rack", &rack).map_err(|e| {
            eprintln!("error: {e}");
            ExitCode::from(USAGE)
        })?;
        Ok(rack)
    }
}

#[derive(Args, Clone)]
pub struct AppTarget {
    /// The app (default: the current directory's name).
    #[arg(long, short = 'a', value_name = "NAME")]
    pub app: Option<String>,
    #[command(flatten)]
    pub rack: RackTarget,
}

impl AppTarget {
    /// (rack, app), resolved and checked (a usage error otherwise).
    pub fn resolve(&mut self) -> Result<(String, String), ExitCode> {
        let rack = self.rack.rack()?;
        let app = app_here(self.app.as_deref()).map_err(|e| {
            eprintln!("error: {e}");
            ExitCode::from(USAGE)
        })?;
        Ok((rack, app))
    }
}
