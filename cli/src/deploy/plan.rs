//! What an apply of an app would deploy, worked out from AWS without changing anything: the rack
//! (its outputs and params), the app's stored environment, the bundle compiled against them, and
//! the parameters and tags of the app stack. `apply` deploys it; `diff --rack` compares it with
//! what is deployed.

use crate::args::Format;
use crate::aws::clients::{Clients, Result, err};
use crate::aws::lookup::describe_stack;
use crate::aws::rack_resources;
use crate::aws::rack_stack::{rack_params, rack_stack, secrets_key};
use crate::aws::secrets;
use crate::aws::staged;
use crate::aws::upload;
use crate::compile::compile_keeping;
use crate::deploy::deployed;
use crate::deploy::stack::ParamValue;
use crate::deploy::stack::{self, Preflight};
use aws_sdk_cloudformation::types::Stack;
use convoxc_compiler::back::{BuildOptions, Bundle};
use convoxc_compiler::diff::{Action, EnvChange, Stack as Side};
use convoxc_compiler::ir::naming::{RACK_OWNED, service_id};
use convoxc_compiler::{Input, SourceFile, SourceId, load, parse_env_file};
use std::collections::{BTreeMap, BTreeSet};

/// What the app is compiled from.
pub(crate) struct AppInput<'a> {
    pub rack: &'a str,
    pub app: &'a str,
    pub manifest: SourceFile,
    pub env_file: Option<SourceFile>,
    /// `-e` pairs.
    pub env: &'a [(String, String)],
}

/// The app compiled against its rack.
pub(crate) struct Compiled {
    pub stack_name: String,
    pub bundle: Bundle,
    /// The rack's settings bucket, where the templates go.
    pub bucket: String,
    /// The app params the rack sets on every app (Private, LogDriver, Syslog…), by name.
    pub app_params: BTreeMap<String, String>,
    /// Values to store: staged by `env set`, linked rack resources' URLs, given on the command
    /// line (`--env-file`, `-e`).
    pub given: BTreeMap<String, String>,
    /// Everything stored for the app (environment and the resource password).
    pub stored: BTreeMap<String, String>,
    /// Stored environment values that the deploy deletes (`convoxc env unset`).
    pub removed: BTreeSet<String>,
    /// The staged changes it carries out (`aws/staged.rs`), with the versions read.
    pub staged: Vec<(String, i64)>,
    /// The rack's KMS key, for the SecureStrings it writes (None: `aws/ssm`).
    pub key: Option<String>,
    /// The app's stacks as deployed, when they are.
    pub deployed: Option<Side>,
    /// The build each service runs, where it is not the app stack's `Build`.
    pub builds: BTreeMap<String, String>,
    /// The services whose image is built (in the app's registry), in manifest order.
    pub built: Vec<String>,
    /// What a release records of the inputs: the manifest, the rack params' digest, and the
    /// names of the environment values.
    pub source: Source,
}

/// What a release records of what the app was compiled from.
#[derive(Clone, Default)]
pub(crate) struct Source {
    /// The manifest's file name, as given.
    pub name: String,
    pub text: String,
    /// SHA-256 of the rack params the app was compiled against (of nothing, without them).
    pub rack_params_sha256: String,
    /// Every environment variable with a value (stored or given).
    pub env_names: BTreeSet<String>,
}

/// The app loaded against its rack and stored environment, not yet compiled: the build each
/// service runs is decided between the two (`deploy` builds images from the services it finds here).
pub(crate) struct Prepared {
    pub loaded: convoxc_compiler::Loaded,
    pub options: BuildOptions,
    /// The manifest's file name, for messages.
    pub file: String,
    /// The whole environment the app was loaded with (stored, staged, given), by name: what a
    /// build's `ARG`s take their values from.
    pub env: BTreeMap<String, String>,
    stack_name: String,
    bucket: String,
    app_params: BTreeMap<String, String>,
    given: BTreeMap<String, String>,
    stored: BTreeMap<String, String>,
    removed: BTreeSet<String>,
    staged: Vec<(String, i64)>,
    key: Option<String>,
    deployed: Option<Side>,
    /// No app stack exists (a first deploy): every resource is created, and what AWS refuses of a
    /// new resource is refused (`diff::refusals`).
    absent: bool,
    source: Source,
}

