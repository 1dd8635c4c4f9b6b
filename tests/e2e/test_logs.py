"""CloudWatch Logs end to end with boto3 and the AWS CLI: groups and streams with AWS's
errors and paging, PutLogEvents' rules (order, partial rejections), GetLogEvents' tokens,
FilterLogEvents with each pattern dialect (terms, JSON, space-delimited), metric filters,
TestMetricFilter, subscription filters, resource policies, and the persistence contract
(groups, streams, every accepted event, filters and policies survive SIGTERM and kill -9).
"""
from __future__ import annotations

import json
import signal
import time

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION, make_client, run_aws_cli, unique_name
from persistence_contract import run_contract


def err(excinfo):
    r = excinfo.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Code"), r["Error"].get("Message")


@pytest.fixture
def logs(client):
    return client("logs")


def now_ms():
    return int(time.time() * 1000)


def make_group(logs, streams=("s",)):
    g = unique_name("/app/g")
    logs.create_log_group(logGroupName=g)
    for s in streams:
        logs.create_log_stream(logGroupName=g, logStreamName=s)
    return g


def test_groups_streams_and_errors(logs):
    g = unique_name("/app/grp")
    logs.create_log_group(logGroupName=g, tags={"team": "a"}, kmsKeyId=f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/x")
    with pytest.raises(ClientError) as e:
        logs.create_log_group(logGroupName=g)
    assert err(e) == (400, "ResourceAlreadyExistsException", "The specified log group already exists")
    got = logs.describe_log_groups(logGroupNamePrefix=g)["logGroups"]
    assert len(got) == 1
    assert got[0]["arn"] == f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{g}:*"
    assert got[0]["logGroupArn"] == f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{g}"
    assert got[0]["logGroupClass"] == "STANDARD" and got[0]["kmsKeyId"].endswith("key/x")
    with pytest.raises(ClientError) as e:
        logs.describe_log_groups(logGroupNamePrefix="a", logGroupNamePattern="b")
    assert err(e)[1] == "InvalidParameterException"
    logs.put_retention_policy(logGroupName=g, retentionInDays=7)
    assert logs.describe_log_groups(logGroupNamePrefix=g)["logGroups"][0]["retentionInDays"] == 7
    logs.delete_retention_policy(logGroupName=g)
    assert "retentionInDays" not in logs.describe_log_groups(logGroupNamePrefix=g)["logGroups"][0]
    arn = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{g}"
    logs.tag_resource(resourceArn=arn, tags={"env": "dev"})
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "a", "env": "dev"}
    logs.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert logs.list_tags_log_group(logGroupName=g)["tags"] == {"env": "dev"}

    for s in ["b", "a", "c"]:
        logs.create_log_stream(logGroupName=g, logStreamName=s)
    with pytest.raises(ClientError) as e:
        logs.create_log_stream(logGroupName=g, logStreamName="a")
    assert err(e) == (400, "ResourceAlreadyExistsException", "The specified log stream already exists")
    page = logs.describe_log_streams(logGroupName=g, limit=2)
    assert [s["logStreamName"] for s in page["logStreams"]] == ["a", "b"]
    rest = logs.describe_log_streams(logGroupName=g, limit=2, nextToken=page["nextToken"])
    assert [s["logStreamName"] for s in rest["logStreams"]] == ["c"] and "nextToken" not in rest
    t = now_ms()
    logs.put_log_events(logGroupName=g, logStreamName="a", logEvents=[{"timestamp": t, "message": "x"}])
    logs.put_log_events(logGroupName=g, logStreamName="c", logEvents=[{"timestamp": t - 1000, "message": "y"}])
    by_time = logs.describe_log_streams(logGroupName=g, orderBy="LastEventTime", descending=True)["logStreams"]
    assert by_time[0]["logStreamName"] == "a" and by_time[0]["lastEventTimestamp"] == t
    assert by_time[1]["logStreamName"] == "c"
    logs.delete_log_stream(logGroupName=g, logStreamName="b")
    with pytest.raises(ClientError) as e:
        logs.delete_log_stream(logGroupName=g, logStreamName="b")
    assert err(e) == (400, "ResourceNotFoundException", "The specified log stream does not exist.")
    logs.delete_log_group(logGroupName=g)
    with pytest.raises(ClientError) as e:
        logs.delete_log_group(logGroupName=g)
    assert err(e) == (400, "ResourceNotFoundException", "The specified log group does not exist.")


