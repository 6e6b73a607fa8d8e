"""A scripted boto3 session against a Cairn endpoint.

Usage: python3 boto3_session.py WORKDIR (endpoint and keys in AWS_ENDPOINT_URL,
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY). Prints one line per step, "PASS <step>" or
"FAIL <step>: <reason>", and exits non-zero if any step failed.
"""
import datetime
import hashlib
import os
import random
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

# Plain urllib requests (presigned URLs) trust what boto3 trusts: the CA bundle of an https:// endpoint.
TLS = ssl.create_default_context(cafile=os.environ["AWS_CA_BUNDLE"]) if os.environ.get("AWS_CA_BUNDLE") else None


def urlopen(request):
    return urllib.request.urlopen(request, context=TLS)

ENDPOINT = os.environ["AWS_ENDPOINT_URL"]
WORK = sys.argv[1]
BUCKET = "boto3-compat"
KEYS = ["plain", "a b", "a+b", "pct%20x", "tilde~x", "eq=x", "uni-\u00e9\u4e2d\u6587", "dir/sub/x", "dir/y",
        "q?x", "amp&x", "hash#x", "semi;x", "quote'x", "star*x", "paren(x)", "comma,x", "colon:x", "at@x",
        "dollar$x", "back\\x", "sp  two", "emoji-\U0001F600"]

seed = int(os.environ.get("COMPAT_SEED", "20261125"))
rng = random.Random(seed)
print("seed", seed, "(re-run with COMPAT_SEED=%d)" % seed)


def client(**kwargs):
    config = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}, **kwargs)
    return boto3.client("s3", endpoint_url=ENDPOINT, region_name="us-east-1", config=config)


s3 = client()
failures = []


def step(name):
    def run(fn):
        try:
            fn()
            print("PASS", name, flush=True)
        except Exception as e:  # report every step, then fail at the end
            print("FAIL %s: %r" % (name, e), flush=True)
            failures.append(name)
        return fn
    return run


def error_code(fn):
    try:
        fn()
    except ClientError as e:
        return e.response["Error"]["Code"]
    raise AssertionError("expected an error")


def all_keys(paginator_name, **kwargs):
    keys, prefixes = [], []
    for page in s3.get_paginator(paginator_name).paginate(Bucket=BUCKET, **kwargs):
        keys += [o["Key"] for o in page.get("Contents", [])]
        prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        if paginator_name == "list_objects_v2":
            assert page["KeyCount"] == len(page.get("Contents", [])) + len(page.get("CommonPrefixes", [])), page
    return keys, prefixes


@step("bucket create, head, location, list")
def _():
    s3.create_bucket(Bucket=BUCKET)
    s3.head_bucket(Bucket=BUCKET)
    assert s3.get_bucket_location(Bucket=BUCKET)["LocationConstraint"] in (None, "us-east-1")
    listing = s3.list_buckets()
    assert BUCKET in [b["Name"] for b in listing["Buckets"]], listing
    assert listing["Owner"]["ID"], listing
    assert error_code(lambda: s3.head_bucket(Bucket="no-such-bucket-compat")) == "404"
    assert error_code(lambda: s3.create_bucket(Bucket="Bad_Name")) == "InvalidBucketName"


@step("put and get special keys with metadata")
def _():
    for k in KEYS:
        s3.put_object(Bucket=BUCKET, Key=k, Body=k.encode(), Metadata={"origin": "boto3", "Mixed-Case": "V"})
    for k in KEYS:
        got = s3.get_object(Bucket=BUCKET, Key=k)
        assert got["Body"].read() == k.encode(), k
        assert got["Metadata"] == {"origin": "boto3", "mixed-case": "V"}, got["Metadata"]
        assert got["ETag"] == '"%s"' % hashlib.md5(k.encode()).hexdigest(), got["ETag"]
        assert got["ContentType"] == "binary/octet-stream", got["ContentType"]


