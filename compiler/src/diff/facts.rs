//! What CloudFormation does to a resource, as data: which properties replace it when they change
//! (the resource provider schemas' `createOnlyProperties`, and `conditionalCreateOnlyProperties`
//! which may), which types hold data, which property gives a resource a fixed physical name, and
//! what happens to a removed resource by default.

use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The create-only paths of a resource type (`Port`, `RootDirectory/Path`: JSON pointers under
/// `Properties`, without the leading slash; an array wildcard ends a path).
#[derive(Debug, Default)]
pub struct CreateOnly {
    /// A change of one of these replaces the resource.
    pub always: Vec<String>,
    /// A change of one of these may replace it (conditionally create-only).
    pub conditional: Vec<String>,
}

/// The table, extracted from the provider schemas cfn-lint ships by `scripts/createonly.py`.
pub const CREATE_ONLY_JSON: &str = include_str!("../../data/create-only.json");

/// The create-only table of every resource type convoxc or a convox rack emits.
pub fn create_only(resource_type: &str) -> Option<&'static CreateOnly> {
    static TABLE: OnceLock<BTreeMap<String, CreateOnly>> = OnceLock::new();
    TABLE
        .get_or_init(|| {
            let v: Value = serde_json::from_str(CREATE_ONLY_JSON).expect("create-only.json is JSON");
            let list = |t: &Value, k: &str| -> Vec<String> {
                t.get(k)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p.as_str())
                    .map(|p| p.split("/*").next().unwrap_or(p).to_string())
                    .collect()
            };
            v["types"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, t)| {
                    let entry = CreateOnly {
                        always: list(t, "createOnly"),
                        conditional: list(t, "conditional"),
                    };
                    (k.clone(), entry)
                })
                .collect()
        })
        .get(resource_type)
}

/// What kind of data a resource type holds, for types whose replacement or deletion loses it.
pub fn data_kind(resource_type: &str) -> Option<&'static str> {
    Some(match resource_type {
        "AWS::RDS::DBInstance" | "AWS::RDS::DBCluster" => "database",
        "AWS::ElastiCache::ReplicationGroup" | "AWS::ElastiCache::CacheCluster" => "cache",
        "AWS::EFS::FileSystem" => "file system",
        "AWS::S3::Bucket" => "bucket",
        "AWS::Logs::LogGroup" => "log group",
        "AWS::ECR::Repository" => "registry",
        "AWS::SecretsManager::Secret" => "secret",
        "AWS::DynamoDB::Table" => "table",
        _ => return None,
    })
}

/// The property that gives a resource of this type its physical name. CloudFormation refuses to
/// replace a resource whose name is set ("CloudFormation cannot update a stack when a
/// custom-named resource requires replacing"): it would have to create the new one, under the
/// same name, before deleting the old. From the CloudFormation user guide's "Name type" list, for
/// the types convoxc and convox emit.
pub fn name_property(resource_type: &str) -> Option<&'static str> {
    Some(match resource_type {
        "AWS::RDS::DBInstance" => "DBInstanceIdentifier",
        "AWS::RDS::DBCluster" => "DBClusterIdentifier",
        "AWS::RDS::DBSubnetGroup" => "DBSubnetGroupName",
        "AWS::RDS::DBParameterGroup" => "DBParameterGroupName",
        "AWS::ElastiCache::ReplicationGroup" => "ReplicationGroupId",
        "AWS::ElastiCache::CacheCluster" => "ClusterName",
        "AWS::ElastiCache::SubnetGroup" => "CacheSubnetGroupName",
        "AWS::ElasticLoadBalancingV2::TargetGroup" | "AWS::ElasticLoadBalancingV2::LoadBalancer" => "Name",
        "AWS::EC2::SecurityGroup" => "GroupName",
        "AWS::EC2::LaunchTemplate" => "LaunchTemplateName",
        "AWS::ECS::Cluster" => "ClusterName",
        "AWS::ECS::Service" => "ServiceName",
        "AWS::IAM::Role" => "RoleName",
        "AWS::IAM::ManagedPolicy" => "ManagedPolicyName",
        "AWS::IAM::InstanceProfile" => "InstanceProfileName",
        "AWS::Logs::LogGroup" => "LogGroupName",
        "AWS::S3::Bucket" => "BucketName",
        "AWS::ECR::Repository" => "RepositoryName",
        "AWS::SecretsManager::Secret" => "Name",
        "AWS::SQS::Queue" => "QueueName",
        "AWS::SNS::Topic" => "TopicName",
        "AWS::Lambda::Function" => "FunctionName",
        "AWS::DynamoDB::Table" => "TableName",
        "AWS::Events::Rule" => "Name",
        "AWS::CloudWatch::Alarm" => "AlarmName",
        "AWS::AutoScaling::AutoScalingGroup" => "AutoScalingGroupName",
        "AWS::KMS::Alias" => "AliasName",
        _ => return None,
    })
}

