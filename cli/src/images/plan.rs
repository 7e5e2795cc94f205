//! Which images an app's deploy builds: one per distinct build (context, Dockerfile, build args,
//! platform), as convox's builder makes one per build hash, each with a build ID derived from
//! its content, and the tag `<service>.<build>` for every service that runs it.
//!
//! A build ID is `B` and 12 base-32 characters of a SHA-256 (convox's are `B` and 10 random
//! letters): of the image's build context digest (`context::digest`) for one image, of every
//! service's build for the app. So the same sources give the same IDs, a re-run finds its tags
//! already in the registry, and a service whose sources did not change keeps its tag.

use crate::images::context::{self, BuildSpec};
use convoxc_compiler::ir::{App, RackParams, Service};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

/// One image to build, and the services that run it.
pub(crate) struct Image {
    pub spec: BuildSpec,
    /// In manifest order.
    pub services: Vec<String>,
    /// The image's build ID: every service's tag is `<service>.<id>`.
    pub id: String,
}

impl Image {
    /// The tags this image gets in the app's registry.
    pub(crate) fn tags(&self) -> Vec<String> {
        self.services.iter().map(|s| tag(s, &self.id)).collect()
    }

    /// The build context, as said to the user (relative to the manifest's folder when it is inside).
    pub(crate) fn describe(&self, base: &Path) -> String {
        let show = |p: &Path| {
            p.strip_prefix(base)
                .map(|r| {
                    if r.as_os_str().is_empty() {
                        ".".into()
                    } else {
                        r.display().to_string()
                    }
                })
                .unwrap_or_else(|_| p.display().to_string())
        };
        format!(
            "{} (context {}, {}, {})",
            self.id,
            show(&self.spec.context),
            show(&self.spec.dockerfile),
            self.spec.platform
        )
    }
}

/// A service's image tag in the app's registry: convox's form.
pub(crate) fn tag(service: &str, build: &str) -> String {
    format!("{service}.{build}")
}

/// What a deploy builds.
pub(crate) struct Plan {
    pub images: Vec<Image>,
    /// The app's build ID (the app stack's `Build`): the one image's, or a digest of every
    /// service's build when there are several; None when no service is built.
    pub id: Option<String>,
}

impl Plan {
    /// The build each built service runs, by service name.
    pub(crate) fn service_builds(&self) -> BTreeMap<String, String> {
        self.images
            .iter()
            .flat_map(|i| i.services.iter().map(|s| (s.clone(), i.id.clone())))
            .collect()
    }
}

/// A problem with a build, before any engine runs: named by service.
#[derive(Debug)]
pub(crate) struct PlanError(pub String);