/// Read the rack and the stored environment, and compile the app against them (diagnostics are
/// printed), each service running the build it runs now. Reads only.
pub(crate) async fn compile(c: &Clients, input: AppInput<'_>) -> Result<Compiled> {
    let prepared = prepare(c, input).await?;
    let builds = prepared.deployed_builds();
    prepared.compile(builds, None)
}

/// Read the rack and the stored environment, and load the app against them (diagnostics of the
/// manifest are printed when it is compiled). Reads only.
pub(crate) async fn prepare(c: &Clients, input: AppInput<'_>) -> Result<Prepared> {
    let rack = input.rack;
    let rack_stack = rack_stack(c, rack).await?;
    let outputs: BTreeMap<String, String> = rack_stack
        .outputs()
        .iter()
        .filter_map(|o| Some((o.output_key()?.to_string(), o.output_value()?.to_string())))
        .collect();
    let rack_params = rack_params(c, &rack_stack).await?;
    let rack_params_sha256 = crate::aws::releases::sha256(rack_params.as_ref().map(|f| f.text.as_str()).unwrap_or(""));
    let app_params = app_params(&rack_stack, &outputs);
    let Some(bucket) = outputs.get("SettingsBucket").cloned() else {
        return err(format!(
            "stack {rack} has no SettingsBucket output: is it a convox rack? (convoxc uploads the app's templates there)"
        ));
    };
    upload::check_bucket(c, &bucket, &format!("the SettingsBucket output of rack {rack}")).await?;

    // the environment: what is stored for the app, less what `env unset` removes, then what
    // `env set` staged and the URLs of the linked rack resources, then --env-file, then -e
    let stored_versions = secrets::stored_versions(c, rack, input.app).await?;
    let stored: BTreeMap<String, String> = stored_versions
        .iter()
        .map(|(k, (v, _))| (k.clone(), v.clone()))
        .collect();
    let staged = staged::read(c, rack, input.app).await?;
    let mut from_rack = staged.set.clone();
    from_rack.extend(rack_resources::linked_urls(c, rack, input.app).await?);
    let mut given_here: BTreeMap<String, String> = BTreeMap::new();
    if let Some(f) = &input.env_file {
        let (pairs, _) = parse_env_file(f, SourceId(0));
        given_here.extend(pairs);
    }
    given_here.extend(input.env.iter().cloned());
    let mut given = from_rack.clone();
    given.extend(given_here.iter().map(|(k, v)| (k.clone(), v.clone())));
    let removed: BTreeSet<String> = staged
        .unset
        .iter()
        .filter(|n| !given.contains_key(*n) && stored.contains_key(*n))
        .cloned()
        .collect();
    let mut base: BTreeMap<String, String> = stored
        .iter()
        .filter(|(k, _)| !k.starts_with('.') && !removed.contains(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    base.extend(from_rack);
    let mut env: Vec<(String, String)> = base
        .iter()
        .filter(|(k, _)| !given_here.contains_key(k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    env.extend(input.env.iter().cloned());
    let mut whole_env = base.clone();
    whole_env.extend(given_here.iter().map(|(k, v)| (k.clone(), v.clone())));
    // what is stored and given is the whole environment: a required variable missing from both
    // is an error before anything is written
    let env_known = true;
    let mut env_names: BTreeSet<String> = given_here.keys().cloned().collect();
    env_names.extend(base.keys().cloned());
    let file = input.manifest.name.clone();
    let source = Source {
        name: file.clone(),
        text: input.manifest.text.clone(),
        rack_params_sha256,
        env_names: env_names.iter().filter(|n| !n.starts_with('.')).cloned().collect(),
    };
    let loaded = load(Input {
        manifest: Some(input.manifest),
        env_file: input.env_file,
        env,
        env_known,
        supplied_at_deploy: false,
        rack_params,
    });
    // the version each value will have once this deploy has stored it: a write adds one (a new
    // parameter starts at 1), so a changed value changes the revision of the services reading it
    let env_versions = env_names
        .iter()
        .map(|name| {
            let now = stored_versions.get(name);
            let version = match (now, given.get(name)) {
                (Some((old, v)), Some(new)) if old != new => v + 1,
                (Some((_, v)), _) => *v,
                (None, _) => 1,
            };
            (name.clone(), version)
        })
        .collect();
    let options = BuildOptions {
        app: input.app.to_string(),
        rack: Some(rack.to_string()),
        env_names,
        env_versions,
        keep: Vec::new(),
        builds: BTreeMap::new(),
    };
    // what is deployed: an existing resource keeps what convoxc writes otherwise on purpose (a
    // stack that never existed, or is being changed, has nothing to keep yet)
    let stack_name = format!("{rack}-{}", input.app);
    let status = describe_stack(c, &stack_name)
        .await?
        .and_then(|s| s.stack_status().map(|x| x.as_str().to_string()));
    let preflight = stack::preflight(status.as_deref());
    let absent = matches!(
        preflight,
        Preflight::Absent | Preflight::Review | Preflight::RollbackComplete
    );
    let deployed = match preflight {
        Preflight::Ready | Preflight::UpdateRollbackFailed => deployed::read(c, &stack_name).await?,
        _ => None,
    };
    Ok(Prepared {
        loaded,
        options,
        file,
        env: whole_env,
        stack_name,
        bucket,
        app_params,
        given,
        stored,
        removed,
        staged: staged.paths,
        key: secrets_key(&rack_stack),
        deployed,
        absent,
        source,
    })
}

impl Prepared {
    /// The app, when it loaded without errors.
    pub(crate) fn app(&self) -> Option<&convoxc_compiler::ir::App> {
        self.loaded.app.as_ref()
    }

    /// The build each service given its `image:` runs when the app's build is `id`: the one it
    /// runs now (so it does not roll for a build it does not run), or `id` when it is new.
    pub(crate) fn given_image_builds(&self, id: &str) -> BTreeMap<String, String> {
        let deployed = self.deployed_builds();
        self.app()
            .map(|a| {
                a.services
                    .iter()
                    .filter(|s| s.image.is_some())
                    .map(|s| {
                        (
                            s.name.clone(),
                            deployed.get(&s.name).cloned().unwrap_or_else(|| id.to_string()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `<rack>-<app>`.
    pub(crate) fn stack_name(&self) -> &str {
        &self.stack_name
    }

    /// The rack's settings bucket.
    pub(crate) fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The app's name.
    pub(crate) fn app_name(&self) -> &str {
        &self.options.app
    }

    /// The build each deployed service runs (its stack's `Build`), by service name.
    pub(crate) fn deployed_builds(&self) -> BTreeMap<String, String> {
        let (Some(app), Some(side)) = (self.app(), &self.deployed) else {
            return BTreeMap::new();
        };
        let mut by_id = BTreeMap::new();
        collect_builds(side, &mut by_id);
        app.services
            .iter()
            .filter_map(|s| Some((s.name.clone(), by_id.get(&service_id(&s.logical_name))?.clone())))
            .collect()
    }

    /// What a first deploy makes before the images are pushed (`convox apps create`'s app): the app
    /// stack with its registry, log group and roles, and no service, timer or resource. Nothing
    /// in it is stored in SSM; the deploy that follows changes none of it.
    pub(crate) fn bootstrap(&self) -> Result<Compiled> {
        let Some(app) = self.app() else {
            return err(format!("{} has errors; nothing was deployed", self.file));
        };
        let empty = convoxc_compiler::ir::App {
            services: Vec::new(),
            timers: Vec::new(),
            resources: Vec::new(),
            ..app.clone()
        };
        let bundle = convoxc_compiler::back::build(&empty, &self.options)
            .map_err(|e| crate::aws::clients::Error(format!("compiling the app stack of {}: {e}", self.stack_name)))?;
        Ok(Compiled {
            stack_name: self.stack_name.clone(),
            bundle,
            bucket: self.bucket.clone(),
            app_params: self.app_params.clone(),
            given: BTreeMap::new(),
            stored: self.stored.clone(),
            removed: BTreeSet::new(),
            staged: Vec::new(),
            key: self.key.clone(),
            deployed: None,
            builds: BTreeMap::new(),
            built: Vec::new(),
            source: self.source.clone(),
        })
    }

    /// Compile the app, each service running the build `builds` gives it (the others the app
    /// stack's `Build`). The manifest's diagnostics are printed.
    ///
    /// `root`: the app stack's `Build` (None: the deployed one). A service on that build takes it
    /// from the app stack (`Ref Build`, as `convoxc build` writes it offline); only a service on
    /// another build names its own.
    pub(crate) fn compile(self, builds: BTreeMap<String, String>, root: Option<&str>) -> Result<Compiled> {
        let deployed_root = self.deployed.as_ref().and_then(|d| match d.parameters.get("Build") {
            Some(serde_json::Value::String(b)) => Some(b.clone()),
            _ => None,
        });
        let root = root.map(str::to_string).or(deployed_root);
        let builds = builds.into_iter().filter(|(_, b)| Some(b) != root.as_ref()).collect();
        let options = BuildOptions { builds, ..self.options };
        // a first deploy is compared with nothing deployed: every resource is new
        let nothing = Side::default();
        let deployed = self.deployed.as_ref().or(self.absent.then_some(&nothing));
        let Some(bundle) = compile_keeping(&self.loaded, &options, Format::Human, deployed) else {
            return err(format!("{} has errors; nothing was deployed", self.file));
        };
        Ok(Compiled {
            stack_name: self.stack_name,
            bundle,
            bucket: self.bucket,
            app_params: self.app_params,
            given: self.given,
            stored: self.stored,
            removed: self.removed,
            staged: self.staged,
            key: self.key,
            deployed: self.deployed,
            builds: options.builds,
            built: self
                .loaded
                .app
                .as_ref()
                .map(|a| {
                    a.services
                        .iter()
                        .filter(|s| s.image.is_none())
                        .map(|s| s.name.clone())
                        .collect()
                })
                .unwrap_or_default(),
            source: self.source,
        })
    }
}

/// The `Build` parameter of every nested stack in a deployed tree, by logical ID (a service's
/// stack sits under the app stack, or under a group stack in a very large app).
fn collect_builds(side: &Side, into: &mut BTreeMap<String, String>) {
    for (logical, child) in &side.nested {
        if let Some(serde_json::Value::String(b)) = child.parameters.get("Build") {
            into.insert(logical.clone(), b.clone());
        }
        collect_builds(child, into);
    }
}

/// The params a rack sets on every app it deploys (convox overwrites them from the rack on each
/// release): a convoxc rack has them as its `AppParam<Name>` outputs ("-" is blank, since an output
/// cannot be empty); a rack that convox made has them as its outputs (LogBucket, LogDriver,
/// Private, Syslog…) or its stack parameters (PlaceLambdaInVpc, …) of the same name.
fn app_params(rack: &Stack, outputs: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let convoxc: BTreeMap<String, String> = outputs
        .iter()
        .filter_map(|(key, value)| {
            let name = key.strip_prefix("AppParam")?;
            let value = if value == "-" { String::new() } else { value.clone() };
            Some((name.to_string(), value))
        })
        .collect();
    if !convoxc.is_empty() {
        return convoxc;
    }
    let parameters: BTreeMap<&str, &str> = rack
        .parameters()
        .iter()
        .filter_map(|p| Some((p.parameter_key()?, p.parameter_value()?)))
        .collect();
    RACK_OWNED
        .iter()
        .filter_map(|name| {
            let value = outputs
                .get(*name)
                .map(String::as_str)
                .or_else(|| parameters.get(name).copied())?;
            Some((name.to_string(), value.to_string()))
        })
        .collect()
}

/// The environment values a deploy stores anew (given, and not stored with that value), by name.
pub(crate) fn env_changes(compiled: &Compiled) -> Vec<EnvChange> {
    let mut changes: Vec<EnvChange> = compiled
        .given
        .iter()
        .filter_map(|(name, value)| {
            let action = match compiled.stored.get(name) {
                None => Action::Add,
                Some(v) if v != value => Action::Modify,
                Some(_) => return None,
            };
            Some(EnvChange {
                name: name.clone(),
                action,
            })
        })
        .chain(compiled.removed.iter().map(|name| EnvChange {
            name: name.clone(),
            action: Action::Remove,
        }))
        .collect();
    changes.sort_by(|a, b| a.name.cmp(&b.name));
    changes
}

/// Where the app stack's resource password comes from.
pub(crate) enum Password {
    /// Stored in SSM.
    Stored(String),
    /// Not stored, but the deployed stack has one: keep it.
    KeepDeployed,
    /// Neither: a new one is generated (and stored) by the apply.
    Generate,
}

/// The app stack's parameters (the resource password aside), where its password comes from, and
/// its tags.
pub(crate) struct StackInput {
    pub params: BTreeMap<String, ParamValue>,
    pub password: Option<Password>,
    pub tags: BTreeMap<String, String>,
}

/// The app stack's parameters and tags, as an apply passes them.
pub(crate) fn parameters(
    compiled: &Compiled,
    rack: &str,
    app: &str,
    existing: Option<&Stack>,
    build: Option<&str>,
) -> Result<StackInput> {
    let root = compiled.bundle.app.value();
    let declared = |name: &str| root.pointer(&format!("/Parameters/{name}")).is_some();
    let deployed_has =
        |name: &str| existing.is_some_and(|s| s.parameters().iter().any(|p| p.parameter_key() == Some(name)));
    let mut params: BTreeMap<String, ParamValue> = BTreeMap::new();
    params.insert("Rack".into(), ParamValue::Plain(rack.to_string()));
    params.insert("TemplateBucket".into(), ParamValue::Plain(compiled.bucket.clone()));
    let build = match build {
        Some(b) => ParamValue::Plain(b.to_string()),
        None if deployed_has("Build") => ParamValue::UsePrevious,
        None if !compiled.built.is_empty() => {
            return err(format!(
                "the first deploy of {} needs --build ID: services without `image:` run the image \
                 tagged <service>.<ID> in the app's registry; `convoxc deploy` builds and pushes them",
                compiled.stack_name
            ));
        }
        None => ParamValue::Plain("none".into()),
    };
    params.insert("Build".into(), build);
    for (name, value) in &compiled.app_params {
        if declared(name) {
            params.insert(name.clone(), ParamValue::Plain(value.clone()));
        }
    }
    let password = declared("ResourcePassword").then(|| match compiled.stored.get(secrets::RESOURCE_PASSWORD) {
        Some(p) => Password::Stored(p.clone()),
        None if deployed_has("ResourcePassword") => Password::KeepDeployed,
        None => Password::Generate,
    });
    Ok(StackInput {
        params,
        password,
        tags: app_tags(rack, app),
    })
}

/// The app stack's tags (convox's).
pub(crate) fn app_tags(rack: &str, app: &str) -> BTreeMap<String, String> {
    [
        ("Generation", "2"),
        ("Name", app),
        ("Rack", rack),
        ("System", "convox"),
        ("Type", "app"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}
