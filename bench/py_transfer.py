"""The boto3 side of `make bench-transfer` (bench/transfer.lua runs it with
Debian's /usr/bin/python3 and python3-boto3, the model being the committed
one through AWS_DATA_PATH): what amazon-omics-tools' TransferManager does by
default, the part calls of a read set on 10 threads.

  py_transfer.py download ENDPOINT STORE READSET DIR   every file, part by part
  py_transfer.py upload ENDPOINT STORE FILE1 [FILE2]   a multipart upload

Prints one line "bytes=N parts=N wall=S" (the caller measures CPU).
"""
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

THREADS = 10
PART = 16 * 1024 * 1024


def client(endpoint):
    return boto3.client("omics", region_name="us-east-1", endpoint_url=endpoint,
                        aws_access_key_id="AKIDEXAMPLE",
                        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                        config=Config(inject_host_prefix=False, max_pool_connections=THREADS,
                                      retries={"mode": "standard"}))


def download(endpoint, store, read_set, out):
    c = client(endpoint)
    meta = c.get_read_set_metadata(sequenceStoreId=store, id=read_set)
    jobs = []
    for name, info in meta["files"].items():
        path = os.path.join(out, name)
        fd = os.open(path, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o644)
        for k in range(info["totalParts"]):
            jobs.append((name.upper(), k + 1, k * info["partSize"], fd))

    def part(job):
        source, number, offset, fd = job
        body = c.get_read_set(sequenceStoreId=store, id=read_set, file=source,
                              partNumber=number)["payload"].read()
        os.pwrite(fd, body, offset)
        return len(body)

    with ThreadPoolExecutor(THREADS) as pool:
        total = sum(pool.map(part, jobs))
    return total, len(jobs)


def upload(endpoint, store, files):
    c = client(endpoint)
    up = c.create_multipart_read_set_upload(sequenceStoreId=store, sourceFileType="FASTQ",
                                            subjectId="s", sampleId="x", name="boto3")
    jobs = []
    for k, path in enumerate(files):
        size = os.path.getsize(path)
        for n, off in enumerate(range(0, size, PART)):
            jobs.append(("SOURCE%d" % (k + 1), n + 1, path, off, min(PART, size - off)))

    def part(job):
        source, number, path, off, length = job
        with open(path, "rb") as f:
            f.seek(off)
            data = f.read(length)
        r = c.upload_read_set_part(sequenceStoreId=store, uploadId=up["uploadId"],
                                   partSource=source, partNumber=number, payload=data)
        return {"partNumber": number, "partSource": source, "checksum": r["checksum"]}, length

    with ThreadPoolExecutor(THREADS) as pool:
        done = list(pool.map(part, jobs))
    c.complete_multipart_read_set_upload(sequenceStoreId=store, uploadId=up["uploadId"],
                                         parts=[d[0] for d in done])
    return sum(d[1] for d in done), len(done)


def main():
    mode, endpoint = sys.argv[1], sys.argv[2]
    w0 = time.perf_counter()
    if mode == "download":
        total, parts = download(endpoint, sys.argv[3], sys.argv[4], sys.argv[5])
    else:
        total, parts = upload(endpoint, sys.argv[3], sys.argv[4:])
    print(f"bytes={total} parts={parts} wall={time.perf_counter() - w0:.6f}")


if __name__ == "__main__":
    main()
