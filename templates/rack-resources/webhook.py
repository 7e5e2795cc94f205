# convoxc webhook forwarder: POSTs each rack notification (an SNS message, JSON) to WEBHOOK_URL.
# A non-2xx answer raises, so Lambda retries the event.
import os, urllib.request


def handler(event, context):
    for record in event["Records"]:
        request = urllib.request.Request(
            os.environ["WEBHOOK_URL"],
            data=record["Sns"]["Message"].encode(),
            headers={"Content-Type": "application/json", "User-Agent": "convoxc-webhook"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
