#!/usr/bin/env python3
"""moto's server (pinned: moto[server]==5.2.1) with a shim for the applier's tests.

Usage: python3 moto_server.py [PORT]   (PORT 0 or none: a free port; prints "ready PORT" when serving)

moto 5.2.1 executes a change set differently from CloudFormation; the shim makes it behave as AWS
does where `convoxc apply` depends on it (each point is a wrapper around moto's
`CloudFormationBackend.execute_change_set`, nothing else is changed):

1. Imports and exports: a stack created through a change set gets no view of the account's exports
   (its `Fn::ImportValue`s fail), and after execution moto rebuilds neither its outputs nor its
   exports (DescribeStacks shows no Outputs, ListExports stays empty). The shim gives the stack the
   exports before applying and rebuilds outputs and exports afterwards.
2. Parameters and tags of an UPDATE change set are not kept on the stack; the shim keeps them.
3. Execution is asynchronous, as on AWS: ExecuteChangeSet returns at once, the stack is
   CREATE_IN_PROGRESS / UPDATE_IN_PROGRESS while a thread applies the change set, after
   CONVOXC_MOTO_EXECUTE_DELAY seconds (default 0; tests of an interrupted apply set it).
4. A failure while applying (moto raises) becomes what AWS reports: a `CREATE_FAILED` /
   `UPDATE_FAILED` event with the reason, then ROLLBACK_COMPLETE (a failed create) or
   UPDATE_ROLLBACK_COMPLETE. moto itself answers such a failure with an unparseable error body.
   moto has no per-resource events, so the failed event names the stack, and the rollback does not
   undo what moto had created.
5. An ECR repository without a RepositoryName gets a generated name with capitals, which moto's own
   ECR then rejects (AWS generates a lower-case name); the shim lower-cases it.
6. `Fn::GetAtt [NestedStack, Outputs.Name]` is not implemented for nested stacks; the shim adds it.
7. moto creates resources lazily when they are first looked up, so a DescribeStackResources or
   DescribeStacks while (3) applies a change set can create a resource twice (seen as a listener
   rule's PriorityInUse). Applying and those reads are serialised by one lock.
8. `AWS::SecretsManager::Secret` is not a CloudFormation resource in moto (it becomes a
   placeholder whose Ref is empty); the shim adds it as a model that creates the secret through
   moto's own Secrets Manager (the app stack keeps its databases' URL and password there).
9. Not a correction: a DescribeChangeSet request is answered after CONVOXC_MOTO_DESCRIBE_DELAY
   seconds (default 0), so that a test can interrupt `convoxc diff --change-set` while it waits
   for its change set.
10. A convox rack's custom resources: convox's app templates ask the rack's handler (an SNS topic,
    exported as `<rack>:CustomTopic`, behind a Lambda) for `Custom::MathMax` / `Custom::MathMin` (the
    larger / smaller of `X` and `Y`, as attribute `Value`). moto runs custom resources only through
    a Lambda in Docker; the shim answers these two as convox's handler does, at once, and on update.
    Any other custom resource is left to moto.
11. moto drops a resource when a change set modifies it and moto has no update for its type (the
    stack then no longer lists it); the shim keeps the resource as it was, as an in-place update
    on AWS keeps it (its properties are not changed; only its existence and ID are modelled).
12. The default of a `CommaDelimitedList` (or `List<…>`) parameter stays one string in moto (only
    given values are split), so `Fn::Select` picks a character of it; the shim splits defaults too.
13. `{"Ref": "AWS::NoValue"}` as an item of a list stays in it as a null in moto (convox writes
    `Volumes: [NoValue]`); CloudFormation drops it, and so does the shim.
14. A nested stack that a change set modifies is deleted and created anew by moto (a new stack ID,
    every resource in it new); CloudFormation updates it in place, and so does the shim.
15. A resource whose name CloudFormation generates gets a new random name on every update in
    moto, which moto's models then take for a rename (an ECR repository is replaced); the shim
    keeps the name it has, as CloudFormation does.
16. A resource that an update removes from a stack is deleted by moto even when its DeletionPolicy
    is Retain (convox's app `Settings` bucket); CloudFormation keeps it, and so does the shim.
17. `${Instance.Endpoint.Address}` in an `Fn::Sub` is split by moto at every dot (the attribute
    becomes `Endpoint`); CloudFormation splits at the first one, and so does the shim.
18. moto deletes and creates a security group on every update; CloudFormation replaces it only when
    its GroupDescription, GroupName or VpcId changes (its rules and tags change in place). The
    shim keeps the group otherwise (its rules are not changed: only its ID is modelled).
19. A CREATE change set for a stack that is REVIEW_IN_PROGRESS (its first change set was deleted
    unexecuted) makes moto a second stack of the same name, and DescribeStacks keeps answering
    with the first; CloudFormation has one stack. The shim drops the empty one first.
20. `{"Ref": "<DBParameterGroup>"}` as an instance's DBParameterGroupName reaches moto's
    `AWS::RDS::DBInstance` as the parameter group object, which it takes for a name (it fails with
    "'DBParameterGroup' object has no attribute 'startswith'"); CloudFormation's Ref is the group's
    name, and the shim passes that.
21. FilterLogEvents ignores `logStreamNamePrefix` (every stream of the group is searched); the shim
    searches only the streams under the prefix, as CloudWatch Logs does (`convoxc logs --service`).
22. CancelUpdateStack is not implemented by moto. The shim cancels an update that (3) has not
    applied yet: it is not applied, and the stack ends as CloudFormation ends a cancelled update:
    UPDATE_ROLLBACK_IN_PROGRESS ("User Initiated"), then UPDATE_ROLLBACK_COMPLETE. Any other
    status is refused with CloudFormation's ValidationError.
23. Not a correction: moto's ECS starts no task for a service, keeps no service events and no
    container exit codes. With CONVOXC_MOTO_ECS_FAIL (JSON: `stack`, `executions` — which executions
    of that stack's change sets, counted from 1 —, `service` — part of the ECS service's name —, `task` — a
    32-hex task ID —, `exit`, `reason`), that execution is applied, then what ECS records for a
    deployment whose essential container exits is seeded into moto's ECS: a service event, the
    primary deployment's failed task and its circuit-breaker rollout state, and the stopped task
    (started by the deployment, with its stopped reason and the container's exit code; the task
    definition's environment values made strings, as a GetAtt's port reaches ECS); then the
    execution fails as CloudFormation fails it when the circuit breaker trips (UPDATE_FAILED with
    the handler's message, then the rollback of (4)).
24. Not a correction but a seed: moto answers every ECS container with exit code 0 and no runtime
    ID. A one-off task (`startedBy` convoxc-run) takes the exit code in CONVOXC_MOTO_RUN_EXIT, or,
    with CONVOXC_MOTO_RUN_NEVER_RAN set, no exit code and that text as its stopped reason (a task
    that could not start: ECS's documented `CannotPullContainerError` shape); every container gets
    a runtime ID of ECS's shape (`<task id>-<n>`), which `exec` targets, and its cpu and memory
    as the strings ECS's API has them (moto writes numbers, which the Rust SDK refuses).
25. ECS ExecuteCommand is not implemented by moto; the shim answers it with the documented shape
    (clusterArn, containerName, taskArn, interactive, session {sessionId, streamUrl, tokenValue})
    for a task the cluster has. No session is ever opened.
26. RunTask with a `capacityProviderStrategy` (a Fargate service's) drops the strategy and, without
    a launchType, looks for EC2 instances; AWS places it on the strategy's capacity provider. The
    shim places a FARGATE / FARGATE_SPOT strategy's task on Fargate, and writes every RunTask
    request (as sent) as a JSON line to CONVOXC_MOTO_RECORD when that is set, for the tests to read
    what was asked.
27. moto's `AWS::ECS::Service` from CloudFormation drops NetworkConfiguration, LaunchType,
    CapacityProviderStrategy and EnableExecuteCommand (the service is described as EC2 with no
    network); the shim gives the service what its template says, as ECS describes it. A task
    definition made from a template keeps the numbers it was given where ECS's API has strings (the
    task's cpu and memory, environment values: `DATABASE_PORT`'s 5432), which the Rust SDK refuses;
    the shim makes them strings.
"""
import os
import socket
import sys
import threading
import time

