"""The boto3/botocore side of `make bench` (bench/run.lua runs it with
Debian's /usr/bin/python3, python3-boto3 and python3-botocore).  One
measurement per run, printed as one line of key=value pairs, as
bench/lua_bench.lua does:

  py_bench.py calls ENDPOINT N   N get_reference_metadata calls with boto3
  py_bench.py sign N             N SigV4Auth.add_auth on one request
  py_bench.py parse FILE N       the ListReferences answer in FILE parsed N
                                 times by botocore's rest-json parser

wall is elapsed seconds; cpu is the process's user + system seconds.
"""
import sys
import time

AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
PARAMS = {"referenceStoreId": "1234567890", "id": "9876543210"}


def timed(n, fn):
    w0, c0 = time.perf_counter(), time.process_time()
    fn(n)
    return time.perf_counter() - w0, time.process_time() - c0


def calls(endpoint, n):
    import boto3
    from botocore.config import Config
    # the endpoint is an IP literal: no "storage-" host prefix in front of it
    client = boto3.client("omics", region_name="us-east-1", endpoint_url=endpoint,
                          aws_access_key_id=AKID, aws_secret_access_key=SECRET,
                          config=Config(inject_host_prefix=False))
    client.get_reference_metadata(**PARAMS)

    def run(k):
        for _ in range(k):
            client.get_reference_metadata(**PARAMS)
    wall, cpu = timed(n, run)
    print(f"calls={n} wall={wall:.6f} cpu={cpu:.6f}")


def sign(n):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    auth = SigV4Auth(Credentials(AKID, SECRET), "omics", "us-east-1")
    request = AWSRequest(method="GET",
                         url="http://127.0.0.1:8080/referencestore/1234567890/reference/9876543210/metadata",
                         headers={"User-Agent": "lua-omics/0.1.0"})
    auth.add_auth(request)

    def run(k):
        for _ in range(k):
            auth.add_auth(request)
    wall, cpu = timed(n, run)
    print(f"signatures={n} wall={wall:.6f} cpu={cpu:.6f}")


def parse(path, n):
    import botocore.session
    from botocore import parsers
    with open(path, "rb") as f:
        body = f.read()
    operation = botocore.session.get_session().get_service_model("omics").operation_model("ListReferences")
    parser = parsers.create_parser("rest-json")
    response = {"status_code": 200, "headers": {"content-type": "application/json"}, "body": body}
    first = parser.parse(response, operation.output_shape)
    assert first["references"][0]["creationTime"].year > 2000, "timestamps are converted"

    def run(k):
        for _ in range(k):
            parser.parse(response, operation.output_shape)
    wall, cpu = timed(n, run)
    print(f"parses={n} bytes={len(body)} wall={wall:.6f} cpu={cpu:.6f}")


def main(argv):
    mode = argv[1] if len(argv) > 1 else ""
    if mode == "calls" and len(argv) == 4:
        calls(argv[2], int(argv[3]))
    elif mode == "sign" and len(argv) == 3:
        sign(int(argv[2]))
    elif mode == "parse" and len(argv) == 4:
        parse(argv[2], int(argv[3]))
    else:
        sys.stderr.write("usage: py_bench.py calls ENDPOINT N | sign N | parse FILE N\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
