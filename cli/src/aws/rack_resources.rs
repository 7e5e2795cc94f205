//! A rack's resources as deployed: their stacks (`<rack>-<name>`, tagged `Rack`, `Resource`,
//! `Type=resource`), what convoxc keeps for them in SSM under `/convoxc/<rack>/.resources/<name>/`
//! (`password`: the generated database password or cache auth token; `links/<app>`: a link, whose
//! value is the variable the app's services get the URL in), and the URL convox gives for one.

use crate::aws::clients::{Clients, Result, describe, err};
use crate::aws::lookup::{deployed_template, describe_stack, output, rack_member, tag};
use crate::aws::secrets;
use aws_sdk_cloudformation::types::Stack;
use convoxc_compiler::diff::template_text;
use convoxc_compiler::ir::naming::env_name;
use convoxc_compiler::names::suggest;
use serde_json::Value;
use std::collections::BTreeMap;

/// Where convoxc keeps what belongs to a rack resource.
pub(crate) fn store(rack: &str, name: &str) -> String {
    format!("/convoxc/{rack}/.resources/{name}/")
}

pub(crate) fn password_path(rack: &str, name: &str) -> String {
    format!("{}password", store(rack, name))
}

pub(crate) fn link_path(rack: &str, name: &str, app: &str) -> String {
    format!("{}links/{app}", store(rack, name))
}

/// The variable a linked app's services get a resource's URL in: convox's `<NAME>_URL`.
pub(crate) fn url_variable(name: &str) -> String {
    format!("{}_URL", env_name(name))
}

/// One deployed rack resource.
pub(crate) struct Deployed {
    pub name: String,
    pub kind: String,
    pub status: String,
    pub stack: Stack,
}

impl Deployed {
    fn from(rack: &str, s: &Stack) -> Option<Deployed> {
        let name = rack_member(rack, s, "resource")?;
        Some(Deployed {
            name,
            kind: tag(s, "Resource").unwrap_or("").to_string(),
            status: s.stack_status().map(|x| x.as_str().to_string()).unwrap_or_default(),
            stack: s.clone(),
        })
    }

    pub fn stack_name(&self) -> &str {
        self.stack.stack_name().unwrap_or_default()
    }

    pub fn output(&self, key: &str) -> Option<&str> {
        output(&self.stack, key)
    }

    fn declares(&self, parameter: &str) -> bool {
        self.stack
            .parameters()
            .iter()
            .any(|p| p.parameter_key() == Some(parameter))
    }
}

/// The rack's resources, sorted by name.
pub(crate) async fn list(c: &Clients, rack: &str) -> Result<Vec<Deployed>> {
    let mut out = Vec::new();
    let mut pages = c.cfn.describe_stacks().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| describe("listing the stacks", &e))?;
        out.extend(page.stacks().iter().filter_map(|s| Deployed::from(rack, s)));
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// One resource of the rack, or an error that lists the rack's resources.
pub(crate) async fn find(c: &Clients, rack: &str, name: &str) -> Result<Deployed> {
    let stack = format!("{rack}-{name}");
    if let Some(s) = describe_stack(c, &stack).await?
        && let Some(d) = Deployed::from(rack, &s)
    {
        return Ok(d);
    }
    let all = list(c, rack).await?;
    let names: Vec<&str> = all.iter().map(|d| d.name.as_str()).collect();
    let hint = match suggest(name, names.iter().copied()) {
        Some(s) => format!(" (did you mean {s}?)"),
        None => String::new(),
    };
    let known = if names.is_empty() {
        "it has none".to_string()
    } else {
        format!("it has {}", names.join(", "))
    };
    err(format!(
        "rack {rack} has no resource {name}{hint}: {known} (`convoxc resources --rack {rack}` lists them)"
    ))
}

/// The options a resource was created with, as given (`Metadata.convoxc.OptionsGiven`, with
/// their values from `Metadata.convoxc.Options`), or None for a stack convoxc did not compile.
pub(crate) async fn given_options(c: &Clients, d: &Deployed) -> Result<Option<BTreeMap<String, String>>> {
    let body = deployed_template(c, d.stack_name()).await?;
    let template = template_text::read(d.stack_name(), &body).unwrap_or(Value::Null);
    let Some(meta) = template.pointer("/Metadata/convoxc") else {
        return Ok(None);
    };
    let given: Vec<&str> = meta
        .get("OptionsGiven")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let options = meta.get("Options").and_then(Value::as_object);
    Ok(Some(
        given
            .into_iter()
            .filter_map(|k| Some((k.to_string(), options?.get(k)?.as_str()?.to_string())))
            .collect(),
    ))
}