import json

from moto.cloudformation import models, parsing
from moto.cloudformation.custom_model import CustomModel
from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.responses import CloudFormationResponse
from moto.core.responses import EmptyResult
from moto.core.common_models import CloudFormationModel
from moto.ecr.models import Repository
from moto.logs.responses import LogsResponse
from moto.rds.models import DBInstance, DBParameterGroup
from moto.secretsmanager.models import secretsmanager_backends
from moto.server import ThreadedMotoServer


class CloudFormationSecret(CloudFormationModel):
    """Point 8: AWS::SecretsManager::Secret, created in moto's Secrets Manager."""

    # moto's model registry takes the service name from the module path
    __module__ = "moto.secretsmanager.models"

    def __init__(self, arn):
        self.arn = arn

    @property
    def physical_resource_id(self):
        return self.arn

    @staticmethod
    def cloudformation_type():
        return "AWS::SecretsManager::Secret"

    @staticmethod
    def cloudformation_name_type():
        return "Name"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json.get("Properties", {})
        created = secretsmanager_backends[account_id][region_name].create_secret(
            name=resource_name,
            secret_string=props.get("SecretString"),
            secret_binary=None,
            description=props.get("Description"),
            tags=props.get("Tags"),
            kms_key_id=None,
            client_request_token=None,
            replica_regions=[],
            force_overwrite=False,
        )
        created = json.loads(created) if isinstance(created, str) else created
        return cls(created["ARN"])

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        props = cloudformation_json.get("Properties", {})
        backend = secretsmanager_backends[account_id][region_name]
        backend.put_secret_value(
            secret_id=original_resource.arn,
            secret_string=props.get("SecretString"),
            secret_binary=None,
            client_request_token=None,
            version_stages=["AWSCURRENT"],
        )
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        pass

