"""A program written the way the klaviyo 3.1.7 README wrote it. The tests run it unchanged
but for its first import line (or with no change at all, after install())."""

import datetime
import json
import os
import sys

import klaviyo
from klaviyo.exceptions import KlaviyoAPIException, KlaviyoException

client = klaviyo.Klaviyo(public_token=os.environ["PUBLIC"], private_token=os.environ["PRIVATE"])

results = {}
results["track"] = client.Public.track(
    "Filled Out Profile",
    email="someone@example.com",
    customer_properties={"$first_name": "Thomas", "$last_name": "Jefferson"},
    properties={"Added Social Accounts": False},
    timestamp=datetime.datetime(2024, 5, 1, 12, 0, 0),
).data
results["identify"] = client.Public.identify(
    email="thomas.jefferson@example.com", properties={"Plan": "Premium"}
).data
members = client.Lists.add_subscribers_to_list(
    os.environ["LIST_ID"],
    [{"email": "george.washington@example.com"}, {"email": "john.adams@example.com"}],
)
results["subscribe_status"] = members.status_code
results["subscribed"] = sorted(m["email"] for m in members.data)
removed = client.Lists.delete_subscribers_from_list(
    os.environ["LIST_ID"], ["john.adams@example.com"]
)
results["unsubscribe"] = removed.data
try:
    client.Public.identify()
except KlaviyoException as error:
    results["local_error"] = str(error)
try:
    client.Lists.add_subscribers_to_list("NoSuchList", [{"email": "x@example.com"}])
except KlaviyoAPIException as error:
    results["api_error"] = error.status_code

json.dump(results, sys.stdout)