def test_put_rules_and_get_tokens(logs):
    g = make_group(logs)
    t = now_ms()
    r = logs.put_log_events(logGroupName=g, logStreamName="s",
                            logEvents=[{"timestamp": t + i, "message": f"m{i}"} for i in range(5)])
    assert r["nextSequenceToken"] and "rejectedLogEventsInfo" not in r
    with pytest.raises(ClientError) as e:
        logs.put_log_events(logGroupName=g, logStreamName="s",
                            logEvents=[{"timestamp": t, "message": "a"}, {"timestamp": t - 1, "message": "b"}])
    assert err(e) == (400, "InvalidParameterException",
                      "Log events in a single PutLogEvents request must be in chronological order.")
    r = logs.put_log_events(logGroupName=g, logStreamName="s",
                            logEvents=[{"timestamp": t + 10, "message": "ok"},
                                       {"timestamp": t + 3 * 3600 * 1000, "message": "future"}])
    assert r["rejectedLogEventsInfo"] == {"tooNewLogEventStartIndex": 1}
    old = t - 15 * 86400 * 1000
    r = logs.put_log_events(logGroupName=g, logStreamName="s", logEvents=[{"timestamp": old, "message": "old"}])
    assert r["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 0}

    first = logs.get_log_events(logGroupName=g, logStreamName="s", startFromHead=True, limit=4)
    assert [e["message"] for e in first["events"]] == ["m0", "m1", "m2", "m3"]
    second = logs.get_log_events(logGroupName=g, logStreamName="s", nextToken=first["nextForwardToken"], limit=4)
    assert [e["message"] for e in second["events"]] == ["m4", "ok"]
    end = logs.get_log_events(logGroupName=g, logStreamName="s", nextToken=second["nextForwardToken"])
    assert end["events"] == [] and end["nextForwardToken"] == second["nextForwardToken"]
    newest = logs.get_log_events(logGroupName=g, logStreamName="s", limit=2)
    assert [e["message"] for e in newest["events"]] == ["m4", "ok"]
    window = logs.get_log_events(logGroupName=g, logStreamName="s", startTime=t + 1, endTime=t + 3, startFromHead=True)
    assert [e["message"] for e in window["events"]] == ["m1", "m2"]
    with pytest.raises(ClientError) as e:
        logs.get_log_events(logGroupName=g, logStreamName="s", nextToken="bogus")
    assert err(e)[1:] == ("InvalidParameterException", "The specified nextToken is invalid.")


def test_filter_log_events_each_dialect(logs):
    g = make_group(logs, streams=("web", "api"))
    t = now_ms()
    logs.put_log_events(logGroupName=g, logStreamName="web", logEvents=[
        {"timestamp": t, "message": '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /a.gif HTTP/1.0" 404 1534'},
        {"timestamp": t + 2, "message": '10.0.0.2 - bob [10/Oct/2000:13:25:16 -0700] "GET /b HTTP/1.0" 200 99'},
    ])
    logs.put_log_events(logGroupName=g, logStreamName="api", logEvents=[
        {"timestamp": t + 1, "message": json.dumps({"level": "ERROR", "latency": 300, "user": {"id": 7}})},
        {"timestamp": t + 3, "message": json.dumps({"level": "INFO", "latency": 20, "user": None})},
    ])

    def msgs(**kw):
        return [e["message"] for e in logs.filter_log_events(logGroupName=g, **kw)["events"]]

    assert len(msgs()) == 4
    assert msgs(filterPattern='"GET /a.gif"') == [msgs()[0]]
    assert msgs(filterPattern="ERROR") == [msgs()[1]]
    assert len(msgs(filterPattern="?frank ?bob")) == 2
    assert len(msgs(filterPattern="GET -frank")) == 1
    assert msgs(filterPattern="{ $.latency > 100 && $.user.id = 7 }") == [msgs()[1]]
    assert msgs(filterPattern="{ $.user IS NULL }") == [msgs()[3]]
    assert msgs(filterPattern='{ $.level = "INF*" || $.nothing NOT EXISTS && $.latency < 0 }') == [msgs()[3]]
    assert len(msgs(filterPattern="[ip, id, user, ts, req, status = 4*, bytes > 1000]")) == 1
    assert len(msgs(filterPattern="[ip, ..., status = 200, bytes]")) == 1
    assert len(msgs(logStreamNames=["api"])) == 2
    assert len(msgs(logStreamNamePrefix="we")) == 2
    page = logs.filter_log_events(logGroupName=g, limit=3)
    assert len(page["events"]) == 3 and page["nextToken"]
    assert len(logs.filter_log_events(logGroupName=g, nextToken=page["nextToken"])["events"]) == 1
    ev = logs.filter_log_events(logGroupName=g, limit=1)["events"][0]
    assert ev["logStreamName"] == "web" and ev["eventId"]
    with pytest.raises(ClientError) as e:
        logs.filter_log_events(logGroupName=g, filterPattern="{ $.a = ")
    assert err(e) == (400, "InvalidParameterException", "Invalid filter pattern")


def test_metric_filters_and_test_metric_filter(logs):
    g = make_group(logs)
    logs.put_metric_filter(logGroupName=g, filterName="lat", filterPattern="{ $.latency > 0 }",
                           metricTransformations=[{"metricName": "Latency", "metricNamespace": "App",
                                                   "metricValue": "$.latency", "unit": "Milliseconds"}])
    logs.put_metric_filter(logGroupName=g, filterName="err", filterPattern="ERROR",
                           metricTransformations=[{"metricName": "Errors", "metricNamespace": "App",
                                                   "metricValue": "1", "defaultValue": 0}])
    fs = logs.describe_metric_filters(logGroupName=g)["metricFilters"]
    assert [f["filterName"] for f in fs] == ["err", "lat"]
    assert fs[0]["metricTransformations"][0]["defaultValue"] == 0
    assert logs.describe_metric_filters(metricName="Latency", metricNamespace="App")["metricFilters"][0]["filterName"] == "lat"
    assert logs.describe_log_groups(logGroupNamePrefix=g)["logGroups"][0]["metricFilterCount"] == 2
    with pytest.raises(ClientError) as e:
        logs.put_metric_filter(logGroupName=g, filterName="bad", filterPattern="{ $.x = ",
                               metricTransformations=[{"metricName": "m", "metricNamespace": "n", "metricValue": "1"}])
    assert err(e)[1] == "InvalidParameterException"
    r = logs.test_metric_filter(filterPattern="[ip, user, status = 5*]", logEventMessages=["a b 200", "c d 503"])
    assert r["matches"] == [{"eventNumber": 2, "eventMessage": "c d 503",
                             "extractedValues": {"$ip": "c", "$user": "d", "$status": "503"}}]
    logs.delete_metric_filter(logGroupName=g, filterName="err")
    with pytest.raises(ClientError) as e:
        logs.delete_metric_filter(logGroupName=g, filterName="err")
    assert err(e)[1] == "ResourceNotFoundException"


def test_subscription_filters_policies_destinations(logs):
    g = make_group(logs)
    fn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:f"
    logs.put_subscription_filter(logGroupName=g, filterName="sub", filterPattern="ERROR", destinationArn=fn)
    got = logs.describe_subscription_filters(logGroupName=g)["subscriptionFilters"]
    assert got[0]["destinationArn"] == fn and got[0]["distribution"] == "ByLogStream"
    with pytest.raises(ClientError) as e:
        logs.put_subscription_filter(logGroupName=g, filterName="k", filterPattern="",
                                     destinationArn=f"arn:aws:kinesis:{REGION}:{ACCOUNT_ID}:stream/s")
    assert err(e) == (400, "InvalidParameterException", "destinationArn for vendor kinesis cannot be used without roleArn")
    # The destination does not exist in Simfra: the write is accepted, the delivery is not faked.
    logs.put_log_events(logGroupName=g, logStreamName="s", logEvents=[{"timestamp": now_ms(), "message": "ERROR x"}])
    logs.delete_subscription_filter(logGroupName=g, filterName="sub")
    with pytest.raises(ClientError) as e:
        logs.delete_subscription_filter(logGroupName=g, filterName="sub")
    assert err(e) == (400, "ResourceNotFoundException", "The specified subscription filter does not exist.")

    name = unique_name("pol")
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "route53.amazonaws.com"},
                                                              "Action": "logs:PutLogEvents", "Resource": "*"}]})
    assert logs.put_resource_policy(policyName=name, policyDocument=doc)["resourcePolicy"]["policyName"] == name
    assert name in [p["policyName"] for p in logs.describe_resource_policies()["resourcePolicies"]]
    logs.delete_resource_policy(policyName=name)
    with pytest.raises(ClientError) as e:
        logs.delete_resource_policy(policyName=name)
    assert err(e) == (400, "ResourceNotFoundException", f"Policy with name [{name}] does not exist.")

    d = logs.put_destination(destinationName="dst", targetArn=f"arn:aws:kinesis:{REGION}:{ACCOUNT_ID}:stream/x",
                             roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/r")["destination"]
    assert d["arn"] == f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:destination:dst"
    assert logs.describe_destinations(DestinationNamePrefix="ds")["destinations"][0]["destinationName"] == "dst"
    logs.delete_destination(destinationName="dst")


def test_aws_cli(server):
    g = unique_name("/cli/g")
    assert run_aws_cli(server.url, "logs", "create-log-group", "--log-group-name", g).returncode == 0
    assert run_aws_cli(server.url, "logs", "create-log-stream", "--log-group-name", g, "--log-stream-name", "s").returncode == 0
    t = now_ms()
    r = run_aws_cli(server.url, "logs", "put-log-events", "--log-group-name", g, "--log-stream-name", "s",
                    "--log-events", f"timestamp={t},message=hello-cli")
    assert r.returncode == 0, r.stderr
    r = run_aws_cli(server.url, "logs", "filter-log-events", "--log-group-name", g, "--filter-pattern", "hello")
    assert r.returncode == 0 and r.json["events"][0]["message"] == "hello-cli"
    r = run_aws_cli(server.url, "logs", "describe-log-groups", "--log-group-name-prefix", g + "-missing")
    assert r.returncode == 0 and r.json["logGroups"] == []
    r = run_aws_cli(server.url, "logs", "delete-log-group", "--log-group-name", g + "-missing")
    assert r.returncode != 0 and "ResourceNotFoundException" in r.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_persistence_contract(server_factory, tmp_path, sig):
    t = now_ms()

    def scenario(url):
        logs = make_client(url, "logs")
        logs.create_log_group(logGroupName="/kept", tags={"a": "1"})
        logs.put_retention_policy(logGroupName="/kept", retentionInDays=30)
        logs.create_log_group(logGroupName="/gone")
        logs.delete_log_group(logGroupName="/gone")
        for s in ("s1", "s2"):
            logs.create_log_stream(logGroupName="/kept", logStreamName=s)
        for i in range(3):
            logs.put_log_events(logGroupName="/kept", logStreamName="s1",
                                logEvents=[{"timestamp": t + i * 10 + j, "message": f"batch{i} line{j}"} for j in range(50)])
        logs.put_log_events(logGroupName="/kept", logStreamName="s2", logEvents=[{"timestamp": t, "message": "{\"k\": 1}"}])
        logs.put_metric_filter(logGroupName="/kept", filterName="mf", filterPattern="{ $.k = 1 }",
                               metricTransformations=[{"metricName": "K", "metricNamespace": "N", "metricValue": "$.k"}])
        logs.put_subscription_filter(logGroupName="/kept", filterName="sf", filterPattern="",
                                     destinationArn=f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:f")
        logs.put_resource_policy(policyName="p", policyDocument='{"Version":"2012-10-17","Statement":[]}')
        logs.put_data_protection_policy(logGroupIdentifier="/kept", policyDocument=json.dumps(DATA_PROTECTION))

    def snapshot(url):
        logs = make_client(url, "logs")
        out = {"groups": logs.describe_log_groups()["logGroups"],
               "streams": logs.describe_log_streams(logGroupName="/kept")["logStreams"],
               "tags": logs.list_tags_log_group(logGroupName="/kept")["tags"],
               "mf": logs.describe_metric_filters(logGroupName="/kept")["metricFilters"],
               "sf": logs.describe_subscription_filters(logGroupName="/kept")["subscriptionFilters"],
               "policies": logs.describe_resource_policies()["resourcePolicies"],
               "dp": logs.get_data_protection_policy(logGroupIdentifier="/kept")["policyDocument"]}
        for s in ("s1", "s2"):
            out[s] = logs.get_log_events(logGroupName="/kept", logStreamName=s, startFromHead=True)["events"]
        out["filtered"] = logs.filter_log_events(logGroupName="/kept", filterPattern="line7")["events"]
        return out

    second, before = run_contract(server_factory, tmp_path, scenario, snapshot, sig=sig)
    assert len(before["s1"]) == 150 and len(before["filtered"]) == 3
    assert [g["logGroupName"] for g in before["groups"]] == ["/kept"]
    logs = make_client(second.url, "logs")
    logs.put_log_events(logGroupName="/kept", logStreamName="s1", logEvents=[{"timestamp": t + 100, "message": "after"}])
    assert len(logs.get_log_events(logGroupName="/kept", logStreamName="s1")["events"]) == 151


def test_insights_queries(logs):
    g = make_group(logs)
    t = now_ms()
    logs.put_log_events(logGroupName=g, logStreamName="s", logEvents=[
        {"timestamp": t + i, "message": json.dumps({"level": lvl, "ms": ms})}
        for i, (lvl, ms) in enumerate([("ERROR", 100), ("INFO", 5), ("ERROR", 300)])])
    qid = logs.start_query(logGroupName=g, startTime=t // 1000 - 60, endTime=t // 1000 + 60,
                           queryString="filter level = 'ERROR' | stats count(*) as n, avg(ms) as a by level")["queryId"]
    r = logs.get_query_results(queryId=qid)
    assert r["status"] == "Complete"
    assert r["results"] == [[{"field": "level", "value": "ERROR"}, {"field": "n", "value": "2"}, {"field": "a", "value": "200"}]]
    assert r["statistics"]["recordsScanned"] == 3 and r["statistics"]["recordsMatched"] == 2
    rows = logs.get_query_results(queryId=logs.start_query(
        logGroupName=g, startTime=t // 1000 - 60, endTime=t // 1000 + 60,
        queryString="fields @timestamp, @message, ms | sort ms desc | limit 2")["queryId"])["results"]
    assert [next(f["value"] for f in row if f["field"] == "ms") for row in rows] == ["300", "100"]
    assert any(f["field"] == "@ptr" for f in rows[0])
    q = logs.describe_queries(logGroupName=g)["queries"]
    assert len(q) == 2 and q[0]["status"] == "Complete" and q[0]["queryString"].startswith(f'SOURCE "{g}" START=')
    with pytest.raises(ClientError) as e:
        logs.start_query(logGroupName=g + "-missing", startTime=0, endTime=1, queryString="fields @message")
    assert err(e)[1] == "ResourceNotFoundException" and "does not exist for account ID" in err(e)[2]
    with pytest.raises(ClientError) as e:
        logs.start_query(logGroupName=g, startTime=0, endTime=1, queryString="nonsense here")
    assert err(e)[1] == "MalformedQueryException"


def test_export_task_writes_gzip_objects_through_the_bucket_policy(client, logs):
    import gzip
    s3 = client("s3")
    g = make_group(logs, streams=("a", "b"))
    t = now_ms()
    logs.put_log_events(logGroupName=g, logStreamName="a", logEvents=[{"timestamp": t, "message": "first"},
                                                                      {"timestamp": t + 1, "message": "second"}])
    logs.put_log_events(logGroupName=g, logStreamName="b", logEvents=[{"timestamp": t + 2, "message": "third"}])
    bucket = unique_name("exp").lower()
    s3.create_bucket(Bucket=bucket)
    # Without a bucket policy the Logs service principal may not even read the ACL.
    with pytest.raises(ClientError) as e:
        logs.create_export_task(logGroupName=g, fromTime=t - 1000, to=t + 1000, destination=bucket)
    assert err(e)[1] == "InvalidParameterException" and "GetBucketAcl" in err(e)[2]
    with pytest.raises(ClientError) as e:
        logs.create_export_task(logGroupName=g, fromTime=t - 1000, to=t + 1000, destination=bucket + "-missing")
    assert err(e) == (400, "InvalidParameterException", "The given bucket does not exist. Please make sure the bucket is valid.")
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": f"logs.{REGION}.amazonaws.com"}, "Action": "s3:GetBucketAcl",
         "Resource": f"arn:aws:s3:::{bucket}"},
        {"Effect": "Allow", "Principal": {"Service": f"logs.{REGION}.amazonaws.com"}, "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    task = logs.create_export_task(taskName="x", logGroupName=g, fromTime=t - 1000, to=t + 1000, destination=bucket,
                                   destinationPrefix="out")["taskId"]
    d = logs.describe_export_tasks(taskId=task)["exportTasks"][0]
    assert d["status"]["code"] == "COMPLETED" and d["destinationPrefix"] == "out"
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == [f"out/{task}/a/000000.gz", f"out/{task}/b/000000.gz"]
    body = gzip.decompress(s3.get_object(Bucket=bucket, Key=keys[0])["Body"].read()).decode()
    lines = body.splitlines()
    assert [l.split(" ", 1)[1] for l in lines] == ["first", "second"] and lines[0].endswith("Z first")
    assert logs.describe_export_tasks(taskId="nope")["exportTasks"] == []
    with pytest.raises(ClientError) as e:
        logs.cancel_export_task(taskId="nope")
    assert err(e) == (400, "ResourceNotFoundException", "The specified export task does not exist.")


def test_iam_policies_scope_log_groups_and_streams(server, client, logs):
    iam = client("iam")
    name = unique_name("logsu")
    iam.create_user(UserName=name)
    allowed = unique_name("/team/a")
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": [f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{allowed}",
                      f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{allowed}:log-stream:*"]},
        {"Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    user = make_client(server.url, "logs", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    user.create_log_group(logGroupName=allowed)
    user.create_log_stream(logGroupName=allowed, logStreamName="s")
    user.put_log_events(logGroupName=allowed, logStreamName="s", logEvents=[{"timestamp": now_ms(), "message": "hi"}])
    assert user.describe_log_groups(logGroupNamePrefix=allowed)["logGroups"][0]["logGroupName"] == allowed
    with pytest.raises(ClientError) as e:
        user.create_log_group(logGroupName=allowed + "-other")
    assert err(e)[1] == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        user.get_log_events(logGroupName=allowed, logStreamName="s")
    assert err(e)[1] == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        user.delete_log_group(logGroupName=allowed)
    assert err(e)[1] == "AccessDeniedException"


DATA_PROTECTION = {
    "Name": "data-protection", "Version": "2021-06-01",
    "Statement": [
        {"Sid": "audit", "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],
         "Operation": {"Audit": {"FindingsDestination": {}}}},
        {"Sid": "redact", "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],
         "Operation": {"Deidentify": {"MaskConfig": {}}}},
    ],
}


def test_data_protection_policy_is_stored(logs):
    name = "/dp/" + unique_name("g")
    logs.create_log_group(logGroupName=name)
    doc = json.dumps(DATA_PROTECTION)
    out = logs.put_data_protection_policy(logGroupIdentifier=name, policyDocument=doc)
    assert out["logGroupIdentifier"] == name and out["policyDocument"] == doc and out["lastUpdatedTime"] > 0
    got = logs.get_data_protection_policy(logGroupIdentifier=name)
    assert got["policyDocument"] == doc
    group = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]
    assert group["dataProtectionStatus"] == "ACTIVATED"
    for bad in ("not json", json.dumps({"Name": "x", "Version": "2012-10-17", "Statement": []}),
                json.dumps({**DATA_PROTECTION, "Statement": [{"DataIdentifier": [], "Operation": {"Audit": {}}}]})):
        with pytest.raises(ClientError) as e:
            logs.put_data_protection_policy(logGroupIdentifier=name, policyDocument=bad)
        assert e.value.response["Error"]["Code"] == "InvalidParameterException"
    assert logs.get_data_protection_policy(logGroupIdentifier=name)["policyDocument"] == doc  # untouched
    logs.delete_data_protection_policy(logGroupIdentifier=name)
    assert "policyDocument" not in logs.get_data_protection_policy(logGroupIdentifier=name)
    assert "dataProtectionStatus" not in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]
    with pytest.raises(ClientError) as e:
        logs.delete_data_protection_policy(logGroupIdentifier=name)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        logs.get_data_protection_policy(logGroupIdentifier=name + "-missing")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