DELAY = float(os.environ.get("CONVOXC_MOTO_EXECUTE_DELAY", "0"))
ECS_FAIL = json.loads(os.environ.get("CONVOXC_MOTO_ECS_FAIL") or "null")
EXECUTIONS = {}
CANCELLED = set()
LOCK = threading.RLock()
_original = models.CloudFormationBackend.execute_change_set


def execute_change_set(self, change_set_name, stack_name=None):
    change_set = self.describe_change_set(change_set_name)
    if change_set is None:
        return _original(self, change_set_name, stack_name)
    stack = self.stacks[change_set.stack_id]
    creating = change_set.change_set_type == "CREATE"
    stack.status = "CREATE_IN_PROGRESS" if creating else "UPDATE_IN_PROGRESS"
    change_set.execution_status = "EXECUTE_IN_PROGRESS"

    EXECUTIONS[stack.name] = EXECUTIONS.get(stack.name, 0) + 1
    execution = EXECUTIONS[stack.name]

    def run():
        time.sleep(DELAY)
        with LOCK:
            if stack.stack_id in CANCELLED:
                CANCELLED.discard(stack.stack_id)
                stack._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason="User Initiated")
                stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE")
                stack.status = "UPDATE_ROLLBACK_COMPLETE"
                change_set.execution_status = "EXECUTE_FAILED"
                return
            apply()

    def apply():
        stack.cross_stack_resources = self.exports
        stack.resource_map.cross_stack_resources = self.exports
        try:
            _original(self, change_set_name, stack_name)
            if ECS_FAIL and ECS_FAIL["stack"] == stack.name and execution in ECS_FAIL["executions"]:
                seed_ecs_failure(self.account_id, self.region_name)
        except Exception as e:  # noqa: BLE001 - any failure of moto's apply is a failed deploy
            reason = f"{type(e).__name__}: {e}"
            stack._add_stack_event("CREATE_FAILED" if creating else "UPDATE_FAILED", resource_status_reason=reason)
            rollback = "ROLLBACK" if creating else "UPDATE_ROLLBACK"
            stack._add_stack_event(f"{rollback}_IN_PROGRESS", resource_status_reason=reason)
            stack._add_stack_event(f"{rollback}_COMPLETE")
            stack.status = f"{rollback}_COMPLETE"
            change_set.execution_status = "EXECUTE_FAILED"
            return
        stack.parameters = change_set.parameters
        if change_set.tags is not None:
            stack.tags = change_set.tags
        for name in [n for n, e in self.exports.items() if e.exporting_stack_id == stack.stack_id]:
            self.exports.pop(name)
        stack._parse_template()  # moto keeps the text of the new template, not its parsed form
        stack.output_map = stack._create_output_map()
        for export in stack.exports:
            self.exports[export.name] = export

    threading.Thread(target=run, daemon=True).start()