@step("head object and missing keys")
def _():
    head = s3.head_object(Bucket=BUCKET, Key="plain")
    assert head["ContentLength"] == 5 and head["LastModified"].year >= 2024, head
    assert error_code(lambda: s3.head_object(Bucket=BUCKET, Key="missing")) == "404"
    assert error_code(lambda: s3.get_object(Bucket=BUCKET, Key="missing")) == "NoSuchKey"
    assert error_code(lambda: s3.get_object(Bucket="no-such-bucket-compat", Key="k")) == "NoSuchBucket"


@step("list v2 and v1 with paging and delimiter")
def _():
    for name in ("list_objects_v2", "list_objects"):
        keys, _ = all_keys(name, PaginationConfig={"PageSize": 4})
        assert sorted(keys) == sorted(KEYS), (name, keys)
        keys, prefixes = all_keys(name, Delimiter="/", PaginationConfig={"PageSize": 3})
        assert prefixes == ["dir/"], (name, prefixes)
        assert sorted(keys) == sorted(k for k in KEYS if not k.startswith("dir/")), (name, keys)
    page = s3.list_objects_v2(Bucket=BUCKET, Prefix="dir/", Delimiter="/")
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["dir/sub/"], page
    assert [o["Key"] for o in page["Contents"]] == ["dir/y"], page
    raw = s3.list_objects_v2(Bucket=BUCKET, EncodingType="url", Prefix="a")
    assert sorted(urllib.parse.unquote_plus(o["Key"]) for o in raw["Contents"]) == ["a b", "a+b", "amp&x", "at@x"], raw


@step("ranges and conditional gets")
def _():
    s3.put_object(Bucket=BUCKET, Key="digits", Body=b"0123456789")
    assert s3.get_object(Bucket=BUCKET, Key="digits", Range="bytes=2-4")["Body"].read() == b"234"
    assert s3.get_object(Bucket=BUCKET, Key="digits", Range="bytes=-3")["Body"].read() == b"789"
    assert s3.get_object(Bucket=BUCKET, Key="digits", Range="bytes=7-")["Body"].read() == b"789"
    assert error_code(lambda: s3.get_object(Bucket=BUCKET, Key="digits", Range="bytes=20-30")) == "InvalidRange"
    etag = s3.head_object(Bucket=BUCKET, Key="digits")["ETag"]
    assert error_code(lambda: s3.get_object(Bucket=BUCKET, Key="digits", IfNoneMatch=etag)) == "304"
    assert error_code(lambda: s3.get_object(Bucket=BUCKET, Key="digits", IfMatch='"0000"')) == "PreconditionFailed"
    s3.get_object(Bucket=BUCKET, Key="digits", IfMatch=etag)
    s3.get_object(Bucket=BUCKET, Key="digits", IfModifiedSince=datetime.datetime(2000, 1, 1))
    future = datetime.datetime(2100, 1, 1)
    assert error_code(lambda: s3.get_object(Bucket=BUCKET, Key="digits", IfModifiedSince=future)) == "304"


@step("multipart upload_file and download_file")
def _():
    data = rng.randbytes(12 * 1024 * 1024 + 321)
    src = os.path.join(WORK, "big.bin")
    dst = os.path.join(WORK, "big.out")
    with open(src, "wb") as f:
        f.write(data)
    transfer = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
    s3.upload_file(src, BUCKET, "big.bin", Config=transfer)
    s3.download_file(BUCKET, "big.bin", dst, Config=transfer)
    with open(dst, "rb") as f:
        assert f.read() == data
    etag = s3.head_object(Bucket=BUCKET, Key="big.bin")["ETag"]
    assert etag.endswith('-3"'), etag
    # Each part by its number: its bytes, the whole object's ETag, the parts' count; none past the last.
    sizes = [5 * 1024 * 1024, 5 * 1024 * 1024, 2 * 1024 * 1024 + 321]
    offset = 0
    for n, size in enumerate(sizes, start=1):
        head = s3.head_object(Bucket=BUCKET, Key="big.bin", PartNumber=n)
        assert head["PartsCount"] == 3 and head["ContentLength"] == size and head["ETag"] == etag, head
        part = s3.get_object(Bucket=BUCKET, Key="big.bin", PartNumber=n)
        assert part["ResponseMetadata"]["HTTPStatusCode"] == 206 and part["PartsCount"] == 3, part
        assert part["Body"].read() == data[offset:offset + size], n
        offset += size
    assert error_code(lambda: s3.get_object(Bucket=BUCKET, Key="big.bin", PartNumber=4)) == "InvalidPart"
    attributes = s3.get_object_attributes(Bucket=BUCKET, Key="big.bin", ObjectAttributes=["ObjectParts"])
    assert [(p["PartNumber"], p["Size"]) for p in attributes["ObjectParts"]["Parts"]] == [(1, sizes[0]), (2, sizes[1]), (3, sizes[2])], attributes