/// The images of `app` (whose manifest is in `dir`): every service without `image:`, its
/// context and Dockerfile resolved from `dir`, its build args from `env` (each `ARG` of the
/// Dockerfile that the app's environment has, as convox's builder passes them, and the
/// manifest's `build.args`), on the platform it runs on (`platform` overrides).
pub(crate) fn plan(
    app: &App,
    dir: &Path,
    env: &BTreeMap<String, String>,
    rack: Option<&RackParams>,
    platform: Option<&str>,
) -> Result<Plan, Vec<PlanError>> {
    let mut problems = Vec::new();
    // distinct builds in manifest order of their first service
    let mut images: Vec<(BuildSpec, Vec<String>)> = Vec::new();
    for s in &app.services {
        let Some(build) = s.image.is_none().then_some(s.build.as_ref()).flatten() else {
            continue;
        };
        let context = dir.join(&build.path);
        let dockerfile = context.join(&build.manifest);
        let text = match std::fs::read_to_string(&dockerfile) {
            Ok(t) => t,
            Err(e) => {
                problems.push(PlanError(format!(
                    "service {}: cannot read its Dockerfile {}: {e}",
                    s.name,
                    dockerfile.display()
                )));
                continue;
            }
        };
        let mut args: BTreeMap<String, String> = BTreeMap::new();
        for name in context::declared_args(&text) {
            if let Some(v) = env.get(&name) {
                args.insert(name, v.clone());
            }
        }
        for a in &build.args {
            match a.split_once('=') {
                Some((k, v)) => {
                    args.insert(k.to_string(), v.to_string());
                }
                None => {
                    if let Some(v) = env.get(a) {
                        args.insert(a.clone(), v.clone());
                    }
                }
            }
        }
        let spec = BuildSpec {
            context,
            dockerfile,
            args: args.into_iter().collect(),
            platform: platform.map_or_else(|| runs_on(app, s, rack).to_string(), str::to_string),
        };
        match images.iter_mut().find(|(x, _)| same_build(x, &spec)) {
            Some((_, services)) => services.push(s.name.clone()),
            None => images.push((spec, vec![s.name.clone()])),
        }
    }
    // an image tag is at most 128 characters (the engines' reference grammar): `<service>.` and a
    // 13-character build ID leave a service name 114
    for s in app.services.iter().filter(|s| s.image.is_none() && s.name.len() > 114) {
        problems.push(PlanError(format!(
            "service {}: its image tag `{}.<build>` would pass the 128 characters an image tag may have; \
             give the service a shorter name",
            s.name, s.name
        )));
    }
    let mut out = Vec::new();
    for (spec, services) in images {
        match context::digest(&spec) {
            Ok(d) => out.push(Image {
                id: build_id(d.as_bytes()),
                spec,
                services,
            }),
            Err(e) => problems.push(PlanError(format!("service {}: {e}", services.join(", ")))),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let id = match out.as_slice() {
        [] => None,
        [one] => Some(one.id.clone()),
        many => {
            let mut h = String::from("convoxc app build v1\n");
            let mut all: Vec<(String, String)> = many
                .iter()
                .flat_map(|i| i.services.iter().map(|s| (s.clone(), i.id.clone())))
                .collect();
            all.sort();
            for (s, b) in all {
                h.push_str(&format!("{s}={b}\n"));
            }
            Some(build_id(h.as_bytes()))
        }
    };
    Ok(Plan { images: out, id })
}

fn same_build(a: &BuildSpec, b: &BuildSpec) -> bool {
    a.context == b.context && a.dockerfile == b.dockerfile && a.args == b.args && a.platform == b.platform
}

/// `B` and the first 12 base-32 characters (RFC 4648's alphabet) of the SHA-256 of `input`.
pub(crate) fn build_id(input: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let digest = Sha256::digest(input);
    let mut id = String::from("B");
    let (mut acc, mut bits) = (0u32, 0u32);
    for byte in digest.iter() {
        acc = (acc << 8) | u32::from(*byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            id.push(ALPHABET[((acc >> bits) & 31) as usize] as char);
            if id.len() == 13 {
                return id;
            }
        }
        acc &= (1 << bits) - 1;
    }
    id
}

/// The platform a service's tasks run on: Fargate runs x86-64 (convoxc sets no
/// `RuntimePlatform`); EC2 tasks run on the rack's instances, arm64 on Graviton types.
pub(crate) fn runs_on(app: &App, s: &Service, rack: Option<&RackParams>) -> &'static str {
    let formation = app.params.get(&format!("{}Formation", s.logical_name));
    let fargate = formation
        .and_then(|f| f.split(',').nth(3))
        .map(|x| x.trim().starts_with("FARGATE"))
        .unwrap_or_else(|| {
            matches!(
                app.params.get("FargateServices").map(String::as_str),
                Some("Yes" | "Spot")
            )
        });
    if fargate {
        return "linux/amd64";
    }
    match rack {
        Some(r) if graviton(r.text("InstanceType")) => "linux/arm64",
        _ => "linux/amd64",
    }
}

/// An EC2 instance type with an AWS Graviton (arm64) processor: `a1`, and the families whose
/// generation digit is followed by `g` (`t4g`, `m6g`, `c7gn`, `r8gd`, …).
fn graviton(instance_type: &str) -> bool {
    let family = instance_type.split('.').next().unwrap_or("");
    if family == "a1" {
        return true;
    }
    let rest = family.trim_start_matches(|c: char| c.is_ascii_lowercase());
    let after = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    rest.len() > after.len() && after.starts_with('g')
}

#[cfg(test)]
mod tests {
    use super::{build_id, graviton, plan};
    use convoxc_compiler::{Input, SourceFile, load};
    use std::collections::BTreeMap;
    use std::path::Path;

    fn app(manifest: &str) -> convoxc_compiler::ir::App {
        let loaded = load(Input {
            manifest: Some(SourceFile::new("convox.yml", manifest.to_string())),
            env_file: None,
            env: Vec::new(),
            env_known: false,
            supplied_at_deploy: false,
            rack_params: None,
        });
        loaded.app.expect("the manifest loads")
    }

    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir
    }

    const TWO: &str = "services:\n  web:\n    build: .\n  worker:\n    command: w\n  other:\n    build:\n      path: .\n      manifest: Dockerfile.other\n  proxy:\n    image: nginx\n";

    /// One image per distinct build: services with the same context, Dockerfile, args and platform
    /// share one; an `image:` service has none.
    #[test]
    fn services_that_build_alike_share_one_image() {
        let dir = folder(&[
            ("Dockerfile", "FROM scratch\nARG GREETING\n"),
            ("Dockerfile.other", "FROM scratch\n"),
        ]);
        let p = plan(&app(TWO), dir.path(), &BTreeMap::new(), None, None).unwrap();
        let services: Vec<Vec<String>> = p.images.iter().map(|i| i.services.clone()).collect();
        assert_eq!(
            services,
            vec![vec!["web".to_string(), "worker".to_string()], vec!["other".to_string()]]
        );
        assert_ne!(p.images[0].id, p.images[1].id);
        // several images: the app's build ID names them together
        let id = p.id.clone().unwrap();
        assert!(p.images.iter().all(|i| i.id != id));
        assert_eq!(p.service_builds()["worker"], p.images[0].id);
        assert!(!p.service_builds().contains_key("proxy"));
        // the same sources give the same IDs
        let again = plan(&app(TWO), dir.path(), &BTreeMap::new(), None, None).unwrap();
        assert_eq!(again.id, p.id);
    }

    /// A Dockerfile's ARG takes the app's environment value, which changes the build; nothing
    /// else of the environment reaches it.
    #[test]
    fn build_args_come_from_the_environment() {
        let dir = folder(&[
            ("Dockerfile", "FROM scratch\nARG GREETING\n"),
            ("Dockerfile.other", "FROM scratch\n"),
        ]);
        let env = |v: &str| {
            BTreeMap::from([
                ("GREETING".to_string(), v.to_string()),
                ("SECRET".to_string(), "x".to_string()),
            ])
        };
        let a = plan(&app(TWO), dir.path(), &env("hi"), None, None).unwrap();
        let b = plan(&app(TWO), dir.path(), &env("hello"), None, None).unwrap();
        assert_eq!(a.images[0].spec.args, vec![("GREETING".to_string(), "hi".to_string())]);
        assert!(a.images[1].spec.args.is_empty());
        assert_ne!(a.images[0].id, b.images[0].id);
        assert_eq!(a.images[1].id, b.images[1].id);
    }

    /// The platform follows where a service runs: Fargate is x86-64, a Graviton rack's instances
    /// arm64; `--platform` wins.
    #[test]
    fn images_are_built_for_where_they_run() {
        let dir = folder(&[("Dockerfile", "FROM scratch\n"), ("Dockerfile.other", "FROM scratch\n")]);
        let rack = |t: &str| {
            let f = SourceFile::new("rack.yml", format!("InstanceType: {t}\n"));
            load(Input {
                manifest: Some(SourceFile::new("convox.yml", TWO.to_string())),
                env_file: None,
                env: Vec::new(),
                env_known: false,
                supplied_at_deploy: false,
                rack_params: Some(f),
            })
            .rack
            .expect("the rack params load")
        };
        let platforms = |manifest: &str, r: Option<&str>, over: Option<&str>| -> Vec<String> {
            let params = r.map(rack);
            let p = plan(&app(manifest), dir.path(), &BTreeMap::new(), params.as_ref(), over).unwrap();
            p.images.iter().map(|i| i.spec.platform.clone()).collect()
        };
        assert_eq!(platforms(TWO, None, None), ["linux/amd64", "linux/amd64"]);
        assert_eq!(platforms(TWO, Some("m7g.large"), None), ["linux/arm64", "linux/arm64"]);
        let fargate = format!("{TWO}params:\n  FargateServices: \"Yes\"\n");
        assert_eq!(
            platforms(&fargate, Some("m7g.large"), None),
            ["linux/amd64", "linux/amd64"]
        );
        assert_eq!(
            platforms(TWO, Some("t3.small"), Some("linux/arm64")),
            ["linux/arm64", "linux/arm64"]
        );
    }

    /// A service whose image tag would pass 128 characters is said before anything is built.
    #[test]
    fn a_tag_too_long_for_the_engines_is_said() {
        let dir = folder(&[("Dockerfile", "FROM scratch\n")]);
        let name = "s".repeat(115);
        let problems = plan(
            &app(&format!("services:\n  {name}:\n    build: .\n")),
            dir.path(),
            &BTreeMap::new(),
            None,
            None,
        )
        .err()
        .unwrap();
        assert!(problems[0].0.contains("128 characters"), "{}", problems[0].0);
        let ok = "s".repeat(114);
        assert!(
            plan(
                &app(&format!("services:\n  {ok}:\n    build: .\n")),
                dir.path(),
                &BTreeMap::new(),
                None,
                None
            )
            .is_ok()
        );
    }

    /// Every build that cannot be planned is said, by service.
    #[test]
    fn a_missing_dockerfile_is_said_for_each_service() {
        let dir = folder(&[("README", "no Dockerfile here")]);
        let problems = plan(&app(TWO), Path::new(dir.path()), &BTreeMap::new(), None, None)
            .err()
            .unwrap();
        let text: Vec<String> = problems.into_iter().map(|p| p.0).collect();
        assert_eq!(text.len(), 3, "{text:?}");
        assert!(
            text[0].starts_with("service web: cannot read its Dockerfile"),
            "{text:?}"
        );
        assert!(text[2].starts_with("service other: "), "{text:?}");
    }

    #[test]
    fn build_ids_look_like_convox_ones_and_follow_the_content() {
        let a = build_id(b"one");
        assert_eq!(a.len(), 13);
        assert!(a.starts_with('B'));
        assert!(
            a[1..]
                .chars()
                .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c)),
            "{a}"
        );
        assert_eq!(a, build_id(b"one"));
        assert_ne!(a, build_id(b"two"));
    }

    #[test]
    fn graviton_instance_types_are_told_apart() {
        for t in [
            "t4g.small",
            "m6g.large",
            "c7gn.xlarge",
            "r8gd.2xlarge",
            "a1.medium",
            "m7g.metal",
        ] {
            assert!(graviton(t), "{t}");
        }
        for t in [
            "t3.small",
            "m5.large",
            "c6i.xlarge",
            "g4dn.xlarge",
            "m6a.large",
            "",
            "t3",
        ] {
            assert!(!graviton(t), "{t}");
        }
    }
}