models.CloudFormationBackend.execute_change_set = execute_change_set


def seed_ecs_failure(account_id, region_name):
    """Point 23."""
    import datetime
    import uuid

    from moto.ecs.models import Task, ecs_backends

    backend = ecs_backends[account_id][region_name]
    now = datetime.datetime.now(datetime.timezone.utc)
    for service in backend.services.values():
        if ECS_FAIL["service"] not in service.name:
            continue
        deployment = service.deployments[0]
        deployment["failedTasks"] = 1
        deployment["rolloutState"] = "FAILED"
        deployment["rolloutStateReason"] = "ECS deployment circuit breaker: tasks failed to start."
        service.events.insert(0, {
            "id": str(uuid.uuid4()),
            "createdAt": now,
            "message": f"(service {service.name}) deployment {deployment['id']} deployment failed: tasks failed to start.",
        })
        cluster = backend.clusters[service.cluster_name]
        definition = backend.describe_task_definition(service.task_definition)
        # moto keeps a number that a GetAtt gave (a database's port) as a number, which the ECS
        # API's string fields cannot hold: as CloudFormation passes it, a string
        for d in definition.container_definitions:
            for e in d.get("environment") or []:
                e["value"] = str(e["value"])
        task = Task(cluster, definition, None, None, backend, group=f"service:{service.name}",
                    launch_type=service.launch_type or "EC2", started_by=deployment["id"],
                    networking_configuration=getattr(service, "network_configuration", None))
        task.id = ECS_FAIL["task"]
        task.last_status = "STOPPED"
        task.desired_status = "STOPPED"
        task.stopped_reason = ECS_FAIL.get("reason", "Essential container in task exited")
        task.stopped_at = now
        task.created_at = now
        for c in task.containers:
            c.exitCode = ECS_FAIL["exit"]
            c.exit_code = ECS_FAIL["exit"]
            c.last_status = "STOPPED"
            # moto copies the definition's numbers; the API's Container has them as strings
            c.cpu = None if c.cpu is None else str(c.cpu)
            c.memory = None if c.memory is None else str(c.memory)
        backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
        raise RuntimeError(
            "Resource handler returned message: \"Error occurred during operation 'ECS Deployment Circuit Breaker "
            "was triggered'.\" (HandlerErrorCode: GeneralServiceException)"
        )


def cancel_update_stack(self):
    """Point 22."""
    name = self._get_param("StackName")
    backend = self.cloudformation_backend
    with LOCK:
        stack = backend.get_stack(name)
        if stack.status != "UPDATE_IN_PROGRESS":
            raise ValidationError(name, f"CancelUpdateStack cannot be called from current stack status {stack.status}")
        CANCELLED.add(stack.stack_id)
    return EmptyResult()


CloudFormationResponse.cancel_update_stack = cancel_update_stack


def _locked(method):
    def wrapper(*args, **kwargs):
        with LOCK:
            return method(*args, **kwargs)

    return wrapper


for _name in ["describe_stacks", "describe_stack_resources", "describe_stack_resource", "list_stack_resources", "get_stack"]:
    if hasattr(models.CloudFormationBackend, _name):
        setattr(models.CloudFormationBackend, _name, _locked(getattr(models.CloudFormationBackend, _name)))

_create_repository = Repository.create_from_cloudformation_json.__func__


@classmethod
def create_repository(cls, resource_name, *args, **kwargs):
    return _create_repository(cls, resource_name.lower(), *args, **kwargs)