/// A resource's `DeletionPolicy` when the template sets none: CloudFormation snapshots an RDS
/// instance that is not in a cluster and an RDS cluster, and deletes everything else.
pub fn default_deletion_policy(resource_type: &str, properties: Option<&Value>) -> &'static str {
    match resource_type {
        "AWS::RDS::DBCluster" => "Snapshot",
        "AWS::RDS::DBInstance" if properties.and_then(|p| p.get("DBClusterIdentifier")).is_none() => "Snapshot",
        _ => "Delete",
    }
}

/// Task definitions are replaced on every change (each is a new revision, the service moves to
/// it): expected, and not worth a reviewer's attention.
pub fn benign_replacement(resource_type: &str) -> bool {
    resource_type == "AWS::ECS::TaskDefinition"
}

/// The create-only properties convoxc writes differently from convox on purpose, and that no
/// manifest sets: an existing resource keeps its own (the deployed value wins). A certificate
/// keeps how it was validated (convoxc validates new ones by DNS) as long as it names the same
/// domains; a scaling policy keeps its name.
pub fn deliberate(resource_type: &str) -> &'static [&'static str] {
    deliberately(resource_type).map_or(&[], |d| d.properties)
}

/// Create-only properties convoxc writes otherwise on purpose, and what a user does who wants
/// convoxc's value on an existing resource.
pub struct Deliberate {
    pub properties: &'static [&'static str],
    /// What keeping the deployed value means, and how to take convoxc's on purpose.
    pub advice: &'static str,
}

/// `deliberate`'s entry with its advice.
pub fn deliberately(resource_type: &str) -> Option<Deliberate> {
    Some(match resource_type {
        "AWS::CertificateManager::Certificate" => Deliberate {
            properties: &["ValidationMethod", "DomainValidationOptions", "SubjectAlternativeNames"],
            advice: "the certificate stays issued as it was validated, and renews the same way; a \
                     certificate for other domains (a change of the service's `domain:`) is a new one, \
                     validated by DNS",
        },
        "AWS::RDS::DBInstance" => Deliberate {
            properties: &[],
            advice: "the database stays as it was created (convoxc encrypts a new one and requires TLS); to \
                     encrypt it, restore an encrypted copy of its snapshot as a new resource, or say \
                     `encrypted: false` to make it explicit",
        },
        "AWS::ElastiCache::ReplicationGroup" => Deliberate {
            properties: &[],
            advice: "the cache stays as it was created, with its redis:// URL and no auth token (convoxc \
                     encrypts a new one, rediss:// with a token); say `encrypted: false` to make it explicit",
        },
        "AWS::EFS::FileSystem" => Deliberate {
            properties: &[],
            advice: "the file system stays as it was created (convoxc encrypts a new one); to encrypt it, \
                     copy its files to a new encrypted volume, or say `encrypted: false` to make it explicit",
        },
        "AWS::ApplicationAutoScaling::ScalingPolicy" => Deliberate {
            properties: &["PolicyName"],
            advice: "only the policy's name differs, and it scales the same: nothing to do",
        },
        _ => return None,
    })
}

/// A custom resource (`Custom::*`, `AWS::CloudFormation::CustomResource`): CloudFormation sends
/// its provider an update, and the provider decides what that means.
pub fn custom(resource_type: &str) -> bool {
    resource_type.starts_with("Custom::") || resource_type == "AWS::CloudFormation::CustomResource"
}

/// Resource types whose change is a nested stack's: `TemplateURL` changes are shown as the nested
/// stack's own diff.
pub const NESTED_STACK: &str = "AWS::CloudFormation::Stack";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_the_emitted_types() {
        let rds = create_only("AWS::RDS::DBInstance").unwrap();
        assert!(rds.always.iter().any(|p| p == "StorageEncrypted"));
        assert!(rds.conditional.iter().any(|p| p == "Engine"));
        assert!(
            create_only("AWS::EFS::AccessPoint")
                .unwrap()
                .always
                .iter()
                .any(|p| p == "RootDirectory/Path")
        );
        assert!(create_only("AWS::Nope::Nope").is_none());
    }
}
