"""CloudWatch end to end: PutMetricData in every encoding clients send (boto3's rpcv2Cbor, the
AWS CLI, a raw awsQuery form, gzip, raw JSON and raw CBOR), GetMetricStatistics with
percentiles, GetMetricData with metric math, ListMetrics, AWS's validation errors; metric
alarms that go to ALARM on their own and notify SNS -> SQS with AWS's message, history,
SetAlarmState, tags; alarms pass the persistence contract (metric points are transient).
"""
from __future__ import annotations

import datetime as dt
import gzip
import json
import signal
import struct
import time
import urllib.parse

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION, make_client, run_aws_cli, signed_request, unique_name
from persistence_contract import run_contract


def err(excinfo):
    r = excinfo.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Code"), r["Error"].get("Message")


@pytest.fixture
def cw(client):
    return client("cloudwatch")


def now():
    return dt.datetime.now(dt.timezone.utc)


def stats(cw, ns, name, **kw):
    args = dict(Namespace=ns, MetricName=name, StartTime=now() - dt.timedelta(minutes=10),
                EndTime=now() + dt.timedelta(minutes=1), Period=60)
    args.update(kw)
    if "Statistics" not in args and "ExtendedStatistics" not in args:
        args["Statistics"] = ["Sum", "SampleCount"]
    return cw.get_metric_statistics(**args)["Datapoints"]


def total(points, key="Sum"):
    return sum(p[key] for p in points)


def test_put_metric_data_boto3_and_statistics(cw):
    ns = unique_name("App")
    cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "Latency", "Values": [10, 20, 30], "Counts": [1, 2, 1], "Unit": "Milliseconds",
         "Dimensions": [{"Name": "Api", "Value": "get"}]},
        {"MetricName": "Latency", "Value": 40, "Unit": "Milliseconds", "StorageResolution": 1,
         "Dimensions": [{"Name": "Api", "Value": "get"}]},
        {"MetricName": "Bytes", "StatisticValues": {"SampleCount": 4, "Sum": 100, "Minimum": 5, "Maximum": 50}},
    ])
    dims = [{"Name": "Api", "Value": "get"}]
    pts = stats(cw, ns, "Latency", Dimensions=dims, Statistics=["Sum", "SampleCount", "Maximum", "Minimum"])
    assert total(pts) == 120 and total(pts, "SampleCount") == 5
    assert all(p["Unit"] == "Milliseconds" for p in pts)
    ext = stats(cw, ns, "Latency", Dimensions=dims, ExtendedStatistics=["p50", "p99"])
    assert ext and all(set(p["ExtendedStatistics"]) == {"p50", "p99"} for p in ext)
    assert max(p["ExtendedStatistics"]["p99"] for p in ext) == 40
    b = stats(cw, ns, "Bytes", Statistics=["Average", "Maximum"])
    assert b and b[0]["Average"] == 25 and b[0]["Maximum"] == 50
    # Another unit or other dimensions are other data.
    assert stats(cw, ns, "Latency", Dimensions=dims, Unit="Seconds") == []
    assert stats(cw, ns, "Latency") == []