@step("copy_object with COPY and REPLACE metadata")
def _():
    s3.copy_object(Bucket=BUCKET, Key="copy of a+b", CopySource={"Bucket": BUCKET, "Key": "a+b"})
    copied = s3.get_object(Bucket=BUCKET, Key="copy of a+b")
    assert copied["Body"].read() == b"a+b" and copied["Metadata"]["origin"] == "boto3"
    s3.copy_object(Bucket=BUCKET, Key="replaced", CopySource={"Bucket": BUCKET, "Key": KEYS[6]},
                   MetadataDirective="REPLACE", Metadata={"x": "y"}, ContentType="text/plain")
    head = s3.head_object(Bucket=BUCKET, Key="replaced")
    assert head["Metadata"] == {"x": "y"} and head["ContentType"] == "text/plain", head


@step("presigned urls (SigV2 default and SigV4) with urllib")
def _():
    for signer in (s3, client(signature_version="s3v4")):
        for k in ("a b", KEYS[6], "a+b"):
            url = signer.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": k}, ExpiresIn=300)
            assert urlopen(url).read() == k.encode(), url
        url = signer.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": "presigned put"},
                                            ExpiresIn=300)
        request = urllib.request.Request(url, data=b"via url", method="PUT", headers={"Content-Type": ""})
        urlopen(request).read()
        assert s3.get_object(Bucket=BUCKET, Key="presigned put")["Body"].read() == b"via url"
        url = signer.generate_presigned_url("get_object", ExpiresIn=300, Params={
            "Bucket": BUCKET, "Key": "plain", "ResponseContentDisposition": 'attachment; filename="x y.txt"'})
        assert urlopen(url).headers["Content-Disposition"] == 'attachment; filename="x y.txt"'
    bad = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "plain"}, ExpiresIn=300)
    bad = bad.replace("Signature=", "Signature=AAAA")
    try:
        urlopen(bad)
        raise AssertionError("a tampered presigned url was accepted")
    except urllib.error.HTTPError as e:
        assert e.code == 403 and b"SignatureDoesNotMatch" in e.read(), e


def multipart_form(fields, filename, data):
    """A browser's multipart/form-data body: the fields, then the file."""
    boundary = "----cairnForm%d" % rng.randrange(10 ** 12)
    out = bytearray()
    for name, value in fields.items():
        out += ('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n' % (boundary, name)).encode()
        out += value.encode() + b"\r\n"
    out += ('--%s\r\nContent-Disposition: form-data; name="file"; filename="%s"\r\n'
            'Content-Type: application/octet-stream\r\n\r\n' % (boundary, filename)).encode()
    out += data + ("\r\n--%s--\r\n" % boundary).encode()
    return bytes(out), "multipart/form-data; boundary=" + boundary


