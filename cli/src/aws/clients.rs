//! AWS clients (standard credential chain, profiles, regions), retries, timeouts, and errors
//! worded for the person running the command.

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use clap::Args;
use std::time::Duration;

/// Where to reach AWS (shared by `apply` and `rack apply`).
#[derive(Args, Clone, Debug)]
pub struct AwsArgs {
    /// AWS region (default: the standard chain: AWS_REGION, the profile's region).
    #[arg(long)]
    pub region: Option<String>,
    /// Named profile from ~/.aws/config and ~/.aws/credentials.
    #[arg(long)]
    pub profile: Option<String>,
    /// Send every AWS call to this endpoint (a local emulator such as moto).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

/// A deploy error: a message for the user (never a secret value). Exit code 1.
#[derive(Debug)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub type Result<T> = std::result::Result<T, Error>;

pub fn err<T>(msg: impl Into<String>) -> Result<T> {
    Err(Error(msg.into()))
}

pub struct Clients {
    pub cfn: aws_sdk_cloudformation::Client,
    pub s3: aws_sdk_s3::Client,
    pub ssm: aws_sdk_ssm::Client,
    /// Only to read a rack resource's access key (s3, sns, sqs) for its URL.
    pub secrets: aws_sdk_secretsmanager::Client,
    /// Only for the app registry's login (`deploy`, `images`).
    pub ecr: aws_sdk_ecr::Client,
    /// Only to read log groups (`logs`, `rack logs`).
    pub logs: aws_sdk_cloudwatchlogs::Client,
    /// Services, deployments and tasks (deploy follow, `run`, `ps`, `restart`, `scale`).
    pub ecs: aws_sdk_ecs::Client,
    /// Only to read a certificate's DNS validation records.
    pub acm: aws_sdk_acm::Client,
    /// Only for the caller's identity (who made a release).
    pub sts: aws_sdk_sts::Client,
    pub region: String,
}

impl Clients {
    /// Load the configuration and check that there is a region and credentials, so that a
    /// missing one is reported once and clearly rather than as a failed call.
    pub async fn connect(args: &AwsArgs) -> Result<Clients> {
        // throttling and transient errors are retried with exponential backoff (adaptive mode
        // also slows down the client when AWS throttles); every call has a deadline
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(
                RetryConfig::adaptive()
                    .with_max_attempts(max_attempts())
                    .with_initial_backoff(Duration::from_millis(500)),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .operation_attempt_timeout(Duration::from_secs(60))
                    .operation_timeout(Duration::from_secs(300))
                    .build(),
            );
        if let Some(r) = &args.region {
            loader = loader.region(Region::new(r.clone()));
        }
        if let Some(p) = &args.profile {
            // as in the AWS CLI, a profile named on the command line wins over the environment's
            // credentials (AWS_ACCESS_KEY_ID…), which the default chain would take first
            loader = loader.profile_name(p).credentials_provider(
                aws_config::profile::ProfileFileCredentialsProvider::builder()
                    .profile_name(p)
                    .build(),
            );
        }
        if let Some(u) = &args.endpoint_url {
            loader = loader.endpoint_url(u);
        }
        let conf = loader.load().await;
        let Some(region) = conf.region().map(|r| r.to_string()) else {
            return err("no AWS region: give --region, set AWS_REGION, or set a region in your profile");
        };
        match conf.credentials_provider() {
            None => return err("no AWS credentials provider is configured"),
            Some(p) => {
                use aws_sdk_cloudformation::config::ProvideCredentials;
                if let Err(e) = p.provide_credentials().await {
                    return err(match &args.profile {
                        Some(name) => format!(
                            "no AWS credentials from profile {name}: {}\n  check the profile in ~/.aws/config and \
                             ~/.aws/credentials (aws configure list-profiles), or log in (aws sso login --profile {name})",
                            match e {
                                // the provider says no more than that it found nothing
                                aws_credential_types::provider::error::CredentialsError::CredentialsNotLoaded(_) =>
                                    "there is no such profile, or it has no credentials".to_string(),
                                other => first_line(&other),
                            }
                        ),
                        None => "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, use --profile, \
                                 or log in (aws sso login)"
                            .to_string(),
                    });
                }
            }
        }
        probe(&conf, args, &region).await?;
        let s3_conf = aws_sdk_s3::config::Builder::from(&conf)
            // an emulator on 127.0.0.1 has no bucket host names
            .force_path_style(args.endpoint_url.is_some())
            .build();
        Ok(Clients {
            cfn: aws_sdk_cloudformation::Client::new(&conf),
            s3: aws_sdk_s3::Client::from_conf(s3_conf),
            ssm: aws_sdk_ssm::Client::new(&conf),
            secrets: aws_sdk_secretsmanager::Client::new(&conf),
            ecr: aws_sdk_ecr::Client::new(&conf),
            logs: aws_sdk_cloudwatchlogs::Client::new(&conf),
            ecs: aws_sdk_ecs::Client::new(&conf),
            acm: aws_sdk_acm::Client::new(&conf),
            sts: aws_sdk_sts::Client::new(&conf),
            region,
        })
    }
}

/// Attempts per AWS call: 8, or the standard `AWS_MAX_ATTEMPTS` when it is set.
fn max_attempts() -> u32 {
    std::env::var("AWS_MAX_ATTEMPTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(8)
}

/// One quick call, not retried, so that an endpoint that cannot be reached (no network, a wrong
/// region or --endpoint-url) is one plain line at once, not a minute of retries and an SDK dump.
/// Any answer (even a refusal) means it is reachable.
async fn probe(conf: &aws_config::SdkConfig, args: &AwsArgs, region: &str) -> Result<()> {
    let quick = aws_sdk_cloudformation::config::Builder::from(conf)
        .retry_config(RetryConfig::standard().with_max_attempts(1))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_timeout(Duration::from_secs(20))
                .build(),
        )
        .build();
    match aws_sdk_cloudformation::Client::from_conf(quick)
        .describe_account_limits()
        .send()
        .await
    {
        Err(e @ (SdkError::DispatchFailure(_) | SdkError::TimeoutError(_))) => {
            let at = match &args.endpoint_url {
                Some(u) => u.clone(),
                None => format!("cloudformation.{region}.amazonaws.com"),
            };
            let hint = if args.endpoint_url.is_some() {
                "check --endpoint-url"
            } else {
                "check the network and --region"
            };
            err(format!("cannot reach AWS at {at}: {}\n  {hint}", first_line(&e)))
        }
        _ => Ok(()),
    }
}

/// The innermost cause of an error, on one line (the SDK's own chain runs to hundreds of
/// characters).
fn first_line(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let text = cause.to_string();
    let line = text.lines().next().unwrap_or("").trim();
    if line.chars().count() > 200 {
        format!("{}…", line.chars().take(200).collect::<String>())
    } else {
        line.to_string()
    }
}

/// Word an AWS error: access denied and expired credentials get their own message; everything
/// else is the service's code and message. `what` says what was being done.
pub fn describe<E, R>(what: &str, e: &SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let code = e.code().unwrap_or("");
    let message = e.message().unwrap_or("");
    if code.contains("AccessDenied") || code == "UnauthorizedOperation" || code == "Forbidden" {
        return Error(format!(
            "access denied while {what}: {message}\n  the credentials in use lack a permission; check their IAM policy"
        ));
    }
    if matches!(
        code,
        "ExpiredToken" | "ExpiredTokenException" | "InvalidClientTokenId" | "UnrecognizedClientException"
    ) {
        return Error(format!("AWS rejected the credentials while {what} ({code}): {message}"));
    }
    if code.is_empty() {
        return Error(format!("{what}: {}", DisplayErrorContext(e)));
    }
    Error(format!("{what}: {code}: {message}"))
}

/// Whether DescribeStacks said that the stack does not exist.
pub fn is_missing_stack<E, R>(e: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata,
{
    e.code() == Some("ValidationError") && e.message().is_some_and(|m| m.contains("does not exist"))
}