Repository.create_from_cloudformation_json = create_repository

_create_database = DBInstance.create_from_cloudformation_json.__func__


@classmethod
def create_database(cls, resource_name, cloudformation_json, *args, **kwargs):
    """Point 20: a parameter group by its name."""
    props = cloudformation_json.get("Properties", {})
    group = props.get("DBParameterGroupName")
    if isinstance(group, DBParameterGroup):
        props["DBParameterGroupName"] = group.name
    return _create_database(cls, resource_name, cloudformation_json, *args, **kwargs)


DBInstance.create_from_cloudformation_json = create_database


def get_cfn_attribute(self, attr):
    if attr.startswith("Outputs."):
        output = self.output_map[attr.removeprefix("Outputs.")]
        if output is not None:
            return output.value
    raise models.UnformattedGetAttTemplateException()


models.Stack.get_cfn_attribute = get_cfn_attribute

DESCRIBE_DELAY = float(os.environ.get("CONVOXC_MOTO_DESCRIBE_DELAY", "0"))
_describe_response = CloudFormationResponse.describe_change_set


def describe_change_set_response(self):
    """Point 9."""
    time.sleep(DESCRIBE_DELAY)
    return _describe_response(self)


CloudFormationResponse.describe_change_set = describe_change_set_response

MATH = {"Custom::MathMax": max, "Custom::MathMin": min}
_create_custom = CustomModel.create_from_cloudformation_json.__func__


def _math(resource_name, cloudformation_json, region_name, **kwargs):
    props = cloudformation_json["Properties"]
    resource = CustomModel(region_name, "convox", kwargs.get("LogicalId", resource_name), resource_name)
    resource.set_data({"Value": str(MATH[kwargs["ResourceType"]](int(props["X"]), int(props["Y"])))})
    return resource