@step("presigned POST (browser form upload) signed with SigV4 and SigV2, and its length range")
def _():
    data = bytes(rng.getrandbits(8) for _ in range(150000))
    for name, signer in (("v4", client(signature_version="s3v4")), ("v2", client(signature_version="s3"))):
        post = signer.generate_presigned_post(
            BUCKET, "form/${filename}", Fields={"Content-Type": "text/csv", "x-amz-meta-via": "form"},
            Conditions=[["starts-with", "$key", "form/"], {"Content-Type": "text/csv"}, {"x-amz-meta-via": "form"},
                        ["content-length-range", 1, 200000]], ExpiresIn=300)
        body, ctype = multipart_form(post["fields"], "data %s.csv" % name, data)
        response = urlopen(urllib.request.Request(post["url"], data=body, method="POST", headers={"Content-Type": ctype}))
        assert response.status == 204, response.status
        got = s3.get_object(Bucket=BUCKET, Key="form/data %s.csv" % name)
        assert got["Body"].read() == data, name
        assert got["ContentType"] == "text/csv" and got["Metadata"] == {"via": "form"}, got
        assert response.headers["ETag"] == got["ETag"], (response.headers["ETag"], got["ETag"])
        body, ctype = multipart_form(post["fields"], "too big %s.csv" % name, data + data)
        try:
            urlopen(urllib.request.Request(post["url"], data=body, method="POST", headers={"Content-Type": ctype}))
            raise AssertionError("a file past the policy's content-length-range was accepted")
        except urllib.error.HTTPError as e:
            assert e.code == 400 and b"EntityTooLarge" in e.read(), e
        assert error_code(lambda: s3.head_object(Bucket=BUCKET, Key="form/too big %s.csv" % name)) == "404"


@step("get_object_attributes")
def _():
    head = s3.head_object(Bucket=BUCKET, Key="plain")
    got = s3.get_object_attributes(Bucket=BUCKET, Key="plain", ObjectAttributes=["ETag", "ObjectSize", "StorageClass"])
    assert got["ETag"] == head["ETag"].strip('"') and got["ObjectSize"] == head["ContentLength"], (got, head)
    assert got["StorageClass"] == "STANDARD" and got["LastModified"] == head["LastModified"], got


@step("checksums: kept with a PUT and a multipart upload, given back, a wrong one refused")
def _():
    import base64
    body = b"checksummed by boto3"
    sha = base64.b64encode(hashlib.sha256(body).digest()).decode()
    put = s3.put_object(Bucket=BUCKET, Key="summed", Body=body, ChecksumAlgorithm="SHA256")
    assert put["ChecksumSHA256"] == sha, put
    assert s3.head_object(Bucket=BUCKET, Key="summed", ChecksumMode="ENABLED")["ChecksumSHA256"] == sha
    got = s3.get_object(Bucket=BUCKET, Key="summed", ChecksumMode="ENABLED")
    assert got["Body"].read() == body and got["ChecksumSHA256"] == sha, got
    bad = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    assert error_code(lambda: s3.put_object(Bucket=BUCKET, Key="summed", Body=b"changed", ChecksumSHA256=bad)) == "BadDigest"
    assert s3.get_object(Bucket=BUCKET, Key="summed")["Body"].read() == body
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key="summed-parts", ChecksumAlgorithm="SHA256")
    assert upload["ChecksumAlgorithm"] == "SHA256", upload
    parts, digests = [], b""
    for n, part in enumerate([rng.randbytes(5 * 1024 * 1024), rng.randbytes(1000)], start=1):
        r = s3.upload_part(Bucket=BUCKET, Key="summed-parts", UploadId=upload["UploadId"], PartNumber=n, Body=part,
                           ChecksumAlgorithm="SHA256")
        digest = hashlib.sha256(part).digest()
        assert r["ChecksumSHA256"] == base64.b64encode(digest).decode(), r
        digests += digest
        parts.append({"PartNumber": n, "ETag": r["ETag"], "ChecksumSHA256": r["ChecksumSHA256"]})
    done = s3.complete_multipart_upload(Bucket=BUCKET, Key="summed-parts", UploadId=upload["UploadId"],
                                        MultipartUpload={"Parts": parts})
    composite = base64.b64encode(hashlib.sha256(digests).digest()).decode() + "-2"
    assert done["ChecksumSHA256"] == composite, done
    assert s3.head_object(Bucket=BUCKET, Key="summed-parts", ChecksumMode="ENABLED")["ChecksumSHA256"] == composite


