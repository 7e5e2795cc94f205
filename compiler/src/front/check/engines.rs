//! Databases on an engine version past RDS standard support (a warning, with the version to move to).

use crate::diagnostic::Code;
use crate::front::cx::{Cx, join};
use crate::front::decode::Decoded;
use crate::ir::*;

/// RDS major versions past their end of standard support, as of this release of convoxc (a table,
/// not a clock: the same manifest always gives the same diagnostics). PostgreSQL and MySQL go on
/// in RDS Extended Support, charged per vCPU-hour; MariaDB has no Extended Support, so RDS no
/// longer creates those versions. convox's defaults (postgres 12, mysql 5.7, mariadb 10.4) are
/// all here. From the RDS release calendars: PostgreSQL 13's standard support ended in February
/// 2026, MySQL 8.0's in July 2026, MariaDB 10.5's community life in June 2025.
const PAST_STANDARD_SUPPORT: &[(ResourceType, &[&str], &str, &str)] = &[
    (
        ResourceType::Postgres,
        &["9", "10", "11", "12", "13"],
        "past RDS standard support and runs in paid RDS Extended Support",
        "16",
    ),
    (
        ResourceType::Mysql,
        &["5.6", "5.7", "8.0"],
        "past RDS standard support and runs in paid RDS Extended Support",
        "8.4",
    ),
    (
        ResourceType::Mariadb,
        &["10.2", "10.3", "10.4", "10.5"],
        "past its end of life; RDS has no Extended Support for MariaDB and no longer creates it",
        "10.11",
    ),
];

/// What a database's or cache's clients need once it is encrypted by default (unlike convox): a
/// note at its name, unless the manifest says `encrypted:` either way.
pub(super) fn secure_defaults(cx: &mut Cx, app: &Decoded) {
    for r in app.resources.iter().filter(|r| r.encryption_defaulted()) {
        let option = |k: &str| r.options.get(k).map_or("", String::as_str);
        let what = match r.kind {
            ResourceType::Postgres | ResourceType::Mysql | ResourceType::Mariadb => {
                let engine = match r.kind {
                    ResourceType::Postgres => "postgres",
                    ResourceType::Mysql => "mysql",
                    _ => "mariadb",
                };
                let tls = option("ParameterGroupName").is_empty()
                    && crate::ir::resource_options::tls_parameter(engine, option("Version")).is_some();
                if tls {
                    "a new database is encrypted and requires TLS: its clients must connect with TLS (libpq's \
                     default sslmode=prefer does; node-postgres needs `ssl`, mysql clients --ssl-mode=REQUIRED)"
                } else {
                    "a new database is encrypted at rest (nothing changes for its clients)"
                }
            }
            ResourceType::Redis | ResourceType::Valkey => {
                "a new cache is encrypted in transit with an auth token: its URL is rediss://:<token>@host:port/0, \
                 and its clients need TLS"
            }
            ResourceType::Efs | ResourceType::Memcached => continue,
        };
        let path = join("resources", &r.name);
        let d = crate::diagnostic::Diagnostic::new(Code::SecureDefault, cx.source, cx.at(&format!("{path}#name")), &path, what)
            .help("say `encrypted: true` to make it explicit, or `encrypted: false` for convox's unencrypted default; one that exists keeps what it has");
        cx.diags.push(d);
    }
}

pub(super) fn engine_versions(cx: &mut Cx, app: &Decoded) {
    for r in &app.resources {
        let Some(version) = r.options.get("Version") else {
            continue;
        };
        let Some((_, _, why, suggested)) = PAST_STANDARD_SUPPORT.iter().find(|(kind, majors, _, _)| {
            *kind == r.kind
                && majors
                    .iter()
                    .any(|m| version == m || version.strip_prefix(m).is_some_and(|rest| rest.starts_with('.')))
        }) else {
            continue;
        };
        let path = join("resources", &r.name);
        let options = join(&path, "options");
        let prefix = format!("{options}.");
        let given = cx
            .spans
            .keys()
            .find(|k| {
                k.strip_prefix(prefix.as_str())
                    .is_some_and(|o| o.eq_ignore_ascii_case("version"))
            })
            .cloned();
        let (msg, span_path) = match &given {
            Some(k) => (format!("{} {version} is {why}", r.kind.as_str()), k.clone()),
            None => (
                format!("{} {version}, convox's default version, is {why}", r.kind.as_str()),
                format!("{path}#name"),
            ),
        };
        let help = format!(
            "set `options: {{version: \"{suggested}\"}}` (a newer major version; an existing database is upgraded in place, which needs a maintenance window)"
        );
        cx.report_warning(Code::EngineVersion, &given.unwrap_or(path), &span_path, msg, Some(help));
    }
}
