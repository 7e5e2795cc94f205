# convoxc webhook forwarder: POSTs each rack notification (an SNS message, JSON) to the webhook
# URL, read once from the Secrets Manager secret URL_SECRET (it holds tokens: never in the
# function's environment). A non-2xx answer raises, so Lambda retries the event.
import os, urllib.request

import boto3

URL = boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["URL_SECRET"])["SecretString"]


def handler(event, context):
    for record in event["Records"]:
        request = urllib.request.Request(
            URL,
            data=record["Sns"]["Message"].encode(),
            headers={"Content-Type": "application/json", "User-Agent": "convoxc-webhook"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