@step("conditional put with If-None-Match")
def _():
    # Sent as a raw header: older botocore releases do not know the IfNoneMatch parameter.
    conditional = client()
    conditional.meta.events.register(
        "before-sign.s3.PutObject", lambda request, **_: request.headers.__setitem__("If-None-Match", "*"))
    conditional.put_object(Bucket=BUCKET, Key="once", Body=b"1")
    assert error_code(lambda: conditional.put_object(Bucket=BUCKET, Key="once", Body=b"2")) == "PreconditionFailed"
    assert s3.get_object(Bucket=BUCKET, Key="once")["Body"].read() == b"1"


@step("empty object")
def _():
    s3.put_object(Bucket=BUCKET, Key="empty", Body=b"")
    assert s3.get_object(Bucket=BUCKET, Key="empty")["Body"].read() == b""
    assert s3.head_object(Bucket=BUCKET, Key="empty")["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'


@step("wrong secret is SignatureDoesNotMatch, unknown key InvalidAccessKeyId")
def _():
    wrong = boto3.client("s3", endpoint_url=ENDPOINT, region_name="us-east-1",
                         aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"], aws_secret_access_key="x" * 40)
    assert error_code(wrong.list_buckets) == "SignatureDoesNotMatch"
    unknown = boto3.client("s3", endpoint_url=ENDPOINT, region_name="us-east-1",
                           aws_access_key_id="AKNOTAKEY0000000", aws_secret_access_key="x" * 40)
    assert error_code(unknown.list_buckets) == "InvalidAccessKeyId"


@step("a SigV2 client (signature_version s3): bucket, metadata beyond ASCII, object")
def _():
    v2 = client(signature_version="s3")
    v4 = client()
    name = BUCKET + "-v2"
    v2.create_bucket(Bucket=name)  # botocore signs it as /bucket/
    # A header beyond ASCII, set as s3-tests sets it (botocore's Metadata takes ASCII only): botocore
    # sends its UTF-8 bytes and signs its text, with either signature.
    def note(**kwargs):
        kwargs["params"]["headers"]["x-amz-meta-note"] = "caf\u00e9 \u65e5\u672c"
    for c in (v2, v4):
        c.meta.events.register("before-call.s3.PutObject", note)
    v2.put_object(Bucket=name, Key="k2", Body=b"v2")
    v4.put_object(Bucket=name, Key="k4", Body=b"v4")
    assert v2.get_object(Bucket=name, Key="k2")["Body"].read() == b"v2"
    for key in ("k2", "k4"):
        raw = s3.head_object(Bucket=name, Key=key)["ResponseMetadata"]["HTTPHeaders"]["x-amz-meta-note"]
        assert raw.encode("latin-1").decode("utf-8") == "caf\u00e9 \u65e5\u672c", raw  # the bytes sent, given back
        v2.delete_object(Bucket=name, Key=key)
    v2.delete_bucket(Bucket=name)


@step("delete_objects, non-empty bucket, delete bucket")
def _():
    assert error_code(lambda: s3.delete_bucket(Bucket=BUCKET)) == "BucketNotEmpty"
    keys, _ = all_keys("list_objects_v2")
    result = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": k} for k in keys] + [{"Key": "never"}]})
    assert len(result["Deleted"]) == len(keys) + 1 and "Errors" not in result, result
    assert all_keys("list_objects_v2") == ([], [])
    s3.delete_bucket(Bucket=BUCKET)
    assert error_code(lambda: s3.delete_bucket(Bucket=BUCKET)) == "NoSuchBucket"


print("FAILED:", failures if failures else "none")
sys.exit(1 if failures else 0)
