//! Secrets stay out of templates. convox substitutes `${NAME}` into the manifest's text before it
//! is read, so whatever a reference stands for is compiled into the template in plain text —
//! readable by anyone who can read the stack, its change sets and the task definitions. Environment
//! values reach the containers as SSM SecureStrings instead (never a template).
//!
//! - A reference whose name says it is a secret (`DB_PASSWORD`, `API_TOKEN`, `SECRET_KEY_BASE`,
//!   `DATABASE_URL`…, see [`looks_secret`]) is an error wherever it is written.
//! - A reference to one of the app's environment variables (declared in `environment:`, or any
//!   given one under `*`) in free text — a `command`, an environment default — is a warning: it
//!   is legitimate for values that are not secret (a host name copied into another variable, as
//!   in `- OAUTH_CALLBACK_HOST=${HOST}`), and a leak for the rest.
//! - Elsewhere (domain, port, scale, schedule, resource options…) the value is configuration the
//!   template must hold, public by nature: nothing is said.

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::front::cx::Cx;
use crate::front::decode::Decoded;
use crate::ir::EnvDecl;
use crate::source::Span;
use std::collections::BTreeSet;

pub(super) fn secrets_in_templates(cx: &mut Cx, app: &Decoded) {
    let declared: BTreeSet<&str> = app
        .environment
        .iter()
        .chain(app.services.iter().flat_map(|s| s.environment.iter()))
        .map(EnvDecl::name)
        .collect();
    let wildcard = declared.contains("*");
    // only the references that can matter look for their key path (usually none)
    let refs: Vec<(String, Span, bool)> = cx
        .interp
        .references()
        .filter(|r| looks_secret(r.name) || declared.contains(r.name) || (wildcard && r.set))
        .map(|r| (r.name.to_string(), r.span, looks_secret(r.name)))
        .collect();
    if refs.is_empty() {
        return;
    }
    let mut reported: BTreeSet<(Span, String)> = BTreeSet::new();
    for (name, span, secret) in refs {
        let Some(path) = innermost(cx, span) else {
            continue; // in a comment or a key: compiled nowhere
        };
        if !reported.insert((span, name.clone())) {
            continue;
        }
        let field = field_of(&path);
        let shown = path.split('#').next().unwrap_or(&path).to_string();
        if secret {
            let d = Diagnostic::new(
                Code::SecretInTemplate,
                cx.source,
                span,
                shown,
                format!(
                    "`${{{name}}}` looks like a secret, and its value would be compiled into the template in plain text"
                ),
            )
            .help(help(&name, field));
            cx.diags.push(d);
        } else if field != Field::Structural {
            let mut d = Diagnostic::new(
                Code::SecretInTemplate,
                cx.source,
                span,
                shown,
                format!(
                    "`${{{name}}}` is one of the app's environment variables (kept as an SSM SecureString), and here \
                     its value is compiled into the template in plain text"
                ),
            )
            .help(format!(
                "fine for a value that is not secret; if it is one, {}",
                help(&name, field)
            ));
            d.severity = Severity::Warning;
            cx.diags.push(d);
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Command,
    Environment,
    Structural,
}

fn field_of(path: &str) -> Field {
    let last = path
        .rsplit('.')
        .next()
        .unwrap_or("")
        .split(['[', '#'])
        .next()
        .unwrap_or("");
    match last {
        "command" => Field::Command,
        "environment" => Field::Environment,
        _ => Field::Structural,
    }
}

fn help(name: &str, field: Field) -> String {
    match field {
        Field::Command => format!(
            "let the container read it: declare `- {name}` in `environment:` (its value then goes to SSM) and expand it \
             at run time through a shell, `command: sh -c '… \"${name}\"'` (convox does not touch `${name}` without braces)"
        ),
        Field::Environment => format!(
            "declare the variable itself without a default (`- NAME`) and give it the value with -e NAME=… or \
             --env-file: it then goes to SSM, not the template (`${{{name}}}` is substituted into the default's text)"
        ),
        Field::Structural => format!(
            "a secret has no place in this setting: give it to the containers through `environment:` (- {name}) and \
             set the value with -e or --env-file"
        ),
    }
}

/// The key path of the smallest decoded value that holds the reference at `span` (a value that
/// ends with an empty substitution ends before its `${...}`, and the blanks before it).
fn innermost(cx: &Cx, span: Span) -> Option<String> {
    let holds = |s: &Span| {
        s.start <= span.start
            && !s.is_empty()
            && (span.start <= s.end
                || cx
                    .text
                    .get(s.end..span.start)
                    .is_some_and(|gap| gap.chars().all(|c| c == ' ' || c == '\t')))
    };
    cx.spans
        .iter()
        .filter(|(_, s)| holds(s))
        .min_by_key(|(p, s)| (s.len(), p.len(), p.as_str()))
        .map(|(p, _)| p.clone())
}

/// Whether a variable's name says it holds a secret: one of its `_`-separated words is PASSWORD,
/// PASSWD, PASS, PWD, SECRET(S), TOKEN(S), PRIVATE, CREDENTIAL(S), APIKEY or DSN; or it
/// ends in KEY (API_KEY, STRIPE_KEY, SECRET_KEY_BASE has SECRET); or it is the URL of a database,
/// cache or broker (`DATABASE_URL`, `REDIS_URL`…), which carries its password.
pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let words: Vec<&str> = upper.split('_').filter(|w| !w.is_empty()).collect();
    const SECRET: &[&str] = &[
        "PASSWORD",
        "PASSWD",
        "PASS",
        "PWD",
        "SECRET",
        "SECRETS",
        "TOKEN",
        "TOKENS",
        "PRIVATE",
        "CREDENTIAL",
        "CREDENTIALS",
        "APIKEY",
        "DSN",
    ];
    const STORES: &[&str] = &[
        "DATABASE",
        "DB",
        "POSTGRES",
        "POSTGRESQL",
        "PG",
        "MYSQL",
        "MARIADB",
        "REDIS",
        "VALKEY",
        "MONGO",
        "MONGODB",
        "AMQP",
        "RABBITMQ",
        "RABBIT",
        "MEMCACHED",
        "ELASTICSEARCH",
        "OPENSEARCH",
    ];
    words.iter().any(|w| SECRET.contains(w))
        || words.last() == Some(&"KEY")
        || (words.last() == Some(&"URL") && words.iter().any(|w| STORES.contains(w)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for n in [
            "DB_PASSWORD",
            "password",
            "API_TOKEN",
            "SECRET_KEY_BASE",
            "STRIPE_KEY",
            "DATABASE_URL",
            "ADMIN_DATABASE_URL",
            "REDIS_URL",
            "SENTRY_DSN",
            "GITHUB_PRIVATE_KEY",
            "AWS_SECRET_ACCESS_KEY",
        ] {
            assert!(looks_secret(n), "{n}");
        }
        for n in [
            "HOST",
            "WB_AUTH_SERVICE_DOMAIN",
            "DOMAIN",
            "PORT",
            "APP_URL",
            "STAGE",
            "DB_STORAGE",
            "KEYCLOAK_HOST",
            "PASSENGER_MAX",
            "AWS_REGION",
        ] {
            assert!(!looks_secret(n), "{n}");
        }
    }
}
