//! `convoxc resources options`: a resource type's options, as `convox rack resources options`
//! prints them.

use super::kind::kind;
use clap::Args;
use convoxc_compiler::ir::rack_resource::Kind;
use std::process::ExitCode;

#[derive(Args)]
pub struct OptionsArgs {
    /// The resource type (see `convoxc resources types`).
    r#type: String,
}

pub(crate) fn run(args: OptionsArgs) -> ExitCode {
    match kind(&args.r#type) {
        Ok(k) => {
            print!("{}", options_table(k));
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}

/// NAME DEFAULT DESCRIPTION, aligned, sorted by name (as `convox rack resources options` prints).
fn options_table(kind: Kind) -> String {
    let mut rows: Vec<[&str; 3]> = kind
        .options()
        .iter()
        .map(|o| [o.name, o.shown_default(), o.description])
        .collect();
    rows.sort();
    rows.insert(0, ["NAME", "DEFAULT", "DESCRIPTION"]);
    let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
    let (w0, w1) = (width(0), width(1));
    rows.iter()
        .map(|[n, d, t]| format!("{n:w0$}  {d:w1$}  {t}").trim_end().to_string() + "\n")
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_table_is_aligned_and_sorted() {
        let t = options_table(Kind::Memcached);
        assert_eq!(
            t,
            "NAME           DEFAULT         DESCRIPTION\n\
             InstanceType   cache.t3.micro  The type of instance to use\n\
             NumCacheNodes  1               The number of cache nodes\n"
        );
        let t = options_table(Kind::Mysql);
        assert!(t.contains("Password                    (generated at apply)"), "{t}");
    }
}
