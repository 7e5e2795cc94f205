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
                    .with_max_attempts(8)
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
            loader = loader.profile_name(p);
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
                    return err(format!(
                        "no AWS credentials: {}\n  set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, use --profile, or log in (aws sso login)",
                        DisplayErrorContext(&e)
                    ));
                }
            }
        }
        let s3_conf = aws_sdk_s3::config::Builder::from(&conf)
            // an emulator on 127.0.0.1 has no bucket host names
            .force_path_style(args.endpoint_url.is_some())
            .build();
        Ok(Clients {
            cfn: aws_sdk_cloudformation::Client::new(&conf),
            s3: aws_sdk_s3::Client::from_conf(s3_conf),
            ssm: aws_sdk_ssm::Client::new(&conf),
            region,
        })
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
