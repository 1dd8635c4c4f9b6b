"""SNS platform applications and endpoints (stored; pushes captured in the inbox), SMS
attributes and the opt-out calls, with AWS's errors; they persist across a restart."""
from __future__ import annotations

import json
import signal

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import make_client, unique_name
from persistence_contract import run_contract
from test_sns import err


@pytest.fixture
def sns(client):
    return client("sns")


def test_platform_application_and_endpoints(sns, server):
    name = unique_name("app")
    app = sns.create_platform_application(Name=name, Platform="GCM",
                                          Attributes={"PlatformCredential": "server-key"})["PlatformApplicationArn"]
    assert app.endswith(f":app/GCM/{name}")
    assert sns.get_platform_application_attributes(PlatformApplicationArn=app)["Attributes"] == {"Enabled": "true"}
    sns.set_platform_application_attributes(PlatformApplicationArn=app, Attributes={"SuccessFeedbackSampleRate": "50"})
    assert sns.get_platform_application_attributes(PlatformApplicationArn=app)["Attributes"] == {
        "Enabled": "true", "SuccessFeedbackSampleRate": "50"}
    assert app in [a["PlatformApplicationArn"] for a in sns.list_platform_applications()["PlatformApplications"]]
    ep = sns.create_platform_endpoint(PlatformApplicationArn=app, Token="token_1", CustomUserData="foo")["EndpointArn"]
    assert f":endpoint/GCM/{name}/" in ep
    assert sns.create_platform_endpoint(PlatformApplicationArn=app, Token="token_1",
                                        CustomUserData="foo")["EndpointArn"] == ep
    with pytest.raises(ClientError) as e:
        sns.create_platform_endpoint(PlatformApplicationArn=app, Token="token_1", CustomUserData="bar")
    assert err(e) == (400, "InvalidParameter", f"Invalid parameter: Token Reason: Endpoint {ep} already exists with the same Token, but different attributes.")
    assert sns.get_endpoint_attributes(EndpointArn=ep)["Attributes"] == {
        "CustomUserData": "foo", "Enabled": "true", "Token": "token_1"}
    listed = sns.list_endpoints_by_platform_application(PlatformApplicationArn=app)["Endpoints"]
    assert [x["EndpointArn"] for x in listed] == [ep]
    # A push is captured in the inbox, the platform's own message chosen from a JSON structure.
    sns.publish(TargetArn=ep, MessageStructure="json",
                Message=json.dumps({"default": "d", "GCM": json.dumps({"notification": {"body": "hi"}})}))
    pushes = requests.get(f"{server.url}/_simfra/inbox", params={"type": "push"}, timeout=10).json()["messages"]
    assert any(m["to"] == "token_1" and json.loads(m["body"]) == {"notification": {"body": "hi"}} for m in pushes)
    sns.set_endpoint_attributes(EndpointArn=ep, Attributes={"Enabled": "false"})
    with pytest.raises(ClientError) as e:
        sns.publish(TargetArn=ep, Message="x")
    assert err(e) == (400, "EndpointDisabled", "Endpoint is disabled")
    with pytest.raises(ClientError) as e:
        sns.set_endpoint_attributes(EndpointArn=ep, Attributes={"PlatformPrincipal": "x"})
    assert err(e) == (400, "InvalidParameter", "Invalid parameter: Attributes Reason: Invalid attribute name: PlatformPrincipal")
    with pytest.raises(ClientError) as e:
        sns.create_platform_application(Name=name, Platform="AAA", Attributes={"PlatformCredential": "k"})
    assert err(e) == (400, "InvalidParameter", "Invalid parameter: Platform Reason: AAA is not supported")
    sns.delete_endpoint(EndpointArn=ep)
    with pytest.raises(ClientError) as e:
        sns.get_endpoint_attributes(EndpointArn=ep)
    assert err(e) == (404, "NotFound", "Endpoint does not exist")
    sns.delete_platform_application(PlatformApplicationArn=app)
    with pytest.raises(ClientError) as e:
        sns.list_endpoints_by_platform_application(PlatformApplicationArn=app)
    assert err(e) == (404, "NotFound", "PlatformApplication does not exist")


def test_sms_attributes_and_opt_out(sns):
    sns.set_sms_attributes(attributes={"DefaultSMSType": "Promotional", "DefaultSenderID": "LSTest"})
    got = sns.get_sms_attributes()["attributes"]
    assert got["DefaultSMSType"] == "Promotional" and got["MonthlySpendLimit"] == "1"
    assert sns.get_sms_attributes(attributes=["DefaultSenderID"])["attributes"] == {"DefaultSenderID": "LSTest"}
    for attrs, message in (({"InvalidAttribute": "x"}, "InvalidAttribute is not a valid attribute"),
                           ({"DefaultSMSType": "Other"}, "DefaultSMSType is invalid"),
                           ({"DefaultSenderID": "123"}, "DefaultSendID is not a valid attribute")):
        with pytest.raises(ClientError) as e:
            sns.set_sms_attributes(attributes=attrs)
        assert err(e) == (400, "InvalidParameter", message)
    assert sns.check_if_phone_number_is_opted_out(phoneNumber="+15551234567")["isOptedOut"] is False
    assert sns.list_phone_numbers_opted_out()["phoneNumbers"] == []
    sns.opt_in_phone_number(phoneNumber="+15551234567")
    with pytest.raises(ClientError) as e:
        sns.opt_in_phone_number(phoneNumber="not-a-number")
    assert err(e) == (400, "InvalidParameter", "Invalid parameter: PhoneNumber Reason: input incorrectly formatted")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_platform_persistence_contract(server_factory, tmp_path, sig):
    def scenario(url):
        sns = make_client(url, "sns")
        app = sns.create_platform_application(Name="kept", Platform="APNS", Attributes={
            "PlatformCredential": "private-key", "PlatformPrincipal": "cert"})["PlatformApplicationArn"]
        sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-1", CustomUserData="u")
        gone = sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-2")["EndpointArn"]
        sns.delete_endpoint(EndpointArn=gone)
        sns.set_sms_attributes(attributes={"DefaultSMSType": "Transactional"})

    def snapshot(url):
        sns = make_client(url, "sns")
        apps = sns.list_platform_applications()["PlatformApplications"]
        out = {"apps": apps, "sms": sns.get_sms_attributes()["attributes"]}
        for a in apps:
            out[a["PlatformApplicationArn"]] = sns.list_endpoints_by_platform_application(
                PlatformApplicationArn=a["PlatformApplicationArn"])["Endpoints"]
        return out

    _, before = run_contract(server_factory, tmp_path, scenario, snapshot, sig=sig)
    assert len(before["apps"]) == 1 and before["sms"]["DefaultSMSType"] == "Transactional"
    assert [e["Attributes"]["Token"] for e in before[before["apps"][0]["PlatformApplicationArn"]]] == ["device-1"]