def test_put_metric_data_errors(cw):
    with pytest.raises(ClientError) as e:
        cw.put_metric_data(Namespace="A", MetricData=[{"MetricName": "m", "Value": 1, "Values": [1]}])
    assert err(e) == (400, "InvalidParameterCombination",
                      "The parameters MetricData.member.1.Value and MetricData.member.1.Values are mutually exclusive and you have specified both.")
    with pytest.raises(ClientError) as e:
        cw.put_metric_data(Namespace="A", MetricData=[{"MetricName": "m", "Values": [1, 2], "Counts": [1]}])
    assert err(e) == (400, "InvalidParameterValue",
                      "The parameters MetricData.member.1.Values and MetricData.member.1.Counts must be of the same size.")
    with pytest.raises(ClientError) as e:
        cw.put_metric_data(Namespace="A", MetricData=[{"MetricName": "m", "Value": 1,
                                                       "StatisticValues": {"SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1}}])
    assert err(e)[1] == "InvalidParameterCombination"
    with pytest.raises(ClientError) as e:
        cw.get_metric_statistics(Namespace="A", MetricName="m", StartTime=now(), EndTime=now() - dt.timedelta(hours=1),
                                 Period=60, Statistics=["Sum"])
    assert err(e) == (400, "InvalidParameterValue", "The parameter StartTime must be less than the parameter EndTime.")
    with pytest.raises(ClientError) as e:
        cw.get_metric_statistics(Namespace="A", MetricName="m", StartTime=now() - dt.timedelta(days=1), EndTime=now(),
                                 Period=1, Statistics=["Sum"])
    assert err(e) == (400, "InvalidParameterCombination",
                      "You have requested up to 86400 datapoints, which exceeds the limit of 1440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.")


def test_query_form_gzip_and_json_encodings(server, cw):
    ns = unique_name("Enc")
    form = urllib.parse.urlencode({
        "Action": "PutMetricData", "Version": "2010-08-01", "Namespace": ns,
        "MetricData.member.1.MetricName": "q", "MetricData.member.1.Value": "2",
    }).encode()
    r = signed_request("POST", server.url + "/", "monitoring", body=form,
                       headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    assert r.status_code == 200, r.text
    assert b"PutMetricDataResponse" in r.content
    r = signed_request("POST", server.url + "/", "monitoring", body=gzip.compress(form),
                       headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                                "Content-Encoding": "gzip"})
    assert r.status_code == 200, r.text
    body = json.dumps({"Namespace": ns, "MetricData": [{"MetricName": "q", "Value": 3}]}).encode()
    r = signed_request("POST", server.url + "/", "monitoring", body=body,
                       headers={"Content-Type": "application/x-amz-json-1.0",
                                "X-Amz-Target": "GraniteServiceVersion20100801.PutMetricData"})
    assert r.status_code == 200, r.text
    assert total(stats(cw, ns, "q")) == 7
    # A query-protocol error carries the awsQuery code.
    bad = urllib.parse.urlencode({"Action": "PutMetricData", "Version": "2010-08-01", "Namespace": ns,
                                  "MetricData.member.1.MetricName": "q", "MetricData.member.1.Value": "1",
                                  "MetricData.member.1.Values.member.1": "1"}).encode()
    r = signed_request("POST", server.url + "/", "monitoring", body=bad,
                       headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    assert r.status_code == 400 and b"<Code>InvalidParameterCombination</Code>" in r.content


def cbor(v) -> bytes:
    """A minimal CBOR encoder (maps, arrays, text, ints, floats) for the raw rpcv2Cbor request."""
    def head(major, n):
        if n < 24:
            return bytes([major << 5 | n])
        if n < 256:
            return bytes([major << 5 | 24, n])
        return bytes([major << 5 | 25]) + struct.pack(">H", n)
    if isinstance(v, dict):
        return head(5, len(v)) + b"".join(cbor(k) + cbor(x) for k, x in v.items())
    if isinstance(v, list):
        return head(4, len(v)) + b"".join(cbor(x) for x in v)
    if isinstance(v, str):
        b = v.encode()
        return head(3, len(b)) + b
    if isinstance(v, float):
        return b"\xfb" + struct.pack(">d", v)
    if isinstance(v, int):
        return head(0, v)
    raise TypeError(v)


def test_raw_rpcv2_cbor_request(server, cw):
    ns = unique_name("Cbor")
    body = cbor({"Namespace": ns, "MetricData": [{"MetricName": "c", "Value": 5.0}]})
    r = signed_request("POST", server.url + "/service/GraniteServiceVersion20100801/operation/PutMetricData",
                       "monitoring", body=body,
                       headers={"Content-Type": "application/cbor", "Accept": "application/cbor",
                                "smithy-protocol": "rpc-v2-cbor"})
    assert r.status_code == 200, r.content
    assert r.headers.get("smithy-protocol") == "rpc-v2-cbor"
    assert total(stats(cw, ns, "c")) == 5


def test_aws_cli_put_and_list(server, cw):
    ns = unique_name("Cli")
    r = run_aws_cli(server.url, "cloudwatch", "put-metric-data", "--namespace", ns, "--metric-name", "hits",
                    "--value", "4", "--dimensions", "Host=a")
    assert r.returncode == 0, r.stderr
    r = run_aws_cli(server.url, "cloudwatch", "list-metrics", "--namespace", ns)
    assert r.returncode == 0, r.stderr
    assert r.json["Metrics"] == [{"Namespace": ns, "MetricName": "hits", "Dimensions": [{"Name": "Host", "Value": "a"}]}]
    r = run_aws_cli(server.url, "cloudwatch", "put-metric-data", "--namespace", "AWS/EC2", "--metric-name", "x",
                    "--value", "1")
    assert r.returncode != 0 and "InvalidParameterValue" in r.stderr


def test_list_metrics_filters_and_paging(cw):
    ns = unique_name("List")
    cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": f"m{i}", "Value": 1, "Dimensions": [{"Name": "Q", "Value": str(i % 2)}]} for i in range(20)])
    assert len(cw.list_metrics(Namespace=ns)["Metrics"]) == 20
    assert len(cw.list_metrics(Namespace=ns, Dimensions=[{"Name": "Q", "Value": "1"}])["Metrics"]) == 10
    assert len(cw.list_metrics(Namespace=ns, Dimensions=[{"Name": "Q"}], RecentlyActive="PT3H")["Metrics"]) == 20
    assert cw.list_metrics(Namespace=ns, MetricName="m3")["Metrics"][0]["Dimensions"] == [{"Name": "Q", "Value": "1"}]
    assert len(list(cw.get_paginator("list_metrics").paginate(Namespace=ns))) == 1


def test_get_metric_data_with_math(cw):
    ns = unique_name("Math")
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "Errors", "Value": 3}, {"MetricName": "Requests", "Value": 12}])

    def q(i, name, stat="Sum"):
        return {"Id": i, "MetricStat": {"Metric": {"Namespace": ns, "MetricName": name}, "Period": 60, "Stat": stat},
                "ReturnData": False}
    out = cw.get_metric_data(
        StartTime=now() - dt.timedelta(minutes=5), EndTime=now() + dt.timedelta(minutes=1),
        MetricDataQueries=[q("e", "Errors"), q("r", "Requests"),
                           {"Id": "pct", "Expression": "100 * e / r", "Label": "ErrorRate"},
                           {"Id": "all", "Expression": "SUM(METRICS())"},
                           {"Id": "p", "MetricStat": {"Metric": {"Namespace": ns, "MetricName": "Requests"},
                                                      "Period": 60, "Stat": "p90"}}])
    res = {r["Id"]: r for r in out["MetricDataResults"]}
    assert set(res) == {"pct", "all", "p"}
    assert res["pct"]["Values"] == [25.0] and res["pct"]["Label"] == "ErrorRate" and res["pct"]["StatusCode"] == "Complete"
    # METRICS() is every MetricStat query of the request, p90 included: 3 + 12 + 12.
    assert res["all"]["Values"] == [27.0]
    assert res["p"]["Values"] == [12.0] and res["p"]["Label"] == "Requests"
    with pytest.raises(ClientError) as e:
        cw.get_metric_data(StartTime=now() - dt.timedelta(minutes=5), EndTime=now(),
                           MetricDataQueries=[{"Id": "x", "Expression": "nope * 2"}])
    assert err(e)[0] == 400


def alarm_args(name, ns, **kw):
    args = dict(AlarmName=name, Namespace=ns, MetricName="Depth", Statistic="Maximum", Period=10, EvaluationPeriods=1,
                Threshold=10, ComparisonOperator="GreaterThanThreshold", Dimensions=[{"Name": "Queue", "Value": "q"}])
    args.update(kw)
    return args


def test_alarm_fires_and_notifies_sns_to_sqs(cw, client):
    sns, sqs = client("sns"), client("sqs")
    topic = sns.create_topic(Name=unique_name("alarms"))["TopicArn"]
    url = sqs.create_queue(QueueName=unique_name("q"))["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": qarn,
        "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]})})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})
    ns, name = unique_name("Ops"), unique_name("depth")
    # The topic keeps AWS's default policy: an alarm of the same account may publish to it.
    cw.put_metric_alarm(**alarm_args(name, ns, AlarmActions=[topic], OKActions=[topic], AlarmDescription="too deep",
                                     Unit="Count"))
    a = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
    assert a["StateValue"] == "INSUFFICIENT_DATA" and a["StateReason"] == "Unchecked: Initial alarm creation"
    assert a["AlarmArn"] == f"arn:aws:cloudwatch:{REGION}:{ACCOUNT_ID}:alarm:{name}"
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "Depth", "Value": 11, "Unit": "Count",
                                                  "Dimensions": [{"Name": "Queue", "Value": "q"}]}])
    msgs = []
    deadline = time.time() + 30
    while not msgs and time.time() < deadline:
        msgs = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2).get("Messages", [])
    assert msgs, cw.describe_alarm_history(AlarmName=name)
    m = json.loads(msgs[0]["Body"])
    assert m["AlarmName"] == name and m["NewStateValue"] == "ALARM" and m["OldStateValue"] == "INSUFFICIENT_DATA"
    assert m["AWSAccountId"] == ACCOUNT_ID and m["Region"] == "US East (N. Virginia)" and m["AlarmDescription"] == "too deep"
    assert m["NewStateReason"].startswith("Threshold Crossed: 1 datapoint [11.0 (")
    assert m["NewStateReason"].endswith(")] was greater than the threshold (10.0).")
    assert m["Trigger"]["Statistic"] == "MAXIMUM" and m["Trigger"]["Dimensions"] == [{"name": "Queue", "value": "q"}]
    assert m["Trigger"]["Unit"] == "Count" and m["Trigger"]["Period"] == 10
    a = cw.describe_alarms(AlarmNames=[name], StateValue="ALARM")["MetricAlarms"][0]
    assert json.loads(a["StateReasonData"])["recentDatapoints"] == [11.0]
    hist = cw.describe_alarm_history(AlarmName=name)["AlarmHistoryItems"]
    kinds = {h["HistoryItemType"] for h in hist}
    assert {"ConfigurationUpdate", "StateUpdate", "Action"} <= kinds
    assert any(h["HistorySummary"] == "Alarm updated from INSUFFICIENT_DATA to ALARM" for h in hist)
    assert cw.describe_alarms_for_metric(Namespace=ns, MetricName="Depth",
                                         Dimensions=[{"Name": "Queue", "Value": "q"}])["MetricAlarms"][0]["AlarmName"] == name