@classmethod
def create_custom(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    """Point 10."""
    token = str(cloudformation_json.get("Properties", {}).get("ServiceToken", ""))
    if kwargs.get("ResourceType") in MATH and token.startswith("arn:aws:sns:"):
        return _math(resource_name, cloudformation_json, region_name, **kwargs)
    return _create_custom(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)


CustomModel.create_from_cloudformation_json = create_custom
def _same_group(original, props, name):
    return (
        getattr(original, "description", None) == props.get("GroupDescription")
        and getattr(original, "vpc_id", None) == props.get("VpcId")
        and ("GroupName" not in props or props["GroupName"] == original.name)
    )


def update_resource(logical_id, resource_json, resources_map, account_id, region_name):
    """Points 10, 11, 14 and 15: moto's parse_and_update_resource, corrected."""
    original = resources_map[logical_id]
    parsed = parsing.parse_resource_and_generate_name(logical_id, resource_json, resources_map)
    if not parsed:
        return original
    cls, cleaned, name = parsed
    resource_type = resource_json["Type"]
    name_property = parsing.resource_name_property_from_type(resource_type)
    if name_property and name_property not in cleaned.get("Properties", {}) and isinstance(
        getattr(original, "name", None), str
    ):
        name = original.name  # point 15: a generated name stays
    token = str(cleaned.get("Properties", {}).get("ServiceToken", ""))
    if resource_type in MATH and token.startswith("arn:aws:sns:"):
        updated = _math(name, cleaned, region_name, LogicalId=logical_id, ResourceType=resource_type)
    elif resource_type == "AWS::CloudFormation::Stack" and isinstance(original, models.Stack):
        props = cleaned["Properties"]
        backend = models.cloudformation_backends[account_id][region_name]
        template = models.get_stack_from_s3_url(
            props["TemplateURL"], account_id=account_id, partition=models.get_partition(region_name)
        )
        original.cross_stack_resources = backend.exports
        original.resource_map.cross_stack_resources = backend.exports
        original.update(template, parameters=props.get("Parameters", {}))  # point 14: in place
        updated = original
    elif resource_type == "AWS::EC2::SecurityGroup" and _same_group(original, cleaned["Properties"], name):
        updated = original  # point 18
    elif not hasattr(cls.update_from_cloudformation_json, "__isabstractmethod__"):
        updated = cls.update_from_cloudformation_json(
            original_resource=original,
            new_resource_name=name,
            cloudformation_json=cleaned,
            account_id=account_id,
            region_name=region_name,
        )
    else:
        updated = original  # point 11
    updated.cf_resource_type = resource_type
    updated.logical_resource_id = logical_id
    return updated


parsing.parse_and_update_resource = update_resource
_load_parameters = parsing.ResourceMap.load_parameters


def load_parameters(self):
    """Point 12."""
    _load_parameters(self)
    for name, slot in self._template.get("Parameters", {}).items():
        kind = slot.get("Type", "String")
        value = self.resolved_parameters.get(name)
        if (kind == "CommaDelimitedList" or kind.startswith("List<")) and isinstance(value, str):
            self.resolved_parameters[name] = self._parsed_resources[name] = value.split(",")


parsing.ResourceMap.load_parameters = load_parameters
_clean_json = parsing.clean_json


def clean_json(resource_json, resources_map):
    """Points 13 and 17 (moto's clean_json recurses through this name)."""
    att = resource_json.get("Fn::GetAtt") if isinstance(resource_json, dict) else None
    if isinstance(att, list) and len(att) > 2:
        resource_json = {"Fn::GetAtt": [att[0], ".".join(att[1:])]}
    cleaned = _clean_json(resource_json, resources_map)
    if isinstance(resource_json, list) and isinstance(cleaned, list):
        return [item for item in cleaned if item is not None]
    return cleaned


parsing.clean_json = clean_json
_delete_resource = parsing.ResourceMap._delete_resource


def delete_resource(self, parsed_resource, resource_json):
    """Point 16."""
    if resource_json.get("DeletionPolicy") != "Retain":
        _delete_resource(self, parsed_resource, resource_json)


parsing.ResourceMap._delete_resource = delete_resource

_create_change_set = models.CloudFormationBackend.create_change_set


def create_change_set(self, stack_name, change_set_name, template, parameters, description, change_set_type, *args, **kwargs):
    """Point 19."""
    if change_set_type == "CREATE":
        for stack_id, stack in list(self.stacks.items()):
            if stack.name == stack_name and stack.status == "REVIEW_IN_PROGRESS":
                del self.stacks[stack_id]
    return _create_change_set(
        self, stack_name, change_set_name, template, parameters, description, change_set_type, *args, **kwargs
    )


models.CloudFormationBackend.create_change_set = create_change_set


def filter_log_events(self):
    """Point 21."""
    group_name = self._get_param("logGroupName")
    names = self._get_param("logStreamNames", [])
    prefix = self._get_param("logStreamNamePrefix")
    if prefix and not names:
        group = self.logs_backend.groups.get(group_name)
        names = [n for n in (group.streams if group else {}) if n.startswith(prefix)] or ["\0none"]
    events, next_token, searched = self.logs_backend.filter_log_events(
        group_name,
        names,
        self._get_param("startTime"),
        self._get_param("endTime"),
        self._get_param("limit"),
        self._get_param("nextToken"),
        self._get_param("filterPattern"),
        self._get_param("interleaved", False),
    )
    return json.dumps({"events": events, "nextToken": next_token, "searchedLogStreams": searched})


LogsResponse.filter_log_events = filter_log_events

def ecs_task_init(original):
    """Point 24."""

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        for n, c in enumerate(self.containers):
            c.runtime_id = f"{self.id}-{1000 + n}"
            c.runtimeId = c.runtime_id
            c.cpu = None if c.cpu is None else str(c.cpu)
            c.memory = None if c.memory is None else str(c.memory)
        if self.started_by != "convoxc-run":
            return
        never = os.environ.get("CONVOXC_MOTO_RUN_NEVER_RAN")
        code = os.environ.get("CONVOXC_MOTO_RUN_EXIT")
        for c in self.containers:
            if never:
                c.exitCode = None
                c.reason = never
            elif code is not None:
                c.exitCode = int(code)
        if never:
            self.stopped_reason = never
            self.stop_code = "TaskFailedToStart"

    return init


def execute_command(self):
    """Point 25."""
    from moto.core.responses import ActionResult
    from moto.ecs.exceptions import InvalidParameterException

    cluster = self._get_param("cluster", "default")
    task = self._get_param("task")
    tasks = self.ecs_backend.describe_tasks(cluster, [task])
    if not tasks:
        raise InvalidParameterException("The task provided in the request was not found.")
    t = tasks[0]
    session = f"ecs-execute-command-{t.id[:12]}"
    return ActionResult({
        "clusterArn": t.cluster_arn,
        "containerArn": t.containers[0].container_arn,
        "containerName": self._get_param("container"),
        "interactive": True,
        "session": {
            "sessionId": session,
            "streamUrl": f"wss://ssmmessages.{t.region_name}.amazonaws.com/v1/data-channel/{session}?role=publish_subscribe",
            "tokenValue": "AAEAAseeded-token-value",
        },
        "taskArn": t.task_arn,
    })


from moto.ecs import models as ecs_models  # noqa: E402
from moto.ecs.responses import EC2ContainerServiceResponse  # noqa: E402

def run_task_placed(original):
    """Point 26."""

    def run_task(self):
        body = json.loads(self.body or "{}")
        record = os.environ.get("CONVOXC_MOTO_RECORD")
        if record:
            with open(record, "a") as f:
                f.write(json.dumps(body, sort_keys=True) + "\n")
        strategy = body.get("capacityProviderStrategy") or []
        if not body.get("launchType") and any(
            str(s.get("capacityProvider", "")).startswith("FARGATE") for s in strategy
        ):
            body["launchType"] = "FARGATE"
            if getattr(self, "automated_parameter_parsing", False):
                self.params["launchType"] = "FARGATE"
            else:
                self.body = json.dumps(body)
        return original(self)

    return run_task


def _lower_first(value):
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: _lower_first(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower_first(v) for v in value]
    return value


def service_from_template(original):
    """Point 27."""

    def create(cls, *args, **kwargs):
        service = original.__func__(cls, *args, **kwargs)
        template = next(a for a in args if isinstance(a, dict) and "Properties" in a)
        props = template.get("Properties", {})
        strategy = props.get("CapacityProviderStrategy")
        if strategy:
            service.capacity_provider_strategy = [
                {"capacityProvider": s["CapacityProvider"], "weight": int(s.get("Weight", 0)), "base": int(s.get("Base", 0))}
                for s in strategy
            ]
            service.launch_type = None
        elif props.get("LaunchType"):
            service.launch_type = props["LaunchType"]
        network = props.get("NetworkConfiguration")
        if network:
            service.network_configuration = _lower_first(network)
        enabled = props.get("EnableExecuteCommand")
        service.enable_execute_command = enabled in (True, "true", "True")
        return service

    return classmethod(create)


ecs_models.Service.create_from_cloudformation_json = service_from_template(
    ecs_models.Service.create_from_cloudformation_json
)
ecs_models.Service.update_from_cloudformation_json = service_from_template(
    ecs_models.Service.update_from_cloudformation_json
)
def task_definition_init(original):
    """Point 27."""

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        for attr in ("cpu", "memory"):
            value = getattr(self, attr, None)
            if isinstance(value, (int, float)):
                setattr(self, attr, str(value))
        for c in self.container_definitions or []:
            for e in c.get("environment") or []:
                if not isinstance(e.get("value"), str) and e.get("value") is not None:
                    e["value"] = str(e["value"])

    return init


ecs_models.TaskDefinition.__init__ = task_definition_init(ecs_models.TaskDefinition.__init__)
ecs_models.Task.__init__ = ecs_task_init(ecs_models.Task.__init__)
EC2ContainerServiceResponse.run_task = run_task_placed(EC2ContainerServiceResponse.run_task)
EC2ContainerServiceResponse.execute_command = execute_command


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    # a port that is taken would stop moto's server thread, and start() would then wait forever
    probe = socket.socket()
    try:
        probe.bind(("127.0.0.1", port))
    except OSError as e:
        print(f"error: moto cannot serve on 127.0.0.1:{port}: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
    finally:
        probe.close()
    server.start()
    bound = server._server.server_port
    print(f"ready {bound}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