/// Every option of a resource with its value (`Metadata.convoxc.Options`; a convox-made
/// resource's stack parameters).
pub(crate) async fn options(c: &Clients, d: &Deployed) -> Result<BTreeMap<String, String>> {
    let body = deployed_template(c, d.stack_name()).await?;
    let template = template_text::read(d.stack_name(), &body).unwrap_or(Value::Null);
    if let Some(Value::Object(m)) = template.pointer("/Metadata/convoxc/Options") {
        return Ok(m
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string)))
            .collect());
    }
    Ok(d.stack
        .parameters()
        .iter()
        .filter_map(|p| Some((p.parameter_key()?.to_string(), p.parameter_value()?.to_string())))
        .collect())
}

/// The resource's URL as convox gives it (`scheme://user:password@host:port/database`, …), the
/// password from SSM; with `reveal` false the password is `****`. None while it has no URL
/// output (not created yet).
pub(crate) async fn url(c: &Clients, rack: &str, d: &Deployed, reveal: bool) -> Result<Option<String>> {
    let Some(base) = d.output("Url").map(str::to_string) else {
        return Ok(None);
    };
    if let Some(arn) = d.output("Credentials") {
        // s3, sns, sqs: convox's URL carries the access key, which is in a Secrets Manager secret
        let (key, secret) = access_key(c, arn).await?;
        let secret = if reveal { encode(&secret) } else { "****".to_string() };
        return Ok(Some(with_userinfo(&base, &format!("{}:{secret}", encode(&key)))));
    }
    if !d.declares("Password") || matches!(d.kind.as_str(), "syslog" | "webhook") {
        return Ok(Some(base));
    }
    let secret = if reveal {
        let path = password_path(rack, &d.name);
        match secrets::under(c, &store(rack, &d.name), false).await?.remove(&path) {
            Some(p) => p,
            None => return err(format!("the password of {} is not in SSM ({path})", d.name)),
        }
    } else {
        "****".to_string()
    };
    Ok(Some(with_password(&base, &secret)))
}

/// The access key (id, secret) in a resource's `Credentials` secret.
async fn access_key(c: &Clients, arn: &str) -> Result<(String, String)> {
    let out = c
        .secrets
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|e| describe("reading the resource's access key (its Credentials secret)", &e))?;
    let v: Value = serde_json::from_str(out.secret_string().unwrap_or("")).unwrap_or(Value::Null);
    match (v["AccessKeyId"].as_str(), v["SecretAccessKey"].as_str()) {
        (Some(k), Some(s)) => Ok((k.to_string(), s.to_string())),
        _ => err(format!("the secret {arn} holds no AccessKeyId and SecretAccessKey")),
    }
}

/// Percent-encoding for a URL's user information (a secret access key may hold `/` and `+`).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `scheme://user@host…` → `scheme://user:secret@host…`; `scheme://host…` → `scheme://:secret@host…`.
fn with_password(url: &str, secret: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((user, host)) => format!("{scheme}://{user}:{secret}@{host}"),
        None => format!("{scheme}://:{secret}@{rest}"),
    }
}

/// `scheme://host…` → `scheme://userinfo@host…`.
fn with_userinfo(url: &str, userinfo: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{userinfo}@{rest}"),
        None => url.to_string(),
    }
}

/// The links of a rack's resources: (resource, app) → the variable.
pub(crate) async fn links(c: &Clients, rack: &str) -> Result<BTreeMap<(String, String), String>> {
    let root = format!("/convoxc/{rack}/.resources/");
    Ok(secrets::under(c, &root, true)
        .await?
        .into_iter()
        .filter_map(|(path, var)| {
            let (resource, app) = path.strip_prefix(&root)?.split_once("/links/")?;
            Some(((resource.to_string(), app.to_string()), var))
        })
        .collect())
}

/// The URLs an app's linked resources give its services, by variable (what an apply stores).
pub(crate) async fn linked_urls(c: &Clients, rack: &str, app: &str) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for ((resource, linked), var) in links(c, rack).await? {
        if linked != app {
            continue;
        }
        let d = find(c, rack, &resource).await?;
        match url(c, rack, &d, true).await? {
            Some(u) => {
                out.insert(var, u);
            }
            None => {
                return err(format!(
                    "{app} is linked to {resource}, which has no URL yet ({}): wait for it, or unlink it",
                    d.status
                ));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_password_goes_where_convox_puts_it() {
        assert_eq!(
            super::with_password("postgres://app@db.example:5432/app", "pw"),
            "postgres://app:pw@db.example:5432/app"
        );
        assert_eq!(
            super::with_password("rediss://cache.example:6379/0", "tok"),
            "rediss://:tok@cache.example:6379/0"
        );
        assert_eq!(super::url_variable("postgres-2871"), "POSTGRES_2871_URL");
        assert_eq!(
            super::with_userinfo("s3://r-files-1x2y", &format!("AKIA1:{}", super::encode("a/b+c"))),
            "s3://AKIA1:a%2Fb%2Bc@r-files-1x2y"
        );
    }
}