def test_set_alarm_state_actions_and_tags(cw):
    ns, name = unique_name("Set"), unique_name("a")
    cw.put_metric_alarm(**alarm_args(name, ns, Tags=[{"Key": "team", "Value": "ops"}], TreatMissingData="ignore"))
    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="testing")
    a = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
    assert a["StateValue"] == "ALARM" and a["StateReason"] == "testing" and a["TreatMissingData"] == "ignore"
    with pytest.raises(ClientError) as e:
        cw.set_alarm_state(AlarmName=name + "x", StateValue="OK", StateReason="r")
    assert err(e)[:2] == (404, "ResourceNotFound")
    with pytest.raises(ClientError) as e:
        cw.set_alarm_state(AlarmName=name, StateValue="INVALID", StateReason="r")
    # AWS answers ValidationError here; the shared codec gives query-compatible services
    # (SQS's rule) InvalidParameterValue for model enum violations.
    assert err(e)[0] == 400 and "INVALID" in err(e)[2]
    cw.disable_alarm_actions(AlarmNames=[name])
    assert cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["ActionsEnabled"] is False
    cw.enable_alarm_actions(AlarmNames=[name])
    arn = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT_ID}:alarm:{name}"
    cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "tag1", "Value": "foo"}])
    cw.untag_resource(ResourceARN=arn, TagKeys=["team"])
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "tag1", "Value": "foo"}]
    assert len(cw.describe_alarms(AlarmNamePrefix=name)["MetricAlarms"]) == 1
    assert cw.describe_alarms(AlarmNames=[name], AlarmTypes=["CompositeAlarm"])["MetricAlarms"] == []
    cw.delete_alarms(AlarmNames=[name])
    assert cw.describe_alarms(AlarmNames=[name])["MetricAlarms"] == []
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == []


