"""A stand-in for `kubectl port-forward`: logs its argv, serves a Prometheus-like API on the local port.

Like kubectl it prints `Forwarding from ...` once listening and one line per connection (padded, so a
reader that does not drain stdout blocks it quickly). `FAKE_KUBECTL_FAIL=msg` makes it exit 1 with msg.
"""

import http.server
import json
import os
import sys
from pathlib import Path

args = sys.argv[1:]
log = os.environ.get("FAKE_KUBECTL_LOG")
if log:
    kubeconfig = next((a.split("=", 1)[1] for a in args if a.startswith("--kubeconfig=")), None)
    record = {"argv": args, "pid": os.getpid()}
    if kubeconfig:
        path = Path(kubeconfig)
        record["kubeconfig_mode"] = oct(path.stat().st_mode & 0o777)
        record["kubeconfig_text"] = path.read_text()
    Path(log).write_text(json.dumps(record))
if os.environ.get("FAKE_KUBECTL_FAIL"):
    print(os.environ["FAKE_KUBECTL_FAIL"], flush=True)
    sys.exit(1)
ports = next(a for a in args if ":" in a and a.split(":")[0].isdigit())
local, remote = ports.split(":")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # a Prometheus instant query answering one sample
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps(
            {
                "status": "success",
                "data": {"resultType": "vector", "result": [{"metric": {"job": "fake"}, "value": [1.0, "42"]}]},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        print(f"Handling connection for {remote}" + " " * 1000, flush=True)


server = http.server.HTTPServer(("127.0.0.1", int(local)), Handler)
print(f"Forwarding from 127.0.0.1:{local} -> {remote}", flush=True)
server.serve_forever()
