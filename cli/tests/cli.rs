//! The convoxc binary as a user runs it: exit codes and every output format.

use std::path::{Path, PathBuf};
mod common;

use common::*;
use std::process::Command;

fn shared(rel: &str) -> PathBuf {
    shared_dir().join(rel)
}

fn fixture(name: &str) -> String {
    shared("conformance/convox-rack").join(name).display().to_string()
}

#[test]
fn exit_codes() {
    assert_eq!(
        convoxc(&["validate", &fixture("simple.yml"), "-e", "REQUIRED=x"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        convoxc(&["validate", &fixture("simple.yml"), "-e", "OTHER=x"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(convoxc(&["validate", &fixture("invalid.2.yml")]).status.code(), Some(1));
    // warnings alone are fine
    let o = convoxc(&["validate", &fixture("env.yml"), "-e", "X=1"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stderr).contains("0 errors, 3 warnings"));
    // usage errors
    assert_eq!(convoxc(&["validate", "--bogus"]).status.code(), Some(2));
    assert_eq!(convoxc(&["validate", "/nonexistent/convox.yml"]).status.code(), Some(2));
    // a build ID ends an image tag: anything else is a usage error before AWS is asked
    for bad in ["has space", "-x", "a/b", &"B".repeat(65)] {
        let o = convoxc(&["apply", &format!("--build={bad}"), "--rack", "r"]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("is not a build ID"),
            "{bad}"
        );
    }
    assert_eq!(convoxc(&["images", "push", "--build", "x y"]).status.code(), Some(2));
    assert_eq!(
        convoxc(&["validate", &fixture("simple.yml"), "-e", "NOEQUALS"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        convoxc(&["validate", &fixture("simple.yml"), "--format", "xml"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn default_file_is_convox_yml_in_the_current_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("convox.yml"), "services:\n  web:\n    port: 3000\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_convoxc"))
        .arg("validate")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn human_output_shows_file_line_path_and_help() {
    let o = convoxc(&["validate", &fixture("invalid.2.yml")]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("invalid.2.yml:1:1"), "{err}");
    assert!(
        err.contains("servicess: unknown key `servicess` in the top level"),
        "{err}"
    );
    assert!(err.contains("did you mean `services`?"), "{err}");
    assert!(err.contains("1 error, 0 warnings"), "{err}");
}

#[test]
fn json_output() {
    let o = convoxc(&[
        "validate",
        &fixture("invalid-nlb-bad-scheme.yml"),
        "--diagnostics",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stderr(&o)).expect("JSON on stderr");
    let d = &v["diagnostics"][0];
    assert_eq!(d["severity"], "error");
    assert_eq!(d["code"], "nlb");
    assert_eq!(d["path"], "services.api.nlb[0].scheme");
    assert_eq!((d["line"].as_u64(), d["column"].as_u64()), (Some(6), Some(17)));
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("scheme must be public or internal, got \"bogus\"")
    );
    assert!(d.get("help").is_some());
}

/// A YAML syntax error is one message (the problem in words) and one snippet (ours, naming the
/// file), in every format and command: none of the parser's own rendering, which names `<input>`.
#[test]
fn a_yaml_syntax_error_is_one_message_and_one_snippet() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("syntax.yml");
    std::fs::write(&file, "services:\n  web:\n    image: x\n   port: 80\n").unwrap();
    let file = file.to_str().unwrap();
    let words = "while parsing a block mapping, did not find expected key";
    for args in [vec!["validate", file], vec!["build", file, "--app", "a"]] {
        let o = convoxc(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let err = stderr(&o);
        assert!(err.contains(&format!("invalid YAML: {words}\n")), "{err}");
        assert_eq!(err.matches("syntax.yml:4:4").count(), 1, "{err}");
        assert_eq!(err.matches(" 4 │").count(), 1, "one snippet: {err}");
        assert!(
            !err.contains("<input>") && !err.contains("-->") && !err.contains("line 4 column 4"),
            "{err}"
        );
    }
    let o = convoxc(&["validate", file, "--diagnostics", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stderr(&o)).expect("JSON on stderr");
    let [d] = &v["diagnostics"].as_array().unwrap()[..] else {
        panic!("{v}")
    };
    assert_eq!(d["code"], "yaml-syntax");
    assert_eq!(d["message"], format!("invalid YAML: {words}"));
    assert_eq!((d["line"].as_u64(), d["column"].as_u64()), (Some(4), Some(4)));
    let o = convoxc(&["validate", file, "--diagnostics", "github"]);
    assert!(stderr(&o).starts_with("::error file="), "{}", stderr(&o));
    assert!(stderr(&o).contains("line=4,col=4,"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("yaml-syntax::invalid YAML: {words}\n")),
        "{}",
        stderr(&o)
    );
}

/// `validate --format` (before --diagnostics) still prints diagnostics on stdout, with a warning.
#[test]
fn deprecated_validate_format_still_works() {
    let o = convoxc(&["validate", &fixture("invalid-nlb-bad-scheme.yml"), "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON on stdout");
    assert_eq!(v["diagnostics"][0]["code"], "nlb");
    assert!(
        stderr(&o).contains("warning: `validate --format` is deprecated"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn github_output() {
    let o = convoxc(&["validate", &fixture("invalid.2.yml"), "--diagnostics", "github"]);
    let out = stderr(&o);
    let line = out.lines().next().unwrap();
    assert!(line.starts_with("::error file="), "{line}");
    assert!(line.contains("invalid.2.yml,line=1,col=1,"), "{line}");
    assert!(line.contains("title=convoxc unknown-key::servicess: unknown key `servicess` in the top level%0Ahelp: did you mean `services`?"), "{line}");
}

#[test]
fn sarif_output() {
    let o = convoxc(&["validate", &fixture("invalid.4.yml"), "--diagnostics", "sarif"]);
    let v: serde_json::Value = serde_json::from_str(&stderr(&o)).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "convoxc");
    let r = &run["results"][0];
    assert_eq!(r["ruleId"], "invalid-name");
    assert_eq!(r["level"], "error");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"], "invalid-name");
    let region = &r["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(2), Some(3))
    );
}

#[test]
fn env_file_and_rack_params() {
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join("env");
    std::fs::write(&env, "# comment\nREQUIRED=yes\n\nbad line\n").unwrap();
    let o = convoxc(&[
        "validate",
        &fixture("simple.yml"),
        "--env-file",
        env.to_str().unwrap(),
        "--diagnostics",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stderr(&o)).unwrap();
    let d = &v["diagnostics"][0];
    assert_eq!((d["code"].as_str(), d["line"].as_u64()), (Some("env-file"), Some(4)));

    let rack = dir.path().join("rack.yml");
    std::fs::write(
        &rack,
        "Internal: No\nNLBInternal: Yes\nInstanceCount: 2\nInternl: Yes\n",
    )
    .unwrap();
    let o = convoxc(&[
        "validate",
        &fixture("nlb.yml"),
        "--rack-params",
        rack.to_str().unwrap(),
        "--diagnostics",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stderr(&o)).unwrap();
    let got: Vec<(String, u64, String)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["file"].as_str().unwrap().rsplit('/').next().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        got.iter()
            .any(|(f, l, m)| f == "rack.yml" && *l == 2 && m.contains("cannot enable NLBInternal")),
        "{got:?}"
    );
    assert!(
        got.iter()
            .any(|(f, l, m)| f == "rack.yml" && *l == 3 && m.contains("the minimum is 3")),
        "{got:?}"
    );
    assert!(
        got.iter()
            .any(|(f, l, m)| f == "rack.yml" && *l == 4 && m.contains("no parameter `Internl`")),
        "{got:?}"
    );
}

#[test]
fn schema_command_prints_the_schemas() {
    let o = convoxc(&["schema"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["properties"]["services"].is_object());
    let o = convoxc(&["schema", "--rack-params"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["properties"].as_object().unwrap().len(), 117); // 110 params, 6 of convoxc, Tags
}

#[test]
fn build_prints_the_app_stack_or_writes_the_bundle() {
    let example = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/convox.yml")
        .display()
        .to_string();
    let o = convoxc(&["build", &example, "--app", "shop", "-e", "SECRET_KEY_BASE=x"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let app: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON app template");
    assert_eq!(app["Resources"]["ServiceWeb"]["Type"], "AWS::CloudFormation::Stack");
    // the same bytes every time
    assert_eq!(stdout(&convoxc(&["build", &example, "--app", "shop"])), stdout(&o));

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = convoxc(&["build", &example, "--app", "shop", "--out-dir", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    for f in [
        "app.json",
        "services/web.json",
        "services/worker.json",
        "timers/cleanup.json",
        "resources/database.json",
        "resources/cache.json",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let yaml = convoxc(&["build", &example, "--app", "shop", "--format", "yaml"]);
    assert!(stdout(&yaml).contains("AWSTemplateFormatVersion: \"2010-09-09\""));
}

#[test]
fn build_errors_and_app_names() {
    assert_eq!(
        convoxc(&["build", &fixture("invalid.2.yml"), "--app", "x"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        convoxc(&["build", &fixture("nlb.yml"), "--app", "Bad_Name"])
            .status
            .code(),
        Some(2)
    );
    // the default app name is the manifest's directory
    let dir = tempfile::tempdir().unwrap();
    let app_dir = dir.path().join("my-app");
    std::fs::create_dir(&app_dir).unwrap();
    std::fs::write(app_dir.join("convox.yml"), "services:\n  web:\n    port: 3000\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_convoxc"))
        .arg("build")
        .current_dir(&app_dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains("convox app my-app "),
        "the app is named after its directory"
    );
}

#[test]
fn environment_values_never_reach_a_template() {
    let example = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/convox.yml")
        .display()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = convoxc(&[
        "build",
        &example,
        "--app",
        "shop",
        "-e",
        "SECRET_KEY_BASE=s3cr3t-value",
        "-e",
        "RAILS_ENV=st4ging-value",
        "--out-dir",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let mut all = String::new();
    for sub in ["", "services", "timers", "resources"] {
        for e in std::fs::read_dir(out.join(sub)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                all.push_str(&std::fs::read_to_string(p).unwrap());
            }
        }
    }
    assert!(
        !all.contains("s3cr3t-value") && !all.contains("st4ging-value"),
        "a value reached a template"
    );
    let web: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("services/web.json")).unwrap()).unwrap();
    let secrets: Vec<(&str, String)> = web["Resources"]["Tasks"]["Properties"]["ContainerDefinitions"][0]["Secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["Name"].as_str().unwrap(),
                s["ValueFrom"]["Fn::Sub"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let from = |name: &str| secrets.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str());
    let ssm: Vec<&str> = secrets
        .iter()
        .filter(|(_, v)| v.contains(":parameter/convoxc/"))
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(
        ssm,
        ["RAILS_ENV", "SECRET_KEY_BASE"],
        "required and given variables come from SSM"
    );
    // the database's URL and password come from its secret, never the task definition's environment
    assert_eq!(from("DATABASE_URL"), Some("${ResourceDatabaseSecret}:url::"));
    assert_eq!(from("DATABASE_PASS"), Some("${ResourceDatabaseSecret}:password::"));
    let env = web["Resources"]["Tasks"]["Properties"]["ContainerDefinitions"][0]["Environment"].to_string();
    assert!(
        !env.contains("DATABASE_URL") && !env.contains("ResourcePassword"),
        "{env}"
    );
}

#[test]
fn rack_build_needs_a_domain_and_writes_rack_json() {
    // defaults only: the public router has no domain
    let o = convoxc(&["rack", "build"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("RouterHost") && err.contains("needs a domain"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let params = dir.path().join("rack.yml");
    std::fs::write(&params, "RouterHost: apps.example.com\nPrivate: Yes\nApiCount: 3\n").unwrap();
    let p = params.to_str().unwrap();
    let o = convoxc(&["rack", "build", "--rack", "prod", "--rack-params", p]);
    assert_eq!(o.status.code(), Some(0));
    let t: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(t["Resources"]["Nat0"].is_object(), "Private=Yes makes NAT gateways");
    assert!(String::from_utf8_lossy(&o.stderr).contains("ApiCount is ignored"));
    let out = dir.path().join("out");
    let o = convoxc(&["rack", "build", "--rack-params", p, "--out-dir", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        std::fs::read_to_string(out.join("rack.json"))
            .unwrap()
            .contains("\"AWS::EC2::VPC\"")
    );
    // a bad name is a usage error
    assert_eq!(convoxc(&["rack", "build", "--rack", "Prod_1"]).status.code(), Some(2));
}

#[test]
fn database_identifiers_longer_than_rds_allows_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("convox.yml");
    std::fs::write(
        &f,
        "resources:\n  primary-database:\n    type: postgres\nservices:\n  web:\n    port: 3000\n",
    )
    .unwrap();
    let f = f.to_str().unwrap();
    let long = convoxc(&["build", f, "--app", "customer-portal-api", "--rack", "production"]);
    assert_eq!(long.status.code(), Some(1));
    let err = String::from_utf8_lossy(&long.stderr);
    assert!(
        err.contains("would be 68 characters; RDS allows 63") && err.contains(":2:3"),
        "{err}"
    );
    // a shorter app name fits; without a rack name the length is unknown
    assert_eq!(
        convoxc(&["build", f, "--app", "portal", "--rack", "production"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        convoxc(&["build", f, "--app", "customer-portal-api"]).status.code(),
        Some(0)
    );
}

/// `build --deployed`: a convox-made app's certificate keeps how it was validated, so the first
/// apply does not replace it; the warning says what stays.
#[test]
fn build_keeps_deployed_values_convoxc_writes_otherwise() {
    let case = shared("takeover/cases/corpus-004-Algorhythm-IO-ghost-on-heroku");
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(case.join("case.json")).unwrap()).unwrap();
    let manifest = shared(meta["manifest"].as_str().unwrap());
    let mut args: Vec<String> = vec![
        "build".into(),
        manifest.display().to_string(),
        "--app".into(),
        "myapp".into(),
    ];
    for (k, v) in meta["env"].as_object().unwrap() {
        args.extend(["-e".into(), format!("{k}={}", v.as_str().unwrap())]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let plain = convoxc(&args);
    let mut deployed = args.clone();
    let case_dir = case.display().to_string();
    deployed.extend(["--deployed", &case_dir]);
    let kept = convoxc(&deployed);
    assert!(plain.status.success() && kept.status.success(), "{}", stderr(&kept));
    let cert = |o: &std::process::Output| {
        let t: serde_json::Value = serde_json::from_str(&stdout(o)).unwrap();
        t["Resources"]["BalancerWebCertificate"]["Properties"].clone()
    };
    assert_eq!(cert(&plain)["ValidationMethod"], "DNS");
    assert!(cert(&kept).get("ValidationMethod").is_none(), "{}", cert(&kept));
    assert_eq!(
        cert(&kept)["SubjectAlternativeNames"],
        serde_json::json!(["blog.example.org"])
    );
    assert!(
        stderr(&kept).contains(
            "warning: app BalancerWebCertificate: keeps the deployed DomainValidationOptions, \
             SubjectAlternativeNames, ValidationMethod (convoxc writes them otherwise on purpose"
        ) && stderr(&kept).contains("the certificate stays issued as it was validated"),
        "{}",
        stderr(&kept)
    );
    assert!(!stderr(&plain).contains("keeps the deployed"));
}

/// What `validate` accepts, `build` builds: a name listed twice is a validate error that points
/// at both, not an internal error of the build.
#[test]
fn a_name_listed_twice_is_a_validate_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("convox.yml");
    std::fs::write(
        &file,
        "resources:\n  db:\n    type: postgres\nservices:\n  web:\n    image: nginx\n    resources: [db, db]\n",
    )
    .unwrap();
    let f = file.display().to_string();
    let v = convoxc(&["validate", &f, "--diagnostics", "json"]);
    assert_eq!(v.status.code(), Some(1));
    let d: serde_json::Value = serde_json::from_str(&stderr(&v)).unwrap();
    let d = &d["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "duplicate-key")
        .unwrap()
        .clone();
    assert_eq!(d["message"], "`db` is listed twice");
    assert_eq!((d["line"].as_u64(), d["column"].as_u64()), (Some(7), Some(21)));
    let b = convoxc(&["build", &f, "--app", "x"]);
    assert_eq!(b.status.code(), Some(1));
    assert!(!stderr(&b).contains("internal error"), "{}", stderr(&b));
    assert!(stderr(&b).contains("`db` is listed twice"), "{}", stderr(&b));
}

/// A file that is not UTF-8, or not there, is a diagnostic in the format asked for.
#[test]
fn unreadable_and_non_utf8_input_are_diagnostics_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("convox.yml");
    std::fs::write(&file, b"services:\n  web:\n    image: \xff\xfe\n").unwrap();
    let f = file.display().to_string();
    let v = convoxc(&["validate", &f, "--diagnostics", "json"]);
    assert_eq!(v.status.code(), Some(1));
    let d: serde_json::Value = serde_json::from_str(&stderr(&v)).unwrap();
    assert_eq!(d["diagnostics"][0]["code"], "encoding");
    assert_eq!(
        (
            d["diagnostics"][0]["line"].as_u64(),
            d["diagnostics"][0]["column"].as_u64()
        ),
        (Some(3), Some(12))
    );
    let b = convoxc(&["build", &f, "--app", "x", "--diagnostics", "sarif"]);
    assert_eq!(b.status.code(), Some(1));
    let s: serde_json::Value = serde_json::from_str(&stderr(&b)).unwrap();
    assert_eq!(s["runs"][0]["results"][0]["ruleId"], "encoding");
    // a file that is not there: still JSON (and still a usage error)
    let missing = dir.path().join("nope.yml").display().to_string();
    let v = convoxc(&["validate", &missing, "--diagnostics", "json"]);
    assert_eq!(v.status.code(), Some(2));
    let d: serde_json::Value = serde_json::from_str(&stderr(&v)).unwrap();
    assert_eq!(d["diagnostics"][0]["code"], "unreadable");
}

/// Interpolation's memory is linear with a small factor: 40 MB of `${X}` (10 million references)
/// validates within a fixed peak RSS (it needed 1.4–1.6 GB before its records were compacted).
#[test]
fn a_large_interpolated_manifest_stays_under_a_fixed_memory_limit() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("convox.yml");
    let text = format!(
        "services:\n  web:\n    image: nginx\n    command: echo {}\n",
        "${X}".repeat(10_000_000)
    );
    std::fs::write(&file, text).unwrap();
    let f = file.display().to_string();
    let out = convoxc(&["validate", &f, "-e", "X=a"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // the peak resident set of the children this test has waited for (the binary, here)
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) }, 0);
    let peak_mib = usage.ru_maxrss / 1024;
    assert!(peak_mib < 600, "peak RSS {peak_mib} MiB");
}

/// Shell completions for bash, zsh and fish, and man pages, come from the clap definitions.
#[test]
fn completions_and_man_pages() {
    for (shell, marker) in [
        ("bash", "complete -F _convoxc"),
        ("zsh", "#compdef convoxc"),
        ("fish", "complete -c convoxc"),
    ] {
        let o = convoxc(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}");
        let script = stdout(&o);
        assert!(script.contains(marker), "{shell}: {script}");
        for sub in ["validate", "build", "diff", "apply", "rack", "resources"] {
            assert!(script.contains(sub), "{shell} lacks {sub}");
        }
        // the subcommands' own options (defined only when a subcommand runs: built for this)
        for option in ["diagnostics", "out-dir", "fail-on"] {
            assert!(script.contains(option), "{shell} lacks --{option}");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let o = convoxc(&["man", "--out-dir", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = std::fs::read_to_string(dir.path().join("convoxc-rack-apply.1")).unwrap();
    assert!(page.starts_with(".ie") || page.contains(".TH"), "{page}");
    assert!(page.contains("convoxc\\-rack\\-apply"), "{page}");
    let validate = std::fs::read_to_string(dir.path().join("convoxc-validate.1")).unwrap();
    assert!(
        validate.contains("\\-\\-diagnostics"),
        "the subcommand's options: {validate}"
    );
    assert!(dir.path().join("convoxc.1").exists() && dir.path().join("convoxc-validate.1").exists());
}

/// Colour: never on a pipe by default; --color always, CLICOLOR_FORCE force it; NO_COLOR and
/// --color never turn it off.
#[test]
fn colour_rules() {
    let bad = fixture("invalid.2.yml");
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let o = Command::new(env!("CARGO_BIN_EXE_convoxc"))
            .args(args)
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .envs(env.iter().copied())
            .output()
            .unwrap();
        stderr(&o).contains("\u{1b}[")
    };
    assert!(!run(&["validate", &bad], &[]));
    assert!(!run(&["validate", &bad, "--color", "auto"], &[("NO_COLOR", "1")]));
    assert!(run(&["validate", &bad, "--color", "always"], &[]));
    assert!(run(&["--color", "always", "validate", &bad], &[]));
    assert!(run(&["validate", &bad], &[("CLICOLOR_FORCE", "1")]));
    assert!(!run(&["validate", &bad], &[("CLICOLOR_FORCE", "0")]));
    assert!(!run(
        &["validate", &bad, "--color", "never"],
        &[("CLICOLOR_FORCE", "1")]
    ));
}

/// `-` reads stdin; a closed pipe ends quietly (no panic message), the error for a file that is
/// not there says so first.
#[test]
fn stdin_closed_pipes_and_error_texts() {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_convoxc"))
        .args(["build", "-", "--app", "piped"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"services:\n  web:\n    image: nginx\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("\"AWSTemplateFormatVersion\""));
    let o = convoxc(&["build", "-"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("the manifest comes from stdin"), "{}", stderr(&o));

    // `convoxc schema | head -c 10`: the reader goes away; convoxc ends without a panic
    let o = Command::new("bash")
        .args([
            "-c",
            &format!(
                "'{}' schema | head -c 10 >/dev/null; echo ${{PIPESTATUS[0]}}",
                env!("CARGO_BIN_EXE_convoxc")
            ),
        ])
        .output()
        .unwrap();
    assert_eq!(stdout(&o).trim(), "141", "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));

    // the true cause first
    let o = convoxc(&["build", "nope.yml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with("error: cannot read nope.yml: "),
        "{}",
        stderr(&o)
    );
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("My_App");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("convox.yml"), "services:\n  web:\n    image: nginx\n").unwrap();
    let o = convoxc(&["build", folder.join("convox.yml").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("named after the manifest's folder `My_App`") && err.contains("--app NAME"),
        "{err}"
    );
}

/// `--rack` names the rack in every command; the old spellings work for one release, with a
/// warning.
#[test]
fn the_rack_is_rack_everywhere() {
    let new = convoxc(&["rack", "build", "--rack", "prod", "--rack-params", "/dev/null"]);
    let old = convoxc(&["rack", "build", "--name", "prod", "--rack-params", "/dev/null"]);
    assert_eq!(new.status.code(), old.status.code());
    assert_eq!(stdout(&new), stdout(&old));
    assert!(!stderr(&new).contains("deprecated"), "{}", stderr(&new));
    assert!(
        stderr(&old).contains("warning: --name is deprecated and goes away in the next release: use --rack NAME"),
        "{}",
        stderr(&old)
    );
    let f = fixture("simple.yml");
    let new = convoxc(&["build", &f, "--app", "a", "-e", "REQUIRED=x", "--rack", "prod"]);
    let old = convoxc(&["build", &f, "--app", "a", "-e", "REQUIRED=x", "--rack-name", "prod"]);
    assert_eq!(new.status.code(), Some(0), "{}", stderr(&new));
    assert_eq!(stdout(&new), stdout(&old));
    assert!(
        stderr(&old).contains("warning: --rack-name is deprecated"),
        "{}",
        stderr(&old)
    );
}

/// `validate` in CI without values: a typed field whose value is an unset `${VAR}` is a note (a
/// value the rack supplies), in every format, and the file passes; given values, it is checked.
#[test]
fn values_the_rack_supplies_are_notes_until_given() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("convox.yml");
    std::fs::write(
        &file,
        "resources:\n  db:\n    type: postgres\n    options:\n      storage: ${DB_STORAGE}\n      version: 16\n      encrypted: true\n\
         services:\n  web:\n    port: ${PORT}\n    resources: [db]\ntimers:\n  nightly:\n\
         \x20   schedule: \"${NIGHTLY}\"\n    command: bin/nightly\n    service: web\n",
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let o = convoxc(&["validate", f, "--diagnostics", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stderr(&o)).unwrap();
    let got: Vec<(String, String, u64, u64)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "supplied-value")
        .map(|d| {
            (
                d["severity"].as_str().unwrap().to_string(),
                d["path"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
            )
        })
        .collect();
    let note = |p: &str, line, col| ("note".to_string(), p.to_string(), line, col);
    assert_eq!(
        got,
        [
            note("resources.db.options.storage", 5, 16),
            note("services.web.port", 10, 11),
            note("timers.nightly.schedule", 14, 15),
        ]
    );
    let storage = &v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["path"] == "resources.db.options.storage")
        .unwrap();
    assert_eq!(
        storage["message"],
        "the value comes from ${DB_STORAGE}, which the rack supplies at deploy: it is checked then"
    );
    assert!(
        storage["help"]
            .as_str()
            .unwrap()
            .contains("-e DB_STORAGE=… or --env-file); with an empty value: invalid value `` for option `storage`"),
        "{storage}"
    );
    // the human summary counts them as notes; SARIF says note, GitHub notice
    let human = convoxc(&["validate", f, "--color", "never"]);
    assert_eq!(human.status.code(), Some(0));
    assert!(
        stderr(&human).ends_with("ok: no problems found, 3 notes\n"),
        "{}",
        stderr(&human)
    );
    let sarif: serde_json::Value =
        serde_json::from_str(&stderr(&convoxc(&["validate", f, "--diagnostics", "sarif"]))).unwrap();
    assert!(
        sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["level"] == "note")
    );
    let github = stderr(&convoxc(&["validate", f, "--diagnostics", "github"]));
    assert_eq!(
        github.lines().filter(|l| l.starts_with("::notice ")).count(),
        3,
        "{github}"
    );

    // with values, each is checked: a bad one is an error; good ones leave nothing
    let bad = convoxc(&[
        "validate",
        f,
        "-e",
        "DB_STORAGE=lots",
        "-e",
        "PORT=3000",
        "-e",
        "NIGHTLY=0 3 * * ?",
    ]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("invalid value `lots` for option `storage`"),
        "{}",
        stderr(&bad)
    );
    let good = convoxc(&[
        "validate",
        f,
        "-e",
        "DB_STORAGE=50",
        "-e",
        "PORT=3000",
        "-e",
        "NIGHTLY=0 3 * * ?",
    ]);
    assert_eq!(good.status.code(), Some(0), "{}", stderr(&good));
    assert!(!stderr(&good).contains("supplied-value"), "{}", stderr(&good));
    // a build needs the values: without them, the same file is an error
    let build = convoxc(&["build", f, "--app", "x"]);
    assert_eq!(build.status.code(), Some(1), "{}", stderr(&build));
}

/// README's corpus figure is what the binary says: `convoxc validate FILE` on each of the 150
/// real-world files, exit 0 counted.
#[test]
fn readme_corpus_count_is_the_clis() {
    let dir = shared("corpus/real-world");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 150);
    let accepted = files
        .iter()
        .filter(|f| convoxc(&["validate", f.to_str().unwrap()]).status.code() == Some(0))
        .count();
    let readme = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../README.md")).unwrap();
    assert!(
        readme.contains(&format!("**{accepted} of 150 accepted**")),
        "the CLI accepts {accepted} of 150; README says otherwise"
    );
}

/// `switch NAME` makes a rack current (a JSON config file in the XDG config folder, other keys
/// kept); `switch` prints it and where it comes from; CONVOXC_RACK wins over the file; a command
/// that needs a rack and has none says how to give one (exit 2).
#[test]
fn switch_and_the_current_rack() {
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str], env: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_convoxc"));
        c.args(args)
            .env("XDG_CONFIG_HOME", home.path())
            .env_remove("CONVOXC_RACK");
        if let Some(r) = env {
            c.env("CONVOXC_RACK", r);
        }
        c.output().unwrap()
    };
    let none = run(&["switch"], None);
    assert_eq!(none.status.code(), Some(1));
    assert!(
        stderr(&none).contains("no current rack: run `convoxc switch NAME`"),
        "{}",
        stderr(&none)
    );
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("convox.yml");
    std::fs::write(&manifest, "services:\n  web:\n    image: nginx\n").unwrap();
    let m = manifest.to_str().unwrap();
    let needs = run(&["apply", m, "--app", "x", "--yes"], None);
    assert_eq!(needs.status.code(), Some(2), "{}", stderr(&needs));
    assert!(
        stderr(&needs).contains(
            "no rack: give --rack NAME, set CONVOXC_RACK=NAME, or make one current with `convoxc switch NAME`"
        ),
        "{}",
        stderr(&needs)
    );

    // a config file with other keys: they stay
    let file = home.path().join("convoxc/config.json");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "{\"editor\": \"vim\"}").unwrap();
    let switched = run(&["switch", "production"], None);
    assert_eq!(switched.status.code(), Some(0), "{}", stderr(&switched));
    assert_eq!(stdout(&switched), "switched to production\n");
    let config: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(config, serde_json::json!({"editor": "vim", "rack": "production"}));
    let shown = run(&["switch"], None);
    assert_eq!(stdout(&shown), "production\n");
    assert!(
        stderr(&shown).contains(&format!("(from {})", file.display())),
        "{}",
        stderr(&shown)
    );
    // the environment wins; --rack wins over both (the apply gets as far as AWS: no region here)
    let env = run(&["switch"], Some("staging"));
    assert_eq!(stdout(&env), "staging\n");
    assert!(stderr(&env).contains("(from CONVOXC_RACK)"));
    let warned = run(&["switch", "production"], Some("staging"));
    assert!(
        stderr(&warned).contains("CONVOXC_RACK is set and still wins"),
        "{}",
        stderr(&warned)
    );
    let with_current = run(&["apply", m, "--app", "x", "--yes"], None);
    assert_ne!(with_current.status.code(), Some(2), "{}", stderr(&with_current));
    // a bad name is a usage error, and nothing is written
    let bad = run(&["switch", "Bad_Name!"], None);
    assert_eq!(bad.status.code(), Some(2));
    assert!(std::fs::read_to_string(&file).unwrap().contains("\"production\""));
    // a config file that is not a JSON object is said plainly
    std::fs::write(&file, "rack = production\n").unwrap();
    let broken = run(&["switch"], None);
    assert_eq!(broken.status.code(), Some(1));
    assert!(stderr(&broken).contains("is not a JSON object"), "{}", stderr(&broken));
}

/// The human output's `file:line:column` counts characters, as the JSON and SARIF columns do
/// (an emoji before the problem on its line is one column).
#[test]
fn human_columns_count_characters() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("convox.yml");
    std::fs::write(&path, "services:\n  api: {image: \"😀é\", prot: 80}\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_convoxc"))
        .args(["validate", path.to_str().unwrap()])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(err.contains(&format!("{}:2:22]", path.display())), "{err}");
    let json = convoxc(&["validate", path.to_str().unwrap(), "--diagnostics", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stderr(&json)).unwrap();
    let first = &v["diagnostics"][0];
    assert_eq!(
        (first["line"].as_u64(), first["column"].as_u64()),
        (Some(2), Some(22)),
        "{first}"
    );
}

/// A template as CloudFormation YAML with the short forms (`!Ref X`, `!GetAtt A.B`, `!Sub …`),
/// as a user who converted a template would write it: block keys at the top, flow below.
fn short_form_yaml(template: &serde_json::Value) -> String {
    use serde_json::Value;
    fn flow(v: &Value) -> String {
        let quoted = |s: &str| serde_json::to_string(s).unwrap();
        match v {
            Value::Object(m) if m.len() == 1 => {
                let (k, x) = m.iter().next().unwrap();
                match (k.as_str(), x) {
                    ("Fn::GetAtt", Value::Array(a)) if a.len() == 2 && a.iter().all(Value::is_string) => {
                        format!("!GetAtt {}.{}", a[0].as_str().unwrap(), a[1].as_str().unwrap())
                    }
                    // a node has one tag: `!ImportValue !Sub …` is written in the long form
                    _ if flow(x).starts_with('!') => format!("{{{}: {}}}", quoted(k), flow(x)),
                    ("Ref" | "Condition", _) => format!("!{k} {}", flow(x)),
                    _ if k.starts_with("Fn::") => format!("!{} {}", &k[4..], flow(x)),
                    _ => format!("{{{}: {}}}", quoted(k), flow(x)),
                }
            }
            Value::Object(m) => format!(
                "{{{}}}",
                m.iter()
                    .map(|(k, x)| format!("{}: {}", quoted(k), flow(x)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Value::Array(a) => format!("[{}]", a.iter().map(flow).collect::<Vec<_>>().join(", ")),
            other => other.to_string(),
        }
    }
    let mut out = String::from("# converted by hand\n");
    for (k, v) in template.as_object().unwrap() {
        out.push_str(&format!("{k}: {}\n", flow(v)));
    }
    out
}

/// `diff --against DIR`: a bundle whose app template is CloudFormation YAML with short forms
/// gives the same report as the JSON bundle `build --out-dir` wrote; a template that is neither
/// JSON nor YAML is named, with where.
#[test]
fn diff_against_a_bundle_with_a_yaml_template() {
    let example = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/convox.yml");
    let dir = tempfile::tempdir().unwrap();
    let json_dir = dir.path().join("json");
    let o = convoxc(&[
        "build",
        example.to_str().unwrap(),
        "--app",
        "shop",
        "--out-dir",
        json_dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let yaml_dir = dir.path().join("yaml");
    for entry in walk(&json_dir) {
        let to = yaml_dir.join(entry.strip_prefix(&json_dir).unwrap());
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&entry, &to).unwrap();
    }
    let app: serde_json::Value = serde_json::from_slice(&std::fs::read(json_dir.join("app.json")).unwrap()).unwrap();
    let yaml = short_form_yaml(&app);
    assert!(
        yaml.contains("!Ref ") && yaml.contains("!GetAtt ") && yaml.contains("!If "),
        "{yaml}"
    );
    std::fs::write(yaml_dir.join("app.json"), &yaml).unwrap();

    // the manifest changed: a timer removed (the app stack), more storage (a nested stack)
    let text = std::fs::read_to_string(&example).unwrap();
    let changed = text.replace("storage: 50", "storage: 100");
    let changed = &changed[..changed.find("timers:").unwrap()];
    let manifest = dir.path().join("convox.yml");
    std::fs::write(&manifest, changed).unwrap();
    let diff = |against: &Path, format: &str| {
        let o = convoxc(&[
            "diff",
            manifest.to_str().unwrap(),
            "--app",
            "shop",
            "--against",
            against.to_str().unwrap(),
            "--format",
            format,
            "--color",
            "never",
        ]);
        (o.status.code(), stdout(&o), stderr(&o))
    };
    for format in ["text", "json"] {
        let from_json = diff(&json_dir, format);
        assert!(from_json.1.contains("TimerCleanup"), "{}{}", from_json.1, from_json.2);
        assert_eq!(diff(&yaml_dir, format), from_json, "{format}");
    }

    std::fs::write(yaml_dir.join("app.json"), "Resources:\n  A:\n    Type: T\n   B: 1\n").unwrap();
    let (code, out, err) = diff(&yaml_dir, "text");
    assert_ne!(code, Some(0), "{out}");
    assert!(
        err.contains("app.json: neither a JSON nor a YAML template: line 4, column 4: "),
        "{err}"
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

/// `build --out-dir DIR` over an earlier build: DIR holds exactly the new bundle (a service
/// removed from the manifest leaves no template behind), a file convoxc did not write is never
/// deleted (the build is refused, naming it, and DIR is left as it was), a build with an error
/// leaves the previous bundle whole, and `diff --against DIR` reads the bundle.
#[test]
fn build_out_dir_holds_exactly_the_new_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("convox.yml");
    let m = manifest.to_str().unwrap();
    let out = dir.path().join("bundle");
    let o = out.to_str().unwrap();
    let build = |text: &str| {
        std::fs::write(&manifest, text).unwrap();
        convoxc(&["build", m, "--app", "shop", "--out-dir", o])
    };
    let files = |d: &std::path::Path| -> Vec<String> {
        let mut found = Vec::new();
        let mut todo = vec![d.to_path_buf()];
        while let Some(p) = todo.pop() {
            for e in std::fs::read_dir(&p).unwrap() {
                let path = e.unwrap().path();
                if path.is_dir() {
                    todo.push(path);
                } else {
                    found.push(path.strip_prefix(d).unwrap().display().to_string());
                }
            }
        }
        found.sort();
        found
    };
    let both = "services:\n  web:\n    port: 3000\n  worker:\n    command: bin/worker\n";
    let web = "services:\n  web:\n    port: 3000\n";
    let r = build(both);
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    assert_eq!(
        files(&out),
        [
            ".convoxc-bundle",
            "app.json",
            "services/web.json",
            "services/worker.json"
        ]
    );
    let r = build(web);
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    assert_eq!(files(&out), [".convoxc-bundle", "app.json", "services/web.json"]);
    // no temporary folder is left beside it
    let mut beside: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    beside.sort();
    assert_eq!(beside, ["bundle", "convox.yml"]);

    // diff --against the folder reads it: the worker comes back as an addition
    std::fs::write(&manifest, both).unwrap();
    let d = convoxc(&["diff", m, "--app", "shop", "--against", o]);
    assert!(stdout(&d).contains("worker"), "{}{}", stdout(&d), stderr(&d));
    assert!(!stderr(&d).contains("error"), "{}", stderr(&d));

    // a build with an error leaves the previous bundle as it was
    let before: Vec<(String, Vec<u8>)> = files(&out)
        .into_iter()
        .map(|f| (f.clone(), std::fs::read(out.join(&f)).unwrap()))
        .collect();
    let r = build("services:\n  web:\n    port: nope\n");
    assert_eq!(r.status.code(), Some(1));
    let after: Vec<(String, Vec<u8>)> = files(&out)
        .into_iter()
        .map(|f| (f.clone(), std::fs::read(out.join(&f)).unwrap()))
        .collect();
    assert_eq!(before, after);

    // a file convoxc did not write: refused, named, and nothing is written or deleted
    std::fs::write(out.join("NOTES.md"), "mine").unwrap();
    std::fs::create_dir(out.join("services/extra")).unwrap();
    let r = build(both);
    assert_eq!(r.status.code(), Some(1));
    let err = stderr(&r);
    assert!(
        err.contains("holds files that convoxc did not write: NOTES.md, services/extra/")
            && err.contains("never deletes a file it did not write")
            && err.contains("Nothing was written"),
        "{err}"
    );
    assert_eq!(
        files(&out),
        [".convoxc-bundle", "NOTES.md", "app.json", "services/web.json"]
    );
    assert!(out.join("services/extra").is_dir());

    // a folder with files and no index (not convoxc's, or an earlier convoxc's): refused too
    let plain = dir.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    std::fs::write(plain.join("app.json"), "{}").unwrap();
    let r = convoxc(&["build", m, "--app", "shop", "--out-dir", plain.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(1));
    assert!(stderr(&r).contains("it has no .convoxc-bundle"), "{}", stderr(&r));
    assert_eq!(files(&plain), ["app.json"]);
    // an empty folder is taken
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let r = convoxc(&["build", m, "--app", "shop", "--out-dir", empty.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    assert_eq!(files(&empty).len(), 4);
}

/// `build --deployed` and database storage below RDS's 20 GiB of gp2: a convox-made postgres
/// with 10 GiB exists and keeps its size (a warning, and the bundle builds); a new one with 10
/// GiB, or the existing one shrunk, is refused at its `storage:` line (RDS would refuse
/// CreateDBInstance or ModifyDBInstance during the deploy).
#[test]
fn build_deployed_allows_an_existing_small_database_and_refuses_a_new_one() {
    let case = shared("takeover/cases/corpus-002-afreutorocelz-del-django");
    let text = std::fs::read_to_string(shared("corpus/real-world/002-afreutorocelz-del-django.yml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let build = |manifest: &str, deployed: bool| {
        let file = dir.path().join("convox.yml");
        std::fs::write(&file, manifest).unwrap();
        let f = file.display().to_string();
        let c = case.display().to_string();
        let mut args = vec!["build", &f, "--app", "myapp", "--rack", "production"];
        if deployed {
            args.extend(["--deployed", &c]);
        }
        convoxc(&args)
    };
    // as deployed: built, with the warning offline and against the deployed stack
    for deployed in [false, true] {
        let o = build(&text, deployed);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("RDS creates no gp2 database under 20 GiB"),
            "{}",
            stderr(&o)
        );
        let t: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert_eq!(
            t["Resources"]["ResourceDatabase"]["Properties"]["Parameters"]["Storage"],
            "10"
        );
    }
    // a second database of 10 GiB does not exist yet: refused at its line
    let more = text.replace(
        "\nservices:",
        "  second:\n    type: postgres\n    options:\n      storage: 10\n\nservices:",
    );
    let o = build(&more, true);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let line = more.lines().position(|l| l.starts_with("  second:")).unwrap() + 4;
    assert!(
        stderr(&o).contains("resource second: RDS refuses its storage: a new database gets at least 20 GiB")
            && stderr(&o).contains(&format!("convox.yml:{line}:")),
        "{}",
        stderr(&o)
    );
    // offline, the same manifest is a warning only (whether it exists is not known)
    assert_eq!(build(&more, false).status.code(), Some(0));
    // the existing database shrunk: refused
    let o = build(&text.replace("storage: 10", "storage: 8"), true);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("10 GiB cannot shrink to 8 GiB"), "{}", stderr(&o));
    // grown to 20 GiB: an update RDS makes
    assert_eq!(
        build(&text.replace("storage: 10", "storage: 20"), true).status.code(),
        Some(0)
    );
}
