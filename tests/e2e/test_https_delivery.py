"""HTTPS deliveries: SNS HTTPS subscriptions and EventBridge API destinations (and their OAuth
token endpoints) are called over TLS, with the certificate checked as AWS checks it: it must
chain to a trusted CA and name the host. A local CA is trusted through SIMFRA_TLS_CA_FILE; a
server without it refuses the same endpoint ("not trusted"), and a certificate for another name
is refused even with its CA trusted. A bad SIMFRA_TLS_CA_FILE stops the server at start.
"""
from __future__ import annotations

import datetime
import ipaddress
import json
import ssl

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import SimfraServer, SimfraStartError, find_simfra_bin, make_client, unique_name
from test_events_api_destinations import Capture, dlq, dlq_messages, put, rule_to
from test_sns import verify_signature


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_pki(tmp):
    """A CA, a leaf for localhost/127.0.0.1 and a leaf for another name, as PEM files."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("Simfra test CA")).issuer_name(_name("Simfra test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    paths = {"ca": tmp / "ca.pem"}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    for label, names in (("good", [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                         ("wrong", [x509.DNSName("other.example")])):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(_name(label)).issuer_name(ca.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.SubjectAlternativeName(names), critical=False)
                .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .sign(ca_key, hashes.SHA256()))
        pem = cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        paths[label] = tmp / f"{label}.pem"
        paths[label].write_bytes(pem)
    return paths


def tls_capture(cert_file):
    """A loopback HTTPS server recording requests (/token hands out OAuth tokens)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_file)
    return Capture(tls=ctx)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def trusting(pki):
    """A server that trusts the test CA."""
    s = SimfraServer.start(env={"SIMFRA_TLS_CA_FILE": str(pki["ca"])})
    yield s
    if s.stop() == 0:
        s.cleanup()


@pytest.fixture
def good(pki):
    c = tls_capture(pki["good"])
    yield c
    c.close()


@pytest.fixture
def wrong(pki):
    c = tls_capture(pki["wrong"])
    yield c
    c.close()


def test_sns_https_subscription_over_tls(trusting, good):
    sns = make_client(trusting.url, "sns")
    topic = sns.create_topic(Name=unique_name("t"))["TopicArn"]
    endpoint = f"https://localhost:{good.port}/hook"
    sns.subscribe(TopicArn=topic, Protocol="https", Endpoint=endpoint)
    conf = json.loads(good.wait(1)[0]["body"])
    assert conf["Type"] == "SubscriptionConfirmation"
    verify_signature(conf)
    assert requests.get(conf["SubscribeURL"], timeout=10).status_code == 200
    sns.publish(TopicArn=topic, Message="over tls")
    got = good.wait(2)
    note = json.loads(got[1]["body"])
    assert note["Type"] == "Notification" and note["Message"] == "over tls"
    assert got[1]["headers"]["x-amz-sns-message-type"] == "Notification"
    verify_signature(note)


def test_api_destination_and_oauth_over_tls(trusting, good):
    events = make_client(trusting.url, "events")
    conn = events.create_connection(
        Name=unique_name("c"), AuthorizationType="OAUTH_CLIENT_CREDENTIALS",
        AuthParameters={"OAuthParameters": {
            "ClientParameters": {"ClientID": "id", "ClientSecret": "secret"},
            "AuthorizationEndpoint": f"https://localhost:{good.port}/token", "HttpMethod": "POST"}})
    dest = events.create_api_destination(
        Name=unique_name("d"), ConnectionArn=conn["ConnectionArn"], HttpMethod="POST",
        InvocationEndpoint=f"https://127.0.0.1:{good.port}/hook/*")["ApiDestinationArn"]
    source = rule_to(events, dest, HttpParameters={"PathParameterValues": ["x"]})
    put(events, source, {"tls": True})
    got = good.wait(2)
    assert [r["path"] for r in got] == ["/token", "/hook/x"]
    assert got[1]["headers"]["authorization"] == "Bearer tok-1"
    assert json.loads(got[1]["body"])["detail"] == {"tls": True}


def _dlq_reason(url, good_or_wrong, endpoint):
    client = lambda svc: make_client(url, svc)
    events = client("events")
    conn = events.create_connection(
        Name=unique_name("c"), AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}})
    dest = events.create_api_destination(
        Name=unique_name("d"), ConnectionArn=conn["ConnectionArn"], HttpMethod="POST",
        InvocationEndpoint=endpoint)["ApiDestinationArn"]
    sqs, qurl, qarn = dlq(client)
    source = rule_to(events, dest, DeadLetterConfig={"Arn": qarn}, RetryPolicy={"MaximumRetryAttempts": 0})
    put(events, source, {})
    msgs = dlq_messages(sqs, qurl)
    assert len(msgs) == 1
    assert good_or_wrong.requests == []
    return msgs[0]["MessageAttributes"]["ERROR_MESSAGE"]["StringValue"]


def test_untrusted_certificate_is_refused(server, good):
    # The shared server does not trust the test CA: the endpoint is never called.
    reason = _dlq_reason(server.url, good, f"https://localhost:{good.port}/hook")
    assert "not trusted" in reason and "SIMFRA_TLS_CA_FILE" in reason, reason


def test_certificate_for_another_name_is_refused(trusting, wrong):
    reason = _dlq_reason(trusting.url, wrong, f"https://localhost:{wrong.port}/hook")
    assert "TLS handshake with localhost" in reason, reason


def test_bad_ca_file_stops_the_server(tmp_path):
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate\n")
    with pytest.raises(SimfraStartError) as e:
        SimfraServer.start(env={"SIMFRA_TLS_CA_FILE": str(bad)})
    assert "SIMFRA_TLS_CA_FILE" in str(e.value)
