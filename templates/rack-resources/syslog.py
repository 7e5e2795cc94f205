# convoxc syslog forwarder: CloudWatch Logs subscription events -> one syslog line each, over
# udp, tcp or tcp+tls (lines end with a newline). The line is SYSLOG_FORMAT with {DATE} (RFC 3339,
# UTC), {GROUP} (log group), {SERVICE} and {CONTAINER} (from the stream `<prefix>/<service>/<id>`)
# and {MESSAGE} substituted; {MESSAGE} goes last, so a message is never rewritten. The URL (it may
# hold user:password@) is read once from the Secrets Manager secret URL_SECRET, never the
# function's environment.
import base64, gzip, json, os, socket, ssl
from datetime import datetime, timezone
from urllib.parse import urlsplit

import boto3

URL = urlsplit(boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["URL_SECRET"])["SecretString"])
FORMAT = os.environ["SYSLOG_FORMAT"]
PORT = URL.port or {"udp": 514, "tcp": 514, "tcp+tls": 6514}[URL.scheme]


def lines(data):
    parts = data["logStream"].split("/")
    service = parts[1] if len(parts) > 2 else parts[0]
    for e in data["logEvents"]:
        date = datetime.fromtimestamp(e["timestamp"] / 1000, timezone.utc)
        line = FORMAT
        for key, value in (
            ("{DATE}", date.isoformat(timespec="milliseconds").replace("+00:00", "Z")),
            ("{GROUP}", data["logGroup"]),
            ("{SERVICE}", service),
            ("{CONTAINER}", parts[-1]),
        ):
            line = line.replace(key, value)
        yield line.replace("{MESSAGE}", e["message"].rstrip("\n")) + "\n"


def handler(event, context):
    data = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    if data.get("messageType") != "DATA_MESSAGE":
        return
    if URL.scheme == "udp":
        family, kind, proto, _, addr = socket.getaddrinfo(URL.hostname, PORT, type=socket.SOCK_DGRAM)[0]
        with socket.socket(family, kind, proto) as s:
            for line in lines(data):
                s.sendto(line.encode(), addr)
        return
    s = socket.create_connection((URL.hostname, PORT), timeout=10)
    if URL.scheme == "tcp+tls":
        s = ssl.create_default_context().wrap_socket(s, server_hostname=URL.hostname)
    with s:
        s.sendall("".join(lines(data)).encode())
