"""HTTP/1.1 wire handling: keep-alive, bodies, and (mis)behaving responses."""

import socketserver
import sys
import time
import uuid
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .files import StoredFile, remove
from .log import log
from .messages import Request

IDLE_TIMEOUT_SECONDS = 120
MAX_CHUNK_LINE = 1024
SPOOL_OVER = 1 << 20    # longer bodies are read into a file of the emulator's FileStore


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, emulator):
        self.emulator = emulator
        super().__init__(address, RequestHandler)

    def server_bind(self):
        # HTTPServer.server_bind looks up the host's FQDN, which can stall
        # where there is no DNS; the name is not needed.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address):
        log(f"connection from {client_address[0]} failed: {sys.exc_info()[1]!r}")


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "omics-emulator"
    sys_version = ""
    timeout = IDLE_TIMEOUT_SECONDS
    disable_nagle_algorithm = True   # a body sent after its headers must not wait

    def setup(self):
        super().setup()
        self.server.emulator.stats.count("connections")

    def handle(self):
        try:
            super().handle()
        except OSError:   # the client went away or stopped talking
            self.close_connection = True

    def log_message(self, format, *args):
        log(format % args)

    def _serve(self):
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        target = self.path
        if target.startswith(("http://", "https://")):   # absolute-form: drop the authority
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        raw_path, _, query = target.partition("?")
        request = Request(self.command, raw_path, query, list(self.headers.items()), body)
        try:
            response = self.server.emulator.handle(request)
        finally:
            if isinstance(body, StoredFile) and not body.kept:
                remove(body)
        log(f'{self.client_address[0]} "{self.command} {self.path}" '
            f'{"dropped" if response.drop else response.status}')
        self._send(response)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError("negative Content-Length")
        if length > SPOOL_OVER:
            return self.server.emulator.files.receive(self.rfile.readinto, length)
        return self._read_exactly(length)

    def _read_exactly(self, length):
        data = self.rfile.read(length)
        if len(data) < length:
            raise ConnectionError("client closed the connection mid-body")
        return data

    def _read_chunked(self):
        """The chunks' bytes; a ValueError if the client stops before the last chunk."""
        chunks = []
        while size := int(self.rfile.readline(MAX_CHUNK_LINE).split(b";")[0].strip(), 16):
            chunks.append(self._read_exactly(size))
            self.rfile.readline(MAX_CHUNK_LINE)
        while self.rfile.readline(MAX_CHUNK_LINE) not in (b"\r\n", b"\n", b""):
            pass   # trailers
        return b"".join(chunks)

    def _send(self, response):
        if response.drop:
            self.close_connection = True
            return
        headers = list(response.headers)
        present = {name.lower() for name, _ in headers}
        if "x-amzn-requestid" not in present:
            headers.append(("x-amzn-RequestId", str(uuid.uuid4())))
        if "date" not in present:
            headers.append(("Date", formatdate(time.time() + self.server.emulator.skew_seconds,
                                               usegmt=True)))
        if "content-length" not in present and response.status != 204 and response.stream is None:
            headers.append(("Content-Length", str(len(response.body))))
        reason = self.responses.get(response.status, ("Unknown",))[0]
        lines = [f"HTTP/1.1 {response.status} {reason}\r\n".encode()] + [
            f"{name}: {value}\r\n".encode("latin-1", errors="replace") for name, value in headers]
        cut = len(response.body) if response.send_bytes is None else response.send_bytes
        try:
            if response.stream is not None:
                self.close_connection = True
                response.stream(self.wfile, lines)
                return
            self._write(response.body, 0, cut, b"".join(lines) + b"\r\n")
            if response.pause_seconds:
                time.sleep(response.pause_seconds)
            if response.close:
                self.close_connection = True
                return
            self._write(response.body, cut, len(response.body))
        except OSError:
            self.close_connection = True

    def _write(self, body, start, stop, head=b""):
        """head, then body[start:stop]; a StoredFile's bytes are sent by the kernel."""
        if not isinstance(body, StoredFile):
            self.wfile.write(head + body[start:stop])
            return
        self.wfile.write(head)
        if stop > start:
            with open(body.path, "rb") as handle:
                self.connection.sendfile(handle, body.offset + start, stop - start)
