"""Google Cloud Storage accounts (`provider: "gcs"`) with a service account's JSON key, against fake-gcs-server
behind the fake Google of google_fake.py (token endpoint and authorising front): the probe goes through the JWT
bearer grant, objects round-trip under the account's prefix with ranges, a refused token is fetched again, and a
bad, unknown or foreign key saves nothing."""

import hashlib
import json
import os
import uuid

import pytest
import requests

from google_fake import environment, key_file, make_bucket, rsa_key, running_google

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def google():
    with running_google() as server:
        yield server


@pytest.fixture(scope="module")
def bucket():
    return make_bucket()


def sign_in(suite):
    email = f"gcs-{uuid.uuid4().hex[:8]}@example.com"
    requests.post(f"{suite.gateway}/api/auth/register", json={"email": email, "password": PASSWORD, "name": "G"})
    token = requests.post(f"{suite.gateway}/api/auth/login", json={"email": email, "password": PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def account_request(google, bucket, key):
    return {"provider": "gcs", "name": "google", "endpoint": f"http://127.0.0.1:{google.server_port}",
            "bucket": bucket, "prefix": f"e2e-{uuid.uuid4().hex[:6]}", "service_account_key": json.dumps(key)}


def new_account(suite, google, bucket, headers, key=None):
    """A gcs account of the caller's, made with `key` (a new registered one by default)."""
    created = requests.post(f"{suite.gateway}/api/cloud/accounts",
                            json=account_request(google, bucket, key or key_file(google)), headers=headers)
    assert created.status_code == 201, created.text
    return created.json()


def test_a_gcs_account_stores_objects_with_its_service_account(suite, google, bucket):
    headers = sign_in(suite)
    key = key_file(google)
    grants = google.grants
    request = account_request(google, bucket, key)
    created = requests.post(f"{suite.gateway}/api/cloud/accounts", json=request, headers=headers)
    assert created.status_code == 201, created.text
    assert key["private_key"].splitlines()[1] not in created.text and "PRIVATE KEY" not in created.text
    account = created.json()
    assert account["provider"] == "gcs" and account["bucket"] == bucket and account["health"] == "healthy"
    assert google.grants > grants, "the probe went through the JWT bearer grant"

    data = os.urandom(5 * 1024 * 1024 + 7)
    digest = hashlib.sha256(data).hexdigest()
    url = f"{suite.gateway}/api/cloud/accounts/{account['id']}/objects/e2e/a-b_c.bin"
    put = requests.put(url, data=data, headers={**headers, "X-Content-SHA256": digest})
    assert put.status_code == 201, put.text
    assert put.json() == {"key": "e2e/a-b_c.bin", "size": len(data), "sha256": digest}
    # Stored under the account's prefix, with the name as given.
    emulator, _ = environment()
    listed = requests.get(f"{emulator}/storage/v1/b/{bucket}/o", params={"prefix": request["prefix"] + "/"}).json()
    assert [item["name"] for item in listed.get("items", [])] == [request["prefix"] + "/e2e/a-b_c.bin"]
    assert requests.get(url, headers=headers).content == data
    part = requests.get(url, headers={**headers, "Range": "bytes=1000-1999"})
    assert part.status_code == 206 and part.content == data[1000:2000]
    assert requests.head(url, headers=headers).headers["Content-Length"] == str(len(data))
    assert requests.delete(url, headers=headers).status_code == 204
    assert requests.get(url, headers=headers).status_code == 404


def test_a_body_that_does_not_match_its_hash_leaves_nothing(suite, google, bucket):
    headers = sign_in(suite)
    url = f"{suite.gateway}/api/cloud/accounts/{new_account(suite, google, bucket, headers)['id']}/objects/bad.bin"
    put = requests.put(url, data=b"x" * 1000, headers={**headers, "X-Content-SHA256": "0" * 64})
    assert put.status_code == 400, put.text
    assert requests.get(url, headers=headers).status_code == 404


def test_a_token_refused_mid_use_is_fetched_again(suite, google, bucket):
    headers = sign_in(suite)
    url = f"{suite.gateway}/api/cloud/accounts/{new_account(suite, google, bucket, headers)['id']}/objects/kept.bin"
    assert requests.put(url, data=b"kept", headers=headers).status_code == 201
    grants = google.grants
    google.revoke_all()
    assert requests.get(url, headers=headers).content == b"kept"
    assert google.grants == grants + 1


def test_a_key_naming_another_accounts_service_account_gets_none_of_its_tokens(suite, google, bucket):
    """An email and a key id are not secret: a key file that names someone else's, signed by another key, is refused
    even while a token of theirs is kept (tokens are kept per key file, not per name)."""
    owner = sign_in(suite)
    key = key_file(google)
    new_account(suite, google, bucket, owner, key)
    thief = sign_in(suite)
    forged = {**key_file(google, register=False, email=key["client_email"]), "private_key_id": key["private_key_id"]}
    refused = requests.post(f"{suite.gateway}/api/cloud/accounts", json=account_request(google, bucket, forged),
                            headers=thief)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "account_probe_failed", refused.text
    assert requests.get(f"{suite.gateway}/api/cloud/accounts", headers=thief).json()["items"] == []


def test_a_bucket_name_google_allows_is_taken(suite, google):
    name = f"strype_{uuid.uuid4().hex[:8]}"
    make_bucket(name)
    assert new_account(suite, google, name, sign_in(suite))["bucket"] == name


def test_a_missing_bucket_is_named(suite, google):
    headers = sign_in(suite)
    refused = requests.post(f"{suite.gateway}/api/cloud/accounts",
                            json=account_request(google, "no-such-bucket-here", key_file(google)), headers=headers)
    assert refused.status_code == 422 and refused.json()["error"]["message"] == "the bucket does not exist", refused.text


@pytest.mark.parametrize("case", ["not json", "not a service account", "no private key", "token uri with password",
                                  "unknown to google", "signed by another key"])
def test_a_bad_or_refused_key_is_refused_and_saves_nothing(suite, google, bucket, case):
    headers = sign_in(suite)
    key = key_file(google)
    text = json.dumps(key)
    expected = (400, "invalid_field")
    if case == "not json":
        text = "{" + text
    elif case == "not a service account":
        text = json.dumps({**key, "type": "authorized_user"})
    elif case == "no private key":
        text = json.dumps({**key, "private_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"})
    elif case == "token uri with password":
        text = json.dumps({**key, "token_uri": f"http://u:p@127.0.0.1:{google.server_port}/token"})
    elif case == "unknown to google":
        text = json.dumps(key_file(google, register=False))
        expected = (422, "account_probe_failed")
    elif case == "signed by another key":
        text = json.dumps(key_file(google, key=rsa_key(), register=False, email=key["client_email"]))
        expected = (422, "account_probe_failed")
    request = {**account_request(google, bucket, key), "service_account_key": text}
    refused = requests.post(f"{suite.gateway}/api/cloud/accounts", json=request, headers=headers)
    assert (refused.status_code, refused.json()["error"]["code"]) == expected, refused.text
    assert "PRIVATE KEY" not in refused.text
    assert requests.get(f"{suite.gateway}/api/cloud/accounts", headers=headers).json()["items"] == []


def test_a_token_endpoint_inside_the_network_is_not_called(suite, google, bucket):
    """A key file's `token_uri` is a URL the user chose: it goes through the endpoint policy as every provider
    call does, so it cannot reach a private address the operator did not allow."""
    headers = sign_in(suite)
    key = {**key_file(google), "token_uri": "http://127.0.0.1:1/token"}
    request = {**account_request(google, bucket, key), "service_account_key": json.dumps(key)}
    refused = requests.post(f"{suite.gateway}/api/cloud/accounts", json=request, headers=headers)
    assert refused.status_code in (400, 422), refused.text
    assert requests.get(f"{suite.gateway}/api/cloud/accounts", headers=headers).json()["items"] == []


def test_a_file_spread_over_gcs_accounts_reads_back_while_one_is_refused(suite, google, bucket):
    """Three gcs accounts are a user's only backends: a file at rs(2,1) puts a shard of every chunk on each, and
    reads back whole while Google refuses one account's service account (its tokens revoked, its key unknown)."""
    headers = sign_in(suite)
    accounts = []
    for _ in range(3):
        key = key_file(google)
        accounts.append((new_account(suite, google, bucket, headers, key)["id"], key))
    data = os.urandom(9 * 1024 * 1024)
    stored = requests.put(f"{suite.gateway}/api/filesystem/data", params={"path": "/gcs/spread.bin"}, data=data,
                          headers={**headers, "X-Durability": "rs(2,1)"})
    assert stored.status_code == 201, stored.text
    file_id = stored.json()["id"]
    chunks = requests.get(f"{suite.gateway}/api/filesystem/info/{file_id}/chunks", headers=headers).json()["items"]
    assert len(chunks) == 3
    for chunk in chunks:
        assert {(s["backend"], s["backend_id"]) for s in chunk["shards"]} == {("cloud", a) for a, _ in accounts}

    google.accounts.pop(accounts[0][1]["client_email"])
    google.revoke_all()
    got = requests.get(f"{suite.gateway}/api/filesystem/data/{file_id}", headers=headers)
    assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == hashlib.sha256(data).hexdigest()
    # The refusal is the account's failure: it shows as unhealthy, with Google's reason, once the account is used (a
    # read may not have needed its shards: any two of three serve it).
    requests.head(f"{suite.gateway}/api/cloud/accounts/{accounts[0][0]}/objects/probe.bin", headers=headers)
    refused = requests.get(f"{suite.gateway}/api/cloud/accounts/{accounts[0][0]}", headers=headers).json()
    assert refused["health"] == "unhealthy" and "invalid_grant" in refused["health_reason"], refused