def test_composite_alarm(cw, client):
    sns, sqs = client("sns"), client("sqs")
    topic = sns.create_topic(Name=unique_name("comp"))["TopicArn"]
    url = sqs.create_queue(QueueName=unique_name("q"))["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": qarn}]})})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})
    ns = unique_name("Comp")
    a1, a2, comp = unique_name("one"), unique_name("two"), unique_name("comp")
    for n in (a1, a2):
        cw.put_metric_alarm(**alarm_args(n, ns, TreatMissingData="ignore"))
    arn1 = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT_ID}:alarm:{a1}"
    rule = f'ALARM("{arn1}") OR ALARM({a2})'
    cw.put_composite_alarm(AlarmName=comp, AlarmRule=rule, AlarmActions=[topic], AlarmDescription="either",
                           Tags=[{"Key": "k", "Value": "v"}])
    c = cw.describe_alarms(AlarmNames=[comp], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"][0]
    assert c["AlarmRule"] == rule and c["StateValue"] == "OK"
    assert cw.describe_alarms(AlarmNames=[comp])["CompositeAlarms"] == []
    cw.set_alarm_state(AlarmName=a1, StateValue="ALARM", StateReason="testing")
    c = cw.describe_alarms(AlarmNames=[comp], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"][0]
    assert c["StateValue"] == "ALARM"
    assert json.loads(c["StateReasonData"])["triggeringAlarms"][0]["arn"] == arn1
    msgs = []
    deadline = time.time() + 15
    while not msgs and time.time() < deadline:
        msgs = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2).get("Messages", [])
    assert msgs
    m = json.loads(msgs[0]["Body"])
    assert m["AlarmName"] == comp and m["NewStateValue"] == "ALARM" and m["AlarmRule"] == rule
    cw.set_alarm_state(AlarmName=a1, StateValue="OK", StateReason="back")
    assert cw.describe_alarms(AlarmNames=[comp], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"][0]["StateValue"] == "OK"
    parents = cw.describe_alarms(ParentsOfAlarmName=a2, AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
    assert [p["AlarmName"] for p in parents] == [comp]
    with pytest.raises(ClientError) as e:
        cw.put_composite_alarm(AlarmName=unique_name("bad"), AlarmRule="ALARM(x) XOR OK(y)")
    assert err(e)[:2] == (400, "InvalidParameterValue")
    cw.delete_alarms(AlarmNames=[comp, a1, a2])


def test_sqs_depth_alarm(cw, client):
    """SQS publishes its depth once a minute, as AWS does: an alarm on
    ApproximateNumberOfMessagesVisible > 10 goes to ALARM after 11 sends."""
    sqs = client("sqs")
    qname = unique_name("deep")
    url = sqs.create_queue(QueueName=qname)["QueueUrl"]
    for i in range(11):
        sqs.send_message(QueueUrl=url, MessageBody=str(i))
    name = unique_name("depth")
    cw.put_metric_alarm(AlarmName=name, Namespace="AWS/SQS", MetricName="ApproximateNumberOfMessagesVisible",
                        Dimensions=[{"Name": "QueueName", "Value": qname}], Statistic="Maximum", Period=60,
                        EvaluationPeriods=1, Threshold=10, ComparisonOperator="GreaterThanThreshold")
    deadline = time.time() + 90
    state = None
    while time.time() < deadline:
        state = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"]
        if state == "ALARM":
            break
        time.sleep(2)
    assert state == "ALARM"
    pts = stats(cw, "AWS/SQS", "ApproximateNumberOfMessagesVisible", Dimensions=[{"Name": "QueueName", "Value": qname}],
                Statistics=["Maximum"])
    assert max(p["Maximum"] for p in pts) == 11 and pts[0]["Unit"] == "Count"
    cw.delete_alarms(AlarmNames=[name])


def test_dashboards(cw):
    name = unique_name("board")
    body = json.dumps({"widgets": [{"type": "metric", "x": 0, "y": 0, "width": 6, "height": 6, "properties": {
        "metrics": [["AWS/EC2", "CPUUtilization", "InstanceId", "i-12345678"]], "region": REGION}}]})
    assert cw.put_dashboard(DashboardName=name, DashboardBody=body)["DashboardValidationMessages"] == []
    got = cw.get_dashboard(DashboardName=name)
    assert got["DashboardBody"] == body and got["DashboardArn"] == f"arn:aws:cloudwatch::{ACCOUNT_ID}:dashboard/{name}"
    entries = cw.list_dashboards(DashboardNamePrefix=name)["DashboardEntries"]
    assert [(e["DashboardName"], e["Size"]) for e in entries] == [(name, len(body))]
    assert cw.list_dashboards(DashboardNamePrefix=name + "zz")["DashboardEntries"] == []
    with pytest.raises(ClientError) as e:
        cw.put_dashboard(DashboardName="bad name!", DashboardBody=body)
    assert err(e) == (400, "InvalidParameterValue",
                      "The value for field DashboardName contains invalid characters. It can only contain alphanumerics, dash (-) and underscore (_).\n")
    with pytest.raises(ClientError) as e:
        cw.put_dashboard(DashboardName=name, DashboardBody="not json")
    assert err(e)[:2] == (400, "InvalidParameterInput")
    assert e.value.response["dashboardValidationMessages"][0]["Message"] == "The field DashboardBody must be a valid JSON object"
    with pytest.raises(ClientError) as e:
        cw.put_dashboard(DashboardName=name, DashboardBody=json.dumps({"widgets": [{"type": "nope", "properties": {}}]}))
    assert e.value.response["dashboardValidationMessages"][0]["DataPath"] == "/widgets/0/type"
    cw.delete_dashboards(DashboardNames=[name])
    with pytest.raises(ClientError) as e:
        cw.get_dashboard(DashboardName=name)
    assert err(e) == (404, "ResourceNotFound", f"Dashboard {name} does not exist")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_persistence_contract(server_factory, tmp_path, sig):
    def scenario(url):
        cw = make_client(url, "cloudwatch")
        # `ignore`: without data the evaluation loop keeps the state SetAlarmState gives it.
        cw.put_metric_alarm(**alarm_args("kept", "P", Tags=[{"Key": "a", "Value": "1"}], DatapointsToAlarm=1,
                                         EvaluationPeriods=2, Threshold=2.5, TreatMissingData="ignore"))
        cw.put_metric_alarm(AlarmName="math", EvaluationPeriods=1, Threshold=1, ComparisonOperator="LessThanThreshold",
                            Metrics=[{"Id": "m", "MetricStat": {"Metric": {"Namespace": "P", "MetricName": "x"}, "Period": 60,
                                                                "Stat": "Sum"}, "ReturnData": False},
                                     {"Id": "e", "Expression": "m * 2", "Label": "double"}])
        cw.put_metric_alarm(**alarm_args("gone", "P"))
        cw.delete_alarms(AlarmNames=["gone"])
        cw.set_alarm_state(AlarmName="kept", StateValue="OK", StateReason="set by test")
        cw.disable_alarm_actions(AlarmNames=["math"])
        cw.put_composite_alarm(AlarmName="comp", AlarmRule='ALARM("kept") AND NOT OK(math)',
                               Tags=[{"Key": "c", "Value": "2"}])
        cw.put_metric_stream(Name="stream", FirehoseArn=f"arn:aws:firehose:{REGION}:{ACCOUNT_ID}:deliverystream/d",
                             RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/r", OutputFormat="opentelemetry1.0",
                             ExcludeFilters=[{"Namespace": "AWS/SQS", "MetricNames": ["NumberOfMessagesSent"]}],
                             Tags=[{"Key": "s", "Value": "3"}])
        cw.stop_metric_streams(Names=["stream"])
        cw.put_dashboard(DashboardName="kept", DashboardBody='{"widgets": []}')
        cw.put_dashboard(DashboardName="gone", DashboardBody="{}")
        cw.delete_dashboards(DashboardNames=["gone"])

    def snapshot(url):
        cw = make_client(url, "cloudwatch")
        alarms = cw.describe_alarms()["MetricAlarms"]
        composites = cw.describe_alarms(AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
        out = {"alarms": alarms, "composites": composites,
               "tags comp": cw.list_tags_for_resource(ResourceARN=composites[0]["AlarmArn"])["Tags"], "dashboards": cw.list_dashboards()["DashboardEntries"],
               "board": cw.get_dashboard(DashboardName="kept")["DashboardBody"],
               "streams": cw.list_metric_streams()["Entries"], "stream": cw.get_metric_stream(Name="stream"),
               "tags stream": cw.list_tags_for_resource(
                   ResourceARN=f"arn:aws:cloudwatch:{REGION}:{ACCOUNT_ID}:metric-stream/stream")["Tags"]}
        for a in alarms:
            out["tags " + a["AlarmName"]] = cw.list_tags_for_resource(ResourceARN=a["AlarmArn"])["Tags"]
        return out

    second, before = run_contract(server_factory, tmp_path, scenario, snapshot, sig=sig)
    assert [a["AlarmName"] for a in before["alarms"]] == ["kept", "math"]
    assert before["alarms"][0]["StateValue"] == "OK" and before["alarms"][0]["Threshold"] == 2.5
    assert before["stream"]["State"] == "stopped" and before["tags stream"] == [{"Key": "s", "Value": "3"}]
